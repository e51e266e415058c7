/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-errors.h"
#include "hyp.h"
#include "layout.h"
#include "loader.h"
#include "manager.h"
#include "shared/log.h"
#include "vm.h"
#include "vmdef.h"
#include "shared/bus-error.h"
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

struct vmdef_parse_opts manager_parse_opts(const struct manager *m)
{
	return (struct vmdef_parse_opts) {
		.max_size = m->config.limits.max_definition_size,
		.max_regions = m->config.limits.max_regions ? m->config.limits.max_regions
							    : VMDEF_NO_REGIONS,
	};
}

static uint64_t vmdef_memory(const struct vmdef *def)
{
	uint64_t total = def->memory.size;

	for (size_t i = 0; i < def->n_regions; i++)
		total += def->regions[i].size;
	return total;
}

int manager_check_limits(struct manager *m, const struct vm *vm, const struct vmdef *def,
			 sd_bus_error *error)
{
	_cleanup_free_ struct vm **vms = NULL;
	uint64_t memory = vmdef_memory(def);
	size_t n = 0, live = 0;
	int r;

	r = manager_list_vms(m, &vms, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct vmdef *held = vm_resource_def(vms[i]);

		if (vms[i] == vm || !held)
			continue;
		live++;
		memory += vmdef_memory(held);
	}
	if (live >= m->config.limits.max_vms)
		return bus_error_setf(error, -EUSERS, GH_ERROR_LIMIT_EXCEEDED,
				      "VM '%s': %zu VMs are live, the limit is %u (limits.max-vms)",
				      def->name, live, m->config.limits.max_vms);
	if (m->config.limits.max_guest_memory && memory > m->config.limits.max_guest_memory)
		return bus_error_setf(error, -ENOSPC, GH_ERROR_LIMIT_EXCEEDED,
				      "VM '%s': guest memory would total %" PRIu64
				      " bytes, over the limit of %" PRIu64 " (limits.max-guest-memory)",
				      def->name, memory, m->config.limits.max_guest_memory);
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

/* The registry holds names taken, published or not (a transient VM being created). */
static int registry_insert(struct manager *m, struct vm *vm)
{
	if (!tsearch(vm, &m->vms, vm_compare_name))
		return -ENOMEM;
	m->n_entries++;
	return 0;
}

static void registry_delete(struct manager *m, struct vm *vm)
{
	if (tdelete(vm, &m->vms, vm_compare_name))
		m->n_entries--;
}

/* A VM in the registry becomes visible: counted, and the observers are told. */
static void manager_publish_vm(struct manager *m, struct vm *vm)
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

void manager_vm_error_changed(struct manager *m, struct vm *vm)
{
	manager_notify(m, vm_error_changed, m, vm);
}

static void manager_log_diags(const char *origin, const struct vmdef_diags *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = vmdef_diag_format(origin, &diags->items[i]);

		log_error("%s", line ? line : "out of memory");
	}
}

void manager_problems_clear(struct manager_problems *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].file);
		free(p->items[i].message);
	}
	free(p->items);
	*p = (struct manager_problems) {};
}

/* Appends a problem of file; NULL problems: nothing to do. */
static __attribute__((format(printf, 5, 6)))
int manager_problems_add(struct manager_problems *p, const char *file, unsigned line,
			 unsigned column, const char *fmt, ...)
{
	struct manager_problem *items, *item;
	va_list ap;
	int k;

	if (!p)
		return 0;
	items = reallocarray(p->items, p->n + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	p->items = items;
	item = &items[p->n];
	*item = (struct manager_problem) { .line = line, .column = column };
	va_start(ap, fmt);
	k = vasprintf(&item->message, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	item->file = strdup(file);
	if (!item->file) {
		free(item->message);
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

/*
 * What Create checks before it reads any image (docs/api.md,
 * ValidateDefinitionFor): every parcel conflict, the devicetree and the
 * placement in main memory (loader_check()), and the VM's own memory
 * against limits.max-guest-memory, which other VMs only make tighter.
 * Appends a diagnostic for each problem; returns -EINVAL when there was
 * any, 0, or -ENOMEM.
 */
static int manager_check_definition(struct manager *m, const struct vmdef *def,
				    struct vmdef_diags *ret)
{
	_cleanup_(layout_freep) struct layout *layout = NULL;
	uint64_t memory = vmdef_memory(def), max = m->config.limits.max_guest_memory;
	size_t n = ret->n;
	int r;

	r = layout_from_vmdef(def, m->config.ipa_bits, &layout, ret);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && ret->n == n) {
		r = vmdef_diags_add(ret, def->memory.mark.line, def->memory.mark.column, "memory",
				    "no layout: %s", strerror(-r));
		if (r < 0)
			return r;
	}
	r = loader_check(def, ret);
	if (r == -ENOMEM)
		return r;
	if (max && memory > max) {
		r = vmdef_diags_add(ret, def->memory.mark.line, def->memory.mark.column, "memory",
				    "%" PRIu64 " bytes of guest memory (regions included), over limits.max-guest-memory (%" PRIu64 " bytes)",
				    memory, max);
		if (r < 0)
			return r;
	}
	return ret->n > n ? -EINVAL : 0;
}

/*
 * Parses and checks one definition file; logs every problem and appends
 * it to problems (may be NULL).
 */
static int manager_read_definition(struct manager *m, const char *path,
				   struct manager_problems *problems, struct vmdef **ret)
{
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	struct vmdef_diags diags = {};
	int r, k = 0;

	const struct vmdef_parse_opts opts = manager_parse_opts(m);

	r = vmdef_parse_file(path, &opts, &def, &diags);
	if (r >= 0)
		r = manager_check_definition(m, def, &diags);
	if (r < 0) {
		manager_log_diags(path, &diags);
		for (size_t i = 0; k >= 0 && i < diags.n; i++) {
			const struct vmdef_diag *d = &diags.items[i];

			k = manager_problems_add(problems, path, d->line, d->column, "%s%s%s",
						 d->key, *d->key ? ": " : "", d->message);
		}
		if (k >= 0 && diags.n == 0)
			k = manager_problems_add(problems, path, 1, 1, "cannot be read: %s",
						 strerror(-r));
		vmdef_diags_clear(&diags);
		return k < 0 ? k : r;
	}
	*ret = steal_ptr(def);
	return 0;
}

static int yaml_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

static bool listed(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/*
 * Whether another file than the one that defined @vm claims its name while
 * that file is still there (valid or not). The first file keeps the VM
 * whatever the order of the directory: a copy or a symlink never takes
 * over a VM, and only a VM whose own file is gone can move to another.
 */
static bool manager_claimed_elsewhere(const struct vm *vm, const struct vmdef *def)
{
	return !vm->transient && strcmp(vm->def->origin, def->origin) != 0 &&
		access(vm->def->origin, F_OK) == 0;
}

/* Takes def: a new VM, or the new definition of a known one. */
static int manager_sync_one(struct manager *m, struct vmdef *def, char **seen, size_t n_seen,
			    struct manager_problems *problems)
{
	struct vm *vm = manager_find_vm(m, def->name);
	int r;

	if (listed(seen, n_seen, def->name) || (vm && vm->transient) ||
	    (vm && manager_claimed_elsewhere(vm, def))) {
		const char *owner = vm && vm->transient ? "a transient VM" :
				    vm ? vm->def->origin : "?";

		log_error("%s: VM '%s' is already defined by %s, skipping", def->origin, def->name,
			  owner);
		/* The whole file is refused: its first position stands for it. */
		r = manager_problems_add(problems, def->origin, 1, 1,
					 "VM '%s' is already defined by %s", def->name, owner);
		vmdef_free(def);
		return r < 0 ? r : -EEXIST;
	}
	if (vm) {
		if (vm->removed)
			log_info("%s: VM '%s' is defined again", def->origin, def->name);
		vm->removed = false;
		/* A live VM keeps what it was created from; this applies at the next create. */
		vm_set_def(vm, def);
		manager_vm_definition_changed(m, vm);
		return 0;
	}
	{
		_cleanup_free_ char *origin = strdup(def->origin);
		_cleanup_free_ char *name = strdup(def->name);

		r = manager_add_vm(m, def, false, NULL);
		if (r < 0) {
			log_errno(LOG_ERR, r, "VM '%s': cannot add it: %m", name ?: "?");
			if (origin && name)
				(void) manager_problems_add(problems, origin, 1, 1,
							    "VM '%s' cannot be added: %s", name,
							    strerror(-r));
			return r;
		}
	}
	return 1;
}

/* VMs whose file is gone: removed now, or once they are destroyed. */
static void manager_sync_removed(struct manager *m, char **seen, size_t n_seen, char **broken,
				 size_t n_broken)
{
	_cleanup_free_ struct vm **vms = NULL;
	size_t n = 0;

	if (manager_list_vms(m, &vms, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct vm *vm = vms[i];

		if (vm->transient || listed(seen, n_seen, vm->name))
			continue;
		if (listed(broken, n_broken, vm->def->origin)) {
			log_warning("VM '%s': '%s' is now invalid, keeping the previous definition",
				    vm->name, vm->def->origin);
			continue;
		}
		if (vm_is_live(vm) || vm->op != VM_OP_NONE) {
			if (!vm->removed)
				log_notice("VM '%s': definition removed; it goes when it is destroyed",
					   vm->name);
			vm->removed = true;
			continue;
		}
		log_info("VM '%s': definition removed", vm->name);
		manager_remove_vm(m, vm);
	}
}

/*
 * Brings the registry in line with the directory: new files add VMs,
 * changed ones replace definitions (applied at the next create), removed
 * ones remove VMs that are not live. A file that does not parse never
 * disturbs the VM it defined before.
 */
static int manager_sync(struct manager *m, const char *dir, struct manager_problems *problems)
{
	struct dirent **entries = NULL;
	char **seen = NULL, **broken = NULL;
	size_t n_seen = 0, n_broken = 0;
	int n, added = 0;

	n = scandir(dir, &entries, yaml_filter, alphasort);
	if (n < 0)
		return log_errno(LOG_ERR, -errno, "Cannot read definitions directory '%s': %m", dir);
	seen = calloc((size_t) n + 1, sizeof(char *));
	broken = calloc((size_t) n + 1, sizeof(char *));
	if (!seen || !broken) {
		n_seen = 0;
		goto out;
	}

	for (int i = 0; i < n; i++) {
		char *path = NULL;
		struct vmdef *def = NULL;
		int r;

		if (asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0) {
			log_error("Out of memory reading '%s'", dir);
			continue;
		}
		r = manager_read_definition(m, path, problems, &def);
		if (r < 0) {
			log_error("%s: invalid definition, skipping", path);
			broken[n_broken++] = path;
			continue;
		}
		free(path);
		r = manager_sync_one(m, def, seen, n_seen, problems);
		if (r >= 0) {
			struct vm *vm = manager_find_vm(m, def->name);

			seen[n_seen++] = vm->name;
			added += r;
		}
	}
	manager_sync_removed(m, seen, n_seen, broken, n_broken);
out:
	for (int i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	for (size_t i = 0; i < n_broken; i++)
		free(broken[i]);
	free(broken);
	free(seen);
	return added;
}

int manager_set_definitions_dir(struct manager *m, const char *dir)
{
	char *copy = strdup(dir);

	if (!copy)
		return -ENOMEM;
	free(m->definitions_dir);
	m->definitions_dir = copy;
	return 0;
}

int manager_load_definitions(struct manager *m, const char *dir)
{
	int r = manager_set_definitions_dir(m, dir);

	return r < 0 ? r : manager_sync(m, dir, NULL);
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

static int manager_diags_error(const char *origin, const struct vmdef_diags *diags, int r,
			       const char *name, sd_bus_error *error)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = vmdef_diag_format(origin, &diags->items[i]);

		/* One problem per line, as gunyahctl prints them. */
		fprintf(f, "%s%s", i ? "\n" : "", line ? line : "?");
	}
	fclose(f);
	return sd_bus_error_setf(error, name, "%s", diags->n ? text : strerror(-r));
}

/*
 * Rereads gunyahd.yaml. Limits, the access group, the IPA width and the
 * restart back-off are read where they are used, so the new values apply
 * from the next call on; VMs that exist keep running whatever changed.
 */
static int manager_reload_config(struct manager *m, sd_bus_error *error)
{
	struct vmdef_diags diags = {};
	struct config c = {};
	int r;

	if (!m->config_path)
		return 0;
	r = config_load(m->config_path, m->config_required, &c, &diags);
	if (r < 0) {
		manager_log_diags(m->config_path, &diags);
		log_errno(LOG_ERR, r, "Cannot use the configuration '%s', keeping the one in use: %m",
			  m->config_path);
		if (diags.n)
			r = manager_diags_error(m->config_path, &diags, r,
						GH_ERROR_INVALID_DEFINITION, error);
		else
			r = sd_bus_error_set_errnof(error, -r, "Cannot read '%s': %s",
						    m->config_path, strerror(-r));
		vmdef_diags_clear(&diags);
		return r;
	}
	if (!m->definitions_pinned && m->config.definitions_dir &&
	    strcmp(c.definitions_dir, m->config.definitions_dir) != 0) {
		r = manager_set_definitions_dir(m, c.definitions_dir);
		if (r < 0) {
			config_done(&c);
			return sd_bus_error_set_errno(error, r);
		}
		log_notice("Definitions directory is now '%s'", c.definitions_dir);
	}
	manager_set_config(m, &c);
	log_info("Reloaded the configuration from '%s'", m->config_path);
	return 0;
}

int manager_reload_report(struct manager *m, struct manager_problems *ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_error_free) sd_bus_error config_error = SD_BUS_ERROR_NULL;
	int r_config, r = 0;

	/* First, so that the definitions are read with the new limits. */
	r_config = manager_reload_config(m, &config_error);
	if (m->definitions_dir) {
		log_info("Reloading definitions from '%s'", m->definitions_dir);
		r = manager_sync(m, m->definitions_dir, ret);
		if (r >= 0)
			log_info("Reloaded: %zu VM(s) defined", m->n_vms);
	}
	if (r_config < 0) {
		sd_bus_error_move(error, &config_error);
		return r_config;
	}
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r, "Cannot read '%s': %s",
					       m->definitions_dir, strerror(-r));
	return 0;
}

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
	struct vmdef_parse_opts opts = manager_parse_opts(m);
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	_cleanup_(layout_freep) struct layout *layout = NULL;
	_cleanup_(vm_freep) struct vm *vm = NULL;
	_cleanup_free_ struct transient_ctx *ctx = NULL;
	struct vmdef_diags diags = {};
	int r;

	opts.transient = true;
	r = vmdef_parse_string("<transient>", yaml, strlen(yaml), &opts, &def, &diags);
	if (r < 0) {
		r = manager_diags_error("<transient>", &diags, r, GH_ERROR_INVALID_DEFINITION, error);
		vmdef_diags_clear(&diags);
		return r;
	}
	r = layout_from_vmdef(def, m->config.ipa_bits, &layout, &diags);
	if (r < 0) {
		r = manager_diags_error("<transient>", &diags, r, GH_ERROR_LAYOUT_CONFLICT, error);
		vmdef_diags_clear(&diags);
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

static const char *const manager_use_table[_MANAGER_USE_MAX] = {
	[MANAGER_USE_DIRECTORY] = "directory",
	[MANAGER_USE_TRANSIENT] = "transient",
};

enum manager_use manager_use_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(manager_use_table); i++)
		if (manager_use_table[i] && strcmp(manager_use_table[i], s) == 0)
			return (enum manager_use) i;
	return _MANAGER_USE_INVALID;
}

int manager_validate(struct manager *m, const char *yaml, enum manager_use use,
		     struct vmdef_diags *ret)
{
	struct vmdef_parse_opts opts = manager_parse_opts(m);
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	int r;

	opts.any_files = use == MANAGER_USE_ANY;
	opts.transient = use == MANAGER_USE_TRANSIENT;
	r = vmdef_parse_string("<definition>", yaml, strlen(yaml), &opts, &def, ret);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	r = manager_check_definition(m, def, ret);
	return r == -ENOMEM ? r : 0;
}

void manager_shutdown(struct manager *m)
{
	_cleanup_free_ struct vm **vms = NULL;
	size_t n = 0;

	/* Let work in flight finish (and complete) so that nothing else owns a backend VM. */
	m->shutting_down = true;
	m->worker = worker_free(m->worker);
	if (manager_list_vms(m, &vms, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!vm_is_live(vms[i]))
			continue;
		log_info("VM '%s': destroying for shutdown", vms[i]->name);
		vm_shutdown(vms[i]);
	}
}
