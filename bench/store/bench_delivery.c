/* Delivery throughput of the store: N deliveries of SIZE-octet messages,
 * K in flight at a time, from one event loop, each to one of U accounts.
 * Prints deliveries per second and commit latency. Not a unit test; see
 * RESULTS.md for figures and bench/store/Makefile to build it.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/store.h"

struct bench {
	struct store		*st;
	struct event_base	*base;
	int64_t			*users;
	int			 n_users;
	int			 total;
	int			 started;
	int			 finished;
	int			 failed;
	size_t			 size;
	char			*body;
	double			*latency;
	double			 loop_busy;	/* in start_one() */
};

struct one {
	struct bench	*b;
	double		 t0;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void	start_one(struct bench *b);

static void
one_done(void *arg, int result, const char *err)
{
	struct one *o = arg;
	struct bench *b = o->b;

	if (result != 0) {
		fprintf(stderr, "delivery failed: %s\n", err);
		b->failed++;
	}
	b->latency[b->finished++] = now() - o->t0;
	free(o);
	if (b->started < b->total)
		start_one(b);
	else if (b->finished == b->total)
		event_base_loopbreak(b->base);
}

static void
start_one(struct bench *b)
{
	struct store_delivery *d;
	struct one *o;
	char *err = NULL;

	o = xcalloc(1, sizeof(*o));
	o->b = b;
	o->t0 = now();
	/* What the loop itself spends: open, write, commit hand-off. */
	if ((d = store_delivery_new(b->st, &err)) == NULL)
		fatalx("store_delivery_new: %s", err);
	if (store_delivery_write(d, b->body, b->size) == -1)
		fatal("store_delivery_write");
	store_delivery_add(d, b->users[b->started % b->n_users], NULL);
	b->started++;
	store_delivery_commit(d, b->base, one_done, o);
	b->loop_busy += now() - o->t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
setup_users(struct bench *b)
{
	struct store_user u;
	char addr[64], *err = NULL;
	int i;

	if (store_domain_add(b->st, "bench.example", &err) == -1)
		fatalx("domain: %s", err);
	b->users = xcalloc((size_t)b->n_users, sizeof(*b->users));
	for (i = 0; i < b->n_users; i++) {
		snprintf(addr, sizeof(addr), "u%d@bench.example", i);
		if (store_user_add(b->st, addr, "bench", &err) == -1)
			fatalx("user: %s", err);
		if (store_user_find(b->st, addr, &u) != 1)
			fatalx("user %s not found", addr);
		b->users[i] = u.id;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_delivery [-n total] [-k in-flight] "
	    "[-t pool-threads] [-s size] [-u users] [-d parent-dir] [-v]\n");
	exit(2);
}

static int
opt_num(const char *s, int max)
{
	const char *errstr;
	int n = (int)str_to_uint(s, 1, (uint64_t)max, &errstr);

	if (errstr != NULL)
		usage();
	return n;
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct iopool *pool;
	char dir[4096], *data, *err = NULL;
	const char *parent = "/var/tmp";
	int ch, k = 20, threads = 16, i;
	double t0, t1;

	memset(&b, 0, sizeof(b));
	b.total = 10000;
	b.size = 4096;
	b.n_users = 50;
	while ((ch = getopt(argc, argv, "n:k:t:s:u:d:v")) != -1) {
		switch (ch) {
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'n': b.total = opt_num(optarg, 10000000); break;
		case 'k': k = opt_num(optarg, 100000); break;
		case 't': threads = opt_num(optarg, 1024); break;
		case 's': b.size = (size_t)opt_num(optarg, 1 << 30); break;
		case 'u': b.n_users = opt_num(optarg, 100000); break;
		case 'd': parent = optarg; break;
		default: usage();
		}
	}
	if (evthread_use_pthreads() == -1)
		fatalx("evthread_use_pthreads");
	snprintf(dir, sizeof(dir), "%s/petrel-bench-XXXXXX", parent);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp %s", dir);
	data = xasprintf("%s/data", dir);
	pool = iopool_new(threads);
	if ((b.st = store_open(data, pool, &err)) == NULL)
		fatalx("store_open: %s", err);
	b.base = event_base_new();
	b.body = xmalloc(b.size);
	for (i = 0; i < (int)b.size; i++)
		b.body[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' :
		    (char)('a' + i % 26);
	b.latency = xcalloc((size_t)b.total, sizeof(*b.latency));
	setup_users(&b);

	t0 = now();
	for (i = 0; i < k && b.started < b.total; i++)
		start_one(&b);
	event_base_loop(b.base, EVLOOP_NO_EXIT_ON_EMPTY);
	t1 = now();

	qsort(b.latency, (size_t)b.total, sizeof(*b.latency), cmp_double);
	printf("deliveries=%d in_flight=%d pool_threads=%d size=%zu "
	    "users=%d failed=%d seconds=%.3f per_second=%.0f "
	    "latency_ms_p50=%.2f p99=%.2f loop_busy_s=%.3f\n", b.total, k,
	    threads, b.size,
	    b.n_users, b.failed, t1 - t0, b.total / (t1 - t0),
	    b.latency[b.total / 2] * 1e3,
	    b.latency[(size_t)(b.total * 0.99)] * 1e3, b.loop_busy);
	store_close(b.st);
	iopool_free(pool);
	event_base_free(b.base);
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(b.latency);
	free(b.body);
	free(b.users);
	free(data);
	return b.failed != 0;
}
