/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shipped bus policy, dbus/org.gunyah.Manager1.conf, enforced by a real
 * dbus-daemon.
 *
 * The private bus's configuration mirrors the system bus's
 * (/usr/share/dbus-1/system.conf): every uid may connect, no name may be
 * owned and no method called unless a policy file opens it, replies and
 * signals flow. It includes the shipped policy with two names substituted,
 * because a test never touches this machine's users and groups:
 *   user="gunyahd" -> an existing system user that is not nobody (OWNER);
 *   group="gunyah" -> an existing system group that nobody is not in (GROUP).
 * gunyahd runs as root (sim backend) and owns org.gunyah.Manager1; with
 * --config it gets access-group GROUP, so that its own check agrees.
 *
 * Clients run as other users: the test forks, drops to nobody (optionally
 * with GROUP as supplementary group, or to OWNER) with setgroups, setgid and
 * setuid, and executes itself in client mode, which calls through sd-bus and
 * prints the outcome. dbus-daemon takes the groups from the socket
 * (SO_PEERGROUPS), so a supplementary group set this way counts.
 *
 * A refusal by the bus is told apart from one by gunyahd by its message
 * ("Rejected send message, ..." from dbus-daemon) and by the VM's state, which
 * must not change.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "util/cleanup.h"
#include "test-daemon.h"

#define DBUS_PROPS "org.freedesktop.DBus.Properties"
#define E_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define BUS_REJECTION "Rejected send message"

/* Who a client runs as. */
struct ident {
	const char *label;
	uid_t uid;
	gid_t gid;
	gid_t groups[2];
	int n_groups;
};

static struct {
	bool ready;
	int self_fd;		/* this executable, opened as root, run with fexecve */
	char *tmpdir;
	char *owner;		/* stands in for user gunyahd */
	char *group;		/* stands in for group gunyah */
	bool daemon_checks_group;	/* gunyahd got access-group GROUP via --config */
	struct ident nobody, member, owner_id;
	struct test_daemon d;
} t;

/* ---- client mode: runs as the unprivileged user ---- */

static int client_append(sd_bus_message *m, const char *sig, char **args, int n)
{
	int r = 0;

	if (strcmp(sig, "") == 0)
		return n == 0 ? 0 : -EINVAL;
	if (strcmp(sig, "s") == 0 && n == 1)
		return sd_bus_message_append(m, "s", args[0]);
	if (strcmp(sig, "ss") == 0 && n == 2)
		return sd_bus_message_append(m, "ss", args[0], args[1]);
	if (strcmp(sig, "sb") == 0 && n == 2)
		return sd_bus_message_append(m, "sb", args[0], strcmp(args[1], "true") == 0);
	if (strcmp(sig, "b") == 0 && n == 1)
		return sd_bus_message_append(m, "b", strcmp(args[0], "true") == 0);
	if (strcmp(sig, "su") == 0 && n == 2)
		return sd_bus_message_append(m, "su", args[0], (uint32_t) strtoul(args[1], NULL, 0));
	if (strcmp(sig, "sa{sh}") == 0 && n == 1) {
		r = sd_bus_message_append(m, "s", args[0]);
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "{sh}");
		if (r >= 0)
			r = sd_bus_message_close_container(m);
		return r;
	}
	return -EINVAL;
}

/* call DEST PATH IFACE|- MEMBER SIG ARGS...: prints "OK[ u=N]" or "ERR name\tmessage". */
static int client_call(sd_bus *bus, int argc, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *iface;
	uint32_t u;
	int r;

	if (argc < 5)
		return 2;
	iface = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	r = sd_bus_message_new_method_call(bus, &m, argv[0], argv[1], iface, argv[3]);
	if (r >= 0)
		r = client_append(m, argv[4], argv + 5, argc - 5);
	if (r < 0) {
		fprintf(stderr, "cannot build the call: %s\n", strerror(-r));
		return 2;
	}
	r = sd_bus_call(bus, m, 30 * 1000000ULL, &error, &reply);
	if (r < 0) {
		printf("ERR %s\t%s\n", error.name ? error.name : "?",
		       error.message ? error.message : strerror(-r));
		sd_bus_error_free(&error);
		return 0;
	}
	if (strcmp(sd_bus_message_get_signature(reply, true), "u") == 0 &&
	    sd_bus_message_read(reply, "u", &u) >= 0)
		printf("OK u=%u\n", u);
	else
		printf("OK\n");
	return 0;
}

/* watch: subscribes to VMStateChanged, prints READY, then the first signal. */
static int client_watch(sd_bus *bus)
{
	uint64_t deadline;
	int r;

	r = sd_bus_add_match(bus, NULL,
			     "type='signal',sender='" GH_DBUS_SERVICE "',"
			     "interface='" GH_DBUS_MANAGER_INTERFACE "',"
			     "member='VMStateChanged'", NULL, NULL);
	if (r < 0) {
		printf("ERR match\t%s\n", strerror(-r));
		return 0;
	}
	printf("READY\n");
	fflush(stdout);
	deadline = 10 * 1000000ULL;
	for (;;) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		const char *name, *state, *reason;

		r = sd_bus_process(bus, &m);
		if (r < 0) {
			printf("ERR process\t%s\n", strerror(-r));
			return 0;
		}
		if (m && sd_bus_message_is_signal(m, GH_DBUS_MANAGER_INTERFACE, "VMStateChanged") &&
		    sd_bus_message_read(m, "sss", &name, &state, &reason) >= 0) {
			printf("SIGNAL %s %s\n", name, state);
			return 0;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, deadline);
		if (r == 0) {
			printf("TIMEOUT\n");
			return 0;
		}
	}
}

static int client_main(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	/* argv: self --client ADDRESS OP ... */
	if (argc < 4)
		return 2;
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, argv[2]);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		printf("ERR connect\t%s\n", strerror(-r));
		return 0;
	}
	if (strcmp(argv[3], "call") == 0)
		return client_call(bus, argc - 4, argv + 4);
	if (strcmp(argv[3], "watch") == 0)
		return client_watch(bus);
	return 2;
}

/* ---- the test side, as root ---- */

/* Forks a client as id; returns its pid, *ret_out reads its stdout. */
static pid_t client_spawn(const struct ident *id, const char *const *args, int *ret_out)
{
	const char *argv[32] = { "test-bus-policy", "--client", t.d.bus_address };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	int pipefd[2], n = 3;
	pid_t pid;

	for (; *args; args++) {
		g_assert_cmpint(n, <, 31);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		/* Only async-signal-safe calls until the exec. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(pipefd[1], STDOUT_FILENO) < 0 ||
		    setgroups((size_t) id->n_groups, id->groups) < 0 ||
		    setresgid(id->gid, id->gid, id->gid) < 0 ||
		    setresuid(id->uid, id->uid, id->uid) < 0)
			_exit(126);
		fexecve(t.self_fd, (char **) argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	*ret_out = pipefd[0];
	return pid;
}

static char *client_wait(const struct ident *id, pid_t pid, int out)
{
	GString *s = g_string_new(NULL);
	char buf[512];
	ssize_t n;
	int status;

	while ((n = read(out, buf, sizeof(buf))) > 0)
		g_string_append_len(s, buf, n);
	close(out);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		g_error("client as %s exited with status %d: %s", id->label, status, s->str);
	g_strchomp(s->str);
	return g_string_free(s, FALSE);
}

/* Runs one call to dest as id; returns "OK...", or "ERR name\tmessage". */
static char *call_to_as(const struct ident *id, const char *dest, const char *path,
			const char *iface, const char *member, const char *sig, const char *a0,
			const char *a1)
{
	const char *args[] = { "call", dest, path, iface ? iface : "-", member, sig, a0, a1,
			       NULL };
	int out;
	pid_t pid = client_spawn(id, args, &out);
	char *r = client_wait(id, pid, out);

	g_test_message("%s: %s.%s(%s %s) -> %s", id->label, iface ? iface : "(none)", member,
		       a0 ? a0 : "", a1 ? a1 : "", r);
	return r;
}

static char *call_as(const struct ident *id, const char *path, const char *iface,
		     const char *member, const char *sig, const char *a0, const char *a1)
{
	return call_to_as(id, GH_DBUS_SERVICE, path, iface, member, sig, a0, a1);
}

static char *request_name_as(const struct ident *id, const char *name)
{
	/* 4 = DBUS_NAME_FLAG_DO_NOT_QUEUE */
	return call_to_as(id, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			  "org.freedesktop.DBus", "RequestName", "su", name, "4");
}

static void assert_ok(const char *outcome, const char *what)
{
	if (!g_str_has_prefix(outcome, "OK"))
		g_error("%s: expected success, got %s", what, outcome);
}

static void assert_bus_refused(const char *outcome, const char *what)
{
	g_autofree char *prefix = g_strdup_printf("ERR %s\t%s", E_ACCESS_DENIED, BUS_REJECTION);

	if (!g_str_has_prefix(outcome, prefix))
		g_error("%s: expected a refusal by the bus, got %s", what, outcome);
}

/* Went past the bus: succeeded, or refused by gunyahd itself. */
static void assert_bus_passed(const char *outcome, const char *what)
{
	if (g_str_has_prefix(outcome, "ERR ") && strstr(outcome, BUS_REJECTION))
		g_error("%s: refused by the bus: %s", what, outcome);
	if (g_str_has_prefix(outcome, "ERR connect") || g_str_has_prefix(outcome, "ERR ?"))
		g_error("%s: %s", what, outcome);
}

static void ident_fill(struct ident *id, const char *label, uid_t uid, gid_t gid,
		       const gid_t *extra)
{
	id->label = label;
	id->uid = uid;
	id->gid = gid;
	id->groups[0] = gid;
	id->n_groups = 1;
	if (extra)
		id->groups[id->n_groups++] = *extra;
}

static bool group_has_member(const struct group *g, const char *user)
{
	for (char **m = g->gr_mem; m && *m; m++)
		if (strcmp(*m, user) == 0)
			return true;
	return false;
}

/* Picks OWNER and GROUP among this machine's system accounts. */
static bool pick_identities(void)
{
	struct passwd *nobody = getpwnam("nobody"), *pw;
	struct group *gr;
	gid_t group_gid = 0;
	uid_t nobody_uid;
	gid_t nobody_gid;

	if (!nobody)
		return false;
	nobody_uid = nobody->pw_uid;
	nobody_gid = nobody->pw_gid;

	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_uid > 0 && pw->pw_uid < 1000 && pw->pw_uid != nobody_uid &&
		    pw->pw_gid != nobody_gid) {
			t.owner = g_strdup(pw->pw_name);
			ident_fill(&t.owner_id, "owner", pw->pw_uid, pw->pw_gid, NULL);
			break;
		}
	endpwent();
	if (!t.owner)
		return false;

	setgrent();
	while ((gr = getgrent()))
		if (gr->gr_gid > 0 && gr->gr_gid < 1000 && gr->gr_gid != nobody_gid &&
		    gr->gr_gid != t.owner_id.gid && !group_has_member(gr, "nobody") &&
		    !group_has_member(gr, t.owner)) {
			t.group = g_strdup(gr->gr_name);
			group_gid = gr->gr_gid;
			break;
		}
	endgrent();
	if (!t.group)
		return false;

	ident_fill(&t.nobody, "nobody", nobody_uid, nobody_gid, NULL);
	ident_fill(&t.member, "nobody+group", nobody_uid, nobody_gid, &group_gid);
	return true;
}

/* The shipped policy with user gunyahd and group gunyah substituted. */
static char *write_policy(void)
{
	g_autofree char *text = NULL;
	g_autofree char *user_attr = g_strdup_printf("user=\"%s\"", t.owner);
	g_autofree char *group_attr = g_strdup_printf("group=\"%s\"", t.group);
	g_autoptr(GString) s = NULL;
	char *path = g_build_filename(t.tmpdir, "org.gunyah.Manager1.conf", NULL);
	const char *policy = g_getenv("GUNYAH_BUS_POLICY");

	g_assert_nonnull(policy);
	g_assert_true(g_file_get_contents(policy, &text, NULL, NULL));
	s = g_string_new(text);
	g_assert_cmpuint(g_string_replace(s, "user=\"gunyahd\"", user_attr, 0), >=, 1);
	g_assert_cmpuint(g_string_replace(s, "group=\"gunyah\"", group_attr, 0), >=, 1);
	g_assert_true(g_file_set_contents(path, s->str, -1, NULL));
	return path;
}

static char *write_bus_conf(const char *policy)
{
	char *path = g_build_filename(t.tmpdir, "system-like-bus.conf", NULL);
	g_autofree char *conf = g_strdup_printf(
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n"
		"  <type>custom</type>\n"
		"  <listen>unix:tmpdir=/tmp</listen>\n"
		"  <auth>EXTERNAL</auth>\n"
		"  <policy context=\"default\">\n"
		"    <allow user=\"*\"/>\n"
		"    <deny own=\"*\"/>\n"
		"    <deny send_type=\"method_call\"/>\n"
		"    <allow send_type=\"signal\"/>\n"
		"    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
		"    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
		"    <allow receive_type=\"method_call\"/>\n"
		"    <allow receive_type=\"method_return\"/>\n"
		"    <allow receive_type=\"error\"/>\n"
		"    <allow receive_type=\"signal\"/>\n"
		"    <allow send_destination=\"org.freedesktop.DBus\"\n"
		"           send_interface=\"org.freedesktop.DBus\"/>\n"
		"    <allow send_destination=\"org.freedesktop.DBus\"\n"
		"           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
		"    <allow send_destination=\"org.freedesktop.DBus\"\n"
		"           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
		"    <deny send_destination=\"org.freedesktop.DBus\"\n"
		"          send_interface=\"org.freedesktop.DBus\"\n"
		"          send_member=\"UpdateActivationEnvironment\"/>\n"
		"  </policy>\n"
		"  <include>%s</include>\n"
		"</busconfig>\n", policy);

	g_assert_true(g_file_set_contents(path, conf, -1, NULL));
	return path;
}

static bool daemon_has_config_option(void)
{
	const char *argv[] = { g_getenv("GUNYAHD_BINARY"), "--help", NULL };
	g_autofree char *out = NULL;
	int status;

	g_assert_nonnull(argv[0]);
	g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				   NULL, &out, NULL, &status, NULL));
	return strstr(out, "--config") != NULL;
}

static void setup_once(void)
{
	g_autofree char *policy = NULL, *bus_conf = NULL, *config = NULL, *config_arg = NULL;
	const char *args[2] = { NULL, NULL };

	if (t.ready)
		return;
	t.self_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(t.self_fd, >=, 0);
	t.tmpdir = g_dir_make_tmp("gunyah-bus-policy-XXXXXX", NULL);
	g_assert_nonnull(t.tmpdir);
	policy = write_policy();
	bus_conf = write_bus_conf(policy);
	g_setenv("TEST_BUS_CONF", bus_conf, TRUE);
	g_test_message("OWNER=%s GROUP=%s policy %s", t.owner, t.group, policy);

	test_daemon_init(&t.d);
	test_daemon_define(&t.d, "nav", NULL);
	test_daemon_define(&t.d, "cluster", NULL);
	test_daemon_define(&t.d, "spare", NULL);
	if (daemon_has_config_option()) {
		config = g_build_filename(t.tmpdir, "gunyahd.yaml", NULL);
		g_autofree char *yaml = g_strdup_printf("version: 1\ndefinitions: %s\n"
							"access-group: %s\n", t.d.defs, t.group);

		g_assert_true(g_file_set_contents(config, yaml, -1, NULL));
		config_arg = g_strdup_printf("--config=%s", config);
		args[0] = config_arg;
		t.daemon_checks_group = true;
	}
	test_daemon_start(&t.d, args);
	t.ready = true;
}

static void test_read_open_to_everyone(void)
{
	g_autofree char *vm = test_vm_path("nav");
	const struct ident *ids[] = { &t.nobody, &t.member };

	setup_once();
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		const struct ident *id = ids[i];
		struct {
			const char *path, *iface, *member, *sig, *a0, *a1;
		} calls[] = {
			{ GH_DBUS_MANAGER_PATH, "org.freedesktop.DBus.Introspectable", "Introspect",
			  "" },
			{ vm, "org.freedesktop.DBus.Introspectable", "Introspect", "" },
			{ GH_DBUS_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", "" },
			{ GH_DBUS_MANAGER_PATH, DBUS_PROPS, "Get", "ss", GH_DBUS_MANAGER_INTERFACE,
			  "Version" },
			{ GH_DBUS_MANAGER_PATH, DBUS_PROPS, "GetAll", "s",
			  GH_DBUS_MANAGER_INTERFACE },
			{ vm, DBUS_PROPS, "Get", "ss", GH_DBUS_VM_INTERFACE, "State" },
			{ vm, DBUS_PROPS, "GetAll", "s", GH_DBUS_VM_INTERFACE },
			{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "ListVMs", "" },
			{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "GetVM", "s", "nav" },
			{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "ValidateDefinitionFor",
			  "ss", "version: 1\n",
			  "directory" },
			{ vm, GH_DBUS_VM_INTERFACE, "GetDeviceTree", "" },
		};

		for (size_t c = 0; c < G_N_ELEMENTS(calls); c++) {
			g_autofree char *r = call_as(id, calls[c].path, calls[c].iface,
						     calls[c].member, calls[c].sig, calls[c].a0,
						     calls[c].a1);

			assert_ok(r, calls[c].member);
		}
		/* Open at the bus; the daemon decides (it may not know the method yet). */
		{
			g_autofree char *r = call_as(id, GH_DBUS_MANAGER_PATH,
						     GH_DBUS_MANAGER_INTERFACE,
						     "ValidateDefinition", "s", "version: 1\n",
						     NULL);

			assert_bus_passed(r, "ValidateDefinition");
		}
	}
}

static void test_changes_refused_by_bus(void)
{
	g_autofree char *nav = test_vm_path("nav"), *cluster = test_vm_path("cluster");
	const struct ident *id = &t.nobody;

	setup_once();
	/* nav stays defined, cluster runs (root, through the root policy). */
	test_assert_state(&t.d, "nav", "defined");
	test_manager_call_ok(&t.d, "CreateVM", g_variant_new("(s)", "cluster"));
	test_manager_call_ok(&t.d, "StartVM", g_variant_new("(s)", "cluster"));
	test_poll_state(&t.d, "cluster", "running");

	struct {
		const char *path, *iface, *member, *sig, *a0, *a1;
	} calls[] = {
		{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "CreateVM", "s", "nav" },
		{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "StartVM", "s", "nav" },
		{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "StopVM", "sb", "cluster",
		  "true" },
		{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "DestroyVM", "s", "cluster" },
		{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "CreateTransientVM", "sa{sh}",
		  "version: 1\n" },
		{ GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, "Reload", "" },
		{ nav, GH_DBUS_VM_INTERFACE, "Create", "" },
		{ nav, GH_DBUS_VM_INTERFACE, "Start", "" },
		{ cluster, GH_DBUS_VM_INTERFACE, "Stop", "b", "true" },
		{ cluster, GH_DBUS_VM_INTERFACE, "Destroy", "" },
		/* No interface: a policy with send_interface must not let it through. */
		{ nav, NULL, "Start", "" },
		{ GH_DBUS_MANAGER_PATH, NULL, "StartVM", "s", "nav" },
		/* Nothing is writable, and nobody may try (the bus judges before any
		 * signature check, so the value can be left out). */
		{ nav, DBUS_PROPS, "Set", "ss", GH_DBUS_VM_INTERFACE, "Autostart" },
	};

	for (size_t c = 0; c < G_N_ELEMENTS(calls); c++) {
		g_autofree char *r = call_as(id, calls[c].path, calls[c].iface, calls[c].member,
					     calls[c].sig, calls[c].a0, calls[c].a1);

		assert_bus_refused(r, calls[c].member);
	}
	test_assert_state(&t.d, "nav", "defined");
	test_assert_state(&t.d, "cluster", "running");

	test_manager_call_ok(&t.d, "DestroyVM", g_variant_new("(s)", "cluster"));
	test_poll_state(&t.d, "cluster", "defined");
}

/* What group GROUP does, in order; each step's VM state when gunyahd agrees. */
static const struct group_step {
	const char *vm, *iface, *member, *sig, *a0, *a1, *state;
} group_steps[] = {
	{ NULL, GH_DBUS_MANAGER_INTERFACE, "CreateVM", "s", "nav", NULL, "created" },
	{ NULL, GH_DBUS_MANAGER_INTERFACE, "StartVM", "s", "nav", NULL, "running" },
	{ NULL, GH_DBUS_MANAGER_INTERFACE, "StopVM", "sb", "nav", "true", "exited" },
	{ NULL, GH_DBUS_MANAGER_INTERFACE, "DestroyVM", "s", "nav", NULL, "defined" },
	{ "spare", GH_DBUS_VM_INTERFACE, "Start", "", NULL, NULL, "running" },
	{ "spare", GH_DBUS_VM_INTERFACE, "Destroy", "", NULL, NULL, "defined" },
};

static void ensure_defined(const char *name)
{
	g_autofree char *state = test_vm_state(&t.d, name);

	if (strcmp(state, "defined") == 0)
		return;
	test_manager_call_ok(&t.d, "DestroyVM", g_variant_new("(s)", name));
	test_poll_state(&t.d, name, "defined");
}

static char *group_step_run(const struct group_step *step)
{
	g_autofree char *path = step->vm ? test_vm_path(step->vm) : g_strdup(GH_DBUS_MANAGER_PATH);

	return call_as(&t.member, path, step->iface, step->member, step->sig, step->a0, step->a1);
}

/*
 * The policy's half: with GROUP, every change passes the bus and reaches
 * gunyahd, whatever gunyahd then decides.
 */
static void test_changes_pass_bus_for_group(void)
{
	setup_once();
	for (size_t i = 0; i < G_N_ELEMENTS(group_steps); i++) {
		g_autofree char *r = group_step_run(&group_steps[i]);

		assert_bus_passed(r, group_steps[i].member);
	}
	/* Whatever gunyahd decided, leave both VMs defined for the next case. */
	ensure_defined("nav");
	ensure_defined("spare");
}

/*
 * End to end, bus policy and gunyahd's own check together (DESIGN 8): a
 * member of the access-group changes VMs. Needs gunyahd --config, to make
 * GROUP its access-group.
 */
static void test_daemon_accepts_group(void)
{
	setup_once();
	if (!t.daemon_checks_group) {
		g_test_skip("gunyahd has no --config to take GROUP as its access-group");
		return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(group_steps); i++) {
		const struct group_step *step = &group_steps[i];
		g_autofree char *r = group_step_run(step);

		assert_bus_passed(r, step->member);
		assert_ok(r, step->member);
		test_poll_state(&t.d, step->vm ? step->vm : step->a0, step->state);
	}
}

static void test_name_ownership(void)
{
	g_autofree char *as_nobody = NULL, *as_member = NULL, *as_owner = NULL, *other = NULL;

	setup_once();
	/* gunyahd holds the name: a permitted request answers 3 (EXISTS, not
	 * queued), a forbidden one AccessDenied. */
	as_nobody = request_name_as(&t.nobody, GH_DBUS_SERVICE);
	as_member = request_name_as(&t.member, GH_DBUS_SERVICE);
	as_owner = request_name_as(&t.owner_id, GH_DBUS_SERVICE);
	other = request_name_as(&t.owner_id, "org.gunyah.Other1");
	g_assert_true(g_str_has_prefix(as_nobody, "ERR " E_ACCESS_DENIED));
	g_assert_true(g_str_has_prefix(as_member, "ERR " E_ACCESS_DENIED));
	g_assert_cmpstr(as_owner, ==, "OK u=3");
	g_assert_true(g_str_has_prefix(other, "ERR " E_ACCESS_DENIED));
}

static void test_signals_reach_everyone(void)
{
	const char *args[] = { "watch", NULL };
	char buf[64] = "";
	g_autofree char *rest = NULL;
	ssize_t n;
	int out;
	pid_t pid;

	setup_once();
	pid = client_spawn(&t.nobody, args, &out);
	n = read(out, buf, 6);
	g_assert_cmpint(n, ==, 6);
	g_assert_cmpstr(buf, ==, "READY\n");
	test_manager_call_ok(&t.d, "CreateVM", g_variant_new("(s)", "cluster"));
	rest = client_wait(&t.nobody, pid, out);
	g_assert_cmpstr(rest, ==, "SIGNAL cluster created");
	test_manager_call_ok(&t.d, "DestroyVM", g_variant_new("(s)", "cluster"));
	test_poll_state(&t.d, "cluster", "defined");
}

int main(int argc, char **argv)
{
	g_autofree char *dbus_daemon = NULL;
	int r;

	if (argc > 1 && strcmp(argv[1], "--client") == 0)
		return client_main(argc, argv);

	/* Exit status 77: meson reports SKIP. */
	if (geteuid() != 0) {
		printf("SKIP: needs root to run clients as other users\n");
		return 77;
	}
	dbus_daemon = g_find_program_in_path("dbus-daemon");
	if (!dbus_daemon) {
		printf("SKIP: dbus-daemon is not installed\n");
		return 77;
	}
	if (!pick_identities()) {
		printf("SKIP: no system user and group to stand in for gunyahd and gunyah\n");
		return 77;
	}

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bus-policy/read/open-to-everyone", test_read_open_to_everyone);
	g_test_add_func("/bus-policy/change/refused-by-bus", test_changes_refused_by_bus);
	g_test_add_func("/bus-policy/change/passes-bus-for-group", test_changes_pass_bus_for_group);
	g_test_add_func("/bus-policy/change/daemon-accepts-group", test_daemon_accepts_group);
	g_test_add_func("/bus-policy/own/daemon-user-only", test_name_ownership);
	g_test_add_func("/bus-policy/signals/reach-everyone", test_signals_reach_everyone);
	r = g_test_run();
	if (t.ready) {
		test_daemon_finish(&t.d);
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", t.tmpdir);

		g_assert_cmpint(system(cmd), ==, 0);
	}
	return r;
}
