/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The devicetree a VM boots with, generated with libfdt from its
 * definition so that the Gunyah Resource Manager accepts it (the RM's
 * parsing rules: shared reference rm-vm-config-dt.md; the tree node by
 * node and why: docs/devicetree.md).
 *
 * Pure: no logging, no file access, no guest memory. The loader decides
 * where the ramdisk sits and reads the optional user overlay; this module
 * turns those facts into a blob.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

struct vmdef;

#define DTB_GICD_SIZE		0x10000ull	/* one 64 KiB distributor frame */
#define DTB_GICR_STRIDE		0x20000ull	/* RD_base + SGI_base per vCPU */
#define DTB_GIC_ALIGN		0x10000ull	/* the RM wants 64 KiB-aligned bases */
#define DTB_OVERLAY_MAX		(1u << 20)	/* bytes of a user .dtbo */
#define DTB_BLOB_MAX		(2u << 20)	/* arm64 boot protocol: a DTB is <= 2 MiB */

/* The GIC as the tree describes it: guest physical bases and sizes in bytes. */
struct dtb_gic {
	uint64_t dist;
	uint64_t dist_size;		/* DTB_GICD_SIZE */
	uint64_t redist;
	uint64_t redist_size;		/* DTB_GICR_STRIDE * vcpus */
};

/*
 * What the definition does not say. The initrd range is guest physical,
 * end exclusive, and becomes /chosen linux,initrd-start/-end (u64 each).
 * The overlay, when given, is a compiled .dtbo (dtc -@); it is only read.
 */
struct dtb_inputs {
	bool has_ramdisk;
	uint64_t initrd_start;
	uint64_t initrd_end;
	const void *overlay;		/* NULL: none */
	size_t overlay_size;		/* bytes, <= DTB_OVERLAY_MAX */
	const char *overlay_name;	/* for messages: the path or "fd:KEY" */
};

/*
 * The GIC ranges a definition gets: devicetree.gic.{dist,redist}, the
 * redistributors DTB_GICR_STRIDE per vCPU. When both bases are the
 * defaults (VMDEF_DEFAULT_GICD/GICR) the redistributor range is moved down
 * to end where the distributor starts, so that the default layout never
 * collides with itself whatever the vCPU count (for one vCPU that is
 * VMDEF_DEFAULT_GICR itself).
 */
void dtb_gic_layout(const struct vmdef *def, struct dtb_gic *ret);

/*
 * Builds the devicetree of def, applies the overlay of in (if any) on
 * copies, re-checks what the RM relies on, and returns a packed blob that
 * passes fdt_check_full(), at most DTB_BLOB_MAX bytes. The same inputs
 * always give the same bytes.
 *
 * Errors (negative errno; *error set when non-NULL):
 *  -EINVAL  org.gunyah.Error.InvalidDefinition: a value the RM would refuse
 *           (image-name too long, scheduling values out of range, GIC base
 *           not 64 KiB aligned, a bad initrd range), or an overlay that is
 *           not a valid .dtbo, cannot be applied, or breaks a rule the RM
 *           relies on; overlay messages name in->overlay_name;
 *  -EEXIST  org.gunyah.Error.LayoutConflict: the GIC distributor or
 *           redistributor range overlaps the other one, main memory or a
 *           region (the message names both ranges);
 *  -E2BIG   org.gunyah.Error.InvalidDefinition: the blob would exceed
 *           DTB_BLOB_MAX;
 *  -ENOMEM  org.freedesktop.DBus.Error.NoMemory.
 */
int dtb_build(const struct vmdef *def, const struct dtb_inputs *in, void **ret_blob,
	      size_t *ret_size, sd_bus_error *error);
