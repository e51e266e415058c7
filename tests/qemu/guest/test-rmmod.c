// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An open VM fd holds gunyah.ko: rmmod is refused while it is open, and the
 * reference goes with the fd. (init.sh then unloads the module for real once
 * nothing holds it and checks that it loads again.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ghtest.h"

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags) < 0 ? -errno : 0;
}

int main(void)
{
	long long ref0, ref1;
	struct gt_vm vm;
	int dev;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	gt_is(gt_vm_new(&vm, dev, 1ul << 20, true), 0, "a VM");
	gt_is(gt_ioctl(vm.fd, GH_VM_START, NULL), 0, "started");
	close(dev);
	ref1 = gt_module_refcnt();

	gt_ok(delete_module("gunyah", O_NONBLOCK) != 0, "rmmod with a VM fd open is refused");
	gt_ok(gt_module_refcnt() == ref1 && gt_param("pinned_pages") > 0,
	      "the module is still there, with its VM");

	gt_vm_close(&vm);
	ref0 = gt_module_refcnt();
	gt_is(ref0, ref1 - 1, "the VM fd's reference went with it (refcnt %lld -> %lld)", ref1,
	      ref0);
	gt_is(gt_param("pinned_pages"), 0, "no page pinned");
	gt_is(gt_param("zombies"), 0, "no zombie");
	return gt_done();
}
