/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xorshift64*: the deterministic generator of the seeded tests (the fuzz
 * replay driver, the in-guest random ioctl test), so that one seed gives
 * one sequence on every build and architecture. The state must not be 0.
 */
#ifndef GUNYAHD_TESTS_XORSHIFT_H
#define GUNYAHD_TESTS_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

#endif /* GUNYAHD_TESTS_XORSHIFT_H */
