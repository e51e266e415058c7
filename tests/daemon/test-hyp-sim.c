/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What only the simulated hypervisor does: simulated guest behaviour
 * (exits, crashes, ignored stops, failed starts) and lent memory made
 * inaccessible after START.
 */
#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hyp-sim.h"
#include "hyp.h"
#include "test-guest.h"
#include "test-hyp.h"

#define PAGE TEST_HYP_PAGE
#define MEM_BASE TEST_HYP_MEM_BASE
#define MEM_SIZE TEST_HYP_MEM_SIZE

static void prepare(struct test_hyp *f, const char *spec)
{
	struct gh_userspace_memory_region main_mem = test_hyp_main_region(f);
	struct gh_userspace_memory_region shm = {
		.label = 1, .flags = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE,
		.guest_phys_addr = 0xc0000000, .memory_size = 2 * PAGE,
		.userspace_addr = (uintptr_t) f->shm,
	};
	struct vmdef_sim sim;
	uint64_t offset;

	if (spec) {
		g_assert_cmpint(hyp_sim_parse_spec(spec, &sim), ==, 0);
		g_assert_cmpint(hyp_vm_set_sim(f->vm, &sim), ==, 0);
	}
	offset = test_guest_write_dtb(f->mem, MEM_SIZE, MEM_BASE, 1);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &main_mem), ==, 0);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &shm), ==, 0);
	test_hyp_set_dtb(f, offset);
}

static uint32_t exit_code(const struct gh_vm_status *st)
{
	uint32_t word = 0;

	for (int i = 0; i < 4; i++)
		word |= (uint32_t) st->exit_reason[i] << (8 * i);
	return word >> 16;
}

static void test_exit_after(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_status st;

	(void) data;
	prepare(f, "exit-after=50ms,exit-type=watchdog-bite");
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_get_status(f->vm, &st), ==, 0);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_RUNNING);
	g_assert_true(test_hyp_wait_exit(f, 5000, &st));
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_WATCHDOG_BITE);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_EXITED);
}

static void test_exit_code(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_status st;

	(void) data;
	prepare(f, "exit-after=1ms,exit-type=vm-exit,exit-code=3");
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_true(test_hyp_wait_exit(f, 5000, &st));
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_VM_EXIT);
	g_assert_cmpuint(st.exit_reason_size, ==, 4);
	g_assert_cmpuint(exit_code(&st), ==, 3);
}

static void test_stop_ignored(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_stop stop = { .flags = 0 };
	struct gh_vm_status st;

	(void) data;
	prepare(f, "on-stop=ignore");
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, 0);
	g_assert_false(test_hyp_wait_exit(f, 200, &st));
	stop.flags = GH_VM_STOP_FORCE;
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, 0);
	g_assert_true(test_hyp_wait_exit(f, 1000, &st));
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED);
}

static void test_stop_delay(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_stop stop = { .flags = 0 };
	struct gh_vm_status st;

	(void) data;
	prepare(f, "stop-delay=1s");
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, 0);
	g_assert_false(test_hyp_wait_exit(f, 50, &st));
	g_assert_true(test_hyp_wait_exit(f, 5000, &st));
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF);
}

static void test_fail_start(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_status st;

	(void) data;
	prepare(f, "start=fail,start-errno=ETIMEDOUT");
	g_assert_cmpint(hyp_vm_start(f->vm), ==, -ETIMEDOUT);
	g_assert_cmpint(hyp_vm_get_status(f->vm, &st), ==, 0);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_INIT_FAILED);
	g_assert_cmpuint(st.exit_status, ==, GH_VM_EXIT_STATUS_LOAD_FAILED);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, -EINVAL);
}

static void test_start_delay(struct test_hyp *f, gconstpointer data)
{
	gint64 t0;

	(void) data;
	prepare(f, "start-delay=200ms");
	t0 = g_get_monotonic_time();
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 200000);
}

/* Touching lent memory after START faults, as it would on hardware. */
static void test_lent_memory_inaccessible(struct test_hyp *f, gconstpointer data)
{
	volatile char *lent = f->mem;
	volatile char *shared = f->shm;
	int status;
	pid_t pid;

	(void) data;
	prepare(f, NULL);
	lent[0] = 1;
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	shared[0] = 2;		/* shared memory stays the host's */
	g_assert_cmpint(shared[0], ==, 2);

	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		lent[0] = 3;
		_exit(0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGSEGV);

	/* Destroying the VM hands the memory back. */
	f->vm = hyp_vm_destroy(f->vm);
	lent[0] = 4;
	g_assert_cmpint(lent[0], ==, 4);
}

/* Whatever the console holds now; -EAGAIN ends it. */
static void console_drain(struct hyp_console *c, GString *out)
{
	char buf[8192];
	ssize_t n;

	while ((n = hyp_console_read(c, buf, sizeof(buf))) > 0)
		g_string_append_len(out, buf, n);
	g_assert_cmpint(n, ==, -EAGAIN);
}

/* console-banner replaces the banner; console-echo=false keeps input to the guest. */
static void test_console_banner_no_echo(struct test_hyp *f, gconstpointer data)
{
	_cleanup_(hyp_console_closep) struct hyp_console *c = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	(void) data;
	prepare(f, "console-banner=hello there,console-echo=false");
	g_assert_cmpint(hyp_vm_open_console(f->vm, &c), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_console_write(c, "abc", 3), ==, 3);
	console_drain(c, out);
	g_assert_cmpstr(out->str, ==, "hello there");
}

/*
 * A flood bigger than the ring: a reader that reads as fast as it can
 * still loses output, every byte is either read or counted lost, and the
 * flood ends.
 */
static void test_console_flood(struct test_hyp *f, gconstpointer data)
{
	_cleanup_(hyp_console_closep) struct hyp_console *c = NULL;
	uint64_t total = 0, lost = 0;
	char buf[8192];
	ssize_t n;

	(void) data;
	prepare(f, "console-banner=,console-flood=1M");
	g_assert_cmpint(hyp_vm_open_console(f->vm, &c), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	for (int quiet = 0; quiet < 2;) {
		n = hyp_console_read(c, buf, sizeof(buf));
		if (n > 0) {
			total += (uint64_t) n;
			quiet = 0;
		} else {
			g_assert_cmpint(n, ==, -EAGAIN);
			quiet++;
		}
	}
	g_assert_cmpint(hyp_console_get_lost(c, &lost), ==, 0);
	g_assert_cmpuint(lost, >, 0);
	g_assert_cmpuint(total + lost, ==, 1024 * 1024);
}

/*
 * The sim's console may outlive its VM (the daemon closes it first; what
 * the module does then is its own): it reads its end and refuses input.
 */
static void test_console_outlives_vm(struct test_hyp *f, gconstpointer data)
{
	_cleanup_(hyp_console_closep) struct hyp_console *c = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	char buf[256];
	ssize_t n;

	(void) data;
	prepare(f, "console-banner=bye");
	g_assert_cmpint(hyp_vm_open_console(f->vm, &c), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	f->vm = hyp_vm_destroy(f->vm);
	while ((n = hyp_console_read(c, buf, sizeof(buf))) > 0)
		g_string_append_len(out, buf, n);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(hyp_console_write(c, "x", 1), ==, -EPIPE);
}

static void test_set_sim_after_start(struct test_hyp *f, gconstpointer data)
{
	struct vmdef_sim sim = {};

	(void) data;
	prepare(f, NULL);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_set_sim(f->vm, &sim), ==, -EBUSY);
}

static void test_spec_parse(void)
{
	struct vmdef_sim sim;

	g_assert_cmpint(hyp_sim_parse_spec("start=fail,start-errno=ENODEV,exit-after=2s,"
					   "exit-type=software-error,exit-code=7,on-stop=ignore,"
					   "stop-delay=5ms,start-delay=1ms", &sim), ==, 0);
	g_assert_true(sim.fail_start);
	g_assert_cmpint(sim.start_errno, ==, ENODEV);
	g_assert_cmpuint(sim.exit_after_usec, ==, 2000000);
	g_assert_cmpint(sim.exit_type, ==, VMDEF_EXIT_SOFTWARE_ERROR);
	g_assert_cmpuint(sim.exit_code, ==, 7);
	g_assert_cmpint(sim.on_stop, ==, VMDEF_SIM_ON_STOP_IGNORE);
	g_assert_cmpuint(sim.stop_delay_usec, ==, 5000);
	g_assert_cmpuint(sim.start_delay_usec, ==, 1000);

	g_assert_cmpint(hyp_sim_parse_spec("", &sim), ==, 0);
	g_assert_false(sim.fail_start);
	g_assert_cmpint(sim.start_errno, ==, EIO);
	g_assert_true(sim.console_echo);
	g_assert_false(sim.has_console_banner);
	g_assert_cmpint(hyp_sim_parse_spec("console-echo=false,console-banner=hi,console-flood=2K",
					   &sim), ==, 0);
	g_assert_false(sim.console_echo);
	g_assert_cmpstr(sim.console_banner, ==, "hi");
	g_assert_cmpuint(sim.console_flood, ==, 2048);
	g_assert_cmpint(hyp_sim_parse_spec("console-echo=maybe", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("console-flood=2X", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("start=maybe", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("exit-type=forced-stop", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("exit-code=256", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("bogus=1", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("noequals", &sim), ==, -EINVAL);
	g_assert_cmpint(hyp_sim_parse_spec("start-errno=EWHAT", &sim), ==, -EINVAL);
}

static void test_env_default(void)
{
	struct hyp *h = NULL;
	struct hyp_vm *vm = NULL;
	void *mem = test_guest_map(MEM_SIZE);
	struct gh_userspace_memory_region r = {
		.flags = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC,
		.guest_phys_addr = MEM_BASE, .memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t) mem,
	};
	struct gh_vm_dtb_config dtb;

	g_setenv("GUNYAHD_SIM", "start=fail,start-errno=EPERM", TRUE);
	g_assert_cmpint(hyp_sim_new(&h), ==, 0);
	g_unsetenv("GUNYAHD_SIM");
	g_assert_cmpint(hyp_create_vm(h, 0, &vm), ==, 0);
	dtb.gpa = MEM_BASE + test_guest_write_dtb(mem, MEM_SIZE, MEM_BASE, 0);
	dtb.size = TEST_GUEST_DTB_SLOT;
	g_assert_cmpint(hyp_vm_set_user_mem_region(vm, &r), ==, 0);
	g_assert_cmpint(hyp_vm_set_dtb_config(vm, &dtb), ==, 0);
	g_assert_cmpint(hyp_vm_start(vm), ==, -EPERM);
	hyp_vm_destroy(vm);
	hyp_free(h);
	munmap(mem, MEM_SIZE);

	g_setenv("GUNYAHD_SIM", "start=sometimes", TRUE);
	g_assert_cmpint(hyp_sim_new(&h), ==, -EINVAL);
	g_unsetenv("GUNYAHD_SIM");
}

static void test_kind_tables(void)
{
	for (int k = 0; k < _HYP_KIND_MAX; k++)
		g_assert_cmpint(hyp_kind_from_string(hyp_kind_to_string(k)), ==, k);
	g_assert_cmpint(hyp_kind_from_string("qemu"), ==, -EINVAL);
	g_assert_cmpstr(hyp_feature_to_string(HYP_FEATURE_VM_STATUS), ==, "vm-status");
	g_assert_cmpstr(hyp_feature_to_string(HYP_FEATURE_VM_STOP), ==, "vm-stop");
	g_assert_cmpstr(hyp_feature_to_string(HYP_FEATURE_ANDROID_LEND), ==, "android-lend");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/sim/exit/after-delay", struct test_hyp, NULL, test_hyp_setup_sim, test_exit_after,
		   test_hyp_teardown);
	g_test_add("/sim/exit/code", struct test_hyp, NULL, test_hyp_setup_sim, test_exit_code,
		   test_hyp_teardown);
	g_test_add("/sim/stop/ignored-then-forced", struct test_hyp, NULL, test_hyp_setup_sim,
		   test_stop_ignored, test_hyp_teardown);
	g_test_add("/sim/stop/delay", struct test_hyp, NULL, test_hyp_setup_sim, test_stop_delay,
		   test_hyp_teardown);
	g_test_add("/sim/start/fail", struct test_hyp, NULL, test_hyp_setup_sim, test_fail_start,
		   test_hyp_teardown);
	g_test_add("/sim/start/delay", struct test_hyp, NULL, test_hyp_setup_sim, test_start_delay,
		   test_hyp_teardown);
	g_test_add("/sim/memory/lent-inaccessible", struct test_hyp, NULL, test_hyp_setup_sim,
		   test_lent_memory_inaccessible, test_hyp_teardown);
	g_test_add("/sim/config/after-start", struct test_hyp, NULL, test_hyp_setup_sim,
		   test_set_sim_after_start, test_hyp_teardown);
	g_test_add("/sim/console/banner-no-echo", struct test_hyp, NULL, test_hyp_setup_sim,
		   test_console_banner_no_echo, test_hyp_teardown);
	g_test_add("/sim/console/flood", struct test_hyp, NULL, test_hyp_setup_sim,
		   test_console_flood, test_hyp_teardown);
	g_test_add("/sim/console/outlives-vm", struct test_hyp, NULL, test_hyp_setup_sim,
		   test_console_outlives_vm, test_hyp_teardown);
	g_test_add_func("/sim/spec/parse", test_spec_parse);
	g_test_add_func("/sim/spec/environment", test_env_default);
	g_test_add_func("/sim/tables", test_kind_tables);
	return g_test_run();
}
