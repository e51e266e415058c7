/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.gunyah.Manager1 and org.gunyah.VM1 through D-Bus: the real gunyahd
 * binary on a private bus, driven by a GDBus client.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"


struct fixture {
	struct test_daemon d;
};

static void setup(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_init(&f->d);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	(void) data;
	/* A clean shutdown is part of every test (and of the valgrind run). */
	test_daemon_finish(&f->d);
}

static void test_ready(struct fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) backend = NULL, count = NULL, features = NULL, version = NULL;
	g_autofree const char **list = NULL;

	(void) data;
	test_daemon_define(&f->d, "alpha", NULL);
	test_daemon_define(&f->d, "beta", NULL);
	test_daemon_start(&f->d, NULL);
	g_assert_nonnull(strstr(f->d.notify->str, "READY=1"));
	g_assert_nonnull(strstr(f->d.notify->str, "STATUS="));

	backend = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				    "Backend");
	g_assert_cmpstr(g_variant_get_string(backend, NULL), ==, "sim");
	count = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				  "VMCount");
	g_assert_cmpuint(g_variant_get_uint32(count), ==, 2);
	version = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				    "Version");
	g_assert_cmpstr(g_variant_get_string(version, NULL), !=, "");
	features = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				     "Features");
	list = g_variant_get_strv(features, NULL);
	g_assert_true(g_strv_contains(list, "vm-status"));
	g_assert_true(g_strv_contains(list, "vm-stop"));
}

static void test_list(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL, path = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	const char *name, *state, *obj;
	uint32_t vmid;
	int n = 0;

	(void) data;
	test_daemon_define(&f->d, "zeta", NULL);
	test_daemon_define(&f->d, "nav-1.x", NULL);
	test_daemon_start(&f->d, NULL);
	reply = test_manager_call(&f->d, "ListVMs", NULL, &error);
	g_assert_no_error(error);
	g_variant_get(reply, "(a(ssuo))", &iter);
	while (g_variant_iter_loop(iter, "(&s&su&o)", &name, &state, &vmid, &obj)) {
		g_autofree char *expect = test_vm_path(name);

		g_assert_cmpstr(name, ==, n == 0 ? "nav-1.x" : "zeta");	/* sorted */
		g_assert_cmpstr(state, ==, "defined");
		g_assert_cmpuint(vmid, ==, 0);
		g_assert_cmpstr(obj, ==, expect);
		n++;
	}
	g_assert_cmpint(n, ==, 2);
	path = test_manager_call(&f->d, "GetVM", g_variant_new("(s)", "nav-1.x"), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_type_string(path), ==, "(o)");
}

static void test_lifecycle_manager(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) path = NULL, vmid = NULL, reason = NULL, etype = NULL;
	g_autofree char *expect = test_vm_path("nav");
	const char *p;

	(void) data;
	test_daemon_define(&f->d, "nav", NULL);
	test_daemon_start(&f->d, NULL);

	path = test_manager_call(&f->d, "CreateVM", g_variant_new("(s)", "nav"), &error);
	g_assert_no_error(error);
	g_variant_get(path, "(&o)", &p);
	g_assert_cmpstr(p, ==, expect);
	test_assert_state(&f->d, "nav", "created");
	vmid = test_get_property(&f->d, expect, GH_DBUS_VM_INTERFACE, "VMID");
	g_assert_cmpuint(g_variant_get_uint32(vmid), >=, 0x80);

	/* StartVM replies once the VM runs. */
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));
	test_assert_state(&f->d, "nav", "running");

	test_manager_call_ok(&f->d, "StopVM", g_variant_new("(sb)", "nav", FALSE));
	test_wait_state(&f->d, "nav", "exited");
	test_assert_state(&f->d, "nav", "exited");
	reason = test_get_property(&f->d, expect, GH_DBUS_VM_INTERFACE, "StateReason");
	g_assert_cmpstr(g_variant_get_string(reason, NULL), ==, "poweroff");
	etype = test_get_property(&f->d, expect, GH_DBUS_VM_INTERFACE, "ExitType");
	g_assert_cmpstr(g_variant_get_string(etype, NULL), ==, "platform-off");

	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "nav"));
	test_assert_state(&f->d, "nav", "defined");
}

static void test_lifecycle_object(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = test_vm_path("cluster");
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_define(&f->d, "cluster", NULL);
	test_daemon_start(&f->d, NULL);
	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "Create", NULL, &error);
	g_assert_no_error(error);
	g_variant_unref(reply);
	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "Start", NULL, &error);
	g_assert_no_error(error);
	g_variant_unref(reply);
	test_assert_state(&f->d, "cluster", "running");
	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "Stop", g_variant_new("(b)", TRUE),
			  &error);
	g_assert_no_error(error);
	g_variant_unref(reply);
	test_wait_state(&f->d, "cluster", "exited");
	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "Destroy", NULL, &error);
	g_assert_no_error(error);
	g_variant_unref(reply);
	test_assert_state(&f->d, "cluster", "defined");
}

struct prop_log {
	GPtrArray *states;
};

static void on_props_changed(GDBusConnection *conn, const char *sender, const char *path,
			     const char *iface, const char *member, GVariant *params,
			     gpointer userdata)
{
	struct prop_log *log = userdata;
	g_autoptr(GVariant) changed = NULL;
	const char *state;

	(void) conn, (void) sender, (void) path, (void) iface, (void) member;
	changed = g_variant_get_child_value(params, 1);
	if (g_variant_lookup(changed, "State", "&s", &state))
		g_ptr_array_add(log->states, g_strdup(state));
}

static void test_signals_in_order(struct fixture *f, gconstpointer data)
{
	static const char *const expected[] = {
		"nav created ", "nav starting ", "nav running ", "nav stopping requested",
		"nav exited poweroff", "nav defined destroyed",
	};
	g_autofree char *path = test_vm_path("nav");
	struct prop_log log = { .states = g_ptr_array_new_with_free_func(g_free) };
	guint sub;

	(void) data;
	test_daemon_define(&f->d, "nav", NULL);
	test_daemon_start(&f->d, NULL);
	sub = g_dbus_connection_signal_subscribe(f->d.conn, GH_DBUS_SERVICE,
						 "org.freedesktop.DBus.Properties",
						 "PropertiesChanged", path, GH_DBUS_VM_INTERFACE,
						 G_DBUS_SIGNAL_FLAGS_NONE, on_props_changed, &log,
						 NULL);
	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "nav"));
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));
	test_manager_call_ok(&f->d, "StopVM", g_variant_new("(sb)", "nav", FALSE));
	test_wait_state(&f->d, "nav", "exited");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "nav"));
	test_wait_state(&f->d, "nav", "defined");
	while (log.states->len < G_N_ELEMENTS(expected))
		g_main_context_iteration(NULL, TRUE);

	g_assert_cmpuint(f->d.state_signals->len, ==, G_N_ELEMENTS(expected));
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *state = g_strndup(expected[i] + 4,
						   strcspn(expected[i] + 4, " "));

		g_assert_cmpstr(f->d.state_signals->pdata[i], ==, expected[i]);
		g_assert_cmpstr(log.states->pdata[i], ==, state);
	}
	g_dbus_connection_signal_unsubscribe(f->d.conn, sub);
	g_ptr_array_unref(log.states);
}

static void test_errors(struct fixture *f, gconstpointer data)
{
	static const char *const by_name[] = { "GetVM", "CreateVM", "StartVM", "DestroyVM" };
	GError *error = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_define(&f->d, "nav", NULL);
	test_daemon_define(&f->d, "broken", "simulate:\n  start: fail\n  start-errno: ETIMEDOUT\n");
	test_daemon_define(&f->d, "unsupported",
			   "simulate:\n  start: fail\n  start-errno: EOPNOTSUPP\n");
	test_daemon_start(&f->d, NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(by_name); i++) {
		reply = test_manager_call(&f->d, by_name[i], g_variant_new("(s)", "ghost"), &error);
		g_assert_null(reply);
		test_assert_dbus_error(error, GH_ERROR_NO_SUCH_VM, "ghost");
		g_clear_error(&error);
	}
	reply = test_manager_call(&f->d, "StopVM", g_variant_new("(sb)", "ghost", TRUE), &error);
	test_assert_dbus_error(error, GH_ERROR_NO_SUCH_VM, "ghost");
	g_clear_error(&error);

	reply = test_manager_call(&f->d, "StopVM", g_variant_new("(sb)", "nav", FALSE), &error);
	test_assert_dbus_error(error, GH_ERROR_INVALID_STATE, "is defined");
	g_clear_error(&error);
	reply = test_manager_call(&f->d, "DestroyVM", g_variant_new("(s)", "nav"), &error);
	test_assert_dbus_error(error, GH_ERROR_INVALID_STATE, "is defined");
	g_clear_error(&error);
	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "nav"));
	reply = test_manager_call(&f->d, "CreateVM", g_variant_new("(s)", "nav"), &error);
	test_assert_dbus_error(error, GH_ERROR_INVALID_STATE, "is created");
	g_clear_error(&error);

	/* A failed start: the reply carries the ioctl and the errno's text. */
	reply = test_manager_call(&f->d, "StartVM", g_variant_new("(s)", "broken"), &error);
	test_assert_dbus_error(error, GH_ERROR_HYPERVISOR, "GH_VM_START: Connection timed out");
	g_clear_error(&error);
	test_assert_state(&f->d, "broken", "failed");

	/* What the RM does not implement: NotSupported, still naming the ioctl. */
	reply = test_manager_call(&f->d, "StartVM", g_variant_new("(s)", "unsupported"), &error);
	test_assert_dbus_error(error, GH_ERROR_NOT_SUPPORTED,
			       "GH_VM_START: Operation not supported");
	g_clear_error(&error);

	/* Wrong signature: sd-bus's own error, and nothing changed. */
	reply = test_manager_call(&f->d, "StopVM", g_variant_new("(s)", "nav"), &error);
	g_assert_nonnull(error);
	g_clear_error(&error);
	test_assert_state(&f->d, "nav", "created");
	(void) reply;
}

static void on_objects_signal(GDBusConnection *c, const char *sender, const char *path,
			      const char *iface, const char *member, GVariant *params,
			      gpointer userdata)
{
	GPtrArray *log = userdata;
	g_autoptr(GVariant) what = g_variant_get_child_value(params, 1);
	g_autofree char *text = g_variant_print(what, FALSE);
	const char *object;

	(void) c;
	(void) sender;
	(void) path;
	(void) iface;
	g_variant_get_child(params, 0, "&o", &object);
	g_ptr_array_add(log, g_strdup_printf("%s %s %s", member, object, text));
}

/* org.freedesktop.DBus.ObjectManager: every VM with its properties, and their arrivals. */
static void test_object_manager(struct fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *later = g_strdup_printf("%s/later.yaml", f->d.defs);
	g_autoptr(GVariant) reply = NULL, objects = NULL, nav = NULL, state = NULL;
	g_autoptr(GError) error = NULL;
	guint sub;

	(void) data;
	test_daemon_define(&f->d, "nav", NULL);
	test_daemon_define(&f->d, "cluster", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "nav"));
	reply = g_dbus_connection_call_sync(f->d.conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
					    "org.freedesktop.DBus.ObjectManager",
					    "GetManagedObjects", NULL,
					    G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
					    G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
	g_assert_no_error(error);
	objects = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(objects), ==, 2);
	g_assert_true(g_variant_lookup(objects, GH_DBUS_VM_PATH_PREFIX "/nav", "@a{sa{sv}}", &nav));
	g_assert_true(g_variant_lookup(objects, GH_DBUS_VM_PATH_PREFIX "/cluster", "a{sa{sv}}",
				       NULL));
	{
		g_autoptr(GVariant) props = g_variant_lookup_value(nav, GH_DBUS_VM_INTERFACE, NULL);

		g_assert_nonnull(props);
		state = g_variant_lookup_value(props, "State", G_VARIANT_TYPE_STRING);
		g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "created");
	}

	sub = g_dbus_connection_signal_subscribe(f->d.conn, GH_DBUS_SERVICE,
						 "org.freedesktop.DBus.ObjectManager", NULL,
						 GH_DBUS_MANAGER_PATH, NULL,
						 G_DBUS_SIGNAL_FLAGS_NONE, on_objects_signal, log,
						 NULL);
	test_daemon_define(&f->d, "later", NULL);
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_cmpint(g_unlink(later), ==, 0);
	test_manager_call_ok(&f->d, "Reload", NULL);
	while (log->len < 2)
		g_main_context_iteration(NULL, TRUE);
	g_dbus_connection_signal_unsubscribe(f->d.conn, sub);
	g_assert_true(g_str_has_prefix(log->pdata[0],
				       "InterfacesAdded /org/gunyah/Manager1/vm/later {"));
	g_assert_nonnull(strstr(log->pdata[0], "'org.gunyah.VM1': {"));
	g_assert_nonnull(strstr(log->pdata[0], "'Name': <'later'>"));
	g_assert_true(g_str_has_prefix(log->pdata[1],
				       "InterfacesRemoved /org/gunyah/Manager1/vm/later ["));
	g_assert_nonnull(strstr(log->pdata[1], "'org.gunyah.VM1'"));
}

static void test_limit(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	GVariant *reply;

	(void) data;
	for (int i = 0; i < 64; i++) {
		g_autofree char *name = g_strdup_printf("vm%02d", i);

		test_daemon_define(&f->d, name, NULL);
	}
	test_daemon_start(&f->d, NULL);
	for (int i = 0; i < 63; i++) {
		g_autofree char *name = g_strdup_printf("vm%02d", i);

		test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", name));
	}
	reply = test_manager_call(&f->d, "CreateVM", g_variant_new("(s)", "vm63"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_LIMIT_EXCEEDED, "limits.max-vms");
	g_clear_error(&error);
	test_assert_state(&f->d, "vm63", "defined");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "vm00"));
	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "vm63"));
}

static void test_many_vms_no_fd_growth(struct fixture *f, gconstpointer data)
{
	int before, after;

	(void) data;
	for (int i = 0; i < 100; i++) {
		g_autofree char *name = g_strdup_printf("vm%03d", i);

		test_daemon_define(&f->d, name, NULL);
	}
	test_daemon_start(&f->d, NULL);
	/* One round first, so that anything opened once (NSS, threads) is open. */
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "vm000"));
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "vm000"));
	before = test_daemon_count_fds(&f->d);
	for (int i = 0; i < 100; i++) {
		g_autofree char *name = g_strdup_printf("vm%03d", i);

		test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", name));
		test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", name));
		test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", name));
	}
	after = test_daemon_count_fds(&f->d);
	g_assert_cmpint(after, <=, before);
}

static void test_bad_definition_skipped(struct fixture *f, gconstpointer data)
{
	g_autofree char *bad = g_build_filename(f->d.defs, "bad.yaml", NULL);
	g_autoptr(GVariant) count = NULL;
	g_autofree char *log = NULL;

	(void) data;
	test_daemon_define(&f->d, "good", NULL);
	g_assert_true(g_file_set_contents(bad, "version: 1\nname: bad\nmemroy: {}\n", -1, NULL));
	test_daemon_start(&f->d, NULL);
	count = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				  "VMCount");
	g_assert_cmpuint(g_variant_get_uint32(count), ==, 1);
	test_assert_state(&f->d, "good", "defined");
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "bad.yaml:3:1: memroy"));
}

static void test_exit_observed(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = test_vm_path("crashy");
	g_autoptr(GVariant) etype = NULL;

	(void) data;
	test_daemon_define(&f->d, "crashy",
			   "simulate:\n  exit-after: 50ms\n  exit-type: watchdog-bite\n");
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "crashy"));
	test_wait_state(&f->d, "crashy", "crashed");
	g_assert_cmpstr(g_ptr_array_index(f->d.state_signals, f->d.state_signals->len - 1), ==,
			"crashy crashed watchdog-bite");
	etype = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "ExitType");
	g_assert_cmpstr(g_variant_get_string(etype, NULL), ==, "watchdog-bite");
}

static void on_start_reply(GObject *src, GAsyncResult *res, gpointer userdata)
{
	GVariant **out = userdata;
	g_autoptr(GError) error = NULL;

	*out = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &error);
	g_assert_no_error(error);
}

/* A slow START runs on a worker thread: the bus keeps answering meanwhile. */
static void test_responsive_while_starting(struct fixture *f, gconstpointer data)
{
	GVariant *start_reply = NULL;

	(void) data;
	test_daemon_define(&f->d, "slow", "simulate:\n  start-delay: 2s\n");
	test_daemon_start(&f->d, NULL);
	g_dbus_connection_call(f->d.conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
			       GH_DBUS_MANAGER_INTERFACE, "StartVM",
			       g_variant_new("(s)", "slow"), NULL, G_DBUS_CALL_FLAGS_NONE, 60000,
			       NULL, on_start_reply, &start_reply);
	test_wait_state(&f->d, "slow", "starting");
	/* Answered while the start is still in flight. */
	test_assert_state(&f->d, "slow", "starting");
	g_assert_null(start_reply);
	while (!start_reply)
		g_main_context_iteration(NULL, TRUE);
	g_variant_unref(start_reply);
	test_assert_state(&f->d, "slow", "running");
}

static void on_start_error(GObject *src, GAsyncResult *res, gpointer userdata)
{
	GError **out = userdata;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
								  out);

	g_assert_null(reply);
}

/* A start that hangs can be abandoned: DestroyVM is accepted while it is in flight. */
static void test_destroy_while_starting(struct fixture *f, gconstpointer data)
{
	GError *start_error = NULL;
	g_autofree char *log = NULL;
	int fds;

	(void) data;
	test_daemon_define(&f->d, "slow", "simulate:\n  start-delay: 2s\n");
	test_daemon_define(&f->d, "warm", NULL);
	test_daemon_start(&f->d, NULL);
	/* One round first, so that anything opened once (NSS, threads) is open. */
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "warm"));
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "warm"));
	fds = test_daemon_count_fds(&f->d);
	g_dbus_connection_call(f->d.conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
			       GH_DBUS_MANAGER_INTERFACE, "StartVM",
			       g_variant_new("(s)", "slow"), NULL, G_DBUS_CALL_FLAGS_NONE, 60000,
			       NULL, on_start_error, &start_error);
	test_wait_state(&f->d, "slow", "starting");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "slow"));
	test_assert_state(&f->d, "slow", "defined");
	while (!start_error)
		g_main_context_iteration(NULL, TRUE);
	test_assert_dbus_error(start_error, GH_ERROR_INVALID_STATE,
			       "start abandoned: destroyed");
	g_clear_error(&start_error);
	g_assert_cmpint(test_daemon_count_fds(&f->d), ==, fds);
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "VM 'slow': start abandoned for a destroy"));
}

static void test_sigterm(struct fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	int status;

	(void) data;
	test_daemon_define(&f->d, "nav", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));
	status = test_daemon_stop(&f->d);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "VM 'nav': destroying for shutdown"));
	/* Watchers see every VM go, before gunyahd leaves the bus. */
	for (gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	     !g_ptr_array_find_with_equal_func(f->d.state_signals, "nav defined shutdown",
					       g_str_equal, NULL);
	     g_usleep(10000)) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		if (g_get_monotonic_time() > end)
			g_error("no 'nav defined shutdown' VMStateChanged");
	}
}

static void test_name_taken(struct fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	const char *argv[4];
	g_autofree char *bus = NULL;
	int status;

	(void) data;
	test_daemon_start(&f->d, NULL);
	bus = g_strdup_printf("--bus-address=%s", f->d.bus_address);
	argv[0] = g_getenv("GUNYAHD_BINARY");
	argv[1] = bus;
	argv[2] = "--backend=sim";
	argv[3] = NULL;
	g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
				   NULL, NULL, &log, &status, NULL));
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(log, "org.gunyah.Manager1"));
}

int main(int argc, char **argv)
{
	static const struct {
		const char *path;
		void (*fn)(struct fixture *, gconstpointer);
	} tests[] = {
		{ "/dbus/ready", test_ready },
		{ "/dbus/list", test_list },
		{ "/dbus/lifecycle/manager", test_lifecycle_manager },
		{ "/dbus/lifecycle/object", test_lifecycle_object },
		{ "/dbus/signals-in-order", test_signals_in_order },
		{ "/dbus/errors", test_errors },
		{ "/dbus/limit", test_limit },
		{ "/dbus/object-manager", test_object_manager },
		{ "/dbus/many-vms-no-fd-growth", test_many_vms_no_fd_growth },
		{ "/dbus/bad-definition-skipped", test_bad_definition_skipped },
		{ "/dbus/exit-observed", test_exit_observed },
		{ "/dbus/responsive-while-starting", test_responsive_while_starting },
		{ "/dbus/destroy-while-starting", test_destroy_while_starting },
		{ "/dbus/sigterm", test_sigterm },
		{ "/dbus/name-taken", test_name_taken },
	};

	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].path, struct fixture, NULL, setup, tests[i].fn, teardown);
	return g_test_run();
}
