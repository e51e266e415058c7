/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filling an sd_bus_error while returning a chosen errno: sd-bus maps
 * custom error names to EIO, but callers want to know what happened.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <systemd/sd-bus.h>

/* Sets *error (when non-NULL) to name and the formatted message; returns r. */
static inline __attribute__((format(printf, 4, 5)))
int bus_error_setf(sd_bus_error *error, int r, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (error) {
		va_start(ap, fmt);
		(void) sd_bus_error_setfv(error, name, fmt, ap);
		va_end(ap);
	}
	return r;
}

static inline int bus_error_oom(sd_bus_error *error)
{
	if (error)
		(void) sd_bus_error_set_errno(error, -ENOMEM);
	return -ENOMEM;
}
