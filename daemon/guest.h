/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory: one memfd (MFD_CLOEXEC) per parcel, mapped shared into the
 * daemon, plus where the images and the devicetree sit in main memory.
 *
 * Lent parcels belong to the guest once it started: the daemon never
 * touches their mapping after START (the sim backend makes them PROT_NONE
 * to prove it), and keeps its own copy of the devicetree instead.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include "shared/cleanup.h"

struct vmdef;

struct guest_region {
	uint32_t label;		/* 0 = main memory */
	uint64_t gpa;		/* guest physical base */
	uint64_t size;		/* bytes */
	uint32_t flags;		/* GH_MEM_* for GH_VM_SET_USER_MEM_REGION */
	int fd;			/* memfd */
	void *host;		/* MAP_SHARED mapping of fd */
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

/* Allocates and maps every parcel of def (zero-filled). */
int guest_new(const struct vmdef *def, struct guest **ret);
struct guest *guest_free(struct guest *g);
GH_DEFINE_FREEP(struct guest, guest_free)

static inline const struct guest_region *guest_main(const struct guest *g)
{
	return &g->regions[0];
}
