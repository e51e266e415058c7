/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/image/layout.c: overlap and label checks, range and
 * alignment rules, the messages, layout_from_vmdef(), and a randomised
 * cross-check against a brute-force reference.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "vmdef.h"

#define PG RM_PAGE_SIZE
#define TOP UINT64_MAX		/* last byte of the 64-bit space */

static struct layout *new_pages(unsigned ipa_bits)
{
	struct layout *l = NULL;

	g_assert_cmpint(layout_new(ipa_bits, &l), ==, 0);
	g_assert_nonnull(l);
	g_assert_cmpuint(layout_count(l), ==, 0);
	return l;
}

static int add(struct layout *l, uint32_t label, uint64_t base, uint64_t size,
	       const struct layout_parcel **conflict)
{
	struct layout_parcel p = { .label = label, .base = base, .size = size, .name = "p" };

	return layout_add(l, &p, conflict);
}

static void assert_conflict(struct layout *l, uint32_t label, uint64_t base, uint64_t size,
			    uint32_t expected_label)
{
	const struct layout_parcel *c = NULL;
	size_t n = layout_count(l);

	g_assert_cmpint(add(l, label, base, size, &c), ==, -EEXIST);
	g_assert_nonnull(c);
	g_assert_cmpuint(c->label, ==, expected_label);
	g_assert_true(c == layout_find_label(l, expected_label));
	g_assert_cmpuint(layout_count(l), ==, n);
}

static void test_new_ipa_bits(void)
{
	struct layout *l = NULL;

	g_assert_cmpint(layout_new(0, &l), ==, -EINVAL);
	g_assert_cmpint(layout_new(65, &l), ==, -EINVAL);
	g_assert_null(l);
	g_assert_cmpint(layout_new(1, &l), ==, 0);
	l = layout_free(l);
	g_assert_null(l);
	g_assert_cmpint(layout_new(64, &l), ==, 0);
	layout_free(l);
	g_assert_null(layout_free(NULL));
}

static void test_touching(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);

	g_assert_cmpint(add(l, 1, 0x10000, 0x10000, NULL), ==, 0);
	g_assert_cmpint(add(l, 2, 0x20000, PG, NULL), ==, 0);	/* above, touching */
	g_assert_cmpint(add(l, 3, 0x0f000, PG, NULL), ==, 0);	/* below, touching */
	g_assert_cmpint(add(l, 4, 0x0, 0xf000, NULL), ==, 0);
	g_assert_cmpuint(layout_count(l), ==, 4);
}

static void test_contained(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);

	g_assert_cmpint(add(l, 1, 0x10000, 0x10000, NULL), ==, 0);
	assert_conflict(l, 2, 0x14000, PG, 1);		/* inside */
	assert_conflict(l, 2, 0x10000, PG, 1);		/* first page */
	assert_conflict(l, 2, 0x1f000, PG, 1);		/* last page */
	assert_conflict(l, 2, 0x0, 0x100000, 1);	/* around */
}

static void test_identical(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);

	g_assert_cmpint(add(l, 1, 0x10000, 0x10000, NULL), ==, 0);
	assert_conflict(l, 2, 0x10000, 0x10000, 1);
}

static void test_partial(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);

	g_assert_cmpint(add(l, 1, 0x10000, 0x10000, NULL), ==, 0);
	assert_conflict(l, 2, 0x8000, 0x9000, 1);	/* low side, one page in */
	assert_conflict(l, 2, 0x1f000, 0x2000, 1);	/* high side, one page in */
	g_assert_cmpint(add(l, 2, 0x8000, 0x8000, NULL), ==, 0);
	g_assert_cmpint(add(l, 3, 0x20000, 0x2000, NULL), ==, 0);
}

static void test_conflict_names_parcel(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	const struct layout_parcel *c = NULL;

	for (uint32_t i = 0; i < 64; i++)
		g_assert_cmpint(add(l, 100 + i, 0x100000 * i, 0x10000, NULL), ==, 0);
	for (uint32_t i = 0; i < 64; i++)
		assert_conflict(l, 1, 0x100000 * i + 0xf000, 0x10000, 100 + i);

	/* Spanning two parcels: either is a right answer, nothing else is. */
	g_assert_cmpint(add(l, 1, 0x30f000, 0x100000, &c), ==, -EEXIST);
	g_assert_true(c->label == 103 || c->label == 104);
	g_assert_cmpuint(c->base, ==, 0x100000 * (c->label - 100));
	g_assert_cmpuint(c->size, ==, 0x10000);
	g_assert_cmpstr(c->name, ==, "p");
}

static void test_top_of_64bit(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(64);
	const struct layout_parcel *c = NULL;

	/* [2^64 - 0x2000, 2^64 - 0x1000) and [2^64 - 0x1000, 2^64) touch. */
	g_assert_cmpint(add(l, 1, 0 - 2 * PG, PG, NULL), ==, 0);
	g_assert_cmpint(add(l, 2, 0 - PG, PG, NULL), ==, 0);
	g_assert_cmpuint(layout_find_addr(l, TOP)->label, ==, 2);
	g_assert_cmpuint(layout_find_addr(l, TOP - PG)->label, ==, 1);

	assert_conflict(l, 3, 0 - PG, PG, 2);
	assert_conflict(l, 3, 0 - 3 * PG, 2 * PG, 1);
	g_assert_cmpint(add(l, 3, 0 - 4 * PG, 4 * PG, &c), ==, -EEXIST);
	g_assert_true(c->label == 1 || c->label == 2);
	g_assert_cmpint(add(l, 3, 0 - 3 * PG, PG, NULL), ==, 0);
	g_assert_cmpuint(layout_count(l), ==, 3);
}

static void test_overflow(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(64);
	const struct layout_parcel *c = NULL;

	g_assert_cmpint(add(l, 1, 0 - PG, 2 * PG, &c), ==, -ERANGE);
	g_assert_null(c);
	g_assert_cmpint(add(l, 1, 0 - PG, 0 - PG, NULL), ==, -ERANGE);
	g_assert_cmpint(add(l, 1, 2 * PG, 0 - PG, NULL), ==, -ERANGE);	/* ends at 2^64 + 0x1000 */
	g_assert_cmpuint(layout_count(l), ==, 0);
	g_assert_cmpint(add(l, 1, PG, 0 - 2 * PG, NULL), ==, 0);	/* ends at 2^64 - 0x1000 */
	g_assert_cmpint(add(l, 2, 0, PG, NULL), ==, 0);
	g_assert_cmpint(add(l, 3, 0 - PG, PG, NULL), ==, 0);		/* ends at 2^64 */
	g_assert_cmpuint(layout_count(l), ==, 3);
}

static void test_ipa_limit(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	_cleanup_(layout_freep) struct layout *small = new_pages(12);
	const uint64_t lim = UINT64_C(1) << 36;

	g_assert_cmpint(add(l, 1, lim, PG, NULL), ==, -ERANGE);
	g_assert_cmpint(add(l, 1, lim - PG, 2 * PG, NULL), ==, -ERANGE);
	g_assert_cmpint(add(l, 1, 0, lim + PG, NULL), ==, -ERANGE);
	g_assert_cmpuint(layout_count(l), ==, 0);
	g_assert_cmpint(add(l, 1, lim - PG, PG, NULL), ==, 0);		/* exactly at the limit */
	g_assert_cmpint(add(l, 2, 0, lim - PG, NULL), ==, 0);
	g_assert_cmpuint(layout_find_addr(l, lim - 1)->label, ==, 1);
	g_assert_null(layout_find_addr(l, lim));

	g_assert_cmpint(add(small, 1, PG, PG, NULL), ==, -ERANGE);
	g_assert_cmpint(add(small, 1, 0, PG, NULL), ==, 0);
}

static void test_misaligned(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);

	g_assert_cmpint(add(l, 1, 0x1001, PG, NULL), ==, -EINVAL);
	g_assert_cmpint(add(l, 1, 0x800, PG, NULL), ==, -EINVAL);
	g_assert_cmpint(add(l, 1, 0x1000, 0x1001, NULL), ==, -EINVAL);
	g_assert_cmpint(add(l, 1, 0x1000, 0x800, NULL), ==, -EINVAL);
	/* Misaligned and out of range: alignment is reported. */
	g_assert_cmpint(add(l, 1, (UINT64_C(1) << 40) + 1, PG, NULL), ==, -EINVAL);
	g_assert_cmpuint(layout_count(l), ==, 0);
	g_assert_cmpint(add(l, 1, 0x1000, PG, NULL), ==, 0);
}

static void test_zero_size(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	_cleanup_(layout_freep) struct layout *e = NULL;

	g_assert_cmpint(add(l, 1, 0x1000, 0, NULL), ==, -EINVAL);
	g_assert_cmpint(add(l, 1, 0, 0, NULL), ==, -EINVAL);
	g_assert_cmpuint(layout_count(l), ==, 0);

	g_assert_cmpint(layout_new_extents(0x1000, &e), ==, 0);
	g_assert_cmpint(add(e, 1, 5, 0, NULL), ==, -EINVAL);
	g_assert_cmpuint(layout_count(e), ==, 0);
}

static void test_duplicate_label(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	const struct layout_parcel *first;

	g_assert_cmpint(add(l, 7, 0x10000, PG, NULL), ==, 0);
	first = layout_find_label(l, 7);
	assert_conflict(l, 7, 0x40000, PG, 7);

	/* The undone address insert left the range free. */
	g_assert_null(layout_find_addr(l, 0x40000));
	g_assert_true(layout_find_label(l, 7) == first);
	g_assert_cmpuint(first->base, ==, 0x10000);
	g_assert_cmpint(add(l, 8, 0x40000, PG, NULL), ==, 0);
	g_assert_cmpuint(layout_count(l), ==, 2);
}

static void test_nothing_added_after_error(void)
{
	static const struct {
		uint32_t label;
		uint64_t base, size;
		int r;
	} cases[] = {
		{ 9, 0x18000, 0x10000, -EEXIST },	/* overlaps [0x10000, 0x20000) high */
		{ 9, 0x8000, 0x10000, -EEXIST },	/* overlaps it low */
		{ 1, 0x40000, 0x10000, -EEXIST },	/* label 1 taken */
		{ 9, 0x40001, 0x10000, -EINVAL },
		{ 9, 0x40000, 0x10001, -EINVAL },
		{ 9, 0x40000, 0, -EINVAL },
		{ 9, 0xffff000, 0x2000, -ERANGE },	/* crosses the 28-bit limit */
	};
	_cleanup_(layout_freep) struct layout *l = new_pages(28);

	g_assert_cmpint(add(l, 1, 0x10000, 0x10000, NULL), ==, 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		g_assert_cmpint(add(l, cases[i].label, cases[i].base, cases[i].size, NULL),
				==, cases[i].r);
		g_assert_cmpuint(layout_count(l), ==, 1);
		g_assert_null(layout_find_label(l, 9));
		g_assert_true(layout_find_label(l, 1) == layout_find_addr(l, 0x10000));
		g_assert_null(layout_find_addr(l, 0x20000));
		g_assert_null(layout_find_addr(l, 0x8000));
		g_assert_null(layout_find_addr(l, 0x40000));
		g_assert_null(layout_find_addr(l, 0xffff000));
	}
	/* The free parts of those ranges are still usable. */
	g_assert_cmpint(add(l, 9, 0x20000, 0x8000, NULL), ==, 0);
	g_assert_cmpint(add(l, 10, 0x8000, 0x8000, NULL), ==, 0);
	g_assert_cmpint(add(l, 11, 0x40000, 0x10000, NULL), ==, 0);
	g_assert_cmpint(add(l, 12, 0xffff000, PG, NULL), ==, 0);
	g_assert_cmpuint(layout_count(l), ==, 5);
}

static void test_remove_readd(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);

	g_assert_cmpint(add(l, 1, 0x10000, 0x10000, NULL), ==, 0);
	g_assert_cmpint(add(l, 2, 0x20000, 0x10000, NULL), ==, 0);
	g_assert_cmpint(layout_remove_label(l, 3), ==, -ENOENT);
	g_assert_cmpint(layout_remove_label(l, 1), ==, 0);
	g_assert_cmpint(layout_remove_label(l, 1), ==, -ENOENT);
	g_assert_cmpuint(layout_count(l), ==, 1);
	g_assert_null(layout_find_label(l, 1));
	g_assert_null(layout_find_addr(l, 0x10000));
	g_assert_cmpuint(layout_find_addr(l, 0x20000)->label, ==, 2);

	/* The range and the label are both free again, separately. */
	g_assert_cmpint(add(l, 3, 0x10000, 0x10000, NULL), ==, 0);
	g_assert_cmpint(add(l, 1, 0x40000, PG, NULL), ==, 0);
	assert_conflict(l, 4, 0x18000, PG, 3);
	g_assert_cmpuint(layout_count(l), ==, 3);
	g_assert_cmpuint(layout_find_label(l, 1)->base, ==, 0x40000);
}

static void test_find_addr_edges(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	const struct layout_parcel *p;

	g_assert_null(layout_find_addr(l, 0));
	g_assert_cmpint(add(l, 1, 0x5000, 0x2000, NULL), ==, 0);
	g_assert_cmpint(add(l, 2, 0x8000, PG, NULL), ==, 0);
	g_assert_null(layout_find_addr(l, 0x4fff));
	p = layout_find_addr(l, 0x5000);
	g_assert_nonnull(p);
	g_assert_cmpuint(p->label, ==, 1);
	g_assert_true(layout_find_addr(l, 0x6fff) == p);
	g_assert_null(layout_find_addr(l, 0x7000));
	g_assert_null(layout_find_addr(l, 0x7fff));
	g_assert_cmpuint(layout_find_addr(l, 0x8000)->label, ==, 2);
	g_assert_null(layout_find_addr(l, 0x9000));
	g_assert_null(layout_find_addr(l, TOP));
}

static void test_stored_copy(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	struct layout_parcel p = { .label = 1, .base = 0x1000, .size = PG, .name = "kept" };
	const struct layout_parcel *s;

	g_assert_cmpint(layout_add(l, &p, NULL), ==, 0);
	p.base = 0x9000;
	p.label = 5;
	s = layout_find_label(l, 1);
	g_assert_true(s != &p);
	g_assert_cmpuint(s->base, ==, 0x1000);
	g_assert_cmpstr(s->name, ==, "kept");
	g_assert_null(layout_find_label(l, 5));
}

static void test_extents(void)
{
	_cleanup_(layout_freep) struct layout *e = NULL;
	_cleanup_(layout_freep) struct layout *empty = NULL;
	const struct layout_parcel *c = NULL;

	g_assert_cmpint(layout_new_extents(0x10000, &e), ==, 0);
	g_assert_cmpint(add(e, 0, 1, 3, NULL), ==, 0);		/* [1, 4) */
	g_assert_cmpint(add(e, 0, 4, 5, NULL), ==, 0);		/* [4, 9): touching, same label */
	g_assert_cmpint(add(e, 0, 0, 1, NULL), ==, 0);		/* [0, 1) */
	g_assert_cmpint(add(e, 0, 3, 2, &c), ==, -EEXIST);	/* [3, 5) spans both */
	g_assert_true(c->base == 1 || c->base == 4);
	g_assert_cmpint(add(e, 0, 8, 1, &c), ==, -EEXIST);
	g_assert_cmpuint(c->base, ==, 4);
	g_assert_cmpint(add(e, 0, 0xfff1, 0xf, NULL), ==, 0);	/* ends exactly at the limit */
	g_assert_cmpint(add(e, 0, 0xfffe, 3, NULL), ==, -ERANGE);	/* checked before overlap */
	g_assert_cmpint(add(e, 0, 0x10000, 1, NULL), ==, -ERANGE);
	g_assert_cmpint(add(e, 0, 0xfff0, 1, NULL), ==, 0);
	g_assert_cmpint(add(e, 0, 9, UINT64_MAX, NULL), ==, -ERANGE);
	g_assert_cmpuint(layout_count(e), ==, 5);
	g_assert_cmpuint(layout_find_addr(e, 8)->base, ==, 4);
	g_assert_null(layout_find_addr(e, 9));

	/* Labels are neither indexed nor removable. */
	g_assert_null(layout_find_label(e, 0));
	g_assert_cmpint(layout_remove_label(e, 0), ==, -EOPNOTSUPP);
	g_assert_cmpuint(layout_count(e), ==, 5);

	g_assert_cmpint(layout_new_extents(0, &empty), ==, 0);
	g_assert_cmpint(add(empty, 0, 0, 1, NULL), ==, -ERANGE);
}

static void assert_strerror(const struct layout *l, int r, const struct layout_parcel *p,
			    const struct layout_parcel *c, const char *expected)
{
	_cleanup_free_ char *s = layout_strerror(l, r, p, c);

	g_assert_cmpstr(s, ==, expected);
}

static void test_strerror(void)
{
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	_cleanup_(layout_freep) struct layout *l64 = new_pages(64);
	_cleanup_(layout_freep) struct layout *e = NULL;
	struct layout_parcel mem = { 0, 0x80000000, 0x10000000, "memory" };
	struct layout_parcel r0 = { 1, 0x80000000, 0x200000, "regions[0]" };
	struct layout_parcel r1 = { 1, 0x10000000, 0x1000, "regions[1]" };
	struct layout_parcel top = { 1, 0 - PG, PG, "top" };
	struct layout_parcel top2 = { 2, 0 - 2 * PG, 2 * PG, "top2" };
	struct layout_parcel p;
	const struct layout_parcel *c = NULL;

	g_assert_cmpint(layout_add(l, &mem, NULL), ==, 0);
	g_assert_cmpint(layout_add(l, &r0, &c), ==, -EEXIST);
	assert_strerror(l, -EEXIST, &r0, c, "'regions[0]' [0x80000000, 0x80200000) overlaps "
			"'memory' [0x80000000, 0x90000000)");
	r0.base = 0x90000000;
	g_assert_cmpint(layout_add(l, &r0, NULL), ==, 0);
	g_assert_cmpint(layout_add(l, &r1, &c), ==, -EEXIST);
	assert_strerror(l, -EEXIST, &r1, c, "label 1 of 'regions[1]' is already used by "
			"'regions[0]'");

	/* An end at 2^64 is written out, not wrapped to 0. */
	g_assert_cmpint(layout_add(l64, &top, NULL), ==, 0);
	g_assert_cmpint(layout_add(l64, &top2, &c), ==, -EEXIST);
	assert_strerror(l64, -EEXIST, &top2, c, "'top2' [0xffffffffffffe000, 0x10000000000000000) "
			"overlaps 'top' [0xfffffffffffff000, 0x10000000000000000)");

	p = (struct layout_parcel) { 3, 0xfffffffffffff000, 0x2000, "regions[2]" };
	g_assert_cmpint(layout_add(l64, &p, NULL), ==, -ERANGE);
	assert_strerror(l64, -ERANGE, &p, NULL, "'regions[2]' [0xfffffffffffff000, +0x2000) "
			"overflows the 64-bit address space");

	p = (struct layout_parcel) { 0, 0x1000, 0x1000000000, "memory" };
	g_assert_cmpint(layout_add(l, &p, NULL), ==, -ERANGE);	/* also overlaps: range first */
	assert_strerror(l, -ERANGE, &p, NULL,
			"'memory' ends at 0x1000001000, beyond the 36-bit IPA space");

	p = (struct layout_parcel) { 5, 0x1001, 0x1000, "regions[0]" };
	g_assert_cmpint(layout_add(l, &p, NULL), ==, -EINVAL);
	assert_strerror(l, -EINVAL, &p, NULL, "'regions[0]': base 0x1001 is not page aligned");
	p = (struct layout_parcel) { 5, 0x1000, 0x1800, "regions[0]" };
	g_assert_cmpint(layout_add(l, &p, NULL), ==, -EINVAL);
	assert_strerror(l, -EINVAL, &p, NULL,
			"'regions[0]': size 0x1800 is not a multiple of the page size");
	p = (struct layout_parcel) { 5, 0x1000, 0, "regions[0]" };
	g_assert_cmpint(layout_add(l, &p, NULL), ==, -EINVAL);
	assert_strerror(l, -EINVAL, &p, NULL, "'regions[0]': size is zero");

	g_assert_cmpint(layout_new_extents(0x100000, &e), ==, 0);
	p = (struct layout_parcel) { 0, 0xff000, 0x1001, "ramdisk" };
	g_assert_cmpint(layout_add(e, &p, NULL), ==, -ERANGE);
	assert_strerror(e, -ERANGE, &p, NULL,
			"'ramdisk' ends at 0x100001, beyond the window end 0x100000");

	p = (struct layout_parcel) { 0, 0x1000, 0x1000, NULL };
	assert_strerror(l, -ENOMEM, &p, NULL,
			"'(unnamed)' [0x1000, +0x1000): Cannot allocate memory");
}

struct vmdef_fixture {
	struct vmdef def;
	struct vmdef_region regions[3];
	struct def_diags diags;
};

static void vmdef_fixture_init(struct vmdef_fixture *f)
{
	*f = (struct vmdef_fixture) {
		.def.memory = {
			.base = 0x80000000, .size = 0x10000000,
			.mark = { .line = 4, .column = 3 },
		},
		.regions = {
			{ .label = 1, .base = 0x100000000, .size = 0x200000,
			  .mark = { .line = 9, .column = 5 } },
			{ .label = 2, .base = 0x40000000, .size = 0x1000,
			  .mark = { .line = 12, .column = 5 } },
			{ .label = 3, .base = 0x90000000, .size = 0x1000,
			  .mark = { .line = 15, .column = 7 } },
		},
	};
	f->def.regions = f->regions;
	f->def.n_regions = ELEMENTSOF(f->regions);
}

static void test_vmdef_clean(void)
{
	struct vmdef_fixture f;
	_cleanup_(layout_freep) struct layout *l = NULL;
	const struct layout_parcel *p;

	vmdef_fixture_init(&f);
	g_assert_cmpint(layout_from_vmdef(&f.def, RM_IPA_BITS_DEFAULT, &l, &f.diags), ==, 0);
	g_assert_cmpuint(f.diags.n, ==, 0);
	g_assert_cmpuint(layout_count(l), ==, 4);
	p = layout_find_label(l, 0);
	g_assert_cmpstr(p->name, ==, "memory");
	g_assert_cmpuint(p->base, ==, 0x80000000);
	g_assert_cmpuint(p->size, ==, 0x10000000);
	g_assert_cmpstr(layout_find_label(l, 1)->name, ==, "regions[0]");
	g_assert_cmpstr(layout_find_label(l, 2)->name, ==, "regions[1]");
	g_assert_cmpstr(layout_find_addr(l, 0x90000fff)->name, ==, "regions[2]");

	/* Names stay valid after the definition is gone. */
	memset(&f, 0xaa, sizeof(f));
	g_assert_cmpstr(layout_find_label(l, 3)->name, ==, "regions[2]");
}

static void test_vmdef_no_regions(void)
{
	struct vmdef_fixture f;
	_cleanup_(layout_freep) struct layout *l = NULL;

	vmdef_fixture_init(&f);
	f.def.regions = NULL;
	f.def.n_regions = 0;
	g_assert_cmpint(layout_from_vmdef(&f.def, 32, &l, &f.diags), ==, 0);
	g_assert_cmpuint(layout_count(l), ==, 1);
	g_assert_cmpint(layout_from_vmdef(&f.def, 0, &l, &f.diags), ==, -EINVAL);
}

static void test_vmdef_region_overlaps_memory(void)
{
	struct vmdef_fixture f;
	struct layout *l = (struct layout *) &f;	/* must stay untouched on failure */

	vmdef_fixture_init(&f);
	f.regions[1].base = 0x8ffff000;
	f.regions[1].size = 0x2000;
	g_assert_cmpint(layout_from_vmdef(&f.def, 36, &l, &f.diags), ==, -EEXIST);
	g_assert_true(l == (struct layout *) &f);
	g_assert_cmpuint(f.diags.n, ==, 1);
	g_assert_cmpuint(f.diags.items[0].line, ==, 12);
	g_assert_cmpuint(f.diags.items[0].column, ==, 5);
	g_assert_cmpstr(f.diags.items[0].key, ==, "regions[1]");
	g_assert_cmpstr(f.diags.items[0].message, ==,
			"'regions[1]' [0x8ffff000, 0x90001000) overlaps "
			"'memory' [0x80000000, 0x90000000)");
	def_diags_clear(&f.diags);
}

static void test_vmdef_duplicate_label(void)
{
	struct vmdef_fixture f;
	_cleanup_(layout_freep) struct layout *l = NULL;

	vmdef_fixture_init(&f);
	f.regions[2].label = 1;
	g_assert_cmpint(layout_from_vmdef(&f.def, 36, &l, &f.diags), ==, -EEXIST);
	g_assert_null(l);
	g_assert_cmpuint(f.diags.n, ==, 1);
	g_assert_cmpuint(f.diags.items[0].line, ==, 15);
	g_assert_cmpuint(f.diags.items[0].column, ==, 7);
	g_assert_cmpstr(f.diags.items[0].key, ==, "regions[2]");
	g_assert_cmpstr(f.diags.items[0].message, ==,
			"label 1 of 'regions[2]' is already used by 'regions[0]'");
	def_diags_clear(&f.diags);

	/* Label 0 belongs to main memory. */
	vmdef_fixture_init(&f);
	f.regions[0].label = 0;
	g_assert_cmpint(layout_from_vmdef(&f.def, 36, &l, &f.diags), ==, -EEXIST);
	g_assert_cmpstr(f.diags.items[0].message, ==,
			"label 0 of 'regions[0]' is already used by 'memory'");
	def_diags_clear(&f.diags);
}

/* Every conflict in one call: the parcels after a bad one are still tried. */
static void test_vmdef_every_conflict(void)
{
	struct vmdef_fixture f;
	_cleanup_(layout_freep) struct layout *l = NULL;

	vmdef_fixture_init(&f);
	f.def.memory.base = 0xff8000000;		/* beyond 36 bits */
	f.regions[1].base = 0x100100000;		/* on regions[0] */
	f.regions[2].label = 1;				/* regions[0]'s label */
	g_assert_cmpint(layout_from_vmdef(&f.def, 36, &l, &f.diags), ==, -ERANGE);
	g_assert_null(l);
	g_assert_cmpuint(f.diags.n, ==, 3);
	g_assert_cmpstr(f.diags.items[0].key, ==, "memory");
	g_assert_cmpstr(f.diags.items[1].key, ==, "regions[1]");
	g_assert_cmpuint(f.diags.items[1].line, ==, 12);
	g_assert_cmpstr(f.diags.items[1].message, ==,
			"'regions[1]' [0x100100000, 0x100101000) overlaps "
			"'regions[0]' [0x100000000, 0x100200000)");
	g_assert_cmpstr(f.diags.items[2].key, ==, "regions[2]");
	g_assert_cmpstr(f.diags.items[2].message, ==,
			"label 1 of 'regions[2]' is already used by 'regions[0]'");
	def_diags_clear(&f.diags);
}

static void test_vmdef_memory_beyond_ipa(void)
{
	struct vmdef_fixture f;
	_cleanup_(layout_freep) struct layout *l = NULL;

	vmdef_fixture_init(&f);
	f.def.memory.base = 0xff8000000;
	g_assert_cmpint(layout_from_vmdef(&f.def, 36, &l, &f.diags), ==, -ERANGE);
	g_assert_null(l);
	g_assert_cmpuint(f.diags.n, ==, 1);
	g_assert_cmpuint(f.diags.items[0].line, ==, 4);
	g_assert_cmpuint(f.diags.items[0].column, ==, 3);
	g_assert_cmpstr(f.diags.items[0].key, ==, "memory");
	g_assert_cmpstr(f.diags.items[0].message, ==,
			"'memory' ends at 0x1008000000, beyond the 36-bit IPA space");
	def_diags_clear(&f.diags);

	/* The same definition fits a wider IPA space. */
	g_assert_cmpint(layout_from_vmdef(&f.def, 40, &l, &f.diags), ==, 0);
	g_assert_cmpuint(f.diags.n, ==, 0);
}

struct ref_parcel {
	uint32_t label;
	uint64_t base, size;
	bool live;
};

static bool ref_overlaps(const struct ref_parcel *r, uint64_t base, uint64_t size)
{
	return base < r->base + r->size && r->base < base + size;
}

/*
 * Random adds and removes in a small address space (so that most of them
 * collide), checked against an O(n^2) reference after every operation.
 */
static void test_random_vs_brute_force(void)
{
	enum { OPS = 10000, SPACE_PAGES = 16384, LABELS = 4096 };
	_cleanup_(layout_freep) struct layout *l = new_pages(36);
	_cleanup_free_ struct ref_parcel *ref = g_new0(struct ref_parcel, OPS);
	GRand *rand = g_rand_new_with_seed(0x6c61796f);
	size_t n_ref = 0, live = 0, n_ok = 0, n_overlap = 0, n_label = 0, n_removed = 0;

	for (unsigned op = 0; op < OPS; op++) {
		uint32_t label = g_rand_int_range(rand, 0, LABELS);
		const struct layout_parcel *c = NULL;
		struct ref_parcel *by_label = NULL;
		bool overlap = false;
		uint64_t base, size;
		int r;

		if (g_rand_int_range(rand, 0, 8) == 0) {
			for (size_t i = 0; i < n_ref; i++)
				if (ref[i].live && ref[i].label == label)
					by_label = &ref[i];
			r = layout_remove_label(l, label);
			g_assert_cmpint(r, ==, by_label ? 0 : -ENOENT);
			if (by_label) {
				by_label->live = false;
				live--;
				n_removed++;
			}
			g_assert_cmpuint(layout_count(l), ==, live);
			continue;
		}

		base = g_rand_int_range(rand, 0, SPACE_PAGES) * PG;
		size = g_rand_int_range(rand, 1, 17) * PG;
		r = add(l, label, base, size, &c);

		for (size_t i = 0; i < n_ref; i++) {
			if (!ref[i].live)
				continue;
			if (ref_overlaps(&ref[i], base, size))
				overlap = true;
			if (ref[i].label == label)
				by_label = &ref[i];
		}
		if (overlap) {
			g_assert_cmpint(r, ==, -EEXIST);
			g_assert_true(c->base < base + size && base < c->base + c->size);
			n_overlap++;
		} else if (by_label) {
			g_assert_cmpint(r, ==, -EEXIST);
			g_assert_cmpuint(c->label, ==, label);
			g_assert_cmpuint(c->base, ==, by_label->base);
			n_label++;
		} else {
			g_assert_cmpint(r, ==, 0);
			ref[n_ref++] = (struct ref_parcel) { label, base, size, true };
			live++;
			n_ok++;
		}
		g_assert_cmpuint(layout_count(l), ==, live);
	}

	/* Every page of the space maps to the reference's owner or to nothing. */
	for (uint64_t pg = 0; pg <= SPACE_PAGES + 16; pg++) {
		for (unsigned k = 0; k < 2; k++) {
			uint64_t addr = pg * PG + (k ? PG - 1 : 0);
			const struct layout_parcel *p = layout_find_addr(l, addr);
			const struct ref_parcel *owner = NULL;

			for (size_t i = 0; i < n_ref; i++)
				if (ref[i].live && ref_overlaps(&ref[i], addr, 1))
					owner = &ref[i];
			if (!owner) {
				g_assert_null(p);
				continue;
			}
			g_assert_nonnull(p);
			g_assert_cmpuint(p->label, ==, owner->label);
			g_assert_cmpuint(p->base, ==, owner->base);
			g_assert_cmpuint(p->size, ==, owner->size);
			g_assert_true(layout_find_label(l, owner->label) == p);
		}
	}

	/* The mix must exercise every outcome, or the test proves little. */
	g_test_message("ok %zu, overlap %zu, label %zu, removed %zu, live %zu",
		       n_ok, n_overlap, n_label, n_removed, live);
	g_assert_cmpuint(n_ok, >, 500);
	g_assert_cmpuint(n_overlap, >, 500);
	g_assert_cmpuint(n_label, >, 50);
	g_assert_cmpuint(n_removed, >, 100);
	g_rand_free(rand);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/layout/new/ipa-bits", test_new_ipa_bits);
	g_test_add_func("/layout/overlap/touching-is-fine", test_touching);
	g_test_add_func("/layout/overlap/contained", test_contained);
	g_test_add_func("/layout/overlap/identical", test_identical);
	g_test_add_func("/layout/overlap/partial", test_partial);
	g_test_add_func("/layout/overlap/conflict-names-parcel", test_conflict_names_parcel);
	g_test_add_func("/layout/overlap/top-of-64bit", test_top_of_64bit);
	g_test_add_func("/layout/range/overflow", test_overflow);
	g_test_add_func("/layout/range/ipa-limit", test_ipa_limit);
	g_test_add_func("/layout/align/misaligned", test_misaligned);
	g_test_add_func("/layout/align/zero-size", test_zero_size);
	g_test_add_func("/layout/label/duplicate", test_duplicate_label);
	g_test_add_func("/layout/label/remove-readd", test_remove_readd);
	g_test_add_func("/layout/error/nothing-added", test_nothing_added_after_error);
	g_test_add_func("/layout/find-addr/edges", test_find_addr_edges);
	g_test_add_func("/layout/add/stores-copy", test_stored_copy);
	g_test_add_func("/layout/extents/odd-alignment", test_extents);
	g_test_add_func("/layout/strerror/each-class", test_strerror);
	g_test_add_func("/layout/vmdef/clean", test_vmdef_clean);
	g_test_add_func("/layout/vmdef/no-regions", test_vmdef_no_regions);
	g_test_add_func("/layout/vmdef/region-overlaps-memory", test_vmdef_region_overlaps_memory);
	g_test_add_func("/layout/vmdef/duplicate-label", test_vmdef_duplicate_label);
	g_test_add_func("/layout/vmdef/memory-beyond-ipa", test_vmdef_memory_beyond_ipa);
	g_test_add_func("/layout/vmdef/every-conflict", test_vmdef_every_conflict);
	g_test_add_func("/layout/random/vs-brute-force", test_random_vs_brute_force);

	return g_test_run();
}
