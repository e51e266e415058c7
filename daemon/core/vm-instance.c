/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/gunyah.h>

#include "gunyah/dbus-names.h"
#include "definition.h"
#include "guest.h"
#include "hyp.h"
#include "layout.h"
#include "loader.h"
#include "vm-instance.h"
#include "vm-store.h"
#include "vmdef.h"

int vm_hyp_error(const char *name, const char *call, int r, sd_bus_error *error)
{
	if (r == -ENODEV && strcmp(call, "GH_CREATE_VM") == 0)
		return sd_bus_error_setf(error, GH_ERROR_LIMIT_EXCEEDED,
					 "VM '%s': the hypervisor has no free VMID (%s: %s)",
					 name, call, strerror(-r));
	/* The RM (or the kernel) does not implement what was asked. */
	if (r == -EOPNOTSUPP || r == -ENOTTY)
		return sd_bus_error_setf(error, GH_ERROR_NOT_SUPPORTED, "VM '%s': %s: %s", name,
					 call, strerror(-r));
	return sd_bus_error_setf(error, GH_ERROR_HYPERVISOR, "VM '%s': %s: %s", name, call,
				 strerror(-r));
}

void vm_instance_release(struct vm_instance *inst)
{
	vm_store_forget(inst);
	/* The backend VM first: the sim gives lent pages back, the module unpins them. */
	inst->hvm = hyp_vm_destroy(inst->hvm);
	inst->guest = guest_free(inst->guest);
	inst->def = vmdef_free(inst->def);
	inst->vmid = 0;
}

/* What the configuration may have changed since def was read, every problem one per line. */
static int vm_instance_check(const struct definition_rules *rules, const char *name,
			     const struct vmdef *def, sd_bus_error *error)
{
	_cleanup_free_ char *msg = NULL;
	struct def_diags diags = {};
	const char *error_name = NULL;
	int r;

	r = definition_recheck(rules, def, &error_name, &diags);
	if (r >= 0)
		return 0;
	if (diags.n)
		msg = def_diags_format(def->origin, &diags);
	def_diags_clear(&diags);
	return sd_bus_error_setf(error, error_name ?: GH_ERROR_LAYOUT_CONFLICT, "VM '%s': %s",
				 name, msg ? msg : strerror(-r));
}

int vm_instance_plan_dtb(const struct definition_rules *rules, const char *name,
			 const struct vmdef *def, const struct loader_files *files, void **ret,
			 size_t *ret_size, sd_bus_error *error)
{
	int r;

	r = vm_instance_check(rules, name, def, error);
	if (r < 0)
		return r;
	return loader_plan(def, files, NULL, ret, ret_size, error);
}

/* Every parcel, then the devicetree: what GH_VM_START will hand to the RM. */
static int vm_instance_register(const char *name, struct vm_instance *inst,
				sd_bus_error *error)
{
	const struct guest *g = inst->guest;
	struct gh_vm_dtb_config dtb;
	int r;

	for (size_t i = 0; i < g->n_regions; i++) {
		const struct guest_region *reg = &g->regions[i];
		struct gh_userspace_memory_region region = {
			.label = reg->label,
			.flags = reg->flags,
			.guest_phys_addr = reg->gpa,
			.memory_size = reg->size,
			.userspace_addr = (uintptr_t) reg->host,
		};

		r = hyp_vm_set_user_mem_region(inst->hvm, &region);
		if (r < 0)
			return vm_hyp_error(name, "GH_VM_SET_USER_MEM_REGION", r, error);
	}
	dtb = (struct gh_vm_dtb_config) {
		.gpa = guest_main(g)->gpa + g->dtb.offset,
		.size = g->dtb_reserve,
	};
	r = hyp_vm_set_dtb_config(inst->hvm, &dtb);
	if (r < 0)
		return vm_hyp_error(name, "GH_VM_SET_DTB_CONFIG", r, error);
	return 0;
}

int vm_instance_build(struct hyp *hyp, const struct definition_rules *rules, const char *name,
		      const struct vmdef *def, const struct loader_files *files,
		      struct vm_instance *ret, sd_bus_error *error)
{
	struct vm_instance inst = {};
	struct gh_vm_status status;
	int r;

	r = vm_instance_check(rules, name, def, error);
	if (r < 0)
		return r;
	r = vmdef_dup(def, &inst.def);
	if (r < 0)
		return sd_bus_error_set_errno(error, r);

	r = guest_new(def, &inst.guest);
	if (r == -ENOSPC) {
		sd_bus_error_setf(error, GH_ERROR_LIMIT_EXCEEDED,
				  "VM '%s': memory.hugepages is required, but the hugetlbfs pool has "
				  "fewer than %" PRIu64 " free 2 MiB pages (vm.nr_hugepages)",
				  name, def->memory.size >> 21);
		goto fail;
	}
	if (r < 0) {
		sd_bus_error_setf(error, GH_ERROR_HYPERVISOR,
				  "VM '%s': cannot allocate guest memory: %s", name, strerror(-r));
		goto fail;
	}
	r = loader_load(def, files, inst.guest, NULL, error);
	if (r < 0)
		goto fail;

	r = hyp_create_vm(hyp, 0, &inst.hvm);
	if (r < 0) {
		vm_hyp_error(name, "GH_CREATE_VM", r, error);
		goto fail;
	}
	if (def->has_sim) {
		r = hyp_vm_set_sim(inst.hvm, &def->sim);
		if (r < 0 && r != -EOPNOTSUPP) {
			vm_hyp_error(name, "simulate", r, error);
			goto fail;
		}
	}
	r = vm_instance_register(name, &inst, error);
	if (r < 0)
		goto fail;
	if (hyp_vm_get_status(inst.hvm, &status) == 0)
		inst.vmid = status.vmid;
	*ret = inst;
	return 0;
fail:
	vm_instance_release(&inst);
	return r < 0 ? r : -EIO;
}
