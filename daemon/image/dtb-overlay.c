/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A user overlay (a .dtbo compiled with `dtc -@`): refused when it is not
 * one or when libfdt would mishandle it, else applied on copies, since
 * fdt_overlay_apply() damages both inputs when it fails. What the result
 * must still hold for the RM is dtb-check-tree.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "gunyah/dbus-names.h"
#include "dtb-internal.h"
#include "rm-limits.h"
#include "util/bus-error.h"
#include "vmdef.h"

#define DTB_OVERLAY_DEPTH_MAX	(2 * RM_DT_DEPTH_MAX)	/* nesting of a user .dtbo */
#define DTB_OVERLAY_ITEMS_MAX	2048	/* nodes + properties of a user .dtbo */

/* A blob whose every offset and string libfdt may follow, within the bytes read. */
static bool overlay_is_dtb(const struct dtb_inputs *in)
{
	const void *ovl = in->overlay;

	return in->overlay_size >= sizeof(struct fdt_header) && fdt_check_header(ovl) == 0 &&
	       fdt_totalsize(ovl) <= in->overlay_size &&
	       fdt_check_full(ovl, in->overlay_size) == 0;
}

/* A .dtbo rather than a plain .dtb: a fragment with an __overlay__ node. */
static bool overlay_has_fragment(const struct dtb_inputs *in)
{
	const void *ovl = in->overlay;
	int frag;

	fdt_for_each_subnode(frag, ovl, 0)
		if (fdt_subnode_offset(ovl, frag, "__overlay__") >= 0)
			return true;
	return false;
}

/*
 * fdt_overlay_apply() trusts an overlay's structure more than a caller's
 * file deserves (libfdt 1.6.1 and later alike): it recurses once per
 * nesting level, so a deep overlay overflows the stack; it applies the
 * offsets of __local_fixups__ and __fixups__ to their properties without a
 * bounds check that holds (an out-of-bounds read, and a write at a wrapped
 * offset); and its time grows with the square of the nodes and properties
 * it adds (20000 took 46 s). These walk the overlay the way libfdt does,
 * with the same lookups, and refuse what it would mishandle before it runs.
 */

/*
 * 0; -ELOOP when nodes nest deeper than DTB_OVERLAY_DEPTH_MAX (or the
 * walk fails); -E2BIG for more than DTB_OVERLAY_ITEMS_MAX nodes and
 * properties.
 */
static int overlay_shape_check(const void *ovl)
{
	int node, prop, depth = 0;
	unsigned items = 0;

	for (node = fdt_next_node(ovl, -1, &depth); node >= 0;
	     node = fdt_next_node(ovl, node, &depth)) {
		if (depth > DTB_OVERLAY_DEPTH_MAX)
			return -ELOOP;
		items++;
		fdt_for_each_property_offset(prop, ovl, node)
			items++;
		if (items > DTB_OVERLAY_ITEMS_MAX)
			return -E2BIG;
	}
	return node == -FDT_ERR_NOTFOUND ? 0 : -ELOOP;
}

static bool overlay_items_ok(const struct dtb_inputs *in)
{
	return overlay_shape_check(in->overlay) != -E2BIG;
}

/* After overlay_items_ok(): what the same walk refuses besides (a failed walk too). */
static bool overlay_depth_ok(const struct dtb_inputs *in)
{
	return overlay_shape_check(in->overlay) == 0;
}

/* A 4-byte cell at off inside a property of len bytes. */
static bool cell_in_prop(uint64_t off, int len)
{
	return len >= (int) sizeof(fdt32_t) && off <= (uint64_t) len - sizeof(fdt32_t);
}

/* __local_fixups__ node fixups against the overlay's node tree (overlay depth bounds it). */
static bool overlay_local_fixups_ok(const void *ovl, int tree, int fixups)
{
	int prop, sub;

	fdt_for_each_property_offset(prop, ovl, fixups) {
		const fdt32_t *offs;
		const char *name;
		int len, tree_len;

		offs = fdt_getprop_by_offset(ovl, prop, &name, &len);
		if (!offs || len % sizeof(fdt32_t) != 0 || !fdt_getprop(ovl, tree, name, &tree_len))
			return false;
		for (int i = 0; i < len / (int) sizeof(fdt32_t); i++)
			if (!cell_in_prop(fdt32_ld(&offs[i]), tree_len))
				return false;
	}
	fdt_for_each_subnode(sub, ovl, fixups) {
		const char *name = fdt_get_name(ovl, sub, NULL);
		int child = name ? fdt_subnode_offset(ovl, tree, name) : -FDT_ERR_BADSTRUCTURE;

		if (child < 0 || !overlay_local_fixups_ok(ovl, child, sub))
			return false;
	}
	return true;
}

/* Every "path:property:offset" of every __fixups__ property. */
static bool overlay_fixups_ok(const void *ovl, int fixups)
{
	int prop;

	fdt_for_each_property_offset(prop, ovl, fixups) {
		const char *v, *end;
		int len;

		v = fdt_getprop_by_offset(ovl, prop, NULL, &len);
		if (!v || len <= 0 || v[len - 1] != '\0')
			return false;
		for (end = v + len; v < end; v += strlen(v) + 1) {
			const char *path = v, *name, *num;
			uint64_t off = 0;
			int node, plen;

			name = strchr(path, ':');
			num = name ? strchr(name + 1, ':') : NULL;
			if (!num || name == path || num == name + 1 || num[1] == '\0')
				return false;
			for (const char *c = num + 1; *c; c++) {
				if (*c < '0' || *c > '9' || off > UINT32_MAX)
					return false;
				off = off * 10 + (uint64_t) (*c - '0');
			}
			node = fdt_path_offset_namelen(ovl, path, (int) (name - path));
			if (node < 0 ||
			    !fdt_getprop_namelen(ovl, node, name + 1, (int) (num - name - 1), &plen) ||
			    !cell_in_prop(off, plen))
				return false;
		}
	}
	return true;
}

static bool overlay_fixups_in_bounds(const struct dtb_inputs *in)
{
	const void *ovl = in->overlay;
	int node;

	node = fdt_path_offset(ovl, "/__local_fixups__");
	if (node >= 0 && !overlay_local_fixups_ok(ovl, 0, node))
		return false;
	node = fdt_path_offset(ovl, "/__fixups__");
	return node < 0 || overlay_fixups_ok(ovl, node);
}

/* Applies ovl on copies of base and ovl; *ret is a new, unpacked blob. */
static int apply_overlay(const void *base, const void *ovl, size_t ovl_size, void **ret)
{
	size_t size = fdt_totalsize(base) + 2 * ovl_size + 4096;
	_cleanup_free_ void *ovl_copy = NULL;

	ovl_copy = malloc(ovl_size);
	if (!ovl_copy)
		return -ENOMEM;

	for (;;) {
		_cleanup_free_ void *buf = NULL;
		int r;

		if (size > 4 * (size_t) DTB_BLOB_MAX)
			return -FDT_ERR_NOSPACE;
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = fdt_open_into(base, buf, (int) size);
		if (r < 0)
			return r;
		/* fdt_overlay_apply() damages both trees even when it fails. */
		memcpy(ovl_copy, ovl, ovl_size);
		r = fdt_overlay_apply(buf, ovl_copy);
		if (r == -FDT_ERR_NOSPACE) {
			size *= 2;
			continue;
		}
		if (r < 0)
			return r;
		*ret = steal_ptr(buf);
		return 0;
	}
}

/*
 * A refusal: "devicetree overlay 'NAME' <refusal>", or with a limit
 * "... <refusal> <limit> <unit>". All are InvalidDefinition (-EINVAL).
 */
struct overlay_rule {
	bool (*ok)(const struct dtb_inputs *in);
	const char *refusal;
	int limit;		/* 0: none */
	const char *unit;
};

/* In order: each rule may rely on the ones before it. */
static const struct overlay_rule overlay_rules[] = {
	{ overlay_is_dtb, "is not a valid devicetree blob" },
	{ overlay_has_fragment,
	  "has no fragment with an __overlay__ node (is it a plain .dtb rather than a .dtbo?)" },
	{ overlay_items_ok, "has more than", DTB_OVERLAY_ITEMS_MAX, "nodes and properties" },
	{ overlay_depth_ok, "nests nodes deeper than", DTB_OVERLAY_DEPTH_MAX, "levels" },
	{ overlay_fixups_in_bounds,
	  "has a __fixups__ or __local_fixups__ entry that does not point into a property of the overlay" },
};

static int overlay_check(const struct vmdef *def, const struct dtb_inputs *in,
			 sd_bus_error *error)
{
	for (size_t i = 0; i < ELEMENTSOF(overlay_rules); i++) {
		const struct overlay_rule *rule = &overlay_rules[i];

		if (rule->ok(in))
			continue;
		if (rule->limit)
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					      "VM '%s': devicetree overlay '%s' %s %d %s",
					      def->name, dtb_overlay_name(in), rule->refusal,
					      rule->limit, rule->unit);
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				      "VM '%s': devicetree overlay '%s' %s", def->name,
				      dtb_overlay_name(in), rule->refusal);
	}
	return 0;
}

int dtb_overlay_apply(const struct vmdef *def, const struct dtb_inputs *in, const void *base,
		      void **ret, sd_bus_error *error)
{
	_cleanup_free_ void *merged = NULL;
	int r;

	r = overlay_check(def, in, error);
	if (r < 0)
		return r;
	r = apply_overlay(base, in->overlay, fdt_totalsize(in->overlay), &merged);
	if (r == -ENOMEM)
		return bus_error_oom(error);
	if (r < 0)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree overlay '%s' cannot be applied: %s",
				def->name, dtb_overlay_name(in), fdt_strerror(r));
	r = fdt_pack(merged);
	if (r < 0)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree overlay '%s' left a tree that cannot be packed: %s",
				def->name, dtb_overlay_name(in), fdt_strerror(r));
	*ret = steal_ptr(merged);
	return 0;
}
