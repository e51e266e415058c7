/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-create: creating a 256 MiB VM with a 32 MiB kernel (arm64 Image
 * header, 36 MiB image_size) and a 16 MiB ramdisk, through the daemon's
 * create path on the sim backend, against the least any VMM must do:
 * memfd_create + ftruncate + mmap and read() both files into the mapping.
 *
 * The daemon path is what vm_instantiate() runs: layout_from_vmdef(),
 * guest_new() (one memfd per parcel, mapped), loader_load() (header,
 * placement, devicetree built twice, files pread() into the mapping, blob
 * copied), then GH_CREATE_VM, SET_USER_MEM_REGION and SET_DTB_CONFIG on
 * the sim. Teardown is outside the timed part in both cases. The files
 * are read once beforehand, so both sides read from the page cache.
 *
 * Prints DESIGN §10 lines ("name value unit") and the ratio (target
 * <= 1.2). Timing never fails the run; a functional error does.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/gunyah.h>
#include <systemd/sd-bus.h>

#include "bench-stats.h"
#include "guest.h"
#include "hyp.h"
#include "layout.h"
#include "loader.h"
#include "vmdef.h"

#define MiB		(1024ull * 1024)
#define MEMORY_SIZE	(256 * MiB)
#define KERNEL_FILE	(32 * MiB)
#define KERNEL_IMAGE	(36 * MiB)
#define RAMDISK_SIZE	(16 * MiB)
#define REPEATS		9

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static int write_file(const char *path, uint64_t size, const uint8_t *head, size_t head_size)
{
	_cleanup_free_ uint8_t *buf = malloc(MiB);
	_cleanup_close_ int fd = -1;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < size; off += MiB) {
		for (size_t i = 0; i < MiB; i++)
			buf[i] = (uint8_t) ((off + i) * 2654435761u >> 13);
		if (off == 0 && head)
			memcpy(buf, head, head_size);
		if (write(fd, buf, MiB) != (ssize_t) MiB)
			return -EIO;
	}
	return 0;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* Reads a whole file into dst with read(), as a minimal VMM would. */
static int read_into(const char *path, uint8_t *dst, uint64_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (size > 0) {
		ssize_t k = read(fd, dst, size);

		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		dst += k;
		size -= (uint64_t) k;
	}
	return 0;
}

/* The reference: one memfd mapping, both files read into it. */
static int reference_once(const char *kernel, const char *ramdisk, double *ret_ns)
{
	_cleanup_close_ int fd = -1;
	uint8_t *mem;
	double t0;
	int r;

	t0 = now_ns();
	fd = memfd_create("bench:reference", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, MEMORY_SIZE) < 0)
		return -errno;
	mem = mmap(NULL, MEMORY_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return -errno;
	r = read_into(kernel, mem, KERNEL_FILE);
	if (r == 0)
		r = read_into(ramdisk, mem + MEMORY_SIZE - 4 * MiB - RAMDISK_SIZE, RAMDISK_SIZE);
	*ret_ns = now_ns() - t0;
	munmap(mem, MEMORY_SIZE);
	return r;
}

/* The daemon's create path on the sim backend. */
static int create_once(struct hyp *h, const struct vmdef *def, double *ret_ns,
		       double *ret_load_ns)
{
	_cleanup_(layout_freep) struct layout *layout = NULL;
	_cleanup_(guest_freep) struct guest *g = NULL;
	_cleanup_(hyp_vm_destroyp) struct hyp_vm *vm = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct gh_vm_dtb_config dtb;
	double t0, t1;
	int r;

	t0 = now_ns();
	r = layout_from_vmdef(def, RM_IPA_BITS_DEFAULT, &layout, NULL);
	if (r < 0)
		return r;
	r = guest_new(def, &g);
	if (r < 0)
		return r;
	t1 = now_ns();
	r = loader_load(def, NULL, g, NULL, &err);
	if (r < 0) {
		fprintf(stderr, "bench-create: %s\n", err.message);
		sd_bus_error_free(&err);
		return r;
	}
	*ret_load_ns = now_ns() - t1;
	r = hyp_create_vm(h, 0, &vm);
	if (r < 0)
		return r;
	for (size_t i = 0; i < g->n_regions; i++) {
		const struct guest_region *reg = &g->regions[i];
		struct gh_userspace_memory_region region = {
			.label = reg->label,
			.flags = reg->flags,
			.guest_phys_addr = reg->gpa,
			.memory_size = reg->size,
			.userspace_addr = (uintptr_t) reg->host,
		};

		r = hyp_vm_set_user_mem_region(vm, &region);
		if (r < 0)
			return r;
	}
	dtb = (struct gh_vm_dtb_config) {
		.gpa = guest_main(g)->gpa + g->dtb.offset,
		.size = g->dtb_reserve,
	};
	r = hyp_vm_set_dtb_config(vm, &dtb);
	if (r < 0)
		return r;
	*ret_ns = now_ns() - t0;
	return 0;	/* teardown (vm, then guest) by the cleanups, untimed */
}

int main(void)
{
	char dir[] = "/tmp/bench-create-XXXXXX";
	char kernel[64], ramdisk[64], yaml[512];
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	_cleanup_(hyp_freep) struct hyp *h = NULL;
	struct def_diags diags = {};
	double create[REPEATS], load[REPEATS], ref[REPEATS];
	uint8_t hdr[64] = {};
	int r = 0;

	if (!mkdtemp(dir)) {
		perror("bench-create: mkdtemp");
		return 1;
	}
	snprintf(kernel, sizeof(kernel), "%s/Image", dir);
	snprintf(ramdisk, sizeof(ramdisk), "%s/initrd", dir);
	put_le(hdr + 16, KERNEL_IMAGE, 8);	/* image_size; text_offset 0 */
	put_le(hdr + 24, 0xa, 8);
	put_le(hdr + 56, 0x644d5241, 4);	/* "ARM\x64" */
	if (write_file(kernel, KERNEL_FILE, hdr, sizeof(hdr)) < 0 ||
	    write_file(ramdisk, RAMDISK_SIZE, NULL, 0) < 0) {
		fprintf(stderr, "bench-create: cannot write the images in %s\n", dir);
		r = 1;
		goto out;
	}
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: bench\nvcpus: 2\nmemory: { base: 0x80000000, size: 256M }\n"
		 "kernel: %s\nramdisk: %s\ncmdline: \"console=hvc0\"\n"
		 "regions:\n  - { label: 1, base: 0xc0000000, size: 2M, sharing: shared }\n",
		 kernel, ramdisk);
	if (vmdef_parse_string("bench", yaml, strlen(yaml), NULL, &def, &diags) < 0 ||
	    hyp_sim_new(&h) < 0) {
		fprintf(stderr, "bench-create: setup failed\n");
		def_diags_clear(&diags);
		r = 1;
		goto out;
	}

	/* Warm the page cache and the allocator on both paths. */
	for (int i = -1; i < REPEATS; i++) {
		double c = 0, l = 0, x = 0;

		if (create_once(h, def, &c, &l) < 0 || reference_once(kernel, ramdisk, &x) < 0) {
			fprintf(stderr, "bench-create: a create failed\n");
			r = 1;
			goto out;
		}
		if (i >= 0) {
			create[i] = c;
			load[i] = l;
			ref[i] = x;
		}
	}
	qsort(create, REPEATS, sizeof(double), cmp_double);
	qsort(load, REPEATS, sizeof(double), cmp_double);
	qsort(ref, REPEATS, sizeof(double), cmp_double);

	printf("create-256M-32M-kernel-16M-ramdisk %.2f ms\n", create[REPEATS / 2] / 1e6);
	printf("create-loader-load %.2f ms\n", load[REPEATS / 2] / 1e6);
	printf("reference-memfd-read %.2f ms\n", ref[REPEATS / 2] / 1e6);
	printf("create-ratio %.2f x (median of %d; target <= 1.2)\n",
	       create[REPEATS / 2] / ref[REPEATS / 2], REPEATS);
	printf("create-ratio-best %.2f x\n", create[0] / ref[0]);
out:
	unlink(kernel);
	unlink(ramdisk);
	rmdir(dir);
	return r;
}
