/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/def/config.c (gunyahd.yaml): the defaults, the shipped
 * file, every key, one test per rejection class (each asserting the exact
 * line, column and key of the diagnostic) and file handling.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"		/* the build's: GUNYAHD_DEFINITIONS_DIR */
#include "config-file.h"
#include "rm-limits.h"
#include "test-diag.h"

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR must name tests/daemon"
#endif

#define SHIPPED_TEMPLATE TEST_SRCDIR "/../../config/gunyahd.yaml.in"
#define SEC 1000000ull

/* Line 1, so that appended text starts on line 2. */
#define BASE "version: 1\n"

static void dump_diags(const char *origin, const struct def_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		g_autofree char *s = def_diag_format(origin, &d->items[i]);

		g_test_message("  %s", s);
	}
}

static void parse_ok(const char *yaml, struct config *ret)
{
	struct def_diags d = {};
	int r;

	r = config_parse_string("gunyahd.yaml", yaml, strlen(yaml), ret, &d);
	dump_diags("gunyahd.yaml", &d);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	def_diags_clear(&d);
}

/* A struct config that no parse would produce, to see that failures leave *ret alone. */
static void fill_sentinel(struct config *c)
{
	memset(c, 0xa5, sizeof(*c));
}

static void assert_sentinel(const struct config *c)
{
	struct config s;

	fill_sentinel(&s);
	g_assert_true(memcmp(c, &s, sizeof(s)) == 0);
}

/* Parses an invalid document: -EINVAL, *ret untouched, at least one diagnostic. */
static void parse_bad(const char *yaml, struct def_diags *d)
{
	struct config c;
	int r;

	fill_sentinel(&c);
	r = config_parse_string("gunyahd.yaml", yaml, strlen(yaml), &c, d);
	dump_diags("gunyahd.yaml", d);
	g_assert_cmpint(r, ==, -EINVAL);
	assert_sentinel(&c);
	g_assert_cmpuint(d->n, >, 0);
}

/* The document has exactly one problem, and it is this one. */
static void expect_one(const char *yaml, unsigned line, unsigned column, const char *key,
		       const char *message_part)
{
	struct def_diags d = {};

	parse_bad(yaml, &d);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], line, column, key, message_part);
	def_diags_clear(&d);
}

static void assert_config_eq(const struct config *a, const struct config *b)
{
	g_assert_cmpstr(a->definitions_dir, ==, b->definitions_dir);
	g_assert_cmpstr(a->access_group, ==, b->access_group);
	g_assert_cmpuint(a->ipa_bits, ==, b->ipa_bits);
	g_assert_cmpuint(a->limits.max_vms, ==, b->limits.max_vms);
	g_assert_cmpuint(a->limits.max_regions, ==, b->limits.max_regions);
	g_assert_cmpuint(a->limits.max_guest_memory, ==, b->limits.max_guest_memory);
	g_assert_cmpuint(a->limits.max_definition_size, ==, b->limits.max_definition_size);
	g_assert_cmpuint(a->restart.backoff_usec, ==, b->restart.backoff_usec);
	g_assert_cmpuint(a->restart.backoff_max_usec, ==, b->restart.backoff_max_usec);
	g_assert_cmpuint(a->console.ring_size, ==, b->console.ring_size);
	g_assert_cmpstr(a->console.log_dir, ==, b->console.log_dir);
	g_assert_cmpuint(a->console.log_max_size, ==, b->console.log_max_size);
}

/* ------------------------------------------------------------------ */
/* Valid documents */

static void test_defaults(void)
{
	struct config c, p;

	g_unsetenv("LOGS_DIRECTORY");
	g_assert_cmpint(config_init_defaults(&c), ==, 0);
	g_assert_cmpstr(c.definitions_dir, ==, GUNYAHD_DEFINITIONS_DIR);
	g_assert_cmpstr(c.access_group, ==, "gunyah");
	g_assert_cmpuint(c.ipa_bits, ==, RM_IPA_BITS_DEFAULT);
	g_assert_cmpuint(c.ipa_bits, ==, 36);
	g_assert_cmpuint(c.limits.max_vms, ==, 63);
	g_assert_cmpuint(c.limits.max_regions, ==, VMDEF_MAX_REGIONS_DEFAULT);
	g_assert_cmpuint(c.limits.max_regions, ==, 32);
	g_assert_cmpuint(c.limits.max_guest_memory, ==, 0);
	g_assert_cmpuint(c.limits.max_definition_size, ==, VMDEF_MAX_SIZE_DEFAULT);
	g_assert_cmpuint(c.limits.max_definition_size, ==, 64 * 1024);
	g_assert_cmpuint(c.restart.backoff_usec, ==, 1 * SEC);
	g_assert_cmpuint(c.restart.backoff_max_usec, ==, 60 * SEC);
	g_assert_cmpuint(c.console.ring_size, ==, 64 * 1024);
	g_assert_cmpstr(c.console.log_dir, ==, "/var/log/gunyah");
	g_assert_cmpuint(c.console.log_max_size, ==, 1024 * 1024);
	config_done(&c);

	/* Under systemd the default log directory is the unit's LogsDirectory=. */
	g_assert_true(g_setenv("LOGS_DIRECTORY", "/var/log/gunyah-a:/var/log/other", TRUE));
	g_assert_cmpint(config_init_defaults(&c), ==, 0);
	g_assert_cmpstr(c.console.log_dir, ==, "/var/log/gunyah-a");
	config_done(&c);
	/* An empty or relative one is not systemd's: the built-in default. */
	for (int i = 0; i < 2; i++) {
		g_assert_true(g_setenv("LOGS_DIRECTORY", i ? "log/gunyah" : "", TRUE));
		g_assert_cmpint(config_init_defaults(&c), ==, 0);
		g_assert_cmpstr(c.console.log_dir, ==, "/var/log/gunyah");
		config_done(&c);
	}
	g_unsetenv("LOGS_DIRECTORY");
	g_assert_cmpint(config_init_defaults(&c), ==, 0);

	/* The only required key is version; the rest keeps its default. */
	parse_ok("version: 1\n", &p);
	assert_config_eq(&p, &c);
	config_done(&p);
	parse_ok("version: 1\nlimits: {}\nrestart: {}\n", &p);
	assert_config_eq(&p, &c);
	config_done(&p);

	/* config_done() zeroes, so twice is harmless; NULL too. */
	config_done(&c);
	g_assert_null(c.definitions_dir);
	config_done(&c);
	config_done(NULL);
}

/* The template with the build's definitions directory put in, as meson does. */
static char *read_template(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_auto(GStrv) parts = NULL;

	g_assert_true(g_file_get_contents(SHIPPED_TEMPLATE, &text, NULL, &error));
	g_assert_no_error(error);
	parts = g_strsplit(text, "@GUNYAHD_DEFINITIONS_DIR@", -1);
	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	return g_strjoinv(GUNYAHD_DEFINITIONS_DIR, parts);
}

static void test_shipped(void)
{
	static const char *const keys[] = {
		"\nversion: ", "\ndefinitions: ", "\naccess-group: ", "\nipa-bits: ",
		"\nlimits:\n", "\n  max-vms: ", "\n  max-regions: ", "\n  max-guest-memory: ",
		"\n  max-definition-size: ", "\nrestart:\n", "\n  backoff: ", "\n  backoff-max: ",
	};
	g_autofree char *template = read_template();
	g_autofree char *built = g_test_build_filename(G_TEST_BUILT, "..", "..", "config",
						       "gunyahd.yaml", NULL);
	g_autofree char *built_text = NULL;
	struct def_diags d = {};
	struct config defaults, c;
	int r;

	g_assert_cmpint(config_init_defaults(&defaults), ==, 0);

	/* Every key is there, not commented out. */
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!strstr(template, keys[i]))
			g_error("config/gunyahd.yaml.in lacks '%s'", keys[i]);

	parse_ok(template, &c);
	assert_config_eq(&c, &defaults);
	config_done(&c);

	/* What meson generated (and installs) is the same. */
	g_assert_true(g_file_get_contents(built, &built_text, NULL, NULL));
	g_assert_cmpstr(built_text, ==, template);
	r = config_parse_file(built, &c, &d);
	dump_diags(built, &d);
	g_assert_cmpint(r, ==, 0);
	assert_config_eq(&c, &defaults);
	config_done(&c);
	config_done(&defaults);
}

static void test_full(void)
{
	struct config c;

	parse_ok("version: 1\n"
		 "definitions: /srv/gunyah/vms\n"
		 "access-group: vm-admins_2\n"
		 "ipa-bits: 40\n"
		 "limits:\n"
		 "  max-vms: 8\n"
		 "  max-regions: 0\n"
		 "  max-guest-memory: 12G\n"
		 "  max-definition-size: 0x8000\n"
		 "restart:\n"
		 "  backoff: 250ms\n"
		 "  backoff-max: 2m\n", &c);
	g_assert_cmpstr(c.definitions_dir, ==, "/srv/gunyah/vms");
	g_assert_cmpstr(c.access_group, ==, "vm-admins_2");
	g_assert_cmpuint(c.ipa_bits, ==, 40);
	g_assert_cmpuint(c.limits.max_vms, ==, 8);
	g_assert_cmpuint(c.limits.max_regions, ==, 0);
	g_assert_cmpuint(c.limits.max_guest_memory, ==, 12ull << 30);
	g_assert_cmpuint(c.limits.max_definition_size, ==, 0x8000);
	g_assert_cmpuint(c.restart.backoff_usec, ==, 250000);
	g_assert_cmpuint(c.restart.backoff_max_usec, ==, 120 * SEC);
	config_done(&c);

	/* Flow style, quoted strings and sizes, and the bounds themselves. */
	parse_ok("version: 0x1\n"
		 "definitions: '/etc/gunyah/vms.d'\n"
		 "access-group: \"_x\"\n"
		 "ipa-bits: 48\n"
		 "limits: { max-vms: 1, max-regions: 512, max-definition-size: \"1M\" }\n"
		 "restart: { backoff: 0, backoff-max: 0 }\n", &c);
	g_assert_cmpstr(c.definitions_dir, ==, "/etc/gunyah/vms.d");
	g_assert_cmpstr(c.access_group, ==, "_x");
	g_assert_cmpuint(c.ipa_bits, ==, 48);
	g_assert_cmpuint(c.limits.max_vms, ==, 1);
	g_assert_cmpuint(c.limits.max_regions, ==, 512);
	g_assert_cmpuint(c.limits.max_definition_size, ==, 1024 * 1024);
	g_assert_cmpuint(c.restart.backoff_usec, ==, 0);
	g_assert_cmpuint(c.restart.backoff_max_usec, ==, 0);
	config_done(&c);

	parse_ok("version: 1\nipa-bits: 32\nlimits: { max-vms: 63, max-definition-size: 1K }\n"
		 "restart: { backoff: 5s, backoff-max: 5s }\n", &c);
	g_assert_cmpuint(c.ipa_bits, ==, 32);
	g_assert_cmpuint(c.limits.max_vms, ==, 63);
	g_assert_cmpuint(c.limits.max_definition_size, ==, 1024);
	g_assert_cmpuint(c.restart.backoff_usec, ==, 5 * SEC);
	g_assert_cmpuint(c.restart.backoff_max_usec, ==, 5 * SEC);
	config_done(&c);

	/* Without ret: validation only. */
	g_assert_cmpint(config_parse_string("x", BASE, strlen(BASE), NULL, NULL), ==, 0);
}

static void test_group_names(void)
{
	g_autofree char *g32 = g_strnfill(32, 'g'), *g33 = g_strnfill(33, 'g');
	static const char *const good[] = { "gunyah", "_", "a", "a-b_9", "_0-" };
	static const char *const bad[] = { "Gunyah", "1abc", "-x", "a b", "a.b", "a:b", "é" };
	struct config c;

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree char *y = g_strdup_printf(BASE "access-group: '%s'\n", good[i]);

		parse_ok(y, &c);
		g_assert_cmpstr(c.access_group, ==, good[i]);
		config_done(&c);
	}
	{
		g_autofree char *y = g_strdup_printf(BASE "access-group: %s\n", g32);

		parse_ok(y, &c);
		g_assert_cmpstr(c.access_group, ==, g32);
		config_done(&c);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *y = g_strdup_printf(BASE "access-group: '%s'\n", bad[i]);

		expect_one(y, 2, 15, "access-group", "invalid group name");
	}
	{
		g_autofree char *y = g_strdup_printf(BASE "access-group: %s\n", g33);

		expect_one(y, 2, 15, "access-group",
			   "1 to 32 characters from a-z 0-9 _ -, starting with a-z or _");
	}
}

/* ------------------------------------------------------------------ */
/* Rejections: one class each */

static void test_reject_unknown_key(void)
{
	expect_one(BASE "limts:\n  max-vms: 3\n", 2, 1, "limts",
		   "unknown key 'limts'; did you mean 'limits'?");
	expect_one(BASE "limits:\n  max-vm: 3\n", 3, 3, "limits.max-vm",
		   "unknown key 'max-vm'; did you mean 'max-vms'?");
	expect_one(BASE "restart: { backof: 2s }\n", 2, 12, "restart.backof",
		   "did you mean 'backoff'?");
	expect_one(BASE "access_group: gunyah\n", 2, 1, "access_group",
		   "did you mean 'access-group'?");
	/* Nothing close: no suggestion. */
	expect_one(BASE "backend: kernel\n", 2, 1, "backend", "unknown key 'backend'");
	{
		struct def_diags d = {};

		parse_bad(BASE "backend: kernel\n", &d);
		g_assert_null(strstr(d.items[0].message, "did you mean"));
		def_diags_clear(&d);
	}
	/* VM definition keys are not config keys. */
	expect_one(BASE "name: x\n", 2, 1, "name", "unknown key 'name'");
}

static void test_reject_duplicate_key(void)
{
	expect_one(BASE "ipa-bits: 40\nipa-bits: 40\n", 3, 1, "ipa-bits",
		   "duplicate key 'ipa-bits' (first at line 2, column 1)");
	expect_one(BASE "limits:\n  max-vms: 2\n  max-vms: 3\n", 4, 3, "limits.max-vms",
		   "duplicate key 'max-vms' (first at line 3, column 3)");
	expect_one("version: 1\nversion: 1\n", 2, 1, "version", "duplicate key 'version'");
}

static void test_reject_wrong_type(void)
{
	expect_one(BASE "ipa-bits: \"40\"\n", 2, 11, "ipa-bits",
		   "expected an integer, got the quoted string '40'");
	expect_one(BASE "ipa-bits: forty\n", 2, 11, "ipa-bits", "expected an integer, got 'forty'");
	expect_one(BASE "ipa-bits: 40.5\n", 2, 11, "ipa-bits", "expected an integer");
	expect_one(BASE "limits: 5\n", 2, 9, "limits", "expected a mapping, got '5'");
	expect_one(BASE "limits: [1]\n", 2, 9, "limits", "expected a mapping, got a sequence");
	expect_one(BASE "restart:\n", 2, 9, "restart",
		   "expected a mapping, got null (a value is required)");
	expect_one(BASE "definitions: [/a]\n", 2, 14, "definitions",
		   "expected a string, got a sequence");
	expect_one(BASE "definitions:\n", 2, 13, "definitions", "got null (a value is required)");
	expect_one(BASE "access-group: { a: b }\n", 2, 15, "access-group",
		   "expected a group name, got a mapping");
	expect_one(BASE "limits: { max-vms: many }\n", 2, 20, "limits.max-vms",
		   "expected an integer, got 'many'");
	expect_one(BASE "limits: { max-guest-memory: lots }\n", 2, 29, "limits.max-guest-memory",
		   "invalid size 'lots'");
	expect_one(BASE "limits: { max-guest-memory: 1.5G }\n", 2, 29,
		   "limits.max-guest-memory", "invalid size '1.5G'");
	expect_one(BASE "limits: { max-guest-memory: 16777216T }\n", 2, 29,
		   "limits.max-guest-memory", "does not fit in 64 bits");
	expect_one(BASE "limits: { max-definition-size: -1 }\n", 2, 32,
		   "limits.max-definition-size", "invalid size '-1'");
	expect_one(BASE "restart: { backoff: soon }\n", 2, 21, "restart.backoff",
		   "invalid duration 'soon'");
	expect_one(BASE "restart:\n  backoff-max: 1m30s\n", 3, 16, "restart.backoff-max",
		   "invalid duration '1m30s'");
	expect_one("version: '1'\n", 1, 10, "version",
		   "expected an integer, got the quoted string '1'");
	expect_one(BASE "definitions: \"/a\\0b\"\n", 2, 14, "definitions",
		   "must not contain NUL characters");
	expect_one(BASE "definitions: \"/a\\tb\"\n", 2, 14, "definitions",
		   "must not contain control characters");
}

/* console: sizes in range, an absolute log directory or "" for none. */
static void test_console(void)
{
	struct config c;

	parse_ok("version: 1\nconsole:\n  ring-size: 1M\n  log-dir: /srv/log\n"
		 "  log-max-size: 8K\n", &c);
	g_assert_cmpuint(c.console.ring_size, ==, 1024 * 1024);
	g_assert_cmpstr(c.console.log_dir, ==, "/srv/log");
	g_assert_cmpuint(c.console.log_max_size, ==, 8192);
	config_done(&c);
	parse_ok("version: 1\nconsole:\n  log-dir: \"\"\n", &c);
	g_assert_null(c.console.log_dir);
	config_done(&c);
	expect_one(BASE "console:\n  ring-size: 1K\n", 3, 14, "console.ring-size",
		   "must be between 4K and 16M, got 1K");
	expect_one(BASE "console:\n  ring-size: 32M\n", 3, 14, "console.ring-size",
		   "must be between 4K and 16M, got 32M");
	expect_one(BASE "console:\n  log-max-size: 100\n", 3, 17, "console.log-max-size",
		   "must be at least 4K, got 100");
	expect_one(BASE "console:\n  log-dir: logs\n", 3, 12, "console.log-dir",
		   "'logs' is not an absolute path");
}

static void test_reject_out_of_range(void)
{
	expect_one(BASE "ipa-bits: 31\n", 2, 11, "ipa-bits", "must be between 32 and 48, got 31");
	expect_one(BASE "ipa-bits: 49\n", 2, 11, "ipa-bits", "must be between 32 and 48, got 49");
	expect_one(BASE "ipa-bits: -36\n", 2, 11, "ipa-bits", "must be between 32 and 48");
	expect_one(BASE "ipa-bits: 99999999999999999999\n", 2, 11, "ipa-bits",
		   "must be between 32 and 48");
	expect_one(BASE "limits:\n  max-vms: 0\n", 3, 12, "limits.max-vms",
		   "must be between 1 and 63, got 0");
	expect_one(BASE "limits:\n  max-vms: 64\n", 3, 12, "limits.max-vms",
		   "must be between 1 and 63, got 64");
	expect_one(BASE "limits:\n  max-regions: -1\n", 3, 16, "limits.max-regions",
		   "must be between 0 and 512, got -1");
	expect_one(BASE "limits:\n  max-regions: 513\n", 3, 16, "limits.max-regions",
		   "must be between 0 and 512, got 513");
	expect_one(BASE "limits:\n  max-definition-size: 1023\n", 3, 24,
		   "limits.max-definition-size", "must be between 1K and 1M, got 1023");
	expect_one(BASE "limits:\n  max-definition-size: 1048577\n", 3, 24,
		   "limits.max-definition-size", "must be between 1K and 1M, got 1048577");
	expect_one(BASE "limits:\n  max-definition-size: 2M\n", 3, 24,
		   "limits.max-definition-size", "must be between 1K and 1M, got 2M");
	expect_one(BASE "limits:\n  max-definition-size: 0\n", 3, 24,
		   "limits.max-definition-size", "must be between 1K and 1M, got 0");
	expect_one(BASE "restart: { backoff: 99999999999999h }\n", 2, 21, "restart.backoff",
		   "is too long");
}

static void test_reject_backoff(void)
{
	/* Both given: at backoff-max, naming backoff's value. */
	expect_one(BASE "restart:\n  backoff: 10s\n  backoff-max: 5s\n", 4, 16,
		   "restart.backoff-max", "must not be shorter than restart.backoff (10s)");
	expect_one(BASE "restart: { backoff-max: 1500ms, backoff: 2s }\n", 2, 25,
		   "restart.backoff-max", "must not be shorter than restart.backoff (2s)");
	/* Only backoff-max: compared with backoff's default. */
	expect_one(BASE "restart:\n  backoff-max: 500ms\n", 3, 16, "restart.backoff-max",
		   "must not be shorter than restart.backoff (1s)");
	/* Only backoff: compared with backoff-max's default, reported at backoff. */
	expect_one(BASE "restart:\n  backoff: 2m\n", 3, 12, "restart.backoff",
		   "must not be longer than restart.backoff-max (1m by default)");
	expect_one(BASE "restart:\n  backoff: 61s\n", 3, 12, "restart.backoff",
		   "restart.backoff-max (1m by default)");
	/* An invalid one is reported once, not compared. */
	expect_one(BASE "restart:\n  backoff: x\n  backoff-max: 1ms\n", 3, 12, "restart.backoff",
		   "invalid duration 'x'");
}

static void test_reject_relative_path(void)
{
	expect_one(BASE "definitions: etc/gunyah/vms.d\n", 2, 14, "definitions",
		   "'etc/gunyah/vms.d' is not an absolute path");
	expect_one(BASE "definitions: ./vms.d\n", 2, 14, "definitions", "is not an absolute path");
	expect_one(BASE "definitions: ''\n", 2, 14, "definitions", "must not be empty");
	expect_one(BASE "definitions: fd:defs\n", 2, 14, "definitions",
		   "'fd:defs' is not an absolute path");
}

static void test_reject_version(void)
{
	expect_one("version: 2\n", 1, 10, "version",
		   "unsupported schema version 2: this gunyahd reads version 1");
	expect_one("version: 0\n", 1, 10, "version", "unsupported schema version 0");
	expect_one("ipa-bits: 40\n", 1, 1, "version", "missing required key 'version'");
	expect_one("limits: {}\nversion:\n", 2, 9, "version", "got null (a value is required)");
}

static void test_reject_anchors(void)
{
	struct def_diags d = {};

	expect_one(BASE "access-group: &g gunyah\n", 2, 15, "access-group",
		   "anchors (&g) are not allowed");
	expect_one(BASE "limits: !!map { max-vms: 1 }\n", 2, 9, "limits",
		   "tags (tag:yaml.org,2002:map) are not allowed");

	/* The alias is reported once and never expanded. */
	parse_bad(BASE "definitions: &d /srv/vms\nlimits: { max-vms: *d }\n", &d);
	g_assert_cmpuint(d.n, ==, 2);
	assert_diag(&d.items[0], 2, 14, "definitions", "anchors (&d) are not allowed");
	assert_diag(&d.items[1], 3, 20, "limits.max-vms", "aliases (*d) are not allowed");
	def_diags_clear(&d);
}

static void test_reject_document(void)
{
	g_autofree char *big = NULL;
	struct def_diags d = {};
	struct config c;
	size_t n = CONFIG_MAX_SIZE + 1;

	expect_one("", 1, 1, "", "the document is empty");
	expect_one("# all defaults?\n", 1, 1, "", "the document is empty");
	expect_one("- version: 1\n", 1, 1, "",
		   "expected a mapping of keys at the top level, got a sequence");
	expect_one(BASE "---\nversion: 1\n", 2, 1, "",
		   "gunyahd.yaml holds exactly one YAML document; found a second one");
	expect_one(BASE "limits: { max-vms: 1\n", 3, 1, "",
		   "syntax error: did not find expected ',' or '}'");

	/* Over 64 KiB: refused before parsing. */
	big = g_malloc(n + 1);
	memset(big, '#', n);
	memcpy(big, BASE, strlen(BASE));
	big[n] = '\0';
	fill_sentinel(&c);
	g_assert_cmpint(config_parse_string("big.yaml", big, n, &c, &d), ==, -EINVAL);
	assert_sentinel(&c);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "the document is 65537 bytes, over the limit of 65536");
	def_diags_clear(&d);

	g_assert_cmpint(config_parse_string("x", NULL, 1, &c, NULL), ==, -EINVAL);
	assert_sentinel(&c);
}

/* ------------------------------------------------------------------ */
/* Several problems: all of them, in document order */

static void test_many_errors(void)
{
	struct def_diags d = {};

	parse_bad("restart:\n"			/* 1 */
		  "  backoff-max: 1s\n"		/* 2 */
		  "  backoff: 5s\n"		/* 3: backoff-max < backoff, reported at 2:16 */
		  "version: 2\n"		/* 4 */
		  "definitions: vms.d\n"		/* 5 */
		  "ipa-bits: 64\n"		/* 6 */
		  "limits:\n"			/* 7 */
		  "  max-vms: 100\n"		/* 8 */
		  "  max-region: 4\n"		/* 9 */
		  "  max-definition-size: 2M\n"	/* 10 */
		  "access-group: Wheel\n"		/* 11 */
		  "ipa-bits: 40\n",		/* 12 */
		  &d);
	g_assert_cmpuint(d.n, ==, 9);
	assert_diag(&d.items[0], 2, 16, "restart.backoff-max", "must not be shorter");
	assert_diag(&d.items[1], 4, 10, "version", "unsupported schema version 2");
	assert_diag(&d.items[2], 5, 14, "definitions", "not an absolute path");
	assert_diag(&d.items[3], 6, 11, "ipa-bits", "must be between 32 and 48");
	assert_diag(&d.items[4], 8, 12, "limits.max-vms", "must be between 1 and 63");
	assert_diag(&d.items[5], 9, 3, "limits.max-region", "did you mean 'max-regions'?");
	assert_diag(&d.items[6], 10, 24, "limits.max-definition-size", "between 1K and 1M");
	assert_diag(&d.items[7], 11, 15, "access-group", "invalid group name 'Wheel'");
	assert_diag(&d.items[8], 12, 1, "ipa-bits", "duplicate key 'ipa-bits'");

	/* Appended after what the caller had, and formatted like definitions' problems. */
	parse_bad("version: 3\n", &d);
	g_assert_cmpuint(d.n, ==, 10);
	assert_diag(&d.items[9], 1, 10, "version", "unsupported");
	{
		g_autofree char *s = def_diag_format("/etc/gunyah/gunyahd.yaml", &d.items[3]);

		g_assert_cmpstr(s, ==,
				"/etc/gunyah/gunyahd.yaml:6:11: ipa-bits: must be between 32 and 48, got 64");
	}
	def_diags_clear(&d);
}

/* ------------------------------------------------------------------ */
/* Files */

static char *write_temp(const char *text)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd;

	fd = g_file_open_tmp("test-config-XXXXXX.yaml", &path, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
	return path;
}

static void test_file_ok(void)
{
	g_autofree char *path = write_temp(BASE "ipa-bits: 44\n");
	struct def_diags d = {};
	struct config c;

	g_assert_cmpint(config_parse_file(path, &c, &d), ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	g_assert_cmpuint(c.ipa_bits, ==, 44);
	config_done(&c);
	g_unlink(path);
}

static void test_file_missing(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-config-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "gunyahd.yaml", NULL);
	struct def_diags d = {};
	struct config c;

	/* No diagnostic and nothing written: the daemon falls back to the defaults. */
	fill_sentinel(&c);
	g_assert_cmpint(config_parse_file(path, &c, &d), ==, -ENOENT);
	g_assert_cmpuint(d.n, ==, 0);
	assert_sentinel(&c);
	g_assert_cmpint(config_parse_file(path, &c, NULL), ==, -ENOENT);
	assert_sentinel(&c);

	/* A missing directory on the way is missing too. */
	{
		g_autofree char *deeper = g_build_filename(dir, "no", "gunyahd.yaml", NULL);

		g_assert_cmpint(config_parse_file(deeper, &c, &d), ==, -ENOENT);
		g_assert_cmpuint(d.n, ==, 0);
	}
	g_assert_cmpint(config_parse_file(NULL, &c, &d), ==, -EINVAL);

	/* config_load(): the defaults for the default path, an error for an explicit one. */
	g_assert_cmpint(config_load(path, true, &c, &d), ==, -ENOENT);
	assert_sentinel(&c);
	g_assert_cmpint(config_load(path, false, &c, &d), ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	g_assert_cmpstr(c.definitions_dir, ==, GUNYAHD_DEFINITIONS_DIR);
	g_assert_cmpuint(c.limits.max_vms, ==, CONFIG_MAX_VMS);
	config_done(&c);

	/* Any other error has its diagnostic, as for definitions, required or not. */
	fill_sentinel(&c);
	g_assert_cmpint(config_parse_file(dir, &c, &d), ==, -EISDIR);
	assert_sentinel(&c);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "is a directory, not a regular file");
	def_diags_clear(&d);
	g_assert_cmpint(config_load(dir, false, &c, &d), ==, -EISDIR);
	assert_sentinel(&c);
	g_assert_cmpuint(d.n, ==, 1);
	def_diags_clear(&d);
	g_rmdir(dir);
}

static void test_file_invalid(void)
{
	g_autofree char *path = write_temp(BASE "ipa-bits: 12\n");
	struct def_diags d = {};
	struct config c;

	fill_sentinel(&c);
	g_assert_cmpint(config_parse_file(path, &c, &d), ==, -EINVAL);
	assert_sentinel(&c);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 2, 11, "ipa-bits", "must be between 32 and 48, got 12");
	def_diags_clear(&d);
	g_unlink(path);
}

static void test_file_oversized(void)
{
	g_autofree char *text = g_strnfill(CONFIG_MAX_SIZE + 1, '#');
	g_autofree char *path = NULL;
	struct def_diags d = {};
	struct config c;

	memcpy(text, BASE, strlen(BASE));
	path = write_temp(text);
	fill_sentinel(&c);
	g_assert_cmpint(config_parse_file(path, &c, &d), ==, -EFBIG);
	assert_sentinel(&c);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "the file is 65537 bytes, over the limit of 65536");
	def_diags_clear(&d);
	g_unlink(path);

	/* Exactly at the limit is fine. */
	text[CONFIG_MAX_SIZE] = '\0';
	g_free(path);
	path = write_temp(text);
	g_assert_cmpint(config_parse_file(path, &c, &d), ==, 0);
	config_done(&c);
	g_unlink(path);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/config/valid/defaults", test_defaults);
	g_test_add_func("/config/valid/shipped", test_shipped);
	g_test_add_func("/config/valid/full", test_full);
	g_test_add_func("/config/valid/group-names", test_group_names);
	g_test_add_func("/config/console", test_console);
	g_test_add_func("/config/reject/unknown-key", test_reject_unknown_key);
	g_test_add_func("/config/reject/duplicate-key", test_reject_duplicate_key);
	g_test_add_func("/config/reject/wrong-type", test_reject_wrong_type);
	g_test_add_func("/config/reject/out-of-range", test_reject_out_of_range);
	g_test_add_func("/config/reject/backoff", test_reject_backoff);
	g_test_add_func("/config/reject/relative-path", test_reject_relative_path);
	g_test_add_func("/config/reject/version", test_reject_version);
	g_test_add_func("/config/reject/anchors", test_reject_anchors);
	g_test_add_func("/config/reject/document", test_reject_document);
	g_test_add_func("/config/reject/many-errors", test_many_errors);
	g_test_add_func("/config/file/ok", test_file_ok);
	g_test_add_func("/config/file/missing", test_file_missing);
	g_test_add_func("/config/file/invalid", test_file_invalid);
	g_test_add_func("/config/file/oversized", test_file_oversized);

	return g_test_run();
}
