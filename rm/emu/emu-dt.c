// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: VM_INIT's devicetree parse, after the Gunyah Resource
 * Manager's rules as shared reference rm-vm-config-dt.md describes them
 * (section numbers below refer to it).
 *
 * Three phases, each with its own RM error, as in the RM's VM_INIT:
 *  1. map and walk (§1): every node in file order is offered to the listener
 *     table, first match wins; any listener error is MEM_INVALID;
 *  2. config update (VMC vm_config_update_parsed): ARGUMENT_INVALID;
 *  3. vdevice, vCPU and GIC creation: NORESOURCE.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "emu-internal.h"

#define EMU_DT_MAX_DEPTH	16	/* MAX_DEPTH: deeper nesting asserts in the RM */
#define EMU_DT_PATH_MAX		256	/* MAX_PATH_LEN, NUL included */
#define EMU_DT_PAGE		0x1000ULL
#define EMU_DT_2M		0x200000ULL
#define EMU_DT_64K		0x10000ULL
#define EMU_DT_ROOT_PRIORITY	32	/* ROOTVM_PRIORITY: the owner's priority */
#define EMU_DT_TIMESLICE_MIN	100	/* µs */
#define EMU_DT_TIMESLICE_MAX	100000	/* µs */
#define EMU_DT_MAX_PUSH_COMPAT	6

static const char *const emu_dt_vdev_names[_EMU_DT_VDEV_MAX] = {
	[EMU_DT_VDEV_RM_RPC] = "rm-rpc",
	[EMU_DT_VDEV_SHM_DOORBELL] = "shm-doorbell",
	[EMU_DT_VDEV_SHM] = "shm",
	[EMU_DT_VDEV_DOORBELL_SOURCE] = "doorbell-source",
	[EMU_DT_VDEV_DOORBELL] = "doorbell",
	[EMU_DT_VDEV_MSGQ] = "message-queue",
	[EMU_DT_VDEV_MSGQ_PAIR] = "message-queue-pair",
	[EMU_DT_VDEV_VIRTIO_MMIO] = "virtio-mmio",
	[EMU_DT_VDEV_IOMEM] = "iomem",
	[EMU_DT_VDEV_VSMMU] = "vsmmu-v2",
	[EMU_DT_VDEV_VRTC] = "vrtc-pl031",
};

const char *emu_dt_vdev_type_name(enum emu_dt_vdev_type type)
{
	if ((unsigned int)type >= _EMU_DT_VDEV_MAX)
		return "unknown";
	return emu_dt_vdev_names[type];
}

struct emu_dt_ctx {
	const void *fdt;
	const struct emu_dt_platform *plat;
	struct emu_dt_config *cfg;
	struct emu_dt_error *err;
	bool vm_config_seen;
	bool psci_node_seen;	/* an arm,psci-* node earlier in the blob */
	bool root_gic;		/* the root interrupt-parent is a valid GIC */
	bool interrupts_seen;
	struct emu_dt_config root_gic_cfg;	/* only the gic_* fields are used */
};

static int __printf(3, 4) emu_dt_fail(struct emu_dt_error *err, u32 rm_error, const char *fmt, ...)
{
	va_list ap;

	err->rm_error = rm_error;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define PARSE_FAIL(c, ...)	emu_dt_fail((c)->err, GH_RM_ERROR_MEM_INVALID, __VA_ARGS__)

/* ---------------------------------------------------------------------------
 * Property helpers (DTBP fdt_getprop_*: exact lengths, else "absent")
 */
static bool emu_dt_has(const void *fdt, int node, const char *name)
{
	return fdt_getprop(fdt, node, name, NULL);
}

static bool emu_dt_u32(const void *fdt, int node, const char *name, u32 *ret)
{
	const fdt32_t *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != 4)
		return false;
	*ret = fdt32_to_cpu(*p);
	return true;
}

static bool emu_dt_u64(const void *fdt, int node, const char *name, u64 *ret)
{
	const fdt32_t *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != 8)
		return false;
	*ret = ((u64)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]);
	return true;
}

/* A number of @cells cells (1 or 2); any other length reads as absent */
static bool emu_dt_num(const void *fdt, int node, const char *name, u32 cells, u64 *ret)
{
	const fdt32_t *p;
	int len;

	if (cells < 1 || cells > 2)
		return false;
	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != (int)(cells * 4))
		return false;
	*ret = cells == 1 ? fdt32_to_cpu(p[0]) :
			    ((u64)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]);
	return true;
}

/* A NUL-terminated string property (its first entry), or NULL */
static const char *emu_dt_str(const void *fdt, int node, const char *name)
{
	const char *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len < 1 || strnlen(p, (size_t)len) == (size_t)len)
		return NULL;
	return p;
}

static bool emu_dt_strlist_has(const void *fdt, int node, const char *name, const char *s)
{
	const char *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	return p && len > 0 && fdt_stringlist_contains(p, len, s);
}

/* Cell counts a node's children use: its own #address-cells/#size-cells, default 2/1 */
static void emu_dt_cells(const void *fdt, int node, u32 *ret_ac, u32 *ret_sc)
{
	if (node < 0 || !emu_dt_u32(fdt, node, "#address-cells", ret_ac))
		*ret_ac = 2;
	if (node < 0 || !emu_dt_u32(fdt, node, "#size-cells", ret_sc))
		*ret_sc = 1;
}

static u64 emu_dt_cells_at(const fdt32_t *p, u32 cells)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

static void emu_dt_short_path(const void *fdt, int node, char *buf, size_t len)
{
	char path[EMU_DT_PATH_MAX];
	size_t n;

	if (fdt_get_path(fdt, node, path, sizeof(path)) < 0) {
		snprintf(buf, len, "?");
		return;
	}
	n = strlen(path);
	if (n < len)
		memcpy(buf, path, n + 1);
	else
		snprintf(buf, len, "...%s", path + n - (len - 4));
}

/* The rest of @path after "/gunyah-vm-config" or "/qcom,vm-config", or NULL */
static const char *emu_dt_vmcfg_suffix(const char *path)
{
	static const char *const prefixes[] = { "/gunyah-vm-config", "/qcom,vm-config" };
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		n = strlen(prefixes[i]);
		if (!strncmp(path, prefixes[i], n) && (path[n] == '\0' || path[n] == '/'))
			return path + n;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------
 * GIC (QDT platform_parse_gic)
 */
static int emu_dt_gic(struct emu_dt_ctx *c, int node, struct emu_dt_config *out)
{
	const void *fdt = c->fdt;
	const fdt32_t *reg;
	u32 v, ac, sc;
	u64 stride;
	int len;

	if (!emu_dt_strlist_has(fdt, node, "compatible", "arm,gic-v3"))
		return PARSE_FAIL(c, "interrupt controller is not arm,gic-v3");
	if (!emu_dt_has(fdt, node, "interrupt-controller"))
		return PARSE_FAIL(c, "GIC lacks interrupt-controller");
	if (!emu_dt_u32(fdt, node, "#interrupt-cells", &v) || v != 3)
		return PARSE_FAIL(c, "GIC #interrupt-cells is not 3");
	if (emu_dt_has(fdt, node, "#redistributor-regions") &&
	    (!emu_dt_u32(fdt, node, "#redistributor-regions", &v) || v != 1))
		return PARSE_FAIL(c, "GIC #redistributor-regions is not 1");

	out->gicr_stride = EMU_DT_GICR_STRIDE;
	if (fdt_getprop(fdt, node, "redistributor-stride", NULL)) {
		if (!emu_dt_u64(fdt, node, "redistributor-stride", &stride) ||
		    stride < EMU_DT_GICR_STRIDE || stride % EMU_DT_64K)
			return PARSE_FAIL(c, "bad GIC redistributor-stride");
		out->gicr_stride = stride;
	}

	out->gic_has_reg = false;
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (reg) {
		emu_dt_cells(fdt, fdt_parent_offset(fdt, node), &ac, &sc);
		if (ac < 1 || ac > 2 || sc > 2 || len % (int)((ac + sc) * 4) ||
		    len / (int)((ac + sc) * 4) < 2)
			return PARSE_FAIL(c, "GIC reg needs GICD and GICR entries");
		out->gicd = emu_dt_cells_at(reg, ac);
		out->gicr = emu_dt_cells_at(reg + ac + sc, ac);
		out->gic_has_reg = true;
	}
	out->gic_found = true;
	return 0;
}

/* Whether @node carries a phandle (the RM looks GICs up by phandle) */
static bool emu_dt_has_phandle(const void *fdt, int node)
{
	u32 ph = fdt_get_phandle(fdt, node);

	return ph != 0 && ph != (u32)-1;
}

/* QDT platform_parse_root: errors are ignored here */
static int emu_dt_parse_root(struct emu_dt_ctx *c, int node)
{
	struct emu_dt_error saved = *c->err;
	u32 ph;
	int gic;

	if (!emu_dt_u32(c->fdt, node, "interrupt-parent", &ph))
		return 0;
	gic = fdt_node_offset_by_phandle(c->fdt, ph);
	if (gic >= 0 && emu_dt_gic(c, gic, &c->root_gic_cfg) == 0)
		c->root_gic = true;
	*c->err = saved;
	return 0;
}

/* QDT platform_parse_interrupts: vm-config/interrupts { config } */
static int emu_dt_parse_interrupts(struct emu_dt_ctx *c, int node)
{
	const void *fdt = c->fdt;
	const char *p;
	int len, gic;

	c->interrupts_seen = true;
	p = fdt_getprop(fdt, node, "config", &len);
	if (!p) {
		if (!c->root_gic)
			return PARSE_FAIL(c, "interrupts without config and no root GIC");
		return 0;
	}
	if (len > 1 && p[0] == '/' && strnlen(p, (size_t)len) < (size_t)len) {
		gic = fdt_path_offset(fdt, p);
		if (gic < 0)
			return PARSE_FAIL(c, "interrupts config path not found");
		if (!emu_dt_has_phandle(fdt, gic))
			return PARSE_FAIL(c, "GIC node has no phandle");
	} else if (len == 4) {
		/* the RM warns: "looks like a phandle ... should be a path" */
		gic = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(*(const fdt32_t *)p));
		if (gic < 0)
			return PARSE_FAIL(c, "interrupts config phandle not found");
	} else {
		return PARSE_FAIL(c, "interrupts config unreadable");
	}
	return emu_dt_gic(c, gic, c->cfg);
}

/* ---------------------------------------------------------------------------
 * /gunyah-vm-config and its memory and vcpus nodes (PARSER)
 */
static bool emu_dt_guid_ok(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	size_t g;
	int i;

	for (g = 0; g < ARRAY_SIZE(groups); g++) {
		for (i = 0; i < groups[g]; i++, s++)
			if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
			      (*s >= 'A' && *s <= 'F')))
				return false;
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == '\0';
}

static int emu_dt_parse_vm_config(struct emu_dt_ctx *c, int node)
{
	const void *fdt = c->fdt;
	struct emu_dt_config *cfg = c->cfg;
	const char *p, *s;
	u32 ac, sc, tuple;
	int len, n, i;

	c->vm_config_seen = true;
	p = emu_dt_str(fdt, node, "image-name");
	if (!p)
		return PARSE_FAIL(c, "image-name missing");
	if (strlen(p) >= EMU_DT_NAME_MAX)
		return PARSE_FAIL(c, "image-name too long");
	memcpy(cfg->image_name, p, strlen(p) + 1);

	p = emu_dt_str(fdt, node, "vm-guid");
	if (fdt_getprop(fdt, node, "vm-guid", NULL) && (!p || !emu_dt_guid_ok(p)))
		return PARSE_FAIL(c, "vm-guid malformed");

	p = fdt_getprop(fdt, node, "vm-attrs", &len);
	if (p) {
		n = fdt_stringlist_count(fdt, node, "vm-attrs");
		if (n < 0)
			return PARSE_FAIL(c, "vm-attrs malformed");
		for (i = 0; i < n; i++) {
			s = fdt_stringlist_get(fdt, node, "vm-attrs", i, NULL);
			if (!s)
				return PARSE_FAIL(c, "vm-attrs malformed");
			if (!strcmp(s, "crash-fatal")) {
				/* which implies no-shutdown and no-reset */
				cfg->crash_fatal = true;
				cfg->no_shutdown = true;
				cfg->no_reset = true;
			} else if (!strcmp(s, "no-shutdown")) {
				cfg->no_shutdown = true;
			} else if (!strcmp(s, "no-reset")) {
				cfg->no_reset = true;
			}
			/* others: a warning in the RM */
		}
	}

	/* iomemory-ranges: (phys, ipa, size, access) with the root's cells */
	p = fdt_getprop(fdt, node, "iomemory-ranges", &len);
	if (p) {
		const fdt32_t *q = (const fdt32_t *)p;
		u64 phys, ipa, size;

		emu_dt_cells(fdt, 0, &ac, &sc);
		tuple = 2 * ac + sc + 1;
		if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || len % (int)(tuple * 4))
			return PARSE_FAIL(c, "iomemory-ranges malformed");
		for (i = 0; i < len / (int)(tuple * 4); i++, q += tuple) {
			phys = emu_dt_cells_at(q, ac);
			ipa = emu_dt_cells_at(q + ac, ac);
			size = emu_dt_cells_at(q + 2 * ac, sc);
			if ((phys | ipa | size) % EMU_DT_PAGE || fdt32_to_cpu(q[tuple - 1]) >= 7)
				return PARSE_FAIL(c, "iomemory-ranges entry invalid");
		}
		cfg->has_iomem_ranges = true;
	}

	p = fdt_getprop(fdt, node, "gic-irq-ranges", &len);
	if (p) {
		if (len % 8)
			return PARSE_FAIL(c, "gic-irq-ranges malformed");
		cfg->has_gic_irq_ranges = true;
	}
	return 0;
}

/* Generic bits of base-mem-constraints (include/vm_ipa_message.h) */
#define EMU_DT_MEM_ECC		0x1U
#define EMU_DT_MEM_TAGGED	0x2U
#define EMU_DT_MEM_NORMAL	0x4U
#define EMU_DT_MEM_BASE_COMPAT	0x40U

static int emu_dt_parse_vm_memory(struct emu_dt_ctx *c, int node, bool *ret_bad_constraints)
{
	const void *fdt = c->fdt;
	struct emu_dt_config *cfg = c->cfg;
	const fdt32_t *q;
	u32 ac, sc, gen, plat = 0;
	u64 v;
	int len;

	/* the properties use the vm-config node's cells, 2/1 by default */
	emu_dt_cells(fdt, fdt_parent_offset(fdt, node), &ac, &sc);

	if (emu_dt_num(fdt, node, "base-address", ac, &v)) {
		if (v % EMU_DT_PAGE)
			return PARSE_FAIL(c, "base-address not page aligned");
		if (v % EMU_DT_2M) {
			/* "aligning up" with a warning */
			v = (v + EMU_DT_2M - 1) & ~(EMU_DT_2M - 1);
			cfg->mem_base_rounded = true;
		}
		cfg->mem_base = v;
		cfg->mem_base_given = true;
		cfg->size_max = v ? ~0ULL - v + 1 : ~0ULL;
	}
	if (emu_dt_num(fdt, node, "size-min", sc, &v)) {
		if (v % EMU_DT_PAGE)
			return PARSE_FAIL(c, "size-min not page aligned");
		cfg->size_min = v;
	}
	if (emu_dt_num(fdt, node, "size-max", sc, &v)) {
		if (v % EMU_DT_PAGE)
			return PARSE_FAIL(c, "size-max not page aligned");
		if (v && cfg->mem_base + v - 1 < cfg->mem_base)
			return PARSE_FAIL(c, "base-address + size-max overflows");
		cfg->size_max = v;
	}
	if (emu_dt_num(fdt, node, "firmware-address", ac, &v) && v % EMU_DT_PAGE)
		return PARSE_FAIL(c, "firmware-address not page aligned");
	if (emu_dt_num(fdt, node, "firmware-size-max", sc, &v) && v % EMU_DT_PAGE)
		return PARSE_FAIL(c, "firmware-size-max not page aligned");
	if (emu_dt_has(fdt, node, "is-direct"))
		cfg->is_direct = true;

	q = fdt_getprop(fdt, node, "base-mem-constraints", &len);
	*ret_bad_constraints = false;
	if (q) {
		if (len % 4 || len / 4 > 2)
			return PARSE_FAIL(c, "base-mem-constraints has more than 2 entries");
		if (len >= 4) {
			gen = fdt32_to_cpu(q[0]);
			if (len == 8)
				plat = fdt32_to_cpu(q[1]);
			if (gen & ~(EMU_DT_MEM_ECC | EMU_DT_MEM_TAGGED | EMU_DT_MEM_NORMAL |
				    EMU_DT_MEM_BASE_COMPAT) ||
			    (gen && gen != EMU_DT_MEM_BASE_COMPAT && !(gen & EMU_DT_MEM_NORMAL)) ||
			    plat)
				*ret_bad_constraints = true;
		}
	}
	return 0;
}

static int emu_dt_parse_vcpus(struct emu_dt_ctx *c, int node)
{
	const void *fdt = c->fdt;
	struct emu_dt_config *cfg = c->cfg;
	const char *path, *aff, *status, *method, *parent_method;
	bool boot_seen = false, idle_all = true, boot;
	int cpus, cpu, len;
	u32 v;

	cfg->vcpus_node = true;
	aff = emu_dt_str(fdt, node, "affinity");
	cfg->proxy = aff && !strcmp(aff, "proxy");
	/* static, sticky and pinned differ only in the hypervisor; unknown stays static */

	path = emu_dt_str(fdt, node, "config");
	if (!path)
		path = "/cpus";
	cpus = fdt_path_offset(fdt, path);
	if (cpus < 0)
		return PARSE_FAIL(c, "vcpus config path does not resolve");
	parent_method = emu_dt_str(fdt, cpus, "enable-method");

	cfg->psci = c->psci_node_seen;
	cfg->n_vcpus = 0;
	fdt_for_each_subnode(cpu, fdt, cpus) {
		if (!emu_dt_strlist_has(fdt, cpu, "device_type", "cpu"))
			continue;
		status = emu_dt_str(fdt, cpu, "status");
		if (!status)
			boot = !boot_seen;
		else if (!strcmp(status, "okay"))
			boot = true;
		else if (!strcmp(status, "disabled"))
			boot = false;
		else if (!strncmp(status, "fail", 4))
			continue;
		else
			return PARSE_FAIL(c, "cpu status '%.20s' not understood", status);
		if (boot) {
			boot_seen = true;
		} else {
			method = emu_dt_str(fdt, cpu, "enable-method");
			if (!method)
				method = parent_method;
			if (!method)
				return PARSE_FAIL(c, "secondary cpu without enable-method");
			if (!strcmp(method, "psci"))
				cfg->psci = true;
			else if (strcmp(method, "qcom,gunyah-hvc"))
				return PARSE_FAIL(c, "secondary cpu enable-method '%.20s'", method);
		}
		if (emu_dt_has(fdt, cpu, "cpu-idle-states"))
			cfg->psci = true;
		else
			idle_all = false;
		if (cfg->n_vcpus == EMU_DT_MAX_VCPUS)
			return PARSE_FAIL(c, "too many cpu nodes");
		cfg->n_vcpus++;
	}
	if (!cfg->n_vcpus)
		return PARSE_FAIL(c, "no usable cpu node");
	if (!boot_seen)
		return PARSE_FAIL(c, "no boot cpu");
	if (cfg->psci && !cfg->proxy && !idle_all)
		return PARSE_FAIL(c, "PSCI enabled and a cpu lacks cpu-idle-states");

	if (!cfg->proxy) {
		if (!fdt_getprop(fdt, node, "affinity-map", &len) || len <= 0 || len % 4)
			return PARSE_FAIL(c, "affinity-map missing");
		cfg->n_affinity = (u32)len / 4;
		if (cfg->n_affinity != cfg->n_vcpus)
			return PARSE_FAIL(c, "affinity-map has %u entries for %u cpus",
					  cfg->n_affinity, cfg->n_vcpus);
		if (emu_dt_u32(fdt, node, "sched-priority", &v))
			cfg->sched_priority = (int32_t)v;
		if (emu_dt_u32(fdt, node, "sched-timeslice", &v))
			cfg->sched_timeslice = v;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * vdevices (PARSER parse_*)
 */
static bool emu_dt_peer_ok(const void *fdt, int node, bool default_only)
{
	static const char *const kinds[] = { "vm-name:", "vm-uri:", "vm-guid:" };
	const char *peer;
	size_t i, n;

	if (emu_dt_has(fdt, node, "peer-default"))
		return true;
	if (default_only)
		return false;
	peer = emu_dt_str(fdt, node, "peer");
	if (!peer)
		return false;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		n = strlen(kinds[i]);
		if (!strncmp(peer, kinds[i], n) && peer[n])
			return true;
	}
	return false;
}

/*
 * Fixed interrupts (read_interrupts_config): exactly 3 cells per expected
 * IRQ, trigger 1 or 4, number in range; anything else reads as absent and
 * the RM allocates the IRQs itself.
 */
static void emu_dt_vdev_irqs(const void *fdt, int node, u32 expected, struct emu_dt_vdev *vd)
{
	static const u32 max[4] = { 987, 15, 1023, 63 };	/* SPI, PPI, ESPI, EPPI */
	const fdt32_t *q;
	u32 i, type, num, flags;
	int len;

	vd->n_irqs = 0;
	q = fdt_getprop(fdt, node, "interrupts", &len);
	if (!q || len != (int)(expected * 12))
		return;
	for (i = 0; i < expected; i++) {
		type = fdt32_to_cpu(q[3 * i]);
		num = fdt32_to_cpu(q[3 * i + 1]);
		flags = fdt32_to_cpu(q[3 * i + 2]) & 0xf;
		if (type > 3 || num > max[type] || (flags != 1 && flags != 4))
			return;
	}
	for (i = 0; i < expected; i++) {
		type = fdt32_to_cpu(q[3 * i]);
		num = fdt32_to_cpu(q[3 * i + 1]);
		vd->irq_type[i] = type;
		vd->irq[i] = type == 0 ? num + 32 : num;
	}
	vd->n_irqs = expected;
}

/* PARSER parse_memory_node: exactly one subnode, named memory */
static int emu_dt_vdev_memory(struct emu_dt_ctx *c, int node, struct emu_dt_vdev *vd,
			      bool need_base)
{
	const void *fdt = c->fdt;
	int sub, mem = -1, n = 0;
	bool has_base, has_alloc;
	u32 ac, sc, label;
	u64 base = 0;

	fdt_for_each_subnode(sub, fdt, node) {
		if (strcmp(fdt_get_name(fdt, sub, NULL), "memory"))
			return PARSE_FAIL(c, "%s: subnode other than memory", vd->path);
		mem = sub;
		n++;
	}
	if (n != 1)
		return PARSE_FAIL(c, "%s: needs exactly one memory subnode", vd->path);

	if (!emu_dt_u32(fdt, mem, "qcom,label", &label) && !emu_dt_u32(fdt, mem, "label", &label))
		return PARSE_FAIL(c, "%s: memory has no label", vd->path);
	emu_dt_cells(fdt, node, &ac, &sc);
	has_base = emu_dt_num(fdt, mem, "base", ac, &base);
	has_alloc = emu_dt_has(fdt, mem, "allocate-base");
	if (need_base && has_base == has_alloc)
		return PARSE_FAIL(c, "%s: memory needs exactly one of base and allocate-base",
				  vd->path);
	if (has_base && base % EMU_DT_PAGE)
		return PARSE_FAIL(c, "%s: memory base not page aligned", vd->path);

	vd->has_memory = true;
	vd->fixed_base = has_base;
	vd->base = base;
	vd->optional = emu_dt_has(fdt, mem, "optional");
	/* a label on the vdevice node overrides the memory subnode's */
	if (!emu_dt_u32(fdt, node, "qcom,label", &vd->label) &&
	    !emu_dt_u32(fdt, node, "label", &vd->label))
		vd->label = label;
	return 0;
}

static int emu_dt_parse_vdev(struct emu_dt_ctx *c, int node, enum emu_dt_vdev_type type)
{
	const void *fdt = c->fdt;
	struct emu_dt_config *cfg = c->cfg;
	struct emu_dt_vdev *vd;
	const char *gen;
	int n, max_push = EMU_DT_MAX_PUSH_COMPAT;
	bool snd, rcv, base, alloc;
	u32 v;
	u64 b;

	if (cfg->n_vdevs == EMU_DT_MAX_VDEVS)
		return PARSE_FAIL(c, "too many vdevices");
	vd = &cfg->vdevs[cfg->n_vdevs++];
	memset(vd, 0, sizeof(*vd));
	vd->type = type;
	emu_dt_short_path(fdt, node, vd->path, sizeof(vd->path));

	/* general properties (parse_general_vdevice_props) */
	if (!emu_dt_u32(fdt, node, "qcom,label", &vd->label))
		(void)emu_dt_u32(fdt, node, "label", &vd->label);
	gen = NULL;
	if (fdt_getprop(fdt, node, "generate", NULL)) {
		gen = emu_dt_str(fdt, node, "generate");
		if (!gen || gen[0] != '/')
			return PARSE_FAIL(c, "%s: generate must be a path", vd->path);
	}
	if (type == EMU_DT_VDEV_RM_RPC)
		max_push = 3;
	if (fdt_getprop(fdt, node, "push-compatible", NULL)) {
		n = fdt_stringlist_count(fdt, node, "push-compatible");
		if (n < 0 || n > max_push)
			return PARSE_FAIL(c, "%s: more than %d push-compatible", vd->path,
					  max_push);
	}

	switch (type) {
	case EMU_DT_VDEV_RM_RPC:
		if (!gen)
			return PARSE_FAIL(c, "%s: rm-rpc without generate", vd->path);
		emu_dt_vdev_irqs(fdt, node, 2, vd);
		if (emu_dt_has(fdt, node, "console-dev"))
			c->cfg->has_console = true;
		break;
	case EMU_DT_VDEV_SHM_DOORBELL:
	case EMU_DT_VDEV_SHM:
	case EMU_DT_VDEV_VIRTIO_MMIO:
		if (!emu_dt_peer_ok(fdt, node, true))
			return PARSE_FAIL(c, "%s: peer-default missing", vd->path);
		return emu_dt_vdev_memory(c, node, vd, true);
	case EMU_DT_VDEV_IOMEM:
		if (!emu_dt_peer_ok(fdt, node, true))
			return PARSE_FAIL(c, "%s: peer-default missing", vd->path);
		if (!gen && !emu_dt_has(fdt, node, "patch"))
			return PARSE_FAIL(c, "%s: iomem needs generate or patch", vd->path);
		return emu_dt_vdev_memory(c, node, vd, false);
	case EMU_DT_VDEV_DOORBELL_SOURCE:
		if (!emu_dt_peer_ok(fdt, node, false))
			return PARSE_FAIL(c, "%s: no peer-default or peer", vd->path);
		break;
	case EMU_DT_VDEV_DOORBELL:
		if (!emu_dt_peer_ok(fdt, node, false))
			return PARSE_FAIL(c, "%s: no peer-default or peer", vd->path);
		emu_dt_vdev_irqs(fdt, node, 1, vd);
		break;
	case EMU_DT_VDEV_MSGQ:
		snd = emu_dt_has(fdt, node, "is-sender");
		rcv = emu_dt_has(fdt, node, "is-receiver");
		if (snd == rcv)
			return PARSE_FAIL(c, "%s: needs one of is-sender and is-receiver",
					  vd->path);
		if (!emu_dt_peer_ok(fdt, node, true))
			return PARSE_FAIL(c, "%s: peer-default missing", vd->path);
		vd->is_sender = snd;
		emu_dt_vdev_irqs(fdt, node, 1, vd);
		break;
	case EMU_DT_VDEV_MSGQ_PAIR:
		if (!emu_dt_peer_ok(fdt, node, false))
			return PARSE_FAIL(c, "%s: no peer-default or peer", vd->path);
		emu_dt_vdev_irqs(fdt, node, 2, vd);
		break;
	case EMU_DT_VDEV_VSMMU:
		if (!emu_dt_has(fdt, node, "smmu-handle") || !emu_dt_has(fdt, node, "patch") ||
		    !emu_dt_u32(fdt, node, "num-cbs", &v) || v > 255 ||
		    !emu_dt_u32(fdt, node, "num-smrs", &v) || v > 255)
			return PARSE_FAIL(c, "%s: vsmmu-v2 properties invalid", vd->path);
		break;
	case EMU_DT_VDEV_VRTC:
		base = emu_dt_u64(fdt, node, "base", &b);
		alloc = emu_dt_has(fdt, node, "allocate-base");
		if (base == alloc)
			return PARSE_FAIL(c, "%s: needs exactly one of base and allocate-base",
					  vd->path);
		break;
	case _EMU_DT_VDEV_MAX:
		break;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * /reserved-memory children, for the VM_START check (CRE patch_resmem_nodes)
 */
static int emu_dt_note_resmem(struct emu_dt_ctx *c)
{
	const void *fdt = c->fdt;
	struct emu_dt_config *cfg = c->cfg;
	struct emu_dt_resmem *r;
	const fdt32_t *reg;
	int rm, child, len;
	u32 ac, sc;

	rm = fdt_path_offset(fdt, "/reserved-memory");
	if (rm < 0)
		return 0;
	emu_dt_cells(fdt, rm, &ac, &sc);
	fdt_for_each_subnode(child, fdt, rm) {
		if (cfg->n_resmem == EMU_DT_MAX_RESMEM)
			return emu_dt_fail(c->err, GH_RM_ERROR_NORESOURCE,
					   "too many reserved-memory nodes");
		r = &cfg->resmem[cfg->n_resmem++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", fdt_get_name(fdt, child, NULL));
		r->has_label = emu_dt_u32(fdt, child, "qcom,label", &r->label);
		reg = fdt_getprop(fdt, child, "reg", &len);
		if (reg && ac >= 1 && ac <= 2 && sc >= 1 && sc <= 2 && len > 0 &&
		    len % (int)((ac + sc) * 4) == 0) {
			r->has_reg = true;
			r->multi_reg = len > (int)((ac + sc) * 4);
			r->addr = emu_dt_cells_at(reg, ac);
			r->size = emu_dt_cells_at(reg + ac, sc);
		} else if (reg) {
			r->has_reg = true;
			r->multi_reg = true;	/* unusable: refused like a multi-entry reg */
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Phase 1: the walk
 */
static int emu_dt_visit(struct emu_dt_ctx *c, int node, int depth, bool *ret_bad_constraints)
{
	static const enum emu_dt_vdev_type order[] = {
		EMU_DT_VDEV_RM_RPC, EMU_DT_VDEV_SHM_DOORBELL, EMU_DT_VDEV_SHM,
		EMU_DT_VDEV_DOORBELL_SOURCE, EMU_DT_VDEV_DOORBELL, EMU_DT_VDEV_MSGQ,
		EMU_DT_VDEV_MSGQ_PAIR, EMU_DT_VDEV_VIRTIO_MMIO, EMU_DT_VDEV_IOMEM,
		EMU_DT_VDEV_VSMMU, EMU_DT_VDEV_VRTC,
	};
	const void *fdt = c->fdt;
	char path[EMU_DT_PATH_MAX];
	const char *suffix;
	size_t i;
	int r;

	if (depth > EMU_DT_MAX_DEPTH)
		return PARSE_FAIL(c, "nesting deeper than %d levels", EMU_DT_MAX_DEPTH);
	r = fdt_get_path(fdt, node, path, sizeof(path));
	if (r < 0)
		return PARSE_FAIL(c, "node path longer than %d characters", EMU_DT_PATH_MAX - 1);

	/* 1: device_type memory, allowed only as /memory */
	if (emu_dt_strlist_has(fdt, node, "device_type", "memory")) {
		if (depth != 1 || strcmp(fdt_get_name(fdt, node, NULL), "memory"))
			return PARSE_FAIL(c, "memory node %.40s is not /memory", path);
		return 0;
	}
	/* 2-4: the vm-config node, its memory and vcpus */
	suffix = emu_dt_vmcfg_suffix(path);
	if (suffix && !strcmp(suffix, ""))
		return emu_dt_parse_vm_config(c, node);
	if (suffix && !strcmp(suffix, "/memory"))
		return emu_dt_parse_vm_memory(c, node, ret_bad_constraints);
	if (suffix && !strcmp(suffix, "/vcpus"))
		return emu_dt_parse_vcpus(c, node);
	/* 5-15: vdevice-type, anywhere in the tree; unknown types are ignored */
	for (i = 0; i < ARRAY_SIZE(order); i++)
		if (emu_dt_strlist_has(fdt, node, "vdevice-type", emu_dt_vdev_names[order[i]]))
			return emu_dt_parse_vdev(c, node, order[i]);
	/* 16, 17: PSCI */
	if (emu_dt_strlist_has(fdt, node, "compatible", "arm,psci-0.2") ||
	    emu_dt_strlist_has(fdt, node, "compatible", "arm,psci-1.0")) {
		c->psci_node_seen = true;
		return 0;
	}
	/* 18: interrupts { config } */
	if (suffix && !strcmp(suffix, "/interrupts"))
		return emu_dt_parse_interrupts(c, node);
	/* 19: the root */
	if (depth == 0)
		return emu_dt_parse_root(c, node);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Phases 2 and 3
 */
static bool emu_dt_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int emu_dt_update(const struct emu_dt_config *cfg, bool bad_constraints,
			 struct emu_dt_error *err)
{
	/* "trusted config" is never set in the open-source RM: every SVM is untrusted */
	if (cfg->crash_fatal)
		return emu_dt_fail(err, GH_RM_ERROR_ARGUMENT_INVALID,
				   "vm-attrs crash-fatal denied for untrusted config");
	if (cfg->is_direct)
		return emu_dt_fail(err, GH_RM_ERROR_ARGUMENT_INVALID,
				   "memory is-direct denied for untrusted config");
	if (cfg->mem_base >= EMU_DT_ADDR_SPACE)
		return emu_dt_fail(err, GH_RM_ERROR_ARGUMENT_INVALID,
				   "base-address outside the 36-bit IPA space");
	if (cfg->size_min > cfg->size_max)
		return emu_dt_fail(err, GH_RM_ERROR_ARGUMENT_INVALID, "size-min > size-max");
	if (bad_constraints)
		return emu_dt_fail(err, GH_RM_ERROR_ARGUMENT_INVALID,
				   "base-mem-constraints invalid");
	return 0;
}

static int emu_dt_create(const struct emu_dt_config *cfg, const struct emu_dt_platform *plat,
			 struct emu_dt_error *err)
{
	const u32 nores = GH_RM_ERROR_NORESOURCE;
	u32 used[2 * EMU_DT_MAX_VDEVS], n_used = 0, i, j, k;
	u64 gicr_len, ram = plat->ram_size;
	int32_t prio;

	if (cfg->has_gic_irq_ranges)
		return emu_dt_fail(err, nores, "gic-irq-ranges denied for untrusted config");
	if (cfg->has_iomem_ranges)
		return emu_dt_fail(err, nores, "iomemory-ranges denied for untrusted config");

	/* vCPUs (VMC handle_vcpu, VGIC vgic_vm_config_add) */
	if (!cfg->vcpus_node || cfg->n_vcpus == 0)
		return emu_dt_fail(err, nores, "no vcpus");
	if (cfg->n_vcpus > plat->max_cores)
		return emu_dt_fail(err, nores, "%u vcpus, platform has %u cores", cfg->n_vcpus,
				   plat->max_cores);
	if (!cfg->proxy) {
		prio = EMU_DT_ROOT_PRIORITY + cfg->sched_priority;
		if (prio < 0 || prio >= EMU_DT_ROOT_PRIORITY)
			return emu_dt_fail(err, nores, "sched-priority %d denied",
					   (int)cfg->sched_priority);
		if (cfg->sched_timeslice < EMU_DT_TIMESLICE_MIN ||
		    cfg->sched_timeslice > EMU_DT_TIMESLICE_MAX)
			return emu_dt_fail(err, nores, "sched-timeslice %u out of range",
					   cfg->sched_timeslice);
	}

	/* virtual GIC ranges */
	if (cfg->gic_found && cfg->gic_has_reg) {
		gicr_len = cfg->gicr_stride * cfg->n_vcpus;
		if (cfg->gicd % EMU_DT_64K || cfg->gicr % EMU_DT_64K)
			return emu_dt_fail(err, nores, "GICD/GICR not 64 KiB aligned");
		if (emu_dt_overlap(cfg->gicd, EMU_DT_GICD_SIZE, cfg->gicr, gicr_len))
			return emu_dt_fail(err, nores, "GICD overlaps GICR");
		if (emu_dt_overlap(cfg->gicd, EMU_DT_GICD_SIZE, cfg->mem_base, ram) ||
		    emu_dt_overlap(cfg->gicr, gicr_len, cfg->mem_base, ram))
			return emu_dt_fail(err, nores, "GIC overlaps the RAM window");
	}

	/* vdevices */
	for (i = 0, k = 0; i < cfg->n_vdevs; i++) {
		const struct emu_dt_vdev *vd = &cfg->vdevs[i];

		if (vd->type == EMU_DT_VDEV_VRTC)
			return emu_dt_fail(err, nores,
					   "%s: vrtc-pl031 not supported on this platform",
					   vd->path);
		for (j = 0; j < vd->n_irqs; j++) {
			if (vd->irq_type[j] != 0)
				return emu_dt_fail(err, nores, "%s: interrupt is not an SPI",
						   vd->path);
			if (vd->irq[j] >= EMU_DT_RM_IRQ_BASE)
				return emu_dt_fail(err, nores, "%s: INTID %u collides with RM IRQs",
						   vd->path, vd->irq[j]);
			for (k = 0; k < n_used; k++)
				if (used[k] == vd->irq[j])
					return emu_dt_fail(err, nores, "%s: INTID %u used twice",
							   vd->path, vd->irq[j]);
			used[n_used++] = vd->irq[j];
		}
	}
	return 0;
}

int emu_dt_parse(const void *fdt, size_t size, const struct emu_dt_platform *plat,
		 struct emu_dt_config *ret_cfg, struct emu_dt_error *reterr)
{
	struct emu_dt_config *cfg = ret_cfg;
	struct emu_dt_ctx c = {
		.fdt = fdt, .plat = plat, .cfg = cfg, .err = reterr,
	};
	bool bad_constraints = false;
	int node, depth = 0, r;

	memset(cfg, 0, sizeof(*cfg));
	memset(reterr, 0, sizeof(*reterr));
	cfg->mem_base = EMU_DT_DEFAULT_BASE;
	cfg->size_max = EMU_DT_DEFAULT_SIZE_MAX;
	cfg->gicr_stride = EMU_DT_GICR_STRIDE;

	/* CRE map_dtb: header, and the blob fits the region */
	if (size < sizeof(struct fdt_header) || fdt_check_header(fdt))
		return emu_dt_fail(reterr, GH_RM_ERROR_MEM_INVALID, "no valid DTB header");
	if (fdt_totalsize(fdt) > size)
		return emu_dt_fail(reterr, GH_RM_ERROR_MEM_INVALID, "fdt_totalsize %u > dtb_size",
				   fdt_totalsize(fdt));
	if (fdt_check_full(fdt, fdt_totalsize(fdt)))
		return emu_dt_fail(reterr, GH_RM_ERROR_MEM_INVALID, "DTB structure corrupt");
	cfg->fdt_size = fdt_totalsize(fdt);

	/* depth-first, file order; fdt_next_node() leaves the root with depth -1 */
	for (node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
		r = emu_dt_visit(&c, node, depth, &bad_constraints);
		if (r < 0)
			return r;
	}
	if (node < 0 && node != -FDT_ERR_NOTFOUND)
		return emu_dt_fail(reterr, GH_RM_ERROR_MEM_INVALID, "DTB walk failed");
	if (!c.vm_config_seen)
		return emu_dt_fail(reterr, GH_RM_ERROR_MEM_INVALID, "no gunyah-vm-config node");
	if (!cfg->gic_found && c.root_gic) {
		/* no interrupts { config }: the root interrupt-parent is the GIC */
		cfg->gic_found = true;
		cfg->gic_has_reg = c.root_gic_cfg.gic_has_reg;
		cfg->gicd = c.root_gic_cfg.gicd;
		cfg->gicr = c.root_gic_cfg.gicr;
		cfg->gicr_stride = c.root_gic_cfg.gicr_stride;
	}

	emu_dt_cells(fdt, 0, &cfg->root_address_cells, &cfg->root_size_cells);
	cfg->has_chosen = fdt_path_offset(fdt, "/chosen") >= 0;
	cfg->has_hypervisor = fdt_path_offset(fdt, "/hypervisor") >= 0;
	r = emu_dt_note_resmem(&c);
	if (r < 0)
		return r;

	/* the config update cuts size-max to the end of the address space */
	if (cfg->mem_base < EMU_DT_ADDR_SPACE && cfg->size_max > EMU_DT_ADDR_SPACE - cfg->mem_base)
		cfg->size_max = EMU_DT_ADDR_SPACE - cfg->mem_base;

	r = emu_dt_update(cfg, bad_constraints, reterr);
	if (r < 0)
		return r;
	return emu_dt_create(cfg, plat, reterr);
}

int emu_dt_check_start(const struct emu_dt_config *cfg, u64 dtb_size,
		       struct emu_dt_error *reterr)
{
	const u32 nores = GH_RM_ERROR_NORESOURCE;
	u64 merged;

	if (cfg->root_address_cells > 2 || cfg->root_size_cells > 2)
		return emu_dt_fail(reterr, nores, "root #address-cells/#size-cells above 2");
	if (cfg->has_hypervisor)
		return emu_dt_fail(reterr, nores, "/hypervisor already present");
	if (!cfg->has_chosen)
		return emu_dt_fail(reterr, nores, "/chosen missing");
	if (!cfg->gic_found)
		return emu_dt_fail(reterr, nores, "Invalid or missing VGIC node");
	/*
	 * The overlay starts at 4 KiB. Past 16 KiB the merge happens in the DT
	 * region itself and needs twice the merged size there. The real overlay
	 * can be larger than 4 KiB: this check is a lower bound.
	 */
	merged = ((cfg->fdt_size + 3ULL) & ~3ULL) + EMU_DT_OVERLAY_MIN;
	if (merged > EMU_DT_MERGE_HEAP_MAX && dtb_size < 2 * merged)
		return emu_dt_fail(reterr, nores, "DTB region too small");
	return 0;
}

bool emu_dt_has_vdev(const struct emu_dt_config *cfg, enum emu_dt_vdev_type type)
{
	for (u32 i = 0; i < cfg->n_vdevs; i++)
		if (cfg->vdevs[i].type == type)
			return true;
	return false;
}
