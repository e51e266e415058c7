/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wiring of gunyah.ko: one transport feeds one RM client, which serves one
 * VM manager (/dev/gunyah).
 */
#ifndef GH_CORE_H
#define GH_CORE_H

#include <linux/moduleparam.h>

#include "msgq.h"

struct gh_core;

struct gh_core *gh_core_up(struct gh_msgq *q);
void gh_core_down(struct gh_core *core);

/* Read-only module parameters that show an atomic_long_t counter */
extern const struct kernel_param_ops gh_param_ops_counter;

#endif /* GH_CORE_H */
