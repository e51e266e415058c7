/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"

#define READY_TIMEOUT_MS 60000	/* valgrind makes the daemon slow to start */

static const char *env_or_fail(const char *name)
{
	const char *v = g_getenv(name);

	if (!v)
		g_error("%s is not set; run the test through meson", name);
	return v;
}

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

void test_daemon_init(struct test_daemon *d)
{
	memset(d, 0, sizeof(*d));
	d->tmpdir = g_dir_make_tmp("gunyahd-test-XXXXXX", NULL);
	g_assert_nonnull(d->tmpdir);
	d->defs = g_build_filename(d->tmpdir, "vms.d", NULL);
	g_assert_cmpint(g_mkdir(d->defs, 0755), ==, 0);
	d->kernel = g_build_filename(d->tmpdir, "Image", NULL);
	/* A raw kernel image: 64 KiB of a recognisable pattern. */
	{
		g_autofree char *buf = g_malloc(65536);

		for (int i = 0; i < 65536; i++)
			buf[i] = (char) (i * 7);
		g_assert_true(g_file_set_contents(d->kernel, buf, 65536, NULL));
	}
	d->log_path = g_build_filename(d->tmpdir, "gunyahd.log", NULL);
	d->notify_path = g_build_filename(d->tmpdir, "notify", NULL);
	d->notify = g_string_new(NULL);
	d->notify_fd = -1;
	d->state_signals = g_ptr_array_new_with_free_func(g_free);
	d->env = g_ptr_array_new_with_free_func(g_free);
}

void test_daemon_define(struct test_daemon *d, const char *name, const char *extra)
{
	g_autofree char *file = g_strdup_printf("%s/%s.yaml", d->defs, name);
	g_autofree char *yaml = g_strdup_printf("version: 1\nname: %s\nvcpus: 1\n"
						"memory:\n  base: 0x80000000\n  size: 16M\n"
						"kernel: %s\n%s", name, d->kernel,
						extra ? extra : "");

	g_assert_true(g_file_set_contents(file, yaml, -1, NULL));
}

static void child_setup(gpointer userdata)
{
	(void) userdata;
	/* Never outlive the test, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void start_bus(struct test_daemon *d)
{
	const char *argv[] = { "dbus-daemon", "--nofork", "--print-address=1",
			       NULL, NULL };
	g_autofree char *conf = g_strdup_printf("--config-file=%s", env_or_fail("TEST_BUS_CONF"));
	g_autoptr(GError) error = NULL;
	char buf[512];
	ssize_t n, len = 0;
	int out;

	argv[3] = conf;
	g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv, NULL,
					       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
					       child_setup, NULL, &d->bus_pid, NULL, &out, NULL,
					       &error));
	g_assert_no_error(error);
	while (len < (ssize_t) sizeof(buf) - 1 && !memchr(buf, '\n', (size_t) len)) {
		n = read(out, buf + len, sizeof(buf) - 1 - (size_t) len);
		g_assert_cmpint(n, >, 0);
		len += n;
	}
	close(out);
	buf[len] = '\0';
	*strchr(buf, '\n') = '\0';
	d->bus_address = g_strdup(buf);
}

static void open_notify_socket(struct test_daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(d->notify_fd, >=, 0);
	g_assert_cmpuint(strlen(d->notify_path), <, sizeof(sa.sun_path));
	strcpy(sa.sun_path, d->notify_path);
	g_assert_cmpint(bind(d->notify_fd, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
}

static void wait_ready(struct test_daemon *d)
{
	if (!test_daemon_wait_notify(d, "READY=1", READY_TIMEOUT_MS))
		g_error("gunyahd did not send READY=1 in time");
}

bool test_daemon_wait_notify(struct test_daemon *d, const char *text, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;

	while (!strstr(d->notify->str, text)) {
		struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
		char buf[1024];
		int status;
		ssize_t n;

		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			g_autofree char *log = test_daemon_log(d);

			d->pid = 0;
			g_error("gunyahd exited while the test waited for %s (status %d):\n%s", text,
				status, log);
		}
		if (g_get_monotonic_time() >= deadline)
			return false;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			g_string_append(d->notify, buf);
			g_string_append_c(d->notify, '\n');
		}
	}
	return true;
}

void test_daemon_start(struct test_daemon *d, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) env = g_get_environ();
	const char *wrapper = g_getenv("GUNYAHD_TEST_WRAPPER");
	g_autoptr(GError) error = NULL;
	int log_fd;

	start_bus(d);
	open_notify_socket(d);

	if (wrapper && *wrapper) {
		g_auto(GStrv) words = g_strsplit(wrapper, " ", -1);

		for (char **w = words; *w; w++)
			if (**w)
				g_ptr_array_add(argv, g_strdup(*w));
	}
	g_ptr_array_add(argv, g_strdup(env_or_fail("GUNYAHD_BINARY")));
	g_ptr_array_add(argv, g_strdup_printf("--bus-address=%s", d->bus_address));
	if (!d->no_definitions_arg)
		g_ptr_array_add(argv, g_strdup_printf("--definitions=%s", d->defs));
	g_ptr_array_add(argv, g_strdup("--backend=sim"));
	g_ptr_array_add(argv, g_strdup("--log-level=debug"));
	for (; args && *args; args++)
		g_ptr_array_add(argv, g_strdup(*args));
	g_ptr_array_add(argv, NULL);

	env = g_environ_setenv(env, "NOTIFY_SOCKET", d->notify_path, TRUE);
	for (guint i = 0; i < d->env->len; i++) {
		g_auto(GStrv) kv = g_strsplit(d->env->pdata[i], "=", 2);

		env = g_environ_setenv(env, kv[0], kv[1], TRUE);
	}
	log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	g_assert_cmpint(log_fd, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (char **) argv->pdata, env,
					     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
					     child_setup, NULL,
					     &d->pid, -1, log_fd, log_fd, &error));
	g_assert_no_error(error);
	close(log_fd);
	wait_ready(d);

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

int test_daemon_stop(struct test_daemon *d)
{
	int status = -1;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	g_assert_cmpint(waitpid(d->pid, &status, 0), ==, d->pid);
	d->pid = 0;
	return status;
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
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	if (d->bus_pid > 0) {
		kill(d->bus_pid, SIGTERM);
		waitpid(d->bus_pid, NULL, 0);
	}
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", d->tmpdir);

		g_assert_cmpint(system(cmd), ==, 0);
	}
	g_free(d->tmpdir);
	g_free(d->defs);
	g_free(d->kernel);
	g_free(d->log_path);
	g_free(d->notify_path);
	g_free(d->bus_address);
	g_string_free(d->notify, TRUE);
	g_ptr_array_unref(d->state_signals);
	g_ptr_array_unref(d->env);
}

char *test_daemon_log(struct test_daemon *d)
{
	char *log = NULL;

	if (!g_file_get_contents(d->log_path, &log, NULL, NULL))
		return g_strdup("");
	return log;
}

int test_daemon_count_fds(struct test_daemon *d)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", d->pid);
	GDir *dir = g_dir_open(path, 0, NULL);
	int n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir))
		n++;
	g_dir_close(dir);
	return n;
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
