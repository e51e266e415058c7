// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Many threads create, start, stop and close VMs at once on a 2-vCPU guest,
 * while gh-rm-emu delays every reply a little, so that two requests in
 * flight would overlap. Afterwards the emulator must have seen none
 * (stats concurrent=0), and no VM, parcel, pinned page or zombie is left.
 *
 * $GH_STRESS_THREADS (default 8) threads, $GH_STRESS_ITERATIONS (default 6)
 * VMs each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ghtest.h"

#define MEM_SIZE	(256ul << 10)

static int dev;
static int iterations;

struct worker {
	pthread_t thread;
	int id;
	int done;		/* complete lifecycles */
	int errors;
	char first_error[160];
};

static void fail(struct worker *w, const char *what, int err)
{
	if (!w->errors++)
		snprintf(w->first_error, sizeof(w->first_error), "%s: %s", what, strerror(-err));
}

static void *worker_main(void *p)
{
	struct worker *w = p;

	for (int i = 0; i < iterations; i++) {
		struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE };
		struct gh_vm_status st;
		struct gt_vm vm;
		int r;

		r = gt_vm_new(&vm, dev, MEM_SIZE, (w->id + i) % 2);
		if (r < 0) {
			fail(w, "create", r);
			gt_vm_close(&vm);
			continue;
		}
		r = gt_ioctl(vm.fd, GH_VM_START, NULL);
		if (r < 0) {
			fail(w, "start", r);
		} else {
			r = gt_status(vm.fd, &st);
			if (r < 0 || st.rm_status != GH_RM_VM_STATUS_RUNNING)
				fail(w, "status", r < 0 ? r : -EPROTO);
			/* every other VM is stopped before it is closed */
			if (i % 2) {
				r = gt_ioctl(vm.fd, GH_VM_STOP, &stop);
				if (r < 0)
					fail(w, "stop", r);
				else if (gt_wait_exit(vm.fd, &st, 10000))
					fail(w, "exit", -ETIMEDOUT);
			}
		}
		gt_vm_close(&vm);
		if (!r)
			w->done++;
	}
	return NULL;
}

int main(void)
{
	const char *s;
	int threads, total = 0, errors = 0;
	struct worker *w;
	long long t0, requests0, vms0 = -1, parcels0 = -1;
	char *out = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = getenv("GH_STRESS_THREADS");
	threads = s ? atoi(s) : 8;
	s = getenv("GH_STRESS_ITERATIONS");
	iterations = s ? atoi(s) : 6;
	if (threads < 1 || threads > 64 || iterations < 1)
		gt_bail("bad GH_STRESS_THREADS/GH_STRESS_ITERATIONS");

	dev = gt_open_gunyah();
	gt_emu_must("fault clear");
	gt_emu_must("log clear");
	requests0 = gt_emu_stat("requests");
	/* earlier tests may have left VMIDs whose VM_ALLOCATE reply was lost */
	if (gt_emu(&out, "vms") == 0)
		vms0 = (long long)gt_lines(out);
	free(out);
	out = NULL;
	if (gt_emu(&out, "parcels") == 0)
		parcels0 = (long long)gt_lines(out);
	free(out);
	out = NULL;
	gt_is(gt_emu_stat("concurrent"), 0, "no concurrent request so far");
	/* every reply 2 ms late: overlapping requests could not go unseen */
	gt_emu_must("fault * delay 2");

	w = calloc(threads, sizeof(*w));
	t0 = gt_now_ms();
	for (int i = 0; i < threads; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			gt_bail("pthread_create");
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].done;
		errors += w[i].errors;
		if (w[i].errors)
			gt_diag("thread %d: %d errors, first: %s", i, w[i].errors, w[i].first_error);
	}
	gt_emu_must("fault clear");
	gt_diag("%d threads x %d lifecycles in %lld ms, %lld RM requests", threads, iterations,
		gt_now_ms() - t0, gt_emu_stat("requests") - requests0);

	gt_is(errors, 0, "no ioctl failed");
	gt_is(total, threads * iterations, "every lifecycle completed");
	gt_is(gt_emu_stat("concurrent"), 0, "the RM never had two requests at once (concurrent=0)");
	if (gt_emu(&out, "vms") == 0)
		gt_is(gt_lines(out), vms0, "no VM left behind in the RM");
	free(out);
	out = NULL;
	if (gt_emu(&out, "parcels") == 0)
		gt_is(gt_lines(out), parcels0, "no parcel left behind in the RM");
	free(out);
	gt_is(gt_param("pinned_pages"), 0, "no page pinned");
	gt_is(gt_param("zombies"), 0, "no zombie");
	free(w);
	close(dev);
	return gt_done();
}
