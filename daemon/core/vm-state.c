/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM state machine's tables (DESIGN §6.4): the states, which state may
 * follow which, which request each state accepts. Every state change goes
 * through vm_set_state(), which checks the table and signals it.
 */
#include <stdlib.h>
#include <string.h>

#include "gunyah/dbus-names.h"
#include "manager.h"
#include "util/log.h"
#include "util/string-table.h"
#include "vm-console.h"
#include "vm-internal.h"

#define BIT(s) (1u << (s))

static const char *const vm_state_table[_VM_STATE_MAX] = {
	[VM_STATE_DEFINED] = "defined",
	[VM_STATE_CREATED] = "created",
	[VM_STATE_STARTING] = "starting",
	[VM_STATE_RUNNING] = "running",
	[VM_STATE_STOPPING] = "stopping",
	[VM_STATE_EXITED] = "exited",
	[VM_STATE_CRASHED] = "crashed",
	[VM_STATE_FAILED] = "failed",
};

/* Allowed targets of each state. */
static const uint32_t vm_next[_VM_STATE_MAX] = {
	[VM_STATE_DEFINED] = BIT(VM_STATE_CREATED),
	[VM_STATE_CREATED] = BIT(VM_STATE_STARTING) | BIT(VM_STATE_DEFINED),
	[VM_STATE_STARTING] = BIT(VM_STATE_RUNNING) | BIT(VM_STATE_FAILED),
	[VM_STATE_RUNNING] = BIT(VM_STATE_STOPPING) | BIT(VM_STATE_EXITED) |
			     BIT(VM_STATE_CRASHED) | BIT(VM_STATE_DEFINED),
	[VM_STATE_STOPPING] = BIT(VM_STATE_EXITED) | BIT(VM_STATE_CRASHED) |
			      BIT(VM_STATE_DEFINED) | BIT(VM_STATE_RUNNING),
	[VM_STATE_EXITED] = BIT(VM_STATE_STARTING) | BIT(VM_STATE_DEFINED) |
			    BIT(VM_STATE_FAILED),
	[VM_STATE_CRASHED] = BIT(VM_STATE_STARTING) | BIT(VM_STATE_DEFINED) |
			     BIT(VM_STATE_FAILED),
	[VM_STATE_FAILED] = BIT(VM_STATE_STARTING) | BIT(VM_STATE_DEFINED),
};

/* States in which each request is accepted. */
static const uint32_t vm_request_states[_VM_REQUEST_MAX] = {
	[VM_REQUEST_CREATE] = BIT(VM_STATE_DEFINED),
	[VM_REQUEST_START] = BIT(VM_STATE_DEFINED) | BIT(VM_STATE_CREATED) |
			     BIT(VM_STATE_EXITED) | BIT(VM_STATE_CRASHED) | BIT(VM_STATE_FAILED),
	[VM_REQUEST_STOP] = BIT(VM_STATE_RUNNING) | BIT(VM_STATE_STOPPING),
	[VM_REQUEST_DESTROY] = BIT(VM_STATE_CREATED) | BIT(VM_STATE_RUNNING) |
			       BIT(VM_STATE_STOPPING) | BIT(VM_STATE_EXITED) |
			       BIT(VM_STATE_CRASHED) | BIT(VM_STATE_FAILED),
};

static const char *const vm_request_table[_VM_REQUEST_MAX] = {
	[VM_REQUEST_CREATE] = "create",
	[VM_REQUEST_START] = "start",
	[VM_REQUEST_STOP] = "stop",
	[VM_REQUEST_DESTROY] = "destroy",
};

static const char *const vm_op_table[_VM_OP_MAX] = {
	[VM_OP_NONE] = "idle",
	[VM_OP_CREATE] = "creating",
	[VM_OP_RECREATE] = "recreating",
	[VM_OP_START] = "starting",
	[VM_OP_STOP] = "stopping",
	[VM_OP_RELEASE] = "destroying",
};

DEFINE_STRING_TABLE(vm_state, enum vm_state, vm_state_table)
DEFINE_STRING_TABLE_TO_STRING(vm_request, enum vm_request, vm_request_table)
DEFINE_STRING_TABLE_TO_STRING(vm_op, enum vm_op, vm_op_table)

bool vm_state_transition_allowed(enum vm_state from, enum vm_state to)
{
	if (from < 0 || from >= _VM_STATE_MAX || to < 0 || to >= _VM_STATE_MAX)
		return false;
	return vm_next[from] & BIT(to);
}

bool vm_request_allowed(enum vm_request req, enum vm_state state)
{
	if (req < 0 || req >= _VM_REQUEST_MAX || state < 0 || state >= _VM_STATE_MAX)
		return false;
	return vm_request_states[req] & BIT(state);
}

int vm_check_request(const struct vm *vm, enum vm_request req, sd_bus_error *error)
{
	if (!vm_request_allowed(req, vm->state))
		return sd_bus_error_setf(error, GH_ERROR_INVALID_STATE, "VM '%s' is %s, cannot %s",
					 vm->name, vm_state_to_string(vm->state),
					 vm_request_to_string(req));
	if (vm->op != VM_OP_NONE)
		return sd_bus_error_setf(error, GH_ERROR_INVALID_STATE,
					 "VM '%s' is %s and busy %s, cannot %s", vm->name,
					 vm_state_to_string(vm->state), vm_op_to_string(vm->op),
					 vm_request_to_string(req));
	return 0;
}

void vm_set_state(struct vm *vm, enum vm_state state, const char *reason)
{
	bool failure = state == VM_STATE_CRASHED || state == VM_STATE_FAILED;
	/* What the guest said last goes with the report of its crash. */
	_cleanup_free_ char *last = failure ? vm_console_last_lines(vm) : NULL;
	char *copy;

	if (!vm_state_transition_allowed(vm->state, state)) {
		/* A bug, not a user error: say so loudly, but keep the daemon up. */
		log_error("VM '%s': illegal transition %s -> %s", vm->name,
			  vm_state_to_string(vm->state), vm_state_to_string(state));
	}
	copy = strdup(reason ? reason : "");
	if (copy) {
		free(vm->state_reason);
		vm->state_reason = copy;
	}
	log_msg(failure ? LOG_WARNING : LOG_INFO, "VM '%s': %s -> %s%s%s%s%s%s", vm->name,
		vm_state_to_string(vm->state), vm_state_to_string(state),
		*vm->state_reason ? ", " : "", vm->state_reason,
		last ? "; last console output: \"" : "", last ?: "", last ? "\"" : "");
	vm->state = state;
	manager_vm_state_changed(vm->manager, vm);
}

void vm_set_reason(struct vm *vm, const char *reason)
{
	char *copy = strdup(reason);

	if (!copy)
		return;
	free(vm->state_reason);
	vm->state_reason = copy;
	log_info("VM '%s': %s, %s", vm->name, vm_state_to_string(vm->state), reason);
	manager_vm_state_changed(vm->manager, vm);
}
