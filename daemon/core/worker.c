/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Threads are kept for the next job: handing a job to a waiting thread
 * costs half of creating and joining one (bench/worker.c). A job never
 * waits for another: when no thread waits, a new one starts. At most
 * WORKER_IDLE_MAX wait; one more ends after its job and is joined at the
 * next submit (or at worker_free(), which joins every thread).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "worker.h"

#define WORKER_IDLE_MAX	4

struct job {
	worker_work_fn work;
	worker_done_fn done;
	void *userdata;
	int result;
	struct job *next;	/* in worker->queue, under its lock */
	struct job *next_all;	/* in worker->jobs, loop thread only */
};

/* Joinable, so that nothing of a thread outlives worker_free(). */
struct worker_thread {
	struct worker *worker;
	pthread_t id;
	bool ended;			/* under worker->lock */
	struct worker_thread *next;	/* in worker->threads, under its lock */
};

struct worker {
	int pipe[2];		/* finished jobs, as pointers; read end in the loop */
	struct event *event;
	struct job *jobs;	/* every job not yet completed; loop thread only */
	unsigned n_jobs;

	pthread_mutex_t lock;	/* protects what follows */
	pthread_cond_t wake;	/* a job was queued, or quit */
	pthread_cond_t gone;	/* a thread ended */
	struct job *queue;	/* submitted, not taken by a thread yet: LIFO is fine */
	unsigned n_queued;
	unsigned n_idle;	/* threads waiting on wake */
	unsigned n_threads;		/* running, not ended */
	struct worker_thread *threads;	/* every thread not joined yet */
	bool quit;
};

static void worker_finished(struct worker *w, struct job *job)
{
	/* A pointer is far below PIPE_BUF: the write is atomic. */
	while (write(w->pipe[1], &job, sizeof(job)) < 0 && errno == EINTR)
		;
}

static void *worker_thread(void *p)
{
	struct worker_thread *self = p;
	struct worker *w = self->worker;
	struct job *job;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (w->queue) {
			job = w->queue;
			w->queue = job->next;
			w->n_queued--;
			pthread_mutex_unlock(&w->lock);
			job->result = job->work(job->userdata);
			worker_finished(w, job);
			pthread_mutex_lock(&w->lock);
			continue;
		}
		if (w->quit || w->n_idle >= WORKER_IDLE_MAX)
			break;
		w->n_idle++;
		while (!w->queue && !w->quit)
			pthread_cond_wait(&w->wake, &w->lock);
		w->n_idle--;
	}
	self->ended = true;
	w->n_threads--;
	pthread_cond_signal(&w->gone);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Joins the threads that ended (all == every thread: they must be ending). */
static void worker_reap(struct worker *w, bool all)
{
	struct worker_thread *done = NULL, **t;

	pthread_mutex_lock(&w->lock);
	for (t = &w->threads; *t;) {
		struct worker_thread *x = *t;

		if (all || x->ended) {
			*t = x->next;
			x->next = done;
			done = x;
		} else {
			t = &x->next;
		}
	}
	pthread_mutex_unlock(&w->lock);
	while (done) {
		struct worker_thread *x = done;

		done = x->next;
		pthread_join(x->id, NULL);
		free(x);
	}
}

static void worker_unlink(struct worker *w, struct job *job)
{
	for (struct job **j = &w->jobs; *j; j = &(*j)->next_all)
		if (*j == job) {
			*j = job->next_all;
			w->n_jobs--;
			return;
		}
}

static bool worker_complete_one(struct worker *w)
{
	struct job *job;

	if (read(w->pipe[0], &job, sizeof(job)) != sizeof(job))
		return false;
	worker_unlink(w, job);
	job->done(job->userdata, job->result);
	free(job);
	return true;
}

static void worker_on_pipe(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	worker_drain(userdata);
}

void worker_drain(struct worker *w)
{
	while (worker_complete_one(w))
		;
}

unsigned worker_pending(const struct worker *w)
{
	return w->n_jobs;
}

int worker_new(struct event_base *base, struct worker **ret)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->gone, NULL);
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		int r = -errno;

		w->pipe[0] = w->pipe[1] = -1;
		worker_free(w);
		return r;
	}
	w->event = event_new(base, w->pipe[0], EV_READ | EV_PERSIST, worker_on_pipe, w);
	if (!w->event || event_add(w->event, NULL) < 0) {
		worker_free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}

struct worker *worker_free(struct worker *w)
{
	if (!w)
		return NULL;
	/* The threads run what is queued, then end. */
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->wake);
	while (w->n_threads)
		pthread_cond_wait(&w->gone, &w->lock);
	pthread_mutex_unlock(&w->lock);
	worker_reap(w, true);
	/* Every job has finished: its pointer is in the pipe. */
	while (w->jobs && worker_complete_one(w))
		;
	if (w->event)
		event_free(w->event);
	safe_close(w->pipe[0]);
	safe_close(w->pipe[1]);
	pthread_cond_destroy(&w->gone);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

/* A new thread for w's queue. Context: w->lock held */
static int worker_spawn(struct worker *w)
{
	struct worker_thread *t = calloc(1, sizeof(*t));
	sigset_t all, saved;
	int r;

	if (!t)
		return -ENOMEM;
	t->worker = w;
	/* Signals belong to the loop thread: the thread inherits a full mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	r = pthread_create(&t->id, NULL, worker_thread, t);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (r != 0) {
		free(t);
		return -r;
	}
	t->next = w->threads;
	w->threads = t;
	w->n_threads++;
	return 0;
}

int worker_submit(struct worker *w, worker_work_fn work, worker_done_fn done, void *userdata)
{
	struct job *job = calloc(1, sizeof(*job));
	int r = 0;

	if (!job)
		return -ENOMEM;
	/* Threads past the idle limit ended after their job: join them now. */
	worker_reap(w, false);
	*job = (struct job) { .work = work, .done = done, .userdata = userdata };
	pthread_mutex_lock(&w->lock);
	/* Each queued job has a waiting thread of its own, or gets a new one. */
	if (w->n_queued >= w->n_idle)
		r = worker_spawn(w);
	if (r == 0) {
		job->next = w->queue;
		w->queue = job;
		w->n_queued++;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (r < 0) {
		free(job);
		return r;
	}
	job->next_all = w->jobs;
	w->jobs = job;
	w->n_jobs++;
	return 0;
}
