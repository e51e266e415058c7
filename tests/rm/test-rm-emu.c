// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the RM emulator library (rm/emu/), driven with packets
 * the codec builds as the kernel's rsc_mgr would, over a fake host
 * physical memory:
 *  /rm-emu/golden/...    DESIGN §4's start sequence and teardown, with the
 *                        conformance DT and the daemon's own DTs;
 *  /rm-emu/vmid/...      dynamic and specific VMIDs, exhaustion at 64;
 *  /rm-emu/state/...     every request in every state (VM_STATE), lengths;
 *  /rm-emu/dt/...        rm-vm-config-dt.md §9's mistakes and more, each
 *                        with the RM error at VM_INIT or VM_START;
 *  /rm-emu/mem/...       lend/share/append/reclaim rules;
 *  /rm-emu/fault/...     every fault kind of the control protocol;
 *  /rm-emu/ctl/...       the control protocol parser and formats.
 */
#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <libfdt.h>

#include "dtb.h"
#include "emu-dt.h"
#include "guest-dtb.h"
#include "test-guest.h"
#include "test-rm-emu-client.h"
#include "vmdef.h"

#define OK		GH_RM_ERROR_OK
#define GUEST_SIZE	(4u << 20)
#define GUEST_BASE	0x80000000ULL
#define CHUNK		(64u << 10)
#define N_CHUNKS	(GUEST_SIZE / CHUNK)
#define PHYS_MAIN	0x100000000ULL
#define PHYS_SHM	0x7f0000000ULL
#define SHM_SIZE	(8u << 10)
#define RWX		GH_RM_ACL_RWX
#define RW		(GH_RM_ACL_R | GH_RM_ACL_W)

/* ---------------------------------------------------------------------------
 * A guest: 4 MiB of memory scattered over fake host physical chunks (in
 * reverse order, with holes), the DTB in its last 64 KiB (with an rm-rpc
 * vdevice, so that a graceful VM_STOP can reach the guest), an 8 KiB region
 * shared with label 1.
 */
struct guest {
	struct rmc *c;
	u8 *mem;
	u64 dtb_off;
	u64 dtb_size;
	struct gh_rm_mem_entry main[N_CHUNKS];
	u8 *shm;
	struct gh_rm_mem_entry shm_ent;
	u16 vmid;
	u32 h_main, h_shm;
};

/* test_guest_write_dtb(), with or without an rm-rpc vdevice */
static u64 guest_write_dtb_rpc(u8 *mem, u32 shm_label, bool rm_rpc)
{
	const struct guest_dtb d = {
		.base = GUEST_BASE, .size = GUEST_SIZE, .image_name = "conformance", .vcpus = 1,
		.shm_label = shm_label, .shm_base = 0xc0000000, .rm_rpc = rm_rpc,
	};
	u64 off = GUEST_SIZE - TEST_GUEST_DTB_SLOT;

	memset(mem + off, 0, TEST_GUEST_DTB_SLOT);
	g_assert_cmpint(guest_dtb_write(mem + off, TEST_GUEST_DTB_SLOT, &d), ==, 0);
	return off;
}

static struct guest *guest_new(u32 shm_label)
{
	struct guest *g = g_new0(struct guest, 1);
	unsigned int i;

	g->c = rmc_new();
	g->mem = test_guest_map(GUEST_SIZE);
	g->dtb_off = guest_write_dtb_rpc(g->mem, shm_label, true);
	g->dtb_size = TEST_GUEST_DTB_SLOT;
	for (i = 0; i < N_CHUNKS; i++) {
		g->main[i].ipa_base = PHYS_MAIN + (u64)(N_CHUNKS - 1 - i) * 2 * CHUNK;
		g->main[i].size = CHUNK;
		rmc_map(g->c, g->main[i].ipa_base, g->mem + (size_t)i * CHUNK, CHUNK);
	}
	g->shm = g_malloc0(SHM_SIZE);
	g->shm_ent.ipa_base = PHYS_SHM;
	g->shm_ent.size = SHM_SIZE;
	rmc_map(g->c, PHYS_SHM, g->shm, SHM_SIZE);
	return g;
}

static void guest_free(struct guest *g)
{
	munmap(g->mem, GUEST_SIZE);
	g_free(g->shm);
	rmc_free(g->c);
	g_free(g);
}

/* Replace the DTB in the slot */
static void guest_put_dtb(struct guest *g, const void *blob)
{
	g_assert_cmpuint(fdt_totalsize(blob), <=, TEST_GUEST_DTB_SLOT);
	memset(g->mem + g->dtb_off, 0, TEST_GUEST_DTB_SLOT);
	memcpy(g->mem + g->dtb_off, blob, fdt_totalsize(blob));
}

/* VM_ALLOCATE, MEM_LEND label 0 {vm: RWX}, VM_GET_VMID, MEM_SHARE label 1 {vm: RW, 3: RWX} */
static void guest_lend(struct guest *g, u32 shm_label)
{
	struct gh_rm_acl_entry lend_acl[1], share_acl[2];
	struct rmc_msg *m;
	u16 self;

	g->vmid = rmc_alloc_vm(g->c);
	lend_acl[0] = (struct gh_rm_acl_entry){ .vmid = g->vmid, .perms = RWX };
	g_assert_cmphex(rmc_mem(g->c, GH_RM_MEM_LEND, 0, lend_acl, 1, g->main, N_CHUNKS,
				&g->h_main), ==, OK);
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_GET_VMID, NULL, 0, &m), ==, OK);
	g_assert_cmpuint(m->len, ==, 4);
	g_assert_cmpint(gh_rm_dec_get_vmid_reply(m->data, m->len, &self), ==, 0);
	g_assert_cmphex(self, ==, GH_RM_VMID_HLOS);
	g_free(m);
	if (!shm_label)
		return;
	share_acl[0] = (struct gh_rm_acl_entry){ .vmid = g->vmid, .perms = RW };
	share_acl[1] = (struct gh_rm_acl_entry){ .vmid = GH_RM_VMID_HLOS, .perms = RWX };
	g_assert_cmphex(rmc_mem(g->c, GH_RM_MEM_SHARE, shm_label, share_acl, 2, &g->shm_ent, 1,
				&g->h_shm), ==, OK);
}

static u32 guest_config(struct guest *g)
{
	return rmc_config_image(g->c, g->vmid, g->h_main, g->dtb_off, g->dtb_size);
}

static u8 vm_state(struct guest *g)
{
	struct emu_vm_info info;

	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &info), ==, 0);
	return info.state;
}

/* Through VM_START, asserting every step and its notification */
static void guest_start(struct guest *g)
{
	struct rmc_msg *m;
	struct gh_rm_hyp_resource res;
	u32 n, i;

	g_assert_cmphex(guest_config(g), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_INIT);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_READY);
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_GET_HYP_RESOURCES,
				 (u8[]){ (u8)g->vmid, (u8)(g->vmid >> 8), 0, 0 }, 4, &m), ==, OK);
	g_assert_cmpint(gh_rm_dec_hyp_resources(m->data, m->len, &n), ==, 0);
	g_assert_cmpuint(n, >=, 1);
	g_assert_cmpuint(m->len, ==, 4 + 44 * n);
	for (i = 0; i < n; i++) {
		g_assert_cmpint(gh_rm_dec_hyp_resource(m->data, m->len, i, &res), ==, 0);
		g_assert_cmpuint(res.cap_id, !=, 0);
		if (res.type == 4) {
			g_assert_cmpuint(res.virq, >=, 32);
			g_assert_cmpuint(res.virq, <=, 1019);
			g_assert_cmphex(res.partner_vmid, ==, g->vmid);
		}
	}
	g_free(m);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RUNNING);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_RUNNING);
}

/* Forced stop, reset, reclaim everything, deallocate: DESIGN §4's release path */
static void guest_teardown(struct guest *g)
{
	g_autofree struct rmc_msg *ex = NULL;
	struct gh_rm_vm_exited e;

	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_EXITED);
	ex = rmc_take_notif(g->c);
	g_assert_nonnull(ex);
	g_assert_cmphex(ex->msg_id, ==, GH_RM_NOTIF_VM_EXITED);
	g_assert_cmpint(gh_rm_dec_vm_exited(ex->data, ex->len, &e), ==, 0);
	g_assert_cmphex(e.vmid, ==, g->vmid);
	g_assert_cmpuint(e.exit_type, ==, GH_RM_EXIT_TYPE_VM_STOP_FORCED);
	g_assert_cmpuint(e.exit_reason_size, ==, 4);

	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESETTING);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESET);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
	if (g->h_shm != g->h_main)
		g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_DEALLOCATE, g->vmid), ==, OK);
	g_assert_cmpuint(emu_vm_count(g->c->emu), ==, 0);
	g_assert_cmpuint(emu_parcel_count(g->c->emu), ==, 0);
	g_assert_cmpuint(rmc_pending(g->c), ==, 0);
}

/* ---------------------------------------------------------------------------
 * Golden sequences
 */
static void test_golden_test_guest(void)
{
	struct guest *g = guest_new(1);
	struct emu_parcel_info pi;
	struct emu_vm_info vi;
	g_autofree char *vms = NULL, *parcels = NULL, *log = NULL;
	struct emu_stats st;

	guest_lend(g, 1);
	g_assert_cmphex(g->vmid, ==, 0x80);
	g_assert_cmpuint(g->h_main, ==, 0);	/* the RM counts handles from 0 */
	g_assert_cmpuint(g->h_shm, ==, 1);
	g_assert_cmpint(emu_parcel_get(g->c->emu, g->h_main, &pi), ==, 0);
	g_assert_cmpuint(pi.trans, ==, EMU_TRANS_LEND);
	g_assert_cmpuint(pi.n_mem, ==, N_CHUNKS);
	g_assert_cmpuint(pi.size, ==, GUEST_SIZE);
	g_assert_true(pi.complete);
	g_assert_false(pi.accepted);

	guest_start(g);
	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &vi), ==, 0);
	g_assert_cmpstr(vi.image_name, ==, "conformance");
	g_assert_cmpstr(vi.dtb, ==, "ok");
	g_assert_cmpuint(vi.vcpus, ==, 1);
	g_assert_cmphex(vi.mem_base, ==, GUEST_BASE);
	g_assert_cmpint(emu_parcel_get(g->c->emu, g->h_main, &pi), ==, 0);
	g_assert_true(pi.accepted);
	g_assert_cmpint(emu_parcel_get(g->c->emu, g->h_shm, &pi), ==, 0);
	g_assert_true(pi.accepted);
	g_assert_cmpuint(pi.trans, ==, EMU_TRANS_SHARE);

	vms = rmc_ctl_ok(g->c, "vms");
	g_assert_nonnull(strstr(vms, "vmid=0x80 state=RUNNING owner=0x3 image-name=conformance"));
	parcels = rmc_ctl_ok(g->c, "parcels");
	g_assert_nonnull(strstr(parcels, "handle=0 label=0 type=LEND mem_type=0 owner=0x3 "
				"acl=0x80:rwx size=4194304 entries=64 state=accepted"));
	g_assert_nonnull(strstr(parcels, "handle=1 label=1 type=SHARE mem_type=0 owner=0x3 "
				"acl=0x80:rw,0x3:rwx size=8192 entries=1 state=accepted"));
	log = rmc_ctl_ok(g->c, "log");
	g_assert_nonnull(strstr(log, "1 VM_ALLOCATE seq=1 vmid=0x80 result=OK\n"));
	g_assert_nonnull(strstr(log, "2 MEM_LEND seq=2 vmid=0x80 result=OK label=0 acl=0x80:rwx "
				"entries=64 size=4194304 handle=0\n"));
	g_assert_nonnull(strstr(log, "3 VM_GET_VMID seq=3 vmid=0x3 result=OK\n"));
	g_assert_nonnull(strstr(log, "VM_CONFIG_IMAGE seq=5 vmid=0x80 result=OK handle=0 "
				"image_offset=0 image_size=0 dtb_offset=4128768 dtb_size=65536 "
				"auth=0\n"));
	g_assert_nonnull(strstr(log, "VM_INIT seq=6 vmid=0x80 result=OK dtb=ok "
				"image-name=conformance"));

	/* a lent parcel stays with a running guest */
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_MEM_INUSE);
	guest_teardown(g);

	/* the VMID is free again */
	g_assert_cmphex(rmc_alloc_vm(g->c), ==, 0x80);
	emu_get_stats(g->c->emu, &st);
	g_assert_cmpuint(st.concurrent, ==, 0);
	g_assert_cmpuint(st.rx_dropped, ==, 0);
	g_assert_cmpuint(g->c->rx_drops, ==, 0);
	guest_free(g);
}

/* The RM sends a request's VM_STATUS before its reply; the setting flips that */
static void test_golden_notify_order(void)
{
	struct guest *g = guest_new(1);
	struct rmc_msg *first;
	g_autofree char *r = NULL;

	guest_lend(g, 1);
	rmc_send(g->c, GH_RM_VM_CONFIG_IMAGE, NULL, 0);	/* MSG_INVALID, no notification */
	first = g_queue_pop_head(&g->c->msgs);
	g_assert_cmpuint(first->type, ==, GH_RM_TYPE_REPLY);
	g_assert_cmphex(first->err, ==, GH_RM_ERROR_MSG_INVALID);
	g_free(first);

	g_assert_cmphex(guest_config(g), ==, OK);
	first = g_queue_peek_head(&g->c->msgs);
	/* rmc_call took the reply: the notification that preceded it is left */
	g_assert_nonnull(first);
	g_assert_cmpuint(first->type, ==, GH_RM_TYPE_NOTIFICATION);
	rmc_drain(g->c);

	/* default: notification first */
	{
		u8 req[4] = { (u8)g->vmid, 0, 0, 0 };

		rmc_send(g->c, GH_RM_VM_INIT, req, 4);
		first = g_queue_pop_head(&g->c->msgs);
		g_assert_cmpuint(first->type, ==, GH_RM_TYPE_NOTIFICATION);
		g_free(first);
		first = g_queue_pop_head(&g->c->msgs);
		g_assert_cmpuint(first->type, ==, GH_RM_TYPE_REPLY);
		g_free(first);

		g_free(rmc_ctl_ok(g->c, "set notify-order after-reply"));
		rmc_send(g->c, GH_RM_VM_START, req, 4);
		first = g_queue_pop_head(&g->c->msgs);
		g_assert_cmpuint(first->type, ==, GH_RM_TYPE_REPLY);
		g_assert_cmphex(first->err, ==, OK);
		g_free(first);
		rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RUNNING);
	}
	r = rmc_ctl(g->c, "set notify-order sideways");
	g_assert_true(g_str_has_prefix(r, "ERR "));
	guest_free(g);
}

/* Notifications carry one RM-global incrementing sequence number */
static void test_golden_notif_seq(void)
{
	struct guest *g = guest_new(1);
	struct rmc_msg *m;
	int last = -1;

	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	g_free(rmc_ctl_ok(g->c, "storm 3 0x%x", g->vmid));
	/* INIT, READY and RUNNING were taken by guest_start: seq 0..2 */
	while ((m = rmc_take_notif(g->c))) {
		if (last < 0)
			g_assert_cmpuint(m->seq, ==, 3);
		else
			g_assert_cmpuint(m->seq, ==, (u16)(last + 1));
		last = m->seq;
		g_free(m);
	}
	/* EXITED, VM_EXITED, RESETTING, RESET, and three storm notifications */
	g_assert_cmpint(last, ==, 9);
	guest_free(g);
}

static void guest_run_blob(const void *blob, const char *want_name, u32 want_vcpus)
{
	struct guest *g = guest_new(1);
	struct emu_vm_info vi;

	guest_put_dtb(g, blob);
	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &vi), ==, 0);
	g_assert_cmpstr(vi.image_name, ==, want_name);
	g_assert_cmpuint(vi.vcpus, ==, want_vcpus);
	g_assert_cmphex(vi.mem_base, ==, GUEST_BASE);
	guest_teardown(g);
	guest_free(g);
}

/* tests/daemon/dtb/<name>.dts, the daemon's golden output, compiled with dtc */
static void test_golden_dts(gconstpointer data)
{
	const char *name = data;
	g_autofree char *dts = g_build_filename(TEST_UNIT_DIR, "dtb", name, NULL);
	g_autofree char *dtc = g_find_program_in_path("dtc");
	g_autofree char *out = NULL, *err = NULL, *want = NULL;
	g_autoptr(GError) error = NULL;
	const char *argv[] = { "dtc", "-q", "-I", "dts", "-O", "dtb", NULL, NULL };
	int status;

	if (!dtc) {
		g_test_skip("dtc not installed");
		return;
	}
	argv[6] = dts;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   &out, &err, &status, &error));
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpint(fdt_check_header(out), ==, 0);
	want = g_strndup(name, strlen(name) - 4);
	guest_run_blob(out, want, !strcmp(want, "nav") ? 2 : 1);
}

/* dtb_build() of config/examples/<name>.yaml, the daemon's generator itself */
static void test_golden_dtb_build(gconstpointer data)
{
	const char *name = data;
	g_autofree char *path = g_strdup_printf("%s/config/examples/%s.yaml", TEST_SRC_ROOT, name);
	struct vmdef_parse_opts opts = { .any_files = true };
	struct def_diags diags = { 0 };
	struct dtb_inputs in = {
		.has_ramdisk = true,
		.initrd_start = 0x80e00000,
		.initrd_end = 0x80f00000,
	};
	struct vmdef *def = NULL;
	void *blob = NULL;
	size_t size = 0;

	g_assert_cmpint(vmdef_parse_file(path, &opts, &def, &diags), ==, 0);
	in.has_ramdisk = def->ramdisk != NULL;
	g_assert_cmpint(dtb_build(def, &in, &blob, &size, NULL), ==, 0);
	guest_run_blob(blob, def->devicetree.image_name, def->vcpus);
	free(blob);
	vmdef_free(def);
	def_diags_clear(&diags);
}

/* ---------------------------------------------------------------------------
 * VMIDs
 */
static void test_vmid_exhaustion(void)
{
	struct rmc *c = rmc_new();
	u8 req[4] = { 0 };
	unsigned int i;
	struct rmc_msg *m;

	for (i = 0; i < GH_RM_VMID_DYNAMIC_COUNT; i++)
		g_assert_cmphex(rmc_alloc_vm(c), ==, GH_RM_VMID_DYNAMIC_FIRST + i);
	g_assert_cmpuint(emu_vm_count(c->emu), ==, 63);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_ALLOCATE, req, 4, &m), ==, GH_RM_ERROR_NORESOURCE);
	g_assert_cmpuint(m->len, ==, 0);
	g_free(m);
	/* freeing one makes exactly that one available */
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_DEALLOCATE, 0x9a), ==, OK);
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x9a);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 0), ==, GH_RM_ERROR_NORESOURCE);
	rmc_free(c);
}

static void test_vmid_specific(void)
{
	struct rmc *c = rmc_new();
	struct rmc_msg *m;
	u8 req[4] = { 5, 0, 0, 0 };

	/* a specific secondary VMID: standard reply, no data */
	g_assert_cmphex(rmc_call(c, GH_RM_VM_ALLOCATE, req, 4, &m), ==, OK);
	g_assert_cmpuint(m->len, ==, 0);
	g_free(m);
	g_assert_cmpuint(emu_vm_count(c->emu), ==, 1);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 5), ==, GH_RM_ERROR_NORESOURCE);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, GH_RM_VMID_HLOS),
			==, GH_RM_ERROR_NORESOURCE);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 64), ==, GH_RM_ERROR_NORESOURCE);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 0x80), ==, GH_RM_ERROR_NORESOURCE);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 0xffff), ==, GH_RM_ERROR_NORESOURCE);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 63), ==, OK);
	/* dynamic allocation is unaffected */
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x80);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_DEALLOCATE, 5), ==, OK);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 5), ==, OK);
	rmc_free(c);
}

static void test_vmid_dealloc_unknown(void)
{
	struct rmc *c = rmc_new();

	/* the real RM asserts here; the emulator answers */
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_DEALLOCATE, 0x80), ==, GH_RM_ERROR_VMID_INVALID);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_DEALLOCATE, 0xffff), ==,
			GH_RM_ERROR_VMID_INVALID);
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x80);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_DEALLOCATE, 0x80), ==, OK);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_DEALLOCATE, 0x80), ==, GH_RM_ERROR_VMID_INVALID);
	rmc_free(c);
}

/* ---------------------------------------------------------------------------
 * State machine
 */
enum probe {
	PROBE_CONFIG_IMAGE,
	PROBE_INIT,
	PROBE_START,
	PROBE_STOP,
	PROBE_RESET,
	PROBE_DEALLOCATE,
	PROBE_HYP_RESOURCES,
	PROBE_MAX,
};

static const char *const probe_names[PROBE_MAX] = {
	"VM_CONFIG_IMAGE", "VM_INIT", "VM_START", "VM_STOP", "VM_RESET", "VM_DEALLOCATE",
	"VM_GET_HYP_RESOURCES",
};

/* A fresh guest whose VM sits in @state */
static struct guest *guest_in_state(u8 state)
{
	struct guest *g = guest_new(1);

	guest_lend(g, 1);
	switch (state) {
	case GH_RM_VM_STATE_LOAD:
		break;
	case GH_RM_VM_STATE_INIT:
		g_assert_cmphex(guest_config(g), ==, OK);
		break;
	case GH_RM_VM_STATE_INIT_FAILED:
		/* a DT the RM cannot parse */
		memset(g->mem + g->dtb_off, 0xee, 64);
		g_assert_cmphex(guest_config(g), ==, OK);
		g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==,
				GH_RM_ERROR_MEM_INVALID);
		break;
	case GH_RM_VM_STATE_READY:
		g_assert_cmphex(guest_config(g), ==, OK);
		g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
		break;
	case GH_RM_VM_STATE_RUNNING:
	case GH_RM_VM_STATE_EXITED:
	case GH_RM_VM_STATE_RESETTING:
	case GH_RM_VM_STATE_RESET:
		guest_start(g);
		if (state == GH_RM_VM_STATE_RUNNING)
			break;
		g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
		if (state == GH_RM_VM_STATE_EXITED)
			break;
		g_free(rmc_ctl_ok(g->c, "set reset-delay %u",
				  state == GH_RM_VM_STATE_RESETTING ? 100000 : 0));
		g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
		break;
	default:
		g_assert_not_reached();
	}
	rmc_drain(g->c);
	g_assert_cmpint(vm_state(g), ==, state);
	return g;
}

static u32 probe(struct guest *g, enum probe p)
{
	switch (p) {
	case PROBE_CONFIG_IMAGE:
		return guest_config(g);
	case PROBE_INIT:
		return rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid);
	case PROBE_START:
		return rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid);
	case PROBE_STOP:
		return rmc_stop(g->c, g->vmid, true);
	case PROBE_RESET:
		return rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid);
	case PROBE_DEALLOCATE:
		return rmc_vmid_call(g->c, GH_RM_VM_DEALLOCATE, g->vmid);
	case PROBE_HYP_RESOURCES:
		return rmc_vmid_call(g->c, GH_RM_VM_GET_HYP_RESOURCES, g->vmid);
	case PROBE_MAX:
		break;
	}
	g_assert_not_reached();
}

static void test_state_machine(void)
{
	static const u8 states[] = {
		GH_RM_VM_STATE_LOAD, GH_RM_VM_STATE_INIT, GH_RM_VM_STATE_READY,
		GH_RM_VM_STATE_RUNNING, GH_RM_VM_STATE_EXITED, GH_RM_VM_STATE_RESETTING,
		GH_RM_VM_STATE_RESET, GH_RM_VM_STATE_INIT_FAILED,
	};
	/* §3.10: where each request is allowed */
	static const struct {
		enum probe p;
		u32 allowed;	/* bit per state value */
	} rules[] = {
		{ PROBE_CONFIG_IMAGE, 1U << GH_RM_VM_STATE_LOAD | 1U << GH_RM_VM_STATE_RESET },
		{ PROBE_INIT, 1U << GH_RM_VM_STATE_INIT },
		{ PROBE_START, 1U << GH_RM_VM_STATE_READY },
		{ PROBE_STOP, 1U << GH_RM_VM_STATE_RUNNING },
		{ PROBE_RESET, 1U << GH_RM_VM_STATE_EXITED | 1U << GH_RM_VM_STATE_READY |
			       1U << GH_RM_VM_STATE_INIT_FAILED },
		{ PROBE_DEALLOCATE, 1U << GH_RM_VM_STATE_LOAD | 1U << GH_RM_VM_STATE_RESET },
		{ PROBE_HYP_RESOURCES, 1U << GH_RM_VM_STATE_READY | 1U << GH_RM_VM_STATE_RUNNING |
				       1U << GH_RM_VM_STATE_EXITED },
	};
	size_t s, r;

	for (s = 0; s < G_N_ELEMENTS(states); s++) {
		for (r = 0; r < G_N_ELEMENTS(rules); r++) {
			struct guest *g = guest_in_state(states[s]);
			bool allowed = rules[r].allowed & (1U << states[s]);
			u32 err = probe(g, rules[r].p);

			g_test_message("%s in %s: %s", probe_names[rules[r].p],
				       gh_rm_vm_state_name(states[s]), gh_rm_error_name(err));
			if (allowed) {
				g_assert_cmphex(err, ==, OK);
			} else {
				g_assert_cmphex(err, ==, GH_RM_ERROR_VM_STATE);
				/* a refused request changes nothing */
				if (rules[r].p != PROBE_DEALLOCATE)
					g_assert_cmpint(vm_state(g), ==, states[s]);
			}
			guest_free(g);
		}
	}
}

/* Wrong lengths are MSG_INVALID, unknown VMIDs VMID_INVALID */
static void test_state_bad_requests(void)
{
	static const u32 common[] = {
		GH_RM_VM_ALLOCATE, GH_RM_VM_DEALLOCATE, GH_RM_VM_START, GH_RM_VM_RESET,
		GH_RM_VM_INIT, GH_RM_VM_GET_HYP_RESOURCES,
	};
	struct rmc *c = rmc_new();
	u8 buf[48] = { 0x81 };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(common); i++) {
		g_assert_cmphex(rmc_call(c, common[i], buf, 3, NULL), ==, GH_RM_ERROR_MSG_INVALID);
		g_assert_cmphex(rmc_call(c, common[i], buf, 5, NULL), ==, GH_RM_ERROR_MSG_INVALID);
		g_assert_cmphex(rmc_call(c, common[i], NULL, 0, NULL), ==, GH_RM_ERROR_MSG_INVALID);
		if (common[i] != GH_RM_VM_ALLOCATE)
			g_assert_cmphex(rmc_vmid_call(c, common[i], 0x81), ==,
					GH_RM_ERROR_VMID_INVALID);
	}
	g_assert_cmphex(rmc_call(c, GH_RM_VM_STOP, buf, 4, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_STOP, buf, 8, NULL), ==, GH_RM_ERROR_VMID_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_CONFIG_IMAGE, buf, 39, NULL), ==,
			GH_RM_ERROR_MSG_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_CONFIG_IMAGE, buf, 40, NULL), ==,
			GH_RM_ERROR_VMID_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, buf, 4, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_RECLAIM, buf, 4, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, 4, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_APPEND, buf, 4, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	/* an unknown message id, and the ones the emulator does not serve */
	g_assert_cmphex(rmc_call(c, 0x56000099, buf, 4, NULL), ==, GH_RM_ERROR_UNIMPLEMENTED);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_ACCEPT, buf, 4, NULL), ==, GH_RM_ERROR_UNIMPLEMENTED);
	rmc_free(c);
}

/* VM_INIT's reserved half-word must be 0 */
static void test_state_init_res0(void)
{
	struct guest *g = guest_new(1);
	u8 req[4];

	guest_lend(g, 1);
	g_assert_cmphex(guest_config(g), ==, OK);
	req[0] = (u8)g->vmid;
	req[1] = 0;
	req[2] = 1;
	req[3] = 0;
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_INIT, req, 4, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_INIT);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	guest_free(g);
}

static void test_state_get_state(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_READY);
	struct rmc_msg *m;
	u8 req[4] = { (u8)g->vmid, 0, 0, 0 };

	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_GET_STATE, req, 4, &m), ==, OK);
	g_assert_cmpuint(m->len, ==, 4);
	g_assert_cmphex(gh_rm_get_le32(m->data) & 0xff, ==, GH_RM_VM_STATE_READY);
	g_free(m);
	req[0] = 0x99;
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_GET_STATE, req, 4, NULL), ==,
			GH_RM_ERROR_NORESOURCE);
	guest_free(g);
}

static void test_state_resetting_async(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_EXITED);
	u64 deadline;

	g_free(rmc_ctl_ok(g->c, "set reset-delay 250"));
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESETTING);
	g_assert_true(emu_next_deadline(g->c->emu, &deadline));
	g_assert_cmpuint(deadline, ==, emu_now(g->c->emu) + 250);
	/* lent memory stays with the VM until the reset completes */
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_MEM_INUSE);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_DEALLOCATE, g->vmid), ==,
			GH_RM_ERROR_VM_STATE);
	rmc_tick(g->c, 249);
	g_assert_null(rmc_take_notif(g->c));
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_RESETTING);
	rmc_tick(g->c, 1);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESET);
	g_assert_false(emu_next_deadline(g->c->emu, &deadline));
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
	/* after a reset the VM can be configured again */
	g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, OK);
	guest_lend(g, 0);
	g_assert_cmphex(g->vmid, ==, 0x81);
	guest_free(g);
}

static void test_state_restart_after_reset(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_RESET);

	/* the parcels are still there; configure and start the same VMID again */
	guest_start(g);
	guest_teardown(g);
	guest_free(g);
}

/* vm-attrs no-reset and no-shutdown */
static void set_attr(struct guest *g, const char *attr)
{
	g_autofree u8 *buf = g_malloc(TEST_GUEST_DTB_SLOT);
	int node;

	g_assert_cmpint(fdt_open_into(g->mem + g->dtb_off, buf, TEST_GUEST_DTB_SLOT), ==, 0);
	node = fdt_path_offset(buf, "/gunyah-vm-config");
	g_assert_cmpint(fdt_setprop_string(buf, node, "vm-attrs", attr), ==, 0);
	g_assert_cmpint(fdt_pack(buf), ==, 0);
	guest_put_dtb(g, buf);
}

static void test_state_vm_attrs(void)
{
	struct guest *g = guest_new(1);
	struct emu_vm_info vi;

	set_attr(g, "no-reset");
	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &vi), ==, 0);
	g_assert_true(vi.no_reset);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, GH_RM_ERROR_DENIED);
	guest_free(g);

	g = guest_new(1);
	set_attr(g, "no-shutdown");
	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, GH_RM_ERROR_VM_STATE);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, false), ==, GH_RM_ERROR_VM_STATE);
	/* the RM itself can still end it */
	g_free(rmc_ctl_ok(g->c, "exit 0x%x SOFTWARE_ERROR", g->vmid));
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_EXITED);
	guest_free(g);
}

/* ---------------------------------------------------------------------------
 * VM_CONFIG_IMAGE
 */
static void test_config_image_errors(void)
{
	struct guest *g = guest_new(1);
	struct emu_vm_info vi;
	u16 other;

	guest_lend(g, 1);
	other = rmc_alloc_vm(g->c);
	/* a parcel lent to another VM */
	g_assert_cmphex(rmc_config_image(g->c, other, g->h_main, g->dtb_off, g->dtb_size), ==,
			GH_RM_ERROR_MEM_INVALID);
	g_assert_cmpint(emu_vm_get(g->c->emu, other, &vi), ==, 0);
	g_assert_cmpint(vi.state, ==, GH_RM_VM_STATE_INIT_FAILED);
	rmc_expect_status(g->c, other, GH_RM_VM_STATE_INIT_FAILED);
	/* an unknown handle */
	g_assert_cmphex(rmc_config_image(g->c, g->vmid, 77, 0, 0), ==, GH_RM_ERROR_MEM_INVALID);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_INIT_FAILED);
	guest_free(g);

	g = guest_new(1);
	guest_lend(g, 1);
	g_assert_cmphex(rmc_config_image(g->c, g->vmid, g->h_main, GUEST_SIZE - 4096, 8192), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_INIT_FAILED);
	guest_free(g);

	g = guest_new(1);
	guest_lend(g, 1);
	/* wrapping offsets */
	g_assert_cmphex(rmc_config_image(g->c, g->vmid, g->h_main, ~0ULL - 10, 20), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	guest_free(g);

	/* the last byte of the parcel is inside */
	g = guest_new(1);
	guest_lend(g, 1);
	g_assert_cmphex(rmc_config_image(g->c, g->vmid, g->h_main, GUEST_SIZE - 4096, 4096), ==,
			OK);
	guest_free(g);
}

/* ---------------------------------------------------------------------------
 * Devicetree: the reference's §9 mistakes and more
 */
struct dt_case {
	const char *name;
	void (*mutate)(void *fdt);
	u32 init_err;
	u32 start_err;		/* when VM_INIT succeeded */
	u64 dtb_size;		/* 0: the 64 KiB slot */
	u32 max_cores;		/* 0: the default */
	u64 want_base;		/* 0: not checked */
	u32 want_vcpus;		/* 0: not checked */
};

static int node_of(void *fdt, const char *path)
{
	int node = fdt_path_offset(fdt, path);

	if (node < 0)
		g_error("no node %s: %s", path, fdt_strerror(node));
	return node;
}

#define VMCFG		"/gunyah-vm-config"
#define VCPUS		VMCFG "/vcpus"
#define SHM		VMCFG "/vdevices/shm-1"
#define GIC		"/interrupt-controller@3fff0000"
#define CHECK(x)	g_assert_cmpint((x), ==, 0)

static void set_u32(void *fdt, const char *path, const char *name, u32 v)
{
	CHECK(fdt_setprop_u32(fdt, node_of(fdt, path), name, v));
}

static void set_str(void *fdt, const char *path, const char *name, const char *v)
{
	CHECK(fdt_setprop_string(fdt, node_of(fdt, path), name, v));
}

static void set_empty(void *fdt, const char *path, const char *name)
{
	CHECK(fdt_setprop_empty(fdt, node_of(fdt, path), name));
}

static void del(void *fdt, const char *path, const char *name)
{
	CHECK(fdt_delprop(fdt, node_of(fdt, path), name));
}

static void del_node(void *fdt, const char *path)
{
	CHECK(fdt_del_node(fdt, node_of(fdt, path)));
}

static void set_u64(void *fdt, const char *path, const char *name, u64 v)
{
	CHECK(fdt_setprop_u64(fdt, node_of(fdt, path), name, v));
}

static int add_node(void *fdt, const char *parent, const char *name)
{
	int node = fdt_add_subnode(fdt, node_of(fdt, parent), name);

	g_assert_cmpint(node, >=, 0);
	return node;
}

static void m_gic_reg(void *f, u64 gicd, u64 gicr)
{
	fdt64_t reg[4] = { cpu_to_fdt64(gicd), cpu_to_fdt64(0x10000), cpu_to_fdt64(gicr),
			   cpu_to_fdt64(0x20000) };

	CHECK(fdt_setprop(f, node_of(f, GIC), "reg", reg, sizeof(reg)));
}

/* A second cpu node; with @psci it uses PSCI, and with @idle both cpus have idle states */
static void add_cpu1(void *fdt, bool psci, bool idle)
{
	fdt32_t map[2] = { 0, cpu_to_fdt32(1) };
	int cpu;

	cpu = fdt_add_subnode(fdt, node_of(fdt, "/cpus"), "cpu@1");
	g_assert_cmpint(cpu, >=, 0);
	CHECK(fdt_setprop_string(fdt, cpu, "device_type", "cpu"));
	CHECK(fdt_setprop_u32(fdt, cpu, "reg", 1));
	/*
	 * fdt_add_subnode() puts it before cpu@0, and without a status the first
	 * cpu node boots: say explicitly that this one is a secondary.
	 */
	CHECK(fdt_setprop_string(fdt, cpu, "status", "disabled"));
	if (psci)
		CHECK(fdt_setprop_string(fdt, cpu, "enable-method", "psci"));
	if (idle) {
		CHECK(fdt_setprop_u32(fdt, cpu, "cpu-idle-states", 9));
		set_u32(fdt, "/cpus/cpu@0", "cpu-idle-states", 9);
	}
	CHECK(fdt_setprop(fdt, node_of(fdt, VCPUS), "affinity-map", map, sizeof(map)));
	/* room for two redistributors below the distributor */
	m_gic_reg(fdt, 0x3fff0000, 0x3ffb0000);
}

static void m_memory_at(void *f)
{
	CHECK(fdt_set_name(f, node_of(f, "/memory"), "memory@80000000"));
}

static void m_memory_elsewhere(void *f)
{
	CHECK(fdt_setprop_string(f, add_node(f, "/cpus", "ram"), "device_type", "memory"));
}

static void m_name_missing(void *f)
{
	del(f, VMCFG, "image-name");
}

static void m_name_80(void *f)
{
	char name[81];

	memset(name, 'a', 80);
	name[80] = '\0';
	set_str(f, VMCFG, "image-name", name);
}

static void m_name_79(void *f)
{
	char name[80];

	memset(name, 'b', 79);
	name[79] = '\0';
	set_str(f, VMCFG, "image-name", name);
}

static void m_map_missing(void *f)
{
	del(f, VCPUS, "affinity-map");
}

static void m_map_count(void *f)
{
	fdt32_t map[2] = { 0, 0 };

	CHECK(fdt_setprop(f, node_of(f, VCPUS), "affinity-map", map, sizeof(map)));
}

static void m_prio_zero(void *f)
{
	set_u32(f, VCPUS, "sched-priority", 0);
}

static void m_prio_absent(void *f)
{
	del(f, VCPUS, "sched-priority");
}

static void m_prio_m33(void *f)
{
	set_u32(f, VCPUS, "sched-priority", (u32)-33);
}

static void m_prio_m32(void *f)
{
	set_u32(f, VCPUS, "sched-priority", (u32)-32);
}

static void m_prio_long(void *f)
{
	set_u64(f, VCPUS, "sched-priority", (u64)-1);
}

static void m_slice_absent(void *f)
{
	del(f, VCPUS, "sched-timeslice");
}

static void m_slice_99(void *f)
{
	set_u32(f, VCPUS, "sched-timeslice", 99);
}

static void m_slice_100(void *f)
{
	set_u32(f, VCPUS, "sched-timeslice", 100);
}

static void m_slice_100001(void *f)
{
	set_u32(f, VCPUS, "sched-timeslice", 100001);
}

static void m_proxy(void *f)
{
	set_str(f, VCPUS, "affinity", "proxy");
	del(f, VCPUS, "affinity-map");
	del(f, VCPUS, "sched-priority");
	del(f, VCPUS, "sched-timeslice");
}

static void m_base_one_cell(void *f)
{
	set_u32(f, VMCFG "/memory", "base-address", 0x80000000);
}

static void m_base_unaligned(void *f)
{
	set_u64(f, VMCFG "/memory", "base-address", 0x80000800);
}

static void m_base_round_up(void *f)
{
	set_u64(f, VMCFG "/memory", "base-address", 0x80001000);
}

static void m_base_high(void *f)
{
	set_u64(f, VMCFG "/memory", "base-address", 1ULL << 36);
}

static void m_size_cells_default(void *f)
{
	del(f, VMCFG, "#size-cells");
}

static void m_size_min_big(void *f)
{
	set_u64(f, VMCFG "/memory", "size-min", 0x20000000);
	set_u64(f, VMCFG "/memory", "size-max", 0x10000000);
}

static void m_constraints(void *f)
{
	set_u32(f, VMCFG "/memory", "base-mem-constraints", 0x1);
}

static void m_constraints_3(void *f)
{
	fdt32_t v[3] = { cpu_to_fdt32(4), 0, 0 };

	CHECK(fdt_setprop(f, node_of(f, VMCFG "/memory"), "base-mem-constraints", v, sizeof(v)));
}

static void m_gic_v2(void *f)
{
	set_str(f, GIC, "compatible", "arm,gic-400");
}

static void m_gic_no_phandle(void *f)
{
	del(f, GIC, "phandle");
}

static void m_gic_no_ic(void *f)
{
	del(f, GIC, "interrupt-controller");
}

static void m_gic_cells(void *f)
{
	set_u32(f, GIC, "#interrupt-cells", 2);
}

static void m_gic_one_reg(void *f)
{
	set_u64(f, GIC, "reg", 0x3fff0000);
}

static void m_gic_config_phandle(void *f)
{
	set_u32(f, VMCFG "/interrupts", "config", 1);
}

static void m_gic_config_bad_path(void *f)
{
	set_str(f, VMCFG "/interrupts", "config", "/nope");
}

static void m_gic_unaligned(void *f)
{
	m_gic_reg(f, 0x3fff8000, 0x3ffd0000);
}

static void m_gic_overlap(void *f)
{
	m_gic_reg(f, 0x3fff0000, 0x3ffe0000);
}

static void m_gic_in_ram(void *f)
{
	m_gic_reg(f, GUEST_BASE + 0x100000, 0x3ffd0000);
}

static void m_gic_stride(void *f)
{
	set_u64(f, GIC, "redistributor-stride", 0x10000);
}

static void m_no_gic(void *f)
{
	del_node(f, VMCFG "/interrupts");
	del(f, "/", "interrupt-parent");
}

static void m_root_gic_only(void *f)
{
	del_node(f, VMCFG "/interrupts");
}

static void m_interrupts_no_config(void *f)
{
	del(f, VMCFG "/interrupts", "config");
}

static void m_interrupts_no_config_no_root(void *f)
{
	del(f, VMCFG "/interrupts", "config");
	del(f, "/", "interrupt-parent");
}

static void m_no_vcpus(void *f)
{
	del_node(f, VCPUS);
}

static void m_cpu_no_type(void *f)
{
	del(f, "/cpus/cpu@0", "device_type");
}

static void m_cpu_bad_status(void *f)
{
	set_str(f, "/cpus/cpu@0", "status", "broken");
}

static void m_cpu_fail_skipped(void *f)
{
	add_cpu1(f, false, false);
	set_str(f, "/cpus/cpu@1", "status", "fail-sbe");
	set_u32(f, VCPUS, "affinity-map", 0);
}

static void m_secondary_no_method(void *f)
{
	add_cpu1(f, false, false);
}

static void m_secondary_psci_no_idle(void *f)
{
	add_cpu1(f, true, false);
}

static void m_secondary_psci_idle(void *f)
{
	add_cpu1(f, true, true);
}

static void m_secondary_hvc(void *f)
{
	add_cpu1(f, false, false);
	set_str(f, "/cpus/cpu@1", "enable-method", "qcom,gunyah-hvc");
}

static void m_cpus_method_fallback(void *f)
{
	add_cpu1(f, false, true);
	set_str(f, "/cpus", "enable-method", "psci");
}

static void m_no_boot_cpu(void *f)
{
	set_str(f, "/cpus/cpu@0", "status", "disabled");
	set_str(f, "/cpus/cpu@0", "enable-method", "qcom,gunyah-hvc");
}

static void m_psci_first(void *f)
{
	int psci = fdt_add_subnode(f, 0, "psci");

	g_assert_cmpint(psci, >=, 0);
	CHECK(fdt_setprop_string(f, psci, "compatible", "arm,psci-1.0"));
	/* fdt_add_subnode() puts it first: before gunyah-vm-config in file order */
	g_assert_cmpint(fdt_first_subnode(f, 0), ==, psci);
}

static void m_psci_first_proxy(void *f)
{
	m_psci_first(f);
	m_proxy(f);
}

static void m_vcpus_config_bad(void *f)
{
	set_str(f, VCPUS, "config", "/nowhere");
}

static void m_crash_fatal(void *f)
{
	set_str(f, VMCFG, "vm-attrs", "crash-fatal");
}

static void m_is_direct(void *f)
{
	set_empty(f, VMCFG "/memory", "is-direct");
}

static void m_gic_irq_ranges(void *f)
{
	fdt32_t v[2] = { cpu_to_fdt32(40), cpu_to_fdt32(40) };

	CHECK(fdt_setprop(f, node_of(f, VMCFG), "gic-irq-ranges", v, sizeof(v)));
}

static void m_iomem_ranges(void *f)
{
	fdt32_t v[7] = { 0, cpu_to_fdt32(0x10000000), 0, cpu_to_fdt32(0x10000000), 0,
			 cpu_to_fdt32(0x1000), cpu_to_fdt32(3) };

	CHECK(fdt_setprop(f, node_of(f, VMCFG), "iomemory-ranges", v, sizeof(v)));
}

static void m_iomem_ranges_bad(void *f)
{
	fdt32_t v[3] = { 0, 0, 0 };

	CHECK(fdt_setprop(f, node_of(f, VMCFG), "iomemory-ranges", v, sizeof(v)));
}

static void m_guid_bad(void *f)
{
	set_str(f, VMCFG, "vm-guid", "not-a-guid");
}

static void m_guid_ok(void *f)
{
	set_str(f, VMCFG, "vm-guid", "12345678-9abc-def0-1234-56789ABCDEF0");
}

static void m_shm_no_peer(void *f)
{
	del(f, SHM, "peer-default");
}

static void m_shm_extra_subnode(void *f)
{
	add_node(f, SHM, "extra");
}

static void m_shm_misnamed(void *f)
{
	CHECK(fdt_set_name(f, node_of(f, SHM "/memory"), "mem"));
}

static void m_shm_no_memory(void *f)
{
	del_node(f, SHM "/memory");
}

static void m_shm_no_label(void *f)
{
	del(f, SHM "/memory", "label");
}

static void m_shm_qcom_label(void *f)
{
	del(f, SHM "/memory", "label");
	set_u32(f, SHM "/memory", "qcom,label", 1);
}

static void m_shm_both(void *f)
{
	set_empty(f, SHM "/memory", "allocate-base");
}

static void m_shm_neither(void *f)
{
	del(f, SHM "/memory", "base");
}

static void m_shm_allocate(void *f)
{
	del(f, SHM "/memory", "base");
	set_empty(f, SHM "/memory", "allocate-base");
}

static void m_shm_base_unaligned(void *f)
{
	set_u64(f, SHM "/memory", "base", 0xc0000800);
}

static void m_shm_label0(void *f)
{
	set_u32(f, SHM "/memory", "label", 0);
}

static void m_shm_node_label_overrides(void *f)
{
	set_u32(f, SHM "/memory", "label", 9);
	set_u32(f, SHM, "label", 1);
}

static void m_shm_in_ram(void *f)
{
	set_u64(f, SHM "/memory", "base", GUEST_BASE + 0x200000);
}

static void m_shm_absent(void *f)
{
	set_u32(f, SHM "/memory", "label", 5);
}

static void m_shm_optional(void *f)
{
	set_u32(f, SHM "/memory", "label", 5);
	set_empty(f, SHM "/memory", "optional");
}

static void m_shm_twice(void *f)
{
	int n = add_node(f, VMCFG "/vdevices", "shm-2"), mem;

	CHECK(fdt_setprop_string(f, n, "vdevice-type", "shm"));
	CHECK(fdt_setprop_empty(f, n, "peer-default"));
	mem = fdt_add_subnode(f, n, "memory");
	g_assert_cmpint(mem, >=, 0);
	CHECK(fdt_setprop_u32(f, mem, "label", 1));
	CHECK(fdt_setprop_u64(f, mem, "base", 0xd0000000));
}

static int add_vdev(void *f, const char *name, const char *type)
{
	int n = add_node(f, VMCFG "/vdevices", name);

	CHECK(fdt_setprop_string(f, n, "vdevice-type", type));
	return n;
}

static void m_msgq_no_direction(void *f)
{
	CHECK(fdt_setprop_empty(f, add_vdev(f, "mq", "message-queue"), "peer-default"));
}

static void m_msgq_both(void *f)
{
	int n = add_vdev(f, "mq", "message-queue");

	CHECK(fdt_setprop_empty(f, n, "peer-default"));
	CHECK(fdt_setprop_empty(f, n, "is-sender"));
	CHECK(fdt_setprop_empty(f, n, "is-receiver"));
}

static void m_msgq_ok(void *f)
{
	int n = add_vdev(f, "mq", "message-queue");

	CHECK(fdt_setprop_empty(f, n, "peer-default"));
	CHECK(fdt_setprop_empty(f, n, "is-sender"));
	n = add_vdev(f, "mqp", "message-queue-pair");
	CHECK(fdt_setprop_string(f, n, "peer", "vm-name:other"));
}

static void m_msgq_pair_bad_peer(void *f)
{
	CHECK(fdt_setprop_string(f, add_vdev(f, "mqp", "message-queue-pair"), "peer", "other"));
}

static void m_rm_rpc_no_generate(void *f)
{
	add_vdev(f, "rpc", "rm-rpc");
}

static void m_push_compat(void *f)
{
	static const char list[] = "a\0b\0c\0d\0e\0f\0g";

	CHECK(fdt_setprop(f, node_of(f, SHM), "push-compatible", list, sizeof(list)));
}

static void m_generate_relative(void *f)
{
	set_str(f, SHM, "generate", "hypervisor/shm");
}

static void m_vrtc(void *f)
{
	int n = add_vdev(f, "rtc", "vrtc-pl031");

	CHECK(fdt_setprop_empty(f, n, "allocate-base"));
}

static void m_vrtc_neither(void *f)
{
	add_vdev(f, "rtc", "vrtc-pl031");
}

static void doorbell_irq(void *f, u32 type, u32 num)
{
	int n = add_vdev(f, "bell", "doorbell");
	fdt32_t irq[3] = { cpu_to_fdt32(type), cpu_to_fdt32(num), cpu_to_fdt32(1) };

	CHECK(fdt_setprop_empty(f, n, "peer-default"));
	CHECK(fdt_setprop(f, n, "interrupts", irq, sizeof(irq)));
}

static void m_doorbell_ppi(void *f)
{
	doorbell_irq(f, 1, 5);
}

static void m_doorbell_960(void *f)
{
	doorbell_irq(f, 0, 928);
}

static void m_doorbell_ok(void *f)
{
	doorbell_irq(f, 0, 40);
}

static void m_doorbell_bad_trigger(void *f)
{
	int n = add_vdev(f, "bell", "doorbell");
	fdt32_t irq[3] = { 0, cpu_to_fdt32(5), cpu_to_fdt32(2) };

	/* a trigger of 2 makes the property read as absent: the RM allocates one */
	CHECK(fdt_setprop_empty(f, n, "peer-default"));
	CHECK(fdt_setprop(f, n, "interrupts", irq, sizeof(irq)));
}

static void m_doorbell_no_peer(void *f)
{
	add_vdev(f, "bell", "doorbell");
}

static void m_unknown_vdev(void *f)
{
	add_vdev(f, "x", "frobnicator");
}

static void m_vsmmu_bad(void *f)
{
	add_vdev(f, "smmu", "vsmmu-v2");
}

static void m_no_chosen(void *f)
{
	del_node(f, "/chosen");
}

static void m_hypervisor(void *f)
{
	add_node(f, "/", "hypervisor");
}

static void resmem(void *f, bool label, u64 addr, u64 size)
{
	int rm = add_node(f, "/", "reserved-memory"), n;

	CHECK(fdt_setprop_u32(f, rm, "#address-cells", 2));
	CHECK(fdt_setprop_u32(f, rm, "#size-cells", 2));
	n = fdt_add_subnode(f, rm, "buf");
	g_assert_cmpint(n, >=, 0);
	if (label) {
		CHECK(fdt_setprop_u32(f, n, "qcom,label", 1));
	} else {
		fdt64_t reg[2] = { cpu_to_fdt64(addr), cpu_to_fdt64(size) };

		CHECK(fdt_setprop(f, n, "reg", reg, sizeof(reg)));
	}
}

static void m_resmem_unmatched(void *f)
{
	resmem(f, false, 0xc8000000, 0x1000);
}

static void m_resmem_label(void *f)
{
	resmem(f, true, 0, 0);
}

static void m_resmem_shm(void *f)
{
	resmem(f, false, 0xc0000000, SHM_SIZE);
}

static void m_big(void *f)
{
	g_autofree u8 *pad = g_malloc0(20000);

	CHECK(fdt_setprop(f, node_of(f, "/chosen"), "padding", pad, 20000));
}

static void m_deep(void *f)
{
	int n = 0, i;

	for (i = 0; i < 17; i++) {
		n = fdt_add_subnode(f, n, "d");
		g_assert_cmpint(n, >=, 0);
	}
}

static void m_qcom_vm_config(void *f)
{
	CHECK(fdt_set_name(f, node_of(f, VMCFG), "qcom,vm-config"));
}

static void m_no_vm_config(void *f)
{
	del_node(f, VMCFG);
}

#define E_MEM	GH_RM_ERROR_MEM_INVALID
#define E_ARG	GH_RM_ERROR_ARGUMENT_INVALID
#define E_NORES	GH_RM_ERROR_NORESOURCE

static const struct dt_case dt_cases[] = {
	{ "ok", NULL, OK, OK, .want_base = GUEST_BASE, .want_vcpus = 1 },
	/* §9.1 */
	{ "01-memory-at-address", m_memory_at, E_MEM },
	{ "01-memory-not-root-child", m_memory_elsewhere, E_MEM },
	/* §9.2 */
	{ "02-image-name-missing", m_name_missing, E_MEM },
	{ "02-image-name-80", m_name_80, E_MEM },
	{ "02-image-name-79", m_name_79, OK, OK },
	/* §9.3 */
	{ "03-affinity-map-missing", m_map_missing, E_MEM },
	{ "03-affinity-map-count", m_map_count, E_MEM },
	{ "03-sched-priority-0", m_prio_zero, E_NORES },
	{ "03-sched-priority-absent", m_prio_absent, E_NORES },
	{ "03-sched-priority-minus-33", m_prio_m33, E_NORES },
	{ "03-sched-priority-minus-32", m_prio_m32, OK, OK },
	{ "03-sched-priority-8-bytes-ignored", m_prio_long, E_NORES },
	{ "03-sched-timeslice-absent", m_slice_absent, E_NORES },
	{ "03-sched-timeslice-99", m_slice_99, E_NORES },
	{ "03-sched-timeslice-100", m_slice_100, OK, OK },
	{ "03-sched-timeslice-100001", m_slice_100001, E_NORES },
	{ "03-proxy-needs-no-map", m_proxy, OK, OK },
	/* §9.4 */
	{ "04-base-one-cell-ignored", m_base_one_cell, OK, OK, .want_base = EMU_DT_DEFAULT_BASE },
	{ "04-base-not-page-aligned", m_base_unaligned, E_MEM },
	{ "04-base-rounded-up", m_base_round_up, OK, OK, .want_base = 0x80200000 },
	{ "04-base-outside-ipa-space", m_base_high, E_ARG },
	{ "04-size-cells-default-1", m_size_cells_default, OK, OK, .want_base = GUEST_BASE },
	{ "04-size-min-above-size-max", m_size_min_big, E_ARG },
	{ "04-base-mem-constraints-bad", m_constraints, E_ARG },
	{ "04-base-mem-constraints-3", m_constraints_3, E_MEM },
	/* §9.5 */
	{ "05-gic-not-v3", m_gic_v2, E_MEM },
	{ "05-gic-no-phandle", m_gic_no_phandle, E_MEM },
	{ "05-gic-no-interrupt-controller", m_gic_no_ic, E_MEM },
	{ "05-gic-interrupt-cells-2", m_gic_cells, E_MEM },
	{ "05-gic-reg-one-entry", m_gic_one_reg, E_MEM },
	{ "05-gic-config-phandle", m_gic_config_phandle, OK, OK },
	{ "05-gic-config-bad-path", m_gic_config_bad_path, E_MEM },
	{ "05-gic-not-64k-aligned", m_gic_unaligned, E_NORES },
	{ "05-gicd-overlaps-gicr", m_gic_overlap, E_NORES },
	{ "05-gic-in-ram-window", m_gic_in_ram, E_NORES },
	{ "05-gic-bad-stride", m_gic_stride, E_MEM },
	{ "05-no-gic-at-all", m_no_gic, OK, E_NORES },
	{ "05-root-interrupt-parent-only", m_root_gic_only, OK, OK },
	{ "05-interrupts-without-config", m_interrupts_no_config, OK, OK },
	{ "05-interrupts-without-config-or-root", m_interrupts_no_config_no_root, E_MEM },
	/* §9.6 */
	{ "06-no-vcpus-node", m_no_vcpus, E_NORES },
	{ "06-cpu-without-device-type", m_cpu_no_type, E_MEM },
	{ "06-cpu-status-nonstandard", m_cpu_bad_status, E_MEM },
	{ "06-cpu-status-fail-skipped", m_cpu_fail_skipped, OK, OK, .want_vcpus = 1 },
	{ "06-secondary-without-enable-method", m_secondary_no_method, E_MEM },
	{ "06-secondary-psci-without-idle-states", m_secondary_psci_no_idle, E_MEM },
	{ "06-secondary-psci-with-idle-states", m_secondary_psci_idle, OK, OK, .want_vcpus = 2 },
	{ "06-secondary-gunyah-hvc", m_secondary_hvc, OK, OK, .want_vcpus = 2 },
	{ "06-enable-method-from-cpus-node", m_cpus_method_fallback, OK, OK, .want_vcpus = 2 },
	{ "06-no-boot-cpu", m_no_boot_cpu, E_MEM },
	{ "06-psci-node-before-vm-config", m_psci_first, E_MEM },
	{ "06-psci-node-first-proxy", m_psci_first_proxy, OK, OK },
	{ "06-more-vcpus-than-cores", m_secondary_psci_idle, E_NORES, .max_cores = 1 },
	{ "06-vcpus-config-unresolved", m_vcpus_config_bad, E_MEM },
	/* §9.7 */
	{ "07-crash-fatal", m_crash_fatal, E_ARG },
	{ "07-is-direct", m_is_direct, E_ARG },
	{ "07-gic-irq-ranges", m_gic_irq_ranges, E_NORES },
	{ "07-iomemory-ranges", m_iomem_ranges, E_NORES },
	{ "07-iomemory-ranges-malformed", m_iomem_ranges_bad, E_MEM },
	{ "07-vm-guid-malformed", m_guid_bad, E_MEM },
	{ "07-vm-guid-ok", m_guid_ok, OK, OK },
	/* §9.8 */
	{ "08-shm-no-peer-default", m_shm_no_peer, E_MEM },
	{ "08-shm-extra-subnode", m_shm_extra_subnode, E_MEM },
	{ "08-shm-memory-misnamed", m_shm_misnamed, E_MEM },
	{ "08-shm-memory-missing", m_shm_no_memory, E_MEM },
	{ "08-shm-no-label", m_shm_no_label, E_MEM },
	{ "08-shm-qcom-label", m_shm_qcom_label, OK, OK },
	{ "08-shm-base-and-allocate-base", m_shm_both, E_MEM },
	{ "08-shm-neither-base", m_shm_neither, E_MEM },
	{ "08-shm-allocate-base", m_shm_allocate, OK, OK },
	{ "08-shm-base-not-page-aligned", m_shm_base_unaligned, E_MEM },
	{ "08-message-queue-no-direction", m_msgq_no_direction, E_MEM },
	{ "08-message-queue-both-directions", m_msgq_both, E_MEM },
	{ "08-message-queues-ok", m_msgq_ok, OK, OK },
	{ "08-message-queue-pair-bad-peer", m_msgq_pair_bad_peer, E_MEM },
	{ "08-rm-rpc-without-generate", m_rm_rpc_no_generate, E_MEM },
	{ "08-push-compatible-7", m_push_compat, E_MEM },
	{ "08-generate-not-a-path", m_generate_relative, E_MEM },
	{ "08-vrtc-on-qemu", m_vrtc, E_NORES },
	{ "08-vrtc-neither-base", m_vrtc_neither, E_MEM },
	{ "08-doorbell-ppi", m_doorbell_ppi, E_NORES },
	{ "08-doorbell-intid-960", m_doorbell_960, E_NORES },
	{ "08-doorbell-spi-ok", m_doorbell_ok, OK, OK },
	{ "08-doorbell-bad-trigger-ignored", m_doorbell_bad_trigger, OK, OK },
	{ "08-doorbell-no-peer", m_doorbell_no_peer, E_MEM },
	{ "08-unknown-vdevice-type-ignored", m_unknown_vdev, OK, OK },
	{ "08-vsmmu-missing-properties", m_vsmmu_bad, E_MEM },
	/* §9.9 */
	{ "09-no-chosen", m_no_chosen, OK, E_NORES },
	{ "09-hypervisor-present", m_hypervisor, OK, E_NORES },
	{ "09-reserved-memory-unmatched", m_resmem_unmatched, OK, E_NORES },
	{ "09-reserved-memory-by-label", m_resmem_label, OK, OK },
	{ "09-reserved-memory-by-address", m_resmem_shm, OK, OK },
	/* §9.10 */
	{ "10-shm-label-0", m_shm_label0, OK, E_NORES },
	{ "10-shm-label-from-vdevice-node", m_shm_node_label_overrides, OK, OK },
	{ "10-shm-label-used-twice", m_shm_twice, OK, E_NORES },
	{ "10-shm-base-inside-ram", m_shm_in_ram, OK, E_NORES },
	{ "10-shm-parcel-absent", m_shm_absent, OK, E_NORES },
	{ "10-shm-parcel-absent-optional", m_shm_optional, OK, OK },
	{ "10-dtb-size-below-totalsize", NULL, E_MEM, .dtb_size = 256 },
	{ "10-dtb-merge-needs-room", m_big, OK, E_NORES, .dtb_size = 40 << 10 },
	{ "10-dtb-merge-room-ok", m_big, OK, OK },
	/* the walk */
	{ "walk-deeper-than-16", m_deep, E_MEM },
	{ "walk-qcom-vm-config", m_qcom_vm_config, OK, OK },
	{ "walk-no-vm-config", m_no_vm_config, E_MEM },
};

static void test_dt_case(gconstpointer data)
{
	const struct dt_case *tc = data;
	struct guest *g = guest_new(1);
	struct emu_vm_info vi;
	u32 err;

	if (tc->mutate) {
		g_autofree u8 *buf = g_malloc(TEST_GUEST_DTB_SLOT);

		CHECK(fdt_open_into(g->mem + g->dtb_off, buf, TEST_GUEST_DTB_SLOT));
		tc->mutate(buf);
		CHECK(fdt_pack(buf));
		guest_put_dtb(g, buf);
	}
	if (tc->dtb_size)
		g->dtb_size = tc->dtb_size;
	if (tc->max_cores)
		emu_set_max_cores(g->c->emu, tc->max_cores);
	guest_lend(g, 1);
	g_assert_cmphex(guest_config(g), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_INIT);

	err = rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid);
	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &vi), ==, 0);
	g_test_message("VM_INIT: %s (%s)", gh_rm_error_name(err), vi.dtb);
	g_assert_cmphex(err, ==, tc->init_err);
	if (err) {
		rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_INIT_FAILED);
		g_assert_cmpint(vi.state, ==, GH_RM_VM_STATE_INIT_FAILED);
		g_assert_cmpstr(vi.dtb, !=, "ok");
		guest_free(g);
		return;
	}
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_READY);
	g_assert_cmpstr(vi.dtb, ==, "ok");
	if (tc->want_base)
		g_assert_cmphex(vi.mem_base, ==, tc->want_base);
	if (tc->want_vcpus)
		g_assert_cmpuint(vi.vcpus, ==, tc->want_vcpus);

	err = rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid);
	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &vi), ==, 0);
	g_test_message("VM_START: %s (%s)", gh_rm_error_name(err), vi.dtb);
	g_assert_cmphex(err, ==, tc->start_err);
	g_assert_cmpint(vi.state, ==, err ? GH_RM_VM_STATE_INIT_FAILED : GH_RM_VM_STATE_RUNNING);
	rmc_expect_status(g->c, g->vmid, vi.state);
	if (err) {
		/* nothing was accepted: everything can be reclaimed at once */
		g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
		g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	}
	guest_free(g);
}

static void test_dt_garbage(void)
{
	struct guest *g = guest_new(1);
	g_autofree char *log = NULL;

	memset(g->mem + g->dtb_off, 0, 64);
	guest_lend(g, 1);
	g_assert_cmphex(guest_config(g), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, E_MEM);
	log = rmc_ctl_ok(g->c, "log");
	g_assert_nonnull(strstr(log, "VM_INIT seq=6 vmid=0x80 result=MEM_INVALID "
				"dtb=no-valid-DTB-header\n"));
	guest_free(g);

	/* memory the emulator cannot read */
	g = guest_new(1);
	guest_lend(g, 1);
	g->c->n_map = 0;
	g_assert_cmphex(guest_config(g), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, E_MEM);
	guest_free(g);

	/* unless told to skip the DT */
	g = guest_new(1);
	guest_lend(g, 1);
	g->c->n_map = 0;
	g_free(rmc_ctl_ok(g->c, "set skip-dtb yes"));
	g_assert_cmphex(guest_config(g), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, OK);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_RUNNING);
	guest_free(g);
}

/* The parser as a library: facts it records, and the root-cells start check */
static void test_dt_parse_direct(void)
{
	struct emu_dt_platform plat = { .max_cores = 8, .ram_size = GUEST_SIZE };
	struct emu_dt_config *cfg = g_new0(struct emu_dt_config, 1);
	struct emu_dt_error err;
	u8 *mem = test_guest_map(GUEST_SIZE);
	u64 off = guest_write_dtb_rpc(mem, 1, false);

	g_assert_cmpint(emu_dt_parse(mem + off, TEST_GUEST_DTB_SLOT, &plat, cfg, &err), ==, 0);
	g_assert_cmpstr(cfg->image_name, ==, "conformance");
	g_assert_true(cfg->gic_found);
	g_assert_true(cfg->gic_has_reg);
	g_assert_cmphex(cfg->gicd, ==, 0x3fff0000);
	g_assert_cmphex(cfg->gicr, ==, 0x3ffd0000);
	g_assert_cmpuint(cfg->n_vdevs, ==, 1);
	g_assert_cmpuint(cfg->vdevs[0].type, ==, EMU_DT_VDEV_SHM);
	g_assert_cmpuint(cfg->vdevs[0].label, ==, 1);
	g_assert_true(cfg->vdevs[0].fixed_base);
	g_assert_cmphex(cfg->vdevs[0].base, ==, 0xc0000000);
	g_assert_cmpint(cfg->sched_priority, ==, -1);
	g_assert_cmpuint(cfg->sched_timeslice, ==, 2000);
	g_assert_cmpuint(cfg->root_address_cells, ==, 2);
	g_assert_true(cfg->has_chosen);
	g_assert_cmpint(emu_dt_check_start(cfg, TEST_GUEST_DTB_SLOT, &err), ==, 0);
	cfg->root_size_cells = 3;
	g_assert_cmpint(emu_dt_check_start(cfg, TEST_GUEST_DTB_SLOT, &err), ==, -EINVAL);
	g_assert_cmphex(err.rm_error, ==, E_NORES);
	g_assert_cmpstr(emu_dt_vdev_type_name(EMU_DT_VDEV_MSGQ_PAIR), ==, "message-queue-pair");
	/* a size that cuts the blob */
	g_assert_cmpint(emu_dt_parse(mem + off, 100, &plat, cfg, &err), ==, -EINVAL);
	g_assert_cmphex(err.rm_error, ==, E_MEM);
	munmap(mem, GUEST_SIZE);
	g_free(cfg);
}

/* GET_HYP_RESOURCES: one VCPU per vCPU, and the HLOS end of queues and doorbells */
static void test_dt_resources(void)
{
	struct guest *g = guest_new(1);
	g_autofree u8 *buf = g_malloc(TEST_GUEST_DTB_SLOT);
	struct gh_rm_hyp_resource res;
	struct rmc_msg *m;
	u32 n, i, types = 0;
	u8 req[4];

	CHECK(fdt_open_into(g->mem + g->dtb_off, buf, TEST_GUEST_DTB_SLOT));
	add_cpu1(buf, true, true);
	m_msgq_ok(buf);
	m_doorbell_ok(buf);
	CHECK(fdt_pack(buf));
	guest_put_dtb(g, buf);
	guest_lend(g, 1);
	guest_start(g);
	req[0] = (u8)g->vmid;
	req[1] = req[2] = req[3] = 0;
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_GET_HYP_RESOURCES, req, 4, &m), ==, OK);
	g_assert_cmpint(gh_rm_dec_hyp_resources(m->data, m->len, &n), ==, 0);
	/* 2 vCPUs, message-queue (1), message-queue-pair (2), doorbell (1) */
	g_assert_cmpuint(n, ==, 6);
	for (i = 0; i < n; i++) {
		g_assert_cmpint(gh_rm_dec_hyp_resource(m->data, m->len, i, &res), ==, 0);
		types |= 1U << res.type;
		if (i < 2) {
			g_assert_cmpuint(res.type, ==, 4);
			g_assert_cmpuint(res.resource_label, ==, i);
		}
	}
	g_assert_cmphex(types, ==, 1U << 0 | 1U << 2 | 1U << 3 | 1U << 4);
	g_free(m);
	guest_teardown(g);
	guest_free(g);
}

/* ---------------------------------------------------------------------------
 * Memory parcels
 */
static struct gh_rm_mem_entry *scatter(size_t n, u64 base)
{
	struct gh_rm_mem_entry *e = g_new(struct gh_rm_mem_entry, n);
	size_t i;

	for (i = 0; i < n; i++) {
		e[i].ipa_base = base + i * 0x2000;	/* one page every two: nothing merges */
		e[i].size = 0x1000;
	}
	return e;
}

static void test_mem_append(void)
{
	struct rmc *c = rmc_new();
	g_autofree struct gh_rm_mem_entry *mem = scatter(1200, 0x10000000);
	struct gh_rm_mem_share_args args = { .label = 0, .n_acl = 1, .mem = mem, .n_mem = 1200 };
	struct gh_rm_acl_entry acl[1];
	struct emu_parcel_info pi;
	g_autofree u8 *buf = g_malloc(16384);
	g_autofree char *parcels = NULL;
	struct rmc_msg *m;
	u32 handle;
	u16 vmid = rmc_alloc_vm(c);
	int len;

	acl[0] = (struct gh_rm_acl_entry){ .vmid = vmid, .perms = RWX };
	args.acl = acl;
	/* first message: 512 entries and APPEND; the parcel is incomplete */
	len = gh_rm_enc_mem_share_req(buf, 16384, &args);
	g_assert_cmpint(len, >, 232);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, (size_t)len, &m), ==, OK);
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(m->data, m->len, &handle), ==, 0);
	g_free(m);
	g_assert_cmpint(emu_parcel_get(c->emu, handle, &pi), ==, 0);
	g_assert_false(pi.complete);
	g_assert_cmpuint(pi.n_mem, ==, 512);
	/* an incomplete parcel is no image */
	g_assert_cmphex(rmc_config_image(c, vmid, handle, 0, 0), ==, GH_RM_ERROR_MEM_INVALID);
	rmc_drain(c);

	len = gh_rm_enc_mem_append_req(buf, 16384, handle, mem, 1200, 1);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_APPEND, buf, (size_t)len, NULL), ==, OK);
	g_assert_cmpint(emu_parcel_get(c->emu, handle, &pi), ==, 0);
	g_assert_false(pi.complete);
	g_assert_cmpuint(pi.n_mem, ==, 1024);
	len = gh_rm_enc_mem_append_req(buf, 16384, handle, mem, 1200, 2);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_APPEND, buf, (size_t)len, NULL), ==, OK);
	g_assert_cmpint(emu_parcel_get(c->emu, handle, &pi), ==, 0);
	g_assert_true(pi.complete);
	g_assert_cmpuint(pi.n_mem, ==, 1200);
	g_assert_cmpuint(pi.size, ==, 1200 * 0x1000);
	/* 512 + 512 + 176 entries: 36 + 36 + 13 request packets */
	g_assert_cmpuint(pi.messages, ==, 3);
	g_assert_cmpuint(pi.packets, ==, 85);
	/* a complete parcel takes no more */
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_APPEND, buf, (size_t)len, NULL), ==,
			GH_RM_ERROR_DENIED);
	/* unknown handle, no entries */
	len = gh_rm_enc_mem_append_slice(buf, 16384, 999, GH_RM_MEM_APPEND_FLAG_END, mem, 1);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_APPEND, buf, (size_t)len, NULL), ==,
			GH_RM_ERROR_HANDLE_INVALID);
	g_assert_cmphex(rmc_reclaim(c, handle), ==, OK);
	g_assert_cmpuint(emu_parcel_count(c->emu), ==, 0);

	/* the helper, as the kernel does it: 3 messages, two packets fewer */
	g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 0, acl, 1, mem, 1200, &handle), ==, OK);
	g_assert_cmpint(emu_parcel_get(c->emu, handle, &pi), ==, 0);
	g_assert_true(pi.complete);
	g_assert_cmpuint(pi.n_mem, ==, 1200);
	g_assert_cmpuint(pi.messages, ==, 3);
	g_assert_cmpuint(pi.packets, ==, 83);
	parcels = rmc_ctl_ok(c, "parcels");
	g_assert_nonnull(strstr(parcels, "entries=1200 state=shared complete=yes messages=3 packets=83"));
	/* an empty append is refused (the parcel is complete already: make a new one) */
	args.n_mem = 600;
	g_assert_cmphex(rmc_reclaim(c, handle), ==, OK);
	len = gh_rm_enc_mem_share_req(buf, 16384, &args);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, (size_t)len, &m), ==, OK);
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(m->data, m->len, &handle), ==, 0);
	g_free(m);
	len = gh_rm_enc_mem_append_slice(buf, 16384, handle, GH_RM_MEM_APPEND_FLAG_END, NULL, 0);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_APPEND, buf, (size_t)len, NULL), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	/* an incomplete parcel can be reclaimed (the kernel does so when an append fails) */
	g_assert_cmphex(rmc_reclaim(c, handle), ==, OK);
	rmc_free(c);
}

/*
 * A 1 GiB parcel as the module sends it: in 2 MiB pages that are not
 * physically contiguous, 512 entries in one MEM_LEND; in scattered 4 KiB
 * pages, 262144 entries in 512 messages. Packets as gh_rm_mem_plan() says.
 */
static void test_mem_1g_parcel(void)
{
	const size_t n_huge = (1u << 30) / (2u << 20), n_small = (1u << 30) / 4096;
	g_autofree struct gh_rm_mem_entry *mem = g_new(struct gh_rm_mem_entry, n_small);
	g_autofree u16 *counts = g_new(u16, gh_rm_mem_nchunks(n_small));
	struct rmc *c = rmc_new();
	struct gh_rm_acl_entry acl = { .vmid = rmc_alloc_vm(c), .perms = RWX };
	struct emu_parcel_info pi;
	size_t packets;
	u32 handle;

	for (size_t i = 0; i < n_huge; i++) {
		mem[i].ipa_base = 0x100000000ull + i * (4u << 20);	/* a hole after each */
		mem[i].size = 2u << 20;
	}
	g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 0, &acl, 1, mem, n_huge, &handle), ==, OK);
	g_assert_cmpint(emu_parcel_get(c->emu, handle, &pi), ==, 0);
	g_assert_cmpuint(pi.size, ==, 1u << 30);
	g_assert_cmpuint(pi.n_mem, ==, 512);
	g_assert_cmpuint(pi.messages, ==, 1);
	g_assert_cmpuint(pi.packets, ==, 36);
	g_assert_cmphex(rmc_reclaim(c, handle), ==, OK);

	for (size_t i = 0; i < n_small; i++) {
		mem[i].ipa_base = 0x100000000ull + i * 0x2000;
		mem[i].size = 0x1000;
	}
	packets = gh_rm_mem_plan(1, n_small, counts);
	g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 0, &acl, 1, mem, n_small, &handle), ==, OK);
	g_assert_cmpint(emu_parcel_get(c->emu, handle, &pi), ==, 0);
	g_assert_true(pi.complete);
	g_assert_cmpuint(pi.size, ==, 1u << 30);
	g_assert_cmpuint(pi.n_mem, ==, n_small);
	g_assert_cmpuint(pi.messages, ==, 512);
	g_assert_cmpuint(pi.packets, ==, packets);
	/* every message full: 36 packets each, nothing to save */
	g_assert_cmpuint(packets, ==, 512 * 36);
	g_test_message("1 GiB: 2 MiB pages 512 entries, 1 message, 36 packets; "
		       "4 KiB pages %zu entries, 512 messages, %zu packets", n_small, packets);
	g_assert_cmphex(rmc_reclaim(c, handle), ==, OK);
	rmc_free(c);
}

/* A list count above 512 is NORESOURCE (rm_rpc_read_list) */
static void test_mem_list_limit(void)
{
	struct rmc *c = rmc_new();
	g_autofree u8 *buf = g_malloc0(16384);
	u16 vmid = rmc_alloc_vm(c);
	size_t len;
	u8 *p;

	/* header, ACL {vmid RWX}, memory list announcing 513 entries (all present) */
	p = buf + 8;
	gh_rm_put_le16(p, 1);
	gh_rm_put_le16(p + 4, vmid);
	p[6] = RWX;
	p += 8;
	gh_rm_put_le16(p, 513);
	p += 4 + 513 * 16;
	gh_rm_put_le32(p, 0);
	len = (size_t)(p + 4 - buf);
	g_assert_cmpuint(len, <=, GH_RM_MSG_MAX_SEND);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, len, NULL), ==, GH_RM_ERROR_NORESOURCE);
	/* an ACL count above 512 too */
	gh_rm_put_le16(buf + 8, 600);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, len, NULL), ==, GH_RM_ERROR_NORESOURCE);
	/* a truncated list is MSG_INVALID */
	gh_rm_put_le16(buf + 8, 1);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, 18, NULL), ==, GH_RM_ERROR_MSG_INVALID);
	g_assert_cmpuint(emu_parcel_count(c->emu), ==, 0);
	rmc_free(c);
}

static void test_mem_rules(void)
{
	struct rmc *c = rmc_new();
	struct gh_rm_mem_entry mem[2] = {
		{ .ipa_base = 0x10000000, .size = 0x4000 },
		{ .ipa_base = 0x20000000, .size = 0x1000 },
	};
	struct gh_rm_acl_entry acl[3];
	struct gh_rm_mem_share_args args = { .mem = mem, .n_mem = 1 };
	g_autofree u8 *buf = g_malloc(4096);
	u16 vm = rmc_alloc_vm(c), vm2 = rmc_alloc_vm(c);
	u32 h, h2;
	int len;

#define MEM(id, n, ...) ({ \
		struct gh_rm_acl_entry a_[] = { __VA_ARGS__ }; \
		memcpy(acl, a_, sizeof(a_)); \
		rmc_mem(c, id, 0, acl, n, mem, 1, NULL); \
	})
	/* a lend has exactly one borrower, and never the owner */
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 2, { vm, RWX }, { vm2, RWX }), ==, E_ARG);
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 1, { GH_RM_VMID_HLOS, RWX }), ==, E_ARG);
	/* a share includes the owner */
	g_assert_cmphex(MEM(GH_RM_MEM_SHARE, 1, { vm, RW }), ==, E_ARG);
	g_assert_cmphex(MEM(GH_RM_MEM_SHARE, 2, { vm, RW }, { vm, RWX }), ==, E_ARG);
	/* rights R, RX, RW, RWX only; known VMIDs only */
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 1, { vm, GH_RM_ACL_W }), ==, E_ARG);
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 1, { vm, GH_RM_ACL_X }), ==, E_ARG);
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 1, { vm, 0 }), ==, E_ARG);
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 1, { 0x99, RWX }), ==, E_ARG);
	g_assert_cmphex(MEM(GH_RM_MEM_SHARE, 3, { vm, GH_RM_ACL_R }, { vm2, RWX },
			    { GH_RM_VMID_HLOS, RWX }), ==, OK);
	g_assert_cmpuint(emu_parcel_count(c->emu), ==, 1);
	/* the same memory again: the hypervisor's memextent is in use */
	g_assert_cmphex(MEM(GH_RM_MEM_LEND, 1, { vm, RWX }), ==, GH_RM_ERROR_MEM_INUSE);
	g_assert_cmphex(MEM(GH_RM_MEM_DONATE, 1, { vm, RWX }), ==, GH_RM_ERROR_MEM_INUSE);
#undef MEM

	/* empty lists */
	acl[0] = (struct gh_rm_acl_entry){ vm, RWX };
	g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 0, acl, 0, &mem[1], 1, NULL), ==, E_ARG);
	args.acl = acl;
	args.n_acl = 1;
	args.n_mem = 0;
	len = gh_rm_enc_mem_share_req(buf, 4096, &args);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, (size_t)len, NULL), ==, E_ARG);
	/* entries: unaligned, empty, wrapping, overlapping each other */
	{
		struct gh_rm_mem_entry bad[][2] = {
			{ { 0x30000800, 0x1000 } },
			{ { 0x30000000, 0x800 } },
			{ { 0x30000000, 0 } },
			{ { 0xfffffffffffff000ULL, 0x2000 } },
		};
		struct gh_rm_mem_entry twice[2] = {
			{ 0x30000000, 0x2000 }, { 0x30001000, 0x1000 },
		};
		size_t i;

		for (i = 0; i < G_N_ELEMENTS(bad); i++)
			g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 0, acl, 1, bad[i], 1, NULL), ==,
					E_ARG);
		g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 0, acl, 1, twice, 2, NULL), ==,
				GH_RM_ERROR_MEM_INUSE);
	}
	/* IO memory: no X, no sanitize */
	args.mem_type = GH_RM_MEM_TYPE_IO;
	args.n_mem = 1;
	args.mem = &mem[1];
	len = gh_rm_enc_mem_share_req(buf, 4096, &args);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, (size_t)len, NULL), ==, E_ARG);
	acl[0].perms = RW;
	args.flags = GH_RM_MEM_SHARE_FLAG_SANITIZE;
	len = gh_rm_enc_mem_share_req(buf, 4096, &args);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, (size_t)len, NULL), ==, E_ARG);
	/* donate: one range of normal memory, RWX */
	args.flags = 0;
	args.mem_type = GH_RM_MEM_TYPE_NORMAL;
	len = gh_rm_enc_mem_share_req(buf, 4096, &args);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_DONATE, buf, (size_t)len, NULL), ==,
			GH_RM_ERROR_DENIED);
	acl[0].perms = RWX;
	g_assert_cmphex(rmc_mem(c, GH_RM_MEM_DONATE, 0, acl, 1, &mem[1], 1, &h), ==, OK);
	/* handles count up */
	g_assert_cmphex(rmc_mem(c, GH_RM_MEM_LEND, 3, acl, 1,
				(struct gh_rm_mem_entry[]){ { 0x40000000, 0x1000 } }, 1, &h2), ==,
			OK);
	g_assert_cmpuint(h2, ==, h + 1);
	/* MEM_RELEASE from the owner */
	{
		u8 rel[8] = { 0 };

		gh_rm_put_le32(rel, h2);
		g_assert_cmphex(rmc_call(c, GH_RM_MEM_RELEASE, rel, 8, NULL), ==,
				GH_RM_ERROR_HANDLE_INVALID);
		gh_rm_put_le32(rel, 0);
		g_assert_cmphex(rmc_call(c, GH_RM_MEM_RELEASE, rel, 8, NULL), ==,
				GH_RM_ERROR_DENIED);
	}
	g_assert_cmphex(rmc_reclaim(c, 12345), ==, GH_RM_ERROR_HANDLE_INVALID);
	rmc_free(c);
}

/* Attribute lists: valid values, VMIDs that are in the ACL, once each */
static void test_mem_attrs(void)
{
	struct rmc *c = rmc_new();
	u16 vm = rmc_alloc_vm(c);
	u8 buf[64];
	size_t len;

	memset(buf, 0, sizeof(buf));
	/* header */
	buf[0] = 0;
	/* ACL: 1 entry */
	gh_rm_put_le16(buf + 8, 1);
	gh_rm_put_le16(buf + 12, vm);
	buf[14] = RWX;
	/* memory: 1 entry */
	gh_rm_put_le16(buf + 16, 1);
	gh_rm_put_le64(buf + 20, 0x50000000);
	gh_rm_put_le64(buf + 28, 0x1000);
	/* attributes: 1 entry */
	gh_rm_put_le16(buf + 36, 1);
	gh_rm_put_le16(buf + 40, GH_RM_MEM_ATTR_UNCACHED);
	gh_rm_put_le16(buf + 42, vm);
	len = 44;
	gh_rm_put_le16(buf + 42, 0x99);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, len, NULL), ==, GH_RM_ERROR_VMID_INVALID);
	gh_rm_put_le16(buf + 42, vm);
	gh_rm_put_le16(buf + 40, 7);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, len, NULL), ==, E_ARG);
	gh_rm_put_le16(buf + 40, GH_RM_MEM_ATTR_UNCACHED);
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, len, NULL), ==, OK);
	/* trailing garbage */
	g_assert_cmphex(rmc_call(c, GH_RM_MEM_LEND, buf, len + 4, NULL), ==,
			GH_RM_ERROR_MSG_INVALID);
	rmc_free(c);
}

/* An image parcel the RM's accept refuses: shared, or lent without X */
static void test_mem_image_parcel(void)
{
	struct guest *g = guest_new(1);
	struct gh_rm_acl_entry acl[2];
	struct emu_vm_info vi;

	g->vmid = rmc_alloc_vm(g->c);
	acl[0] = (struct gh_rm_acl_entry){ g->vmid, RWX };
	acl[1] = (struct gh_rm_acl_entry){ GH_RM_VMID_HLOS, RWX };
	g_assert_cmphex(rmc_mem(g->c, GH_RM_MEM_SHARE, 0, acl, 2, g->main, N_CHUNKS, &g->h_main),
			==, OK);
	acl[0].perms = RW;
	g_assert_cmphex(rmc_mem(g->c, GH_RM_MEM_SHARE, 1, acl, 2, &g->shm_ent, 1, &g->h_shm), ==,
			OK);
	g_assert_cmphex(guest_config(g), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, E_NORES);
	g_assert_cmpint(emu_vm_get(g->c->emu, g->vmid, &vi), ==, 0);
	g_assert_cmpstr(vi.dtb, ==, "image parcel not lent exclusively RWX");
	guest_free(g);

	g = guest_new(1);
	g->vmid = rmc_alloc_vm(g->c);
	acl[0] = (struct gh_rm_acl_entry){ g->vmid, RW };
	g_assert_cmphex(rmc_mem(g->c, GH_RM_MEM_LEND, 0, acl, 1, g->main, N_CHUNKS, &g->h_main),
			==, OK);
	g_assert_cmphex(guest_config(g), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, E_NORES);
	guest_free(g);

	/* the image parcel reclaimed between VM_INIT and VM_START */
	g = guest_in_state(GH_RM_VM_STATE_READY);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, E_NORES);
	guest_free(g);
}

/* ---------------------------------------------------------------------------
 * Reclaim
 */
static void test_reclaim(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	g_autofree char *log = NULL, *parcels = NULL;

	/* held by a running guest: MEM_INUSE (memparcel_do_reclaim) */
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_MEM_INUSE);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, GH_RM_ERROR_MEM_INUSE);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
	/* still held by the exited VM until it is reset */
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_MEM_INUSE);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	/* the fault forces a refusal even then */
	g_free(rmc_ctl_ok(g->c, "reclaim refuse"));
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_IN_USE);
	parcels = rmc_ctl_ok(g->c, "parcels");
	g_assert_nonnull(strstr(parcels, "handle=0 "));
	g_assert_nonnull(strstr(parcels, "state=shared"));
	g_free(rmc_ctl_ok(g->c, "reclaim allow"));
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_HANDLE_INVALID);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, OK);
	log = rmc_ctl_ok(g->c, "log");
	g_assert_nonnull(strstr(log, "MEM_RECLAIM seq=9 vmid=0x80 result=MEM_INUSE handle=0\n"));
	g_assert_nonnull(strstr(log, "result=IN_USE handle=0 fault=reclaim-refuse\n"));
	guest_free(g);

	/* never accepted (READY): reclaimable */
	g = guest_in_state(GH_RM_VM_STATE_READY);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, OK);
	guest_free(g);
	/* INIT_FAILED after VM_START failed: nothing was accepted */
	g = guest_in_state(GH_RM_VM_STATE_READY);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, E_NORES);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
	guest_free(g);
	/* forced refusal before anything was accepted */
	g = guest_in_state(GH_RM_VM_STATE_LOAD);
	g_free(rmc_ctl_ok(g->c, "reclaim refuse"));
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, GH_RM_ERROR_IN_USE);
	guest_free(g);
}

/* ---------------------------------------------------------------------------
 * Faults
 */
static void test_fault_error(void)
{
	struct rmc *c = rmc_new();
	g_autofree char *log = NULL, *stats = NULL, *list = NULL;

	g_free(rmc_ctl_ok(c, "fault VM_ALLOCATE error NORESOURCE count 1"));
	list = rmc_ctl_ok(c, "fault list");
	g_assert_cmpstr(list, ==, "VM_ALLOCATE error NORESOURCE count 1\n");
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_ALLOCATE, 0), ==, GH_RM_ERROR_NORESOURCE);
	/* an injected error does nothing else */
	g_assert_cmpuint(emu_vm_count(c->emu), ==, 0);
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x80);
	/* by code, for any message, twice */
	g_free(rmc_ctl_ok(c, "fault * error 0x7 count 2"));
	g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==, 7);
	g_assert_cmphex(rmc_vmid_call(c, GH_RM_VM_START, 0x80), ==, 7);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==, OK);
	/* unlimited until cleared; message names are case-insensitive */
	g_free(rmc_ctl_ok(c, "fault vm_get_vmid error UNIMPLEMENTED"));
	g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==,
			GH_RM_ERROR_UNIMPLEMENTED);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==,
			GH_RM_ERROR_UNIMPLEMENTED);
	g_free(rmc_ctl_ok(c, "fault clear"));
	g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==, OK);
	log = rmc_ctl_ok(c, "log");
	g_assert_nonnull(strstr(log, "1 VM_ALLOCATE seq=1 vmid=0x0 result=NORESOURCE "
				"fault=error\n"));
	g_assert_nonnull(strstr(log, "VM_START seq=4 vmid=0x0 result=HANDLE_INVALID "
				"fault=error\n"));
	stats = rmc_ctl_ok(c, "stats");
	g_assert_true(g_str_has_prefix(stats, "requests=8 concurrent=0 dropped=0 malformed=0 "
					      "notifications=0 "));
	g_assert_nonnull(strstr(stats, " faulted=5 "));
	rmc_free(c);
}

static void test_fault_drop(void)
{
	struct rmc *c = rmc_new();
	struct emu_stats st;
	u16 seq;
	u8 req[4] = { 0 };

	g_free(rmc_ctl_ok(c, "fault VM_ALLOCATE drop count 1"));
	seq = rmc_send(c, GH_RM_VM_ALLOCATE, req, 4);
	g_assert_null(rmc_take_reply(c, seq));
	g_assert_cmpuint(rmc_pending(c), ==, 0);
	/* the request was served, only its reply was lost */
	g_assert_cmpuint(emu_vm_count(c->emu), ==, 1);
	emu_get_stats(c->emu, &st);
	g_assert_cmpuint(st.dropped, ==, 1);
	/* nothing is pending: the next request is answered */
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x81);
	/* the VMID the client never learnt can be forgotten */
	g_free(rmc_ctl_ok(c, "forget 0x80"));
	g_assert_cmpuint(emu_vm_count(c->emu), ==, 1);
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x80);
	{
		g_autofree char *r = rmc_ctl(c, "forget 0x99");

		g_assert_cmpstr(r, ==, "ERR no VM 0x99\n");
	}
	rmc_free(c);
}

static void test_fault_delay(void)
{
	struct rmc *c = rmc_new();
	g_autofree char *log = NULL, *stats = NULL;
	struct rmc_msg *m;
	struct emu_stats st;
	u64 deadline;
	u16 seq, seq2;

	g_free(rmc_ctl_ok(c, "fault VM_GET_VMID delay 100"));
	seq = rmc_send(c, GH_RM_VM_GET_VMID, NULL, 0);
	g_assert_null(rmc_take_reply(c, seq));
	g_assert_true(emu_next_deadline(c->emu, &deadline));
	g_assert_cmpuint(deadline, ==, 100);
	/* one pending reply per client: a second request is answered BUSY at once */
	seq2 = rmc_send(c, GH_RM_VM_ALLOCATE, (u8[]){ 0, 0, 0, 0 }, 4);
	m = rmc_take_reply(c, seq2);
	g_assert_nonnull(m);
	g_assert_cmphex(m->err, ==, GH_RM_ERROR_BUSY);
	g_free(m);
	g_assert_cmpuint(emu_vm_count(c->emu), ==, 0);
	rmc_tick(c, 99);
	g_assert_null(rmc_take_reply(c, seq));
	rmc_tick(c, 1);
	m = rmc_take_reply(c, seq);
	g_assert_nonnull(m);
	g_assert_cmphex(m->err, ==, OK);
	g_assert_cmpuint(m->len, ==, 4);
	g_free(m);
	g_assert_false(emu_next_deadline(c->emu, &deadline));
	emu_get_stats(c->emu, &st);
	g_assert_cmpuint(st.concurrent, ==, 1);
	g_assert_cmpuint(st.delayed, ==, 1);
	log = rmc_ctl_ok(c, "log");
	g_assert_nonnull(strstr(log, "1 VM_GET_VMID seq=1 vmid=0x3 result=OK fault=delay "
				"delay_ms=100\n2 CONCURRENT seq=2 vmid=0x0 result=BUSY "
				"msg=VM_ALLOCATE\n"));
	stats = rmc_ctl_ok(c, "stats");
	g_assert_true(g_str_has_prefix(stats, "requests=2 concurrent=1 dropped=0"));
	/* the fault stays until cleared: delay every GET_VMID */
	seq = rmc_send(c, GH_RM_VM_GET_VMID, NULL, 0);
	g_assert_null(rmc_take_reply(c, seq));
	rmc_tick(c, 100);
	g_free(rmc_take_reply(c, seq));
	rmc_free(c);
}

/* A delayed VM_RESET: its status now, the reply later, and the reset after that */
static void test_fault_delay_reset(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_EXITED);
	struct rmc_msg *m;
	u16 seq;

	g_free(rmc_ctl_ok(g->c, "fault VM_RESET delay 50 count 1"));
	seq = rmc_send(g->c, GH_RM_VM_RESET, (u8[]){ (u8)g->vmid, 0, 0, 0 }, 4);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESETTING);
	g_assert_cmpuint(rmc_pending(g->c), ==, 0);
	rmc_tick(g->c, 50);
	m = g_queue_pop_head(&g->c->msgs);
	g_assert_cmpuint(m->type, ==, GH_RM_TYPE_REPLY);
	g_assert_cmpuint(m->seq, ==, seq);
	g_free(m);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESET);
	guest_free(g);
}

/* Each malformed kind, and the reassembly rule it breaks at the receiver */
struct malformed_case {
	const char *kind;
	unsigned int packets;
	enum gh_rm_drop drop;	/* the client's reassembler verdict on the last packet */
	size_t len;		/* of the last packet */
};

static const struct malformed_case malformed_cases[] = {
	{ "short", 1, GH_RM_DROP_SHORT, 4 },
	{ "long", 1, GH_RM_DROP_LONG, 241 },
	{ "bad-api", 1, GH_RM_DROP_API, 16 },
	{ "bad-fragments", 1, GH_RM_DROP_FRAGMENTS, 16 },
	{ "orphan-continuation", 1, GH_RM_DROP_ORPHAN, 16 },
	{ "bad-continuation", 2, GH_RM_DROP_MISMATCH, 16 },
	{ "truncated-reply", 1, GH_RM_DROP_REPLY_SHORT, 10 },
};

static void test_fault_malformed(gconstpointer data)
{
	const struct malformed_case *mc = data;
	struct rmc *c = rmc_new();
	struct emu_stats st;
	GByteArray *pkt;
	u16 seq;

	seq = rmc_send(c, GH_RM_VM_GET_VMID, NULL, 0);
	g_free(rmc_take_reply(c, seq));
	g_ptr_array_set_size(c->raw, 0);
	g_free(rmc_ctl_ok(c, "malformed %s", mc->kind));
	g_assert_cmpuint(c->raw->len, ==, mc->packets);
	pkt = g_ptr_array_index(c->raw, mc->packets - 1);
	g_assert_cmpuint(pkt->len, ==, mc->len);
	g_assert_cmpuint(c->reasm.last_drop, ==, mc->drop);
	g_assert_cmpuint(c->rx_drops, ==, 1);
	g_assert_cmpuint(rmc_pending(c), ==, 0);
	if (!strcmp(mc->kind, "truncated-reply")) {
		/* aimed at the last request, so that a client would match it */
		g_assert_cmpuint(gh_rm_get_le16(pkt->data + 2), ==, seq);
		g_assert_cmphex(gh_rm_get_le32(pkt->data + 4), ==, GH_RM_VM_GET_VMID);
	}
	emu_get_stats(c->emu, &st);
	g_assert_cmpuint(st.malformed, ==, 1);
	/* the emulator carries on */
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x80);
	rmc_free(c);
}

static void test_fault_storm(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	struct gh_rm_vm_status st;
	struct rmc_msg *m;
	struct emu_stats es;
	unsigned int n = 0;
	int first = -1;

	g_free(rmc_ctl_ok(g->c, "storm 200"));
	while ((m = rmc_take_notif(g->c))) {
		g_assert_cmphex(m->msg_id, ==, GH_RM_NOTIF_VM_STATUS);
		g_assert_cmpint(gh_rm_dec_vm_status(m->data, m->len, &st), ==, 0);
		g_assert_cmphex(st.vmid, ==, g->vmid);
		g_assert_cmpuint(st.vm_status, ==, GH_RM_VM_STATE_RUNNING);
		if (first < 0)
			first = m->seq;
		g_assert_cmpuint(m->seq, ==, (u16)(first + n));
		n++;
		g_free(m);
	}
	g_assert_cmpuint(n, ==, 200);
	emu_get_stats(g->c->emu, &es);
	g_assert_cmpuint(es.notifications, >=, 200);
	/* for a given VMID, allocated or not */
	g_free(rmc_ctl_ok(g->c, "storm 2 0x9f"));
	m = rmc_take_notif(g->c);
	g_assert_cmpint(gh_rm_dec_vm_status(m->data, m->len, &st), ==, 0);
	g_assert_cmphex(st.vmid, ==, 0x9f);
	g_free(m);
	g_free(rmc_take_notif(g->c));
	g_assert_null(rmc_take_notif(g->c));
	guest_free(g);
}

static void test_fault_exit(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	struct gh_rm_vm_exited e;
	g_autofree char *r = NULL, *vms = NULL;
	struct rmc_msg *m;

	g_free(rmc_ctl_ok(g->c, "exit 0x%x WATCHDOG_BITE", g->vmid));
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_EXITED);
	m = rmc_take_notif(g->c);
	g_assert_cmphex(m->msg_id, ==, GH_RM_NOTIF_VM_EXITED);
	g_assert_cmpint(gh_rm_dec_vm_exited(m->data, m->len, &e), ==, 0);
	g_assert_cmpuint(e.exit_type, ==, GH_RM_EXIT_TYPE_WATCHDOG_BITE);
	g_assert_cmpuint(gh_rm_get_le32(e.exit_reason), ==, 0);
	g_free(m);
	vms = rmc_ctl_ok(g->c, "vms");
	g_assert_nonnull(strstr(vms, "state=EXITED"));
	g_assert_nonnull(strstr(vms, "exit-type=WATCHDOG_BITE"));
	r = rmc_ctl(g->c, "exit 0x%x VM_EXIT", g->vmid);
	g_assert_cmpstr(r, ==, "ERR VM 0x80 is EXITED, not running\n");
	guest_free(g);

	/* by number, with an exit code */
	g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	g_free(rmc_ctl_ok(g->c, "exit %u 0 3", g->vmid));
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_EXITED);
	m = rmc_take_notif(g->c);
	g_assert_cmpint(gh_rm_dec_vm_exited(m->data, m->len, &e), ==, 0);
	g_assert_cmpuint(e.exit_type, ==, GH_RM_EXIT_TYPE_VM_EXIT);
	g_assert_cmphex(gh_rm_get_le32(e.exit_reason), ==, GH_RM_EXIT_CODE_BUS_ERROR << 16);
	g_free(m);
	g_free(r);
	r = rmc_ctl(g->c, "exit 0x99 VM_EXIT");
	g_assert_cmpstr(r, ==, "ERR no VM 0x99\n");
	g_free(r);
	r = rmc_ctl(g->c, "exit 0x80 NOT_A_TYPE");
	g_assert_true(g_str_has_prefix(r, "ERR "));
	guest_free(g);
}

static void test_fault_guest_shutdown(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	struct gh_rm_vm_exited e;
	struct rmc_msg *m;

	/* default: the guest honours VM_SHUTDOWN and powers off */
	g_assert_cmphex(rmc_stop(g->c, g->vmid, false), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_EXITED);
	m = rmc_take_notif(g->c);
	g_assert_cmphex(m->msg_id, ==, GH_RM_NOTIF_VM_EXITED);
	g_assert_cmpint(gh_rm_dec_vm_exited(m->data, m->len, &e), ==, 0);
	g_assert_cmpuint(e.exit_type, ==, GH_RM_EXIT_TYPE_PLATFORM_OFF);
	g_free(m);
	guest_free(g);

	/* ignore: nothing happens, a forced stop still works */
	g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	g_free(rmc_ctl_ok(g->c, "guest on-shutdown ignore"));
	g_assert_cmphex(rmc_stop(g->c, g->vmid, false), ==, OK);
	rmc_tick(g->c, 10000);
	g_assert_null(rmc_take_notif(g->c));
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_RUNNING);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_EXITED);
	guest_free(g);

	/* a slow guest: powers off after the delay, unless forced first */
	g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	g_free(rmc_ctl_ok(g->c, "guest shutdown-delay 500"));
	g_assert_cmphex(rmc_stop(g->c, g->vmid, false), ==, OK);
	rmc_tick(g->c, 499);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_RUNNING);
	rmc_tick(g->c, 1);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_EXITED);
	rmc_drain(g->c);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	rmc_drain(g->c);
	guest_start(g);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, false), ==, OK);
	g_assert_cmphex(rmc_stop(g->c, g->vmid, true), ==, OK);
	rmc_drain(g->c);
	rmc_tick(g->c, 1000);
	/* the late power-off of an already stopped VM does nothing */
	g_assert_null(rmc_take_notif(g->c));
	guest_free(g);
}

/*
 * The real RM exits at a graceful VM_STOP of a guest without an RM-RPC
 * link; the emulator withholds the reply, counts it and serves on.
 */
static void test_stop_graceful_without_rm_rpc(void)
{
	struct guest *g = guest_new(1);
	struct emu_stats st;
	u16 seq;

	guest_write_dtb_rpc(g->mem, 1, false);
	guest_lend(g, 1);
	guest_start(g);
	seq = rmc_send(g->c, GH_RM_VM_STOP, (u8[]){ (u8)g->vmid, (u8)(g->vmid >> 8), 0, 0, 0, 0,
						     0, 0 }, 8);
	rmc_tick(g->c, 10000);
	g_assert_null(rmc_take_reply(g->c, seq));
	g_assert_null(rmc_take_notif(g->c));
	emu_get_stats(g->c->emu, &st);
	g_assert_cmpuint(st.rm_exits, ==, 1);
	g_assert_cmpint(vm_state(g), ==, GH_RM_VM_STATE_RUNNING);
	/* forced stops always work */
	guest_teardown(g);
	emu_get_stats(g->c->emu, &st);
	g_assert_cmpuint(st.rm_exits, ==, 1);
	guest_free(g);
}

/*
 * A slow release (set release-delay / release-per-mib): RESET comes that
 * long after VM_RESET's reply, and requests meanwhile are answered only
 * then, in order, as by the single-threaded RM.
 */
static void test_slow_release(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_EXITED);
	struct rmc_msg *m;
	struct emu_stats st;
	u64 deadline;
	u16 seq1, seq2;

	/* 4 MiB lent + 8 KiB shared: 5 MiB rounded up */
	g_free(rmc_ctl_ok(g->c, "set release-delay 1000"));
	g_free(rmc_ctl_ok(g->c, "set release-per-mib 100"));
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_RESET, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESETTING);
	g_assert_true(emu_next_deadline(g->c->emu, &deadline));
	g_assert_cmpuint(deadline, ==, emu_now(g->c->emu) + 1500);

	seq1 = rmc_send(g->c, GH_RM_VM_ALLOCATE, (u8[4]){ 0 }, 4);
	seq2 = rmc_send(g->c, GH_RM_VM_GET_VMID, NULL, 0);
	rmc_tick(g->c, 1499);
	g_assert_cmpuint(rmc_pending(g->c), ==, 0);
	g_autofree char *stats = rmc_ctl_ok(g->c, "stats");
	g_assert_nonnull(strstr(stats, " waiting=2 "));
	rmc_tick(g->c, 1);
	/* RESET first, then both replies in order, no BUSY */
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RESET);
	m = rmc_take_reply(g->c, seq1);
	g_assert_nonnull(m);
	g_assert_cmphex(m->err, ==, OK);
	g_assert_cmphex(gh_rm_get_le32(m->data), ==, g->vmid + 1);
	g_free(m);
	m = rmc_take_reply(g->c, seq2);
	g_assert_nonnull(m);
	g_assert_cmphex(m->err, ==, OK);
	g_free(m);
	emu_get_stats(g->c->emu, &st);
	g_assert_cmpuint(st.held, ==, 2);
	g_assert_cmpuint(st.concurrent, ==, 0);
	/* nothing held any more: answered at once */
	g_assert_cmphex(rmc_reclaim(g->c, g->h_main), ==, OK);
	g_assert_cmphex(rmc_reclaim(g->c, g->h_shm), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_DEALLOCATE, g->vmid), ==, OK);
	guest_free(g);
}

/* ---------------------------------------------------------------------------
 * Control protocol
 */
static void test_ctl_commands(void)
{
	static const char *const ok[] = {
		"ping", "log", "log clear", "vms", "parcels", "stats", "fault * drop",
		"fault VM_START error VM_STATE count 3", "fault MEM_LEND delay 10 count 1",
		"fault 0x56000004 error 0x14", "fault clear", "fault list", "storm 1",
		"storm 1 128", "guest on-shutdown poweroff", "guest on-shutdown ignore",
		"guest shutdown-delay 0", "reclaim allow", "reclaim refuse",
		"set reset-delay 0", "set shutdown-delay 5", "set notify-order before-reply",
		"set max-cores 4", "set skip-dtb no", "help", "  ping  ", "ping\n", "ping\r\n",
	};
	static const char *const bad[] = {
		"", "   ", "bogus", "ping pong", "log foo", "vms 1", "parcels x", "stats y",
		"fault", "fault FOO drop", "fault * explode", "fault * error",
		"fault * error NOT_AN_ERROR", "fault * error OK", "fault * delay",
		"fault * delay soon", "fault * drop count", "fault * drop count 0",
		"fault * drop count -1", "fault * drop twice 2", "fault * drop count 1 extra",
		"malformed", "malformed odd", "storm", "storm 0", "storm x", "storm 1000000",
		"storm 1 0x10000", "exit", "exit 0x80", "exit zz VM_EXIT", "forget", "forget x",
		"forget 1 2", "guest",
		"guest on-shutdown", "guest on-shutdown maybe", "guest shutdown-delay x",
		"reclaim", "reclaim maybe", "set", "set foo 1", "set max-cores 0",
		"set max-cores 65", "set skip-dtb maybe", "set reset-delay -5",
		"a b c d e f g h i j k l m n o p q",
	};
	struct rmc *c = rmc_new();
	g_autofree char *longline = g_strnfill(5000, 'x');
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autofree char *r = rmc_ctl(c, "%s", ok[i]);

		if (!g_str_has_suffix(r, "OK\n"))
			g_error("'%s' -> %s", ok[i], r);
	}
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *r = rmc_ctl(c, "%s", bad[i]);

		if (!g_str_has_prefix(r, "ERR ") || strchr(r, '\n') != r + strlen(r) - 1)
			g_error("'%s' -> %s", bad[i], r);
	}
	{
		g_autofree char *r = rmc_ctl(c, "%s", longline);

		g_assert_cmpstr(r, ==, "ERR line too long\n");
	}
	{
		g_autofree char *r = rmc_ctl(c, "bogus");

		g_assert_cmpstr(r, ==, "ERR unknown command 'bogus'\n");
	}
	rmc_free(c);
}

/* Output formats, as docs/rm-emulator.md gives them */
static void test_ctl_formats(void)
{
	struct guest *g = guest_in_state(GH_RM_VM_STATE_RUNNING);
	g_autofree char *vms = NULL, *parcels = NULL, *stats = NULL, *log = NULL;
	g_auto(GStrv) lines = NULL;
	GRegex *re;
	size_t i;

	vms = rmc_ctl_ok(g->c, "vms");
	g_assert_true(g_regex_match_simple("^vmid=0x80 state=RUNNING owner=0x3 "
					   "image-name=conformance( [a-z-]+=[^ ]+)*\n$",
					   vms, 0, 0));
	parcels = rmc_ctl_ok(g->c, "parcels");
	lines = g_strsplit(parcels, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	re = g_regex_new("^handle=[0-9]+ label=[0-9]+ type=(LEND|SHARE) mem_type=[0-9]+ "
			 "owner=0x3 acl=0x[0-9a-f]+:[rwx-]+(,0x[0-9a-f]+:[rwx-]+)* size=[0-9]+ "
			 "entries=[0-9]+ state=(shared|accepted|reclaimed)( [a-z_]+=[^ ]+)*$",
			 0, 0, NULL);
	for (i = 0; i < 2; i++)
		if (!g_regex_match(re, lines[i], 0, NULL))
			g_error("parcels line: %s", lines[i]);
	g_regex_unref(re);
	stats = rmc_ctl_ok(g->c, "stats");
	g_assert_true(g_regex_match_simple("^requests=[0-9]+ concurrent=[0-9]+ dropped=[0-9]+ "
					   "malformed=[0-9]+ notifications=[0-9]+( [a-z_]+=[0-9]+)*\n$",
					   stats, 0, 0));
	log = rmc_ctl_ok(g->c, "log");
	g_strfreev(lines);
	lines = g_strsplit(log, "\n", -1);
	re = g_regex_new("^[0-9]+ [A-Z_]+ seq=[0-9]+ vmid=0x[0-9a-f]+ result=[A-Z_]+( [a-z_-]+=[^ ]+)*$",
			 0, 0, NULL);
	for (i = 0; lines[i] && lines[i][0]; i++)
		if (!g_regex_match(re, lines[i], 0, NULL))
			g_error("log line: %s", lines[i]);
	g_assert_cmpuint(i, ==, 8);
	g_regex_unref(re);
	g_free(rmc_ctl_ok(g->c, "log clear"));
	g_free(log);
	log = rmc_ctl_ok(g->c, "log");
	g_assert_cmpstr(log, ==, "");
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==, OK);
	g_free(log);
	log = rmc_ctl_ok(g->c, "log");
	g_assert_cmpstr(log, ==, "1 VM_GET_VMID seq=9 vmid=0x3 result=OK\n");
	guest_free(g);
}

/* The log keeps the last EMU_LOG_MAX requests, numbered on */
static void test_ctl_log_ring(void)
{
	struct rmc *c = rmc_new();
	g_autofree char *log = NULL;
	unsigned int i;

	for (i = 0; i < EMU_LOG_MAX + 5; i++)
		g_assert_cmphex(rmc_call(c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==, OK);
	log = rmc_ctl_ok(c, "log");
	g_assert_true(g_str_has_prefix(log, "6 VM_GET_VMID "));
	g_assert_nonnull(strstr(log, "\n4101 VM_GET_VMID "));
	rmc_free(c);
}

/* Packets of other types are dropped; a new request abandons a partial one */
static void test_misc_rx(void)
{
	struct rmc *c = rmc_new();
	u8 pkt[GH_RM_PACKET_MAX];
	struct emu_stats st;
	int len;

	len = gh_rm_encode_reply_packet(pkt, 1, GH_RM_VM_GET_VMID, 0, NULL, 0, 0);
	g_assert_cmpint(emu_receive(c->emu, pkt, (size_t)len), ==, -EPROTO);
	len = gh_rm_encode_packet(pkt, GH_RM_TYPE_NOTIFICATION, 1, GH_RM_NOTIF_VM_STATUS,
				  "12345678", 8, 0);
	g_assert_cmpint(emu_receive(c->emu, pkt, (size_t)len), ==, -EPROTO);
	g_assert_cmpint(emu_receive(c->emu, pkt, 3), ==, -EMSGSIZE);
	/* the first packet of a 2-packet request, then a fresh request */
	{
		u8 big[300] = { 0 };

		len = gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, 7, GH_RM_MEM_LEND, big,
					  sizeof(big), 0);
		g_assert_cmpint(emu_receive(c->emu, pkt, (size_t)len), ==, 0);
	}
	g_assert_cmphex(rmc_alloc_vm(c), ==, 0x80);
	emu_get_stats(c->emu, &st);
	g_assert_cmpuint(st.rx_dropped, ==, 3);
	g_assert_cmpuint(st.requests, ==, 1);
	g_assert_cmpuint(rmc_pending(c), ==, 0);
	rmc_free(c);
}

/* ---------------------------------------------------------------------------
 * Console (vm_console_simple.c)
 */
static struct guest *guest_new_console(bool console)
{
	struct guest *g = guest_new(1);
	const struct guest_dtb d = {
		.base = GUEST_BASE, .size = GUEST_SIZE, .image_name = "conformance", .vcpus = 1,
		.shm_label = 1, .shm_base = 0xc0000000, .rm_rpc = true, .console = console,
	};

	memset(g->mem + g->dtb_off, 0, TEST_GUEST_DTB_SLOT);
	g_assert_cmpint(guest_dtb_write(g->mem + g->dtb_off, TEST_GUEST_DTB_SLOT, &d), ==, 0);
	return g;
}

static u32 console_call(struct rmc *c, u32 msg_id, u16 vmid)
{
	u8 b[GH_RM_CONSOLE_REQ_SIZE];

	g_assert_cmpint(gh_rm_enc_console_req(b, sizeof(b), vmid), ==, 4);
	return rmc_call(c, msg_id, b, sizeof(b), NULL);
}

static u32 console_write(struct rmc *c, u16 vmid, const void *bytes, size_t n)
{
	g_autofree u8 *b = g_malloc(4 + n);

	g_assert_cmpint(gh_rm_enc_console_chars(b, 4 + n, vmid, bytes, n), ==, (int)(4 + n));
	return rmc_call(c, GH_RM_VM_CONSOLE_WRITE, b, 4 + n, NULL);
}

/* Tick until the guest has written everything; every CHARS from @vmid appended to @out */
static unsigned int console_collect(struct rmc *c, u16 vmid, GByteArray *out)
{
	struct gh_rm_console_chars ch;
	struct rmc_msg *m;
	unsigned int n = 0, i;

	for (i = 0; i < 100000; i++) {
		g_autofree char *cons = rmc_ctl_ok(c, "consoles");

		if (!strstr(cons, " pending=") || strstr(cons, " pending=0 ") ||
		    !strstr(cons, "guest=yes"))
			break;
		rmc_tick(c, 1);
	}
	while ((m = rmc_take_notif(c))) {
		g_assert_cmphex(m->msg_id, ==, GH_RM_NOTIF_VM_CONSOLE_CHARS);
		g_assert_cmpint(gh_rm_dec_console_chars(m->data, m->len, &ch), ==, 0);
		g_assert_cmphex(ch.vmid, ==, vmid);
		/* one guest write per notification, each in one packet */
		g_assert_cmpuint(ch.num_bytes, >=, 1);
		g_assert_cmpuint(ch.num_bytes, <=, GH_RM_CONSOLE_PACKET_BYTES);
		g_byte_array_append(out, ch.bytes, ch.num_bytes);
		g_free(m);
		n++;
	}
	return n;
}

/* A control command that must fail with a reply starting "ERR @prefix" */
static void G_GNUC_PRINTF(3, 4) ctl_err(struct rmc *c, const char *prefix, const char *fmt, ...)
{
	g_autofree char *line = NULL, *reply = NULL, *want = g_strdup_printf("ERR %s", prefix);
	va_list ap;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	reply = rmc_ctl(c, "%s", line);
	if (!g_str_has_prefix(reply, want))
		g_error("'%s' answered '%s', not '%s...'", line, reply, want);
}

static long long console_field(struct rmc *c, const char *key)
{
	g_autofree char *cons = rmc_ctl_ok(c, "consoles");
	g_autofree char *k = g_strdup_printf(" %s=", key);
	const char *p = strstr(cons, k);

	g_assert_nonnull(p);
	return g_ascii_strtoll(p + strlen(k), NULL, 0);
}

/* Open, write, flush, close: every rule and error of the RM's console service */
static void test_console_rules(void)
{
	struct guest *g = guest_new_console(true);
	g_autoptr(GByteArray) out = g_byte_array_new();
	const u8 input[] = { 'h', 'i', 0xff, 0xfe, '\r' };
	u8 bad[8];

	guest_lend(g, 1);
	/* no console before VM_INIT parsed the configuration */
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	g_assert_cmphex(guest_config(g), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_INIT);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_READY);

	/* the caller's own console (target 0), an unknown VM: ARGUMENT_INVALID, not VMID_INVALID */
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, 0), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, 0x90), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	/* wrong lengths: MSG_INVALID */
	memset(bad, 0, sizeof(bad));
	bad[0] = (u8)g->vmid;
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_CONSOLE_OPEN, bad, 3, NULL), ==,
			GH_RM_ERROR_MSG_INVALID);
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_CONSOLE_FLUSH, bad, 5, NULL), ==,
			GH_RM_ERROR_MSG_INVALID);
	bad[2] = 3;	/* num_bytes 3, 2 given */
	g_assert_cmphex(rmc_call(g->c, GH_RM_VM_CONSOLE_WRITE, bad, 6, NULL), ==,
			GH_RM_ERROR_MSG_INVALID);

	/* not open: WRITE and FLUSH are DENIED, CLOSE is fine */
	g_assert_cmphex(console_write(g->c, g->vmid, "x", 1), ==, GH_RM_ERROR_DENIED);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_FLUSH, g->vmid), ==,
			GH_RM_ERROR_DENIED);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_CLOSE, g->vmid), ==, OK);

	/* open before the start (twice is fine): the boot output is kept from its first byte */
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==, OK);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==, OK);
	/* the guest has not opened its side yet: dropped, still OK */
	g_assert_cmphex(console_write(g->c, g->vmid, "early", 5), ==, OK);
	g_assert_cmpint(console_field(g->c, "discarded"), ==, 5);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_FLUSH, g->vmid), ==, OK);

	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RUNNING);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), >=, 1);
	g_byte_array_append(out, (const u8 *)"", 1);
	g_assert_true(g_str_has_prefix((char *)out->data,
				       "gh-rm-emu guest: booting VM 0x80 (conformance)\r\n"));
	g_assert_nonnull(strstr((char *)out->data, "VM 0x80 (conformance) up"));
	g_assert_cmpint(console_field(g->c, "sent"), ==, (long long)out->len - 1);
	g_assert_cmpint(console_field(g->c, "unopened"), ==, 0);

	/* input is echoed, bytes as they are */
	g_byte_array_set_size(out, 0);
	g_assert_cmphex(console_write(g->c, g->vmid, input, sizeof(input)), ==, OK);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 1);
	g_assert_cmpmem(out->data, out->len, input, sizeof(input));
	g_assert_cmpint(console_field(g->c, "received"), ==, sizeof(input));
	g_assert_cmphex(console_write(g->c, g->vmid, NULL, 0), ==, OK);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_FLUSH, g->vmid), ==, OK);

	/* closed: the guest's output is dropped, writes are DENIED */
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_CLOSE, g->vmid), ==, OK);
	g_free(rmc_ctl_ok(g->c, "console 0x%x print lost\\n", g->vmid));
	g_byte_array_set_size(out, 0);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);
	g_assert_cmpint(console_field(g->c, "unopened"), ==, 5);
	g_assert_cmphex(console_write(g->c, g->vmid, "x", 1), ==, GH_RM_ERROR_DENIED);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==, OK);

	/* the reset destroys the console */
	guest_teardown(g);
	g_assert_cmphex(rmc_alloc_vm(g->c), ==, 0x80);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, 0x80), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	guest_free(g);
}

/* Only an rm-rpc vdevice with console-dev gives a console; skip-dtb gives one too */
static void test_console_needs_console_dev(void)
{
	struct guest *g = guest_new_console(false);
	g_autofree char *cons = NULL;

	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==,
			GH_RM_ERROR_ARGUMENT_INVALID);
	cons = rmc_ctl_ok(g->c, "consoles");
	g_assert_cmpstr(cons, ==, "");
	ctl_err(g->c, "VM 0x80 has no console", "console 0x%x print x", g->vmid);
	guest_teardown(g);
	guest_free(g);
}

/* Before the owner opens, the guest's output is lost, as in the RM ("drop message for now") */
static void test_console_unopened_drops(void)
{
	struct guest *g = guest_new_console(true);
	g_autoptr(GByteArray) out = g_byte_array_new();
	long long banner;

	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);
	banner = console_field(g->c, "unopened");
	g_assert_cmpint(banner, >, 40);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==, OK);
	g_free(rmc_ctl_ok(g->c, "console 0x%x print a\\sb\\x80\\xc3\\x28 c\\r\\n", g->vmid));
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 1);
	g_assert_cmpmem(out->data, out->len, "a b\x80\xc3\x28 c\r\n", 10);
	g_assert_cmpint(console_field(g->c, "unopened"), ==, banner);
	guest_teardown(g);
	guest_free(g);
}

/* A flood: every byte arrives, in order, in 228-byte writes; a rate spaces them */
static void test_console_flood_and_rate(void)
{
	struct guest *g = guest_new_console(true);
	g_autoptr(GByteArray) out = g_byte_array_new();
	const size_t n = 300000;
	size_t i;

	guest_lend(g, 1);
	g_free(rmc_ctl_ok(g->c, "console banner no"));
	g_free(rmc_ctl_ok(g->c, "console echo no"));
	g_assert_cmphex(guest_config(g), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_INIT);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_INIT, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_READY);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==, OK);
	g_assert_cmphex(rmc_vmid_call(g->c, GH_RM_VM_START, g->vmid), ==, OK);
	rmc_expect_status(g->c, g->vmid, GH_RM_VM_STATE_RUNNING);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);	/* no banner */
	g_assert_cmphex(console_write(g->c, g->vmid, "q", 1), ==, OK);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);	/* no echo */

	g_free(rmc_ctl_ok(g->c, "console 0x%x flood %zu", g->vmid, n));
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, (n + 227) / 228);
	g_assert_cmpuint(out->len, ==, n);
	for (i = 0; i < n; i++)
		if (out->data[i] != (u8)(i % 251))
			g_error("flood byte %zu is %u", i, out->data[i]);

	/* 2280 bytes/s: one 228-byte write every 100 ms */
	g_free(rmc_ctl_ok(g->c, "console rate 2280"));
	g_free(rmc_ctl_ok(g->c, "console 0x%x flood 2280", g->vmid));
	rmc_tick(g->c, 1);
	g_assert_cmpuint(rmc_pending(g->c), ==, 1);
	rmc_tick(g->c, 50);
	g_assert_cmpuint(rmc_pending(g->c), ==, 1);
	rmc_tick(g->c, 50);
	g_assert_cmpuint(rmc_pending(g->c), ==, 2);
	for (i = 0; i < 8; i++)
		rmc_tick(g->c, 100);
	g_assert_cmpuint(rmc_pending(g->c), ==, 10);
	g_byte_array_set_size(out, 0);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 10);
	g_assert_cmpuint(out->len, ==, 2280);
	g_assert_cmpuint(out->data[0], ==, n % 251);

	/* an exit stops the guest's output */
	g_free(rmc_ctl_ok(g->c, "console 0x%x flood 100000", g->vmid));
	g_free(rmc_ctl_ok(g->c, "exit 0x%x VM_EXIT", g->vmid));
	g_assert_cmpint(console_field(g->c, "pending"), ==, 0);
	ctl_err(g->c, "the guest of VM 0x80 does not run", "console 0x%x flood 1", g->vmid);
	rmc_drain(g->c);
	guest_free(g);
}

/* Injected faults: a refused open, dropped CHARS notifications */
static void test_console_faults(void)
{
	struct guest *g = guest_new_console(true);
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autofree char *list = NULL, *stats = NULL;
	u8 req[GH_RM_VMID_REQ_SIZE];

	guest_lend(g, 1);
	guest_start(g);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);	/* the banner, unopened */
	g_free(rmc_ctl_ok(g->c, "fault VM_CONSOLE_OPEN error DENIED count 1"));
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==,
			GH_RM_ERROR_DENIED);
	g_assert_cmphex(console_call(g->c, GH_RM_VM_CONSOLE_OPEN, g->vmid), ==, OK);

	ctl_err(g->c, "a notification fault is drop only", "fault NOTIFY_VM_CONSOLE_CHARS error DENIED");
	g_free(rmc_ctl_ok(g->c, "fault NOTIFY_VM_CONSOLE_CHARS drop count 2"));
	list = rmc_ctl_ok(g->c, "fault list");
	g_assert_cmpstr(list, ==, "NOTIFY_VM_CONSOLE_CHARS drop count 2\n");
	/* "*" never drops notifications */
	g_free(rmc_ctl_ok(g->c, "fault * drop count 1"));
	g_assert_cmpint(gh_rm_enc_vmid_req(req, sizeof(req), g->vmid), ==, 4);
	g_assert_null(rmc_take_reply(g->c, rmc_send(g->c, GH_RM_VM_GET_STATE, req, sizeof(req))));
	g_assert_cmphex(console_write(g->c, g->vmid, "one", 3), ==, OK);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);
	g_assert_cmphex(console_write(g->c, g->vmid, "two", 3), ==, OK);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 0);
	g_assert_cmphex(console_write(g->c, g->vmid, "three", 5), ==, OK);
	g_assert_cmpuint(console_collect(g->c, g->vmid, out), ==, 1);
	g_assert_cmpmem(out->data, out->len, "three", 5);
	g_assert_cmpint(console_field(g->c, "dropped"), ==, 6);
	stats = rmc_ctl_ok(g->c, "stats");
	g_assert_nonnull(strstr(stats, "dropped=3"));	/* the reply + two notifications */
	guest_teardown(g);
	guest_free(g);
}

static void test_console_ctl(void)
{
	struct rmc *c = rmc_new();
	g_autofree char *help = rmc_ctl_ok(c, "help");

	g_assert_nonnull(strstr(help, "console <vmid> flood <bytes>\n"));
	ctl_err(c, "", "console rate x");
	ctl_err(c, "", "console echo maybe");
	ctl_err(c, "bad escape", "console 0x80 print \\q");
	ctl_err(c, "bad escape", "console 0x80 print \\x4");
	ctl_err(c, "bad escape", "console 0x80 print a\\");
	ctl_err(c, "usage", "console 0x80 flood 0");
	ctl_err(c, "VM 0x80 has no console", "console 0x80 print x");
	ctl_err(c, "usage", "consoles x");
	g_free(rmc_ctl_ok(c, "console rate 0"));
	g_free(rmc_ctl_ok(c, "console banner yes"));
	rmc_free(c);
}

int main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/rm-emu/golden/test-guest", test_golden_test_guest);
	g_test_add_func("/rm-emu/golden/notify-order", test_golden_notify_order);
	g_test_add_func("/rm-emu/golden/notification-seq", test_golden_notif_seq);
	g_test_add_data_func("/rm-emu/golden/daemon-dts/nav", "nav.dts", test_golden_dts);
	g_test_add_data_func("/rm-emu/golden/daemon-dts/cluster", "cluster.dts", test_golden_dts);
	g_test_add_data_func("/rm-emu/golden/dtb-build/nav", "nav", test_golden_dtb_build);
	g_test_add_data_func("/rm-emu/golden/dtb-build/cluster", "cluster", test_golden_dtb_build);

	g_test_add_func("/rm-emu/vmid/exhaustion", test_vmid_exhaustion);
	g_test_add_func("/rm-emu/vmid/specific", test_vmid_specific);
	g_test_add_func("/rm-emu/vmid/dealloc-unknown", test_vmid_dealloc_unknown);

	g_test_add_func("/rm-emu/state/machine", test_state_machine);
	g_test_add_func("/rm-emu/state/bad-requests", test_state_bad_requests);
	g_test_add_func("/rm-emu/state/init-res0", test_state_init_res0);
	g_test_add_func("/rm-emu/state/get-state", test_state_get_state);
	g_test_add_func("/rm-emu/state/resetting-async", test_state_resetting_async);
	g_test_add_func("/rm-emu/state/restart-after-reset", test_state_restart_after_reset);
	g_test_add_func("/rm-emu/state/vm-attrs", test_state_vm_attrs);
	g_test_add_func("/rm-emu/config-image/errors", test_config_image_errors);

	for (i = 0; i < G_N_ELEMENTS(dt_cases); i++) {
		g_autofree char *path = g_strdup_printf("/rm-emu/dt/%s", dt_cases[i].name);

		g_test_add_data_func(path, &dt_cases[i], test_dt_case);
	}
	g_test_add_func("/rm-emu/dt/garbage-and-unreadable", test_dt_garbage);
	g_test_add_func("/rm-emu/dt/parse-direct", test_dt_parse_direct);
	g_test_add_func("/rm-emu/dt/hyp-resources", test_dt_resources);

	g_test_add_func("/rm-emu/mem/append-1200", test_mem_append);
	g_test_add_func("/rm-emu/mem/1g-parcel", test_mem_1g_parcel);
	g_test_add_func("/rm-emu/mem/list-over-512", test_mem_list_limit);
	g_test_add_func("/rm-emu/mem/rules", test_mem_rules);
	g_test_add_func("/rm-emu/mem/attributes", test_mem_attrs);
	g_test_add_func("/rm-emu/mem/image-parcel", test_mem_image_parcel);
	g_test_add_func("/rm-emu/mem/reclaim", test_reclaim);

	g_test_add_func("/rm-emu/fault/error", test_fault_error);
	g_test_add_func("/rm-emu/fault/drop", test_fault_drop);
	g_test_add_func("/rm-emu/fault/delay-and-concurrent", test_fault_delay);
	g_test_add_func("/rm-emu/fault/delay-reset", test_fault_delay_reset);
	for (i = 0; i < G_N_ELEMENTS(malformed_cases); i++) {
		g_autofree char *path = g_strdup_printf("/rm-emu/fault/malformed/%s",
							malformed_cases[i].kind);

		g_test_add_data_func(path, &malformed_cases[i], test_fault_malformed);
	}
	g_test_add_func("/rm-emu/fault/storm", test_fault_storm);
	g_test_add_func("/rm-emu/stop/graceful-without-rm-rpc", test_stop_graceful_without_rm_rpc);
	g_test_add_func("/rm-emu/state/slow-release", test_slow_release);
	g_test_add_func("/rm-emu/fault/exit", test_fault_exit);
	g_test_add_func("/rm-emu/fault/guest-shutdown", test_fault_guest_shutdown);

	g_test_add_func("/rm-emu/ctl/commands", test_ctl_commands);
	g_test_add_func("/rm-emu/ctl/formats", test_ctl_formats);
	g_test_add_func("/rm-emu/ctl/log-ring", test_ctl_log_ring);
	g_test_add_func("/rm-emu/misc/rx", test_misc_rx);
	g_test_add_func("/rm-emu/console/rules", test_console_rules);
	g_test_add_func("/rm-emu/console/needs-console-dev", test_console_needs_console_dev);
	g_test_add_func("/rm-emu/console/unopened-drops", test_console_unopened_drops);
	g_test_add_func("/rm-emu/console/flood-and-rate", test_console_flood_and_rate);
	g_test_add_func("/rm-emu/console/faults", test_console_faults);
	g_test_add_func("/rm-emu/console/ctl", test_console_ctl);

	return g_test_run();
}
