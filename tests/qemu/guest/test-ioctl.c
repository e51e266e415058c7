// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every ioctl rule of the seed and of docs/kmod.md ("The /dev/gunyah ABI"),
 * with its errno, against gunyah.ko served by gh-rm-emu. The same rules as
 * tests/daemon/test-hyp-conformance.c, plus what only the module can show:
 * copy faults, unknown ioctls, O_CLOEXEC, the anon inode, pinned pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libfdt.h>

#include "ghtest.h"

#define MEM_SIZE	(4ul << 20)
#define BADPTR		((void *)16)
#define RWXL		(GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC | GH_MEM_LENT)

static int dev;
static void *mem, *shm;

static struct gh_userspace_memory_region main_region(void)
{
	return (struct gh_userspace_memory_region){
		.label = 0, .flags = RWXL, .guest_phys_addr = GT_MEM_BASE,
		.memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem,
	};
}

static int set_region(int vm, const struct gh_userspace_memory_region *r)
{
	return gt_ioctl(vm, GH_VM_SET_USER_MEM_REGION, r);
}

static int new_vm(void)
{
	int vm = gt_create_vm(dev);

	if (vm < 0)
		gt_bail("GH_CREATE_VM: %s", strerror(-vm));
	return vm;
}

/* A VM with the main region and a devicetree the RM accepts */
static int bootable_vm(void)
{
	struct gh_userspace_memory_region r = main_region();
	uint64_t off = gt_write_dtb(mem, MEM_SIZE, GT_MEM_BASE, 0);
	struct gh_vm_dtb_config c = { .gpa = GT_MEM_BASE + off, .size = GT_DTB_SLOT };
	int vm = new_vm();

	if (set_region(vm, &r) || gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c))
		gt_bail("preparing a bootable VM failed");
	return vm;
}

static void test_device(void)
{
	struct stat st = { 0 };
	char link[64], target[64] = "";
	int vm;

	gt_ok(stat("/dev/gunyah", &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 0777) == 0660,
	      "/dev/gunyah is a char device, mode 0660 (%o)", st.st_mode & 0777);
	gt_is(gt_ioctl(dev, _IO('G', 0x7f), NULL), -ENOTTY, "unknown ioctl on /dev/gunyah: -ENOTTY");
	gt_is(gt_ioctl(dev, GH_VM_START, NULL), -ENOTTY, "a VM ioctl on /dev/gunyah: -ENOTTY");
	gt_is(gt_ioctl(dev, GH_CREATE_VM, (void *)1), -EINVAL, "GH_CREATE_VM arg 1: -EINVAL");

	vm = new_vm();
	gt_ok(fcntl(vm, F_GETFD) & FD_CLOEXEC, "the VM fd is O_CLOEXEC");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", vm);
	(void)!readlink(link, target, sizeof(target) - 1);
	gt_ok(!strcmp(target, "anon_inode:gunyah-vm"), "the VM fd is anon_inode:gunyah-vm (%s)",
	      target);
	gt_is(gt_ioctl(vm, _IO('G', 0x7f), NULL), -ENOTTY, "unknown ioctl on a VM fd: -ENOTTY");
	gt_is(gt_ioctl(vm, GH_CREATE_VM, NULL), -ENOTTY, "GH_CREATE_VM on a VM fd: -ENOTTY");
	gt_is(gt_ioctl(vm, GH_VM_ANDROID_LEND_USER_MEM, NULL), -ENOTTY,
	      "GH_VM_ANDROID_LEND_USER_MEM: -ENOTTY (not offered)");
	close(vm);
}

static void test_status_fresh(void)
{
	struct gh_vm_status st;
	int vm = new_vm();

	memset(&st, 0xa5, sizeof(st));
	gt_is(gt_status(vm, &st), 0, "GET_STATUS of a new VM");
	gt_ok(st.vmid >= 0x80 && st.vmid <= 0xbe, "VMID %#x is dynamic (allocated at create)",
	      st.vmid);
	gt_is(st.rm_status, GH_RM_VM_STATUS_LOAD, "rm_status LOAD");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_NONE, "exit_status NONE");
	gt_ok(st.reserved == 0 && st.exit_type == 0 && st.exit_reason_size == 0 && st.os_status == 0,
	      "the rest is zero");
	gt_ok(!gt_readable(vm, 0), "a new VM does not poll readable");
	gt_is(gt_ioctl(vm, GH_VM_GET_STATUS, BADPTR), -EFAULT, "GET_STATUS to a bad pointer: -EFAULT");
	close(vm);
}

static void test_regions(void)
{
	struct gh_userspace_memory_region r, s, del = { .label = 0 };
	long long pinned0 = gt_param("pinned_pages");
	void *hole;
	int vm = new_vm();

	gt_is(gt_ioctl(vm, GH_VM_SET_USER_MEM_REGION, BADPTR), -EFAULT, "region from a bad pointer");

	r = main_region();
	r.flags |= 1u << 4;
	gt_is(set_region(vm, &r), -EINVAL, "flag bit 4: -EINVAL");
	r.flags = 1u << 31;
	gt_is(set_region(vm, &r), -EINVAL, "flag bit 31: -EINVAL");
	r = main_region();
	r.memory_size -= 1;
	gt_is(set_region(vm, &r), -EINVAL, "unaligned size: -EINVAL");
	r = main_region();
	r.userspace_addr += 8;
	r.memory_size -= GT_PAGE;
	gt_is(set_region(vm, &r), -EINVAL, "unaligned userspace address: -EINVAL");
	r = main_region();
	r.guest_phys_addr += 0x800;
	gt_is(set_region(vm, &r), -EINVAL, "unaligned guest address: -EINVAL");
	gt_is(gt_param("pinned_pages"), pinned0, "nothing was pinned");
	r = main_region();
	gt_is(set_region(vm, &r), 0, "the aligned region goes in");
	gt_is(gt_param("pinned_pages"), pinned0 + MEM_SIZE / GT_PAGE, "its pages are pinned");

	s = (struct gh_userspace_memory_region){ .label = 0, .flags = GH_MEM_ALLOW_READ,
		.guest_phys_addr = GT_SHM_BASE, .memory_size = 2 * GT_PAGE,
		.userspace_addr = (uintptr_t)shm };
	gt_is(set_region(vm, &s), -EEXIST, "duplicate label: -EEXIST");
	s.label = 1;
	s.guest_phys_addr = GT_MEM_BASE + MEM_SIZE - GT_PAGE;
	gt_is(set_region(vm, &s), -EEXIST, "last page overlaps: -EEXIST");
	s.guest_phys_addr = GT_MEM_BASE - GT_PAGE;
	gt_is(set_region(vm, &s), -EEXIST, "first page overlaps: -EEXIST");
	s.guest_phys_addr = GT_MEM_BASE + GT_PAGE;
	s.memory_size = GT_PAGE;
	gt_is(set_region(vm, &s), -EEXIST, "inside: -EEXIST");
	s.memory_size = 2 * GT_PAGE;
	s.guest_phys_addr = GT_MEM_BASE - 2 * GT_PAGE;
	gt_is(set_region(vm, &s), 0, "touching below is fine");
	s.label = 2;
	s.guest_phys_addr = GT_MEM_BASE + MEM_SIZE;
	gt_is(set_region(vm, &s), 0, "touching above is fine (the same memory twice, too)");

	s.label = 3;
	s.guest_phys_addr = ~0ull - GT_PAGE + 1;
	gt_is(set_region(vm, &s), -EOVERFLOW, "gpa + size overflows: -EOVERFLOW");
	s.guest_phys_addr = ~0ull - 2 * GT_PAGE + 1;
	gt_is(set_region(vm, &s), 0, "a region ending at 2^64 exactly");

	del.label = 7;
	gt_is(set_region(vm, &del), -ENODEV, "delete an unknown label: -ENODEV");
	del.label = 0;
	gt_is(set_region(vm, &del), 0, "delete label 0");
	gt_is(set_region(vm, &del), -ENODEV, "delete it again: -ENODEV");
	gt_is(set_region(vm, &r), 0, "label and range are free again");

	hole = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 2 * GT_PAGE);
	s.label = 4;
	s.guest_phys_addr = 0x100000000ull;
	s.userspace_addr = (uintptr_t)hole;
	gt_is(set_region(vm, &s), -EFAULT, "unmapped memory: -EFAULT");
	hole = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap((char *)hole + GT_PAGE, GT_PAGE);
	s.userspace_addr = (uintptr_t)hole;
	pinned0 = gt_param("pinned_pages");
	gt_is(set_region(vm, &s), -EFAULT, "half-mapped memory: -EFAULT");
	gt_is(gt_param("pinned_pages"), pinned0, "and nothing stays pinned");
	munmap(hole, GT_PAGE);
	close(vm);
}

static void test_dtb_config(void)
{
	struct gh_vm_dtb_config c = { .gpa = ~0ull - GT_PAGE + 1, .size = 2 * GT_PAGE };
	int vm = new_vm();

	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, BADPTR), -EFAULT, "DTB config from a bad pointer");
	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c), -EOVERFLOW, "DTB gpa + size overflows");
	c = (struct gh_vm_dtb_config){ .gpa = 0, .size = ~0ull - 10 };
	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c), -EOVERFLOW, "DTB size rounds up past 2^64");
	c = (struct gh_vm_dtb_config){ .gpa = GT_MEM_BASE, .size = 100 };
	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c), 0, "a DTB config");
	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c), 0, "set again");
	close(vm);
}

static void test_start_failures(void)
{
	struct gh_userspace_memory_region r = main_region();
	struct gh_vm_dtb_config c;
	struct gh_vm_status st;
	int vm;

	vm = new_vm();
	gt_is(set_region(vm, &r), 0, "region");
	(void)gt_status(vm, &st);
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL, "START without a DTB config: -EINVAL");
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL, "a failed VM cannot start again: -EINVAL");
	gt_ok(gt_readable(vm, 0), "the failure polls readable");
	gt_status(vm, &st);
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_LOAD_FAILED, "exit_status LOAD_FAILED");
	gt_is(set_region(vm, &r), -EBUSY, "regions are frozen after a START: -EBUSY");
	close(vm);

	vm = new_vm();
	c = (struct gh_vm_dtb_config){ .gpa = GT_MEM_BASE + MEM_SIZE - GT_PAGE, .size = 2 * GT_PAGE };
	set_region(vm, &r);
	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c), 0, "DTB config crossing the region's end");
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL, "START with the DTB outside a parcel");
	close(vm);

	vm = new_vm();
	c = (struct gh_vm_dtb_config){ .gpa = 0x10000, .size = GT_PAGE };
	set_region(vm, &r);
	gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c);
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL, "START with the DTB in no region");
	close(vm);

	/* zeroes are no devicetree: the RM's VM_INIT refuses (MEM_INVALID) */
	memset(mem, 0, MEM_SIZE);
	vm = new_vm();
	c = (struct gh_vm_dtb_config){ .gpa = GT_MEM_BASE + MEM_SIZE / 2, .size = GT_PAGE };
	set_region(vm, &r);
	gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c);
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL, "START with a DTB the RM refuses: -EINVAL");
	gt_status(vm, &st);
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_LOAD_FAILED, "exit_status LOAD_FAILED");
	gt_is(st.rm_status, GH_RM_VM_STATUS_INIT_FAILED, "rm_status INIT_FAILED");
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL, "and it cannot start again");
	close(vm);

	/*
	 * Parsed, then refused while the RM creates the vCPUs (an untrusted
	 * VM at its owner's priority): NORESOURCE, -ENODEV, as the real RM.
	 */
	vm = bootable_vm();
	gt_is(fdt_setprop_inplace_u32((char *)mem + MEM_SIZE - GT_DTB_SLOT,
				      fdt_path_offset((char *)mem + MEM_SIZE - GT_DTB_SLOT,
						      "/gunyah-vm-config/vcpus"),
				      "sched-priority", 0), 0, "sched-priority 0 in the DTB");
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -ENODEV,
	      "START of a config the RM parses and refuses: -ENODEV");
	gt_status(vm, &st);
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_LOAD_FAILED, "exit_status LOAD_FAILED");
	gt_is(st.rm_status, GH_RM_VM_STATUS_INIT_FAILED, "rm_status INIT_FAILED");
	close(vm);

	/* A parse-time check (PSCI without idle states): MEM_INVALID, -EINVAL */
	vm = bootable_vm();
	{
		char *fdt = (char *)mem + MEM_SIZE - GT_DTB_SLOT;
		int r;

		r = fdt_open_into(fdt, fdt, GT_DTB_SLOT / 2);
		if (!r)
			r = fdt_delprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@0"), "cpu-idle-states");
		if (r == -FDT_ERR_NOTFOUND)	/* one vCPU without PSCI: add PSCI */
			r = fdt_add_subnode(fdt, 0, "psci") < 0 ? -1 :
			    fdt_setprop_string(fdt, fdt_path_offset(fdt, "/psci"), "compatible",
					       "arm,psci-1.0");
		if (!r)
			r = fdt_pack(fdt);
		gt_is(r, 0, "PSCI without cpu-idle-states in the DTB");
	}
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), -EINVAL,
	      "START of a config the RM cannot parse: -EINVAL");
	gt_status(vm, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_INIT_FAILED, "rm_status INIT_FAILED");
	close(vm);
}

static void test_start_stop(void)
{
	struct gh_userspace_memory_region s = { .label = 1, .flags = GH_MEM_ALLOW_READ,
		.guest_phys_addr = GT_SHM_BASE, .memory_size = 2 * GT_PAGE,
		.userspace_addr = (uintptr_t)shm };
	struct gh_userspace_memory_region bad = main_region(), del = { .label = 0 };
	struct gh_vm_dtb_config c = { .gpa = GT_MEM_BASE, .size = GT_PAGE };
	struct gh_vm_stop stop = { .flags = 1u << 1 };
	struct gh_vm_status st;
	int vm;

	vm = bootable_vm();
	gt_is(gt_ioctl(vm, GH_VM_STOP, BADPTR), -EFAULT, "STOP from a bad pointer: -EFAULT");
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), -EINVAL, "STOP with a reserved flag: -EINVAL");
	stop.flags = GH_VM_STOP_FORCE;
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), -EINVAL, "STOP of a VM that is not running: -EINVAL");
	(void)gt_status(vm, &st);
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "START");
	gt_ok(gt_readable(vm, 2000), "the start polls readable");
	gt_is(gt_status(vm, &st), 0, "GET_STATUS");
	gt_ok(!gt_readable(vm, 0), "reading the status re-arms");
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "rm_status RUNNING");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_NONE, "exit_status NONE");
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "a repeated START does nothing: 0");
	gt_is(set_region(vm, &s), -EBUSY, "new region after START: -EBUSY");
	bad.memory_size -= 1;
	gt_is(set_region(vm, &bad), -EBUSY, "even a malformed one: -EBUSY first");
	gt_is(set_region(vm, &del), -EBUSY, "delete after START: -EBUSY");
	gt_is(gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c), -EBUSY, "DTB config after START: -EBUSY");
	stop.flags = 1u << 1;
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), -EINVAL, "reserved flag while running: -EINVAL");

	stop.flags = GH_VM_STOP_FORCE;
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), 0, "forced STOP");
	gt_is(gt_wait_exit(vm, &st, 5000), 0, "the VM exits");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "exit_status EXITED");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, "exit_type VM_STOP_FORCED");
	gt_is(st.rm_status, GH_RM_VM_STATUS_EXITED, "rm_status EXITED");
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), -EINVAL, "STOP of an exited VM: -EINVAL");
	close(vm);

	vm = bootable_vm();
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "START");
	stop = (struct gh_vm_stop){ .flags = 0, .reason = 0 };
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), 0, "graceful STOP");
	gt_is(gt_wait_exit(vm, &st, 5000), 0, "the emulated guest powers off");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "exit_status EXITED");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF, "exit_type PLATFORM_OFF");
	close(vm);

	/*
	 * Without an rm-rpc vdevice the guest has no RM link: a graceful stop
	 * would make the real RM exit, so the module refuses it; force works.
	 */
	gt_emu_must("log clear");
	gt_dtb_rm_rpc = false;
	vm = bootable_vm();
	gt_dtb_rm_rpc = true;
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "START without an rm-rpc vdevice");
	stop = (struct gh_vm_stop){ .flags = 0, .reason = 0 };
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), -ENOLINK, "graceful STOP without RM link: -ENOLINK");
	gt_status(vm, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "the VM still runs");
	gt_is(gt_emu_stat("rm_exits"), 0, "no VM_STOP reached the RM");
	stop.flags = GH_VM_STOP_FORCE;
	gt_is(gt_ioctl(vm, GH_VM_STOP, &stop), 0, "forced STOP works");
	gt_is(gt_wait_exit(vm, &st, 5000), 0, "the VM exits");
	close(vm);
}

static void test_destroy_running(void)
{
	long long pinned0 = gt_param("pinned_pages");
	struct gh_vm_status st;
	int vm = bootable_vm();

	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "START");
	gt_is(close(vm), 0, "close a running VM");
	gt_is(gt_param("pinned_pages"), pinned0, "its pages are unpinned");
	memset(mem, 0x5a, MEM_SIZE);
	gt_ok(true, "the memory is the host's again");
	vm = new_vm();
	gt_status(vm, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_LOAD, "a new VM starts in LOAD");
	close(vm);
}

static void test_vm_limit(void)
{
	int vms[63], extra, n = 0;
	uint64_t seen = 0;
	bool distinct = true;

	for (int i = 0; i < 63; i++) {
		struct gh_vm_status st;

		vms[i] = gt_create_vm(dev);
		if (vms[i] < 0)
			break;
		n++;
		gt_status(vms[i], &st);
		if (st.vmid < 0x80 || st.vmid > 0xbe || (seen & (1ull << (st.vmid - 0x80))))
			distinct = false;
		else
			seen |= 1ull << (st.vmid - 0x80);
	}
	gt_is(n, 63, "63 VMs at once (the RM's 0x80..0xBE)");
	gt_ok(distinct, "with 63 distinct dynamic VMIDs");
	extra = gt_create_vm(dev);
	gt_is(extra, -ENODEV, "the 64th: -ENODEV (RM NORESOURCE)");
	if (extra >= 0)
		close(extra);
	if (n > 10) {
		close(vms[10]);
		vms[10] = gt_create_vm(dev);
		gt_ok(vms[10] >= 0, "closing one frees its VMID");
	}
	for (int i = 0; i < n; i++)
		if (vms[i] >= 0)
			close(vms[i]);
}

int main(void)
{
	long long pinned0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	mem = gt_map(MEM_SIZE);
	shm = gt_map(2 * GT_PAGE);
	pinned0 = gt_param("pinned_pages");

	test_device();
	test_status_fresh();
	test_regions();
	test_dtb_config();
	test_start_failures();
	test_start_stop();
	test_destroy_running();
	test_vm_limit();

	gt_is(gt_param("pinned_pages"), pinned0, "no page left pinned");
	gt_is(gt_param("zombies"), 0, "no zombie");
	close(dev);
	return gt_done();
}
