// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fuzz target for the RM RPC wire codec (rm/wire/wire.c).
 *
 * Input: byte 0 picks the reassembly buffer size (bits 1:0) and the accepted
 * message types (bits 3:2). The rest is a sequence of packets, each a length
 * byte followed by that many bytes (fewer at the end of the input); lengths
 * up to 255 reach the oversize rule. Every packet goes through the
 * reassembler; every completed message is run through every payload decoder,
 * re-encoded where the codec can express it, and compared with what was
 * decoded. Any inconsistency aborts, so the fuzzer finds logic errors as
 * well as memory errors.
 */
#include <stdlib.h>
#include <string.h>

#include <gunyah/rm-wire.h>

#include "fuzz.h"


static const size_t fuzz_caps[4] = { GH_RM_MSG_MAX_RECV, 0, 300, 4096 };
static const u32 fuzz_accepts[4] = {
	GH_RM_ACCEPT_ALL, GH_RM_ACCEPT_CLIENT, GH_RM_ACCEPT_SERVER, GH_RM_ACCEPT_ALL,
};

static u8 fuzz_scratch[GH_RM_MSG_MAX_RECV];
static u8 fuzz_reasm2[GH_RM_MSG_MAX_RECV];
static struct gh_rm_acl_entry fuzz_acl[GH_RM_MAX_LIST_ENTRIES];
static struct gh_rm_mem_entry fuzz_mem[GH_RM_MAX_LIST_ENTRIES];

/* A decoded list must lie inside the payload it came from */
static void check_list(const struct gh_rm_list *l, size_t esize, const u8 *p, size_t len)
{
	CHECK(l->n <= GH_RM_MAX_LIST_ENTRIES);
	if (!l->n)
		return;
	CHECK(l->data >= p);
	CHECK((size_t)(l->data - p) + (size_t)l->n * esize <= len);
}

/* Bytes equal except where @mask has a 0 bit (reserved bytes the encoder zeroes) */
static void check_same(const u8 *a, const u8 *b, size_t len, u64 reserved)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i < 64 && (reserved >> i) & 1) {
			CHECK(b[i] == 0);
			continue;
		}
		CHECK(a[i] == b[i]);
	}
}

static void fuzz_fixed(const u8 *p, size_t len)
{
	struct gh_rm_vm_config_image_req ci;
	struct gh_rm_mem_reclaim_req rc;
	struct gh_rm_vm_stop_req stop;
	struct gh_rm_vm_status st;
	struct gh_rm_vmid_req vr;
	u16 vmid;
	u32 v;
	int r;

	if (gh_rm_dec_vmid_req(p, len, &vr) == 0) {
		CHECK(gh_rm_enc_vmid_req(fuzz_scratch, 4, vr.vmid) == 4);
		check_same(p, fuzz_scratch, 4, 0xC);
		CHECK(vr.reserved == gh_rm_get_le16(p + 2));
	}
	CHECK((gh_rm_dec_empty(len) == 0) == (len == 0));
	r = gh_rm_dec_vm_alloc_reply(p, len, 0, &vmid);
	CHECK(r == (len == 4 ? 0 : -EBADMSG));
	if (r == 0)
		CHECK(vmid == gh_rm_get_le16(p));
	r = gh_rm_dec_vm_alloc_reply(p, len, 0x23, &vmid);
	CHECK(r == ((len == 0 || len == 4) ? 0 : -EBADMSG));
	if (r == 0 && len == 0)
		CHECK(vmid == 0x23);
	if (gh_rm_dec_get_vmid_reply(p, len, &vmid) == 0)
		CHECK(len == 4 && vmid == gh_rm_get_le16(p));

	if (gh_rm_dec_vm_stop_req(p, len, &stop) == 0) {
		r = gh_rm_enc_vm_stop_req(fuzz_scratch, sizeof(fuzz_scratch), &stop);
		if (stop.flags & ~GH_RM_VM_STOP_FLAG_FORCE) {
			CHECK(r == -EINVAL);
		} else {
			CHECK(r == 8);
			check_same(p, fuzz_scratch, 8, 0x8);
		}
	}
	if (gh_rm_dec_vm_config_image_req(p, len, &ci) == 0) {
		CHECK(gh_rm_enc_vm_config_image_req(fuzz_scratch, 40, &ci) == 40);
		check_same(p, fuzz_scratch, 40, 0);
	}
	if (gh_rm_dec_mem_reclaim_req(p, len, &rc) == 0) {
		r = gh_rm_enc_mem_reclaim_req(fuzz_scratch, 8, &rc);
		if (rc.flags & ~GH_RM_MEM_RECLAIM_FLAG_SANITIZE) {
			CHECK(r == -EINVAL);
		} else {
			CHECK(r == 8);
			check_same(p, fuzz_scratch, 8, 0xE0);
		}
	}
	if (gh_rm_dec_mem_handle_reply(p, len, &v) == 0) {
		CHECK(gh_rm_enc_mem_handle_reply(fuzz_scratch, 4, v) == 4);
		check_same(p, fuzz_scratch, 4, 0);
	}
	if (gh_rm_dec_vm_status(p, len, &st) == 0) {
		CHECK(gh_rm_enc_vm_status(fuzz_scratch, 8, &st) == 8);
		check_same(p, fuzz_scratch, 8, 0xC);
	}
	if (gh_rm_dec_vm_shutdown(p, len, &v) == 0) {
		CHECK(gh_rm_enc_vm_shutdown(fuzz_scratch, 4, v) == 4);
		check_same(p, fuzz_scratch, 4, 0);
	}
	r = gh_rm_dec_console_req(p, len, &vmid);
	CHECK(r == (len == 4 ? 0 : -EBADMSG));
	if (r == 0) {
		CHECK(vmid == gh_rm_get_le16(p));
		CHECK(gh_rm_enc_console_req(fuzz_scratch, 4, vmid) == 4);
		check_same(p, fuzz_scratch, 4, 0xC);
	}
}

/* VM_CONSOLE_WRITE / NOTIFY_VM_CONSOLE_CHARS: exact length, bytes inside the payload */
static void fuzz_console_chars(const u8 *p, size_t len)
{
	struct gh_rm_console_chars c;
	int r;

	r = gh_rm_dec_console_chars(p, len, &c);
	CHECK(r == ((len >= 4 && len - 4 == gh_rm_get_le16(p + 2)) ? 0 : -EBADMSG));
	if (r)
		return;
	CHECK(c.bytes == p + 4 && c.num_bytes == len - 4);
	r = gh_rm_enc_console_chars(fuzz_scratch, sizeof(fuzz_scratch), c.vmid, c.bytes,
				    c.num_bytes);
	if (c.num_bytes > GH_RM_CONSOLE_MAX_BYTES) {
		CHECK(r == -E2BIG);
		return;
	}
	CHECK(r == (int)len);
	check_same(p, fuzz_scratch, len, 0);
}

static void fuzz_hyp_resources(const u8 *p, size_t len)
{
	struct gh_rm_hyp_resource res;
	u32 n, i;
	u8 ent[4 + GH_RM_HYP_RESOURCE_SIZE];

	if (gh_rm_dec_hyp_resources(p, len, &n) != 0) {
		CHECK(gh_rm_dec_hyp_resource(p, len, 0, &res) < 0);
		return;
	}
	CHECK(4 + (size_t)n * GH_RM_HYP_RESOURCE_SIZE == len);
	for (i = 0; i < n; i++) {
		CHECK(gh_rm_dec_hyp_resource(p, len, i, &res) == 0);
		CHECK(gh_rm_enc_hyp_resources(ent, sizeof(ent), &res, 1) == (int)sizeof(ent));
		/* entry byte 1 is reserved */
		check_same(p + 4 + (size_t)i * GH_RM_HYP_RESOURCE_SIZE, ent + 4,
			   GH_RM_HYP_RESOURCE_SIZE, 0x2);
	}
	CHECK(gh_rm_dec_hyp_resource(p, len, n, &res) == -EINVAL);
}

static void fuzz_vm_exited(const u8 *p, size_t len)
{
	struct gh_rm_vm_exited ex;
	int r;

	if (gh_rm_dec_vm_exited(p, len, &ex) != 0)
		return;
	CHECK(ex.exit_reason == p + GH_RM_VM_EXITED_HDR_SIZE);
	CHECK(GH_RM_VM_EXITED_HDR_SIZE + (size_t)ex.exit_reason_size == len);
	r = gh_rm_enc_vm_exited(fuzz_scratch, sizeof(fuzz_scratch), ex.vmid, ex.exit_type,
				ex.exit_reason, ex.exit_reason_size);
	if (len > GH_RM_MSG_MAX_SEND) {
		CHECK(r == -E2BIG);
		return;
	}
	CHECK(r == (int)len);
	check_same(p, fuzz_scratch, len, 0);
}

static void check_mem_lists_equal(const struct gh_rm_list *a, const struct gh_rm_list *b)
{
	struct gh_rm_mem_entry x, y;
	unsigned int i;

	CHECK(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		CHECK(gh_rm_mem_get(a, i, &x) == 0);
		CHECK(gh_rm_mem_get(b, i, &y) == 0);
		CHECK(x.ipa_base == y.ipa_base && x.size == y.size);
	}
	CHECK(gh_rm_mem_get(a, a->n, &x) == -EINVAL);
}

static void fuzz_mem_share(const u8 *p, size_t len)
{
	struct gh_rm_mem_share_args args = { 0 };
	struct gh_rm_mem_share_req req, req2;
	struct gh_rm_attr_entry at;
	bool bad_perms = false;
	unsigned int i;
	int r;

	r = gh_rm_dec_mem_share_req(p, len, &req);
	if (r != 0) {
		CHECK(r == -EBADMSG || r == -E2BIG);
		return;
	}
	check_list(&req.acl, GH_RM_ACL_ENTRY_SIZE, p, len);
	check_list(&req.mem, GH_RM_MEM_ENTRY_SIZE, p, len);
	check_list(&req.attr, GH_RM_ATTR_ENTRY_SIZE, p, len);
	for (i = 0; i < req.acl.n; i++) {
		CHECK(gh_rm_acl_get(&req.acl, i, &fuzz_acl[i]) == 0);
		if (fuzz_acl[i].perms & ~GH_RM_ACL_RWX)
			bad_perms = true;
	}
	for (i = 0; i < req.mem.n; i++)
		CHECK(gh_rm_mem_get(&req.mem, i, &fuzz_mem[i]) == 0);
	for (i = 0; i < req.attr.n; i++)
		CHECK(gh_rm_attr_get(&req.attr, i, &at) == 0);
	CHECK(gh_rm_attr_get(&req.attr, req.attr.n, &at) == -EINVAL);

	/* encode what was decoded and decode it again */
	args.mem_type = req.mem_type;
	args.flags = req.flags;
	args.label = req.label;
	args.acl = fuzz_acl;
	args.n_acl = req.acl.n;
	args.mem = fuzz_mem;
	args.n_mem = req.mem.n;
	r = gh_rm_enc_mem_share_req(fuzz_scratch, sizeof(fuzz_scratch), &args);
	if (req.mem_type > GH_RM_MEM_TYPE_IO || bad_perms || req.acl.n > GH_RM_MAX_ACL_ENTRIES ||
	    (req.flags & ~(GH_RM_MEM_SHARE_FLAG_SANITIZE | GH_RM_MEM_SHARE_FLAG_APPEND))) {
		CHECK(r == -EINVAL);
		return;
	}
	CHECK(r == (int)gh_rm_mem_share_req_len(req.acl.n, req.mem.n));
	CHECK(gh_rm_dec_mem_share_req(fuzz_scratch, r, &req2) == 0);
	CHECK(req2.mem_type == req.mem_type && req2.flags == req.flags &&
	      req2.label == req.label && req2.attr.n == 0);
	CHECK(req2.acl.n == req.acl.n);
	for (i = 0; i < req.acl.n; i++) {
		struct gh_rm_acl_entry e;

		CHECK(gh_rm_acl_get(&req2.acl, i, &e) == 0);
		CHECK(e.vmid == fuzz_acl[i].vmid && e.perms == fuzz_acl[i].perms);
	}
	check_mem_lists_equal(&req.mem, &req2.mem);
}

static void fuzz_mem_append(const u8 *p, size_t len)
{
	struct gh_rm_mem_append_req req, req2;
	unsigned int i;
	int r;

	r = gh_rm_dec_mem_append_req(p, len, &req);
	if (r != 0) {
		CHECK(r == -EBADMSG || r == -E2BIG);
		return;
	}
	check_list(&req.mem, GH_RM_MEM_ENTRY_SIZE, p, len);
	for (i = 0; i < req.mem.n; i++)
		CHECK(gh_rm_mem_get(&req.mem, i, &fuzz_mem[i]) == 0);
	r = gh_rm_enc_mem_append_slice(fuzz_scratch, sizeof(fuzz_scratch), req.mem_handle,
				       req.flags, fuzz_mem, req.mem.n);
	if (req.flags & ~GH_RM_MEM_APPEND_FLAG_END) {
		CHECK(r == -EINVAL);
		return;
	}
	CHECK(r == (int)gh_rm_mem_append_req_len(req.mem.n));
	CHECK(gh_rm_dec_mem_append_req(fuzz_scratch, r, &req2) == 0);
	CHECK(req2.mem_handle == req.mem_handle && req2.flags == req.flags);
	check_mem_lists_equal(&req.mem, &req2.mem);
}

/* Send the message again through the encoder and a second reassembler */
static void fuzz_resend(const struct gh_rm_msg *msg)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct gh_rm_reasm r2;
	struct gh_rm_msg m2;
	int n, i, len, ret = 0;

	if (msg->type == GH_RM_TYPE_REPLY)
		n = gh_rm_reply_npackets(msg->len);
	else
		n = gh_rm_msg_npackets(msg->len);
	if (n < 0) {
		CHECK(n == -E2BIG && msg->len + 4 > GH_RM_MSG_MAX_SEND);
		return;
	}
	gh_rm_reasm_init(&r2, fuzz_reasm2, sizeof(fuzz_reasm2), GH_RM_ACCEPT_ALL);
	for (i = 0; i < n; i++) {
		if (msg->type == GH_RM_TYPE_REPLY)
			len = gh_rm_encode_reply_packet(pkt, msg->seq, msg->msg_id, msg->err_code,
							msg->payload, msg->len, i);
		else
			len = gh_rm_encode_packet(pkt, msg->type, msg->seq, msg->msg_id,
						  msg->payload, msg->len, i);
		if (msg->msg_id == 0) {
			CHECK(len == -EINVAL);
			return;
		}
		CHECK(len >= GH_RM_HDR_SIZE && len <= GH_RM_PACKET_MAX);
		ret = gh_rm_reasm_feed(&r2, pkt, len, &m2);
		CHECK(ret == (i == n - 1 ? 1 : 0));
	}
	CHECK(m2.type == msg->type && m2.seq == msg->seq && m2.msg_id == msg->msg_id);
	CHECK(m2.err_code == msg->err_code && m2.len == msg->len);
	CHECK(m2.fragments == n - 1);
	CHECK(!m2.len || !memcmp(m2.payload, msg->payload, m2.len));
}

static void fuzz_message(const struct gh_rm_msg *msg, const u8 *buf, size_t cap)
{
	const u8 *p = msg->payload;
	size_t len = msg->len;

	CHECK(msg->type >= GH_RM_TYPE_REQUEST && msg->type <= GH_RM_TYPE_NOTIFICATION);
	CHECK(msg->fragments <= GH_RM_MAX_FRAGMENTS);
	CHECK(len <= cap);
	CHECK(!len || (p >= buf && (size_t)(p - buf) + len <= cap));
	if (msg->type != GH_RM_TYPE_REPLY)
		CHECK(msg->err_code == 0);

	fuzz_fixed(p, len);
	fuzz_hyp_resources(p, len);
	fuzz_console_chars(p, len);
	fuzz_vm_exited(p, len);
	fuzz_mem_share(p, len);
	fuzz_mem_append(p, len);
	fuzz_resend(msg);
	(void)gh_rm_msg_name(msg->msg_id);
	(void)gh_rm_error_name(msg->err_code);
	(void)gh_rm_error_to_errno(msg->err_code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_rm_reasm r;
	struct gh_rm_msg msg;
	struct gh_rm_hdr hdr;
	size_t cap, pos = 1, len;
	u32 fed = 0, dropped = 0, complete = 0;
	u8 *buf = NULL;
	int ret;

	if (size < 1)
		return 0;
	cap = fuzz_caps[data[0] & 3];
	/* an exactly sized heap buffer, so that ASan sees any overflow */
	if (cap) {
		buf = malloc(cap);
		if (!buf)
			return 0;
	}
	gh_rm_reasm_init(&r, buf, cap, fuzz_accepts[(data[0] >> 2) & 3]);

	while (pos < size) {
		len = data[pos++];
		if (len > size - pos)
			len = size - pos;
		ret = gh_rm_reasm_feed(&r, data + pos, len, &msg);
		fed++;
		if (ret < 0) {
			dropped++;
			CHECK(ret == r.last_error);
			CHECK(r.last_drop > GH_RM_DROP_NONE && r.last_drop < GH_RM_DROP_MAX);
		} else if (ret == 1) {
			complete++;
			CHECK(gh_rm_hdr_decode(data + pos, len, &hdr) == 0);
			CHECK(hdr.msg_id == msg.msg_id && hdr.seq == msg.seq);
			CHECK(!gh_rm_reasm_busy(&r));
			fuzz_message(&msg, buf, cap);
		} else {
			CHECK(ret == 0);
			CHECK(gh_rm_reasm_busy(&r));
		}
		pos += len;
	}
	CHECK(r.stats.packets == fed);
	CHECK(r.stats.dropped == dropped && r.stats.messages == complete);
	free(buf);
	return 0;
}
