/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The arm64 guest's tests/daemon/test-hyp-conformance is cross-linked
 * statically with the kernel backend only (tests/qemu/suite.sh): this stub
 * stands in for daemon/hyp/hyp-sim.c, so that neither it nor its YAML and
 * libevent dependencies need arm64 builds. The guest runs the suite with
 * GUNYAHD_TEST_BACKEND=kernel, which never calls it.
 */
#include <errno.h>

#include "hyp.h"

int hyp_sim_new(struct hyp **ret)
{
	(void) ret;
	return -EOPNOTSUPP;
}
