/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope-bound cleanup. The only header that names __attribute__((cleanup));
 * daemon/, cli/ and tests/ include it.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))

/* Defines fnp(type **) that calls fn(*p) when *p is set. */
#define GH_DEFINE_FREEP(type, fn)				\
	static inline void fn##p(type **pp)			\
	{							\
		if (*pp)					\
			(void) fn(*pp);				\
	}

/* Hands ownership out of a _cleanup_ variable. */
#define steal_ptr(p)						\
	({							\
		__typeof__(p) _q = (p);				\
		(p) = NULL;					\
		_q;						\
	})

#define steal_fd(fd)						\
	({							\
		int _f = (fd);					\
		(fd) = -1;					\
		_f;						\
	})

static inline void freep(void *p)
{
	free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes an fd and returns -1, preserving errno. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

static inline void closep(int *fd)
{
	safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
