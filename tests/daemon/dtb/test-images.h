/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for test-dtb and test-loader: deterministic image files in a
 * temporary directory (no downloads), definitions from YAML text, overlays
 * compiled with dtc, and libfdt accessors that assert encodings.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include "vmdef.h"

#define MiB (1024ull * 1024)
#define KiB 1024ull

/* A scratch directory, removed (with its files) by tmp_dir_free(). */
struct tmp_dir {
	char *path;
};

static inline struct tmp_dir *tmp_dir_new(void)
{
	struct tmp_dir *d = g_new0(struct tmp_dir, 1);
	g_autoptr(GError) err = NULL;

	d->path = g_dir_make_tmp("gunyahd-test-XXXXXX", &err);
	g_assert_no_error(err);
	return d;
}

static inline void tmp_dir_free(struct tmp_dir *d)
{
	GDir *dir;
	const char *name;

	if (!d)
		return;
	dir = g_dir_open(d->path, 0, NULL);
	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *p = g_build_filename(d->path, name, NULL);

			(void) g_unlink(p);
		}
		g_dir_close(dir);
	}
	(void) g_rmdir(d->path);
	g_free(d->path);
	g_free(d);
}
GH_DEFINE_FREEP(struct tmp_dir, tmp_dir_free)

static inline char *tmp_path(const struct tmp_dir *d, const char *name)
{
	return g_build_filename(d->path, name, NULL);
}

/* Deterministic bytes: position- and seed-dependent, so misplaced copies show. */
static inline void fill_pattern(uint8_t *p, size_t n, uint64_t seed, uint64_t pos)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (pos + i) * 0x9e3779b97f4a7c15ull ^ seed;

		x ^= x >> 29;
		p[i] = (uint8_t) (x ^ (x >> 8) ^ ((pos + i) >> 12));
	}
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* Writes size pattern bytes to path, in chunks. */
static inline void write_pattern_file(const char *path, uint64_t size, uint64_t seed,
				      const uint8_t *head, size_t head_size)
{
	const size_t chunk = 1 << 20;
	g_autofree uint8_t *buf = g_malloc(chunk);
	FILE *f = fopen(path, "wb");

	g_assert_nonnull(f);
	for (uint64_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? (size_t) (size - off) : chunk;

		fill_pattern(buf, n, seed, off);
		if (off < head_size)
			memcpy(buf + 0, head + off,
			       head_size - off < n ? head_size - (size_t) off : n);
		g_assert_cmpuint(fwrite(buf, 1, n, f), ==, n);
	}
	g_assert_cmpint(fclose(f), ==, 0);
}

/* An arm64 Image: header (magic at 56) with text_offset and image_size. */
static inline char *make_kernel(const struct tmp_dir *d, const char *name, uint64_t file_size,
				uint64_t image_size, uint64_t text_offset)
{
	char *path = tmp_path(d, name);
	uint8_t hdr[64] = {};

	g_assert_cmpuint(file_size, >=, sizeof(hdr));
	put_le32(hdr + 0, 0xfa405a4d);		/* "MZ@\xfa": EFI stub's first insn */
	put_le32(hdr + 4, 0x14000000);		/* b . */
	put_le64(hdr + 8, text_offset);
	put_le64(hdr + 16, image_size);
	put_le64(hdr + 24, 0xa);		/* LE, 4K pages, anywhere */
	put_le32(hdr + 56, 0x644d5241);		/* "ARM\x64" */
	write_pattern_file(path, file_size, 0x6b65726eull, hdr, sizeof(hdr));
	return path;
}

/* A file with no header: a raw image, or a ramdisk. */
static inline char *make_blob(const struct tmp_dir *d, const char *name, uint64_t size,
			      uint64_t seed)
{
	char *path = tmp_path(d, name);

	write_pattern_file(path, size, seed, NULL, 0);
	return path;
}

static inline char *make_text(const struct tmp_dir *d, const char *name, const char *text)
{
	char *path = tmp_path(d, name);
	g_autoptr(GError) err = NULL;

	g_file_set_contents(path, text, -1, &err);
	g_assert_no_error(err);
	return path;
}

/* Compiles dts source text with `dtc -@` into name (a .dtb/.dtbo); returns its path. */
static inline char *compile_dts(const struct tmp_dir *d, const char *name, const char *source)
{
	g_autofree char *src_name = g_strconcat(name, ".dts", NULL);
	g_autofree char *src = make_text(d, src_name, source);
	char *out = tmp_path(d, name);
	const char *argv[] = { "dtc", "-@", "-q", "-I", "dts", "-O", "dtb", "-o", out, src, NULL };
	g_autoptr(GError) err = NULL;
	g_autofree char *err_text = NULL;
	int status;

	g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
		     NULL, NULL, NULL, &err_text, &status, &err);
	g_assert_no_error(err);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("dtc failed on %s: %s", src, err_text);
	return out;
}

/* Decompiles a blob with `dtc -I dtb -O dts`; returns the text. */
static inline char *decompile_dtb(const struct tmp_dir *d, const void *blob, size_t size)
{
	g_autofree char *path = tmp_path(d, "decompile.dtb");
	const char *argv[] = { "dtc", "-q", "-I", "dtb", "-O", "dts", "-o", "-", path, NULL };
	g_autoptr(GError) err = NULL;
	char *out = NULL;
	g_autofree char *err_text = NULL;
	int status;

	g_file_set_contents(path, blob, (gssize) size, &err);
	g_assert_no_error(err);
	g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
		     &err_text, &status, &err);
	g_assert_no_error(err);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("dtc -I dtb failed: %s", err_text);
	(void) g_unlink(path);
	return out;
}

/* A definition from YAML text; fails the test with every diagnostic otherwise. */
static inline struct vmdef *parse_def_opts(const char *yaml, bool transient)
{
	struct vmdef_parse_opts opts = { .transient = transient };
	struct def_diags diags = {};
	struct vmdef *def = NULL;
	int r;

	r = vmdef_parse_string("<test>", yaml, strlen(yaml), &opts, &def, &diags);
	if (r < 0) {
		for (size_t i = 0; i < diags.n; i++) {
			g_autofree char *m = def_diag_format("<test>", &diags.items[i]);

			g_printerr("%s\n", m);
		}
		g_error("definition refused (%d):\n%s", r, yaml);
	}
	def_diags_clear(&diags);
	return def;
}

static inline struct vmdef *parse_def(const char *yaml)
{
	return parse_def_opts(yaml, false);
}

/* ---- libfdt accessors that assert the encoding ---- */

static inline int node_at(const void *fdt, const char *path)
{
	int n = fdt_path_offset(fdt, path);

	if (n < 0)
		g_error("no node %s: %s", path, fdt_strerror(n));
	return n;
}

static inline const void *prop_len(const void *fdt, const char *path, const char *name,
				   int want_len)
{
	int len = -1;
	const void *v = fdt_getprop(fdt, node_at(fdt, path), name, &len);

	if (!v)
		g_error("%s: no property %s", path, name);
	if (want_len >= 0 && len != want_len)
		g_error("%s %s: %d bytes, want %d", path, name, len, want_len);
	return v;
}

static inline uint32_t prop_u32(const void *fdt, const char *path, const char *name)
{
	return fdt32_ld(prop_len(fdt, path, name, 4));
}

static inline uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
	return fdt64_ld(prop_len(fdt, path, name, 8));
}

/* The i-th 32-bit cell of a property. */
static inline uint32_t prop_cell(const void *fdt, const char *path, const char *name, int i)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node_at(fdt, path), name, &len);

	g_assert_nonnull(v);
	g_assert_cmpint((i + 1) * 4, <=, len);
	return fdt32_ld(&v[i]);
}

static inline const char *prop_str(const void *fdt, const char *path, const char *name)
{
	int len;
	const char *v = fdt_getprop(fdt, node_at(fdt, path), name, &len);

	if (!v)
		g_error("%s: no property %s", path, name);
	g_assert_cmpint(len, >=, 1);
	g_assert_cmpint(v[len - 1], ==, '\0');
	g_assert_cmpuint(strlen(v) + 1, ==, (size_t) len);	/* one string, not a list */
	return v;
}

static inline bool has_prop(const void *fdt, const char *path, const char *name)
{
	int n = fdt_path_offset(fdt, path);

	return n >= 0 && fdt_getprop(fdt, n, name, NULL) != NULL;
}
