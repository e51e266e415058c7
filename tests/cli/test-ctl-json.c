/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl's JSON writer (cli/ctl-json.c): escaping of arbitrary bytes
 * and the structure of what it writes.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-json.h"

/* What ctl_json_write_string() makes of len bytes. */
static char *escape(const char *s, size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	g_assert_nonnull(f);
	ctl_json_write_string(f, s, len);
	g_assert_cmpint(fclose(f), ==, 0);
	return buf;
}

#define S(lit) lit, sizeof(lit) - 1

static void test_escape(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ S(""), "\"\"" },
		{ S("nav-1.x"), "\"nav-1.x\"" },
		{ S("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"" },
		{ S("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"" },
		{ S("\x01\x1b[31m\x1f\x7f"), "\"\\u0001\\u001b[31m\\u001f\\u007f\"" },
		/* NUL inside: the length counts, not the terminator. */
		{ S("a\0b"), "\"a\\u0000b\"" },
		/* C1 controls escaped; U+00A0 and above as they are. */
		{ S("\xc2\x80\xc2\x9b\xc2\x9f\xc2\xa0"), "\"\\u0080\\u009b\\u009f\xc2\xa0\"" },
		{ S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"),
		  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"" },
		/* Line and paragraph separators: JSON allows them, JavaScript did not. */
		{ S("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"" },
		/* Not UTF-8: one \ufffd per byte that starts no valid sequence. */
		{ S("\x80"), "\"\\ufffd\"" },
		{ S("\xff\xfe"), "\"\\ufffd\\ufffd\"" },
		{ S("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },			/* overlong '/' */
		{ S("\xc1\xbf"), "\"\\ufffd\\ufffd\"" },			/* overlong */
		{ S("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"" },		/* overlong */
		{ S("\xf0\x80\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },	/* overlong */
		{ S("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },		/* surrogate */
		{ S("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },	/* > U+10FFFF */
		{ S("\xf5\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ S("a\xe2\x82"), "\"a\\ufffd\\ufffd\"" },			/* cut short */
		{ S("\xe2\x82z"), "\"\\ufffd\\ufffdz\"" },
		{ S("\xc3(\xc3\xa9"), "\"\\ufffd(\xc3\xa9\"" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = escape(cases[i].in, cases[i].len);

		g_assert_cmpstr(got, ==, cases[i].out);
	}
}

static bool json_char_ok(const char *p)
{
	/* Raw controls never, a backslash only before a valid escape. */
	if ((unsigned char) *p < 0x20 || *p == 0x7f)
		return false;
	if (*p != '\\')
		return true;
	return strchr("\"\\bfnrtu", p[1]) != NULL;
}

/* Random bytes always make one valid, control-free JSON string. */
static void test_escape_random(void)
{
	GRand *rand = g_rand_new_with_seed(20261207);
	unsigned char in[64];

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t) g_rand_int_range(rand, 0, sizeof(in));
		g_autofree char *got = NULL;
		size_t n;

		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char) g_rand_int_range(rand, 0, 256);
		got = escape((const char *) in, len);
		n = strlen(got);
		g_assert_true(g_utf8_validate(got, -1, NULL));
		g_assert_cmpuint(n, >=, 2);
		g_assert_cmpint(got[0], ==, '"');
		g_assert_cmpint(got[n - 1], ==, '"');
		for (size_t i = 1; i < n - 1; i++) {
			g_assert_true(json_char_ok(got + i));
			if (got[i] == '"')
				g_error("unescaped quote in %s", got);
			if (got[i] == '\\')
				i += got[i + 1] == 'u' ? 5 : 1;
		}
		/* No C1 control or separator survives raw. */
		g_assert_null(strstr(got, "\xe2\x80\xa8"));
		for (const char *p = got; (p = strchr(p, '\xc2')); p++)
			g_assert_false((unsigned char) p[1] >= 0x80 && (unsigned char) p[1] <= 0x9f);
	}
	g_rand_free(rand);
}

static void test_writer(void)
{
	struct ctl_json j;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	g_assert_nonnull(f);
	ctl_json_init(&j, f);
	ctl_json_begin_object(&j, NULL);
	ctl_json_string(&j, "name", "nav");
	ctl_json_u64(&j, "max", UINT64_MAX);
	ctl_json_u64(&j, "zero", 0);
	ctl_json_bool(&j, "yes", true);
	ctl_json_bool(&j, "no", false);
	ctl_json_null(&j, "none");
	ctl_json_begin_array(&j, "empty");
	ctl_json_end_array(&j);
	ctl_json_begin_array(&j, "list");
	ctl_json_begin_object(&j, NULL);
	ctl_json_u64(&j, "a", 1);
	ctl_json_end_object(&j);
	ctl_json_begin_object(&j, NULL);
	ctl_json_end_object(&j);
	ctl_json_string(&j, NULL, "x");
	ctl_json_end_array(&j);
	ctl_json_begin_object(&j, "k\"ey");
	ctl_json_u64(&j, "b", 2);
	ctl_json_end_object(&j);
	ctl_json_end_object(&j);
	g_assert_cmpint(fclose(f), ==, 0);
	g_assert_cmpstr(buf, ==, "{\"name\":\"nav\",\"max\":18446744073709551615,\"zero\":0,"
				 "\"yes\":true,\"no\":false,\"none\":null,\"empty\":[],"
				 "\"list\":[{\"a\":1},{},\"x\"],\"k\\\"ey\":{\"b\":2}}");
	free(buf);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl-json/escape", test_escape);
	g_test_add_func("/ctl-json/escape-random", test_escape_random);
	g_test_add_func("/ctl-json/writer", test_writer);
	return g_test_run();
}
