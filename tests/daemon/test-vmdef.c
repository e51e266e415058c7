/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/def/vmdef.c: every key of schema version 1, defaults,
 * size and duration syntax, one test per rejection class (each asserting
 * the exact line, column and key of the diagnostic), file handling and
 * the string tables.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmdef.h"
#include "ydoc.h"
#include "test-diag.h"

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR must name tests/daemon"
#endif

#define FULL_YAML TEST_SRCDIR "/vmdef/full.yaml"

/* A minimal valid definition; lines 1-5, so appended text starts on line 6. */
#define BASE_PREFIX "version: 1\nname: t\nmemory:\n  size: 16M\n"
#define BASE BASE_PREFIX "kernel: /vm/Image\n"
#define BASE_TRANSIENT BASE_PREFIX "kernel: fd:kernel\n"
/* printf formats of documents with one long value. */
#define NAME_DOC "version: 1\nname: %s\nmemory:\n  size: 16M\nkernel: /k\n"
#define IMAGE_NAME_DOC BASE "devicetree: { image-name: %s }\n"

static const struct vmdef_parse_opts persistent = { .transient = false };
static const struct vmdef_parse_opts transient = { .transient = true };

static void dump_diags(const char *origin, const struct def_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		g_autofree char *s = def_diag_format(origin, &d->items[i]);

		g_test_message("  %s", s);
	}
}

static struct vmdef *parse_ok(const char *yaml, const struct vmdef_parse_opts *opts)
{
	struct def_diags d = {};
	struct vmdef *def = NULL;
	int r;

	r = vmdef_parse_string("test.yaml", yaml, strlen(yaml), opts, &def, &d);
	dump_diags("test.yaml", &d);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	g_assert_nonnull(def);
	def_diags_clear(&d);
	return def;
}

/* Parses an invalid document: -EINVAL, no definition, at least one diagnostic. */
static void parse_bad(const char *yaml, const struct vmdef_parse_opts *opts,
		      struct def_diags *d)
{
	struct vmdef *def = NULL;
	int r;

	r = vmdef_parse_string("test.yaml", yaml, strlen(yaml), opts, &def, d);
	dump_diags("test.yaml", d);
	g_assert_cmpint(r, ==, -EINVAL);
	g_assert_null(def);
	g_assert_cmpuint(d->n, >, 0);
}

/* The document has exactly one problem, and it is this one. */
static void expect_one(const char *yaml, const struct vmdef_parse_opts *opts, unsigned line,
		       unsigned column, const char *key, const char *message_part)
{
	struct def_diags d = {};

	parse_bad(yaml, opts, &d);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], line, column, key, message_part);
	def_diags_clear(&d);
}

static bool has_diag(const struct def_diags *d, unsigned line, unsigned column, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].line == line && d->items[i].column == column &&
		    strcmp(d->items[i].key, key) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Valid documents */

static void assert_full(const struct vmdef *def)
{
	g_assert_false(def->transient);
	g_assert_cmpstr(def->name, ==, "nav.cluster-2");
	g_assert_true(def->autostart);
	g_assert_cmpuint(def->vcpus, ==, 4);

	g_assert_cmphex(def->memory.base, ==, 0x40000000);
	g_assert_cmphex(def->memory.size, ==, 256ull << 20);
	g_assert_cmpint(def->memory.sharing, ==, VMDEF_SHARING_SHARED);
	g_assert_cmpuint(def->memory.access, ==, VMDEF_ACCESS_R | VMDEF_ACCESS_X);
	g_assert_cmpuint(def->memory.mark.line, ==, 7);
	g_assert_cmpuint(def->memory.mark.column, ==, 3);

	g_assert_cmpstr(def->kernel, ==, "/vm/nav/Image");
	g_assert_cmpuint(def->kernel_mark.line, ==, 11);
	g_assert_cmpuint(def->kernel_mark.column, ==, 9);
	g_assert_cmpstr(def->ramdisk, ==, "/vm/nav/initrd.img");
	g_assert_cmpuint(def->ramdisk_mark.line, ==, 12);
	g_assert_cmpuint(def->ramdisk_mark.column, ==, 10);
	g_assert_true(def->has_ramdisk_offset);
	g_assert_cmphex(def->ramdisk_offset, ==, 0x4000000);
	g_assert_cmpuint(def->ramdisk_offset_mark.line, ==, 13);
	g_assert_cmpuint(def->ramdisk_offset_mark.column, ==, 17);
	g_assert_cmpstr(def->cmdline, ==, "console=hvc0 root=/dev/ram0");

	g_assert_cmpstr(def->devicetree.image_name, ==, "nav-image");
	g_assert_cmpstr(def->devicetree.os_type, ==, "linux-rt");
	g_assert_cmpint(def->devicetree.affinity, ==, VMDEF_AFFINITY_PINNED);
	g_assert_cmpint(def->devicetree.sched_priority, ==, -7);
	g_assert_cmpuint(def->devicetree.sched_timeslice, ==, 5000);
	g_assert_cmphex(def->devicetree.gic_dist, ==, 0x3ff00000);
	g_assert_cmphex(def->devicetree.gic_redist, ==, 0x3fe00000);
	g_assert_cmpstr(def->devicetree.overlay, ==, "/vm/nav/extra.dtbo");
	g_assert_cmpuint(def->devicetree.overlay_mark.line, ==, 22);
	g_assert_cmpuint(def->devicetree.overlay_mark.column, ==, 12);
	g_assert_true(def->devicetree.has_offset);
	g_assert_cmphex(def->devicetree.offset, ==, 0x45f0008);
	g_assert_cmpuint(def->devicetree.offset_mark.line, ==, 23);
	g_assert_cmpuint(def->devicetree.offset_mark.column, ==, 11);
	g_assert_cmphex(def->devicetree.reserve, ==, 128 * 1024);
	g_assert_cmpuint(def->devicetree.mark.line, ==, 16);
	g_assert_cmpuint(def->devicetree.mark.column, ==, 3);

	g_assert_cmpuint(def->n_regions, ==, 2);
	g_assert_cmpuint(def->regions[0].label, ==, 1);
	g_assert_cmphex(def->regions[0].base, ==, 0xc0000000);
	g_assert_cmphex(def->regions[0].size, ==, 2 << 20);
	g_assert_cmpuint(def->regions[0].access, ==, VMDEF_ACCESS_R | VMDEF_ACCESS_W);
	g_assert_cmpint(def->regions[0].sharing, ==, VMDEF_SHARING_LENT);
	g_assert_cmpuint(def->regions[0].mark.line, ==, 26);
	g_assert_cmpuint(def->regions[0].mark.column, ==, 5);
	g_assert_cmpuint(def->regions[1].label, ==, UINT32_MAX);
	g_assert_cmphex(def->regions[1].base, ==, 0xd0000000);
	g_assert_cmphex(def->regions[1].size, ==, 4096);
	/* Region defaults: rw, shared. */
	g_assert_cmpuint(def->regions[1].access, ==, VMDEF_ACCESS_R | VMDEF_ACCESS_W);
	g_assert_cmpint(def->regions[1].sharing, ==, VMDEF_SHARING_SHARED);
	g_assert_cmpuint(def->regions[1].mark.line, ==, 31);
	g_assert_cmpuint(def->regions[1].mark.column, ==, 5);

	g_assert_cmpint(def->restart.policy, ==, VMDEF_RESTART_ON_FAILURE);
	g_assert_cmpuint(def->restart.burst, ==, 5);
	g_assert_cmpuint(def->restart.interval_usec, ==, 120ull * 1000000);
	g_assert_cmpuint(def->stop_timeout_usec, ==, 0);

	g_assert_true(def->has_sim);
	g_assert_true(def->sim.fail_start);
	g_assert_cmpint(def->sim.start_errno, ==, ETIMEDOUT);
	g_assert_cmpuint(def->sim.start_delay_usec, ==, 250000);
	g_assert_cmpuint(def->sim.exit_after_usec, ==, 1500);
	g_assert_cmpint(def->sim.exit_type, ==, VMDEF_EXIT_WATCHDOG_BITE);
	g_assert_cmpuint(def->sim.exit_code, ==, 255);
	g_assert_cmpint(def->sim.on_stop, ==, VMDEF_SIM_ON_STOP_IGNORE);
	g_assert_cmpuint(def->sim.stop_delay_usec, ==, 3600ull * 1000000);
}

static void test_full(void)
{
	g_autofree char *text = NULL;
	struct def_diags d = {};
	struct vmdef *def = NULL;
	gsize len;
	int r;

	r = vmdef_parse_file(FULL_YAML, NULL, &def, &d);
	dump_diags(FULL_YAML, &d);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	g_assert_cmpstr(def->origin, ==, FULL_YAML);
	assert_full(def);
	def = vmdef_free(def);
	g_assert_null(def);

	/* The same text through parse_string gives the same result. */
	g_assert_true(g_file_get_contents(FULL_YAML, &text, &len, NULL));
	r = vmdef_parse_string("<full>", text, len, NULL, &def, &d);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpstr(def->origin, ==, "<full>");
	assert_full(def);
	vmdef_free(def);
}

static void test_defaults(void)
{
	struct vmdef *def = parse_ok(BASE, NULL);

	g_assert_cmpstr(def->origin, ==, "test.yaml");
	g_assert_false(def->transient);
	g_assert_cmpstr(def->name, ==, "t");
	g_assert_false(def->autostart);
	g_assert_cmpuint(def->vcpus, ==, 1);
	g_assert_cmphex(def->memory.base, ==, VMDEF_DEFAULT_MEMORY_BASE);
	g_assert_cmphex(def->memory.size, ==, 16 << 20);
	g_assert_cmpint(def->memory.sharing, ==, VMDEF_SHARING_LENT);
	g_assert_cmpuint(def->memory.access, ==, VMDEF_ACCESS_RWX);
	g_assert_cmpint(def->memory.hugepages, ==, VMDEF_HUGEPAGES_AUTO);
	g_assert_cmpuint(def->memory.mark.line, ==, 4);
	g_assert_cmpuint(def->memory.mark.column, ==, 3);
	g_assert_cmpstr(def->kernel, ==, "/vm/Image");
	g_assert_cmpuint(def->kernel_mark.line, ==, 5);
	g_assert_cmpuint(def->kernel_mark.column, ==, 9);
	g_assert_null(def->ramdisk);
	g_assert_false(def->has_ramdisk_offset);
	g_assert_null(def->cmdline);
	g_assert_cmpstr(def->devicetree.image_name, ==, "t");
	g_assert_cmpstr(def->devicetree.os_type, ==, "linux");
	g_assert_cmpint(def->devicetree.affinity, ==, VMDEF_AFFINITY_STATIC);
	g_assert_cmpint(def->devicetree.sched_priority, ==, VMDEF_DEFAULT_SCHED_PRIORITY);
	g_assert_cmpuint(def->devicetree.sched_timeslice, ==, VMDEF_DEFAULT_SCHED_TIMESLICE);
	g_assert_cmphex(def->devicetree.gic_dist, ==, VMDEF_DEFAULT_GICD);
	g_assert_cmphex(def->devicetree.gic_redist, ==, VMDEF_DEFAULT_GICR);
	g_assert_null(def->devicetree.overlay);
	g_assert_false(def->devicetree.has_offset);
	g_assert_cmphex(def->devicetree.reserve, ==, VMDEF_DEFAULT_DTB_RESERVE);
	/* Without a devicetree key, its mark falls back to the top-level mapping. */
	g_assert_cmpuint(def->devicetree.mark.line, ==, 1);
	g_assert_cmpuint(def->devicetree.mark.column, ==, 1);
	g_assert_null(def->regions);
	g_assert_cmpuint(def->n_regions, ==, 0);
	g_assert_cmpint(def->restart.policy, ==, VMDEF_RESTART_NO);
	g_assert_cmpuint(def->restart.burst, ==, VMDEF_DEFAULT_RESTART_BURST);
	g_assert_cmpuint(def->restart.interval_usec, ==, VMDEF_DEFAULT_RESTART_INTERVAL_USEC);
	g_assert_cmpuint(def->stop_timeout_usec, ==, VMDEF_DEFAULT_STOP_TIMEOUT_USEC);
	g_assert_false(def->has_sim);
	vmdef_free(def);

	/* An empty simulate mapping turns the simulation on with its defaults. */
	def = parse_ok(BASE "simulate: {}\n", NULL);
	g_assert_true(def->has_sim);
	g_assert_false(def->sim.fail_start);
	g_assert_cmpint(def->sim.start_errno, ==, EIO);
	g_assert_cmpuint(def->sim.start_delay_usec, ==, 0);
	g_assert_cmpuint(def->sim.exit_after_usec, ==, 0);
	g_assert_cmpint(def->sim.exit_type, ==, VMDEF_EXIT_VM_EXIT);
	g_assert_cmpuint(def->sim.exit_code, ==, 0);
	g_assert_cmpint(def->sim.on_stop, ==, VMDEF_SIM_ON_STOP_POWEROFF);
	g_assert_cmpuint(def->sim.stop_delay_usec, ==, 0);
	g_assert_true(def->sim.console_echo);
	g_assert_false(def->sim.has_console_banner);
	g_assert_cmpuint(def->sim.console_flood, ==, 0);
	vmdef_free(def);

	def = parse_ok(BASE "simulate:\n  console-banner: \"hi\\nthere\\n\"\n"
		       "  console-echo: false\n  console-flood: 1M\n", NULL);
	g_assert_true(def->sim.has_console_banner);
	g_assert_cmpstr(def->sim.console_banner, ==, "hi\nthere\n");
	g_assert_false(def->sim.console_echo);
	g_assert_cmpuint(def->sim.console_flood, ==, 1024 * 1024);
	vmdef_free(def);
}

static void test_transient_ok(void)
{
	struct vmdef *def = parse_ok(BASE_TRANSIENT
				     "ramdisk: fd:initrd.img\n"
				     "devicetree: { overlay: fd:dtbo_1-x }\n", &transient);

	g_assert_true(def->transient);
	g_assert_cmpstr(def->kernel, ==, "fd:kernel");
	g_assert_cmpstr(def->ramdisk, ==, "fd:initrd.img");
	g_assert_cmpstr(def->devicetree.overlay, ==, "fd:dtbo_1-x");
	vmdef_free(def);
}

/* YAML 1.1 would read a plain `no` as false; here it is the policy "no". */
static void test_policy_no(void)
{
	struct vmdef *def;

	def = parse_ok(BASE "restart: { policy: always }\n", NULL);
	g_assert_cmpint(def->restart.policy, ==, VMDEF_RESTART_ALWAYS);
	vmdef_free(def);
	def = parse_ok(BASE "restart: { policy: no }\n", NULL);
	g_assert_cmpint(def->restart.policy, ==, VMDEF_RESTART_NO);
	vmdef_free(def);
	def = parse_ok(BASE "restart:\n  policy: \"no\"\n", NULL);
	g_assert_cmpint(def->restart.policy, ==, VMDEF_RESTART_NO);
	vmdef_free(def);
}

static void test_scalars(void)
{
	static const struct {
		const char *text;
		bool value;
	} bools[] = {
		{ "true", true }, { "True", true }, { "TRUE", true },
		{ "yes", true }, { "Yes", true }, { "YES", true },
		{ "false", false }, { "False", false }, { "FALSE", false },
		{ "no", false }, { "No", false }, { "NO", false },
	};
	struct vmdef *def;

	for (size_t i = 0; i < G_N_ELEMENTS(bools); i++) {
		g_autofree char *y = g_strdup_printf(BASE "autostart: %s\n", bools[i].text);

		def = parse_ok(y, NULL);
		g_assert_cmpint(def->autostart, ==, bools[i].value);
		vmdef_free(def);
	}

	/* Quoted keys are fine; quoted strings keep their text; hex integers. */
	def = parse_ok(BASE "\"vcpus\": 0x10\ncmdline: ''\n"
		       "devicetree: { sched-priority: -32, sched-timeslice: 100 }\n", NULL);
	g_assert_cmpuint(def->vcpus, ==, 16);
	g_assert_cmpstr(def->cmdline, ==, "");
	g_assert_cmpint(def->devicetree.sched_priority, ==, -32);
	g_assert_cmpuint(def->devicetree.sched_timeslice, ==, 100);
	g_assert_cmpuint(def->devicetree.n_affinity_map, ==, 0);
	vmdef_free(def);

	/* affinity-map: one physical CPU per vCPU, in order; kept by a copy. */
	def = parse_ok(BASE "vcpus: 3\ndevicetree:\n  affinity-map: [4, 5, 4]\n", NULL);
	{
		struct vmdef *copy = NULL;

		g_assert_cmpint(vmdef_dup(def, &copy), ==, 0);
		g_assert_cmpuint(copy->devicetree.n_affinity_map, ==, 3);
		g_assert_cmpuint(copy->devicetree.affinity_map[0], ==, 4);
		g_assert_cmpuint(copy->devicetree.affinity_map[1], ==, 5);
		g_assert_cmpuint(copy->devicetree.affinity_map[2], ==, 4);
		vmdef_free(copy);
	}
	vmdef_free(def);

	/* A plain scalar that looks like a boolean or number is a string where a string is due. */
	def = parse_ok("version: 1\nname: 123\nmemory: { size: \"4K\" }\nkernel: /k\n"
		       "cmdline: true\n", NULL);
	g_assert_cmpstr(def->name, ==, "123");
	g_assert_cmpstr(def->cmdline, ==, "true");
	g_assert_cmphex(def->memory.size, ==, 4096);
	vmdef_free(def);
}

/* ------------------------------------------------------------------ */
/* Sizes and durations */

static void test_sizes(void)
{
	static const struct {
		const char *text;
		int r;
		uint64_t value;
	} t[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "0x1000", 0, 0x1000 },
		{ "0xABCdef", 0, 0xabcdef },
		{ "0x0010", 0, 0x10 },
		{ "64K", 0, 64ull << 10 },
		{ "256M", 0, 256ull << 20 },
		{ "2G", 0, 2ull << 30 },
		{ "1T", 0, 1ull << 40 },
		{ "64KiB", 0, 64ull << 10 },
		{ "3MiB", 0, 3ull << 20 },
		{ "1GiB", 0, 1ull << 30 },
		{ "2TiB", 0, 2ull << 40 },
		{ "0K", 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "0xffffffffffffffff", 0, UINT64_MAX },
		{ "16777215T", 0, 16777215ull << 40 },
		{ "32768T", 0, 32768ull << 40 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "0x10000000000000000", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
		{ "99999999999999999999K", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "64 K", -EINVAL, 0 },
		{ "64k", -EINVAL, 0 },
		{ "64KB", -EINVAL, 0 },
		{ "64Ki", -EINVAL, 0 },
		{ "1.5M", -EINVAL, 0 },
		{ "010", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
		{ "0X10", -EINVAL, 0 },
		{ "0x10M", -EINVAL, 0 },
		{ "0xg", -EINVAL, 0 },
		{ "1_000", -EINVAL, 0 },
		{ "99999999999999999999x", -EINVAL, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		uint64_t v = 0xdeadbeef;
		int r = ydoc_parse_size(t[i].text, &v);

		g_test_message("size '%s'", t[i].text);
		g_assert_cmpint(r, ==, t[i].r);
		/* Untouched on failure. */
		g_assert_cmphex(v, ==, r == 0 ? t[i].value : 0xdeadbeef);
	}
	g_assert_cmpint(ydoc_parse_size(NULL, &(uint64_t) { 0 }), ==, -EINVAL);
}

static void test_durations(void)
{
	static const struct {
		const char *text;
		int r;
		uint64_t usec;
	} t[] = {
		{ "0", 0, 0 },
		{ "30", 0, 30000000 },
		{ "1500us", 0, 1500 },
		{ "250ms", 0, 250000 },
		{ "30s", 0, 30000000 },
		{ "2m", 0, 120000000 },
		{ "1h", 0, 3600000000ull },
		{ "0ms", 0, 0 },
		{ "18446744073709551615us", 0, UINT64_MAX },
		{ "18446744073709s", 0, 18446744073709000000ull },
		{ "18446744073710s", -ERANGE, 0 },
		{ "18446744073710", -ERANGE, 0 },
		{ "5124095576h", 0, 18446744073600000000ull },
		{ "5124095577h", -ERANGE, 0 },
		{ "18446744073709551616us", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "1 s", -EINVAL, 0 },
		{ "1S", -EINVAL, 0 },
		{ "1d", -EINVAL, 0 },
		{ "1min", -EINVAL, 0 },
		{ "1m30s", -EINVAL, 0 },
		{ "0x10s", -EINVAL, 0 },
		{ "05s", -EINVAL, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		uint64_t v = 0xdeadbeef;
		int r = ydoc_parse_duration(t[i].text, &v);

		g_test_message("duration '%s'", t[i].text);
		g_assert_cmpint(r, ==, t[i].r);
		g_assert_cmpuint(v, ==, r == 0 ? t[i].usec : 0xdeadbeef);
	}
	g_assert_cmpint(ydoc_parse_duration(NULL, &(uint64_t) { 0 }), ==, -EINVAL);
}

static void test_names(void)
{
	static const char *const good[] = { "a", "Z", "0", "nav", "nav.cluster-2_x", "9-" };
	static const char *const bad[] = {
		"", "-a", ".a", "_a", "a b", "a/b", "a:b", "\xc3\xa4", "a\n",
	};
	g_autofree char *longest = g_strnfill(VMDEF_NAME_MAX, 'n');
	g_autofree char *too_long = g_strnfill(VMDEF_NAME_MAX + 1, 'n');

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(vmdef_name_is_valid(good[i]));
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(vmdef_name_is_valid(bad[i]));
	g_assert_true(vmdef_name_is_valid(longest));
	g_assert_false(vmdef_name_is_valid(too_long));
	g_assert_false(vmdef_name_is_valid(NULL));
}

/* ------------------------------------------------------------------ */
/* Rejections: one class each, exact position and key */

static void test_reject_unknown_key(void)
{
	expect_one(BASE "vcpu: 2\n", NULL, 6, 1, "vcpu",
		   "unknown key 'vcpu'; did you mean 'vcpus'?");
	expect_one(BASE "stop_timeout: 1s\n", NULL, 6, 1, "stop_timeout",
		   "did you mean 'stop-timeout'?");
	expect_one(BASE "devicetree:\n  os-type: linux\n  imagename: x\n", NULL, 8, 3,
		   "devicetree.imagename", "did you mean 'image-name'?");
	expect_one(BASE "regions:\n  - { label: 1, base: 0, size: 4K, colour: red }\n", NULL,
		   7, 36, "regions[0].colour", "unknown key 'colour'");
	/* Nothing close: no suggestion. */
	{
		struct def_diags d = {};

		parse_bad(BASE "hypervisor: gunyah\n", NULL, &d);
		g_assert_cmpuint(d.n, ==, 1);
		assert_diag(&d.items[0], 6, 1, "hypervisor", "unknown key 'hypervisor'");
		g_assert_null(strstr(d.items[0].message, "did you mean"));
		def_diags_clear(&d);
	}
	/* Control characters in a key are escaped, not copied into the message. */
	expect_one(BASE "\"a\\eb\": 1\n", NULL, 6, 1, "a\\x1bb", "unknown key 'a\\x1bb'");
}

static void test_reject_duplicate_key(void)
{
	expect_one(BASE "name: u\n", NULL, 6, 1, "name",
		   "duplicate key 'name' (first at line 2, column 1)");
	expect_one("version: 1\nname: t\nmemory:\n  size: 16M\n  size: 32M\nkernel: /k\n", NULL,
		   5, 3, "memory.size", "duplicate key 'size' (first at line 4, column 3)");
}

static void test_reject_wrong_type(void)
{
	expect_one(BASE "regions: { label: 1 }\n", NULL, 6, 10, "regions",
		   "expected a sequence, got a mapping");
	expect_one(BASE "devicetree: [1]\n", NULL, 6, 13, "devicetree",
		   "expected a mapping, got a sequence");
	expect_one("version: 1\nname: t\nmemory: 16M\nkernel: /k\n", NULL, 3, 9, "memory",
		   "expected a mapping, got '16M'");
	expect_one(BASE "vcpus: two\n", NULL, 6, 8, "vcpus", "expected an integer, got 'two'");
	expect_one(BASE "vcpus: 2.0\n", NULL, 6, 8, "vcpus", "expected an integer, got '2.0'");
	expect_one(BASE "vcpus: \"2\"\n", NULL, 6, 8, "vcpus",
		   "expected an integer, got the quoted string '2'");
	expect_one(BASE "vcpus: [2]\n", NULL, 6, 8, "vcpus", "expected an integer, got a sequence");
	expect_one(BASE "autostart: maybe\n", NULL, 6, 12, "autostart",
		   "expected a boolean (true, false, yes or no), got 'maybe'");
	expect_one(BASE "autostart: on\n", NULL, 6, 12, "autostart", "expected a boolean");
	expect_one(BASE "autostart: 'true'\n", NULL, 6, 12, "autostart",
		   "got the quoted string 'true'");
	expect_one(BASE "cmdline: { a: b }\n", NULL, 6, 10, "cmdline",
		   "expected a string, got a mapping");
	expect_one(BASE "regions: [ 5 ]\n", NULL, 6, 12, "regions[0]",
		   "expected a mapping, got '5'");
	expect_one(BASE "{ a: 1 }: 2\n", NULL, 6, 1, "", "keys must be strings, got a mapping");
	expect_one("[a, b]\n", NULL, 1, 1, "", "expected a mapping of keys at the top level");
	expect_one(BASE "cmdline: !!str x\n", NULL, 6, 10, "cmdline", "tags");
	expect_one(BASE "cmdline: \"a\\0b\"\n", NULL, 6, 10, "cmdline", "NUL");
}

static void test_reject_null(void)
{
	expect_one(BASE "cmdline: ~\n", NULL, 6, 10, "cmdline",
		   "expected a string, got null (a value is required)");
	expect_one(BASE "vcpus:\n", NULL, 6, 7, "vcpus", "got null");
	expect_one(BASE "devicetree: null\n", NULL, 6, 13, "devicetree",
		   "expected a mapping, got null");
	expect_one("version: 1\nname: t\nmemory:\n  size: 16M\nkernel: NULL\n", NULL, 5, 9,
		   "kernel", "got null");
	/* Quoted, it is a string: here a relative path. */
	expect_one("version: 1\nname: t\nmemory:\n  size: 16M\nkernel: 'null'\n", NULL, 5, 9,
		   "kernel", "'null' is not an absolute path");
}

static void test_reject_missing(void)
{
	/* Reported at the parent mapping, under the missing key's full path. */
	expect_one("version: 1\nname: t\nmemory:\n  base: 0x80000000\nkernel: /k\n", NULL, 4, 3,
		   "memory.size", "missing required key 'size'");
	expect_one("version: 1\nname: t\nmemory: { size: 4K }\n", NULL, 1, 1, "kernel",
		   "missing required key 'kernel'");
	expect_one(BASE "regions:\n  - label: 1\n    size: 4K\n", NULL, 7, 5, "regions[0].base",
		   "missing required key 'base'");
	{
		struct def_diags d = {};

		parse_bad("cmdline: x\n", NULL, &d);
		g_assert_cmpuint(d.n, ==, 4);
		assert_diag(&d.items[0], 1, 1, "version", "missing required key 'version'");
		assert_diag(&d.items[1], 1, 1, "name", "missing required key 'name'");
		assert_diag(&d.items[2], 1, 1, "memory", "missing required key 'memory'");
		assert_diag(&d.items[3], 1, 1, "kernel", "missing required key 'kernel'");
		def_diags_clear(&d);
	}
}

static void test_reject_out_of_range(void)
{
	expect_one(BASE "vcpus: 65\n", NULL, 6, 8, "vcpus", "must be between 1 and 64, got 65");
	expect_one(BASE "vcpus: 0\n", NULL, 6, 8, "vcpus", "must be between 1 and 64, got 0");
	expect_one(BASE "vcpus: -1\n", NULL, 6, 8, "vcpus", "must be between 1 and 64");
	expect_one(BASE "devicetree:\n  sched-timeslice: 99\n", NULL, 7, 20,
		   "devicetree.sched-timeslice", "must be between 100 and 100000, got 99");
	expect_one(BASE "devicetree: { sched-timeslice: 100001 }\n", NULL, 6, 32,
		   "devicetree.sched-timeslice", "must be between 100 and 100000");
	expect_one(BASE "devicetree: { sched-priority: 0 }\n", NULL, 6, 31,
		   "devicetree.sched-priority", "must be negative (-32 to -1): the RM denies");
	expect_one(BASE "devicetree: { sched-priority: 5 }\n", NULL, 6, 31,
		   "devicetree.sched-priority", "must be negative");
	expect_one(BASE "devicetree: { sched-priority: -33 }\n", NULL, 6, 31,
		   "devicetree.sched-priority", "must be between -32 and -1");
	expect_one(BASE "vcpus: 2\ndevicetree:\n  affinity-map: [1]\n", NULL, 8, 17,
		   "devicetree.affinity-map", "has 1 entries for 2 vCPUs: one per vCPU");
	expect_one(BASE "devicetree:\n  affinity-map: [0, 1]\n", NULL, 7, 17,
		   "devicetree.affinity-map", "has 2 entries for 1 vCPUs");
	expect_one(BASE "devicetree:\n  affinity-map: [256]\n", NULL, 7, 18,
		   "devicetree.affinity-map[0]", "must be between 0 and 255, got 256");
	expect_one(BASE "devicetree:\n  affinity-map: []\n", NULL, 7, 17,
		   "devicetree.affinity-map", "needs one CPU per vCPU (1 to 64 entries), got 0");
	expect_one(BASE "devicetree:\n  affinity-map: 3\n", NULL, 7, 17,
		   "devicetree.affinity-map", "expected a sequence");
	expect_one(BASE "restart: { burst: 1001 }\n", NULL, 6, 19, "restart.burst",
		   "must be between 1 and 1000");
	expect_one(BASE "restart: { burst: 0 }\n", NULL, 6, 19, "restart.burst",
		   "must be between 1 and 1000");
	expect_one(BASE "restart: { interval: 0s }\n", NULL, 6, 22, "restart.interval",
		   "must be longer than 0");
	expect_one(BASE "simulate: { exit-code: 256 }\n", NULL, 6, 24, "simulate.exit-code",
		   "must be between 0 and 255");
	expect_one("version: 2\nname: t\nmemory:\n  size: 16M\nkernel: /k\n", NULL, 1, 10,
		   "version", "unsupported schema version 2: this gunyahd reads version 1");
	{
		/* The RM wants image-name shorter than 80. */
		g_autofree char *n79 = g_strnfill(79, 'i'), *n80 = g_strnfill(80, 'i');
		g_autofree char *ok = g_strdup_printf(IMAGE_NAME_DOC, n79);
		g_autofree char *bad = g_strdup_printf(IMAGE_NAME_DOC, n80);
		struct vmdef *def = parse_ok(ok, NULL);

		g_assert_cmpstr(def->devicetree.image_name, ==, n79);
		vmdef_free(def);
		expect_one(bad, NULL, 6, 27, "devicetree.image-name",
			   "is too long (80 bytes, at most 79)");
	}
	expect_one(BASE "devicetree: { image-name: '' }\n", NULL, 6, 27, "devicetree.image-name",
		   "must not be empty");
	expect_one(BASE "devicetree: { reserve: 0 }\n", NULL, 6, 24, "devicetree.reserve",
		   "must be at least 4K");
}

static void test_reject_overflow(void)
{
	expect_one(BASE_PREFIX "  base: 99999999999999999999\nkernel: /k\n", NULL, 5, 9,
		   "memory.base", "size '99999999999999999999' does not fit in 64 bits");
	expect_one("version: 1\nname: t\nmemory:\n  size: 16777216T\nkernel: /k\n", NULL, 4, 9,
		   "memory.size", "does not fit in 64 bits");
	/* base + size wraps past 2^64. */
	expect_one("version: 1\nname: t\nmemory:\n  base: 0xffffffffffe00000\n  size: 4M\n"
		   "kernel: /k\n", NULL, 5, 9, "memory.size",
		   "goes past the end of the 64-bit address space");
	/* Ending exactly at 2^64 is fine. */
	vmdef_free(parse_ok("version: 1\nname: t\nmemory:\n  base: 0xffffffffffe00000\n"
			    "  size: 2M\nkernel: /k\n", NULL));
	expect_one(BASE "regions: [ { label: 1, base: 0xfffffffffffff000, size: 8K } ]\n", NULL,
		   6, 56, "regions[0].size", "goes past the end");
	expect_one(BASE "regions: [ { label: 4294967296, base: 0, size: 4K } ]\n", NULL, 6, 21,
		   "regions[0].label", "must be between 1 and 4294967295");
	expect_one(BASE "vcpus: 99999999999999999999999\n", NULL, 6, 8, "vcpus",
		   "must be between 1 and 64");
	expect_one(BASE "stop-timeout: 18446744073709552s\n", NULL, 6, 15, "stop-timeout",
		   "duration '18446744073709552s' is too long");
}

static void test_reject_invalid_name(void)
{
	expect_one("version: 1\nname: -bad\nmemory:\n  size: 16M\nkernel: /k\n", NULL, 2, 7, "name",
		   "invalid name '-bad'");
	expect_one("version: 1\nname: 'a b'\nmemory:\n  size: 16M\nkernel: /k\n", NULL, 2, 7,
		   "name", "invalid name 'a b'");
	{
		g_autofree char *n64 = g_strnfill(64, 'n'), *n65 = g_strnfill(65, 'n');
		g_autofree char *ok = g_strdup_printf(NAME_DOC, n64);
		g_autofree char *bad = g_strdup_printf(NAME_DOC, n65);

		vmdef_free(parse_ok(ok, NULL));
		expect_one(bad, NULL, 2, 7, "name", "invalid name 'nnnn");
	}
}

/* memory.hugepages: every value, the round trip, and what required demands */
static void test_hugepages(void)
{
	static const struct {
		const char *word;
		enum vmdef_hugepages value;
	} values[] = {
		{ "auto", VMDEF_HUGEPAGES_AUTO },
		{ "never", VMDEF_HUGEPAGES_NEVER },
		{ "hugetlb", VMDEF_HUGEPAGES_HUGETLB },
		{ "required", VMDEF_HUGEPAGES_REQUIRED },
	};
	struct vmdef *def, *dup = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autofree char *yaml = g_strdup_printf(BASE_PREFIX "  hugepages: %s\nkernel: /k\n",
							values[i].word);

		def = parse_ok(yaml, NULL);
		g_assert_cmpint(def->memory.hugepages, ==, values[i].value);
		g_assert_cmpstr(vmdef_hugepages_to_string(values[i].value), ==, values[i].word);
		g_assert_cmpint(vmdef_hugepages_from_string(values[i].word), ==, values[i].value);
		g_assert_cmpint(vmdef_dup(def, &dup), ==, 0);
		g_assert_cmpint(dup->memory.hugepages, ==, values[i].value);
		vmdef_free(dup);
		vmdef_free(def);
	}
	g_assert_cmpint(vmdef_hugepages_from_string("always"), ==, -EINVAL);
	g_assert_null(vmdef_hugepages_to_string(_VMDEF_HUGEPAGES_MAX));

	expect_one(BASE_PREFIX "  hugepages: always\nkernel: /k\n", NULL, 5, 14,
		   "memory.hugepages",
		   "invalid value 'always': expected auto, never, hugetlb or required");
	expect_one(BASE_PREFIX "  hugepages: yes\nkernel: /k\n", NULL, 5, 14, "memory.hugepages",
		   "invalid value 'yes'");
	/* required: hugetlbfs pages have no 4 KiB tail */
	expect_one("version: 1\nname: t\nmemory:\n  size: 0x300000\n  hugepages: required\n"
		   "kernel: /k\n", NULL, 5, 14, "memory.hugepages",
		   "required needs memory.size in whole 2 MiB pages (size 0x300000)");
	/* hugetlb falls back at Create, so any size is fine */
	def = parse_ok("version: 1\nname: t\nmemory:\n  size: 0x301000\n  hugepages: hugetlb\n"
		       "kernel: /k\n", NULL);
	g_assert_cmpint(def->memory.hugepages, ==, VMDEF_HUGEPAGES_HUGETLB);
	vmdef_free(def);
	def = parse_ok("version: 1\nname: t\nmemory:\n  size: 4M\n  hugepages: required\n"
		       "kernel: /k\n", NULL);
	g_assert_cmpint(def->memory.hugepages, ==, VMDEF_HUGEPAGES_REQUIRED);
	vmdef_free(def);
}

static void test_reject_bad_enum(void)
{
	expect_one(BASE_PREFIX "  sharing: borrowed\nkernel: /k\n", NULL, 5, 12, "memory.sharing",
		   "invalid value 'borrowed': expected lent or shared");
	expect_one(BASE_PREFIX "  access: wr\nkernel: /k\n", NULL, 5, 11, "memory.access",
		   "invalid access 'wr'");
	expect_one(BASE_PREFIX "  access: ''\nkernel: /k\n", NULL, 5, 11, "memory.access",
		   "invalid access ''");
	expect_one(BASE "restart: { policy: sometimes }\n", NULL, 6, 20, "restart.policy",
		   "invalid value 'sometimes': expected no, on-failure or always");
	expect_one(BASE "restart: { policy: false }\n", NULL, 6, 20, "restart.policy",
		   "invalid value 'false'");
	expect_one(BASE "devicetree: { vcpu-affinity: loose }\n", NULL, 6, 30,
		   "devicetree.vcpu-affinity", "expected static, sticky or pinned");
	expect_one(BASE "simulate:\n  start-errno: ENOENT\n", NULL, 7, 16, "simulate.start-errno",
		   "invalid errno 'ENOENT'");
	expect_one(BASE "simulate:\n  exit-type: crash\n", NULL, 7, 14, "simulate.exit-type",
		   "invalid value 'crash'");
	expect_one(BASE "simulate:\n  exit-type: forced-stop\n", NULL, 7, 14, "simulate.exit-type",
		   "'forced-stop' is how the daemon stops a guest");
	expect_one(BASE "simulate:\n  on-stop: reboot\n", NULL, 7, 12, "simulate.on-stop",
		   "expected poweroff or ignore");
	expect_one(BASE "simulate:\n  start: maybe\n", NULL, 7, 10, "simulate.start",
		   "expected ok or fail");
	expect_one(BASE "simulate:\n  console-flood: 2T\n", NULL, 7, 18, "simulate.console-flood",
		   "must be at most 1T");
	expect_one(BASE "simulate:\n  console-echo: loud\n", NULL, 7, 17, "simulate.console-echo",
		   "");
	expect_one(BASE "regions: [ { label: 1, base: 0, size: 4K, sharing: donated } ]\n", NULL,
		   6, 52, "regions[0].sharing", "invalid value 'donated'");
}

static void test_reject_misaligned(void)
{
	expect_one("version: 1\nname: t\nmemory:\n  size: 4097\nkernel: /k\n", NULL, 4, 9,
		   "memory.size", "0x1001 is not a multiple of the page size (4096)");
	expect_one(BASE_PREFIX "  base: 0x80100000\nkernel: /k\n", NULL, 5, 9, "memory.base",
		   "0x80100000 is not a multiple of 2 MiB");
	expect_one("version: 1\nname: t\nmemory:\n  size: 0\nkernel: /k\n", NULL, 4, 9,
		   "memory.size", "must not be zero");
	expect_one(BASE "ramdisk: /r\nramdisk-offset: 0x4000001\n", NULL, 7, 17, "ramdisk-offset",
		   "not a multiple of the page size");
	expect_one(BASE "devicetree:\n  offset: 0x45f0004\n", NULL, 7, 11, "devicetree.offset",
		   "0x45f0004 is not a multiple of 8");
	expect_one(BASE "devicetree:\n  reserve: 6K\n", NULL, 7, 12, "devicetree.reserve",
		   "not a multiple of the page size");
	expect_one(BASE "devicetree:\n  gic: { dist: 0x3fff8000 }\n", NULL, 7, 16,
		   "devicetree.gic.dist", "0x3fff8000 is not a multiple of 64 KiB");
	expect_one(BASE "devicetree:\n  gic:\n    redist: 0x3ffd1000\n", NULL, 8, 13,
		   "devicetree.gic.redist", "not a multiple of 64 KiB");
	expect_one(BASE "regions:\n  - { label: 1, base: 0xc0000800, size: 4K }\n", NULL, 7, 23,
		   "regions[0].base", "not a multiple of the page size");
	expect_one(BASE "regions:\n  - { label: 1, base: 0xc0000000, size: 0 }\n", NULL, 7, 41,
		   "regions[0].size", "must not be zero");
}

static void test_reject_anchor(void)
{
	expect_one(BASE "cmdline: &c console=hvc0\n", NULL, 6, 10, "cmdline",
		   "anchors (&c) are not allowed");
	expect_one(BASE "devicetree: &dt\n  os-type: linux\n", NULL, 6, 13, "devicetree",
		   "anchors (&dt) are not allowed");
	/* On a key, in a sequence, on a mapping: each named by its own path. */
	expect_one(BASE "devicetree:\n  &k os-type: linux\n", NULL, 7, 3, "devicetree.os-type",
		   "anchors (&k) are not allowed");
	expect_one(BASE "regions:\n  - &r { label: 1, base: 0, size: 4K }\n", NULL, 7, 5,
		   "regions[0]", "anchors (&r) are not allowed");
}

static void test_reject_alias(void)
{
	struct def_diags d = {};

	/* The alias is reported once; its key is neither missing nor validated. */
	parse_bad("version: 1\nname: &n t\nmemory:\n  size: 16M\nkernel: /k\ncmdline: *n\n",
		  NULL, &d);
	g_assert_cmpuint(d.n, ==, 2);
	assert_diag(&d.items[0], 2, 7, "name", "anchors (&n) are not allowed");
	assert_diag(&d.items[1], 6, 10, "cmdline", "aliases (*n) are not allowed");
	def_diags_clear(&d);
}

/* The classic "billion laughs": never expanded, each anchor and alias reported once. */
static void test_reject_alias_bomb(void)
{
	static const char bomb[] =
		"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct def_diags d = {};
	size_t anchors = 0, aliases = 0, unknown = 0, missing = 0;

	/* Had it been expanded there would be 9^9 items; the counts below prove it was not. */
	parse_bad(bomb, NULL, &d);

	/* At 1:1 the unknown key a and the 4 missing keys, then a's anchor. */
	assert_diag(&d.items[0], 1, 1, "a", "unknown key 'a'");
	assert_diag(&d.items[1], 1, 1, "version", "missing required key");
	assert_diag(&d.items[4], 1, 1, "kernel", "missing required key");
	assert_diag(&d.items[5], 1, 4, "a", "anchors (&a) are not allowed");
	g_assert_true(has_diag(&d, 2, 8, "b[0]"));
	g_assert_true(has_diag(&d, 9, 32, "i[8]"));
	for (size_t i = 0; i < d.n; i++) {
		if (strstr(d.items[i].message, "anchors"))
			anchors++;
		else if (strstr(d.items[i].message, "aliases"))
			aliases++;
		else if (strstr(d.items[i].message, "unknown key"))
			unknown++;
		else if (strstr(d.items[i].message, "missing required"))
			missing++;
	}
	g_assert_cmpuint(anchors, ==, 9);
	g_assert_cmpuint(aliases, ==, 8 * 9);
	g_assert_cmpuint(unknown, ==, 9);
	g_assert_cmpuint(missing, ==, 4);
	g_assert_cmpuint(d.n, ==, 9 + 72 + 9 + 4);
	/* Document order. */
	for (size_t i = 1; i < d.n; i++)
		g_assert_true(d.items[i - 1].line < d.items[i].line ||
			      (d.items[i - 1].line == d.items[i].line &&
			       d.items[i - 1].column <= d.items[i].column));
	def_diags_clear(&d);
}

/* More problems than the cap: the first 100, then one saying how many were left out. */
static void test_reject_too_many(void)
{
	GString *s = g_string_new(BASE "cmdline: [");
	struct def_diags d = {};

	for (int i = 0; i < 150; i++)
		g_string_append(s, i ? ",*x" : "*x");
	g_string_append(s, "]\n");
	parse_bad(s->str, NULL, &d);
	g_assert_cmpuint(d.n, ==, 101);
	assert_diag(&d.items[0], 6, 11, "cmdline[0]", "aliases (*x) are not allowed");
	assert_diag(&d.items[99], 6, 11 + 99 * 3, "cmdline[99]", "aliases");
	assert_diag(&d.items[100], 6, 11 + 100 * 3, "", "too many problems; 51 more not shown");
	def_diags_clear(&d);
	g_string_free(s, TRUE);
}

static void test_reject_too_deep(void)
{
	struct def_diags d = {};

	/* The top-level mapping is level 1, so sixteen brackets make 17 levels. */
	parse_bad(BASE "cmdline: [[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]\n", NULL, &d);
	g_assert_cmpuint(d.n, ==, 2);
	assert_diag(&d.items[0], 6, 10, "cmdline", "expected a string, got a sequence");
	assert_diag(&d.items[1], 6, 25, "cmdline[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
		    "nested deeper than 16 levels");
	def_diags_clear(&d);

	/* Fifteen brackets (16 levels) are not too deep, just the wrong type. */
	expect_one(BASE "cmdline: [[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]\n", NULL, 6, 10, "cmdline",
		   "expected a string, got a sequence");

	/* Deep block mappings too, and the parse goes on after the subtree. */
	{
		GString *s = g_string_new(BASE "x:\n");

		for (int i = 1; i <= 20; i++)
			g_string_append_printf(s, "%*sk:\n", 2 * i, "");
		g_string_append(s, "vcpus: 0\n");
		parse_bad(s->str, NULL, &d);
		g_assert_cmpuint(d.n, ==, 3);
		assert_diag(&d.items[0], 6, 1, "x", "unknown key 'x'");
		assert_diag(&d.items[1], 22, 33, "x.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k",
			    "nested deeper");
		assert_diag(&d.items[2], 27, 8, "vcpus", "must be between 1 and 64");
		def_diags_clear(&d);
		g_string_free(s, TRUE);
	}
}

static void test_reject_too_large(void)
{
	struct vmdef_parse_opts small = { .max_size = 32 };
	g_autofree char *big = NULL;
	struct def_diags d = {};
	struct vmdef *def = NULL;
	size_t n = VMDEF_MAX_SIZE_DEFAULT + 1;
	int r;

	/* One byte over the default: refused before parsing (no syntax checks). */
	big = g_malloc(n + 1);
	memset(big, '{', n);
	big[n] = '\0';
	r = vmdef_parse_string("big.yaml", big, n, NULL, &def, &d);
	g_assert_cmpint(r, ==, -EINVAL);
	g_assert_null(def);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "the document is 65537 bytes, over the limit of 65536");
	def_diags_clear(&d);

	/* The limit is the caller's. */
	g_assert_cmpuint(strlen(BASE), >, 32);
	r = vmdef_parse_string("small.yaml", BASE, strlen(BASE), &small, &def, &d);
	g_assert_cmpint(r, ==, -EINVAL);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "is 57 bytes, over the limit of 32");
	def_diags_clear(&d);

	/* Exactly at the limit is fine. */
	small.max_size = strlen(BASE);
	r = vmdef_parse_string("small.yaml", BASE, strlen(BASE), &small, &def, &d);
	g_assert_cmpint(r, ==, 0);
	vmdef_free(def);
}

static void test_reject_two_documents(void)
{
	expect_one(BASE "---\nname: x\n", NULL, 6, 1, "", "exactly one YAML document");
	expect_one(BASE "...\n---\n", NULL, 7, 1, "", "exactly one YAML document");
}

static void test_reject_empty(void)
{
	expect_one("", NULL, 1, 1, "", "the document is empty");
	expect_one("# nothing\n\n", NULL, 1, 1, "", "the document is empty");
	expect_one("---\n...\n", NULL, 2, 1, "", "the document is empty");
	expect_one("~\n", NULL, 1, 1, "", "the document is empty");
	g_assert_cmpint(vmdef_parse_string("x", NULL, 1, NULL, &(struct vmdef *) { NULL }, NULL),
			==, -EINVAL);
}

static void test_reject_syntax(void)
{
	expect_one(BASE "cmdline: \"unterminated\n", NULL, 7, 1, "",
		   "syntax error: found unexpected end of stream (while scanning a quoted scalar at line 6, column 10)");
	expect_one(BASE "regions: [1, 2\n", NULL, 7, 1, "",
		   "syntax error: did not find expected ',' or ']'");
	expect_one(BASE "vcpus: 1: 2\n", NULL, 6, 9, "",
		   "syntax error: mapping values are not allowed in this context");
	expect_one(BASE "cmdline: *\n", NULL, 6, 11, "",
		   "syntax error: did not find expected alphabetic or numeric character (while scanning an alias at line 6, column 10)");
	/* Reader errors carry a byte offset, turned into line:column. */
	expect_one(BASE "cmdline: ab\xff\n", NULL, 6, 12, "",
		   "syntax error: invalid leading UTF-8 octet (byte 0xff)");
	/* Problems found before the syntax error are kept. */
	{
		struct def_diags d = {};

		parse_bad(BASE "cmdline: &a x\nvcpus: [\n", NULL, &d);
		g_assert_cmpuint(d.n, ==, 2);
		assert_diag(&d.items[0], 6, 10, "cmdline", "anchors");
		assert_diag(&d.items[1], 8, 1, "", "syntax error");
		def_diags_clear(&d);
	}
}

static void test_reject_transient_path(void)
{
	expect_one(BASE, &transient, 5, 9, "kernel",
		   "transient definitions name files as fd:KEY (a key of the passed file descriptors), not '/vm/Image'");
	expect_one(BASE_TRANSIENT "ramdisk: initrd\n", &transient, 6, 10, "ramdisk",
		   "so that no caller can make it read a file the caller could not read");
	expect_one(BASE_TRANSIENT "devicetree: { overlay: /o.dtbo }\n", &transient, 6, 24,
		   "devicetree.overlay", "fd:KEY");
	expect_one(BASE_TRANSIENT "ramdisk: 'fd:'\n", &transient, 6, 10, "ramdisk",
		   "invalid file key ''");
	expect_one(BASE_TRANSIENT "ramdisk: fd:a/b\n", &transient, 6, 10, "ramdisk",
		   "invalid file key 'a/b'");
	{
		g_autofree char *k64 = g_strnfill(64, 'k'), *k65 = g_strnfill(65, 'k');
		g_autofree char *ok = g_strdup_printf(BASE_TRANSIENT "ramdisk: fd:%s\n", k64);
		g_autofree char *bad = g_strdup_printf(BASE_TRANSIENT "ramdisk: fd:%s\n", k65);

		vmdef_free(parse_ok(ok, &transient));
		expect_one(bad, &transient, 6, 10, "ramdisk", "invalid file key 'kkkk");
	}
}

static void test_reject_fd_persistent(void)
{
	expect_one(BASE_TRANSIENT, &persistent, 5, 9, "kernel",
		   "'fd:kernel' names a passed file descriptor, which only transient definitions");
	expect_one(BASE_TRANSIENT, NULL, 5, 9, "kernel", "only transient definitions");
	expect_one(BASE "devicetree:\n  overlay: fd:o\n", NULL, 7, 12, "devicetree.overlay",
		   "only transient definitions");
	expect_one(BASE "ramdisk: vm/initrd\n", NULL, 6, 10, "ramdisk",
		   "'vm/initrd' is not an absolute path");
	expect_one(BASE "ramdisk: ''\n", NULL, 6, 10, "ramdisk", "must not be empty");
}

static void test_reject_label_zero(void)
{
	expect_one(BASE "regions:\n  - label: 0\n    base: 0xc0000000\n    size: 4K\n", NULL, 7, 12,
		   "regions[0].label", "must be between 1 and 4294967295, got 0");
}

static void test_reject_duplicate_label(void)
{
	expect_one(BASE "regions:\n"
		   "  - { label: 3, base: 0xc0000000, size: 4K }\n"
		   "  - { label: 4, base: 0xc0001000, size: 4K }\n"
		   "  - { label: 0x3, base: 0xc0002000, size: 4K }\n", NULL, 9, 14,
		   "regions[2].label", "label 3 is already used by regions[0] (line 7)");
}

static void test_reject_too_many_regions(void)
{
	struct vmdef_parse_opts two = { .max_regions = 2 };
	struct vmdef *def;
	const char *y = BASE "regions:\n"
		"  - { label: 1, base: 0xc0000000, size: 4K }\n"
		"  - { label: 2, base: 0xc0001000, size: 4K }\n"
		"  - { label: 3, base: 0xc0002000, size: 4K }\n";

	expect_one(y, &two, 9, 5, "regions[2]", "too many regions: at most 2 are allowed");
	def = parse_ok(y, NULL);
	g_assert_cmpuint(def->n_regions, ==, 3);
	g_assert_cmpuint(def->regions[2].label, ==, 3);
	vmdef_free(def);
}

static void test_reject_proxy(void)
{
	expect_one(BASE "devicetree:\n  vcpu-affinity: proxy\n", NULL, 7, 18,
		   "devicetree.vcpu-affinity",
		   "'proxy' scheduling needs vCPU functions, which gunyahd does not support");
}

/* A check across keys looks only at values that were accepted, or at defaults. */
static void test_reject_cross_keys(void)
{
	struct def_diags d = {};

	/* An unaligned base is the one problem; the range is not checked with it. */
	expect_one("version: 1\nname: t\nmemory:\n  base: 0x1000\n  size: 0xffffffffffe00000\n"
		   "kernel: /k\n", NULL, 4, 9, "memory.base", "is not a multiple of 2 MiB");
	/* No base: the default base (2 GiB) counts. */
	expect_one("version: 1\nname: t\nmemory:\n  size: 0xffffffff80200000\nkernel: /k\n",
		   NULL, 4, 9, "memory.size", "goes past the end of the 64-bit address space");
	expect_one("version: 1\nname: t\nmemory:\n  size: 0\n  hugepages: required\n"
		   "kernel: /k\n", NULL, 4, 9, "memory.size", "must not be zero");
	/* An invalid ramdisk is still a ramdisk for ramdisk-offset. */
	expect_one(BASE "ramdisk: initrd\nramdisk-offset: 64M\n", NULL, 6, 10, "ramdisk",
		   "'initrd' is not an absolute path");
	expect_one(BASE "regions: [ { label: 1, base: 0x10, size: 0xfffffffffffff000 } ]\n", NULL,
		   6, 30, "regions[0].base", "is not a multiple of the page size");

	/* Missing required keys, all at the mapping, in the schema's order. */
	parse_bad("name: t\n", NULL, &d);
	g_assert_cmpuint(d.n, ==, 3);
	assert_diag(&d.items[0], 1, 1, "version", "missing required key 'version'");
	assert_diag(&d.items[1], 1, 1, "memory", "missing required key 'memory'");
	assert_diag(&d.items[2], 1, 1, "kernel", "missing required key 'kernel'");
	def_diags_clear(&d);
}

static void test_reject_misc(void)
{
	expect_one(BASE "ramdisk-offset: 64M\n", NULL, 6, 17, "ramdisk-offset",
		   "is set but there is no ramdisk");
	expect_one(BASE "stop-timeout: soon\n", NULL, 6, 15, "stop-timeout",
		   "invalid duration 'soon'");
	expect_one(BASE "restart: { interval: 1.5s }\n", NULL, 6, 22, "restart.interval",
		   "invalid duration '1.5s'");
	expect_one(BASE_PREFIX "  base: 2 GiB\nkernel: /k\n", NULL, 5, 9, "memory.base",
		   "invalid size '2 GiB'");
	expect_one(BASE "devicetree: { os-type: \"lin\\tux\" }\n", NULL, 6, 24,
		   "devicetree.os-type", "must not contain control characters");
	/* The guest reads it; gunyahctl and logs print it: no terminal escapes. */
	expect_one(BASE "cmdline: \"console=hvc0 \\e]0;owned\\a\"\n", NULL, 6, 10, "cmdline",
		   "must not contain control characters");
}

/* ------------------------------------------------------------------ */
/* Several problems: all of them, in document order */

static void test_many_errors(void)
{
	struct def_diags d = {};

	parse_bad("version: 2\n"		/* 1 */
		  "name: -bad\n"		/* 2 */
		  "vcpus: 100\n"		/* 3 */
		  "memory:\n"			/* 4 */
		  "  base: 0x1000\n"		/* 5: memory.size missing, reported at 5:3 */
		  "  access: rwxr\n"		/* 6 */
		  "kernel: relative\n"		/* 7 */
		  "foo: 1\n"			/* 8 */
		  "regions:\n"			/* 9 */
		  "  - label: 0\n"		/* 10 */
		  "    size: 3\n"		/* 11: base missing at 10:5 */
		  "restart: { policy: maybe, burst: 0 }\n"	/* 12 */
		  "name: dup\n", NULL, &d);	/* 13 */
	g_assert_cmpuint(d.n, ==, 14);
	assert_diag(&d.items[0], 1, 10, "version", "unsupported schema version 2");
	assert_diag(&d.items[1], 2, 7, "name", "invalid name");
	assert_diag(&d.items[2], 3, 8, "vcpus", "must be between 1 and 64");
	assert_diag(&d.items[3], 5, 3, "memory.size", "missing required key 'size'");
	assert_diag(&d.items[4], 5, 9, "memory.base", "not a multiple of 2 MiB");
	assert_diag(&d.items[5], 6, 11, "memory.access", "invalid access 'rwxr'");
	assert_diag(&d.items[6], 7, 9, "kernel", "not an absolute path");
	assert_diag(&d.items[7], 8, 1, "foo", "unknown key 'foo'");
	assert_diag(&d.items[8], 10, 5, "regions[0].base", "missing required key 'base'");
	assert_diag(&d.items[9], 10, 12, "regions[0].label", "must be between 1 and 4294967295, got 0");
	assert_diag(&d.items[10], 11, 11, "regions[0].size", "not a multiple of the page size");
	assert_diag(&d.items[11], 12, 20, "restart.policy", "invalid value 'maybe'");
	assert_diag(&d.items[12], 12, 34, "restart.burst", "must be between 1 and 1000");
	assert_diag(&d.items[13], 13, 1, "name", "duplicate key 'name' (first at line 2");
	def_diags_clear(&d);
}

/* Diagnostics go after what the caller already holds, which is left in place. */
static void test_diags_append(void)
{
	struct def_diags d = {};
	struct vmdef *def = NULL;
	int r;
	const char *two = BASE "vcpus: 0\nfoo: 1\n", *unknown = BASE "foo: 1\n";

	g_assert_cmpint(def_diags_add(&d, 99, 9, "earlier", "from %s", "before"), ==, 0);
	r = vmdef_parse_string("a.yaml", two, strlen(two), NULL, &def, &d);
	g_assert_cmpint(r, ==, -EINVAL);
	g_assert_cmpuint(d.n, ==, 3);
	assert_diag(&d.items[0], 99, 9, "earlier", "from before");
	assert_diag(&d.items[1], 6, 8, "vcpus", "must be between");
	assert_diag(&d.items[2], 7, 1, "foo", "unknown key");

	/* A valid document adds nothing and succeeds even with old diagnostics around. */
	r = vmdef_parse_string("a.yaml", BASE, strlen(BASE), NULL, &def, &d);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpuint(d.n, ==, 3);
	vmdef_free(def);
	def_diags_clear(&d);
	g_assert_null(d.items);
	g_assert_cmpuint(d.n, ==, 0);
	def_diags_clear(&d);
	def_diags_clear(NULL);

	/* No diagnostics list: still refused; no definition wanted: validation only. */
	r = vmdef_parse_string("a.yaml", unknown, strlen(unknown), NULL, &def, NULL);
	g_assert_cmpint(r, ==, -EINVAL);
	r = vmdef_parse_string("a.yaml", BASE, strlen(BASE), NULL, NULL, NULL);
	g_assert_cmpint(r, ==, 0);
}

static void test_diag_format(void)
{
	struct def_diag g = { .line = 12, .column = 9, .key = (char *) "memory.size",
				.message = (char *) "must be a multiple of the page size" };
	g_autofree char *a = NULL, *b = NULL;

	a = def_diag_format("/etc/gunyah/vms.d/nav.yaml", &g);
	g_assert_cmpstr(a, ==,
			"/etc/gunyah/vms.d/nav.yaml:12:9: memory.size: must be a multiple of the page size");
	g.key = (char *) "";
	b = def_diag_format("<transient>", &g);
	g_assert_cmpstr(b, ==, "<transient>:12:9: must be a multiple of the page size");
}

/* ------------------------------------------------------------------ */
/* Files */

static char *tmp_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-vmdef-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void test_file_missing(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *path = g_build_filename(dir, "nope.yaml", NULL);
	struct def_diags d = {};
	struct vmdef *def = NULL;

	g_assert_cmpint(vmdef_parse_file(path, NULL, &def, &d), ==, -ENOENT);
	g_assert_null(def);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "cannot open: No such file or directory");
	def_diags_clear(&d);
	g_rmdir(dir);
}

static void test_file_directory(void)
{
	g_autofree char *dir = tmp_dir();
	struct def_diags d = {};
	struct vmdef *def = NULL;

	g_assert_cmpint(vmdef_parse_file(dir, NULL, &def, &d), ==, -EISDIR);
	g_assert_null(def);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "is a directory");
	def_diags_clear(&d);
	g_rmdir(dir);
}

/* A FIFO is refused at once: opening it must not wait for a writer. */
static void test_file_fifo(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *path = g_build_filename(dir, "fifo.yaml", NULL);
	struct def_diags d = {};
	struct vmdef *def = NULL;

	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	g_assert_cmpint(vmdef_parse_file(path, NULL, &def, &d), ==, -EBADFD);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "is not a regular file");
	def_diags_clear(&d);
	g_unlink(path);
	g_rmdir(dir);
}

static void test_file_oversized(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *path = g_build_filename(dir, "big.yaml", NULL);
	g_autofree char *text = g_strnfill(VMDEF_MAX_SIZE_DEFAULT + 1, '#');
	struct vmdef_parse_opts small = { .max_size = 16 };
	struct def_diags d = {};
	struct vmdef *def = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(vmdef_parse_file(path, NULL, &def, &d), ==, -EFBIG);
	g_assert_null(def);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "the file is 65537 bytes, over the limit of 65536");
	def_diags_clear(&d);

	g_assert_true(g_file_set_contents(path, BASE, -1, NULL));
	g_assert_cmpint(vmdef_parse_file(path, &small, &def, &d), ==, -EFBIG);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 1, 1, "", "over the limit of 16");
	def_diags_clear(&d);

	/* The same file under the default limit parses, and names itself as origin. */
	g_assert_cmpint(vmdef_parse_file(path, NULL, &def, &d), ==, 0);
	g_assert_cmpstr(def->origin, ==, path);
	vmdef_free(def);

	/* Diagnostics of a file's content carry the position, as for strings. */
	g_assert_true(g_file_set_contents(path, BASE "vcpus: 65\n", -1, NULL));
	g_assert_cmpint(vmdef_parse_file(path, NULL, &def, &d), ==, -EINVAL);
	g_assert_cmpuint(d.n, ==, 1);
	assert_diag(&d.items[0], 6, 8, "vcpus", "must be between 1 and 64");
	def_diags_clear(&d);

	g_unlink(path);
	g_rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Copies and tables */

static void test_dup(void)
{
	struct vmdef *def = NULL, *copy = NULL;

	g_assert_cmpint(vmdef_parse_file(FULL_YAML, NULL, &def, NULL), ==, 0);
	g_assert_cmpint(vmdef_dup(def, &copy), ==, 0);
	g_assert_true(copy != def);
	g_assert_true(copy->name != def->name);
	g_assert_true(copy->regions != def->regions);
	g_assert_true(copy->devicetree.overlay != def->devicetree.overlay);
	def = vmdef_free(def);
	/* Everything still readable after the original is gone (ASan/valgrind check this). */
	assert_full(copy);
	g_assert_cmpstr(copy->origin, ==, FULL_YAML);
	vmdef_free(copy);

	/* Optional strings absent stay absent. */
	def = parse_ok(BASE, NULL);
	g_assert_cmpint(vmdef_dup(def, &copy), ==, 0);
	g_assert_null(copy->ramdisk);
	g_assert_null(copy->cmdline);
	g_assert_null(copy->devicetree.overlay);
	g_assert_null(copy->regions);
	g_assert_cmpstr(copy->devicetree.image_name, ==, "t");
	vmdef_free(def);
	vmdef_free(copy);

	g_assert_null(vmdef_free(NULL));
}

static void test_tables(void)
{
	uint32_t a;

	for (int i = 0; i < _VMDEF_SHARING_MAX; i++)
		g_assert_cmpint(vmdef_sharing_from_string(vmdef_sharing_to_string(i)), ==, i);
	for (int i = 0; i < _VMDEF_AFFINITY_MAX; i++)
		g_assert_cmpint(vmdef_affinity_from_string(vmdef_affinity_to_string(i)), ==, i);
	for (int i = 0; i < _VMDEF_RESTART_MAX; i++)
		g_assert_cmpint(vmdef_restart_from_string(vmdef_restart_to_string(i)), ==, i);
	for (int i = 0; i < _VMDEF_EXIT_MAX; i++)
		g_assert_cmpint(vmdef_exit_type_from_string(vmdef_exit_type_to_string(i)), ==, i);
	for (int i = 0; i < _VMDEF_SIM_ON_STOP_MAX; i++)
		g_assert_cmpint(vmdef_sim_on_stop_from_string(vmdef_sim_on_stop_to_string(i)), ==,
				i);

	/* The strings D-Bus and the documentation promise. */
	g_assert_cmpstr(vmdef_sharing_to_string(VMDEF_SHARING_LENT), ==, "lent");
	g_assert_cmpstr(vmdef_affinity_to_string(VMDEF_AFFINITY_STICKY), ==, "sticky");
	g_assert_cmpstr(vmdef_restart_to_string(VMDEF_RESTART_ON_FAILURE), ==, "on-failure");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_VM_EXIT), ==, "vm-exit");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_PLATFORM_OFF), ==, "platform-off");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_PLATFORM_RESET), ==, "platform-reset");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_SYSTEM_RESET2), ==, "system-reset2");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_WATCHDOG_BITE), ==, "watchdog-bite");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_SOFTWARE_ERROR), ==, "software-error");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_ASYNC_HW_ERROR), ==, "async-hw-error");
	g_assert_cmpstr(vmdef_exit_type_to_string(VMDEF_EXIT_FORCED_STOP), ==, "forced-stop");
	g_assert_cmpstr(vmdef_sim_on_stop_to_string(VMDEF_SIM_ON_STOP_IGNORE), ==, "ignore");

	/* Unknown -> -EINVAL / NULL. */
	g_assert_cmpint(vmdef_sharing_from_string("donated"), ==, -EINVAL);
	g_assert_cmpint(vmdef_sharing_from_string(NULL), ==, -EINVAL);
	g_assert_cmpint(vmdef_affinity_from_string("proxy"), ==, -EINVAL);
	g_assert_cmpint(vmdef_restart_from_string("No"), ==, -EINVAL);
	g_assert_cmpint(vmdef_exit_type_from_string(""), ==, -EINVAL);
	g_assert_cmpint(vmdef_sim_on_stop_from_string("reboot"), ==, -EINVAL);
	g_assert_null(vmdef_sharing_to_string(_VMDEF_SHARING_MAX));
	g_assert_null(vmdef_sharing_to_string(_VMDEF_SHARING_INVALID));
	g_assert_null(vmdef_affinity_to_string(_VMDEF_AFFINITY_MAX));
	g_assert_null(vmdef_restart_to_string(_VMDEF_RESTART_MAX));
	g_assert_null(vmdef_exit_type_to_string(_VMDEF_EXIT_MAX));
	g_assert_null(vmdef_exit_type_to_string(_VMDEF_EXIT_INVALID));
	g_assert_null(vmdef_sim_on_stop_to_string(_VMDEF_SIM_ON_STOP_MAX));

	/* Access: every non-empty subset, letters in order r, w, x. */
	for (uint32_t i = 1; i <= VMDEF_ACCESS_RWX; i++) {
		const char *s = vmdef_access_to_string(i);

		g_assert_nonnull(s);
		g_assert_cmpint(vmdef_access_from_string(s, &a), ==, 0);
		g_assert_cmpuint(a, ==, i);
	}
	g_assert_cmpstr(vmdef_access_to_string(VMDEF_ACCESS_R | VMDEF_ACCESS_X), ==, "rx");
	g_assert_cmpstr(vmdef_access_to_string(VMDEF_ACCESS_W | VMDEF_ACCESS_X), ==, "wx");
	g_assert_cmpstr(vmdef_access_to_string(VMDEF_ACCESS_RWX), ==, "rwx");
	g_assert_null(vmdef_access_to_string(0));
	g_assert_null(vmdef_access_to_string(VMDEF_ACCESS_RWX + 1));
	a = 42;
	g_assert_cmpint(vmdef_access_from_string("", &a), ==, -EINVAL);
	g_assert_cmpint(vmdef_access_from_string("wr", &a), ==, -EINVAL);
	g_assert_cmpint(vmdef_access_from_string("xr", &a), ==, -EINVAL);
	g_assert_cmpint(vmdef_access_from_string("rwxr", &a), ==, -EINVAL);
	g_assert_cmpint(vmdef_access_from_string("RW", &a), ==, -EINVAL);
	g_assert_cmpint(vmdef_access_from_string(NULL, &a), ==, -EINVAL);
	g_assert_cmpuint(a, ==, 42);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/vmdef/valid/full", test_full);
	g_test_add_func("/vmdef/valid/defaults", test_defaults);
	g_test_add_func("/vmdef/valid/hugepages", test_hugepages);
	g_test_add_func("/vmdef/valid/transient", test_transient_ok);
	g_test_add_func("/vmdef/valid/policy-no", test_policy_no);
	g_test_add_func("/vmdef/valid/scalars", test_scalars);
	g_test_add_func("/vmdef/scalar/sizes", test_sizes);
	g_test_add_func("/vmdef/scalar/durations", test_durations);
	g_test_add_func("/vmdef/scalar/names", test_names);
	g_test_add_func("/vmdef/reject/unknown-key", test_reject_unknown_key);
	g_test_add_func("/vmdef/reject/duplicate-key", test_reject_duplicate_key);
	g_test_add_func("/vmdef/reject/wrong-type", test_reject_wrong_type);
	g_test_add_func("/vmdef/reject/null", test_reject_null);
	g_test_add_func("/vmdef/reject/missing-required", test_reject_missing);
	g_test_add_func("/vmdef/reject/out-of-range", test_reject_out_of_range);
	g_test_add_func("/vmdef/reject/overflow", test_reject_overflow);
	g_test_add_func("/vmdef/reject/invalid-name", test_reject_invalid_name);
	g_test_add_func("/vmdef/reject/bad-enum", test_reject_bad_enum);
	g_test_add_func("/vmdef/reject/misaligned", test_reject_misaligned);
	g_test_add_func("/vmdef/reject/anchor", test_reject_anchor);
	g_test_add_func("/vmdef/reject/alias", test_reject_alias);
	g_test_add_func("/vmdef/reject/alias-bomb", test_reject_alias_bomb);
	g_test_add_func("/vmdef/reject/too-many-problems", test_reject_too_many);
	g_test_add_func("/vmdef/reject/too-deep", test_reject_too_deep);
	g_test_add_func("/vmdef/reject/too-large", test_reject_too_large);
	g_test_add_func("/vmdef/reject/two-documents", test_reject_two_documents);
	g_test_add_func("/vmdef/reject/empty", test_reject_empty);
	g_test_add_func("/vmdef/reject/syntax-error", test_reject_syntax);
	g_test_add_func("/vmdef/reject/transient-path", test_reject_transient_path);
	g_test_add_func("/vmdef/reject/fd-persistent", test_reject_fd_persistent);
	g_test_add_func("/vmdef/reject/label-zero", test_reject_label_zero);
	g_test_add_func("/vmdef/reject/duplicate-label", test_reject_duplicate_label);
	g_test_add_func("/vmdef/reject/too-many-regions", test_reject_too_many_regions);
	g_test_add_func("/vmdef/reject/proxy-affinity", test_reject_proxy);
	g_test_add_func("/vmdef/reject/cross-keys", test_reject_cross_keys);
	g_test_add_func("/vmdef/reject/misc", test_reject_misc);
	g_test_add_func("/vmdef/reject/many-errors-in-order", test_many_errors);
	g_test_add_func("/vmdef/diags/append", test_diags_append);
	g_test_add_func("/vmdef/diags/format", test_diag_format);
	g_test_add_func("/vmdef/file/missing", test_file_missing);
	g_test_add_func("/vmdef/file/directory", test_file_directory);
	g_test_add_func("/vmdef/file/fifo", test_file_fifo);
	g_test_add_func("/vmdef/file/oversized", test_file_oversized);
	g_test_add_func("/vmdef/dup", test_dup);
	g_test_add_func("/vmdef/tables", test_tables);

	return g_test_run();
}
