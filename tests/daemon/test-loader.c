/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/loader.c: the arm64 Image header, automatic and
 * explicit placement with its edge cases, the bytes in guest memory after
 * a load, the dry run, transient fds, file checks, and a start on the sim
 * backend (which checks the DTB range and fdt_check_full as the RM would).
 * Every image is generated in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>
#include <linux/gunyah.h>
#include <systemd/sd-bus.h>

#include "gunyah/dbus-names.h"
#include "dtb.h"
#include "guest.h"
#include "hyp.h"
#include "loader.h"
#include "vmdef.h"
#include "dtb/test-images.h"
#include "test-fds.h"



/* A persistent definition; extra is appended as is (top-level keys). */
static struct vmdef *def_for(uint64_t mem_size, const char *kernel, const char *ramdisk,
			     const char *extra)
{
	g_autofree char *yaml = g_strdup_printf(
		"version: 1\nname: test\nvcpus: 2\nmemory:\n  base: 0x80000000\n  size: %" PRIu64 "\n"
		"kernel: %s\n%s%s%s%s",
		mem_size, kernel, ramdisk ? "ramdisk: " : "", ramdisk ?: "", ramdisk ? "\n" : "",
		extra ?: "");

	return parse_def(yaml);
}

static void plan_ok(const struct vmdef *def, const struct loader_files *files,
		    struct loader_plan *plan, void **blob, size_t *size)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = loader_plan(def, files, plan, blob, size, &err);
	if (r < 0)
		g_error("loader_plan: %d %s: %s", r, err.name, err.message);
}

/* loader_plan fails with r and name; the message contains every needle. */
static void plan_fails(const struct vmdef *def, const struct loader_files *files, int want_r,
		       const char *want_name, const char *const *needles)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct loader_plan plan = { .memory_size = 777 };
	void *blob = (void *) 0x1;
	size_t size = 12345;
	int fds = test_count_fds(0);
	int r;

	r = loader_plan(def, files, &plan, &blob, &size, &err);
	g_assert_cmpint(r, ==, want_r);
	g_assert_cmpstr(err.name, ==, want_name);
	for (size_t i = 0; needles && needles[i]; i++)
		if (!strstr(err.message, needles[i]))
			g_error("message lacks '%s': %s", needles[i], err.message);
	g_test_message("refused as expected: %s", err.message);
	/* Nothing written, nothing leaked. */
	g_assert_cmpuint(plan.memory_size, ==, 777);
	g_assert_true(blob == (void *) 0x1);
	g_assert_cmpuint(size, ==, 12345);
	g_assert_cmpint(test_count_fds(0), ==, fds);
	sd_bus_error_free(&err);
}

static bool extents_disjoint(const struct guest_extent *a, const struct guest_extent *b)
{
	return a->size == 0 || b->size == 0 || a->offset + a->size <= b->offset ||
	       b->offset + b->size <= a->offset;
}

/* The invariants of every plan. */
static void assert_plan_sane(const struct loader_plan *p, const void *blob, size_t blob_size,
			     uint64_t reserve)
{
	uint64_t round4 = (blob_size + 3) & ~3ull;

	g_assert_cmpuint(p->kernel.offset, ==, 0);
	g_assert_cmpuint(p->kernel.size, >=, p->kernel_file_size);
	g_assert_cmpuint(p->kernel.size, <=, p->memory_size);
	g_assert_cmpuint(p->dtb.size, ==, blob_size);
	g_assert_cmpuint(fdt_totalsize(blob), ==, blob_size);
	g_assert_cmpint(fdt_check_full(blob, blob_size), ==, 0);
	g_assert_cmpuint(p->dtb.offset % 8, ==, 0);
	/* dt_size: page multiple, >= 2 x (original + an RM overlay of `reserve` bytes). */
	g_assert_cmpuint(p->dtb_size % 4096, ==, 0);
	g_assert_cmpuint(p->dtb_size, >=, 2 * (round4 + reserve));
	g_assert_cmpuint(p->dtb_size, >=, blob_size);
	g_assert_cmpuint(p->dtb_slot.offset, ==, p->dtb.offset);
	g_assert_cmpuint(p->dtb_slot.size, >=, p->dtb_size);
	g_assert_cmpuint(p->dtb_slot.offset + p->dtb_slot.size, <=, p->memory_size);
	if (p->ramdisk.size) {
		g_assert_cmpuint(p->ramdisk.offset + p->ramdisk.size, <=, p->memory_size);
		g_assert_true(extents_disjoint(&p->ramdisk, &p->kernel));
		g_assert_true(extents_disjoint(&p->ramdisk, &p->dtb_slot));
	}
	g_assert_true(extents_disjoint(&p->kernel, &p->dtb_slot));
}

/* ------------------------------------------------------------------ */
/* loader_check(): the placement without the files */

/* loader_check() on def: its return and each diagnostic as "line:column key: message". */
static int check_def(const struct vmdef *def, GPtrArray **ret)
{
	struct def_diags diags = {};
	const char *error = "unset";
	int r;

	r = loader_check(def, &error, &diags);
	/* A refusal names the error Create would give it; a pass names none. */
	if (r < 0)
		g_assert_true(g_strcmp0(error, GH_ERROR_LAYOUT_CONFLICT) == 0 ||
			      g_strcmp0(error, GH_ERROR_INVALID_DEFINITION) == 0);
	else
		g_assert_null(error);
	*ret = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < diags.n; i++)
		g_ptr_array_add(*ret, g_strdup_printf("%u:%u %s: %s", diags.items[i].line,
						      diags.items[i].column, diags.items[i].key,
						      diags.items[i].message));
	def_diags_clear(&diags);
	return r;
}

static void assert_diag(GPtrArray *diags, guint i, const char *prefix, const char *needle)
{
	const char *d;

	g_assert_cmpuint(i, <, diags->len);
	d = diags->pdata[i];
	g_test_message("diagnostic: %s", d);
	if (!g_str_has_prefix(d, prefix) || !strstr(d, needle))
		g_error("diagnostic '%s' lacks '%s' or '%s'", d, prefix, needle);
}

static void test_check(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_blob(d, "k", 4096, 12);
	g_autofree char *rd = make_blob(d, "rd", 4096, 13);

	{
		/* Fine, and what the real images give agrees. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(16 * MiB, k, rd, NULL);
		g_autoptr(GPtrArray) diags = NULL;
		g_autofree void *blob = NULL;
		struct loader_plan plan;
		size_t size;

		g_assert_cmpint(check_def(def, &diags), ==, 0);
		g_assert_cmpuint(diags->len, ==, 0);
		plan_ok(def, NULL, &plan, &blob, &size);
	}
	{
		/* 1 MiB: no 2 MiB devicetree slot, whatever the kernel (Create agrees). */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(1 * MiB, k, NULL, NULL);
		g_autoptr(GPtrArray) diags = NULL;
		const char *const needles[] = { "no room for the devicetree", NULL };

		g_assert_cmpint(check_def(def, &diags), ==, -EINVAL);
		g_assert_cmpuint(diags->len, ==, 1);
		assert_diag(diags, 0, "5:3 memory: ",
			    "no room for the devicetree: 0x200000 bytes, 2 MiB aligned, clear of the kernel at offset 0, do not fit in main memory (0x100000 bytes)");
		plan_fails(def, NULL, -ERANGE, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* Two explicit offsets beyond memory: both found in one call. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(16 * MiB, k, rd,
					       "ramdisk-offset: 0x2000000\n"
					       "devicetree:\n  offset: 0x1800000\n");
		g_autoptr(GPtrArray) diags = NULL;

		g_assert_cmpint(check_def(def, &diags), ==, -EINVAL);
		g_assert_cmpuint(diags->len, ==, 2);
		assert_diag(diags, 0, "11:11 devicetree.offset: ",
			    "'devicetree' at offset 0x1800000 needs at least 0x");
		assert_diag(diags, 1, "9:17 ramdisk-offset: ",
			    "'ramdisk' at offset 0x2000000 is past the end of main memory (0x1000000 bytes)");
	}
	{
		/* The devicetree on the kernel at offset 0. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(16 * MiB, k, NULL,
					       "devicetree:\n  offset: 0\n");
		g_autoptr(GPtrArray) diags = NULL;

		g_assert_cmpint(check_def(def, &diags), ==, -EINVAL);
		g_assert_cmpuint(diags->len, ==, 1);
		assert_diag(diags, 0, "9:11 devicetree.offset: ",
			    "'devicetree' at offset 0x0 collides with the kernel at offset 0x0");
	}
	{
		/* What depends on the images' sizes is left to Create: no false alarm. */
		g_autofree char *kf = make_blob(d, "full", 8 * MiB, 7);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(8 * MiB, kf, NULL, NULL);
		g_autoptr(GPtrArray) diags = NULL;
		const char *const needles[] = { "no room for the devicetree", NULL };

		g_assert_cmpint(check_def(def, &diags), ==, 0);
		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
}

/* ------------------------------------------------------------------ */
/* The arm64 Image header */

static void test_header_raw(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_blob(d, "raw", 3 * MiB + 100, 1);
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, NULL, NULL);
	g_autofree void *blob = NULL;
	struct loader_plan p;
	size_t size;

	plan_ok(def, NULL, &p, &blob, &size);
	g_assert_false(p.kernel_has_header);
	g_assert_cmpuint(p.kernel.size, ==, 3 * MiB + 100);
	g_assert_cmpuint(p.kernel_file_size, ==, 3 * MiB + 100);
	assert_plan_sane(&p, blob, size, VMDEF_DEFAULT_DTB_RESERVE);
}

static void test_header_bss(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	/* 1 MiB file, 10 MiB image: BSS up to 10 MiB. */
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 10 * MiB, 0);
	g_autofree char *rd_fit = make_blob(d, "rd-fit", 4 * MiB, 2);
	g_autofree char *rd_over = make_blob(d, "rd-over", 4 * MiB + 1, 3);

	{
		/* 16 MiB: DTB slot [14M, 16M); a 4 MiB ramdisk exactly fills [10M, 14M). */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(16 * MiB, k, rd_fit, NULL);
		g_autofree void *blob = NULL;
		struct loader_plan p;
		size_t size;

		plan_ok(def, NULL, &p, &blob, &size);
		g_assert_true(p.kernel_has_header);
		g_assert_cmpuint(p.kernel.size, ==, 10 * MiB);
		g_assert_cmpuint(p.kernel_file_size, ==, 1 * MiB);
		g_assert_cmpuint(p.dtb.offset, ==, 14 * MiB);
		g_assert_cmpuint(p.ramdisk.offset, ==, 10 * MiB);
		g_assert_cmpuint(p.ramdisk.offset, >=, p.kernel.size);
		assert_plan_sane(&p, blob, size, VMDEF_DEFAULT_DTB_RESERVE);
	}
	{
		/* One byte more and it would have to sit in the BSS: refused, both named. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(16 * MiB, k, rd_over, NULL);
		const char *const needles[] = { "no room for the ramdisk", "'ramdisk'",
						"'kernel' [0x0, 0xa00000)", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* An explicit ramdisk-offset inside the BSS. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd_fit, "ramdisk-offset: 0x200000\n");
		const char *const needles[] = { "ramdisk-offset", "'ramdisk' [0x200000, 0x600000)",
						"'kernel' [0x0, 0xa00000)", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* image_size 0 (pre-3.17): the file's size. */
		g_autofree char *k0 = make_kernel(d, "Image0", 2 * MiB + 8, 0, 0);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k0, NULL, NULL);
		g_autofree void *blob = NULL;
		struct loader_plan p;
		size_t size;

		plan_ok(def, NULL, &p, &blob, &size);
		g_assert_true(p.kernel_has_header);
		g_assert_cmpuint(p.kernel.size, ==, 2 * MiB + 8);
	}
	{
		/* image_size beyond memory. */
		g_autofree char *kb = make_kernel(d, "ImageBig", 1 * MiB, 65 * MiB, 0);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, kb, NULL, NULL);
		const char *const needles[] = { "kernel does not fit", "'kernel'", "0x4000000",
						NULL };

		plan_fails(def, NULL, -ERANGE, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
}

static void test_header_refused(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 2 * MiB, 0x80000);
	g_autofree char *gz = tmp_path(d, "Image.gz");
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, NULL, NULL);
	_cleanup_(vmdef_freep) struct vmdef *def_gz = NULL;
	const char *const needles[] = { k, "text_offset 0x80000", NULL };
	const char *const gz_needles[] = { gz, "gzip", NULL };
	static const uint8_t gz_bytes[] = { 0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4 };

	plan_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	g_assert_true(g_file_set_contents(gz, (const char *) gz_bytes, sizeof(gz_bytes), NULL));
	def_gz = def_for(64 * MiB, gz, NULL, NULL);
	plan_fails(def_gz, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, gz_needles);
}

/* ------------------------------------------------------------------ */
/* Placement */

static void test_place_auto(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 5 * MiB + 4 * KiB, 7 * MiB, 0);
	g_autofree char *rd = make_blob(d, "initrd", 3 * MiB + 1234, 4);
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(256 * MiB, k, rd, NULL);
	g_autofree void *blob = NULL;
	struct loader_plan p;
	uint64_t rd_gpa;
	size_t size;

	plan_ok(def, NULL, &p, &blob, &size);
	assert_plan_sane(&p, blob, size, VMDEF_DEFAULT_DTB_RESERVE);
	g_assert_cmpuint(p.memory_base, ==, 0x80000000);
	g_assert_cmpuint(p.memory_size, ==, 256 * MiB);
	/* The DTB: the top 2 MiB-aligned slot, blob at its start (8-byte aligned). */
	g_assert_cmpuint(p.dtb.offset, ==, 256 * MiB - 2 * MiB);
	g_assert_cmpuint(p.dtb.offset % (2 * MiB), ==, 0);
	g_assert_cmpuint(p.dtb_slot.size, ==, 2 * MiB);
	/* The ramdisk: page aligned, right below the slot. */
	g_assert_cmpuint(p.ramdisk.offset % 4096, ==, 0);
	g_assert_cmpuint(p.ramdisk.offset, ==, (p.dtb.offset - (3 * MiB + 1234)) & ~4095ull);
	g_assert_cmpuint(p.ramdisk.size, ==, 3 * MiB + 1234);
	/* /chosen says where, end exclusive, as guest physical addresses. */
	rd_gpa = p.memory_base + p.ramdisk.offset;
	g_assert_cmpuint(prop_u64(blob, "/chosen", "linux,initrd-start"), ==, rd_gpa);
	g_assert_cmpuint(prop_u64(blob, "/chosen", "linux,initrd-end"), ==,
			 rd_gpa + 3 * MiB + 1234);
}

static void test_place_explicit(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 2 * MiB, 0);
	g_autofree char *rd = make_blob(d, "initrd", 1 * MiB, 5);

	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd,
					       "ramdisk-offset: 0x400000\n"
					       "devicetree:\n  offset: 0x1000008\n");
		g_autofree void *blob = NULL;
		struct loader_plan p;
		size_t size;

		plan_ok(def, NULL, &p, &blob, &size);
		g_assert_cmpuint(p.ramdisk.offset, ==, 0x400000);
		g_assert_cmpuint(p.dtb.offset, ==, 0x1000008);
		g_assert_cmpuint(p.dtb_slot.offset, ==, 0x1000008);
		g_assert_cmpuint(p.dtb_slot.size, ==, p.dtb_size);
		g_assert_cmpuint(prop_u64(blob, "/chosen", "linux,initrd-start"), ==, 0x80400000);
		g_assert_cmpuint(prop_u64(blob, "/chosen", "linux,initrd-end"), ==, 0x80500000);
		assert_plan_sane(&p, blob, size, VMDEF_DEFAULT_DTB_RESERVE);
	}
	{
		/* Explicit devicetree low; the automatic ramdisk goes to the top. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd, "devicetree:\n  offset: 0x200000\n");
		g_autofree void *blob = NULL;
		struct loader_plan p;
		size_t size;

		plan_ok(def, NULL, &p, &blob, &size);
		g_assert_cmpuint(p.dtb.offset, ==, 0x200000);
		g_assert_cmpuint(p.ramdisk.offset, ==, 63 * MiB);
		assert_plan_sane(&p, blob, size, VMDEF_DEFAULT_DTB_RESERVE);
	}
	{
		/* Explicit ramdisk at the top; the automatic slot goes below it. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd, "ramdisk-offset: 0x3f00000\n");
		g_autofree void *blob = NULL;
		struct loader_plan p;
		size_t size;

		plan_ok(def, NULL, &p, &blob, &size);
		g_assert_cmpuint(p.ramdisk.offset, ==, 0x3f00000);
		g_assert_cmpuint(p.dtb.offset, ==, 60 * MiB);
		assert_plan_sane(&p, blob, size, VMDEF_DEFAULT_DTB_RESERVE);
	}
	{
		/* A larger reserve: dt_size grows with it, the slot to 4 MiB. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd, "devicetree:\n  reserve: 1M\n");
		g_autofree void *blob = NULL;
		struct loader_plan p;
		size_t size;

		plan_ok(def, NULL, &p, &blob, &size);
		assert_plan_sane(&p, blob, size, 1 * MiB);
		g_assert_cmpuint(p.dtb_slot.size, ==, 4 * MiB);
		g_assert_cmpuint(p.dtb.offset, ==, 60 * MiB);
	}
}

static void test_place_conflicts(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 2 * MiB, 0);
	g_autofree char *rd = make_blob(d, "initrd", 1 * MiB, 6);

	{
		/* Explicit offsets that overlap: both extents and ranges named. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd,
					       "ramdisk-offset: 0x800000\n"
					       "devicetree:\n  offset: 0x7f0000\n");
		const char *const needles[] = { "ramdisk-offset", "'ramdisk' [0x800000, 0x900000)",
						"'devicetree' [0x7f0000, 0x", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* Explicit devicetree over the kernel. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, NULL, "devicetree:\n  offset: 0x1ffff8\n");
		const char *const needles[] = { "devicetree.offset", "'devicetree' [0x1ffff8, ",
						"'kernel' [0x0, 0x200000)", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* Explicit devicetree whose dt_size runs past the end of memory. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, NULL, "devicetree:\n  offset: 0x3fff000\n");
		const char *const needles[] = { "'devicetree' ends at", "0x4000000", NULL };

		plan_fails(def, NULL, -ERANGE, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* A kernel that fills memory exactly: no room for the devicetree. */
		g_autofree char *kf = make_blob(d, "full", 8 * MiB, 7);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(8 * MiB, kf, NULL, NULL);
		const char *const needles[] = { "no room for the devicetree",
						"'devicetree' [0x600000, 0x800000)",
						"'kernel' [0x0, 0x800000)", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* 4 MiB with a 3 MiB kernel: no free 2 MiB-aligned slot. */
		g_autofree char *k3 = make_blob(d, "three", 3 * MiB, 8);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(4 * MiB, k3, NULL, NULL);
		const char *const needles[] = { "no room for the devicetree", "'kernel'", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* A ramdisk larger than memory: refused as a file. */
		g_autofree char *big = make_blob(d, "big", 8 * MiB + 1, 9);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(8 * MiB, k, big, NULL);
		const char *const needles[] = { "ramdisk", big, "more than main memory", NULL };

		plan_fails(def, NULL, -EFBIG, GH_ERROR_INVALID_DEFINITION, needles);
	}
	{
		/* A ramdisk that fits memory but not the gap left. */
		g_autofree char *rd7 = make_blob(d, "seven", 7 * MiB, 10);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(8 * MiB, k, rd7, NULL);
		const char *const needles[] = { "no room for the ramdisk", "'ramdisk'", NULL };

		plan_fails(def, NULL, -EEXIST, GH_ERROR_LAYOUT_CONFLICT, needles);
	}
	{
		/* A kernel file larger than memory. */
		g_autofree char *kb = make_blob(d, "kbig", 8 * MiB + 4096, 11);
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(8 * MiB, kb, NULL, NULL);
		const char *const needles[] = { "kernel", kb, "more than main memory", NULL };

		plan_fails(def, NULL, -EFBIG, GH_ERROR_INVALID_DEFINITION, needles);
	}
}

/* ------------------------------------------------------------------ */
/* Loading */

static void assert_memory_equals_file(const uint8_t *mem, const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *data = NULL;
	gsize size;

	g_file_get_contents(path, &data, &size, &err);
	g_assert_no_error(err);
	g_assert_cmpmem(mem, size, data, size);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void assert_extents_equal(const struct guest_extent *a, const struct guest_extent *b)
{
	g_assert_cmpuint(a->offset, ==, b->offset);
	g_assert_cmpuint(a->size, ==, b->size);
}

static void assert_plans_equal(const struct loader_plan *a, const struct loader_plan *b)
{
	g_assert_cmpuint(a->memory_base, ==, b->memory_base);
	g_assert_cmpuint(a->memory_size, ==, b->memory_size);
	assert_extents_equal(&a->kernel, &b->kernel);
	g_assert_cmpuint(a->kernel_file_size, ==, b->kernel_file_size);
	g_assert_cmpint(a->kernel_has_header, ==, b->kernel_has_header);
	assert_extents_equal(&a->ramdisk, &b->ramdisk);
	assert_extents_equal(&a->dtb, &b->dtb);
	g_assert_cmpuint(a->dtb_size, ==, b->dtb_size);
	assert_extents_equal(&a->dtb_slot, &b->dtb_slot);
}

static void test_load_bytes(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 3 * MiB + 12, 4 * MiB, 0);
	g_autofree char *rd = make_blob(d, "initrd", 2 * MiB + 77, 12);
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(64 * MiB, k, rd,
				       "cmdline: \"console=hvc0\"\n"
				       "regions:\n  - { label: 1, base: 0xc0000000, size: 2M }\n");
	_cleanup_(guest_freep) struct guest *g = NULL;
	g_autofree void *plan_blob = NULL;
	struct loader_plan p, dry;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	size_t plan_size;
	const uint8_t *mem;

	g_assert_cmpint(guest_new(def, &g), ==, 0);
	g_assert_cmpint(loader_load(def, NULL, g, &p, &err), ==, 0);
	g_assert_false(sd_bus_error_is_set(&err));
	mem = guest_main(g)->host;

	/* Images byte for byte at the documented offsets. */
	assert_memory_equals_file(mem + p.kernel.offset, k);
	assert_memory_equals_file(mem + p.ramdisk.offset, rd);
	/* BSS stays zero. */
	g_assert_true(all_zero(mem + p.kernel_file_size, p.kernel.size - p.kernel_file_size));
	/* The blob in memory is the daemon's copy. */
	g_assert_nonnull(g->dtb_blob);
	g_assert_cmpuint(g->dtb_blob_size, ==, p.dtb.size);
	g_assert_cmpmem(mem + p.dtb.offset, g->dtb_blob_size, g->dtb_blob, g->dtb_blob_size);
	g_assert_cmpint(fdt_check_full(mem + p.dtb.offset, p.dtb_size), ==, 0);
	/* The rest of the reservation stays zero for the RM. */
	g_assert_true(all_zero(mem + p.dtb.offset + p.dtb.size, p.dtb_size - p.dtb.size));
	/* Guest fields. */
	g_assert_cmpuint(g->kernel.offset, ==, 0);
	g_assert_cmpuint(g->kernel.size, ==, 4 * MiB);
	g_assert_cmpuint(g->ramdisk.offset, ==, p.ramdisk.offset);
	g_assert_cmpuint(g->ramdisk.size, ==, 2 * MiB + 77);
	g_assert_cmpuint(g->dtb.offset, ==, p.dtb.offset);
	g_assert_cmpuint(g->dtb.size, ==, p.dtb.size);
	g_assert_cmpuint(g->dtb_reserve, ==, p.dtb_size);
	assert_plan_sane(&p, g->dtb_blob, g->dtb_blob_size, VMDEF_DEFAULT_DTB_RESERVE);
	g_assert_cmpstr(prop_str(g->dtb_blob, "/chosen", "bootargs"), ==, "console=hvc0");
	g_assert_cmpuint(prop_u64(g->dtb_blob, "/chosen", "linux,initrd-start"), ==,
			 0x80000000 + p.ramdisk.offset);

	/* The dry run computes the same placement and the same bytes. */
	plan_ok(def, NULL, &dry, &plan_blob, &plan_size);
	assert_plans_equal(&dry, &p);
	g_assert_cmpmem(plan_blob, plan_size, g->dtb_blob, g->dtb_blob_size);

	/* A second load replaces the copy without leaking it. */
	g_assert_cmpint(loader_load(def, NULL, g, NULL, NULL), ==, 0);
	g_assert_cmpmem(plan_blob, plan_size, g->dtb_blob, g->dtb_blob_size);
}

static void test_load_failure_untouched(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_blob(d, "full", 8 * MiB, 13);
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(8 * MiB, k, NULL, NULL);
	_cleanup_(guest_freep) struct guest *g = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int fds = test_count_fds(0);

	g_assert_cmpint(guest_new(def, &g), ==, 0);
	fds = test_count_fds(0);
	g_assert_cmpint(loader_load(def, NULL, g, NULL, &err), ==, -EEXIST);
	g_assert_cmpstr(err.name, ==, GH_ERROR_LAYOUT_CONFLICT);
	sd_bus_error_free(&err);
	g_assert_null(g->dtb_blob);
	g_assert_cmpuint(g->kernel.size, ==, 0);
	g_assert_cmpuint(g->dtb_reserve, ==, 0);
	g_assert_cmpint(test_count_fds(0), ==, fds);
	/* NULL error is fine. */
	g_assert_cmpint(loader_load(def, NULL, g, NULL, NULL), ==, -EEXIST);
}

/* Through the sim backend: START checks the DTB range and fdt_check_full. */
static void test_load_sim_start(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 2 * MiB, 3 * MiB, 0);
	g_autofree char *rd = make_blob(d, "initrd", 1 * MiB, 14);
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, k, rd,
				       "regions:\n  - { label: 1, base: 0xc0000000, size: 2M, "
				       "sharing: shared }\n");
	_cleanup_(guest_freep) struct guest *g = NULL;
	_cleanup_(hyp_freep) struct hyp *h = NULL;
	struct hyp_vm *vm = NULL;
	struct gh_vm_dtb_config dtb;

	g_assert_cmpint(guest_new(def, &g), ==, 0);
	g_assert_cmpint(loader_load(def, NULL, g, NULL, NULL), ==, 0);
	g_assert_cmpint(hyp_sim_new(&h), ==, 0);
	g_assert_cmpint(hyp_create_vm(h, 0, &vm), ==, 0);
	for (size_t i = 0; i < g->n_regions; i++) {
		const struct guest_region *reg = &g->regions[i];
		struct gh_userspace_memory_region region = {
			.label = reg->label,
			.flags = reg->flags,
			.guest_phys_addr = reg->gpa,
			.memory_size = reg->size,
			.userspace_addr = (uintptr_t) reg->host,
		};

		g_assert_cmpint(hyp_vm_set_user_mem_region(vm, &region), ==, 0);
	}
	dtb = (struct gh_vm_dtb_config) {
		.gpa = guest_main(g)->gpa + g->dtb.offset,
		.size = g->dtb_reserve,
	};
	g_assert_cmpint(hyp_vm_set_dtb_config(vm, &dtb), ==, 0);
	g_assert_cmpint(hyp_vm_start(vm), ==, 0);
	vm = hyp_vm_destroy(vm);	/* gives the lent pages back before guest_free */
}

/* ------------------------------------------------------------------ */
/* Files */

static void test_files_transient(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 2 * MiB, 0);
	g_autofree char *rd = make_blob(d, "initrd", 1 * MiB + 5, 15);
	g_autofree char *ovl = compile_dts(d, "o.dtbo",
					   "/dts-v1/;\n/plugin/;\n&chosen { stdout-path = \"hvc0\"; };\n");
	_cleanup_(vmdef_freep) struct vmdef *def = parse_def_opts(
		"version: 1\nname: t\nmemory: { size: 32M }\nkernel: fd:kernel\n"
		"ramdisk: fd:initrd\ndevicetree:\n  overlay: fd:dt.overlay\n", true);
	struct loader_files files = LOADER_FILES_NONE;
	_cleanup_(guest_freep) struct guest *g = NULL;
	const char *const needles[] = { "kernel", "fd:kernel", "no file descriptor", NULL };
	const char *const rd_needles[] = { "ramdisk", "fd:initrd", NULL };
	int fds;

	g_assert_true(def->transient);
	g_assert_cmpstr(loader_fd_key(def->kernel), ==, "kernel");
	g_assert_cmpstr(loader_fd_key(def->devicetree.overlay), ==, "dt.overlay");
	g_assert_null(loader_fd_key("/var/lib/gunyah/Image"));
	g_assert_null(loader_fd_key(NULL));
	/* Paths are never opened for a transient definition. */
	plan_fails(def, NULL, -EBADF, GH_ERROR_INVALID_DEFINITION, needles);
	files.kernel_fd = open(k, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(files.kernel_fd, >=, 0);
	plan_fails(def, &files, -EBADF, GH_ERROR_INVALID_DEFINITION, rd_needles);
	files.ramdisk_fd = open(rd, O_RDONLY | O_CLOEXEC);
	files.overlay_fd = open(ovl, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(files.ramdisk_fd, >=, 0);
	g_assert_cmpint(files.overlay_fd, >=, 0);
	/* Positions do not matter and are left alone. */
	g_assert_cmpint(lseek(files.kernel_fd, 1000, SEEK_SET), ==, 1000);
	g_assert_cmpint(lseek(files.ramdisk_fd, 7, SEEK_SET), ==, 7);

	fds = test_count_fds(0);
	g_assert_cmpint(guest_new(def, &g), ==, 0);
	g_assert_cmpint(loader_load(def, &files, g, NULL, NULL), ==, 0);
	assert_memory_equals_file(guest_main(g)->host, k);
	assert_memory_equals_file((uint8_t *) guest_main(g)->host + g->ramdisk.offset, rd);
	g_assert_cmpstr(prop_str(g->dtb_blob, "/chosen", "stdout-path"), ==, "hvc0");
	g_assert_cmpint(lseek(files.kernel_fd, 0, SEEK_CUR), ==, 1000);
	g_assert_cmpint(lseek(files.ramdisk_fd, 0, SEEK_CUR), ==, 7);
	/* Not closed: the caller owns them. */
	g_assert_cmpint(fcntl(files.kernel_fd, F_GETFD), >=, 0);
	g_assert_cmpint(fcntl(files.overlay_fd, F_GETFD), >=, 0);
	g_assert_cmpint(test_count_fds(0), ==, fds + (int) g->n_regions);

	/* A passed fd that is not a regular file. */
	{
		int pipefd[2];
		struct loader_files pf = files;
		const char *const p_needles[] = { "fd:kernel", "not a regular file", NULL };

		g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);
		pf.kernel_fd = pipefd[0];
		plan_fails(def, &pf, -EINVAL, GH_ERROR_INVALID_DEFINITION, p_needles);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	close(files.kernel_fd);
	close(files.ramdisk_fd);
	close(files.overlay_fd);
}

static void test_files_errors(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 2 * MiB, 0);
	g_autofree char *missing = tmp_path(d, "missing");
	g_autofree char *empty = make_text(d, "empty", "");
	g_autofree char *big_ovl = make_blob(d, "big.dtbo", DTB_OVERLAY_MAX + 1, 16);
	g_autofree char *garbage = make_blob(d, "garbage.dtbo", 512, 17);
	g_autofree char *ovl_yaml = NULL;

	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, missing, NULL, NULL);
		const char *const needles[] = { "cannot open kernel", missing,
						"No such file or directory", NULL };

		plan_fails(def, NULL, -ENOENT, GH_ERROR_INVALID_DEFINITION, needles);
	}
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, d->path, NULL, NULL);
		const char *const needles[] = { d->path, "not a regular file", NULL };

		plan_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	}
	{
		_cleanup_(vmdef_freep) struct vmdef *def =
			def_for(32 * MiB, "/dev/null", NULL, NULL);
		const char *const needles[] = { "/dev/null", "not a regular file", NULL };

		plan_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	}
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, empty, NULL, NULL);
		const char *const needles[] = { empty, "is empty", NULL };

		plan_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	}
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, k, empty, NULL);
		const char *const needles[] = { "ramdisk", empty, "is empty", NULL };

		plan_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
	}
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, k, missing, NULL);
		const char *const needles[] = { "ramdisk", missing, NULL };

		plan_fails(def, NULL, -ENOENT, GH_ERROR_INVALID_DEFINITION, needles);
	}
	ovl_yaml = g_strdup_printf("devicetree:\n  overlay: %s\n", big_ovl);
	{
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, k, NULL, ovl_yaml);
		const char *const needles[] = { "devicetree overlay", big_ovl, "limit", NULL };

		plan_fails(def, NULL, -EFBIG, GH_ERROR_INVALID_DEFINITION, needles);
	}
	g_free(ovl_yaml);
	ovl_yaml = g_strdup_printf("devicetree:\n  overlay: %s\n", garbage);
	{
		/* A broken overlay: refused, the file named; nothing loaded. */
		_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, k, NULL, ovl_yaml);
		_cleanup_(guest_freep) struct guest *g = NULL;
		sd_bus_error err = SD_BUS_ERROR_NULL;
		const char *const needles[] = { garbage, "not a valid devicetree blob", NULL };

		plan_fails(def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
		g_assert_cmpint(guest_new(def, &g), ==, 0);
		g_assert_cmpint(loader_load(def, NULL, g, NULL, &err), ==, -EINVAL);
		g_assert_nonnull(strstr(err.message, garbage));
		g_assert_null(g->dtb_blob);
		sd_bus_error_free(&err);
	}
}

static void test_overlay_load(void)
{
	_cleanup_(tmp_dir_freep) struct tmp_dir *d = tmp_dir_new();
	g_autofree char *k = make_kernel(d, "Image", 1 * MiB, 2 * MiB, 0);
	g_autofree char *ovl = compile_dts(d, "extra.dtbo",
		"/dts-v1/;\n/plugin/;\n"
		"&chosen { stdout-path = \"hvc0\"; };\n"
		"&{/} { extra { compatible = \"test,extra\"; }; };\n");
	g_autofree char *bad = compile_dts(d, "bad.dtbo",
		"/dts-v1/;\n/plugin/;\n&{/} { hypervisor { compatible = \"x\"; }; };\n");
	g_autofree char *yaml = g_strdup_printf("devicetree:\n  overlay: %s\n", ovl);
	g_autofree char *bad_yaml = g_strdup_printf("devicetree:\n  overlay: %s\n", bad);
	_cleanup_(vmdef_freep) struct vmdef *def = def_for(32 * MiB, k, NULL, yaml);
	_cleanup_(vmdef_freep) struct vmdef *bad_def = def_for(32 * MiB, k, NULL, bad_yaml);
	_cleanup_(guest_freep) struct guest *g = NULL;
	struct loader_plan p;
	const char *const needles[] = { bad, "/hypervisor", NULL };

	g_assert_cmpint(guest_new(def, &g), ==, 0);
	g_assert_cmpint(loader_load(def, NULL, g, &p, NULL), ==, 0);
	g_assert_cmpstr(prop_str(g->dtb_blob, "/chosen", "stdout-path"), ==, "hvc0");
	g_assert_cmpstr(prop_str(g->dtb_blob, "/extra", "compatible"), ==, "test,extra");
	g_assert_cmpmem((uint8_t *) guest_main(g)->host + p.dtb.offset, p.dtb.size,
			g->dtb_blob, g->dtb_blob_size);
	assert_plan_sane(&p, g->dtb_blob, g->dtb_blob_size, VMDEF_DEFAULT_DTB_RESERVE);

	plan_fails(bad_def, NULL, -EINVAL, GH_ERROR_INVALID_DEFINITION, needles);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/loader/header/raw", test_header_raw);
	g_test_add_func("/loader/header/bss", test_header_bss);
	g_test_add_func("/loader/header/refused", test_header_refused);
	g_test_add_func("/loader/place/auto", test_place_auto);
	g_test_add_func("/loader/place/explicit", test_place_explicit);
	g_test_add_func("/loader/place/conflicts", test_place_conflicts);
	g_test_add_func("/loader/check", test_check);
	g_test_add_func("/loader/load/bytes", test_load_bytes);
	g_test_add_func("/loader/load/failure-untouched", test_load_failure_untouched);
	g_test_add_func("/loader/load/sim-start", test_load_sim_start);
	g_test_add_func("/loader/files/transient", test_files_transient);
	g_test_add_func("/loader/files/errors", test_files_errors);
	g_test_add_func("/loader/overlay/load", test_overlay_load);

	return g_test_run();
}
