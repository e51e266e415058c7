/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <libfdt.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest-dtb.h"
#include "test-guest.h"

void *test_guest_map(size_t size)
{
	int fd = memfd_create("test-guest", MFD_CLOEXEC);
	void *p;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, (off_t) size), ==, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	g_assert_true(p != MAP_FAILED);
	close(fd);
	return p;
}

uint64_t test_guest_write_dtb(void *mem, size_t size, uint64_t base, uint32_t shm_label)
{
	const struct guest_dtb d = {
		.base = base, .size = size, .image_name = "conformance", .vcpus = 1,
		.shm_label = shm_label, .shm_base = 0xc0000000,
		.rm_rpc = true,		/* as gunyahd's: a graceful stop can reach the guest */
	};
	uint64_t offset = size - TEST_GUEST_DTB_SLOT;

	g_assert_cmpint(guest_dtb_write((char *) mem + offset, TEST_GUEST_DTB_SLOT, &d), ==, 0);
	return offset;
}
