/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Nothing gunyahctl prints can drive the terminal it prints to. VM names in
 * errors, reasons, paths and messages come from gunyahd, from callers and
 * from whoever wrote a definition: on a terminal, every control character
 * but newline and tab goes out as "\xNN", and the C1 controls (UTF-8
 * U+0080..U+009F) as "\u00NN". A pipe or a file gets the bytes unchanged.
 */
#pragma once

#include <stdio.h>

/*
 * Puts the guard in front of stdout and stderr where they are terminals.
 * Call before anything is written. 0, or a negative errno (nothing changed).
 */
int ctl_terminal_guard(void);
/* Flushes and closes the guard, giving stdout and stderr back: 0 or -EIO. */
int ctl_terminal_release(void);

/* The escaping itself, for one stream; exposed for tests. */
FILE *ctl_terminal_escaping_stream(int fd, const char *mode);

/*
 * Columns that standard output has: $COLUMNS when set to a positive number,
 * else the terminal's width; 0 (no limit) when it is not a terminal.
 */
unsigned int ctl_terminal_columns(void);
