/* A group committer's queue: deliveries whose body is ready wait here
 * until the committer thread takes all of them for one transaction; the
 * count of deliveries in flight lets closing the store wait for the last
 * done(). The PostgreSQL backend uses it; the SQLite committer (commit.c)
 * still keeps its own, which also counts inline bodies.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stddef.h>

#include "store/backend.h"

/* An item's link to the next: a pointer inside it at next_off. */
static void **
link_of(const struct store_queue *q, void *item)
{
	return (void **)(void *)((char *)item + q->next_off);
}

void
store_queue_init(struct store_queue *q, size_t next_off)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->next_off = next_off;
	q->head = q->tail = NULL;
	q->in_flight = 0;
	q->is_closing = false;
}

void
store_queue_fini(struct store_queue *q)
{
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
}

void
store_queue_hold(struct store_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->in_flight++;
	pthread_mutex_unlock(&q->lock);
}

void
store_queue_release(struct store_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (--q->in_flight == 0)
		pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void
store_queue_push(struct store_queue *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	*link_of(q, item) = NULL;
	if (q->tail != NULL)
		*link_of(q, q->tail) = item;
	else
		q->head = item;
	q->tail = item;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void *
store_queue_take(struct store_queue *q)
{
	void *batch;

	pthread_mutex_lock(&q->lock);
	while (q->head == NULL && !q->is_closing)
		pthread_cond_wait(&q->cond, &q->lock);
	batch = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return batch;
}

void
store_queue_close(struct store_queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->in_flight > 0)
		pthread_cond_wait(&q->cond, &q->lock);
	q->is_closing = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}
