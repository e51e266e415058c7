/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit trail of state-changing calls: each outcome logged once, with
 * the caller, at info when it succeeded and at warning when it failed.
 */
#pragma once

#include <systemd/sd-bus.h>

/*
 * Logs "VM 'NAME': MEMBER by uid U pid P (SENDER): done" or "... failed:
 * ERROR: MESSAGE" (the cause from error, else from r). vm_name may be NULL.
 */
void bus_audit(sd_bus_message *msg, const char *vm_name, int r, const sd_bus_error *error);
/* A handler's refusal: audited when r < 0; returns r. */
int bus_audit_refusal(sd_bus_message *msg, const char *vm_name, int r,
		      const sd_bus_error *error);
