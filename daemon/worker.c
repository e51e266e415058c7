/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "worker.h"

struct job {
	struct worker *worker;
	worker_work_fn work;
	worker_done_fn done;
	void *userdata;
	int result;
	pthread_t thread;
	struct job *next;	/* in worker->jobs, loop thread only */
};

struct worker {
	int pipe[2];		/* finished jobs, as pointers; read end in the loop */
	struct event *event;
	struct job *jobs;	/* every job not yet completed */
	unsigned n_jobs;
};

static void *job_thread(void *p)
{
	struct job *job = p;

	job->result = job->work(job->userdata);
	/* A pointer is far below PIPE_BUF: the write is atomic. */
	while (write(job->worker->pipe[1], &job, sizeof(job)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void worker_unlink(struct worker *w, struct job *job)
{
	for (struct job **j = &w->jobs; *j; j = &(*j)->next)
		if (*j == job) {
			*j = job->next;
			w->n_jobs--;
			return;
		}
}

static bool worker_complete_one(struct worker *w)
{
	struct job *job;

	if (read(w->pipe[0], &job, sizeof(job)) != sizeof(job))
		return false;
	pthread_join(job->thread, NULL);
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
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(w);
		return -errno;
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
	while (w->jobs) {
		struct job *job = w->jobs;

		pthread_join(job->thread, NULL);
		w->jobs = job->next;
		w->n_jobs--;
		job->done(job->userdata, job->result);
		free(job);
	}
	if (w->event)
		event_free(w->event);
	safe_close(w->pipe[0]);
	safe_close(w->pipe[1]);
	free(w);
	return NULL;
}

int worker_submit(struct worker *w, worker_work_fn work, worker_done_fn done, void *userdata)
{
	struct job *job = calloc(1, sizeof(*job));
	sigset_t all, saved;
	int r;

	if (!job)
		return -ENOMEM;
	*job = (struct job) { .worker = w, .work = work, .done = done, .userdata = userdata };
	/* Signals belong to the loop thread: the job's thread inherits a full mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	r = pthread_create(&job->thread, NULL, job_thread, job);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (r != 0) {
		free(job);
		return -r;
	}
	job->next = w->jobs;
	w->jobs = job;
	w->n_jobs++;
	return 0;
}
