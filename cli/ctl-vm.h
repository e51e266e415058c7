/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM's org.gunyah.VM1 properties, read in one GetAll call.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "ctl.h"

struct ctl_region {
	uint32_t label;
	uint64_t base;
	uint64_t size;			/* bytes */
	const char *access;
	const char *sharing;
};

struct ctl_extent {
	const char *kind;		/* kernel, ramdisk, devicetree */
	uint64_t base;
	uint64_t size;			/* bytes */
};

/* Strings point into reply; properties the daemon did not send stay 0/"". */
struct ctl_vm {
	sd_bus_message *reply;
	const char *name;
	const char *state;
	const char *reason;
	const char *exit_type;
	uint32_t exit_code;
	uint32_t vmid;
	bool transient;
	bool autostart;
	uint64_t memory_base;
	uint64_t memory_size;		/* bytes */
	uint32_t vcpus;
	struct ctl_region *regions;
	size_t n_regions;
	uint64_t dt_base;
	uint64_t dt_size;		/* bytes */
	struct ctl_extent *extents;
	size_t n_extents;
	uint64_t created;		/* µs since the epoch, 0 = never */
	uint64_t started;		/* µs since the epoch, 0 = never */
	uint32_t restart_count;
	const char *last_error;		/* "" = none */
	uint64_t last_error_time;	/* µs since the epoch, 0 = never */
	const char *definition_file;	/* "" for a transient VM */
	bool definition_pending;
	const char *kernel;
	const char *ramdisk;		/* "" = none */
	const char *cmdline;		/* "" = none */
};

/* GetAll on the VM's object; reports failure. Release with ctl_vm_done(). */
int ctl_vm_get(struct ctl *ctl, const char *path, struct ctl_vm *ret);
/* The same, reporting nothing: a D-Bus error goes to reterr. */
int ctl_vm_fetch(sd_bus *bus, const char *path, struct ctl_vm *ret, sd_bus_error *reterr);
void ctl_vm_done(struct ctl_vm *vm);
