/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * µs, the unit of every timestamp and timeout gunyahd publishes, and the
 * conversions to what libevent (timeval) and timerfd (timespec) take.
 */
#pragma once

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#define USEC_PER_SEC	UINT64_C(1000000)
#define USEC_PER_MSEC	UINT64_C(1000)
#define NSEC_PER_USEC	UINT64_C(1000)

static inline uint64_t usec_from_timespec(const struct timespec *ts)
{
	return (uint64_t) ts->tv_sec * USEC_PER_SEC + (uint64_t) ts->tv_nsec / NSEC_PER_USEC;
}

static inline uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return usec_from_timespec(&ts);
}

static inline struct timeval timeval_from_usec(uint64_t usec)
{
	return (struct timeval) {
		.tv_sec = (time_t) (usec / USEC_PER_SEC),
		.tv_usec = (suseconds_t) (usec % USEC_PER_SEC),
	};
}

static inline struct timespec timespec_from_usec(uint64_t usec)
{
	return (struct timespec) {
		.tv_sec = (time_t) (usec / USEC_PER_SEC),
		.tv_nsec = (long) (usec % USEC_PER_SEC * NSEC_PER_USEC),
	};
}

/* For messages: µs as seconds. */
static inline double sec_from_usec(uint64_t usec)
{
	return (double) usec / (double) USEC_PER_SEC;
}
