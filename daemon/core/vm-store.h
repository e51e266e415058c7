/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMs that outlive gunyahd (docs/integration.md, "Restarts and crashes").
 *
 * A VM lives as long as its VM fd is open somewhere. While a VM is live,
 * its VM fd, its guest-memory fds and its console fd sit in systemd's fd
 * store (names "vm-NAME", "mem-NAME-LABEL", "con-NAME") and what gunyahd knows of it in a state
 * file, RUNTIME_DIR/NAME.state, rewritten atomically on every change. A
 * gunyahd started again gets the fds back and adopts each VM its state
 * file describes. Releasing an instance takes its fds out of the store
 * first, so that gunyahd, not PID 1, closes the last copy (and waits for
 * the teardown).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct manager;
struct vm;
struct vm_instance;

/* The fds systemd handed over at start ($LISTEN_FDS with their names). */
struct vm_store_fds {
	int *fds;
	char **names;
	size_t n;
};

/* Takes what sd_listen_fds_with_names() hands over (none: n = 0). */
int vm_store_fds_take(struct vm_store_fds *ret);
/* Closes (and drops from the store) every fd nobody took. */
void vm_store_fds_done(struct vm_store_fds *f);

/*
 * Turns survival on: state files under dir (created if missing). Without
 * it (not under systemd, the sim backend) VMs end with gunyahd.
 */
int manager_enable_store(struct manager *m, const char *dir);

/*
 * Adopts every VM whose state file and VM fd survived, before the bus
 * name is taken; a state file without its fd is a VM lost while gunyahd
 * was away (logged, removed). Takes the fds it uses out of f.
 */
void manager_adopt(struct manager *m, struct vm_store_fds *f);

/*
 * vm's instance was attached: store its fds (and a transient VM's passed
 * files, "file-NAME-KEY", once), write its state.
 */
void vm_store_attach(struct vm *vm);
/* A transient VM goes: its passed files leave the store. */
void vm_store_forget_files(struct vm *vm);
/* vm changed: rewrite its state file (or remove it once nothing is live). */
void vm_store_save(struct vm *vm);
/*
 * An instance is released: its fds leave the store and PID 1 has let
 * them go when this returns. Any thread.
 */
void vm_store_forget(struct vm_instance *inst);
