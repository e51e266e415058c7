/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counting a process's open fds, for the tests' leak checks. */
#pragma once

#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <sys/types.h>

/* The fds in /proc/PID/fd (pid 0: this process; the count includes the one reading it). */
static inline int test_count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	d = opendir(path);
	g_assert_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
