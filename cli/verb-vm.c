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

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-problems.h"
#include "ctl-wait.h"
#include "verbs.h"

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

int verb_stop(struct ctl *ctl, char **args)
{
	struct ctl_wait w = { .name = args[0], .states = ctl_stopped_states };
	uint64_t deadline = ctl_bus_deadline(ctl);
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	/* Subscribed first, so that no transition slips between the reply and the wait. */
	if (!ctl->no_wait)
		r = ctl_wait_subscribe(ctl, &w);
	if (r >= 0)
		r = ctl_stop_vm(ctl, &w, !ctl->no_wait, deadline);
	ctl_wait_done(&w);
	return r;
}
