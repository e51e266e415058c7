/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-worker: what handing one backend job to another thread costs, from
 * the loop's submit to its done() on the loop (libevent, as in gunyahd):
 *
 *   daemon    gunyahd's worker (daemon/core/worker.c): threads kept
 *             waiting for the next job, a new one only when none waits
 *   per-job   a thread created for the job and joined after it, what the
 *             worker did before (kept here as the reference)
 *
 * per-job completes through a pipe watched by the loop, as the daemon's
 * worker does, so that the two differ only in how the job reaches its
 * thread. The work itself is empty. Rounds interleave the two. Prints the
 * median and p90 of each in µs and their ratio (the daemon keeps the
 * cheaper: below 1). Timing never fails the run.
 *
 *   bench-worker [-n N]        (default 5000)
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench-stats.h"
#include "worker.h"

enum model { M_DAEMON, M_PER_JOB, N_MODELS };

static const char *const model_names[N_MODELS] = { "daemon", "per-job" };

struct models {
	struct event_base *base;
	struct worker *worker;
	int pipe[2];			/* per-job: completions */
	struct event *event;
	bool done;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double quantile(double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1));

	qsort(v, n, sizeof(*v), cmp_double);
	return v[i];
}

static int empty_work(void *userdata)
{
	(void)userdata;
	return 0;
}

static void daemon_done(void *userdata, int r)
{
	(void)r;
	((struct models *)userdata)->done = true;
}

static void complete(struct models *m)
{
	char c = 1;

	while (write(m->pipe[1], &c, 1) < 0 && errno == EINTR)
		;
}

static void on_pipe(evutil_socket_t fd, short what, void *userdata)
{
	struct models *m = userdata;
	char c;

	(void)what;
	while (read(fd, &c, 1) == 1)
		m->done = true;
}

static void *per_job_thread(void *userdata)
{
	empty_work(NULL);
	complete(userdata);
	return NULL;
}

/* One job through model; its round trip in µs, or -1. */
static double one_job(struct models *m, enum model model)
{
	double t0 = now_us();
	pthread_t t;
	int r = 0;

	m->done = false;
	switch (model) {
	case M_DAEMON:
		r = worker_submit(m->worker, empty_work, daemon_done, m);
		break;
	default:
		r = -pthread_create(&t, NULL, per_job_thread, m);
		break;
	}
	while (r == 0 && !m->done)
		if (event_base_loop(m->base, EVLOOP_ONCE) < 0)
			r = -EIO;
	if (r == 0 && model == M_PER_JOB)
		pthread_join(t, NULL);
	return r < 0 ? -1 : now_us() - t0;
}

static int models_init(struct models *m)
{
	m->base = event_base_new();
	if (!m->base || worker_new(m->base, &m->worker) < 0 ||
	    pipe2(m->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -ENOMEM;
	m->event = event_new(m->base, m->pipe[0], EV_READ | EV_PERSIST, on_pipe, m);
	return !m->event || event_add(m->event, NULL) < 0 ? -ENOMEM : 0;
}

static void models_fini(struct models *m)
{
	event_free(m->event);
	close(m->pipe[0]);
	close(m->pipe[1]);
	worker_free(m->worker);
	event_base_free(m->base);
}

int main(int argc, char **argv)
{
	static struct models m;
	unsigned long n = 5000;
	double *v[N_MODELS], med[N_MODELS];
	int c;

	while ((c = getopt(argc, argv, "n:")) >= 0) {
		n = c == 'n' ? strtoul(optarg, NULL, 0) : 0;
		if (c != 'n' || n < 10 || n > 1000000) {
			fprintf(stderr, "usage: bench-worker [-n N (10..1000000)]\n");
			return 2;
		}
	}
	for (unsigned k = 0; k < N_MODELS; k++)
		if (!(v[k] = calloc(n, sizeof(double))))
			return 1;
	if (models_init(&m) < 0) {
		fprintf(stderr, "bench-worker: cannot set up the loop and threads\n");
		return 1;
	}
	for (unsigned long i = 0; i < n + n / 10; i++)
		for (unsigned k = 0; k < N_MODELS; k++) {
			enum model model = (enum model)((k + i) % N_MODELS);
			double t = one_job(&m, model);

			if (t < 0) {
				fprintf(stderr, "bench-worker: %s: a job failed\n", model_names[model]);
				return 1;
			}
			if (i >= n / 10)	/* the first tenth warms up */
				v[model][i - n / 10] = t;
		}
	models_fini(&m);
	for (unsigned k = 0; k < N_MODELS; k++) {
		med[k] = quantile(v[k], n, 0.5);
		printf("worker-%s %.1f us\n", model_names[k], med[k]);
		printf("worker-%s-p90 %.1f us\n", model_names[k], quantile(v[k], n, 0.9));
		free(v[k]);
	}
	printf("worker-daemon-vs-per-job %.2f x\n", med[M_DAEMON] / med[M_PER_JOB]);
	return 0;
}
