/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the harnesses that build devicetrees (fuzz-vmdef, fuzz-dtb-overlay):
 * the same inputs must give the same outcome, byte for byte.
 */
#ifndef GUNYAHD_FUZZ_DTB_H
#define GUNYAHD_FUZZ_DTB_H

#include <string.h>
#include <systemd/sd-bus.h>

#include "dtb.h"
#include "fuzz.h"

/* Builds def's devicetree again and aborts unless it comes out as (r, blob, size, error) did. */
static inline void fuzz_dtb_check_again(const struct vmdef *def, const struct dtb_inputs *in,
					int r, const void *blob, size_t size,
					const sd_bus_error *error)
{
	sd_bus_error error2 = SD_BUS_ERROR_NULL;
	void *blob2 = NULL;
	size_t size2 = 0;
	int r2;

	r2 = dtb_build(def, in, &blob2, &size2, &error2);
	CHECK(r2 == r);
	if (r == 0)
		CHECK(size2 == size && memcmp(blob, blob2, size) == 0);
	else
		CHECK(strcmp(error->name, error2.name) == 0 &&
		      strcmp(error->message, error2.message) == 0);
	free(blob2);
	sd_bus_error_free(&error2);
}

#endif /* GUNYAHD_FUZZ_DTB_H */
