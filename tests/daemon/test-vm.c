/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM state machine: the transition and request tables, and real VMs
 * driven through every path on the sim backend (no D-Bus: the manager
 * runs without a bus).
 */
#include <errno.h>
#include <event2/event.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "gunyah/dbus-names.h"
#include "hyp.h"
#include "manager.h"
#include "vm.h"
#include "vmdef.h"
#include "worker.h"
#include "test-fds.h"

/* Expected transitions, written out independently of vm.c's table. */
static const char *const legal_transitions[] = {
	"defined>created",
	"created>starting", "created>defined",
	"starting>running", "starting>failed",
	"running>stopping", "running>exited", "running>crashed", "running>defined",
	"stopping>exited", "stopping>crashed", "stopping>defined", "stopping>running",
	"exited>starting", "exited>defined", "exited>failed",
	"crashed>starting", "crashed>defined", "crashed>failed",
	"failed>starting", "failed>defined",
};

static const char *const legal_requests[] = {
	"create@defined",
	"start@defined", "start@created", "start@exited", "start@crashed", "start@failed",
	"stop@running", "stop@stopping",
	"destroy@created", "destroy@running", "destroy@stopping", "destroy@exited",
	"destroy@crashed", "destroy@failed",
};

static bool listed(const char *const *list, size_t n, const char *item)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], item) == 0)
			return true;
	return false;
}

static void test_transition_table(void)
{
	for (int from = 0; from < _VM_STATE_MAX; from++)
		for (int to = 0; to < _VM_STATE_MAX; to++) {
			g_autofree char *key = g_strdup_printf("%s>%s", vm_state_to_string(from),
							      vm_state_to_string(to));

			g_assert_cmpint(vm_state_transition_allowed(from, to), ==,
					listed(legal_transitions, G_N_ELEMENTS(legal_transitions),
					       key));
		}
	g_assert_false(vm_state_transition_allowed(-1, VM_STATE_DEFINED));
	g_assert_false(vm_state_transition_allowed(VM_STATE_DEFINED, _VM_STATE_MAX));
}

static void test_request_table(void)
{
	for (int req = 0; req < _VM_REQUEST_MAX; req++)
		for (int st = 0; st < _VM_STATE_MAX; st++) {
			g_autofree char *key = g_strdup_printf("%s@%s", vm_request_to_string(req),
							      vm_state_to_string(st));

			g_assert_cmpint(vm_request_allowed(req, st), ==,
					listed(legal_requests, G_N_ELEMENTS(legal_requests), key));
		}
}

static void test_state_strings(void)
{
	for (int s = 0; s < _VM_STATE_MAX; s++)
		g_assert_cmpint(vm_state_from_string(vm_state_to_string(s)), ==, s);
	g_assert_cmpint(vm_state_from_string("paused"), ==, -EINVAL);
	g_assert_null(vm_state_to_string(_VM_STATE_MAX));
	g_assert_cmpstr(vm_state_to_string(VM_STATE_STOPPING), ==, "stopping");
}

struct fixture {
	struct event_base *base;
	struct manager *m;
	char *dir;
	char *kernel;
	GArray *seen;		/* struct seen: every state change, in order */
};

/* A state change as the manager reported it, with what it carried then. */
struct seen {
	const struct vm *vm;
	enum vm_state state;
	unsigned restart_count;
	char reason[32];
	bool consumed;		/* run_until() returned it */
};

static void observe_state(struct manager *m, struct vm *vm, void *userdata)
{
	struct fixture *f = userdata;
	struct seen s = { vm, vm->state, vm->restart_count, "", false };

	(void) m;
	g_strlcpy(s.reason, vm->state_reason ? vm->state_reason : "", sizeof(s.reason));
	g_array_append_val(f->seen, s);
}

/* The tests' observer of the manager: every state change, in order. */
static const struct manager_observer_ops test_observer_ops = {
	.vm_state_changed = observe_state,
};

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	struct hyp *hyp = NULL;

	(void) data;
	f->base = event_base_new();
	g_assert_cmpint(hyp_sim_new(&hyp), ==, 0);
	g_assert_cmpint(manager_new(f->base, hyp, &f->m), ==, 0);
	f->dir = g_dir_make_tmp("test-vm-XXXXXX", NULL);
	f->kernel = g_build_filename(f->dir, "Image", NULL);
	g_assert_true(g_file_set_contents(f->kernel, "\x00\x00\xa0\xe1kernel", 10, NULL));
	f->seen = g_array_new(FALSE, TRUE, sizeof(struct seen));
	g_assert_cmpint(manager_observer_add(f->m, &test_observer_ops, f), >, 0);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void) data;
	manager_free(f->m);
	event_base_free(f->base);
	g_unlink(f->kernel);
	g_rmdir(f->dir);
	g_free(f->kernel);
	g_free(f->dir);
	g_array_free(f->seen, TRUE);
}

static struct vm *add_vm(struct fixture *f, const char *name, const char *extra)
{
	g_autofree char *yaml = g_strdup_printf("version: 1\nname: %s\nmemory:\n  size: 8M\n"
						"kernel: %s\n%s", name, f->kernel,
						extra ? extra : "");
	struct def_diags diags = {};
	struct vmdef *def = NULL;
	struct vm *vm = NULL;

	g_assert_cmpint(vmdef_parse_string("test", yaml, strlen(yaml), NULL, &def, &diags), ==, 0);
	g_assert_cmpint(manager_add_vm(f->m, def, false, &vm), ==, 0);
	return vm;
}

/* The VM's next change to state after the last one run_until() returned, or NULL. */
static struct seen *next_seen(struct fixture *f, const struct vm *vm, enum vm_state state)
{
	guint from = 0;

	for (guint i = f->seen->len; i > 0; i--) {
		struct seen *s = &g_array_index(f->seen, struct seen, i - 1);

		if (s->vm == vm && s->consumed) {
			from = i;
			break;
		}
	}
	for (guint i = from; i < f->seen->len; i++) {
		struct seen *s = &g_array_index(f->seen, struct seen, i);

		if (s->vm == vm && s->state == state)
			return s;
	}
	return NULL;
}

/*
 * Runs the loop until the VM's next change to state (fails after 5 s) and
 * returns that change, with the reason and restart count the VM had then.
 * Changes are recorded as they happen, so none is missed however many a
 * busy machine runs in one go.
 */
static struct seen run_until(struct fixture *f, struct vm *vm, enum vm_state state)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	struct timeval tick = { .tv_usec = 10000 };
	struct seen *s;

	while (!(s = next_seen(f, vm, state))) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		event_base_loopexit(f->base, &tick);
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	s->consumed = true;
	return *s;
}

/* A request's outcome, once its completion ran. */
struct outcome {
	bool done;
	int r;
	sd_bus_error error;
};

static void outcome_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata)
{
	struct outcome *o = userdata;

	(void) vm;
	o->done = true;
	o->r = r;
	if (r < 0)
		sd_bus_error_copy(&o->error, error);
}

/* Runs the loop until the request completed (5 s at most); its result, error in *e. */
static int finish(struct fixture *f, int r, struct outcome *o, sd_bus_error *e)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	if (r < 0)
		return r;
	while (!o->done) {
		struct timeval tick = { .tv_usec = 10000 };

		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		event_base_loopexit(f->base, &tick);
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	if (o->r < 0)
		sd_bus_error_move(e, &o->error);
	return o->r;
}

static int create_sync(struct fixture *f, struct vm *vm, sd_bus_error *e)
{
	struct outcome o = { .error = SD_BUS_ERROR_NULL };

	return finish(f, vm_create(vm, outcome_done, &o, e), &o, e);
}

static int stop_sync(struct fixture *f, struct vm *vm, bool force, sd_bus_error *e)
{
	struct outcome o = { .error = SD_BUS_ERROR_NULL };

	return finish(f, vm_stop(vm, force, outcome_done, &o, e), &o, e);
}

static int destroy_sync(struct fixture *f, struct vm *vm, sd_bus_error *e)
{
	struct outcome o = { .error = SD_BUS_ERROR_NULL };

	return finish(f, vm_destroy(vm, outcome_done, &o, e), &o, e);
}

static void assert_error(sd_bus_error *e, const char *name, const char *fragment)
{
	g_assert_cmpstr(e->name, ==, name);
	g_assert_nonnull(strstr(e->message, fragment));
	sd_bus_error_free(e);
}

static void start_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata)
{
	int *result = userdata;

	(void) vm;
	(void) error;
	*result = r;
}

static void test_lifecycle(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int fds = test_count_fds(0), result = 1;
	struct vm *vm;

	(void) data;
	/* The guest takes its time to power off, so that stopping can be seen. */
	vm = add_vm(f, "life", "simulate:\n  stop-delay: 1s\n");
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
	g_assert_cmpint(create_sync(f, vm, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_CREATED);
	g_assert_true(vm_is_live(vm));
	g_assert_cmpuint(vm->inst.vmid, >=, 0x80);
	g_assert_cmpuint(vm->created_usec, >, 0);
	g_assert_cmpint(test_count_fds(0), >, fds);

	g_assert_cmpint(vm_start(vm, start_done, &result, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_STARTING);
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpint(result, ==, 0);
	g_assert_cmpuint(vm->started_usec, >=, vm->created_usec);

	g_assert_cmpint(stop_sync(f, vm, false, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_STOPPING);
	run_until(f, vm, VM_STATE_EXITED);
	g_assert_cmpstr(vm->state_reason, ==, "poweroff");
	g_assert_cmpint(vm->exit_type, ==, VMDEF_EXIT_PLATFORM_OFF);

	g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
	g_assert_false(vm_is_live(vm));
	g_assert_cmpuint(vm->inst.vmid, ==, 0);
	g_assert_cmpint(test_count_fds(0), ==, fds);
}

static void test_illegal_requests(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "strict", NULL);
	g_assert_cmpint(stop_sync(f, vm, false, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is defined, cannot stop");
	g_assert_cmpint(destroy_sync(f, vm, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is defined, cannot destroy");
	g_assert_cmpint(create_sync(f, vm, &e), ==, 0);
	g_assert_cmpint(create_sync(f, vm, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is created, cannot create");
	g_assert_cmpint(stop_sync(f, vm, true, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is created, cannot stop");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is starting, cannot start");
	/* Only a forced stop or a destroy may abandon a start. */
	g_assert_cmpint(vm_stop(vm, false, NULL, NULL, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is starting, cannot stop");
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpint(create_sync(f, vm, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is running, cannot create");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "is running, cannot start");
	/* Refused requests changed nothing. */
	g_assert_cmpint(vm->state, ==, VM_STATE_RUNNING);
}

/* Starts vm: a start is in flight (building first) when this returns. */
static void start_in_flight(struct vm *vm, struct outcome *start)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	g_assert_cmpint(vm_start(vm, outcome_done, start, &e), ==, 0);
	g_assert_cmpint(vm->op, !=, VM_OP_NONE);
}

/*
 * A hung start is not a trap: a destroy or a forced stop is accepted while
 * it is in flight and takes effect once the backend answers; the start's
 * caller learns it was abandoned; nothing leaks.
 */
static void test_abandon_start(struct fixture *f, gconstpointer data)
{
	struct outcome start = { .error = SD_BUS_ERROR_NULL };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int fds = test_count_fds(0);
	struct vm *slow, *failing;

	(void) data;
	slow = add_vm(f, "slow", "simulate:\n  start-delay: 1500ms\n");
	failing = add_vm(f, "failing", "simulate:\n  start: fail\n  start-delay: 300ms\n");

	/* Destroy while GH_VM_START is in flight: back to defined. */
	start_in_flight(slow, &start);
	run_until(f, slow, VM_STATE_STARTING);
	g_assert_cmpint(destroy_sync(f, slow, &e), ==, 0);
	g_assert_true(start.done);
	g_assert_cmpint(start.r, ==, -ECANCELED);
	assert_error(&start.error, GH_ERROR_INVALID_STATE, "start abandoned: destroyed");
	g_assert_cmpint(slow->state, ==, VM_STATE_DEFINED);
	g_assert_false(vm_is_live(slow));
	g_assert_cmpint(test_count_fds(0), ==, fds);

	/* Destroy while it is still being built: it never starts. */
	start = (struct outcome) { .error = SD_BUS_ERROR_NULL };
	start_in_flight(slow, &start);
	g_assert_cmpint(slow->op, ==, VM_OP_CREATE);
	g_assert_cmpint(destroy_sync(f, slow, &e), ==, 0);
	g_assert_cmpint(start.r, ==, -ECANCELED);
	sd_bus_error_free(&start.error);
	g_assert_cmpint(slow->state, ==, VM_STATE_DEFINED);
	g_assert_cmpint(test_count_fds(0), ==, fds);

	/* A forced stop: the start ends, then the VM is stopped, not restarted. */
	start = (struct outcome) { .error = SD_BUS_ERROR_NULL };
	start_in_flight(slow, &start);
	run_until(f, slow, VM_STATE_STARTING);
	g_assert_cmpint(stop_sync(f, slow, true, &e), ==, 0);
	g_assert_cmpint(start.r, ==, -ECANCELED);
	sd_bus_error_free(&start.error);
	g_assert_cmpstr(run_until(f, slow, VM_STATE_EXITED).reason, ==, "stopped");
	/* One at a time. */
	g_assert_cmpint(destroy_sync(f, slow, &e), ==, 0);
	g_assert_cmpint(test_count_fds(0), ==, fds);

	/* A start that fails anyway reports its own error; the destroy still happens. */
	start = (struct outcome) { .error = SD_BUS_ERROR_NULL };
	start_in_flight(failing, &start);
	run_until(f, failing, VM_STATE_STARTING);
	g_assert_cmpint(destroy_sync(f, failing, &e), ==, 0);
	g_assert_cmpint(start.r, <, 0);
	g_assert_cmpint(start.r, !=, -ECANCELED);
	sd_bus_error_free(&start.error);
	g_assert_cmpint(failing->state, ==, VM_STATE_DEFINED);
	g_assert_cmpint(test_count_fds(0), ==, fds);
}

static void test_double_abandon_refused(struct fixture *f, gconstpointer data)
{
	struct outcome start = { .error = SD_BUS_ERROR_NULL }, stop = { .error = SD_BUS_ERROR_NULL };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "slow", "simulate:\n  start-delay: 300ms\n");
	start_in_flight(vm, &start);
	g_assert_cmpint(vm_stop(vm, true, outcome_done, &stop, &e), ==, 0);
	g_assert_cmpint(vm_destroy(vm, NULL, NULL, &e), <, 0);
	assert_error(&e, GH_ERROR_INVALID_STATE, "already being stopped by force");
	g_assert_cmpint(finish(f, 0, &start, &e), ==, -ECANCELED);
	sd_bus_error_free(&e);
	g_assert_true(stop.done);
	g_assert_cmpint(stop.r, ==, 0);
	/* Stopped while it was being built: created, never run. */
	g_assert_cmpint(vm->state, ==, VM_STATE_CREATED);
	g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
}

static void test_start_from_defined(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "direct", NULL);
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
}

static void test_start_failure(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int result = 1;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "flaky", "simulate:\n  start: fail\n  start-errno: ETIMEDOUT\n");
	g_assert_cmpint(vm_start(vm, start_done, &result, &e), ==, 0);
	run_until(f, vm, VM_STATE_FAILED);
	g_assert_cmpint(result, ==, -ETIMEDOUT);
	g_assert_nonnull(strstr(vm->state_reason, "start-failed"));
	g_assert_true(vm_is_live(vm));

	/* Start from failed recreates; with the fault gone it runs. */
	vm->def->sim.fail_start = false;
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
}

static void test_crash_and_restart(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	uint16_t first_vmid;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "crashy", "simulate:\n  exit-after: 20ms\n  exit-type: watchdog-bite\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	first_vmid = vm->inst.vmid;
	run_until(f, vm, VM_STATE_CRASHED);
	g_assert_cmpstr(vm->state_reason, ==, "watchdog-bite");
	g_assert_cmpint(vm->exit_type, ==, VMDEF_EXIT_WATCHDOG_BITE);
	g_assert_cmpuint(vm->inst.vmid, ==, first_vmid);

	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	/* How it last exited stays known until it exits again or is destroyed. */
	g_assert_cmpint(vm->exit_type, ==, VMDEF_EXIT_WATCHDOG_BITE);
}

static void test_exit_classification(struct fixture *f, gconstpointer data)
{
	static const struct {
		const char *type;
		unsigned code;
		enum vm_state state;
		const char *reason;
	} cases[] = {
		{ "vm-exit", 0, VM_STATE_EXITED, "poweroff" },
		{ "vm-exit", 1, VM_STATE_CRASHED, "vm-exit-error" },
		{ "platform-off", 0, VM_STATE_EXITED, "poweroff" },
		{ "software-error", 0, VM_STATE_CRASHED, "software-error" },
		{ "async-hw-error", 0, VM_STATE_CRASHED, "async-hw-error" },
		{ "watchdog-bite", 0, VM_STATE_CRASHED, "watchdog-bite" },
	};
	sd_bus_error e = SD_BUS_ERROR_NULL;

	(void) data;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = g_strdup_printf("exit%zu", i);
		g_autofree char *sim = g_strdup_printf("simulate:\n  exit-after: 1ms\n"
						       "  exit-type: %s\n  exit-code: %u\n",
						       cases[i].type, cases[i].code);
		struct vm *vm = add_vm(f, name, sim);

		g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
		run_until(f, vm, cases[i].state);
		g_assert_cmpstr(vm->state_reason, ==, cases[i].reason);
		g_assert_cmpuint(vm->exit_code, ==, cases[i].code);
		g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
	}
}

static void test_reboot_restarts(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct seen seen;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "rebooter", "simulate:\n  exit-after: 30ms\n  exit-type: platform-reset\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	g_assert_cmpuint(run_until(f, vm, VM_STATE_RUNNING).restart_count, ==, 0);
	/* exited (reboot) -> starting -> running, counted. */
	g_assert_cmpstr(run_until(f, vm, VM_STATE_EXITED).reason, ==, "reboot");
	seen = run_until(f, vm, VM_STATE_STARTING);
	g_assert_cmpuint(seen.restart_count, ==, 1);
	g_assert_cmpstr(seen.reason, ==, "");
	g_assert_cmpuint(run_until(f, vm, VM_STATE_RUNNING).restart_count, ==, 1);
	/* It keeps rebooting: destroy it wherever it is, once it is not busy starting. */
	while (destroy_sync(f, vm, &e) < 0) {
		g_assert_cmpstr(e.name, ==, GH_ERROR_INVALID_STATE);
		sd_bus_error_free(&e);
		run_until(f, vm, VM_STATE_RUNNING);
	}
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
}

static void test_stop_timeout_forces(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "stubborn", "stop-timeout: 100ms\nsimulate:\n  on-stop: ignore\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpint(stop_sync(f, vm, false, &e), ==, 0);
	/* A second graceful stop is accepted and changes nothing. */
	g_assert_cmpint(stop_sync(f, vm, false, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_STOPPING);
	/* The guest ignores the request: only the stop timer's forced stop ends it. */
	run_until(f, vm, VM_STATE_EXITED);
	g_assert_cmpstr(vm->state_reason, ==, "stopped");
	g_assert_cmpint(vm->exit_type, ==, VMDEF_EXIT_FORCED_STOP);
}

static void test_force_while_stopping(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "escalate", "simulate:\n  on-stop: ignore\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpint(stop_sync(f, vm, false, &e), ==, 0);
	g_assert_cmpint(stop_sync(f, vm, true, &e), ==, 0);
	run_until(f, vm, VM_STATE_EXITED);
	g_assert_cmpstr(vm->state_reason, ==, "stopped");
}

/*
 * The guest exits by itself just before a stop reaches the hypervisor, and
 * the exit's notification is not read yet (a loaded machine): the hypervisor
 * says -EINVAL (not running), and the stop succeeds with the exit recorded.
 */
static void test_stop_races_exit(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	(void) data;
	for (int force = 0; force <= 1; force++) {
		g_autofree char *name = g_strdup_printf("racer%d", force);
		struct vm *vm = add_vm(f, name, "simulate:\n  exit-after: 20ms\n"
					"  exit-type: platform-off\n");

		g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
		run_until(f, vm, VM_STATE_RUNNING);
		/* Hold the notification back, then let the guest exit unseen. */
		g_assert_cmpint(event_del(vm->status_event), ==, 0);
		g_usleep(60000);
		g_assert_cmpint(vm->state, ==, VM_STATE_RUNNING);
		g_assert_cmpint(stop_sync(f, vm, force, &e), ==, 0);
		g_assert_null(e.name);
		g_assert_cmpint(vm->state, ==, VM_STATE_EXITED);
		g_assert_cmpstr(vm->state_reason, ==, "poweroff");
		g_assert_cmpint(vm->exit_type, ==, VMDEF_EXIT_PLATFORM_OFF);
		g_assert_null(vm->status_event);
		g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
	}
}

static void test_stop_without_extension(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "oldkernel", NULL);
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	f->m->hyp->features &= ~HYP_FEATURE_VM_STOP;
	/* Without GH_VM_STOP a stop closes the VM. */
	g_assert_cmpint(stop_sync(f, vm, false, &e), ==, 0);
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
	g_assert_false(vm_is_live(vm));
}

static void test_vm_limit(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vms[64];

	(void) data;
	/* Past the configured limit: the hypervisor's own (the RM's 63 VMIDs) answers. */
	f->m->config.limits.max_vms = 64;
	for (int i = 0; i < 64; i++) {
		g_autofree char *name = g_strdup_printf("vm%02d", i);

		vms[i] = add_vm(f, name, NULL);
	}
	for (int i = 0; i < 63; i++)
		g_assert_cmpint(create_sync(f, vms[i], &e), ==, 0);
	g_assert_cmpint(create_sync(f, vms[63], &e), <, 0);
	assert_error(&e, GH_ERROR_LIMIT_EXCEEDED, "no free VMID");
	g_assert_cmpint(vms[63]->state, ==, VM_STATE_DEFINED);
	g_assert_false(vm_is_live(vms[63]));
	g_assert_cmpint(destroy_sync(f, vms[0], &e), ==, 0);
	g_assert_cmpint(create_sync(f, vms[63], &e), ==, 0);
}

static void test_configured_limits(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *a, *b, *c;

	(void) data;
	f->m->config.limits.max_vms = 2;
	f->m->config.limits.max_guest_memory = 20 << 20;
	a = add_vm(f, "a", NULL);				/* 8M */
	b = add_vm(f, "b", NULL);				/* 8M */
	c = add_vm(f, "c", "regions:\n  - { label: 1, base: 0xc0000000, size: 8M }\n");
	g_assert_cmpint(create_sync(f, a, &e), ==, 0);
	/* 8M live + 16M > 20M */
	g_assert_cmpint(create_sync(f, c, &e), <, 0);
	assert_error(&e, GH_ERROR_LIMIT_EXCEEDED, "limits.max-guest-memory");
	g_assert_false(vm_is_live(c));
	g_assert_cmpint(create_sync(f, b, &e), ==, 0);
	g_assert_cmpint(destroy_sync(f, a, &e), ==, 0);
	f->m->config.limits.max_guest_memory = 0;
	g_assert_cmpint(create_sync(f, c, &e), ==, 0);
	/* Two live: the third is refused, whatever the hypervisor could take. */
	g_assert_cmpint(vm_start(a, NULL, NULL, &e), <, 0);
	assert_error(&e, GH_ERROR_LIMIT_EXCEEDED, "limits.max-vms");
	g_assert_cmpint(a->state, ==, VM_STATE_DEFINED);
}

static void test_layout_conflict(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	vm = add_vm(f, "clash", "regions:\n  - label: 1\n    base: 0x80100000\n    size: 4K\n");
	g_assert_cmpint(create_sync(f, vm, &e), <, 0);
	assert_error(&e, GH_ERROR_LAYOUT_CONFLICT, "overlaps 'memory'");
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
}

static void test_restart_on_failure(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	f->m->config.restart.backoff_usec = 10000;
	f->m->config.restart.backoff_max_usec = 40000;
	vm = add_vm(f, "phoenix", "restart: { policy: on-failure, burst: 2, interval: 60s }\n"
			"simulate: { exit-after: 20ms, exit-type: software-error }\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	/* crash, restart, crash, restart, crash: the third crash is past the burst. */
	run_until(f, vm, VM_STATE_CRASHED);
	g_assert_cmpuint(run_until(f, vm, VM_STATE_RUNNING).restart_count, ==, 1);
	run_until(f, vm, VM_STATE_CRASHED);
	g_assert_cmpuint(run_until(f, vm, VM_STATE_RUNNING).restart_count, ==, 2);
	g_assert_cmpstr(run_until(f, vm, VM_STATE_FAILED).reason, ==, "restart-limit");
	g_assert_cmpstr(vm->state_reason, ==, "restart-limit");
	g_assert_cmpuint(vm->restart_count, ==, 2);
	/* A user's Start begins a new burst. */
	vm->def->sim.exit_after_usec = 0;
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
}

static void test_restart_policy_no(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	f->m->config.restart.backoff_usec = 1000;
	vm = add_vm(f, "stays-down", "simulate: { exit-after: 5ms, exit-type: software-error }\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_CRASHED);
	/* Give a restart every chance to happen: none does. */
	for (int i = 0; i < 20; i++) {
		struct timeval tick = { .tv_usec = 5000 };

		event_base_loopexit(f->base, &tick);
		event_base_loop(f->base, 0);
	}
	g_assert_cmpint(vm->state, ==, VM_STATE_CRASHED);
	g_assert_cmpuint(vm->restart_count, ==, 0);
}

static void test_restart_always(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	f->m->config.restart.backoff_usec = 1000;
	vm = add_vm(f, "daemonic", "restart: { policy: always, burst: 1 }\n"
			"simulate: { exit-after: 20ms, exit-type: platform-off }\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpstr(run_until(f, vm, VM_STATE_EXITED).reason, ==, "poweroff");
	/* A clean exit restarts too; the next one is past the burst of 1. */
	g_assert_cmpuint(run_until(f, vm, VM_STATE_RUNNING).restart_count, ==, 1);
	run_until(f, vm, VM_STATE_EXITED);
	g_assert_cmpstr(run_until(f, vm, VM_STATE_FAILED).reason, ==, "restart-limit");
	g_assert_cmpuint(vm->restart_count, ==, 1);

	/* A user's stop is not restarted. */
	vm->def->sim.exit_after_usec = 0;
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_RUNNING);
	g_assert_cmpint(stop_sync(f, vm, true, &e), ==, 0);
	run_until(f, vm, VM_STATE_EXITED);
	for (int i = 0; i < 10; i++) {
		struct timeval tick = { .tv_usec = 5000 };

		event_base_loopexit(f->base, &tick);
		event_base_loop(f->base, 0);
	}
	g_assert_cmpint(vm->state, ==, VM_STATE_EXITED);
	g_assert_cmpuint(vm->restart_count, ==, 1);
}

static void test_destroy_cancels_restart(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *vm;

	(void) data;
	f->m->config.restart.backoff_usec = 50000;
	vm = add_vm(f, "cancelled", "restart: { policy: on-failure }\n"
			"simulate: { exit-after: 5ms, exit-type: watchdog-bite }\n");
	g_assert_cmpint(vm_start(vm, NULL, NULL, &e), ==, 0);
	run_until(f, vm, VM_STATE_CRASHED);
	g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
	for (int i = 0; i < 20; i++) {
		struct timeval tick = { .tv_usec = 10000 };

		event_base_loopexit(f->base, &tick);
		event_base_loop(f->base, 0);
	}
	g_assert_cmpint(vm->state, ==, VM_STATE_DEFINED);
	g_assert_cmpuint(vm->restart_count, ==, 0);
}

static void test_shutdown_destroys(struct fixture *f, gconstpointer data)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct vm *a, *b;

	(void) data;
	a = add_vm(f, "a", NULL);
	b = add_vm(f, "b", "simulate:\n  start-delay: 100ms\n");
	g_assert_cmpint(vm_start(a, NULL, NULL, &e), ==, 0);
	run_until(f, a, VM_STATE_RUNNING);
	g_assert_cmpint(vm_start(b, NULL, NULL, &e), ==, 0);
	/* b's start is still on its worker thread: shutdown waits for it. */
	manager_shutdown(f->m);
	g_assert_false(vm_is_live(a));
	g_assert_false(vm_is_live(b));
}

/* An observer that logs what it hears; on a state change it removes remove_id. */
struct watch {
	const char *tag;
	GString *log;		/* shared by every watch */
	int remove_id;		/* 0: none */
	bool found_when_removed;
};

static void watch_added(struct manager *m, struct vm *vm, void *userdata)
{
	struct watch *w = userdata;

	(void) m;
	g_string_append_printf(w->log, "%s:added:%s ", w->tag, vm->name);
}

static void watch_removed(struct manager *m, struct vm *vm, void *userdata)
{
	struct watch *w = userdata;

	g_string_append_printf(w->log, "%s:removed:%s ", w->tag, vm->name);
	w->found_when_removed = manager_find_vm(m, vm->name) == vm;
}

static void watch_state(struct manager *m, struct vm *vm, void *userdata)
{
	struct watch *w = userdata;

	g_string_append_printf(w->log, "%s:%s ", w->tag, vm_state_to_string(vm->state));
	if (w->remove_id) {
		g_assert_cmpint(manager_observer_remove(m, w->remove_id), ==, 0);
		w->remove_id = 0;
	}
}

static const struct manager_observer_ops watch_ops = {
	.vm_added = watch_added,
	.vm_removed = watch_removed,
	.vm_state_changed = watch_state,
};

/*
 * Observers hear of VMs added and removed (while still found by name) and
 * of state changes, in the order they were added; one removed during a
 * notification is not called any more, not even for that one.
 */
static void test_observers(struct fixture *f, gconstpointer data)
{
	g_autoptr(GString) log = g_string_new("");
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct watch a = { "a", log, 0, false }, b = { "b", log, 0, false };
	int id_a, id_b;
	struct vm *vm;

	(void) data;
	id_a = manager_observer_add(f->m, &watch_ops, &a);
	id_b = manager_observer_add(f->m, &watch_ops, &b);
	g_assert_cmpint(id_a, >, 0);
	g_assert_cmpint(id_b, >, id_a);
	a.remove_id = id_b;
	vm = add_vm(f, "obs", NULL);
	g_assert_cmpint(create_sync(f, vm, &e), ==, 0);
	g_assert_cmpint(manager_observer_remove(f->m, id_b), ==, -ENOENT);
	g_assert_cmpint(destroy_sync(f, vm, &e), ==, 0);
	/* The fixture's own observer, added first, still hears every change. */
	g_assert_nonnull(next_seen(f, vm, VM_STATE_DEFINED));
	manager_remove_vm(f->m, vm);
	g_assert_true(a.found_when_removed);
	g_assert_cmpint(manager_observer_remove(f->m, id_a), ==, 0);
	add_vm(f, "unheard", NULL);
	g_assert_cmpstr(log->str, ==,
			"a:added:obs b:added:obs a:created a:defined a:removed:obs ");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *path;
		void (*fn)(struct fixture *, gconstpointer);
	} tests[] = {
		{ "/vm/lifecycle", test_lifecycle },
		{ "/vm/illegal-requests", test_illegal_requests },
		{ "/vm/start/from-defined", test_start_from_defined },
		{ "/vm/start/failure-then-retry", test_start_failure },
		{ "/vm/start/abandon", test_abandon_start },
		{ "/vm/start/abandon-once", test_double_abandon_refused },
		{ "/vm/exit/crash-then-start", test_crash_and_restart },
		{ "/vm/exit/classification", test_exit_classification },
		{ "/vm/exit/reboot-restarts", test_reboot_restarts },
		{ "/vm/stop/timeout-forces", test_stop_timeout_forces },
		{ "/vm/stop/force-while-stopping", test_force_while_stopping },
		{ "/vm/stop/without-extension", test_stop_without_extension },
		{ "/vm/stop/races-exit", test_stop_races_exit },
		{ "/vm/create/limit", test_vm_limit },
		{ "/vm/create/configured-limits", test_configured_limits },
		{ "/vm/create/layout-conflict", test_layout_conflict },
		{ "/vm/shutdown/destroys", test_shutdown_destroys },
		{ "/vm/observers", test_observers },
		{ "/vm/restart/on-failure-burst-limit", test_restart_on_failure },
		{ "/vm/restart/policy-no", test_restart_policy_no },
		{ "/vm/restart/always-not-after-stop", test_restart_always },
		{ "/vm/restart/destroy-cancels", test_destroy_cancels_restart },
	};

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/table/transitions", test_transition_table);
	g_test_add_func("/vm/table/requests", test_request_table);
	g_test_add_func("/vm/table/strings", test_state_strings);
	for (size_t i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].path, struct fixture, NULL, fixture_setup, tests[i].fn,
			   fixture_teardown);
	return g_test_run();
}
