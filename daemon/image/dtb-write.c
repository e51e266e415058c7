/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The base devicetree, written with libfdt's sequential-write API.
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
 *    the real RM (12/2023) exits when a guest has none; with console-dev,
 *    the VM's RM console;
 *  - one shm vdevice per extra region with its own generate path
 *    (ref §6).
 * The tree carries __symbols__ (and a phandle on every labelled node,
 * which fdt_overlay_apply needs to resolve a fixup) so that a user overlay
 * compiled with `dtc -@` can say &chosen, &gic, &cpu0...
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "gunyah/dbus-names.h"
#include "dtb-internal.h"
#include "util/bus-error.h"
#include "vmdef.h"

#define DTB_INITIAL_SIZE	8192
#define DTB_RM_RPC_GENERATE	"/hypervisor/qcom,resource-manager-rpc"

/* arch timer PPIs (secure, non-secure, virtual, hypervisor), as sample_vm.dts. */
static const uint32_t timer_ppis[] = { 13, 14, 11, 10 };
#define TIMER_PPI_FLAGS 0x108

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

static int write_gic(void *fdt, const struct dtb_gic *gic)
{
	uint64_t reg[4] = { gic->dist, gic->dist_size, gic->redist, gic->redist_size };
	char name[64];

	dtb_gic_node_name(gic, name, sizeof(name));
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
	 * console-dev gives the VM its RM console (docs/kmod.md, "Console"):
	 * without it the RM has none to open and the guest's output is lost.
	 */
	FDT_TRY(fdt_begin_node(fdt, "rm-rpc"));
	FDT_TRY(fdt_property_string(fdt, "vdevice-type", "rm-rpc"));
	FDT_TRY(fdt_property_string(fdt, "generate", DTB_RM_RPC_GENERATE));
	FDT_TRY(fdt_property(fdt, "console-dev", NULL, 0));
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
	dtb_gic_node_name(gic, path + 1, sizeof(path) - 1);
	FDT_TRY(fdt_property_string(fdt, "config", path));
	FDT_TRY(fdt_end_node(fdt));

	/* Non-proxy scheduling needs all three values (ref §4, §9 item 3). */
	for (uint32_t i = 0; i < def->vcpus; i++)
		affinity_map[i] = cpu_to_fdt32(def->devicetree.n_affinity_map ?
					       def->devicetree.affinity_map[i] : i);
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
	dtb_gic_node_name(gic, path + 1, sizeof(path) - 1);
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
static int write_base(const struct vmdef *def, const struct dtb_inputs *in,
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

int dtb_write_base(const struct vmdef *def, const struct dtb_inputs *in,
		   const struct dtb_gic *gic, void **ret, sd_bus_error *error)
{
	int r = write_base(def, in, gic, ret);

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
	return 0;
}
