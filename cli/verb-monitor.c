/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor [NAME...]: one line per VMNew, VMRemoved and VMStateChanged (of
 * the VMs named, or of all), as they arrive, until SIGINT or SIGTERM; with
 * --json, one JSON object per line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-json.h"
#include "util/time-util.h"
#include "verbs.h"

#define MONITOR_SIGNALS 3

struct monitor {
	char **names;			/* NULL-terminated; empty: every VM */
	bool json;
};

struct monitor_event {
	const char *name;
	const char *event;		/* "new", "removed", "state" */
	const char *path;		/* new, removed */
	const char *state;		/* state */
	const char *reason;		/* state */
};

static bool monitor_wants(const struct monitor *m, const char *name)
{
	if (!m->names[0])
		return true;
	for (char **n = m->names; *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

static uint64_t monitor_now(void)
{
	return now_usec(CLOCK_REALTIME);
}

static void monitor_print_json(const struct monitor_event *e, uint64_t now)
{
	struct ctl_json j;

	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j, NULL);
	ctl_json_u64(&j, "time_usec", now);
	ctl_json_string(&j, "event", e->event);
	ctl_json_string(&j, "name", e->name);
	if (e->path)
		ctl_json_string(&j, "path", e->path);
	if (e->state) {
		ctl_json_string(&j, "state", e->state);
		ctl_json_string(&j, "reason", e->reason);
	}
	ctl_json_end_object(&j);
	fputc('\n', stdout);
}

static void monitor_print_text(const struct monitor_event *e, uint64_t now)
{
	char when[CTL_FORMAT_TIME_MAX];
	const char *what = e->state ? e->state : e->event;
	const char *detail = e->state ? e->reason : e->path;

	ctl_format_time_ms(now, when, sizeof(when));
	if (*detail)
		printf("%s %s: %s (%s)\n", when, e->name, what, detail);
	else
		printf("%s %s: %s\n", when, e->name, what);
}

static void monitor_print(const struct monitor *m, const struct monitor_event *e)
{
	if (!monitor_wants(m, e->name))
		return;
	if (m->json)
		monitor_print_json(e, monitor_now());
	else
		monitor_print_text(e, monitor_now());
	/* One line per event, also into a pipe. */
	fflush(stdout);
}

static int on_vm_new(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
	struct monitor_event e = { .event = "new" };

	(void) ret_error;
	if (sd_bus_message_read(msg, "so", &e.name, &e.path) >= 0)
		monitor_print(userdata, &e);
	return 0;
}

static int on_vm_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
	struct monitor_event e = { .event = "removed" };

	(void) ret_error;
	if (sd_bus_message_read(msg, "so", &e.name, &e.path) >= 0)
		monitor_print(userdata, &e);
	return 0;
}

static int on_state_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
	struct monitor_event e = { .event = "state" };

	(void) ret_error;
	if (sd_bus_message_read(msg, "sss", &e.name, &e.state, &e.reason) >= 0)
		monitor_print(userdata, &e);
	return 0;
}

static int monitor_subscribe(sd_bus *bus, struct monitor *m, sd_bus_slot **slots)
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
					signals[i].handler, m);
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
	struct monitor m = { .names = args, .json = ctl->json };
	sd_bus_slot *slots[MONITOR_SIGNALS] = {};
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = monitor_subscribe(ctl->bus, &m, slots);
	if (r < 0)
		r = ctl_bus_fail(ctl, NULL, r);
	else
		r = monitor_run(ctl);
	for (size_t i = 0; i < MONITOR_SIGNALS; i++)
		sd_bus_slot_unref(slots[i]);
	return r;
}
