/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-e2e-ioctl: the reference side of the end-to-end benchmark
 * (bench/e2e.sh, run in the x86_64 QEMU guest by tests/qemu). It issues
 * the ioctl sequence that gunyahd issues for a VM - and nothing else - on
 * /dev/gunyah, against gunyah.ko and gh-rm-emu, with the layout gunyahd
 * gave the same VM (bench/e2e.sh reads it over D-Bus):
 *
 *   memfd + mmap of main memory (lent, RWX, label 0) and of a shared RW
 *   window (label 1), in the pages gunyahd's MemoryPages names (-p: 4K,
 *   2M-thp: a 2 MiB-aligned mapping with MADV_HUGEPAGE, 2M-hugetlb:
 *   MFD_HUGETLB), the kernel and ramdisk files pread() to their offsets, a
 *   devicetree the RM accepts at the devicetree's offset, GH_CREATE_VM,
 *   GH_VM_SET_USER_MEM_REGION x2, GH_VM_SET_DTB_CONFIG, GH_VM_GET_STATUS
 *   (create); GH_VM_START (start); close, which tears the VM down before it
 *   returns (stop, reset, reclaim, unpin), and munmap (destroy).
 *
 * That is the work DestroyVM also waits for before it replies: gunyahd
 * closes the VM fd and unmaps guest memory on its worker, then replies.
 * gunyahd does the same plus its own work (definition, layout, devicetree
 * generation, D-Bus, the worker thread); the ratio of the two is what the
 * D-Bus path costs on top of the minimum. The median of -n iterations is
 * printed as DESIGN §10 "name value unit" lines. Timing never fails the
 * run; a failing ioctl does (exit 1).
 *
 *   bench-e2e-ioctl [-n N] [-m MAIN_BYTES] [-s SHM_BYTES] [-c VCPUS] [-d DEVICE]
 *                   [-p 4K|2M-thp|2M-hugetlb] [-k KERNEL] [-r RAMDISK@OFFSET]
 *                   [-t DTB_OFFSET@SLOT]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create; meson passes it, the guest build too */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/gunyah.h>

#include "bench-memfd.h"
#include "bench-stats.h"
#include "guest-dtb.h"

#define MiB		(1024ull * 1024)
#define MEM_BASE	0x80000000ull
#define SHM_BASE	0xc0000000ull
#define DTB_SLOT	(64u * 1024)	/* the blob and room for the RM's overlay */

struct opts {
	unsigned iterations;
	uint64_t mem_size;
	uint64_t shm_size;
	unsigned vcpus;
	const char *device;
	enum bench_pages pages;
	const char *kernel;		/* NULL: none */
	const char *ramdisk;
	uint64_t ramdisk_offset;
	uint64_t dtb_offset;		/* 0: the last dtb_slot bytes */
	uint64_t dtb_slot;
};

/* pread()s the whole file to mem + offset, as gunyahd's loader does. */
static int load_file(void *mem, uint64_t mem_size, const char *path, uint64_t offset)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	uint64_t off = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = offset + off < mem_size ?
			pread(fd, (char *)mem + offset + off, mem_size - offset - off, (off_t)off) : -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = offset + off < mem_size ? -errno : -EFBIG;
			break;
		}
		if (n == 0)
			break;
		off += (uint64_t)n;
	}
	close(fd);
	return r;
}

/*
 * A devicetree that the RM's VM_INIT and VM_START accept for this layout
 * (tests/common/guest-dtb.c, shared with the backend tests), written into
 * main memory at -t's offset (default: its last dtb_slot bytes); returns
 * that offset, or -1.
 */
static int64_t write_dtb(void *mem, const struct opts *o)
{
	const struct guest_dtb d = {
		.base = MEM_BASE, .size = o->mem_size, .image_name = "bench-e2e",
		.vcpus = o->vcpus, .shm_label = o->shm_size ? 1 : 0, .shm_base = SHM_BASE,
	};
	uint64_t offset = o->dtb_offset ? o->dtb_offset : o->mem_size - o->dtb_slot;

	if (offset + o->dtb_slot > o->mem_size ||
	    guest_dtb_write((char *)mem + offset, o->dtb_slot, &d) < 0)
		return -1;
	return (int64_t)offset;
}

static int xioctl(int fd, unsigned long req, const void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* One create + start + destroy; the times of its phases in ms. */
static int one_vm(int dev, const struct opts *o, double *t_create, double *t_start,
		  double *t_destroy)
{
	double t0 = now_ms(), t1, t2;
	struct gh_userspace_memory_region reg;
	struct gh_vm_dtb_config dtb;
	struct gh_vm_status status;
	void *mem, *shm = NULL;
	int64_t offset;
	int vm, r = 0;

	mem = bench_map_memfd("bench-e2e", o->mem_size, o->pages, true);
	if (o->shm_size)
		shm = bench_map_memfd("bench-e2e", o->shm_size, o->pages, true);
	if (!mem || (o->shm_size && !shm)) {
		fprintf(stderr, "bench-e2e-ioctl: cannot map guest memory\n");
		return -ENOMEM;
	}
	if (o->kernel)
		r = load_file(mem, o->mem_size, o->kernel, 0);
	if (r == 0 && o->ramdisk)
		r = load_file(mem, o->mem_size, o->ramdisk, o->ramdisk_offset);
	if (r < 0) {
		fprintf(stderr, "bench-e2e-ioctl: cannot load the images: %s\n", strerror(-r));
		return r;
	}
	offset = write_dtb(mem, o);
	if (offset < 0) {
		fprintf(stderr, "bench-e2e-ioctl: cannot build the devicetree\n");
		return -EINVAL;
	}
	vm = xioctl(dev, GH_CREATE_VM, NULL);
	if (vm < 0) {
		fprintf(stderr, "bench-e2e-ioctl: GH_CREATE_VM: %s\n", strerror(-vm));
		return vm;
	}
	reg = (struct gh_userspace_memory_region) {
		.label = 0,
		.flags = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC | GH_MEM_LENT,
		.guest_phys_addr = MEM_BASE, .memory_size = o->mem_size,
		.userspace_addr = (uintptr_t)mem,
	};
	r = xioctl(vm, GH_VM_SET_USER_MEM_REGION, &reg);
	if (r == 0 && o->shm_size) {
		reg = (struct gh_userspace_memory_region) {
			.label = 1, .flags = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE,
			.guest_phys_addr = SHM_BASE, .memory_size = o->shm_size,
			.userspace_addr = (uintptr_t)shm,
		};
		r = xioctl(vm, GH_VM_SET_USER_MEM_REGION, &reg);
	}
	if (r == 0) {
		dtb = (struct gh_vm_dtb_config) { .gpa = MEM_BASE + (uint64_t)offset,
						  .size = o->dtb_slot };
		r = xioctl(vm, GH_VM_SET_DTB_CONFIG, &dtb);
	}
	if (r == 0)
		r = xioctl(vm, GH_VM_GET_STATUS, &status);
	t1 = now_ms();
	if (r == 0)
		r = xioctl(vm, GH_VM_START, NULL);
	t2 = now_ms();
	close(vm);
	munmap(mem, o->mem_size);
	if (shm)
		munmap(shm, o->shm_size);
	if (r < 0) {
		fprintf(stderr, "bench-e2e-ioctl: a VM ioctl failed: %s\n", strerror(-r));
		return r;
	}
	*t_create = t1 - t0;
	*t_start = t2 - t1;
	*t_destroy = now_ms() - t2;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .iterations = 5, .mem_size = 256 * MiB, .shm_size = 2 * MiB,
			  .vcpus = 2, .device = "/dev/gunyah", .dtb_slot = DTB_SLOT };
	char *at;
	double *create, *start, *destroy, *total;
	int c, dev;

	while ((c = getopt(argc, argv, "n:m:s:c:d:p:k:r:t:")) >= 0) {
		switch (c) {
		case 'n':
			o.iterations = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o.mem_size = strtoull(optarg, NULL, 0);
			break;
		case 's':
			o.shm_size = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			o.vcpus = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'd':
			o.device = optarg;
			break;
		case 'p':
			o.pages = !strcmp(optarg, "2M-thp") ? BENCH_PAGES_THP :
				  !strcmp(optarg, "2M-hugetlb") ? BENCH_PAGES_HUGETLB : BENCH_PAGES_4K;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'r':	/* RAMDISK@OFFSET */
			at = strrchr(optarg, '@');
			if (at) {
				*at = '\0';
				o.ramdisk_offset = strtoull(at + 1, NULL, 0);
			}
			o.ramdisk = optarg;
			break;
		case 't':	/* DTB_OFFSET@SLOT */
			o.dtb_offset = strtoull(optarg, &at, 0);
			if (*at == '@')
				o.dtb_slot = strtoull(at + 1, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: bench-e2e-ioctl [-n N] [-m MAIN_BYTES] "
				"[-s SHM_BYTES] [-c VCPUS] [-d DEVICE] [-p 4K|2M-thp|2M-hugetlb] "
				"[-k KERNEL] [-r RAMDISK@OFFSET] [-t DTB_OFFSET@SLOT]\n");
			return 2;
		}
	}
	if (!o.iterations || o.mem_size < 2 * MiB || o.mem_size % 4096 || o.shm_size % 4096 ||
	    !o.vcpus || o.vcpus > 64 || o.dtb_slot < 4096 || o.dtb_slot > o.mem_size) {
		fprintf(stderr, "bench-e2e-ioctl: bad arguments\n");
		return 2;
	}
	dev = open(o.device, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "bench-e2e-ioctl: %s: %s\n", o.device, strerror(errno));
		return 1;
	}
	create = calloc(o.iterations, sizeof(double));
	start = calloc(o.iterations, sizeof(double));
	destroy = calloc(o.iterations, sizeof(double));
	total = calloc(o.iterations, sizeof(double));
	if (!create || !start || !destroy || !total)
		return 1;
	for (unsigned i = 0; i < o.iterations; i++) {
		if (one_vm(dev, &o, &create[i], &start[i], &destroy[i]) < 0)
			return 1;
		total[i] = create[i] + start[i] + destroy[i];
	}
	printf("e2e-ioctl-create-start-destroy %.2f ms\n", median(total, o.iterations));
	printf("e2e-ioctl-create %.2f ms\n", median(create, o.iterations));
	printf("e2e-ioctl-start %.2f ms\n", median(start, o.iterations));
	printf("e2e-ioctl-destroy %.2f ms\n", median(destroy, o.iterations));
	close(dev);
	free(create);
	free(start);
	free(destroy);
	free(total);
	return 0;
}
