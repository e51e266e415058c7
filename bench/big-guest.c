/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-big-guest: create, start and destroy of big guests on gunyah.ko
 * and gh-rm-emu (in the x86_64 QEMU guest, run by tests/qemu/init.sh
 * under GH_QEMU_PLAN=bigguest; -R: on the real RM, tests/qemu/gunyah-suite.sh),
 * each step timed, against the floor of the same machine:
 *
 *   touch     writing one byte of every 4 KiB page of a fresh mapping once
 *   pin       GHPIN_PIN of a fresh mapping (tests/qemu/guest/pin-floor:
 *             pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM) into a page
 *             array, what GH_VM_SET_USER_MEM_REGION does at the least)
 *   release   GHPIN_UNPIN and munmap: giving the pinned memory back
 *
 * and a VM with that memory as its lent main parcel (the ioctls gunyahd
 * issues, no daemon): create (GH_CREATE_VM), register
 * (GH_VM_SET_USER_MEM_REGION: pin and scatter list), start (devicetree
 * config and GH_VM_START, which lends the parcel: MEM_LEND and MEM_APPEND
 * packets), destroy (close: stop, reset, reclaim, unpin; and munmap). The
 * RM's view comes from the emulator's `parcels`: the entries and packets of
 * the parcel. Each size runs in each page kind: 4k (plain shmem), thp
 * (shmem_enabled=advise and MADV_HUGEPAGE on a 2 MiB-aligned mapping, as
 * gunyahd asks) and hugetlb (MFD_HUGETLB 2 MiB pages from nr_hugepages).
 *
 * Prints DESIGN §10 "name value unit" lines, medians of -n runs, and the
 * ratios register/pin (target <= 1.3 with huge pages), register/touch and
 * destroy/release. Timing never fails the run; a failing call does.
 *
 * -R: on the real Gunyah RM (tests/qemu/gunyah-suite.sh, arm64), where no
 * emulator answers `parcels`: names start big-guest-real-, the entries and
 * packets lines are left out (gunyah.ko does not count them), the teardown
 * is checked by gunyah.ko's pinned_pages instead, and the guest's first
 * word is a branch to itself, so that the started vCPU spins harmlessly.
 *
 *   bench-big-guest [-R] [-n N] [-k 4k,thp,hugetlb] SIZE_MIB...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-memfd.h"
#include "bench-stats.h"
#include "ghtest.h"
#include "pin-floor/ghpin.h"


#define SHMEM_THP	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define PINNED_PAGES	"/sys/module/gunyah/parameters/pinned_pages"
#define A64_B_SELF	0x14000000u	/* AArch64 "b ." */
#define MAX_RUNS	16

enum kind { KIND_4K, KIND_THP, KIND_HUGETLB, N_KINDS };

static const char *const kind_names[N_KINDS] = { "4k", "thp", "hugetlb" };

enum step { S_TOUCH, S_PIN, S_RELEASE, S_CREATE, S_REGISTER, S_START, S_DESTROY, N_STEPS };

static const char *const step_names[N_STEPS] = {
	"touch", "pin", "release", "create", "register", "start", "destroy",
};

struct result {
	double ms[N_STEPS][MAX_RUNS];
	long long entries, packets;
};

static int dev, pin_dev;
static bool real_rm;		/* -R: the real RM, no emulator */
static char thp_old[32];	/* the selected word of SHMEM_THP before us */

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -errno;
	ok = fputs(s, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static long long read_num(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * A fresh shared mapping of size bytes in the kind's pages, 2 MiB aligned
 * for the huge kinds (as gunyahd's guest.c maps), or NULL.
 */
static void *map_kind(enum kind k, size_t size)
{
	static const enum bench_pages pages[N_KINDS] = {
		[KIND_4K] = BENCH_PAGES_4K,
		[KIND_THP] = BENCH_PAGES_THP,
		[KIND_HUGETLB] = BENCH_PAGES_HUGETLB,
	};

	return bench_map_memfd("bench-big-guest", size, pages[k], false);
}

static int floor_once(enum kind k, size_t size, struct result *res, unsigned i)
{
	struct ghpin_range range = { .size = size };
	volatile uint8_t *m = map_kind(k, size);
	double t0;
	int r;

	if (!m)
		return -ENOMEM;
	t0 = now_ms();
	for (size_t off = 0; off < size; off += GT_PAGE)
		m[off] = 1;
	res->ms[S_TOUCH][i] = now_ms() - t0;
	munmap((void *)m, size);

	m = map_kind(k, size);
	if (!m)
		return -ENOMEM;
	range.addr = (uintptr_t)m;
	t0 = now_ms();
	r = gt_ioctl(pin_dev, GHPIN_PIN, &range);
	res->ms[S_PIN][i] = now_ms() - t0;
	t0 = now_ms();
	if (r == 0)
		r = gt_ioctl(pin_dev, GHPIN_UNPIN, NULL);
	munmap((void *)m, size);
	res->ms[S_RELEASE][i] = now_ms() - t0;
	if (r < 0)
		fprintf(stderr, "bench-big-guest: GHPIN: %s\n", strerror(-r));
	return r;
}

/*
 * The RM's record of the label 0 parcel: entries and packets, or -ENOENT
 * when it has none. On the real RM: unknown (-1), and "none" once gunyah.ko
 * pins nothing, as close left it.
 */
static int emu_parcel(long long *entries, long long *packets)
{
	char *out = NULL, line[512];
	int r = -ENOENT;

	if (real_rm)
		return read_num(PINNED_PAGES) == 0 ? -ENOENT : 0;
	if (gt_emu(&out, "parcels"))
		return -EIO;
	for (size_t i = 0; r < 0 && gt_line(out, i, line, sizeof(line)); i++)
		if (gt_field_num(line, "label") == 0 && strstr(line, "type=LEND")) {
			*entries = gt_field_num(line, "entries");
			*packets = gt_field_num(line, "packets");
			r = 0;
		}
	free(out);
	return r;
}

static int vm_once(enum kind k, size_t size, struct result *res, unsigned i)
{
	const uint32_t lent = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC |
			      GH_MEM_LENT;
	struct gh_vm_dtb_config dtb = { .size = GT_DTB_SLOT };
	void *m = map_kind(k, size);
	long long entries = -1, packets = -1;
	double t0, t1, t2, t3;
	int vm, r;

	if (!m)
		return -ENOMEM;
	dtb.gpa = GT_MEM_BASE + gt_write_dtb(m, size, GT_MEM_BASE, 0);
	if (real_rm)
		*(volatile uint32_t *)m = A64_B_SELF;
	t0 = now_ms();
	vm = gt_create_vm(dev);
	t1 = now_ms();
	r = vm < 0 ? vm : gt_region(vm, 0, lent, GT_MEM_BASE, size, m);
	t2 = now_ms();
	if (r == 0)
		r = gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &dtb);
	if (r == 0)
		r = gt_ioctl(vm, GH_VM_START, NULL);
	t3 = now_ms();
	if (r == 0 && !real_rm && emu_parcel(&entries, &packets) < 0)
		r = -EPROTO;
	t0 = t1 - t0, t1 = t2 - t1, t2 = t3 - t2;
	t3 = now_ms();
	if (vm >= 0)
		close(vm);
	munmap(m, size);
	res->ms[S_DESTROY][i] = now_ms() - t3;
	res->ms[S_CREATE][i] = t0;
	res->ms[S_REGISTER][i] = t1;
	res->ms[S_START][i] = t2;
	res->entries = entries;
	res->packets = packets;
	if (r == 0 && emu_parcel(&entries, &packets) == 0)
		r = -EBUSY;	/* the RM still holds it: teardown incomplete */
	if (r < 0)
		fprintf(stderr, "bench-big-guest: %zu MiB %s VM: %s\n", size >> 20,
			kind_names[k], strerror(-r));
	return r;
}

/* Sets the machine up for kind k and size; 1 when it cannot have them. */
static int kind_prepare(enum kind k, size_t size)
{
	char buf[32];

	switch (k) {
	case KIND_HUGETLB:
		snprintf(buf, sizeof(buf), "%zu", size / BENCH_SZ_2M);
		if (write_str(NR_HUGEPAGES, buf) < 0 || read_num(NR_HUGEPAGES) < (long long)(size / BENCH_SZ_2M))
			return 1;
		return 0;
	case KIND_THP:
		if (!thp_old[0]) {
			FILE *f = fopen(SHMEM_THP, "re");
			char line[160] = "", *sel, *end;

			if (!f)
				return 1;
			if (!fgets(line, sizeof(line), f))
				line[0] = '\0';
			fclose(f);
			sel = strchr(line, '[');
			end = sel ? strchr(sel, ']') : NULL;
			if (!end)
				return 1;
			*end = '\0';
			snprintf(thp_old, sizeof(thp_old), "%s", sel + 1);
		}
		return write_str(SHMEM_THP, "advise") < 0;
	default:
		return 0;
	}
}

static void kind_finish(enum kind k)
{
	if (k == KIND_HUGETLB)
		write_str(NR_HUGEPAGES, "0");
	else if (k == KIND_THP && thp_old[0])
		write_str(SHMEM_THP, thp_old);
}

static void report(enum kind k, size_t size, struct result *res, unsigned n)
{
	char name[64];
	double med[N_STEPS];

	snprintf(name, sizeof(name), "big-guest-%s%zuM-%s", real_rm ? "real-" : "", size >> 20,
		 kind_names[k]);
	for (unsigned s = 0; s < N_STEPS; s++) {
		med[s] = median(res->ms[s], n);
		printf("%s-%s %.2f ms\n", name, step_names[s], med[s]);
	}
	if (!real_rm) {
		printf("%s-entries %lld entries\n", name, res->entries);
		printf("%s-packets %lld packets\n", name, res->packets);
	}
	printf("%s-register-vs-pin %.2f x\n", name, med[S_REGISTER] / med[S_PIN]);
	printf("%s-register-vs-touch %.2f x\n", name, med[S_REGISTER] / med[S_TOUCH]);
	printf("%s-destroy-vs-release %.2f x\n", name, med[S_DESTROY] / med[S_RELEASE]);
	fflush(stdout);
}

static int run_size(size_t size, unsigned kinds, unsigned n)
{
	static struct result res;
	int r = 0;

	for (enum kind k = 0; r == 0 && k < N_KINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		if (kind_prepare(k, size)) {
			printf("# big-guest %zu MiB %s: the machine cannot have these pages (skipped)\n",
			       size >> 20, kind_names[k]);
			kind_finish(k);
			continue;
		}
		memset(&res, 0, sizeof(res));
		/* interleaved: the floor and the VM see the same state of the allocator */
		for (unsigned i = 0; r == 0 && i < n; i++) {
			r = floor_once(k, size, &res, i);
			if (r == 0)
				r = vm_once(k, size, &res, i);
		}
		if (r == 0)
			report(k, size, &res, n);
		kind_finish(k);
	}
	return r;
}

static unsigned parse_kinds(const char *s)
{
	unsigned kinds = 0;
	char buf[64], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum kind k;

		for (k = 0; k < N_KINDS && strcmp(t, kind_names[k]); k++)
			;
		if (k == N_KINDS)
			return 0;
		kinds |= 1u << k;
	}
	return kinds;
}

int main(int argc, char **argv)
{
	unsigned n = 3, kinds = (1u << N_KINDS) - 1;
	int c, r = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "Rn:k:")) >= 0) {
		if (c == 'R')
			real_rm = true;
		else if (c == 'n')
			n = (unsigned)strtoul(optarg, NULL, 0);
		else if (c == 'k')
			kinds = parse_kinds(optarg);
		else
			n = 0;
	}
	if (!n || n > MAX_RUNS || !kinds || optind >= argc) {
		fprintf(stderr,
			"usage: bench-big-guest [-R] [-n N (1..%d)] [-k 4k,thp,hugetlb] SIZE_MIB...\n",
			MAX_RUNS);
		return 2;
	}
	dev = gt_open_gunyah();
	pin_dev = open("/dev/ghpin", O_RDWR | O_CLOEXEC);
	if (pin_dev < 0) {
		fprintf(stderr, "bench-big-guest: /dev/ghpin: %s (load ghpin.ko)\n", strerror(errno));
		return 1;
	}
	for (int i = optind; r == 0 && i < argc; i++) {
		unsigned long mib = strtoul(argv[i], NULL, 0);

		if (!mib || mib % 2) {
			fprintf(stderr, "bench-big-guest: bad size '%s' (MiB, even)\n", argv[i]);
			return 2;
		}
		printf("# big-guest: %lu MiB, %u run(s) per kind\n", mib, n);
		r = run_size((size_t)mib << 20, kinds, n);
	}
	close(pin_dev);
	close(dev);
	return r < 0 ? 1 : 0;
}
