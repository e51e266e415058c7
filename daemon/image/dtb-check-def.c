/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The definition's values the RM refuses, checked before anything is
 * built: vmdef checks them too, but the RM's word (rm-limits.h) is final,
 * and a definition built by hand must hold what vmdef guarantees
 * (asserted). Then the GIC ranges: aligned, and clear of each other, of
 * main memory and of every region.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "gunyah/dbus-names.h"
#include "dtb-internal.h"
#include "rm-limits.h"
#include "util/bus-error.h"
#include "vmdef.h"

static bool range_overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	/* Half-open; sizes are non-zero and ends do not wrap (checked before). */
	return a < b + bsize && b < a + asize;
}

static bool range_wraps(uint64_t base, uint64_t size)
{
	return size == 0 || size - 1 > UINT64_MAX - base;
}

struct named_range {
	const char *name;
	uint64_t base;
	uint64_t size;
};

/* One GIC range on its own: 64 KiB aligned, not wrapping. */
static int check_gic_range(const struct vmdef *def, const struct named_range *g,
			   sd_bus_error *error)
{
	if (g->base % DTB_GIC_ALIGN)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': %s base 0x%" PRIx64
				" is not 64 KiB aligned, which the RM refuses",
				def->name, g->name, g->base);
	if (range_wraps(g->base, g->size))
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': %s [0x%" PRIx64 ", +0x%" PRIx64
				") overflows the address space",
				def->name, g->name, g->base, g->size);
	return 0;
}

/* One GIC range against main memory and every region. */
static int check_gic_clear(const struct vmdef *def, const struct named_range *g,
			   sd_bus_error *error)
{
	if (range_overlaps(g->base, g->size, def->memory.base, def->memory.size))
		return bus_error_setf(error, -EEXIST, GH_ERROR_LAYOUT_CONFLICT,
				"VM '%s': '%s' [0x%" PRIx64 ", 0x%" PRIx64
				") overlaps 'memory' [0x%" PRIx64 ", 0x%" PRIx64 ")",
				def->name, g->name, g->base, g->base + g->size,
				def->memory.base, def->memory.base + def->memory.size);
	for (size_t k = 0; k < def->n_regions; k++) {
		const struct vmdef_region *reg = &def->regions[k];

		if (range_overlaps(g->base, g->size, reg->base, reg->size))
			return bus_error_setf(error, -EEXIST, GH_ERROR_LAYOUT_CONFLICT,
					"VM '%s': '%s' [0x%" PRIx64 ", 0x%" PRIx64
					") overlaps 'regions[%zu]' (label %" PRIu32
					") [0x%" PRIx64 ", 0x%" PRIx64 ")",
					def->name, g->name, g->base, g->base + g->size, k,
					reg->label, reg->base, reg->base + reg->size);
	}
	return 0;
}

static int check_gic(const struct vmdef *def, const struct dtb_gic *gic, sd_bus_error *error)
{
	struct named_range gics[2] = {
		{ "GIC distributor", gic->dist, gic->dist_size },
		{ "GIC redistributors", gic->redist, gic->redist_size },
	};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(gics); i++) {
		r = check_gic_range(def, &gics[i], error);
		if (r < 0)
			return r;
	}
	if (range_overlaps(gic->dist, gic->dist_size, gic->redist, gic->redist_size))
		return bus_error_setf(error, -EEXIST, GH_ERROR_LAYOUT_CONFLICT,
				"VM '%s': 'GIC redistributors' [0x%" PRIx64 ", 0x%" PRIx64
				") overlaps 'GIC distributor' [0x%" PRIx64 ", 0x%" PRIx64 ")",
				def->name, gic->redist, gic->redist + gic->redist_size,
				gic->dist, gic->dist + gic->dist_size);
	for (size_t i = 0; i < ELEMENTSOF(gics); i++) {
		r = check_gic_clear(def, &gics[i], error);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A value of def outside the RM's range (rm-limits.h): InvalidDefinition, naming the range. */
static int check_rm_limit(const struct vmdef *def, enum rm_limit_id id, int64_t v,
			  sd_bus_error *error)
{
	const struct rm_limit *l = rm_limit(id);

	if (rm_limit_ok(id, v))
		return 0;
	return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
			      "VM '%s': %s %" PRId64 "%s%s is outside %" PRId64 "..%" PRId64 " (%s)",
			      def->name, l->key, v, l->unit[0] ? " " : "", l->unit, l->min, l->max,
			      l->why);
}

/* Values the RM refuses; vmdef checks them too, but the RM's word is final. */
static int check_rm_limits(const struct vmdef *def, sd_bus_error *error)
{
	const char *image_name = def->devicetree.image_name ?: def->name;
	int r;

	r = check_rm_limit(def, RM_LIMIT_IMAGE_NAME_LEN, (int64_t) strlen(image_name), error);
	if (r == 0 && def->devicetree.os_type)
		r = check_rm_limit(def, RM_LIMIT_OS_TYPE_LEN,
				   (int64_t) strlen(def->devicetree.os_type), error);
	if (r == 0)
		r = check_rm_limit(def, RM_LIMIT_SCHED_PRIORITY, def->devicetree.sched_priority,
				   error);
	if (r == 0)
		r = check_rm_limit(def, RM_LIMIT_SCHED_TIMESLICE, def->devicetree.sched_timeslice,
				   error);
	return r;
}

/* vmdef guarantees these; a definition built by hand must, too. */
static void assert_vmdef(const struct vmdef *def)
{
	assert(def->name);
	assert(def->vcpus >= 1 && def->vcpus <= VMDEF_MAX_VCPUS);
	assert(def->devicetree.affinity >= 0 && def->devicetree.affinity < _VMDEF_AFFINITY_MAX);
	assert(def->memory.size > 0 && !range_wraps(def->memory.base, def->memory.size));
	for (size_t i = 0; i < def->n_regions; i++) {
		assert(def->regions[i].label != 0);
		for (size_t k = 0; k < i; k++)
			assert(def->regions[k].label != def->regions[i].label);
	}
}

/* What the loader passes: the initrd inside main memory, the overlay within its limit. */
static int check_inputs(const struct vmdef *def, const struct dtb_inputs *in,
			sd_bus_error *error)
{
	if (in->has_ramdisk &&
	    (in->initrd_end <= in->initrd_start ||
	     in->initrd_start < def->memory.base ||
	     in->initrd_end - def->memory.base > def->memory.size))
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': initrd [0x%" PRIx64 ", 0x%" PRIx64
				") is empty or outside main memory",
				def->name, in->initrd_start, in->initrd_end);
	if (in->overlay && in->overlay_size > DTB_OVERLAY_MAX)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree overlay '%s' is %zu bytes, over the %u-byte limit",
				def->name, dtb_overlay_name(in), in->overlay_size,
				DTB_OVERLAY_MAX);
	return 0;
}

int dtb_check_def(const struct vmdef *def, const struct dtb_inputs *in,
		  const struct dtb_gic *gic, sd_bus_error *error)
{
	int r;

	assert_vmdef(def);
	r = check_rm_limits(def, error);
	if (r == 0)
		r = check_inputs(def, in, error);
	if (r == 0)
		r = check_gic(def, gic, error);
	return r;
}
