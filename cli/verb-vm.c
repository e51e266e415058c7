/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * create, start, stop, destroy, reload: one Manager1 call each; stop then
 * waits for the VM to exit, watching VMStateChanged.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shared/cleanup.h"

#include "ctl-bus.h"
#include "ctl-problems.h"
#include "verbs.h"

struct stop_wait {
	const char *name;
	bool done;
	bool daemon_gone;
};

int verb_create(struct ctl *ctl, char **args)
{
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	return ctl_bus_call_manager(ctl, "CreateVM", 0, NULL, "s", args[0]);
}

int verb_start(struct ctl *ctl, char **args)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	/* StartVM replies once the VM runs: on hardware that takes RM round trips. */
	r = ctl_bus_try_manager(ctl, "StartVM", ctl_bus_call_timeout(ctl, UINT64_MAX), NULL,
				&error, "s", args[0]);
	if (r == -ETIMEDOUT && ctl->timeout_set)
		return ctl_fail(ctl, CTL_EXIT_TIMEOUT, r,
				"timed out waiting for VM '%s' to start; it is still starting",
				args[0]);
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return 0;
}

int verb_destroy(struct ctl *ctl, char **args)
{
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	return ctl_bus_call_manager(ctl, "DestroyVM", 0, NULL, "s", args[0]);
}

/*
 * Reload replies with the problems of every definition file it did not
 * apply: printed like validate's, and exit status 5 when there is any.
 */
int verb_reload(struct ctl *ctl, char **args)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct ctl_problems out;
	const char *file, *message;
	uint32_t line, column;
	int r;

	(void) args;
	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_bus_call_manager(ctl, "Reload", 0, &reply, "");
	if (r < 0)
		return r;
	ctl_problems_begin(&out, ctl->json);
	r = sd_bus_message_enter_container(reply, 'a', "(suus)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, "(suus)", &file, &line, &column, &message)) > 0)
		ctl_problems_add(&out, file, line, column, message);
	if (ctl_problems_end(&out) > 0 && r >= 0)
		return ctl_set_exit(ctl, CTL_EXIT_INVALID, -EINVAL);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad Reload reply: %s", strerror(-r));
	return 0;
}

/* Where a stop ends: a stop that destroys (no GH_VM_STOP) ends defined. */
static bool stop_state_is_final(const char *state)
{
	static const char *const final[] = { "exited", "crashed", "defined", "failed" };

	for (size_t i = 0; i < ELEMENTSOF(final); i++)
		if (strcmp(state, final[i]) == 0)
			return true;
	return false;
}

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct stop_wait *w = userdata;
	const char *name, *state, *reason;

	(void) ret_error;
	if (sd_bus_message_read(m, "sss", &name, &state, &reason) < 0)
		return 0;
	if (strcmp(name, w->name) == 0 && stop_state_is_final(state))
		w->done = true;
	return 0;
}

static int on_vm_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct stop_wait *w = userdata;
	const char *name, *path;

	(void) ret_error;
	if (sd_bus_message_read(m, "so", &name, &path) < 0)
		return 0;
	if (strcmp(name, w->name) == 0)
		w->done = true;
	return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct stop_wait *w = userdata;
	const char *name, *old_owner, *new_owner;

	(void) ret_error;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
		return 0;
	if (strcmp(name, CTL_SERVICE) == 0 && !*new_owner) {
		w->daemon_gone = true;
		w->done = true;
	}
	return 0;
}

/* Subscribed before StopVM, so that no transition can slip between the reply and the wait. */
static int stop_subscribe(struct ctl *ctl, struct stop_wait *w, sd_bus_slot **slots)
{
	int r;

	r = sd_bus_match_signal(ctl->bus, &slots[0], CTL_SERVICE, CTL_MANAGER_PATH,
				CTL_MANAGER_IFACE, "VMStateChanged", on_state_changed, w);
	if (r >= 0)
		r = sd_bus_match_signal(ctl->bus, &slots[1], CTL_SERVICE, CTL_MANAGER_PATH,
					CTL_MANAGER_IFACE, "VMRemoved", on_vm_removed, w);
	if (r >= 0)
		r = sd_bus_match_signal(ctl->bus, &slots[2], "org.freedesktop.DBus",
					"/org/freedesktop/DBus", "org.freedesktop.DBus",
					"NameOwnerChanged", on_name_owner_changed, w);
	if (r < 0)
		return ctl_bus_fail(ctl, NULL, r);
	return 0;
}

static void stop_unsubscribe(sd_bus_slot **slots)
{
	for (size_t i = 0; i < 3; i++)
		slots[i] = sd_bus_slot_unref(slots[i]);
}

static int stop_wait(struct ctl *ctl, struct stop_wait *w, uint64_t deadline)
{
	int r;

	r = ctl_bus_run_until(ctl, &w->done, deadline);
	if (r == -ETIMEDOUT)
		return ctl_fail(ctl, CTL_EXIT_TIMEOUT, r,
				"timed out waiting for VM '%s' to stop; it is still stopping",
				w->name);
	if (r == -EINTR)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r,
				"interrupted while waiting for VM '%s' to stop", w->name);
	if (r < 0)
		return ctl_bus_fail(ctl, NULL, r);
	if (w->daemon_gone)
		return ctl_fail(ctl, CTL_EXIT_UNREACHABLE, -ECONNRESET,
				"gunyahd went away while VM '%s' was stopping", w->name);
	return 0;
}

int verb_stop(struct ctl *ctl, char **args)
{
	struct stop_wait w = { .name = args[0] };
	sd_bus_slot *slots[3] = {};
	uint64_t deadline = ctl_bus_deadline(ctl);
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	if (!ctl->no_wait)
		r = stop_subscribe(ctl, &w, slots);
	if (r >= 0)
		r = ctl_bus_call_manager(ctl, "StopVM", 0, NULL, "sb", w.name, (int) ctl->force);
	if (r >= 0 && !ctl->no_wait)
		r = stop_wait(ctl, &w, deadline);
	stop_unsubscribe(slots);
	return r;
}
