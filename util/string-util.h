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
