/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RM emulator: the VM_INIT parse of a secondary VM's devicetree by the rules
 * of the Gunyah Resource Manager (shared reference rm-vm-config-dt.md), and
 * the facts VM_START checks later. Pure: no I/O, no logging.
 */
#ifndef GUNYAH_RM_EMU_DT_H
#define GUNYAH_RM_EMU_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gunyah/rm-wire.h>

#define EMU_DT_NAME_MAX		80		/* VM_MAX_NAME_LEN: names are shorter */
#define EMU_DT_MAX_VDEVS	64
#define EMU_DT_MAX_RESMEM	16
#define EMU_DT_MAX_VCPUS	64
#define EMU_DT_DEFAULT_BASE	0x28800000ULL	/* PLATFORM_SVM_IPA_BASE (QEMU) */
#define EMU_DT_DEFAULT_SIZE_MAX	0x07ffffffULL	/* PLATFORM_SVM_IPA_SIZE (QEMU) */
#define EMU_DT_ADDR_SPACE	(1ULL << 36)	/* secondary VM IPA space */
#define EMU_DT_GICD_SIZE	0x10000ULL
#define EMU_DT_GICR_STRIDE	0x20000ULL
#define EMU_DT_RM_IRQ_BASE	960		/* INTIDs the RM hands out itself */
#define EMU_DT_MERGE_HEAP_MAX	(16 * 1024)	/* MAX_DTB_ALLOC_SIZE */
#define EMU_DT_OVERLAY_MIN	4096		/* the overlay blob starts at 4 KiB */

enum emu_dt_vdev_type {
	EMU_DT_VDEV_RM_RPC,
	EMU_DT_VDEV_SHM_DOORBELL,
	EMU_DT_VDEV_SHM,
	EMU_DT_VDEV_DOORBELL_SOURCE,
	EMU_DT_VDEV_DOORBELL,
	EMU_DT_VDEV_MSGQ,
	EMU_DT_VDEV_MSGQ_PAIR,
	EMU_DT_VDEV_VIRTIO_MMIO,
	EMU_DT_VDEV_IOMEM,
	EMU_DT_VDEV_VSMMU,
	EMU_DT_VDEV_VRTC,
	_EMU_DT_VDEV_MAX,
};

/* "rm-rpc", "shm", ... as vdevice-type spells them */
const char *emu_dt_vdev_type_name(enum emu_dt_vdev_type type);

struct emu_dt_vdev {
	enum emu_dt_vdev_type type;
	u32 label;		/* effective label (vdevice label overrides the memory one) */
	bool has_memory;	/* a memory subnode (shm, shm-doorbell, virtio-mmio, iomem) */
	bool fixed_base;	/* memory { base } rather than allocate-base */
	u64 base;		/* IPA, with fixed_base */
	bool optional;		/* memory { optional } (honoured for shm only) */
	bool is_sender;		/* message-queue direction */
	u32 n_irqs;		/* fixed interrupts given (validated INTIDs) */
	u32 irq_type[2];	/* 0 SPI, 1 PPI, 2 ESPI, 3 EPPI */
	u32 irq[2];		/* INTID for SPIs, raw number otherwise */
	char path[64];		/* node path, shortened, for messages */
};

struct emu_dt_resmem {
	bool has_label;
	u32 label;
	bool has_reg;
	bool multi_reg;		/* more than one reg entry: refused at VM_START */
	u64 addr, size;
	char name[48];
};

/* What VM_INIT learnt, and what VM_START checks later. */
struct emu_dt_config {
	char image_name[EMU_DT_NAME_MAX];
	bool crash_fatal, no_shutdown, no_reset;
	bool is_direct;
	bool has_iomem_ranges, has_gic_irq_ranges;

	u64 mem_base;		/* after the 2 MiB round-up */
	bool mem_base_given;
	bool mem_base_rounded;
	u64 size_min, size_max;

	bool vcpus_node;
	bool proxy;
	u32 n_vcpus;		/* usable cpu nodes */
	u32 n_affinity;
	int32_t sched_priority;	/* 0 when absent */
	u32 sched_timeslice;	/* µs, 0 when absent */
	bool psci;

	bool gic_found;		/* a valid GIC through interrupts/config or the root */
	bool gic_has_reg;
	u64 gicd, gicr, gicr_stride;

	u32 root_address_cells, root_size_cells;
	bool has_chosen, has_hypervisor;

	u32 n_vdevs;
	struct emu_dt_vdev vdevs[EMU_DT_MAX_VDEVS];
	bool has_console;	/* an rm-rpc vdevice has console-dev */
	u32 n_resmem;
	struct emu_dt_resmem resmem[EMU_DT_MAX_RESMEM];

	u32 fdt_size;		/* fdt_totalsize */
};

/* Platform facts the parse depends on. */
struct emu_dt_platform {
	u32 max_cores;		/* vCPUs allowed (rm_get_platform_max_cores) */
	u64 ram_size;		/* bytes of the image parcel: the RAM window at base */
};

/* Why the RM refused: its error code, and a short reason for logs. */
struct emu_dt_error {
	u32 rm_error;		/* GH_RM_ERROR_MEM_INVALID, _ARGUMENT_INVALID or _NORESOURCE */
	char reason[96];
};

/*
 * emu_dt_parse() - VM_INIT: check the blob (header, fdt_totalsize <= size,
 * structure), walk it with the RM's listeners, then apply the RM's config
 * update checks and vdevice/vCPU/GIC creation checks.
 * Return: 0 and *ret_cfg filled; -EINVAL with *reterr set to the RM error
 * and reason when the RM would refuse (MEM_INVALID for map and parse
 * errors, ARGUMENT_INVALID for config update errors, NORESOURCE for
 * creation errors).
 */
int emu_dt_parse(const void *fdt, size_t size, const struct emu_dt_platform *plat,
		 struct emu_dt_config *ret_cfg, struct emu_dt_error *reterr);

/*
 * emu_dt_check_start() - the devicetree part of VM_START (overlay
 * preconditions): root cells <= 2, no /hypervisor, /chosen present, a GIC
 * found, room in the DT region to merge the overlay (@dtb_size bytes).
 * Parcel-related checks are the caller's. Return: 0, or -EINVAL with
 * *reterr (always NORESOURCE).
 */
int emu_dt_check_start(const struct emu_dt_config *cfg, u64 dtb_size,
		       struct emu_dt_error *reterr);

/* Whether the parsed configuration has a vdevice of @type (rm-rpc: the guest's RM link) */
bool emu_dt_has_vdev(const struct emu_dt_config *cfg, enum emu_dt_vdev_type type);

#endif /* GUNYAH_RM_EMU_DT_H */
