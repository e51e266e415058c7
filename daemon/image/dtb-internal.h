/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the devicetree files share and nothing outside them sees: dtb.c
 * runs the steps of dtb_build() in order, each step in its own file.
 *   dtb-check-def.c   the definition's values the RM would refuse;
 *   dtb-write.c       the base tree, node by node as the RM parses it;
 *   dtb-overlay.c     a user .dtbo: refused if libfdt would mishandle it,
 *                     else applied on copies;
 *   dtb-check-tree.c  the resulting tree against what the RM relies on.
 * Each step sets *error (when non-NULL) and returns a negative errno, with
 * the names and messages dtb.h lists.
 */
#pragma once

#include <inttypes.h>
#include <stdio.h>

#include <systemd/sd-bus.h>

#include "dtb.h"

struct vmdef;

/*
 * Phandles, fixed so that the same definition always gives the same bytes;
 * the writer sets them and the tree check expects PHANDLE_GIC at the root.
 */
enum {
	PHANDLE_GIC = 1,
	PHANDLE_CPU_IDLE,
	PHANDLE_CHOSEN,
	PHANDLE_MEMORY,
	PHANDLE_CPUS,
	PHANDLE_TIMER,
	PHANDLE_VM_CONFIG,
	PHANDLE_PSCI,
	PHANDLE_RM_RPC,
	PHANDLE_CPU0,		/* cpu i: PHANDLE_CPU0 + i; then one per shm vdevice */
};

/* The GIC node's name, which vm-config/interrupts and the tree check use as a path. */
static inline void dtb_gic_node_name(const struct dtb_gic *gic, char *buf, size_t size)
{
	snprintf(buf, size, "interrupt-controller@%" PRIx64, gic->dist);
}

/* How messages name the overlay. */
static inline const char *dtb_overlay_name(const struct dtb_inputs *in)
{
	return in->overlay_name ?: "(overlay)";
}

/* dtb-check-def.c: def and in before anything is built, then the GIC ranges of gic. */
int dtb_check_def(const struct vmdef *def, const struct dtb_inputs *in,
		  const struct dtb_gic *gic, sd_bus_error *error);

/* dtb-write.c: the base tree, exactly sized, into *ret (malloc'd). */
int dtb_write_base(const struct vmdef *def, const struct dtb_inputs *in,
		   const struct dtb_gic *gic, void **ret, sd_bus_error *error);

/* dtb-overlay.c: in->overlay checked, then applied on a copy of base; *ret is packed. */
int dtb_overlay_apply(const struct vmdef *def, const struct dtb_inputs *in, const void *base,
		      void **ret, sd_bus_error *error);

/*
 * dtb-check-tree.c: fdt (base itself, or base with the overlay) keeps what
 * the RM relies on; a failure without an overlay is a gunyahd bug (-EIO).
 */
int dtb_check_tree(const struct vmdef *def, const struct dtb_inputs *in,
		   const struct dtb_gic *gic, const void *base, const void *fdt,
		   sd_bus_error *error);
