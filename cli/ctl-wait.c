/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-wait.h"

const char *const ctl_vm_states[] = {
	"defined", "created", "starting", "running", "stopping", "exited", "crashed", "failed",
	NULL,
};

const char *const ctl_stopped_states[] = { "exited", "crashed", "defined", "failed", NULL };

static bool state_in(const char *state, const char *const *states)
{
	for (; *states; states++)
		if (strcmp(state, *states) == 0)
			return true;
	return false;
}

bool ctl_vm_state_is_known(const char *state)
{
	return state_in(state, ctl_vm_states);
}

void ctl_wait_saw(struct ctl_wait *w, const char *state)
{
	snprintf(w->state, sizeof(w->state), "%s", state);
	if (state_in(state, w->states))
		w->done = true;
}

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ctl_wait *w = userdata;
	const char *name, *state, *reason;

	(void) ret_error;
	if (sd_bus_message_read(m, "sss", &name, &state, &reason) < 0)
		return 0;
	/* Every state passed counts, even when gone again before the wait began. */
	if (strcmp(name, w->name) == 0 && !w->done)
		ctl_wait_saw(w, state);
	return 0;
}

static int on_vm_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ctl_wait *w = userdata;
	const char *name, *path;

	(void) ret_error;
	if (sd_bus_message_read(m, "so", &name, &path) < 0)
		return 0;
	if (strcmp(name, w->name) == 0 && !w->done) {
		w->removed = true;
		w->done = true;
	}
	return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ctl_wait *w = userdata;
	const char *name, *old_owner, *new_owner;

	(void) ret_error;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
		return 0;
	if (strcmp(name, CTL_SERVICE) == 0 && !*new_owner && !w->done) {
		w->daemon_gone = true;
		w->done = true;
	}
	return 0;
}

int ctl_wait_subscribe(struct ctl *ctl, struct ctl_wait *w)
{
	int r;

	r = sd_bus_match_signal(ctl->bus, &w->slots[0], CTL_SERVICE, CTL_MANAGER_PATH,
				CTL_MANAGER_IFACE, "VMStateChanged", on_state_changed, w);
	if (r >= 0)
		r = sd_bus_match_signal(ctl->bus, &w->slots[1], CTL_SERVICE, CTL_MANAGER_PATH,
					CTL_MANAGER_IFACE, "VMRemoved", on_vm_removed, w);
	if (r >= 0)
		r = sd_bus_match_signal(ctl->bus, &w->slots[2], "org.freedesktop.DBus",
					"/org/freedesktop/DBus", "org.freedesktop.DBus",
					"NameOwnerChanged", on_name_owner_changed, w);
	if (r < 0)
		return ctl_bus_fail(ctl, NULL, r);
	return 0;
}

int ctl_vm_state(struct ctl *ctl, const char *name, char **ret_state)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	r = ctl_bus_vm_path(ctl, name, &path);
	if (r < 0)
		return r;
	r = sd_bus_get_property_string(ctl->bus, CTL_SERVICE, path, CTL_VM_IFACE, "State",
				       &error, ret_state);
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return 0;
}

int ctl_wait_run(struct ctl *ctl, struct ctl_wait *w, uint64_t deadline)
{
	return ctl_bus_run_until(ctl, &w->done, deadline);
}

void ctl_wait_done(struct ctl_wait *w)
{
	for (size_t i = 0; i < ELEMENTSOF(w->slots); i++)
		w->slots[i] = sd_bus_slot_unref(w->slots[i]);
}

int ctl_stop_vm(struct ctl *ctl, struct ctl_wait *w, bool wait, uint64_t deadline)
{
	int r;

	r = ctl_bus_call_manager(ctl, "StopVM", 0, NULL, "sb", w->name, (int) ctl->force);
	if (r < 0 || !wait)
		return r;
	r = ctl_wait_run(ctl, w, deadline);
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
