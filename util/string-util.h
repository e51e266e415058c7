/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String helpers shared by the daemon's layers (systemd's string-util). */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Replaces *p by a copy of s (the old string freed). 0, or -ENOMEM with *p kept. */
static inline int free_and_strdup(char **p, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	free(*p);
	*p = c;
	return 0;
}

/* A NUL-terminated copy of n bytes of p (which may hold NULs), or NULL. */
static inline char *memdup_nul(const void *p, size_t n)
{
	char *c = malloc(n + 1);

	if (!c)
		return NULL;
	if (n)
		memcpy(c, p, n);
	c[n] = 0;
	return c;
}
