/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer entry point, shared by every harness in tests/fuzz/ and by the
 * replay driver (fuzz-main.c) that runs them as meson smoke tests.
 */
#ifndef GUNYAHD_FUZZ_H
#define GUNYAHD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* A broken invariant is a finding: abort, as a memory error would. */
#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* GUNYAHD_FUZZ_H */
