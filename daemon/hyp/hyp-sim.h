/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmdef.h"

/*
 * Parses a $GUNYAHD_SIM spec: comma-separated key=value pairs with the keys
 * of a definition's `simulate` block, e.g.
 * "exit-after=200ms,exit-type=watchdog-bite" or "start=fail,start-errno=ETIMEDOUT".
 */
int hyp_sim_parse_spec(const char *spec, struct vmdef_sim *ret);
