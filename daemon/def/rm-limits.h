/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the Resource Manager accepts of a VM (its devicetree parser and its
 * memory rules; ../shared/reference and the real RM's sources): the one
 * home of these facts. The schema (vmdef.c) refuses what the RM would, the
 * layout and loader work in its page size, and the devicetree writer
 * (image/dtb-check-def.c) checks the ranges again before the RM sees them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define RM_PAGE_SIZE		4096ull		/* memparcel granule */
#define RM_IPA_BITS_DEFAULT	36		/* a secondary VM's address space */
#define RM_MEMORY_BASE_ALIGN	(2ull << 20)	/* the RM aligns a VM's base up silently */
#define RM_DT_PATH_MAX		256		/* the RM's MAX_PATH_LEN */
#define RM_DT_DEPTH_MAX		16		/* the RM's MAX_DEPTH */

/* Ranged values of a VM's devicetree, checked against one table. */
enum rm_limit_id {
	RM_LIMIT_IMAGE_NAME_LEN,
	RM_LIMIT_OS_TYPE_LEN,
	RM_LIMIT_SCHED_PRIORITY,
	RM_LIMIT_SCHED_TIMESLICE,
	_RM_LIMIT_MAX,
};

struct rm_limit {
	const char *key;	/* the definition's key, for messages */
	int64_t min, max;	/* inclusive */
	const char *unit;	/* "characters", "us" or "" */
	const char *why;	/* what the RM does outside the range */
};

const struct rm_limit *rm_limit(enum rm_limit_id id);

static inline bool rm_limit_ok(enum rm_limit_id id, int64_t v)
{
	const struct rm_limit *l = rm_limit(id);

	return v >= l->min && v <= l->max;
}
