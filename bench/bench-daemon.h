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
 * What the benchmarks add to the spawner of tests/common/daemon-spawn.h
 * (struct daemon_spawn, daemon_spawn_start(), _bus_start(), _now_ms() ...,
 * which they call directly): their own configuration and definitions, a
 * client connection, the daemon's /proc figures, a stop that must be clean.
 */

/*
 * Takes the binaries from the environment meson sets (GUNYAHD_BINARY,
 * TEST_BUS_CONF) and creates the directory and the notify socket.
 */
int bench_daemon_init(struct daemon_spawn *d, const char *prog);

/* Writes vms.d/NAME.yaml, a 16 MiB one-vCPU VM with its own 64 KiB kernel. */
int bench_daemon_define(struct daemon_spawn *d, const char *name);
/* The same with mem_mib MiB of memory and a kernel file of kernel_bytes. */
int bench_daemon_define_sized(struct daemon_spawn *d, const char *name, unsigned mem_mib,
			      size_t kernel_bytes);

/* Writes a 64 KiB arm64 Image (a valid header, deterministic bytes). */
int bench_write_kernel(const char *path);

/* A client connection to the private bus. */
int bench_bus_connect(struct daemon_spawn *d, sd_bus **ret);

/* A "Field: N kB" line of the daemon's /proc/PID/status (VmRSS, RssAnon, RssShmem). */
int bench_daemon_status_kib(struct daemon_spawn *d, const char *field, long *ret);
/* VmRSS of the daemon in KiB. */
int bench_daemon_rss_kib(struct daemon_spawn *d, long *ret);
/*
 * Context switches of every thread of the daemon so far: voluntary (it
 * blocked, and woke again) and involuntary (preempted while running).
 */
int bench_daemon_ctxt_switches(struct daemon_spawn *d, unsigned long long *ret_voluntary,
			       unsigned long long *ret_involuntary);

/* SIGTERM; fails unless the daemon exits with status 0 within 30 s. */
int bench_daemon_stop(struct daemon_spawn *d);

/* Sorts v and returns the q-quantile (0..1, nearest rank). */
double bench_quantile(double *v, size_t n, double q);
