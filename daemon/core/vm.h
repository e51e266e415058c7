/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One VM: its definition, its state machine and, between create and
 * destroy, its live instance (backend VM, guest memory, status watch).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "loader.h"
#include "vm-instance.h"
#include "util/cleanup.h"
#include "vmdef.h"

struct console;
struct event;
struct guest;
struct hyp_vm;
struct manager;
struct vm;

enum vm_state {
	VM_STATE_DEFINED,	/* known, nothing allocated */
	VM_STATE_CREATED,	/* backend VM, memory and images in place */
	VM_STATE_STARTING,	/* START running on a worker thread */
	VM_STATE_RUNNING,
	VM_STATE_STOPPING,	/* graceful stop asked; forced after stop-timeout */
	VM_STATE_EXITED,
	VM_STATE_CRASHED,
	VM_STATE_FAILED,	/* START failed, or restart limit hit */
	_VM_STATE_MAX,
	_VM_STATE_INVALID = -EINVAL,
};

/* What a caller can ask of a VM; each is allowed in a set of states. */
enum vm_request {
	VM_REQUEST_CREATE,
	VM_REQUEST_START,
	VM_REQUEST_STOP,
	VM_REQUEST_DESTROY,
	_VM_REQUEST_MAX,
	_VM_REQUEST_INVALID = -EINVAL,
};

/* Backend work in flight for a VM, on a worker thread; one at a time. */
enum vm_op {
	VM_OP_NONE,
	VM_OP_CREATE,		/* build an instance */
	VM_OP_RECREATE,		/* release the old instance, build a new one */
	VM_OP_START,		/* GH_VM_START */
	VM_OP_STOP,		/* GH_VM_STOP */
	VM_OP_RELEASE,		/* close the backend VM, free guest memory */
	_VM_OP_MAX,
	_VM_OP_INVALID = -EINVAL,
};

/*
 * Called on the loop thread when a request completes; error is set when
 * r < 0. The VM may be freed right after (a destroyed transient VM).
 */
typedef void (*vm_done_fn)(struct vm *vm, int r, const sd_bus_error *error, void *userdata);

struct vm {
	struct manager *manager;
	char *name;
	struct vmdef *def;		/* applies at the next create */
	bool transient;
	bool registered;		/* published by the manager (observers: vm_added) */
	struct loader_files files;	/* owned; a transient VM's images */
	bool files_stored;		/* files are in systemd's fd store too (vm-store.h) */
	bool removed;			/* its file is gone: drop it when back to defined */

	enum vm_state state;
	char *state_reason;		/* never NULL; "" when there is none */
	int exit_type;			/* enum vmdef_exit_type, or -1 */
	uint32_t exit_code;
	unsigned restart_count;
	uint64_t created_usec;		/* CLOCK_REALTIME µs; 0 = never */
	uint64_t started_usec;
	char *last_error;		/* why the latest request failed; NULL = none yet */
	uint64_t last_error_usec;	/* CLOCK_REALTIME µs; 0 = never */

	struct vm_instance inst;	/* live from create to destroy; the worker's meanwhile */
	struct console *console;	/* the instance's (vm-console.c); NULL: none */
	int adopted_console_fd;		/* vm_adopt(): the console to take over, or -1 */
	struct event *status_event;	/* backend VM fd: exits */
	struct event *stop_timer;	/* graceful stop gives up: force */
	struct event *restart_timer;	/* restart policy back-off; lives as long as the VM */

	/* Restart policy bookkeeping: restarts inside the current interval. */
	uint64_t burst_start_usec;	/* CLOCK_MONOTONIC */
	unsigned burst_count;
	bool stop_requested;		/* a user stopped it: no policy restart */

	/* The backend work in flight (the worker owns the instance meanwhile). */
	enum vm_op op;
	const struct vmdef *op_def;	/* what CREATE/RECREATE builds from (the job owns it) */
	bool op_then_start;		/* CREATE/RECREATE is the first half of a Start */
	vm_done_fn op_done;		/* the caller waiting for the request */
	void *op_userdata;

	/*
	 * A forced stop or a destroy asked for while a start is in flight: the
	 * start is abandoned and this runs as soon as the backend answers.
	 */
	bool abandon;
	bool abandon_destroy;		/* else a forced stop */
	vm_done_fn abandon_done;
	void *abandon_userdata;
};

const char *vm_state_to_string(enum vm_state s);
enum vm_state vm_state_from_string(const char *s);
const char *vm_request_to_string(enum vm_request r);
const char *vm_op_to_string(enum vm_op op);
bool vm_state_transition_allowed(enum vm_state from, enum vm_state to);
bool vm_request_allowed(enum vm_request req, enum vm_state state);

/* Takes ownership of def. The VM starts in `defined`. */
int vm_new(struct manager *m, struct vmdef *def, bool transient, struct vm **ret);
struct vm *vm_free(struct vm *vm);
GH_DEFINE_FREEP(struct vm, vm_free)

/* Replaces the definition; it applies at the next create. Takes ownership. */
void vm_set_def(struct vm *vm, struct vmdef *def);
/* Whether the live instance was built from another text than the definition's. */
bool vm_definition_pending(const struct vm *vm);
/*
 * Records why a request on the VM failed, whoever made it (LastError):
 * the message of error when set, else strerror(-r).
 */
void vm_note_error(struct vm *vm, int r, const sd_bus_error *error);
/* vm_done_fn of requests gunyahd makes itself; userdata: what, a static string. */
void vm_log_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata);

/*
 * The requests. Each one checks the state and returns at once: a negative
 * errno with *error set when refused, else 0 with the work under way on a
 * worker thread (anything that talks to the hypervisor may block); done
 * (may be NULL) then runs on the loop thread with the outcome. While work
 * is in flight the VM refuses other requests (InvalidState, "busy").
 *
 * Create builds the instance (guest memory, images, devicetree, the
 * backend VM and its regions). Start creates first when needed (from
 * defined, or again from exited, crashed or failed) and then starts.
 * Stop asks the backend to stop (done: the request was accepted; the
 * exit comes later). Destroy closes the backend VM and frees everything;
 * a transient VM (or one whose file was removed) is then unregistered and
 * freed right after done ran.
 *
 * While a start is in flight (building, or GH_VM_START), a forced stop or
 * a destroy is accepted: the start is abandoned (its caller gets
 * InvalidState) and the request takes effect when the backend returns. A
 * forced stop leaves a VM that never ran created, and stops one that did.
 */
int vm_create(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error);
int vm_start(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error);
int vm_stop(struct vm *vm, bool force, vm_done_fn done, void *userdata, sd_bus_error *error);
int vm_destroy(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error);

/* Tears down whatever is live without state checks, blocking. */
void vm_teardown(struct vm *vm);
/* The same for gunyahd's shutdown, announced: defined, reason "shutdown". */
void vm_shutdown(struct vm *vm);

/*
 * What a state file keeps of a VM for the next gunyahd (vm-store.h).
 * reason is borrowed from the VM by vm_save(), owned by the reader's state.
 */
struct vm_saved {
	enum vm_state state;
	char *reason;
	int exit_type;
	uint32_t exit_code;
	unsigned restart_count;
	uint64_t created_usec, started_usec;
	uint64_t burst_start_usec;	/* CLOCK_MONOTONIC: the same across processes */
	unsigned burst_count;
	bool stop_requested;
	bool restart_pending;		/* the restart policy's timer was armed */
	int console_fd;			/* not in the file: the console fd the store kept, or -1 */
};

void vm_save(const struct vm *vm, struct vm_saved *ret);
/*
 * Takes over an instance a previous gunyahd left (its fds from the store):
 * the saved state, then what the backend says now. An exit that happened
 * meanwhile is classified (and the restart policy applied) as if it had
 * been seen; a live VM gets its watches back. inst is emptied.
 */
int vm_adopt(struct vm *vm, struct vm_instance *inst, const struct vm_saved *saved);
/*
 * gunyahd restarts: the VM stays in the fd store for the next one, and
 * this process only closes its own fds. Nothing is announced.
 */
void vm_handover(struct vm *vm);

bool vm_is_live(const struct vm *vm);
/* The definition whose memory the VM holds or is about to hold, or NULL. */
const struct vmdef *vm_resource_def(const struct vm *vm);
/*
 * The devicetree the VM boots with: its instance's (*ret_owned NULL), or for
 * a VM not created the one Create would build (*ret_owned, for the caller
 * to free), after Create's checks.
 */
int vm_devicetree(const struct vm *vm, const void **ret, size_t *ret_size, void **ret_owned,
		  sd_bus_error *error);
