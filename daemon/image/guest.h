/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory: one memfd (MFD_CLOEXEC) per parcel, mapped shared into the
 * daemon, plus where the images and the devicetree sit in main memory.
 *
 * Page size (memory.hugepages, docs/yaml.md): a parcel whose base and size
 * are 2 MiB aligned gets hugetlbfs 2 MiB pages (MFD_HUGETLB) when the
 * definition asks for them and the pool has them, else shmem transparent
 * huge pages (MADV_HUGEPAGE on a 2 MiB-aligned mapping) when shmem_enabled
 * allows them, else 4 KiB pages. Huge pages reach the RM as one entry per
 * 2 MiB (or fewer) instead of up to 512.
 *
 * Lent parcels belong to the guest once it started: the daemon never
 * touches their mapping after START (the sim backend makes them PROT_NONE
 * to prove it), and keeps its own copy of the devicetree instead.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include "util/cleanup.h"

struct vmdef;

enum guest_pages {
	GUEST_PAGES_4K,			/* "4K" */
	GUEST_PAGES_THP,		/* "2M-thp": shmem THP asked for (madvise) */
	GUEST_PAGES_HUGETLB,		/* "2M-hugetlb": hugetlbfs 2 MiB pages */
	_GUEST_PAGES_MAX,
};

const char *guest_pages_to_string(enum guest_pages p);

/* shmem_enabled of transparent_hugepage; tests point it elsewhere */
extern const char *guest_thp_shmem_path;

struct guest_region {
	uint32_t label;		/* 0 = main memory */
	uint64_t gpa;		/* guest physical base */
	uint64_t size;		/* bytes */
	uint32_t flags;		/* GH_MEM_* for GH_VM_SET_USER_MEM_REGION */
	int fd;			/* memfd */
	void *host;		/* MAP_SHARED mapping of fd */
	enum guest_pages pages;
};

/* An extent inside main memory: [offset, offset + size). */
struct guest_extent {
	uint64_t offset;
	uint64_t size;
};

struct guest {
	struct guest_region *regions;	/* [0] is main memory */
	size_t n_regions;
	struct guest_extent kernel;	/* size 0 when none */
	struct guest_extent ramdisk;
	struct guest_extent dtb;	/* the blob */
	uint64_t dtb_reserve;		/* bytes reserved at dtb.offset (blob + RM overlay) */
	void *dtb_blob;			/* the daemon's copy of the devicetree */
	size_t dtb_blob_size;
};

/*
 * Allocates and maps every parcel of def (zero-filled), in the pages
 * memory.hugepages allows, and logs which each got. Returns -ENOSPC when
 * memory.hugepages is required and main memory cannot have hugetlbfs
 * pages (too few free in the pool, none configured).
 */
int guest_new(const struct vmdef *def, struct guest **ret);
struct guest *guest_free(struct guest *g);
GH_DEFINE_FREEP(struct guest, guest_free)

static inline const struct guest_region *guest_main(const struct guest *g)
{
	return &g->regions[0];
}
