/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry: VMs by name, the observers, the configuration in use.
 * The definitions directory is manager-dir.c, transient VMs
 * manager-transient.c, the limits manager-limits.c.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyp.h"
#include "manager-internal.h"
#include "util/fdstore.h"
#include "util/log.h"
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
	r = config_init_defaults(&m->config);
	if (r < 0)
		return r;
	r = worker_new(base, &m->worker);
	if (r < 0)
		return r;
	m->hyp = hyp;
	m->features = hyp_features(hyp);
	*ret = steal_ptr(m);
	return 0;
}

static void vm_free_node(void *p)
{
	vm_free(p);
}

void manager_set_config(struct manager *m, struct config *c)
{
	config_done(&m->config);
	m->config = *c;
	*c = (struct config) {};
}

int manager_set_config_source(struct manager *m, const char *path, bool required,
			      bool definitions_pinned)
{
	char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	free(m->config_path);
	m->config_path = copy;
	m->config_required = required;
	m->definitions_pinned = definitions_pinned;
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	/* Work in flight owns its VM's backend handle: let it finish. */
	m->shutting_down = true;
	m->worker = worker_free(m->worker);
	tdestroy(m->vms, vm_free_node);
	hyp_free(m->hyp);
	free(m->observers);
	config_done(&m->config);
	free(m->config_path);
	free(m->definitions_dir);
	free(m->store_dir);
	free(m);
	return NULL;
}

int manager_observer_add(struct manager *m, const struct manager_observer_ops *ops,
			 void *userdata)
{
	struct manager_observer *o;

	o = reallocarray(m->observers, m->n_observers + 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	m->observers = o;
	m->observers[m->n_observers++] = (struct manager_observer) {
		.ops = ops,
		.userdata = userdata,
		.id = ++m->last_observer_id,
	};
	return m->last_observer_id;
}

/* Drops the observers removed during a notification, once none is running. */
static void manager_observers_prune(struct manager *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n_observers; i++)
		if (m->observers[i].ops)
			m->observers[k++] = m->observers[i];
	m->n_observers = k;
}

int manager_observer_remove(struct manager *m, int id)
{
	for (size_t i = 0; i < m->n_observers; i++) {
		if (m->observers[i].id != id || !m->observers[i].ops)
			continue;
		/* Mid-notification the array is being walked: only mark it. */
		m->observers[i].ops = NULL;
		if (!m->notifying)
			manager_observers_prune(m);
		return 0;
	}
	return -ENOENT;
}

/*
 * Calls member(args..., userdata) of every observer there was when the
 * notification began. The array is indexed afresh each time, since an
 * observer may add another (realloc) or remove one (marked, pruned after).
 */
#define manager_notify(m, member, ...)						\
	do {									\
		size_t n_ = (m)->n_observers;					\
										\
		(m)->notifying++;						\
		for (size_t i_ = 0; i_ < n_; i_++) {				\
			const struct manager_observer *o_ = &(m)->observers[i_]; \
										\
			if (o_->ops && o_->ops->member)				\
				o_->ops->member(__VA_ARGS__, o_->userdata);	\
		}								\
		if (--(m)->notifying == 0)					\
			manager_observers_prune(m);				\
	} while (0)

struct vm *manager_find_vm(struct manager *m, const char *name)
{
	struct vm key = { .name = (char *) name };
	void *node = tfind(&key, &m->vms, vm_compare_name);

	return node ? *(struct vm **) node : NULL;
}

int registry_insert(struct manager *m, struct vm *vm)
{
	if (!tsearch(vm, &m->vms, vm_compare_name))
		return -ENOMEM;
	m->n_entries++;
	return 0;
}

void registry_delete(struct manager *m, struct vm *vm)
{
	if (tdelete(vm, &m->vms, vm_compare_name))
		m->n_entries--;
}

void manager_publish_vm(struct manager *m, struct vm *vm)
{
	m->n_vms++;
	vm->registered = true;
	manager_notify(m, vm_added, m, vm);
}

/* Adds a VM to the registry and publishes it (takes it; frees it on failure). */
static int manager_register_vm(struct manager *m, struct vm *vm)
{
	if (registry_insert(m, vm) < 0) {
		vm_free(vm);
		return -ENOMEM;
	}
	manager_publish_vm(m, vm);
	return 0;
}

int manager_add_vm(struct manager *m, struct vmdef *def, bool transient, struct vm **ret)
{
	_cleanup_(vm_freep) struct vm *vm = NULL;
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
	if (ret)
		*ret = vm;
	return manager_register_vm(m, steal_ptr(vm));
}

void manager_remove_vm(struct manager *m, struct vm *vm)
{
	/*
	 * Announced while still found: the bus's InterfacesRemoved lists the
	 * interfaces of the object, which it looks up by name.
	 */
	if (vm->registered) {
		m->n_vms--;
		manager_notify(m, vm_removed, m, vm);
	}
	registry_delete(m, vm);
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

	/* Every entry: a transient VM being created counts against the limits too. */
	ctx.items = calloc(m->n_entries ? m->n_entries : 1, sizeof(*ctx.items));
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

void manager_backend_work_done(struct manager *m)
{
	unsigned features = hyp_features(m->hyp);

	if (features == m->features)
		return;
	m->features = features;
	manager_notify(m, features_changed, m);
}

void manager_vm_state_changed(struct manager *m, struct vm *vm)
{
	manager_notify(m, vm_state_changed, m, vm);
}

void manager_vm_definition_changed(struct manager *m, struct vm *vm)
{
	manager_notify(m, vm_definition_changed, m, vm);
}

void manager_vm_console_changed(struct manager *m, struct vm *vm)
{
	manager_notify(m, vm_console_changed, m, vm);
}

void manager_vm_error_changed(struct manager *m, struct vm *vm)
{
	manager_notify(m, vm_error_changed, m, vm);
}

void manager_autostart(struct manager *m)
{
	_cleanup_free_ struct vm **vms = NULL;
	size_t n = 0;

	if (manager_list_vms(m, &vms, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int r;

		if (!vms[i]->def->autostart || vms[i]->state != VM_STATE_DEFINED)
			continue;
		log_info("VM '%s': autostart", vms[i]->name);
		r = vm_start(vms[i], vm_log_done, (void *) "autostart", &error);
		if (r < 0) {
			vm_note_error(vms[i], r, &error);
			vm_log_done(vms[i], r, &error, (void *) "autostart");
		}
	}
}

void manager_log_diags(const char *origin, const struct def_diags *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = def_diag_format(origin, &diags->items[i]);

		log_error("%s", line ? line : "out of memory");
	}
}

int manager_diags_error(const char *origin, const struct def_diags *diags, int r,
			const char *name, sd_bus_error *error)
{
	_cleanup_free_ char *text = NULL;

	if (diags->n) {
		text = def_diags_format(origin, diags);
		if (!text)
			return -ENOMEM;
	}
	return sd_bus_error_setf(error, name, "%s", text ? text : strerror(-r));
}

static void manager_end(struct manager *m, bool handover)
{
	_cleanup_free_ struct vm **vms = NULL;
	size_t n = 0;

	/* Let work in flight finish (and complete) so that nothing else owns a backend VM. */
	m->shutting_down = true;
	m->worker = worker_free(m->worker);
	if (manager_list_vms(m, &vms, &n) < 0)
		return;
	/* PID 1 holds every stored fd before this process closes its copies. */
	if (handover && fdstore_sync() < 0)
		log_warning("The service manager did not confirm the fd store: VMs may end with gunyahd");
	for (size_t i = 0; i < n; i++) {
		if (handover)
			vm_handover(vms[i]);
		if (!vm_is_live(vms[i]))
			continue;
		log_info("VM '%s': destroying for shutdown", vms[i]->name);
		vm_shutdown(vms[i]);
	}
}

void manager_shutdown(struct manager *m)
{
	manager_end(m, false);
}

void manager_handover(struct manager *m)
{
	manager_end(m, true);
}
