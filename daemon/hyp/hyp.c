/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "hyp.h"
#include "util/string-table.h"

static const char *const hyp_kind_table[_HYP_KIND_MAX] = {
	[HYP_KIND_KERNEL] = "kernel",
	[HYP_KIND_SIM] = "sim",
};

DEFINE_STRING_TABLE(hyp_kind, enum hyp_kind, hyp_kind_table)

const char *hyp_feature_to_string(enum hyp_feature f)
{
	switch (f) {
	case HYP_FEATURE_VM_STATUS:
		return "vm-status";
	case HYP_FEATURE_VM_STOP:
		return "vm-stop";
	case HYP_FEATURE_ANDROID_LEND:
		return "android-lend";
	case HYP_FEATURE_CONSOLE:
		return "console";
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

int hyp_vm_adopt(struct hyp *h, int fd, struct hyp_vm **ret)
{
	if (!h->ops->adopt_vm) {
		safe_close(fd);
		return -EOPNOTSUPP;
	}
	return h->ops->adopt_vm(h, fd, ret);
}

int hyp_vm_handle_fd(struct hyp_vm *vm)
{
	if (!vm->hyp->ops->handle_fd)
		return -EOPNOTSUPP;
	return vm->hyp->ops->handle_fd(vm);
}

struct hyp_vm *hyp_vm_destroy(struct hyp_vm *vm)
{
	if (vm)
		vm->hyp->ops->destroy_vm(vm);
	return NULL;
}

int hyp_vm_open_console(struct hyp_vm *vm, struct hyp_console **ret)
{
	if (!vm->hyp->ops->open_console)
		return -ENOTTY;
	return vm->hyp->ops->open_console(vm, ret);
}

int hyp_vm_adopt_console(struct hyp_vm *vm, int fd, struct hyp_console **ret)
{
	if (!vm->hyp->ops->adopt_console) {
		safe_close(fd);
		return -EOPNOTSUPP;
	}
	return vm->hyp->ops->adopt_console(vm, fd, ret);
}

ssize_t hyp_console_read(struct hyp_console *c, void *buf, size_t size)
{
	return c->hyp->ops->console_read(c, buf, size);
}

ssize_t hyp_console_write(struct hyp_console *c, const void *buf, size_t size)
{
	return c->hyp->ops->console_write(c, buf, size);
}

int hyp_console_get_lost(struct hyp_console *c, uint64_t *ret)
{
	return c->hyp->ops->console_get_lost(c, ret);
}

int hyp_console_get_fd(struct hyp_console *c)
{
	return c->hyp->ops->console_get_fd(c);
}

struct hyp_console *hyp_console_close(struct hyp_console *c)
{
	if (c)
		c->hyp->ops->console_close(c);
	return NULL;
}
