/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "hyp.h"

static const char *const hyp_kind_table[_HYP_KIND_MAX] = {
	[HYP_KIND_KERNEL] = "kernel",
	[HYP_KIND_SIM] = "sim",
};

const char *hyp_kind_to_string(enum hyp_kind k)
{
	if (k < 0 || k >= _HYP_KIND_MAX)
		return NULL;
	return hyp_kind_table[k];
}

enum hyp_kind hyp_kind_from_string(const char *s)
{
	for (int k = 0; s && k < _HYP_KIND_MAX; k++)
		if (strcmp(s, hyp_kind_table[k]) == 0)
			return k;
	return _HYP_KIND_INVALID;
}

const char *hyp_feature_to_string(enum hyp_feature f)
{
	switch (f) {
	case HYP_FEATURE_VM_STATUS:
		return "vm-status";
	case HYP_FEATURE_VM_STOP:
		return "vm-stop";
	case HYP_FEATURE_ANDROID_LEND:
		return "android-lend";
	case _HYP_FEATURE_ALL:
		break;
	}
	return NULL;
}

struct hyp *hyp_free(struct hyp *h)
{
	if (h)
		h->ops->free(h);
	return NULL;
}

int hyp_create_vm(struct hyp *h, unsigned long arg, struct hyp_vm **ret)
{
	return h->ops->create_vm(h, arg, ret);
}

int hyp_vm_set_user_mem_region(struct hyp_vm *vm, const struct gh_userspace_memory_region *r)
{
	return vm->hyp->ops->set_user_mem_region(vm, r);
}

int hyp_vm_set_dtb_config(struct hyp_vm *vm, const struct gh_vm_dtb_config *c)
{
	return vm->hyp->ops->set_dtb_config(vm, c);
}

int hyp_vm_start(struct hyp_vm *vm)
{
	return vm->hyp->ops->start(vm);
}

int hyp_vm_stop(struct hyp_vm *vm, const struct gh_vm_stop *s)
{
	return vm->hyp->ops->stop(vm, s);
}

int hyp_vm_get_status(struct hyp_vm *vm, struct gh_vm_status *ret)
{
	return vm->hyp->ops->get_status(vm, ret);
}

int hyp_vm_get_fd(struct hyp_vm *vm)
{
	return vm->hyp->ops->get_fd(vm);
}

int hyp_vm_set_sim(struct hyp_vm *vm, const struct vmdef_sim *sim)
{
	if (!vm->hyp->ops->set_sim)
		return -EOPNOTSUPP;
	return vm->hyp->ops->set_sim(vm, sim);
}

struct hyp_vm *hyp_vm_destroy(struct hyp_vm *vm)
{
	if (vm)
		vm->hyp->ops->destroy_vm(vm);
	return NULL;
}
