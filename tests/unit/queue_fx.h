/* The queue tests' fixture: a queue in a directory of the test's own,
 * on the embedded queue.db or, with PETREL_TEST_STORE a PostgreSQL URL
 * (tests/run pgstore), on that database (emptied first); waiting for a
 * commit's done(); counting spool files and queued messages. Included by
 * the test files (each is one program), after cmocka.h and store_loc.h.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_TEST_QUEUE_FX_H
#define PETREL_TEST_QUEUE_FX_H

#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "queue/queue.h"

struct fx {
	char		 root[64];
	struct iopool	*pool;
	struct queue	*q;
};

/* A commit's outcome: set up with PTHREAD_*_INITIALIZER or
 * waiter_init(). */
struct waiter {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 is_done;
	int		 result;
};

static inline int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char *err = NULL;

	snprintf(fx->root, sizeof(fx->root), "/tmp/test_queue.XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	fx->pool = iopool_new(2);
	if (test_store_pg() != NULL)
		free(test_store_location(fx->root));
	fx->q = queue_open(fx->root, fx->pool, test_store_pg(), &err);
	if (fx->q == NULL)
		fail_msg("%s", err);
	*state = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx *fx = *state;

	queue_close(fx->q);
	iopool_free(fx->pool);
	test_rm_tree(fx->root);
	free(fx);
	return 0;
}

static inline void
waiter_init(struct waiter *w)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->is_done = false;
	w->result = 0;
}

/* done() for queue_msg_commit() with a struct waiter. */
static inline void
on_done(void *arg, int result, const char *err)
{
	struct waiter *w = arg;

	(void)err;
	pthread_mutex_lock(&w->mu);
	w->result = result;
	w->is_done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static inline int
waiter_wait(struct waiter *w)
{
	pthread_mutex_lock(&w->mu);
	while (!w->is_done)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return w->result;
}

/* Files in root/queue/sub. */
static inline size_t
count_files(const char *root, const char *sub)
{
	char path[128];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/queue/%s", root, sub);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Messages queue_list() returns. */
static inline size_t
queue_count(struct queue *q)
{
	struct queue_info *v;
	size_t n;

	assert_int_equal(queue_list(q, &v, &n, NULL), 0);
	queue_info_free(v, n);
	free(v);
	return n;
}

#endif
