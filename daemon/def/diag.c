/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util/cleanup.h"

__attribute__((format(printf, 5, 0)))
static int diags_addv(struct def_diags *d, unsigned line, unsigned column, const char *key,
		      const char *fmt, va_list ap)
{
	_cleanup_free_ char *k = NULL, *msg = NULL;
	struct def_diag *items;

	if (d->n >= SIZE_MAX / sizeof(*items) - 1)
		return -ENOMEM;
	k = strdup(key ? key : "");
	if (!k)
		return -ENOMEM;
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	items = realloc(d->items, (d->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	d->items = items;
	d->items[d->n++] = (struct def_diag) {
		.line = line,
		.column = column,
		.key = steal_ptr(k),
		.message = steal_ptr(msg),
	};
	return 0;
}

int def_diags_add(struct def_diags *d, unsigned line, unsigned column, const char *key,
		    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = diags_addv(d, line, column, key, fmt, ap);
	va_end(ap);
	return r;
}

void def_diags_clear(struct def_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].key);
		free(d->items[i].message);
	}
	free(d->items);
	d->items = NULL;
	d->n = 0;
}

char *def_diag_format(const char *origin, const struct def_diag *diag)
{
	char *s;
	int r;

	if (!diag)
		return NULL;
	if (!origin)
		origin = "<input>";
	if (diag->key && diag->key[0])
		r = asprintf(&s, "%s:%u:%u: %s: %s", origin, diag->line, diag->column, diag->key,
			     diag->message ? diag->message : "");
	else
		r = asprintf(&s, "%s:%u:%u: %s", origin, diag->line, diag->column,
			     diag->message ? diag->message : "");
	return r < 0 ? NULL : s;
}

char *def_diags_format(const char *origin, const struct def_diags *diags)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = def_diag_format(origin, &diags->items[i]);

		fprintf(f, "%s%s", i ? "\n" : "", line ? line : "?");
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
