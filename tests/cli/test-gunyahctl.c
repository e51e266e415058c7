/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl against the real gunyahd on a private bus: output, effects
 * (checked through D-Bus, not through gunyahctl) and exit statuses.
 *
 * Environment (set by meson): GUNYAHCTL_BINARY, plus what tests/dbus's
 * fixture needs. Optional: GUNYAHCTL_TEST_WRAPPER, e.g. "valgrind -q
 * --error-exitcode=99 --leak-check=full", prepended to every gunyahctl run.
 */
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <libfdt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"

/* The exit statuses of gunyahctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_NO_VM = 4,
	EXIT_INVALID = 5,
	EXIT_TIMEOUT = 6,
};

#define MONITOR_READY "Monitoring VM events"
#define TIMESTAMP_RE "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} "

struct fixture {
	struct test_daemon d;
};

struct ctl_result {
	int status;		/* exit status, or -1 when killed by a signal */
	char *out;
	char *err;
};

static void ctl_result_clear(struct ctl_result *res)
{
	g_clear_pointer(&res->out, g_free);
	g_clear_pointer(&res->err, g_free);
}

static void setup(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_init(&f->d);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	(void) data;
	if (f->d.pid > 0) {
		int status = test_daemon_stop(&f->d);

		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			g_autofree char *log = test_daemon_log(&f->d);

			g_error("gunyahd did not exit cleanly (status 0x%x):\n%s", status, log);
		}
	}
	test_daemon_fini(&f->d);
}

/* argv for one gunyahctl run: wrapper, binary, --address (when given), args. */
static GPtrArray *ctl_argv(const char *address, const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	const char *wrapper = g_getenv("GUNYAHCTL_TEST_WRAPPER");
	const char *binary = g_getenv("GUNYAHCTL_BINARY");

	if (!binary)
		g_error("GUNYAHCTL_BINARY is not set; run the test through meson");
	if (wrapper && *wrapper) {
		g_auto(GStrv) words = g_strsplit(wrapper, " ", -1);

		for (char **w = words; *w; w++)
			if (**w)
				g_ptr_array_add(argv, g_strdup(*w));
	}
	g_ptr_array_add(argv, g_strdup(binary));
	if (address)
		g_ptr_array_add(argv, g_strdup_printf("--address=%s", address));
	for (; *args; args++)
		g_ptr_array_add(argv, g_strdup(*args));
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* Local time is UTC in the child, so that timestamps can be compared. */
static char **ctl_envp(void)
{
	char **env = g_get_environ();

	env = g_environ_setenv(env, "TZ", "UTC", TRUE);
	return g_environ_setenv(env, "LC_ALL", "C", TRUE);
}

static int exit_status(int wait_status)
{
	return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

#define NOBODY 65534

static void become_nobody(gpointer data)
{
	(void) data;
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		_exit(127);
}

static void run_ctl_as(const char *address, const char *const *args, bool nobody,
		       struct ctl_result *res)
{
	g_autoptr(GPtrArray) argv = ctl_argv(address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;
	int wait_status;

	g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT,
				   nobody ? become_nobody : NULL, NULL,
				   &res->out, &res->err, &wait_status, &error));
	g_assert_no_error(error);
	res->status = exit_status(wait_status);
	g_test_message("gunyahctl %s -> %d\n%s%s", args[0], res->status, res->out, res->err);
}

static void run_ctl_at(const char *address, const char *const *args, struct ctl_result *res)
{
	run_ctl_as(address, args, false, res);
}

#define run_ctl(f, res, ...) \
	run_ctl_at((f)->d.bus_address, (const char *const[]) { __VA_ARGS__, NULL }, (res))

/* Runs gunyahctl and asserts exit status 0 and no output at all. */
#define run_ctl_quiet(f, ...)							\
	do {									\
		struct ctl_result _res = {};					\
										\
		run_ctl(f, &_res, __VA_ARGS__);					\
		g_assert_cmpstr(_res.err, ==, "");				\
		g_assert_cmpstr(_res.out, ==, "");				\
		g_assert_cmpint(_res.status, ==, EXIT_OK);			\
		ctl_result_clear(&_res);					\
	} while (0)

static void assert_failure(const struct ctl_result *res, int status, const char *fragment)
{
	g_assert_cmpint(res->status, ==, status);
	g_assert_true(g_str_has_prefix(res->err, "gunyahctl: "));
	if (!strstr(res->err, fragment))
		g_error("stderr '%s' does not contain '%s'", res->err, fragment);
}

static void assert_state(struct fixture *f, const char *name, const char *state)
{
	g_autofree char *s = test_vm_state(&f->d, name);

	g_assert_cmpstr(s, ==, state);
}

static char *vm_string_property(struct fixture *f, const char *name, const char *prop)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, prop);

	return g_variant_dup_string(v, NULL);
}

/* A definition with every column of `list` set by the test. */
static void define_vm(struct fixture *f, const char *name, unsigned int vcpus, const char *size,
		      const char *extra)
{
	g_autofree char *file = g_strdup_printf("%s/%s.yaml", f->d.defs, name);
	g_autofree char *yaml = g_strdup_printf("version: 1\nname: %s\nvcpus: %u\n"
						"memory:\n  base: 0x80000000\n  size: %s\n"
						"kernel: %s\n%s", name, vcpus, size, f->d.kernel,
						extra ? extra : "");

	g_assert_true(g_file_set_contents(file, yaml, -1, NULL));
}

static char **output_lines(const char *out)
{
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	GPtrArray *kept = g_ptr_array_new();

	for (char **l = lines; *l; l++)
		if (**l)
			g_ptr_array_add(kept, g_strdup(*l));
	g_ptr_array_add(kept, NULL);
	return (char **) g_ptr_array_free(kept, FALSE);
}

/* The line of `status` output for a label, without the label. */
static const char *status_field(const char *out, const char *label)
{
	g_autofree char *key = g_strdup_printf("\n%*s: ", 14, label);
	const char *p = strstr(out, key);

	if (!p && g_str_has_prefix(out, key + 1))
		p = out - 1;
	if (!p)
		g_error("no '%s' in status output:\n%s", label, out);
	return p + strlen(key);
}

static void assert_status_field(const char *out, const char *label, const char *value)
{
	const char *v = status_field(out, label);
	g_autofree char *line = g_strndup(v, strcspn(v, "\n"));

	g_assert_cmpstr(line, ==, value);
}

/* ---- without a daemon ---- */

static void test_usage(void)
{
	const char *const *const bad[] = {
		(const char *const[]) { NULL },
		(const char *const[]) { "frobnicate", NULL },
		(const char *const[]) { "list", "extra", NULL },
		(const char *const[]) { "status", NULL },
		(const char *const[]) { "stop", "a", "b", NULL },
		(const char *const[]) { "start", "--force", "nav", NULL },
		(const char *const[]) { "destroy", "--no-wait", "nav", NULL },
		(const char *const[]) { "list", "--timeout", "5", NULL },
		(const char *const[]) { "stop", "--timeout", "soon", "nav", NULL },
		(const char *const[]) { "stop", "--timeout", "-1", "nav", NULL },
		(const char *const[]) { "stop", "--no-wait", "--timeout", "1", "nav", NULL },
		(const char *const[]) { "--bogus", "list", NULL },
		(const char *const[]) { "stop", "nav", "--timeout", NULL },
		(const char *const[]) { "--user", "--address", "unix:path=/x", "list", NULL },
		(const char *const[]) { "wait", "nav", NULL },
		(const char *const[]) { "wait", "nav", "running", "now", NULL },
		(const char *const[]) { "reboot", NULL },
		(const char *const[]) { "reboot", "--no-wait", "nav", NULL },
		(const char *const[]) { "wait", "--force", "nav", "running", NULL },
		(const char *const[]) { "status", "--no-legend", "nav", NULL },
		(const char *const[]) { "start", "--json", "nav", NULL },
		(const char *const[]) { "dtb", "--json", "nav", NULL },
		(const char *const[]) { "create", "--transient", "nav", NULL },
		(const char *const[]) { "console", NULL },
		(const char *const[]) { "console", "-f", "nav", NULL },
		(const char *const[]) { "logs", "--timeout", "1", "nav", NULL },
		(const char *const[]) { "logs", "-n", NULL },
		(const char *const[]) { "list", "--lines", "3", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct ctl_result res = {};

		run_ctl_at(NULL, bad[i], &res);
		assert_failure(&res, EXIT_USAGE, "see 'gunyahctl --help'");
		g_assert_cmpstr(res.out, ==, "");
		ctl_result_clear(&res);
	}
}

static void test_help_version(void)
{
	struct ctl_result res = {};

	run_ctl_at(NULL, (const char *const[]) { "--help", NULL }, &res);
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(res.out, "\nCommands:\n"));
	g_assert_nonnull(strstr(res.out, "\nExit status:\n"));
	g_assert_cmpstr(res.err, ==, "");
	ctl_result_clear(&res);

	run_ctl_at(NULL, (const char *const[]) { "--version", NULL }, &res);
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_true(g_str_has_prefix(res.out, "gunyahctl "));
	ctl_result_clear(&res);
}

/* A socket file nobody listens on: connect() is refused. */
static void test_unreachable_socket(void)
{
	g_autofree char *dir = g_dir_make_tmp("gunyahctl-dead-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "bus", NULL);
	g_autofree char *address = g_strdup_printf("unix:path=%s", sock);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *const cmds[] = { "list", "status", "start", "stop", "monitor" };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(sa.sun_path, sock, sizeof(sa.sun_path));
	g_assert_cmpint(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
	close(fd);

	for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
		const char *args[] = { cmds[i], i && i < 4 ? "nav" : NULL, NULL };
		struct ctl_result res = {};

		run_ctl_at(address, args, &res);
		assert_failure(&res, EXIT_UNREACHABLE, "cannot connect to unix:path=");
		g_assert_nonnull(strstr(res.err, "Connection refused"));
		ctl_result_clear(&res);
	}
	g_unlink(sock);
	g_rmdir(dir);
}

/* ---- against gunyahd ---- */

/* The bus is up but nobody owns org.gunyah.Manager1. */
static void test_unreachable_name(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	test_daemon_start(&f->d, NULL);
	g_assert_cmpint(test_daemon_stop(&f->d), ==, 0);

	/* In plain words, not org.freedesktop.DBus.Error.ServiceUnknown. */
	run_ctl(f, &res, "list");
	g_assert_cmpstr(res.err, ==, "gunyahctl: gunyahd is not running "
				     "(nobody owns org.gunyah.Manager1 on the bus)\n");
	g_assert_cmpint(res.status, ==, EXIT_UNREACHABLE);
	g_assert_cmpstr(res.out, ==, "");
	ctl_result_clear(&res);
	run_ctl(f, &res, "stop", "nav");
	assert_failure(&res, EXIT_UNREACHABLE, "gunyahd is not running");
	g_assert_null(strstr(res.err, "ServiceUnknown"));
	ctl_result_clear(&res);
	run_ctl(f, &res, "wait", "nav", "running");
	assert_failure(&res, EXIT_UNREACHABLE, "gunyahd is not running");
	ctl_result_clear(&res);
}

/* Each row starts every column where the header starts it. */
static void assert_columns(char **lines, guint n_rows)
{
	static const char *const header[] = { "NAME", "STATE", "VMID", "VCPUS", "MEMORY",
					      "AUTOSTART" };
	g_auto(GStrv) cols = g_strsplit_set(lines[0], " ", -1);
	guint n = 0;

	for (char **c = cols; *c; c++)
		if (**c)
			g_assert_cmpstr(*c, ==, header[n++]);
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(header));
	/* Left-aligned NAME, STATE, VMID, AUTOSTART: same start column. */
	for (guint i = 1; i <= n_rows; i++) {
		g_assert_cmpuint(strlen(lines[i]), >=, strstr(lines[0], "AUTOSTART") - lines[0]);
		g_assert_cmpint(lines[i][strstr(lines[0], "STATE") - lines[0] - 1], ==, ' ');
		g_assert_cmpint(lines[i][strstr(lines[0], "STATE") - lines[0]], !=, ' ');
		g_assert_cmpint(lines[i][strstr(lines[0], "VMID") - lines[0]], !=, ' ');
		g_assert_cmpint(lines[i][strstr(lines[0], "AUTOSTART") - lines[0]], !=, ' ');
		g_assert_cmpint(lines[i][strstr(lines[0], "AUTOSTART") - lines[0] - 1], ==, ' ');
	}
}

static void test_list(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	g_auto(GStrv) lines = NULL;
	g_autofree char *started = NULL;

	(void) data;
	define_vm(f, "zeta", 4, "1G", "autostart: yes\n");
	define_vm(f, "nav-1.x", 2, "256M", NULL);
	define_vm(f, "a-rather-long-vm-name", 1, "24M", NULL);
	test_daemon_start(&f->d, NULL);
	/* Autostart may have finished before the fixture subscribed to the signals. */
	{
		g_autofree char *state = test_vm_state(&f->d, "zeta");

		if (strcmp(state, "running") != 0)
			test_wait_state(&f->d, "zeta", "running");
	}

	run_ctl(f, &res, "list");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.err, ==, "");
	lines = output_lines(res.out);
	g_assert_cmpuint(g_strv_length(lines), ==, 5);
	assert_columns(lines, 3);
	g_assert_true(g_regex_match_simple("^a-rather-long-vm-name +defined +- +1 +24M +no$",
					   lines[1], 0, 0));
	g_assert_true(g_regex_match_simple("^nav-1\\.x +defined +- +2 +256M +no$",
					   lines[2], 0, 0));
	g_assert_true(g_regex_match_simple("^zeta +running +0x[89ab][0-9a-f] +4 +1G +yes$",
					   lines[3], 0, 0));
	g_assert_cmpstr(lines[4], ==, "3 VMs listed.");
	ctl_result_clear(&res);

	/* The VMID column is the VMID property. */
	{
		g_autofree char *path = test_vm_path("zeta");
		g_autoptr(GVariant) vmid = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE,
							     "VMID");

		started = g_strdup_printf(" 0x%x ", g_variant_get_uint32(vmid));
	}
	run_ctl(f, &res, "list");
	g_assert_nonnull(strstr(res.out, started));
	ctl_result_clear(&res);
}

static void test_list_empty(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "list");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_true(g_regex_match_simple("^NAME +STATE +VMID +VCPUS +MEMORY +AUTOSTART\n"
					   "\n0 VMs listed\\.\n$", res.out, 0, 0));
	ctl_result_clear(&res);
}

static void test_list_one(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	/* 4 MiB: the least that leaves the devicetree its 2 MiB slot beside the kernel. */
	define_vm(f, "solo", 1, "0x400000", NULL);
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "list");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(res.out, "\nsolo  "));
	g_assert_nonnull(strstr(res.out, " 4M  no\n"));
	g_assert_true(g_str_has_suffix(res.out, "\n1 VM listed.\n"));
	ctl_result_clear(&res);
}

static void test_status_defined(struct fixture *f, gconstpointer data)
{
	g_autofree char *file = g_strdup_printf("%s/nav.yaml", f->d.defs);
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "nav", 2, "32M",
		  "regions:\n  - label: 7\n    base: 0xc0000000\n    size: 2M\n");
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "status", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.err, ==, "");
	assert_status_field(res.out, "Name", "nav");
	assert_status_field(res.out, "State", "defined");
	assert_status_field(res.out, "Exit", "none");
	assert_status_field(res.out, "VMID", "none");
	assert_status_field(res.out, "Transient", "no");
	assert_status_field(res.out, "Autostart", "no");
	assert_status_field(res.out, "vCPUs", "2");
	assert_status_field(res.out, "Memory", "32M (33554432 bytes) at 0x80000000");
	assert_status_field(res.out, "Devicetree", "none");
	assert_status_field(res.out, "Extents", "none");
	assert_status_field(res.out, "Created", "never");
	assert_status_field(res.out, "Started", "never");
	assert_status_field(res.out, "Restarts", "0");
	assert_status_field(res.out, "Definition", file);
	assert_status_field(res.out, "Kernel", f->d.kernel);
	assert_status_field(res.out, "Ramdisk", "none");
	assert_status_field(res.out, "Cmdline", "none");
	assert_status_field(res.out, "Last error", "none");
	g_assert_true(g_regex_match_simple("Regions: LABEL +BASE +SIZE +ACCESS +SHARING\n"
					   " +0 +0x80000000 +32M +rwx +lent\n"
					   " +7 +0xc0000000 +2M +rw +shared\n", res.out, 0, 0));
	ctl_result_clear(&res);
}

/* Why the last request failed, when, and that the file changed under a live VM. */
static void test_status_why(struct fixture *f, gconstpointer data)
{
	g_autofree char *file = g_strdup_printf("%s/nav.yaml", f->d.defs);
	struct ctl_result res = {};
	const char *v;

	(void) data;
	g_assert_true(g_file_set_contents(file, "version: 1\nname: nav\nmemory: { size: 16M }\n"
					  "kernel: /nonexistent/Image\n", -1, NULL));
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "start", "nav");
	g_assert_cmpint(res.status, !=, EXIT_OK);
	ctl_result_clear(&res);
	run_ctl(f, &res, "status", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	v = status_field(res.out, "Last error");
	g_assert_true(g_regex_match_simple("^VM 'nav': .*/nonexistent/Image.* \\(\\w{3} \\d{4}-\\d\\d-\\d\\d ",
					   v, 0, 0));
	ctl_result_clear(&res);

	define_vm(f, "nav", 1, "16M", NULL);
	run_ctl(f, &res, "reload");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	ctl_result_clear(&res);
	run_ctl(f, &res, "create", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	ctl_result_clear(&res);
	define_vm(f, "nav", 2, "16M", NULL);
	run_ctl(f, &res, "reload");
	ctl_result_clear(&res);
	run_ctl(f, &res, "status", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	assert_status_field(res.out, "vCPUs", "1");
	v = status_field(res.out, "Definition");
	g_assert_true(g_str_has_prefix(v, file));
	g_assert_true(g_str_has_prefix(v + strlen(file), " (changed; applies at the next create)\n"));
	ctl_result_clear(&res);
}

static char *utc_time(uint64_t usec)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc((gint64) (usec / 1000000));

	return g_date_time_format(t, "%a %Y-%m-%d %H:%M:%S UTC");
}

static void test_status_running(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = test_vm_path("nav");
	g_autoptr(GVariant) vmid = NULL, started = NULL, created = NULL;
	g_autofree char *vmid_text = NULL, *started_text = NULL, *created_text = NULL;
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));

	run_ctl(f, &res, "status", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	vmid = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "VMID");
	started = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "StartedTimestamp");
	created = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "CreatedTimestamp");
	vmid_text = g_strdup_printf("0x%x", g_variant_get_uint32(vmid));
	started_text = utc_time(g_variant_get_uint64(started));
	created_text = utc_time(g_variant_get_uint64(created));
	assert_status_field(res.out, "State", "running");
	assert_status_field(res.out, "VMID", vmid_text);
	assert_status_field(res.out, "Started", started_text);
	assert_status_field(res.out, "Created", created_text);
	g_assert_true(g_regex_match_simple("Devicetree: \\d+K at 0x8[0-9a-f]+\n", res.out, 0, 0));
	g_assert_true(g_regex_match_simple("Extents: kernel +0x80000000 +64K\n", res.out, 0, 0));
	g_assert_true(g_regex_match_simple("\n +devicetree +0x8[0-9a-f]+ +\\d+K\n", res.out, 0, 0));
	ctl_result_clear(&res);

	/* After a forced stop: the exit and its reason. */
	test_manager_call_ok(&f->d, "StopVM", g_variant_new("(sb)", "nav", TRUE));
	test_wait_state(&f->d, "nav", "exited");
	run_ctl(f, &res, "status", "nav");
	assert_status_field(res.out, "State", "exited (stopped)");
	assert_status_field(res.out, "Exit", "forced-stop, code 0");
	ctl_result_clear(&res);
}

static void test_lifecycle(struct fixture *f, gconstpointer data)
{
	g_autofree char *reason = NULL;

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);

	run_ctl_quiet(f, "create", "nav");
	assert_state(f, "nav", "created");
	run_ctl_quiet(f, "start", "nav");
	assert_state(f, "nav", "running");
	/* stop returns once the VM has exited, not merely once it is stopping. */
	run_ctl_quiet(f, "stop", "nav");
	assert_state(f, "nav", "exited");
	reason = vm_string_property(f, "nav", "StateReason");
	g_assert_cmpstr(reason, ==, "poweroff");
	g_clear_pointer(&reason, g_free);

	run_ctl_quiet(f, "start", "nav");
	assert_state(f, "nav", "running");
	run_ctl_quiet(f, "stop", "--force", "nav");
	assert_state(f, "nav", "exited");
	reason = vm_string_property(f, "nav", "StateReason");
	g_assert_cmpstr(reason, ==, "stopped");

	run_ctl_quiet(f, "start", "nav");
	run_ctl_quiet(f, "destroy", "nav");
	assert_state(f, "nav", "defined");
}

/* The guest takes its time to power off: stop waits for it. */
static void test_stop_waits(struct fixture *f, gconstpointer data)
{
	gint64 t0;

	(void) data;
	/* Long enough that a loaded machine still sees 'stopping' after --no-wait. */
	define_vm(f, "slow", 1, "16M", "simulate:\n  stop-delay: 1500ms\n");
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "slow"));

	t0 = g_get_monotonic_time();
	run_ctl_quiet(f, "stop", "slow");
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 1400000);
	assert_state(f, "slow", "exited");

	/* --no-wait: back at once, while the guest is still powering off. */
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "slow"));
	run_ctl_quiet(f, "stop", "--no-wait", "slow");
	assert_state(f, "slow", "stopping");
	test_wait_state(&f->d, "slow", "exited");
}

/* A guest that ignores the request: --timeout gives up (6), the daemon forces later. */
static void test_stop_timeout(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	gint64 t0;

	(void) data;
	define_vm(f, "stubborn", 1, "16M", "stop-timeout: 2s\nsimulate:\n  on-stop: ignore\n");
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "stubborn"));

	t0 = g_get_monotonic_time();
	run_ctl(f, &res, "stop", "--timeout", "0.3", "stubborn");
	assert_failure(&res, EXIT_TIMEOUT, "timed out waiting for VM 'stubborn' to stop");
	g_assert_cmpstr(res.out, ==, "");
	assert_state(f, "stubborn", "stopping");
	ctl_result_clear(&res);

	/*
	 * Without a limit it waits for the daemon's forced stop, stop-timeout
	 * after the first request. A lower bound only: load makes it later.
	 */
	run_ctl_quiet(f, "stop", "stubborn");
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 1500000);
	assert_state(f, "stubborn", "exited");
}

/* A slow start: --timeout gives up on the reply (6); the start goes on. */
static void test_start_timeout(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "slow", 1, "16M", "simulate:\n  start-delay: 3s\n");
	test_daemon_start(&f->d, NULL);

	run_ctl(f, &res, "start", "--timeout", "0.2", "slow");
	assert_failure(&res, EXIT_TIMEOUT, "timed out waiting for VM 'slow' to start");
	assert_state(f, "slow", "starting");
	ctl_result_clear(&res);
	test_wait_state(&f->d, "slow", "running");

	/* Without --timeout a start takes as long as it takes. */
	test_manager_call_ok(&f->d, "StopVM", g_variant_new("(sb)", "slow", TRUE));
	test_wait_state(&f->d, "slow", "exited");
	run_ctl_quiet(f, "start", "slow");
	assert_state(f, "slow", "running");
}

static void test_errors(struct fixture *f, gconstpointer data)
{
	static const char *const by_name[] = { "status", "create", "start", "stop", "destroy" };
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	define_vm(f, "broken", 1, "16M", "simulate:\n  start: fail\n  start-errno: ETIMEDOUT\n");
	test_daemon_start(&f->d, NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(by_name); i++) {
		run_ctl(f, &res, by_name[i], "ghost");
		assert_failure(&res, EXIT_NO_VM, "gunyahctl: org.gunyah.Error.NoSuchVM: ");
		g_assert_nonnull(strstr(res.err, "'ghost'"));
		g_assert_cmpstr(res.out, ==, "");
		ctl_result_clear(&res);
	}

	run_ctl(f, &res, "destroy", "nav");
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.gunyah.Error.InvalidState: ");
	g_assert_nonnull(strstr(res.err, "defined"));
	ctl_result_clear(&res);
	run_ctl(f, &res, "stop", "nav");
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.gunyah.Error.InvalidState: ");
	ctl_result_clear(&res);
	run_ctl_quiet(f, "start", "nav");
	run_ctl(f, &res, "start", "nav");
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.gunyah.Error.InvalidState: ");
	g_assert_nonnull(strstr(res.err, "running"));
	ctl_result_clear(&res);
	run_ctl(f, &res, "create", "nav");
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.gunyah.Error.InvalidState: ");
	ctl_result_clear(&res);

	/* The hypervisor refuses the start: the error comes with StartVM's reply. */
	run_ctl(f, &res, "start", "broken");
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.gunyah.Error.Hypervisor: ");
	ctl_result_clear(&res);
	assert_state(f, "broken", "failed");
}

/* reload: Manager1.Reload, with its outcome in the exit status. */
static void test_reload(struct fixture *f, gconstpointer data)
{
	g_autofree char *config = g_build_filename(f->d.tmpdir, "gunyahd.yaml", NULL);
	g_autofree char *arg = g_strdup_printf("--config=%s", config);
	const char *args[] = { arg, NULL };
	struct ctl_result res = {};

	(void) data;
	g_assert_true(g_file_set_contents(config, "version: 1\n", -1, NULL));
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, args);
	define_vm(f, "later", 1, "16M", NULL);

	run_ctl(f, &res, "reload");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.out, ==, "");
	g_assert_cmpstr(res.err, ==, "");
	ctl_result_clear(&res);
	assert_state(f, "later", "defined");

	g_assert_true(g_file_set_contents(config, "version: 1\ncolour: blue\nsize: 3\n", -1,
					  NULL));
	run_ctl(f, &res, "reload");
	assert_failure(&res, EXIT_INVALID, "gunyahctl: org.gunyah.Error.InvalidDefinition: ");
	/* Every problem on a line of its own, as gunyahctl(1) says. */
	{
		g_autofree char *one = g_strdup_printf("gunyahctl: org.gunyah.Error.InvalidDefinition: "
						       "%s:2:1: colour: unknown key", config);
		g_autofree char *two = g_strdup_printf("gunyahctl: org.gunyah.Error.InvalidDefinition: "
						       "%s:3:1: size: unknown key", config);
		g_auto(GStrv) lines = g_strsplit(res.err, "\n", -1);

		g_assert_cmpuint(g_strv_length(lines), ==, 3);
		g_assert_true(g_str_has_prefix(lines[0], one));
		g_assert_true(g_str_has_prefix(lines[1], two));
		g_assert_cmpstr(lines[2], ==, "");
	}
	ctl_result_clear(&res);

	run_ctl(f, &res, "reload", "nav");
	g_assert_cmpint(res.status, ==, EXIT_USAGE);
	ctl_result_clear(&res);
}

/* Methods that change state are for root and group gunyah; reading is for everyone. */
static void test_access_denied(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	if (getuid() != 0) {
		g_test_skip("needs root to run gunyahctl as another user");
		return;
	}
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);

	run_ctl_as(f->d.bus_address, (const char *const[]) { "start", "nav", NULL }, true, &res);
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.freedesktop.DBus.Error.AccessDenied: ");
	ctl_result_clear(&res);
	assert_state(f, "nav", "defined");
	run_ctl_as(f->d.bus_address, (const char *const[]) { "reload", NULL }, true, &res);
	assert_failure(&res, EXIT_FAILED, "gunyahctl: org.freedesktop.DBus.Error.AccessDenied: ");
	ctl_result_clear(&res);

	run_ctl_as(f->d.bus_address, (const char *const[]) { "list", NULL }, true, &res);
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(res.out, "\nnav  "));
	ctl_result_clear(&res);
}

static char *write_file(struct fixture *f, const char *name, const char *text, gssize len)
{
	char *file = g_build_filename(f->d.tmpdir, name, NULL);

	g_assert_true(g_file_set_contents(file, text, len, NULL));
	return file;
}

static const char bad_yaml[] =
	"version: 1\n"
	"name: bad\n"
	"vcpus: 0\n"
	"memory:\n"
	"  size: 0x1001\n"
	"kernel: /boot/Image\n"
	"colour: blue\n";

static void test_validate(struct fixture *f, gconstpointer data)
{
	g_autofree char *good = NULL, *bad = NULL, *expect = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) lines = g_string_new(NULL);
	struct ctl_result res = {};
	const char *message;
	guint32 line, column;

	(void) data;
	test_daemon_start(&f->d, NULL);
	good = write_file(f, "good.yaml", "version: 1\nname: good\nmemory:\n  size: 16M\n"
			  "kernel: /boot/Image\n", -1);
	run_ctl_quiet(f, "validate", good);

	bad = write_file(f, "bad.yaml", bad_yaml, -1);
	run_ctl(f, &res, "validate", bad);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_assert_cmpstr(res.err, ==, "");
	/* Exactly the daemon's diagnostics, each prefixed with the file. */
	reply = test_manager_call(&f->d, "ValidateDefinition", g_variant_new("(s)", bad_yaml),
				  &error);
	g_assert_no_error(error);
	g_variant_get(reply, "(a(uus))", &iter);
	while (g_variant_iter_loop(iter, "(uu&s)", &line, &column, &message))
		g_string_append_printf(lines, "%s:%u:%u: %s\n", bad, line, column, message);
	g_assert_cmpuint(lines->len, >, 0);
	g_assert_cmpstr(res.out, ==, lines->str);
	expect = g_strdup_printf("%s:3:8: ", bad);
	g_assert_nonnull(strstr(res.out, expect));
	g_clear_pointer(&expect, g_free);
	expect = g_strdup_printf("%s:7:1: ", bad);
	g_assert_nonnull(strstr(res.out, expect));
	ctl_result_clear(&res);
}

/* --transient: the same file checked for CreateTransientVM, where files are fd:KEY. */
static void test_validate_transient(struct fixture *f, gconstpointer data)
{
	g_autofree char *by_path = NULL, *by_fd = NULL, *expect = NULL;
	struct ctl_result res = {};

	(void) data;
	test_daemon_start(&f->d, NULL);
	by_path = write_file(f, "path.yaml", "version: 1\nname: p\nmemory:\n  size: 16M\n"
			     "kernel: /boot/Image\n", -1);
	by_fd = write_file(f, "fd.yaml", "version: 1\nname: t\nmemory:\n  size: 16M\n"
			   "kernel: fd:kernel\n", -1);
	/* Each is fine for one use and refused for the other, at the kernel key. */
	run_ctl_quiet(f, "validate", by_path);
	run_ctl_quiet(f, "validate", "--transient", by_fd);
	run_ctl(f, &res, "validate", "--transient", by_path);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	expect = g_strdup_printf("%s:5:9: kernel: ", by_path);
	g_assert_true(g_str_has_prefix(res.out, expect));
	g_assert_nonnull(strstr(res.out, "fd:KEY"));
	ctl_result_clear(&res);
	g_clear_pointer(&expect, g_free);
	run_ctl(f, &res, "validate", by_fd);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	expect = g_strdup_printf("%s:5:9: kernel: ", by_fd);
	g_assert_true(g_str_has_prefix(res.out, expect));
	ctl_result_clear(&res);
}

static void test_validate_local_problems(struct fixture *f, gconstpointer data)
{
	g_autofree char *latin1 = NULL, *nul = NULL, *missing = NULL;
	struct ctl_result res = {};

	(void) data;
	test_daemon_start(&f->d, NULL);

	/* Not UTF-8 (cannot go into a D-Bus string): found here, with its position. */
	latin1 = write_file(f, "latin1.yaml", "version: 1\nname: caf\xe9\n", -1);
	run_ctl(f, &res, "validate", latin1);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_assert_true(g_str_has_suffix(res.out, "latin1.yaml:2:10: not valid UTF-8\n"));
	ctl_result_clear(&res);
	nul = write_file(f, "nul.yaml", "version: 1\n# \xc3\xa9t\xc3\xa9\0\n", 20);
	run_ctl(f, &res, "validate", nul);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_assert_true(g_str_has_suffix(res.out, "nul.yaml:2:6: a NUL character is not allowed\n"));
	ctl_result_clear(&res);

	/* A UTF-16 surrogate and an overlong '/', after a 4-byte character. */
	{
		g_autofree char *surrogate = write_file(f, "sur.yaml",
			"# \xf0\x9f\x98\x80 ok\nname: x\xed\xa0\x80\n", -1);
		g_autofree char *overlong = write_file(f, "over.yaml",
			"kernel: \xc0\xaf\n", -1);

		run_ctl(f, &res, "validate", surrogate);
		g_assert_cmpint(res.status, ==, EXIT_INVALID);
		g_assert_true(g_str_has_suffix(res.out, "sur.yaml:2:8: not valid UTF-8\n"));
		ctl_result_clear(&res);
		run_ctl(f, &res, "validate", overlong);
		g_assert_cmpint(res.status, ==, EXIT_INVALID);
		g_assert_true(g_str_has_suffix(res.out, "over.yaml:1:9: not valid UTF-8\n"));
		ctl_result_clear(&res);
	}

	missing = g_build_filename(f->d.tmpdir, "missing.yaml", NULL);
	run_ctl(f, &res, "validate", missing);
	assert_failure(&res, EXIT_FAILED, "No such file or directory");
	ctl_result_clear(&res);
}

static void test_validate_stdin(struct fixture *f, gconstpointer data)
{
	g_autofree char *bad = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_auto(GStrv) env = ctl_envp();
	int wait_status, in_fd;
	GPid pid;
	GIOChannel *ch;
	gsize len;

	(void) data;
	test_daemon_start(&f->d, NULL);
	bad = write_file(f, "bad.yaml", bad_yaml, -1);
	in_fd = open(bad, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(in_fd, >=, 0);
	argv = ctl_argv(f->d.bus_address, (const char *const[]) { "validate", "-", NULL });
	{
		int out_fd;

		g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata,
				(const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				in_fd, -1, -1, NULL, NULL, 0, &pid, NULL, &out_fd, NULL, &error));
		g_assert_no_error(error);
		ch = g_io_channel_unix_new(out_fd);
		g_io_channel_set_close_on_unref(ch, TRUE);
	}
	close(in_fd);
	g_assert_cmpint(g_io_channel_read_to_end(ch, &out, &len, &error), ==, G_IO_STATUS_NORMAL);
	g_io_channel_unref(ch);
	g_assert_cmpint(waitpid(pid, &wait_status, 0), ==, pid);
	g_assert_cmpint(exit_status(wait_status), ==, EXIT_INVALID);
	g_assert_true(g_str_has_prefix(out, "<stdin>:3:8: vcpus: "));
}

/* Runs gunyahctl with its stdout on fd; returns the exit status, stderr in *ret_err. */
static int run_ctl_to_fd(struct fixture *f, const char *const *args, int fd, char **ret_err)
{
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;
	int wait_status, err_fd;
	GIOChannel *ch;
	gsize len;
	GPid pid;

	g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata,
			(const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			-1, fd, -1, NULL, NULL, 0, &pid, NULL, NULL, &err_fd, &error));
	g_assert_no_error(error);
	ch = g_io_channel_unix_new(err_fd);
	g_io_channel_set_close_on_unref(ch, TRUE);
	g_assert_cmpint(g_io_channel_read_to_end(ch, ret_err, &len, &error), ==,
			G_IO_STATUS_NORMAL);
	g_io_channel_unref(ch);
	g_assert_cmpint(waitpid(pid, &wait_status, 0), ==, pid);
	return exit_status(wait_status);
}

static void test_dtb(struct fixture *f, gconstpointer data)
{
	const char *const args[] = { "dtb", "nav", NULL };
	g_autofree char *file = NULL, *blob = NULL, *err = NULL;
	g_autoptr(GVariant) reply = NULL, expect = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = test_vm_path("nav");
	gsize len;
	int fd;

	(void) data;
	define_vm(f, "nav", 2, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "nav"));

	file = g_build_filename(f->d.tmpdir, "nav.dtb", NULL);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(run_ctl_to_fd(f, args, fd, &err), ==, EXIT_OK);
	close(fd);
	g_assert_cmpstr(err, ==, "");
	g_assert_true(g_file_get_contents(file, &blob, &len, NULL));
	g_assert_cmpuint(len, >, 0);
	g_assert_cmpint(fdt_check_full(blob, len), ==, 0);
	/* Byte for byte what GetDeviceTree returns. */
	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "GetDeviceTree", NULL, &error);
	g_assert_no_error(error);
	expect = g_variant_get_child_value(reply, 0);
	g_assert_cmpmem(blob, len, g_variant_get_data(expect), g_variant_get_size(expect));
}

static void test_dtb_refuses_tty(struct fixture *f, gconstpointer data)
{
	const char *const args[] = { "dtb", "nav", NULL };
	g_autofree char *err = NULL;
	char buf[256];
	int master, slave;
	ssize_t n;

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	g_assert_cmpint(openpty(&master, &slave, NULL, NULL, NULL), ==, 0);
	g_assert_cmpint(run_ctl_to_fd(f, args, slave, &err), ==, EXIT_USAGE);
	g_assert_true(g_str_has_prefix(err, "gunyahctl: refusing to write"));
	g_assert_nonnull(strstr(err, "terminal"));
	close(slave);
	/* Nothing reached the terminal. */
	g_assert_cmpint(fcntl(master, F_SETFL, O_NONBLOCK), ==, 0);
	n = read(master, buf, sizeof(buf));
	g_assert_cmpint(n, <=, 0);
	close(master);
}

/* Runs gunyahctl with stdout and stderr on a new terminal; returns what the terminal got. */
static char *run_ctl_on_tty(struct fixture *f, const char *const *args, int *ret_status)
{
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;
	GString *seen = g_string_new(NULL);
	int master, slave, wait_status;
	char buf[512];
	ssize_t n;
	GPid pid;

	g_assert_cmpint(openpty(&master, &slave, NULL, NULL, NULL), ==, 0);
	g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata,
			(const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			-1, slave, slave, NULL, NULL, 0, &pid, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	close(slave);
	/* EIO once the last writer is gone */
	while ((n = read(master, buf, sizeof(buf))) > 0)
		g_string_append_len(seen, buf, n);
	close(master);
	g_assert_cmpint(waitpid(pid, &wait_status, 0), ==, pid);
	*ret_status = exit_status(wait_status);
	return g_string_free(seen, FALSE);
}

/*
 * What a caller or a definition controls cannot drive the terminal:
 * escapes arrive as text there, and as they are in a pipe.
 */
static void test_terminal_escapes(struct fixture *f, gconstpointer data)
{
	const char *const args[] = { "status", "evil\033]0;owned\a\302\233", NULL };
	g_autofree char *seen = NULL;
	struct ctl_result res = {};
	int status;

	(void) data;
	test_daemon_start(&f->d, NULL);
	seen = run_ctl_on_tty(f, args, &status);
	g_assert_cmpint(status, ==, EXIT_NO_VM);
	g_assert_null(strchr(seen, '\033'));
	g_assert_null(strchr(seen, '\a'));
	g_assert_null(strstr(seen, "\302\233"));
	g_assert_nonnull(strstr(seen, "'evil\\x1b]0;owned\\x07\\u009b'"));

	run_ctl_at(f->d.bus_address, args, &res);
	g_assert_cmpint(res.status, ==, EXIT_NO_VM);
	g_assert_nonnull(strstr(res.err, "'evil\033]0;owned\a\302\233'"));
	ctl_result_clear(&res);
}

static void test_dtb_no_vm(struct fixture *f, gconstpointer data)
{
	const char *const args[] = { "dtb", "ghost", NULL };
	g_autofree char *err = NULL;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void) data;
	test_daemon_start(&f->d, NULL);
	g_assert_cmpint(run_ctl_to_fd(f, args, fd, &err), ==, EXIT_NO_VM);
	close(fd);
	g_assert_true(g_str_has_prefix(err, "gunyahctl: org.gunyah.Error.NoSuchVM: "));
}

struct monitor {
	GPid pid;
	int out_fd;
	int err_fd;
	GString *out;		/* stdout so far */
	GString *err;		/* stderr so far */
};

/* Appends what fd has to s, waiting for it up to 10 s; false at EOF. */
static bool read_more(int fd, GString *s)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	g_assert_cmpint(poll(&p, 1, 10000), ==, 1);
	n = read(fd, buf, sizeof(buf));
	g_assert_cmpint(n, >=, 0);
	g_string_append_len(s, buf, n);
	return n > 0;
}

static void monitor_start_args(struct fixture *f, struct monitor *m, const char *const *args)
{
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;

	g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv->pdata, env,
					       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &m->pid,
					       NULL, &m->out_fd, &m->err_fd, &error));
	g_assert_no_error(error);
	m->out = g_string_new(NULL);
	m->err = g_string_new(NULL);
	/* Its matches are in place once it says so. */
	while (!strchr(m->err->str, '\n'))
		g_assert_true(read_more(m->err_fd, m->err));
	g_assert_true(g_str_has_prefix(m->err->str, MONITOR_READY));
}

static void monitor_start(struct fixture *f, struct monitor *m)
{
	monitor_start_args(f, m, (const char *const[]) { "monitor", NULL });
}

static guint count_lines(const char *s)
{
	guint n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Reads stdout until it holds n lines: the monitor flushes each line. */
static void monitor_read_lines(struct monitor *m, guint n)
{
	while (count_lines(m->out->str) < n)
		g_assert_true(read_more(m->out_fd, m->out));
}

static int monitor_stop(struct monitor *m, int sig)
{
	int wait_status;

	if (sig)
		kill(m->pid, sig);
	g_assert_cmpint(waitpid(m->pid, &wait_status, 0), ==, m->pid);
	/* Whatever came after the ready line. */
	while (read_more(m->err_fd, m->err))
		;
	close(m->out_fd);
	close(m->err_fd);
	return exit_status(wait_status);
}

static void monitor_free(struct monitor *m)
{
	g_string_free(m->out, TRUE);
	g_string_free(m->err, TRUE);
}

/* "2026-11-24 22:00:23.123 nav: exited (poweroff)" for "nav exited poweroff". */
static void assert_monitor_line(const char *line, const char *name, const char *what,
				const char *detail)
{
	g_autofree char *expect = NULL;

	g_assert_true(g_regex_match_simple(TIMESTAMP_RE, line, 0, 0));
	if (detail && *detail)
		expect = g_strdup_printf("%s: %s (%s)", name, what, detail);
	else
		expect = g_strdup_printf("%s: %s", name, what);
	g_assert_cmpstr(line + strlen("2026-11-24 22:00:23.123 "), ==, expect);
}

static void assert_monitor_states(char **lines, GPtrArray *signals)
{
	for (guint i = 0; i < signals->len; i++) {
		g_auto(GStrv) words = g_strsplit(signals->pdata[i], " ", 3);

		assert_monitor_line(lines[i], words[0], words[1], words[2]);
	}
}

static void test_monitor(struct fixture *f, gconstpointer data)
{
	g_autofree char *beta_file = NULL;
	g_autofree char *gamma_path = test_vm_path("gamma"), *beta_path = test_vm_path("beta");
	g_auto(GStrv) lines = NULL;
	struct monitor m = {};
	guint n;

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	define_vm(f, "beta", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	monitor_start(f, &m);

	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));
	test_manager_call_ok(&f->d, "StopVM", g_variant_new("(sb)", "nav", TRUE));
	test_wait_state(&f->d, "nav", "exited");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "nav"));
	test_wait_state(&f->d, "nav", "defined");
	/* A definition appears, then another goes. */
	define_vm(f, "gamma", 1, "16M", NULL);
	test_manager_call_ok(&f->d, "Reload", NULL);
	beta_file = g_build_filename(f->d.defs, "beta.yaml", NULL);
	g_assert_cmpint(g_unlink(beta_file), ==, 0);
	test_manager_call_ok(&f->d, "Reload", NULL);

	n = f->d.state_signals->len;
	g_assert_cmpuint(n, >=, 5);
	monitor_read_lines(&m, n + 2);
	lines = output_lines(m.out->str);
	g_assert_cmpuint(g_strv_length(lines), ==, n + 2);
	/* Exactly the transitions another client saw, in the same order. */
	assert_monitor_states(lines, f->d.state_signals);
	assert_monitor_line(lines[0], "nav", "created", NULL);
	assert_monitor_line(lines[n - 1], "nav", "defined", "destroyed");
	assert_monitor_line(lines[n], "gamma", "new", gamma_path);
	assert_monitor_line(lines[n + 1], "beta", "removed", beta_path);

	g_assert_cmpint(monitor_stop(&m, SIGINT), ==, EXIT_OK);
	g_assert_true(g_str_has_prefix(m.err->str, MONITOR_READY));
	g_assert_cmpuint(count_lines(m.err->str), ==, 1);
	monitor_free(&m);
}

/* The bus goes away under the monitor: exit 3. */
static void test_monitor_bus_gone(struct fixture *f, gconstpointer data)
{
	struct monitor m = {};

	(void) data;
	test_daemon_start(&f->d, NULL);
	monitor_start(f, &m);
	kill(f->d.bus_pid, SIGTERM);
	g_assert_cmpint(monitor_stop(&m, 0), ==, EXIT_UNREACHABLE);
	g_assert_nonnull(strstr(m.err->str, "gunyahctl: lost the connection to the bus"));
	monitor_free(&m);
	/* gunyahd lost its bus too, and fails: not this test's subject. */
	g_assert_cmpint(waitpid(f->d.pid, NULL, 0), ==, f->d.pid);
	f->d.pid = 0;
}

/* ---- for scripts ---- */

/* Removes vms.d/<name>.yaml. */
static void undefine_vm(struct fixture *f, const char *name)
{
	g_autofree char *file = g_strdup_printf("%s/%s.yaml", f->d.defs, name);

	g_assert_cmpint(g_unlink(file), ==, 0);
}

/* A mistyped command gets the closest one; a word far from all gets none. */
static void test_did_you_mean(void)
{
	static const struct {
		const char *typed, *meant;
	} cases[] = {
		{ "strat", "start" }, { "stpo", "stop" }, { "lsit", "list" },
		{ "stauts", "status" }, { "monitr", "monitor" }, { "waitt", "wait" },
		{ "reboto", "reboot" }, { "valdiate", "validate" },
	};
	struct ctl_result res = {};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *expect = g_strdup_printf("gunyahctl: unknown command '%s'; "
							  "did you mean '%s'?\n",
							  cases[i].typed, cases[i].meant);

		run_ctl_at(NULL, (const char *const[]) { cases[i].typed, "nav", NULL }, &res);
		g_assert_cmpint(res.status, ==, EXIT_USAGE);
		g_assert_cmpstr(res.err, ==, expect);
		g_assert_cmpstr(res.out, ==, "");
		ctl_result_clear(&res);
	}
	run_ctl_at(NULL, (const char *const[]) { "xyzzy", NULL }, &res);
	g_assert_cmpint(res.status, ==, EXIT_USAGE);
	g_assert_null(strstr(res.err, "did you mean"));
	ctl_result_clear(&res);
	/* Not a usage error that the daemon would have to answer: no bus needed. */
	run_ctl_at(NULL, (const char *const[]) { "wait", "nav", "up", NULL }, &res);
	assert_failure(&res, EXIT_USAGE, "unknown state 'up'; a VM is one of: defined, created");
	ctl_result_clear(&res);
}

static void test_list_no_legend(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	g_auto(GStrv) lines = NULL;

	(void) data;
	define_vm(f, "alpha", 2, "32M", NULL);
	define_vm(f, "beta", 1, "16M", "autostart: yes\n");
	test_daemon_start(&f->d, NULL);
	test_poll_state(&f->d, "beta", "running");

	run_ctl(f, &res, "list", "--no-legend");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.err, ==, "");
	lines = g_strsplit(res.out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_true(g_regex_match_simple("^alpha +defined +- +2 +32M +no$", lines[0], 0, 0));
	g_assert_true(g_regex_match_simple("^beta +running +0x[0-9a-f]+ +1 +16M +yes$",
					   lines[1], 0, 0));
	g_assert_cmpstr(lines[2], ==, "");
	ctl_result_clear(&res);

	/* With no VMs, nothing at all. */
	undefine_vm(f, "alpha");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "beta"));
	undefine_vm(f, "beta");
	test_manager_call_ok(&f->d, "Reload", NULL);
	run_ctl(f, &res, "list", "--no-legend");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.out, ==, "");
	ctl_result_clear(&res);
}

/* Runs gunyahctl on a terminal of this width, with $COLUMNS unset or set. */
static char *run_ctl_on_tty_cols(struct fixture *f, const char *const *args,
				 unsigned short cols, const char *columns_env, int *ret_status)
{
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;
	struct winsize ws = { .ws_row = 24, .ws_col = cols };
	GString *seen = g_string_new(NULL);
	int master, slave, wait_status;
	char buf[512];
	ssize_t n;
	GPid pid;

	env = columns_env ? g_environ_setenv(env, "COLUMNS", columns_env, TRUE)
			  : g_environ_unsetenv(env, "COLUMNS");
	g_assert_cmpint(openpty(&master, &slave, NULL, NULL, &ws), ==, 0);
	g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata,
			(const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			-1, slave, slave, NULL, NULL, 0, &pid, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	close(slave);
	while ((n = read(master, buf, sizeof(buf))) > 0)
		g_string_append_len(seen, buf, n);
	close(master);
	g_assert_cmpint(waitpid(pid, &wait_status, 0), ==, pid);
	*ret_status = exit_status(wait_status);
	/* The terminal turned each \n into \r\n. */
	g_string_replace(seen, "\r", "", 0);
	return g_string_free(seen, FALSE);
}

static void assert_max_line(const char *out, size_t width)
{
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

	for (char **l = lines; *l; l++)
		if (strlen(*l) > width)
			g_error("line wider than %zu columns: '%s'", width, *l);
}

/* On a terminal, NAME shrinks to fit the width; a pipe gets whole names. */
static void test_list_width(struct fixture *f, gconstpointer data)
{
	static const char long_name[] = "a-rather-long-vm-name-for-a-narrow-terminal";
	const char *const args[] = { "list", NULL };
	g_autofree char *cut = g_strdup_printf("\n%.16s...  defined ", long_name);
	g_autofree char *whole = g_strdup_printf("\n%s  defined ", long_name);
	struct ctl_result res = {};
	char *out;
	int status;

	(void) data;
	define_vm(f, long_name, 1, "16M", NULL);
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);

	/* After NAME, "  defined  VMID  VCPUS  MEMORY  AUTOSTART" takes 41 columns. */
	out = run_ctl_on_tty_cols(f, args, 60, NULL, &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	assert_max_line(out, 60);
	g_assert_nonnull(strstr(out, cut));
	g_assert_true(g_regex_match_simple("^NAME {15} +STATE ", out, 0, 0));
	g_assert_nonnull(strstr(out, "\nnav                  defined "));
	g_free(out);

	/* $COLUMNS wins over the terminal's size. */
	out = run_ctl_on_tty_cols(f, args, 200, "60", &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	assert_max_line(out, 60);
	g_assert_nonnull(strstr(out, cut));
	g_free(out);

	/* Wide enough: nothing cut. */
	out = run_ctl_on_tty_cols(f, args, 200, NULL, &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	g_assert_nonnull(strstr(out, whole));
	g_free(out);

	/* So narrow that NAME keeps its minimum of 8 columns. */
	out = run_ctl_on_tty_cols(f, args, 20, NULL, &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	g_assert_nonnull(strstr(out, "\na-rat...  defined "));
	g_free(out);

	/* A pipe is never cut, whatever $COLUMNS says (ctl_envp keeps the caller's). */
	g_setenv("COLUMNS", "40", TRUE);
	run_ctl(f, &res, "list");
	g_unsetenv("COLUMNS");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(res.out, whole));
	ctl_result_clear(&res);
}

/*
 * Runs python3 with json on stdin and the script; returns what it printed.
 * json.loads() is strict: no trailing commas, no control characters raw.
 */
static char *python_json(const char *json, const char *script)
{
	g_autofree char *in_file = NULL, *out = NULL, *err = NULL;
	g_autofree char *program = g_strdup_printf(
		"import json, sys\n"
		"text = open(sys.argv[1], 'rb').read().decode('utf-8')\n"
		"%s\n", script);
	g_autoptr(GError) error = NULL;
	int fd, wait_status;

	fd = g_file_open_tmp("gunyahctl-json-XXXXXX", &in_file, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(in_file, json, -1, NULL));
	g_assert_true(g_spawn_sync(NULL, (char *[]) { "python3", "-c", program, in_file, NULL },
				   NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
				   &wait_status, &error));
	g_assert_no_error(error);
	g_unlink(in_file);
	if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0)
		g_error("python3 rejected the JSON:\n%s\n%s", json, err);
	return g_steal_pointer(&out);
}

/* The documented fields of a VM object and their types, checked by python. */
#define PY_VM_SCHEMA								\
	"S = {'name': str, 'state': str, 'state_reason': str, 'exit_type': str,\n" \
	"     'exit_code': int, 'vmid': int, 'transient': bool, 'autostart': bool,\n" \
	"     'definition_file': str, 'definition_pending': bool, 'kernel': str,\n" \
	"     'ramdisk': str, 'cmdline': str, 'vcpus': int, 'memory_base': int,\n" \
	"     'memory_size': int, 'devicetree': dict, 'regions': list,\n"	\
	"     'extents': list, 'created_usec': int, 'started_usec': int,\n"	\
	"     'restart_count': int, 'last_error': str, 'last_error_usec': int}\n" \
	"def check(vm):\n"							\
	"    assert set(vm) == set(S), set(vm) ^ set(S)\n"			\
	"    for k, t in S.items():\n"						\
	"        assert type(vm[k]) is t, (k, vm[k])\n"				\
	"    assert set(vm['devicetree']) == {'base', 'size'}\n"		\
	"    for r in vm['regions']:\n"						\
	"        assert set(r) == {'label', 'base', 'size', 'access', 'sharing'}, r\n" \
	"    for e in vm['extents']:\n"						\
	"        assert set(e) == {'kind', 'base', 'size'}, e\n"

static void test_list_json(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	g_autofree char *got = NULL, *expect = NULL, *path = test_vm_path("beta");
	g_autoptr(GVariant) vmid = NULL;

	(void) data;
	define_vm(f, "alpha", 2, "32M", NULL);
	define_vm(f, "beta", 1, "16M", "autostart: yes\ncmdline: \"console=hvc0 quiet\"\n");
	test_daemon_start(&f->d, NULL);
	test_poll_state(&f->d, "beta", "running");
	vmid = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "VMID");

	run_ctl(f, &res, "list", "--json");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.err, ==, "");
	/* An array, one object per line. */
	g_assert_true(g_str_has_prefix(res.out, "[\n{\"name\":\"alpha\","));
	g_assert_true(g_str_has_suffix(res.out, "}\n]\n"));
	g_assert_cmpuint(count_lines(res.out), ==, 4);
	got = python_json(res.out, PY_VM_SCHEMA
		"vms = json.loads(text)\n"
		"for vm in vms:\n"
		"    check(vm)\n"
		"    print(vm['name'], vm['state'], vm['vmid'], vm['vcpus'], vm['memory_size'],\n"
		"          vm['autostart'], vm['cmdline'], vm['memory_base'],\n"
		"          vm['definition_file'].endswith('/' + vm['name'] + '.yaml'),\n"
		"          len(vm['extents']) > 0, vm['started_usec'] > 0)");
	expect = g_strdup_printf("alpha defined 0 2 33554432 False  2147483648 True False False\n"
				 "beta running %u 1 16777216 True console=hvc0 quiet 2147483648 "
				 "True True True\n", g_variant_get_uint32(vmid));
	g_assert_cmpstr(got, ==, expect);
	ctl_result_clear(&res);
}

static void test_list_json_empty(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "list", "--json");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.out, ==, "[]\n");
	ctl_result_clear(&res);
}

static void test_status_json(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	g_autofree char *got = NULL, *expect = NULL, *path = test_vm_path("nav");
	g_autoptr(GVariant) vmid = NULL, started = NULL;

	(void) data;
	define_vm(f, "nav", 2, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));
	vmid = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "VMID");
	started = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "StartedTimestamp");

	run_ctl(f, &res, "status", "--json", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.err, ==, "");
	g_assert_cmpuint(count_lines(res.out), ==, 1);
	got = python_json(res.out, PY_VM_SCHEMA
		"vm = json.loads(text)\n"
		"check(vm)\n"
		"print(vm['name'], vm['state'], vm['vmid'], vm['started_usec'], vm['kernel'])\n"
		"print(sorted(e['kind'] for e in vm['extents']))\n"
		"print([(r['label'], r['base'], r['size']) for r in vm['regions']][0])\n"
		"print(vm['devicetree']['size'] > 0, vm['last_error'], vm['transient'])");
	expect = g_strdup_printf("nav running %u %" G_GUINT64_FORMAT " %s\n"
				 "['devicetree', 'kernel']\n"
				 "(0, 2147483648, 16777216)\n"
				 "True  False\n", g_variant_get_uint32(vmid),
				 g_variant_get_uint64(started), f->d.kernel);
	g_assert_cmpstr(got, ==, expect);
	ctl_result_clear(&res);

	/* Failures stay text on stderr, with nothing on stdout. */
	run_ctl(f, &res, "status", "--json", "ghost");
	assert_failure(&res, EXIT_NO_VM, "org.gunyah.Error.NoSuchVM: ");
	g_assert_cmpstr(res.out, ==, "");
	ctl_result_clear(&res);
}

/* A name that needs escaping reaches the JSON escaped, and python reads it back. */
static void test_json_escaping(struct fixture *f, gconstpointer data)
{
	static const char weird[] = "\"quoted\\path\"";
	g_autofree char *yaml = NULL, *got = NULL;
	g_autofree char *file = g_strdup_printf("%s/nav.yaml", f->d.defs);
	struct ctl_result res = {};

	(void) data;
	yaml = g_strdup_printf("version: 1\nname: nav\nvcpus: 1\n"
			       "memory:\n  base: 0x80000000\n  size: 16M\n"
			       "kernel: %s\ncmdline: '%s tab\\there é'\n", f->d.kernel, weird);
	g_assert_true(g_file_set_contents(file, yaml, -1, NULL));
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "status", "--json", "nav");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(res.out, "\"cmdline\":\"\\\"quoted\\\\path\\\" tab\\\\there \303\251\""));
	got = python_json(res.out, "print(json.loads(text)['cmdline'])");
	g_assert_cmpstr(got, ==, "\"quoted\\path\" tab\\there \303\251\n");
	ctl_result_clear(&res);
}

/* monitor NAME... filters; --json gives one object per event and line. */
static void test_monitor_json_filter(struct fixture *f, gconstpointer data)
{
	g_autofree char *got = NULL, *gamma_path = test_vm_path("gamma");
	g_autofree char *expect = NULL;
	struct monitor mj = {}, mt = {};
	g_auto(GStrv) lines = NULL;

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	define_vm(f, "beta", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	monitor_start_args(f, &mj, (const char *const[]) { "monitor", "--json", "nav", "gamma",
							   NULL });
	monitor_start_args(f, &mt, (const char *const[]) { "monitor", "beta", NULL });

	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "beta"));
	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "nav"));
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "beta"));
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "nav"));
	define_vm(f, "gamma", 1, "16M", NULL);
	test_manager_call_ok(&f->d, "Reload", NULL);

	monitor_read_lines(&mj, 3);
	monitor_read_lines(&mt, 2);
	g_assert_cmpint(monitor_stop(&mj, SIGTERM), ==, EXIT_OK);
	g_assert_cmpint(monitor_stop(&mt, SIGINT), ==, EXIT_OK);

	/* Nothing of beta in the first, nothing of nav or gamma in the second. */
	got = python_json(mj.out->str,
		"for line in text.splitlines():\n"
		"    e = json.loads(line)\n"
		"    assert type(e['time_usec']) is int and e['time_usec'] > 1600000000000000\n"
		"    del e['time_usec']\n"
		"    print(sorted(e.items()))");
	expect = g_strdup_printf(
		"[('event', 'state'), ('name', 'nav'), ('reason', ''), ('state', 'created')]\n"
		"[('event', 'state'), ('name', 'nav'), ('reason', 'destroyed'), ('state', 'defined')]\n"
		"[('event', 'new'), ('name', 'gamma'), ('path', '%s')]\n", gamma_path);
	g_assert_cmpstr(got, ==, expect);
	lines = output_lines(mt.out->str);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	assert_monitor_line(lines[0], "beta", "created", NULL);
	assert_monitor_line(lines[1], "beta", "defined", "destroyed");
	monitor_free(&mj);
	monitor_free(&mt);
}

struct ctl_async {
	GPid pid;
	int out_fd;
	int err_fd;
};

static void ctl_async_start(struct fixture *f, const char *const *args, struct ctl_async *a)
{
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;

	g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv->pdata, env,
					       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &a->pid,
					       NULL, &a->out_fd, &a->err_fd, &error));
	g_assert_no_error(error);
}

static void ctl_async_finish(struct ctl_async *a, struct ctl_result *res)
{
	GString *out = g_string_new(NULL), *err = g_string_new(NULL);
	int wait_status;

	while (read_more(a->out_fd, out))
		;
	while (read_more(a->err_fd, err))
		;
	close(a->out_fd);
	close(a->err_fd);
	g_assert_cmpint(waitpid(a->pid, &wait_status, 0), ==, a->pid);
	res->status = exit_status(wait_status);
	res->out = g_string_free(out, FALSE);
	res->err = g_string_free(err, FALSE);
	g_test_message("async gunyahctl -> %d\n%s%s", res->status, res->out, res->err);
}

static void test_wait(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	struct ctl_async a = {};
	gint64 t0;

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	define_vm(f, "slow", 1, "16M", "simulate:\n  start-delay: 3s\n");
	test_daemon_start(&f->d, NULL);

	/* Already there: at once. */
	run_ctl_quiet(f, "wait", "nav", "defined");

	/* Never there: --timeout gives up with 6, naming the state it is in. */
	t0 = g_get_monotonic_time();
	run_ctl(f, &res, "wait", "--timeout", "0.3", "nav", "running");
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 300000);
	g_assert_cmpstr(res.err, ==, "gunyahctl: timed out waiting for VM 'nav' to be running; "
				     "it is defined\n");
	g_assert_cmpint(res.status, ==, EXIT_TIMEOUT);
	ctl_result_clear(&res);

	run_ctl(f, &res, "wait", "ghost", "running");
	assert_failure(&res, EXIT_NO_VM, "org.gunyah.Error.NoSuchVM: ");
	ctl_result_clear(&res);

	/* Gets there while waiting: a start takes 3 s, the wait begins during it. */
	ctl_async_start(f, (const char *const[]) { "start", "slow", NULL }, &a);
	test_poll_state(&f->d, "slow", "starting");
	run_ctl_quiet(f, "wait", "slow", "running");
	assert_state(f, "slow", "running");
	ctl_async_finish(&a, &res);
	g_assert_cmpint(res.status, ==, EXIT_OK);
	ctl_result_clear(&res);

	/* Stopped by someone else while waiting: exited, with --timeout 0 (no limit). */
	ctl_async_start(f, (const char *const[]) { "wait", "--timeout", "0", "slow", "exited",
						   NULL }, &a);
	g_usleep(G_USEC_PER_SEC / 2);
	test_manager_call_ok(&f->d, "StopVM", g_variant_new("(sb)", "slow", TRUE));
	ctl_async_finish(&a, &res);
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.err, ==, "");
	ctl_result_clear(&res);
}

/* The VM goes away while waited for: 4. */
static void test_wait_removed(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};
	struct ctl_async a = {};

	(void) data;
	define_vm(f, "gamma", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	ctl_async_start(f, (const char *const[]) { "wait", "--timeout", "30", "gamma", "running",
						   NULL }, &a);
	g_usleep(G_USEC_PER_SEC / 2);
	undefine_vm(f, "gamma");
	test_manager_call_ok(&f->d, "Reload", NULL);
	ctl_async_finish(&a, &res);
	/* Removed while waiting, or (on a slow machine) gone before it looked. */
	g_assert_cmpint(res.status, ==, EXIT_NO_VM);
	g_assert_true(strstr(res.err, "gunyahctl: VM 'gamma' was removed while waiting") ||
		      strstr(res.err, "NoSuchVM"));
	ctl_result_clear(&res);
}

static guint signal_count(struct fixture *f, const char *prefix)
{
	guint n = 0;

	for (guint i = 0; i < f->d.state_signals->len; i++)
		n += g_str_has_prefix(f->d.state_signals->pdata[i], prefix);
	return n;
}

/* Iterates until n VMStateChanged starting with prefix have arrived (10 s max). */
static void wait_signal_count(struct fixture *f, const char *prefix, guint n)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (signal_count(f, prefix) < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
}

/* The signals after the first "name running", joined by ", ". */
static char *signals_after_run(struct fixture *f, const char *name)
{
	g_autofree char *running = g_strdup_printf("%s running ", name);
	g_autoptr(GString) s = g_string_new(NULL);
	bool seen = false;

	for (guint i = 0; i < f->d.state_signals->len; i++) {
		const char *sig = f->d.state_signals->pdata[i];

		if (seen && g_str_has_prefix(sig, name))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", sig);
		seen = seen || g_str_has_prefix(sig, running);
	}
	return g_strdup(s->str);
}

static void test_reboot(struct fixture *f, gconstpointer data)
{
	g_autofree char *seen = NULL;
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	define_vm(f, "stubborn", 1, "16M", "stop-timeout: 30s\nsimulate:\n  on-stop: ignore\n");
	test_daemon_start(&f->d, NULL);

	/* Not running: just started. */
	run_ctl_quiet(f, "reboot", "nav");
	assert_state(f, "nav", "running");

	/* Running: the guest powers off, then the VM runs again. */
	run_ctl_quiet(f, "reboot", "nav");
	assert_state(f, "nav", "running");
	wait_signal_count(f, "nav running ", 2);
	seen = signals_after_run(f, "nav");
	g_assert_true(g_str_has_prefix(seen, "nav stopping requested, nav exited poweroff, "));
	g_assert_true(g_str_has_suffix(seen, ", nav running "));
	g_clear_pointer(&seen, g_free);

	/* --force: stopped at once. */
	run_ctl_quiet(f, "reboot", "--force", "nav");
	wait_signal_count(f, "nav running ", 3);
	seen = signals_after_run(f, "nav");
	g_assert_nonnull(strstr(seen, "nav exited stopped, "));
	assert_state(f, "nav", "running");

	/* A guest that ignores the request: --timeout gives up (6), still stopping. */
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "stubborn"));
	run_ctl(f, &res, "reboot", "--timeout", "0.3", "stubborn");
	assert_failure(&res, EXIT_TIMEOUT, "timed out waiting for VM 'stubborn' to stop");
	assert_state(f, "stubborn", "stopping");
	ctl_result_clear(&res);
	run_ctl_quiet(f, "reboot", "--force", "stubborn");
	assert_state(f, "stubborn", "running");

	run_ctl(f, &res, "reboot", "ghost");
	assert_failure(&res, EXIT_NO_VM, "org.gunyah.Error.NoSuchVM: ");
	ctl_result_clear(&res);
}

/* Candidates from bash with the completion sourced, sorted, one per line. */
static char *bash_complete(const char *const *words)
{
	const char *file = g_getenv("GUNYAHCTL_BASH_COMPLETION");
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *out = NULL, *err = NULL, *cword = NULL;
	g_autoptr(GError) error = NULL;
	int wait_status;
	guint n = 0;

	g_assert_nonnull(file);
	while (words[n])
		n++;
	cword = g_strdup_printf("%u", n - 1);
	g_ptr_array_add(argv, "bash");
	g_ptr_array_add(argv, "--norc");
	g_ptr_array_add(argv, "-c");
	g_ptr_array_add(argv, "source \"$1\" && COMP_CWORD=$2 && shift 2 && COMP_WORDS=(\"$@\") "
			      "&& _gunyahctl && printf '%s\\n' \"${COMPREPLY[@]}\" | LC_ALL=C sort");
	g_ptr_array_add(argv, "bash");
	g_ptr_array_add(argv, (char *) file);
	g_ptr_array_add(argv, cword);
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(argv, (char *) words[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
				   NULL, NULL, &out, &err, &wait_status, &error));
	g_assert_no_error(error);
	if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0 || *err)
		g_error("bash completion failed (0x%x): %s", wait_status, err);
	/* An empty COMPREPLY prints one empty line. */
	return g_strcmp0(out, "\n") == 0 ? g_strdup("") : g_steal_pointer(&out);
}

#define assert_completion(expect, ...)						\
	do {									\
		g_autofree char *_got = bash_complete(				\
			(const char *const[]) { __VA_ARGS__, NULL });		\
										\
		g_assert_cmpstr(_got, ==, expect);				\
	} while (0)

static void test_bash_completion(struct fixture *f, gconstpointer data)
{
	g_autofree char *bash = g_find_program_in_path("bash");
	g_autofree char *dead = NULL;
	const char *bin = g_getenv("GUNYAHCTL_BINARY"), *addr;

	(void) data;
	if (!bash) {
		g_test_skip("no bash");
		return;
	}
	define_vm(f, "alpha", 1, "16M", NULL);
	define_vm(f, "nav-1", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	addr = f->d.bus_address;

	assert_completion("start\nstatus\nstop\n", bin, "st");
	assert_completion("console\ncreate\ndestroy\ndtb\nlist\nlogs\nmonitor\nreboot\nreload\n"
			  "start\nstatus\nstop\nvalidate\nwait\n", bin, "");
	assert_completion("reboot\nreload\n", bin, "--user", "re");
	/* Options: the global ones and the command's. */
	assert_completion("--address\n--force\n--help\n--no-wait\n--timeout\n--user\n"
			  "--version\n", bin, "stop", "--");
	assert_completion("--json\n", bin, "list", "--j");
	assert_completion("--no-legend\n", bin, "list", "--no");
	assert_completion("", bin, "dtb", "--j");
	/* VM names from the daemon on the bus named on the command line. */
	assert_completion("alpha\nnav-1\n", bin, "--address", addr, "status", "");
	assert_completion("nav-1\n", bin, "--address", "=", addr, "start", "n");
	assert_completion("alpha\n", bin, "stop", "--force", "--address", addr, "a");
	assert_completion("", bin, "--address", addr, "status", "alpha", "");
	/* wait: a name, then a state. */
	assert_completion("alpha\nnav-1\n", bin, "--address", addr, "wait", "");
	assert_completion("running\n", bin, "--address", addr, "wait", "nav-1", "ru");
	assert_completion("crashed\ncreated\n", bin, "--address", addr, "wait",
			  "--timeout", "5", "nav-1", "cr");
	assert_completion("", bin, "--address", addr, "wait", "nav-1", "running", "");
	/* console and logs: a name; logs' own options. */
	assert_completion("alpha\n", bin, "--address", addr, "logs", "a");
	assert_completion("nav-1\n", bin, "--address", addr, "console", "n");
	assert_completion("--follow\n", bin, "logs", "--f");
	assert_completion("", bin, "logs", "-n", "");
	/* monitor: any number of names. */
	assert_completion("alpha\nnav-1\n", bin, "--address", addr, "monitor", "alpha", "");
	/* No value to offer after an option that takes one. */
	assert_completion("", bin, "--timeout", "");
	/* No daemon there: no names, and no error on the terminal. */
	dead = g_strdup_printf("unix:path=%s/nobody-here", f->d.tmpdir);
	assert_completion("", bin, "--address", dead, "status", "");
}

/*
 * reload prints the problems of every definition file gunyahd did not
 * apply, as FILE:LINE:COLUMN: message (or JSON), and exits 5 when there is any.
 */
static void test_reload_problems(struct fixture *f, gconstpointer data)
{
	g_autofree char *syntax = g_build_filename(f->d.defs, "a-syntax.yaml", NULL);
	g_autofree char *unknown = g_build_filename(f->d.defs, "b-unknown.yaml", NULL);
	g_autofree char *small = g_build_filename(f->d.defs, "c-small.yaml", NULL);
	g_autofree char *fd = g_build_filename(f->d.defs, "d-fd.yaml", NULL);
	g_autofree char *dup = g_build_filename(f->d.defs, "e-dup.yaml", NULL);
	g_autofree char *nav = g_build_filename(f->d.defs, "nav.yaml", NULL);
	g_autofree char *yaml = NULL, *want = NULL, *got = NULL;
	g_auto(GStrv) lines = NULL;
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "nav", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);

	g_assert_true(g_file_set_contents(syntax, "version: 1\nname: syntax\nmemory: [\n", -1, NULL));
	yaml = g_strdup_printf("version: 1\nname: unknown\nmemory: { size: 16M }\nkernel: %s\n"
			       "colour: blue\n", f->d.kernel);
	g_assert_true(g_file_set_contents(unknown, yaml, -1, NULL));
	g_free(yaml);
	yaml = g_strdup_printf("version: 1\nname: small\nmemory: { size: 1M }\nkernel: %s\n",
			       f->d.kernel);
	g_assert_true(g_file_set_contents(small, yaml, -1, NULL));
	g_assert_true(g_file_set_contents(fd, "version: 1\nname: fd\nmemory: { size: 16M }\n"
					  "kernel: fd:kernel\n", -1, NULL));
	g_free(yaml);
	yaml = g_strdup_printf("version: 1\nname: nav\nmemory: { size: 16M }\nkernel: %s\n",
			       f->d.kernel);
	g_assert_true(g_file_set_contents(dup, yaml, -1, NULL));

	run_ctl(f, &res, "reload");
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_assert_cmpstr(res.err, ==, "");
	lines = output_lines(res.out);
	g_assert_cmpuint(g_strv_length(lines), ==, 5);
	g_assert_true(g_str_has_prefix(lines[0], syntax));
	want = g_strdup_printf("%s:5:1: colour: unknown key", unknown);
	g_assert_true(g_str_has_prefix(lines[1], want));
	g_free(want);
	want = g_strdup_printf("%s:3:9: memory: no room for the devicetree", small);
	g_assert_true(g_str_has_prefix(lines[2], want));
	g_free(want);
	want = g_strdup_printf("%s:4:9: kernel: ", fd);
	g_assert_true(g_str_has_prefix(lines[3], want));
	g_free(want);
	want = g_strdup_printf("%s:1:1: VM 'nav' is already defined by %s", dup, nav);
	g_assert_cmpstr(lines[4], ==, want);
	ctl_result_clear(&res);

	/* The same problems as JSON, one object. */
	run_ctl(f, &res, "reload", "--json");
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_assert_cmpstr(res.err, ==, "");
	g_assert_cmpuint(strlen(res.out), >, 0);
	g_assert_cmpint(strchr(res.out, '\n') - res.out, ==, (long) strlen(res.out) - 1);
	got = python_json(res.out,
		"p = json.loads(text)\n"
		"assert set(p) == {'problems'}, p\n"
		"for x in p['problems']:\n"
		"    assert set(x) == {'file', 'line', 'column', 'message'}, x\n"
		"    assert type(x['line']) is int and type(x['column']) is int, x\n"
		"    print('%s:%d:%d: %s' % (x['file'], x['line'], x['column'], x['message']))\n");
	ctl_result_clear(&res);
	run_ctl(f, &res, "reload");
	g_assert_cmpstr(got, ==, res.out);
	ctl_result_clear(&res);

	/* Fixed: nothing to say, exit 0; JSON says so with an empty list. */
	for (const char *const *p = (const char *const[]) { syntax, unknown, small, fd, dup, NULL };
	     *p; p++)
		g_assert_cmpint(g_unlink(*p), ==, 0);
	run_ctl_quiet(f, "reload");
	run_ctl(f, &res, "reload", "--json");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.out, ==, "{\"problems\":[]}\n");
	ctl_result_clear(&res);
}

/* validate checks what create checks without the images, for the definitions directory. */
static void test_validate_placement(struct fixture *f, gconstpointer data)
{
	g_autofree char *small = NULL, *offset = NULL, *fd = NULL, *two = NULL, *got = NULL;
	g_autofree char *want = NULL;
	g_auto(GStrv) lines = NULL;
	struct ctl_result res = {};

	(void) data;
	test_daemon_start(&f->d, NULL);
	small = write_file(f, "small.yaml", "version: 1\nname: s\nmemory: { size: 1M }\n"
			   "kernel: /boot/Image\n", -1);
	run_ctl(f, &res, "validate", small);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	want = g_strdup_printf("%s:3:9: memory: no room for the devicetree", small);
	g_assert_true(g_str_has_prefix(res.out, want));
	ctl_result_clear(&res);

	offset = write_file(f, "offset.yaml", "version: 1\nname: o\nmemory: { size: 16M }\n"
			    "kernel: /boot/Image\ndevicetree: { offset: 0x4000000 }\n", -1);
	run_ctl(f, &res, "validate", offset);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("%s:5:23: devicetree.offset: ", offset);
	g_assert_true(g_str_has_prefix(res.out, want));
	ctl_result_clear(&res);

	/* fd:KEY is for transient VMs, not for a file of the directory. */
	fd = write_file(f, "fd.yaml", "version: 1\nname: fd\nmemory: { size: 16M }\n"
			"kernel: fd:kernel\n", -1);
	run_ctl(f, &res, "validate", fd);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("%s:4:9: kernel: ", fd);
	g_assert_true(g_str_has_prefix(res.out, want));
	ctl_result_clear(&res);

	/* Every layout conflict at once. */
	two = write_file(f, "two.yaml", "version: 1\nname: t\nmemory: { size: 16M }\n"
			 "kernel: /boot/Image\nregions:\n"
			 "  - { label: 1, base: 0x80000000, size: 4K }\n"
			 "  - { label: 2, base: 0xc0000000, size: 8K }\n"
			 "  - { label: 3, base: 0xc0001000, size: 4K }\n", -1);
	run_ctl(f, &res, "validate", two);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	lines = output_lines(res.out);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	g_assert_nonnull(strstr(lines[0], "two.yaml:6:5: regions[0]: "));
	g_assert_nonnull(strstr(lines[1], "two.yaml:8:5: regions[2]: "));
	ctl_result_clear(&res);

	/* --json: the same problems; an empty list for a valid file. */
	run_ctl(f, &res, "validate", "--json", two);
	g_assert_cmpint(res.status, ==, EXIT_INVALID);
	got = python_json(res.out,
		"p = json.loads(text)\n"
		"assert set(p) == {'problems'}, p\n"
		"for x in p['problems']:\n"
		"    assert set(x) == {'file', 'line', 'column', 'message'}, x\n"
		"    print('%s:%d:%d: %s' % (x['file'], x['line'], x['column'], x['message']))\n");
	ctl_result_clear(&res);
	run_ctl(f, &res, "validate", two);
	g_assert_cmpstr(got, ==, res.out);
	ctl_result_clear(&res);
	g_clear_pointer(&got, g_free);
	{
		g_autofree char *latin1 = write_file(f, "latin1.yaml", "name: caf\xe9\n", -1);

		run_ctl(f, &res, "validate", "--json", latin1);
		g_assert_cmpint(res.status, ==, EXIT_INVALID);
		got = python_json(res.out, "p = json.loads(text)['problems']\n"
				  "print(len(p), p[0]['line'], p[0]['column'], p[0]['message'])\n");
		g_assert_cmpstr(got, ==, "1 1 10 not valid UTF-8\n");
		ctl_result_clear(&res);
	}
	{
		g_autofree char *ok = write_file(f, "ok.yaml", "version: 1\nname: ok\n"
						 "memory: { size: 16M }\nkernel: /boot/Image\n", -1);

		run_ctl(f, &res, "validate", "--json", ok);
		g_assert_cmpint(res.status, ==, EXIT_OK);
		g_assert_cmpstr(res.out, ==, "{\"problems\":[]}\n");
		ctl_result_clear(&res);
	}
}


/* ---- console and logs ---- */

/* Starts gunyahd with NAME defined (extra: YAML lines) and running. */
static void start_console_vm(struct fixture *f, const char *name, const char *extra)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	define_vm(f, name, 1, "16M", extra);
	test_daemon_start(&f->d, NULL);
	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "Start", NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(reply);
}

static void test_logs(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	start_console_vm(f, "chatty", "simulate:\n  console-banner: \"one\\r\\ntwo\\nthree\\n\"\n");
	run_ctl(f, &res, "logs", "chatty");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	/* The \r of \r\n is left out. */
	g_assert_cmpstr(res.out, ==, "one\ntwo\nthree\n");
	ctl_result_clear(&res);
	run_ctl(f, &res, "logs", "-n", "2", "chatty");
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.out, ==, "two\nthree\n");
	ctl_result_clear(&res);
	run_ctl(f, &res, "logs", "--lines=1", "chatty");
	g_assert_cmpstr(res.out, ==, "three\n");
	ctl_result_clear(&res);
	run_ctl(f, &res, "logs", "-n", "many", "chatty");
	assert_failure(&res, EXIT_USAGE, "invalid --lines 'many'");
	ctl_result_clear(&res);
	run_ctl(f, &res, "logs", "nosuchvm");
	assert_failure(&res, EXIT_NO_VM, "nosuchvm");
	ctl_result_clear(&res);
}

/* A VM that is not created has no console: refused, with the daemon's error. */
static void test_logs_not_live(struct fixture *f, gconstpointer data)
{
	struct ctl_result res = {};

	(void) data;
	define_vm(f, "idle", 1, "16M", NULL);
	test_daemon_start(&f->d, NULL);
	run_ctl(f, &res, "logs", "idle");
	assert_failure(&res, EXIT_FAILED, GH_ERROR_INVALID_STATE);
	ctl_result_clear(&res);
	run_ctl(f, &res, "console", "idle");
	assert_failure(&res, EXIT_FAILED, GH_ERROR_INVALID_STATE);
	ctl_result_clear(&res);
}

#define TYPED_LINES 600

/* Types TYPED_LINES numbered lines into a console socket (the sim's guest echoes them). */
static gpointer type_lines(gpointer data)
{
	int fd = GPOINTER_TO_INT(data);

	for (int i = 1; i <= TYPED_LINES; i++) {
		char line[16];
		int n = g_snprintf(line, sizeof(line), "typed-%04d\n", i);

		g_assert_cmpint(write(fd, line, n), ==, n);
		g_usleep(1000);	/* still typing while gunyahctl attaches */
	}
	return NULL;
}

/*
 * logs -f: the output so far, then what follows, until the guest exits;
 * while someone types, every line once, in order, wherever logs attached.
 */
static void test_logs_follow(struct fixture *f, gconstpointer data)
{
	g_autoptr(GString) expected = g_string_new("up\n");
	g_autofree char *path = test_vm_path("brief");
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	struct ctl_result res = {};
	GThread *typist;
	int sock;

	(void) data;
	start_console_vm(f, "brief", "simulate:\n  console-banner: \"up\\n\"\n  exit-after: 5s\n");
	reply = g_dbus_connection_call_with_unix_fd_list_sync(
		f->d.conn, GH_DBUS_SERVICE, path, GH_DBUS_VM_INTERFACE, "OpenConsole", NULL,
		G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &fds, NULL, &error);
	g_assert_no_error(error);
	sock = g_unix_fd_list_get(fds, 0, NULL);
	g_assert_cmpint(sock, >=, 0);
	for (int i = 1; i <= TYPED_LINES; i++)
		g_string_append_printf(expected, "typed-%04d\n", i);
	typist = g_thread_new("typist", type_lines, GINT_TO_POINTER(sock));
	run_ctl(f, &res, "logs", "-f", "brief");
	g_thread_join(typist);
	close(sock);
	g_assert_cmpint(res.status, ==, EXIT_OK);
	g_assert_cmpstr(res.out, ==, expected->str);
	ctl_result_clear(&res);
	test_poll_state(&f->d, "brief", "exited");
}

/* Runs gunyahctl with stdin from in_fd (closed here); its stdout. */
static char *run_ctl_stdin(struct fixture *f, const char *const *args, int in_fd, int *ret_status)
{
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	char *out = NULL;
	int out_fd, err_fd, wait_status;
	GPid pid;

	g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata,
			(const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			in_fd, -1, -1, NULL, NULL, 0, &pid, NULL, &out_fd, &err_fd, &error));
	g_assert_no_error(error);
	close(in_fd);
	{
		g_autoptr(GIOChannel) o = g_io_channel_unix_new(out_fd);
		g_autoptr(GIOChannel) e = g_io_channel_unix_new(err_fd);

		g_io_channel_set_close_on_unref(o, TRUE);
		g_io_channel_set_close_on_unref(e, TRUE);
		g_assert_cmpint(g_io_channel_read_to_end(o, &out, NULL, NULL), ==,
				G_IO_STATUS_NORMAL);
		g_assert_cmpint(g_io_channel_read_to_end(e, &err, NULL, NULL), ==,
				G_IO_STATUS_NORMAL);
	}
	g_assert_cmpint(waitpid(pid, &wait_status, 0), ==, pid);
	*ret_status = exit_status(wait_status);
	g_test_message("gunyahctl %s -> %d\n%s%s", args[0], *ret_status, out, err);
	return out;
}

/*
 * Standard input not a terminal: it goes to the guest (which echoes it),
 * the output to stdout, until --timeout (with -n after the last lines
 * kept); and until the console ends.
 */
static void test_console_pipe(struct fixture *f, gconstpointer data)
{
	const char *const timed[] = { "console", "--timeout", "3", "echo", NULL };
	const char *const timed_tail[] = { "console", "-n", "1", "--timeout", "3", "echo", NULL };
	const char *const until_exit[] = { "console", "ends", NULL };
	g_autofree char *input = g_build_filename(f->d.tmpdir, "input", NULL);
	g_autofree char *out = NULL, *out2 = NULL, *with_tail = NULL;
	g_autofree char *path = test_vm_path("ends");
	g_autoptr(GVariant) reply = NULL;
	int status;

	(void) data;
	start_console_vm(f, "echo", NULL);
	define_vm(f, "ends", 1, "16M", "simulate:\n  console-banner: \"\"\n  exit-after: 2s\n");
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_true(g_file_set_contents(input, "hello guest\n", -1, NULL));
	out = run_ctl_stdin(f, timed, open(input, O_RDONLY | O_CLOEXEC), &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	g_assert_cmpstr(out, ==, "hello guest\n");
	/* -n: the last lines kept first, then the console right after them. */
	g_assert_true(g_file_set_contents(input, "again\n", -1, NULL));
	with_tail = run_ctl_stdin(f, timed_tail, open(input, O_RDONLY | O_CLOEXEC), &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	g_assert_cmpstr(with_tail, ==, "hello guest\nagain\n");

	reply = test_call(&f->d, path, GH_DBUS_VM_INTERFACE, "Start", NULL, NULL);
	g_assert_nonnull(reply);
	out2 = run_ctl_stdin(f, until_exit, open("/dev/null", O_RDONLY | O_CLOEXEC), &status);
	g_assert_cmpint(status, ==, EXIT_OK);
	g_assert_cmpstr(out2, ==, "");
	assert_state(f, "ends", "exited");
}

static bool termios_same(const struct termios *a, const struct termios *b)
{
	return a->c_lflag == b->c_lflag && a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag;
}

/* Reads the pty until it shows text; false after 30 s (valgrind is slow). */
static bool pty_wait_for(int master, GString *seen, const char *text)
{
	gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

	while (!strstr(seen->str, text) && g_get_monotonic_time() < deadline) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		char buf[512];
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break;
		g_string_append_len(seen, buf, n);
	}
	return strstr(seen->str, text) != NULL;
}

/*
 * On a terminal: raw (the guest gets "hi\r" as typed and echoes it), Ctrl-]
 * detaches, or a signal ends it; the terminal is as it was either way.
 */
static void run_console_on_tty(struct fixture *f, bool by_signal)
{
	const char *const args[] = { "console", "tty", NULL };
	g_autoptr(GPtrArray) argv = ctl_argv(f->d.bus_address, args);
	g_auto(GStrv) env = ctl_envp();
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) seen = g_string_new(NULL);
	struct termios before, after;
	int master, slave, wait_status;
	GPid pid;

	g_assert_cmpint(openpty(&master, &slave, NULL, NULL, NULL), ==, 0);
	g_assert_cmpint(tcgetattr(slave, &before), ==, 0);
	g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata,
			(const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			slave, slave, slave, NULL, NULL, 0, &pid, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(pty_wait_for(master, seen, "Ctrl-] detaches"));
	/* Raw by now? Poll the terminal: echo and line mode are off. */
	for (int i = 0; i < 300; i++) {
		g_assert_cmpint(tcgetattr(slave, &after), ==, 0);
		if (!(after.c_lflag & (ICANON | ECHO)))
			break;
		g_usleep(100000);
	}
	g_assert_false(after.c_lflag & (ICANON | ECHO));
	g_assert_cmpint(write(master, "hi\r", 3), ==, 3);
	g_assert_true(pty_wait_for(master, seen, "hi\r"));
	if (by_signal) {
		g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
		g_assert_true(pty_wait_for(master, seen, "Interrupted."));
	} else {
		g_assert_cmpint(write(master, "\x1d", 1), ==, 1);
		g_assert_true(pty_wait_for(master, seen, "Detached."));
	}
	g_assert_cmpint(waitpid(pid, &wait_status, 0), ==, pid);
	g_assert_cmpint(exit_status(wait_status), ==, EXIT_OK);
	g_assert_cmpint(tcgetattr(slave, &after), ==, 0);
	g_assert_true(termios_same(&before, &after));
	close(slave);
	close(master);
}

static void test_console_tty(struct fixture *f, gconstpointer data)
{
	(void) data;
	start_console_vm(f, "tty", NULL);
	run_console_on_tty(f, false);
	run_console_on_tty(f, true);
}

#define add(path, fn) \
	g_test_add(path, struct fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/usage", test_usage);
	g_test_add_func("/cli/help-version", test_help_version);
	g_test_add_func("/cli/unreachable/socket", test_unreachable_socket);
	add("/cli/unreachable/name", test_unreachable_name);
	add("/cli/list/columns", test_list);
	add("/cli/list/empty", test_list_empty);
	add("/cli/list/one", test_list_one);
	add("/cli/status/defined", test_status_defined);
	add("/cli/status/running", test_status_running);
	add("/cli/status/why", test_status_why);
	add("/cli/terminal-escapes", test_terminal_escapes);
	add("/cli/lifecycle", test_lifecycle);
	add("/cli/stop/waits", test_stop_waits);
	add("/cli/stop/timeout", test_stop_timeout);
	add("/cli/start/timeout", test_start_timeout);
	add("/cli/errors", test_errors);
	add("/cli/errors/access-denied", test_access_denied);
	add("/cli/reload", test_reload);
	add("/cli/validate/daemon", test_validate);
	add("/cli/validate/transient", test_validate_transient);
	add("/cli/validate/local", test_validate_local_problems);
	add("/cli/validate/stdin", test_validate_stdin);
	add("/cli/validate/placement", test_validate_placement);
	add("/cli/reload/problems", test_reload_problems);
	add("/cli/dtb/blob", test_dtb);
	add("/cli/dtb/tty", test_dtb_refuses_tty);
	add("/cli/dtb/no-vm", test_dtb_no_vm);
	add("/cli/monitor/events", test_monitor);
	add("/cli/monitor/bus-gone", test_monitor_bus_gone);
	g_test_add_func("/cli/did-you-mean", test_did_you_mean);
	add("/cli/list/no-legend", test_list_no_legend);
	add("/cli/list/width", test_list_width);
	add("/cli/json/list", test_list_json);
	add("/cli/json/list-empty", test_list_json_empty);
	add("/cli/json/status", test_status_json);
	add("/cli/json/escaping", test_json_escaping);
	add("/cli/monitor/json-filter", test_monitor_json_filter);
	add("/cli/wait/states", test_wait);
	add("/cli/wait/removed", test_wait_removed);
	add("/cli/reboot", test_reboot);
	add("/cli/completion/bash", test_bash_completion);
	add("/cli/logs/tail", test_logs);
	add("/cli/logs/not-live", test_logs_not_live);
	add("/cli/logs/follow", test_logs_follow);
	add("/cli/console/pipe", test_console_pipe);
	add("/cli/console/tty", test_console_tty);
	return g_test_run();
}
