/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wait NAME STATE: returns once the VM is in STATE, or has passed through
 * it since the command began, watching VMStateChanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-wait.h"
#include "verbs.h"

static int wait_usage(struct ctl *ctl, const char *state)
{
	char known[128] = "";

	for (const char *const *s = ctl_vm_states; *s; s++) {
		if (*known)
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		strncat(known, *s, sizeof(known) - strlen(known) - 1);
	}
	return ctl_fail(ctl, CTL_EXIT_USAGE, -EINVAL,
			"unknown state '%s'; a VM is one of: %s", state, known);
}

static int wait_result(struct ctl *ctl, struct ctl_wait *w, const char *target, int r)
{
	if (r == -ETIMEDOUT)
		return ctl_fail(ctl, CTL_EXIT_TIMEOUT, r,
				"timed out waiting for VM '%s' to be %s; it is %s", w->name,
				target, w->state);
	if (r == -EINTR)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r,
				"interrupted while waiting for VM '%s' to be %s", w->name, target);
	if (r < 0)
		return ctl_bus_fail(ctl, NULL, r);
	if (w->removed)
		return ctl_fail(ctl, CTL_EXIT_NO_VM, -ENOENT,
				"VM '%s' was removed while waiting for it to be %s", w->name,
				target);
	if (w->daemon_gone)
		return ctl_fail(ctl, CTL_EXIT_UNREACHABLE, -ECONNRESET,
				"gunyahd went away while waiting for VM '%s' to be %s", w->name,
				target);
	return 0;
}

int verb_wait(struct ctl *ctl, char **args)
{
	const char *const target[] = { args[1], NULL };
	struct ctl_wait w = { .name = args[0], .states = target };
	uint64_t deadline = ctl_bus_deadline(ctl);
	_cleanup_free_ char *state = NULL;
	int r;

	if (!ctl_vm_state_is_known(args[1]))
		return wait_usage(ctl, args[1]);
	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_wait_subscribe(ctl, &w);
	if (r >= 0)
		r = ctl_vm_state(ctl, w.name, &state);
	if (r >= 0) {
		ctl_wait_saw(&w, state);
		r = wait_result(ctl, &w, args[1], ctl_wait_run(ctl, &w, deadline));
	}
	ctl_wait_done(&w);
	return r;
}
