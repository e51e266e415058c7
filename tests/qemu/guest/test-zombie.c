// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A VM the RM does not let go becomes a zombie: logged, counted (module
 * parameter zombies), its guest pages left pinned, its VMID not freed, and
 * the module unremovable from then on. Runs last: it leaves the module
 * pinned for good.
 *
 * 1. MEM_RECLAIM refused (gh-rm-emu `reclaim refuse`, IN_USE).
 * 2. MEM_LEND delivered but never answered: the parcel may exist with a
 *    handle the module never learnt, so its pages stay pinned too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
