/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transient VMs (CreateTransientVM): a definition passed as text with its
 * files as fds, checked through the definition pipeline, built on the
 * worker and published only once it exists.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gunyah/dbus-names.h"
#include "loader.h"
#include "manager-internal.h"
#include "vm.h"

/* Looks up each fd:KEY of a transient definition among the passed files. */
static int manager_take_files(const struct vmdef *def, struct transient_file *files, size_t n,
			      struct loader_files *ret, sd_bus_error *error)
{
	const char *values[] = { def->kernel, def->ramdisk, def->devicetree.overlay };
	int *slots[] = { &ret->kernel_fd, &ret->ramdisk_fd, &ret->overlay_fd };
	bool used[TRANSIENT_FILES_MAX] = {};

	for (size_t v = 0; v < ELEMENTSOF(values); v++) {
		const char *key = values[v] ? loader_fd_key(values[v]) : NULL;
		size_t i;

		if (!key)
			continue;
		for (i = 0; i < n && strcmp(files[i].key, key) != 0; i++)
			;
		if (i == n)
			return sd_bus_error_setf(error, GH_ERROR_INVALID_DEFINITION,
						 "'%s' names no passed file descriptor", values[v]);
		used[i] = true;
		*slots[v] = files[i].fd;
	}
	for (size_t i = 0; i < n; i++)
		if (!used[i])
			return sd_bus_error_setf(error, GH_ERROR_INVALID_DEFINITION,
						 "the passed file descriptor '%s' is not used by the definition",
						 files[i].key);
	/* The VM owns them now. */
	for (size_t i = 0; i < n; i++)
		files[i].fd = -1;
	return 0;
}

struct transient_ctx {
	vm_done_fn done;
	void *userdata;
};

static void manager_transient_created(struct vm *vm, int r, const sd_bus_error *error,
				      void *userdata)
{
	struct transient_ctx ctx = *(struct transient_ctx *) userdata;
	struct manager *m = vm->manager;

	free(userdata);
	if (r < 0) {
		if (ctx.done)
			ctx.done(vm, r, error, ctx.userdata);
		registry_delete(m, vm);
		vm_free(vm);
		return;
	}
	manager_publish_vm(m, vm);
	manager_vm_state_changed(m, vm);
	if (ctx.done)
		ctx.done(vm, 0, NULL, ctx.userdata);
}

int manager_create_transient(struct manager *m, const char *yaml,
			     struct transient_file *files, size_t n_files, vm_done_fn done,
			     void *userdata, sd_bus_error *error)
{
	const struct definition_rules rules = manager_definition_rules(m);
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	_cleanup_(vm_freep) struct vm *vm = NULL;
	_cleanup_free_ struct transient_ctx *ctx = NULL;
	struct def_diags diags = {};
	const char *name = NULL;
	int r;

	r = definition_read(&rules, DEFINITION_USE_TRANSIENT, "<transient>", yaml, &def, &name,
			    &diags);
	if (r < 0) {
		r = manager_diags_error("<transient>", &diags, r,
					name ?: GH_ERROR_INVALID_DEFINITION, error);
		def_diags_clear(&diags);
		return r;
	}
	if (manager_find_vm(m, def->name))
		return sd_bus_error_setf(error, GH_ERROR_VM_EXISTS, "A VM named '%s' exists already",
					 def->name);

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	*ctx = (struct transient_ctx) { .done = done, .userdata = userdata };
	r = vm_new(m, steal_ptr(def), true, &vm);
	if (r < 0)
		return r;
	r = manager_take_files(vm->def, files, n_files, &vm->files, error);
	if (r < 0)
		return r;
	/* In the registry (the name is taken) but not published until it exists. */
	r = registry_insert(m, vm);
	if (r < 0)
		return r;
	r = vm_create(vm, manager_transient_created, ctx, error);
	if (r < 0) {
		registry_delete(m, vm);
		return r;
	}
	vm = NULL;
	ctx = NULL;
	return 0;
}

