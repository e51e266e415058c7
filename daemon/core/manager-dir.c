/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The definitions directory: every *.yaml file read through the
 * definition pipeline and kept in line with the registry on reload, and
 * gunyahd.yaml reread with it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "manager-internal.h"
#include "util/log.h"
#include "vm.h"

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
 * Reads one definition file through the definition pipeline; logs every
 * problem and appends it to problems (may be NULL).
 */
static int manager_read_definition(struct manager *m, const char *path,
				   struct manager_problems *problems, struct vmdef **ret)
{
	const struct definition_rules rules = manager_definition_rules(m);
	struct def_diags diags = {};
	int r, k = 0;

	r = definition_read(&rules, DEFINITION_USE_DIRECTORY, path, NULL, ret, NULL, &diags);
	if (r >= 0)
		return 0;
	manager_log_diags(path, &diags);
	for (size_t i = 0; k >= 0 && i < diags.n; i++) {
		const struct def_diag *d = &diags.items[i];

		k = manager_problems_add(problems, path, d->line, d->column, "%s%s%s",
					 d->key, *d->key ? ": " : "", d->message);
	}
	if (k >= 0 && diags.n == 0)
		k = manager_problems_add(problems, path, 1, 1, "cannot be read: %s",
					 strerror(-r));
	def_diags_clear(&diags);
	return k < 0 ? k : r;
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

/*
 * Rereads gunyahd.yaml. Limits, the access group, the IPA width and the
 * restart back-off are read where they are used, so the new values apply
 * from the next call on; VMs that exist keep running whatever changed.
 */
static int manager_reload_config(struct manager *m, sd_bus_error *error)
{
	struct def_diags diags = {};
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
		def_diags_clear(&diags);
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

