/* Tests for the I/O pool (src/lib/iopool.c): work on pool threads, done on
 * the submitting loop's thread (or right after work without a loop), jobs
 * from many threads, and iopool_free() finishing what is queued.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "lib/iopool.h"

struct job {
	pthread_t		 work_thread;
	pthread_t		 done_thread;
	bool			 is_worked;
	bool			 is_done;
	bool			 was_worked_first;
	struct counter		*counter;
};

struct counter {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 n_done;
	int			 n_want;
	struct event_base	*base;
};

static void
counter_init(struct counter *c, int n_want, struct event_base *base)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->n_want = n_want;
	c->base = base;
}

static void
counter_wait(struct counter *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->n_done < c->n_want)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

static void
counter_fini(struct counter *c)
{
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
}

static void
job_work(void *arg)
{
	struct job *j = arg;

	j->work_thread = pthread_self();
	usleep(1000);	/* a little blocking work */
	j->is_worked = true;
}

static void
job_done(void *arg)
{
	struct job *j = arg;
	struct counter *c = j->counter;

	j->done_thread = pthread_self();
	j->was_worked_first = j->is_worked;
	j->is_done = true;
	pthread_mutex_lock(&c->mu);
	if (++c->n_done == c->n_want && c->base != NULL)
		event_base_loopbreak(c->base);
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
test_no_base(void **state)
{
	struct iopool *pool = iopool_new(3);
	struct job jobs[20];
	struct counter c;
	int i;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	counter_init(&c, 20, NULL);
	for (i = 0; i < 20; i++) {
		jobs[i].counter = &c;
		iopool_submit(pool, NULL, job_work, job_done, &jobs[i]);
	}
	counter_wait(&c);
	for (i = 0; i < 20; i++) {
		assert_true(jobs[i].was_worked_first);
		/* Without a base, done runs on the pool thread after work. */
		assert_true(pthread_equal(jobs[i].work_thread,
		    jobs[i].done_thread));
		assert_false(pthread_equal(jobs[i].work_thread,
		    pthread_self()));
	}
	iopool_free(pool);
	counter_fini(&c);
}

static void
test_done_on_loop(void **state)
{
	struct iopool *pool = iopool_new(4);
	struct event_base *base = event_base_new();
	struct job jobs[50];
	struct counter c;
	int i;

	(void)state;
	assert_non_null(base);
	memset(jobs, 0, sizeof(jobs));
	counter_init(&c, 50, base);
	for (i = 0; i < 50; i++) {
		jobs[i].counter = &c;
		iopool_submit(pool, base, job_work, job_done, &jobs[i]);
	}
	/* The loop has no events of its own: only the pool wakes it. */
	assert_int_equal(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
	assert_int_equal(c.n_done, 50);
	for (i = 0; i < 50; i++) {
		assert_true(jobs[i].was_worked_first);
		assert_true(pthread_equal(jobs[i].done_thread,
		    pthread_self()));
		assert_false(pthread_equal(jobs[i].work_thread,
		    pthread_self()));
	}
	iopool_free(pool);
	event_base_free(base);
	counter_fini(&c);
}

#define N_LOOPS		4
#define JOBS_PER_LOOP	100

struct loop_arg {
	struct iopool	*pool;
	struct job	 jobs[JOBS_PER_LOOP];
	struct counter	 c;
	pthread_t	 self;
	int		 rc;
};

static void *
loop_main(void *arg)
{
	struct loop_arg *la = arg;
	struct event_base *base = event_base_new();
	int i;

	la->self = pthread_self();
	counter_init(&la->c, JOBS_PER_LOOP, base);
	for (i = 0; i < JOBS_PER_LOOP; i++) {
		la->jobs[i].counter = &la->c;
		iopool_submit(la->pool, base, job_work, job_done,
		    &la->jobs[i]);
	}
	la->rc = event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	event_base_free(base);
	return NULL;
}

static void
test_many_loops(void **state)
{
	static struct loop_arg la[N_LOOPS];
	struct iopool *pool = iopool_new(8);
	pthread_t th[N_LOOPS];
	int i, j;

	(void)state;
	for (i = 0; i < N_LOOPS; i++) {
		memset(&la[i], 0, sizeof(la[i]));
		la[i].pool = pool;
		assert_int_equal(pthread_create(&th[i], NULL, loop_main,
		    &la[i]), 0);
	}
	for (i = 0; i < N_LOOPS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(la[i].rc, 0);
		assert_int_equal(la[i].c.n_done, JOBS_PER_LOOP);
		for (j = 0; j < JOBS_PER_LOOP; j++)
			assert_true(pthread_equal(la[i].jobs[j].done_thread,
			    la[i].self));
		counter_fini(&la[i].c);
	}
	iopool_free(pool);
}

static void
test_free_finishes_queue(void **state)
{
	struct iopool *pool = iopool_new(1);
	struct job jobs[30];
	struct counter c;
	int i;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	counter_init(&c, 30, NULL);
	for (i = 0; i < 30; i++) {
		jobs[i].counter = &c;
		iopool_submit(pool, NULL, job_work, job_done, &jobs[i]);
	}
	iopool_free(pool);	/* no wait before: the queue is still full */
	assert_int_equal(c.n_done, 30);
	for (i = 0; i < 30; i++)
		assert_true(jobs[i].is_done);
	iopool_free(NULL);
	counter_fini(&c);
}

struct chain {
	struct iopool	*pool;
	struct counter	*c;
	int		 left;
};

static void
chain_work(void *arg)
{
	(void)arg;
}

/* done queues the next job while iopool_free() may already wait. */
static void
chain_done(void *arg)
{
	struct chain *ch = arg;

	if (--ch->left > 0) {
		iopool_submit(ch->pool, NULL, chain_work, chain_done, ch);
		return;
	}
	pthread_mutex_lock(&ch->c->mu);
	ch->c->n_done++;
	pthread_cond_signal(&ch->c->cv);
	pthread_mutex_unlock(&ch->c->mu);
}

static void
test_submit_from_job(void **state)
{
	struct iopool *pool = iopool_new(2);
	struct counter c;
	struct chain ch;

	(void)state;
	counter_init(&c, 1, NULL);
	ch.pool = pool;
	ch.c = &c;
	ch.left = 100;
	iopool_submit(pool, NULL, chain_work, chain_done, &ch);
	iopool_free(pool);
	assert_int_equal(ch.left, 0);
	assert_int_equal(c.n_done, 1);
	counter_fini(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_base),
		cmocka_unit_test(test_done_on_loop),
		cmocka_unit_test(test_many_loops),
		cmocka_unit_test(test_free_finishes_queue),
		cmocka_unit_test(test_submit_from_job),
	};

	if (evthread_use_pthreads() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
