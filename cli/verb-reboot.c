/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reboot NAME: StopVM (graceful unless --force), wait until the VM has
 * stopped, then StartVM. A VM that does not run is just started. gunyahd
 * has no reboot call of its own; a guest that reboots itself is restarted
 * by the definition's restart policy instead.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-wait.h"
#include "verbs.h"

static int reboot_start(struct ctl *ctl, const char *name, uint64_t deadline)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t timeout = UINT64_MAX, now = ctl_bus_now();
	int r;

	if (deadline != UINT64_MAX)
		timeout = deadline > now ? deadline - now : 1;
	r = ctl_bus_try_manager(ctl, "StartVM", timeout, NULL, &error, "s", name);
	if (r == -ETIMEDOUT && deadline != UINT64_MAX)
		return ctl_fail(ctl, CTL_EXIT_TIMEOUT, r,
				"timed out waiting for VM '%s' to start; it is still starting",
				name);
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return 0;
}

int verb_reboot(struct ctl *ctl, char **args)
{
	struct ctl_wait w = { .name = args[0], .states = ctl_stopped_states };
	uint64_t deadline = ctl_bus_deadline(ctl);
	_cleanup_free_ char *state = NULL;
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_wait_subscribe(ctl, &w);
	if (r >= 0)
		r = ctl_vm_state(ctl, w.name, &state);
	if (r >= 0 && (strcmp(state, "running") == 0 || strcmp(state, "stopping") == 0))
		r = ctl_stop_vm(ctl, &w, true, deadline);
	if (r >= 0 && w.removed)
		r = ctl_fail(ctl, CTL_EXIT_NO_VM, -ENOENT, "VM '%s' was removed while stopping",
			     w.name);
	ctl_wait_done(&w);
	if (r >= 0)
		r = reboot_start(ctl, w.name, deadline);
	return r;
}
