/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The XML in dbus/ is the contract: the running daemon's introspection
 * must match it member for member (names, argument names, types and
 * directions, property types, access and change signalling), both ways.
 */
#include <string.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"

static GDBusNodeInfo *load_contract(const char *file)
{
	g_autofree char *path = g_build_filename(g_getenv("DBUS_XML_DIR"), file, NULL);
	g_autofree char *xml = NULL;
	g_autoptr(GError) error = NULL;
	GDBusNodeInfo *info;

	g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
	info = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	return info;
}

static GDBusNodeInfo *introspect(struct test_daemon *d, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	const char *xml;
	GDBusNodeInfo *info;

	reply = test_call(d, path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
			  &error);
	g_assert_no_error(error);
	g_variant_get(reply, "(&s)", &xml);
	info = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	return info;
}

static const char *emits(GDBusAnnotationInfo **annotations)
{
	const char *v = g_dbus_annotation_info_lookup(annotations,
						      "org.freedesktop.DBus.Property.EmitsChangedSignal");

	return v ? v : "true";
}

static char *describe_args(GDBusArgInfo **args, const char *dir)
{
	GString *s = g_string_new(NULL);

	for (; args && *args; args++)
		g_string_append_printf(s, "%s%s:%s:%s", s->len ? "," : "", dir, (*args)->name,
				       (*args)->signature);
	return g_string_free(s, FALSE);
}

static gint compare_lines(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* One line per member, sorted: a mismatch prints exactly what differs. */
static char *describe(GDBusInterfaceInfo *iface)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	GString *s = g_string_new(NULL);

	for (GDBusMethodInfo **m = iface->methods; m && *m; m++) {
		g_autofree char *in = describe_args((*m)->in_args, "in");
		g_autofree char *out = describe_args((*m)->out_args, "out");

		g_ptr_array_add(lines, g_strdup_printf("method %s(%s;%s)", (*m)->name, in, out));
	}
	for (GDBusSignalInfo **sig = iface->signals; sig && *sig; sig++) {
		g_autofree char *args = describe_args((*sig)->args, "arg");

		g_ptr_array_add(lines, g_strdup_printf("signal %s(%s)", (*sig)->name, args));
	}
	for (GDBusPropertyInfo **p = iface->properties; p && *p; p++)
		g_ptr_array_add(lines, g_strdup_printf("property %s %s flags=%d emits=%s",
						       (*p)->name, (*p)->signature, (*p)->flags,
						       emits((*p)->annotations)));
	g_ptr_array_sort(lines, compare_lines);
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(s, "%s\n", (char *) lines->pdata[i]);
	return g_string_free(s, FALSE);
}

static void compare(struct test_daemon *d, const char *path, const char *file,
		    const char *iface_name)
{
	g_autoptr(GDBusNodeInfo) contract = load_contract(file);
	g_autoptr(GDBusNodeInfo) live = introspect(d, path);
	GDBusInterfaceInfo *want = g_dbus_node_info_lookup_interface(contract, iface_name);
	GDBusInterfaceInfo *got = g_dbus_node_info_lookup_interface(live, iface_name);
	g_autofree char *want_s = NULL, *got_s = NULL;

	g_assert_nonnull(want);
	g_assert_nonnull(got);
	want_s = describe(want);
	got_s = describe(got);
	g_assert_cmpstr(got_s, ==, want_s);
}

static void test_contract(void)
{
	struct test_daemon d;
	g_autofree char *vm_path = NULL;

	test_daemon_init(&d);
	test_daemon_define(&d, "nav", NULL);
	test_daemon_start(&d, NULL);
	vm_path = test_vm_path("nav");
	compare(&d, GH_DBUS_MANAGER_PATH, "org.gunyah.Manager1.xml", GH_DBUS_MANAGER_INTERFACE);
	compare(&d, vm_path, "org.gunyah.VM1.xml", GH_DBUS_VM_INTERFACE);
	test_daemon_stop(&d);
	test_daemon_fini(&d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dbus/contract/introspection-matches-xml", test_contract);
	return g_test_run();
}
