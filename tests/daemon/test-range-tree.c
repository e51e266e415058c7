/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon/range-tree: the B+tree of disjoint ranges under the layout. Every
 * operation is checked against a plain array and followed by
 * range_tree_verify() (order, bounds, leaf links, equal leaf depth), with
 * enough ranges for several levels of inner nodes, and removals that empty
 * leaves and collapse the root.
 */
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "range-tree.h"

struct ref {
	uint64_t first, last;
	bool live;
};

static struct range_tree *new_tree(void)
{
	struct range_tree *t = NULL;

	g_assert_cmpint(range_tree_new(&t), ==, 0);
	return t;
}

static void test_empty(void)
{
	struct range_tree *t = new_tree();

	g_assert_cmpint(range_tree_verify(t), ==, 0);
	g_assert_null(range_tree_find(t, 0));
	g_assert_null(range_tree_find(t, UINT64_MAX));
	g_assert_null(range_tree_remove(t, 0));
	g_assert_cmpint(range_tree_insert(t, 2, 1, t, NULL), ==, -EINVAL);
	range_tree_free(t, NULL);
}

/* Touching ranges coexist; the conflict named is the lowest range hit. */
static void test_edges(void)
{
	struct range_tree *t = new_tree();
	int a, b, c, d;
	void *hit = NULL;

	g_assert_cmpint(range_tree_insert(t, 0, 9, &a, NULL), ==, 0);
	g_assert_cmpint(range_tree_insert(t, 20, 29, &b, NULL), ==, 0);
	g_assert_cmpint(range_tree_insert(t, 10, 19, &c, NULL), ==, 0);
	g_assert_cmpint(range_tree_insert(t, UINT64_MAX - 1, UINT64_MAX, &d, NULL), ==, 0);
	g_assert_true(range_tree_find(t, 9) == &a);
	g_assert_true(range_tree_find(t, 10) == &c);
	g_assert_true(range_tree_find(t, UINT64_MAX) == &d);
	g_assert_null(range_tree_find(t, 30));

	g_assert_cmpint(range_tree_insert(t, 5, 25, NULL, &hit), ==, -EEXIST);
	g_assert_true(hit == &a);
	g_assert_cmpint(range_tree_insert(t, 12, 40, NULL, &hit), ==, -EEXIST);
	g_assert_true(hit == &c);
	g_assert_cmpint(range_tree_insert(t, 29, 29, NULL, &hit), ==, -EEXIST);
	g_assert_true(hit == &b);
	g_assert_cmpint(range_tree_insert(t, 0, UINT64_MAX, NULL, &hit), ==, -EEXIST);
	g_assert_true(hit == &a);
	g_assert_cmpint(range_tree_verify(t), ==, 4);

	g_assert_null(range_tree_remove(t, 11));	/* not a start */
	g_assert_true(range_tree_remove(t, 10) == &c);
	g_assert_null(range_tree_find(t, 15));
	g_assert_cmpint(range_tree_insert(t, 12, 13, &c, NULL), ==, 0);
	g_assert_cmpint(range_tree_verify(t), ==, 4);
	range_tree_free(t, NULL);
}

static void check_against(struct range_tree *t, const struct ref *ref, size_t n, uint64_t space,
			  GRand *rand)
{
	long live = 0;

	for (size_t i = 0; i < n; i++)
		live += ref[i].live;
	g_assert_cmpint(range_tree_verify(t), ==, live);
	for (unsigned k = 0; k < 64; k++) {
		uint64_t x = g_rand_int_range(rand, 0, (gint32) space);
		const struct ref *owner = NULL;

		for (size_t i = 0; i < n; i++)
			if (ref[i].live && ref[i].first <= x && x <= ref[i].last)
				owner = &ref[i];
		g_assert_true(range_tree_find(t, x) == (owner ? owner : NULL));
	}
}

/* Random inserts and removes against the reference, in a space where many collide. */
static void test_random(void)
{
	enum { OPS = 16000, SPACE = 80000 };
	struct range_tree *t = new_tree();
	struct ref *ref = g_new0(struct ref, OPS);
	GRand *rand = g_rand_new_with_seed(0x72616e67);
	size_t n = 0, inserted = 0, refused = 0, removed = 0;

	for (unsigned op = 0; op < OPS; op++) {
		if (n && g_rand_int_range(rand, 0, 4) == 0) {
			uint64_t first = ref[g_rand_int_range(rand, 0, (gint32) n)].first;
			struct ref *owner = NULL;

			/* A range removed earlier may have been replaced by one with the same start. */
			for (size_t i = 0; i < n; i++)
				if (ref[i].live && ref[i].first == first)
					owner = &ref[i];
			g_assert_true(range_tree_remove(t, first) == owner);
			if (owner) {
				owner->live = false;
				removed++;
			}
		} else {
			uint64_t first = g_rand_int_range(rand, 0, SPACE);
			uint64_t last = first + g_rand_int_range(rand, 0, 8);
			const struct ref *lowest = NULL;
			void *hit = NULL;
			int r;

			for (size_t i = 0; i < n; i++)
				if (ref[i].live && ref[i].first <= last && first <= ref[i].last &&
				    (!lowest || ref[i].first < lowest->first))
					lowest = &ref[i];
			ref[n] = (struct ref) { first, last, true };
			r = range_tree_insert(t, first, last, &ref[n], &hit);
			if (lowest) {
				g_assert_cmpint(r, ==, -EEXIST);
				g_assert_true(hit == lowest);
				refused++;
			} else {
				g_assert_cmpint(r, ==, 0);
				n++;
				inserted++;
			}
		}
		if (op % 1000 == 0)
			check_against(t, ref, n, SPACE + 16, rand);
	}
	check_against(t, ref, n, SPACE + 16, rand);
	g_test_message("inserted %zu, refused %zu, removed %zu", inserted, refused, removed);
	g_assert_cmpuint(inserted, >, 5000);
	g_assert_cmpuint(refused, >, 1000);
	g_assert_cmpuint(removed, >, 2000);

	/* Empty it in random order: leaves empty and unlink, the root steps down. */
	for (size_t i = n; i > 1; i--) {
		size_t j = g_rand_int_range(rand, 0, (gint32) i);
		struct ref tmp = ref[i - 1];

		ref[i - 1] = ref[j];
		ref[j] = tmp;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ref[i].live)
			continue;
		g_assert_nonnull(range_tree_remove(t, ref[i].first));
		ref[i].live = false;
		if (i % 500 == 0)
			g_assert_cmpint(range_tree_verify(t), >=, 0);
	}
	g_assert_cmpint(range_tree_verify(t), ==, 0);
	g_assert_null(range_tree_find(t, 100));
	/* And it works again from empty. */
	g_assert_cmpint(range_tree_insert(t, 100, 200, &ref[0], NULL), ==, 0);
	g_assert_true(range_tree_find(t, 150) == &ref[0]);
	g_assert_cmpint(range_tree_verify(t), ==, 1);

	range_tree_free(t, NULL);
	g_free(ref);
	g_rand_free(rand);
}

/* Ascending and descending inserts (the worst cases for a naive split), then frees values. */
static void test_sequential(void)
{
	enum { N = 100000 };
	struct range_tree *t = new_tree();

	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v = g_new(uint64_t, 1), k = i % 2 ? i : N * 2 - i;

		*v = k;
		g_assert_cmpint(range_tree_insert(t, k * 4, k * 4 + 3, v, NULL), ==, 0);
	}
	g_assert_cmpint(range_tree_verify(t), ==, N);
	for (uint64_t i = 0; i < N; i += 997) {
		uint64_t k = i % 2 ? i : N * 2 - i;
		uint64_t *v = range_tree_find(t, k * 4 + 2);

		g_assert_nonnull(v);
		g_assert_cmpuint(*v, ==, k);
	}
	/* Every other range out: many leaves underfull, none empty. */
	for (uint64_t i = 0; i < N; i += 2)
		g_free(range_tree_remove(t, (N * 2 - i) * 4));
	g_assert_cmpint(range_tree_verify(t), ==, N / 2);
	range_tree_free(t, g_free);	/* ASan: no value leaks */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/range-tree/empty", test_empty);
	g_test_add_func("/range-tree/edges", test_edges);
	g_test_add_func("/range-tree/random-vs-reference", test_random);
	g_test_add_func("/range-tree/sequential", test_sequential);
	return g_test_run();
}
