// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * VM lifecycles through gunyah.ko, verified from gh-rm-emu's side: the RPCs
 * in exactly the golden order, the parcels and ACLs the RM saw, stops, and
 * the teardown each RM state calls for, down to every parcel reclaimed and
 * the VMID freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ghtest.h"

#define MEM_SIZE	(4ul << 20)

static int dev;

/* ---- the emulator's request log ---- */

#define LOG_MAX 256
struct rpc {
	char name[40];
	char line[1024];
};

static struct rpc rpcs[LOG_MAX];
static size_t n_rpcs;
/* MEM_APPENDs folded into the MEM_LEND/MEM_SHARE they continue */
static size_t n_appends;
static bool appends_ok;

static void log_clear(void)
{
	gt_emu_must("log clear");
}

/*
 * Fetches the log. Drops VM_GET_VMID, which the module sends once in its
 * life, and the VM_CONSOLE_* requests (test-console.c checks those), and
 * folds MEM_APPENDs (a scatter list over 512 entries) into the
 * MEM_LEND/MEM_SHARE they continue, checking that they name its handle and
 * that END marks the last one.
 */
static void log_fetch(void)
{
	char *out = NULL, line[1024], name[40];
	long long handle = -1;
	bool open = false;

	n_rpcs = 0;
	n_appends = 0;
	appends_ok = true;
	if (gt_emu(&out, "log"))
		gt_bail("emulator log unavailable");
	for (size_t i = 0; gt_line(out, i, line, sizeof(line)) && n_rpcs < LOG_MAX; i++) {
		struct rpc *r = &rpcs[n_rpcs];

		if (sscanf(line, "%*s %39s", name) != 1)
			continue;
		/* the console's requests: test-console.c checks them */
		if (!strcmp(name, "VM_GET_VMID") || !strncmp(name, "VM_CONSOLE_", 11))
			continue;
		if (!strcmp(name, "MEM_APPEND")) {
			n_appends++;
			if (!open || gt_field_num(line, "handle") != handle)
				appends_ok = false;
			open = gt_field_num(line, "end") == 0;
			continue;
		}
		if (open)
			appends_ok = false;	/* a chain without END */
		open = (!strcmp(name, "MEM_LEND") || !strcmp(name, "MEM_SHARE")) &&
		       strstr(line, "append=1");
		handle = gt_field_num(line, "handle");
		snprintf(r->name, sizeof(r->name), "%s", name);
		snprintf(r->line, sizeof(r->line), "%s", line);
		n_rpcs++;
	}
	if (open)
		appends_ok = false;
	free(out);
}

static const struct rpc *log_find(const char *name, size_t nth)
{
	for (size_t i = 0; i < n_rpcs; i++)
		if (!strcmp(rpcs[i].name, name) && nth-- == 0)
			return &rpcs[i];
	return NULL;
}

static void append(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf), n = strlen(word);

	if (len + n + 2 > size)
		return;
	memcpy(buf + len, word, n);
	buf[len + n] = ' ';
	buf[len + n + 1] = '\0';
}

/*
 * The log, fetched now, is exactly these requests, each answered OK but
 * the last if last_fails
 */
static bool log_is(const char *what, bool last_fails, const char *const *names, size_t n)
{
	char got[2048] = "", want[2048] = "";
	bool ok, all_ok = true;

	log_fetch();
	ok = n_rpcs == n;
	for (size_t i = 0; i < n_rpcs; i++) {
		char res[32] = "";

		append(got, sizeof(got), rpcs[i].name);
		if (i < n && strcmp(rpcs[i].name, names[i]))
			ok = false;
		if (!gt_field(rpcs[i].line, "result", res, sizeof(res)) ||
		    !strcmp(res, "OK") == (last_fails && i + 1 == n_rpcs))
			all_ok = false;
	}
	for (size_t i = 0; i < n; i++)
		append(want, sizeof(want), names[i]);
	if (!gt_ok(ok, "%s: RPCs in order", what)) {
		gt_diag("want: %s", want);
		gt_diag("got:  %s", got);
	}
	if (n_appends)
		gt_ok(appends_ok, "%s: %zu MEM_APPEND continue their parcel, END on the last", what,
		      n_appends);
	return gt_ok(all_ok, "%s: every RPC answered OK%s", what,
		     last_fails ? " but the last" : "") && ok;
}

#define LOG_IS_(what, last_fails, ...)					\
	({								\
		static const char *const _n[] = { __VA_ARGS__ };	\
		log_is(what, last_fails, _n, sizeof(_n) / sizeof(_n[0]));\
	})
#define LOG_IS(what, ...)		LOG_IS_(what, false, __VA_ARGS__)
#define LOG_IS_FAILING(what, ...)	LOG_IS_(what, true, __VA_ARGS__)

/* "acl=0x80:rwx,0x3:rwx": entry i's vmid and rights */
static bool acl_entry(const char *line, int i, long *ret_vmid, char *rights, size_t size)
{
	char acl[256], *save = NULL, *e;

	if (!gt_field(line, "acl", acl, sizeof(acl)))
		return false;
	e = strtok_r(acl, ",", &save);
	while (e && i--)
		e = strtok_r(NULL, ",", &save);
	if (!e || !strchr(e, ':'))
		return false;
	*ret_vmid = strtol(e, NULL, 0);
	snprintf(rights, size, "%s", strchr(e, ':') + 1);
	return true;
}

/* The emulator knows this VMID (`vms`) */
static bool emu_has_vm(uint16_t vmid)
{
	char *out = NULL, key[32];
	bool found;

	if (gt_emu(&out, "vms"))
		return false;
	snprintf(key, sizeof(key), "vmid=0x%x ", vmid);
	found = strstr(out, key) != NULL;
	if (!found) {
		snprintf(key, sizeof(key), "vmid=0x%02x ", vmid);
		found = strstr(out, key) != NULL;
	}
	free(out);
	return found;
}

/* The emulator's `parcels` line of this handle, or false */
static bool emu_parcel(long long handle, char *line, size_t size)
{
	char *out = NULL;
	bool found = false;

	if (gt_emu(&out, "parcels"))
		return false;
	for (size_t i = 0; !found && gt_line(out, i, line, size); i++)
		found = gt_field_num(line, "handle") == handle;
	free(out);
	return found;
}

/* ---- scenarios ---- */

static void test_golden(void)
{
	long long pinned0 = gt_param("pinned_pages"), h_lend, h_share;
	struct gh_vm_stop stop = { 0 };
	const struct rpc *r;
	struct gh_vm_status st;
	struct gt_vm vm;
	char rights[16], v[64], pl[512];
	long acl_vmid;

	log_clear();
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "VM with a lent region (label 0) and a "
	      "shared one (label 1), DTB config");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	LOG_IS("create + start", "VM_ALLOCATE", "MEM_LEND", "MEM_SHARE", "VM_CONFIG_IMAGE",
	       "VM_INIT", "VM_GET_HYP_RESOURCES", "VM_START");

	r = log_find("VM_ALLOCATE", 0);
	gt_ok(r && gt_field_num(r->line, "vmid") == vm.vmid, "VM_ALLOCATE gave VMID %#x", vm.vmid);

	r = log_find("MEM_LEND", 0);
	gt_ok(r && gt_field_num(r->line, "label") == 0, "MEM_LEND label 0");
	gt_ok(r && acl_entry(r->line, 0, &acl_vmid, rights, sizeof(rights)) &&
	      acl_vmid == vm.vmid && !strcmp(rights, "rwx") &&
	      !acl_entry(r->line, 1, &acl_vmid, rights, sizeof(rights)),
	      "MEM_LEND ACL: the guest only, rwx (%s)", r ? r->line : "-");
	h_lend = r ? gt_field_num(r->line, "handle") : -1;

	r = log_find("MEM_SHARE", 0);
	gt_ok(r && gt_field_num(r->line, "label") == 1, "MEM_SHARE label 1");
	gt_ok(r && gt_field_num(r->line, "size") == 2 * (long long)GT_PAGE, "MEM_SHARE size 8192");
	gt_ok(r && acl_entry(r->line, 0, &acl_vmid, rights, sizeof(rights)) &&
	      acl_vmid == vm.vmid && !strcmp(rights, "rw"), "MEM_SHARE ACL[0]: the guest, rw");
	gt_ok(r && acl_entry(r->line, 1, &acl_vmid, rights, sizeof(rights)) &&
	      acl_vmid == 3 && !strcmp(rights, "rwx"), "MEM_SHARE ACL[1]: the host (VMID 3), rwx");
	h_share = r ? gt_field_num(r->line, "handle") : -1;
	gt_ok(h_lend >= 0 && h_share >= 0 && h_lend != h_share, "two parcels: %lld, %lld", h_lend,
	      h_share);

	r = log_find("VM_CONFIG_IMAGE", 0);
	gt_ok(r && gt_field_num(r->line, "handle") == h_lend &&
	      gt_field_num(r->line, "image_offset") == 0 && gt_field_num(r->line, "image_size") == 0 &&
	      gt_field_num(r->line, "dtb_offset") == (long long)vm.dtb_offset &&
	      gt_field_num(r->line, "dtb_size") == GT_DTB_SLOT,
	      "VM_CONFIG_IMAGE: lent parcel, image 0+0, dtb %#llx+%u",
	      (unsigned long long)vm.dtb_offset, GT_DTB_SLOT);
	if (r && gt_field(r->line, "auth", v, sizeof(v)))
		gt_ok(strtol(v, NULL, 0) == 0 || !strcmp(v, "NONE"), "auth NONE");
	r = log_find("VM_INIT", 0);
	gt_ok(r && gt_field(r->line, "dtb", v, sizeof(v)) && !strcmp(v, "ok"),
	      "VM_INIT parsed the devicetree through the parcel read (dtb=%s)", r ? v : "-");

	gt_ok(emu_parcel(h_lend, pl, sizeof(pl)) && strstr(pl, "type=LEND") &&
	      gt_field_num(pl, "label") == 0 && gt_field_num(pl, "size") == (long long)MEM_SIZE,
	      "the RM holds the lent parcel: %s", pl);
	gt_ok(emu_parcel(h_share, pl, sizeof(pl)) && strstr(pl, "type=SHARE") &&
	      gt_field_num(pl, "label") == 1, "the RM holds the shared parcel: %s", pl);

	gt_is(gt_status(vm.fd, &st), 0, "GET_STATUS");
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "running");

	log_clear();
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), 0, "graceful STOP");
	gt_is(gt_wait_exit(vm.fd, &st, 5000), 0, "the guest powers off");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF, "exit_type PLATFORM_OFF");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "exit_status EXITED");
	LOG_IS("graceful stop", "VM_STOP");
	r = log_find("VM_STOP", 0);
	gt_ok(r && gt_field_num(r->line, "flags") == 0 && gt_field_num(r->line, "reason") == 0,
	      "VM_STOP flags 0 reason 0");

	log_clear();
	gt_vm_close(&vm);
	LOG_IS("close after exit", "VM_RESET", "MEM_RECLAIM", "MEM_RECLAIM", "VM_DEALLOCATE");
	r = log_find("MEM_RECLAIM", 0);
	gt_ok(r && gt_field_num(r->line, "handle") == h_lend, "reclaims the lent parcel");
	r = log_find("MEM_RECLAIM", 1);
	gt_ok(r && gt_field_num(r->line, "handle") == h_share, "reclaims the shared parcel");
	gt_ok(!emu_parcel(h_lend, pl, sizeof(pl)) && !emu_parcel(h_share, pl, sizeof(pl)),
	      "the RM has no parcel left");
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");
	gt_is(gt_param("pinned_pages"), pinned0, "no page pinned");
}

static void test_forced_stop(void)
{
	struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE, .reason = 99 };
	struct gh_vm_status st;
	const struct rpc *r;
	struct gt_vm vm;

	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "VM with a lent region only");
	log_clear();
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	LOG_IS("start without a shared region", "MEM_LEND", "VM_CONFIG_IMAGE", "VM_INIT",
	       "VM_GET_HYP_RESOURCES", "VM_START");
	log_clear();
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), 0, "forced STOP");
	gt_is(gt_wait_exit(vm.fd, &st, 5000), 0, "exits");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, "exit_type VM_STOP_FORCED");
	log_fetch();
	r = log_find("VM_STOP", 0);
	gt_ok(r && gt_field_num(r->line, "flags") == 1 && gt_field_num(r->line, "reason") == 3,
	      "VM_STOP flags FORCE, reason 3 (%s)", r ? r->line : "-");
	log_clear();
	gt_vm_close(&vm);
	LOG_IS("close after a forced stop", "VM_RESET", "MEM_RECLAIM", "VM_DEALLOCATE");
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");
}

static void test_close_running(void)
{
	const struct rpc *r;
	struct gt_vm vm;

	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	log_clear();
	gt_vm_close(&vm);
	LOG_IS("close while running", "VM_STOP", "VM_RESET", "MEM_RECLAIM", "MEM_RECLAIM",
	       "VM_DEALLOCATE");
	r = log_find("VM_STOP", 0);
	gt_ok(r && gt_field_num(r->line, "flags") == 1 && gt_field_num(r->line, "reason") == 3,
	      "VM_STOP(force)");
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");
}

static void test_close_unstarted(void)
{
	struct gt_vm vm;

	log_clear();
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "VM, never started");
	gt_vm_close(&vm);
	LOG_IS("create + close", "VM_ALLOCATE", "VM_DEALLOCATE");
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");
}

static void test_close_failed(void)
{
	struct gh_vm_status st;
	struct gt_vm vm;

	/* refused devicetree: VM_INIT fails, the RM's VM is INIT_FAILED */
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "VM");
	memset((char *)vm.mem + vm.dtb_offset, 0, GT_DTB_SLOT);
	log_clear();
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), -EINVAL, "START with a bad DTB: -EINVAL");
	gt_status(vm.fd, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_INIT_FAILED, "INIT_FAILED");
	LOG_IS_FAILING("start with a bad DTB", "MEM_LEND", "VM_CONFIG_IMAGE", "VM_INIT");
	log_clear();
	gt_vm_close(&vm);
	LOG_IS("close after INIT_FAILED", "VM_RESET", "MEM_RECLAIM", "VM_DEALLOCATE");
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");

	/* refused share: the VM stays in LOAD with one parcel */
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "VM");
	gt_emu_must("fault MEM_SHARE error NOMEM count 1");
	log_clear();
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), -ENOMEM, "MEM_SHARE NOMEM: START -ENOMEM");
	LOG_IS_FAILING("start refused at MEM_SHARE", "MEM_LEND", "MEM_SHARE");
	gt_status(vm.fd, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_LOAD, "still LOAD");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_LOAD_FAILED, "LOAD_FAILED");
	log_clear();
	gt_vm_close(&vm);
	LOG_IS("close in LOAD with a parcel", "MEM_RECLAIM", "VM_DEALLOCATE");
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");
	gt_emu_must("fault clear");
}

static void test_big_scatter_list(void)
{
	const size_t pages = 1200, size = pages * GT_PAGE;
	long long pinned0 = gt_param("pinned_pages"), entries, handle;
	struct gh_vm_dtb_config c;
	const struct rpc *r;
	char pl[512];
	void *mem, *other;
	int vm;
	size_t appends = 0;

	/* pages taken alternately from two files, backwards: not physically contiguous */
	mem = gt_map(size);
	other = gt_map(size);
	for (size_t i = 0; i < pages; i++) {
		((volatile char *)other)[i * GT_PAGE] = 1;
		((volatile char *)mem)[(pages - 1 - i) * GT_PAGE] = 1;
	}
	c.gpa = GT_MEM_BASE + gt_write_dtb(mem, size, GT_MEM_BASE, 0);
	c.size = GT_DTB_SLOT;
	vm = gt_create_vm(dev);
	gt_ok(vm >= 0, "VM");
	gt_is(gt_region(vm, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC |
			GH_MEM_LENT, GT_MEM_BASE, size, mem), 0, "lent region of %zu pages", pages);
	gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c);
	log_clear();
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "START");
	LOG_IS("start with 1200 scattered pages", "MEM_LEND", "VM_CONFIG_IMAGE", "VM_INIT",
	       "VM_GET_HYP_RESOURCES", "VM_START");
	appends = n_appends;
	r = log_find("MEM_LEND", 0);
	handle = r ? gt_field_num(r->line, "handle") : -1;
	gt_ok(emu_parcel(handle, pl, sizeof(pl)) && gt_field_num(pl, "size") == (long long)size,
	      "the RM's parcel covers the region: %s", pl);
	entries = gt_field_num(pl, "entries");
	if (entries > 512) {
		gt_is(appends, (entries - 1) / 512, "%lld entries: MEM_LEND + %lld MEM_APPEND",
		      entries, (entries - 1) / 512);
	} else {
		gt_skip("the pages came out contiguous (%lld entries)", entries);
	}
	close(vm);
	gt_ok(!emu_parcel(handle, pl, sizeof(pl)), "reclaimed");
	gt_is(gt_param("pinned_pages"), pinned0, "unpinned");
	munmap(mem, size);
	munmap(other, size);
}

static void test_rm_exit(void)
{
	struct gh_vm_stop stop = { 0 };
	struct gh_vm_status st;
	struct gt_vm vm;

	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	gt_status(vm.fd, &st);
	gt_emu_must("exit 0x%x WATCHDOG_BITE", vm.vmid);
	gt_ok(gt_readable(vm.fd, 3000), "an RM-initiated exit wakes the poller");
	gt_is(gt_wait_exit(vm.fd, &st, 3000), 0, "exited");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_WATCHDOG_BITE, "exit_type WATCHDOG_BITE");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "exit_status EXITED");
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), -EINVAL, "STOP after the exit: -EINVAL");
	gt_vm_close(&vm);
	gt_ok(!emu_has_vm(vm.vmid), "the VMID is free");

	/* a guest that ignores the shutdown request keeps running */
	gt_emu_must("guest on-shutdown ignore");
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), 0, "graceful STOP");
	gt_is(gt_wait_exit(vm.fd, &st, 500), -ETIMEDOUT, "the guest ignores it");
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "still running");
	stop.flags = GH_VM_STOP_FORCE;
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), 0, "forced STOP");
	gt_is(gt_wait_exit(vm.fd, &st, 3000), 0, "exits");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, "VM_STOP_FORCED");
	gt_emu_must("guest on-shutdown poweroff");
	gt_vm_close(&vm);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	gt_emu_must("fault clear");

	test_golden();
	test_forced_stop();
	test_close_running();
	test_close_unstarted();
	test_close_failed();
	test_big_scatter_list();
	test_rm_exit();

	gt_is(gt_param("zombies"), 0, "no zombie");
	gt_is(gt_emu_stat("concurrent"), 0, "the RM never saw two requests at once");
	close(dev);
	return gt_done();
}
