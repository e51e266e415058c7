/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A private dbus-daemon and the real gunyahd binary on it, per test: the
 * spawner of tests/common/daemon-spawn.h, asserting, with a GDBus client.
 *
 * Environment (set by meson): GUNYAHD_BINARY, TEST_BUS_CONF. Optional:
 * GUNYAHD_TEST_WRAPPER, e.g. "valgrind --error-exitcode=99 --leak-check=full",
 * prepended to the daemon's command line; the daemon must then still exit 0.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "daemon-spawn.h"

struct test_daemon {
	char *tmpdir;		/* removed at the end */
	char *defs;		/* tmpdir/vms.d: the definitions directory */
	char *kernel;		/* a small kernel image file */
	char *log_path;		/* the daemon's stderr */
	char *notify_path;
	int notify_fd;
	GString *notify;	/* every sd_notify message received */
	GPid bus_pid;
	char *bus_address;
	GPid pid;		/* gunyahd (or its wrapper) */
	GDBusConnection *conn;
	GPtrArray *state_signals;	/* "name state reason" of VMStateChanged, in order */
	GPtrArray *env;		/* extra "KEY=value" for the daemon, set before start */
	bool no_definitions_arg;	/* no --definitions: the configuration names the directory */
	guint state_sub;
	struct daemon_spawn spawn;	/* what the fields above mirror */
};

void test_daemon_init(struct test_daemon *d);
/* Writes vms.d/<name>.yaml: a minimal VM plus extra YAML lines. */
void test_daemon_define(struct test_daemon *d, const char *name, const char *extra);
/* Starts the bus and gunyahd with these extra arguments; waits for READY=1. */
void test_daemon_start(struct test_daemon *d, const char *const *args);
/* Reads sd_notify messages for up to timeout_ms; returns once text was received. */
bool test_daemon_wait_notify(struct test_daemon *d, const char *text, int timeout_ms);
/* SIGTERM, wait; returns the wait status. */
int test_daemon_stop(struct test_daemon *d);
/* Stops a running daemon, asserting it exits 0 (clean shutdown, valgrind-clean), then fini. */
void test_daemon_finish(struct test_daemon *d);
void test_daemon_fini(struct test_daemon *d);

char *test_daemon_log(struct test_daemon *d);
int test_daemon_count_fds(struct test_daemon *d);

GVariant *test_call(struct test_daemon *d, const char *path, const char *iface,
		    const char *method, GVariant *params, GError **error);
GVariant *test_manager_call(struct test_daemon *d, const char *method, GVariant *params,
			    GError **error);
GVariant *test_get_property(struct test_daemon *d, const char *path, const char *iface,
			    const char *name);
char *test_vm_state(struct test_daemon *d, const char *name);
void test_assert_state(struct test_daemon *d, const char *name, const char *state);
/* Calls a Manager1 method and asserts it succeeded. */
void test_manager_call_ok(struct test_daemon *d, const char *method, GVariant *params);
char *test_vm_path(const char *name);
/* Iterates the main context until the VM reports state (signal-driven), 10 s max. */
void test_wait_state(struct test_daemon *d, const char *name, const char *state);
/* Reads the VM's State until it is state, 10 s max (for changes made before subscribing). */
void test_poll_state(struct test_daemon *d, const char *name, const char *state);
/* Asserts that error is a D-Bus error with this name and a message containing fragment. */
void test_assert_dbus_error(GError *error, const char *name, const char *fragment);
