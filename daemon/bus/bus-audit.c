/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who asked for what, and how it ended. The caller's uid and pid are the
 * ones the authorisation check got (bus-caller.c, no second query); a
 * caller that is already gone is logged by its bus name alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-audit.h"
#include "bus-caller.h"
#include "util/cleanup.h"
#include "util/log.h"

static void bus_caller(sd_bus_message *msg, char *buf, size_t size)
{
	const char *sender = sd_bus_message_get_sender(msg);
	struct bus_caller c;

	if (bus_caller_get(msg, &c) >= 0)
		snprintf(buf, size, "uid %u pid %d (%s)", (unsigned) c.uid, (int) c.pid,
			 sender ? sender : "direct");
	else
		snprintf(buf, size, "%s", sender ? sender : "a direct connection");
}

void bus_audit(sd_bus_message *msg, const char *vm_name, int r, const sd_bus_error *error)
{
	const char *member = sd_bus_message_get_member(msg);
	char caller[96], subject[96] = "";

	if (vm_name)
		snprintf(subject, sizeof(subject), "VM '%s': ", vm_name);
	bus_caller(msg, caller, sizeof(caller));
	if (r >= 0)
		log_info("%s%s by %s: done", subject, member, caller);
	else if (sd_bus_error_is_set(error))
		log_warning("%s%s by %s failed: %s: %s", subject, member, caller, error->name,
			    error->message ? error->message : "");
	else
		log_warning("%s%s by %s failed: %s", subject, member, caller, strerror(-r));
}

int bus_audit_refusal(sd_bus_message *msg, const char *vm_name, int r,
		      const sd_bus_error *error)
{
	if (r < 0)
		bus_audit(msg, vm_name, r, error);
	return r;
}
