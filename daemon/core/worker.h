/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Blocking backend calls off the loop thread. Each job runs on its own
 * thread (so one slow VM never delays another) and completes through the
 * event loop: done() always runs on the loop thread.
 */
#pragma once

#include "util/cleanup.h"

struct event_base;
struct worker;

typedef int (*worker_work_fn)(void *userdata);		/* runs on the job's thread */
typedef void (*worker_done_fn)(void *userdata, int r);	/* runs on the loop thread */

int worker_new(struct event_base *base, struct worker **ret);
/*
 * Waits for every job still running and runs its done(), which must not
 * submit new jobs (callers check their own shutdown flag).
 */
struct worker *worker_free(struct worker *w);
GH_DEFINE_FREEP(struct worker, worker_free)

int worker_submit(struct worker *w, worker_work_fn work, worker_done_fn done, void *userdata);
/* Runs done() of every job that has finished; for shutdown and tests. */
void worker_drain(struct worker *w);
unsigned worker_pending(const struct worker *w);
