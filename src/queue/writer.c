/* The scheduler's write-back thread: recording what transports did costs
 * a durable commit (synchronous=FULL, or a PostgreSQL commit), and the scheduler's loop must not
 * stall every connection while the disk syncs. The loop hands the jobs
 * that finished to this thread while it is idle; the jobs that finish
 * during a commit wait for the next one, so the batches grow with the
 * load. The messages of a batch stay claimed (the backend's release)
 * until the loop has released them after the commit, so the loop never
 * reloads a message whose results are being written.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>

#include "lib/log.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

static void *
writer_main(void *arg)
{
	struct queue_sched *s = arg;
	struct sched_job *batch;
	int rc;

	pthread_mutex_lock(&s->w_lock);
	for (;;) {
		while (s->w_in == NULL && !s->w_quit)
			pthread_cond_wait(&s->w_cond, &s->w_lock);
		if (s->w_in == NULL)
			break;
		batch = s->w_in;
		pthread_mutex_unlock(&s->w_lock);
		rc = sched_record(s, batch);
		pthread_mutex_lock(&s->w_lock);
		s->w_in = NULL;
		s->w_out = batch;
		s->w_is_ok = rc == 0;
		pthread_cond_broadcast(&s->w_cond);
		event_active(s->flush_ev, EV_TIMEOUT, 0);
	}
	pthread_mutex_unlock(&s->w_lock);
	return NULL;
}

int
sched_writer_start(struct queue_sched *s, char **err_out)
{
	if ((s->wdb = qdb_open(s->q, err_out)) == NULL)
		return -1;
	pthread_mutex_init(&s->w_lock, NULL);
	pthread_cond_init(&s->w_cond, NULL);
	if (pthread_create(&s->w_thread, NULL, writer_main, s) != 0)
		fatalx("queue: cannot start the writer thread");
	s->has_writer = true;
	return 0;
}

void
sched_writer_collect(struct queue_sched *s)
{
	struct sched_job *done = NULL;
	bool is_ok = false;

	pthread_mutex_lock(&s->w_lock);
	if (s->w_out != NULL) {
		done = s->w_out;
		is_ok = s->w_is_ok;
		s->w_out = NULL;
	}
	if (s->w_in == NULL && s->done_head != NULL) {
		s->w_in = s->done_head;
		s->w_is_stopping = s->is_stopping;
		s->done_head = s->done_tail = NULL;
		pthread_cond_broadcast(&s->w_cond);
	}
	pthread_mutex_unlock(&s->w_lock);
	if (done != NULL)
		sched_release(done, is_ok);
}

void
sched_writer_stop(struct queue_sched *s)
{
	struct sched_job *batch;

	if (!s->has_writer)
		return;
	pthread_mutex_lock(&s->w_lock);
	while (s->w_in != NULL)
		pthread_cond_wait(&s->w_cond, &s->w_lock);
	s->w_quit = true;
	pthread_cond_broadcast(&s->w_cond);
	pthread_mutex_unlock(&s->w_lock);
	pthread_join(s->w_thread, NULL);
	s->has_writer = false;
	if (s->w_out != NULL) {
		sched_release(s->w_out, s->w_is_ok);
		s->w_out = NULL;
	}
	if ((batch = s->done_head) != NULL) {
		s->done_head = s->done_tail = NULL;
		s->w_is_stopping = s->is_stopping;
		sched_release(batch, sched_record(s, batch) == 0);
	}
}
