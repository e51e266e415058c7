/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-startup: gunyahd's start-up with 64 VM definitions against 1
 * (DESIGN §10). Each definition is a 16 MiB one-vCPU VM with its own
 * 64 KiB kernel file (bench-daemon.c). Per run: a fresh private
 * dbus-daemon, then gunyahd --backend=sim spawned as systemd spawns a
 * Type=notify unit; timed from just before fork() to READY=1 on its
 * NOTIFY_SOCKET. Right after READY=1 the daemon's VmRSS is read from
 * /proc/PID/status; then VMCount is checked over D-Bus and the daemon is
 * stopped with SIGTERM (it must exit 0).
 *
 * One untimed run of each first (page cache, dynamic loader), then R runs
 * of each, alternating. Prints the best time and the median RSS of each
 * and the 64/1 ratios as "name value unit" lines. Timing never fails the
 * run; a daemon that fails, lists the wrong number of VMs or does not
 * exit 0 does (exit 1).
 *
 *   GUNYAHD_BINARY=... TEST_BUS_CONF=... bench-startup [-r R]    (default 7)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "util/cleanup.h"

#include "bench-daemon.h"

#define PROG		"bench-startup"
#define MAX_RUNS	100
#define READY_TIMEOUT_MS 60000

struct setup {
	const char *name;	/* "64", "1" */
	unsigned n_vms;
	struct daemon_spawn d;
	double ms[MAX_RUNS];
	double rss[MAX_RUNS];
};

static int check_vm_count(struct daemon_spawn *d, unsigned expected)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	uint32_t n = 0;
	int r;

	r = bench_bus_connect(d, &bus);
	if (r < 0)
		return r;
	r = sd_bus_get_property_trivial(bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
					GH_DBUS_MANAGER_INTERFACE, "VMCount", &error, 'u', &n);
	if (r < 0)
		fprintf(stderr, PROG ": VMCount: %s\n", error.message ?: strerror(-r));
	else if (n != expected) {
		fprintf(stderr, PROG ": gunyahd defines %u VM(s), expected %u:\n", n, expected);
		daemon_spawn_print_log(d);
		r = -EBADMSG;
	}
	sd_bus_error_free(&error);
	sd_bus_flush_close_unref(bus);
	return r;
}

/* One start; its time and RSS stored at index i unless i < 0 (warm-up). */
static int run_once(struct setup *s, int i)
{
	struct daemon_spawn *d = &s->d;
	double ms;
	long rss;
	int r;

	r = daemon_spawn_bus_start(d);
	if (r < 0)
		return r;
	r = daemon_spawn_start(d, NULL, READY_TIMEOUT_MS, &ms);
	if (r >= 0) {
		r = bench_daemon_rss_kib(d, &rss);
		if (r < 0)
			fprintf(stderr, PROG ": VmRSS of %d: %s\n", (int) d->pid, strerror(-r));
	}
	if (r >= 0)
		r = check_vm_count(d, s->n_vms);
	if (d->pid > 0 && bench_daemon_stop(d) < 0 && r >= 0)
		r = -EIO;
	daemon_spawn_bus_stop(d);
	if (r >= 0 && i >= 0) {
		s->ms[i] = ms;
		s->rss[i] = (double) rss;
	}
	return r;
}

static int setup_init(struct setup *s)
{
	char name[16];
	int r;

	r = bench_daemon_init(&s->d, PROG);
	for (unsigned i = 0; r >= 0 && i < s->n_vms; i++) {
		snprintf(name, sizeof(name), "vm%02u", i);
		r = bench_daemon_define(&s->d, name);
	}
	return r;
}

int main(int argc, char **argv)
{
	static struct setup setups[] = {
		{ .name = "64", .n_vms = 64 },
		{ .name = "1", .n_vms = 1 },
	};
	double best[2], rss[2];
	unsigned long runs = 7;
	int c, r = 0;

	while ((c = getopt(argc, argv, "r:")) >= 0) {
		char *end;

		if (c != 'r') {
			fprintf(stderr, "usage: " PROG " [-r RUNS]\n");
			return 2;
		}
		errno = 0;
		runs = strtoul(optarg, &end, 0);
		if (errno || *end || !runs || runs > MAX_RUNS) {
			fprintf(stderr, PROG ": bad -r '%s' (1..%d)\n", optarg, MAX_RUNS);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: " PROG " [-r RUNS]\n");
		return 2;
	}

	/* Each one, so that each can be finished. */
	for (unsigned k = 0; k < ELEMENTSOF(setups); k++) {
		int q = setup_init(&setups[k]);

		if (q < 0)
			r = q;
	}
	for (int i = -1; r >= 0 && i < (int) runs; i++)
		for (unsigned k = 0; r >= 0 && k < ELEMENTSOF(setups); k++)
			r = run_once(&setups[k], i);
	if (r >= 0) {
		for (unsigned k = 0; k < ELEMENTSOF(setups); k++) {
			best[k] = bench_quantile(setups[k].ms, runs, 0);
			rss[k] = bench_quantile(setups[k].rss, runs, 0.5);
			printf("startup-%s %.2f ms\n", setups[k].name, best[k]);
		}
		for (unsigned k = 0; k < ELEMENTSOF(setups); k++)
			printf("rss-%s %.0f KiB\n", setups[k].name, rss[k]);
		printf("startup-64-vs-1 %.2f x\n", best[0] / best[1]);
		printf("rss-64-vs-1 %.2f x\n", rss[0] / rss[1]);
		fflush(stdout);
	}
	for (unsigned k = 0; k < ELEMENTSOF(setups); k++)
		(void) daemon_spawn_fini(&setups[k].d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
