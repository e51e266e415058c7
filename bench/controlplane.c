/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-controlplane: what the D-Bus API costs on top of the work it asks
 * for. CreateVM, StartVM and DestroyVM of one VM (64 MiB, one vCPU, a 1 MiB
 * kernel) through the real gunyahd (sim backend, private bus, started by
 * bench-daemon.c as systemd starts it) against the same library calls made
 * in this process: manager_load_definitions() of the same directory (same
 * definition, same kernel file), then vm_create(), vm_start() and
 * vm_destroy() on a sim backend, each run to its completion on a libevent
 * loop, with the daemon's worker thread. Both sides log at info level into
 * a file. The only difference left is the bus: a message each way through
 * dbus-daemon, the daemon's dispatch and its reply.
 *
 * Rounds interleave the two sides and Peer.Ping (the cost of one bus round
 * trip on the same daemon), the side going first alternating; each call is
 * timed from the request to its completion. Prints, per call, the medians
 * in µs, D-Bus against in-process as a ratio, the difference in units of
 * Ping, and the budget ratio D-Bus / (1.10 x in-process + 1 Ping), whose
 * target is <= 1. Timing never fails the run; a failing call does.
 *
 *   GUNYAHD_BINARY=... TEST_BUS_CONF=... bench-controlplane [-n ROUNDS]   (default 200)
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "hyp.h"
#include "manager.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "vm.h"

#include "bench-daemon.h"

#define PROG		"bench-controlplane"
#define VM_NAME		"cp"
#define MEM_MIB		64
#define KERNEL_BYTES	(1u << 20)
#define PINGS_PER_ROUND	3
#define READY_TIMEOUT_MS 60000

enum call { CALL_CREATE, CALL_START, CALL_DESTROY, N_CALLS };

static const char *const call_names[N_CALLS] = { "create", "start", "destroy" };
static const char *const call_methods[N_CALLS] = { "CreateVM", "StartVM", "DestroyVM" };

static FILE *err;	/* our stderr: fd 2 is the in-process daemon's log file */

struct inproc {
	struct event_base *base;
	struct manager *m;
	struct vm *vm;
};

struct outcome {
	bool done;
	int r;
	char message[256];
};

static void outcome_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata)
{
	struct outcome *o = userdata;

	(void) vm;
	o->done = true;
	o->r = r;
	if (r < 0)
		snprintf(o->message, sizeof(o->message), "%s",
			 error && error->message ? error->message : strerror(-r));
}

/* One library call run to its completion; its duration in µs, or -1. */
static double inproc_call(struct inproc *p, enum call c)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct outcome o = {};
	double t0 = daemon_spawn_now_ms(), t;
	int r;

	switch (c) {
	case CALL_CREATE:
		r = vm_create(p->vm, outcome_done, &o, &error);
		break;
	case CALL_START:
		r = vm_start(p->vm, outcome_done, &o, &error);
		break;
	default:
		r = vm_destroy(p->vm, outcome_done, &o, &error);
		break;
	}
	while (r >= 0 && !o.done)
		if (event_base_loop(p->base, EVLOOP_ONCE) < 0)
			r = -EIO;
	t = (daemon_spawn_now_ms() - t0) * 1e3;
	if (r >= 0 && o.r < 0) {
		r = o.r;
		fprintf(err, PROG ": in-process %s: %s\n", call_names[c], o.message);
	} else if (r < 0) {
		fprintf(err, PROG ": in-process %s: %s\n", call_names[c],
			error.message ? error.message : strerror(-r));
	}
	return r < 0 ? -1 : t;
}

/* Manager1.METHOD(VM_NAME) or Peer.Ping (method NULL); µs, or -1. */
static double bus_call(sd_bus *bus, const char *method)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	double t0 = daemon_spawn_now_ms(), t;
	int r;

	if (method)
		r = sd_bus_call_method(bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
				       GH_DBUS_MANAGER_INTERFACE, method, &error, &reply, "s",
				       VM_NAME);
	else
		r = sd_bus_call_method(bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
				       "org.freedesktop.DBus.Peer", "Ping", &error, &reply, NULL);
	t = (daemon_spawn_now_ms() - t0) * 1e3;
	sd_bus_message_unref(reply);
	if (r < 0) {
		fprintf(err, PROG ": %s: %s\n", method ? method : "Ping",
			error.message ? error.message : strerror(-r));
		return -1;
	}
	return t;
}

static int inproc_init(struct inproc *p, const char *defs)
{
	struct hyp *hyp = NULL;
	int r;

	p->base = event_base_new();
	if (!p->base)
		return -ENOMEM;
	r = hyp_sim_new(&hyp);
	if (r >= 0)
		r = manager_new(p->base, hyp, &p->m);
	if (r >= 0)
		r = manager_load_definitions(p->m, defs);
	if (r >= 0 && !(p->vm = manager_find_vm(p->m, VM_NAME)))
		r = -ENOENT;
	if (r < 0)
		fprintf(err, PROG ": in-process manager: %s\n", strerror(-r));
	return r;
}

static void inproc_fini(struct inproc *p)
{
	if (p->m) {
		manager_shutdown(p->m);
		manager_free(p->m);
	}
	if (p->base)
		event_base_free(p->base);
}

/* Points fd 2 (the library's log) at a file, keeps the real stderr in err. */
static int redirect_log(const char *path)
{
	int keep = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	int fd;

	if (keep < 0 || !(err = fdopen(keep, "w")))
		return -errno;
	setvbuf(err, NULL, _IOLBF, 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -errno;
	close(fd);
	return 0;
}

struct samples {
	double *v[2][N_CALLS];		/* [0] D-Bus, [1] in-process */
	double *ping;
};

/* One round: create, start, destroy on each side (first side alternating) and Pings. */
static int round_once(sd_bus *bus, struct inproc *p, struct samples *s, unsigned i, bool keep)
{
	for (unsigned k = 0; k < 2; k++) {
		bool dbus = (k + i) % 2 == 0;

		for (unsigned c = 0; c < N_CALLS; c++) {
			double t = dbus ? bus_call(bus, call_methods[c]) : inproc_call(p, c);

			if (t < 0)
				return -EIO;
			if (keep)
				s->v[dbus ? 0 : 1][c][i] = t;
		}
	}
	for (unsigned k = 0; k < PINGS_PER_ROUND; k++) {
		double t = bus_call(bus, NULL);

		if (t < 0)
			return -EIO;
		if (keep)
			s->ping[i * PINGS_PER_ROUND + k] = t;
	}
	return 0;
}

static void report(struct samples *s, unsigned n)
{
	double ping = bench_quantile(s->ping, (size_t) n * PINGS_PER_ROUND, 0.5);
	double sum[2] = {};

	printf("controlplane-ping %.1f us\n", ping);
	for (unsigned c = 0; c < N_CALLS; c++) {
		double d = bench_quantile(s->v[0][c], n, 0.5);
		double l = bench_quantile(s->v[1][c], n, 0.5);
		const char *name = call_names[c];

		sum[0] += d;
		sum[1] += l;
		printf("controlplane-%s-dbus %.1f us\n", name, d);
		printf("controlplane-%s-inproc %.1f us\n", name, l);
		printf("controlplane-%s-dbus-vs-inproc %.3f x\n", name, d / l);
		printf("controlplane-%s-overhead %.2f ping\n", name, (d - l) / ping);
		printf("controlplane-%s-budget %.3f x\n", name, d / (1.10 * l + ping));
	}
	printf("controlplane-cycle-dbus-vs-inproc %.3f x\n", sum[0] / sum[1]);
	printf("controlplane-cycle-budget %.3f x\n", sum[0] / (1.10 * sum[1] + 3 * ping));
}

static int samples_new(struct samples *s, unsigned n)
{
	for (unsigned k = 0; k < 2; k++)
		for (unsigned c = 0; c < N_CALLS; c++)
			if (!(s->v[k][c] = calloc(n, sizeof(double))))
				return -ENOMEM;
	s->ping = calloc((size_t) n * PINGS_PER_ROUND, sizeof(double));
	return s->ping ? 0 : -ENOMEM;
}

static void samples_free(struct samples *s)
{
	for (unsigned k = 0; k < 2; k++)
		for (unsigned c = 0; c < N_CALLS; c++)
			free(s->v[k][c]);
	free(s->ping);
}

static int run(struct daemon_spawn *d, struct inproc *p, unsigned n)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct samples s = {};
	char log[160];
	int r;

	r = bench_daemon_define_sized(d, VM_NAME, MEM_MIB, KERNEL_BYTES);
	if (r >= 0)
		r = daemon_spawn_bus_start(d);
	if (r >= 0)
		r = daemon_spawn_start(d, NULL, READY_TIMEOUT_MS, NULL);
	if (r >= 0)
		r = bench_bus_connect(d, &bus);
	snprintf(log, sizeof(log), "%s/inproc.log", d->dir);
	if (r >= 0)
		r = redirect_log(log);
	if (r >= 0)
		r = inproc_init(p, d->defs);
	if (r >= 0)
		r = samples_new(&s, n);
	/* n / 10 rounds of warm-up, then n measured */
	for (unsigned i = 0; r >= 0 && i < n / 10; i++)
		r = round_once(bus, p, &s, i, false);
	for (unsigned i = 0; r >= 0 && i < n; i++)
		r = round_once(bus, p, &s, i, true);
	if (r >= 0) {
		printf("# bench-controlplane: %u MiB VM, %u KiB kernel, sim backend, %u rounds\n",
		       MEM_MIB, KERNEL_BYTES >> 10, n);
		report(&s, n);
		fflush(stdout);
	}
	samples_free(&s);
	return r;
}

int main(int argc, char **argv)
{
	struct daemon_spawn d;
	struct inproc p = {};
	unsigned long n = 200;
	int c, r;

	err = stderr;
	while ((c = getopt(argc, argv, "n:")) >= 0) {
		char *end;

		errno = 0;
		n = c == 'n' ? strtoul(optarg, &end, 0) : 0;
		if (c != 'n' || errno || *end || n < 10 || n > 100000) {
			fprintf(stderr, "usage: " PROG " [-n ROUNDS (10..100000)]\n");
			return 2;
		}
	}
	r = bench_daemon_init(&d, PROG);
	if (r >= 0)
		r = run(&d, &p, (unsigned) n);
	if (err != stderr)
		dup2(fileno(err), STDERR_FILENO);	/* the daemon's log, if any, to the real one */
	if (r < 0 && d.pid > 0)
		daemon_spawn_print_log(&d);
	inproc_fini(&p);
	if (d.pid > 0 && bench_daemon_stop(&d) < 0 && r >= 0)
		r = -EIO;
	(void) daemon_spawn_fini(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
