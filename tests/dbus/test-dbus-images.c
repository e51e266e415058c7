/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Images and devicetree through D-Bus: VM1.GetDeviceTree, the DeviceTree
 * and Extents properties, and the errors a definition's images can cause.
 */
#include <glib/gstdio.h>
#include <libfdt.h>
#include <string.h>
#include <sys/wait.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"


static void write_file(const char *path, size_t size, int seed)
{
	g_autofree char *buf = g_malloc(size);

	for (size_t i = 0; i < size; i++)
		buf[i] = (char) (i * 31 + (size_t) seed);
	g_assert_true(g_file_set_contents(path, buf, (gssize) size, NULL));
}

static GBytes *get_device_tree(struct test_daemon *d, const char *name)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL, blob = NULL;

	reply = test_call(d, path, GH_DBUS_VM_INTERFACE, "GetDeviceTree", NULL, &error);
	g_assert_no_error(error);
	blob = g_variant_get_child_value(reply, 0);
	return g_variant_get_data_as_bytes(blob);
}

static const char *node_string(const void *fdt, const char *node, const char *prop)
{
	int off = fdt_path_offset(fdt, node);

	g_assert_cmpint(off, >=, 0);
	return fdt_getprop(fdt, off, prop, NULL);
}

static uint64_t node_u64(const void *fdt, const char *node, const char *prop)
{
	int off = fdt_path_offset(fdt, node), len;
	const void *v;

	g_assert_cmpint(off, >=, 0);
	v = fdt_getprop(fdt, off, prop, &len);
	g_assert_nonnull(v);
	g_assert_cmpint(len, ==, 8);
	return fdt64_ld(v);	/* properties are only 4-byte aligned */
}

static void start(struct test_daemon *d)
{
	g_autofree char *ramdisk = g_build_filename(d->tmpdir, "initrd.img", NULL);
	g_autofree char *extra = NULL;

	write_file(ramdisk, 300000, 5);
	extra = g_strdup_printf("ramdisk: %s\ncmdline: \"console=hvc0 quiet\"\n", ramdisk);
	test_daemon_define(d, "nav", extra);
	test_daemon_start(d, NULL);
}

static void stop(struct test_daemon *d)
{
	int status = test_daemon_stop(d);

	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	test_daemon_fini(d);
}

static void test_defined_vm(void)
{
	struct test_daemon d;
	g_autoptr(GBytes) blob = NULL;
	const void *fdt;
	size_t size;

	test_daemon_init(&d);
	start(&d);
	blob = get_device_tree(&d, "nav");
	fdt = g_bytes_get_data(blob, &size);
	g_assert_cmpint(fdt_check_full(fdt, size), ==, 0);
	g_assert_cmpstr(node_string(fdt, "/gunyah-vm-config", "image-name"), ==, "nav");
	g_assert_cmpstr(node_string(fdt, "/chosen", "bootargs"), ==, "console=hvc0 quiet");
	g_assert_cmpint(fdt_path_offset(fdt, "/hypervisor"), <, 0);
	{
		g_autofree char *state = test_vm_state(&d, "nav");

		g_assert_cmpstr(state, ==, "defined");	/* asking changed nothing */
	}
	stop(&d);
}

static void test_created_vm(void)
{
	struct test_daemon d;
	g_autofree char *path = test_vm_path("nav");
	g_autoptr(GBytes) before = NULL, after = NULL;
	g_autoptr(GVariant) dt = NULL, extents = NULL, base_v = NULL, reply = NULL;
	g_autoptr(GError) error = NULL;
	uint64_t dt_gpa, dt_size, base, gpa, size, initrd_start = 0, initrd_end = 0;
	const void *fdt;
	GVariantIter iter;
	const char *name;
	bool seen_kernel = false, seen_ramdisk = false, seen_dtb = false;

	test_daemon_init(&d);
	start(&d);
	before = get_device_tree(&d, "nav");
	reply = test_manager_call(&d, "CreateVM", g_variant_new("(s)", "nav"), &error);
	g_assert_no_error(error);
	after = get_device_tree(&d, "nav");
	/* The dry run and the real load agree byte for byte. */
	g_assert_true(g_bytes_equal(before, after));
	fdt = g_bytes_get_data(after, NULL);
	initrd_start = node_u64(fdt, "/chosen", "linux,initrd-start");
	initrd_end = node_u64(fdt, "/chosen", "linux,initrd-end");

	base_v = test_get_property(&d, path, GH_DBUS_VM_INTERFACE, "MemoryBase");
	base = g_variant_get_uint64(base_v);
	dt = test_get_property(&d, path, GH_DBUS_VM_INTERFACE, "DeviceTree");
	g_variant_get(dt, "(tt)", &dt_gpa, &dt_size);
	g_assert_cmpuint(dt_gpa % 8, ==, 0);
	g_assert_cmpuint(dt_gpa, >, base);
	g_assert_cmpuint(dt_gpa + dt_size, <=, base + 16 * 1024 * 1024);
	g_assert_cmpuint(dt_size, >=, g_bytes_get_size(after));

	extents = test_get_property(&d, path, GH_DBUS_VM_INTERFACE, "Extents");
	g_variant_iter_init(&iter, extents);
	while (g_variant_iter_loop(&iter, "(&stt)", &name, &gpa, &size)) {
		if (strcmp(name, "kernel") == 0) {
			g_assert_cmpuint(gpa, ==, base);	/* the RM starts here */
			g_assert_cmpuint(size, ==, 65536);	/* raw image: its size */
			seen_kernel = true;
		} else if (strcmp(name, "ramdisk") == 0) {
			g_assert_cmpuint(gpa, ==, initrd_start);
			g_assert_cmpuint(gpa + size, ==, initrd_end);
			g_assert_cmpuint(size, ==, 300000);
			g_assert_cmpuint(gpa % 4096, ==, 0);
			seen_ramdisk = true;
		} else if (strcmp(name, "devicetree") == 0) {
			g_assert_cmpuint(gpa, ==, dt_gpa);
			g_assert_cmpuint(size, ==, dt_size);
			seen_dtb = true;
		} else {
			g_assert_not_reached();
		}
	}
	g_assert_true(seen_kernel && seen_ramdisk && seen_dtb);
	g_assert_cmpuint(initrd_end, <=, dt_gpa);
	stop(&d);
}

static void test_invalid_definition(void)
{
	struct test_daemon d;
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	GVariant *reply;

	test_daemon_init(&d);
	test_daemon_define(&d, "nokernel", NULL);
	test_daemon_start(&d, NULL);
	g_assert_cmpint(g_unlink(d.kernel), ==, 0);
	reply = test_manager_call(&d, "CreateVM", g_variant_new("(s)", "nokernel"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_INVALID_DEFINITION, d.kernel);
	g_clear_error(&error);
	reply = test_manager_call(&d, "StartVM", g_variant_new("(s)", "nokernel"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_INVALID_DEFINITION, d.kernel);
	state = test_vm_state(&d, "nokernel");
	g_assert_cmpstr(state, ==, "defined");
	stop(&d);
}

static void test_layout_conflict(void)
{
	struct test_daemon d;
	g_autofree char *ramdisk = NULL, *extra = NULL, *state = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	test_daemon_init(&d);
	ramdisk = g_build_filename(d.tmpdir, "initrd.img", NULL);
	write_file(ramdisk, 8192, 1);
	/* The ramdisk asked to sit on the kernel. */
	extra = g_strdup_printf("ramdisk: %s\nramdisk-offset: 0x1000\n", ramdisk);
	test_daemon_define(&d, "clash", extra);
	test_daemon_start(&d, NULL);
	reply = test_manager_call(&d, "CreateVM", g_variant_new("(s)", "clash"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_LAYOUT_CONFLICT, "kernel");
	g_assert_nonnull(strstr(error->message, "ramdisk"));
	state = test_vm_state(&d, "clash");
	g_assert_cmpstr(state, ==, "defined");
	stop(&d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dbus/devicetree/defined-vm", test_defined_vm);
	g_test_add_func("/dbus/devicetree/created-vm", test_created_vm);
	g_test_add_func("/dbus/images/invalid-definition", test_invalid_definition);
	g_test_add_func("/dbus/images/layout-conflict", test_layout_conflict);
	return g_test_run();
}
