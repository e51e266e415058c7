/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * enum <-> string through a table indexed by the enum, systemd's
 * DEFINE_STRING_TABLE_LOOKUP: NULL for a value out of range, -EINVAL (as
 * the enum's _INVALID) for a string not in the table. NULL entries are
 * skipped, so a table may leave values without a name.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/cleanup.h"

#define DEFINE_STRING_TABLE_TO_STRING(name, type, table)			\
	const char *name##_to_string(type v)					\
	{									\
		if ((int) v < 0 || (size_t) v >= ELEMENTSOF(table))		\
			return NULL;						\
		return table[v];						\
	}

#define DEFINE_STRING_TABLE_FROM_STRING(name, type, table)			\
	type name##_from_string(const char *s)					\
	{									\
		for (size_t i = 0; s && i < ELEMENTSOF(table); i++)		\
			if (table[i] && strcmp(table[i], s) == 0)		\
				return (type) i;				\
		return (type) -EINVAL;						\
	}

#define DEFINE_STRING_TABLE(name, type, table)					\
	DEFINE_STRING_TABLE_TO_STRING(name, type, table)			\
	DEFINE_STRING_TABLE_FROM_STRING(name, type, table)
