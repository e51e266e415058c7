// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fuzz target for the RM emulator (rm/emu/): packets in, whatever the
 * emulator does, nothing may crash, leak or overread, and everything it
 * sends must be well-formed.
 *
 * Input: byte 0 configures the emulator (bit 0 reclaim refuse, bit 1 guest
 * ignores VM_SHUTDOWN, bit 2 notifications after replies, bit 3 skip the DT,
 * bits 5:4 a standing fault). Then records, by tag byte:
 *   0x00..0xf8  a packet of that many bytes (fewer at the end of the input);
 *               up to 248 reaches the oversize rule
 *   0xf9 N      advance the clock by N + 1 ms
 *   0xfa N      control command N (modulo the table below)
 *   0xfb L0 L1  a devicetree: the next le16 L bytes go to offset 0 of the
 *               fake memory, where the seeds' MEM_LEND points
 * The fake host physical memory is 64 KiB at EMU_FUZZ_PHYS, which is where
 * the seeds lend from. Every packet the emulator sends (but those of the
 * malformed command) must be 8..240 bytes, decode, reassemble and, for
 * VM_STATUS and VM_EXITED, decode as such; anything else aborts.
 *
 * Built with -DFUZZ_RM_EMU_GENERATE it is instead the seed generator:
 *   gen-corpus-rm-emu tests/fuzz/corpus/rm-emu
 */
#include <stdlib.h>
#include <string.h>

#include <gunyah/rm-wire.h>

#include "emu.h"
#include "fuzz.h"

#define EMU_FUZZ_PHYS		0x80000000ULL
#define EMU_FUZZ_MEM		(64u << 10)
#define EMU_FUZZ_SHM_PHYS	0x90000000ULL

#define TAG_TICK		0xf9
#define TAG_CTL			0xfa
#define TAG_DTB			0xfb

static const char *const emu_fuzz_ctl[] = {
	"vms", "parcels", "stats", "log", "log clear", "fault list", "fault clear",
	"storm 3", "storm 2 0x80", "malformed short", "malformed long", "malformed bad-api",
	"malformed bad-fragments", "malformed orphan-continuation", "malformed bad-continuation",
	"malformed truncated-reply", "exit 0x80 WATCHDOG_BITE", "exit 0x80 VM_EXIT 1",
	"guest on-shutdown poweroff", "guest on-shutdown ignore", "reclaim refuse",
	"reclaim allow", "fault * delay 3 count 1", "fault VM_INIT error MEM_INVALID count 1",
	"fault * drop count 1", "set notify-order after-reply", "set notify-order before-reply",
	"set reset-delay 2", "set skip-dtb yes", "set max-cores 1", "help", "bogus",
};

struct emu_fuzz {
	u8 mem[EMU_FUZZ_MEM];
	struct gh_rm_reasm reasm;
	u8 rxbuf[GH_RM_MSG_MAX_RECV];
	bool malformed;		/* the malformed command is sending */
};

static struct emu_fuzz fz;

static void emu_fuzz_send(void *opaque, const void *pkt, size_t len)
{
	struct gh_rm_vm_exited ex;
	struct gh_rm_vm_status st;
	struct gh_rm_hdr hdr;
	struct gh_rm_msg msg;
	int r;

	(void)opaque;
	if (fz.malformed)
		return;
	CHECK(len >= GH_RM_HDR_SIZE && len <= GH_RM_PACKET_MAX);
	CHECK(gh_rm_hdr_decode(pkt, len, &hdr) == 0);
	CHECK(hdr.type != GH_RM_TYPE_REQUEST);
	r = gh_rm_reasm_feed(&fz.reasm, pkt, len, &msg);
	CHECK(r >= 0);
	if (r == 0)
		return;
	if (msg.type == GH_RM_TYPE_NOTIFICATION && msg.msg_id == GH_RM_NOTIF_VM_STATUS)
		CHECK(gh_rm_dec_vm_status(msg.payload, msg.len, &st) == 0);
	if (msg.type == GH_RM_TYPE_NOTIFICATION && msg.msg_id == GH_RM_NOTIF_VM_EXITED)
		CHECK(gh_rm_dec_vm_exited(msg.payload, msg.len, &ex) == 0 &&
		      ex.exit_reason_size == 4);
	if (msg.type == GH_RM_TYPE_REPLY && msg.err_code != GH_RM_ERROR_OK)
		CHECK(msg.len == 0);
}

static int emu_fuzz_read(void *opaque, u64 phys, void *buf, size_t len)
{
	(void)opaque;
	if (phys < EMU_FUZZ_PHYS || phys - EMU_FUZZ_PHYS > EMU_FUZZ_MEM ||
	    len > EMU_FUZZ_MEM - (phys - EMU_FUZZ_PHYS))
		return -EFAULT;
	memcpy(buf, fz.mem + (phys - EMU_FUZZ_PHYS), len);
	return 0;
}

static void emu_fuzz_ctl_run(struct emu *emu, const char *line)
{
	char *reply = NULL;
	size_t len = 0;

	fz.malformed = !strncmp(line, "malformed", 9);
	CHECK(emu_ctl(emu, line, &reply, &len) >= 0);
	fz.malformed = false;
	CHECK(reply && strlen(reply) == len && len >= 3 && reply[len - 1] == '\n');
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const faults[4] = {
		NULL, "fault VM_START delay 5", "fault MEM_LEND drop count 1",
		"fault * error NORESOURCE count 2",
	};
	struct emu_ops ops = { .send = emu_fuzz_send, .read_phys = emu_fuzz_read };
	struct emu *emu;
	size_t i = 1, n;
	u64 now = 0;
	u8 cfg;

	if (!size)
		return 0;
	memset(fz.mem, 0, sizeof(fz.mem));
	gh_rm_reasm_init(&fz.reasm, fz.rxbuf, sizeof(fz.rxbuf), GH_RM_ACCEPT_CLIENT);
	fz.malformed = false;
	CHECK(emu_new(&ops, &emu) == 0);

	cfg = data[0];
	if (cfg & 1)
		emu_fuzz_ctl_run(emu, "reclaim refuse");
	if (cfg & 2)
		emu_fuzz_ctl_run(emu, "guest on-shutdown ignore");
	if (cfg & 4)
		emu_fuzz_ctl_run(emu, "set notify-order after-reply");
	if (cfg & 8)
		emu_set_skip_dtb(emu, true);
	if (faults[(cfg >> 4) & 3])
		emu_fuzz_ctl_run(emu, faults[(cfg >> 4) & 3]);

	while (i < size) {
		u8 tag = data[i++];

		if (tag == TAG_TICK) {
			now += (i < size ? data[i++] : 0) + 1;
			emu_tick(emu, now);
		} else if (tag == TAG_CTL) {
			n = i < size ? data[i++] : 0;
			emu_fuzz_ctl_run(emu, emu_fuzz_ctl[n % (sizeof(emu_fuzz_ctl) /
							     sizeof(emu_fuzz_ctl[0]))]);
		} else if (tag == TAG_DTB) {
			n = i + 1 < size ? (size_t)(data[i] | data[i + 1] << 8) : 0;
			i += 2;
			if (i > size)
				break;
			if (n > size - i)
				n = size - i;
			if (n > EMU_FUZZ_MEM)
				n = EMU_FUZZ_MEM;
			memcpy(fz.mem, data + i, n);
			i += n;
		} else if (tag < TAG_TICK) {
			n = tag;
			if (n > size - i)
				n = size - i;
			(void)emu_receive(emu, data + i, n);
			i += n;
		}
	}
	/* let every timer fire, then exercise every formatter on the final state */
	now += 1000000;
	emu_tick(emu, now);
	emu_fuzz_ctl_run(emu, "vms");
	emu_fuzz_ctl_run(emu, "parcels");
	emu_fuzz_ctl_run(emu, "stats");
	emu_fuzz_ctl_run(emu, "log");
	emu_fuzz_ctl_run(emu, "consoles");
	emu_free(emu);
	return 0;
}

#ifdef FUZZ_RM_EMU_GENERATE
/*
 * Seed generator: the golden start sequence and teardown, variations of it,
 * a lend past 512 entries and fault-heavy runs, each as an input file.
 */
#include <stdio.h>

#include "test-guest.h"

struct seed {
	u8 buf[65536];
	size_t len;
	u16 seq;
};

static void put(struct seed *s, const void *p, size_t n)
{
	CHECK(s->len + n <= sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void put_u8(struct seed *s, u8 v)
{
	put(s, &v, 1);
}

static void req(struct seed *s, u32 msg_id, const void *payload, size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n = gh_rm_msg_npackets(len), i, plen;
	u16 seq = ++s->seq;

	for (i = 0; i < n; i++) {
		plen = gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, seq, msg_id, payload, len,
					   (unsigned int)i);
		CHECK(plen > 0);
		put_u8(s, (u8)plen);
		put(s, pkt, (size_t)plen);
	}
}

static void req_vmid(struct seed *s, u32 msg_id, u16 vmid)
{
	u8 b[4];

	gh_rm_enc_vmid_req(b, 4, vmid);
	req(s, msg_id, b, 4);
}

static void mem(struct seed *s, u32 msg_id, u32 label, const struct gh_rm_acl_entry *acl,
		size_t n_acl, const struct gh_rm_mem_entry *ents, size_t n, u32 handle)
{
	struct gh_rm_mem_share_args a = {
		.label = label, .acl = acl, .n_acl = n_acl, .mem = ents, .n_mem = n,
	};
	static u8 b[16384];
	size_t chunk;
	int len;

	len = gh_rm_enc_mem_share_req(b, sizeof(b), &a);
	CHECK(len > 0);
	req(s, msg_id, b, (size_t)len);
	for (chunk = 1; chunk < gh_rm_mem_nchunks(n); chunk++) {
		len = gh_rm_enc_mem_append_req(b, sizeof(b), handle, ents, n, chunk);
		CHECK(len > 0);
		req(s, GH_RM_MEM_APPEND, b, (size_t)len);
	}
}

static void dtb(struct seed *s)
{
	static u8 m[EMU_FUZZ_MEM];
	u64 off = test_guest_write_dtb(m, EMU_FUZZ_MEM, 0x80000000, 1);
	u32 n;

	CHECK(off == 0);
	n = (u32)(m[4] << 24 | m[5] << 16 | m[6] << 8 | m[7]);	/* fdt totalsize */
	put_u8(s, TAG_DTB);
	put_u8(s, (u8)n);
	put_u8(s, (u8)(n >> 8));
	put(s, m, n);
}

static void start(struct seed *s)
{
	struct gh_rm_acl_entry lend = { 0x80, GH_RM_ACL_RWX };
	struct gh_rm_acl_entry share[2] = {
		{ 0x80, GH_RM_ACL_R | GH_RM_ACL_W }, { GH_RM_VMID_HLOS, GH_RM_ACL_RWX },
	};
	struct gh_rm_mem_entry main_ent = { EMU_FUZZ_PHYS, EMU_FUZZ_MEM };
	struct gh_rm_mem_entry shm_ent = { EMU_FUZZ_SHM_PHYS, 0x2000 };
	struct gh_rm_vm_config_image_req ci = {
		.vmid = 0x80, .mem_handle = 0, .dtb_offset = 0, .dtb_size = EMU_FUZZ_MEM,
	};
	u8 b[40];

	dtb(s);
	req_vmid(s, GH_RM_VM_ALLOCATE, 0);
	mem(s, GH_RM_MEM_LEND, 0, &lend, 1, &main_ent, 1, 0);
	req(s, GH_RM_VM_GET_VMID, NULL, 0);
	mem(s, GH_RM_MEM_SHARE, 1, share, 2, &shm_ent, 1, 1);
	gh_rm_enc_vm_config_image_req(b, sizeof(b), &ci);
	req(s, GH_RM_VM_CONFIG_IMAGE, b, 40);
	req_vmid(s, GH_RM_VM_INIT, 0x80);
	req_vmid(s, GH_RM_VM_GET_HYP_RESOURCES, 0x80);
	req_vmid(s, GH_RM_VM_START, 0x80);
}

static void teardown(struct seed *s, bool force)
{
	struct gh_rm_vm_stop_req st = { .vmid = 0x80, .flags = force, .reason = 3 };
	struct gh_rm_mem_reclaim_req rc = { 0 };
	u8 b[8];

	gh_rm_enc_vm_stop_req(b, 8, &st);
	req(s, GH_RM_VM_STOP, b, 8);
	put_u8(s, TAG_TICK);
	put_u8(s, 10);
	req_vmid(s, GH_RM_VM_RESET, 0x80);
	put_u8(s, TAG_TICK);
	put_u8(s, 10);
	gh_rm_enc_mem_reclaim_req(b, 8, &rc);
	req(s, GH_RM_MEM_RECLAIM, b, 8);
	rc.mem_handle = 1;
	gh_rm_enc_mem_reclaim_req(b, 8, &rc);
	req(s, GH_RM_MEM_RECLAIM, b, 8);
	req_vmid(s, GH_RM_VM_DEALLOCATE, 0x80);
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(s->buf, 1, s->len, f) == s->len);
	CHECK(fclose(f) == 0);
	/* and the seed must run clean */
	LLVMFuzzerTestOneInput(s->buf, s->len);
}

int main(int argc, char **argv)
{
	static struct seed s;
	struct gh_rm_mem_entry many[700];
	struct gh_rm_acl_entry lend = { 0x80, GH_RM_ACL_RWX };
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}

	memset(&s, 0, sizeof(s));
	put_u8(&s, 0);
	start(&s);
	teardown(&s, true);
	write_seed(argv[1], "golden-force", &s);

	memset(&s, 0, sizeof(s));
	put_u8(&s, 0x04);
	start(&s);
	teardown(&s, false);
	write_seed(argv[1], "golden-graceful-notify-after", &s);

	memset(&s, 0, sizeof(s));
	put_u8(&s, 0x13);	/* refuse reclaims, guest ignores, delay VM_START */
	start(&s);
	put_u8(&s, TAG_TICK);
	put_u8(&s, 10);
	for (i = 0; i < 8; i++) {
		put_u8(&s, TAG_CTL);
		put_u8(&s, (u8)(7 + i));
	}
	req(&s, GH_RM_VM_GET_VMID, NULL, 0);
	teardown(&s, true);
	write_seed(argv[1], "faults-and-malformed", &s);

	memset(&s, 0, sizeof(s));
	put_u8(&s, 0x20);
	req_vmid(&s, GH_RM_VM_ALLOCATE, 0);
	for (i = 0; i < 700; i++) {
		many[i].ipa_base = 0x100000000ULL + i * 0x2000;
		many[i].size = 0x1000;
	}
	mem(&s, GH_RM_MEM_LEND, 0, &lend, 1, many, 700, 0);
	req_vmid(&s, GH_RM_VM_DEALLOCATE, 0x80);
	write_seed(argv[1], "lend-append-700", &s);

	memset(&s, 0, sizeof(s));
	put_u8(&s, 0x30);
	start(&s);
	put_u8(&s, TAG_CTL);
	put_u8(&s, 16);		/* exit WATCHDOG_BITE */
	teardown(&s, true);
	write_seed(argv[1], "exit-then-teardown", &s);

	memset(&s, 0, sizeof(s));
	put_u8(&s, 0x08);	/* skip the DT */
	start(&s);
	teardown(&s, true);
	write_seed(argv[1], "skip-dtb", &s);
	return 0;
}
#endif
