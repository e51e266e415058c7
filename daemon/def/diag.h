/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Diagnostics of a document (a VM definition, gunyahd.yaml): each problem
 * with its line, column and key. The YAML reader, the schemas and every
 * caller that reports them share this one type.
 */
#pragma once

#include <stddef.h>

/* One problem found in a document. */
struct def_diag {
	unsigned line;			/* 1-based */
	unsigned column;		/* 1-based */
	char *key;			/* dotted path, e.g. "regions[1].size"; "" for the document */
	char *message;
};

struct def_diags {
	struct def_diag *items;		/* in document order */
	size_t n;
};

/* Appends a diagnostic. Returns 0 or -ENOMEM. */
int def_diags_add(struct def_diags *d, unsigned line, unsigned column,
		  const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "origin:line:column: key: message" (no "key: " when the key is empty). */
char *def_diag_format(const char *origin, const struct def_diag *diag);
/* Every diagnostic, formatted, one per line (as gunyahctl prints them); NULL: no memory. */
char *def_diags_format(const char *origin, const struct def_diags *diags);
void def_diags_clear(struct def_diags *d);
