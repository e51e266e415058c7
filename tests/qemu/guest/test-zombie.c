// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A VM the RM does not let go becomes a zombie: logged, counted (module
 * parameter zombies), its guest pages left pinned, its VMID not freed, and
 * the module unremovable from then on. Runs last: it leaves the module
 * pinned for good.
 *
 * First, a slow RM is no zombie (the RM sends RESET only once it released
 * every parcel, gh-rm-emu `set release-delay`, and serves nobody
 * meanwhile):
 * A. RESET later than rm_timeout_ms but within the wait that scales with
 *    the VM's memory: the teardown goes on, and a VM_ALLOCATE issued during
 *    the release waits for it and succeeds.
 * B. RESET later than that wait: a zombie for a while, completed and
 *    unpinned when RESET arrives.
 * Then the zombies for good:
 * 1. MEM_RECLAIM refused (gh-rm-emu `reclaim refuse`, IN_USE).
 * 2. MEM_LEND delivered but never answered: the parcel may exist with a
 *    handle the module never learnt, so its pages stay pinned too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ghtest.h"

#define MEM_SIZE	(1ul << 20)

static bool emu_has_vm(uint16_t vmid)
{
	char *out = NULL, key[32];
	bool found;

	if (gt_emu(&out, "vms"))
		return false;
	snprintf(key, sizeof(key), "vmid=0x%x ", vmid);
	found = strstr(out, key) != NULL;
	free(out);
	return found;
}

static long long emu_parcels(void)
{
	char *out = NULL;
	long long n = -1;

	if (gt_emu(&out, "parcels") == 0)
		n = (long long)gt_lines(out);
	free(out);
	return n;
}

static bool emu_vm_state_is(uint16_t vmid, const char *state)
{
	char *out = NULL, key[64];
	bool found;

	if (gt_emu(&out, "vms"))
		return false;
	snprintf(key, sizeof(key), "vmid=0x%x state=%s ", vmid, state);
	found = strstr(out, key) != NULL;
	free(out);
	return found;
}

struct closer {
	int fd;
	long long ms;
};

static void *close_thread(void *arg)
{
	struct closer *c = arg;
	long long t0 = gt_now_ms();

	close(c->fd);
	c->ms = gt_now_ms() - t0;
	return NULL;
}

/* Waits until the emulator has the VM in RESETTING; false after 5 s */
static bool wait_resetting(uint16_t vmid)
{
	for (int i = 0; i < 500; i++) {
		if (emu_vm_state_is(vmid, "RESETTING"))
			return true;
		usleep(10000);
	}
	return false;
}

#define VM_PAGES	((long long)(MEM_SIZE + 2 * GT_PAGE) / GT_PAGE)

static void slow_reset(int dev)
{
	long long pinned0 = gt_param("pinned_pages"), zombies0 = gt_param("zombies");
	long long parcels0 = emu_parcels(), dropped0 = gt_param("rm_dropped");
	long long refcnt0 = gt_module_refcnt(), timeout = gt_param("rm_timeout_ms"), t0;
	struct closer c;
	struct gt_vm vm;
	pthread_t thr;
	char old[32];
	int fd2;

	gt_param_str("rm_release_ms_per_mib", old, sizeof(old));
	/* A: 2 MiB held, rm_timeout_ms + 2 x 2000 ms of patience for a 4 s release */
	gt_param_set("rm_release_ms_per_mib", "2000");
	gt_emu_must("set release-delay 4000");
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "A: a VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "started");
	c = (struct closer){ .fd = vm.fd };
	vm.fd = -1;
	gt_is(pthread_create(&thr, NULL, close_thread, &c), 0, "close it in another thread");
	gt_ok(wait_resetting(vm.vmid), "the RM releases its memory (RESETTING)");
	t0 = gt_now_ms();
	fd2 = gt_create_vm(dev);
	t0 = gt_now_ms() - t0;
	gt_ok(fd2 >= 0, "GH_CREATE_VM during the release succeeds (%d)", fd2);
	gt_ok(t0 > timeout, "its VM_ALLOCATE waited for the release: %lld ms > rm_timeout_ms %lld",
	      t0, timeout);
	pthread_join(thr, NULL);
	gt_ok(c.ms >= 3500, "close waited for the late RESET (%lld ms)", c.ms);
	gt_is(gt_param("zombies"), zombies0, "no zombie");
	gt_is(gt_param("pinned_pages"), pinned0, "nothing pinned");
	gt_is(gt_param("rm_dropped"), dropped0, "no reply dropped");
	gt_ok(!emu_has_vm(vm.vmid), "its VMID is free in the RM");
	gt_is(emu_parcels(), parcels0, "its parcels are reclaimed");
	if (fd2 >= 0)
		close(fd2);
	gt_vm_close(&vm);

	/* B: no patience beyond rm_timeout_ms: a zombie until RESET comes */
	gt_param_set("rm_release_ms_per_mib", "0");
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "B: a VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "started");
	t0 = gt_now_ms();
	close(vm.fd);
	vm.fd = -1;
	t0 = gt_now_ms() - t0;
	gt_ok(t0 < 4000, "close gives up before the RESET (%lld ms)", t0);
	gt_is(gt_param("zombies"), zombies0 + 1, "a zombie");
	gt_is(gt_param("pinned_pages"), pinned0 + VM_PAGES, "its pages stay pinned");
	gt_is(gt_module_refcnt(), refcnt0 + 1, "it holds the module");
	for (int i = 0; i < 1000 && gt_param("zombies") != zombies0; i++)
		usleep(10000);
	gt_is(gt_param("zombies"), zombies0, "the late RESET completes it: no zombie");
	gt_is(gt_param("pinned_pages"), pinned0, "nothing pinned");
	gt_is(gt_module_refcnt(), refcnt0, "the module reference is dropped");
	gt_ok(!emu_has_vm(vm.vmid), "its VMID is free in the RM");
	gt_is(emu_parcels(), parcels0, "its parcels are reclaimed");
	gt_vm_close(&vm);

	gt_param_set("rm_release_ms_per_mib", old);
	gt_emu_must("set release-delay 0");
}

int main(void)
{
	long long pinned0, zombies0, parcels0, t0;
	char old[32], *out = NULL;
	struct gt_vm vm;
	int dev;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	gt_emu_must("fault clear");
	pinned0 = gt_param("pinned_pages");
	zombies0 = gt_param("zombies");
	parcels0 = emu_parcels();

	slow_reset(dev);

	/* 1: the RM refuses to give the memory back */
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, true), 0, "a VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "started");
	gt_emu_must("reclaim refuse");
	gt_emu_must("log clear");
	gt_is(close(vm.fd), 0, "close it while the RM refuses MEM_RECLAIM");
	vm.fd = -1;
	gt_is(gt_param("zombies"), zombies0 + 1, "it is counted as a zombie");
	gt_is(gt_param("pinned_pages"), pinned0 + (long long)(MEM_SIZE + 2 * GT_PAGE) / GT_PAGE,
	      "its pages stay pinned");
	gt_is(emu_parcels(), parcels0 + 2, "the RM still has both parcels");
	gt_ok(emu_has_vm(vm.vmid), "its VMID is not deallocated");
	if (gt_emu(&out, "log") == 0) {
		gt_ok(strstr(out, "MEM_RECLAIM") && strstr(out, "IN_USE"),
		      "MEM_RECLAIM was answered IN_USE");
		gt_ok(!strstr(out, "VM_DEALLOCATE"), "no VM_DEALLOCATE");
	}
	free(out);
	gt_emu_must("reclaim allow");
	gt_vm_close(&vm);	/* the host's mappings go; the pinned pages stay */
	gt_is(gt_param("pinned_pages"), pinned0 + (long long)(MEM_SIZE + 2 * GT_PAGE) / GT_PAGE,
	      "unmapping does not release them");
	gt_ok(syscall(SYS_delete_module, "gunyah", O_NONBLOCK) != 0,
	      "rmmod is refused while a zombie holds pages");

	/* 2: a MEM_LEND that the RM got and never answered */
	snprintf(old, sizeof(old), "%lld", gt_param("rm_timeout_ms"));
	gt_param_set("rm_timeout_ms", "500");
	pinned0 = gt_param("pinned_pages");
	gt_is(gt_vm_new(&vm, dev, MEM_SIZE, false), 0, "another VM");
	gt_emu_must("fault MEM_LEND drop count 1");
	t0 = gt_now_ms();
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), -ETIMEDOUT, "no reply to MEM_LEND: -ETIMEDOUT");
	gt_ok(gt_now_ms() - t0 < 2000, "within the timeout");
	gt_vm_close(&vm);
	gt_is(gt_param("zombies"), zombies0 + 2, "a zombie too: the parcel may exist");
	gt_is(gt_param("pinned_pages"), pinned0 + (long long)MEM_SIZE / GT_PAGE,
	      "its pages stay pinned");
	gt_param_set("rm_timeout_ms", old);
	gt_emu_must("fault clear");
	close(dev);
	return gt_done();
}
