/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Waiting for a VM to reach one of some states, for wait and reboot.
 * Subscribe before reading the VM's state or asking for a transition, so
 * that no VMStateChanged can slip between the two.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "ctl.h"

#define CTL_WAIT_STATE_MAX 32

struct ctl_wait {
	const char *name;
	const char *const *states;	/* NULL-terminated: any of them ends the wait */
	char state[CTL_WAIT_STATE_MAX];	/* the latest state seen, "" before any */
	bool done;			/* reached one of states, or the VM or gunyahd went away */
	bool removed;			/* VMRemoved */
	bool daemon_gone;		/* gunyahd lost org.gunyah.Manager1 */
	sd_bus_slot *slots[3];
};

/* The states of docs/api.md, NULL-terminated. */
extern const char *const ctl_vm_states[];
/* Where a stop ends: defined where a stop destroys (no GH_VM_STOP). */
extern const char *const ctl_stopped_states[];
bool ctl_vm_state_is_known(const char *state);

/* GetVM, then the VM's State property, freed by the caller; reports failure. */
int ctl_vm_state(struct ctl *ctl, const char *name, char **ret_state);

/* Matches VMStateChanged, VMRemoved and NameOwnerChanged; reports failure. */
int ctl_wait_subscribe(struct ctl *ctl, struct ctl_wait *w);
/* Takes state (e.g. read from the VM's State property) as seen. */
void ctl_wait_saw(struct ctl_wait *w, const char *state);
/*
 * Dispatches signals until w->done: 0, or -ETIMEDOUT after deadline, -EINTR
 * on SIGINT or SIGTERM, or the connection's error. Reports nothing.
 */
int ctl_wait_run(struct ctl *ctl, struct ctl_wait *w, uint64_t deadline);
void ctl_wait_done(struct ctl_wait *w);

/*
 * StopVM for w->name (forced with --force), then, when w is subscribed
 * (its states ctl_stopped_states), waits until the VM has stopped.
 * Reports failure; 0 also when the VM was removed meanwhile (w->removed).
 */
int ctl_stop_vm(struct ctl *ctl, struct ctl_wait *w, bool wait, uint64_t deadline);
