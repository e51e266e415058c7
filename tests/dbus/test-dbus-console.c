/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest console through D-Bus, on the sim: VM1.OpenConsole,
 * GetConsoleOutput, FollowConsole, ConsoleBytesLost, the log file and its rotation, and
 * who may use them. The sim's guest prints a banner naming the VM when it
 * starts and echoes its input (simulate console-* keys change that).
 */
#include <errno.h>
#include <grp.h>
#include <gio/gunixfdlist.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"

struct fixture {
	struct test_daemon d;
	char *log_dir;
};

static void setup(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_init(&f->d);
	f->log_dir = g_build_filename(f->d.tmpdir, "logs", NULL);
	g_assert_cmpint(mkdir(f->log_dir, 0755), ==, 0);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_finish(&f->d);
	g_free(f->log_dir);
}

/* gunyahd with its console logs in f->log_dir (plus extra gunyahd.yaml console keys). */
static void start(struct fixture *f, const char *console_keys)
{
	g_autofree char *yaml = g_strdup_printf("version: 1\nconsole:\n  log-dir: %s\n%s",
						f->log_dir, console_keys ? console_keys : "");
	g_autofree char *path = g_build_filename(f->d.tmpdir, "gunyahd.yaml", NULL);
	g_autofree char *arg = g_strdup_printf("--config=%s", path);
	const char *args[] = { arg, NULL };

	g_assert_true(g_file_set_contents(path, yaml, -1, NULL));
	test_daemon_start(&f->d, args);
}

static GVariant *vm_call(struct fixture *f, const char *name, const char *method,
			 GVariant *params, GError **error)
{
	g_autofree char *path = test_vm_path(name);

	return test_call(&f->d, path, GH_DBUS_VM_INTERFACE, method, params, error);
}

static void vm_call_ok(struct fixture *f, const char *name, const char *method)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = vm_call(f, name, method, NULL, &error);

	g_assert_no_error(error);
	g_assert_nonnull(reply);
}

/* VM1.OpenConsole: the client's socket, or -1 with *error set. */
static int open_console(struct fixture *f, const char *name, GError **error)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = NULL;
	gint32 handle;

	reply = g_dbus_connection_call_with_unix_fd_list_sync(
		f->d.conn, GH_DBUS_SERVICE, path, GH_DBUS_VM_INTERFACE, "OpenConsole", NULL,
		G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &fds, NULL, error);
	if (!reply)
		return -1;
	g_variant_get(reply, "(h)", &handle);
	g_assert_cmpint(g_unix_fd_list_get_length(fds), ==, 1);
	return g_unix_fd_list_get(fds, handle, NULL);
}

static GBytes *console_output(struct fixture *f, const char *name, uint64_t max,
			      GError **error)
{
	g_autoptr(GVariant) reply = vm_call(f, name, "GetConsoleOutput",
					    g_variant_new("(t)", max), error);
	g_autoptr(GVariant) bytes = NULL;

	if (!reply)
		return NULL;
	bytes = g_variant_get_child_value(reply, 0);
	return g_variant_get_data_as_bytes(bytes);
}

static char *console_output_str(struct fixture *f, const char *name, uint64_t max)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) b = console_output(f, name, max, &error);
	size_t n;
	const char *p;

	g_assert_no_error(error);
	p = g_bytes_get_data(b, &n);
	return g_strndup(p ? p : "", n);
}

static uint64_t bytes_lost(struct fixture *f, const char *name)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE,
						  "ConsoleBytesLost");

	return g_variant_get_uint64(v);
}

/*
 * Reads fd into out until it holds text (true), or end of file or 10 s
 * pass (false); eof says which.
 */
static bool read_until(int fd, GString *out, const char *text, bool *eof)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	*eof = false;
	while (!(text && strstr(out->str, text))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (g_get_monotonic_time() > deadline)
			return false;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			*eof = true;
			return false;
		}
		g_string_append_len(out, buf, n);
	}
	return true;
}

static void assert_eof(int fd)
{
	g_autoptr(GString) out = g_string_new(NULL);
	bool eof;

	g_assert_false(read_until(fd, out, NULL, &eof));
	g_assert_true(eof);
}

/* From the first byte the banner naming the VM; input echoed to every client. */
static void test_banner_echo_two_clients(struct fixture *f, gconstpointer data)
{
	g_autoptr(GString) out_a = g_string_new(NULL), out_b = g_string_new(NULL);
	g_autofree char *all = NULL;
	int a, b;
	bool eof;

	(void) data;
	test_daemon_define(&f->d, "con", NULL);
	start(f, NULL);
	vm_call_ok(f, "con", "Start");
	all = console_output_str(f, "con", 0);
	g_assert_true(g_str_has_prefix(all, "gunyah-sim: 'con' booted"));

	a = open_console(f, "con", NULL);
	b = open_console(f, "con", NULL);
	g_assert_cmpint(a, >=, 0);
	g_assert_cmpint(b, >=, 0);
	g_assert_cmpint(write(b, "hello guest\n", 12), ==, 12);
	g_assert_true(read_until(a, out_a, "hello guest\n", &eof));
	g_assert_true(read_until(b, out_b, "hello guest\n", &eof));
	/* Attached after the banner: only what came since. */
	g_assert_cmpstr(out_a->str, ==, "hello guest\n");
	g_assert_cmpstr(out_b->str, ==, "hello guest\n");
	g_assert_cmpuint(bytes_lost(f, "con"), ==, 0);

	/* A client that leaves does not disturb the other. */
	close(b);
	g_assert_cmpint(write(a, "again\n", 6), ==, 6);
	g_assert_true(read_until(a, out_a, "again\n", &eof));
	close(a);
}

/* GetConsoleOutput: the tail, at most max_bytes. */
static void test_output_tail(struct fixture *f, gconstpointer data)
{
	g_autofree char *all = NULL, *tail = NULL, *longer = NULL;

	(void) data;
	test_daemon_define(&f->d, "tail", "simulate:\n  console-banner: \"one\\ntwo\\nthree\\n\"\n");
	start(f, NULL);
	vm_call_ok(f, "tail", "Start");
	all = console_output_str(f, "tail", 0);
	g_assert_cmpstr(all, ==, "one\ntwo\nthree\n");
	tail = console_output_str(f, "tail", 6);
	g_assert_cmpstr(tail, ==, "three\n");
	longer = console_output_str(f, "tail", 1000);
	g_assert_cmpstr(longer, ==, all);
}

/* VM1.FollowConsole: the tail and a socket on the output after it, or -1 with *error set. */
static int follow_console(struct fixture *f, const char *name, GString *tail, GError **error)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = NULL, bytes = NULL;
	gint32 handle;
	size_t n;
	const char *p;

	reply = g_dbus_connection_call_with_unix_fd_list_sync(
		f->d.conn, GH_DBUS_SERVICE, path, GH_DBUS_VM_INTERFACE, "FollowConsole",
		g_variant_new("(t)", (guint64) 0), G_VARIANT_TYPE("(ayh)"), G_DBUS_CALL_FLAGS_NONE,
		30000, NULL, &fds, NULL, error);
	if (!reply)
		return -1;
	bytes = g_variant_get_child_value(reply, 0);
	p = g_variant_get_fixed_array(bytes, &n, 1);
	g_string_append_len(tail, p, n);
	g_variant_get_child(reply, 1, "h", &handle);
	g_assert_cmpint(g_unix_fd_list_get_length(fds), ==, 1);
	return g_unix_fd_list_get(fds, handle, NULL);
}

#define FOLLOW_LINES 1500
#define FOLLOWERS 8

/* Types FOLLOW_LINES numbered lines into the console (the sim's guest echoes them). */
static gpointer type_lines(gpointer data)
{
	int fd = GPOINTER_TO_INT(data);

	for (int i = 1; i <= FOLLOW_LINES; i++) {
		char line[16];
		int n = snprintf(line, sizeof(line), "line-%04d\n", i);

		g_assert_cmpint(write(fd, line, n), ==, n);
		if (i % 20 == 0)
			g_usleep(1000);
	}
	return NULL;
}

/*
 * Followers attached while the guest writes: for each, the tail and then
 * its socket are the whole output in order, with no line twice and none
 * missing, wherever the attach fell.
 */
static void test_follow_contiguous(struct fixture *f, gconstpointer data)
{
	g_autoptr(GString) expected = g_string_new("up\n");
	GString *seen[FOLLOWERS];
	int fds[FOLLOWERS], typist;
	GThread *thread;
	bool eof;

	(void) data;
	test_daemon_define(&f->d, "follow", "simulate:\n  console-banner: \"up\\n\"\n");
	start(f, NULL);
	vm_call_ok(f, "follow", "Start");
	for (int i = 1; i <= FOLLOW_LINES; i++)
		g_string_append_printf(expected, "line-%04d\n", i);
	typist = open_console(f, "follow", NULL);
	g_assert_cmpint(typist, >=, 0);
	thread = g_thread_new("typist", type_lines, GINT_TO_POINTER(typist));
	for (int k = 0; k < FOLLOWERS; k++) {
		seen[k] = g_string_new(NULL);
		fds[k] = follow_console(f, "follow", seen[k], NULL);
		g_assert_cmpint(fds[k], >=, 0);
		g_usleep(5000);
	}
	g_thread_join(thread);
	for (int k = 0; k < FOLLOWERS; k++) {
		g_assert_true(read_until(fds[k], seen[k], "line-1500\n", &eof));
		g_assert_cmpstr(seen[k]->str, ==, expected->str);
		close(fds[k]);
		g_string_free(seen[k], TRUE);
	}
	close(typist);
	g_assert_cmpuint(bytes_lost(f, "follow"), ==, 0);
}

/*
 * A flood bigger than the rings: output is lost and counted (with
 * PropertiesChanged), the daemon answers other calls meanwhile, and the
 * log file is rotated at its cap.
 */
static void on_properties_changed(GDBusConnection *conn, const char *sender, const char *path,
				  const char *iface, const char *member, GVariant *params,
				  gpointer userdata)
{
	g_autoptr(GVariant) changed = NULL;

	(void) conn, (void) sender, (void) path, (void) iface, (void) member;
	changed = g_variant_get_child_value(params, 1);
	if (g_variant_lookup_value(changed, "ConsoleBytesLost", NULL))
		(*(int *) userdata)++;
}

static void test_flood(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = test_vm_path("flood");
	g_autofree char *log = g_build_filename(f->log_dir, "flood.log", NULL);
	g_autofree char *log1 = g_build_filename(f->log_dir, "flood.log.1", NULL);
	gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	uint64_t lost = 0, later, queued = 0;
	int signals = 0, slow;
	struct stat st;
	char buf[65536];
	ssize_t n;
	guint sub;

	(void) data;
	test_daemon_define(&f->d, "flood", "simulate:\n  console-flood: 1T\n");
	start(f, "  ring-size: 16K\n  log-max-size: 32K\n");
	sub = g_dbus_connection_signal_subscribe(f->d.conn, GH_DBUS_SERVICE,
						 "org.freedesktop.DBus.Properties",
						 "PropertiesChanged", path, NULL,
						 G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed,
						 &signals, NULL);
	/* A client that reads nothing while the guest floods: it must not hold anyone up. */
	vm_call_ok(f, "flood", "Create");
	slow = open_console(f, "flood", NULL);
	g_assert_cmpint(slow, >=, 0);
	vm_call_ok(f, "flood", "Start");
	while ((lost = bytes_lost(f, "flood")) == 0 && g_get_monotonic_time() < deadline)
		g_usleep(20000);
	g_assert_cmpuint(lost, >, 0);
	/* Still flooding (a terabyte takes hours): another call answers at once. */
	for (int i = 0; i < 5; i++) {
		gint64 t0 = g_get_monotonic_time();
		g_autofree char *state = test_vm_state(&f->d, "flood");

		g_assert_cmpstr(state, ==, "running");
		g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
	}
	while ((later = bytes_lost(f, "flood")) == lost && g_get_monotonic_time() < deadline)
		g_usleep(20000);
	g_assert_cmpuint(later, >, lost);
	/* The ring keeps its size: the tail is 16K of whole flood lines. */
	{
		g_autofree char *tail = console_output_str(f, "flood", 0);

		g_assert_cmpuint(strlen(tail), ==, 16 * 1024);
		g_assert_nonnull(strstr(tail, "\nflood "));
	}
	while (signals == 0 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(signals, >, 0);
	g_dbus_connection_signal_unsubscribe(f->d.conn, sub);

	/* The log: rotated at 32K, the current file within its cap. */
	g_assert_cmpint(stat(log1, &st), ==, 0);
	g_assert_cmpint(st.st_size, ==, 32 * 1024);
	/* Between the rename and the new file there is no NAME.log for a moment (longer under load). */
	deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (stat(log, &st) < 0 && g_get_monotonic_time() < deadline)
		g_usleep(1000);
	g_assert_cmpint(stat(log, &st), ==, 0);
	g_assert_cmpint(st.st_size, <=, 32 * 1024);
	vm_call_ok(f, "flood", "Destroy");
	g_assert_cmpuint(bytes_lost(f, "flood"), ==, 0);
	/* The slow client got what its socket and its 64K queue held, the rest was dropped. */
	while ((n = read(slow, buf, sizeof(buf))) > 0)
		queued += (uint64_t) n;
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpuint(queued, >, 0);
	g_assert_cmpuint(queued, <, 8 * 1024 * 1024);
	close(slow);
	/* What it missed is in gunyahd's log. */
	{
		g_autofree char *daemon_log = test_daemon_log(&f->d);

		g_assert_nonnull(strstr(daemon_log, "VM 'flood': a console client was too slow: "));
	}
}

/* The log file holds the output; with log-dir "" there is none. */
static void test_log_file(struct fixture *f, gconstpointer data)
{
	g_autofree char *log = g_build_filename(f->log_dir, "logged.log", NULL);
	g_autofree char *text = NULL;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	(void) data;
	test_daemon_define(&f->d, "logged", NULL);
	start(f, NULL);
	vm_call_ok(f, "logged", "Start");
	while (g_get_monotonic_time() < deadline) {
		g_clear_pointer(&text, g_free);
		if (g_file_get_contents(log, &text, NULL, NULL) && strstr(text, "'logged' booted"))
			break;
		g_usleep(20000);
	}
	g_assert_nonnull(text);
	g_assert_true(g_str_has_prefix(text, "gunyah-sim: 'logged' booted"));
}

static void test_log_disabled(struct fixture *f, gconstpointer data)
{
	g_autofree char *yaml = g_strdup("version: 1\nconsole:\n  log-dir: \"\"\n");
	g_autofree char *path = g_build_filename(f->d.tmpdir, "gunyahd.yaml", NULL);
	g_autofree char *arg = g_strdup_printf("--config=%s", path);
	g_autofree char *all = NULL;
	const char *args[] = { arg, NULL };
	g_autoptr(GDir) dir = NULL;

	(void) data;
	g_assert_true(g_file_set_contents(path, yaml, -1, NULL));
	test_daemon_define(&f->d, "quiet", NULL);
	test_daemon_start(&f->d, args);
	vm_call_ok(f, "quiet", "Start");
	all = console_output_str(f, "quiet", 0);
	g_assert_true(g_str_has_prefix(all, "gunyah-sim: 'quiet' booted"));
	dir = g_dir_open(f->log_dir, 0, NULL);
	g_assert_null(g_dir_read_name(dir));
}

/* Destroy closes every client (EOF); a VM that is not live has no console. */
static void test_destroy_eof(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL, error2 = NULL, error3 = NULL;
	g_autoptr(GString) tail = g_string_new(NULL);
	g_autoptr(GBytes) none = NULL;
	int fd;

	(void) data;
	test_daemon_define(&f->d, "gone", NULL);
	start(f, NULL);
	g_assert_cmpint(open_console(f, "gone", &error), ==, -1);
	test_assert_dbus_error(error, GH_ERROR_INVALID_STATE, "defined");
	vm_call_ok(f, "gone", "Start");
	fd = open_console(f, "gone", NULL);
	g_assert_cmpint(fd, >=, 0);
	vm_call_ok(f, "gone", "Destroy");
	assert_eof(fd);
	close(fd);
	none = console_output(f, "gone", 0, &error2);
	g_assert_null(none);
	test_assert_dbus_error(error2, GH_ERROR_INVALID_STATE, "defined");
	g_assert_cmpint(follow_console(f, "gone", tail, &error3), ==, -1);
	test_assert_dbus_error(error3, GH_ERROR_INVALID_STATE, "defined");
	g_assert_cmpuint(tail->len, ==, 0);
}

/*
 * The guest exits: clients reach end of file once the output is drained;
 * the output stays readable while the VM is not destroyed. A crash puts
 * the last lines in the message that reports it.
 */
static void test_exit_eof_and_crash_lines(struct fixture *f, gconstpointer data)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *all = NULL, *log = NULL;
	bool eof;
	int fd;

	(void) data;
	test_daemon_define(&f->d, "crash", "simulate:\n  console-banner: \"booting\\npanic: oops\\n\"\n"
			   "  exit-after: 300ms\n  exit-type: watchdog-bite\n");
	start(f, NULL);
	vm_call_ok(f, "crash", "Start");
	fd = open_console(f, "crash", NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_false(read_until(fd, out, NULL, &eof));
	g_assert_true(eof);
	close(fd);
	test_poll_state(&f->d, "crash", "crashed");
	all = console_output_str(f, "crash", 0);
	g_assert_cmpstr(all, ==, "booting\npanic: oops\n");
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "running -> crashed, watchdog-bite; last console output: "
				"\"booting\\npanic: oops\""));
}

/*
 * At most 16 clients at once (LimitExceeded); clients that left, also
 * ones that had shut their input first (as logs -f does), free their place.
 */
static void test_client_limit(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL, error2 = NULL;
	gint64 deadline;
	int fds[16], baseline;

	(void) data;
	test_daemon_define(&f->d, "many", "simulate:\n  console-echo: false\n");
	start(f, NULL);
	vm_call_ok(f, "many", "Start");
	baseline = test_daemon_count_fds(&f->d);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 16; i++) {
			fds[i] = open_console(f, "many", NULL);
			g_assert_cmpint(fds[i], >=, 0);
			if (round == 1)
				g_assert_cmpint(shutdown(fds[i], SHUT_WR), ==, 0);
		}
		if (round == 0) {
			g_autoptr(GString) tail = g_string_new(NULL);

			g_assert_cmpint(open_console(f, "many", &error), ==, -1);
			test_assert_dbus_error(error, GH_ERROR_LIMIT_EXCEEDED, "16");
			g_assert_cmpint(follow_console(f, "many", tail, &error2), ==, -1);
			test_assert_dbus_error(error2, GH_ERROR_LIMIT_EXCEEDED, "16");
		}
		/* Let the daemon see the shutdowns before the sockets close. */
		g_assert_cmpuint(bytes_lost(f, "many"), ==, 0);
		for (int i = 0; i < 16; i++)
			close(fds[i]);
	}
	fds[0] = open_console(f, "many", NULL);
	g_assert_cmpint(fds[0], >=, 0);
	close(fds[0]);
	/* Every socket of the daemon's is closed again (the last one when it sees the hangup). */
	deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (test_daemon_count_fds(&f->d) != baseline && g_get_monotonic_time() < deadline)
		g_usleep(20000);
	g_assert_cmpint(test_daemon_count_fds(&f->d), ==, baseline);
}

/* ---- Who may use it ---- */

static int console_call_status(GDBusConnection *c, const char *method)
{
	g_autofree char *path = test_vm_path("secret");
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree char *remote = NULL;
	GVariant *params = strcmp(method, "OpenConsole") != 0 ? g_variant_new("(t)", 0) : NULL;

	reply = g_dbus_connection_call_with_unix_fd_list_sync(c, GH_DBUS_SERVICE, path,
							      GH_DBUS_VM_INTERFACE, method, params,
							      NULL, 0, 30000, NULL, NULL, NULL,
							      &error);
	if (reply)
		return 0;
	remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, "org.freedesktop.DBus.Error.AccessDenied") == 0 &&
	    strstr(error->message, "requires root or membership of group"))
		return 1;
	return 2;
}

static int nobody_calls(const char *address)
{
	GDBusConnection *c = g_dbus_connection_new_for_address_sync(
		address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, NULL);

	if (!c)
		return 91;
	if (console_call_status(c, "OpenConsole") != 1 ||
	    console_call_status(c, "GetConsoleOutput") != 1 ||
	    console_call_status(c, "FollowConsole") != 1)
		return 11;
	return 0;
}

static void test_access_denied(struct fixture *f, gconstpointer data)
{
	g_autofree char *all = NULL;
	pid_t pid;
	int status;

	(void) data;
	test_daemon_define(&f->d, "secret", NULL);
	start(f, NULL);
	vm_call_ok(f, "secret", "Start");
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(90);
		execl("/proc/self/exe", "test-dbus-console", "--client-as-nobody",
		      f->d.bus_address, NULL);
		_exit(92);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* Root still may. */
	all = console_output_str(f, "secret", 0);
	g_assert_true(g_str_has_prefix(all, "gunyah-sim: 'secret' booted"));
}

/* A backend without GH_VM_OPEN_CONSOLE: no "console" feature, NotSupported. */
static void test_not_supported(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL, error2 = NULL, error3 = NULL;
	g_autoptr(GString) tail = g_string_new(NULL);
	g_autoptr(GVariant) features = NULL;
	g_autoptr(GBytes) none = NULL;
	g_autofree const char **list = NULL;

	(void) data;
	g_ptr_array_add(f->d.env, g_strdup("GUNYAHD_SIM_WITHOUT=console"));
	test_daemon_define(&f->d, "plain", NULL);
	start(f, NULL);
	features = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				     "Features");
	list = g_variant_get_strv(features, NULL);
	g_assert_true(g_strv_contains(list, "vm-stop"));
	g_assert_false(g_strv_contains(list, "console"));
	vm_call_ok(f, "plain", "Start");
	g_assert_cmpint(open_console(f, "plain", &error), ==, -1);
	test_assert_dbus_error(error, GH_ERROR_NOT_SUPPORTED, "console");
	none = console_output(f, "plain", 0, &error2);
	g_assert_null(none);
	test_assert_dbus_error(error2, GH_ERROR_NOT_SUPPORTED, "console");
	g_assert_cmpint(follow_console(f, "plain", tail, &error3), ==, -1);
	test_assert_dbus_error(error3, GH_ERROR_NOT_SUPPORTED, "console");
	g_assert_cmpuint(bytes_lost(f, "plain"), ==, 0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *path;
		void (*fn)(struct fixture *, gconstpointer);
	} tests[] = {
		{ "/dbus/console/banner-echo-two-clients", test_banner_echo_two_clients },
		{ "/dbus/console/output-tail", test_output_tail },
		{ "/dbus/console/follow-contiguous", test_follow_contiguous },
		{ "/dbus/console/flood", test_flood },
		{ "/dbus/console/log-file", test_log_file },
		{ "/dbus/console/log-disabled", test_log_disabled },
		{ "/dbus/console/destroy-eof", test_destroy_eof },
		{ "/dbus/console/exit-eof-crash-lines", test_exit_eof_and_crash_lines },
		{ "/dbus/console/client-limit", test_client_limit },
		{ "/dbus/console/access-denied", test_access_denied },
		{ "/dbus/console/not-supported", test_not_supported },
	};

	if (argc == 3 && strcmp(argv[1], "--client-as-nobody") == 0)
		return nobody_calls(argv[2]);
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].path, struct fixture, NULL, setup, tests[i].fn, teardown);
	return g_test_run();
}
