/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-physical layout: parcels indexed by address in a B+tree of
 * disjoint ranges (range-tree.h), which finds the lowest parcel a new one
 * would overlap in the same descent that places it, and by label in an
 * open-addressing hash table (page layouts only). Both point at the same
 * heap copies, owned by the address index, so that a parcel handed out
 * stays where it is until it is removed.
 *
 * With dense B+tree leaves, a 100k-parcel layout reads a few nodes per
 * insert; glibc's tsearch followed a node and then its key on each of ~20
 * levels, twice (address and label), and ran 3x slower (bench/layout).
 *
 * Ranges are handled through their last byte (base + size - 1) rather than
 * their end, so a parcel that ends exactly at 2^64 is representable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "range-tree.h"
#include "vmdef.h"

struct layout {
	bool extents;		/* layout_new_extents(): any alignment, no labels */
	unsigned ipa_bits;	/* page layouts: 1..64 */
	uint64_t limit;		/* extents: window [0, limit), bytes */
	struct range_tree *by_addr;	/* owns the struct layout_parcel copies */
	struct layout_parcel **by_label;	/* hash table over the same copies; NULL: empty */
	size_t label_slots;		/* a power of two, or 0; at most half of them used */
	size_t n;
	char *names;		/* layout_from_vmdef(): storage of the "regions[i]" names */
};

/* Last byte of a validated parcel (size != 0, no overflow). */
static uint64_t parcel_last(const struct layout_parcel *p)
{
	return p->base + (p->size - 1);
}

static size_t label_hash(uint32_t label, size_t slots)
{
	/* Fibonacci hashing: consecutive labels spread over the table. */
	return (size_t) ((label * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (slots - 1);
}

/* The slot holding label, or the empty slot where it would go. */
static size_t label_slot(const struct layout *l, uint32_t label)
{
	size_t i = label_hash(label, l->label_slots);

	while (l->by_label[i] && l->by_label[i]->label != label)
		i = (i + 1) & (l->label_slots - 1);
	return i;
}

/* Room for one more label, so that adding it cannot fail. */
static int label_reserve(struct layout *l)
{
	struct layout_parcel **old = l->by_label;
	size_t old_slots = l->label_slots, slots;

	if ((l->n + 1) * 2 <= l->label_slots)
		return 0;
	slots = old_slots ? old_slots * 2 : 16;
	l->by_label = calloc(slots, sizeof(*l->by_label));
	if (!l->by_label) {
		l->by_label = old;
		return -ENOMEM;
	}
	l->label_slots = slots;
	for (size_t i = 0; i < old_slots; i++)
		if (old[i])
			l->by_label[label_slot(l, old[i]->label)] = old[i];
	free(old);
	return 0;
}

/* Empties slot i; later entries of its probe run move up so that lookups still find them. */
static void label_unset(struct layout *l, size_t i)
{
	size_t mask = l->label_slots - 1, j = i;

	l->by_label[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!l->by_label[j])
			return;
		home = label_hash(l->by_label[j]->label, l->label_slots);
		/* Move it into the hole unless its home lies cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			l->by_label[i] = l->by_label[j];
			l->by_label[j] = NULL;
			i = j;
		}
	}
}

static bool parcels_overlap(const struct layout_parcel *x, const struct layout_parcel *y)
{
	return !(parcel_last(x) < y->base || x->base > parcel_last(y));
}

/* Highest last byte a parcel may have; false if no byte at all is allowed. */
static bool layout_max_last(const struct layout *l, uint64_t *ret)
{
	if (l->extents) {
		if (l->limit == 0)
			return false;
		*ret = l->limit - 1;
		return true;
	}
	*ret = l->ipa_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << l->ipa_bits) - 1;
	return true;
}

int layout_new(unsigned ipa_bits, struct layout **ret)
{
	struct layout *l;

	if (ipa_bits < 1 || ipa_bits > 64)
		return -EINVAL;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (range_tree_new(&l->by_addr) < 0) {
		free(l);
		return -ENOMEM;
	}
	l->ipa_bits = ipa_bits;
	*ret = l;
	return 0;
}

int layout_new_extents(uint64_t limit, struct layout **ret)
{
	struct layout *l;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (range_tree_new(&l->by_addr) < 0) {
		free(l);
		return -ENOMEM;
	}
	l->extents = true;
	l->limit = limit;
	*ret = l;
	return 0;
}

struct layout *layout_free(struct layout *l)
{
	if (!l)
		return NULL;
	range_tree_free(l->by_addr, free);
	free(l->by_label);
	free(l->names);
	free(l);
	return NULL;
}

/* The checks that need no tree: -EINVAL or -ERANGE, else 0. */
static int layout_check(const struct layout *l, const struct layout_parcel *p)
{
	uint64_t max_last;

	if (p->size == 0)
		return -EINVAL;
	if (!l->extents && (p->base % RM_PAGE_SIZE || p->size % RM_PAGE_SIZE))
		return -EINVAL;
	/* base + size may be exactly 2^64; only a last byte beyond that overflows. */
	if (p->size - 1 > UINT64_MAX - p->base)
		return -ERANGE;
	if (!layout_max_last(l, &max_last) || parcel_last(p) > max_last)
		return -ERANGE;
	return 0;
}

int layout_add(struct layout *l, const struct layout_parcel *p,
	       const struct layout_parcel **reterr_conflict)
{
	struct layout_parcel *copy;
	void *conflict;
	size_t slot = 0;
	int r;

	r = layout_check(l, p);
	if (r < 0)
		return r;
	if (!l->extents) {
		r = label_reserve(l);
		if (r < 0)
			return r;
		slot = label_slot(l, p->label);
	}

	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	*copy = *p;

	/* The address comes first: an overlap is reported before a taken label. */
	r = range_tree_insert(l->by_addr, copy->base, parcel_last(copy), copy, &conflict);
	if (r < 0) {
		if (r == -EEXIST && reterr_conflict)
			*reterr_conflict = conflict;
		free(copy);
		return r;
	}
	if (!l->extents) {
		if (l->by_label[slot]) {
			if (reterr_conflict)
				*reterr_conflict = l->by_label[slot];
			(void) range_tree_remove(l->by_addr, copy->base);
			free(copy);
			return -EEXIST;
		}
		l->by_label[slot] = copy;
	}

	l->n++;
	return 0;
}

int layout_remove_label(struct layout *l, uint32_t label)
{
	struct layout_parcel *p;
	size_t slot;

	if (l->extents)
		return -EOPNOTSUPP;
	if (!l->label_slots)
		return -ENOENT;
	slot = label_slot(l, label);
	p = l->by_label[slot];
	if (!p)
		return -ENOENT;
	label_unset(l, slot);
	(void) range_tree_remove(l->by_addr, p->base);
	free(p);
	l->n--;
	return 0;
}

size_t layout_count(const struct layout *l)
{
	return l->n;
}

const struct layout_parcel *layout_find_label(const struct layout *l, uint32_t label)
{
	if (l->extents || !l->label_slots)
		return NULL;
	return l->by_label[label_slot(l, label)];
}

const struct layout_parcel *layout_find_addr(const struct layout *l, uint64_t addr)
{
	return range_tree_find(l->by_addr, addr);
}

static const char *parcel_name(const struct layout_parcel *p)
{
	return p->name ?: "(unnamed)";
}

/* The exclusive end of [base, last], which may be 2^64. */
static void format_end(char buf[static 24], uint64_t last)
{
	if (last == UINT64_MAX)
		snprintf(buf, 24, "0x10000000000000000");
	else
		snprintf(buf, 24, "0x%" PRIx64, last + 1);
}

static __attribute__((format(printf, 1, 2))) char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	return k < 0 ? NULL : s;
}

static char *strerror_einval(const struct layout *l, const struct layout_parcel *p)
{
	if (p->size == 0)
		return strdup_printf("'%s': size is zero", parcel_name(p));
	if (!l->extents && p->base % RM_PAGE_SIZE)
		return strdup_printf("'%s': base 0x%" PRIx64 " is not page aligned",
				     parcel_name(p), p->base);
	if (!l->extents && p->size % RM_PAGE_SIZE)
		return strdup_printf("'%s': size 0x%" PRIx64 " is not a multiple of the page size",
				     parcel_name(p), p->size);
	return strdup_printf("'%s' [0x%" PRIx64 ", +0x%" PRIx64 "): invalid parcel",
			     parcel_name(p), p->base, p->size);
}

static char *strerror_erange(const struct layout *l, const struct layout_parcel *p)
{
	char end[24];

	if (p->size == 0 || p->size - 1 > UINT64_MAX - p->base)
		return strdup_printf("'%s' [0x%" PRIx64 ", +0x%" PRIx64
				     ") overflows the 64-bit address space",
				     parcel_name(p), p->base, p->size);
	format_end(end, parcel_last(p));
	if (l->extents)
		return strdup_printf("'%s' ends at %s, beyond the window end 0x%" PRIx64,
				     parcel_name(p), end, l->limit);
	return strdup_printf("'%s' ends at %s, beyond the %u-bit IPA space",
			     parcel_name(p), end, l->ipa_bits);
}

static char *strerror_eexist(const struct layout_parcel *p, const struct layout_parcel *c)
{
	char pend[24], cend[24];

	if (!c)
		return strdup_printf("'%s' [0x%" PRIx64 ", +0x%" PRIx64
				     ") collides with another parcel",
				     parcel_name(p), p->base, p->size);
	if (p->size != 0 && p->size - 1 <= UINT64_MAX - p->base && parcels_overlap(p, c)) {
		format_end(pend, parcel_last(p));
		format_end(cend, parcel_last(c));
		return strdup_printf("'%s' [0x%" PRIx64 ", %s) overlaps '%s' [0x%" PRIx64 ", %s)",
				     parcel_name(p), p->base, pend,
				     parcel_name(c), c->base, cend);
	}
	return strdup_printf("label %" PRIu32 " of '%s' is already used by '%s'",
			     p->label, parcel_name(p), parcel_name(c));
}

char *layout_strerror(const struct layout *l, int r, const struct layout_parcel *p,
		      const struct layout_parcel *conflict)
{
	switch (r) {
	case -EINVAL:
		return strerror_einval(l, p);
	case -ERANGE:
		return strerror_erange(l, p);
	case -EEXIST:
		return strerror_eexist(p, conflict);
	default:
		return strdup_printf("'%s' [0x%" PRIx64 ", +0x%" PRIx64 "): %s",
				     parcel_name(p), p->base, p->size, strerror(r < 0 ? -r : r));
	}
}

/* Adds one parcel; on failure appends a diagnostic at mark under key. */
static int layout_add_diag(struct layout *l, const struct layout_parcel *p,
			   const struct vmdef_mark *mark, const char *key,
			   struct def_diags *reterr)
{
	const struct layout_parcel *conflict = NULL;
	_cleanup_free_ char *msg = NULL;
	int r, k;

	r = layout_add(l, p, &conflict);
	if (r >= 0 || !reterr)
		return r;

	msg = layout_strerror(l, r, p, conflict);
	if (!msg)
		return -ENOMEM;
	k = def_diags_add(reterr, mark->line, mark->column, key, "%s", msg);
	if (k < 0)
		return k;
	return r;
}

int layout_from_vmdef(const struct vmdef *def, unsigned ipa_bits, struct layout **ret,
		      struct def_diags *reterr)
{
	_cleanup_(layout_freep) struct layout *l = NULL;
	struct layout_parcel mem = {
		.label = 0,
		.base = def->memory.base,
		.size = def->memory.size,
		.name = "memory",
	};
	/* "regions[" + up to 20 digits + "]" + NUL */
	const size_t name_max = sizeof("regions[]") + 20;
	int r, first;

	r = layout_new(ipa_bits, &l);
	if (r < 0)
		return r;

	/* Parcels keep their name pointers, so the names live as long as the layout. */
	if (def->n_regions > 0) {
		if (def->n_regions > SIZE_MAX / name_max)
			return -ENOMEM;
		l->names = malloc(def->n_regions * name_max);
		if (!l->names)
			return -ENOMEM;
	}

	/* Every parcel is tried, so that one call reports every problem. */
	r = layout_add_diag(l, &mem, &def->memory.mark, "memory", reterr);
	if (r == -ENOMEM)
		return r;
	first = r;

	for (size_t i = 0; i < def->n_regions; i++) {
		const struct vmdef_region *reg = &def->regions[i];
		char *name = l->names + i * name_max;
		struct layout_parcel p = {
			.label = reg->label,
			.base = reg->base,
			.size = reg->size,
			.name = name,
		};

		snprintf(name, name_max, "regions[%zu]", i);
		r = layout_add_diag(l, &p, &reg->mark, name, reterr);
		if (r == -ENOMEM)
			return r;
		if (first >= 0)
			first = r;
	}
	if (first < 0)
		return first;

	*ret = steal_ptr(l);
	return 0;
}
