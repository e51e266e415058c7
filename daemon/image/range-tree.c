/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B+tree of disjoint ranges.
 *
 * Leaves hold up to RT_ORDER - 1 ranges sorted by their first element and
 * are linked in address order, so the stored neighbours of any position
 * are at hand: the only ranges an insert can overlap are the one before it
 * and the one after it. Inner nodes hold up to RT_ORDER - 1 children;
 * child i covers the keys from first[i] (i >= 1) up to first[i + 1].
 *
 * Nodes split when full. Removal does not merge underfull nodes; it
 * unlinks empty ones (the last leaf stays), so every leaf but a lone root
 * holds a range and the neighbour of a leaf is never empty. The height
 * stays bounded by the most ranges ever stored, as with merging, and the
 * code stays short.
 *
 * Inserts never fail half way: the nodes a split may need (one per level,
 * plus a new root) are allocated before anything changes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "range-tree.h"

#define RT_ORDER	32	/* slots per node; a node that fills up splits in two */
#define RT_MAX_HEIGHT	18	/* splits leave >= 16 per node: 16^17 > 2^64 ranges */

struct rt_node {
	struct rt_node *prev, *next;	/* leaves: the neighbours in address order */
	unsigned n;			/* ranges (leaf) or children (inner) */
	bool leaf;
	uint64_t first[RT_ORDER];	/* leaf: range starts; inner: first[i] bounds child i >= 1 */
	uint64_t last[RT_ORDER];	/* leaf: range ends (inclusive) */
	void *slot[RT_ORDER];		/* leaf: values; inner: children */
};

struct range_tree {
	struct rt_node *root;
	unsigned height;		/* 1: the root is a leaf */
	struct rt_node *spare[RT_MAX_HEIGHT + 1];
	unsigned n_spare;
};

/* Position of the first of a[0..n) greater than x (every a[i] <= x comes before it). */
static unsigned upper_bound(const uint64_t *a, unsigned n, uint64_t x)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (a[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static unsigned child_index(const struct rt_node *x, uint64_t key)
{
	return upper_bound(x->first + 1, x->n - 1, key);
}

int range_tree_new(struct range_tree **ret)
{
	struct range_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->root = calloc(1, sizeof(*t->root));
	if (!t->root) {
		free(t);
		return -ENOMEM;
	}
	t->root->leaf = true;
	t->height = 1;
	*ret = t;
	return 0;
}

static void node_free(struct rt_node *x, void (*free_value)(void *value))
{
	for (unsigned i = 0; i < x->n; i++) {
		if (!x->leaf)
			node_free(x->slot[i], free_value);
		else if (free_value)
			free_value(x->slot[i]);
	}
	free(x);
}

void range_tree_free(struct range_tree *t, void (*free_value)(void *value))
{
	if (!t)
		return;
	node_free(t->root, free_value);
	while (t->n_spare)
		free(t->spare[--t->n_spare]);
	free(t);
}

/* Enough nodes for the worst insert: a split on every level and a new root. */
static int reserve_nodes(struct range_tree *t)
{
	if (t->height >= RT_MAX_HEIGHT)
		return -ENOMEM;
	while (t->n_spare < t->height + 1) {
		struct rt_node *x = malloc(sizeof(*x));

		if (!x)
			return -ENOMEM;
		t->spare[t->n_spare++] = x;
	}
	return 0;
}

static struct rt_node *take_node(struct range_tree *t, bool leaf)
{
	struct rt_node *x = t->spare[--t->n_spare];

	*x = (struct rt_node) { .leaf = leaf };
	return x;
}

/* Moves the upper half of the full node x to a new node; *ret_bound is where it starts. */
static struct rt_node *split(struct range_tree *t, struct rt_node *x, uint64_t *ret_bound)
{
	struct rt_node *y = take_node(t, x->leaf);
	unsigned h = x->n / 2;

	y->n = x->n - h;
	memcpy(y->slot, x->slot + h, y->n * sizeof(y->slot[0]));
	if (x->leaf) {
		memcpy(y->first, x->first + h, y->n * sizeof(y->first[0]));
		memcpy(y->last, x->last + h, y->n * sizeof(y->last[0]));
		y->prev = x;
		y->next = x->next;
		if (y->next)
			y->next->prev = y;
		x->next = y;
		*ret_bound = y->first[0];
	} else {
		/* Child h becomes y's child 0: its bound goes up to the parent. */
		memcpy(y->first + 1, x->first + h + 1, (y->n - 1) * sizeof(y->first[0]));
		*ret_bound = x->first[h];
	}
	x->n = h;
	return y;
}

/* Makes room at position i of x's arrays. */
static void open_slot(struct rt_node *x, unsigned i)
{
	unsigned tail = x->n - i;

	memmove(x->first + i + 1, x->first + i, tail * sizeof(x->first[0]));
	memmove(x->last + i + 1, x->last + i, tail * sizeof(x->last[0]));
	memmove(x->slot + i + 1, x->slot + i, tail * sizeof(x->slot[0]));
	x->n++;
}

static void close_slot(struct rt_node *x, unsigned i)
{
	unsigned tail = x->n - i - 1;

	memmove(x->first + i, x->first + i + 1, tail * sizeof(x->first[0]));
	memmove(x->last + i, x->last + i + 1, tail * sizeof(x->last[0]));
	memmove(x->slot + i, x->slot + i + 1, tail * sizeof(x->slot[0]));
	x->n--;
}

/* The stored range at or before position i of leaf x, and the one from i on. */
static void *overlapping(const struct rt_node *x, unsigned i, uint64_t first, uint64_t last)
{
	const struct rt_node *q;
	unsigned qi;

	q = i > 0 ? x : x->prev;
	qi = i > 0 ? i - 1 : (q ? q->n - 1 : 0);
	if (q && q->last[qi] >= first)
		return q->slot[qi];
	q = i < x->n ? x : x->next;
	qi = i < x->n ? i : 0;
	if (q && q->first[qi] <= last)
		return q->slot[qi];
	return NULL;
}

int range_tree_insert(struct range_tree *t, uint64_t first, uint64_t last, void *value,
		      void **ret_conflict)
{
	struct rt_node *path[RT_MAX_HEIGHT], *x = t->root;
	unsigned at[RT_MAX_HEIGHT], depth = 0, i;
	void *hit;
	int r;

	if (first > last)
		return -EINVAL;
	while (!x->leaf) {
		path[depth] = x;
		at[depth] = child_index(x, first);
		x = x->slot[at[depth++]];
	}
	i = upper_bound(x->first, x->n, first);
	hit = overlapping(x, i, first, last);
	if (hit) {
		if (ret_conflict)
			*ret_conflict = hit;
		return -EEXIST;
	}
	r = reserve_nodes(t);
	if (r < 0)
		return r;

	open_slot(x, i);
	x->first[i] = first;
	x->last[i] = last;
	x->slot[i] = value;

	while (x->n == RT_ORDER) {
		uint64_t bound;
		struct rt_node *y = split(t, x, &bound), *parent;
		unsigned c;

		if (depth == 0) {
			parent = take_node(t, false);
			parent->n = 2;
			parent->slot[0] = x;
			parent->slot[1] = y;
			parent->first[1] = bound;
			t->root = parent;
			t->height++;
			break;
		}
		parent = path[--depth];
		c = at[depth] + 1;
		open_slot(parent, c);
		parent->slot[c] = y;
		parent->first[c] = bound;
		x = parent;
	}
	return 0;
}

void *range_tree_find(const struct range_tree *t, uint64_t key)
{
	const struct rt_node *x = t->root, *q;
	unsigned i;

	while (!x->leaf)
		x = x->slot[child_index(x, key)];
	i = upper_bound(x->first, x->n, key);
	q = i > 0 ? x : x->prev;
	if (!q)
		return NULL;
	i = i > 0 ? i - 1 : q->n - 1;
	return q->last[i] >= key ? q->slot[i] : NULL;
}

void *range_tree_remove(struct range_tree *t, uint64_t first)
{
	struct rt_node *path[RT_MAX_HEIGHT], *x = t->root;
	unsigned at[RT_MAX_HEIGHT], depth = 0, i;
	void *value;

	while (!x->leaf) {
		path[depth] = x;
		at[depth] = child_index(x, first);
		x = x->slot[at[depth++]];
	}
	i = upper_bound(x->first, x->n, first);
	if (i == 0 || x->first[i - 1] != first)
		return NULL;
	value = x->slot[i - 1];
	close_slot(x, i - 1);

	/* Unlink what emptied, bottom up; a lone leaf stays. */
	while (x->n == 0 && depth > 0 && (!x->leaf || x->prev || x->next)) {
		struct rt_node *parent = path[--depth];

		if (x->leaf) {
			if (x->prev)
				x->prev->next = x->next;
			if (x->next)
				x->next->prev = x->prev;
		}
		free(x);
		close_slot(parent, at[depth]);
		x = parent;
	}
	while (!t->root->leaf && t->root->n == 1) {
		x = t->root;
		t->root = x->slot[0];
		free(x);
		t->height--;
	}
	return value;
}

/*
 * Checks the subtree x, whose keys must lie in [lo, hi) (has_hi: hi is a
 * bound), at depth levels from the root; counts ranges into *count and
 * follows the leaf chain in *leaf. false when something is broken.
 */
static bool verify_node(const struct range_tree *t, const struct rt_node *x, uint64_t lo,
			bool has_hi, uint64_t hi, unsigned depth, const struct rt_node **leaf,
			long *count)
{
	if (x->n >= RT_ORDER || (x->n == 0 && x != t->root))
		return false;
	if (x->leaf) {
		if (depth != t->height - 1 || x != *leaf)
			return false;
		for (unsigned i = 0; i < x->n; i++) {
			if (x->first[i] < lo || (has_hi && x->first[i] >= hi) ||
			    x->last[i] < x->first[i] || (i > 0 && x->first[i] <= x->last[i - 1]))
				return false;
		}
		if (x->n && x->prev && (!x->prev->n || x->prev->last[x->prev->n - 1] >= x->first[0]))
			return false;
		if (x->next && x->next->prev != x)
			return false;
		*leaf = x->next;
		*count += x->n;
		return true;
	}
	if (x == t->root && x->n < 2)
		return false;
	for (unsigned i = 0; i < x->n; i++) {
		uint64_t clo = i ? x->first[i] : lo;
		bool chas_hi = i + 1 < x->n ? true : has_hi;
		uint64_t chi = i + 1 < x->n ? x->first[i + 1] : hi;

		if ((i && x->first[i] < lo) || (i && has_hi && x->first[i] >= hi) ||
		    (i > 1 && x->first[i] <= x->first[i - 1]))
			return false;
		if (!verify_node(t, x->slot[i], clo, chas_hi, chi, depth + 1, leaf, count))
			return false;
	}
	return true;
}

long range_tree_verify(const struct range_tree *t)
{
	const struct rt_node *leaf = t->root;
	long count = 0;

	while (!leaf->leaf)
		leaf = leaf->slot[0];
	if (leaf->prev)
		return -1;
	if (!verify_node(t, t->root, 0, false, 0, 0, &leaf, &count) || leaf)
		return -1;
	return count;
}
