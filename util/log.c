/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static int max_level = LOG_INFO;
static log_sink_fn sink;

void log_set_sink(log_sink_fn fn)
{
	sink = fn;
}

void log_set_max_level(int prio)
{
	max_level = prio;
}

int log_get_max_level(void)
{
	return max_level;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};

	for (int i = 0; i < (int) (sizeof(names) / sizeof(names[0])); i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

static __attribute__((format(printf, 3, 0))) void log_emit(int prio, int r, const char *fmt,
							     va_list ap)
{
	char buf[2048];
	int saved = errno;

	/* %m means the error we were handed, not whatever errno is now. */
	errno = r < 0 ? -r : r;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!sink || sink(prio, buf) < 0)
		fprintf(stderr, "<%d>%s\n", prio, buf);
	errno = saved;
}

int log_errno(int prio, int r, const char *fmt, ...)
{
	va_list ap;

	if (prio > max_level)
		return r;
	va_start(ap, fmt);
	log_emit(prio, r, fmt, ap);
	va_end(ap);
	return r;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	log_emit(prio, 0, fmt, ap);
	va_end(ap);
}
