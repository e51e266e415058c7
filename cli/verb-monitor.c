/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor: one line per VMNew, VMRemoved and VMStateChanged, as they
 * arrive, until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "verbs.h"

#define MONITOR_SIGNALS 3

static void monitor_print(const char *name, const char *what, const char *detail)
{
	char when[CTL_FORMAT_TIME_MAX];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ctl_format_time_ms((uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u,
			   when, sizeof(when));
	if (detail && *detail)
		printf("%s %s: %s (%s)\n", when, name, what, detail);
	else
		printf("%s %s: %s\n", when, name, what);
	/* One line per event, also into a pipe. */
	fflush(stdout);
}

static int on_vm_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *name, *path;

	(void) userdata, (void) ret_error;
	if (sd_bus_message_read(m, "so", &name, &path) >= 0)
		monitor_print(name, "new", path);
	return 0;
}

static int on_vm_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *name, *path;

	(void) userdata, (void) ret_error;
	if (sd_bus_message_read(m, "so", &name, &path) >= 0)
		monitor_print(name, "removed", path);
	return 0;
}

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *name, *state, *reason;

	(void) userdata, (void) ret_error;
	if (sd_bus_message_read(m, "sss", &name, &state, &reason) >= 0)
		monitor_print(name, state, reason);
	return 0;
}

static int monitor_subscribe(sd_bus *bus, sd_bus_slot **slots)
{
	static const struct {
		const char *member;
		sd_bus_message_handler_t handler;
	} signals[MONITOR_SIGNALS] = {
		{ "VMNew", on_vm_new },
		{ "VMRemoved", on_vm_removed },
		{ "VMStateChanged", on_state_changed },
	};
	int r;

	for (size_t i = 0; i < MONITOR_SIGNALS; i++) {
		r = sd_bus_match_signal(bus, &slots[i], CTL_SERVICE, CTL_MANAGER_PATH,
					CTL_MANAGER_IFACE, signals[i].member,
					signals[i].handler, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static int monitor_run(struct ctl *ctl)
{
	bool never = false;
	int r;

	/* On stderr, so that stdout carries the events alone; tests wait for it. */
	fprintf(stderr, "Monitoring VM events of %s; press Ctrl-C to stop.\n", CTL_SERVICE);
	r = ctl_bus_run_until(ctl, &never, UINT64_MAX);
	if (r == -EINTR)
		return 0;
	return ctl_bus_fail(ctl, NULL, r);
}

int verb_monitor(struct ctl *ctl, char **args)
{
	sd_bus_slot *slots[MONITOR_SIGNALS] = {};
	int r;

	(void) args;
	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = monitor_subscribe(ctl->bus, slots);
	if (r < 0)
		r = ctl_bus_fail(ctl, NULL, r);
	else
		r = monitor_run(ctl);
	for (size_t i = 0; i < MONITOR_SIGNALS; i++)
		sd_bus_slot_unref(slots[i]);
	return r;
}
