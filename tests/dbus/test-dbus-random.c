/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Random sequences of D-Bus calls against the real daemon (fixed seeds, so
 * a failure replays): persistent VMs that exit, crash and restart on their
 * own, transient VMs created next to them, definitions edited and removed
 * between Reloads, stops, destroys and reads in any order, and bursts of
 * calls in flight together.
 *
 * There is no model of what each call should do; what must hold is what
 * the daemon promises whatever the order: every refusal is one of the
 * documented org.gunyah.Error names (never NoReply, never a generic
 * error), ListVMs agrees with VMCount and with each VM's State, and at the
 * end every VM can be destroyed and the daemon exits cleanly (ASan,
 * valgrind: nothing leaked or overrun on the way).
 */
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"


#define N_PERSISTENT 4
#define N_OPS 250

struct fixture {
	struct test_daemon d;
	GRand *rand;
	unsigned refusals, successes;
};

static const char *const persistent_extra[N_PERSISTENT] = {
	/* Runs until told. */
	"",
	/* Crashes soon after each start and is restarted, within a burst. */
	("restart: { policy: on-failure, burst: 3 }\n"
	 "simulate: { exit-after: 40ms, exit-type: watchdog-bite }\n"),
	/* Powers off by itself. */
	"simulate: { exit-after: 60ms, exit-type: platform-off }\n",
	/* Takes its time to stop. */
	"stop-timeout: 1s\nsimulate: { stop-delay: 30ms }\n",
};

static const char *const allowed_errors[] = {
	GH_ERROR_INVALID_STATE,
	GH_ERROR_NO_SUCH_VM,
	GH_ERROR_VM_EXISTS,
	GH_ERROR_LIMIT_EXCEEDED,
	GH_ERROR_INVALID_DEFINITION,
	/* GetDeviceTree on the path of a VM that is not there (any more). */
	"org.freedesktop.DBus.Error.UnknownObject",
};

static void setup(struct fixture *f, gconstpointer data)
{
	test_daemon_init(&f->d);
	f->rand = g_rand_new_with_seed(GPOINTER_TO_UINT(data));
}

static void teardown(struct fixture *f, gconstpointer data)
{
	(void) data;
	g_test_message("%u calls succeeded, %u refused", f->successes, f->refusals);
	g_rand_free(f->rand);
	test_daemon_finish(&f->d);
}

static char *vm_name(unsigned i)
{
	return g_strdup_printf("vm%u", i);
}

/* A refusal must be a documented error; anything else fails the test. */
static void account(struct fixture *f, const char *what, GVariant *reply, GError *error)
{
	g_autofree char *remote = NULL;

	if (reply) {
		f->successes++;
		return;
	}
	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	for (size_t i = 0; remote && i < G_N_ELEMENTS(allowed_errors); i++)
		if (strcmp(remote, allowed_errors[i]) == 0) {
			f->refusals++;
			return;
		}
	g_error("%s: unexpected error %s", what, error->message);
}

static void call_vm_method(struct fixture *f, const char *method, GVariant *params)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = test_manager_call(&f->d, method, params, &error);

	account(f, method, reply, error);
}

struct pending {
	struct fixture *f;
	const char *method;
	unsigned *left;
};

static void on_burst_reply(GObject *source, GAsyncResult *res, gpointer userdata)
{
	struct pending *p = userdata;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res,
								  &error);

	account(p->f, p->method, reply, error);
	(*p->left)--;
	g_free(p);
}

/* Several calls in flight at once, on the same or different VMs: held replies meet. */
static void burst(struct fixture *f)
{
	static const char *const methods[] = { "StartVM", "StopVM", "DestroyVM", "CreateVM" };
	unsigned n = g_rand_int_range(f->rand, 2, 5), left = n;

	for (unsigned k = 0; k < n; k++) {
		struct pending *p = g_new(struct pending, 1);
		const char *method = methods[g_rand_int_range(f->rand, 0, G_N_ELEMENTS(methods))];
		g_autofree char *name = vm_name(g_rand_int_range(f->rand, 0, N_PERSISTENT));
		GVariant *params = strcmp(method, "StopVM") == 0 ?
			g_variant_new("(sb)", name, g_rand_boolean(f->rand)) :
			g_variant_new("(s)", name);

		*p = (struct pending) { f, method, &left };
		g_dbus_connection_call(f->d.conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
				       GH_DBUS_MANAGER_INTERFACE, method,
				       params, NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
				       on_burst_reply, p);
	}
	while (left)
		g_main_context_iteration(NULL, TRUE);
}

static void create_transient(struct fixture *f, unsigned n)
{
	g_autoptr(GUnixFDList) list = g_unix_fd_list_new();
	g_autofree char *yaml = g_strdup_printf("version: 1\nname: temp%u\nmemory: { size: 8M }\n"
						"kernel: fd:kernel\n", n);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariantBuilder b;
	int fd = open(f->d.kernel, O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sh}"));
	g_variant_builder_add(&b, "{sh}", "kernel", g_unix_fd_list_append(list, fd, NULL));
	close(fd);
	reply = g_dbus_connection_call_with_unix_fd_list_sync(
		f->d.conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
		"CreateTransientVM",
		g_variant_new("(sa{sh})", yaml, &b), G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE,
		30000, list, NULL, NULL, &error);
	account(f, "CreateTransientVM", reply, error);
}

/* Adds, changes or removes a definition file; the next Reload picks it up. */
static void edit_definitions(struct fixture *f)
{
	unsigned i = g_rand_int_range(f->rand, 0, N_PERSISTENT + 2);
	g_autofree char *name = vm_name(i);
	g_autofree char *file = g_strdup_printf("%s/%s.yaml", f->d.defs, name);

	switch (g_rand_int_range(f->rand, 0, 3)) {
	case 0:
		(void) g_unlink(file);
		break;
	case 1:
		g_assert_true(g_file_set_contents(file, "version: 1\nname: broken\nmemory: [\n", -1,
						  NULL));
		break;
	default:
		test_daemon_define(&f->d, name, i < N_PERSISTENT ? persistent_extra[i] : "");
		break;
	}
}

/* ListVMs, VMCount and each VM's State tell the same story. */
static void check_consistent(struct fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) list = test_manager_call(&f->d, "ListVMs", NULL, &error);
	g_autoptr(GVariant) count = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	const char *name, *state, *path;
	guint32 vmid, n = 0;

	g_assert_no_error(error);
	count = test_get_property(&f->d, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				  "VMCount");
	g_variant_get(list, "(a(ssuo))", &iter);
	while (g_variant_iter_next(iter, "(&s&su&o)", &name, &state, &vmid, &path)) {
		g_autoptr(GVariant) s = NULL;
		g_autoptr(GError) gone = NULL;

		n++;
		/* The VM may change state (or go) between the two calls, never to nonsense. */
		s = test_call(&f->d, path, "org.freedesktop.DBus.Properties", "Get",
			      g_variant_new("(ss)", GH_DBUS_VM_INTERFACE, "State"), &gone);
		if (s) {
			g_autoptr(GVariant) v = NULL;

			g_variant_get(s, "(v)", &v);
			g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_STRING));
			g_assert_cmpuint(strlen(g_variant_get_string(v, NULL)), >, 0);
		}
	}
	g_assert_cmpuint(n, ==, g_variant_get_uint32(count));
}

static void random_op(struct fixture *f, unsigned op)
{
	unsigned i = g_rand_int_range(f->rand, 0, N_PERSISTENT + 1);
	g_autofree char *name = i < N_PERSISTENT ? vm_name(i) :
				g_strdup_printf("temp%u", g_rand_int_range(f->rand, 0, 3));

	switch (g_rand_int_range(f->rand, 0, 13)) {
	case 0:
	case 1:
		call_vm_method(f, "StartVM", g_variant_new("(s)", name));
		break;
	case 2:
		call_vm_method(f, "CreateVM", g_variant_new("(s)", name));
		break;
	case 3:
		call_vm_method(f, "StopVM", g_variant_new("(sb)", name, g_rand_boolean(f->rand)));
		break;
	case 4:
		call_vm_method(f, "DestroyVM", g_variant_new("(s)", name));
		break;
	case 5:
		create_transient(f, g_rand_int_range(f->rand, 0, 3));
		break;
	case 6:
		edit_definitions(f);
		break;
	case 7:
		call_vm_method(f, "Reload", NULL);
		break;
	case 8:
		call_vm_method(f, "GetVM", g_variant_new("(s)", name));
		break;
	case 9: {
		g_autofree char *path = test_vm_path(name);
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) blob = test_call(&f->d, path, GH_DBUS_VM_INTERFACE,
						     "GetDeviceTree", NULL, &error);

		account(f, "GetDeviceTree", blob, error);
		break;
	}
	case 10: {
		/* Let the simulated guests exit, crash and restart meanwhile. */
		gint64 until = g_get_monotonic_time() + g_rand_int_range(f->rand, 0, 80) * 1000;

		while (g_get_monotonic_time() < until)
			g_main_context_iteration(NULL, FALSE);
		break;
	}
	case 11:
		burst(f);
		break;
	default:
		check_consistent(f);
		break;
	}
	(void) op;
}

/* Whatever happened, every VM can be destroyed, and nothing is left live. */
static void destroy_everything(struct fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) list = test_manager_call(&f->d, "ListVMs", NULL, &error);
	g_autoptr(GVariantIter) iter = NULL;
	const char *name, *state, *path;
	guint32 vmid;

	g_assert_no_error(error);
	g_variant_get(list, "(a(ssuo))", &iter);
	while (g_variant_iter_next(iter, "(&s&su&o)", &name, &state, &vmid, &path)) {
		for (unsigned tries = 0;; tries++) {
			g_autoptr(GError) e = NULL;
			g_autoptr(GVariant) r = test_manager_call(&f->d, "DestroyVM",
								  g_variant_new("(s)", name), &e);
			g_autofree char *st = NULL, *remote = NULL;

			if (r)
				break;
			/* defined already, or busy for a moment: look again. */
			account(f, "DestroyVM", r, e);
			remote = g_dbus_error_get_remote_error(e);
			if (remote && strcmp(remote, GH_ERROR_NO_SUCH_VM) == 0)
				break;
			st = test_vm_state(&f->d, name);
			if (strcmp(st, "defined") == 0)
				break;
			g_assert_cmpuint(tries, <, 500);
			g_usleep(10000);
		}
	}
	check_consistent(f);
	/* Nothing live is left: every VM that remains is defined. */
	{
		g_autoptr(GError) e = NULL;
		g_autoptr(GVariant) after = test_manager_call(&f->d, "ListVMs", NULL, &e);
		g_autoptr(GVariantIter) it = NULL;

		g_assert_no_error(e);
		g_variant_get(after, "(a(ssuo))", &it);
		while (g_variant_iter_next(it, "(&s&su&o)", &name, &state, &vmid, &path))
			g_assert_cmpstr(state, ==, "defined");
	}
}

static void test_random(struct fixture *f, gconstpointer data)
{
	(void) data;
	for (unsigned i = 0; i < N_PERSISTENT; i++) {
		g_autofree char *name = vm_name(i);

		test_daemon_define(&f->d, name, persistent_extra[i]);
	}
	test_daemon_start(&f->d, NULL);
	for (unsigned op = 0; op < N_OPS; op++)
		random_op(f, op);
	destroy_everything(f);
	/* The mix must have done things and been refused things, or it proves little. */
	g_assert_cmpuint(f->successes, >, N_OPS / 4);
	g_assert_cmpuint(f->refusals, >, N_OPS / 20);
}

int main(int argc, char **argv)
{
	static guint32 seeds[] = { 0x67756e79, 0x61686421, 0x0badcafe };
	const char *one = g_getenv("TEST_RANDOM_SEED");	/* to replay or explore: any number */
	size_t n = G_N_ELEMENTS(seeds);

	g_test_init(&argc, &argv, NULL);
	if (one) {
		seeds[0] = (guint32) g_ascii_strtoull(one, NULL, 0);
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		g_autofree char *path = g_strdup_printf("/dbus/random/seed-%08x", seeds[i]);

		g_test_add(path, struct fixture, GUINT_TO_POINTER(seeds[i]), setup, test_random,
			   teardown);
	}
	return g_test_run();
}
