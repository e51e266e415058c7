/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl's side of D-Bus: the connection, calls to gunyahd, error
 * reporting with exit statuses, and an event loop for waiting on signals.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "ctl.h"

/* Connects to the bus chosen on the command line; reports failure (exit 3). */
int ctl_bus_connect(struct ctl *ctl);

/* The exit status that a D-Bus error name (or, without one, r) maps to. */
enum ctl_exit ctl_bus_exit_status(const char *name, int r);

/*
 * Reports the failure of a bus call: "gunyahctl: <error name>: <message>"
 * for a D-Bus error, else the errno's text, recording the exit status that
 * the error maps to. Returns r.
 */
int ctl_bus_fail(struct ctl *ctl, const sd_bus_error *error, int r);

/*
 * Method call timeout for sd_bus_call(): the --timeout (0 there: no limit),
 * else dflt (0: sd-bus's default of 25 s, UINT64_MAX: no limit).
 */
uint64_t ctl_bus_call_timeout(const struct ctl *ctl, uint64_t dflt);

/* CLOCK_MONOTONIC now (µs). */
uint64_t ctl_bus_now(void);

/* CLOCK_MONOTONIC now + --timeout, or UINT64_MAX without one (µs). */
uint64_t ctl_bus_deadline(const struct ctl *ctl);

/*
 * Calls a Manager1 method with arguments in sd_bus_message_append() form;
 * reports failure. timeout_usec as for sd_bus_call(); ret_reply may be NULL.
 */
int ctl_bus_call_manager(struct ctl *ctl, const char *method, uint64_t timeout_usec,
			 sd_bus_message **ret_reply, const char *types, ...);

/* The same, reporting nothing: a failure's D-Bus error goes to reterr. */
int ctl_bus_try_manager(struct ctl *ctl, const char *method, uint64_t timeout_usec,
			sd_bus_message **ret_reply, sd_bus_error *reterr, const char *types, ...);

/* GetVM: the VM's object path, freed by the caller; reports failure. */
int ctl_bus_vm_path(struct ctl *ctl, const char *name, char **ret_path);

/*
 * Dispatches bus messages until *done is set. Returns 0 then, -ETIMEDOUT
 * once deadline (CLOCK_MONOTONIC µs; UINT64_MAX: none) has passed, -EINTR
 * on SIGINT or SIGTERM, or the connection's error. Reports nothing.
 */
int ctl_bus_run_until(struct ctl *ctl, const bool *done, uint64_t deadline);
