/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The problems of validate and reload, as text (FILE:LINE:COLUMN: MESSAGE,
 * one per line, the form compilers use) or, with --json, as one object on
 * one line: {"problems":[{"file":..,"line":..,"column":..,"message":..}]}.
 * gunyahctl(1) documents both. Everything goes to standard output.
 */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl-json.h"

struct ctl_problems {
	bool json;
	bool started;		/* the JSON object is open */
	struct ctl_json j;
	unsigned int n;
};

/* Prints nothing yet: a command that fails before any problem leaves no JSON behind. */
static inline void ctl_problems_begin(struct ctl_problems *p, bool json)
{
	*p = (struct ctl_problems) { .json = json };
}

static inline void ctl_problems_open(struct ctl_problems *p)
{
	if (!p->json || p->started)
		return;
	p->started = true;
	ctl_json_init(&p->j, stdout);
	ctl_json_begin_object(&p->j, NULL);
	ctl_json_begin_array(&p->j, "problems");
}

static inline void ctl_problems_add(struct ctl_problems *p, const char *file, uint32_t line,
				    uint32_t column, const char *message)
{
	p->n++;
	ctl_problems_open(p);
	if (!p->json) {
		printf("%s:%" PRIu32 ":%" PRIu32 ": %s\n", file, line, column, message);
		return;
	}
	ctl_json_begin_object(&p->j, NULL);
	ctl_json_string(&p->j, "file", file);
	ctl_json_u64(&p->j, "line", line);
	ctl_json_u64(&p->j, "column", column);
	ctl_json_string(&p->j, "message", message);
	ctl_json_end_object(&p->j);
}

/* Prints the whole JSON object; returns how many problems there were. */
static inline unsigned int ctl_problems_end(struct ctl_problems *p)
{
	ctl_problems_open(p);
	if (p->json) {
		ctl_json_end_array(&p->j);
		ctl_json_end_object(&p->j);
		fputc('\n', stdout);
	}
	return p->n;
}
