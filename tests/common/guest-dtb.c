/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libfdt.h>
#include <stdio.h>

#include "guest-dtb.h"

#define CHECK(x)			\
	do {				\
		r = (x);		\
		if (r < 0)		\
			return r;	\
	} while (0)

enum {
	PHANDLE_GIC = 1,
	PHANDLE_IDLE,
};

static int prop_u64(void *fdt, const char *name, uint64_t a, uint64_t b, int n)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	return fdt_property(fdt, name, v, (int) (n * sizeof(fdt64_t)));
}

/*
 * One cpu node per vCPU; secondaries start through PSCI, and with PSCI on
 * a non-proxy VM the RM wants cpu-idle-states on every cpu.
 */
static int write_cpus(void *fdt, unsigned vcpus, bool psci)
{
	bool idle = psci || vcpus > 1;
	char name[16];
	int r;

	CHECK(fdt_begin_node(fdt, "cpus"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 1));
	CHECK(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < vcpus; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		CHECK(fdt_begin_node(fdt, name));
		CHECK(fdt_property_string(fdt, "device_type", "cpu"));
		CHECK(fdt_property_string(fdt, "compatible", "arm,armv8"));
		CHECK(fdt_property_u32(fdt, "reg", i));
		if (i)
			CHECK(fdt_property_string(fdt, "enable-method", "psci"));
		if (idle)
			CHECK(fdt_property_u32(fdt, "cpu-idle-states", PHANDLE_IDLE));
		CHECK(fdt_end_node(fdt));
	}
	if (idle) {
		CHECK(fdt_begin_node(fdt, "idle-states"));
		CHECK(fdt_property_string(fdt, "entry-method", "psci"));
		CHECK(fdt_begin_node(fdt, "cpu-idle"));
		CHECK(fdt_property_string(fdt, "compatible", "arm,idle-state"));
		CHECK(fdt_property_u32(fdt, "arm,psci-suspend-param", 0x1));
		CHECK(fdt_property_string(fdt, "status", "disabled"));
		CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_IDLE));
		CHECK(fdt_end_node(fdt));
		CHECK(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int write_gic(void *fdt, unsigned vcpus)
{
	uint64_t gicr_size = 0x20000ull * vcpus;
	fdt64_t reg[4] = { cpu_to_fdt64(GUEST_DTB_GICD), cpu_to_fdt64(0x10000),
			   cpu_to_fdt64(GUEST_DTB_GICD - gicr_size), cpu_to_fdt64(gicr_size) };
	int r;

	CHECK(fdt_begin_node(fdt, "interrupt-controller@3fff0000"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
	CHECK(fdt_property_u32(fdt, "#interrupt-cells", 3));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	return fdt_end_node(fdt);
}

static int write_psci(void *fdt)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int r;

	CHECK(fdt_begin_node(fdt, "psci"));
	CHECK(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	CHECK(fdt_property_string(fdt, "method", "hvc"));
	return fdt_end_node(fdt);
}

/* The RM generates the guest's node of it; message size and depth default */
static int write_rm_rpc(void *fdt, bool console)
{
	int r;

	CHECK(fdt_begin_node(fdt, "rm-rpc"));
	CHECK(fdt_property_string(fdt, "vdevice-type", "rm-rpc"));
	CHECK(fdt_property_string(fdt, "generate", "/hypervisor/qcom,resource-manager-rpc"));
	if (console)
		CHECK(fdt_property(fdt, "console-dev", NULL, 0));
	return fdt_end_node(fdt);
}

static int write_shm(void *fdt, uint32_t label, uint64_t base)
{
	int r;

	CHECK(fdt_begin_node(fdt, "shm-1"));
	CHECK(fdt_property_string(fdt, "vdevice-type", "shm"));
	CHECK(fdt_property(fdt, "peer-default", NULL, 0));
	CHECK(fdt_property_string(fdt, "generate", "/hypervisor/shm-1"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_begin_node(fdt, "memory"));
	CHECK(fdt_property_u32(fdt, "label", label));
	CHECK(prop_u64(fdt, "base", base, 0, 1));
	CHECK(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

static int write_vm_config(void *fdt, const struct guest_dtb *d)
{
	fdt32_t map[64];
	int r;

	CHECK(fdt_begin_node(fdt, "gunyah-vm-config"));
	CHECK(fdt_property_string(fdt, "image-name", d->image_name));
	CHECK(fdt_property_string(fdt, "os-type", "linux"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	CHECK(fdt_begin_node(fdt, "memory"));
	CHECK(prop_u64(fdt, "base-address", d->base, 0, 1));
	CHECK(prop_u64(fdt, "size-max", d->size, 0, 1));
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_begin_node(fdt, "interrupts"));
	CHECK(fdt_property_string(fdt, "config", "/interrupt-controller@3fff0000"));
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_begin_node(fdt, "vcpus"));
	CHECK(fdt_property_string(fdt, "affinity", "static"));
	for (unsigned i = 0; i < d->vcpus; i++)
		map[i] = cpu_to_fdt32(i);
	CHECK(fdt_property(fdt, "affinity-map", map, (int) (d->vcpus * sizeof(fdt32_t))));
	CHECK(fdt_property_u32(fdt, "sched-priority", (uint32_t) -1));
	CHECK(fdt_property_u32(fdt, "sched-timeslice", 2000));
	CHECK(fdt_end_node(fdt));
	if (d->shm_label || d->rm_rpc) {
		CHECK(fdt_begin_node(fdt, "vdevices"));
		if (d->rm_rpc)
			CHECK(write_rm_rpc(fdt, d->console));
		if (d->shm_label)
			CHECK(write_shm(fdt, d->shm_label, d->shm_base));
		CHECK(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

int guest_dtb_write(void *fdt, size_t slot, const struct guest_dtb *d)
{
	int r;

	if (d->vcpus < 1 || d->vcpus > 64)
		return -FDT_ERR_BADVALUE;
	CHECK(fdt_create(fdt, (int) (slot / 2)));
	CHECK(fdt_finish_reservemap(fdt));
	CHECK(fdt_begin_node(fdt, ""));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	CHECK(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));
	CHECK(fdt_begin_node(fdt, "chosen"));
	CHECK(fdt_end_node(fdt));
	CHECK(write_cpus(fdt, d->vcpus, d->psci));
	CHECK(fdt_begin_node(fdt, "memory"));
	CHECK(fdt_property_string(fdt, "device_type", "memory"));
	CHECK(prop_u64(fdt, "reg", d->base, d->size, 2));
	CHECK(fdt_end_node(fdt));
	CHECK(write_gic(fdt, d->vcpus));
	if (d->psci)
		CHECK(write_psci(fdt));
	CHECK(write_vm_config(fdt, d));
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_finish(fdt));
	return fdt_check_full(fdt, slot);
}
