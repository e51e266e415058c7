/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real gunyahd on a private dbus-daemon, in plain C: the one spawner
 * under tests/dbus/test-daemon.c (GLib, asserting) and bench/bench-daemon.c.
 *
 * A temporary directory holds the definitions (vms.d), the kernel images,
 * optionally a configuration file, the daemon's log and the NOTIFY_SOCKET;
 * the bus runs with $TEST_BUS_CONF; gunyahd --backend=sim ($GUNYAHD_BINARY)
 * starts as systemd starts a Type=notify unit and is ready at READY=1.
 * $GUNYAHD_TEST_WRAPPER, when set (e.g. "valgrind -q --error-exitcode=99"),
 * is split at spaces and prepended to the daemon's command line.
 *
 * Every function prints "PROG: what went wrong" to stderr (with the
 * daemon's log when the daemon is at fault) and returns a negative errno;
 * 0 on success. Exceptions are said where they are declared.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct daemon_spawn {
	const char *prog;		/* prefix of messages */
	const char *gunyahd;		/* the binary */
	const char *bus_conf;		/* dbus-daemon --config-file */
	const char *wrapper;		/* $GUNYAHD_TEST_WRAPPER, or NULL */
	char dir[128];			/* mkdtemp */
	char defs[160];			/* dir/vms.d */
	char config[160];		/* dir/gunyahd.yaml, passed once written */
	char log_path[160];		/* dir/gunyahd.log: the daemon's stdout and stderr */
	char notify_path[160];		/* dir/notify */
	char bus_log_path[160];		/* dir/bus.log: dbus-daemon's stderr */
	char *bus_address;
	pid_t bus_pid;
	pid_t pid;			/* gunyahd (or its wrapper); 0 when none runs */
	int status;			/* wait status of the last daemon reaped */
	int notify_fd;
	bool has_config;		/* pass --config=config (daemon_spawn_write_config) */

	/* Set before daemon_spawn_start. */
	unsigned long watchdog_usec;	/* WATCHDOG_USEC of the daemon; 0: none */
	const char *const *env;		/* NULL-terminated extra "KEY=value", each key once */
	bool no_definitions_arg;	/* no --definitions: the configuration names it */
	bool append_log;		/* keep the log of earlier daemons (else truncated) */
	/* Called with every sd_notify datagram daemon_spawn_start receives. */
	void (*on_notify)(const char *msg, void *userdata);
	void *userdata;
};

/*
 * Takes the binaries from the environment meson sets (GUNYAHD_BINARY,
 * TEST_BUS_CONF) and creates $TMPDIR/PREFIX-XXXXXX with vms.d and the
 * notify socket.
 */
int daemon_spawn_init(struct daemon_spawn *d, const char *prog, const char *prefix);

/* Kills whatever still runs, removes the directory (its error returned), frees. */
int daemon_spawn_fini(struct daemon_spawn *d);

/* Writes config (YAML) to d->config; daemon_spawn_start passes it from now on. */
int daemon_spawn_write_config(struct daemon_spawn *d, const char *yaml);

/*
 * Writes vms.d/NAME.yaml: a one-vCPU VM of mem_mib MiB at 0x80000000 with
 * this kernel, plus the YAML lines of extra (may be NULL).
 */
int daemon_spawn_define(struct daemon_spawn *d, const char *name, unsigned mem_mib,
			const char *kernel, const char *extra);

/* Writes len bytes to path (created or truncated). Prints nothing. */
int daemon_spawn_write_file(const char *path, const void *buf, size_t len);
/* Writes size deterministic bytes ((uint8_t) (i * 7)). Prints nothing. */
int daemon_spawn_write_pattern(const char *path, size_t size);
/* The same with a valid arm64 Image header (size at least 64). Prints nothing. */
int daemon_spawn_write_kernel(const char *path, size_t size);

/* Starts the private bus; d->bus_address is its address. */
int daemon_spawn_bus_start(struct daemon_spawn *d);
/* SIGTERM to the bus, and reaps it. */
void daemon_spawn_bus_stop(struct daemon_spawn *d);

/*
 * Spawns gunyahd on the bus with these extra arguments (NULL-terminated; may
 * be NULL) and waits for READY=1 on the notify socket (at most timeout_ms).
 * *ret_ms (may be NULL) is the time from just before fork() to the datagram
 * that carried READY=1.
 */
int daemon_spawn_start(struct daemon_spawn *d, const char *const *args, int timeout_ms,
		       double *ret_ms);

/*
 * The next sd_notify datagram into buf (NUL-terminated), waiting until
 * deadline_ms (daemon_spawn_now_ms()): its length, -ETIMEDOUT, or -ECHILD
 * when the daemon exited (reaped: d->pid is 0, d->status says how). Prints
 * nothing: a timeout may be what the caller expects.
 */
int daemon_spawn_recv_notify(struct daemon_spawn *d, double deadline_ms, char *buf,
			     size_t size);

/*
 * SIGTERM, then reaps the daemon into d->status; timeout_ms < 0 waits as
 * long as it takes, else the daemon is killed (and -ETIMEDOUT) after
 * timeout_ms. -ESRCH (silently) when no daemon runs. The exit status is the
 * caller's to judge.
 */
int daemon_spawn_stop(struct daemon_spawn *d, int timeout_ms);
/* SIGKILL, and reaps it; nothing when no daemon runs. */
void daemon_spawn_kill(struct daemon_spawn *d);

/* The daemon's log (malloc'd; "" when there is none yet); NULL without memory. */
char *daemon_spawn_read_log(struct daemon_spawn *d);
/* Prints the daemon's log to stderr. */
void daemon_spawn_print_log(struct daemon_spawn *d);

/* CLOCK_MONOTONIC in ms. */
double daemon_spawn_now_ms(void);
