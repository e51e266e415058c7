/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Human-readable sizes and times for gunyahctl's output. Each function
 * writes into buf (always NUL-terminated) and returns it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CTL_FORMAT_SIZE_MAX 32
#define CTL_FORMAT_TIME_MAX 64

/*
 * Bytes in powers of 1024, in the form VM definitions accept when exact
 * ("256M", "64K", "4000B"), else with one decimal, rounded down ("1.5G").
 */
char *ctl_format_size(uint64_t bytes, char *buf, size_t len);

/* µs since the epoch as local time, "Tue 2026-11-24 22:00:23 UTC"; 0: "never". */
char *ctl_format_timestamp(uint64_t usec, char *buf, size_t len);

/* µs since the epoch as local time with milliseconds, "2026-11-24 22:00:23.123". */
char *ctl_format_time_ms(uint64_t usec, char *buf, size_t len);

/* Parses seconds for --timeout: "10", "2.5", "0.001" (µs resolution). */
int ctl_parse_seconds(const char *s, uint64_t *ret_usec);
