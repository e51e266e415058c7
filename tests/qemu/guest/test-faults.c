// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM faults injected by gh-rm-emu: error replies become the mapped errno,
 * a silent RM gives -ETIMEDOUT within rm_timeout_ms, late replies and
 * malformed packets are dropped with the module working afterwards, and a
 * notification storm is survived: nothing lost, the VM still managed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ghtest.h"

#define MEM_SIZE	(1ul << 20)
#define TIMEOUT_MS	500	/* rm_timeout_ms during this test */

static int dev;

/* The module still works: a VM is created, started and closed */
static bool module_works(const char *after)
{
	struct gt_vm vm;
	bool ok;

	ok = gt_vm_new(&vm, dev, MEM_SIZE, false) == 0 &&
	     gt_ioctl(vm.fd, GH_VM_START, NULL) == 0;
	gt_vm_close(&vm);
	return gt_ok(ok, "the module works after %s", after);
}

static void test_error_mapping(void)
{
	static const struct {
		const char *rm_error;
		int err;
	} map[] = {
		{ "NORESOURCE", -ENODEV },
		{ "NOMEM", -ENOMEM },
		{ "DENIED", -EPERM },
		{ "BUSY", -EBUSY },
		{ "MSG_INVALID", -EINVAL },
		{ "ARGUMENT_INVALID", -EINVAL },
		{ "VMID_INVALID", -EINVAL },
		{ "UNIMPLEMENTED", -EOPNOTSUPP },
		{ "VM_STATE", -EBADMSG },
		{ "0x99", -EBADMSG },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int fd;

		gt_emu_must("fault VM_ALLOCATE error %s count 1", map[i].rm_error);
		fd = gt_create_vm(dev);
		gt_is(fd, map[i].err, "VM_ALLOCATE answered %s: GH_CREATE_VM %s", map[i].rm_error,
		      strerror(-map[i].err));
		if (fd >= 0)
			close(fd);
	}
}

static void test_start_errors(void)
{
	static const struct {
		const char *msg;
		const char *rm_error;
		int err;
	} steps[] = {
		{ "MEM_LEND", "NOMEM", -ENOMEM },
		{ "MEM_SHARE", "DENIED", -EPERM },
		{ "VM_CONFIG_IMAGE", "MEM_INVALID", -EINVAL },
		/*
		 * Not VM_INIT: an injected error leaves the emulated VM in INIT,
		 * where no real RM leaves a refused one, and from where it can be
		 * neither reset nor deallocated (a real VM_INIT failure, a bad
		 * devicetree, is in test-ioctl and test-lifecycle).
		 */
		{ "VM_GET_HYP_RESOURCES", "NOMEM", -ENOMEM },
		{ "VM_START", "NORESOURCE", -ENODEV },
	};
	long long pinned0 = gt_param("pinned_pages");

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct gh_vm_status st;
		struct gt_vm vm;

		if (gt_vm_new(&vm, dev, MEM_SIZE, true)) {
			gt_ok(false, "VM for %s", steps[i].msg);
			continue;
		}
		gt_emu_must("fault %s error %s count 1", steps[i].msg, steps[i].rm_error);
		gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), steps[i].err, "%s answered %s: START %s",
		      steps[i].msg, steps[i].rm_error, strerror(-steps[i].err));
		gt_status(vm.fd, &st);
		gt_is(st.exit_status, GH_VM_EXIT_STATUS_LOAD_FAILED, "LOAD_FAILED");
		gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), -EINVAL, "no second START");
		gt_vm_close(&vm);
		gt_is(gt_param("pinned_pages"), pinned0, "closed without a leak");
	}
	gt_is(gt_param("zombies"), 0, "no zombie: every teardown completed");
	gt_emu_must("fault clear");
}

static void test_silent_rm(void)
{
	long long t0, dt, dropped;
	struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE };
	struct gh_vm_status st;
	struct gt_vm vm;
	int fd;

	gt_emu_must("fault VM_ALLOCATE drop count 1");
	t0 = gt_now_ms();
	fd = gt_create_vm(dev);
	dt = gt_now_ms() - t0;
	gt_is(fd, -ETIMEDOUT, "no reply to VM_ALLOCATE: -ETIMEDOUT");
	gt_ok(dt >= TIMEOUT_MS - 20 && dt < TIMEOUT_MS + 1000, "after %lld ms (rm_timeout_ms %d)",
	      dt, TIMEOUT_MS);
	module_works("a dropped reply");

	/* a reply later than the timeout is dropped when it comes */
	dropped = gt_param("rm_dropped");
	gt_emu_must("fault VM_ALLOCATE delay %d count 1", TIMEOUT_MS + 300);
	fd = gt_create_vm(dev);
	gt_is(fd, -ETIMEDOUT, "a reply %d ms late: -ETIMEDOUT", TIMEOUT_MS + 300);
	usleep(600 * 1000);
	gt_ok(gt_param("rm_dropped") > dropped, "the late reply was dropped (rm_dropped %lld -> %lld)",
	      dropped, gt_param("rm_dropped"));
	module_works("a late reply");

	/* a silent VM_STOP: the ioctl times out, the VM's exit still arrives */
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	gt_emu_must("fault VM_STOP drop count 1");
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), -ETIMEDOUT, "no reply to VM_STOP: -ETIMEDOUT");
	gt_is(gt_wait_exit(vm.fd, &st, 3000), 0, "the forced exit is still reported");
	gt_vm_close(&vm);
	gt_is(gt_param("zombies"), 0, "closed cleanly");
	gt_emu_must("fault clear");
}

static void test_malformed(void)
{
	static const char *const kinds[] = {
		"short", "long", "bad-api", "bad-fragments", "orphan-continuation",
		"bad-continuation", "truncated-reply",
	};
	long long dropped = gt_param("rm_dropped");
	char what[64];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		gt_emu_must("malformed %s", kinds[i]);
		snprintf(what, sizeof(what), "a malformed packet (%s)", kinds[i]);
		module_works(what);
	}
	/* short and long ones never pass the device (8..240 bytes) */
	gt_ok(gt_param("rm_dropped") >= dropped + 4, "the module dropped them (rm_dropped +%lld)",
	      gt_param("rm_dropped") - dropped);
}

static void test_storm(void)
{
	struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE };
	struct gh_vm_status st;
	struct gt_vm vm;
	long long t0;

	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "START");
	t0 = gt_now_ms();
	gt_emu_must("storm 2000 0x%x", vm.vmid);
	gt_emu_must("storm 2000");
	gt_is(gt_status(vm.fd, &st), 0, "GET_STATUS during the storm");
	module_works("a storm of 4000 VM_STATUS notifications");
	gt_diag("storm and a VM lifecycle behind it: %lld ms", gt_now_ms() - t0);
	gt_status(vm.fd, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "the VM still runs");
	gt_is(gt_ioctl(vm.fd, GH_VM_STOP, &stop), 0, "and stops");
	gt_is(gt_wait_exit(vm.fd, &st, 3000), 0, "exits");
	gt_vm_close(&vm);
}

int main(void)
{
	char old[32];

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	snprintf(old, sizeof(old), "%lld", gt_param("rm_timeout_ms"));
	gt_param_set("rm_timeout_ms", "500");
	gt_emu_must("fault clear");

	test_error_mapping();
	test_start_errors();
	test_silent_rm();
	test_malformed();
	/*
	 * A reply queued behind thousands of notifications legitimately waits
	 * for them (seconds under TCG): what must hold is that none is lost.
	 */
	gt_param_set("rm_timeout_ms", "20000");
	test_storm();
	gt_param_set("rm_timeout_ms", old);

	gt_emu_must("fault clear");
	gt_is(gt_param("zombies"), 0, "no zombie");
	gt_is(gt_param("pinned_pages"), 0, "no page pinned");
	close(dev);
	return gt_done();
}
