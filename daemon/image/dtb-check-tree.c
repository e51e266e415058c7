/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks on the resulting tree: after a user overlay, what the RM relies
 * on still holds (ref §N: shared reference rm-vm-config-dt.md), and what
 * the daemon generated is still there; without one, the same checks are a
 * self-check of the writer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "gunyah/dbus-names.h"
#include "dtb-internal.h"
#include "rm-limits.h"
#include "util/bus-error.h"
#include "vmdef.h"

#define DTB_SHM_DEFAULT_GENERATE "/hypervisor/qcom,shm"

struct check {
	const void *base;	/* the tree as generated */
	const void *fdt;	/* the tree to check */
	const struct vmdef *def;
	const struct dtb_inputs *in;
	char *msg;		/* the first problem found (malloc'd) */
	int r;			/* 0, -EINVAL with msg, or -ENOMEM */
	const char **generates;	/* vdevice generate paths seen */
	size_t n_generates;
};

static __attribute__((format(printf, 2, 3))) int check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (c->r < 0)
		return c->r;
	va_start(ap, fmt);
	k = vasprintf(&c->msg, fmt, ap);
	va_end(ap);
	c->r = k < 0 ? -ENOMEM : -EINVAL;
	if (k < 0)
		c->msg = NULL;
	return c->r;
}

static int node_path(const void *fdt, int node, char buf[static RM_DT_PATH_MAX])
{
	if (fdt_get_path(fdt, node, buf, RM_DT_PATH_MAX) < 0)
		snprintf(buf, RM_DT_PATH_MAX, "(a node with a path over %d characters)",
			 RM_DT_PATH_MAX - 1);
	return 0;
}

static bool prop_is_u32(const void *fdt, int node, const char *name, uint32_t want)
{
	const fdt32_t *v;
	int len;

	v = fdt_getprop(fdt, node, name, &len);
	return v && len == sizeof(*v) && fdt32_to_cpu(*v) == want;
}

static bool prop_has_string(const void *fdt, int node, const char *name, const char *s)
{
	const char *v;
	int len;

	v = fdt_getprop(fdt, node, name, &len);
	return v && len > 0 && fdt_stringlist_contains(v, len, s);
}

/*
 * Every property (and, with recurse, every subnode) of base's node bn is in
 * fdt's node n with the same bytes; additions are allowed.
 */
static int check_subset(struct check *c, int bn, int n, bool recurse)
{
	char path[RM_DT_PATH_MAX];
	int prop, sub;

	fdt_for_each_property_offset(prop, c->base, bn) {
		const char *name;
		const void *want, *got;
		int wlen, glen;

		want = fdt_getprop_by_offset(c->base, prop, &name, &wlen);
		if (!want)
			continue;
		got = fdt_getprop(c->fdt, n, name, &glen);
		if (!got || glen != wlen || memcmp(got, want, (size_t) wlen) != 0) {
			node_path(c->base, bn, path);
			return check_fail(c, "%s property '%s' of %s", got ? "changes" : "removes",
					  name, path);
		}
	}
	if (!recurse)
		return 0;
	fdt_for_each_subnode(sub, c->base, bn) {
		const char *name = fdt_get_name(c->base, sub, NULL);
		int other = fdt_subnode_offset(c->fdt, n, name);

		if (other < 0) {
			node_path(c->base, sub, path);
			return check_fail(c, "removes %s", path);
		}
		if (check_subset(c, sub, other, true) < 0)
			return c->r;
	}
	return 0;
}

static int check_same_path(struct check *c, const char *path, bool recurse)
{
	int bn = fdt_path_offset(c->base, path);
	int n = fdt_path_offset(c->fdt, path);

	if (bn < 0)
		return 0;
	if (n < 0)
		return check_fail(c, "removes %s", path);
	return check_subset(c, bn, n, recurse);
}

static int check_generate(struct check *c, int node, const char *generate)
{
	char path[RM_DT_PATH_MAX];
	const char **g;

	for (size_t i = 0; i < c->n_generates; i++)
		if (strcmp(c->generates[i], generate) == 0) {
			node_path(c->fdt, node, path);
			return check_fail(c, "gives vdevice %s the generate path '%s' of another vdevice (the RM would merge them)",
					  path, generate);
		}
	g = reallocarray(c->generates, c->n_generates + 1, sizeof(*g));
	if (!g) {
		c->r = -ENOMEM;
		return c->r;
	}
	c->generates = g;
	c->generates[c->n_generates++] = generate;
	return 0;
}

/* The vdevice rules the RM applies to shm/virtio-mmio nodes (ref §6, §9 item 8). */
static int check_vdevice(struct check *c, int node, const char *vtype, int vlen)
{
	char path[RM_DT_PATH_MAX];
	bool is_shm = fdt_stringlist_contains(vtype, vlen, "shm") ||
		      fdt_stringlist_contains(vtype, vlen, "shm-doorbell");
	bool has_mem = is_shm || fdt_stringlist_contains(vtype, vlen, "virtio-mmio");
	const char *generate;
	int len, sub, n_sub = 0;

	node_path(c->fdt, node, path);
	generate = fdt_getprop(c->fdt, node, "generate", &len);
	if (generate && (len < 2 || generate[len - 1] != '\0' || generate[0] != '/'))
		return check_fail(c, "gives vdevice %s a generate that is not a path", path);
	if (!generate && is_shm)
		generate = DTB_SHM_DEFAULT_GENERATE;
	if (generate && check_generate(c, node, generate) < 0)
		return c->r;
	if (!has_mem)
		return 0;
	if (!fdt_getprop(c->fdt, node, "peer-default", NULL))
		return check_fail(c, "leaves vdevice %s without peer-default", path);
	fdt_for_each_subnode(sub, c->fdt, node) {
		bool base, alloc;

		n_sub++;
		if (strcmp(fdt_get_name(c->fdt, sub, NULL), "memory") != 0)
			return check_fail(c, "gives vdevice %s a subnode other than 'memory'",
					  path);
		if (!fdt_getprop(c->fdt, sub, "label", NULL) &&
		    !fdt_getprop(c->fdt, sub, "qcom,label", NULL))
			return check_fail(c, "leaves %s/memory without a label", path);
		base = fdt_getprop(c->fdt, sub, "base", NULL) != NULL;
		alloc = fdt_getprop(c->fdt, sub, "allocate-base", NULL) != NULL;
		if (base == alloc)
			return check_fail(c, "gives %s/memory %s of base and allocate-base", path,
					  base ? "both" : "neither");
	}
	if (n_sub != 1)
		return check_fail(c, "gives vdevice %s %d subnodes (exactly one 'memory' is needed)",
				  path, n_sub);
	return 0;
}

/* A /reserved-memory child with reg must match a region exactly (ref §7). */
static int check_reserved_memory(struct check *c)
{
	char path[RM_DT_PATH_MAX];
	int node, sub;

	node = fdt_path_offset(c->fdt, "/reserved-memory");
	if (node < 0)
		return 0;
	fdt_for_each_subnode(sub, c->fdt, node) {
		const fdt64_t *reg;
		bool matched = false;
		int len;

		reg = fdt_getprop(c->fdt, sub, "reg", &len);
		if (!reg)
			continue;
		if (len == 4 * sizeof(fdt32_t))
			for (size_t i = 0; i < c->def->n_regions && !matched; i++)
				matched = fdt64_ld(&reg[0]) == c->def->regions[i].base &&
					  fdt64_ld(&reg[1]) == c->def->regions[i].size;
		if (!matched) {
			node_path(c->fdt, sub, path);
			return check_fail(c, "adds %s, whose reg is not exactly one region (the RM would deny it)",
					  path);
		}
	}
	return 0;
}

/*
 * Appends name to the path of its parent, whose length path_len[depth - 1]
 * holds (the root is at depth 1): one pass over the tree, where
 * fdt_get_path() per node would walk it from the start every time.
 */
static bool path_push(char path[static RM_DT_PATH_MAX], size_t *path_len, int depth,
		      const char *name)
{
	size_t at = depth > 1 ? path_len[depth - 1] : 0, n = name ? strlen(name) : 0;

	if (depth == 1) {
		strcpy(path, "/");
		path_len[1] = 1;
		return true;
	}
	if (at > 1)
		path[at++] = '/';
	if (at + n >= RM_DT_PATH_MAX)
		return false;
	memcpy(path + at, name, n);
	path[at + n] = '\0';
	path_len[depth] = at + n;
	return true;
}

static int check_nodes(struct check *c)
{
	char path[RM_DT_PATH_MAX];
	size_t path_len[RM_DT_DEPTH_MAX + 2];
	int node = 0, depth = 0;	/* the root is at depth 1 */

	for (node = fdt_next_node(c->fdt, -1, &depth); node >= 0;
	     node = fdt_next_node(c->fdt, node, &depth)) {
		const char *name = fdt_get_name(c->fdt, node, NULL);
		const char *vtype;
		int len;

		/* The first node too deep fails below: its parent is never deeper. */
		if (depth < 1 || depth > RM_DT_DEPTH_MAX + 1 || !path_push(path, path_len, depth, name))
			return check_fail(c, "adds a node whose path is %d characters or more (the RM's limit)",
					  RM_DT_PATH_MAX);
		if (depth - 1 >= RM_DT_DEPTH_MAX)
			return check_fail(c, "nests %s deeper than the RM's %d levels", path,
					  RM_DT_DEPTH_MAX);
		if (depth == 2 && strncmp(name, "memory@", 7) == 0)
			return check_fail(c, "adds %s; the RM accepts only /memory", path);
		if (prop_has_string(c->fdt, node, "device_type", "memory") &&
		    strcmp(path, "/memory") != 0)
			return check_fail(c, "gives %s device_type \"memory\"; the RM accepts only /memory",
					  path);
		vtype = fdt_getprop(c->fdt, node, "vdevice-type", &len);
		if (vtype && len > 0 && check_vdevice(c, node, vtype, len) < 0)
			return c->r;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return check_fail(c, "leaves a damaged tree (%s)", fdt_strerror(node));
	return 0;
}

static int check_cpus(struct check *c)
{
	char path[RM_DT_PATH_MAX];
	uint32_t n = 0;
	int cpus, sub;

	/* /cpus and our cpu nodes as generated; idle states are the user's to tune. */
	if (check_same_path(c, "/cpus", false) < 0)
		return c->r;
	for (uint32_t i = 0; i < c->def->vcpus; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%" PRIx32, i);
		if (check_same_path(c, path, true) < 0)
			return c->r;
	}
	cpus = fdt_path_offset(c->fdt, "/cpus");
	if (cpus < 0)
		return check_fail(c, "removes /cpus");
	fdt_for_each_subnode(sub, c->fdt, cpus) {
		if (!prop_has_string(c->fdt, sub, "device_type", "cpu"))
			continue;
		n++;
		node_path(c->fdt, sub, path);
		/* Ours have none; any status could leave no boot vCPU (ref §4). */
		if (fdt_getprop(c->fdt, sub, "status", NULL))
			return check_fail(c, "sets status on %s", path);
		if (!fdt_getprop(c->fdt, sub, "cpu-idle-states", NULL))
			return check_fail(c, "leaves %s without cpu-idle-states (PSCI is on)",
					  path);
	}
	if (n != c->def->vcpus)
		return check_fail(c, "makes %" PRIu32 " cpu nodes for %" PRIu32
				  " vCPUs (vcpus/affinity-map has one entry per vCPU)",
				  n, c->def->vcpus);
	return 0;
}

static int check_vm_config(struct check *c)
{
	static const char *const denied[][2] = {
		/* Refused for untrusted configs (ref §9 item 7). */
		{ "/gunyah-vm-config", "gic-irq-ranges" },
		{ "/gunyah-vm-config", "iomemory-ranges" },
		{ "/gunyah-vm-config/memory", "is-direct" },
	};
	int node;

	if (fdt_path_offset(c->fdt, "/qcom,vm-config") >= 0)
		return check_fail(c, "adds /qcom,vm-config next to /gunyah-vm-config");
	if (check_same_path(c, "/gunyah-vm-config", true) < 0)
		return c->r;
	for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
		node = fdt_path_offset(c->fdt, denied[i][0]);
		if (node >= 0 && fdt_getprop(c->fdt, node, denied[i][1], NULL))
			return check_fail(c, "sets %s in %s, which the RM denies", denied[i][1],
					  denied[i][0]);
	}
	node = fdt_path_offset(c->fdt, "/gunyah-vm-config");
	if (prop_has_string(c->fdt, node, "vm-attrs", "crash-fatal"))
		return check_fail(c, "sets vm-attrs \"crash-fatal\", which the RM denies");
	return 0;
}

static int check_chosen(struct check *c)
{
	static const char *const initrd[] = { "linux,initrd-start", "linux,initrd-end" };
	int node = fdt_path_offset(c->fdt, "/chosen");

	if (node < 0)
		return check_fail(c, "removes /chosen, which the RM's overlay needs");
	for (size_t i = 0; i < ELEMENTSOF(initrd); i++) {
		const fdt64_t *v;
		int len;

		v = fdt_getprop(c->fdt, node, initrd[i], &len);
		if (!c->in->has_ramdisk && v)
			return check_fail(c, "sets /chosen %s without a ramdisk", initrd[i]);
		if (c->in->has_ramdisk &&
		    (!v || len != sizeof(*v) ||
		     fdt64_ld(v) != (i == 0 ? c->in->initrd_start : c->in->initrd_end)))
			return check_fail(c, "changes /chosen %s; the daemon places the ramdisk",
					  initrd[i]);
	}
	return 0;
}

static int check_result(struct check *c, const struct dtb_gic *gic)
{
	char path[80];
	int node;

	if (!prop_is_u32(c->fdt, 0, "#address-cells", 2) ||
	    !prop_is_u32(c->fdt, 0, "#size-cells", 2))
		return check_fail(c, "changes the root #address-cells/#size-cells from 2/2");
	if (!prop_is_u32(c->fdt, 0, "interrupt-parent", PHANDLE_GIC))
		return check_fail(c, "changes the root interrupt-parent");
	if (fdt_path_offset(c->fdt, "/hypervisor") >= 0)
		return check_fail(c, "adds /hypervisor, which the RM refuses (it writes that node)");
	node = fdt_path_offset(c->fdt, "/memory");
	if (node < 0 || !prop_has_string(c->fdt, node, "device_type", "memory"))
		return check_fail(c, "removes /memory or its device_type");
	if (check_chosen(c) < 0 || check_cpus(c) < 0 || check_vm_config(c) < 0)
		return c->r;
	path[0] = '/';
	dtb_gic_node_name(gic, path + 1, sizeof(path) - 1);
	if (check_same_path(c, path, true) < 0)
		return c->r;
	if (check_nodes(c) < 0 || check_reserved_memory(c) < 0)
		return c->r;
	return 0;
}

int dtb_check_tree(const struct vmdef *def, const struct dtb_inputs *in,
		   const struct dtb_gic *gic, const void *base, const void *fdt,
		   sd_bus_error *error)
{
	struct check c = { .base = base, .fdt = fdt, .def = def, .in = in };
	_cleanup_free_ char *msg = NULL;
	int r;

	r = check_result(&c, gic);
	free(c.generates);
	msg = c.msg;
	if (r == -ENOMEM)
		return bus_error_oom(error);
	if (r < 0 && in->overlay)
		return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree overlay '%s' %s", def->name,
				dtb_overlay_name(in), msg);
	if (r < 0)
		return bus_error_setf(error, -EIO, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': generated devicetree %s (a gunyahd bug)", def->name, msg);
	return 0;
}
