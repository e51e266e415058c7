/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl: state shared by the commands, exit statuses, error reporting.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "gunyah/dbus-names.h"

#define CTL_SERVICE		GH_DBUS_SERVICE
#define CTL_MANAGER_PATH	GH_DBUS_MANAGER_PATH
#define CTL_MANAGER_IFACE	GH_DBUS_MANAGER_INTERFACE
#define CTL_VM_IFACE		GH_DBUS_VM_INTERFACE

/* Exit statuses; gunyahctl(1) and --help document them. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,		/* the daemon refused or the operation failed */
	CTL_EXIT_USAGE = 2,		/* bad command line (or binary output to a terminal) */
	CTL_EXIT_UNREACHABLE = 3,	/* no bus, or nobody owns org.gunyah.Manager1 */
	CTL_EXIT_NO_VM = 4,		/* no VM of that name */
	CTL_EXIT_INVALID = 5,		/* the definition is invalid */
	CTL_EXIT_TIMEOUT = 6,		/* gave up waiting (--timeout, or no reply) */
};

struct ctl {
	sd_bus *bus;			/* connected by ctl_bus_connect() */
	bool user_bus;
	const char *address;
	bool force;
	bool no_wait;
	bool timeout_set;
	uint64_t timeout_usec;		/* 0: no limit */
	bool json;			/* --json: machine-readable output */
	bool transient;			/* --transient: validate for CreateTransientVM */
	bool no_legend;			/* --no-legend: no headers or footers */
	bool follow;			/* logs -f: keep printing what follows */
	bool lines_set;
	uint64_t lines;			/* logs -n: the last LINES lines */
	int exit_status;		/* set by the first reported failure */
};

/*
 * Prints "gunyahctl: <message>" on stderr and records status as the exit
 * status unless one was recorded before. Returns r (a negative errno).
 */
int ctl_fail(struct ctl *ctl, enum ctl_exit status, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records status as the exit status, printing nothing. Returns r. */
int ctl_set_exit(struct ctl *ctl, enum ctl_exit status, int r);
