/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <libfdt.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test-guest.h"

void *test_guest_map(size_t size)
{
	int fd = memfd_create("test-guest", MFD_CLOEXEC);
	void *p;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, (off_t) size), ==, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	g_assert_true(p != MAP_FAILED);
	close(fd);
	return p;
}

#define CHECK(x) g_assert_cmpint((x), ==, 0)

static void prop_u64(void *fdt, const char *name, uint64_t a, uint64_t b, int n)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	CHECK(fdt_property(fdt, name, v, (int) (n * sizeof(fdt64_t))));
}

uint64_t test_guest_write_dtb(void *mem, size_t size, uint64_t base, uint32_t shm_label)
{
	const uint32_t gic_phandle = 1;
	uint64_t offset = size - TEST_GUEST_DTB_SLOT;
	void *fdt = (char *) mem + offset;

	CHECK(fdt_create(fdt, TEST_GUEST_DTB_SLOT / 2));
	CHECK(fdt_finish_reservemap(fdt));
	CHECK(fdt_begin_node(fdt, ""));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	CHECK(fdt_property_u32(fdt, "interrupt-parent", gic_phandle));

	CHECK(fdt_begin_node(fdt, "chosen"));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "cpus"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 1));
	CHECK(fdt_property_u32(fdt, "#size-cells", 0));
	CHECK(fdt_begin_node(fdt, "cpu@0"));
	CHECK(fdt_property_string(fdt, "device_type", "cpu"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,armv8"));
	CHECK(fdt_property_u32(fdt, "reg", 0));
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "memory"));
	CHECK(fdt_property_string(fdt, "device_type", "memory"));
	prop_u64(fdt, "reg", base, size, 2);
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "interrupt-controller@3fff0000"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
	CHECK(fdt_property_u32(fdt, "#interrupt-cells", 3));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	{
		fdt64_t reg[4] = { cpu_to_fdt64(0x3fff0000), cpu_to_fdt64(0x10000),
				   cpu_to_fdt64(0x3ffd0000), cpu_to_fdt64(0x20000) };

		CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	}
	CHECK(fdt_property_u32(fdt, "phandle", gic_phandle));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "gunyah-vm-config"));
	CHECK(fdt_property_string(fdt, "image-name", "conformance"));
	CHECK(fdt_property_string(fdt, "os-type", "linux"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	CHECK(fdt_begin_node(fdt, "memory"));
	prop_u64(fdt, "base-address", base, 0, 1);
	prop_u64(fdt, "size-max", size, 0, 1);
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_begin_node(fdt, "interrupts"));
	CHECK(fdt_property_string(fdt, "config", "/interrupt-controller@3fff0000"));
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_begin_node(fdt, "vcpus"));
	CHECK(fdt_property_string(fdt, "affinity", "static"));
	CHECK(fdt_property_u32(fdt, "affinity-map", 0));
	CHECK(fdt_property_u32(fdt, "sched-priority", (uint32_t) -1));
	CHECK(fdt_property_u32(fdt, "sched-timeslice", 2000));
	CHECK(fdt_end_node(fdt));
	if (shm_label) {
		CHECK(fdt_begin_node(fdt, "vdevices"));
		CHECK(fdt_begin_node(fdt, "shm-1"));
		CHECK(fdt_property_string(fdt, "vdevice-type", "shm"));
		CHECK(fdt_property(fdt, "peer-default", NULL, 0));
		CHECK(fdt_property_string(fdt, "generate", "/hypervisor/shm-1"));
		CHECK(fdt_property_u32(fdt, "#address-cells", 2));
		CHECK(fdt_begin_node(fdt, "memory"));
		CHECK(fdt_property_u32(fdt, "label", shm_label));
		prop_u64(fdt, "base", 0xc0000000, 0, 1);
		CHECK(fdt_end_node(fdt));
		CHECK(fdt_end_node(fdt));
		CHECK(fdt_end_node(fdt));
	}
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_end_node(fdt));
	CHECK(fdt_finish(fdt));
	CHECK(fdt_check_full(fdt, TEST_GUEST_DTB_SLOT));
	return offset;
}
