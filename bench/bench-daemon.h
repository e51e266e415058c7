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

#include "daemon-spawn.h"

/*
 * The spawner of tests/common/daemon-spawn.h, under the benchmarks' name:
 * its fields (dir, defs, pid, notify_fd, watchdog_usec, ...) are theirs.
 */
#define bench_daemon daemon_spawn

/*
 * Takes the binaries from the environment meson sets (GUNYAHD_BINARY,
 * TEST_BUS_CONF) and creates the directory and the notify socket.
 */
int bench_daemon_init(struct bench_daemon *d, const char *prog);

/* Writes vms.d/NAME.yaml, a 16 MiB one-vCPU VM with its own 64 KiB kernel. */
int bench_daemon_define(struct bench_daemon *d, const char *name);
/* The same with mem_mib MiB of memory and a kernel file of kernel_bytes. */
int bench_daemon_define_sized(struct bench_daemon *d, const char *name, unsigned mem_mib,
			      size_t kernel_bytes);

/* Writes a 64 KiB arm64 Image (a valid header, deterministic bytes). */
int bench_write_kernel(const char *path);
/* The same, size bytes long (at least 64). */
int bench_write_kernel_sized(const char *path, size_t size);

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

/* A "Field: N kB" line of the daemon's /proc/PID/status (VmRSS, RssAnon, RssShmem). */
int bench_daemon_status_kib(struct bench_daemon *d, const char *field, long *ret);
/* VmRSS of the daemon in KiB. */
int bench_daemon_rss_kib(struct bench_daemon *d, long *ret);
/*
 * Context switches of every thread of the daemon so far: voluntary (it
 * blocked, and woke again) and involuntary (preempted while running).
 */
int bench_daemon_ctxt_switches(struct bench_daemon *d, unsigned long long *ret_voluntary,
			       unsigned long long *ret_involuntary);

/* SIGTERM; fails unless the daemon exits with status 0 within 30 s. */
int bench_daemon_stop(struct bench_daemon *d);

/* Kills whatever still runs, removes the directory, frees. */
void bench_daemon_fini(struct bench_daemon *d);

/* Prints the daemon's log to stderr. */
void bench_daemon_print_log(struct bench_daemon *d);

double bench_now_ms(void);

/* Sorts v and returns the q-quantile (0..1, nearest rank). */
double bench_quantile(double *v, size_t n, double q);
