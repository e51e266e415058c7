/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-idle: what gunyahd costs when nothing happens. The real gunyahd
 * (sim backend, private bus, bench-daemon.c) with 64 definitions, 8 of
 * them running, and the systemd watchdog on (WATCHDOG_USEC, so that it
 * pings every WATCHDOG_USEC / 2). Over a quiet window it counts the
 * voluntary context switches of all its threads (/proc/PID/task/N/status:
 * each is a sleep, so a wake-up) against the WATCHDOG=1 pings on the
 * notify socket: an idle daemon wakes only for the ping, once each
 * (target: wake-ups per ping <= 1). The involuntary ones (preemption by
 * whatever else the machine runs) are printed apart. It
 * also reports VmRSS with no VM live and with the 8 running, and the
 * difference per live VM (with the anonymous and shmem parts: guest
 * memory the daemon touched is shmem). Timing never fails the run; a
 * failing call does.
 *
 *   GUNYAHD_BINARY=... TEST_BUS_CONF=... bench-idle [-w SECONDS]    (default 10)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "util/cleanup.h"

#include "bench-daemon.h"

#define PROG		"bench-idle"
#define N_DEFS		64
#define N_RUNNING	8
#define WATCHDOG_USEC	4000000ul	/* a ping every 2 s */
#define READY_TIMEOUT_MS 60000

struct rss {
	long vm, anon, shmem;	/* KiB */
};

static int read_rss(struct daemon_spawn *d, struct rss *ret)
{
	int r;

	*ret = (struct rss) { -1, -1, -1 };
	r = bench_daemon_status_kib(d, "VmRSS", &ret->vm);
	/* RssAnon and RssShmem are informative: an older kernel may lack them. */
	(void) bench_daemon_status_kib(d, "RssAnon", &ret->anon);
	(void) bench_daemon_status_kib(d, "RssShmem", &ret->shmem);
	return r;
}

static int start_vm(sd_bus *bus, const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
			       GH_DBUS_MANAGER_INTERFACE, "StartVM", &error, NULL, "s", name);
	if (r < 0)
		fprintf(stderr, PROG ": StartVM('%s'): %s\n", name,
			error.message ? error.message : strerror(-r));
	return r;
}

/* The WATCHDOG=1 datagrams on the notify socket until deadline_ms. */
static unsigned count_pings(struct daemon_spawn *d, double deadline_ms)
{
	unsigned pings = 0;
	char buf[1024];
	double left;

	while ((left = deadline_ms - daemon_spawn_now_ms()) > 0) {
		struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, (int) left + 1) <= 0)
			continue;
		n = recv(d->notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "WATCHDOG=1"))
			pings++;
	}
	return pings;
}

/* Drops what is queued on the notify socket. */
static void drain(struct daemon_spawn *d)
{
	char buf[1024];

	while (recv(d->notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int run(struct daemon_spawn *d, unsigned window_s)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	unsigned long long sw0, sw1, inv0, inv1;
	struct rss idle, live;
	unsigned pings;
	char name[16];
	int r = 0;

	for (unsigned i = 0; r >= 0 && i < N_DEFS; i++) {
		snprintf(name, sizeof(name), "vm%02u", i);
		r = bench_daemon_define(d, name);
	}
	d->watchdog_usec = WATCHDOG_USEC;
	if (r >= 0)
		r = daemon_spawn_bus_start(d);
	if (r >= 0)
		r = daemon_spawn_start(d, NULL, READY_TIMEOUT_MS, NULL);
	if (r >= 0)
		r = bench_bus_connect(d, &bus);
	if (r >= 0)
		r = read_rss(d, &idle);
	for (unsigned i = 0; r >= 0 && i < N_RUNNING; i++) {
		snprintf(name, sizeof(name), "vm%02u", i);
		r = start_vm(bus, name);
	}
	/* The client goes quiet too: nothing but the watchdog may wake the daemon. */
	if (r >= 0) {
		sd_bus_flush(bus);
		usleep(200000);
		r = read_rss(d, &live);
	}
	if (r >= 0)
		r = bench_daemon_ctxt_switches(d, &sw0, &inv0);
	if (r < 0)
		return r;
	drain(d);
	pings = count_pings(d, daemon_spawn_now_ms() + window_s * 1000.0);
	r = bench_daemon_ctxt_switches(d, &sw1, &inv1);
	if (r < 0)
		return r;
	printf("# bench-idle: %u definitions, %u running (sim), watchdog every %.1f s, %u s quiet\n",
	       N_DEFS, N_RUNNING, WATCHDOG_USEC / 2e6, window_s);
	printf("idle-wakeups %llu wakeups\n", sw1 - sw0);
	printf("idle-preemptions %llu switches\n", inv1 - inv0);
	printf("idle-watchdog-pings %u pings\n", pings);
	printf("idle-wakeups-per-ping %.2f x\n", pings ? (double) (sw1 - sw0) / pings : -1.0);
	printf("idle-rss-0-live %ld KiB\n", idle.vm);
	printf("idle-rss-%u-live %ld KiB\n", N_RUNNING, live.vm);
	printf("idle-rss-per-live-vm %.0f KiB\n", (double) (live.vm - idle.vm) / N_RUNNING);
	printf("idle-rss-anon-per-live-vm %.0f KiB\n", (double) (live.anon - idle.anon) / N_RUNNING);
	printf("idle-rss-shmem-per-live-vm %.0f KiB\n",
	       (double) (live.shmem - idle.shmem) / N_RUNNING);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_spawn d;
	unsigned long window = 10;
	int c, r;

	while ((c = getopt(argc, argv, "w:")) >= 0) {
		window = c == 'w' ? strtoul(optarg, NULL, 0) : 0;
		if (c != 'w' || !window || window > 3600) {
			fprintf(stderr, "usage: " PROG " [-w SECONDS (1..3600)]\n");
			return 2;
		}
	}
	r = bench_daemon_init(&d, PROG);
	if (r >= 0)
		r = run(&d, (unsigned) window);
	if (d.pid > 0 && bench_daemon_stop(&d) < 0 && r >= 0)
		r = -EIO;
	(void) daemon_spawn_fini(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
