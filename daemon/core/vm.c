/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One VM's requests (DESIGN §6.4): create, start, stop and destroy, each
 * checked against the state tables (vm-state.c) and run as a job on a
 * worker thread; abandoned starts; the stop timeout. What an exit does is
 * vm-exit.c's, surviving gunyahd vm-adopt.c's.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gunyah/dbus-names.h"
#include "guest.h"
#include "hyp.h"
#include "manager.h"
#include "util/log.h"
#include "util/string-util.h"
#include "util/time-util.h"
#include "vm-console.h"
#include "vm-instance.h"
#include "vm-internal.h"
#include "vm-store.h"
#include "worker.h"

bool vm_is_live(const struct vm *vm)
{
	return vm->inst.hvm != NULL;
}

/*
 * The rules an instance of vm is checked against: the configured ones, but
 * the memory limit is manager_check_limits()'s, next to every other VM.
 */
static struct definition_rules vm_instance_rules(const struct vm *vm)
{
	struct definition_rules rules = manager_definition_rules(vm->manager);

	rules.max_guest_memory = 0;
	return rules;
}

int vm_devicetree(const struct vm *vm, const void **ret, size_t *ret_size, void **ret_owned,
		  sd_bus_error *error)
{
	struct definition_rules rules;
	int r;

	*ret_owned = NULL;
	if (vm->inst.guest) {
		*ret = vm->inst.guest->dtb_blob;
		*ret_size = vm->inst.guest->dtb_blob_size;
		return 0;
	}
	rules = vm_instance_rules(vm);
	r = vm_instance_plan_dtb(&rules, vm->name, vm->def, &vm->files, ret_owned, ret_size,
				 error);
	*ret = *ret_owned;
	return r;
}

const struct vmdef *vm_resource_def(const struct vm *vm)
{
	if (vm->op == VM_OP_CREATE || vm->op == VM_OP_RECREATE)
		return vm->op_def;
	return vm->inst.def;
}

int vm_new(struct manager *m, struct vmdef *def, bool transient, struct vm **ret)
{
	_cleanup_(vm_freep) struct vm *vm = NULL;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->manager = m;
	vm->exit_type = -1;
	vm->adopted_console_fd = -EBADF;
	vm->files = LOADER_FILES_NONE;
	vm->transient = transient;
	vm->name = strdup(def->name);
	vm->state_reason = strdup("");
	if (!vm->name || !vm->state_reason)
		return -ENOMEM;
	vm->def = def;
	*ret = steal_ptr(vm);
	return 0;
}

struct vm *vm_free(struct vm *vm)
{
	if (!vm)
		return NULL;
	vm_teardown(vm);
	if (vm->restart_timer)
		event_free(vm->restart_timer);
	safe_close(vm->files.kernel_fd);
	safe_close(vm->files.ramdisk_fd);
	safe_close(vm->files.overlay_fd);
	vmdef_free(vm->def);
	free(vm->state_reason);
	free(vm->last_error);
	free(vm->name);
	free(vm);
	return NULL;
}

void vm_set_def(struct vm *vm, struct vmdef *def)
{
	vmdef_free(vm->def);
	vm->def = def;
}

bool vm_definition_pending(const struct vm *vm)
{
	return vm->inst.def && vm->inst.def->digest != vm->def->digest;
}

void vm_note_error(struct vm *vm, int r, const sd_bus_error *error)
{
	char *copy = strdup(error && error->message ? error->message : strerror(-r));

	if (!copy)
		return;
	free(vm->last_error);
	vm->last_error = copy;
	vm->last_error_usec = now_usec(CLOCK_REALTIME);
	manager_vm_error_changed(vm->manager, vm);
}

void vm_log_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata)
{
	const char *what = userdata;

	if (r >= 0)
		log_info("VM '%s': %s done", vm->name, what);
	else
		log_error("VM '%s': %s failed: %s", vm->name, what,
			  error && error->message ? error->message : strerror(-r));
}

void vm_events_free(struct vm *vm)
{
	if (vm->status_event) {
		event_free(vm->status_event);
		vm->status_event = NULL;
	}
	if (vm->stop_timer) {
		event_free(vm->stop_timer);
		vm->stop_timer = NULL;
	}
}

static void vm_cancel_restart(struct vm *vm)
{
	if (vm->restart_timer)
		evtimer_del(vm->restart_timer);
}

/* Hands the live instance over (to a job that releases it); the VM keeps none. */
static void vm_detach(struct vm *vm, struct vm_instance *ret)
{
	vm_console_close(vm);
	vm_events_free(vm);
	*ret = vm->inst;
	vm->inst = (struct vm_instance) {};
}

void vm_attach(struct vm *vm, struct vm_instance *inst)
{
	vm->inst = *inst;
	*inst = (struct vm_instance) {};
	vm->created_usec = now_usec(CLOCK_REALTIME);
	vm->started_usec = 0;
	vm_console_open(vm);
	vm_store_attach(vm);
}

void vm_teardown(struct vm *vm)
{
	struct vm_instance inst;

	vm_cancel_restart(vm);
	vm_detach(vm, &inst);
	vm_instance_release(&inst);
}

void vm_shutdown(struct vm *vm)
{
	vm_teardown(vm);
	vm_set_state(vm, VM_STATE_DEFINED, "shutdown");
}

/*
 * One piece of backend work for a VM. The job owns what it works on: the
 * old instance it releases, the definition it builds from, the new
 * instance; START and STOP borrow the VM's backend handle, which nothing
 * else touches while the op is in flight.
 */
struct vm_job {
	struct vm *vm;
	enum vm_op op;
	struct hyp *hyp;
	struct definition_rules rules;	/* the limit is manager_check_limits()'s */
	struct vm_instance old;
	struct vmdef *def;
	struct loader_files files;	/* borrowed from the VM, which outlives the job */
	struct vm_instance built;
	struct hyp_vm *hvm;		/* START, STOP */
	struct gh_vm_stop stop;
	sd_bus_error error;
};

static int vm_job_work(void *userdata)
{
	struct vm_job *j = userdata;

	vm_instance_release(&j->old);
	switch (j->op) {
	case VM_OP_CREATE:
	case VM_OP_RECREATE:
		return vm_instance_build(j->hyp, &j->rules, j->vm->name, j->def, &j->files,
					 &j->built, &j->error);
	case VM_OP_START:
		return hyp_vm_start(j->hvm);
	case VM_OP_STOP:
		return hyp_vm_stop(j->hvm, &j->stop);
	case VM_OP_RELEASE:
		return 0;
	case VM_OP_NONE:
	case _VM_OP_MAX:
	case _VM_OP_INVALID:
		break;
	}
	return -EINVAL;
}

static void vm_job_done(void *userdata, int r);

static struct vm_job *vm_job_new(struct vm *vm, enum vm_op op)
{
	struct vm_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->vm = vm;
	j->op = op;
	j->hyp = vm->manager->hyp;
	j->rules = vm_instance_rules(vm);
	j->files = vm->files;
	j->hvm = vm->inst.hvm;
	j->error = SD_BUS_ERROR_NULL;
	return j;
}

static void vm_job_free(struct vm_job *j)
{
	vm_instance_release(&j->old);
	vm_instance_release(&j->built);
	vmdef_free(j->def);
	sd_bus_error_free(&j->error);
	free(j);
}

/* Queues j; the VM is busy with j->op until vm_job_done(). Frees j on failure. */
static int vm_job_submit(struct vm_job *j, sd_bus_error *error)
{
	struct vm *vm = j->vm;
	int r;

	r = worker_submit(vm->manager->worker, vm_job_work, vm_job_done, j);
	if (r < 0) {
		vm_job_free(j);
		return sd_bus_error_set_errnof(error, -r, "VM '%s': cannot start a worker: %s",
					       vm->name, strerror(-r));
	}
	vm->op = j->op;
	vm->op_def = j->def;
	return 0;
}

/* Runs the waiting caller's callback, once. */
static void vm_complete(struct vm *vm, int r, const sd_bus_error *error)
{
	vm_done_fn done = vm->op_done;
	void *userdata = vm->op_userdata;

	vm->op_done = NULL;
	vm->op_userdata = NULL;
	vm->op_then_start = false;
	if (r < 0)
		vm_note_error(vm, r, error);
	if (done)
		done(vm, r, error, userdata);
}

static int vm_submit_build(struct vm *vm, enum vm_op op, sd_bus_error *error)
{
	struct vm_job *j;
	int r;

	r = manager_check_limits(vm->manager, vm, vm->def, error);
	if (r < 0)
		return r;
	j = vm_job_new(vm, op);
	if (!j)
		return sd_bus_error_set_errno(error, -ENOMEM);
	r = vmdef_dup(vm->def, &j->def);
	if (r < 0) {
		vm_job_free(j);
		return sd_bus_error_set_errno(error, r);
	}
	if (op == VM_OP_RECREATE) {
		vm_cancel_restart(vm);
		vm_detach(vm, &j->old);
	}
	r = vm_job_submit(j, error);
	if (r < 0 && op == VM_OP_RECREATE)
		/* The old instance went with the job: nothing is live any more. */
		vm_set_state(vm, VM_STATE_DEFINED, "create-failed");
	return r;
}

static int vm_submit_start(struct vm *vm, sd_bus_error *error)
{
	struct vm_job *j = vm_job_new(vm, VM_OP_START);
	int r;

	if (!j)
		return sd_bus_error_set_errno(error, -ENOMEM);
	r = vm_job_submit(j, error);
	if (r < 0)
		return r;
	vm_set_state(vm, VM_STATE_STARTING, NULL);
	return 0;
}

/* A start is in flight: building to start, or GH_VM_START itself. */
static bool vm_starting(const struct vm *vm)
{
	return vm->op == VM_OP_START ||
	       ((vm->op == VM_OP_CREATE || vm->op == VM_OP_RECREATE) && vm->op_then_start);
}

static int vm_submit_release(struct vm *vm, vm_done_fn done, void *userdata,
			     sd_bus_error *error);
static int vm_submit_stop(struct vm *vm, uint32_t flags, sd_bus_error *error);

/* Takes the abandoned start's follow-up out of the VM and runs it. */
static void vm_finish_abandon(struct vm *vm)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	vm_done_fn done = vm->abandon_done;
	void *userdata = vm->abandon_userdata;
	bool destroy = vm->abandon_destroy;
	int r = 0;

	vm->abandon = false;
	vm->abandon_done = NULL;
	vm->abandon_userdata = NULL;
	if (!vm_is_live(vm) || vm->manager->shutting_down) {
		/* Nothing left to stop or destroy (or the shutdown does it). */
	} else if (destroy) {
		r = vm_submit_release(vm, done, userdata, &error);
		if (r >= 0)
			return;
	} else if (vm->state == VM_STATE_RUNNING) {
		r = vm_submit_stop(vm, GH_VM_STOP_FORCE, &error);
		if (r >= 0) {
			vm->op_done = done;
			vm->op_userdata = userdata;
			vm_set_state(vm, VM_STATE_STOPPING, "forced");
			return;
		}
	}
	if (r < 0)
		vm_note_error(vm, r, &error);
	if (done)
		done(vm, r, r < 0 ? &error : NULL, userdata);
}

/* The start's caller learns it was abandoned; r < 0 replaces that when the start failed. */
static void vm_complete_abandoned(struct vm *vm, int r, sd_bus_error *error)
{
	if (r >= 0) {
		sd_bus_error_free(error);
		sd_bus_error_setf(error, GH_ERROR_INVALID_STATE, "VM '%s': start abandoned: %s",
				  vm->name, vm->abandon_destroy ? "destroyed" : "stopped by force");
		r = -ECANCELED;
	}
	vm_complete(vm, r, error);
	vm_finish_abandon(vm);
}

static void vm_build_done(struct vm *vm, struct vm_job *j, int r)
{
	enum vm_state before = vm->state;

	if (r < 0) {
		/* A recreate released the old instance: nothing is live any more. */
		if (j->op == VM_OP_RECREATE)
			vm_set_state(vm, VM_STATE_DEFINED, "create-failed");
		if (vm->abandon)
			vm_complete_abandoned(vm, r, &j->error);
		else
			vm_complete(vm, r, &j->error);
		return;
	}
	vm_attach(vm, &j->built);
	if (before == VM_STATE_DEFINED)
		vm_set_state(vm, VM_STATE_CREATED, NULL);
	if (!vm->op_then_start) {
		vm_complete(vm, 0, NULL);
		return;
	}
	if (vm->abandon) {
		vm_complete_abandoned(vm, 0, &j->error);
		return;
	}
	if (vm->manager->shutting_down) {
		sd_bus_error_setf(&j->error, GH_ERROR_INVALID_STATE,
				  "VM '%s': gunyahd is shutting down", vm->name);
		vm_complete(vm, -ESHUTDOWN, &j->error);
		return;
	}
	r = vm_submit_start(vm, &j->error);
	if (r < 0)
		vm_complete(vm, r, &j->error);
}

static void vm_start_done(struct vm *vm, struct vm_job *j, int r)
{
	char reason[128];

	if (r < 0) {
		vm_hyp_error(vm->name, "GH_VM_START", r, &j->error);
		snprintf(reason, sizeof(reason), "start-failed: %s", strerror(-r));
		vm_set_state(vm, VM_STATE_FAILED, reason);
		if (vm->abandon) {
			vm_complete_abandoned(vm, r, &j->error);
			return;
		}
		vm_complete(vm, r, &j->error);
		vm_apply_restart_policy(vm);
		return;
	}
	vm->started_usec = now_usec(CLOCK_REALTIME);
	r = vm_watch_status(vm);
	if (r < 0)
		log_errno(LOG_WARNING, r, "VM '%s': cannot watch its status, exits will go unnoticed: %m",
			  vm->name);
	vm_set_state(vm, VM_STATE_RUNNING, NULL);
	if (vm->abandon)
		vm_complete_abandoned(vm, 0, &j->error);
	else
		vm_complete(vm, 0, NULL);
}

static void vm_stop_done(struct vm *vm, struct vm_job *j, int r)
{
	bool force = j->stop.flags & GH_VM_STOP_FORCE;
	struct gh_vm_status status;

	/* The VM may have exited meanwhile: then there is nothing left to stop. */
	if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_STOPPING) {
		vm_complete(vm, 0, NULL);
		return;
	}
	if (r == -EINVAL && vm_read_exit(vm, &status) > 0) {
		/*
		 * The guest exited by itself before the stop reached the hypervisor,
		 * and its notification is still on the way: the stop is done.
		 * Answer first: the exit may start the VM again (a reboot).
		 */
		vm_complete(vm, 0, NULL);
		vm_on_exit(vm, &status);
		return;
	}
	if (r < 0) {
		char reason[128];

		/* The hypervisor refused: the VM runs on. */
		vm_hyp_error(vm->name, "GH_VM_STOP", r, &j->error);
		snprintf(reason, sizeof(reason), "stop-failed: %s", strerror(-r));
		if (vm->state == VM_STATE_STOPPING && !vm->stop_timer)
			vm_set_state(vm, VM_STATE_RUNNING, reason);
		vm_complete(vm, r, &j->error);
		return;
	}
	if (!force) {
		r = vm_arm_stop_timer(vm, vm->inst.def->stop_timeout_usec);
		if (r < 0)
			log_errno(LOG_WARNING, r, "VM '%s': cannot arm the stop timeout: %m", vm->name);
	}
	vm_complete(vm, 0, NULL);
}

static void vm_release_done(struct vm *vm)
{
	vm->exit_type = -1;
	vm->exit_code = 0;
	vm->burst_count = 0;
	vm_set_state(vm, VM_STATE_DEFINED, "destroyed");
	vm_complete(vm, 0, NULL);
	if (vm->transient || vm->removed) {
		/* Nothing keeps it: a transient VM, or its file is gone. */
		vm_store_forget_files(vm);
		manager_remove_vm(vm->manager, vm);
	}
}

static void vm_job_done(void *userdata, int r)
{
	struct vm_job *j = userdata;
	struct vm *vm = j->vm;
	enum vm_op op = j->op;

	vm->op = VM_OP_NONE;
	vm->op_def = NULL;
	manager_backend_work_done(vm->manager);
	switch (op) {
	case VM_OP_CREATE:
	case VM_OP_RECREATE:
		vm_build_done(vm, j, r);
		break;
	case VM_OP_START:
		vm_start_done(vm, j, r);
		break;
	case VM_OP_STOP:
		vm_stop_done(vm, j, r);
		break;
	case VM_OP_RELEASE:
		vm_job_free(j);
		vm_release_done(vm);	/* may free the VM */
		return;
	case VM_OP_NONE:
	case _VM_OP_MAX:
	case _VM_OP_INVALID:
		break;
	}
	vm_job_free(j);
}

int vm_create(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error)
{
	int r;

	r = vm_check_request(vm, VM_REQUEST_CREATE, error);
	if (r < 0)
		return r;
	r = vm_submit_build(vm, VM_OP_CREATE, error);
	if (r < 0)
		return r;
	vm->op_done = done;
	vm->op_userdata = userdata;
	return 0;
}

static int vm_start_common(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error)
{
	int r;

	r = vm_check_request(vm, VM_REQUEST_START, error);
	if (r < 0)
		return r;
	vm_cancel_restart(vm);
	vm->stop_requested = false;
	switch (vm->state) {
	case VM_STATE_CREATED:
		r = vm_submit_start(vm, error);
		break;
	case VM_STATE_DEFINED:
		r = vm_submit_build(vm, VM_OP_CREATE, error);
		break;
	default:
		/* exited, crashed, failed: a new instance replaces the old one. */
		r = vm_submit_build(vm, VM_OP_RECREATE, error);
		break;
	}
	if (r < 0)
		return r;
	vm->op_then_start = vm->op != VM_OP_START;
	vm->op_done = done;
	vm->op_userdata = userdata;
	return 0;
}

int vm_start(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error)
{
	int r = vm_start_common(vm, done, userdata, error);

	/* Someone asked for this start: the restart policy gets a fresh burst. */
	if (r >= 0)
		vm->burst_count = 0;
	return r;
}

void vm_restart_now(struct vm *vm)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	vm->restart_count++;
	r = vm_start_common(vm, vm_log_done, (void *) "restart", &error);
	if (r < 0) {
		vm_note_error(vm, r, &error);
		vm_log_done(vm, r, &error, (void *) "restart");
	}
}

static int vm_submit_stop(struct vm *vm, uint32_t flags, sd_bus_error *error)
{
	struct vm_job *j = vm_job_new(vm, VM_OP_STOP);

	if (!j)
		return sd_bus_error_set_errno(error, -ENOMEM);
	j->stop.flags = flags;
	return vm_job_submit(j, error);
}

static void vm_on_stop_timeout(evutil_socket_t fd, short what, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct vm *vm = userdata;
	int r;

	(void) fd;
	(void) what;
	if (vm->op != VM_OP_NONE) {
		/* Busy for a moment (a stop request in flight): look again soon. */
		(void) vm_arm_stop_timer(vm, 100000);
		return;
	}
	log_warning("VM '%s': no exit %.1f s after the stop request, forcing", vm->name,
		    sec_from_usec(vm->inst.def->stop_timeout_usec));
	r = vm_submit_stop(vm, GH_VM_STOP_FORCE, &error);
	if (r < 0) {
		vm_note_error(vm, r, &error);
		log_errno(LOG_ERR, r, "VM '%s': forced stop failed: %s", vm->name,
			  error.message ? error.message : strerror(-r));
	}
}

int vm_arm_stop_timer(struct vm *vm, uint64_t usec)
{
	struct timeval tv = timeval_from_usec(usec);

	if (!vm->stop_timer) {
		vm->stop_timer = evtimer_new(vm->manager->base, vm_on_stop_timeout, vm);
		if (!vm->stop_timer)
			return -ENOMEM;
	}
	return evtimer_add(vm->stop_timer, &tv) < 0 ? -EIO : 0;
}

/* A forced stop or destroy during a start: accepted, run when the start returns. */
static int vm_abandon_start(struct vm *vm, bool destroy, vm_done_fn done, void *userdata,
			    sd_bus_error *error)
{
	if (vm->abandon)
		return sd_bus_error_setf(error, GH_ERROR_INVALID_STATE,
					 "VM '%s' is starting and already being %s", vm->name,
					 vm->abandon_destroy ? "destroyed" : "stopped by force");
	vm->abandon = true;
	vm->abandon_destroy = destroy;
	vm->abandon_done = done;
	vm->abandon_userdata = userdata;
	vm->stop_requested = true;
	log_notice("VM '%s': start abandoned for a %s, once the hypervisor answers", vm->name,
		   destroy ? "destroy" : "forced stop");
	return 0;
}

int vm_stop(struct vm *vm, bool force, vm_done_fn done, void *userdata, sd_bus_error *error)
{
	int r;

	if (force && vm_starting(vm))
		return vm_abandon_start(vm, false, done, userdata, error);
	r = vm_check_request(vm, VM_REQUEST_STOP, error);
	if (r < 0)
		return r;
	vm->stop_requested = true;

	if (!(hyp_features(vm->manager->hyp) & HYP_FEATURE_VM_STOP))
		/* Without GH_VM_STOP the only way to stop a VM is to close it. */
		return vm_destroy(vm, done, userdata, error);

	if (vm->state == VM_STATE_STOPPING && !force) {
		/* Already asked; the stop timer is running. */
		if (done)
			done(vm, 0, NULL, userdata);
		return 0;
	}
	r = vm_submit_stop(vm, force ? GH_VM_STOP_FORCE : 0, error);
	if (r < 0)
		return r;
	vm->op_done = done;
	vm->op_userdata = userdata;
	/* Stopping from the moment it was asked; back to running if the hypervisor refuses. */
	if (vm->state == VM_STATE_RUNNING)
		vm_set_state(vm, VM_STATE_STOPPING, force ? "forced" : "requested");
	return 0;
}

int vm_destroy(struct vm *vm, vm_done_fn done, void *userdata, sd_bus_error *error)
{
	int r;

	if (vm_starting(vm))
		return vm_abandon_start(vm, true, done, userdata, error);
	r = vm_check_request(vm, VM_REQUEST_DESTROY, error);
	if (r < 0)
		return r;
	return vm_submit_release(vm, done, userdata, error);
}

static int vm_submit_release(struct vm *vm, vm_done_fn done, void *userdata,
			     sd_bus_error *error)
{
	struct vm_job *j;
	int r;

	j = vm_job_new(vm, VM_OP_RELEASE);
	if (!j)
		return sd_bus_error_set_errno(error, -ENOMEM);
	vm_cancel_restart(vm);
	vm_detach(vm, &j->old);
	r = vm_job_submit(j, error);
	if (r < 0)
		return r;
	vm->op_done = done;
	vm->op_userdata = userdata;
	return 0;
}
