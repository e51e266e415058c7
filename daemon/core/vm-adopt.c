/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMs outliving gunyahd (vm-store.h): what a state file keeps of a VM, a
 * VM taken over from the previous gunyahd, and one left running for the
 * next.
 */
#include <event2/event.h>

#include "hyp.h"
#include "manager.h"
#include "util/log.h"
#include "util/string-util.h"
#include "vm-internal.h"

void vm_save(const struct vm *vm, struct vm_saved *ret)
{
	*ret = (struct vm_saved) {
		.state = vm->state,
		.reason = vm->state_reason,
		.exit_type = vm->exit_type,
		.exit_code = vm->exit_code,
		.restart_count = vm->restart_count,
		.created_usec = vm->created_usec,
		.started_usec = vm->started_usec,
		.burst_start_usec = vm->burst_start_usec,
		.burst_count = vm->burst_count,
		.stop_requested = vm->stop_requested,
		.restart_pending = vm->restart_timer && evtimer_pending(vm->restart_timer, NULL),
		.console_fd = -EBADF,
	};
}

static void vm_restore(struct vm *vm, const struct vm_saved *s)
{
	vm->state = s->state;
	(void) free_and_strdup(&vm->state_reason, s->reason);
	vm->exit_type = s->exit_type;
	vm->exit_code = s->exit_code;
	vm->restart_count = s->restart_count;
	vm->created_usec = s->created_usec;
	vm->started_usec = s->started_usec;
	vm->burst_start_usec = s->burst_start_usec;
	vm->burst_count = s->burst_count;
	vm->stop_requested = s->stop_requested;
}

/* What happened while gunyahd was away, from the backend's status. */
static void vm_adopt_status(struct vm *vm, const struct vm_saved *s)
{
	struct gh_vm_status status;
	bool was_running = s->state == VM_STATE_STARTING || s->state == VM_STATE_RUNNING ||
			   s->state == VM_STATE_STOPPING;
	int r;

	r = vm_read_exit(vm, &status);
	if (r < 0)
		status = (struct gh_vm_status) { .vmid = vm->inst.vmid };
	if (was_running && r > 0) {
		log_notice("VM '%s': exited while gunyahd was away", vm->name);
		vm->state = VM_STATE_RUNNING;
		vm_on_exit(vm, &status);
		return;
	}
	if (s->state == VM_STATE_STARTING)
		/* GH_VM_START was cut short with the old gunyahd: the RM says how far it got. */
		vm->state = status.rm_status == GH_RM_VM_STATUS_RUNNING ? VM_STATE_RUNNING
									 : VM_STATE_CREATED;
	if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STOPPING) {
		r = vm_watch_status(vm);
		if (r < 0)
			log_errno(LOG_WARNING, r, "VM '%s': cannot watch its status, exits will go "
				  "unnoticed: %m", vm->name);
	}
	/* The old timeout's remainder is unknown: a whole one again. */
	if (vm->state == VM_STATE_STOPPING && vm->stop_timer == NULL &&
	    vm_arm_stop_timer(vm, vm->inst.def->stop_timeout_usec) < 0)
		log_warning("VM '%s': cannot arm the stop timeout", vm->name);
	manager_vm_state_changed(vm->manager, vm);
	if (s->restart_pending && vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_STOPPING)
		vm_restart_now(vm);
}

int vm_adopt(struct vm *vm, struct vm_instance *inst, const struct vm_saved *s)
{
	/* Its console keeps reading where the last gunyahd stopped. */
	vm->adopted_console_fd = s->console_fd;
	vm_attach(vm, inst);
	vm_restore(vm, s);
	log_info("VM '%s': adopted (VMID %#x), %s%s%s", vm->name, vm->inst.vmid,
		 vm_state_to_string(vm->state), *vm->state_reason ? ", " : "", vm->state_reason);
	vm_adopt_status(vm, s);
	return 0;
}

void vm_handover(struct vm *vm)
{
	if (!vm->inst.stored)
		return;
	log_info("VM '%s': left running for the next gunyahd", vm->name);
	vm->inst.stored = false;
	vm_teardown(vm);
}
