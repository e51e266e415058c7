/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM's console log file, DIR/NAME.log, capped in size: past the cap
 * NAME.log becomes NAME.log.1 (replacing the previous one) and a new
 * NAME.log begins, so a VM never holds more than twice the cap on disk.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

struct console_log;

/* Opens (appends to) dir/name.log; max_size bytes per file, at least 1. */
int console_log_open(const char *dir, const char *name, uint64_t max_size,
		     struct console_log **ret);
/*
 * Appends n bytes, rotating at the cap. A failure is logged once (the
 * output is then left out of the file and counted); never returns one.
 */
void console_log_write(struct console_log *l, const void *buf, size_t n);
/* Bytes the file did not get because writing failed. */
uint64_t console_log_dropped(const struct console_log *l);
const char *console_log_path(const struct console_log *l);
struct console_log *console_log_free(struct console_log *l);
GH_DEFINE_FREEP(struct console_log, console_log_free)
