/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Test-only ABI of gunyah.ko's loopback RM transport (module parameter
 * transport=loopback): /dev/gunyah-rm, served by a userspace Resource
 * Manager (gh-rm-emu). Not for production use.
 *
 *  - One opener at a time (-EBUSY otherwise).
 *  - read(): exactly one RM RPC packet (8..240 bytes) that the module sent;
 *    the buffer must hold 240 bytes (-EINVAL); blocks until a packet is
 *    queued, or -EAGAIN with O_NONBLOCK.
 *  - write(): injects exactly one packet (8..240 bytes, else -EINVAL) into
 *    the module's receive path; blocks while the receive queue is full, or
 *    -EAGAIN with O_NONBLOCK.
 *  - Both queues are 8 packets deep, like the hypervisor's message queues
 *    between the host and the RM; a sender facing a full queue waits for
 *    room, as it would wait for the TX-not-full interrupt.
 *  - poll(): EPOLLIN when a packet can be read, EPOLLOUT when one can be
 *    written.
 *  - When the device is closed, queued packets are dropped and RM calls in
 *    flight time out (-ETIMEDOUT).
 */
#ifndef _UAPI_LINUX_GUNYAH_RM_LOOPBACK_H
#define _UAPI_LINUX_GUNYAH_RM_LOOPBACK_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * struct gh_rm_loopback_read - Read guest memory by host physical address
 * @phys_addr: Host physical address, as sent in a MEM_LEND/MEM_SHARE
 *             scatter list
 * @size: Bytes to read, at most 1 MiB
 * @buf: User pointer to the destination buffer
 *
 * Lets the emulator parse the devicetree the way the real RM does, which
 * maps the parcel itself. Refused with -EPERM unless the module parameter
 * parcel_read=1, and with -EACCES unless every byte lies in a page pinned
 * for a live VM. -EINVAL for size 0 or over 1 MiB.
 */
struct gh_rm_loopback_read {
	__u64 phys_addr;
	__u64 size;
	__u64 buf;
};

#define GH_RM_LOOPBACK_READ_PARCEL	_IOW('G', 0x30, struct gh_rm_loopback_read)

#endif /* _UAPI_LINUX_GUNYAH_RM_LOOPBACK_H */
