/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asserting on YAML diagnostics (vmdef, config, ydoc tests). */
#pragma once

#include <glib.h>
#include <string.h>

#include "vmdef.h"

/* The diagnostic sits at line:column, names key, and its message contains message_part. */
static inline void assert_diag(const struct def_diag *g, unsigned line, unsigned column,
			       const char *key, const char *message_part)
{
	g_assert_cmpuint(g->line, ==, line);
	g_assert_cmpuint(g->column, ==, column);
	g_assert_cmpstr(g->key, ==, key);
	if (!strstr(g->message, message_part))
		g_error("message '%s' lacks '%s'", g->message, message_part);
}
