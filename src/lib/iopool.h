/* A small pool of threads for blocking work (fsync, password hashing, large
 * reads) so that an event loop never waits on the disk or the CPU for long.
 * A job runs work(arg) on a pool thread, then done(arg) on the event loop
 * (struct event_base) it was submitted from. libevent must have threading
 * enabled (evthread_use_pthreads()) before any base is created.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_IOPOOL_H
#define PETREL_IOPOOL_H

struct event_base;
struct iopool;

typedef void iopool_fn(void *arg);

/* Start nthreads threads. */
struct iopool	*iopool_new(int nthreads);
/* Finish the jobs already queued, then stop the threads and free the pool.
 * iopool_free(NULL) does nothing. */
void		 iopool_free(struct iopool *pool);
/* Queue work; done runs later on base's loop thread. When base is NULL,
 * done runs on the pool thread right after work (for callers without a
 * loop, such as the command-line tools and unit tests). */
void		 iopool_submit(struct iopool *pool, struct event_base *base,
		    iopool_fn *work, iopool_fn *done, void *arg);

#endif
