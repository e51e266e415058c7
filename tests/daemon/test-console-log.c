/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The console log file (daemon/core/console-log.c): appended to, rotated
 * to NAME.log.1 at its cap, a failure kept out of the caller's way.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "console-log.h"

static char *read_file(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

static void write_n(struct console_log *l, char c, size_t n)
{
	char buf[256];

	g_assert_cmpuint(n, <=, sizeof(buf));
	memset(buf, c, n);
	console_log_write(l, buf, n);
}

static void assert_file(const char *dir, const char *name, const char *expect)
{
	g_autofree char *text = read_file(dir, name);

	g_assert_cmpstr(text, ==, expect);
}

static char *repeat(char c, size_t n)
{
	char *s = g_malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_rotation(void)
{
	g_autofree char *dir = g_dir_make_tmp("console-log-XXXXXX", NULL);
	g_autofree char *a100 = repeat('A', 100), *b100 = repeat('B', 100), *c50 = repeat('C', 50);
	g_autofree char *c50d50 = g_strconcat(c50, "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
					      NULL);
	struct console_log *l = NULL;

	g_assert_nonnull(dir);
	g_assert_cmpint(console_log_open(dir, "vm", 100, &l), ==, 0);
	write_n(l, 'A', 100);
	assert_file(dir, "vm.log", a100);
	/* The cap reached: the next byte starts a new file, the old one is .1. */
	write_n(l, 'B', 100);
	write_n(l, 'C', 50);
	assert_file(dir, "vm.log.1", b100);
	assert_file(dir, "vm.log", c50);
	g_assert_cmpuint(console_log_dropped(l), ==, 0);
	l = console_log_free(l);

	/* Opened again (a new instance): appended, and one write split at the cap. */
	g_assert_cmpint(console_log_open(dir, "vm", 100, &l), ==, 0);
	write_n(l, 'D', 60);
	assert_file(dir, "vm.log.1", c50d50);
	assert_file(dir, "vm.log", "DDDDDDDDDD");
	l = console_log_free(l);

	{
		g_autofree char *log = g_build_filename(dir, "vm.log", NULL);
		g_autofree char *old = g_build_filename(dir, "vm.log.1", NULL);

		g_assert_cmpint(g_unlink(log), ==, 0);
		g_assert_cmpint(g_unlink(old), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* No directory, no cap, a symlink in the log's place: refused. */
static void test_failures(void)
{
	g_autofree char *dir = g_dir_make_tmp("console-log-XXXXXX", NULL);
	g_autofree char *missing = g_build_filename(dir, "nope", NULL);
	g_autofree char *log = g_build_filename(dir, "vm.log", NULL);
	struct console_log *l = NULL;

	g_assert_cmpint(console_log_open(missing, "vm", 100, &l), ==, -ENOENT);
	g_assert_null(l);
	g_assert_cmpint(console_log_open(dir, "vm", 0, &l), ==, -EINVAL);
	/* A symlink is not followed (the directory may be writable by others). */
	g_assert_cmpint(symlink("/etc/passwd", log), ==, 0);
	g_assert_cmpint(console_log_open(dir, "vm", 100, &l), ==, -ELOOP);
	g_assert_cmpint(g_unlink(log), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/console-log/rotation", test_rotation);
	g_test_add_func("/console-log/failures", test_failures);
	return g_test_run();
}
