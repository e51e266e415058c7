/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stddef.h>

#include "rm-limits.h"

static const struct rm_limit rm_limits[_RM_LIMIT_MAX] = {
	[RM_LIMIT_IMAGE_NAME_LEN] = {
		"devicetree.image-name", 1, 79, "characters", "the RM refuses 80 or more",
	},
	[RM_LIMIT_OS_TYPE_LEN] = {
		"devicetree.os-type", 1, 79, "characters", "the RM refuses 80 or more",
	},
	[RM_LIMIT_SCHED_PRIORITY] = {
		"devicetree.sched-priority", -32, -1, "", "the RM denies 0 and above",
	},
	[RM_LIMIT_SCHED_TIMESLICE] = {
		"devicetree.sched-timeslice", 100, 100000, "us", "the RM refuses others",
	},
};

const struct rm_limit *rm_limit(enum rm_limit_id id)
{
	assert(id >= 0 && id < _RM_LIMIT_MAX);
	return &rm_limits[id];
}
