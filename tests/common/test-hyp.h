/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM on a hypervisor backend with its guest memory, the fixture of the
 * backend tests (tests/daemon/test-hyp-*.c). Plain hyp.h and GLib only: the
 * arm64 guest's static test-hyp-conformance links it (tests/qemu/suite.sh).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hyp.h"

#define TEST_HYP_PAGE 4096ul
#define TEST_HYP_MEM_BASE 0x80000000ull
#define TEST_HYP_MEM_SIZE (4ul << 20)

struct test_hyp {
	struct hyp *hyp;
	struct hyp_vm *vm;
	void *mem;		/* TEST_HYP_MEM_SIZE bytes, mapped shared */
	void *shm;		/* 2 pages, for a second region */
};

/* $GUNYAHD_TEST_BACKEND: sim (the default) or kernel, on $GUNYAHD_TEST_DEVICE. */
struct hyp *test_hyp_open(void);

/* g_test fixtures: the backend of test_hyp_open(), or always the sim; one VM. */
void test_hyp_setup(struct test_hyp *f, gconstpointer data);
void test_hyp_setup_sim(struct test_hyp *f, gconstpointer data);
void test_hyp_teardown(struct test_hyp *f, gconstpointer data);

/* Label 0: all of mem at TEST_HYP_MEM_BASE, RWX and lent. */
struct gh_userspace_memory_region test_hyp_main_region(const struct test_hyp *f);

/* Points the VM's devicetree at offset in mem, TEST_GUEST_DTB_SLOT bytes. */
void test_hyp_set_dtb(struct test_hyp *f, uint64_t offset);

/* Waits up to timeout_ms for an exit into *st; false when none came. */
bool test_hyp_wait_exit(struct test_hyp *f, int timeout_ms, struct gh_vm_status *st);
