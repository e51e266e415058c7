/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A live VM's console, read on the loop: the output goes into a ring in
 * memory (its tail: VM1.GetConsoleOutput), into the log file
 * (console-log.c) and to every attached client (VM1.OpenConsole, one end
 * of a socketpair each); input from any client goes to the guest.
 *
 * Nothing here waits: the backend's console and the clients' sockets are
 * non-blocking, each read callback takes at most CONSOLE_READ_BUDGET bytes
 * before the loop serves others, and every buffer is bounded. Output a
 * slow client cannot take is dropped for that client (counted); output
 * the backend's ring overtook before the daemon read it is the console's
 * lost count (VM1.ConsoleBytesLost).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

struct event_base;
struct hyp_console;
struct console;

#define CONSOLE_READ_BUDGET	(64u * 1024)	/* bytes per read callback */
#define CONSOLE_CLIENT_QUEUE	(64u * 1024)	/* bytes of output queued per client */
#define CONSOLE_INPUT_QUEUE	4096u		/* bytes of input queued for the guest */
#define CONSOLE_CLIENTS_MAX	16		/* attached at once */

struct console_settings {
	const char *name;		/* the VM's */
	uint64_t ring_size;		/* bytes */
	const char *log_dir;		/* NULL: no log file */
	uint64_t log_max_size;		/* bytes per log file */
	/* The lost count changed (coalesced: at most every 100 ms). */
	void (*lost_changed)(void *userdata);
	void *userdata;
};

/*
 * Takes hc (closed on failure too) and reads it from now on. A log file
 * that cannot be opened is logged and left out; the console works without.
 */
int console_new(struct event_base *base, struct hyp_console *hc,
		const struct console_settings *s, struct console **ret);
/* Reads what the backend holds now, then closes every client and the backend's console. */
struct console *console_free(struct console *c);
GH_DEFINE_FREEP(struct console, console_free)

/* Reads what the backend holds now (bounded), so that a tail is up to date. */
void console_drain(struct console *c);
/*
 * A new client: returns its end of a socketpair (the caller owns it).
 * -EMFILE past CONSOLE_CLIENTS_MAX.
 */
int console_attach(struct console *c, int *ret_fd);
/* The last at most max bytes of output (0: all the ring holds), malloc'd. */
int console_tail(const struct console *c, uint64_t max, void **ret, size_t *ret_size);
/*
 * The last at most lines lines and max_bytes bytes of output as one line
 * of text, control characters escaped ("\n" between lines), for a log
 * message; NULL when there was none.
 */
char *console_tail_text(const struct console *c, unsigned lines, size_t max_bytes);
uint64_t console_bytes_lost(const struct console *c);
/* The backend's console fd (for systemd's fd store, vm-store.h), or -EBADF. */
int console_backend_fd(const struct console *c);
