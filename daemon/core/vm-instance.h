/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM's live instance: guest memory with its images and devicetree, and
 * the backend VM with every parcel registered. Building and releasing one
 * talks to the hypervisor and may block for seconds (the RM's timeouts), so
 * vm.c runs these on a worker thread; they touch nothing but the instance
 * and the (thread-safe) backend.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

struct definition_rules;
struct guest;
struct hyp;
struct hyp_vm;
struct loader_files;
struct vmdef;

struct vm_instance {
	struct vmdef *def;		/* what it was built from */
	struct guest *guest;
	struct hyp_vm *hvm;
	uint16_t vmid;			/* 0 when the backend cannot tell */
	bool stored;			/* its fds are in systemd's fd store (vm-store.h) */
};

/*
 * Builds an instance of def: the definition checked again against rules
 * where the configuration may have changed since it was read
 * (definition_recheck()), guest memory, images and devicetree (loader),
 * GH_CREATE_VM, one region per parcel and the DTB config. On failure
 * nothing is left and *error names the VM (LayoutConflict,
 * InvalidDefinition, LimitExceeded, Hypervisor).
 */
int vm_instance_build(struct hyp *hyp, const struct definition_rules *rules, const char *name,
		      const struct vmdef *def, const struct loader_files *files,
		      struct vm_instance *ret, sd_bus_error *error);

/*
 * The devicetree an instance of def would get (GetDeviceTree of a VM not
 * created), after the same checks as vm_instance_build(): a malloc'd blob.
 */
int vm_instance_plan_dtb(const struct definition_rules *rules, const char *name,
			 const struct vmdef *def, const struct loader_files *files, void **ret,
			 size_t *ret_size, sd_bus_error *error);

/*
 * Closes the backend VM (which stops and reclaims it), then frees the rest;
 * a stored instance leaves the fd store first. Clear stored to hand the VM
 * over to the next gunyahd instead: only this process's fds are closed.
 */
void vm_instance_release(struct vm_instance *inst);

/*
 * org.gunyah.Error.Hypervisor "VM 'name': CALL: errno text"; LimitExceeded
 * when the RM has no free VMID, NotSupported when it (or the kernel) does
 * not implement the call.
 */
int vm_hyp_error(const char *name, const char *call, int r, sd_bus_error *error);
