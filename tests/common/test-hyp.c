/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend tests' VM and guest memory (test-hyp.h).
 */
#include <poll.h>
#include <string.h>
#include <sys/mman.h>

#include "test-guest.h"
#include "test-hyp.h"

struct hyp *test_hyp_open(void)
{
	const char *backend = g_getenv("GUNYAHD_TEST_BACKEND");
	const char *device = g_getenv("GUNYAHD_TEST_DEVICE");
	struct hyp *h = NULL;
	int r;

	if (!backend || strcmp(backend, "sim") == 0)
		r = hyp_sim_new(&h);
	else
		r = hyp_kernel_new(device ? device : "/dev/gunyah", &h);
	g_assert_cmpint(r, ==, 0);
	return h;
}

static void init(struct test_hyp *f, struct hyp *hyp)
{
	f->hyp = hyp;
	f->mem = test_guest_map(TEST_HYP_MEM_SIZE);
	f->shm = test_guest_map(2 * TEST_HYP_PAGE);
	g_assert_cmpint(hyp_create_vm(f->hyp, 0, &f->vm), ==, 0);
}

void test_hyp_setup(struct test_hyp *f, gconstpointer data)
{
	(void) data;
	init(f, test_hyp_open());
}

void test_hyp_setup_sim(struct test_hyp *f, gconstpointer data)
{
	struct hyp *hyp = NULL;

	(void) data;
	g_assert_cmpint(hyp_sim_new(&hyp), ==, 0);
	init(f, hyp);
}

void test_hyp_teardown(struct test_hyp *f, gconstpointer data)
{
	(void) data;
	hyp_vm_destroy(f->vm);
	munmap(f->mem, TEST_HYP_MEM_SIZE);
	munmap(f->shm, 2 * TEST_HYP_PAGE);
	hyp_free(f->hyp);
}

struct gh_userspace_memory_region test_hyp_main_region(const struct test_hyp *f)
{
	return (struct gh_userspace_memory_region) {
		.label = 0,
		.flags = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC | GH_MEM_LENT,
		.guest_phys_addr = TEST_HYP_MEM_BASE,
		.memory_size = TEST_HYP_MEM_SIZE,
		.userspace_addr = (uintptr_t) f->mem,
	};
}

void test_hyp_set_dtb(struct test_hyp *f, uint64_t offset)
{
	struct gh_vm_dtb_config dtb = {
		.gpa = TEST_HYP_MEM_BASE + offset, .size = TEST_GUEST_DTB_SLOT,
	};

	g_assert_cmpint(hyp_vm_set_dtb_config(f->vm, &dtb), ==, 0);
}

bool test_hyp_wait_exit(struct test_hyp *f, int timeout_ms, struct gh_vm_status *st)
{
	struct pollfd p = { .fd = hyp_vm_get_fd(f->vm), .events = POLLIN };
	gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;

	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;

		g_assert_cmpint(hyp_vm_get_status(f->vm, st), ==, 0);
		if (st->exit_status != GH_VM_EXIT_STATUS_NONE)
			return true;
		if (left <= 0)
			return false;
		(void) poll(&p, 1, (int) left);
	}
}
