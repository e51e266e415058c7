/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"
#include "test-fds.h"

#define READY_TIMEOUT_MS 60000	/* valgrind makes the daemon slow to start */
#define KERNEL_SIZE 65536	/* a raw kernel image of a recognisable pattern */

static void on_state_changed(GDBusConnection *conn, const char *sender, const char *path,
			     const char *iface, const char *member, GVariant *params,
			     gpointer userdata)
{
	struct test_daemon *d = userdata;
	const char *name, *state, *reason;

	(void) conn, (void) sender, (void) path, (void) iface, (void) member;
	g_variant_get(params, "(&s&s&s)", &name, &state, &reason);
	g_ptr_array_add(d->state_signals, g_strdup_printf("%s %s %s", name, state, reason));
}

static void on_notify(const char *msg, void *userdata)
{
	struct test_daemon *d = userdata;

	g_string_append(d->notify, msg);
	g_string_append_c(d->notify, '\n');
}

/* The spawner, told of a daemon the test reaped itself (d->pid = 0). */
static struct daemon_spawn *spawner(struct test_daemon *d)
{
	d->spawn.pid = d->pid;
	return &d->spawn;
}

void test_daemon_init(struct test_daemon *d)
{
	memset(d, 0, sizeof(*d));
	g_assert_cmpint(daemon_spawn_init(&d->spawn, g_get_prgname() ?: "test", "gunyahd-test"),
			==, 0);
	d->spawn.append_log = true;
	d->spawn.on_notify = on_notify;
	d->spawn.userdata = d;
	d->tmpdir = d->spawn.dir;
	d->defs = d->spawn.defs;
	d->log_path = d->spawn.log_path;
	d->notify_path = d->spawn.notify_path;
	d->notify_fd = d->spawn.notify_fd;
	d->kernel = g_build_filename(d->tmpdir, "Image", NULL);
	g_assert_cmpint(daemon_spawn_write_pattern(d->kernel, KERNEL_SIZE), ==, 0);
	d->notify = g_string_new(NULL);
	d->state_signals = g_ptr_array_new_with_free_func(g_free);
	d->env = g_ptr_array_new_with_free_func(g_free);
}

void test_daemon_define(struct test_daemon *d, const char *name, const char *extra)
{
	g_assert_cmpint(daemon_spawn_define(&d->spawn, name, 16, d->kernel, extra), ==, 0);
}

bool test_daemon_wait_notify(struct test_daemon *d, const char *text, int timeout_ms)
{
	double deadline = daemon_spawn_now_ms() + timeout_ms;

	while (!strstr(d->notify->str, text)) {
		char buf[1024];
		int r = daemon_spawn_recv_notify(spawner(d), deadline, buf, sizeof(buf));

		d->pid = d->spawn.pid;
		if (r == -ECHILD) {
			g_autofree char *log = test_daemon_log(d);

			g_error("gunyahd exited while the test waited for %s (status %d):\n%s", text,
				d->spawn.status, log);
		}
		if (r < 0)
			return false;
		on_notify(buf, d);
	}
	return true;
}

static void connect_bus(struct test_daemon *d)
{
	g_autoptr(GError) error = NULL;

	d->conn = g_dbus_connection_new_for_address_sync(
		d->bus_address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);
	d->state_sub = g_dbus_connection_signal_subscribe(
		d->conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_INTERFACE, "VMStateChanged",
		GH_DBUS_MANAGER_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_state_changed, d, NULL);
}

void test_daemon_start(struct test_daemon *d, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GPtrArray) env = g_ptr_array_new();
	int r;

	g_assert_cmpint(daemon_spawn_bus_start(&d->spawn), ==, 0);
	d->bus_pid = d->spawn.bus_pid;
	d->bus_address = d->spawn.bus_address;

	g_ptr_array_add(argv, (char *) "--log-level=debug");
	for (; args && *args; args++)
		g_ptr_array_add(argv, (char *) *args);
	g_ptr_array_add(argv, NULL);
	for (guint i = 0; i < d->env->len; i++)
		g_ptr_array_add(env, d->env->pdata[i]);
	g_ptr_array_add(env, NULL);
	d->spawn.env = (const char *const *) env->pdata;
	d->spawn.no_definitions_arg = d->no_definitions_arg;
	r = daemon_spawn_start(spawner(d), (const char *const *) argv->pdata, READY_TIMEOUT_MS,
			       NULL);
	d->spawn.env = NULL;
	d->pid = d->spawn.pid;
	if (r < 0)
		g_error("gunyahd did not send READY=1: %s", g_strerror(-r));
	connect_bus(d);
}

int test_daemon_stop(struct test_daemon *d)
{
	if (d->pid <= 0)
		return -1;
	g_assert_cmpint(daemon_spawn_stop(spawner(d), -1), ==, 0);
	d->pid = 0;
	return d->spawn.status;
}

void test_daemon_finish(struct test_daemon *d)
{
	if (d->pid > 0) {
		int status = test_daemon_stop(d);

		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			g_autofree char *log = test_daemon_log(d);

			g_error("gunyahd did not exit cleanly (status 0x%x):\n%s", status, log);
		}
	}
	test_daemon_fini(d);
}

void test_daemon_fini(struct test_daemon *d)
{
	if (d->conn) {
		g_dbus_connection_signal_unsubscribe(d->conn, d->state_sub);
		g_dbus_connection_close_sync(d->conn, NULL, NULL);
		g_clear_object(&d->conn);
	}
	g_assert_cmpint(daemon_spawn_fini(spawner(d)), ==, 0);
	d->pid = d->bus_pid = 0;
	d->notify_fd = -1;
	d->bus_address = NULL;
	g_free(d->kernel);
	g_string_free(d->notify, TRUE);
	g_ptr_array_unref(d->state_signals);
	g_ptr_array_unref(d->env);
}

char *test_daemon_log(struct test_daemon *d)
{
	char *log = daemon_spawn_read_log(&d->spawn);
	char *copy = g_strdup(log ?: "");

	free(log);
	return copy;
}

int test_daemon_count_fds(struct test_daemon *d)
{
	return test_count_fds(d->pid);
}

GVariant *test_call(struct test_daemon *d, const char *path, const char *iface,
		    const char *method, GVariant *params, GError **error)
{
	return g_dbus_connection_call_sync(d->conn, GH_DBUS_SERVICE, path, iface, method,
					   params, NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL,
					   error);
}

GVariant *test_manager_call(struct test_daemon *d, const char *method, GVariant *params,
			    GError **error)
{
	return test_call(d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, method, params, error);
}

GVariant *test_get_property(struct test_daemon *d, const char *path, const char *iface,
			    const char *name)
{
	g_autoptr(GError) error = NULL;
	GVariant *reply, *value;

	reply = test_call(d, path, "org.freedesktop.DBus.Properties", "Get",
			  g_variant_new("(ss)", iface, name), &error);
	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &value);
	g_variant_unref(reply);
	return value;
}

char *test_vm_path(const char *name)
{
	GString *s = g_string_new(GH_DBUS_VM_PATH_PREFIX "/");

	/* sd_bus_path_encode: [A-Za-z0-9] as is, everything else _xx. */
	for (const char *p = name; *p; p++) {
		if (g_ascii_isalnum(*p))
			g_string_append_c(s, *p);
		else
			g_string_append_printf(s, "_%02x", (unsigned char) *p);
	}
	return g_string_free(s, FALSE);
}

char *test_vm_state(struct test_daemon *d, const char *name)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(d, path, GH_DBUS_VM_INTERFACE, "State");

	return g_variant_dup_string(v, NULL);
}

void test_assert_state(struct test_daemon *d, const char *name, const char *state)
{
	g_autofree char *s = test_vm_state(d, name);

	g_assert_cmpstr(s, ==, state);
}

void test_manager_call_ok(struct test_daemon *d, const char *method, GVariant *params)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = test_manager_call(d, method, params, &error);

	g_assert_no_error(error);
	g_assert_nonnull(reply);
}

static gboolean on_timeout(gpointer userdata)
{
	*(bool *) userdata = true;
	return G_SOURCE_REMOVE;
}

void test_wait_state(struct test_daemon *d, const char *name, const char *state)
{
	g_autofree char *prefix = g_strdup_printf("%s %s ", name, state);
	bool timed_out = false;
	guint timer = g_timeout_add(10000, on_timeout, &timed_out);

	for (;;) {
		for (guint i = 0; i < d->state_signals->len; i++)
			if (g_str_has_prefix(d->state_signals->pdata[i], prefix)) {
				g_source_remove(timer);
				return;
			}
		g_assert_false(timed_out);
		g_main_context_iteration(NULL, TRUE);
	}
}

void test_poll_state(struct test_daemon *d, const char *name, const char *state)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	for (;;) {
		g_autofree char *s = test_vm_state(d, name);

		if (strcmp(s, state) == 0)
			return;
		if (g_get_monotonic_time() > deadline)
			g_error("VM '%s' is %s, not %s", name, s, state);
		g_usleep(20000);
	}
}

void test_assert_dbus_error(GError *error, const char *name, const char *fragment)
{
	g_autofree char *remote = NULL;

	g_assert_nonnull(error);
	g_assert_true(g_dbus_error_is_remote_error(error));
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, name);
	if (fragment && !strstr(error->message, fragment))
		g_error("'%s' does not contain '%s'", error->message, fragment);
}
