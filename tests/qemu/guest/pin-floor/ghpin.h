/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * /dev/ghpin: the floor of registering guest memory, for bench/big-guest in
 * the QEMU guest. GHPIN_PIN pins a user range as gunyah.ko's
 * GH_VM_SET_USER_MEM_REGION does (pin_user_pages_fast(), FOLL_WRITE |
 * FOLL_LONGTERM, into a kvcalloc'd page array) and nothing else; GHPIN_UNPIN
 * (or close) unpins it as the module's teardown does. One range per open file.
 */
#ifndef _GHPIN_H
#define _GHPIN_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct ghpin_range {
	__u64 addr;	/* page aligned */
	__u64 size;	/* bytes, page aligned, > 0 */
};

#define GHPIN_PIN	_IOW('P', 0x01, struct ghpin_range)
#define GHPIN_UNPIN	_IO('P', 0x02)

#endif
