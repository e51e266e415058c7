/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A running VM's exit: the backend's status watch, the exit classified
 * (exited or crashed, and why, from the RM's exit type and the guest's
 * code), and the restart policy with its back-off and burst limit.
 */
#include <event2/event.h>

#include "exit-type.h"
#include "hyp.h"
#include "manager.h"
#include "util/log.h"
#include "util/time-util.h"
#include "vm-internal.h"

static const char *vm_exit_reason(enum vmdef_exit_type t, uint32_t exit_code,
				  enum vm_state *ret_state, bool *ret_reboot)
{
	const struct exit_type_info *info = exit_type_info(t);

	*ret_reboot = info && info->class == EXIT_CLASS_REBOOT;
	*ret_state = info && info->class != EXIT_CLASS_CRASH ? VM_STATE_EXITED : VM_STATE_CRASHED;
	if (!info)
		return "unknown-exit";
	/* An exit code is the guest's own verdict on a plain exit. */
	if (info->error_reason && exit_code != 0) {
		*ret_state = VM_STATE_CRASHED;
		return info->error_reason;
	}
	return info->reason;
}

static void vm_on_restart_timer(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	vm_restart_now(userdata);
}

/*
 * The restart policy after an exit, a crash or a failed start: restart
 * after a back-off that doubles with every restart of the current burst,
 * and give up (failed, restart-limit) past `burst` restarts in `interval`.
 */
void vm_apply_restart_policy(struct vm *vm)
{
	const struct vmdef *def = vm->inst.def ? vm->inst.def : vm->def;
	struct manager *m = vm->manager;
	uint64_t now = now_usec(CLOCK_MONOTONIC), delay;
	struct timeval tv;
	bool wanted;

	switch (def->restart.policy) {
	case VMDEF_RESTART_ALWAYS:
		wanted = !vm->stop_requested;
		break;
	case VMDEF_RESTART_ON_FAILURE:
		wanted = vm->state == VM_STATE_CRASHED || vm->state == VM_STATE_FAILED;
		break;
	case VMDEF_RESTART_NO:
	case _VMDEF_RESTART_MAX:
	case _VMDEF_RESTART_INVALID:
	default:
		wanted = false;
		break;
	}
	if (!wanted || m->shutting_down)
		return;

	if (vm->burst_count == 0 || now - vm->burst_start_usec > def->restart.interval_usec) {
		vm->burst_start_usec = now;
		vm->burst_count = 0;
	}
	if (vm->burst_count >= def->restart.burst) {
		log_error("VM '%s': %u restarts within %.0f s, giving up", vm->name,
			  vm->burst_count, sec_from_usec(def->restart.interval_usec));
		if (vm->state == VM_STATE_FAILED)
			vm_set_reason(vm, "restart-limit");
		else
			vm_set_state(vm, VM_STATE_FAILED, "restart-limit");
		return;
	}
	delay = m->config.restart.backoff_usec;
	for (unsigned i = 0; i < vm->burst_count && delay < m->config.restart.backoff_max_usec; i++)
		delay *= 2;
	if (delay > m->config.restart.backoff_max_usec)
		delay = m->config.restart.backoff_max_usec;
	vm->burst_count++;

	if (!vm->restart_timer) {
		vm->restart_timer = evtimer_new(m->base, vm_on_restart_timer, vm);
		if (!vm->restart_timer) {
			log_error("VM '%s': cannot arm the restart timer", vm->name);
			return;
		}
	}
	tv = timeval_from_usec(delay);
	log_notice("VM '%s': restarting in %.1f s (policy %s, restart %u of %u)", vm->name,
		   sec_from_usec(delay), vmdef_restart_to_string(def->restart.policy),
		   vm->burst_count, def->restart.burst);
	if (evtimer_add(vm->restart_timer, &tv) < 0)
		log_error("VM '%s': cannot arm the restart timer", vm->name);
}

void vm_on_exit(struct vm *vm, const struct gh_vm_status *status)
{
	enum vmdef_exit_type type = exit_type_from_rm(status->exit_type);
	uint32_t word = 0;
	enum vm_state state;
	const char *reason;
	bool reboot;

	for (unsigned i = 0; i < 4 && i < status->exit_reason_size; i++)
		word |= (uint32_t) status->exit_reason[i] << (8 * i);
	vm->exit_type = type;
	vm->exit_code = word >> 16;	/* exit flags | exit code << 16 */
	reason = vm_exit_reason(type, vm->exit_code, &state, &reboot);
	vm_events_free(vm);
	vm_set_state(vm, state, reason);
	if (reboot)
		/* The guest asked for it: not a failure, so not in the burst. */
		vm_restart_now(vm);
	else
		vm_apply_restart_policy(vm);
}

int vm_read_exit(struct vm *vm, struct gh_vm_status *status)
{
	int r;

	r = hyp_vm_get_status(vm->inst.hvm, status);
	if (r < 0) {
		log_errno(LOG_WARNING, r, "VM '%s': cannot read status, ignoring: %m", vm->name);
		return r;
	}
	vm->inst.vmid = status->vmid;
	return status->exit_status == GH_VM_EXIT_STATUS_EXITED ||
	       status->exit_status == GH_VM_EXIT_STATUS_CRASHED;
}

static void vm_on_status(evutil_socket_t fd, short what, void *userdata)
{
	struct vm *vm = userdata;
	struct gh_vm_status status;

	(void) fd;
	(void) what;
	if (vm_read_exit(vm, &status) > 0)
		vm_on_exit(vm, &status);
}

int vm_watch_status(struct vm *vm)
{
	int fd = hyp_vm_get_fd(vm->inst.hvm);

	if (fd < 0)
		return 0;	/* no extension: exits are not observed */
	vm->status_event = event_new(vm->manager->base, fd, EV_READ | EV_PERSIST, vm_on_status, vm);
	if (!vm->status_event)
		return -ENOMEM;
	if (event_add(vm->status_event, NULL) < 0)
		return -EIO;
	return 0;
}
