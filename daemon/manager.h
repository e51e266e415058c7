/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM registry: definitions loaded from a directory, VMs by name, the
 * backend, the worker, and the bus (optional, so unit tests can drive VMs
 * without D-Bus).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "shared/cleanup.h"

struct event_base;
struct hyp;
struct vm;
struct vmdef;
struct worker;

struct manager {
	struct event_base *base;
	sd_bus *bus;			/* NULL without D-Bus */
	struct hyp *hyp;		/* owned */
	struct worker *worker;
	char *definitions_dir;		/* NULL: none */
	unsigned ipa_bits;

	void *vms;			/* tsearch tree of struct vm *, by name */
	size_t n_vms;
};

/* Takes ownership of hyp. */
int manager_new(struct event_base *base, struct hyp *hyp, struct manager **ret);
struct manager *manager_free(struct manager *m);
GH_DEFINE_FREEP(struct manager, manager_free)

/*
 * Loads every *.yaml file in dir, in name order. A bad file is logged
 * (file:line:column: key: message for each problem) and skipped; the
 * others load. Returns the number of VMs loaded or a negative errno when
 * the directory cannot be read.
 */
int manager_load_definitions(struct manager *m, const char *dir);

/* Adds a VM for def (takes ownership). -EEXIST when the name is taken. */
int manager_add_vm(struct manager *m, struct vmdef *def, bool transient, struct vm **ret);
/* Unregisters and frees a VM that is not live (emits VMRemoved). */
void manager_remove_vm(struct manager *m, struct vm *vm);
struct vm *manager_find_vm(struct manager *m, const char *name);
/* The VMs sorted by name, in a malloc'd array of n (caller frees the array only). */
int manager_list_vms(struct manager *m, struct vm ***ret, size_t *ret_n);

/* Called by vm.c on every state transition: D-Bus signals. */
void manager_vm_state_changed(struct manager *m, struct vm *vm);

/* Destroys every live VM (daemon shutdown); waits for starts in flight. */
void manager_shutdown(struct manager *m);
