/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/def/ydoc.c, the schema-independent YAML layer, through
 * a toy schema of its own (as a new schema would use it): loading, typed
 * getters, key lookup, the diagnostics cap and order, files, and the
 * helpers for numbers and quoted text. vmdef and config test their schemas.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ydoc.h"
#include "test-diag.h"

static const char *const colours[] = { "red", "green", "blue" };

struct toy {
	int64_t count;
	uint32_t small;
	bool on;
	char *label;
	uint64_t size;
	uint64_t wait_usec;
	int colour;
	struct {
		int64_t x;
	} inner;
};

#define OF_TOY(m) offsetof(struct toy, m)

static const struct ydoc_field_spec inner_table[] = {
	{ "x", false, ydoc_field_int, 0, YDOC_RANGE(0, 100) },
};

/* Each stock handler in turn; a problem is a diagnostic, and only -ENOMEM stops the walk. */
static const struct ydoc_field_spec toy_table[] = {
	{ "count", true, ydoc_field_int, OF_TOY(count), YDOC_RANGE(-5, 5) },
	{ "small", false, ydoc_field_u32, OF_TOY(small), YDOC_RANGE(1, 9) },
	{ "on", false, ydoc_field_bool, OF_TOY(on), NULL },
	{ "label", false, ydoc_field_string, OF_TOY(label),
	  &(const struct ydoc_string_spec) { 1, 8, true } },
	{ "size", false, ydoc_field_size, OF_TOY(size),
	  &(const struct ydoc_size_spec) { .align = 4096, .align_name = "4096" } },
	{ "wait", false, ydoc_field_duration_nonzero, OF_TOY(wait_usec), NULL },
	{ "colour", false, ydoc_field_enum, OF_TOY(colour), YDOC_ENUM(colours) },
	{ "inner", false, ydoc_field_map, OF_TOY(inner), YDOC_TABLE(inner_table) },
};

static int toy_walk(struct ydoc *d, const struct ynode *root, struct toy *t)
{
	return ydoc_parse_map(d, root, "", toy_table, G_N_ELEMENTS(toy_table), t, NULL);
}

/* Returns what the toy parse returns: 0, or -EINVAL with diagnostics in *reterr. */
static int toy_parse(const char *yaml, struct toy *t, struct def_diags *reterr)
{
	_cleanup_(ydoc_done) struct ydoc doc = {};
	const struct ynode *root;
	int r;

	ydoc_init(&doc, "a toy", reterr);
	r = ydoc_load(&doc, yaml, strlen(yaml), 4096, &root);
	if (r > 0)
		r = toy_walk(&doc, root, t);
	if (r < 0)
		return r;
	return ydoc_finish(&doc);
}

static void expect_one(const char *yaml, unsigned line, unsigned column, const char *key,
		       const char *message_part)
{
	struct def_diags d = {};
	struct toy t = {};

	g_assert_cmpint(toy_parse(yaml, &t, &d), ==, -EINVAL);
	for (size_t i = 0; i < d.n; i++)
		g_test_message("  %u:%u: %s: %s", d.items[i].line, d.items[i].column,
			       d.items[i].key, d.items[i].message);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], line, column, key, message_part);
	def_diags_clear(&d);
	free(t.label);
}

static void test_getters_ok(void)
{
	struct def_diags d = {};
	struct toy t = {};

	g_assert_cmpint(toy_parse("count: -5\nsmall: 9\non: yes\nlabel: 'a b'\nsize: 8K\n"
				  "wait: 250ms\ncolour: blue\ninner: { x: 0x64 }\n",
				  &t, &d), ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	g_assert_cmpint(t.count, ==, -5);
	g_assert_cmpuint(t.small, ==, 9);
	g_assert_true(t.on);
	g_assert_cmpstr(t.label, ==, "a b");
	g_assert_cmpuint(t.size, ==, 8192);
	g_assert_cmpuint(t.wait_usec, ==, 250000);
	g_assert_cmpint(t.colour, ==, 2);
	g_assert_cmpint(t.inner.x, ==, 100);
	free(t.label);

	/* Without reterr the problems are still counted. */
	g_assert_cmpint(toy_parse("count: 6\n", &t, NULL), ==, -EINVAL);
	g_assert_cmpint(toy_parse("count: 0\n", &t, NULL), ==, 0);
}

static void test_getters_reject(void)
{
	expect_one("count: 6\n", 1, 8, "count", "must be between -5 and 5, got 6");
	expect_one("count: '1'\n", 1, 8, "count", "expected an integer, got the quoted string '1'");
	expect_one("count: 1\nsmall: 0\n", 2, 8, "small", "must be between 1 and 9, got 0");
	expect_one("count: 1\non: 'yes'\n", 2, 5, "on", "expected a boolean (true or false)");
	expect_one("count: 1\non: on\n", 2, 5, "on", "expected a boolean (true, false, yes or no)");
	expect_one("count: 1\nlabel: ''\n", 2, 8, "label", "must not be empty");
	expect_one("count: 1\nlabel: 123456789\n", 2, 8, "label",
		   "is too long (9 bytes, at most 8)");
	expect_one("count: 1\nlabel: \"\\e\"\n", 2, 8, "label", "must not contain control");
	expect_one("count: 1\nsize: 4097\n", 2, 7, "size", "0x1001 is not a multiple of 4096");
	expect_one("count: 1\nsize: 1.5K\n", 2, 7, "size", "invalid size '1.5K'");
	expect_one("count: 1\nwait: 0\n", 2, 7, "wait", "must be longer than 0");
	expect_one("count: 1\ncolour: pink\n", 2, 9, "colour",
		   "invalid value 'pink': expected red, green or blue");
	expect_one("count: 1\ninner: 3\n", 2, 8, "inner", "expected a mapping, got '3'");
	expect_one("count: 1\ninner: { x: 101 }\n", 2, 13, "inner.x", "must be between 0 and 100");
	expect_one("count: 1\ninner: { y: 1 }\n", 2, 10, "inner.y", "unknown key 'y'");
	expect_one("count: 1\nlabel: [a]\n", 2, 8, "label", "expected a string, got a sequence");
	expect_one("count: 1\nlabel: ~\n", 2, 8, "label", "got null (a value is required)");
}

static void test_map_lookup(void)
{
	expect_one("small: 1\n", 1, 1, "count", "missing required key 'count'");
	expect_one("count: 1\ncuont: 2\n", 2, 1, "cuont",
		   "unknown key 'cuont'; did you mean 'count'?");
	/* A one-letter key is never "close" to anything. */
	expect_one("count: 1\nx: 2\n", 2, 1, "x", "unknown key 'x'");
	expect_one("count: 1\ncount: 2\n", 2, 1, "count",
		   "duplicate key 'count' (first at line 1, column 1)");
	expect_one("count: 1\n[a]: 2\n", 2, 1, "", "keys must be strings, got a sequence");
	expect_one("count: 1\n~: 2\n", 2, 1, "", "keys must be strings, got null");
	/* The path of a quoted key is shown escaped. */
	expect_one("count: 1\n\"a\\x1bb\": 2\n", 2, 1, "a\\x1bb", "unknown key 'a\\x1bb'");
}

/* A handler that counts its calls, and fails as arg says: 1 valid, 0 invalid, -ENOMEM. */
static int counting_handler(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			    const void *arg)
{
	int result = *(const int *) arg;

	(*(unsigned *) data)++;
	if (result == 0)
		return ydoc_diag(d, n, path, "refused by the test");
	return result;
}

static const int handler_valid = 1, handler_invalid = 0, handler_enomem = -ENOMEM;

struct calls {
	unsigned a, b, c, d;
};

#define OF_CALLS(m) offsetof(struct calls, m)

/* Walks yaml with table into doc; returns ydoc_parse_map()'s result. */
static int walk_table(struct ydoc *doc, const char *yaml, const struct ydoc_field_spec *table,
		      size_t n, struct calls *calls, struct ydoc_map_seen *seen)
{
	const struct ynode *root;

	g_assert_cmpint(ydoc_load(doc, yaml, strlen(yaml), 4096, &root), ==, 1);
	return ydoc_parse_map(doc, root, "", table, n, calls, seen);
}

/* Keys first (document order), then missing required keys (table order), then handlers. */
static void test_table_order(void)
{
	static const struct ydoc_field_spec table[] = {
		{ "a", true, counting_handler, OF_CALLS(a), &handler_valid },
		{ "b", false, counting_handler, OF_CALLS(b), &handler_invalid },
		{ "c", true, counting_handler, OF_CALLS(c), &handler_valid },
		{ "d", false, counting_handler, OF_CALLS(d), &handler_valid },
	};
	_cleanup_(ydoc_done) struct ydoc doc = {};
	struct ydoc_map_seen seen;
	struct calls calls = {};
	struct def_diags d = {};

	/* Before ydoc_finish(): the diagnostics as emitted, not yet sorted. */
	ydoc_init(&doc, "a toy", &d);
	g_assert_cmpint(walk_table(&doc, "b: 1\nbogus: 2\nd: 3\nd: 4\n", table,
				   G_N_ELEMENTS(table), &calls, &seen), ==, 0);
	g_assert_cmpuint(d.n, ==, 5);
	assert_diag(&d.items[0], 2, 1, "bogus", "unknown key 'bogus'");
	assert_diag(&d.items[1], 4, 1, "d", "duplicate key 'd' (first at line 3, column 1)");
	assert_diag(&d.items[2], 1, 1, "a", "missing required key 'a'");
	assert_diag(&d.items[3], 1, 1, "c", "missing required key 'c'");
	assert_diag(&d.items[4], 1, 4, "b", "refused by the test");

	/* Only the keys that are there are handled, once each; the first of a duplicate. */
	g_assert_cmpuint(calls.a, ==, 0);
	g_assert_cmpuint(calls.b, ==, 1);
	g_assert_cmpuint(calls.c, ==, 0);
	g_assert_cmpuint(calls.d, ==, 1);
	g_assert_null(seen.values[0]);
	g_assert_nonnull(seen.values[1]);
	g_assert_false(seen.valid[1]);
	g_assert_null(ydoc_seen_valid(&seen, 1));
	g_assert_false(ydoc_seen_usable(&seen, 1));
	g_assert_true(ydoc_seen_usable(&seen, 2));
	g_assert_cmpuint(seen.values[3]->line, ==, 3);
	g_assert_true(ydoc_seen_valid(&seen, 3) == seen.values[3]);

	/* Sorted into document order, stable for the three at 1:1. */
	g_assert_cmpint(ydoc_finish(&doc), ==, -EINVAL);
	assert_diag(&d.items[0], 1, 1, "a", "missing required key 'a'");
	assert_diag(&d.items[1], 1, 1, "c", "missing required key 'c'");
	assert_diag(&d.items[2], 1, 4, "b", "refused by the test");
	assert_diag(&d.items[3], 2, 1, "bogus", "unknown key 'bogus'");
	assert_diag(&d.items[4], 4, 1, "d", "duplicate key 'd'");
	def_diags_clear(&d);
}

/* A handler's -ENOMEM stops the walk: no later handler runs. */
static void test_table_error(void)
{
	static const struct ydoc_field_spec table[] = {
		{ "a", false, counting_handler, OF_CALLS(a), &handler_valid },
		{ "b", false, counting_handler, OF_CALLS(b), &handler_enomem },
		{ "c", false, counting_handler, OF_CALLS(c), &handler_valid },
	};
	_cleanup_(ydoc_done) struct ydoc doc = {};
	struct calls calls = {};
	struct def_diags d = {};

	ydoc_init(&doc, "a toy", &d);
	g_assert_cmpint(walk_table(&doc, "c: 1\nb: 2\na: 3\n", table, G_N_ELEMENTS(table),
				   &calls, NULL), ==, -ENOMEM);
	g_assert_cmpuint(calls.a, ==, 1);
	g_assert_cmpuint(calls.b, ==, 1);
	g_assert_cmpuint(calls.c, ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
}

static void test_table_too_big(void)
{
	_cleanup_(ydoc_done) struct ydoc doc = {};
	struct ydoc_field_spec table[YDOC_KEYS_MAX + 1];
	char keys[YDOC_KEYS_MAX + 1][8];
	struct calls calls = {};
	struct def_diags d = {};

	for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		table[i] = (struct ydoc_field_spec) { keys[i], false, counting_handler,
						      OF_CALLS(a), &handler_valid };
	}
	ydoc_init(&doc, "a toy", &d);
	g_assert_cmpint(walk_table(&doc, "k0: 1\n", table, G_N_ELEMENTS(table), &calls, NULL),
			==, -EINVAL);
	g_assert_cmpint(walk_table(&doc, "k0: 1\n", table, YDOC_KEYS_MAX, &calls, NULL), ==, 0);
	g_assert_cmpuint(calls.a, ==, 1);
	g_assert_cmpuint(d.n, ==, 0);
}

/* The stock size handler: zero, then alignment, each with its message. */
static void test_table_size(void)
{
	expect_one("count: 1\nsize: 0x1800\n", 2, 7, "size", "0x1800 is not a multiple of 4096");
	expect_one("count: 1\nsize: 20000000000000000000000\n", 2, 7, "size",
		   "does not fit in 64 bits");
	expect_one("count: 1\ninner: { x: 1, x: 2 }\n", 2, 16, "inner.x",
		   "duplicate key 'x' (first at line 2, column 10)");
}

static void test_load(void)
{
	expect_one("", 1, 1, "", "the document is empty");
	expect_one("null\n", 1, 1, "", "the document is empty");
	expect_one("[1]\n", 1, 1, "",
		   "expected a mapping of keys at the top level, got a sequence");
	expect_one("count: 1\n---\ncount: 2\n", 2, 1, "",
		   "a toy holds exactly one YAML document; found a second one");
	expect_one("count: 1\nlabel: !!str x\n", 2, 8, "label", "tags (tag:yaml.org,2002:str)");
	expect_one("*a\n", 1, 1, "", "aliases (*a) are not allowed");
	expect_one("count: [\n", 2, 1, "", "syntax error");

	/* An anchor is reported, and the tree is still checked. */
	{
		struct def_diags d = {};
		struct toy t = {};

		g_assert_cmpint(toy_parse("count: &c 9\n", &t, &d), ==, -EINVAL);
		g_assert_cmpuint(d.n, ==, 2);
		assert_diag(&d.items[0], 1, 8, "count", "anchors (&c) are not allowed");
		assert_diag(&d.items[1], 1, 8, "count", "must be between -5 and 5");
		def_diags_clear(&d);
	}

	/* Size limit before parsing; NULL text. */
	{
		_cleanup_(ydoc_done) struct ydoc doc = {};
		const struct ynode *root = NULL;
		struct def_diags d = {};

		ydoc_init(&doc, NULL, &d);
		g_assert_cmpint(ydoc_load(&doc, "count: 1\n", 9, 8, &root), ==, 0);
		g_assert_null(root);
		g_assert_cmpint(ydoc_load(&doc, NULL, 1, 8, &root), ==, -EINVAL);
		g_assert_cmpint(ydoc_finish(&doc), ==, -EINVAL);
		g_assert_cmpuint(d.n, ==, 1);
		assert_diag(&d.items[0], 1, 1, "", "the document is 9 bytes, over the limit of 8");
		def_diags_clear(&d);
	}
}

/* 150 problems after 2 the caller had: 100 kept, sorted, and one for the rest. */
static void test_cap_and_order(void)
{
	_cleanup_(ydoc_done) struct ydoc doc = {};
	struct def_diags d = {};
	const struct ynode *root;

	def_diags_add(&d, 50, 1, "", "earlier");
	def_diags_add(&d, 1, 1, "", "earlier too");
	ydoc_init(&doc, "x", &d);
	g_assert_cmpint(ydoc_load(&doc, "a: 1\nb: 2\n", 10, 100, &root), ==, 1);
	for (unsigned i = 150; i > 0; i--)
		g_assert_cmpint(ydoc_diag_at(&doc, i, 1, "k", "problem %u", i), ==, 0);
	g_assert_cmpint(ydoc_finish(&doc), ==, -EINVAL);
	g_assert_cmpuint(d.n, ==, 2 + 100 + 1);
	g_assert_cmpstr(d.items[0].message, ==, "earlier");
	g_assert_cmpstr(d.items[1].message, ==, "earlier too");
	/* The first 100 found were lines 150..51; sorted, 51 comes first. */
	assert_diag(&d.items[2], 51, 1, "k", "problem 51");
	assert_diag(&d.items[101], 150, 1, "k", "problem 150");
	assert_diag(&d.items[102], 50, 1, "", "too many problems; 50 more not shown");
	def_diags_clear(&d);

	{
		_cleanup_(ydoc_done) struct ydoc doc2 = {};

		/* Two at one position keep the order found. */
		ydoc_init(&doc2, "x", &d);
		ydoc_diag_at(&doc2, 2, 5, "b", "second");
		ydoc_diag_at(&doc2, 2, 5, "a", "first at the same place");
		ydoc_diag_at(&doc2, 1, 9, "c", "earlier line");
		g_assert_cmpint(ydoc_finish(&doc2), ==, -EINVAL);
		g_assert_cmpstr(d.items[0].message, ==, "earlier line");
		g_assert_cmpstr(d.items[1].message, ==, "second");
		g_assert_cmpstr(d.items[2].message, ==, "first at the same place");
		def_diags_clear(&d);
	}
}

static void test_read_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-ydoc-XXXXXX", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing.yaml", NULL);
	g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
	g_autofree char *file = g_build_filename(dir, "f.yaml", NULL);
	struct def_diags d = {};
	char *text = NULL;
	size_t len = 0;

	g_assert_cmpint(ydoc_read_file(missing, 10, YDOC_READ_ENOENT_QUIET, &text, &len, &d), ==,
			-ENOENT);
	g_assert_cmpuint(d.n, ==, 0);
	g_assert_cmpint(ydoc_read_file(missing, 10, 0, &text, &len, &d), ==, -ENOENT);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "cannot open: No such file or directory");
	def_diags_clear(&d);

	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_cmpint(ydoc_read_file(fifo, 10, YDOC_READ_ENOENT_QUIET, &text, &len, &d), ==,
			-EBADFD);
	assert_diag(&d.items[0], 1, 1, "", "is not a regular file");
	def_diags_clear(&d);

	g_assert_true(g_file_set_contents(file, "a: 1\n", -1, NULL));
	g_assert_cmpint(ydoc_read_file(file, 4, 0, &text, &len, &d), ==, -EFBIG);
	assert_diag(&d.items[0], 1, 1, "", "the file is 5 bytes, over the limit of 4");
	def_diags_clear(&d);
	g_assert_cmpint(ydoc_read_file(file, 5, 0, &text, &len, NULL), ==, 0);
	g_assert_cmpuint(len, ==, 5);
	g_assert_true(memcmp(text, "a: 1\n", 5) == 0);
	free(text);

	g_unlink(file);
	g_unlink(fifo);
	g_rmdir(dir);
}

static void test_parse_number(void)
{
	const char *end;
	uint64_t v = 0;
	bool hex;

	g_assert_cmpint(ydoc_parse_number("0", true, &v, &end, &hex), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	g_assert_false(hex);
	g_assert_cmpint(ydoc_parse_number("42K", true, &v, &end, &hex), ==, 0);
	g_assert_cmpuint(v, ==, 42);
	g_assert_cmpstr(end, ==, "K");
	g_assert_cmpint(ydoc_parse_number("0xfFz", true, &v, &end, &hex), ==, 0);
	g_assert_cmpuint(v, ==, 255);
	g_assert_true(hex);
	g_assert_cmpstr(end, ==, "z");
	g_assert_cmpint(ydoc_parse_number("0x10", false, &v, &end, NULL), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	g_assert_cmpstr(end, ==, "x10");
	g_assert_cmpint(ydoc_parse_number("18446744073709551615", true, &v, &end, NULL), ==, 0);
	g_assert_cmpuint(v, ==, UINT64_MAX);
	v = 7;
	g_assert_cmpint(ydoc_parse_number("18446744073709551616s", true, &v, &end, NULL), ==,
			-ERANGE);
	g_assert_cmpuint(v, ==, 7);
	g_assert_cmpstr(end, ==, "s");
	g_assert_cmpint(ydoc_parse_number("0x10000000000000000", true, &v, &end, NULL), ==,
			-ERANGE);
	g_assert_cmpint(ydoc_parse_number("010", true, &v, &end, NULL), ==, -EINVAL);
	g_assert_cmpint(ydoc_parse_number("0x", true, &v, &end, NULL), ==, -EINVAL);
	g_assert_cmpint(ydoc_parse_number("-1", true, &v, &end, NULL), ==, -EINVAL);
	g_assert_cmpint(ydoc_parse_number("", true, &v, &end, NULL), ==, -EINVAL);
}

static void test_show(void)
{
	g_autofree char *long_ascii = g_strnfill(70, 'a');
	GString *utf8 = g_string_new("");
	char buf[YDOC_SHOW_BUF];

	g_assert_cmpstr(ydoc_show_bytes("a\x1b[31mb\\", 8, buf), ==, "a\\x1b[31mb\\x5c");
	g_assert_cmpstr(ydoc_show_bytes("a\0b", 3, buf), ==, "a\\x00b");
	ydoc_show_bytes(long_ascii, 70, buf);
	g_assert_cmpuint(strlen(buf), ==, 64 + 3);
	g_assert_true(g_str_has_suffix(buf, "a..."));

	/* 63 ASCII bytes, then a 2-byte character over the cut: cut before it. */
	g_string_append(utf8, long_ascii + 7);
	g_string_append(utf8, "\xc3\xa9xyz");
	ydoc_show_bytes(utf8->str, utf8->len, buf);
	g_assert_cmpuint(strlen(buf), ==, 63 + 3);
	g_string_free(utf8, TRUE);

	/* The worst case fits: 64 control characters. */
	{
		char ctl[64];

		memset(ctl, 1, sizeof(ctl));
		ydoc_show_bytes(ctl, sizeof(ctl), buf);
		g_assert_cmpuint(strlen(buf), ==, 64 * 4);
	}
}

static void test_path_child(void)
{
	g_autofree char *long_key = g_strnfill(200, 'k');
	char p[YDOC_PATH_LEN];

	ydoc_path_child(p, "", "a");
	g_assert_cmpstr(p, ==, "a");
	ydoc_path_child(p, "a.b", "c");
	g_assert_cmpstr(p, ==, "a.b.c");
	ydoc_path_child(p, "a", long_key);
	g_assert_cmpuint(strlen(p), ==, YDOC_PATH_LEN - 1);
	g_assert_true(g_str_has_suffix(p, "..."));
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/ydoc/getters/valid", test_getters_ok);
	g_test_add_func("/ydoc/getters/reject", test_getters_reject);
	g_test_add_func("/ydoc/map/lookup", test_map_lookup);
	g_test_add_func("/ydoc/table/order", test_table_order);
	g_test_add_func("/ydoc/table/error", test_table_error);
	g_test_add_func("/ydoc/table/too-big", test_table_too_big);
	g_test_add_func("/ydoc/table/size", test_table_size);
	g_test_add_func("/ydoc/load/document", test_load);
	g_test_add_func("/ydoc/diags/cap-and-order", test_cap_and_order);
	g_test_add_func("/ydoc/file/read", test_read_file);
	g_test_add_func("/ydoc/scalar/number", test_parse_number);
	g_test_add_func("/ydoc/scalar/show", test_show);
	g_test_add_func("/ydoc/path/child", test_path_child);

	return g_test_run();
}
