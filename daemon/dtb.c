/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devicetree generation with libfdt's sequential-write API.
 *
 * Every choice below follows the RM's parser (shared reference
 * rm-vm-config-dt.md, cited as "ref §N"); docs/devicetree.md explains the
 * tree node by node. In short:
 *  - root cells 2/2 (the RM writes /memory and /reserved-memory with the
 *    root's cells and fails above 2, ref §7, §9 item 9);
 *  - /chosen always (the RM's overlay targets it by path, ref §7);
 *  - /memory named exactly "memory" (memory@... is a parse error, ref §1);
 *  - PSCI is always on: every cpu node carries cpu-idle-states, so the
 *    RM's "PSCI enabled and not proxy => every CPU has cpu-idle-states"
 *    rule (ref §4) holds whatever enables PSCI (secondaries, /psci, an
 *    overlay) and wherever a psci node sits; the one idle state is
 *    disabled so that Linux never issues CPU_SUSPEND with a guessed
 *    power_state (dt_idle_states skips unavailable states);
 *  - the GIC is found by path from vm-config/interrupts and has a phandle
 *    (ref §5);
 *  - vm-config declares its own #address-cells/#size-cells 2/2 so that
 *    base-address/size-max (2 cells each) are not silently ignored
 *    (ref §1, §9 item 4);
 *  - an rm-rpc vdevice, so that the guest has an RPC link to the RM: the
 *    RM delivers a graceful VM_STOP as a notification on that link, and
 *    the real RM (12/2023) exits when a guest has none;
 *  - one shm vdevice per extra region with its own generate path
 *    (ref §6).
 * The tree carries __symbols__ (and a phandle on every labelled node,
 * which fdt_overlay_apply needs to resolve a fixup) so that a user overlay
 * compiled with `dtc -@` can say &chosen, &gic, &cpu0...
 *
 * The overlay is applied on copies (fdt_overlay_apply damages both inputs
 * on failure), then the result is checked again for what the RM relies on.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "bus-errors.h"
#include "dtb.h"
#include "shared/bus-error.h"
#include "vmdef.h"

#define DTB_INITIAL_SIZE	8192
#define DTB_PATH_MAX		256	/* the RM's MAX_PATH_LEN */
#define DTB_DEPTH_MAX		16	/* the RM's MAX_DEPTH */
#define DTB_OVERLAY_DEPTH_MAX	(2 * DTB_DEPTH_MAX)	/* nesting of a user .dtbo */
#define DTB_OVERLAY_ITEMS_MAX	2048	/* nodes + properties of a user .dtbo */
#define DTB_SHM_DEFAULT_GENERATE "/hypervisor/qcom,shm"
#define DTB_RM_RPC_GENERATE	"/hypervisor/qcom,resource-manager-rpc"

/* Phandles, fixed so that the same definition always gives the same bytes. */
enum {
	PHANDLE_GIC = 1,
	PHANDLE_CPU_IDLE,
	PHANDLE_CHOSEN,
	PHANDLE_MEMORY,
	PHANDLE_CPUS,
	PHANDLE_TIMER,
	PHANDLE_VM_CONFIG,
	PHANDLE_PSCI,
	PHANDLE_RM_RPC,
	PHANDLE_CPU0,		/* cpu i: PHANDLE_CPU0 + i; then one per shm vdevice */
};

/* arch timer PPIs (secure, non-secure, virtual, hypervisor), as sample_vm.dts. */
static const uint32_t timer_ppis[] = { 13, 14, 11, 10 };
#define TIMER_PPI_FLAGS 0x108


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

/* ------------------------------------------------------------------ */
/* Checks on the definition (what vmdef guarantees is asserted) */

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

static int check_gic(const struct vmdef *def, const struct dtb_gic *gic, sd_bus_error *error)
{
	struct named_range gics[2] = {
		{ "GIC distributor", gic->dist, gic->dist_size },
		{ "GIC redistributors", gic->redist, gic->redist_size },
	};

	for (size_t i = 0; i < ELEMENTSOF(gics); i++) {
		const struct named_range *g = &gics[i];

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
	}
	if (range_overlaps(gic->dist, gic->dist_size, gic->redist, gic->redist_size))
		return bus_error_setf(error, -EEXIST, GH_ERROR_LAYOUT_CONFLICT,
				"VM '%s': 'GIC redistributors' [0x%" PRIx64 ", 0x%" PRIx64
				") overlaps 'GIC distributor' [0x%" PRIx64 ", 0x%" PRIx64 ")",
				def->name, gic->redist, gic->redist + gic->redist_size,
				gic->dist, gic->dist + gic->dist_size);

	for (size_t i = 0; i < ELEMENTSOF(gics); i++) {
		const struct named_range *g = &gics[i];

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
	}
	return 0;
}

static int check_definition(const struct vmdef *def, const struct dtb_inputs *in,
			    sd_bus_error *error)
{
	const char *image_name = def->devicetree.image_name ?: def->name;

	/* vmdef guarantees these; a definition built by hand must, too. */
	assert(def->name);
	assert(def->vcpus >= 1 && def->vcpus <= VMDEF_MAX_VCPUS);
	assert(def->devicetree.affinity >= 0 && def->devicetree.affinity < _VMDEF_AFFINITY_MAX);
	assert(def->memory.size > 0 && !range_wraps(def->memory.base, def->memory.size));
	for (size_t i = 0; i < def->n_regions; i++) {
		assert(def->regions[i].label != 0);
		for (size_t k = 0; k < i; k++)
			assert(def->regions[k].label != def->regions[i].label);
	}

	/* Values the RM refuses; vmdef checks them too, but the RM's word is final. */
	if (!image_name || image_name[0] == '\0' || strlen(image_name) > DTB_IMAGE_NAME_MAX)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree.image-name must be 1 to %d characters (the RM refuses 80 or more)",
				def->name, DTB_IMAGE_NAME_MAX);
	if (def->devicetree.os_type && def->devicetree.os_type[0] == '\0')
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree.os-type is empty", def->name);
	if (def->devicetree.sched_priority < -32 || def->devicetree.sched_priority > -1)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree.sched-priority %" PRId32
				" is outside -32..-1 (the RM denies 0 and above)",
				def->name, def->devicetree.sched_priority);
	if (def->devicetree.sched_timeslice < 100 || def->devicetree.sched_timeslice > 100000)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': devicetree.sched-timeslice %" PRIu32
				" us is outside 100..100000 us, which the RM refuses",
				def->name, def->devicetree.sched_timeslice);
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
				def->name, in->overlay_name ?: "(overlay)", in->overlay_size,
				DTB_OVERLAY_MAX);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sequential write */

#define FDT_TRY(expr)						\
	do {							\
		int _e = (expr);				\
		if (_e < 0)					\
			return _e;				\
	} while (0)

static int prop_empty(void *fdt, const char *name)
{
	return fdt_property(fdt, name, NULL, 0);
}

/* <hi lo> pairs: one 2-cell address and one 2-cell size. */
static int prop_reg2(void *fdt, const char *name, const uint64_t *vals, size_t n)
{
	fdt64_t cells[4];

	assert(n <= ELEMENTSOF(cells));
	for (size_t i = 0; i < n; i++)
		cells[i] = cpu_to_fdt64(vals[i]);
	return fdt_property(fdt, name, cells, (int) (n * sizeof(cells[0])));
}

static int write_chosen(void *fdt, const struct vmdef *def, const struct dtb_inputs *in)
{
	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	if (def->cmdline)
		FDT_TRY(fdt_property_string(fdt, "bootargs", def->cmdline));
	if (in->has_ramdisk) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", in->initrd_start));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", in->initrd_end));
	}
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CHOSEN));
	return fdt_end_node(fdt);
}

static int write_memory(void *fdt, const struct vmdef *def)
{
	uint64_t reg[2] = { def->memory.base, def->memory.size };

	/* Exactly "memory", never memory@<addr>: the RM rewrites reg (ref §1, §7). */
	FDT_TRY(fdt_begin_node(fdt, "memory"));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(prop_reg2(fdt, "reg", reg, 2));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_MEMORY));
	return fdt_end_node(fdt);
}

static int write_cpus(void *fdt, const struct vmdef *def)
{
	char name[32];

	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CPUS));

	for (uint32_t i = 0; i < def->vcpus; i++) {
		snprintf(name, sizeof(name), "cpu@%" PRIx32, i);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
		FDT_TRY(fdt_property_string(fdt, "compatible", "arm,armv8"));
		/* The RM maps vCPU i to MPIDR Aff0 = i in node order (ref §4). */
		FDT_TRY(fdt_property_u32(fdt, "reg", i));
		/* No status: the first cpu node boots, the others are secondaries. */
		if (i > 0)
			FDT_TRY(fdt_property_string(fdt, "enable-method", "psci"));
		FDT_TRY(fdt_property_u32(fdt, "cpu-idle-states", PHANDLE_CPU_IDLE));
		FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CPU0 + i));
		FDT_TRY(fdt_end_node(fdt));
	}

	/*
	 * Linux wants idle-states under /cpus. The RM only checks that
	 * cpu-idle-states is present; the state is disabled so that the
	 * guest idles with WFI only (an overlay may enable it: &cpu_idle).
	 */
	FDT_TRY(fdt_begin_node(fdt, "idle-states"));
	FDT_TRY(fdt_property_string(fdt, "entry-method", "psci"));
	FDT_TRY(fdt_begin_node(fdt, "cpu-idle"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,idle-state"));
	FDT_TRY(fdt_property_u32(fdt, "arm,psci-suspend-param", 0x1));
	FDT_TRY(fdt_property_u32(fdt, "entry-latency-us", 10));
	FDT_TRY(fdt_property_u32(fdt, "exit-latency-us", 10));
	FDT_TRY(fdt_property_u32(fdt, "min-residency-us", 100));
	FDT_TRY(fdt_property_string(fdt, "status", "disabled"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CPU_IDLE));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_end_node(fdt));

	return fdt_end_node(fdt);
}

static void gic_node_name(const struct dtb_gic *gic, char *buf, size_t size)
{
	snprintf(buf, size, "interrupt-controller@%" PRIx64, gic->dist);
}

static int write_gic(void *fdt, const struct dtb_gic *gic)
{
	uint64_t reg[4] = { gic->dist, gic->dist_size, gic->redist, gic->redist_size };
	char name[64];

	gic_node_name(gic, name, sizeof(name));
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	FDT_TRY(prop_empty(fdt, "interrupt-controller"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	/* GICD then GICR: the RM reads these two bases; sizes are ours (ref §5). */
	FDT_TRY(prop_reg2(fdt, "reg", reg, 4));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	return fdt_end_node(fdt);
}

static int write_timer(void *fdt)
{
	fdt32_t cells[3 * ELEMENTSOF(timer_ppis)];

	for (size_t i = 0; i < ELEMENTSOF(timer_ppis); i++) {
		cells[3 * i] = cpu_to_fdt32(1);		/* PPI */
		cells[3 * i + 1] = cpu_to_fdt32(timer_ppis[i]);
		cells[3 * i + 2] = cpu_to_fdt32(TIMER_PPI_FLAGS);
	}
	FDT_TRY(fdt_begin_node(fdt, "timer"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	FDT_TRY(fdt_property(fdt, "interrupts", cells, sizeof(cells)));
	FDT_TRY(prop_empty(fdt, "always-on"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_TIMER));
	return fdt_end_node(fdt);
}

static void shm_node_name(const struct vmdef_region *reg, char *buf, size_t size)
{
	snprintf(buf, size, "shm-%" PRIu32, reg->label);
}

static int write_vdevices(void *fdt, const struct vmdef *def)
{
	char name[32], generate[64];

	FDT_TRY(fdt_begin_node(fdt, "vdevices"));
	/*
	 * The guest's link to the RM. A graceful VM_STOP reaches the guest as
	 * a notification on it; without one the RM (12/2023) fails to notify
	 * and exits. generate has no default (ref §6); message-size and
	 * queue-depth are left to the RM (240, 8) so an overlay may add them.
	 */
	FDT_TRY(fdt_begin_node(fdt, "rm-rpc"));
	FDT_TRY(fdt_property_string(fdt, "vdevice-type", "rm-rpc"));
	FDT_TRY(fdt_property_string(fdt, "generate", DTB_RM_RPC_GENERATE));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_RM_RPC));
	FDT_TRY(fdt_end_node(fdt));
	for (size_t i = 0; i < def->n_regions; i++) {
		const struct vmdef_region *reg = &def->regions[i];

		shm_node_name(reg, name, sizeof(name));
		/* Unique per label: shm nodes that share a generate path merge (ref §6). */
		snprintf(generate, sizeof(generate), "/hypervisor/%s", name);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "vdevice-type", "shm"));
		FDT_TRY(fdt_property_string(fdt, "generate", generate));
		FDT_TRY(prop_empty(fdt, "peer-default"));
		/* Same value as the memory subnode's, which it would override. */
		FDT_TRY(fdt_property_u32(fdt, "label", reg->label));
		/* memory/base is read with this node's #address-cells. */
		FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
		FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
		FDT_TRY(fdt_property_u32(fdt, "phandle",
					 PHANDLE_CPU0 + def->vcpus + (uint32_t) i));
		/* Exactly one subnode, named exactly "memory", with base (ref §6). */
		FDT_TRY(fdt_begin_node(fdt, "memory"));
		FDT_TRY(fdt_property_u32(fdt, "label", reg->label));
		FDT_TRY(fdt_property_u64(fdt, "base", reg->base));
		FDT_TRY(fdt_end_node(fdt));
		FDT_TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int write_vm_config(void *fdt, const struct vmdef *def, const struct dtb_gic *gic)
{
	const char *image_name = def->devicetree.image_name ?: def->name;
	uint64_t base = def->memory.base, size = def->memory.size;
	fdt32_t affinity_map[VMDEF_MAX_VCPUS];
	char path[80];

	/* No unit address; the node name is what the RM matches (ref §1). */
	FDT_TRY(fdt_begin_node(fdt, "gunyah-vm-config"));
	/* Explicit: without them size-max would be read with 1 cell (ref §9 item 4). */
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_string(fdt, "image-name", image_name));
	FDT_TRY(fdt_property_string(fdt, "os-type", def->devicetree.os_type ?: "linux"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_VM_CONFIG));

	FDT_TRY(fdt_begin_node(fdt, "memory"));
	FDT_TRY(fdt_property_u64(fdt, "base-address", base));
	/* The RAM window is exactly main memory: no private memory appended. */
	FDT_TRY(fdt_property_u64(fdt, "size-max", size));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "interrupts"));
	/* A path string, which the RM prefers to a phandle (ref §5). */
	snprintf(path, sizeof(path), "/");
	gic_node_name(gic, path + 1, sizeof(path) - 1);
	FDT_TRY(fdt_property_string(fdt, "config", path));
	FDT_TRY(fdt_end_node(fdt));

	/* Non-proxy scheduling needs all three values (ref §4, §9 item 3). */
	for (uint32_t i = 0; i < def->vcpus; i++)
		affinity_map[i] = cpu_to_fdt32(i);
	FDT_TRY(fdt_begin_node(fdt, "vcpus"));
	FDT_TRY(fdt_property_string(fdt, "affinity",
				    vmdef_affinity_to_string(def->devicetree.affinity)));
	FDT_TRY(fdt_property(fdt, "affinity-map", affinity_map,
			     (int) (def->vcpus * sizeof(affinity_map[0]))));
	FDT_TRY(fdt_property_u32(fdt, "sched-priority",
				 (uint32_t) def->devicetree.sched_priority));
	FDT_TRY(fdt_property_u32(fdt, "sched-timeslice", def->devicetree.sched_timeslice));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(write_vdevices(fdt, def));
	return fdt_end_node(fdt);
}

static int write_psci(void *fdt)
{
	static const char compatible[] = "arm,psci-1.0\0arm,psci-0.2";

	/* After gunyah-vm-config, so that it would not enable PSCI early (ref §4). */
	FDT_TRY(fdt_begin_node(fdt, "psci"));
	FDT_TRY(fdt_property(fdt, "compatible", compatible, sizeof(compatible)));
	FDT_TRY(fdt_property_string(fdt, "method", "hvc"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_PSCI));
	return fdt_end_node(fdt);
}

static int write_symbols(void *fdt, const struct vmdef *def, const struct dtb_gic *gic)
{
	char label[32], path[96];

	FDT_TRY(fdt_begin_node(fdt, "__symbols__"));
	FDT_TRY(fdt_property_string(fdt, "chosen", "/chosen"));
	FDT_TRY(fdt_property_string(fdt, "memory", "/memory"));
	FDT_TRY(fdt_property_string(fdt, "cpus", "/cpus"));
	for (uint32_t i = 0; i < def->vcpus; i++) {
		snprintf(label, sizeof(label), "cpu%" PRIu32, i);
		snprintf(path, sizeof(path), "/cpus/cpu@%" PRIx32, i);
		FDT_TRY(fdt_property_string(fdt, label, path));
	}
	FDT_TRY(fdt_property_string(fdt, "cpu_idle", "/cpus/idle-states/cpu-idle"));
	path[0] = '/';
	gic_node_name(gic, path + 1, sizeof(path) - 1);
	FDT_TRY(fdt_property_string(fdt, "gic", path));
	FDT_TRY(fdt_property_string(fdt, "timer", "/timer"));
	FDT_TRY(fdt_property_string(fdt, "vm_config", "/gunyah-vm-config"));
	FDT_TRY(fdt_property_string(fdt, "rm_rpc", "/gunyah-vm-config/vdevices/rm-rpc"));
	for (size_t i = 0; i < def->n_regions; i++) {
		char name[32];

		shm_node_name(&def->regions[i], name, sizeof(name));
		snprintf(label, sizeof(label), "shm_%" PRIu32, def->regions[i].label);
		snprintf(path, sizeof(path), "/gunyah-vm-config/vdevices/%s", name);
		FDT_TRY(fdt_property_string(fdt, label, path));
	}
	FDT_TRY(fdt_property_string(fdt, "psci", "/psci"));
	return fdt_end_node(fdt);
}

static int write_tree(void *fdt, const struct vmdef *def, const struct dtb_inputs *in,
		      const struct dtb_gic *gic)
{
	static const char compatible[] = "linux,dummy-virt";

	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property(fdt, "compatible", compatible, sizeof(compatible)));
	FDT_TRY(fdt_property_string(fdt, "model", "Gunyah VM"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));

	FDT_TRY(write_chosen(fdt, def, in));
	FDT_TRY(write_memory(fdt, def));
	FDT_TRY(write_cpus(fdt, def));
	FDT_TRY(write_gic(fdt, gic));
	FDT_TRY(write_timer(fdt));
	FDT_TRY(write_vm_config(fdt, def, gic));
	FDT_TRY(write_psci(fdt));
	FDT_TRY(write_symbols(fdt, def, gic));

	FDT_TRY(fdt_end_node(fdt));
	return fdt_finish(fdt);
}

/* The base tree, exactly sized. Returns 0 or a negative errno. */
static int build_base(const struct vmdef *def, const struct dtb_inputs *in,
		      const struct dtb_gic *gic, void **ret)
{
	size_t size = DTB_INITIAL_SIZE;

	for (;;) {
		_cleanup_free_ void *buf = malloc(size);
		void *shrunk;
		int r;

		if (!buf)
			return -ENOMEM;
		r = fdt_create(buf, (int) size);
		if (r == 0)
			r = write_tree(buf, def, in, gic);
		if (r == -FDT_ERR_NOSPACE) {
			if (size >= DTB_BLOB_MAX)
				return -E2BIG;
			size *= 2;
			continue;
		}
		if (r < 0)
			return -EIO;	/* a generator bug: libfdt refused our own input */
		shrunk = realloc(buf, fdt_totalsize(buf));
		if (shrunk)
			buf = shrunk;
		*ret = steal_ptr(buf);
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Overlay */

static bool overlay_has_fragment(const void *ovl)
{
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

static bool overlay_fixups_in_bounds(const void *ovl)
{
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

/* ------------------------------------------------------------------ */
/* Checks on the result (after an overlay, and as a self-check without) */

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

static int node_path(const void *fdt, int node, char buf[static DTB_PATH_MAX])
{
	if (fdt_get_path(fdt, node, buf, DTB_PATH_MAX) < 0)
		snprintf(buf, DTB_PATH_MAX, "(a node with a path over %d characters)",
			 DTB_PATH_MAX - 1);
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
	char path[DTB_PATH_MAX];
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
	char path[DTB_PATH_MAX];
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
	char path[DTB_PATH_MAX];
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
	char path[DTB_PATH_MAX];
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
static bool path_push(char path[static DTB_PATH_MAX], size_t *path_len, int depth,
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
	if (at + n >= DTB_PATH_MAX)
		return false;
	memcpy(path + at, name, n);
	path[at + n] = '\0';
	path_len[depth] = at + n;
	return true;
}

static int check_nodes(struct check *c)
{
	char path[DTB_PATH_MAX];
	size_t path_len[DTB_DEPTH_MAX + 2];
	int node = 0, depth = 0;	/* the root is at depth 1 */

	for (node = fdt_next_node(c->fdt, -1, &depth); node >= 0;
	     node = fdt_next_node(c->fdt, node, &depth)) {
		const char *name = fdt_get_name(c->fdt, node, NULL);
		const char *vtype;
		int len;

		/* The first node too deep fails below: its parent is never deeper. */
		if (depth < 1 || depth > DTB_DEPTH_MAX + 1 || !path_push(path, path_len, depth, name))
			return check_fail(c, "adds a node whose path is %d characters or more (the RM's limit)",
					  DTB_PATH_MAX);
		if (depth - 1 >= DTB_DEPTH_MAX)
			return check_fail(c, "nests %s deeper than the RM's %d levels", path,
					  DTB_DEPTH_MAX);
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
	char path[DTB_PATH_MAX];
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
	gic_node_name(gic, path + 1, sizeof(path) - 1);
	if (check_same_path(c, path, true) < 0)
		return c->r;
	if (check_nodes(c) < 0 || check_reserved_memory(c) < 0)
		return c->r;
	return 0;
}

/* ------------------------------------------------------------------ */

int dtb_build(const struct vmdef *def, const struct dtb_inputs *in, void **ret_blob,
	      size_t *ret_size, sd_bus_error *error)
{
	static const struct dtb_inputs no_inputs = {};
	_cleanup_free_ void *base = NULL, *merged = NULL;
	const char *ovl_name;
	struct dtb_gic gic;
	struct check c = {};
	void *out, *shrunk;
	int r;

	if (!in)
		in = &no_inputs;
	ovl_name = in->overlay_name ?: "(overlay)";

	r = check_definition(def, in, error);
	if (r < 0)
		return r;
	dtb_gic_layout(def, &gic);
	r = check_gic(def, &gic, error);
	if (r < 0)
		return r;

	r = build_base(def, in, &gic, &base);
	if (r == -ENOMEM)
		return bus_error_oom(error);
	if (r == -E2BIG)
		return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': the devicetree would exceed %u bytes", def->name,
				DTB_BLOB_MAX);
	if (r < 0)
		return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': cannot build the devicetree: %s", def->name,
				strerror(-r));

	out = base;
	if (in->overlay) {
		const void *ovl = in->overlay;

		if (in->overlay_size < sizeof(struct fdt_header) ||
		    fdt_check_header(ovl) != 0 || fdt_totalsize(ovl) > in->overlay_size ||
		    fdt_check_full(ovl, in->overlay_size) != 0)
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' is not a valid devicetree blob",
					def->name, ovl_name);
		if (!overlay_has_fragment(ovl))
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' has no fragment with an __overlay__ node (is it a plain .dtb rather than a .dtbo?)",
					def->name, ovl_name);
		r = overlay_shape_check(ovl);
		if (r == -E2BIG)
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' has more than %d nodes and properties",
					def->name, ovl_name, DTB_OVERLAY_ITEMS_MAX);
		if (r < 0)
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' nests nodes deeper than %d levels",
					def->name, ovl_name, DTB_OVERLAY_DEPTH_MAX);
		if (!overlay_fixups_in_bounds(ovl))
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' has a __fixups__ or __local_fixups__ entry that does not point into a property of the overlay",
					def->name, ovl_name);
		r = apply_overlay(base, ovl, fdt_totalsize(ovl), &merged);
		if (r == -ENOMEM)
			return bus_error_oom(error);
		if (r < 0)
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' cannot be applied: %s",
					def->name, ovl_name, fdt_strerror(r));
		r = fdt_pack(merged);
		if (r < 0)
			return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' left a tree that cannot be packed: %s",
					def->name, ovl_name, fdt_strerror(r));
		out = merged;
	}

	c = (struct check) { .base = base, .fdt = out, .def = def, .in = in };
	r = check_result(&c, &gic);
	free(c.generates);
	if (r == -ENOMEM)
		return bus_error_oom(error);
	if (r < 0) {
		_cleanup_free_ char *msg = c.msg;

		if (in->overlay)
			return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
					"VM '%s': devicetree overlay '%s' %s", def->name, ovl_name,
					msg);
		return bus_error_setf(error, -EIO, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': generated devicetree %s (a gunyahd bug)", def->name, msg);
	}

	if (fdt_totalsize(out) > DTB_BLOB_MAX)
		return bus_error_setf(error, -E2BIG, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': the devicetree is %u bytes, over the %u-byte limit of the arm64 boot protocol",
				def->name, fdt_totalsize(out), DTB_BLOB_MAX);
	if (fdt_check_full(out, fdt_totalsize(out)) != 0)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				"VM '%s': the devicetree%s%s%s does not pass fdt_check_full",
				def->name, in->overlay ? " with overlay '" : "",
				in->overlay ? ovl_name : "", in->overlay ? "'" : "");

	*ret_size = fdt_totalsize(out);
	out = out == base ? steal_ptr(base) : steal_ptr(merged);
	shrunk = realloc(out, *ret_size);
	*ret_blob = shrunk ?: out;
	return 0;
}
