/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Clock readings and order statistics shared by the benchmarks. Header
 * only: the static guest builds (bench-big-guest) compile one file.
 */
#pragma once

#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in ms. */
static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* qsort() order of doubles. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Sorts v; the middle value (the mean of the two middle ones for even n). */
static inline double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
