/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-physical layout: a set of parcels (label, [base, base + size))
 * with unique labels and no overlap. Half-open intervals: touching is fine.
 *
 * Insertion and lookup are O(log n): parcels are kept in a B+tree of
 * disjoint ranges (range-tree.h), where the search that places a parcel
 * also finds what it would overlap; a hash table indexes labels.
 *
 * The same structure checks extents inside main memory (kernel, ramdisk,
 * devicetree) with alignment 1 and no label index (see layout_new_extents).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm-limits.h"
#include "util/cleanup.h"


struct vmdef;
struct def_diags;

struct layout_parcel {
	uint32_t label;
	uint64_t base;		/* guest physical address (or offset, for extents) */
	uint64_t size;		/* bytes, non-zero */
	const char *name;	/* for messages ("memory", "regions[1]", "kernel"); not copied */
};

struct layout;

/*
 * A layout of parcels: bases and sizes must be multiples of
 * RM_PAGE_SIZE, and every parcel must end at or below 2^ipa_bits
 * (1 <= ipa_bits <= 64). Labels must be unique.
 */
int layout_new(unsigned ipa_bits, struct layout **ret);

/*
 * A layout of extents inside a window [0, limit): any alignment, labels
 * ignored (not indexed, not checked).
 */
int layout_new_extents(uint64_t limit, struct layout **ret);

struct layout *layout_free(struct layout *l);
GH_DEFINE_FREEP(struct layout, layout_free)

/*
 * Adds a copy of *p. Errors, with nothing added:
 *  -EINVAL  zero size or misaligned base/size;
 *  -ERANGE  base + size overflows 64 bits or ends beyond the window;
 *  -EEXIST  the range overlaps another parcel or the label is taken (the
 *           overlap is reported first); then *reterr_conflict (if
 *           non-NULL) points at the lowest-addressed parcel the range
 *           overlaps, or at the one with the label (valid until that
 *           parcel is removed);
 *  -ENOMEM.
 */
int layout_add(struct layout *l, const struct layout_parcel *p,
	       const struct layout_parcel **reterr_conflict);

/* Removes the parcel with this label (-ENOENT if none). Page layouts only. */
int layout_remove_label(struct layout *l, uint32_t label);

size_t layout_count(const struct layout *l);
const struct layout_parcel *layout_find_label(const struct layout *l, uint32_t label);
/* The parcel containing addr, or NULL. */
const struct layout_parcel *layout_find_addr(const struct layout *l, uint64_t addr);

/*
 * Explains a layout_add() failure in one line, naming both parcels and
 * their ranges, e.g.
 *   "'regions[0]' [0x80000000, 0x80200000) overlaps 'memory' [0x80000000, 0x90000000)".
 * Returns a malloc'd string or NULL on ENOMEM.
 */
char *layout_strerror(const struct layout *l, int r, const struct layout_parcel *p,
		      const struct layout_parcel *conflict);

/*
 * Builds the parcel layout of a definition: label 0 = main memory, then
 * each region. A parcel that cannot be added is skipped and the others
 * are still tried, so every conflict is found in one call: each appends a
 * diagnostic (at the offending parcel's line:column, naming both parcels)
 * to *reterr (may be NULL), and the first layout_add() error is returned,
 * *ret untouched.
 */
int layout_from_vmdef(const struct vmdef *def, unsigned ipa_bits, struct layout **ret,
		      struct def_diags *reterr);
