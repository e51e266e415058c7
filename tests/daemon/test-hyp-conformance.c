/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Conformance suite for the hypervisor backend interface (daemon/hyp.h).
 *
 * The same assertions run against the sim backend on every test run and
 * against the kernel backend (gunyah.ko + RM emulator) inside the QEMU
 * guest, so the two cannot drift apart:
 *   GUNYAHD_TEST_BACKEND=sim|kernel   (default sim)
 *   GUNYAHD_TEST_DEVICE=/dev/gunyah   (kernel backend)
 *   GUNYAHD_TEST_PAYLOAD=FILE         (guest image at the base of the
 *                                      main region; default none)
 * On the real hypervisor and RM (tests/qemu/gunyah-suite.sh) the guest
 * executes: FILE is then tests/qemu/payload's payload-rpc.bin, which runs
 * until stopped and powers off on a graceful stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest-dtb.h"
#include "hyp.h"
#include "test-guest.h"
#include "test-hyp.h"

#define PAGE TEST_HYP_PAGE
#define MEM_BASE TEST_HYP_MEM_BASE
#define MEM_SIZE TEST_HYP_MEM_SIZE

/*
 * The guest's devicetree, in the last TEST_GUEST_DTB_SLOT bytes of mem
 * (returns its offset). PSCI, so that the guest can power off, and an
 * rm-rpc vdevice, so that the real RM can deliver a graceful stop, with
 * console-dev, so that it gives the VM a console.
 */
static uint64_t write_dtb_link(void *mem, bool rm_rpc)
{
	const struct guest_dtb d = {
		.base = MEM_BASE, .size = MEM_SIZE, .image_name = "conformance", .vcpus = 1,
		.psci = true, .rm_rpc = rm_rpc,
		/* as gunyahd's devicetree: without console-dev the real RM (and
		 * gh-rm-emu) give the VM no console, and its fds write -EPIPE */
		.console = rm_rpc,
	};
	uint64_t offset = MEM_SIZE - TEST_GUEST_DTB_SLOT;

	g_assert_cmpint(guest_dtb_write((char *) mem + offset, TEST_GUEST_DTB_SLOT, &d), ==, 0);
	return offset;
}


/* $GUNYAHD_TEST_PAYLOAD, if set, at the base of guest memory */
static void load_payload(void *mem)
{
	const char *path = g_getenv("GUNYAHD_TEST_PAYLOAD");
	ssize_t n;
	int fd;

	if (!path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	n = read(fd, mem, MEM_SIZE - TEST_GUEST_DTB_SLOT);
	g_assert_cmpint(n, >, 0);
	close(fd);
}

/* Regions + a devicetree the RM accepts: ready to START. */
static void prepare_bootable_link(struct test_hyp *f, bool rm_rpc)
{
	struct gh_userspace_memory_region main_mem = test_hyp_main_region(f);
	uint64_t offset;

	load_payload(f->mem);
	offset = write_dtb_link(f->mem, rm_rpc);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &main_mem), ==, 0);
	test_hyp_set_dtb(f, offset);
}

static void prepare_bootable(struct test_hyp *f)
{
	prepare_bootable_link(f, true);
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void wait_exit(struct test_hyp *f, struct gh_vm_status *st)
{
	g_assert_true(test_hyp_wait_exit(f, 10000, st));
}

static void test_create_arg(struct test_hyp *f, gconstpointer data)
{
	struct hyp_vm *vm = NULL;

	(void) data;
	g_assert_cmpint(hyp_create_vm(f->hyp, 1, &vm), ==, -EINVAL);
	g_assert_null(vm);
}

static void test_region_flags(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);

	(void) data;
	r.flags |= 1u << 4;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, -EINVAL);
	r.flags = 1u << 31;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, -EINVAL);
}

static void test_region_alignment(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);

	(void) data;
	r.memory_size = MEM_SIZE - 1;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, -EINVAL);
	r = test_hyp_main_region(f);
	r.userspace_addr += 8;
	r.memory_size -= PAGE;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, -EINVAL);
	r = test_hyp_main_region(f);
	r.guest_phys_addr += 0x800;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, -EINVAL);
	/* None of them was added: the aligned one still goes in. */
	r = test_hyp_main_region(f);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
}

static void test_region_duplicate_label(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);
	struct gh_userspace_memory_region s = {
		.label = 0, .flags = GH_MEM_ALLOW_READ, .guest_phys_addr = 0xc0000000,
		.memory_size = 2 * PAGE, .userspace_addr = (uintptr_t) f->shm,
	};

	(void) data;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, -EEXIST);
	s.label = 1;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, 0);
}

static void test_region_overlap(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);
	struct gh_userspace_memory_region s = {
		.label = 1, .flags = GH_MEM_ALLOW_READ, .memory_size = 2 * PAGE,
		.userspace_addr = (uintptr_t) f->shm,
	};

	(void) data;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
	s.guest_phys_addr = MEM_BASE + MEM_SIZE - PAGE;		/* last page overlaps */
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, -EEXIST);
	s.guest_phys_addr = MEM_BASE - PAGE;			/* first page overlaps */
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, -EEXIST);
	s.guest_phys_addr = MEM_BASE - 2 * PAGE;		/* touching below */
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, 0);
	s.label = 2;
	s.guest_phys_addr = MEM_BASE + MEM_SIZE;		/* touching above */
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, 0);
}

static void test_region_overflow(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region s = {
		.label = 1, .flags = GH_MEM_ALLOW_READ, .guest_phys_addr = ~0ull - PAGE + 1,
		.memory_size = 2 * PAGE, .userspace_addr = (uintptr_t) f->shm,
	};

	(void) data;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, -EOVERFLOW);
}

static void test_region_delete(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);
	struct gh_userspace_memory_region del = { .label = 0 };

	(void) data;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
	del.label = 7;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &del), ==, -ENODEV);
	del.label = 0;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &del), ==, 0);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &del), ==, -ENODEV);
	/* Label and range are free again. */
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
}

static void test_region_unmapped(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region s = {
		.label = 1, .flags = GH_MEM_ALLOW_READ, .guest_phys_addr = 0xc0000000,
		.memory_size = 2 * PAGE,
	};
	void *hole = test_guest_map(2 * PAGE);

	(void) data;
	munmap(hole, 2 * PAGE);
	s.userspace_addr = (uintptr_t) hole;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, -EFAULT);
}

static void test_dtb_overflow(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_dtb_config c = { .gpa = ~0ull - PAGE + 1, .size = 2 * PAGE };

	(void) data;
	g_assert_cmpint(hyp_vm_set_dtb_config(f->vm, &c), ==, -EOVERFLOW);
}

static void test_start_without_dtb(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);

	(void) data;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), <, 0);
	/* A failed VM cannot start again: close it and create a new one. */
	g_assert_cmpint(hyp_vm_start(f->vm), ==, -EINVAL);
}

static void test_start_dtb_outside(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);
	struct gh_vm_dtb_config c = { .gpa = MEM_BASE + MEM_SIZE - PAGE, .size = 2 * PAGE };

	(void) data;
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
	g_assert_cmpint(hyp_vm_set_dtb_config(f->vm, &c), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, -EINVAL);
}

static void test_start_bad_dtb(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region r = test_hyp_main_region(f);
	struct gh_vm_dtb_config c = { .gpa = MEM_BASE + MEM_SIZE / 2, .size = PAGE };

	(void) data;
	/* Zero bytes are not a devicetree: the RM's VM_INIT refuses it. */
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &r), ==, 0);
	g_assert_cmpint(hyp_vm_set_dtb_config(f->vm, &c), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, -EINVAL);
}

static void test_start_runs(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_status st;

	(void) data;
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_get_status(f->vm, &st), ==, 0);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_RUNNING);
	g_assert_cmpuint(st.exit_status, ==, GH_VM_EXIT_STATUS_NONE);
	g_assert_cmpuint(st.vmid, >=, 0x80);
	g_assert_cmpuint(st.vmid, <=, 0xbf);
	/* A repeated START does nothing and succeeds. */
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
}

static void test_no_changes_after_start(struct test_hyp *f, gconstpointer data)
{
	struct gh_userspace_memory_region s = {
		.label = 1, .flags = GH_MEM_ALLOW_READ, .guest_phys_addr = 0xc0000000,
		.memory_size = 2 * PAGE, .userspace_addr = (uintptr_t) f->shm,
	};
	struct gh_vm_dtb_config c = { .gpa = MEM_BASE, .size = PAGE };

	(void) data;
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_set_user_mem_region(f->vm, &s), ==, -EBUSY);
	g_assert_cmpint(hyp_vm_set_dtb_config(f->vm, &c), ==, -EBUSY);
}

static void test_poll_rearms(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_status st;
	int fd;

	(void) data;
	prepare_bootable(f);
	fd = hyp_vm_get_fd(f->vm);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(hyp_vm_get_status(f->vm, &st), ==, 0);
	g_assert_false(fd_readable(fd, 0));
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_true(fd_readable(fd, 2000));
	g_assert_cmpint(hyp_vm_get_status(f->vm, &st), ==, 0);
	g_assert_false(fd_readable(fd, 0));
}

static void test_stop_rules(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_stop stop = { .flags = 1u << 1 };

	(void) data;
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, -EINVAL);	/* reserved flag */
	stop.flags = GH_VM_STOP_FORCE;
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, -EINVAL);	/* not running */
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	stop.flags = 1u << 1;
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, -EINVAL);
}

static void test_forced_stop(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE };
	struct gh_vm_status st;

	(void) data;
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, 0);
	wait_exit(f, &st);
	g_assert_cmpuint(st.exit_status, ==, GH_VM_EXIT_STATUS_EXITED);
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_EXITED);
	/* Exited: stopping again is refused. */
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, -EINVAL);
}

static void test_graceful_stop(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_stop stop = { .flags = 0 };
	struct gh_vm_status st;

	(void) data;
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, 0);
	/* The default guest honours the request and powers off. */
	wait_exit(f, &st);
	g_assert_cmpuint(st.exit_status, ==, GH_VM_EXIT_STATUS_EXITED);
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF);
}

/*
 * Without an RM-RPC link the RM cannot ask the guest (the real RM exits):
 * a graceful stop is refused with ENOLINK and changes nothing; a forced
 * stop still works.
 */
static void test_graceful_stop_needs_link(struct test_hyp *f, gconstpointer data)
{
	struct gh_vm_stop graceful = { .flags = 0 }, force = { .flags = GH_VM_STOP_FORCE };
	struct gh_vm_status st;

	(void) data;
	prepare_bootable_link(f, false);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	g_assert_cmpint(hyp_vm_stop(f->vm, &graceful), ==, -ENOLINK);
	g_assert_cmpint(hyp_vm_get_status(f->vm, &st), ==, 0);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_RUNNING);
	g_assert_cmpint(hyp_vm_stop(f->vm, &force), ==, 0);
	wait_exit(f, &st);
	g_assert_cmpuint(st.exit_type, ==, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED);
}

static void test_destroy_running(struct test_hyp *f, gconstpointer data)
{
	struct hyp_vm *vm2 = NULL;
	struct gh_vm_status st;

	(void) data;
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	f->vm = hyp_vm_destroy(f->vm);
	/* The memory is the host's again. */
	memset(f->mem, 0x5a, MEM_SIZE);
	g_assert_cmpint(hyp_create_vm(f->hyp, 0, &vm2), ==, 0);
	g_assert_cmpint(hyp_vm_get_status(vm2, &st), ==, 0);
	g_assert_cmpuint(st.rm_status, ==, GH_RM_VM_STATUS_LOAD);
	f->vm = vm2;
}

static bool has_console(const struct test_hyp *f)
{
	return hyp_features(f->hyp) & HYP_FEATURE_CONSOLE;
}

/*
 * Everything the console yields until its end (read() == 0), polling its
 * fd between reads, appended to out. False when it did not end in 10 s.
 */
static bool console_read_to_end(struct hyp_console *c, GString *out)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char buf[4096];

	while (g_get_monotonic_time() < deadline) {
		ssize_t n = hyp_console_read(c, buf, sizeof(buf));

		if (n == 0)
			return true;
		if (n > 0)
			g_string_append_len(out, buf, n);
		else if (n == -EAGAIN)
			(void) fd_readable(hyp_console_get_fd(c), 100);
		else
			g_error("console read: %s", g_strerror((int) -n));
	}
	return false;
}

/* Without the extension: -ENOTTY, and Features says so; with it, a pollable fd. */
static void test_console_open(struct test_hyp *f, gconstpointer data)
{
	_cleanup_(hyp_console_closep) struct hyp_console *c = NULL;
	int r;

	(void) data;
	r = hyp_vm_open_console(f->vm, &c);
	if (!has_console(f)) {
		g_assert_cmpint(r, ==, -ENOTTY);
		return;
	}
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpint(hyp_console_get_fd(c), >=, 0);
	/* Nothing yet before START: a non-blocking read says so. */
	g_assert_cmpint(hyp_console_read(c, (char[16]) {}, 16), ==, -EAGAIN);
}

/*
 * Two consoles read the same output at their own positions; after the
 * exit, reads end (0) once drained and input is refused (EPIPE).
 */
static void test_console_lifecycle(struct test_hyp *f, gconstpointer data)
{
	_cleanup_(hyp_console_closep) struct hyp_console *a = NULL, *b = NULL;
	struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE };
	g_autoptr(GString) out_a = g_string_new(NULL), out_b = g_string_new(NULL);
	struct gh_vm_status st;
	uint64_t lost = 1;
	ssize_t n;

	(void) data;
	if (!has_console(f)) {
		g_assert_cmpint(hyp_vm_open_console(f->vm, &a), ==, -ENOTTY);
		return;
	}
	prepare_bootable(f);
	g_assert_cmpint(hyp_vm_open_console(f->vm, &a), ==, 0);
	g_assert_cmpint(hyp_vm_start(f->vm), ==, 0);
	for (int i = 0; (n = hyp_console_write(a, "ping\n", 5)) == -EAGAIN && i < 100; i++)
		g_usleep(10000);	/* the RM's queue is full for a moment */
	g_assert_cmpint(n, ==, 5);
	/* Opened late, b still reads from the first byte the ring holds. */
	g_assert_cmpint(hyp_vm_open_console(f->vm, &b), ==, 0);
	g_assert_cmpint(hyp_vm_stop(f->vm, &stop), ==, 0);
	wait_exit(f, &st);
	g_assert_true(console_read_to_end(a, out_a));
	g_assert_true(console_read_to_end(b, out_b));
	g_assert_cmpstr(out_a->str, ==, out_b->str);
	if (hyp_kind(f->hyp) == HYP_KIND_SIM) {
		/* The sim guest's banner names it (image-name), then its echo. */
		g_assert_nonnull(strstr(out_a->str, "'conformance' booted"));
		g_assert_true(g_str_has_suffix(out_a->str, "ping\n"));
	}
	/* At its end: readable (poll says so), 0 again, input refused. */
	g_assert_true(fd_readable(hyp_console_get_fd(a), 0));
	g_assert_cmpint(hyp_console_read(a, (char[16]) {}, 16), ==, 0);
	g_assert_cmpint(hyp_console_write(a, "x", 1), ==, -EPIPE);
	g_assert_cmpint(hyp_console_get_lost(a, &lost), ==, 0);
	g_assert_cmpuint(lost, ==, 0);
}

static void test_vm_limit(struct test_hyp *f, gconstpointer data)
{
	struct hyp_vm *vms[62] = {};
	struct hyp_vm *extra = NULL;
	uint64_t seen = 0;

	(void) data;
	/* The fixture holds one VM already: 63 in all, the RM's 0x80..0xBE. */
	for (int i = 0; i < 62; i++)
		g_assert_cmpint(hyp_create_vm(f->hyp, 0, &vms[i]), ==, 0);
	g_assert_cmpint(hyp_create_vm(f->hyp, 0, &extra), ==, -ENODEV);
	for (int i = 0; i < 62; i++) {
		struct gh_vm_status st;

		g_assert_cmpint(hyp_vm_get_status(vms[i], &st), ==, 0);
		g_assert_cmpuint(st.vmid, >=, 0x80);
		g_assert_cmpuint(st.vmid, <=, 0xbe);
		g_assert_false(seen & (1ull << (st.vmid - 0x80)));
		seen |= 1ull << (st.vmid - 0x80);
	}
	vms[10] = hyp_vm_destroy(vms[10]);
	g_assert_cmpint(hyp_create_vm(f->hyp, 0, &extra), ==, 0);
	hyp_vm_destroy(extra);
	for (int i = 0; i < 62; i++)
		hyp_vm_destroy(vms[i]);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *path;
		void (*fn)(struct test_hyp *, gconstpointer);
	} tests[] = {
		{ "/hyp/create/arg-must-be-zero", test_create_arg },
		{ "/hyp/region/reserved-flags", test_region_flags },
		{ "/hyp/region/alignment", test_region_alignment },
		{ "/hyp/region/duplicate-label", test_region_duplicate_label },
		{ "/hyp/region/overlap", test_region_overlap },
		{ "/hyp/region/overflow", test_region_overflow },
		{ "/hyp/region/delete-by-label", test_region_delete },
		{ "/hyp/region/unmapped", test_region_unmapped },
		{ "/hyp/dtb/overflow", test_dtb_overflow },
		{ "/hyp/start/without-dtb", test_start_without_dtb },
		{ "/hyp/start/dtb-outside-parcel", test_start_dtb_outside },
		{ "/hyp/start/bad-dtb", test_start_bad_dtb },
		{ "/hyp/start/runs", test_start_runs },
		{ "/hyp/start/frozen-after-start", test_no_changes_after_start },
		{ "/hyp/status/poll-rearms", test_poll_rearms },
		{ "/hyp/stop/rules", test_stop_rules },
		{ "/hyp/stop/forced", test_forced_stop },
		{ "/hyp/stop/graceful", test_graceful_stop },
		{ "/hyp/stop/graceful-needs-rm-rpc", test_graceful_stop_needs_link },
		{ "/hyp/destroy/running", test_destroy_running },
		{ "/hyp/create/vm-limit", test_vm_limit },
		{ "/hyp/console/open", test_console_open },
		{ "/hyp/console/lifecycle", test_console_lifecycle },
	};

	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].path, struct test_hyp, NULL, test_hyp_setup, tests[i].fn,
			   test_hyp_teardown);
	return g_test_run();
}
