/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What vm.c (the requests) shares with vm-state.c (the tables),
 * vm-exit.c (exits and the restart policy) and vm-adopt.c (surviving
 * gunyahd); nothing outside core/vm*.c includes this.
 */
#pragma once

#include <linux/gunyah.h>
#include <systemd/sd-bus.h>

#include "vm.h"

/* vm-state.c */
/* Refused (InvalidState): the state does not allow the request, or work is in flight. */
int vm_check_request(const struct vm *vm, enum vm_request req, sd_bus_error *error);
void vm_set_state(struct vm *vm, enum vm_state state, const char *reason);
/* The same state for a new reason (e.g. failed -> failed: restart-limit). */
void vm_set_reason(struct vm *vm, const char *reason);

/* vm-exit.c */
/* Watches the backend VM fd for exits (nothing to watch without the extension). */
int vm_watch_status(struct vm *vm);
/* Reads the VM's status: 1 when it has exited (status filled in), 0 when not, r < 0. */
int vm_read_exit(struct vm *vm, struct gh_vm_status *status);
/* The exit status has it exited or crashed: classified, then the restart policy. */
void vm_on_exit(struct vm *vm, const struct gh_vm_status *status);
void vm_apply_restart_policy(struct vm *vm);

/* vm.c */
/* Takes over inst (emptied): the VM is live with it. */
void vm_attach(struct vm *vm, struct vm_instance *inst);
/* Frees the status watch and the stop timer. */
void vm_events_free(struct vm *vm);
int vm_arm_stop_timer(struct vm *vm, uint64_t usec);
/* A restart by the policy (or a guest's reboot): counted, not a user's start. */
void vm_restart_now(struct vm *vm);
