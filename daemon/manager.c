/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "bus-manager.h"
#include "bus-vm.h"
#include "hyp.h"
#include "layout.h"
#include "manager.h"
#include "shared/log.h"
#include "vm.h"
#include "vmdef.h"
#include "worker.h"

static int vm_compare_name(const void *a, const void *b)
{
	return strcmp(((const struct vm *) a)->name, ((const struct vm *) b)->name);
}

int manager_new(struct event_base *base, struct hyp *hyp, struct manager **ret)
{
	_cleanup_(manager_freep) struct manager *m = NULL;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->base = base;
	m->ipa_bits = LAYOUT_DEFAULT_IPA_BITS;
	r = worker_new(base, &m->worker);
	if (r < 0)
		return r;
	m->hyp = hyp;
	*ret = steal_ptr(m);
	return 0;
}

static void vm_free_node(void *p)
{
	vm_free(p);
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	/* Starts in flight own their VM's backend handle: let them finish. */
	m->worker = worker_free(m->worker);
	tdestroy(m->vms, vm_free_node);
	hyp_free(m->hyp);
	free(m->definitions_dir);
	free(m);
	return NULL;
}

struct vm *manager_find_vm(struct manager *m, const char *name)
{
	struct vm key = { .name = (char *) name };
	void *node = tfind(&key, &m->vms, vm_compare_name);

	return node ? *(struct vm **) node : NULL;
}

int manager_add_vm(struct manager *m, struct vmdef *def, bool transient, struct vm **ret)
{
	_cleanup_(vm_freep) struct vm *vm = NULL;
	void *node;
	int r;

	if (manager_find_vm(m, def->name)) {
		vmdef_free(def);
		return -EEXIST;
	}
	r = vm_new(m, def, transient, &vm);
	if (r < 0) {
		vmdef_free(def);
		return r;
	}
	node = tsearch(vm, &m->vms, vm_compare_name);
	if (!node)
		return -ENOMEM;
	m->n_vms++;
	bus_manager_emit_vm_new(m, vm);
	if (ret)
		*ret = vm;
	vm = NULL;
	return 0;
}

void manager_remove_vm(struct manager *m, struct vm *vm)
{
	tdelete(vm, &m->vms, vm_compare_name);
	m->n_vms--;
	bus_manager_emit_vm_removed(m, vm);
	vm_free(vm);
}

struct list_ctx {
	struct vm **items;
	size_t n;
};

static __thread struct list_ctx *list_ctx;

static void list_walk(const void *node, VISIT which, int depth)
{
	(void) depth;
	if (which == postorder || which == leaf)
		list_ctx->items[list_ctx->n++] = *(struct vm *const *) node;
}

int manager_list_vms(struct manager *m, struct vm ***ret, size_t *ret_n)
{
	struct list_ctx ctx = {};

	ctx.items = calloc(m->n_vms ? m->n_vms : 1, sizeof(*ctx.items));
	if (!ctx.items)
		return -ENOMEM;
	/* twalk has no user data: hand the context over in a thread-local. */
	list_ctx = &ctx;
	twalk(m->vms, list_walk);
	list_ctx = NULL;
	*ret = ctx.items;
	*ret_n = ctx.n;
	return 0;
}

void manager_vm_state_changed(struct manager *m, struct vm *vm)
{
	bus_vm_emit_state_changed(m, vm);
}

static void manager_log_diags(const char *origin, const struct vmdef_diags *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = vmdef_diag_format(origin, &diags->items[i]);

		log_error("%s", line ? line : "out of memory");
	}
}

/* Parses and checks one definition file; logs every problem. */
static int manager_read_definition(struct manager *m, const char *path, struct vmdef **ret)
{
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	_cleanup_(layout_freep) struct layout *layout = NULL;
	struct vmdef_diags diags = {};
	int r;

	r = vmdef_parse_file(path, NULL, &def, &diags);
	if (r >= 0)
		r = layout_from_vmdef(def, m->ipa_bits, &layout, &diags);
	if (r < 0) {
		manager_log_diags(path, &diags);
		vmdef_diags_clear(&diags);
		return r;
	}
	*ret = steal_ptr(def);
	return 0;
}

static int yaml_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

int manager_load_definitions(struct manager *m, const char *dir)
{
	struct dirent **entries = NULL;
	int n, loaded = 0;

	n = scandir(dir, &entries, yaml_filter, alphasort);
	if (n < 0)
		return log_errno(LOG_ERR, -errno, "Cannot read definitions directory '%s': %m", dir);

	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;
		struct vmdef *def = NULL;
		struct vm *existing;
		int r;

		if (asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0)
			path = NULL;
		free(entries[i]);
		if (!path) {
			log_error("Out of memory reading '%s'", dir);
			continue;
		}
		r = manager_read_definition(m, path, &def);
		if (r < 0) {
			log_error("%s: invalid definition, skipping", path);
			continue;
		}
		existing = manager_find_vm(m, def->name);
		if (existing) {
			log_error("%s: VM '%s' is already defined by '%s', skipping", path,
				  def->name, existing->def->origin);
			vmdef_free(def);
			continue;
		}
		r = manager_add_vm(m, def, false, NULL);
		if (r < 0) {
			log_errno(LOG_ERR, r, "%s: cannot add VM: %m", path);
			continue;
		}
		loaded++;
	}
	free(entries);
	free(m->definitions_dir);
	m->definitions_dir = strdup(dir);
	return loaded;
}

void manager_shutdown(struct manager *m)
{
	_cleanup_free_ struct vm **vms = NULL;
	size_t n = 0;

	/* Let starts in flight finish so that nothing else owns a backend VM. */
	m->worker = worker_free(m->worker);
	if (manager_list_vms(m, &vms, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!vm_is_live(vms[i]))
			continue;
		log_info("VM '%s': destroying for shutdown", vms[i]->name);
		vm_teardown(vms[i]);
	}
}
