/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Images into guest memory. The placement is computed once, by the same
 * code, for the dry run (loader_plan) and the real load (loader_load);
 * the load then reads the files straight into the MAP_SHARED mapping of
 * main memory with pread() (no intermediate buffer) and copies the blob.
 *
 * The devicetree is built twice when there is a ramdisk: its size decides
 * where it and the ramdisk go, and the ramdisk's address is in /chosen.
 * The initrd properties are fixed-size u64s, so the second build has the
 * size of the first (checked).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "dtb.h"
#include "layout.h"
#include "loader.h"
#include "util/bus-error.h"
#include "vmdef.h"

#define READ_CHUNK_MAX	(1u << 30)	/* bytes per pread(), below SSIZE_MAX everywhere */

struct loader_file {
	const char *what;	/* "kernel", "ramdisk", "devicetree overlay" */
	const char *name;	/* the definition's value: a path or fd:KEY */
	int fd;			/* -1: none */
	bool owned;		/* opened here, closed by loader_inputs_done() */
	uint64_t size;		/* bytes */
};

struct loader_inputs {
	struct loader_file kernel;
	struct loader_file ramdisk;
	struct loader_file overlay;
	void *overlay_data;	/* the whole .dtbo */
	uint64_t kernel_footprint;
	bool kernel_has_header;
};

static void loader_inputs_done(struct loader_inputs *in)
{
	struct loader_file *files[] = { &in->kernel, &in->ramdisk, &in->overlay };

	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		if (files[i]->owned)
			files[i]->fd = safe_close(files[i]->fd);
	free(in->overlay_data);
	in->overlay_data = NULL;
}


static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v / a * a;
}

/* Rounds v up to a multiple of a; false on overflow. */
static bool align_up(uint64_t v, uint64_t a, uint64_t *ret)
{
	uint64_t r = v % a;

	if (r == 0) {
		*ret = v;
		return true;
	}
	return !__builtin_add_overflow(v, a - r, ret);
}

/* Reads size bytes at off into buf; -ENODATA if the file ends early. */
static int read_full(int fd, void *buf, uint64_t size, uint64_t off)
{
	uint8_t *p = buf;

	while (size > 0) {
		size_t n = size > READ_CHUNK_MAX ? READ_CHUNK_MAX : (size_t) size;
		ssize_t k;

		k = pread(fd, p, n, (off_t) off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -ENODATA;
		p += k;
		off += (uint64_t) k;
		size -= (uint64_t) k;
	}
	return 0;
}

static int file_read_error(const struct vmdef *def, const struct loader_file *f, int r,
			   sd_bus_error *error)
{
	if (r == -ENODATA)
		return bus_error_setf(error, -EIO, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': %s '%s' became shorter while being read",
				   def->name, f->what, f->name);
	return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
			   "VM '%s': cannot read %s '%s': %s", def->name, f->what, f->name,
			   strerror(-r));
}

/* Opens (or takes) one file the definition names and checks its type and size. */
static int file_open(const struct vmdef *def, struct loader_file *f, const char *what,
		     const char *name, int given_fd, uint64_t max_size, const char *max_what,
		     sd_bus_error *error)
{
	struct stat st;

	*f = (struct loader_file) { .what = what, .name = name, .fd = -1 };
	if (given_fd >= 0) {
		f->fd = given_fd;
	} else if (def->transient || loader_fd_key(name)) {
		return bus_error_setf(error, -EBADF, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': %s '%s': no file descriptor was passed for it",
				   def->name, what, name);
	} else {
		f->fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (f->fd < 0) {
			int r = -errno;

			return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
					   "VM '%s': cannot open %s '%s': %s", def->name, what,
					   name, strerror(-r));
		}
		f->owned = true;
	}

	if (fstat(f->fd, &st) < 0) {
		int r = -errno;

		return bus_error_setf(error, r, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': cannot stat %s '%s': %s", def->name, what, name,
				   strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': %s '%s' is not a regular file", def->name, what, name);
	if (st.st_size <= 0)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': %s '%s' is empty", def->name, what, name);
	f->size = (uint64_t) st.st_size;
	if (f->size > max_size)
		return bus_error_setf(error, -EFBIG, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': %s '%s' is %" PRIu64 " bytes, more than %s (%" PRIu64
				   " bytes)", def->name, what, name, f->size, max_what, max_size);
	return 0;
}

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
	       (uint32_t) p[3] << 24;
}

/*
 * The kernel's footprint from its arm64 Image header. The RM enters the
 * image at its first byte (VM_CONFIG_IMAGE image_offset 0) and main memory
 * starts 2 MiB aligned, so the kernel sits at a 2 MiB boundary: one that
 * wants text_offset bytes above it cannot be honoured (its entry point
 * would be at offset text_offset, where the vCPU does not start), and is
 * refused. Linux has used text_offset 0 since 5.8.
 */
static int kernel_inspect(const struct vmdef *def, struct loader_inputs *in,
			  sd_bus_error *error)
{
	const struct loader_file *f = &in->kernel;
	uint8_t hdr[LOADER_ARM64_HEADER_SIZE] = {};
	uint64_t n = f->size < sizeof(hdr) ? f->size : sizeof(hdr);
	uint64_t text_offset, image_size;
	int r;

	r = read_full(f->fd, hdr, n, 0);
	if (r < 0)
		return file_read_error(def, f, r, error);

	in->kernel_footprint = f->size;
	in->kernel_has_header = false;
	if (n >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': kernel '%s' is gzip-compressed; the guest starts at its first byte, so it must be an uncompressed Image",
				   def->name, f->name);
	if (n < sizeof(hdr) || le32_at(hdr + LOADER_ARM64_MAGIC_OFFSET) != LOADER_ARM64_MAGIC)
		return 0;	/* a raw image: its footprint is its size */

	in->kernel_has_header = true;
	text_offset = le64_at(hdr + 8);
	image_size = le64_at(hdr + 16);
	if (text_offset != 0)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': kernel '%s' has text_offset 0x%" PRIx64
				   "; Gunyah starts the boot vCPU at offset 0 of main memory (a 2 MiB boundary), so only kernels with text_offset 0 (Linux 5.8 and later) can boot",
				   def->name, f->name, text_offset);
	/* image_size 0: a pre-3.17 kernel that does not say; use the file. */
	if (image_size > in->kernel_footprint)
		in->kernel_footprint = image_size;
	return 0;
}

static int inputs_open(const struct vmdef *def, const struct loader_files *files,
		       struct loader_inputs *in, sd_bus_error *error)
{
	const struct loader_files none = LOADER_FILES_NONE;
	int r;

	if (!files)
		files = &none;
	*in = (struct loader_inputs) {
		.kernel = { .fd = -1 }, .ramdisk = { .fd = -1 }, .overlay = { .fd = -1 },
	};

	if (!def->kernel)
		return bus_error_setf(error, -EINVAL, GH_ERROR_INVALID_DEFINITION,
				   "VM '%s': the definition names no kernel", def->name);
	r = file_open(def, &in->kernel, "kernel", def->kernel, files->kernel_fd,
		      def->memory.size, "main memory", error);
	if (r < 0)
		return r;
	r = kernel_inspect(def, in, error);
	if (r < 0)
		return r;

	if (def->ramdisk) {
		r = file_open(def, &in->ramdisk, "ramdisk", def->ramdisk, files->ramdisk_fd,
			      def->memory.size, "main memory", error);
		if (r < 0)
			return r;
	}

	if (def->devicetree.overlay) {
		struct loader_file *f = &in->overlay;

		r = file_open(def, f, "devicetree overlay", def->devicetree.overlay,
			      files->overlay_fd, DTB_OVERLAY_MAX, "the overlay limit", error);
		if (r < 0)
			return r;
		in->overlay_data = malloc(f->size);
		if (!in->overlay_data)
			return bus_error_oom(error);
		r = read_full(f->fd, in->overlay_data, f->size, 0);
		if (r < 0)
			return file_read_error(def, f, r, error);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Placement */

struct placer {
	const struct vmdef *def;
	struct layout *layout;		/* extents mode, window [0, memory size) */
	struct guest_extent fixed[3];	/* what is placed so far */
	size_t n_fixed;
	/*
	 * loader_check(): every problem becomes a diagnostic and placement
	 * goes on without the extent, so that one pass finds them all.
	 */
	struct def_diags *diags;
};

/* Where a problem with the definition's key points, for diagnostics. */
struct placer_key {
	const char *key;
	struct vmdef_mark mark;
};

/* A placement problem: the error, or in loader_check() a diagnostic (returns 0 then). */
static __attribute__((format(printf, 4, 5)))
int placer_fail(struct placer *p, int r, const struct placer_key *at, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	if (p->diags) {
		k = def_diags_add(p->diags, at->mark.line, at->mark.column, at->key, "%s", msg);
		return k < 0 ? k : 0;
	}
	return r;
}

/*
 * loader_check()'s sizes are lower bounds (1-byte images): its messages
 * name offsets, not the ranges of those stand-ins.
 */
static int placer_check_fail(struct placer *p, int r, const struct layout_parcel *parcel,
			     const struct layout_parcel *conflict, const struct placer_key *at)
{
	uint64_t mem = p->def->memory.size;

	if (r == -EEXIST && conflict)
		return placer_fail(p, r, at,
				   "'%s' at offset 0x%" PRIx64 " collides with the %s at offset 0x%"
				   PRIx64, parcel->name, parcel->base, conflict->name, conflict->base);
	if (parcel->size > 1)
		return placer_fail(p, r, at,
				   "'%s' at offset 0x%" PRIx64 " needs at least 0x%" PRIx64
				   " bytes, past the end of main memory (0x%" PRIx64 " bytes)",
				   parcel->name, parcel->base, parcel->size, mem);
	return placer_fail(p, r, at,
			   "'%s' at offset 0x%" PRIx64 " is past the end of main memory (0x%"
			   PRIx64 " bytes)", parcel->name, parcel->base, mem);
}

/* Adds an extent; on failure explains it with both names and ranges. */
static int placer_add(struct placer *p, const char *name, uint64_t offset, uint64_t size,
		      const char *why, const struct placer_key *at, sd_bus_error *error)
{
	const struct layout_parcel parcel = { .base = offset, .size = size, .name = name };
	const struct layout_parcel *conflict = NULL;
	_cleanup_free_ char *msg = NULL;
	int r;

	r = layout_add(p->layout, &parcel, &conflict);
	if (r == -ENOMEM)
		return bus_error_oom(error);
	if (r < 0) {
		if (p->diags)
			return placer_check_fail(p, r, &parcel, conflict, at);
		msg = layout_strerror(p->layout, r, &parcel, conflict);
		if (!msg)
			return bus_error_oom(error);
		return bus_error_setf(error, r, GH_ERROR_LAYOUT_CONFLICT,
				   "VM '%s': %s%s (offsets into main memory, which is 0x%" PRIx64
				   " bytes)", p->def->name, why ?: "", msg, p->def->memory.size);
	}
	assert(p->n_fixed < ELEMENTSOF(p->fixed));
	p->fixed[p->n_fixed++] = (struct guest_extent) { .offset = offset, .size = size };
	return 0;
}

static bool overlaps_fixed(const struct placer *p, uint64_t offset, uint64_t size)
{
	for (size_t i = 0; i < p->n_fixed; i++) {
		const struct guest_extent *e = &p->fixed[i];

		if (offset < e->offset + e->size && e->offset < offset + size)
			return true;
	}
	return false;
}

/*
 * The highest offset, a multiple of align, where size bytes fit in
 * [0, limit) without touching a fixed extent. The highest fit in a gap
 * ends at the gap's end, which is limit or a fixed extent's start, so
 * those are the only candidates.
 */
static bool place_top(const struct placer *p, uint64_t size, uint64_t align, uint64_t *ret)
{
	uint64_t limit = p->def->memory.size, best = 0;
	bool found = false;

	for (size_t i = 0; i <= p->n_fixed; i++) {
		uint64_t end = i == p->n_fixed ? limit : p->fixed[i].offset;
		uint64_t o;

		if (end > limit || end < size)
			continue;
		o = align_down(end - size, align);
		if (!overlaps_fixed(p, o, size) && (!found || o > best)) {
			best = o;
			found = true;
		}
	}
	*ret = best;
	return found;
}

/* The largest free range [ret_start, ret_end) of main memory (the highest on ties). */
static void largest_gap(const struct placer *p, uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t limit = p->def->memory.size;

	*ret_start = *ret_end = 0;
	/* A gap starts at 0 or at a fixed extent's end, and runs to the next start. */
	for (size_t i = 0; i <= p->n_fixed; i++) {
		uint64_t start = i == p->n_fixed ? 0 : p->fixed[i].offset + p->fixed[i].size;
		uint64_t end = limit;

		if (start >= limit || overlaps_fixed(p, start, 1))
			continue;
		for (size_t k = 0; k < p->n_fixed; k++)
			if (p->fixed[k].offset >= start && p->fixed[k].offset < end)
				end = p->fixed[k].offset;
		if (end - start >= *ret_end - *ret_start) {
			*ret_start = start;
			*ret_end = end;
		}
	}
}

/*
 * Places an automatic extent at the highest free aligned offset. When
 * nothing fits, it is put at the top of the largest free range anyway, so
 * that the error names the extent it runs into.
 */
static int place_auto(struct placer *p, const char *name, uint64_t size, uint64_t align,
		      const struct placer_key *at, struct guest_extent *ret, sd_bus_error *error)
{
	uint64_t offset, gap_start, gap_end;
	char why[160];

	if (place_top(p, size, align, &offset)) {
		*ret = (struct guest_extent) { .offset = offset, .size = size };
		return placer_add(p, name, offset, size, NULL, at, error);
	}
	if (p->diags)
		return placer_fail(p, -EEXIST, at,
				   "no room for the %s: 0x%" PRIx64 " bytes, %s aligned, clear of the kernel at offset 0%s, do not fit in main memory (0x%" PRIx64 " bytes)",
				   name, size, align == RM_PAGE_SIZE ? "page" : "2 MiB",
				   p->n_fixed > 1 ? " and what is placed explicitly" : "",
				   p->def->memory.size);
	largest_gap(p, &gap_start, &gap_end);
	if (gap_end > gap_start) {
		snprintf(why, sizeof(why),
			 "no room for the %s (0x%" PRIx64 " bytes, %s aligned); "
			 "the largest free range is [0x%" PRIx64 ", 0x%" PRIx64 "): ",
			 name, size, align == RM_PAGE_SIZE ? "page" : "2 MiB",
			 gap_start, gap_end);
		offset = gap_end >= size ? align_down(gap_end - size, align) : 0;
	} else {
		snprintf(why, sizeof(why), "no room for the %s (0x%" PRIx64 " bytes): ", name,
			 size);
		offset = p->def->memory.size >= size ? align_down(p->def->memory.size - size, align)
						      : 0;
	}
	return placer_add(p, name, offset, size, why, at, error);
}

/* dt_size: room for the blob, the RM's overlay and its merge scratch space. */
static int dtb_size_for(const struct vmdef *def, uint64_t blob, uint64_t *ret)
{
	uint64_t reserve = def->devicetree.reserve ?: VMDEF_DEFAULT_DTB_RESERVE;
	uint64_t sum, twice;

	if (!align_up(blob, 4, &sum) || __builtin_add_overflow(sum, reserve, &sum) ||
	    __builtin_mul_overflow(sum, 2, &twice) || !align_up(twice, RM_PAGE_SIZE, ret))
		return -EOVERFLOW;
	return 0;
}

/*
 * With diags (loader_check()), problems become diagnostics and placement
 * goes on; *plan is then meaningless.
 */
static int place(const struct vmdef *def, const struct loader_inputs *in, uint64_t blob_size,
		 struct def_diags *diags, struct loader_plan *plan, sd_bus_error *error)
{
	_cleanup_(layout_freep) struct layout *l = NULL;
	struct placer p = { .def = def, .diags = diags };
	uint64_t dt_size, slot_size, ramdisk_size = in->ramdisk.size;
	struct guest_extent slot = {}, ramdisk = {};
	const struct placer_key at_kernel = { "kernel", def->kernel_mark };
	const struct placer_key at_dt_offset = { "devicetree.offset", def->devicetree.offset_mark };
	const struct placer_key at_dt = { "devicetree", def->devicetree.mark };
	const struct placer_key at_memory = { "memory", def->memory.mark };
	const struct placer_key at_rd_offset = { "ramdisk-offset", def->ramdisk_offset_mark };
	int r;

	/* vmdef guarantees a 2 MiB-aligned base: the kernel's 2 MiB boundary. */
	assert(def->memory.base % RM_MEMORY_BASE_ALIGN == 0);

	r = layout_new_extents(def->memory.size, &l);
	if (r < 0)
		return bus_error_oom(error);
	p.layout = l;

	r = placer_add(&p, "kernel", 0, in->kernel_footprint, "the kernel does not fit: ",
		       &at_kernel, error);
	if (r < 0)
		return r;

	r = dtb_size_for(def, blob_size, &dt_size);
	if (r < 0) {
		/* Nothing more can be placed without dt_size: a diagnostic ends it too. */
		if (diags)
			return placer_fail(&p, -ERANGE, &at_dt, "reserve 0x%" PRIx64 " is too large",
					   def->devicetree.reserve);
		return bus_error_setf(error, -ERANGE, GH_ERROR_LAYOUT_CONFLICT,
				   "VM '%s': devicetree.reserve 0x%" PRIx64 " is too large",
				   def->name, def->devicetree.reserve);
	}

	if (def->devicetree.has_offset) {
		slot = (struct guest_extent) { .offset = def->devicetree.offset, .size = dt_size };
		r = placer_add(&p, "devicetree", slot.offset, slot.size,
			       "devicetree.offset: ", &at_dt_offset, error);
		if (r < 0)
			return r;
	}
	if (ramdisk_size > 0 && def->has_ramdisk_offset) {
		ramdisk = (struct guest_extent) { .offset = def->ramdisk_offset,
						  .size = ramdisk_size };
		r = placer_add(&p, "ramdisk", ramdisk.offset, ramdisk.size,
			       "ramdisk-offset: ", &at_rd_offset, error);
		if (r < 0)
			return r;
	}
	if (!def->devicetree.has_offset) {
		if (!align_up(dt_size, LOADER_DTB_SLOT_ALIGN, &slot_size)) {
			if (diags)
				return placer_fail(&p, -ERANGE, &at_dt,
						   "the devicetree slot is too large");
			return bus_error_setf(error, -ERANGE, GH_ERROR_LAYOUT_CONFLICT,
					   "VM '%s': the devicetree slot is too large", def->name);
		}
		/* No room is a matter of main memory's size: the problem is there. */
		r = place_auto(&p, "devicetree", slot_size, LOADER_DTB_SLOT_ALIGN, &at_memory,
			       &slot, error);
		if (r < 0)
			return r;
	}
	if (ramdisk_size > 0 && !def->has_ramdisk_offset) {
		r = place_auto(&p, "ramdisk", ramdisk_size, RM_PAGE_SIZE, &at_memory, &ramdisk,
			       error);
		if (r < 0)
			return r;
	}

	*plan = (struct loader_plan) {
		.memory_base = def->memory.base,
		.memory_size = def->memory.size,
		.kernel = { .offset = 0, .size = in->kernel_footprint },
		.kernel_file_size = in->kernel.size,
		.kernel_has_header = in->kernel_has_header,
		.ramdisk = ramdisk,
		.dtb = { .offset = slot.offset, .size = blob_size },
		.dtb_size = dt_size,
		.dtb_slot = slot,
	};
	return 0;
}

static int build_dtb(const struct vmdef *def, const struct loader_inputs *in,
		     const struct loader_plan *plan, void **ret, size_t *ret_size,
		     sd_bus_error *error)
{
	struct dtb_inputs dtin = {
		.overlay = in->overlay_data,
		.overlay_size = in->overlay.size,
		.overlay_name = in->overlay.name,
	};

	if (in->ramdisk.size > 0) {
		/* Before placement: any range of the right size, for the blob's size. */
		uint64_t start = def->memory.base + (plan ? plan->ramdisk.offset : 0);

		dtin.has_ramdisk = true;
		dtin.initrd_start = start;
		dtin.initrd_end = start + in->ramdisk.size;
	}
	return dtb_build(def, &dtin, ret, ret_size, error);
}

/* Shared by the dry run and the load: inputs opened, placement, final blob. */
static int plan_inputs(const struct vmdef *def, const struct loader_inputs *in,
		       struct loader_plan *ret_plan, void **ret_dtb, size_t *ret_dtb_size,
		       sd_bus_error *error)
{
	_cleanup_free_ void *blob = NULL;
	struct loader_plan plan;
	size_t size, final_size;
	int r;

	r = build_dtb(def, in, NULL, &blob, &size, error);
	if (r < 0)
		return r;
	r = place(def, in, size, NULL, &plan, error);
	if (r < 0)
		return r;
	if (in->ramdisk.size > 0) {
		free(blob);
		blob = NULL;
		r = build_dtb(def, in, &plan, &blob, &final_size, error);
		if (r < 0)
			return r;
		if (final_size != size)
			return bus_error_setf(error, -EIO, GH_ERROR_INVALID_DEFINITION,
					   "VM '%s': the devicetree changed size (%zu, then %zu bytes) when the ramdisk was placed",
					   def->name, size, final_size);
	}
	*ret_plan = plan;
	*ret_dtb = steal_ptr(blob);
	*ret_dtb_size = size;
	return 0;
}

const char *loader_fd_key(const char *value)
{
	size_t n = strlen(VMDEF_FD_PREFIX);

	if (!value || strncmp(value, VMDEF_FD_PREFIX, n) != 0)
		return NULL;
	return value + n;
}

int loader_plan(const struct vmdef *def, const struct loader_files *files,
		struct loader_plan *ret_plan, void **ret_dtb, size_t *ret_dtb_size,
		sd_bus_error *error)
{
	_cleanup_(loader_inputs_done) struct loader_inputs in = {
		.kernel = { .fd = -1 }, .ramdisk = { .fd = -1 }, .overlay = { .fd = -1 },
	};
	_cleanup_free_ void *blob = NULL;
	struct loader_plan plan;
	size_t size;
	int r;

	r = inputs_open(def, files, &in, error);
	if (r < 0)
		return r;
	r = plan_inputs(def, &in, &plan, &blob, &size, error);
	if (r < 0)
		return r;
	if (ret_plan)
		*ret_plan = plan;
	if (ret_dtb)
		*ret_dtb = steal_ptr(blob);
	if (ret_dtb_size)
		*ret_dtb_size = size;
	return 0;
}

int loader_check(const struct vmdef *def, const char **ret_error, struct def_diags *ret)
{
	/* The smallest images there can be (a file is never empty), and no overlay. */
	const struct loader_inputs in = {
		.kernel = { .what = "kernel", .name = def->kernel, .fd = -1, .size = 1 },
		.ramdisk = { .what = "ramdisk", .name = def->ramdisk, .fd = -1,
			     .size = def->ramdisk ? 1 : 0 },
		.overlay = { .fd = -1 },
		.kernel_footprint = 1,
	};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ void *blob = NULL;
	struct loader_plan plan;
	size_t size = 0, n = ret->n;
	int r;

	*ret_error = NULL;
	r = build_dtb(def, &in, NULL, &blob, &size, &error);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* Names from the error, which is freed here: LayoutConflict or InvalidDefinition. */
		*ret_error = sd_bus_error_has_name(&error, GH_ERROR_LAYOUT_CONFLICT)
				     ? GH_ERROR_LAYOUT_CONFLICT : GH_ERROR_INVALID_DEFINITION;
		r = def_diags_add(ret, def->devicetree.mark.line, def->devicetree.mark.column,
				    "devicetree", "%s", error.message);
		if (r < 0)
			return r;
		size = 0;	/* placement can still be checked: the blob is at least that */
	}
	r = place(def, &in, size, ret, &plan, NULL);
	if (r < 0)
		return r;
	if (ret->n > n && !*ret_error)
		*ret_error = GH_ERROR_LAYOUT_CONFLICT;
	return ret->n > n ? -EINVAL : 0;
}

int loader_load(const struct vmdef *def, const struct loader_files *files, struct guest *g,
		struct loader_plan *ret_plan, sd_bus_error *error)
{
	_cleanup_(loader_inputs_done) struct loader_inputs in = {
		.kernel = { .fd = -1 }, .ramdisk = { .fd = -1 }, .overlay = { .fd = -1 },
	};
	_cleanup_free_ void *blob = NULL;
	const struct guest_region *main_mem;
	struct loader_plan plan;
	uint8_t *mem;
	size_t size;
	int r;

	assert(g && g->n_regions >= 1);
	main_mem = guest_main(g);
	assert(main_mem->label == 0 && main_mem->host);
	assert(main_mem->gpa == def->memory.base && main_mem->size == def->memory.size);
	mem = main_mem->host;

	r = inputs_open(def, files, &in, error);
	if (r < 0)
		return r;
	r = plan_inputs(def, &in, &plan, &blob, &size, error);
	if (r < 0)
		return r;

	/* Straight into the shared mapping; BSS stays as guest_new() left it: zero. */
	r = read_full(in.kernel.fd, mem + plan.kernel.offset, plan.kernel_file_size, 0);
	if (r < 0)
		return file_read_error(def, &in.kernel, r, error);
	if (plan.ramdisk.size > 0) {
		r = read_full(in.ramdisk.fd, mem + plan.ramdisk.offset, plan.ramdisk.size, 0);
		if (r < 0)
			return file_read_error(def, &in.ramdisk, r, error);
	}
	memcpy(mem + plan.dtb.offset, blob, size);

	g->kernel = plan.kernel;
	g->ramdisk = plan.ramdisk;
	g->dtb = plan.dtb;
	g->dtb_reserve = plan.dtb_size;
	free(g->dtb_blob);
	g->dtb_blob = steal_ptr(blob);
	g->dtb_blob_size = size;
	if (ret_plan)
		*ret_plan = plan;
	return 0;
}
