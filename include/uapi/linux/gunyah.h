/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Gunyah VM manager userspace ABI (/dev/gunyah).
 *
 * Binary compatible with the Gunyah VM manager of the v9 patch series
 * ("Drivers for gunyah hypervisor", January 2023): GH_CREATE_VM,
 * GH_VM_SET_USER_MEM_REGION, GH_VM_SET_DTB_CONFIG and GH_VM_START keep
 * their numbers and layouts.
 *
 * gunyahd extensions live in 'G' 0x20-0x2f, a range the upstream series
 * never used. A kernel without them answers -ENOTTY, and userspace is
 * expected to degrade (exits not observed; stop means close).
 */
#ifndef _UAPI_LINUX_GUNYAH_H
#define _UAPI_LINUX_GUNYAH_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define GH_IOCTL_TYPE			'G'

/*
 * ioctls for /dev/gunyah fds:
 */
#define GH_CREATE_VM			_IO(GH_IOCTL_TYPE, 0x0) /* Returns a Gunyah VM fd */

/*
 * ioctls for VM fds
 */

/**
 * struct gh_userspace_memory_region - Userspace memory description for a VM
 * @label: Identifier of the region; unique per VM
 * @flags: GH_MEM_* permission and sharing flags; other bits must be 0
 * @guest_phys_addr: Location of the region in the guest's address space
 * @memory_size: Size of the region in bytes (page aligned); 0 deletes by label
 * @userspace_addr: Start of the host mapping backing the region (page aligned)
 */
struct gh_userspace_memory_region {
	__u32 label;
#define GH_MEM_ALLOW_READ	(1UL << 0)
#define GH_MEM_ALLOW_WRITE	(1UL << 1)
#define GH_MEM_ALLOW_EXEC	(1UL << 2)
/*
 * The guest is lent the memory instead of sharing it: the guest has
 * exclusive access and the host loses access while the guest holds it.
 */
#define GH_MEM_LENT		(1UL << 3)
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

#define GH_MEM_VALID_FLAGS	(GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | \
				 GH_MEM_ALLOW_EXEC | GH_MEM_LENT)

#define GH_VM_SET_USER_MEM_REGION	_IOW(GH_IOCTL_TYPE, 0x1, \
					     struct gh_userspace_memory_region)

/**
 * struct gh_vm_dtb_config - Location of the VM's devicetree blob
 * @gpa: Guest physical address of the devicetree blob
 * @size: Bytes reserved for the blob, including room for the RM's overlay
 */
struct gh_vm_dtb_config {
	__u64 gpa;
	__u64 size;
};
#define GH_VM_SET_DTB_CONFIG	_IOW(GH_IOCTL_TYPE, 0x2, struct gh_vm_dtb_config)

/*
 * GH_VM_START: lend/share the regions and have the RM load and start the
 * VM. Errnos of a devicetree the RM's VM_INIT refuses, as the Gunyah RM
 * answers: a parse error (bad syntax or a parse-time check, e.g. PSCI
 * without cpu-idle-states) is MEM_INVALID, -EINVAL (so is ARGUMENT_INVALID,
 * a parsed memory range the RM cannot use); a configuration that parses but
 * cannot be created (e.g. an untrusted VM's sched-priority not below its
 * owner's) is NORESOURCE, -ENODEV. Either way the VM is
 * INIT_FAILED (exit_status LOAD_FAILED); close it and create a new one.
 */
#define GH_VM_START		_IO(GH_IOCTL_TYPE, 0x3)

/*
 * Extensions (gunyahd). Not part of the v9 series.
 */

/* gh_vm_status.exit_status */
#define GH_VM_EXIT_STATUS_NONE		0
#define GH_VM_EXIT_STATUS_LOAD_FAILED	1
#define GH_VM_EXIT_STATUS_EXITED	2
#define GH_VM_EXIT_STATUS_CRASHED	3

/* gh_vm_status.exit_type: the RM's VM_EXITED exit types */
#define GH_RM_VM_EXIT_TYPE_VM_EXIT		0
#define GH_RM_VM_EXIT_TYPE_PLATFORM_OFF		1
#define GH_RM_VM_EXIT_TYPE_PLATFORM_RESET	2
#define GH_RM_VM_EXIT_TYPE_SYSTEM_RESET2	3
#define GH_RM_VM_EXIT_TYPE_WATCHDOG_BITE	4
#define GH_RM_VM_EXIT_TYPE_SOFTWARE_ERROR	5
#define GH_RM_VM_EXIT_TYPE_ASYNC_HW_ERROR	6
#define GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED	7

/* gh_vm_status.rm_status: the RM's VM states */
#define GH_RM_VM_STATUS_NO_STATE	0
#define GH_RM_VM_STATUS_INIT		1
#define GH_RM_VM_STATUS_READY		2
#define GH_RM_VM_STATUS_RUNNING		3
#define GH_RM_VM_STATUS_PAUSED		4
#define GH_RM_VM_STATUS_LOAD		5
#define GH_RM_VM_STATUS_AUTH		6
#define GH_RM_VM_STATUS_INIT_FAILED	8
#define GH_RM_VM_STATUS_EXITED		9
#define GH_RM_VM_STATUS_RESETTING	10
#define GH_RM_VM_STATUS_RESET		11

#define GH_VM_MAX_EXIT_REASON_SIZE	8u

/**
 * struct gh_vm_status - What the module knows of a VM
 * @vmid: RM VMID, 0 before allocation
 * @rm_status: RM VM status (GH_RM_VM_STATUS_*)
 * @os_status: Guest OS status from VM_STATUS notifications
 * @exit_status: GH_VM_EXIT_STATUS_*
 * @exit_type: RM exit type from VM_EXITED (GH_RM_VM_EXIT_TYPE_*)
 * @reserved: 0
 * @exit_reason_size: Bytes valid in @exit_reason
 * @exit_reason: First bytes of the RM's exit reason, little endian
 *
 * The VM fd polls readable (EPOLLIN) when the status changed since this fd
 * last read it with GH_VM_GET_STATUS; reading re-arms.
 */
struct gh_vm_status {
	__u16 vmid;
	__u8 rm_status;
	__u8 os_status;
	__u32 exit_status;
	__u16 exit_type;
	__u16 reserved;
	__u32 exit_reason_size;
	__u8 exit_reason[GH_VM_MAX_EXIT_REASON_SIZE];
};
#define GH_VM_GET_STATUS	_IOR(GH_IOCTL_TYPE, 0x20, struct gh_vm_status)

/**
 * struct gh_vm_stop - Stop a running VM
 * @flags: GH_VM_STOP_FORCE or 0 (graceful: the guest is asked to power off)
 * @reason: Stop reason passed to the RM
 *
 * A graceful stop reaches the guest over its RM-RPC link, which it has only
 * when the devicetree given with GH_VM_SET_DTB_CONFIG has a vdevice with
 * vdevice-type = "rm-rpc" under /gunyah-vm-config/vdevices (the open-source
 * RM exits otherwise). Without one, a graceful GH_VM_STOP is -ENOLINK and
 * nothing is sent; a forced one always works.
 */
struct gh_vm_stop {
	__u32 flags;
#define GH_VM_STOP_FORCE	(1U << 0)
	__u32 reason;
};
#define GH_VM_STOP		_IOW(GH_IOCTL_TYPE, 0x21, struct gh_vm_stop)

/*
 * GH_VM_OPEN_CONSOLE - A new fd (O_CLOEXEC) on the VM's RM console
 *
 * The module opens the RM console of every VM it creates before the VM
 * starts and keeps its output in a per-VM ring (module parameter
 * console_ring_size), so every console fd can read boot output from the
 * first byte the ring still holds. Each console fd has its own position:
 * - read() returns output; a reader the ring overtook skips to the oldest
 *   byte kept and GH_CONSOLE_GET_LOST counts what it skipped. Once the VM
 *   has exited and the fd has read everything, read() returns 0.
 * - write() sends input to the guest, split into writes the RM accepts;
 *   EAGAIN (O_NONBLOCK) or blocking while the RM's queue is full (the RM
 *   answers each write before the next: another write to the VM's console
 *   in progress, or the VM not started yet); EPIPE once the VM has exited.
 * - poll(): EPOLLIN when there is output (or end of output), EPOLLOUT when
 *   input would be accepted, EPOLLHUP once the VM has exited and the fd
 *   read everything.
 * A kernel without the console answers -ENOTTY; -ENODEV when the RM
 * refused the VM a console (no console-dev rm-rpc vdevice in its
 * devicetree) or its START failed: the VM works without one.
 */
#define GH_VM_OPEN_CONSOLE	_IO(GH_IOCTL_TYPE, 0x22)

/* On a console fd: bytes this fd skipped because the ring overtook it, since open. */
#define GH_CONSOLE_GET_LOST	_IOR(GH_IOCTL_TYPE, 0x23, __u64)

/*
 * Android common kernels reject GH_MEM_LENT and offer this instead
 * (android14-6.1). Same argument as GH_VM_SET_USER_MEM_REGION.
 */
#define GH_ANDROID_IOCTL_TYPE		'A'
#define GH_VM_ANDROID_LEND_USER_MEM	_IOW(GH_ANDROID_IOCTL_TYPE, 0x11, \
					     struct gh_userspace_memory_region)

#endif /* _UAPI_LINUX_GUNYAH_H */
