/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clock readings in µs, the unit of every timestamp gunyahd publishes. */
#pragma once

#include <stdint.h>
#include <time.h>

#define USEC_PER_SEC	UINT64_C(1000000)
#define NSEC_PER_USEC	UINT64_C(1000)

static inline uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}
