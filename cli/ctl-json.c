/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <string.h>

#include "ctl-json.h"

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes) and its code
 * point, or 0 when p does not start one (RFC 3629, Table 3-7 of Unicode).
 */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *ret)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;
	uint32_t c;

	if (p[0] < 0x80) {
		*ret = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;	/* overlong */
		hi = p[0] == 0xed ? 0x9f : 0xbf;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;	/* overlong */
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;	/* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xbf))
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*ret = c;
	return len;
}

static bool json_must_escape(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 ||
	       c == 0x2029;
}

static void json_write_char(FILE *f, uint32_t c, const char *raw, size_t len)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		return;
	case '\\':
		fputs("\\\\", f);
		return;
	case '\b':
		fputs("\\b", f);
		return;
	case '\f':
		fputs("\\f", f);
		return;
	case '\n':
		fputs("\\n", f);
		return;
	case '\r':
		fputs("\\r", f);
		return;
	case '\t':
		fputs("\\t", f);
		return;
	}
	if (json_must_escape(c))
		fprintf(f, "\\u%04" PRIx32, c);
	else
		fwrite(raw, 1, len, f);
}

void ctl_json_write_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0, n;
	uint32_t c;

	fputc('"', f);
	while (i < len) {
		n = utf8_decode(p + i, len - i, &c);
		if (n == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		json_write_char(f, c, s + i, n);
		i += n;
	}
	fputc('"', f);
}

void ctl_json_init(struct ctl_json *j, FILE *f)
{
	*j = (struct ctl_json) { .f = f };
}

/* The comma and key in front of a value. */
static void json_member(struct ctl_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key) {
		ctl_json_write_string(j->f, key, strlen(key));
		fputc(':', j->f);
	}
}

static void json_open(struct ctl_json *j, const char *key, char c)
{
	json_member(j, key);
	fputc(c, j->f);
	if (j->depth < CTL_JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct ctl_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void ctl_json_begin_object(struct ctl_json *j, const char *key)
{
	json_open(j, key, '{');
}

void ctl_json_end_object(struct ctl_json *j)
{
	json_close(j, '}');
}

void ctl_json_begin_array(struct ctl_json *j, const char *key)
{
	json_open(j, key, '[');
}

void ctl_json_end_array(struct ctl_json *j)
{
	json_close(j, ']');
}

void ctl_json_string(struct ctl_json *j, const char *key, const char *value)
{
	json_member(j, key);
	ctl_json_write_string(j->f, value, strlen(value));
}

void ctl_json_u64(struct ctl_json *j, const char *key, uint64_t value)
{
	json_member(j, key);
	fprintf(j->f, "%" PRIu64, value);
}

void ctl_json_bool(struct ctl_json *j, const char *key, bool value)
{
	json_member(j, key);
	fputs(value ? "true" : "false", j->f);
}

void ctl_json_null(struct ctl_json *j, const char *key)
{
	json_member(j, key);
	fputs("null", j->f);
}
