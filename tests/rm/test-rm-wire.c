// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the RM RPC wire codec (rm/wire/wire.c): header, fragmentation,
 * reassembly rules, payload codecs, error mapping and name tables.
 */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include <gunyah/rm-wire.h>

#define MSG_ID		0x56000001U
#define REQ		GH_RM_TYPE_REQUEST
#define REPLY		GH_RM_TYPE_REPLY
#define BIG		GH_RM_MSG_MAX_RECV

static u8 reasm_buf[BIG];

/* deterministic bytes so that misplaced fragments show */
static void fill_pattern(u8 *p, size_t len, u32 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (u8)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/*
 * Send one message through gh_rm_encode_packet() and feed every packet to @r.
 * Every packet but the last must give 0; returns the last feed result.
 */
static int send_message(struct gh_rm_reasm *r, u8 type, u16 seq, u32 id, const u8 *payload,
			size_t len, struct gh_rm_msg *msg)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n, i, plen, ret = 0;

	n = gh_rm_msg_npackets(len);
	g_assert_cmpint(n, >, 0);
	for (i = 0; i < n; i++) {
		plen = gh_rm_encode_packet(pkt, type, seq, id, payload, len, i);
		g_assert_cmpint(plen, >=, GH_RM_HDR_SIZE);
		g_assert_cmpint(plen, <=, GH_RM_PACKET_MAX);
		ret = gh_rm_reasm_feed(r, pkt, plen, msg);
		if (i < n - 1)
			g_assert_cmpint(ret, ==, 0);
	}
	return ret;
}

/* ---------------------------------------------------------------------------
 * Little-endian helpers and header
 */
static void test_le_helpers(void)
{
	u8 b[17] = { 0 };

	gh_rm_put_le16(b + 1, 0xA1B2);
	gh_rm_put_le32(b + 3, 0xC1D2E3F4);
	gh_rm_put_le64(b + 7, 0x0102030405060708ULL);
	g_assert_cmphex(b[1], ==, 0xB2);
	g_assert_cmphex(b[2], ==, 0xA1);
	g_assert_cmphex(b[3], ==, 0xF4);
	g_assert_cmphex(b[6], ==, 0xC1);
	g_assert_cmphex(b[7], ==, 0x08);
	g_assert_cmphex(b[14], ==, 0x01);
	g_assert_cmphex(gh_rm_get_le16(b + 1), ==, 0xA1B2);
	g_assert_cmphex(gh_rm_get_le32(b + 3), ==, 0xC1D2E3F4);
	g_assert_cmphex(gh_rm_get_le64(b + 7), ==, 0x0102030405060708ULL);
	g_assert_cmphex(b[0], ==, 0);
	g_assert_cmphex(b[15], ==, 0);
}

static void test_hdr_encode(void)
{
	static const u8 want[8] = { 0x21, 0x15, 0x34, 0x12, 0x01, 0x00, 0x00, 0x56 };
	u8 b[8];

	g_assert_cmpint(gh_rm_hdr_encode(b, GH_RM_TYPE_REQUEST, 5, 0x1234, MSG_ID), ==, 8);
	g_assert_cmpmem(b, 8, want, 8);

	g_assert_cmpint(gh_rm_hdr_encode(b, GH_RM_TYPE_NOTIFICATION, 62, 0xFFFF, 0x56100008),
			==, 8);
	g_assert_cmphex(b[1], ==, (62 << 2) | 3);
	g_assert_cmpint(gh_rm_hdr_encode(b, GH_RM_TYPE_CONTINUATION, 63, 0, 1), ==, 8);
	g_assert_cmphex(b[1], ==, 0xFC);

	g_assert_cmpint(gh_rm_hdr_encode(b, 4, 0, 0, 1), ==, -EINVAL);
	g_assert_cmpint(gh_rm_hdr_encode(b, 1, 64, 0, 1), ==, -EINVAL);
}

static void test_hdr_decode(void)
{
	u8 b[GH_RM_PACKET_MAX + 1] = { 0 };
	struct gh_rm_hdr h = { 0 };

	gh_rm_hdr_encode(b, GH_RM_TYPE_REPLY, 7, 0xBEEF, 0x51000012);
	g_assert_cmpint(gh_rm_hdr_decode(b, 8, &h), ==, 0);
	g_assert_cmphex(h.api, ==, 0x21);
	g_assert_cmpint(h.type, ==, GH_RM_TYPE_REPLY);
	g_assert_cmpint(h.fragments, ==, 7);
	g_assert_cmphex(h.seq, ==, 0xBEEF);
	g_assert_cmphex(h.msg_id, ==, 0x51000012);
	g_assert_cmpint(gh_rm_hdr_decode(b, GH_RM_PACKET_MAX, &h), ==, 0);

	g_assert_cmpint(gh_rm_hdr_decode(b, 7, &h), ==, -EMSGSIZE);
	g_assert_cmpint(gh_rm_hdr_decode(b, 0, &h), ==, -EMSGSIZE);
	g_assert_cmpint(gh_rm_hdr_decode(b, GH_RM_PACKET_MAX + 1, &h), ==, -EMSGSIZE);

	b[0] = 0x11;		/* header words 1 */
	g_assert_cmpint(gh_rm_hdr_decode(b, 8, &h), ==, -EPROTO);
	b[0] = 0x22;		/* version 2 */
	g_assert_cmpint(gh_rm_hdr_decode(b, 8, &h), ==, -EPROTO);
	b[0] = 0x21;
	b[1] = (63 << 2) | GH_RM_TYPE_REPLY;
	g_assert_cmpint(gh_rm_hdr_decode(b, 8, &h), ==, -EPROTO);
	b[1] = (62 << 2) | GH_RM_TYPE_REPLY;
	g_assert_cmpint(gh_rm_hdr_decode(b, 8, &h), ==, 0);
	g_assert_cmpint(h.fragments, ==, 62);
}

/* ---------------------------------------------------------------------------
 * Fragmentation
 */
static void test_frag_counts(void)
{
	static const struct {
		size_t len;
		int fragments;
	} cases[] = {
		{ 0, 0 }, { 1, 0 }, { 231, 0 }, { 232, 0 }, { 233, 1 }, { 464, 1 },
		{ 465, 2 }, { 696, 2 }, { 697, 3 }, { 14383, 61 }, { 14384, 61 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_cmpint(gh_rm_msg_fragments(cases[i].len), ==, cases[i].fragments);
		g_assert_cmpint(gh_rm_msg_npackets(cases[i].len), ==, cases[i].fragments + 1);
	}
	g_assert_cmpint(GH_RM_MSG_MAX_SEND, ==, 14384);
	g_assert_cmpint(GH_RM_MSG_MAX_RECV, ==, 14616);
	g_assert_cmpint(gh_rm_msg_fragments(14385), ==, -E2BIG);
	g_assert_cmpint(gh_rm_msg_npackets(14385), ==, -E2BIG);
	g_assert_cmpint(gh_rm_msg_npackets(GH_RM_MSG_MAX_RECV), ==, -E2BIG);
	g_assert_cmpint(gh_rm_msg_npackets((size_t)-1), ==, -E2BIG);

	/* replies count their 4-byte err_code */
	g_assert_cmpint(gh_rm_reply_npackets(0), ==, 1);
	g_assert_cmpint(gh_rm_reply_npackets(228), ==, 1);
	g_assert_cmpint(gh_rm_reply_npackets(229), ==, 2);
	g_assert_cmpint(gh_rm_reply_npackets(14380), ==, 62);
	g_assert_cmpint(gh_rm_reply_npackets(14381), ==, -E2BIG);
	g_assert_cmpint(gh_rm_reply_npackets((size_t)-2), ==, -E2BIG);
}

static void test_frag_packets(void)
{
	u8 payload[465], pkt[GH_RM_PACKET_MAX];
	struct gh_rm_hdr h;
	int len;

	fill_pattern(payload, sizeof(payload), 1);

	len = gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 77, MSG_ID, payload, 465, 0);
	g_assert_cmpint(len, ==, 240);
	g_assert_cmpint(gh_rm_hdr_decode(pkt, len, &h), ==, 0);
	g_assert_cmpint(h.type, ==, GH_RM_TYPE_REQUEST);
	g_assert_cmpint(h.fragments, ==, 2);
	g_assert_cmpint(h.seq, ==, 77);
	g_assert_cmphex(h.msg_id, ==, MSG_ID);
	g_assert_cmpmem(pkt + 8, 232, payload, 232);

	len = gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 77, MSG_ID, payload, 465, 1);
	g_assert_cmpint(len, ==, 240);
	g_assert_cmpint(gh_rm_hdr_decode(pkt, len, &h), ==, 0);
	g_assert_cmpint(h.type, ==, GH_RM_TYPE_CONTINUATION);
	g_assert_cmpint(h.fragments, ==, 2);
	g_assert_cmpint(h.seq, ==, 77);
	g_assert_cmphex(h.msg_id, ==, MSG_ID);
	g_assert_cmpmem(pkt + 8, 232, payload + 232, 232);

	len = gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 77, MSG_ID, payload, 465, 2);
	g_assert_cmpint(len, ==, 9);
	g_assert_cmpint(gh_rm_hdr_decode(pkt, len, &h), ==, 0);
	g_assert_cmpint(h.type, ==, GH_RM_TYPE_CONTINUATION);
	g_assert_cmpint(h.fragments, ==, 2);
	g_assert_cmphex(pkt[8], ==, payload[464]);

	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 77, MSG_ID, payload, 465, 3),
			==, -EINVAL);

	/* exactly one full packet */
	len = gh_rm_encode_packet(pkt, GH_RM_TYPE_NOTIFICATION, 1, MSG_ID, payload, 232, 0);
	g_assert_cmpint(len, ==, 240);
	g_assert_cmphex(pkt[1], ==, GH_RM_TYPE_NOTIFICATION);
	len = gh_rm_encode_packet(pkt, GH_RM_TYPE_NOTIFICATION, 1, MSG_ID, payload, 232, 1);
	g_assert_cmpint(len, ==, -EINVAL);
}

static void test_frag_zero_length(void)
{
	u8 pkt[GH_RM_PACKET_MAX];

	g_assert_cmpint(gh_rm_msg_npackets(0), ==, 1);
	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 9, GH_RM_VM_GET_VMID,
					    NULL, 0, 0), ==, 8);
	g_assert_cmphex(pkt[0], ==, 0x21);
	g_assert_cmphex(pkt[1], ==, GH_RM_TYPE_REQUEST);
	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 9, GH_RM_VM_GET_VMID,
					    NULL, 0, 1), ==, -EINVAL);
}

static void test_frag_errors(void)
{
	static u8 payload[GH_RM_MSG_MAX_SEND + 1];
	u8 pkt[GH_RM_PACKET_MAX];

	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_CONTINUATION, 0, MSG_ID, payload, 4, 0),
			==, -EINVAL);
	g_assert_cmpint(gh_rm_encode_packet(pkt, 4, 0, MSG_ID, payload, 4, 0), ==, -EINVAL);
	/* msg_id 0 is reserved */
	g_assert_cmpint(gh_rm_encode_packet(pkt, REQ, 0, 0, payload, 4, 0), ==, -EINVAL);
	g_assert_cmpint(gh_rm_encode_packet(pkt, REQ, 0, MSG_ID, NULL, 4, 0), ==, -EINVAL);
	/* a reply opens with its err_code */
	g_assert_cmpint(gh_rm_encode_packet(pkt, REPLY, 0, MSG_ID, payload, 3, 0), ==, -EINVAL);
	g_assert_cmpint(gh_rm_encode_packet(pkt, REPLY, 0, MSG_ID, payload, 4, 0), ==, 12);
	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 0, MSG_ID, payload,
					    GH_RM_MSG_MAX_SEND + 1, 0), ==, -E2BIG);
	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 0, MSG_ID, payload,
					    GH_RM_MSG_MAX_SEND, 61), ==, 240);
	g_assert_cmpint(gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 0, MSG_ID, payload,
					    GH_RM_MSG_MAX_SEND, 62), ==, -EINVAL);
	g_assert_cmpint(gh_rm_encode_reply_packet(pkt, 0, 0, 0, NULL, 0, 0), ==, -EINVAL);
	g_assert_cmpint(gh_rm_encode_reply_packet(pkt, 0, MSG_ID, 0, NULL, 1, 0), ==, -EINVAL);
	g_assert_cmpint(gh_rm_encode_reply_packet(pkt, 0, MSG_ID, 0, payload,
						  GH_RM_MSG_MAX_SEND - 3, 0), ==, -E2BIG);
	g_assert_cmpint(gh_rm_encode_reply_packet(pkt, 0, MSG_ID, 0, payload,
						  GH_RM_MSG_MAX_SEND - 4, 61), ==, 240);
}

/* The reply encoder must produce the very packets of err + data through the plain encoder */
static void test_frag_reply(void)
{
	static const size_t lens[] = { 0, 1, 227, 228, 229, 460, 461, 462, 1000, 14380 };
	static u8 data[GH_RM_MSG_MAX_SEND], whole[GH_RM_MSG_MAX_SEND];
	u8 a[GH_RM_PACKET_MAX], b[GH_RM_PACKET_MAX];
	size_t i;
	int n, k, la, lb;

	fill_pattern(data, sizeof(data), 3);
	for (i = 0; i < G_N_ELEMENTS(lens); i++) {
		gh_rm_put_le32(whole, 0xDEADBEEF);
		memcpy(whole + 4, data, lens[i]);
		n = gh_rm_reply_npackets(lens[i]);
		g_assert_cmpint(n, ==, gh_rm_msg_npackets(lens[i] + 4));
		for (k = 0; k < n; k++) {
			la = gh_rm_encode_reply_packet(a, 5, MSG_ID, 0xDEADBEEF, data, lens[i], k);
			lb = gh_rm_encode_packet(b, REPLY, 5, MSG_ID, whole, lens[i] + 4, k);
			g_assert_cmpint(la, >, 0);
			g_assert_cmpmem(a, la, b, lb);
		}
		g_assert_cmpint(gh_rm_encode_reply_packet(a, 5, MSG_ID, 0, data, lens[i], n), ==,
				-EINVAL);
	}
}

/* ---------------------------------------------------------------------------
 * Reassembly
 */
static void test_reasm_roundtrip(void)
{
	static u8 payload[GH_RM_MSG_MAX_SEND];
	static const u8 types[] = {
		GH_RM_TYPE_REQUEST, GH_RM_TYPE_REPLY, GH_RM_TYPE_NOTIFICATION,
	};
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len, t, count = 0;
	u16 seq = 0;

	fill_pattern(payload, sizeof(payload), 9);
	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	for (t = 0; t < G_N_ELEMENTS(types); t++) {
		for (len = 0; len <= GH_RM_MSG_MAX_SEND;
		     len += (len < 1200 ? 1 : len < 14000 ? 97 : 1)) {
			if (types[t] == GH_RM_TYPE_REPLY && len < 4)
				continue;
			memset(&msg, 0xAA, sizeof(msg));
			g_assert_cmpint(send_message(&r, types[t], seq, 0x51000000 + (u32)len,
						     payload, len, &msg), ==, 1);
			g_assert_cmpint(msg.type, ==, types[t]);
			g_assert_cmpint(msg.seq, ==, seq);
			g_assert_cmphex(msg.msg_id, ==, 0x51000000 + (u32)len);
			g_assert_cmpint(msg.fragments, ==, gh_rm_msg_fragments(len));
			if (types[t] == GH_RM_TYPE_REPLY) {
				g_assert_cmphex(msg.err_code, ==, gh_rm_get_le32(payload));
				g_assert_cmpmem(msg.payload, msg.len, payload + 4, len - 4);
			} else {
				g_assert_cmphex(msg.err_code, ==, 0);
				g_assert_cmpmem(msg.payload, msg.len, payload, len);
			}
			g_assert_false(gh_rm_reasm_busy(&r));
			seq++;
			count++;
		}
	}
	g_assert_cmpint(r.stats.messages, ==, count);
	g_assert_cmpint(r.stats.dropped, ==, 0);
	g_assert_cmpint(r.stats.aborted, ==, 0);
}

static void test_reasm_reply_encoder(void)
{
	static u8 data[3000];
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	int n, k, len, ret = 0;

	fill_pattern(data, sizeof(data), 4);
	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_CLIENT);
	n = gh_rm_reply_npackets(sizeof(data));
	for (k = 0; k < n; k++) {
		len = gh_rm_encode_reply_packet(pkt, 300, GH_RM_VM_GET_HYP_RESOURCES,
						GH_RM_ERROR_VM_STATE, data, sizeof(data), k);
		ret = gh_rm_reasm_feed(&r, pkt, len, &msg);
	}
	g_assert_cmpint(ret, ==, 1);
	g_assert_cmphex(msg.err_code, ==, GH_RM_ERROR_VM_STATE);
	g_assert_cmpmem(msg.payload, msg.len, data, sizeof(data));

	/* standard reply: 12 bytes, err only */
	len = gh_rm_encode_reply_packet(pkt, 301, GH_RM_VM_START, GH_RM_ERROR_OK, NULL, 0, 0);
	g_assert_cmpint(len, ==, 12);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 0);
	g_assert_cmphex(msg.err_code, ==, 0);
	g_assert_cmpint(msg.seq, ==, 301);
}

/* The RM may send 63 packets (14616 bytes) although Linux never sends that much */
static void test_reasm_max_recv(void)
{
	static u8 payload[GH_RM_MSG_MAX_RECV];
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	int k, ret = 0;

	fill_pattern(payload, sizeof(payload), 5);
	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	for (k = 0; k <= GH_RM_MAX_FRAGMENTS; k++) {
		gh_rm_hdr_encode(pkt, k ? GH_RM_TYPE_CONTINUATION : GH_RM_TYPE_NOTIFICATION,
				 GH_RM_MAX_FRAGMENTS, 2, GH_RM_NOTIF_VM_STATUS);
		memcpy(pkt + 8, payload + k * GH_RM_PAYLOAD_MAX, GH_RM_PAYLOAD_MAX);
		ret = gh_rm_reasm_feed(&r, pkt, sizeof(pkt), &msg);
		g_assert_cmpint(ret, ==, k == GH_RM_MAX_FRAGMENTS ? 1 : 0);
	}
	g_assert_cmpint(msg.len, ==, GH_RM_MSG_MAX_RECV);
	g_assert_cmpmem(msg.payload, msg.len, payload, sizeof(payload));

	/* one byte less of buffer: the last continuation overflows */
	gh_rm_reasm_init(&r, reasm_buf, GH_RM_MSG_MAX_RECV - 1, GH_RM_ACCEPT_ALL);
	for (k = 0; k <= GH_RM_MAX_FRAGMENTS; k++) {
		gh_rm_hdr_encode(pkt, k ? GH_RM_TYPE_CONTINUATION : GH_RM_TYPE_NOTIFICATION,
				 GH_RM_MAX_FRAGMENTS, 2, GH_RM_NOTIF_VM_STATUS);
		ret = gh_rm_reasm_feed(&r, pkt, sizeof(pkt), &msg);
		if (k < GH_RM_MAX_FRAGMENTS)
			g_assert_cmpint(ret, ==, 0);
	}
	g_assert_cmpint(ret, ==, -EOVERFLOW);
	g_assert_cmpint(r.last_drop, ==, GH_RM_DROP_OVERFLOW);
	g_assert_cmpint(r.stats.aborted, ==, 1);
	g_assert_false(gh_rm_reasm_busy(&r));
}

/* Build a raw packet: header plus plen pattern bytes */
static size_t raw_packet(u8 *pkt, u8 type, u8 frags, u16 seq, u32 id, size_t plen)
{
	gh_rm_hdr_encode(pkt, type, frags, seq, id);
	fill_pattern(pkt + 8, plen, seq);
	return 8 + plen;
}

static void assert_drop(struct gh_rm_reasm *r, int ret, enum gh_rm_drop why, int err)
{
	g_assert_cmpint(ret, ==, err);
	g_assert_cmpint(r->last_drop, ==, why);
	g_assert_cmpint(r->last_error, ==, err);
	g_assert_cmpuint(r->stats.drops[why], >=, 1);
}

static void test_reasm_bad_packets(void)
{
	u8 pkt[GH_RM_PACKET_MAX + 8];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 4);

	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, 7, &msg), GH_RM_DROP_SHORT, -EMSGSIZE);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, 0, &msg), GH_RM_DROP_SHORT, -EMSGSIZE);
	raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 233);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, 241, &msg), GH_RM_DROP_LONG, -EMSGSIZE);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, 240, &msg), ==, 1);

	pkt[0] = 0x20;
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_API, -EPROTO);
	pkt[0] = 0x31;
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_API, -EPROTO);
	pkt[0] = 0x21;
	pkt[1] = (63 << 2) | GH_RM_TYPE_REQUEST;
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_FRAGMENTS, -EPROTO);

	g_assert_cmpint(r.stats.packets, ==, 7);
	g_assert_cmpint(r.stats.dropped, ==, 6);
	g_assert_cmpint(r.stats.messages, ==, 1);
	g_assert_cmpstr(gh_rm_drop_name(r.last_drop), ==, "too many fragments");
}

/* Invalid packets in the middle of a message leave it alone */
static void test_reasm_bad_packet_keeps_partial(void)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_CLIENT);
	len = raw_packet(pkt, GH_RM_TYPE_REPLY, 1, 4, MSG_ID, 232);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	g_assert_true(gh_rm_reasm_busy(&r));

	pkt[0] = 0x12;
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, -EPROTO);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, 3, &msg), ==, -EMSGSIZE);
	/* a REQUEST is not for a client: dropped without touching the reply */
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 9, MSG_ID, 4);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_TYPE, -EPROTO);
	g_assert_true(gh_rm_reasm_busy(&r));

	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 1, 4, MSG_ID, 10);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 232 + 10 - 4);
	g_assert_cmpint(r.stats.aborted, ==, 0);
	g_assert_cmpint(r.stats.dropped, ==, 3);
}

static void test_reasm_type_filter(void)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_SERVER);
	len = raw_packet(pkt, GH_RM_TYPE_REPLY, 0, 1, MSG_ID, 8);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_TYPE, -EPROTO);
	len = raw_packet(pkt, GH_RM_TYPE_NOTIFICATION, 0, 1, MSG_ID, 8);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_TYPE, -EPROTO);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 8);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.type, ==, GH_RM_TYPE_REQUEST);
}

static void test_reasm_orphan(void)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 1, 1, MSG_ID, 8);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_ORPHAN, -ENOMSG);

	/* a continuation after a complete message is an orphan too */
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 8);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 0, 1, MSG_ID, 8);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_ORPHAN, -ENOMSG);
	g_assert_cmpint(r.stats.drops[GH_RM_DROP_ORPHAN], ==, 2);
}

/* Start a 3-packet REPLY (seq 7, GH_RM_MEM_LEND) and feed its first packet */
static void start_partial(struct gh_rm_reasm *r)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_msg msg;
	size_t len;

	len = raw_packet(pkt, GH_RM_TYPE_REPLY, 2, 7, GH_RM_MEM_LEND, 232);
	g_assert_cmpint(gh_rm_reasm_feed(r, pkt, len, &msg), ==, 0);
	g_assert_true(gh_rm_reasm_busy(r));
}

static void test_reasm_mismatch(void)
{
	static const struct {
		u8 frags;
		u16 seq;
		u32 id;
	} bad[] = {
		{ 2, 7, GH_RM_MEM_SHARE },	/* msg_id */
		{ 2, 8, GH_RM_MEM_LEND },	/* seq */
		{ 3, 7, GH_RM_MEM_LEND },	/* fragments */
		{ 1, 7, GH_RM_MEM_LEND },	/* fragments */
	};
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t i, len;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		start_partial(&r);
		len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, bad[i].frags, bad[i].seq,
				 bad[i].id, 232);
		assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_MISMATCH,
			    -EILSEQ);
		g_assert_false(gh_rm_reasm_busy(&r));
		g_assert_cmpint(r.stats.aborted, ==, i + 1);
		g_assert_cmphex(r.last_aborted.msg_id, ==, GH_RM_MEM_LEND);
		g_assert_cmpint(r.last_aborted.seq, ==, 7);
		g_assert_cmpint(r.last_aborted.type, ==, GH_RM_TYPE_REPLY);

		/* the rest of the aborted message is now orphaned */
		len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 2, 7, GH_RM_MEM_LEND, 232);
		assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_ORPHAN,
			    -ENOMSG);
	}

	/* the matching continuations complete it */
	start_partial(&r);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 2, 7, GH_RM_MEM_LEND, 232);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 2, 7, GH_RM_MEM_LEND, 1);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 232 * 2 + 1 - 4);
}

static void test_reasm_new_aborts_partial(void)
{
	static const u8 types[] = {
		GH_RM_TYPE_REQUEST, GH_RM_TYPE_REPLY, GH_RM_TYPE_NOTIFICATION,
	};
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t i, len;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	for (i = 0; i < G_N_ELEMENTS(types); i++) {
		start_partial(&r);
		len = raw_packet(pkt, types[i], 0, 7, GH_RM_MEM_LEND, 8);
		g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
		g_assert_cmpint(msg.type, ==, types[i]);
		g_assert_cmpint(r.stats.aborted, ==, i + 1);
		g_assert_cmpint(r.last_aborted.fragments, ==, 2);
	}

	/* a new fragmented message replaces the partial one */
	start_partial(&r);
	len = raw_packet(pkt, GH_RM_TYPE_NOTIFICATION, 1, 0, GH_RM_NOTIF_VM_EXITED, 232);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 2, 7, GH_RM_MEM_LEND, 232);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_MISMATCH, -EILSEQ);
	g_assert_cmpint(r.stats.aborted, ==, 5);

	gh_rm_reasm_abort(&r);		/* nothing in progress: no count */
	g_assert_cmpint(r.stats.aborted, ==, 5);
	start_partial(&r);
	gh_rm_reasm_abort(&r);
	g_assert_cmpint(r.stats.aborted, ==, 6);
	g_assert_false(gh_rm_reasm_busy(&r));
}

static void test_reasm_overflow(void)
{
	u8 buf[300], pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len;

	gh_rm_reasm_init(&r, buf, 100, GH_RM_ACCEPT_ALL);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 101);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_OVERFLOW, -EOVERFLOW);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 100);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 100);

	/* continuation overflow: 232 + 69 > 300 */
	gh_rm_reasm_init(&r, buf, sizeof(buf), GH_RM_ACCEPT_ALL);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 1, 1, MSG_ID, 232);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 1, 1, MSG_ID, 69);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_OVERFLOW, -EOVERFLOW);
	g_assert_cmpint(r.stats.aborted, ==, 1);
	g_assert_false(gh_rm_reasm_busy(&r));
	/* exactly full is fine */
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 1, 2, MSG_ID, 232);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 1, 2, MSG_ID, 68);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 300);

	/* no buffer at all: only empty messages */
	gh_rm_reasm_init(&r, NULL, 0, GH_RM_ACCEPT_ALL);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 0);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 1);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, -EOVERFLOW);
}

static void test_reasm_reply_short(void)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	size_t len, plen;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_CLIENT);
	for (plen = 0; plen < 4; plen++) {
		len = raw_packet(pkt, GH_RM_TYPE_REPLY, 0, 1, MSG_ID, plen);
		assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_REPLY_SHORT,
			    -EBADMSG);
	}
	/* fragmented reply with 2 + 1 bytes in total (short fragments are accepted) */
	len = raw_packet(pkt, GH_RM_TYPE_REPLY, 1, 1, MSG_ID, 2);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 1, 1, MSG_ID, 1);
	assert_drop(&r, gh_rm_reasm_feed(&r, pkt, len, &msg), GH_RM_DROP_REPLY_SHORT, -EBADMSG);
	g_assert_cmpint(r.stats.drops[GH_RM_DROP_REPLY_SHORT], ==, 5);
	/* 2 + 2: a valid standard reply */
	len = raw_packet(pkt, GH_RM_TYPE_REPLY, 1, 1, MSG_ID, 2);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 0);
	len = raw_packet(pkt, GH_RM_TYPE_CONTINUATION, 1, 1, MSG_ID, 2);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 0);

	/* notifications and requests may be empty */
	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_ALL);
	len = raw_packet(pkt, GH_RM_TYPE_NOTIFICATION, 0, 1, MSG_ID, 0);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	len = raw_packet(pkt, GH_RM_TYPE_REQUEST, 0, 1, MSG_ID, 3);
	g_assert_cmpint(gh_rm_reasm_feed(&r, pkt, len, &msg), ==, 1);
	g_assert_cmpint(msg.len, ==, 3);
}

/* ---------------------------------------------------------------------------
 * VM management payloads
 */
static void test_payload_vmid_req(void)
{
	static const u8 want[4] = { 0x81, 0x00, 0x00, 0x00 };
	struct gh_rm_vmid_req req = { 0 };
	u8 b[8];

	g_assert_cmpint(gh_rm_enc_vmid_req(b, sizeof(b), 0x81), ==, 4);
	g_assert_cmpmem(b, 4, want, 4);
	g_assert_cmpint(gh_rm_enc_vmid_req(b, 3, 0x81), ==, -ENOSPC);
	g_assert_cmpint(gh_rm_dec_vmid_req(b, 4, &req), ==, 0);
	g_assert_cmpint(req.vmid, ==, 0x81);
	g_assert_cmpint(req.reserved, ==, 0);
	b[1] = 0x12;
	b[3] = 0x34;
	g_assert_cmpint(gh_rm_dec_vmid_req(b, 4, &req), ==, 0);
	g_assert_cmphex(req.vmid, ==, 0x1281);
	g_assert_cmphex(req.reserved, ==, 0x3400);
	req.vmid = 1;
	g_assert_cmpint(gh_rm_dec_vmid_req(b, 3, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vmid_req(b, 5, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vmid_req(b, 0, &req), ==, -EBADMSG);
	g_assert_cmpint(req.vmid, ==, 1);	/* untouched on error */

	g_assert_cmpint(gh_rm_dec_empty(0), ==, 0);
	g_assert_cmpint(gh_rm_dec_empty(1), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_empty(4), ==, -EBADMSG);
}

static void test_payload_vm_alloc_reply(void)
{
	u8 b[4];
	u16 vmid = 0;

	g_assert_cmpint(gh_rm_enc_vm_alloc_reply(b, 4, 0x80), ==, 4);
	g_assert_cmpint(gh_rm_get_le32(b), ==, 0x80);
	g_assert_cmpint(gh_rm_enc_vm_alloc_reply(b, 3, 0x80), ==, -ENOSPC);
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(b, 4, 0, &vmid), ==, 0);
	g_assert_cmphex(vmid, ==, 0x80);
	/* low 16 bits only */
	gh_rm_put_le32(b, 0xABCD00BF);
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(b, 4, 0, &vmid), ==, 0);
	g_assert_cmphex(vmid, ==, 0xBF);
	/* empty reply: the specific VMID that was asked for */
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(NULL, 0, 5, &vmid), ==, 0);
	g_assert_cmpint(vmid, ==, 5);
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(NULL, 0, 0, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(b, 2, 0, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(b, 3, 0, &vmid), ==, -EBADMSG);
	g_assert_cmpint(vmid, ==, 5);
}

static void test_payload_get_vmid_reply(void)
{
	u8 b[8] = { 0 };
	u16 vmid = 0;

	g_assert_cmpint(gh_rm_enc_get_vmid_reply(b, sizeof(b), GH_RM_VMID_HLOS), ==, 4);
	g_assert_cmpint(gh_rm_dec_get_vmid_reply(b, 4, &vmid), ==, 0);
	g_assert_cmpint(vmid, ==, 3);
	gh_rm_put_le32(b, 0x00010003);
	g_assert_cmpint(gh_rm_dec_get_vmid_reply(b, 4, &vmid), ==, 0);
	g_assert_cmpint(vmid, ==, 3);
	/* v9 expected 2 bytes; the RM sends 4: only 4 is right */
	g_assert_cmpint(gh_rm_dec_get_vmid_reply(b, 2, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_get_vmid_reply(b, 8, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_get_vmid_reply(b, 0, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_get_vmid_reply(b, 0, 3), ==, -ENOSPC);
}

static void test_payload_vm_stop(void)
{
	static const u8 want[8] = { 0x85, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00 };
	struct gh_rm_vm_stop_req req = {
		.vmid = 0x85,
		.flags = GH_RM_VM_STOP_FLAG_FORCE,
		.reason = GH_RM_VM_STOP_REASON_FORCE_STOP,
	};
	struct gh_rm_vm_stop_req out = { 0 };
	u8 b[9];

	g_assert_cmpint(gh_rm_enc_vm_stop_req(b, sizeof(b), &req), ==, 8);
	g_assert_cmpmem(b, 8, want, 8);
	g_assert_cmpint(gh_rm_dec_vm_stop_req(b, 8, &out), ==, 0);
	g_assert_cmpint(out.vmid, ==, 0x85);
	g_assert_cmpint(out.flags, ==, 1);
	g_assert_cmpint(out.reason, ==, 3);
	g_assert_cmpint(gh_rm_dec_vm_stop_req(b, 7, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_stop_req(b, 9, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_vm_stop_req(b, 7, &req), ==, -ENOSPC);
	req.flags = 2;
	g_assert_cmpint(gh_rm_enc_vm_stop_req(b, sizeof(b), &req), ==, -EINVAL);
	/* graceful: flags 0 */
	req.flags = 0;
	req.reason = 0xA0B0C0D0;
	g_assert_cmpint(gh_rm_enc_vm_stop_req(b, sizeof(b), &req), ==, 8);
	g_assert_cmpint(gh_rm_dec_vm_stop_req(b, 8, &out), ==, 0);
	g_assert_cmpint(out.flags, ==, 0);
	g_assert_cmphex(out.reason, ==, 0xA0B0C0D0);
}

static void test_payload_config_image(void)
{
	struct gh_rm_vm_config_image_req req = {
		.vmid = 0x80,
		.auth_mech = GH_RM_VM_AUTH_NONE,
		.mem_handle = 0x11223344,
		.image_offset = 0,
		.image_size = 0,
		.dtb_offset = 0x0102030405060708ULL,
		.dtb_size = 0x8000,
	};
	struct gh_rm_vm_config_image_req out;
	u8 b[48];

	memset(b, 0xEE, sizeof(b));
	g_assert_cmpint(gh_rm_enc_vm_config_image_req(b, sizeof(b), &req), ==, 40);
	g_assert_cmphex(gh_rm_get_le16(b), ==, 0x80);
	g_assert_cmphex(gh_rm_get_le16(b + 2), ==, 0);
	g_assert_cmphex(gh_rm_get_le32(b + 4), ==, 0x11223344);
	g_assert_cmphex(gh_rm_get_le64(b + 8), ==, 0);
	g_assert_cmphex(gh_rm_get_le64(b + 16), ==, 0);
	g_assert_cmphex(gh_rm_get_le64(b + 24), ==, 0x0102030405060708ULL);
	g_assert_cmphex(gh_rm_get_le64(b + 32), ==, 0x8000);
	g_assert_cmphex(b[40], ==, 0xEE);

	req.auth_mech = GH_RM_VM_AUTH_QCOM_ANDROID_PVM;
	req.image_offset = 0x1000;
	req.image_size = 0x200000;
	g_assert_cmpint(gh_rm_enc_vm_config_image_req(b, 40, &req), ==, 40);
	g_assert_cmpint(gh_rm_dec_vm_config_image_req(b, 40, &out), ==, 0);
	g_assert_cmpmem(&out, sizeof(out), &req, sizeof(req));
	g_assert_cmpint(gh_rm_dec_vm_config_image_req(b, 39, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_config_image_req(b, 41, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_vm_config_image_req(b, 39, &req), ==, -ENOSPC);
}

static void test_payload_hyp_resources(void)
{
	struct gh_rm_hyp_resource res[3], out;
	static u8 b[GH_RM_MSG_MAX_SEND];
	u32 n = 99, i;

	memset(res, 0, sizeof(res));
	for (i = 0; i < 3; i++) {
		res[i].type = (u8)(i + 1);
		res[i].partner_vmid = (u16)(0x80 + i);
		res[i].resource_handle = 0x1000 + i;
		res[i].resource_label = i;
		res[i].cap_id = 0x1122334455667788ULL + i;
		res[i].virq_handle = 0x2000 + i;
		res[i].virq = 32 + i;
		res[i].base = 0x80000000ULL << i;
		res[i].size = 0x1000 * (i + 1);
	}
	g_assert_cmpint(gh_rm_enc_hyp_resources(b, sizeof(b), res, 3), ==, 4 + 3 * 44);
	/* spot check the layout of entry 1 */
	g_assert_cmpint(gh_rm_get_le32(b), ==, 3);
	g_assert_cmpint(b[4 + 44], ==, 2);
	g_assert_cmpint(b[4 + 44 + 1], ==, 0);
	g_assert_cmphex(gh_rm_get_le16(b + 4 + 44 + 2), ==, 0x81);
	g_assert_cmphex(gh_rm_get_le64(b + 4 + 44 + 12), ==, 0x1122334455667789ULL);
	g_assert_cmphex(gh_rm_get_le32(b + 4 + 44 + 24), ==, 33);
	g_assert_cmphex(gh_rm_get_le64(b + 4 + 44 + 36), ==, 0x2000);

	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 136, &n), ==, 0);
	g_assert_cmpint(n, ==, 3);
	for (i = 0; i < 3; i++) {
		memset(&out, 0x55, sizeof(out));
		g_assert_cmpint(gh_rm_dec_hyp_resource(b, 136, i, &out), ==, 0);
		g_assert_cmpint(out.type, ==, res[i].type);
		g_assert_cmpint(out.partner_vmid, ==, res[i].partner_vmid);
		g_assert_cmphex(out.resource_handle, ==, res[i].resource_handle);
		g_assert_cmphex(out.resource_label, ==, res[i].resource_label);
		g_assert_cmphex(out.cap_id, ==, res[i].cap_id);
		g_assert_cmphex(out.virq_handle, ==, res[i].virq_handle);
		g_assert_cmphex(out.virq, ==, res[i].virq);
		g_assert_cmphex(out.base, ==, res[i].base);
		g_assert_cmphex(out.size, ==, res[i].size);
	}
	g_assert_cmpint(gh_rm_dec_hyp_resource(b, 136, 3, &out), ==, -EINVAL);
	g_assert_cmpint(gh_rm_dec_hyp_resource(b, 135, 0, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 135, &n), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 137, &n), ==, -EBADMSG);
	/* says 3, holds 2 */
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 92, &n), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 3, &n), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 0, &n), ==, -EBADMSG);
	gh_rm_put_le32(b, 0xFFFFFFFF);
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 136, &n), ==, -EBADMSG);
	g_assert_cmpint(n, ==, 3);

	g_assert_cmpint(gh_rm_enc_hyp_resources(b, 4, NULL, 0), ==, 4);
	g_assert_cmpint(gh_rm_dec_hyp_resources(b, 4, &n), ==, 0);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(gh_rm_dec_hyp_resource(b, 4, 0, &out), ==, -EINVAL);
	g_assert_cmpint(gh_rm_enc_hyp_resources(b, 3, NULL, 0), ==, -ENOSPC);
	g_assert_cmpint(gh_rm_enc_hyp_resources(b, 4 + 2 * 44 - 1, res, 2), ==, -ENOSPC);
	/* reply data must fit beside the err_code: 4 + 44 * 326 <= 14380 < 4 + 44 * 327 */
	g_assert_cmpint(gh_rm_enc_hyp_resources(b, sizeof(b), res, 327), ==, -E2BIG);
	g_assert_cmpint(gh_rm_enc_hyp_resources(b, sizeof(b), NULL, 1), ==, -EINVAL);
}

/* ---------------------------------------------------------------------------
 * Memory parcels
 */
static void make_mem(struct gh_rm_mem_entry *mem, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mem[i].ipa_base = 0x880000000ULL + (u64)i * 0x200000;
		mem[i].size = 0x1000 * (u64)(i % 7 + 1);
	}
}

static void test_mem_share_layout(void)
{
	static const struct gh_rm_acl_entry acl[1] = {
		{ .vmid = 0x80, .perms = GH_RM_ACL_RWX },
	};
	struct gh_rm_mem_entry mem[3], me;
	struct gh_rm_mem_share_args args = {
		.mem_type = GH_RM_MEM_TYPE_NORMAL,
		.label = 0,
		.acl = acl,
		.n_acl = 1,
		.mem = mem,
		.n_mem = 3,
	};
	static const u8 want_head[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* type, flags, label 0 */
		0x01, 0x00, 0x00, 0x00, 0x80, 0x00, 0x07, 0x00,	/* ACL: 1 x {0x80, RWX} */
		0x03, 0x00, 0x00, 0x00,				/* memory: 3 entries */
	};
	struct gh_rm_mem_share_req req;
	struct gh_rm_acl_entry ae;
	u8 b[128];
	int len;

	make_mem(mem, 3);
	memset(b, 0xCC, sizeof(b));
	len = gh_rm_enc_mem_share_req(b, sizeof(b), &args);
	g_assert_cmpint(len, ==, 8 + 4 + 4 + 4 + 3 * 16 + 4);
	g_assert_cmpint(len, ==, gh_rm_mem_share_req_len(1, 3));
	g_assert_cmpmem(b, sizeof(want_head), want_head, sizeof(want_head));
	g_assert_cmphex(gh_rm_get_le64(b + 20), ==, mem[0].ipa_base);
	g_assert_cmphex(gh_rm_get_le64(b + 28), ==, mem[0].size);
	g_assert_cmphex(gh_rm_get_le64(b + 20 + 32), ==, mem[2].ipa_base);
	g_assert_cmphex(gh_rm_get_le32(b + 68), ==, 0);	/* attribute count */
	g_assert_cmphex(b[72], ==, 0xCC);

	memset(&req, 0, sizeof(req));
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.mem_type, ==, 0);
	g_assert_cmpint(req.flags, ==, 0);
	g_assert_cmpint(req.label, ==, 0);
	g_assert_cmpint(req.acl.n, ==, 1);
	g_assert_cmpint(req.mem.n, ==, 3);
	g_assert_cmpint(req.attr.n, ==, 0);
	g_assert_cmpint(gh_rm_acl_get(&req.acl, 0, &ae), ==, 0);
	g_assert_cmpint(ae.vmid, ==, 0x80);
	g_assert_cmpint(ae.perms, ==, 7);
	g_assert_cmpint(gh_rm_acl_get(&req.acl, 1, &ae), ==, -EINVAL);
	g_assert_cmpint(gh_rm_mem_get(&req.mem, 2, &me), ==, 0);
	g_assert_cmphex(me.ipa_base, ==, mem[2].ipa_base);
	g_assert_cmphex(me.size, ==, mem[2].size);
	g_assert_cmpint(gh_rm_mem_get(&req.mem, 3, &me), ==, -EINVAL);

	g_assert_cmpint(gh_rm_enc_mem_share_req(b, len - 1, &args), ==, -ENOSPC);
}

static void test_mem_share_two_acl(void)
{
	static const struct gh_rm_acl_entry acl[2] = {
		{ .vmid = 0x81, .perms = GH_RM_ACL_R | GH_RM_ACL_W },
		{ .vmid = GH_RM_VMID_HLOS, .perms = GH_RM_ACL_RWX },
	};
	struct gh_rm_mem_entry mem[1];
	struct gh_rm_mem_share_args args = {
		.mem_type = GH_RM_MEM_TYPE_NORMAL,
		.flags = GH_RM_MEM_SHARE_FLAG_SANITIZE,
		.label = 1,
		.acl = acl,
		.n_acl = 2,
		.mem = mem,
		.n_mem = 1,
	};
	struct gh_rm_mem_share_req req;
	struct gh_rm_acl_entry ae;
	struct gh_rm_mem_entry me;
	u8 b[64];
	int len;

	make_mem(mem, 1);
	len = gh_rm_enc_mem_share_req(b, sizeof(b), &args);
	g_assert_cmpint(len, ==, 8 + 4 + 8 + 4 + 16 + 4);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.flags, ==, GH_RM_MEM_SHARE_FLAG_SANITIZE);
	g_assert_cmpint(req.label, ==, 1);
	g_assert_cmpint(req.acl.n, ==, 2);
	g_assert_cmpint(gh_rm_acl_get(&req.acl, 0, &ae), ==, 0);
	g_assert_cmpint(ae.vmid, ==, 0x81);
	g_assert_cmpint(ae.perms, ==, 6);
	g_assert_cmpint(gh_rm_acl_get(&req.acl, 1, &ae), ==, 0);
	g_assert_cmpint(ae.vmid, ==, 3);
	g_assert_cmpint(ae.perms, ==, 7);
	g_assert_cmpint(gh_rm_mem_get(&req.mem, 0, &me), ==, 0);
	g_assert_cmphex(me.ipa_base, ==, mem[0].ipa_base);
}

static void test_mem_share_encode_errors(void)
{
	struct gh_rm_acl_entry acl[256];
	struct gh_rm_mem_entry mem[1];
	struct gh_rm_mem_share_args args = {
		.acl = acl, .n_acl = 1, .mem = mem, .n_mem = 1,
	};
	static u8 b[4096];

	memset(acl, 0, sizeof(acl));
	make_mem(mem, 1);
	acl[0].perms = GH_RM_ACL_RWX;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), >, 0);
	args.mem_type = 2;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==, -EINVAL);
	args.mem_type = GH_RM_MEM_TYPE_IO;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), >, 0);
	args.flags = 4;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==, -EINVAL);
	args.flags = 0;
	acl[0].perms = 8;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==, -EINVAL);
	acl[0].perms = GH_RM_ACL_R;
	args.n_acl = 256;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==, -EINVAL);
	args.n_acl = 255;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==,
			gh_rm_mem_share_req_len(255, 1));
	args.acl = NULL;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==, -EINVAL);
	/* empty lists are representable (the RM rejects them, not the codec) */
	args.n_acl = 0;
	args.n_mem = 0;
	args.mem = NULL;
	g_assert_cmpint(gh_rm_enc_mem_share_req(b, sizeof(b), &args), ==, 20);
}

/* Forge a MEM_LEND payload by hand with given list counts and entries present */
static size_t forge_share(u8 *b, u16 n_acl, size_t acl_have, u16 n_mem, size_t mem_have,
			  int attr_count)
{
	size_t off = 8;

	memset(b, 0, 8);
	gh_rm_put_le32(b + 4, 0x77);
	gh_rm_put_le32(b + off, n_acl);
	off += 4;
	memset(b + off, 0x03, acl_have * 4);
	off += acl_have * 4;
	gh_rm_put_le32(b + off, n_mem);
	off += 4;
	memset(b + off, 0x10, mem_have * 16);
	off += mem_have * 16;
	if (attr_count >= 0) {
		gh_rm_put_le32(b + off, (u32)attr_count);
		off += 4;
		memset(b + off, 0, (size_t)attr_count * 4);
		off += (size_t)attr_count * 4;
	}
	return off;
}

static void test_mem_share_decode_errors(void)
{
	static u8 b[20000];
	struct gh_rm_mem_share_req req = { .label = 1 };
	struct gh_rm_attr_entry at;
	size_t len;

	len = forge_share(b, 1, 1, 2, 2, 0);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.label, ==, 0x77);
	/* trailing bytes */
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len + 1, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len + 4, &req), ==, -EBADMSG);
	/* truncated attribute header, truncated memory entry */
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len - 1, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len - 5, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, 7, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, 0, &req), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, 10, &req), ==, -EBADMSG);	/* ACL hdr */
	/* absent lists read as empty, as the RM reads them */
	req.label = 0;
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, 8, &req), ==, 0);
	g_assert_cmpint(req.label, ==, 0x77);
	g_assert_cmpint(req.acl.n + req.mem.n + req.attr.n, ==, 0);
	len = forge_share(b, 1, 1, 2, 2, -1);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.mem.n, ==, 2);
	g_assert_cmpint(req.attr.n, ==, 0);

	/* counts above 512: -E2BIG even before the entries must fit */
	len = forge_share(b, 513, 0, 0, 0, -1);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, -E2BIG);
	len = forge_share(b, 1, 1, 513, 0, -1);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, -E2BIG);
	len = forge_share(b, 1, 1, 513, 513, 0);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, -E2BIG);
	len = forge_share(b, 1, 1, 512, 512, 0);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.mem.n, ==, 512);
	len = forge_share(b, 512, 512, 1, 1, 0);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.acl.n, ==, 512);
	len = forge_share(b, 1, 1, 1, 1, 513);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, -E2BIG);
	/* entries short of the count */
	len = forge_share(b, 3, 1, 0, 0, -1);	/* 12 bytes of ACL wanted, 8 left */
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, -EBADMSG);
	len = forge_share(b, 2, 1, 0, 0, -1);	/* the memory list header reads as ACL */
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.acl.n, ==, 2);
	g_assert_cmpint(req.mem.n, ==, 0);
	len = forge_share(b, 1, 1, 3, 2, -1);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, -EBADMSG);

	/* attributes, when present, are decoded */
	len = forge_share(b, 1, 1, 1, 1, 2);
	gh_rm_put_le16(b + len - 4, GH_RM_MEM_ATTR_UNCACHED);
	gh_rm_put_le16(b + len - 2, 0x80);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.attr.n, ==, 2);
	g_assert_cmpint(gh_rm_attr_get(&req.attr, 1, &at), ==, 0);
	g_assert_cmpint(at.attr, ==, GH_RM_MEM_ATTR_UNCACHED);
	g_assert_cmpint(at.vmid, ==, 0x80);
	g_assert_cmpint(gh_rm_attr_get(&req.attr, 2, &at), ==, -EINVAL);
}

/* Push one payload through the packet layer and back, as client and RM would */
static void roundtrip_payload(const u8 *p, size_t len, u32 id)
{
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;

	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_SERVER);
	g_assert_cmpint(send_message(&r, GH_RM_TYPE_REQUEST, 1, id, p, len, &msg), ==, 1);
	g_assert_cmpmem(msg.payload, msg.len, p, len);
}

static void check_split(size_t total)
{
	static const struct gh_rm_acl_entry acl[1] = { { .vmid = 0x80, .perms = 7 } };
	static struct gh_rm_mem_entry mem[2000];
	static u8 b[GH_RM_MSG_MAX_SEND];
	struct gh_rm_mem_share_args args = {
		.acl = acl, .n_acl = 1, .mem = mem, .n_mem = total,
	};
	struct gh_rm_mem_share_req req;
	struct gh_rm_mem_append_req app;
	struct gh_rm_mem_entry me;
	size_t nchunks, chunk, seen = 0, i;
	int len;

	g_assert_cmpuint(total, <=, G_N_ELEMENTS(mem));
	make_mem(mem, total);
	nchunks = gh_rm_mem_nchunks(total);
	g_assert_cmpuint(nchunks, ==, total <= 512 ? 1 : (total + 511) / 512);

	len = gh_rm_enc_mem_share_req(b, sizeof(b), &args);
	g_assert_cmpint(len, >, 0);
	g_assert_cmpint(len, <=, GH_RM_MSG_MAX_SEND);
	roundtrip_payload(b, len, GH_RM_MEM_LEND);
	g_assert_cmpint(gh_rm_dec_mem_share_req(b, len, &req), ==, 0);
	g_assert_cmpint(req.mem.n, ==, total < 512 ? total : 512);
	g_assert_cmpint(!!(req.flags & GH_RM_MEM_SHARE_FLAG_APPEND), ==, nchunks > 1);
	for (i = 0; i < req.mem.n; i++, seen++) {
		g_assert_cmpint(gh_rm_mem_get(&req.mem, i, &me), ==, 0);
		g_assert_cmphex(me.ipa_base, ==, mem[seen].ipa_base);
		g_assert_cmphex(me.size, ==, mem[seen].size);
	}

	for (chunk = 1; chunk < nchunks; chunk++) {
		len = gh_rm_enc_mem_append_req(b, sizeof(b), 0xABC, mem, total, chunk);
		g_assert_cmpint(len, >, 0);
		roundtrip_payload(b, len, GH_RM_MEM_APPEND);
		g_assert_cmpint(gh_rm_dec_mem_append_req(b, len, &app), ==, 0);
		g_assert_cmphex(app.mem_handle, ==, 0xABC);
		g_assert_cmpint(app.flags, ==,
				chunk == nchunks - 1 ? GH_RM_MEM_APPEND_FLAG_END : 0);
		g_assert_cmpint(app.mem.n, >, 0);
		g_assert_cmpint(app.mem.n, <=, 512);
		for (i = 0; i < app.mem.n; i++, seen++) {
			g_assert_cmpint(gh_rm_mem_get(&app.mem, i, &me), ==, 0);
			g_assert_cmphex(me.ipa_base, ==, mem[seen].ipa_base);
			g_assert_cmphex(me.size, ==, mem[seen].size);
		}
	}
	g_assert_cmpuint(seen, ==, total);
	g_assert_cmpint(gh_rm_enc_mem_append_req(b, sizeof(b), 1, mem, total, 0), ==, -EINVAL);
	g_assert_cmpint(gh_rm_enc_mem_append_req(b, sizeof(b), 1, mem, total, nchunks), ==,
			-EINVAL);
}

static void test_mem_share_1000(void)
{
	static const size_t totals[] = { 1, 511, 512, 513, 1000, 1024, 1025, 2000 };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(totals); i++)
		check_split(totals[i]);
	g_assert_cmpuint(gh_rm_mem_nchunks(0), ==, 1);
	g_assert_cmpuint(gh_rm_mem_nchunks(1000), ==, 2);
	g_assert_cmpuint(gh_rm_mem_nchunks(1536), ==, 3);
	g_assert_cmpuint(gh_rm_mem_nchunks(1537), ==, 4);
}

static void test_mem_append(void)
{
	static struct gh_rm_mem_entry mem[513];
	static u8 b[GH_RM_MSG_MAX_SEND];
	struct gh_rm_mem_append_req app = { 0 };
	int len;

	make_mem(mem, 513);
	len = gh_rm_enc_mem_append_slice(b, sizeof(b), 0x10, GH_RM_MEM_APPEND_FLAG_END, mem, 2);
	g_assert_cmpint(len, ==, 8 + 4 + 32);
	g_assert_cmpint(len, ==, gh_rm_mem_append_req_len(2));
	g_assert_cmphex(gh_rm_get_le32(b), ==, 0x10);
	g_assert_cmphex(b[4], ==, 1);
	g_assert_cmphex(gh_rm_get_le16(b + 8), ==, 2);
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, len, &app), ==, 0);
	g_assert_cmpint(app.mem.n, ==, 2);
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, len - 1, &app), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, len + 4, &app), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, 7, &app), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, 10, &app), ==, -EBADMSG);
	/* header only: an empty list (the RM answers ARGUMENT_INVALID) */
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, 8, &app), ==, 0);
	g_assert_cmpint(app.mem.n, ==, 0);

	g_assert_cmpint(gh_rm_enc_mem_append_slice(b, sizeof(b), 1, 0, mem, 512), ==,
			8 + 4 + 512 * 16);
	g_assert_cmpint(gh_rm_enc_mem_append_slice(b, sizeof(b), 1, 0, mem, 513), ==, -E2BIG);
	g_assert_cmpint(gh_rm_enc_mem_append_slice(b, sizeof(b), 1, 2, mem, 1), ==, -EINVAL);
	g_assert_cmpint(gh_rm_enc_mem_append_slice(b, sizeof(b), 1, 0, NULL, 1), ==, -EINVAL);
	g_assert_cmpint(gh_rm_enc_mem_append_slice(b, 8 + 4 + 15, 1, 0, mem, 1), ==, -ENOSPC);

	gh_rm_put_le16(b + 8, 513);
	g_assert_cmpint(gh_rm_dec_mem_append_req(b, 8 + 4 + 513 * 16, &app), ==, -E2BIG);
}

static void test_mem_handle_reply(void)
{
	u8 b[5];
	u32 h = 0;

	g_assert_cmpint(gh_rm_enc_mem_handle_reply(b, sizeof(b), 0xCAFEF00D), ==, 4);
	g_assert_cmphex(b[0], ==, 0x0D);
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(b, 4, &h), ==, 0);
	g_assert_cmphex(h, ==, 0xCAFEF00D);
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(b, 3, &h), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(b, 5, &h), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(b, 0, &h), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_mem_handle_reply(b, 3, 1), ==, -ENOSPC);
}

static void test_mem_reclaim(void)
{
	static const u8 want[8] = { 0x04, 0x03, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00 };
	struct gh_rm_mem_reclaim_req req = { .mem_handle = 0x01020304, .flags = 1 };
	struct gh_rm_mem_reclaim_req out = { 0 };
	u8 b[8];

	g_assert_cmpint(gh_rm_enc_mem_reclaim_req(b, sizeof(b), &req), ==, 8);
	g_assert_cmpmem(b, 8, want, 8);
	g_assert_cmpint(gh_rm_dec_mem_reclaim_req(b, 8, &out), ==, 0);
	g_assert_cmphex(out.mem_handle, ==, 0x01020304);
	g_assert_cmpint(out.flags, ==, 1);
	g_assert_cmpint(gh_rm_dec_mem_reclaim_req(b, 7, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_mem_reclaim_req(b, 9, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_mem_reclaim_req(b, 7, &req), ==, -ENOSPC);
	req.flags = 2;
	g_assert_cmpint(gh_rm_enc_mem_reclaim_req(b, sizeof(b), &req), ==, -EINVAL);
}

/* ---------------------------------------------------------------------------
 * Notifications
 */
static void test_notif_vm_status(void)
{
	static const u8 want[8] = { 0x82, 0x00, 0x00, 0x00, 0x0B, 0x04, 0x34, 0x12 };
	struct gh_rm_vm_status st = {
		.vmid = 0x82, .vm_status = GH_RM_VM_STATE_RESET,
		.os_status = GH_RM_OS_STATUS_RUN, .app_status = 0x1234,
	};
	struct gh_rm_vm_status out = { 0 };
	u8 b[8];

	g_assert_cmpint(gh_rm_enc_vm_status(b, sizeof(b), &st), ==, 8);
	g_assert_cmpmem(b, 8, want, 8);
	b[2] = 0xFF;		/* reserved is ignored */
	g_assert_cmpint(gh_rm_dec_vm_status(b, 8, &out), ==, 0);
	g_assert_cmpmem(&out, sizeof(out), &st, sizeof(st));
	g_assert_cmpint(gh_rm_dec_vm_status(b, 7, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_status(b, 9, &out), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_vm_status(b, 7, &st), ==, -ENOSPC);
}

static void test_notif_vm_exited(void)
{
	static u8 b[GH_RM_MSG_MAX_SEND + 8];
	const u8 reason[4] = { 0x01, 0x00, 0x02, 0x00 };	/* RESTART | UNKNOWN_ERROR << 16 */
	struct gh_rm_vm_exited ex = { 0 };

	g_assert_cmpint(gh_rm_enc_vm_exited(b, sizeof(b), 0x80, GH_RM_EXIT_TYPE_VM_EXIT, reason, 4),
			==, 12);
	g_assert_cmphex(gh_rm_get_le16(b), ==, 0x80);
	g_assert_cmphex(gh_rm_get_le16(b + 2), ==, 0);
	g_assert_cmphex(gh_rm_get_le32(b + 4), ==, 4);
	g_assert_cmpint(gh_rm_dec_vm_exited(b, 12, &ex), ==, 0);
	g_assert_cmpint(ex.vmid, ==, 0x80);
	g_assert_cmpint(ex.exit_type, ==, GH_RM_EXIT_TYPE_VM_EXIT);
	g_assert_cmpint(ex.exit_reason_size, ==, 4);
	g_assert_true(ex.exit_reason == b + 8);
	g_assert_cmphex(gh_rm_get_le32(ex.exit_reason) >> 16, ==, GH_RM_EXIT_CODE_UNKNOWN_ERROR);
	g_assert_cmpint(gh_rm_dec_vm_exited(b, 11, &ex), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_exited(b, 13, &ex), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_exited(b, 7, &ex), ==, -EBADMSG);
	gh_rm_put_le32(b + 4, 0xFFFFFFFF);
	g_assert_cmpint(gh_rm_dec_vm_exited(b, 12, &ex), ==, -EBADMSG);

	g_assert_cmpint(gh_rm_enc_vm_exited(b, sizeof(b), 0x81, GH_RM_EXIT_TYPE_VM_STOP_FORCED,
					    NULL, 0), ==, 8);
	g_assert_cmpint(gh_rm_dec_vm_exited(b, 8, &ex), ==, 0);
	g_assert_cmpint(ex.exit_type, ==, 7);
	g_assert_cmpint(ex.exit_reason_size, ==, 0);
	g_assert_cmpint(gh_rm_enc_vm_exited(b, 11, 0x81, 0, reason, 4), ==, -ENOSPC);
	g_assert_cmpint(gh_rm_enc_vm_exited(b, 7, 0x81, 0, NULL, 0), ==, -ENOSPC);
	g_assert_cmpint(gh_rm_enc_vm_exited(b, sizeof(b), 0x81, 0, NULL, 4), ==, -EINVAL);
	g_assert_cmpint(gh_rm_enc_vm_exited(b, sizeof(b), 0x81, 0, b, GH_RM_MSG_MAX_SEND - 7),
			==, -E2BIG);
}

static void test_notif_vm_shutdown(void)
{
	u8 b[4];
	u32 reason = 0;

	g_assert_cmpint(gh_rm_enc_vm_shutdown(b, 4, 0x11223344), ==, 4);
	g_assert_cmphex(b[0], ==, 0x44);
	g_assert_cmpint(gh_rm_dec_vm_shutdown(b, 4, &reason), ==, 0);
	g_assert_cmphex(reason, ==, 0x11223344);
	g_assert_cmpint(gh_rm_dec_vm_shutdown(b, 3, &reason), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_vm_shutdown(b, 5, &reason), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_enc_vm_shutdown(b, 3, 1), ==, -ENOSPC);
}

/* ---------------------------------------------------------------------------
 * Console
 */
static void test_console_req(void)
{
	u8 b[8];
	u16 vmid = 0;

	/* the RM's vm_console_open_req_t: {vmid_t target; uint16_t res0} */
	memset(b, 0xAA, sizeof(b));
	g_assert_cmpint(gh_rm_enc_console_req(b, sizeof(b), 0x81), ==, GH_RM_CONSOLE_REQ_SIZE);
	g_assert_cmphex(b[0], ==, 0x81);
	g_assert_cmphex(b[1], ==, 0x00);
	g_assert_cmphex(b[2], ==, 0x00);
	g_assert_cmphex(b[3], ==, 0x00);
	g_assert_cmphex(b[4], ==, 0xAA);
	g_assert_cmpint(gh_rm_dec_console_req(b, 4, &vmid), ==, 0);
	g_assert_cmphex(vmid, ==, 0x81);
	/* the RM answers MSG_INVALID unless the length is exactly 4 */
	vmid = 7;
	g_assert_cmpint(gh_rm_dec_console_req(b, 3, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_console_req(b, 5, &vmid), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_console_req(b, 0, &vmid), ==, -EBADMSG);
	g_assert_cmpuint(vmid, ==, 7);
	g_assert_cmpint(gh_rm_enc_console_req(b, 3, 1), ==, -ENOSPC);
	/* replies are standard: nothing after the err_code */
	g_assert_cmpint(gh_rm_dec_empty(0), ==, 0);
	g_assert_cmpint(gh_rm_dec_empty(1), ==, -EBADMSG);
}

static void test_console_chars(void)
{
	static u8 big[GH_RM_MSG_MAX_SEND + 8], out[GH_RM_MSG_MAX_SEND + 8];
	struct gh_rm_console_chars c = { 0 };
	const u8 text[] = { 'h', 'i', 0xff, 0xc3, 0x28, '\n' };	/* not UTF-8 on purpose */
	u8 b[16];
	size_t n;

	g_assert_cmpint(gh_rm_enc_console_chars(b, sizeof(b), 0x80, text, sizeof(text)), ==,
			4 + (int)sizeof(text));
	g_assert_cmphex(gh_rm_get_le16(b), ==, 0x80);
	g_assert_cmphex(gh_rm_get_le16(b + 2), ==, sizeof(text));
	g_assert_cmpmem(b + 4, sizeof(text), text, sizeof(text));
	g_assert_cmpint(gh_rm_dec_console_chars(b, 4 + sizeof(text), &c), ==, 0);
	g_assert_cmphex(c.vmid, ==, 0x80);
	g_assert_cmpuint(c.num_bytes, ==, sizeof(text));
	g_assert_true(c.bytes == b + 4);

	/* empty: valid both ways */
	g_assert_cmpint(gh_rm_enc_console_chars(b, 4, 0, NULL, 0), ==, 4);
	g_assert_cmpint(gh_rm_dec_console_chars(b, 4, &c), ==, 0);
	g_assert_cmpuint(c.num_bytes, ==, 0);

	/* length must be 4 + num_bytes exactly */
	c.vmid = 0x1234;
	g_assert_cmpint(gh_rm_enc_console_chars(b, sizeof(b), 0x80, text, 3), ==, 7);
	g_assert_cmpint(gh_rm_dec_console_chars(b, 6, &c), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_console_chars(b, 8, &c), ==, -EBADMSG);
	g_assert_cmpint(gh_rm_dec_console_chars(b, 3, &c), ==, -EBADMSG);
	g_assert_cmphex(c.vmid, ==, 0x1234);

	/* encoder limits */
	g_assert_cmpint(gh_rm_enc_console_chars(b, sizeof(b), 0x80, NULL, 1), ==, -EINVAL);
	g_assert_cmpint(gh_rm_enc_console_chars(b, 6, 0x80, text, 3), ==, -ENOSPC);
	g_assert_cmpint(gh_rm_enc_console_chars(b, 3, 0x80, NULL, 0), ==, -ENOSPC);
	memset(big, 'x', sizeof(big));
	n = GH_RM_CONSOLE_MAX_BYTES;
	g_assert_cmpint(gh_rm_enc_console_chars(out, sizeof(out), 0x80, big, n), ==,
			GH_RM_MSG_MAX_SEND);
	g_assert_cmpint(gh_rm_msg_npackets(GH_RM_MSG_MAX_SEND), ==, GH_RM_MAX_FRAGMENTS);
	g_assert_cmpint(gh_rm_dec_console_chars(out, GH_RM_MSG_MAX_SEND, &c), ==, 0);
	g_assert_cmpuint(c.num_bytes, ==, n);
	g_assert_cmpint(gh_rm_enc_console_chars(out, sizeof(out), 0x80, big, n + 1), ==, -E2BIG);
	/* one packet holds 228 bytes */
	g_assert_cmpint(gh_rm_msg_npackets(4 + GH_RM_CONSOLE_PACKET_BYTES), ==, 1);
	g_assert_cmpint(gh_rm_msg_npackets(5 + GH_RM_CONSOLE_PACKET_BYTES), ==, 2);
}

/* A CHARS notification of 1000 bytes crosses the reassembler intact */
static void test_console_chars_reasm(void)
{
	u8 text[1000], payload[1004];
	struct gh_rm_console_chars c;
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	int len;

	fill_pattern(text, sizeof(text), 12);
	len = gh_rm_enc_console_chars(payload, sizeof(payload), 0x81, text, sizeof(text));
	g_assert_cmpint(len, ==, 1004);
	gh_rm_reasm_init(&r, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_CLIENT);
	g_assert_cmpint(send_message(&r, GH_RM_TYPE_NOTIFICATION, 9, GH_RM_NOTIF_VM_CONSOLE_CHARS,
				     payload, (size_t)len, &msg), ==, 1);
	g_assert_cmphex(msg.msg_id, ==, GH_RM_NOTIF_VM_CONSOLE_CHARS);
	g_assert_cmpint(gh_rm_dec_console_chars(msg.payload, msg.len, &c), ==, 0);
	g_assert_cmphex(c.vmid, ==, 0x81);
	g_assert_cmpmem(c.bytes, c.num_bytes, text, sizeof(text));
}

/* ---------------------------------------------------------------------------
 * Errors and names
 */
static void test_error_to_errno(void)
{
	static const struct {
		u32 err;
		int errnum;
		const char *name;
	} tab[] = {
		{ 0x0, 0, "OK" },
		{ 0xFFFFFFFF, -EOPNOTSUPP, "UNIMPLEMENTED" },
		{ 0x1, -ENOMEM, "NOMEM" },
		{ 0x2, -ENODEV, "NORESOURCE" },
		{ 0x3, -EPERM, "DENIED" },
		{ 0x4, -EINVAL, "MSG_INVALID" },
		{ 0x5, -EBUSY, "BUSY" },
		{ 0x6, -EINVAL, "ARGUMENT_INVALID" },
		{ 0x7, -EINVAL, "HANDLE_INVALID" },
		{ 0x8, -EINVAL, "VALIDATE_FAILED" },
		{ 0x9, -EINVAL, "MAP_FAILED" },
		{ 0xA, -EINVAL, "MEM_INVALID" },
		{ 0xB, -EINVAL, "MEM_INUSE" },
		{ 0xC, -EINVAL, "MEM_RELEASED" },
		{ 0xD, -EINVAL, "VMID_INVALID" },
		{ 0xE, -EINVAL, "LOOKUP_FAILED" },
		{ 0xF, -EINVAL, "IRQ_INVALID" },
		{ 0x10, -EINVAL, "IRQ_INUSE" },
		{ 0x11, -EINVAL, "IRQ_RELEASED" },
		{ 0x12, -EBADMSG, "IN_USE" },
		{ 0x13, -EBADMSG, "IRQ_NOT_MAPPED" },
		{ 0x14, -EBADMSG, "VM_STATE" },
		{ 0x15, -EBADMSG, "UNKNOWN" },
		{ 0x100, -EBADMSG, "UNKNOWN" },
		{ 0xFFFFFFFE, -EBADMSG, "UNKNOWN" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(tab); i++) {
		g_assert_cmpint(gh_rm_error_to_errno(tab[i].err), ==, tab[i].errnum);
		g_assert_cmpstr(gh_rm_error_name(tab[i].err), ==, tab[i].name);
	}
	g_assert_cmpint(GH_RM_ERROR_VM_STATE, ==, 0x14);
	g_assert_cmpint(GH_RM_ERROR_NORESOURCE, ==, 2);
}

static void test_names(void)
{
	static const struct {
		u32 id;
		const char *name;
	} msgs[] = {
		{ GH_RM_VM_ALLOCATE, "VM_ALLOCATE" },
		{ GH_RM_VM_DEALLOCATE, "VM_DEALLOCATE" },
		{ GH_RM_VM_START, "VM_START" },
		{ GH_RM_VM_STOP, "VM_STOP" },
		{ GH_RM_VM_RESET, "VM_RESET" },
		{ GH_RM_VM_CONFIG_IMAGE, "VM_CONFIG_IMAGE" },
		{ GH_RM_VM_INIT, "VM_INIT" },
		{ GH_RM_VM_GET_HYP_RESOURCES, "VM_GET_HYP_RESOURCES" },
		{ GH_RM_VM_GET_VMID, "VM_GET_VMID" },
		{ GH_RM_MEM_LEND, "MEM_LEND" },
		{ GH_RM_MEM_SHARE, "MEM_SHARE" },
		{ GH_RM_MEM_RECLAIM, "MEM_RECLAIM" },
		{ GH_RM_MEM_APPEND, "MEM_APPEND" },
		{ GH_RM_NOTIF_VM_STATUS, "NOTIFY_VM_STATUS" },
		{ GH_RM_NOTIF_VM_EXITED, "NOTIFY_VM_EXITED" },
		{ GH_RM_NOTIF_VM_SHUTDOWN, "NOTIFY_VM_SHUTDOWN" },
		{ GH_RM_VM_CONSOLE_OPEN, "VM_CONSOLE_OPEN" },
		{ GH_RM_VM_CONSOLE_CLOSE, "VM_CONSOLE_CLOSE" },
		{ GH_RM_VM_CONSOLE_WRITE, "VM_CONSOLE_WRITE" },
		{ GH_RM_VM_CONSOLE_FLUSH, "VM_CONSOLE_FLUSH" },
		{ GH_RM_NOTIF_VM_CONSOLE_CHARS, "NOTIFY_VM_CONSOLE_CHARS" },
		{ 0x56000085, "UNKNOWN" },
		{ 0, "UNKNOWN" },
		{ 0x56000003, "UNKNOWN" },
	};
	static const char *const states[] = {
		"NONE", "INIT", "READY", "RUNNING", "PAUSED", "LOAD", "AUTH", "UNKNOWN",
		"INIT_FAILED", "EXITED", "RESETTING", "RESET", "UNKNOWN",
	};
	static const char *const exits[] = {
		"VM_EXIT", "PLATFORM_OFF", "PLATFORM_RESET", "PSCI_SYSTEM_RESET2",
		"WATCHDOG_BITE", "SOFTWARE_ERROR", "ASYNC_HW_ERROR", "VM_STOP_FORCED", "UNKNOWN",
	};
	size_t i, j;

	/* ids are the wire numbers of the reference catalogue */
	g_assert_cmphex(GH_RM_VM_ALLOCATE, ==, 0x56000001);
	g_assert_cmphex(GH_RM_VM_CONFIG_IMAGE, ==, 0x56000009);
	g_assert_cmphex(GH_RM_VM_INIT, ==, 0x5600000B);
	g_assert_cmphex(GH_RM_VM_GET_HYP_RESOURCES, ==, 0x56000020);
	g_assert_cmphex(GH_RM_VM_GET_VMID, ==, 0x56000024);
	g_assert_cmphex(GH_RM_MEM_LEND, ==, 0x51000012);
	g_assert_cmphex(GH_RM_MEM_APPEND, ==, 0x51000018);
	g_assert_cmphex(GH_RM_NOTIF_VM_STATUS, ==, 0x56100008);

	for (i = 0; i < G_N_ELEMENTS(msgs); i++)
		g_assert_cmpstr(gh_rm_msg_name(msgs[i].id), ==, msgs[i].name);
	for (i = 0; i < G_N_ELEMENTS(states); i++)
		g_assert_cmpstr(gh_rm_vm_state_name(i), ==, states[i]);
	for (i = 0; i < G_N_ELEMENTS(exits); i++)
		g_assert_cmpstr(gh_rm_exit_type_name(i), ==, exits[i]);
	g_assert_cmpstr(gh_rm_msg_type_name(0), ==, "CONTINUATION");
	g_assert_cmpstr(gh_rm_msg_type_name(3), ==, "NOTIFICATION");
	g_assert_cmpstr(gh_rm_msg_type_name(4), ==, "UNKNOWN");

	/* every drop reason has its own name */
	for (i = 0; i < GH_RM_DROP_MAX; i++) {
		g_assert_cmpstr(gh_rm_drop_name(i), !=, "unknown");
		for (j = 0; j < i; j++)
			g_assert_cmpstr(gh_rm_drop_name(i), !=, gh_rm_drop_name(j));
	}
	g_assert_cmpstr(gh_rm_drop_name(GH_RM_DROP_MAX), ==, "unknown");
}

/* Packets of a MEM_LEND/SHARE (msg 0) or MEM_APPEND carrying k entries */
static size_t plan_pkts(size_t n_acl, size_t msg, size_t k)
{
	return (size_t)gh_rm_msg_npackets(msg ? gh_rm_mem_append_req_len(k) :
					  gh_rm_mem_share_req_len(n_acl, k));
}

/*
 * gh_rm_mem_plan() against every split: best[j][r] is the fewest packets of
 * j MEM_APPENDs carrying r entries, each 1..512; the plan must use the
 * fewest messages and reach the minimum over the first message's count.
 */
static void test_mem_plan(void)
{
	enum { MAXM = 4, MAXN = MAXM * GH_RM_MAX_MEM_ENTRIES };
	static size_t best[MAXM][MAXN + 1];
	u16 counts[MAXM];
	size_t n_acl, n, m, j, r, k, min, total, sum, i;

	for (r = 0; r <= MAXN; r++)
		best[0][r] = r ? SIZE_MAX : 0;
	for (j = 1; j < MAXM; j++)
		for (r = 0; r <= MAXN; r++) {
			best[j][r] = SIZE_MAX;
			for (k = 1; k <= GH_RM_MAX_MEM_ENTRIES && k <= r; k++)
				if (best[j - 1][r - k] != SIZE_MAX &&
				    plan_pkts(0, 1, k) + best[j - 1][r - k] < best[j][r])
					best[j][r] = plan_pkts(0, 1, k) + best[j - 1][r - k];
		}

	for (n_acl = 1; n_acl <= 3; n_acl++)
		for (n = 1; n <= MAXN; n++) {
			m = gh_rm_mem_nchunks(n);
			min = SIZE_MAX;
			for (k = 1; k <= GH_RM_MAX_MEM_ENTRIES && k <= n; k++)
				if (best[m - 1][n - k] != SIZE_MAX &&
				    plan_pkts(n_acl, 0, k) + best[m - 1][n - k] < min)
					min = plan_pkts(n_acl, 0, k) + best[m - 1][n - k];
			total = gh_rm_mem_plan(n_acl, n, counts);
			for (i = 0, sum = 0, r = 0; i < m; i++) {
				g_assert_cmpuint(counts[i], >=, 1);
				g_assert_cmpuint(counts[i], <=, GH_RM_MAX_MEM_ENTRIES);
				sum += counts[i];
				r += plan_pkts(n_acl, i, counts[i]);
			}
			g_assert_cmpuint(sum, ==, n);
			g_assert_cmpuint(r, ==, total);
			if (total != min)
				g_error("n_acl %zu n_mem %zu: %zu packets, best %zu", n_acl, n,
					total, min);
		}

	/* the figures docs/kmod.md quotes, one VM in the ACL */
	g_assert_cmpuint(gh_rm_mem_plan(1, 32, counts), ==, 3);
	g_assert_cmpuint(gh_rm_mem_plan(1, 512, counts), ==, 36);
	/* 513 entries: 2 messages either way, 36 packets instead of 36 + 1 */
	g_assert_cmpuint(gh_rm_mem_plan(1, 513, counts), ==, 36);
	g_assert_cmpuint(counts[0] + counts[1], ==, 513);
	g_assert_cmpuint(gh_rm_mem_plan(1, 1200, counts), ==, 83);
	g_assert_cmpuint(gh_rm_mem_plan(1, 0, counts), ==, 1);
	g_assert_cmpuint(counts[0], ==, 0);
}

static void test_constants(void)
{
	g_assert_cmpint(GH_RM_VMID_HLOS, ==, 3);
	g_assert_cmpint(GH_RM_VMID_DYNAMIC_FIRST, ==, 0x80);
	g_assert_cmpint(GH_RM_VMID_DYNAMIC_LAST, ==, 0xBE);
	g_assert_cmpint(GH_RM_VMID_DYNAMIC_COUNT, ==, 63);
	g_assert_cmpint(GH_RM_VMID_RM, ==, 0xFF);
	g_assert_cmpint(GH_RM_VM_STATE_RESET, ==, 11);
	g_assert_cmpint(GH_RM_VM_STATE_INIT_FAILED, ==, 8);
	g_assert_cmpint(GH_RM_VM_STATE_LOAD, ==, 5);
	g_assert_cmpint(GH_RM_ACL_R | GH_RM_ACL_X, ==, 5);
	g_assert_cmpint(GH_RM_PACKET_MAX, ==, GH_RM_HDR_SIZE + GH_RM_PAYLOAD_MAX);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/rm-wire/le/helpers", test_le_helpers);
	g_test_add_func("/rm-wire/hdr/encode", test_hdr_encode);
	g_test_add_func("/rm-wire/hdr/decode", test_hdr_decode);
	g_test_add_func("/rm-wire/frag/counts", test_frag_counts);
	g_test_add_func("/rm-wire/frag/packets", test_frag_packets);
	g_test_add_func("/rm-wire/frag/zero-length", test_frag_zero_length);
	g_test_add_func("/rm-wire/frag/errors", test_frag_errors);
	g_test_add_func("/rm-wire/frag/reply", test_frag_reply);
	g_test_add_func("/rm-wire/reasm/roundtrip", test_reasm_roundtrip);
	g_test_add_func("/rm-wire/reasm/reply-encoder", test_reasm_reply_encoder);
	g_test_add_func("/rm-wire/reasm/max-recv", test_reasm_max_recv);
	g_test_add_func("/rm-wire/reasm/bad-packets", test_reasm_bad_packets);
	g_test_add_func("/rm-wire/reasm/bad-packet-keeps-partial",
			test_reasm_bad_packet_keeps_partial);
	g_test_add_func("/rm-wire/reasm/type-filter", test_reasm_type_filter);
	g_test_add_func("/rm-wire/reasm/orphan", test_reasm_orphan);
	g_test_add_func("/rm-wire/reasm/mismatch", test_reasm_mismatch);
	g_test_add_func("/rm-wire/reasm/new-aborts-partial", test_reasm_new_aborts_partial);
	g_test_add_func("/rm-wire/reasm/overflow", test_reasm_overflow);
	g_test_add_func("/rm-wire/reasm/reply-short", test_reasm_reply_short);
	g_test_add_func("/rm-wire/payload/vmid-req", test_payload_vmid_req);
	g_test_add_func("/rm-wire/payload/vm-alloc-reply", test_payload_vm_alloc_reply);
	g_test_add_func("/rm-wire/payload/get-vmid-reply", test_payload_get_vmid_reply);
	g_test_add_func("/rm-wire/payload/vm-stop", test_payload_vm_stop);
	g_test_add_func("/rm-wire/payload/config-image", test_payload_config_image);
	g_test_add_func("/rm-wire/payload/hyp-resources", test_payload_hyp_resources);
	g_test_add_func("/rm-wire/mem/share-layout", test_mem_share_layout);
	g_test_add_func("/rm-wire/mem/share-two-acl", test_mem_share_two_acl);
	g_test_add_func("/rm-wire/mem/share-encode-errors", test_mem_share_encode_errors);
	g_test_add_func("/rm-wire/mem/share-decode-errors", test_mem_share_decode_errors);
	g_test_add_func("/rm-wire/mem/share-1000-append", test_mem_share_1000);
	g_test_add_func("/rm-wire/mem/append", test_mem_append);
	g_test_add_func("/rm-wire/mem/handle-reply", test_mem_handle_reply);
	g_test_add_func("/rm-wire/mem/reclaim", test_mem_reclaim);
	g_test_add_func("/rm-wire/notif/vm-status", test_notif_vm_status);
	g_test_add_func("/rm-wire/notif/vm-exited", test_notif_vm_exited);
	g_test_add_func("/rm-wire/notif/vm-shutdown", test_notif_vm_shutdown);
	g_test_add_func("/rm-wire/console/req", test_console_req);
	g_test_add_func("/rm-wire/console/chars", test_console_chars);
	g_test_add_func("/rm-wire/console/chars-reasm", test_console_chars_reasm);
	g_test_add_func("/rm-wire/error/to-errno", test_error_to_errno);
	g_test_add_func("/rm-wire/names", test_names);
	g_test_add_func("/rm-wire/constants", test_constants);
	g_test_add_func("/rm-wire/mem/plan", test_mem_plan);

	return g_test_run();
}
