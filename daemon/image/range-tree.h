/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An ordered index of disjoint ranges [first, last] of uint64_t, each with a
 * value: a B+tree whose leaves hold the ranges side by side, so that a
 * lookup reads a few dense nodes instead of one scattered node per level.
 * O(log n) insert, find and remove.
 *
 * Ranges are given by their last element, so one that ends at 2^64 - 1 is
 * representable. The tree never stores overlapping ranges: an insert that
 * would overlap changes nothing and names the lowest stored range it hits.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct range_tree;

int range_tree_new(struct range_tree **ret);
/* Frees the tree, calling free_value (if non-NULL) on every stored value. */
void range_tree_free(struct range_tree *t, void (*free_value)(void *value));

/*
 * Stores [first, last] (first <= last) with value. Errors, with nothing
 * changed: -EEXIST when it overlaps a stored range (*ret_conflict, if
 * non-NULL, gets the value of the lowest such range); -ENOMEM.
 */
int range_tree_insert(struct range_tree *t, uint64_t first, uint64_t last, void *value,
		      void **ret_conflict);

/* The value of the stored range containing x, or NULL. */
void *range_tree_find(const struct range_tree *t, uint64_t x);

/* Removes the range that starts at first; returns its value, or NULL if there is none. */
void *range_tree_remove(struct range_tree *t, uint64_t first);

/* For tests: checks order, bounds, leaf links and heights; the range count or -1. */
long range_tree_verify(const struct range_tree *t);
