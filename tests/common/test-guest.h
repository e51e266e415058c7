/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest memory and a devicetree the RM accepts, for backend tests. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define TEST_GUEST_DTB_SLOT (64u * 1024)	/* bytes reserved for the blob + RM overlay */

/* Zeroed shared memory (a memfd mapping, like the daemon's); asserts on failure. */
void *test_guest_map(size_t size);

/*
 * Writes a minimal devicetree that the RM's VM_INIT accepts (one vCPU,
 * memory at base) into the last TEST_GUEST_DTB_SLOT bytes of mem, page
 * aligned, and returns its offset in mem. shm_label != 0 adds an shm
 * vdevice for that label at 0xc0000000.
 */
uint64_t test_guest_write_dtb(void *mem, size_t size, uint64_t base, uint32_t shm_label);
