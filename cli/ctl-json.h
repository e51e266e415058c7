/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small JSON writer for --json output. Strings may hold any bytes: they
 * come from gunyahd, from callers and from definitions. Control characters
 * (C0, DEL and C1), quotes, backslashes, U+2028 and U+2029 are escaped;
 * every byte that does not belong to a valid UTF-8 sequence (overlong
 * forms, surrogates and code points above U+10FFFF included) becomes
 * \ufffd. The output is plain ASCII-safe for terminals and valid JSON.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_JSON_MAX_DEPTH 16

struct ctl_json {
	FILE *f;
	unsigned int depth;
	bool need_comma[CTL_JSON_MAX_DEPTH + 1];
};

/* Writes s (len bytes) as a JSON string, with its quotes. */
void ctl_json_write_string(FILE *f, const char *s, size_t len);

/* A writer to f; each value below is a member when key is non-NULL. */
void ctl_json_init(struct ctl_json *j, FILE *f);
void ctl_json_begin_object(struct ctl_json *j, const char *key);
void ctl_json_end_object(struct ctl_json *j);
void ctl_json_begin_array(struct ctl_json *j, const char *key);
void ctl_json_end_array(struct ctl_json *j);
void ctl_json_string(struct ctl_json *j, const char *key, const char *value);
void ctl_json_u64(struct ctl_json *j, const char *key, uint64_t value);
void ctl_json_bool(struct ctl_json *j, const char *key, bool value);
void ctl_json_null(struct ctl_json *j, const char *key);
