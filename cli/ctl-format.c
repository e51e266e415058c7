/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl-format.h"
#include "util/time-util.h"
/* --timeout's ceiling: far beyond any wait, far below overflow. */
#define SECONDS_MAX 4294967295u

char *ctl_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	uint64_t unit = 1;
	int i = -1;

	while (i + 1 < (int) sizeof(units) - 1 && bytes / 1024 >= unit) {
		unit *= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else if (bytes % unit == 0)
		snprintf(buf, len, "%" PRIu64 "%c", bytes / unit, units[i]);
	else
		/* rem < 2^60 at most, so rem * 10 fits. */
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", bytes / unit,
			 bytes % unit * 10 / unit, units[i]);
	return buf;
}

static int ctl_local_time(uint64_t usec, struct tm *tm)
{
	time_t t = (time_t) (usec / USEC_PER_SEC);

	return localtime_r(&t, tm) ? 0 : -EOVERFLOW;
}

char *ctl_format_timestamp(uint64_t usec, char *buf, size_t len)
{
	struct tm tm;

	if (usec == 0)
		snprintf(buf, len, "never");
	else if (ctl_local_time(usec, &tm) < 0 ||
		 strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "@%" PRIu64 "us", usec);
	return buf;
}

char *ctl_format_time_ms(uint64_t usec, char *buf, size_t len)
{
	char date[CTL_FORMAT_TIME_MAX];
	struct tm tm;

	if (ctl_local_time(usec, &tm) < 0 ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "@%" PRIu64 "us", usec);
	else
		snprintf(buf, len, "%s.%03u", date, (unsigned int) (usec % USEC_PER_SEC / USEC_PER_MSEC));
	return buf;
}

static int ctl_parse_digits(const char **s, uint64_t *ret, unsigned int *ret_ndigits)
{
	uint64_t v = 0;
	unsigned int n = 0;

	for (; **s >= '0' && **s <= '9'; (*s)++, n++) {
		if (v > SECONDS_MAX)
			return -ERANGE;
		v = v * 10 + (uint64_t) (**s - '0');
	}
	*ret = v;
	*ret_ndigits = n;
	return 0;
}

int ctl_parse_seconds(const char *s, uint64_t *ret_usec)
{
	uint64_t sec, frac = 0;
	unsigned int n, nfrac = 0;
	int r;

	r = ctl_parse_digits(&s, &sec, &n);
	if (r < 0)
		return r;
	if (*s == '.') {
		s++;
		r = ctl_parse_digits(&s, &frac, &nfrac);
		if (r < 0 || nfrac == 0 || nfrac > 6)
			return -EINVAL;
	}
	if (n == 0 || *s)
		return -EINVAL;
	if (sec > SECONDS_MAX)
		return -ERANGE;
	for (; nfrac < 6; nfrac++)
		frac *= 10;
	*ret_usec = sec * USEC_PER_SEC + frac;
	return 0;
}
