/* The I/O pool: threads that run blocking jobs (fsync, password hashes) off
 * the event loops, then hand each job's done() back to the loop it came
 * from with event_base_once(), which wakes a loop from any thread once
 * libevent threading is on.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "iopool.h"
#include "log.h"
#include "xalloc.h"

struct iopool_job {
	struct iopool_job	*next;
	struct event_base	*base;
	iopool_fn		*work;
	iopool_fn		*done;
	void			*arg;
};

struct iopool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct iopool_job	*head;
	struct iopool_job	*tail;
	bool			 is_stopping;
	int			 nthreads;
	pthread_t		*threads;
};

static void
job_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct iopool_job *job = arg;

	(void)fd;
	(void)what;
	if (job->done != NULL)
		job->done(job->arg);
	free(job);
}

static void
job_finish(struct iopool_job *job)
{
	if (job->base == NULL) {
		job_done_cb(-1, 0, job);
		return;
	}
	/* A zero timeout makes the event active at once; libevent takes the
	 * base's lock and wakes its loop when we are on another thread. */
	if (event_base_once(job->base, -1, EV_TIMEOUT, job_done_cb, job,
	    NULL) == -1)
		fatalx("iopool: event_base_once failed");
}

static struct iopool_job *
job_take(struct iopool *pool)
{
	struct iopool_job *job;

	pthread_mutex_lock(&pool->lock);
	while (pool->head == NULL && !pool->is_stopping)
		pthread_cond_wait(&pool->cond, &pool->lock);
	job = pool->head;
	if (job != NULL) {
		pool->head = job->next;
		if (pool->head == NULL)
			pool->tail = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	return job;
}

static void *
pool_main(void *arg)
{
	struct iopool *pool = arg;
	struct iopool_job *job;

	/* Stopping only ends a thread once the queue is empty. */
	while ((job = job_take(pool)) != NULL) {
		job->work(job->arg);
		job_finish(job);
	}
	return NULL;
}

struct iopool *
iopool_new(int nthreads)
{
	struct iopool *pool;
	int i, rc;

	if (nthreads < 1)
		fatalx("iopool: %d threads", nthreads);
	pool = xcalloc(1, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pool->threads = xcalloc((size_t)nthreads, sizeof(*pool->threads));
	for (i = 0; i < nthreads; i++) {
		rc = pthread_create(&pool->threads[i], NULL, pool_main, pool);
		if (rc != 0)
			fatalx("iopool: pthread_create: error %d", rc);
		pool->nthreads++;
	}
	return pool;
}

void
iopool_free(struct iopool *pool)
{
	int i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->is_stopping = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}

void
iopool_submit(struct iopool *pool, struct event_base *base, iopool_fn *work,
    iopool_fn *done, void *arg)
{
	struct iopool_job *job;

	job = xcalloc(1, sizeof(*job));
	job->base = base;
	job->work = work;
	job->done = done;
	job->arg = arg;
	/* A job may queue another while iopool_free() waits: its own thread
	 * is still running and takes it before it ends. */
	pthread_mutex_lock(&pool->lock);
	if (pool->tail != NULL)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}
