/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-vm-json.h"

static void vm_json_regions(struct ctl_json *j, const struct ctl_vm *vm)
{
	ctl_json_begin_array(j, "regions");
	for (size_t i = 0; i < vm->n_regions; i++) {
		const struct ctl_region *reg = &vm->regions[i];

		ctl_json_begin_object(j, NULL);
		ctl_json_u64(j, "label", reg->label);
		ctl_json_u64(j, "base", reg->base);
		ctl_json_u64(j, "size", reg->size);
		ctl_json_string(j, "access", reg->access);
		ctl_json_string(j, "sharing", reg->sharing);
		ctl_json_end_object(j);
	}
	ctl_json_end_array(j);
}

static void vm_json_extents(struct ctl_json *j, const struct ctl_vm *vm)
{
	ctl_json_begin_array(j, "extents");
	for (size_t i = 0; i < vm->n_extents; i++) {
		ctl_json_begin_object(j, NULL);
		ctl_json_string(j, "kind", vm->extents[i].kind);
		ctl_json_u64(j, "base", vm->extents[i].base);
		ctl_json_u64(j, "size", vm->extents[i].size);
		ctl_json_end_object(j);
	}
	ctl_json_end_array(j);
}

void ctl_vm_json(struct ctl_json *j, const struct ctl_vm *vm)
{
	ctl_json_begin_object(j, NULL);
	ctl_json_string(j, "name", vm->name);
	ctl_json_string(j, "state", vm->state);
	ctl_json_string(j, "state_reason", vm->reason);
	ctl_json_string(j, "exit_type", vm->exit_type);
	ctl_json_u64(j, "exit_code", vm->exit_code);
	ctl_json_u64(j, "vmid", vm->vmid);
	ctl_json_bool(j, "transient", vm->transient);
	ctl_json_bool(j, "autostart", vm->autostart);
	ctl_json_string(j, "definition_file", vm->definition_file);
	ctl_json_bool(j, "definition_pending", vm->definition_pending);
	ctl_json_string(j, "kernel", vm->kernel);
	ctl_json_string(j, "ramdisk", vm->ramdisk);
	ctl_json_string(j, "cmdline", vm->cmdline);
	ctl_json_u64(j, "vcpus", vm->vcpus);
	ctl_json_u64(j, "memory_base", vm->memory_base);
	ctl_json_u64(j, "memory_size", vm->memory_size);
	ctl_json_begin_object(j, "devicetree");
	ctl_json_u64(j, "base", vm->dt_base);
	ctl_json_u64(j, "size", vm->dt_size);
	ctl_json_end_object(j);
	vm_json_regions(j, vm);
	vm_json_extents(j, vm);
	ctl_json_u64(j, "created_usec", vm->created);
	ctl_json_u64(j, "started_usec", vm->started);
	ctl_json_u64(j, "restart_count", vm->restart_count);
	ctl_json_string(j, "last_error", vm->last_error);
	ctl_json_u64(j, "last_error_usec", vm->last_error_time);
	ctl_json_end_object(j);
}
