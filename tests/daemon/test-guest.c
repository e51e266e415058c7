// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * daemon/guest.c: the pages each parcel gets under memory.hugepages, with
 * shmem_enabled faked through guest_thp_shmem_path; the madvise is checked
 * in /proc/self/smaps (VmFlags "hg"), hugetlbfs against the host's pool.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "vmdef.h"

#define MIB (1ull << 20)

static char *thp_file;

static void fake_thp(const char *content)
{
	GError *err = NULL;

	g_assert_true(g_file_set_contents(thp_file, content, -1, &err));
	guest_thp_shmem_path = thp_file;
}

/* 16 MiB main memory, a 2 MiB-aligned 4 MiB region and an 8 KiB one */
static struct vmdef *def_with(const char *hugepages, const char *size)
{
	g_autofree char *yaml = g_strdup_printf(
		"version: 1\nname: g\nmemory:\n  size: %s\n  hugepages: %s\nkernel: /k\n"
		"regions:\n"
		"  - { label: 1, base: 0x100000000, size: 4M }\n"
		"  - { label: 2, base: 0x100400000, size: 8K }\n",
		size, hugepages);
	struct def_diags d = {};
	struct vmdef *def = NULL;

	g_assert_cmpint(vmdef_parse_string("g.yaml", yaml, strlen(yaml), NULL, &def, &d), ==, 0);
	g_assert_cmpuint(d.n, ==, 0);
	return def;
}

/* Whether the mapping starting at p has VM_HUGEPAGE (smaps VmFlags "hg") */
static bool smaps_hg(const void *p)
{
	g_autofree char *text = NULL;
	char start[32];
	const char *at, *flags;

	g_assert_true(g_file_get_contents("/proc/self/smaps", &text, NULL, NULL));
	snprintf(start, sizeof(start), "\n%" PRIxPTR "-", (uintptr_t)p);
	at = strstr(text, start);
	g_assert_nonnull(at);
	flags = strstr(at, "VmFlags:");
	g_assert_nonnull(flags);
	for (const char *e = flags; *e && *e != '\n'; e++)
		if (e[0] == ' ' && e[1] == 'h' && e[2] == 'g' && (e[3] == ' ' || e[3] == '\n'))
			return true;
	return false;
}

/* HugePages_Free of /proc/meminfo, 0 when absent */
static unsigned long huge_free(void)
{
	g_autofree char *text = NULL;
	const char *at;

	if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
		return 0;
	at = strstr(text, "HugePages_Free:");
	return at ? strtoul(at + strlen("HugePages_Free:"), NULL, 10) : 0;
}

static void assert_zero_and_writable(const struct guest_region *reg)
{
	g_assert_nonnull(reg->host);
	g_assert_cmpint(reg->fd, >=, 0);
	g_assert_cmpint(((volatile char *)reg->host)[reg->size - 1], ==, 0);
	((volatile char *)reg->host)[0] = 1;
	((volatile char *)reg->host)[reg->size - 1] = 1;
}

static void test_never(void)
{
	struct vmdef *def = def_with("never", "16M");
	struct guest *g = NULL;

	fake_thp("always within_size [advise] never deny force\n");
	g_assert_cmpint(guest_new(def, &g), ==, 0);
	for (size_t i = 0; i < g->n_regions; i++) {
		g_assert_cmpint(g->regions[i].pages, ==, GUEST_PAGES_4K);
		g_assert_false(smaps_hg(g->regions[i].host));
		assert_zero_and_writable(&g->regions[i]);
	}
	guest_free(g);
	vmdef_free(def);
}

static void test_auto_thp(void)
{
	static const char *const modes[] = {
		"always within_size [advise] never deny force\n",
		"[always] within_size advise never deny force\n",
		"always [within_size] advise never deny force\n",
		"always within_size advise never deny [force]\n",
	};

	for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
		struct vmdef *def = def_with("auto", "16M");
		struct guest *g = NULL;

		fake_thp(modes[m]);
		g_assert_cmpint(guest_new(def, &g), ==, 0);
		g_assert_cmpuint(g->n_regions, ==, 3);
		/* main memory and the 4 MiB region: THP, 2 MiB-aligned, madvised */
		for (size_t i = 0; i < 2; i++) {
			g_assert_cmpint(g->regions[i].pages, ==, GUEST_PAGES_THP);
			g_assert_cmpuint((uintptr_t)g->regions[i].host % (2 * MIB), ==, 0);
			g_assert_true(smaps_hg(g->regions[i].host));
			assert_zero_and_writable(&g->regions[i]);
		}
		/* 8 KiB: not 2 MiB aligned, 4 KiB pages */
		g_assert_cmpint(g->regions[2].pages, ==, GUEST_PAGES_4K);
		g_assert_false(smaps_hg(g->regions[2].host));
		assert_zero_and_writable(&g->regions[2]);
		guest_free(g);
		vmdef_free(def);
	}
}

static void test_auto_no_thp(void)
{
	static const char *const modes[] = {
		"always within_size advise [never] deny force\n",
		"always within_size advise never [deny] force\n",
		"garbage\n",
	};

	for (size_t m = 0; m <= G_N_ELEMENTS(modes); m++) {
		struct vmdef *def = def_with("auto", "16M");
		struct guest *g = NULL;

		if (m < G_N_ELEMENTS(modes)) {
			fake_thp(modes[m]);
		} else {
			/* a kernel without THP has no such file */
			guest_thp_shmem_path = "/nonexistent/shmem_enabled";
		}
		g_assert_cmpint(guest_new(def, &g), ==, 0);
		for (size_t i = 0; i < g->n_regions; i++) {
			g_assert_cmpint(g->regions[i].pages, ==, GUEST_PAGES_4K);
			assert_zero_and_writable(&g->regions[i]);
		}
		guest_free(g);
		vmdef_free(def);
	}
}

/* An odd main memory size: 4 KiB pages even with THP on */
static void test_unaligned(void)
{
	struct vmdef *def = def_with("auto", "0x1001000");
	struct guest *g = NULL;

	fake_thp("always within_size [advise] never deny force\n");
	g_assert_cmpint(guest_new(def, &g), ==, 0);
	g_assert_cmpint(g->regions[0].pages, ==, GUEST_PAGES_4K);
	g_assert_cmpint(g->regions[1].pages, ==, GUEST_PAGES_THP);
	assert_zero_and_writable(&g->regions[0]);
	guest_free(g);
	vmdef_free(def);
}

/* hugetlb: the pool decides; with none free, the THP fallback */
static void test_hugetlb(void)
{
	struct vmdef *def = def_with("hugetlb", "16M");
	struct guest *g = NULL;
	bool enough = huge_free() >= 8 + 2;	/* main memory + the 4 MiB region */

	fake_thp("always within_size [advise] never deny force\n");
	g_assert_cmpint(guest_new(def, &g), ==, 0);
	if (enough) {
		g_assert_cmpint(g->regions[0].pages, ==, GUEST_PAGES_HUGETLB);
		g_assert_cmpint(g->regions[1].pages, ==, GUEST_PAGES_HUGETLB);
	} else {
		g_test_message("%lu free hugetlbfs pages: checking the fallback", huge_free());
		g_assert_cmpint(g->regions[0].pages, ==, GUEST_PAGES_THP);
		g_assert_cmpint(g->regions[1].pages, ==, GUEST_PAGES_THP);
	}
	g_assert_cmpint(g->regions[2].pages, ==, GUEST_PAGES_4K);
	for (size_t i = 0; i < g->n_regions; i++)
		assert_zero_and_writable(&g->regions[i]);
	guest_free(g);
	vmdef_free(def);
}

/* required: main memory in hugetlbfs pages or -ENOSPC, never a fallback */
static void test_required(void)
{
	unsigned long free_pages = huge_free();
	struct vmdef *def;
	struct guest *g = NULL;
	int r;

	fake_thp("always within_size [advise] never deny force\n");
	/* more than the pool has free: refused, whatever the host's pool */
	def = def_with("required", free_pages >= 2048 ? "8G" : "4G");
	r = guest_new(def, &g);
	g_assert_cmpint(r, ==, -ENOSPC);
	g_assert_null(g);
	vmdef_free(def);

	def = def_with("required", "16M");
	r = guest_new(def, &g);
	if (free_pages >= 8) {
		g_assert_cmpint(r, ==, 0);
		g_assert_cmpint(g->regions[0].pages, ==, GUEST_PAGES_HUGETLB);
		guest_free(g);
	} else {
		g_assert_cmpint(r, ==, -ENOSPC);
	}
	vmdef_free(def);
}

static void test_names(void)
{
	g_assert_cmpstr(guest_pages_to_string(GUEST_PAGES_4K), ==, "4K");
	g_assert_cmpstr(guest_pages_to_string(GUEST_PAGES_THP), ==, "2M-thp");
	g_assert_cmpstr(guest_pages_to_string(GUEST_PAGES_HUGETLB), ==, "2M-hugetlb");
	g_assert_null(guest_pages_to_string(_GUEST_PAGES_MAX));
}

int main(int argc, char **argv)
{
	g_autofree char *dir = NULL;
	int r;

	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("test-guest-XXXXXX", NULL);
	g_assert_nonnull(dir);
	thp_file = g_build_filename(dir, "shmem_enabled", NULL);
	g_test_add_func("/guest/pages/names", test_names);
	g_test_add_func("/guest/pages/never", test_never);
	g_test_add_func("/guest/pages/auto-thp", test_auto_thp);
	g_test_add_func("/guest/pages/auto-no-thp", test_auto_no_thp);
	g_test_add_func("/guest/pages/unaligned", test_unaligned);
	g_test_add_func("/guest/pages/hugetlb", test_hugetlb);
	g_test_add_func("/guest/pages/required", test_required);
	r = g_test_run();
	g_unlink(thp_file);
	g_rmdir(dir);
	g_free(thp_file);
	return r;
}
