/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-e2e-dbus: the D-Bus side of the end-to-end benchmark (bench/e2e.sh,
 * run in the x86_64 QEMU guest by tests/qemu against gunyahd on gunyah.ko
 * and gh-rm-emu). One sd-bus connection to the bus gunyahd serves (the
 * system bus, or $DBUS_SYSTEM_BUS_ADDRESS) calls, N times for one VM:
 *
 *   CreateVM(name), StartVM(name) (replies once the VM runs), DestroyVM(name)
 *
 * and, as the reference for the bus itself, org.freedesktop.DBus.Peer.Ping
 * on the same daemon (-p PINGS of them, default 50). Prints the medians
 * as DESIGN §10 "name value unit" lines; bench-e2e-ioctl issues the same
 * ioctls directly. Either count may be 0 (bench/e2e.sh runs one cycle per
 * call, alternating with bench-e2e-ioctl). Timing never fails the run; a
 * failing call does (exit 1).
 *
 *   bench-e2e-dbus [-n N] [-p PINGS] [VM]          (default VM: nav)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bench-stats.h"
#include "gunyah/dbus-names.h"
#define PINGS_MAX	1000

/* Calls Manager1.METHOD(name) and returns its duration in ms, or -1. */
static double call(sd_bus *bus, const char *method, const char *name)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	double t0 = now_ms(), t;
	int r;

	r = sd_bus_call_method(bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
			       GH_DBUS_MANAGER_INTERFACE, method, &error, &reply, "s", name);
	t = now_ms() - t0;
	if (r < 0) {
		fprintf(stderr, "bench-e2e-dbus: %s('%s'): %s: %s\n", method, name,
			error.name ? error.name : "", error.message ? error.message : strerror(-r));
		t = -1;
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return t;
}

int main(int argc, char **argv)
{
	unsigned n = 5, pings = 50;
	const char *name = "nav";
	double *create, *start, *destroy, *total, ping[PINGS_MAX];
	sd_bus *bus = NULL;
	int c, r;

	while ((c = getopt(argc, argv, "n:p:")) >= 0) {
		if (c != 'n' && c != 'p') {
			fprintf(stderr, "usage: bench-e2e-dbus [-n N] [-p PINGS] [VM]\n");
			return 2;
		}
		if (c == 'n')
			n = (unsigned)strtoul(optarg, NULL, 0);
		else
			pings = (unsigned)strtoul(optarg, NULL, 0);
	}
	if (optind < argc)
		name = argv[optind];
	if ((!n && !pings) || pings > PINGS_MAX) {
		fprintf(stderr, "bench-e2e-dbus: bad arguments\n");
		return 2;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "bench-e2e-dbus: cannot connect to the system bus: %s\n",
			strerror(-r));
		return 1;
	}
	for (unsigned i = 0; i < pings; i++) {
		double t0 = now_ms();

		r = sd_bus_call_method(bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
				       "org.freedesktop.DBus.Peer", "Ping", NULL,
				       NULL, "");
		if (r < 0) {
			fprintf(stderr, "bench-e2e-dbus: Ping: %s\n", strerror(-r));
			return 1;
		}
		ping[i] = now_ms() - t0;
	}
	create = calloc(n + 1, sizeof(double));
	start = calloc(n + 1, sizeof(double));
	destroy = calloc(n + 1, sizeof(double));
	total = calloc(n + 1, sizeof(double));
	if (!create || !start || !destroy || !total)
		return 1;
	for (unsigned i = 0; i < n; i++) {
		create[i] = call(bus, "CreateVM", name);
		start[i] = create[i] < 0 ? -1 : call(bus, "StartVM", name);
		destroy[i] = call(bus, "DestroyVM", name);
		if (create[i] < 0 || start[i] < 0 || destroy[i] < 0)
			return 1;
		total[i] = create[i] + start[i] + destroy[i];
	}
	if (n) {
		printf("e2e-dbus-create-start-destroy %.2f ms\n", median(total, n));
		printf("e2e-dbus-create %.2f ms\n", median(create, n));
		printf("e2e-dbus-start %.2f ms\n", median(start, n));
		printf("e2e-dbus-destroy %.2f ms\n", median(destroy, n));
	}
	if (pings)
		printf("e2e-dbus-ping %.3f ms\n", median(ping, pings));
	free(create);
	free(start);
	free(destroy);
	free(total);
	sd_bus_flush_close_unref(bus);
	return 0;
}
