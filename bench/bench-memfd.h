/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-like memory for the benchmarks that issue gunyahd's ioctls
 * themselves: a memfd mapped shared, in the pages gunyahd's guest.c would
 * use. Header only: the static guest builds compile one file.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB	(21U << 26)
#endif

#define BENCH_SZ_2M	(UINT64_C(2) << 20)

enum bench_pages {
	BENCH_PAGES_4K,		/* plain shmem */
	BENCH_PAGES_THP,	/* shmem, MADV_HUGEPAGE on a 2 MiB-aligned mapping */
	BENCH_PAGES_HUGETLB,	/* MFD_HUGETLB 2 MiB pages */
};

/*
 * A fresh shared mapping of size bytes in pages; 2 MiB aligned for the huge
 * kinds, and for 4 KiB pages too when align_4k. NULL on failure.
 */
static inline void *bench_map_memfd(const char *name, size_t size, enum bench_pages pages,
				    bool align_4k)
{
	unsigned int flags = pages == BENCH_PAGES_HUGETLB ? MFD_HUGETLB | MFD_HUGE_2MB : 0;
	int fd = memfd_create(name, MFD_CLOEXEC | flags);
	uint8_t *area, *p = MAP_FAILED;
	uintptr_t a;

	if (fd < 0)
		return NULL;
	/* A 2 MiB larger reservation to carve an aligned mapping from. */
	area = mmap(NULL, size + BENCH_SZ_2M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area != MAP_FAILED && ftruncate(fd, (off_t) size) == 0) {
		a = (uintptr_t) area;
		if (pages != BENCH_PAGES_4K || align_4k)
			a = (a + BENCH_SZ_2M - 1) & ~(uintptr_t) (BENCH_SZ_2M - 1);
		p = mmap((void *) a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	}
	close(fd);
	if (p == MAP_FAILED) {
		if (area != MAP_FAILED)
			munmap(area, size + BENCH_SZ_2M);
		return NULL;
	}
	if (p > area)
		munmap(area, (size_t) (p - area));
	if (p + size < area + size + BENCH_SZ_2M)
		munmap(p + size, (size_t) (area + size + BENCH_SZ_2M - (p + size)));
	if (pages == BENCH_PAGES_THP && madvise(p, size, MADV_HUGEPAGE) < 0) {
		munmap(p, size);
		return NULL;
	}
	return p;
}
