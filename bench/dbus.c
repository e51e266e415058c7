/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-dbus: D-Bus latency of gunyahd's properties and methods against
 * org.freedesktop.DBus.Peer.Ping on the same daemon (DESIGN §10).
 *
 * Starts a private dbus-daemon and the real gunyahd (sim backend) with
 * four definitions (bench-daemon.c), waits for READY=1, and with one
 * sd-bus connection calls, N times each after N/10 rounds of warm-up:
 *
 *   Peer.Ping                                  the reference
 *   Properties.Get(org.gunyah.VM1, State)      of one VM
 *   Properties.GetAll(org.gunyah.VM1)          of the same VM
 *   Manager1.ListVMs()
 *   Manager1.GetVM(name)
 *   Manager1.ValidateDefinition(yaml)          a small valid definition
 *
 * The calls are interleaved (one of each per round, the order rotating),
 * so that a slower or faster stretch of the machine weighs on all of them
 * alike. Each call is timed from building the message to having the reply;
 * the reply is checked outside the timing. Prints the median and p99 of
 * each in µs and its median against Ping's as "name value unit" lines.
 * Timing never fails the run; a failing call, a wrong reply or a daemon
 * that does not exit 0 on SIGTERM does (exit 1).
 *
 *   GUNYAHD_BINARY=... TEST_BUS_CONF=... bench-dbus [-n N]    (default 2000)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "util/cleanup.h"

#include "bench-daemon.h"

#define PROG		"bench-dbus"
#define PROPS_IFACE	"org.freedesktop.DBus.Properties"
#define N_VMS		4
#define VM_NAME		"bench2"
#define READY_TIMEOUT_MS 60000

enum op {
	OP_PING,
	OP_GET_STATE,
	OP_GET_ALL,
	OP_LIST_VMS,
	OP_GET_VM,
	OP_VALIDATE,
	N_OPS,
};

static const char *const op_names[N_OPS] = {
	[OP_PING] = "ping",
	[OP_GET_STATE] = "get-state",
	[OP_GET_ALL] = "get-all",
	[OP_LIST_VMS] = "list-vms",
	[OP_GET_VM] = "get-vm",
	[OP_VALIDATE] = "validate-definition",
};

struct bench {
	sd_bus *bus;
	char *vm_path;		/* GetVM(VM_NAME), owned */
	char yaml[512];		/* for ValidateDefinition */
};

/* Issues one call; the reply in *ret. */
static int call(struct bench *b, enum op op, sd_bus_message **ret, sd_bus_error *error)
{
	switch (op) {
	case OP_PING:
		return sd_bus_call_method(b->bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
					  "org.freedesktop.DBus.Peer", "Ping", error, ret, NULL);
	case OP_GET_STATE:
		return sd_bus_call_method(b->bus, GH_DBUS_SERVICE, b->vm_path, PROPS_IFACE, "Get",
					  error, ret, "ss", GH_DBUS_VM_INTERFACE, "State");
	case OP_GET_ALL:
		return sd_bus_call_method(b->bus, GH_DBUS_SERVICE, b->vm_path, PROPS_IFACE,
					  "GetAll", error, ret, "s", GH_DBUS_VM_INTERFACE);
	case OP_LIST_VMS:
		return sd_bus_call_method(b->bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
					  GH_DBUS_MANAGER_INTERFACE, "ListVMs", error, ret, NULL);
	case OP_GET_VM:
		return sd_bus_call_method(b->bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
					  GH_DBUS_MANAGER_INTERFACE, "GetVM", error, ret, "s",
					  VM_NAME);
	case OP_VALIDATE:
		return sd_bus_call_method(b->bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
					  GH_DBUS_MANAGER_INTERFACE, "ValidateDefinition", error,
					  ret, "s", b->yaml);
	default:
		return -EINVAL;
	}
}

static int check_get_all(sd_bus_message *m)
{
	unsigned n = 0;
	bool state = false;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "State") == 0) {
			const char *s;

			r = sd_bus_message_read(m, "v", "s", &s);
			if (r < 0)
				return r;
			if (strcmp(s, "defined") != 0)
				return -EBADMSG;
			state = true;
		} else {
			r = sd_bus_message_skip(m, "v");
			if (r < 0)
				return r;
		}
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
		n++;
	}
	if (r < 0)
		return r;
	/* org.gunyah.VM1 has 17 properties. */
	return state && n >= 10 ? 0 : -EBADMSG;
}

static int check_list_vms(sd_bus_message *m)
{
	const char *name, *state, *path;
	unsigned n = 0;
	uint32_t vmid;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "(ssuo)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "(ssuo)", &name, &state, &vmid, &path)) > 0) {
		if (strcmp(state, "defined") != 0 || vmid != 0)
			return -EBADMSG;
		n++;
	}
	if (r < 0)
		return r;
	return n == N_VMS ? 0 : -EBADMSG;
}

static int check_validate(sd_bus_message *m)
{
	const char *text;
	uint32_t line, column;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "(uus)");
	if (r < 0)
		return r;
	r = sd_bus_message_read(m, "(uus)", &line, &column, &text);
	if (r > 0) {
		fprintf(stderr, PROG ": ValidateDefinition: %u:%u: %s\n", line, column, text);
		return -EBADMSG;
	}
	return r;
}

/* Whether the reply is the one expected of the (sim, defined) daemon. */
static int check(struct bench *b, enum op op, sd_bus_message *m)
{
	const char *s;
	int r;

	switch (op) {
	case OP_PING:
		return 0;
	case OP_GET_STATE:
		r = sd_bus_message_read(m, "v", "s", &s);
		if (r < 0)
			return r;
		return strcmp(s, "defined") == 0 ? 0 : -EBADMSG;
	case OP_GET_ALL:
		return check_get_all(m);
	case OP_LIST_VMS:
		return check_list_vms(m);
	case OP_GET_VM:
		r = sd_bus_message_read(m, "o", &s);
		if (r < 0)
			return r;
		return strcmp(s, b->vm_path) == 0 ? 0 : -EBADMSG;
	case OP_VALIDATE:
		return check_validate(m);
	default:
		return -EINVAL;
	}
}

/* One timed call, checked; its duration in µs in *ret_us. */
static int measure(struct bench *b, enum op op, double *ret_us)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	double t0, t;
	int r;

	t0 = daemon_spawn_now_ms();
	r = call(b, op, &reply, &error);
	t = daemon_spawn_now_ms() - t0;
	if (r < 0) {
		fprintf(stderr, PROG ": %s: %s: %s\n", op_names[op], error.name ?: "",
			error.message ?: strerror(-r));
	} else {
		r = check(b, op, reply);
		if (r < 0)
			fprintf(stderr, PROG ": %s: unexpected reply: %s\n", op_names[op],
				strerror(-r));
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	*ret_us = t * 1e3;
	return r < 0 ? r : 0;
}

static int get_vm_path(struct bench *b)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *path;
	int r;

	r = call(b, OP_GET_VM, &reply, &error);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0) {
		b->vm_path = strdup(path);
		if (!b->vm_path)
			r = -ENOMEM;
	}
	if (r < 0)
		fprintf(stderr, PROG ": GetVM('" VM_NAME "'): %s\n",
			error.message ?: strerror(-r));
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return r;
}

static int run(struct bench *b, unsigned n)
{
	unsigned warmup = n / 10 ? n / 10 : 1;
	_cleanup_free_ double *samples = NULL;
	double median[N_OPS], p99[N_OPS];
	int r;

	samples = calloc((size_t) n * N_OPS, sizeof(double));
	if (!samples)
		return -ENOMEM;
	for (unsigned i = 0; i < warmup + n; i++)
		for (unsigned k = 0; k < N_OPS; k++) {
			enum op op = (i + k) % N_OPS;
			double us;

			r = measure(b, op, &us);
			if (r < 0)
				return r;
			if (i >= warmup)
				samples[(size_t) op * n + (i - warmup)] = us;
		}
	for (unsigned op = 0; op < N_OPS; op++) {
		median[op] = bench_quantile(samples + (size_t) op * n, n, 0.5);
		p99[op] = bench_quantile(samples + (size_t) op * n, n, 0.99);
	}
	for (unsigned op = 0; op < N_OPS; op++) {
		printf("dbus-%s-median %.1f us\n", op_names[op], median[op]);
		printf("dbus-%s-p99 %.1f us\n", op_names[op], p99[op]);
	}
	for (unsigned op = OP_PING + 1; op < N_OPS; op++)
		printf("dbus-%s-vs-ping %.2f x\n", op_names[op], median[op] / median[OP_PING]);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_spawn d;
	struct bench b = {};
	unsigned long n = 2000;
	char name[16];
	int c, r;

	while ((c = getopt(argc, argv, "n:")) >= 0) {
		char *end;

		if (c != 'n') {
			fprintf(stderr, "usage: " PROG " [-n N]\n");
			return 2;
		}
		errno = 0;
		n = strtoul(optarg, &end, 0);
		if (errno || *end || !n || n > 1000000) {
			fprintf(stderr, PROG ": bad -n '%s'\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: " PROG " [-n N]\n");
		return 2;
	}

	r = bench_daemon_init(&d, PROG);
	for (unsigned i = 0; r >= 0 && i < N_VMS; i++) {
		snprintf(name, sizeof(name), "bench%u", i);
		r = bench_daemon_define(&d, name);
	}
	snprintf(b.yaml, sizeof(b.yaml),
		 "version: 1\nname: validated\nvcpus: 2\n"
		 "memory:\n  base: 0x80000000\n  size: 256M\n"
		 "kernel: %s/bench0.Image\ncmdline: \"console=hvc0\"\n"
		 "regions:\n  - label: 1\n    base: 0xc0000000\n    size: 2M\n"
		 "    access: rw\n    sharing: shared\n", d.dir);
	if (r >= 0)
		r = daemon_spawn_bus_start(&d);
	if (r >= 0)
		r = daemon_spawn_start(&d, NULL, READY_TIMEOUT_MS, NULL);
	if (r >= 0)
		r = bench_bus_connect(&d, &b.bus);
	if (r >= 0)
		r = get_vm_path(&b);
	if (r >= 0)
		r = run(&b, (unsigned) n);
	b.bus = sd_bus_flush_close_unref(b.bus);
	free(b.vm_path);
	if (r < 0 && d.pid > 0) {
		fprintf(stderr, PROG ": the daemon's log:\n");
		daemon_spawn_print_log(&d);
	}
	if (d.pid > 0 && bench_daemon_stop(&d) < 0)
		r = -EIO;
	(void) daemon_spawn_fini(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
