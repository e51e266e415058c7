/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real gunyahd on a private dbus-daemon, for bench-dbus and
 * bench-startup: a temporary directory with a configuration file, a
 * definitions directory and the kernel images of the definitions; the bus
 * (tests/dbus/test-bus.conf); gunyahd --backend=sim started as systemd
 * starts a Type=notify unit, with a NOTIFY_SOCKET this process reads.
 *
 * Every function prints what went wrong (with the daemon's log when the
 * daemon is at fault) and returns a negative errno; 0 on success.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

struct bench_daemon {
	const char *prog;		/* prefix of messages */
	const char *gunyahd;		/* the binary */
	const char *bus_conf;		/* dbus-daemon --config-file */
	char dir[64];			/* mkdtemp */
	char defs[96];			/* dir/vms.d */
	char config[96];		/* dir/gunyahd.yaml */
	char log_path[96];		/* dir/gunyahd.log: the daemon's stdout and stderr */
	char notify_path[96];		/* dir/notify */
	char bus_log_path[96];		/* dir/bus.log: dbus-daemon's stderr */
	char *bus_address;
	pid_t bus_pid;
	pid_t pid;
	int notify_fd;
};

/*
 * Takes the binaries from the environment meson sets (GUNYAHD_BINARY,
 * TEST_BUS_CONF) and creates the directory and the notify socket.
 */
int bench_daemon_init(struct bench_daemon *d, const char *prog);

/* Writes vms.d/NAME.yaml, a 16 MiB one-vCPU VM with its own 64 KiB kernel. */
int bench_daemon_define(struct bench_daemon *d, const char *name);

/* Writes a 64 KiB arm64 Image (a valid header, deterministic bytes). */
int bench_write_kernel(const char *path);

/* Starts the private bus; d->bus_address is its address. */
int bench_bus_start(struct bench_daemon *d);

/* SIGTERM to the bus, and reaps it. */
void bench_bus_stop(struct bench_daemon *d);

/*
 * Spawns gunyahd and waits for READY=1 on the notify socket (at most
 * timeout_ms). *ret_ms (may be NULL) is the time from just before fork() to
 * the datagram that carried READY=1.
 */
int bench_daemon_start(struct bench_daemon *d, int timeout_ms, double *ret_ms);

/* A client connection to the private bus. */
int bench_bus_connect(struct bench_daemon *d, sd_bus **ret);

/* VmRSS of the daemon in KiB, from /proc/PID/status. */
int bench_daemon_rss_kib(struct bench_daemon *d, long *ret);

/* SIGTERM; fails unless the daemon exits with status 0 within 30 s. */
int bench_daemon_stop(struct bench_daemon *d);

/* Kills whatever still runs, removes the directory, frees. */
void bench_daemon_fini(struct bench_daemon *d);

/* Prints the daemon's log to stderr. */
void bench_daemon_print_log(struct bench_daemon *d);

double bench_now_ms(void);

/* Sorts v and returns the q-quantile (0..1, nearest rank). */
double bench_quantile(double *v, size_t n, double q);
