/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl's formatting and parsing helpers (cli/ctl-format.c).
 */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "ctl-format.h"

static void test_size(void)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0B" },
		{ 1023, "1023B" },
		{ 1024, "1K" },
		{ 1536, "1.5K" },
		{ 4096, "4K" },
		{ 65536, "64K" },
		{ 16ull << 20, "16M" },
		{ (16ull << 20) + 4096, "16.0M" },
		{ 256ull << 20, "256M" },
		{ 3ull << 29, "1.5G" },
		{ 1ull << 30, "1G" },
		{ (2ull << 40) - 1, "1.9T" },
		{ 1ull << 60, "1E" },
		{ UINT64_MAX, "15.9E" },
	};
	char buf[CTL_FORMAT_SIZE_MAX];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpstr(ctl_format_size(cases[i].bytes, buf, sizeof(buf)), ==,
				cases[i].text);
	/* Truncated, never overflowing. */
	g_assert_cmpstr(ctl_format_size(1536, buf, 3), ==, "1.");
}

static void test_timestamp(void)
{
	char buf[CTL_FORMAT_TIME_MAX];

	g_assert_cmpstr(ctl_format_timestamp(0, buf, sizeof(buf)), ==, "never");
	g_assert_cmpstr(ctl_format_timestamp(1795039223123456ull, buf, sizeof(buf)), ==,
			"Wed 2026-11-18 22:00:23 UTC");
	g_assert_cmpstr(ctl_format_time_ms(1795039223123456ull, buf, sizeof(buf)), ==,
			"2026-11-18 22:00:23.123");
	g_assert_cmpstr(ctl_format_time_ms(1795039223000999ull, buf, sizeof(buf)), ==,
			"2026-11-18 22:00:23.000");
}

static void test_seconds(void)
{
	static const struct {
		const char *text;
		int r;
		uint64_t usec;
	} cases[] = {
		{ "0", 0, 0 },
		{ "30", 0, 30000000 },
		{ "2.5", 0, 2500000 },
		{ "0.000001", 0, 1 },
		{ "4294967295", 0, 4294967295ull * 1000000 },
		{ "4294967296", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ ".5", -EINVAL, 0 },
		{ "5.", -EINVAL, 0 },
		{ "1.0000001", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "1s", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint64_t usec = 42;

		g_test_message("'%s'", cases[i].text);
		g_assert_cmpint(ctl_parse_seconds(cases[i].text, &usec), ==, cases[i].r);
		g_assert_cmpuint(usec, ==, cases[i].r == 0 ? cases[i].usec : 42);
	}
}

int main(int argc, char **argv)
{
	/* Timestamps are local time: make that UTC. */
	setenv("TZ", "UTC", 1);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl-format/size", test_size);
	g_test_add_func("/ctl-format/timestamp", test_timestamp);
	g_test_add_func("/ctl-format/seconds", test_seconds);
	return g_test_run();
}
