/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bootable guest laid into main memory: the kernel at offset 0, the
 * ramdisk and the devicetree placed around it, every extent checked
 * against the others and against the memory size.
 *
 * Placement (docs/devicetree.md has a worked example):
 *  - kernel: offset 0 (the RM starts the boot vCPU at the first byte of
 *    the image parcel: VM_CONFIG_IMAGE image_offset 0). Its footprint is
 *    the arm64 Image header's image_size (BSS included) when the file has
 *    the header, else the file size; a non-zero text_offset is refused.
 *  - devicetree: dt_size = page_round(2 * (round4(blob) + reserve)) bytes
 *    from the DTB offset are reserved and passed to GH_VM_SET_DTB_CONFIG
 *    (reserve = devicetree.reserve, the room for the RM's overlay). The
 *    RM merges a tree of more than 16 KiB in scratch space after it and
 *    then needs dt_size >= 2 * (original + overlay), which this size
 *    satisfies for any RM overlay up to `reserve` bytes. Automatic: the
 *    highest 2 MiB-aligned slot of page_round(dt_size, 2 MiB) bytes that
 *    collides with nothing fixed (the kernel; an explicit ramdisk), the
 *    blob at its start. Explicit (devicetree.offset): exactly there,
 *    dt_size bytes.
 *  - ramdisk: explicit (ramdisk-offset) exactly there; automatic: the
 *    highest page-aligned place that collides with nothing, i.e. just
 *    below the devicetree slot.
 *
 * Files: persistent definitions name absolute paths, opened here with
 * O_RDONLY|O_CLOEXEC|O_NOCTTY; transient ones name fd:KEY and the caller
 * passes the already-open fds. Only regular files are accepted; kernel and
 * ramdisk at most the size of main memory, the overlay at most
 * DTB_OVERLAY_MAX. Files are read with pread() from offset 0, so a passed
 * fd's position does not matter and is not changed; passed fds are never
 * closed.
 *
 * No logging. Errors (negative errno, *error always set when non-NULL):
 *  org.gunyah.Error.InvalidDefinition  a file that cannot be opened or read,
 *      is not a regular file, is empty, too large, has a text_offset, is
 *      gzip-compressed, changed size while being read; a missing fd for
 *      an fd:KEY; a broken overlay; anything dtb_build() refuses. The
 *      message names the file (path or fd:KEY).
 *  org.gunyah.Error.LayoutConflict  extents that collide or do not fit in
 *      main memory; the message names both extents and their ranges
 *      (offsets into main memory), or the extent and the memory size.
 *  org.freedesktop.DBus.Error.NoMemory  -ENOMEM.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "guest.h"

struct vmdef;
struct def_diags;

#define LOADER_DTB_SLOT_ALIGN	(2ull << 20)	/* arm64: the DTB's 2 MiB block */

/* arm64 Image header (Documentation/arch/arm64/booting.rst). */
#define LOADER_ARM64_HEADER_SIZE	64
#define LOADER_ARM64_MAGIC_OFFSET	56
#define LOADER_ARM64_MAGIC		0x644d5241u	/* "ARM\x64", little endian */

/*
 * Already-open files, -1 = not given. For a transient definition every
 * file it names must be given. For a persistent one a given fd is used
 * instead of opening the path (the path still names it in messages).
 * The loader never closes these.
 */
struct loader_files {
	int kernel_fd;
	int ramdisk_fd;
	int overlay_fd;
};

#define LOADER_FILES_NONE ((struct loader_files) { -1, -1, -1 })

/* Where everything goes; offsets into main memory, sizes in bytes. */
struct loader_plan {
	uint64_t memory_base;		/* guest physical base of main memory */
	uint64_t memory_size;
	struct guest_extent kernel;	/* offset 0; size = footprint incl. BSS */
	uint64_t kernel_file_size;	/* bytes of the file, loaded at offset 0 */
	bool kernel_has_header;		/* arm64 Image header found */
	struct guest_extent ramdisk;	/* size 0: none */
	struct guest_extent dtb;	/* the blob: offset, fdt_totalsize */
	uint64_t dtb_size;		/* dt_size for GH_VM_SET_DTB_CONFIG (page multiple) */
	struct guest_extent dtb_slot;	/* kept free: the 2 MiB slot, or dtb_size if explicit */
};

/*
 * The KEY of a definition's "fd:KEY" file value (look it up in the a{sh}
 * passed to CreateTransientVM to fill struct loader_files), or NULL when
 * the value is a path.
 */
const char *loader_fd_key(const char *value);

/*
 * Dry run: the placement and the devicetree that loader_load() would give,
 * from the files' sizes and the kernel header alone; no guest memory. For
 * VM1.GetDeviceTree on a VM that is only defined, and `gunyahctl dtb`.
 * Any of ret_plan, ret_dtb, ret_dtb_size may be NULL; the blob (malloc'd,
 * free() it) is what VM1.GetDeviceTree returns for a VM that is not
 * created yet.
 */
int loader_plan(const struct vmdef *def, const struct loader_files *files,
		struct loader_plan *ret_plan, void **ret_dtb, size_t *ret_dtb_size,
		sd_bus_error *error);

/*
 * What loader_plan() would refuse whatever the files hold, without opening
 * them: the devicetree (dtb_build() without the overlay) and the placement
 * with the smallest images there can be (kernel and ramdisk of 1 byte).
 * Sizes only grow from there, so every problem found is one that Create
 * meets too; what depends on the files (their size, an Image header, the
 * overlay) is not checked. Appends a diagnostic for each problem (at the
 * key it concerns: devicetree, devicetree.offset, ramdisk-offset, or
 * memory when there is no room) to *ret and returns -EINVAL with
 * *ret_error the D-Bus error Create would give the first problem
 * (LayoutConflict or InvalidDefinition), or 0, or -ENOMEM.
 */
int loader_check(const struct vmdef *def, const char **ret_error, struct def_diags *ret);

/*
 * Lays the guest of def into g (from guest_new(def), untouched since): the
 * kernel and ramdisk read straight into main memory's mapping, the blob
 * copied to its offset. On success fills g->kernel (the footprint),
 * g->ramdisk, g->dtb (the blob), g->dtb_reserve (= dt_size) and
 * g->dtb_blob/dtb_blob_size (the daemon's own copy, replacing any). On
 * failure g's fields are unchanged, but main memory may hold part of an
 * image: tear the guest down. ret_plan may be NULL.
 */
int loader_load(const struct vmdef *def, const struct loader_files *files, struct guest *g,
		struct loader_plan *ret_plan, sd_bus_error *error);
