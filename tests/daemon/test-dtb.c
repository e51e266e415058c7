/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/image/dtb*.c, through dtb_build().
 *
 * /dtb/rm/NN-...: one test per "most likely generator mistake" of the RM
 * reference (rm-vm-config-dt.md §9): the generated blob is inspected with
 * libfdt, independently of the generator's own checks, and shown not to
 * contain the mistake, or the definition that would need it is refused.
 * /dtb/props/...: every property round-trips with its value, encoding and
 * cell count. /dtb/overlay/...: user overlays applied, or refused with the
 * file named. /dtb/golden/<example>: each config/examples/NAME.yaml, with its
 * image paths pointed at generated files of fixed sizes, decompiles
 * (`dtc -I dtb -O dts`) to tests/daemon/dtb/<example>.dts.
 *
 * Regenerate the golden files after an intended change:
 *   GUNYAHD_UPDATE_GOLDEN=1 meson test -C build --suite unit dtb
 * then review `git diff tests/daemon/dtb/`.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <systemd/sd-bus.h>

#include "gunyah/dbus-names.h"
#include "dtb.h"
#include "layout.h"
#include "loader.h"
#include "vmdef.h"
#include "dtb/test-images.h"

static const char yaml_nav[] =
	"version: 1\n"
	"name: nav\n"
	"vcpus: 2\n"
	"memory:\n"
	"  base: 0x80000000\n"
	"  size: 256M\n"
	"kernel: /images/nav/Image\n"
	"ramdisk: /images/nav/initrd.img\n"
	"cmdline: \"console=hvc0 root=/dev/ram0\"\n"
	"devicetree:\n"
	"  image-name: nav-image\n"
	"  sched-priority: -2\n"
	"  sched-timeslice: 5000\n"
	"regions:\n"
	"  - label: 1\n"
	"    base: 0xc0000000\n"
	"    size: 2M\n"
	"    access: rw\n"
	"    sharing: shared\n"
	"  - label: 7\n"
	"    base: 0xd0000000\n"
	"    size: 1M\n"
	"    sharing: lent\n";

static const char yaml_min[] =
	"version: 1\n"
	"name: tiny\n"
	"memory:\n"
	"  size: 64M\n"
	"kernel: /images/tiny/Image\n";

struct blob {
	void *data;
	size_t size;
};

static void blob_clear(struct blob *b)
{
	free(b->data);
	b->data = NULL;
	b->size = 0;
}


/* The initrd a nav-like guest gets in these tests. */
static const struct dtb_inputs nav_inputs = {
	.has_ramdisk = true,
	.initrd_start = 0x8ee00000,
	.initrd_end = 0x8fe00000,
};

static struct blob build_ok(const struct vmdef *def, const struct dtb_inputs *in)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct blob b = {};
	int r;

	r = dtb_build(def, in, &b.data, &b.size, &err);
	if (r < 0)
		g_error("dtb_build: %d %s: %s", r, err.name, err.message);
	g_assert_false(sd_bus_error_is_set(&err));
	g_assert_cmpint(fdt_check_full(b.data, b.size), ==, 0);
	g_assert_cmpuint(fdt_totalsize(b.data), ==, b.size);
	return b;
}

/* dtb_build fails with r and error name; the message contains every needle. */
static void build_fails(const struct vmdef *def, const struct dtb_inputs *in, int want_r,
			const char *want_name, const char *const *needles)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	void *blob = (void *) 0x1;
	size_t size = 12345;
	int r;

	r = dtb_build(def, in, &blob, &size, &err);
	g_assert_cmpint(r, ==, want_r);
	g_assert_cmpstr(err.name, ==, want_name);
	g_assert_nonnull(err.message);
	for (size_t i = 0; needles && needles[i]; i++)
		if (!strstr(err.message, needles[i]))
			g_error("message lacks '%s': %s", needles[i], err.message);
	/* Outputs untouched on failure. */
	g_assert_true(blob == (void *) 0x1);
	g_assert_cmpuint(size, ==, 12345);
	g_test_message("refused as expected: %s", err.message);
	sd_bus_error_free(&err);
}

static struct vmdef *def_with_vcpus(unsigned vcpus)
{
	g_autofree char *yaml = g_strdup_printf(
		"version: 1\nname: v%u\nvcpus: %u\nmemory:\n  size: 128M\nkernel: /k\n",
		vcpus, vcpus);

	return parse_def(yaml);
}

/* ------------------------------------------------------------------ */
/* RM §9 item 1: a memory node named memory@..., or device_type memory elsewhere */

static void test_rm_memory_node(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	int node, depth = 0, n_memory = 0;

	for (node = fdt_next_node(b.data, -1, &depth); node >= 0;
	     node = fdt_next_node(b.data, node, &depth)) {
		const char *name = fdt_get_name(b.data, node, NULL);
		const char *dt;
		int len;

		g_assert_false(g_str_has_prefix(name, "memory@"));
		dt = fdt_getprop(b.data, node, "device_type", &len);
		if (dt && fdt_stringlist_contains(dt, len, "memory")) {
			char path[256];

			g_assert_cmpint(fdt_get_path(b.data, node, path, sizeof(path)), ==, 0);
			g_assert_cmpstr(path, ==, "/memory");
			g_assert_cmpint(depth, ==, 2);
			n_memory++;
		}
	}
	g_assert_cmpint(n_memory, ==, 1);
	g_assert_cmpstr(prop_str(b.data, "/memory", "device_type"), ==, "memory");
	g_assert_cmpuint(fdt64_ld(prop_len(b.data, "/memory", "reg", 16)), ==, 0x80000000);
	g_assert_cmpuint(fdt64_ld((const fdt64_t *) prop_len(b.data, "/memory", "reg", 16) + 1),
			 ==, 256 * MiB);
}

/* RM §9 item 2: image-name missing or 80 characters and more */

static void test_rm_image_name(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_min);
	_cleanup_(vmdef_freep) struct vmdef *nav = parse_def(yaml_nav);
	const char *const needles[] = { "image-name", NULL };

	{
		_cleanup_(blob_clear) struct blob b = build_ok(def, NULL);

		/* Default: the VM name. */
		g_assert_cmpstr(prop_str(b.data, "/gunyah-vm-config", "image-name"), ==, "tiny");
		g_assert_cmpstr(prop_str(b.data, "/gunyah-vm-config", "os-type"), ==, "linux");
	}
	{
		_cleanup_(blob_clear) struct blob b = build_ok(nav, &nav_inputs);

		g_assert_cmpstr(prop_str(b.data, "/gunyah-vm-config", "image-name"), ==,
				"nav-image");
	}

	/* 79 characters is the longest the RM takes; 80 is refused. */
	g_free(def->devicetree.image_name);
	def->devicetree.image_name = g_strnfill(79, 'x');
	{
		_cleanup_(blob_clear) struct blob b = build_ok(def, NULL);

		g_assert_cmpuint(strlen(prop_str(b.data, "/gunyah-vm-config", "image-name")), ==,
				 79);
	}
	g_free(def->devicetree.image_name);
	def->devicetree.image_name = g_strnfill(80, 'x');
	build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	g_free(def->devicetree.image_name);
	def->devicetree.image_name = g_strdup("");
	build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	g_free(def->devicetree.image_name);
	def->devicetree.image_name = NULL;	/* falls back to the name */
	{
		_cleanup_(blob_clear) struct blob b = build_ok(def, NULL);

		g_assert_cmpstr(prop_str(b.data, "/gunyah-vm-config", "image-name"), ==, "tiny");
	}
}

/* RM §9 item 3: non-proxy vcpus without affinity-map or with bad scheduling values */

static int count_cpu_nodes(const void *fdt)
{
	int cpus = node_at(fdt, "/cpus"), sub, n = 0;

	fdt_for_each_subnode(sub, fdt, cpus) {
		const char *dt;
		int len;

		dt = fdt_getprop(fdt, sub, "device_type", &len);
		if (dt && fdt_stringlist_contains(dt, len, "cpu"))
			n++;
	}
	return n;
}

static void test_rm_vcpus_scheduling(void)
{
	static const unsigned counts[] = { 1, 2, 3, 8, VMDEF_MAX_VCPUS };
	static const char *const affinities[] = { "static", "sticky", "pinned" };

	for (size_t i = 0; i < G_N_ELEMENTS(counts); i++) {
		_cleanup_(vmdef_freep) struct vmdef *def = def_with_vcpus(counts[i]);

		for (int a = 0; a < _VMDEF_AFFINITY_MAX; a++) {
			_cleanup_(blob_clear) struct blob b = {};
			const char *vc = "/gunyah-vm-config/vcpus";
			int32_t prio;
			uint32_t ts;

			def->devicetree.affinity = a;
			b = build_ok(def, NULL);
			g_assert_cmpstr(prop_str(b.data, vc, "affinity"), ==, affinities[a]);
			g_assert_cmpint(count_cpu_nodes(b.data), ==, (int) counts[i]);
			/* One u32 per cpu node; identity map. */
			prop_len(b.data, vc, "affinity-map", (int) (4 * counts[i]));
			for (unsigned k = 0; k < counts[i]; k++)
				g_assert_cmpuint(prop_cell(b.data, vc, "affinity-map", (int) k), ==,
						 k);
			/* A definition's affinity-map is written as it is. */
			def->devicetree.n_affinity_map = counts[i];
			for (unsigned k = 0; k < counts[i]; k++)
				def->devicetree.affinity_map[k] = (k * 3 + 1) % 7;
			{
				_cleanup_(blob_clear) struct blob m = build_ok(def, NULL);

				prop_len(m.data, vc, "affinity-map", (int) (4 * counts[i]));
				for (unsigned k = 0; k < counts[i]; k++)
					g_assert_cmpuint(prop_cell(m.data, vc, "affinity-map", (int) k),
							 ==, (k * 3 + 1) % 7);
			}
			def->devicetree.n_affinity_map = 0;
			prio = (int32_t) prop_u32(b.data, vc, "sched-priority");
			g_assert_cmpint(prio, ==, VMDEF_DEFAULT_SCHED_PRIORITY);
			g_assert_cmpint(prio, <, 0);
			g_assert_cmpint(prio, >=, -32);
			ts = prop_u32(b.data, vc, "sched-timeslice");
			g_assert_cmpuint(ts, ==, VMDEF_DEFAULT_SCHED_TIMESLICE);
			g_assert_cmpuint(ts, >=, 100);
			g_assert_cmpuint(ts, <=, 100000);
			g_assert_false(has_prop(b.data, vc, "config"));	/* default /cpus */
		}
	}

	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_with_vcpus(2);
		const char *const prio_needles[] = { "sched-priority", NULL };
		const char *const ts_needles[] = { "sched-timeslice", NULL };
		_cleanup_(blob_clear) struct blob b = {};

		def->devicetree.sched_priority = -32;
		def->devicetree.sched_timeslice = 100;
		b = build_ok(def, NULL);
		g_assert_cmpint((int32_t) prop_u32(b.data, "/gunyah-vm-config/vcpus",
						   "sched-priority"), ==, -32);
		g_assert_cmpuint(fdt32_ld(prop_len(b.data, "/gunyah-vm-config/vcpus",
						   "sched-priority", 4)), ==, 0xffffffe0u);

		def->devicetree.sched_priority = 0;	/* the RM denies 0 */
		build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, prio_needles);
		def->devicetree.sched_priority = -33;
		build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, prio_needles);
		def->devicetree.sched_priority = -1;
		def->devicetree.sched_timeslice = 99;
		build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, ts_needles);
		def->devicetree.sched_timeslice = 100001;
		build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, ts_needles);
	}
}

/* RM §9 item 4: base-address/size-max with lengths other than the declared cells */

static void test_rm_cell_counts(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	uint32_t ac, sc;
	int vdevs, sub;

	/* Declared on the vm-config node itself (the parent of memory). */
	ac = prop_u32(b.data, "/gunyah-vm-config", "#address-cells");
	sc = prop_u32(b.data, "/gunyah-vm-config", "#size-cells");
	g_assert_cmpuint(ac, ==, 2);
	g_assert_cmpuint(sc, ==, 2);
	prop_len(b.data, "/gunyah-vm-config/memory", "base-address", (int) (4 * ac));
	prop_len(b.data, "/gunyah-vm-config/memory", "size-max", (int) (4 * sc));
	g_assert_cmpuint(prop_u64(b.data, "/gunyah-vm-config/memory", "base-address"), ==,
			 0x80000000);
	g_assert_cmpuint(prop_u64(b.data, "/gunyah-vm-config/memory", "size-max"), ==, 256 * MiB);
	/* Cells inside memory would not apply to its own properties. */
	g_assert_false(has_prop(b.data, "/gunyah-vm-config/memory", "#address-cells"));
	/* base-address 4 KiB (and here 2 MiB) aligned. */
	g_assert_cmpuint(prop_u64(b.data, "/gunyah-vm-config/memory", "base-address") %
			 (2 * MiB), ==, 0);

	/* shm memory/base: the vdevice node's #address-cells. */
	vdevs = node_at(b.data, "/gunyah-vm-config/vdevices");
	fdt_for_each_subnode(sub, b.data, vdevs) {
		const fdt32_t *cells;
		int mem, len;

		if (strcmp(fdt_getprop(b.data, sub, "vdevice-type", NULL), "shm") != 0)
			continue;
		cells = fdt_getprop(b.data, sub, "#address-cells", &len);
		g_assert_nonnull(cells);
		g_assert_cmpint(len, ==, 4);
		mem = fdt_subnode_offset(b.data, sub, "memory");
		g_assert_cmpint(mem, >=, 0);
		g_assert_nonnull(fdt_getprop(b.data, mem, "base", &len));
		g_assert_cmpint(len, ==, 4 * (int) fdt32_ld(cells));
	}

	/* Root and GIC: reg entries use the root's 2/2 cells. */
	g_assert_cmpuint(prop_u32(b.data, "/", "#address-cells"), ==, 2);
	g_assert_cmpuint(prop_u32(b.data, "/", "#size-cells"), ==, 2);
	prop_len(b.data, "/interrupt-controller@3fff0000", "reg", 2 * 16);
	prop_len(b.data, "/memory", "reg", 16);
	/* cpus: 1/0, reg one cell. */
	g_assert_cmpuint(prop_u32(b.data, "/cpus", "#address-cells"), ==, 1);
	g_assert_cmpuint(prop_u32(b.data, "/cpus", "#size-cells"), ==, 0);
	prop_len(b.data, "/cpus/cpu@1", "reg", 4);
}

/* RM §9 item 5: GIC problems */

static void assert_gic_ok(const void *fdt, const struct vmdef *def)
{
	const char *config = prop_str(fdt, "/gunyah-vm-config/interrupts", "config");
	const char *compat;
	int gic, len;
	uint64_t gicd, gicd_size, gicr, gicr_size;
	const fdt64_t *reg;
	uint32_t phandle;

	/* A path string to the GIC, which has what the RM checks. */
	g_assert_true(config[0] == '/');
	gic = node_at(fdt, config);
	compat = fdt_getprop(fdt, gic, "compatible", &len);
	g_assert_nonnull(compat);
	g_assert_true(fdt_stringlist_contains(compat, len, "arm,gic-v3"));
	g_assert_nonnull(fdt_getprop(fdt, gic, "interrupt-controller", &len));
	g_assert_cmpint(len, ==, 0);
	g_assert_cmpuint(prop_u32(fdt, config, "#interrupt-cells"), ==, 3);
	g_assert_false(has_prop(fdt, config, "#redistributor-regions"));
	phandle = prop_u32(fdt, config, "phandle");
	g_assert_cmpuint(phandle, !=, 0);
	g_assert_cmpint(fdt_node_offset_by_phandle(fdt, phandle), ==, gic);
	g_assert_cmpuint(prop_u32(fdt, "/", "interrupt-parent"), ==, phandle);

	reg = prop_len(fdt, config, "reg", 32);
	gicd = fdt64_ld(&reg[0]);
	gicd_size = fdt64_ld(&reg[1]);
	gicr = fdt64_ld(&reg[2]);
	gicr_size = fdt64_ld(&reg[3]);
	g_assert_cmpuint(gicd % (64 * KiB), ==, 0);
	g_assert_cmpuint(gicr % (64 * KiB), ==, 0);
	g_assert_cmpuint(gicd_size, ==, 64 * KiB);
	g_assert_cmpuint(gicr_size, ==, 0x20000ull * def->vcpus);
	/* Disjoint from each other, main memory and every region. */
	g_assert_true(gicd + gicd_size <= gicr || gicr + gicr_size <= gicd);
	g_assert_true(gicd + gicd_size <= def->memory.base ||
		      def->memory.base + def->memory.size <= gicd);
	g_assert_true(gicr + gicr_size <= def->memory.base ||
		      def->memory.base + def->memory.size <= gicr);
	for (size_t i = 0; i < def->n_regions; i++) {
		const struct vmdef_region *r = &def->regions[i];

		g_assert_true(gicd + gicd_size <= r->base || r->base + r->size <= gicd);
		g_assert_true(gicr + gicr_size <= r->base || r->base + r->size <= gicr);
	}
	/* Named after the distributor. */
	{
		g_autofree char *want = g_strdup_printf("/interrupt-controller@%" PRIx64, gicd);

		g_assert_cmpstr(config, ==, want);
	}
}

static void test_rm_gic(void)
{
	_cleanup_(vmdef_freep) struct vmdef *nav = parse_def(yaml_nav);

	{
		_cleanup_(blob_clear) struct blob b = build_ok(nav, &nav_inputs);

		assert_gic_ok(b.data, nav);
	}

	/* The default layout fits any vCPU count: GICR ends where GICD starts. */
	for (unsigned vcpus = 1; vcpus <= VMDEF_MAX_VCPUS; vcpus *= 2) {
		_cleanup_(vmdef_freep) struct vmdef *def = def_with_vcpus(vcpus);
		_cleanup_(blob_clear) struct blob b = build_ok(def, NULL);
		struct dtb_gic gic;

		assert_gic_ok(b.data, def);
		dtb_gic_layout(def, &gic);
		g_assert_cmpuint(gic.dist, ==, VMDEF_DEFAULT_GICD);
		g_assert_cmpuint(gic.redist + gic.redist_size, ==, gic.dist);
		if (vcpus == 1)
			g_assert_cmpuint(gic.redist, ==, VMDEF_DEFAULT_GICR);
	}

	/* Explicit bases are used as given. */
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_with_vcpus(4);
		_cleanup_(blob_clear) struct blob b = {};

		def->devicetree.gic_dist = 0x08000000;
		def->devicetree.gic_redist = 0x080a0000;
		b = build_ok(def, NULL);
		assert_gic_ok(b.data, def);
		g_assert_cmpuint(prop_cell(b.data, "/interrupt-controller@8000000", "reg", 5), ==,
				 0x080a0000);
	}

	/* Refusals: alignment, and overlaps naming both ranges. */
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_with_vcpus(2);
		const char *const align[] = { "GIC distributor", "64 KiB", NULL };
		const char *const ralign[] = { "GIC redistributors", "0x3ffd8000", NULL };
		const char *const both[] = { "'GIC redistributors' [0x3ffe0000, 0x40020000)",
					     "'GIC distributor' [0x3fff0000, 0x40000000)", NULL };
		const char *const mem[] = { "'GIC distributor' [0x80000000, 0x80010000)",
					    "'memory' [0x80000000, 0x88000000)", NULL };

		def->devicetree.gic_dist = 0x3fff8000;
		build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, align);
		def->devicetree.gic_dist = 0x3fff0000;
		def->devicetree.gic_redist = 0x3ffd8000;
		build_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, ralign);
		def->devicetree.gic_redist = 0x3ffe0000;
		build_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, both);
		def->devicetree.gic_dist = 0x80000000;
		def->devicetree.gic_redist = 0x40000000;
		build_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, mem);
	}
	{
		_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
		const char *const region[] = { "'GIC redistributors' [0xd0000000, 0xd0040000)",
					       "'regions[1]' (label 7) [0xd0000000, 0xd0100000)",
					       NULL };

		def->devicetree.gic_dist = 0x3fff0000;
		def->devicetree.gic_redist = 0xd0000000;
		build_fails(def, &nav_inputs, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, region);
	}
}

/* RM §9 item 6: cpu nodes, the vcpus node, and the PSCI/idle-state rule */

/*
 * The RM's PSCI rule (ref §4), replayed in blob order: PSCI is on if a
 * secondary uses psci, a cpu has cpu-idle-states, or a psci node came
 * earlier in the blob than vm-config/vcpus; then, for non-proxy affinity,
 * every cpu needs cpu-idle-states. psci_before forces "a psci node came
 * earlier" (as an overlay could place one first).
 */
static bool rm_psci_rule_holds(const void *fdt, bool psci_before, bool *ret_psci_on)
{
	int node, depth = 0, cpus, sub;
	bool psci_seen = psci_before, psci_on = false, all_idle = true;
	int vcpus_off = node_at(fdt, "/gunyah-vm-config/vcpus");
	const char *aff = prop_str(fdt, "/gunyah-vm-config/vcpus", "affinity");

	for (node = fdt_next_node(fdt, -1, &depth); node >= 0 && node < vcpus_off;
	     node = fdt_next_node(fdt, node, &depth)) {
		const char *c;
		int len;

		c = fdt_getprop(fdt, node, "compatible", &len);
		if (c && (fdt_stringlist_contains(c, len, "arm,psci-0.2") ||
			  fdt_stringlist_contains(c, len, "arm,psci-1.0")))
			psci_seen = true;
	}

	cpus = node_at(fdt, "/cpus");
	{
		bool boot_seen = false;

		fdt_for_each_subnode(sub, fdt, cpus) {
			const char *dt, *em;
			int len;

			dt = fdt_getprop(fdt, sub, "device_type", &len);
			if (!dt || !fdt_stringlist_contains(dt, len, "cpu"))
				continue;
			g_assert_null(fdt_getprop(fdt, sub, "status", NULL));
			if (!fdt_getprop(fdt, sub, "cpu-idle-states", NULL))
				all_idle = false;
			else
				psci_on = true;
			if (!boot_seen) {
				boot_seen = true;	/* first without status boots */
				continue;
			}
			em = fdt_getprop(fdt, sub, "enable-method", &len);
			g_assert_nonnull(em);
			g_assert_true(strcmp(em, "psci") == 0 ||
				      strcmp(em, "qcom,gunyah-hvc") == 0);
			if (strcmp(em, "psci") == 0)
				psci_on = true;
		}
		g_assert_true(boot_seen);
	}
	if (psci_seen)
		psci_on = true;
	*ret_psci_on = psci_on;
	return !psci_on || strcmp(aff, "proxy") == 0 || all_idle;
}

static void test_rm_cpus(void)
{
	for (unsigned vcpus = 1; vcpus <= 5; vcpus++) {
		_cleanup_(vmdef_freep) struct vmdef *def = def_with_vcpus(vcpus);
		_cleanup_(blob_clear) struct blob b = build_ok(def, NULL);
		int cpus = node_at(b.data, "/cpus"), sub, i = 0;
		int psci, vm_config;
		uint32_t idle;
		bool on;

		/* The vcpus node exists (without it: NORESOURCE). */
		node_at(b.data, "/gunyah-vm-config/vcpus");
		fdt_for_each_subnode(sub, b.data, cpus) {
			char path[64];

			if (!fdt_getprop(b.data, sub, "device_type", NULL))
				continue;
			snprintf(path, sizeof(path), "/cpus/cpu@%x", i);
			g_assert_cmpint(sub, ==, node_at(b.data, path));
			g_assert_cmpstr(prop_str(b.data, path, "device_type"), ==, "cpu");
			g_assert_cmpstr(prop_str(b.data, path, "compatible"), ==, "arm,armv8");
			g_assert_cmpuint(prop_u32(b.data, path, "reg"), ==, (unsigned) i);
			g_assert_false(has_prop(b.data, path, "status"));
			if (i == 0)
				g_assert_false(has_prop(b.data, path, "enable-method"));
			else
				g_assert_cmpstr(prop_str(b.data, path, "enable-method"), ==,
						"psci");
			/* Every cpu: cpu-idle-states pointing at a real idle state. */
			idle = prop_u32(b.data, path, "cpu-idle-states");
			g_assert_cmpint(fdt_node_offset_by_phandle(b.data, idle), ==,
					node_at(b.data, "/cpus/idle-states/cpu-idle"));
			i++;
		}
		g_assert_cmpint(i, ==, (int) vcpus);
		g_assert_cmpstr(prop_str(b.data, "/cpus/idle-states", "entry-method"), ==, "psci");
		g_assert_cmpstr(prop_str(b.data, "/cpus/idle-states/cpu-idle", "compatible"), ==,
				"arm,idle-state");
		prop_len(b.data, "/cpus/idle-states/cpu-idle", "arm,psci-suspend-param", 4);

		/* The rule holds as generated, and with a psci node placed first. */
		g_assert_true(rm_psci_rule_holds(b.data, false, &on));
		g_assert_true(on);
		g_assert_true(rm_psci_rule_holds(b.data, true, &on));

		/* /psci exists, after gunyah-vm-config. */
		psci = node_at(b.data, "/psci");
		vm_config = node_at(b.data, "/gunyah-vm-config");
		g_assert_cmpint(psci, >, vm_config);
		g_assert_cmpstr(prop_str(b.data, "/psci", "method"), ==, "hvc");
		{
			int len;
			const char *c = fdt_getprop(b.data, psci, "compatible", &len);

			g_assert_true(fdt_stringlist_contains(c, len, "arm,psci-1.0"));
		}
	}
}

/* RM §9 item 7: crash-fatal, is-direct, gic-irq-ranges, iomemory-ranges */

static void test_rm_untrusted(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	int node, depth = 0;

	for (node = fdt_next_node(b.data, -1, &depth); node >= 0;
	     node = fdt_next_node(b.data, node, &depth)) {
		g_assert_null(fdt_getprop(b.data, node, "vm-attrs", NULL));
		g_assert_null(fdt_getprop(b.data, node, "is-direct", NULL));
		g_assert_null(fdt_getprop(b.data, node, "gic-irq-ranges", NULL));
		g_assert_null(fdt_getprop(b.data, node, "iomemory-ranges", NULL));
		g_assert_null(fdt_getprop(b.data, node, "qcom,sensitive", NULL));
	}
}

/* RM §9 item 8: shm vdevices */

static void test_rm_shm(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	g_autoptr(GHashTable) generates = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) labels = g_hash_table_new(g_direct_hash, g_direct_equal);
	int node, depth = 0, n_vdev = 0;

	for (node = fdt_next_node(b.data, -1, &depth); node >= 0;
	     node = fdt_next_node(b.data, node, &depth)) {
		const char *vt, *gen;
		int len, sub, n_sub = 0;
		uint32_t label = 0;
		uint64_t base = 0;
		bool found = false;

		vt = fdt_getprop(b.data, node, "vdevice-type", &len);
		if (!vt || strcmp(vt, "rm-rpc") == 0)	/* rm-rpc: /dtb/rm/11-rm-rpc */
			continue;
		n_vdev++;
		g_assert_cmpstr(vt, ==, "shm");
		g_assert_cmpint(len, ==, sizeof("shm"));
		g_assert_nonnull(fdt_getprop(b.data, node, "peer-default", &len));
		g_assert_cmpint(len, ==, 0);
		gen = fdt_getprop(b.data, node, "generate", &len);
		g_assert_nonnull(gen);
		g_assert_true(gen[0] == '/');
		g_assert_cmpstr(gen, !=, "/hypervisor/qcom,shm");
		g_assert_false(g_hash_table_contains(generates, gen));
		g_hash_table_add(generates, (gpointer) gen);
		g_assert_null(fdt_getprop(b.data, node, "push-compatible", NULL));
		g_assert_null(fdt_getprop(b.data, node, "interrupts", NULL));

		fdt_for_each_subnode(sub, b.data, node) {
			const fdt32_t *l;

			n_sub++;
			g_assert_cmpstr(fdt_get_name(b.data, sub, NULL), ==, "memory");
			l = fdt_getprop(b.data, sub, "label", &len);
			g_assert_nonnull(l);
			g_assert_cmpint(len, ==, 4);
			label = fdt32_ld(l);
			g_assert_nonnull(fdt_getprop(b.data, sub, "base", &len));
			g_assert_cmpint(len, ==, 8);
			base = fdt64_ld(fdt_getprop(b.data, sub, "base", NULL));
			g_assert_cmpuint(base % 4096, ==, 0);
			g_assert_null(fdt_getprop(b.data, sub, "allocate-base", NULL));
			g_assert_null(fdt_getprop(b.data, sub, "optional", NULL));
		}
		g_assert_cmpint(n_sub, ==, 1);
		/* A node-level label must not override the memory one with another value. */
		if (fdt_getprop(b.data, node, "label", NULL))
			g_assert_cmpuint(fdt32_ld(fdt_getprop(b.data, node, "label", NULL)), ==,
					 label);
		g_assert_cmpuint(label, !=, 0);
		g_assert_false(g_hash_table_contains(labels, GUINT_TO_POINTER(label)));
		g_hash_table_add(labels, GUINT_TO_POINTER(label));

		/* It is one of the definition's regions, outside the RAM window. */
		for (size_t i = 0; i < def->n_regions; i++)
			if (def->regions[i].label == label) {
				g_assert_cmpuint(def->regions[i].base, ==, base);
				found = true;
			}
		g_assert_true(found);
		g_assert_true(base >= def->memory.base + def->memory.size ||
			      base < def->memory.base);
	}
	g_assert_cmpint(n_vdev, ==, (int) def->n_regions);
	g_assert_cmpint(n_vdev, ==, 2);
	/* No container-level generate (ignored by the RM, misleading to readers). */
	g_assert_false(has_prop(b.data, "/gunyah-vm-config/vdevices", "generate"));
}

/*
 * The rm-rpc vdevice (RM §6, §9 item 8): every VM gets exactly one, with the
 * generate path the RM needs (no default), nothing the RM would have to
 * refuse, and no interrupts (the RM allocates them from INTID 960).
 */
static void test_rm_rpc(void)
{
	_cleanup_(vmdef_freep) struct vmdef *nav = parse_def(yaml_nav);
	_cleanup_(vmdef_freep) struct vmdef *min = parse_def(yaml_min);
	_cleanup_(blob_clear) struct blob a = build_ok(min, NULL);
	_cleanup_(blob_clear) struct blob b = build_ok(nav, &nav_inputs);
	const struct blob *blobs[] = { &a, &b };

	for (size_t i = 0; i < G_N_ELEMENTS(blobs); i++) {
		const void *fdt = blobs[i]->data;
		int node, depth = 0, n_rpc = 0, len;
		const char *gen;

		for (node = fdt_next_node(fdt, -1, &depth); node >= 0;
		     node = fdt_next_node(fdt, node, &depth)) {
			const char *vt = fdt_getprop(fdt, node, "vdevice-type", &len);

			if (!vt || strcmp(vt, "rm-rpc") != 0)
				continue;
			n_rpc++;
			g_assert_cmpint(len, ==, sizeof("rm-rpc"));
			/* Under vdevices, as the RM's own sample configs have it. */
			g_assert_cmpint(node, ==, node_at(fdt, "/gunyah-vm-config/vdevices/rm-rpc"));
		}
		g_assert_cmpint(n_rpc, ==, 1);
		node = node_at(fdt, "/gunyah-vm-config/vdevices/rm-rpc");
		gen = fdt_getprop(fdt, node, "generate", &len);
		g_assert_nonnull(gen);
		g_assert_cmpint(len, ==, sizeof("/hypervisor/qcom,resource-manager-rpc"));
		g_assert_cmpstr(gen, ==, "/hypervisor/qcom,resource-manager-rpc");
		/* RM defaults (240 bytes, depth 8) apply; an overlay may add these. */
		g_assert_null(fdt_getprop(fdt, node, "message-size", NULL));
		g_assert_null(fdt_getprop(fdt, node, "queue-depth", NULL));
		g_assert_null(fdt_getprop(fdt, node, "interrupts", NULL));
		g_assert_null(fdt_getprop(fdt, node, "push-compatible", NULL));
		/* The VM's RM console: an empty property. */
		g_assert_nonnull(fdt_getprop(fdt, node, "console-dev", &len));
		g_assert_cmpint(len, ==, 0);
		g_assert_cmpint(fdt_first_subnode(fdt, node), ==, -FDT_ERR_NOTFOUND);
		/* Reachable from an overlay as &rm_rpc. */
		g_assert_cmpstr(prop_str(fdt, "/__symbols__", "rm_rpc"), ==,
				"/gunyah-vm-config/vdevices/rm-rpc");
		g_assert_cmpuint(fdt_get_phandle(fdt, node), !=, 0);
	}
}

/* RM §9 item 9: /chosen missing, /hypervisor present, root cells over 2 */

static void test_rm_base_conflicts(void)
{
	_cleanup_(vmdef_freep) struct vmdef *min = parse_def(yaml_min);
	_cleanup_(vmdef_freep) struct vmdef *nav = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob a = build_ok(min, NULL);
	_cleanup_(blob_clear) struct blob b = build_ok(nav, &nav_inputs);
	const struct blob *blobs[] = { &a, &b };

	for (size_t i = 0; i < G_N_ELEMENTS(blobs); i++) {
		const void *fdt = blobs[i]->data;

		node_at(fdt, "/chosen");
		g_assert_cmpint(fdt_path_offset(fdt, "/hypervisor"), ==, -FDT_ERR_NOTFOUND);
		g_assert_cmpint(fdt_path_offset(fdt, "/reserved-memory"), ==, -FDT_ERR_NOTFOUND);
		g_assert_cmpuint(prop_u32(fdt, "/", "#address-cells"), <=, 2);
		g_assert_cmpuint(prop_u32(fdt, "/", "#size-cells"), <=, 2);
		g_assert_cmpint(fdt_num_mem_rsv(fdt), ==, 0);
	}
	/* Without cmdline or ramdisk /chosen is there, empty but for its phandle. */
	g_assert_false(has_prop(a.data, "/chosen", "bootargs"));
	g_assert_false(has_prop(a.data, "/chosen", "linux,initrd-start"));
	g_assert_false(has_prop(a.data, "/chosen", "linux,initrd-end"));
	g_assert_cmpstr(prop_str(b.data, "/chosen", "bootargs"), ==, "console=hvc0 root=/dev/ram0");
}

/* RM §9 item 10: parcel labels and the RAM window (the DT size rule: test-loader) */

static void test_rm_parcels(void)
{
	static const char *const bad[] = {
		/* label 0 is main memory */
		"version: 1\nname: a\nmemory: { size: 64M }\nkernel: /k\n"
		"regions:\n  - { label: 0, base: 0xc0000000, size: 2M }\n",
		/* duplicate label */
		"version: 1\nname: a\nmemory: { size: 64M }\nkernel: /k\n"
		"regions:\n  - { label: 3, base: 0xc0000000, size: 2M }\n"
		"  - { label: 3, base: 0xd0000000, size: 2M }\n",
	};
	struct def_diags diags = {};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct vmdef *def = NULL;

		g_assert_cmpint(vmdef_parse_string("<t>", bad[i], strlen(bad[i]), NULL, &def,
						   &diags), <, 0);
		g_assert_null(def);
		g_assert_cmpuint(diags.n, >, 0);
		def_diags_clear(&diags);
	}

	/* A region inside the RAM window is a layout conflict. */
	{
		const char *yaml = "version: 1\nname: a\nmemory: { base: 0x80000000, size: 64M }\n"
				   "kernel: /k\nregions:\n  - { label: 3, base: 0x81000000, size: 2M }\n";
		struct layout *l = NULL;
		struct vmdef *def = NULL;
		int r;

		r = vmdef_parse_string("<t>", yaml, strlen(yaml), NULL, &def, &diags);
		if (r == 0) {
			g_assert_cmpint(layout_from_vmdef(def, RM_IPA_BITS_DEFAULT, &l, &diags),
					==, -EEXIST);
			g_assert_null(l);
			vmdef_free(def);
		}
		g_assert_cmpuint(diags.n, >, 0);
		def_diags_clear(&diags);
	}
}

/* ------------------------------------------------------------------ */
/* Round trips */

static void test_props_roundtrip(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	const void *f = b.data;
	const char *gic = "/interrupt-controller@3fff0000";
	static const uint32_t ppis[] = { 13, 14, 11, 10 };

	/* root */
	g_assert_cmpstr(prop_str(f, "/", "compatible"), ==, "linux,dummy-virt");
	g_assert_cmpstr(prop_str(f, "/", "model"), ==, "Gunyah VM");
	/* chosen: initrd as u64 each, end exclusive */
	g_assert_cmpuint(prop_u64(f, "/chosen", "linux,initrd-start"), ==, 0x8ee00000);
	g_assert_cmpuint(prop_u64(f, "/chosen", "linux,initrd-end"), ==, 0x8fe00000);
	/* GIC reg: <GICD 64K>, <GICR 2 x 128K> */
	g_assert_cmpuint(fdt64_ld((const fdt64_t *) prop_len(f, gic, "reg", 32) + 0), ==,
			 0x3fff0000);
	g_assert_cmpuint(fdt64_ld((const fdt64_t *) prop_len(f, gic, "reg", 32) + 1), ==, 0x10000);
	g_assert_cmpuint(fdt64_ld((const fdt64_t *) prop_len(f, gic, "reg", 32) + 2), ==,
			 0x3ffb0000);
	g_assert_cmpuint(fdt64_ld((const fdt64_t *) prop_len(f, gic, "reg", 32) + 3), ==, 0x40000);
	g_assert_cmpuint(prop_u32(f, gic, "#address-cells"), ==, 2);
	g_assert_cmpuint(prop_u32(f, gic, "#size-cells"), ==, 2);
	/* timer: four PPIs, 3 cells each, always-on */
	g_assert_cmpstr(prop_str(f, "/timer", "compatible"), ==, "arm,armv8-timer");
	prop_len(f, "/timer", "interrupts", 48);
	for (int i = 0; i < 4; i++) {
		g_assert_cmpuint(prop_cell(f, "/timer", "interrupts", 3 * i), ==, 1);
		g_assert_cmpuint(prop_cell(f, "/timer", "interrupts", 3 * i + 1), ==, ppis[i]);
		g_assert_cmpuint(prop_cell(f, "/timer", "interrupts", 3 * i + 2), ==, 0x108);
	}
	prop_len(f, "/timer", "always-on", 0);
	/* vm-config */
	g_assert_cmpstr(prop_str(f, "/gunyah-vm-config/interrupts", "config"), ==, gic);
	g_assert_cmpstr(prop_str(f, "/gunyah-vm-config/vcpus", "affinity"), ==, "static");
	g_assert_cmpint((int32_t) prop_u32(f, "/gunyah-vm-config/vcpus", "sched-priority"), ==, -2);
	g_assert_cmpuint(prop_u32(f, "/gunyah-vm-config/vcpus", "sched-timeslice"), ==, 5000);
	/* vdevices, in definition order */
	g_assert_cmpstr(prop_str(f, "/gunyah-vm-config/vdevices/shm-1", "vdevice-type"), ==, "shm");
	g_assert_cmpstr(prop_str(f, "/gunyah-vm-config/vdevices/shm-1", "generate"), ==,
			"/hypervisor/shm-1");
	g_assert_cmpuint(prop_u32(f, "/gunyah-vm-config/vdevices/shm-1/memory", "label"), ==, 1);
	g_assert_cmpuint(prop_u64(f, "/gunyah-vm-config/vdevices/shm-1/memory", "base"), ==,
			 0xc0000000);
	g_assert_cmpstr(prop_str(f, "/gunyah-vm-config/vdevices/shm-7", "generate"), ==,
			"/hypervisor/shm-7");
	g_assert_cmpuint(prop_u32(f, "/gunyah-vm-config/vdevices/shm-7/memory", "label"), ==, 7);
	g_assert_cmpuint(prop_u64(f, "/gunyah-vm-config/vdevices/shm-7/memory", "base"), ==,
			 0xd0000000);
	g_assert_cmpint(node_at(f, "/gunyah-vm-config/vdevices/shm-1"), <,
			node_at(f, "/gunyah-vm-config/vdevices/shm-7"));
	/* psci: a string list */
	{
		const char *c = prop_len(f, "/psci", "compatible", -1);

		g_assert_cmpint(fdt_stringlist_count(f, node_at(f, "/psci"), "compatible"), ==, 2);
		g_assert_cmpint(fdt_stringlist_search(f, node_at(f, "/psci"), "compatible",
						      "arm,psci-0.2"), ==, 1);
		g_assert_cmpstr(c, ==, "arm,psci-1.0");
	}
	/* Empty initrd range refused; a range outside memory too. */
	{
		struct dtb_inputs in = nav_inputs;
		const char *const needles[] = { "initrd", NULL };

		in.initrd_end = in.initrd_start;
		build_fails(def, &in, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
		in = nav_inputs;
		in.initrd_end = 0x90000001;
		build_fails(def, &in, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	}
}

static void test_symbols(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	g_autoptr(GHashTable) phandles = g_hash_table_new(g_direct_hash, g_direct_equal);
	static const char *const want[] = { "gic", "cpus", "cpu0", "cpu1", "cpu_idle", "chosen",
					     "memory", "timer", "vm_config", "psci", "rm_rpc",
					     "shm_1", "shm_7" };
	int sym = node_at(b.data, "/__symbols__"), prop, node, depth = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_true(has_prop(b.data, "/__symbols__", want[i]));
	fdt_for_each_property_offset(prop, b.data, sym) {
		const char *name, *path;
		int len, target;

		path = fdt_getprop_by_offset(b.data, prop, &name, &len);
		target = fdt_path_offset(b.data, path);
		if (target < 0)
			g_error("symbol %s -> %s does not resolve", name, path);
		/* fdt_overlay_apply needs a phandle on every referenced node. */
		g_assert_cmpuint(fdt_get_phandle(b.data, target), !=, 0);
	}
	/* Phandles unique. */
	for (node = fdt_next_node(b.data, -1, &depth); node >= 0;
	     node = fdt_next_node(b.data, node, &depth)) {
		uint32_t ph = fdt_get_phandle(b.data, node);

		if (!ph)
			continue;
		g_assert_false(g_hash_table_contains(phandles, GUINT_TO_POINTER(ph)));
		g_hash_table_add(phandles, GUINT_TO_POINTER(ph));
	}
}

static void test_deterministic_packed(void)
{
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	_cleanup_(blob_clear) struct blob a = build_ok(def, &nav_inputs);
	_cleanup_(blob_clear) struct blob b = build_ok(def, &nav_inputs);
	const struct fdt_header *h = a.data;

	g_assert_cmpmem(a.data, a.size, b.data, b.size);
	/* Packed: the strings block ends the blob. */
	g_assert_cmpuint(fdt32_to_cpu(h->off_dt_strings) + fdt32_to_cpu(h->size_dt_strings), ==,
			 a.size);
	g_assert_cmpuint(a.size, <=, DTB_BLOB_MAX);
	/* NULL inputs == no ramdisk, no overlay. */
	{
		_cleanup_(vmdef_freep) struct vmdef *min = parse_def(yaml_min);
		struct dtb_inputs none = {};
		_cleanup_(blob_clear) struct blob x = build_ok(min, NULL);
		_cleanup_(blob_clear) struct blob y = build_ok(min, &none);

		g_assert_cmpmem(x.data, x.size, y.data, y.size);
	}
}

/* ------------------------------------------------------------------ */
/* Overlays */

struct overlay_case {
	const char *name;
	const char *source;	/* dts with /plugin/, or NULL for raw bytes */
	const char *needle;	/* in the refusal message; NULL: must apply */
	const char *corpus;	/* instead: a file of tests/fuzz/corpus/dtb-overlay */
};

static void *read_file(const char *path, size_t *ret_size)
{
	g_autoptr(GError) err = NULL;
	char *data = NULL;
	gsize size = 0;

	g_file_get_contents(path, &data, &size, &err);
	g_assert_no_error(err);
	*ret_size = size;
	return data;
}

static void test_overlay_apply(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);
	g_autofree char *path = compile_dts(d, "extra.dtbo",
		"/dts-v1/;\n/plugin/;\n"
		"&chosen { stdout-path = \"hvc0\"; bootargs = \"console=hvc0 quiet\"; };\n"
		"&cpu_idle { status = \"okay\"; };\n"
		"&{/} { test-device { compatible = \"test,device\"; interrupts = <0 40 4>; }; };\n"
		"&{/gunyah-vm-config/vdevices} {\n"
		"  bell { vdevice-type = \"doorbell\"; generate = \"/hypervisor/bell\";\n"
		"         peer-default; label = <9>; };\n};\n"
		"&rm_rpc { message-size = <0xf0>; queue-depth = <16>; };\n");
	size_t size;
	g_autofree void *ovl = read_file(path, &size);
	g_autofree void *ovl_before = g_memdup2(ovl, size);
	struct dtb_inputs in = nav_inputs;
	_cleanup_(blob_clear) struct blob base = build_ok(def, &nav_inputs);
	_cleanup_(blob_clear) struct blob b = {};

	in.overlay = ovl;
	in.overlay_size = size;
	in.overlay_name = path;
	b = build_ok(def, &in);
	/* The overlay's input is not damaged (applied on copies). */
	g_assert_cmpmem(ovl, size, ovl_before, size);

	g_assert_cmpstr(prop_str(b.data, "/chosen", "stdout-path"), ==, "hvc0");
	g_assert_cmpstr(prop_str(b.data, "/chosen", "bootargs"), ==, "console=hvc0 quiet");
	g_assert_cmpstr(prop_str(b.data, "/cpus/idle-states/cpu-idle", "status"), ==, "okay");
	g_assert_cmpstr(prop_str(b.data, "/test-device", "compatible"), ==, "test,device");
	/*
	 * libfdt puts an overlay's new nodes first among their siblings: a psci
	 * node from an overlay would precede gunyah-vm-config, which is why
	 * every cpu carries cpu-idle-states (see /dtb/rm/06-cpus-psci).
	 */
	g_assert_cmpint(node_at(b.data, "/test-device"), <, node_at(b.data, "/chosen"));
	g_assert_cmpstr(prop_str(b.data, "/gunyah-vm-config/vdevices/bell", "vdevice-type"), ==,
			"doorbell");
	/* Additions to the rm-rpc vdevice: the RM's optional properties. */
	g_assert_cmpuint(prop_u32(b.data, "/gunyah-vm-config/vdevices/rm-rpc", "message-size"), ==,
			 0xf0);
	g_assert_cmpuint(prop_u32(b.data, "/gunyah-vm-config/vdevices/rm-rpc", "queue-depth"), ==,
			 16);
	/* What the RM relies on is unchanged. */
	g_assert_cmpuint(prop_u64(b.data, "/chosen", "linux,initrd-start"), ==, 0x8ee00000);
	g_assert_cmpstr(prop_str(b.data, "/gunyah-vm-config", "image-name"), ==, "nav-image");
	assert_gic_ok(b.data, def);
	g_assert_cmpuint(b.size, >, base.size);
}

static void test_overlay_refused(void)
{
	static const struct overlay_case cases[] = {
		{ "garbage", NULL, "is not a valid devicetree blob" },
		{ "plain", "/dts-v1/;\n/ { chosen { x = <1>; }; };\n", "has no fragment" },
		{ "unresolved", "/dts-v1/;\n/plugin/;\n&nosuch { x = <1>; };\n",
		  "cannot be applied" },
		{ "hypervisor", "/dts-v1/;\n/plugin/;\n&{/} { hypervisor { compatible = \"x\"; }; };\n",
		  "/hypervisor" },
		{ "memory-at", "/dts-v1/;\n/plugin/;\n"
		  "&{/} { memory@90000000 { device_type = \"memory\"; reg = <0 0x90000000 0 0x1000>; }; };\n",
		  "memory@90000000" },
		{ "memory-type", "/dts-v1/;\n/plugin/;\n"
		  "&{/} { ram { device_type = \"memory\"; }; };\n", "/ram" },
		{ "image-name", "/dts-v1/;\n/plugin/;\n&vm_config { image-name = \"other\"; };\n",
		  "image-name" },
		{ "affinity-map", "/dts-v1/;\n/plugin/;\n"
		  "&{/gunyah-vm-config/vcpus} { affinity-map = <0>; };\n", "affinity-map" },
		{ "crash-fatal", "/dts-v1/;\n/plugin/;\n&vm_config { vm-attrs = \"crash-fatal\"; };\n",
		  "crash-fatal" },
		{ "is-direct", "/dts-v1/;\n/plugin/;\n"
		  "&{/gunyah-vm-config/memory} { is-direct; };\n", "is-direct" },
		{ "initrd", "/dts-v1/;\n/plugin/;\n"
		  "&chosen { linux,initrd-start = /bits/ 64 <0x80000000>; };\n",
		  "linux,initrd-start" },
		{ "cpu-status", "/dts-v1/;\n/plugin/;\n&cpu1 { status = \"disabled\"; };\n",
		  "status" },
		{ "extra-cpu", "/dts-v1/;\n/plugin/;\n"
		  "&cpus { cpu@2 { device_type = \"cpu\"; reg = <2>; enable-method = \"psci\"; "
		  "cpu-idle-states = <&cpu_idle>; }; };\n", "3 cpu nodes" },
		{ "gic", "/dts-v1/;\n/plugin/;\n&gic { #interrupt-cells = <2>; };\n",
		  "#interrupt-cells" },
		{ "root-cells", "/dts-v1/;\n/plugin/;\n&{/} { #size-cells = <1>; };\n",
		  "#size-cells" },
		{ "shm-no-peer", "/dts-v1/;\n/plugin/;\n&{/gunyah-vm-config/vdevices} {\n"
		  "  bad { vdevice-type = \"shm\"; generate = \"/hypervisor/bad\";\n"
		  "        memory { label = <9>; base = /bits/ 64 <0xe0000000>; }; }; };\n",
		  "peer-default" },
		{ "shm-two-bases", "/dts-v1/;\n/plugin/;\n&{/gunyah-vm-config/vdevices} {\n"
		  "  bad { vdevice-type = \"shm\"; generate = \"/hypervisor/bad\"; peer-default;\n"
		  "        memory { label = <9>; base = /bits/ 64 <0xe0000000>; allocate-base; }; }; };\n",
		  "both of base and allocate-base" },
		{ "shm-generate", "/dts-v1/;\n/plugin/;\n&{/gunyah-vm-config/vdevices} {\n"
		  "  dup { vdevice-type = \"shm\"; generate = \"/hypervisor/shm-1\"; peer-default;\n"
		  "        memory { label = <9>; allocate-base; }; }; };\n",
		  "/hypervisor/shm-1" },
		{ "rm-rpc-generate", "/dts-v1/;\n/plugin/;\n"
		  "&rm_rpc { generate = \"/hypervisor/rpc\"; };\n",
		  "property 'generate' of /gunyah-vm-config/vdevices/rm-rpc" },
		{ "rm-rpc-second", "/dts-v1/;\n/plugin/;\n&{/gunyah-vm-config/vdevices} {\n"
		  "  rpc2 { vdevice-type = \"rm-rpc\";\n"
		  "         generate = \"/hypervisor/qcom,resource-manager-rpc\"; }; };\n",
		  "/hypervisor/qcom,resource-manager-rpc" },
		{ "reserved-memory", "/dts-v1/;\n/plugin/;\n&{/} { reserved-memory {\n"
		  "  #address-cells = <2>; #size-cells = <2>; ranges;\n"
		  "  buf@e0000000 { reg = <0 0xe0000000 0 0x1000>; }; }; };\n",
		  "/reserved-memory/buf@e0000000" },
		/* What libfdt itself would mishandle (found by tests/fuzz/fuzz-dtb-overlay). */
		{ "local-fixup-offset", NULL, "does not point into a property",
		  "crash-local-fixup-offset.dtbo" },
		{ "fixup-wrapped-offset", NULL, "does not point into a property",
		  "crash-fixup-wrapped-offset.dtbo" },
		{ "fixup-negative-offset", NULL, "does not point into a property",
		  "crash-fixup-negative-offset.dtbo" },
	};
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def(yaml_nav);

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct overlay_case *c = &cases[i];
		g_autofree char *name = g_strdup_printf("%s.dtbo", c->name);
		g_autofree char *path = NULL;
		g_autofree void *ovl = NULL;
		g_autofree void *ovl_before = NULL;
		struct dtb_inputs in = nav_inputs;
		const char *needles[] = { path, c->needle, NULL };
		size_t size;

		if (c->source) {
			path = compile_dts(d, name, c->source);
			ovl = read_file(path, &size);
		} else if (c->corpus) {
			path = g_build_filename(TEST_SRCDIR, "..", "fuzz", "corpus", "dtb-overlay",
						c->corpus, NULL);
			ovl = read_file(path, &size);
		} else {
			path = tmp_path(d, name);
			size = 4096;
			ovl = g_malloc(size);
			fill_pattern(ovl, size, 7, 0);
		}
		ovl_before = g_memdup2(ovl, size);
		in.overlay = ovl;
		in.overlay_size = size;
		in.overlay_name = path;
		needles[0] = path;
		g_test_message("overlay case '%s'", c->name);
		build_fails(def, &in, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
		g_assert_cmpmem(ovl, size, ovl_before, size);
	}

	/* Generated shapes: too deep for libfdt's recursion, too many items, too long a path. */
	{
		static const struct {
			const char *name, *needle;
			unsigned depth, siblings, name_len;
		} shapes[] = {
			{ "deep", "deeper than 32 levels", 40, 1, 4 },
			{ "wide", "more than 2048 nodes and properties", 1, 2100, 4 },
			/* Both, too deep first: the first refusal the walk meets is the one given. */
			{ "deep-then-wide", "deeper than 32 levels", 40, 60, 4 },
			{ "long-path", "path is 256 characters or more", 9, 1, 30 },
		};

		for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
			g_autoptr(GString) dts = g_string_new("/dts-v1/;\n/plugin/;\n&{/} {\n");
			g_autofree char *name = g_strdup_printf("%s.dtbo", shapes[i].name);
			g_autofree char *path = NULL;
			g_autofree void *ovl = NULL;
			const char *needles[] = { NULL, shapes[i].needle, NULL };
			struct dtb_inputs in = nav_inputs;
			size_t size;

			for (unsigned k = 0; k < shapes[i].siblings; k++) {
				for (unsigned l = 0; l < shapes[i].depth; l++)
					g_string_append_printf(dts, "n%0*u {\n", (int) shapes[i].name_len - 1,
							       k * 100 + l);
				for (unsigned l = 0; l < shapes[i].depth; l++)
					g_string_append(dts, "};\n");
			}
			g_string_append(dts, "};\n");
			path = compile_dts(d, name, dts->str);
			ovl = read_file(path, &size);
			in.overlay = ovl;
			in.overlay_size = size;
			in.overlay_name = path;
			needles[0] = path;
			g_test_message("overlay shape '%s'", shapes[i].name);
			build_fails(def, &in, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
		}
	}

	/* A valid overlay cut short: shorter than a header, or than its totalsize. */
	{
		g_autofree char *path = compile_dts(d, "cut.dtbo",
			"/dts-v1/;\n/plugin/;\n&chosen { stdout-path = \"hvc0\"; };\n");
		const char *const needles[] = { path, "is not a valid devicetree blob", NULL };
		size_t size, cuts[2];
		g_autofree void *ovl = read_file(path, &size);
		struct dtb_inputs in = nav_inputs;
		_cleanup_(blob_clear) struct blob whole = {};

		in.overlay = ovl;
		in.overlay_name = path;
		in.overlay_size = size;
		whole = build_ok(def, &in);	/* uncut, it applies */
		g_assert_cmpuint(fdt_totalsize(ovl), ==, size);
		cuts[0] = sizeof(struct fdt_header) - 1;
		cuts[1] = size - 1;
		for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
			in.overlay_size = cuts[i];
			build_fails(def, &in, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
		}
	}

	/* Over the size limit. */
	{
		struct dtb_inputs in = nav_inputs;
		g_autofree void *big = g_malloc0(DTB_OVERLAY_MAX + 1);
		const char *const needles[] = { "big.dtbo", "limit", NULL };

		in.overlay = big;
		in.overlay_size = DTB_OVERLAY_MAX + 1;
		in.overlay_name = "big.dtbo";
		build_fails(def, &in, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	}
}

/* ------------------------------------------------------------------ */
/* Golden files */

#define GOLDEN_KERNEL_FILE	(5 * MiB + 4 * KiB)
#define GOLDEN_KERNEL_IMAGE	(7 * MiB)
#define GOLDEN_RAMDISK		(3 * MiB + 1234)

static char *example_dir(void)
{
	return g_build_filename(TEST_SRCDIR, "..", "..", "config", "examples", NULL);
}

/* Copies an example with kernel/ramdisk/overlay pointed at generated files. */
static char *example_rewrite(const struct tmp_dir *d, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);

	for (size_t i = 0; lines[i]; i++) {
		const char *line = lines[i];
		const char *s = line + strspn(line, " \t");
		size_t indent = (size_t) (s - line);
		g_autofree char *path = NULL;

		if (g_str_has_prefix(s, "kernel:")) {
			path = make_kernel(d, "Image", GOLDEN_KERNEL_FILE, GOLDEN_KERNEL_IMAGE, 0);
			g_string_append_printf(out, "%.*skernel: %s\n", (int) indent, line, path);
		} else if (g_str_has_prefix(s, "ramdisk:")) {
			path = make_blob(d, "initrd.img", GOLDEN_RAMDISK, 0x72616d);
			g_string_append_printf(out, "%.*sramdisk: %s\n", (int) indent, line, path);
		} else if (g_str_has_prefix(s, "overlay:")) {
			path = compile_dts(d, "overlay.dtbo",
					   "/dts-v1/;\n/plugin/;\n&chosen { stdout-path = \"hvc0\"; };\n");
			g_string_append_printf(out, "%.*soverlay: %s\n", (int) indent, line, path);
		} else {
			g_string_append_printf(out, "%s%s", line, lines[i + 1] ? "\n" : "");
		}
	}
	return g_string_free(out, false);
}

static void test_golden(gconstpointer data)
{
	const char *file = data;
	g_autofree char *dir = example_dir();
	g_autofree char *src = g_build_filename(dir, file, NULL);
	g_autofree char *name = g_strndup(file, strlen(file) - strlen(".yaml"));
	g_autofree char *golden_name = g_strconcat(name, ".dts", NULL);
	g_autofree char *golden = g_build_filename(TEST_SRCDIR, "dtb", golden_name, NULL);
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL, *yaml = NULL, *dts = NULL, *want = NULL;
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	sd_bus_error berr = SD_BUS_ERROR_NULL;
	struct loader_plan plan;
	_cleanup_(blob_clear) struct blob b = {};
	int r;

	g_file_get_contents(src, &text, NULL, &err);
	g_assert_no_error(err);
	yaml = example_rewrite(d, text);
	def = parse_def(yaml);
	r = loader_plan(def, NULL, &plan, &b.data, &b.size, &berr);
	if (r < 0)
		g_error("%s: loader_plan: %s", file, berr.message);
	g_test_message("%s: kernel [0x%" PRIx64 ", 0x%" PRIx64 "), "
		       "ramdisk [0x%" PRIx64 ", 0x%" PRIx64 "), devicetree at 0x%" PRIx64 " (%zu bytes, dt_size 0x%" PRIx64
		       ", slot [0x%" PRIx64 ", 0x%" PRIx64 ")), guest physical",
		       file, plan.memory_base, plan.memory_base + plan.kernel.size,
		       plan.memory_base + plan.ramdisk.offset,
		       plan.memory_base + plan.ramdisk.offset + plan.ramdisk.size,
		       plan.memory_base + plan.dtb.offset, b.size, plan.dtb_size,
		       plan.memory_base + plan.dtb_slot.offset,
		       plan.memory_base + plan.dtb_slot.offset + plan.dtb_slot.size);
	dts = decompile_dtb(d, b.data, b.size);

	if (g_strcmp0(g_getenv("GUNYAHD_UPDATE_GOLDEN"), "1") == 0) {
		g_file_set_contents(golden, dts, -1, &err);
		g_assert_no_error(err);
		g_test_message("wrote %s", golden);
		return;
	}
	g_file_get_contents(golden, &want, NULL, &err);
	if (err)
		g_error("%s: %s (generate it with GUNYAHD_UPDATE_GOLDEN=1)", golden, err->message);
	if (strcmp(dts, want) != 0) {
		g_autofree char *got_path = g_strconcat(golden, ".got", NULL);

		(void) g_file_set_contents(got_path, dts, -1, NULL);
		g_error("%s differs from the generated tree (written to %s); if the change is intended, regenerate with GUNYAHD_UPDATE_GOLDEN=1 and review the diff",
			golden, got_path);
	}
}

static int cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void add_golden_tests(void)
{
	g_autofree char *dir = example_dir();
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GDir *gd = g_dir_open(dir, 0, &err);
	const char *name;

	g_assert_no_error(err);
	while ((name = g_dir_read_name(gd)))
		if (g_str_has_suffix(name, ".yaml"))
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(gd);
	g_ptr_array_sort(names, cmp_names);
	g_assert_cmpuint(names->len, >=, 2);
	for (size_t i = 0; i < names->len; i++) {
		char *file = names->pdata[i];	/* freed with the test case */
		g_autofree char *base = g_strndup(file, strlen(file) - 5);
		g_autofree char *test = g_strdup_printf("/dtb/golden/%s", base);

		g_test_add_data_func_full(test, file, test_golden, g_free);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/dtb/rm/01-memory-node", test_rm_memory_node);
	g_test_add_func("/dtb/rm/02-image-name", test_rm_image_name);
	g_test_add_func("/dtb/rm/03-vcpus-scheduling", test_rm_vcpus_scheduling);
	g_test_add_func("/dtb/rm/04-cell-counts", test_rm_cell_counts);
	g_test_add_func("/dtb/rm/05-gic", test_rm_gic);
	g_test_add_func("/dtb/rm/06-cpus-psci", test_rm_cpus);
	g_test_add_func("/dtb/rm/07-untrusted-denials", test_rm_untrusted);
	g_test_add_func("/dtb/rm/08-shm-vdevices", test_rm_shm);
	g_test_add_func("/dtb/rm/09-base-conflicts", test_rm_base_conflicts);
	g_test_add_func("/dtb/rm/10-parcel-labels", test_rm_parcels);
	g_test_add_func("/dtb/rm/11-rm-rpc", test_rm_rpc);
	g_test_add_func("/dtb/props/roundtrip", test_props_roundtrip);
	g_test_add_func("/dtb/props/symbols", test_symbols);
	g_test_add_func("/dtb/props/deterministic-packed", test_deterministic_packed);
	g_test_add_func("/dtb/overlay/apply", test_overlay_apply);
	g_test_add_func("/dtb/overlay/refused", test_overlay_refused);
	add_golden_tests();

	return g_test_run();
}
