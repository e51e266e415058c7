/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dtb_build(): the steps in order (dtb-internal.h says which file does
 * what). The definition is checked before anything is built; the base tree
 * is written; a user overlay is checked and applied on copies; the result
 * is checked again for what the RM relies on (as a self-check when there
 * is no overlay); last, the blob must fit the arm64 boot protocol and pass
 * fdt_check_full().
 */
#include <errno.h>
#include <stdlib.h>

#include <libfdt.h>

#include "gunyah/dbus-names.h"
#include "dtb-internal.h"
#include "util/bus-error.h"
#include "vmdef.h"

void dtb_gic_layout(const struct vmdef *def, struct dtb_gic *ret)
{
	uint64_t redist_size = DTB_GICR_STRIDE * def->vcpus;

	*ret = (struct dtb_gic) {
		.dist = def->devicetree.gic_dist,
		.dist_size = DTB_GICD_SIZE,
		.redist = def->devicetree.gic_redist,
		.redist_size = redist_size,
	};
	if (def->devicetree.gic_dist == VMDEF_DEFAULT_GICD &&
	    def->devicetree.gic_redist == VMDEF_DEFAULT_GICR)
		ret->redist = VMDEF_DEFAULT_GICD - redist_size;
}

/* The blob as a bootloader takes it. */
static int check_blob(const struct vmdef *def, const struct dtb_inputs *in, const void *fdt,
		      sd_bus_error *error)
{
	if (fdt_totalsize(fdt) > DTB_BLOB_MAX)
		return bus_error_setf(error, -E2BIG, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': the devicetree is %u bytes, over the %u-byte limit of the arm64 boot protocol",
				def->name, fdt_totalsize(fdt), DTB_BLOB_MAX);
	if (fdt_check_full(fdt, fdt_totalsize(fdt)) != 0)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': the devicetree%s%s%s does not pass fdt_check_full",
				def->name, in->overlay ? " with overlay '" : "",
				in->overlay ? dtb_overlay_name(in) : "", in->overlay ? "'" : "");
	return 0;
}

int dtb_build(const struct vmdef *def, const struct dtb_inputs *in, void **ret_blob,
	      size_t *ret_size, sd_bus_error *error)
{
	static const struct dtb_inputs no_inputs = {};
	_cleanup_free_ void *base = NULL, *merged = NULL;
	struct dtb_gic gic;
	void *out, *shrunk;
	int r;

	if (!in)
		in = &no_inputs;
	dtb_gic_layout(def, &gic);
	r = dtb_check_def(def, in, &gic, error);
	if (r < 0)
		return r;
	r = dtb_write_base(def, in, &gic, &base, error);
	if (r < 0)
		return r;
	if (in->overlay) {
		r = dtb_overlay_apply(def, in, base, &merged, error);
		if (r < 0)
			return r;
	}
	out = merged ?: base;
	r = dtb_check_tree(def, in, &gic, base, out, error);
	if (r < 0)
		return r;
	r = check_blob(def, in, out, error);
	if (r < 0)
		return r;

	*ret_size = fdt_totalsize(out);
	out = merged ? steal_ptr(merged) : steal_ptr(base);
	shrunk = realloc(out, *ret_size);
	*ret_blob = shrunk ?: out;
	return 0;
}
