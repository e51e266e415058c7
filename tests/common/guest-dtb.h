/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The smallest devicetree the RM's VM_INIT and VM_START accept, for
 * programs that drive the backend directly: the host's backend tests
 * (GLib), the QEMU guests' tests (static, no GLib) and bench/e2e-ioctl.
 * One writer for all of them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_dtb {
	uint64_t base;			/* main memory, guest physical */
	uint64_t size;			/* bytes */
	const char *image_name;
	unsigned vcpus;			/* 1..64; secondaries use PSCI */
	uint32_t shm_label;		/* 0: no shm vdevice */
	uint64_t shm_base;
	/*
	 * A /psci node (method hvc) and idle states on every cpu, as the
	 * real RM wants for PSCI on a non-proxy VM: the guest can power off.
	 */
	bool psci;
	/*
	 * An rm-rpc vdevice: the real RM can deliver NOTIFY_VM_SHUTDOWN for a
	 * graceful VM_STOP (without one gunyah.ko refuses a graceful stop,
	 * -ENOLINK: the real RM would exit).
	 */
	bool rm_rpc;
	/* console-dev on that rm-rpc vdevice: the RM gives the VM a console */
	bool console;
};

#define GUEST_DTB_GICD 0x3fff0000ull	/* GICR: 128 KiB per vCPU just below */

/* Writes the tree into fdt (slot bytes). Returns 0, or a negative libfdt error. */
int guest_dtb_write(void *fdt, size_t slot, const struct guest_dtb *d);
