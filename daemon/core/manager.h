/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM registry: definitions loaded from a directory, VMs by name, the
 * backend, the worker. It never calls up into the bus: what happens is
 * announced to observers (the bus layer registers one, unit tests another).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "config-file.h"
#include "definition.h"
#include "util/cleanup.h"
#include "vm.h"

struct event_base;
struct hyp;
struct vm;
struct vmdef;
struct def_diags;
struct worker;

/*
 * What the core announces, after the fact, on the loop thread (iwd's watch
 * lists, the kernel's notifier chains). Every member may be NULL.
 */
struct manager_observer_ops {
	/* A VM was published: counted in n_vms. */
	void (*vm_added)(struct manager *m, struct vm *vm, void *userdata);
	/* A published VM is about to go: still found by name, freed right after. */
	void (*vm_removed)(struct manager *m, struct vm *vm, void *userdata);
	/* Every state transition, also of a VM not published yet (a transient VM being built). */
	void (*vm_state_changed)(struct manager *m, struct vm *vm, void *userdata);
	/* A VM got a new definition (or its pending one was applied). */
	void (*vm_definition_changed)(struct manager *m, struct vm *vm, void *userdata);
	/* A request on a VM failed: its LastError changed. */
	void (*vm_error_changed)(struct manager *m, struct vm *vm, void *userdata);
	/* A VM's console counted lost output (ConsoleBytesLost); coalesced. */
	void (*vm_console_changed)(struct manager *m, struct vm *vm, void *userdata);
	/* The backend's features changed (learnt with the first VM). */
	void (*features_changed)(struct manager *m, void *userdata);
};

struct manager_observer {
	const struct manager_observer_ops *ops;	/* NULL: removed during a notification */
	void *userdata;
	int id;
};

struct manager {
	struct event_base *base;
	struct hyp *hyp;		/* owned */
	struct worker *worker;
	char *definitions_dir;		/* NULL: none */
	struct config config;		/* gunyahd.yaml: limits, access group, IPA width, back-off */
	char *config_path;		/* reread by manager_reload(); NULL: never */
	bool config_required;		/* an explicit --config: it must exist */
	bool definitions_pinned;	/* --definitions: the configuration's is ignored */
	unsigned features;		/* the backend's, as last announced */
	struct manager_observer *observers;	/* in the order they were added */
	size_t n_observers;
	int last_observer_id;
	unsigned notifying;		/* nesting depth: removed observers are pruned at 0 */
	bool shutting_down;
	char *store_dir;		/* VMs' state files (vm-store.h); NULL: VMs end with gunyahd */

	void *vms;			/* tsearch tree of struct vm *, by name */
	size_t n_entries;		/* in the tree, transient VMs being created included */
	size_t n_vms;			/* published (observers told: vm_added) */
};

/* Takes ownership of hyp. Starts with the built-in configuration. */
int manager_new(struct event_base *base, struct hyp *hyp, struct manager **ret);
/* Replaces the configuration; takes the strings of *c (and clears it). */
void manager_set_config(struct manager *m, struct config *c);
/*
 * Where manager_reload() rereads the configuration: path (copied), which
 * must exist when required; with definitions_pinned a changed
 * 'definitions' key does not move the definitions directory.
 */
int manager_set_config_source(struct manager *m, const char *path, bool required,
			      bool definitions_pinned);
/* The configured rules definitions are checked against (definition.h). */
struct definition_rules manager_definition_rules(const struct manager *m);
/*
 * The configured limits for vm holding def's memory, next to every other
 * VM that holds (or is building) an instance: LimitExceeded when max-vms
 * or max-guest-memory would be passed.
 */
int manager_check_limits(struct manager *m, const struct vm *vm, const struct vmdef *def,
			 sd_bus_error *error);
struct manager *manager_free(struct manager *m);
GH_DEFINE_FREEP(struct manager, manager_free)

/*
 * Adds an observer (ops and userdata are not copied: they outlive it or
 * are removed first). Returns its id (> 0) or -ENOMEM.
 */
int manager_observer_add(struct manager *m, const struct manager_observer_ops *ops,
			 void *userdata);
/*
 * Removes the observer id, also from within a notification (it is called
 * no more). -ENOENT when there is none.
 */
int manager_observer_remove(struct manager *m, int id);

/* Remembers dir for manager_reload(), loading nothing (it may not exist yet). */
int manager_set_definitions_dir(struct manager *m, const char *dir);
/*
 * Loads every *.yaml file in dir, in name order, and remembers dir for
 * manager_reload(). A file is checked as manager_validate() checks a
 * definition for the directory; a bad file is logged (file:line:column:
 * key: message for each problem) and skipped, and so is a file naming a
 * VM that another file defines; the others load. Returns the number of
 * VMs added or a negative errno when the directory cannot be read.
 */
int manager_load_definitions(struct manager *m, const char *dir);

/* Adds a VM for def (takes ownership). -EEXIST when the name is taken. */
int manager_add_vm(struct manager *m, struct vmdef *def, bool transient, struct vm **ret);
/* Unregisters and frees a VM that is not live (observers: vm_removed, while still found). */
void manager_remove_vm(struct manager *m, struct vm *vm);
struct vm *manager_find_vm(struct manager *m, const char *name);
/* The VMs sorted by name, in a malloc'd array of n (caller frees the array only). */
int manager_list_vms(struct manager *m, struct vm ***ret, size_t *ret_n);

/*
 * Called by vm.c after backend work: the kernel backend learns its
 * extensions with the first VM when it could not probe earlier.
 */
void manager_backend_work_done(struct manager *m);
/* Called by vm.c on every state transition: tells the observers. */
void manager_vm_state_changed(struct manager *m, struct vm *vm);
/* A VM got a new definition: tells the observers. */
void manager_vm_definition_changed(struct manager *m, struct vm *vm);
/* A request on a VM failed (LastError): tells the observers. */
void manager_vm_error_changed(struct manager *m, struct vm *vm);
/* A VM's console lost output: tells the observers. */
void manager_vm_console_changed(struct manager *m, struct vm *vm);

/* A definition file that was not applied, and why (Manager1.Reload's reply). */
struct manager_problem {
	char *file;
	unsigned line;			/* 1-based */
	unsigned column;		/* 1-based */
	char *message;			/* "key: message", or the message */
};

struct manager_problems {
	struct manager_problem *items;	/* by file name, then as found */
	size_t n;
};

void manager_problems_clear(struct manager_problems *p);

/*
 * SIGHUP, Manager1.Reload: rereads the configuration, then the definitions
 * directory (with the new limits). A configuration with problems is logged
 * and not applied (org.gunyah.Error.InvalidDefinition, each problem as
 * file:line:column), and the definitions are reread all the same; a
 * directory that cannot be read is an errno-based error. error may be NULL.
 * Every problem of a definition file that was not applied is logged and,
 * when ret is non-NULL, appended to *ret (also when the call fails).
 */
int manager_reload_report(struct manager *m, struct manager_problems *ret, sd_bus_error *error);
static inline int manager_reload(struct manager *m, sd_bus_error *error)
{
	return manager_reload_report(m, NULL, error);
}
/* Starts every defined VM marked autostart; failures are logged, one by one. */
void manager_autostart(struct manager *m);

#define TRANSIENT_FILES_MAX 8

/* A file passed to CreateTransientVM: its key and an fd the caller owns. */
struct transient_file {
	const char *key;
	int fd;
};

/*
 * Creates a transient VM from definition text and passed files (fd:KEY
 * references; every passed file must be used); the VM owns the fds it
 * uses (their slots in files are set to -1). Refusals come at once:
 * InvalidDefinition (every YAML problem, or a file reference),
 * LayoutConflict, VMExists, and vm_create()'s. Otherwise the VM is built
 * on a worker and done reports the outcome: on success the VM is published
 * (vm_added) created; on failure it is gone without a trace. Its name is
 * taken meanwhile.
 */
int manager_create_transient(struct manager *m, const char *yaml,
			     struct transient_file *files, size_t n_files, vm_done_fn done,
			     void *userdata, sd_bus_error *error);

/*
 * Checks definition text without side effects and without opening any
 * file, with what Create checks before it reads the images: the schema,
 * the parcel layout (every conflict), the devicetree, the placement of
 * kernel, ramdisk and devicetree in main memory as far as it does not
 * depend on the images' sizes (loader_check()), and the VM's own memory
 * against limits.max-guest-memory. Appends every problem to *ret; returns
 * 0, or -ENOMEM.
 */
int manager_validate(struct manager *m, const char *yaml, enum definition_use use,
		     struct def_diags *ret);

/* Destroys every live VM (daemon shutdown); waits for starts in flight. */
void manager_shutdown(struct manager *m);
/*
 * gunyahd restarts (systemctl restart): waits for work in flight, then
 * leaves every VM in the fd store for the next gunyahd (vm_handover());
 * a VM that is not stored is destroyed as by manager_shutdown().
 */
void manager_handover(struct manager *m);
