// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writes the seed corpus of fuzz-rm-wire into a directory, using the codec
 * itself so that the seeds are valid conversations (plus a few broken ones).
 * Not part of the build; regenerate with:
 *
 *	ninja -C build tests/fuzz/gen-corpus-rm-wire
 *	build/tests/fuzz/gen-corpus-rm-wire tests/fuzz/corpus/rm-wire
 *
 * Input format (see fuzz-rm-wire.c): a configuration byte, then packets
 * prefixed with their length byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gunyah/rm-wire.h>

#define CFG_FULL_ALL	0x00	/* 14616-byte buffer, every type */
#define CFG_FULL_CLIENT	0x04	/* replies and notifications */
#define CFG_FULL_SERVER	0x08	/* requests */
#define CFG_SMALL_ALL	0x02	/* 300-byte buffer */

static u8 out[64 * 1024];
static size_t out_len;
static const char *dir;

static void begin(u8 cfg)
{
	out[0] = cfg;
	out_len = 1;
}

static void raw(const u8 *pkt, size_t len)
{
	if (len > 255 || out_len + 1 + len > sizeof(out))
		abort();
	out[out_len++] = (u8)len;
	memcpy(out + out_len, pkt, len);
	out_len += len;
}

static void msg(u8 type, u16 seq, u32 id, const void *payload, size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n, i, plen;

	n = gh_rm_msg_npackets(len);
	if (n < 0)
		abort();
	for (i = 0; i < n; i++) {
		plen = gh_rm_encode_packet(pkt, type, seq, id, payload, len, i);
		if (plen < 0)
			abort();
		raw(pkt, plen);
	}
}

static void reply(u16 seq, u32 id, u32 err, const void *data, size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n, i, plen;

	n = gh_rm_reply_npackets(len);
	if (n < 0)
		abort();
	for (i = 0; i < n; i++) {
		plen = gh_rm_encode_reply_packet(pkt, seq, id, err, data, len, i);
		if (plen < 0)
			abort();
		raw(pkt, plen);
	}
}

static void end(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void make_mem(struct gh_rm_mem_entry *mem, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mem[i].ipa_base = 0x880000000ULL + (u64)i * 0x3000;
		mem[i].size = 0x1000 * (u64)(i % 3 + 1);
	}
}

int main(int argc, char **argv)
{
	static struct gh_rm_mem_entry mem[600];
	static const struct gh_rm_acl_entry acl[2] = {
		{ .vmid = 0x80, .perms = GH_RM_ACL_RWX },
		{ .vmid = GH_RM_VMID_HLOS, .perms = GH_RM_ACL_RWX },
	};
	struct gh_rm_mem_share_args args = { .acl = acl, .n_acl = 1, .mem = mem, .n_mem = 3 };
	struct gh_rm_vm_config_image_req ci = {
		.vmid = 0x80, .mem_handle = 1, .dtb_offset = 0x1000000, .dtb_size = 0x2000,
	};
	struct gh_rm_vm_stop_req stop = { .vmid = 0x80, .flags = 1, .reason = 3 };
	struct gh_rm_mem_reclaim_req rc = { .mem_handle = 1 };
	struct gh_rm_vm_status st = { .vmid = 0x80, .vm_status = GH_RM_VM_STATE_RESET };
	struct gh_rm_hyp_resource res[5];
	static u8 b[GH_RM_MSG_MAX_RECV];
	u8 pkt[GH_RM_PACKET_MAX + 15];
	static u8 text[1000];
	const u8 reason[4] = { 0, 0, 1, 0 };
	int len, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	dir = argv[1];
	make_mem(mem, 600);

	/* server side: the golden start sequence of DESIGN.md 4 */
	begin(CFG_FULL_SERVER);
	len = gh_rm_enc_vmid_req(b, sizeof(b), 0);
	msg(GH_RM_TYPE_REQUEST, 1, GH_RM_VM_ALLOCATE, b, len);
	len = gh_rm_enc_mem_share_req(b, sizeof(b), &args);
	msg(GH_RM_TYPE_REQUEST, 2, GH_RM_MEM_LEND, b, len);
	msg(GH_RM_TYPE_REQUEST, 3, GH_RM_VM_GET_VMID, NULL, 0);
	args.n_acl = 2;
	args.label = 1;
	len = gh_rm_enc_mem_share_req(b, sizeof(b), &args);
	msg(GH_RM_TYPE_REQUEST, 4, GH_RM_MEM_SHARE, b, len);
	len = gh_rm_enc_vm_config_image_req(b, sizeof(b), &ci);
	msg(GH_RM_TYPE_REQUEST, 5, GH_RM_VM_CONFIG_IMAGE, b, len);
	len = gh_rm_enc_vmid_req(b, sizeof(b), 0x80);
	msg(GH_RM_TYPE_REQUEST, 6, GH_RM_VM_INIT, b, len);
	msg(GH_RM_TYPE_REQUEST, 7, GH_RM_VM_GET_HYP_RESOURCES, b, len);
	msg(GH_RM_TYPE_REQUEST, 8, GH_RM_VM_START, b, len);
	end("server-start-sequence");

	/* server side: teardown */
	begin(CFG_FULL_SERVER);
	len = gh_rm_enc_vm_stop_req(b, sizeof(b), &stop);
	msg(GH_RM_TYPE_REQUEST, 9, GH_RM_VM_STOP, b, len);
	len = gh_rm_enc_vmid_req(b, sizeof(b), 0x80);
	msg(GH_RM_TYPE_REQUEST, 10, GH_RM_VM_RESET, b, len);
	len = gh_rm_enc_mem_reclaim_req(b, sizeof(b), &rc);
	msg(GH_RM_TYPE_REQUEST, 11, GH_RM_MEM_RECLAIM, b, len);
	len = gh_rm_enc_vmid_req(b, sizeof(b), 0x80);
	msg(GH_RM_TYPE_REQUEST, 12, GH_RM_VM_DEALLOCATE, b, len);
	end("server-teardown");

	/* a 600-entry lend: a 36-packet MEM_LEND, then one MEM_APPEND with END */
	begin(CFG_FULL_ALL);
	args.n_acl = 1;
	args.label = 0;
	args.n_mem = 600;
	len = gh_rm_enc_mem_share_req(b, sizeof(b), &args);
	msg(GH_RM_TYPE_REQUEST, 20, GH_RM_MEM_LEND, b, len);
	len = gh_rm_enc_mem_append_req(b, sizeof(b), 7, mem, 600, 1);
	msg(GH_RM_TYPE_REQUEST, 21, GH_RM_MEM_APPEND, b, len);
	end("mem-lend-append");

	/* client side: replies and notifications */
	begin(CFG_FULL_CLIENT);
	len = gh_rm_enc_vm_alloc_reply(b, sizeof(b), 0x80);
	reply(1, GH_RM_VM_ALLOCATE, 0, b, len);
	len = gh_rm_enc_mem_handle_reply(b, sizeof(b), 1);
	reply(2, GH_RM_MEM_LEND, 0, b, len);
	len = gh_rm_enc_get_vmid_reply(b, sizeof(b), GH_RM_VMID_HLOS);
	reply(3, GH_RM_VM_GET_VMID, 0, b, len);
	reply(5, GH_RM_VM_CONFIG_IMAGE, 0, NULL, 0);
	memset(res, 0, sizeof(res));
	for (i = 0; i < 5; i++) {
		res[i].type = (u8)i;
		res[i].partner_vmid = 0x80;
		res[i].resource_label = i;
		res[i].cap_id = 0x100 + i;
		res[i].virq = 32 + i;
	}
	len = gh_rm_enc_hyp_resources(b, sizeof(b), res, 5);
	reply(7, GH_RM_VM_GET_HYP_RESOURCES, 0, b, len);
	len = gh_rm_enc_vm_status(b, sizeof(b), &st);
	msg(GH_RM_TYPE_NOTIFICATION, 100, GH_RM_NOTIF_VM_STATUS, b, len);
	len = gh_rm_enc_vm_exited(b, sizeof(b), 0x80, GH_RM_EXIT_TYPE_VM_EXIT, reason, 4);
	msg(GH_RM_TYPE_NOTIFICATION, 101, GH_RM_NOTIF_VM_EXITED, b, len);
	len = gh_rm_enc_vm_shutdown(b, sizeof(b), 0);
	msg(GH_RM_TYPE_NOTIFICATION, 102, GH_RM_NOTIF_VM_SHUTDOWN, b, len);
	reply(8, GH_RM_VM_START, GH_RM_ERROR_VM_STATE, NULL, 0);
	end("client-replies");

	/* the console: requests, standard replies, CHARS of one and of many packets */
	begin(CFG_FULL_ALL);
	len = gh_rm_enc_console_req(b, sizeof(b), 0x80);
	msg(GH_RM_TYPE_REQUEST, 30, GH_RM_VM_CONSOLE_OPEN, b, len);
	reply(30, GH_RM_VM_CONSOLE_OPEN, 0, NULL, 0);
	len = gh_rm_enc_console_chars(b, sizeof(b), 0x80, "ls\n", 3);
	msg(GH_RM_TYPE_REQUEST, 31, GH_RM_VM_CONSOLE_WRITE, b, len);
	reply(31, GH_RM_VM_CONSOLE_WRITE, GH_RM_ERROR_DENIED, NULL, 0);
	len = gh_rm_enc_console_chars(b, sizeof(b), 0x80, "\xff\xfe boot\r\n", 10);
	msg(GH_RM_TYPE_NOTIFICATION, 103, GH_RM_NOTIF_VM_CONSOLE_CHARS, b, len);
	memset(text, 'y', sizeof(text));
	len = gh_rm_enc_console_chars(b, sizeof(b), 0x80, text, GH_RM_CONSOLE_PACKET_BYTES);
	msg(GH_RM_TYPE_NOTIFICATION, 104, GH_RM_NOTIF_VM_CONSOLE_CHARS, b, len);
	len = gh_rm_enc_console_chars(b, sizeof(b), 0x80, text, sizeof(text));
	msg(GH_RM_TYPE_NOTIFICATION, 105, GH_RM_NOTIF_VM_CONSOLE_CHARS, b, len);
	len = gh_rm_enc_console_req(b, sizeof(b), 0x80);
	msg(GH_RM_TYPE_REQUEST, 32, GH_RM_VM_CONSOLE_FLUSH, b, len);
	msg(GH_RM_TYPE_REQUEST, 33, GH_RM_VM_CONSOLE_CLOSE, b, len);
	end("console");

	/* broken packets around a fragmented reply */
	begin(CFG_FULL_ALL);
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_CONTINUATION, 1, 3, GH_RM_MEM_LEND);
	raw(pkt, 20);				/* orphan */
	raw(pkt, 5);				/* short */
	memset(pkt + 8, 0x5A, GH_RM_PACKET_MAX + 7 - 8);
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REQUEST, 0, 3, GH_RM_VM_START);
	raw(pkt, GH_RM_PACKET_MAX + 7);		/* long */
	pkt[0] = 0x12;
	raw(pkt, 12);				/* bad api */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REQUEST, 63, 3, GH_RM_VM_START);
	raw(pkt, 12);				/* fragments 63 */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REPLY, 2, 3, GH_RM_VM_GET_HYP_RESOURCES);
	raw(pkt, GH_RM_PACKET_MAX);
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_CONTINUATION, 2, 4, GH_RM_VM_GET_HYP_RESOURCES);
	raw(pkt, GH_RM_PACKET_MAX);		/* seq mismatch: aborts */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REPLY, 1, 5, GH_RM_VM_GET_HYP_RESOURCES);
	raw(pkt, GH_RM_PACKET_MAX);
	len = gh_rm_enc_vm_status(b, sizeof(b), &st);
	msg(GH_RM_TYPE_NOTIFICATION, 6, GH_RM_NOTIF_VM_STATUS, b, len);	/* aborts */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REPLY, 0, 7, GH_RM_VM_START);
	raw(pkt, 10);				/* reply without err_code */
	end("broken-packets");

	/* the largest message the RM may send: 63 full packets, into a small buffer too */
	begin(CFG_FULL_ALL);
	for (i = 0; i <= GH_RM_MAX_FRAGMENTS; i++) {
		gh_rm_hdr_encode(pkt, i ? GH_RM_TYPE_CONTINUATION : GH_RM_TYPE_NOTIFICATION,
				 GH_RM_MAX_FRAGMENTS, 9, GH_RM_NOTIF_VM_EXITED);
		memset(pkt + 8, i, GH_RM_PAYLOAD_MAX);
		raw(pkt, GH_RM_PACKET_MAX);
	}
	end("max-message");
	out[0] = CFG_SMALL_ALL;
	end("max-message-small-buffer");
	return 0;
}
