/* The scheduler: a thread with its own event loop. A pass loads the
 * recipients that are due (next_attempt reached, message not held, not
 * already in flight), groups each message's recipients by destination
 * into jobs, and hands the jobs to the destinations (dest.c), which start
 * them within the concurrency limits. Finished jobs are written back in
 * batches (result.c) by a thread of their own (writer.c). A pass runs
 * when a commit wakes the scheduler, when a backlog larger than one pass
 * has room again, and at least once a second, which is how `petrel queue
 * flush` and friends reach a running server.
 * SPDX-License-Identifier: ISC */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

/* Messages in memory at once, and recipient rows read per pass. */
#define SCHED_ACTIVE_MAX	4000
#define SCHED_PASS_ROWS		2000
/* A cluster node holds at most this many messages per outgoing
 * connection it may open, and at least SCHED_SHARED_MIN. */
#define SCHED_SHARED_PER_CONN	4
#define SCHED_SHARED_MIN	32
#define SCHED_POLL_SECONDS	1

void
queue_sched_wake(struct queue_sched *s)
{
	event_active(s->wake_ev, EV_TIMEOUT, 0);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct sched_due *x = a, *y = b;
	int c;

	if (x->msg_rowid != y->msg_rowid)
		return x->msg_rowid < y->msg_rowid ? -1 : 1;
	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

void
sched_due_free(struct sched_due *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].address);
		free(rows[i].domain);
		free(rows[i].orcpt);
		free(rows[i].key);
	}
	free(rows);
}

/* Decide where a row goes. false: leave it for a later pass. */
static bool
row_route(struct queue_sched *s, struct sched_due *r)
{
	const struct queue_transport *local = s->p.local;
	const struct queue_nexthop *nh;
	struct queue_nexthop mx;
	struct buf key = BUF_INIT;
	int rc = 0;

	if (local != NULL)
		rc = local->accepts != NULL ? local->accepts(local->arg,
		    r->domain) : 1;
	if (rc == -1)
		return false;
	if (rc == 1) {
		r->is_local = true;
		r->key = xstrdup("local");
		return true;
	}
	nh = queue_routes_find(s->routes, r->domain, &mx, &key);
	r->nh = *nh;
	r->key = buf_release(&key);
	return true;
}

/* The due rows with their routes; rows that cannot be routed now are
 * left for a later pass. */
static size_t
rows_load(struct queue_sched *s, size_t limit, struct sched_due **out)
{
	struct sched_due *rows;
	size_t n, i, k = 0;

	n = s->be->due(s, (int64_t)time(NULL), limit, &rows);
	for (i = 0; i < n; i++) {
		if (row_route(s, &rows[i]))
			rows[k++] = rows[i];
		else {
			free(rows[i].address);
			free(rows[i].domain);
			free(rows[i].orcpt);
		}
	}
	*out = rows;
	return k;
}

/* One job for rows[0..n) (one message, one destination). */
static struct sched_job *
job_new(struct queue_sched *s, struct sched_msg *m, struct sched_due *rows,
    size_t n)
{
	struct sched_job *j = xcalloc(1, sizeof(*j));
	size_t i;

	j->sched = s;
	j->msg = m;
	j->slot = -1;
	memcpy(j->job.id, m->id, sizeof(j->job.id));
	j->job.sender = m->sender;
	j->job.envid = m->envid;
	j->job.is_8bitmime = m->is_8bitmime;
	j->job.is_utf8 = m->is_utf8;
	j->job.ret_hdrs = m->ret_hdrs;
	j->job.size = m->size;
	j->job.body_path = m->body_path;
	j->job.priv = j;
	j->job.rcpts = xcalloc(n, sizeof(*j->job.rcpts));
	j->rowids = xcalloc(n, sizeof(*j->rowids));
	j->attempts = xcalloc(n, sizeof(*j->attempts));
	for (i = 0; i < n; i++) {
		j->job.rcpts[i].address = xstrdup(rows[i].address);
		j->job.rcpts[i].orcpt = rows[i].orcpt ?
		    xstrdup(rows[i].orcpt) : NULL;
		j->job.rcpts[i].notify = rows[i].notify;
		j->rowids[i] = rows[i].rowid;
		j->attempts[i] = rows[i].attempts;
	}
	j->job.nrcpts = n;
	m->njobs++;
	m->refs++;
	return j;
}

/* Make the jobs of one message from its rows (sorted by key). */
static void
msg_dispatch(struct queue_sched *s, struct sched_msg *m, struct sched_due *rows,
    size_t n)
{
	struct sched_job *j;
	size_t i, k;

	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && strcmp(rows[k].key, rows[i].key) == 0;
		    k++)
			;
		j = job_new(s, m, rows + i, k - i);
		sched_dest_add(s, rows[i].key, rows[i].is_local, &rows[i].nh,
		    j);
	}
}

/* How many messages this scheduler keeps loaded at most. On a cluster
 * node each is leased, and no other node may send it meanwhile: a node
 * takes what its connections can start soon, so that a backlog spreads
 * over the nodes rather than waiting behind the first node's leases. */
size_t
sched_active_max(const struct queue_sched *s)
{
	size_t cap;

	if (!s->be->is_shared)
		return SCHED_ACTIVE_MAX;
	cap = (size_t)s->p.max_connections * SCHED_SHARED_PER_CONN;
	if (cap < SCHED_SHARED_MIN)
		return SCHED_SHARED_MIN;
	return cap < SCHED_ACTIVE_MAX ? cap : SCHED_ACTIVE_MAX;
}

static void
pass(struct queue_sched *s)
{
	struct sched_due *rows = NULL;
	struct sched_msg *m;
	size_t n, i, k, limit, active_max = sched_active_max(s);

	if (s->is_stopping || s->nmsgs >= active_max)
		return;
	limit = active_max - s->nmsgs;
	if (limit > SCHED_PASS_ROWS)
		limit = SCHED_PASS_ROWS;
	n = rows_load(s, limit, &rows);
	s->has_more_due = n >= limit;
	if (n > 0)
		qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && rows[k].msg_rowid == rows[i].msg_rowid;
		    k++)
			;
		if ((m = s->be->claim(s, rows[i].msg_rowid)) == NULL)
			continue;
		s->nmsgs++;
		msg_dispatch(s, m, rows + i, k - i);
	}
	sched_due_free(rows, n);
	if (s->be->pass_done != NULL)
		s->be->pass_done(s);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pass(arg);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct queue_sched *s = arg;
	struct timeval tv = { SCHED_POLL_SECONDS, 0 };

	(void)fd;
	(void)what;
	/* Jobs held back for a lease renewal or a cluster slot: try them
	 * again (a renewal or another node's finished job frees them). */
	if (s->needs_rekick && !s->is_stopping) {
		s->needs_rekick = false;
		s->is_total_blocked = false;
		sched_dest_kick_all(s);
	}
	sched_dests_settle(s);
	pass(s);
	evtimer_add(s->timer_ev, &tv);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct queue_sched *s = arg;

	(void)fd;
	(void)what;
	sched_writer_collect(s);
	/* Written results make nothing newly due (a deferral is for
	 * later); only a backlog larger than one pass loaded is waiting,
	 * and it is loaded once half the room is free: a pass reads every
	 * due row, so one per finished job would cost O(n^2). */
	if (s->has_more_due && s->nmsgs < sched_active_max(s) / 2)
		pass(s);
}

static void	stop_finish(struct queue_sched *s);

void
queue_job_done(struct queue_job *job)
{
	struct sched_job *j = job->priv;
	struct queue_sched *s = j->sched;
	struct sched_dest *d = j->dest;

	sched_dest_job_done(d, j);
	j->next = NULL;
	if (s->done_tail != NULL)
		s->done_tail->next = j;
	else
		s->done_head = j;
	s->done_tail = j;
	event_active(s->flush_ev, EV_TIMEOUT, 0);
	if (s->is_stopping) {
		stop_finish(s);
		return;
	}
	if (s->is_total_blocked && !d->is_local) {
		s->is_total_blocked = false;
		sched_dest_kick_all(s);
		sched_dest_settle(d);
	} else
		sched_dest_kick(s, d);
}

/* Once every started job is back: write the results, drop the rest,
 * end the loop. */
static void
stop_finish(struct queue_sched *s)
{
	if (!s->can_finish || s->is_finished || s->nstarted > 0)
		return;
	s->is_finished = true;
	queue_dns_free(s->dns);
	s->dns = NULL;
	/* The results first: dropping the waiting jobs below changes their
	 * messages, which a batch in the writer may hold. */
	sched_writer_stop(s);
	sched_dests_free(s);
	event_base_loopexit(s->base, NULL);
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct queue_sched *s = arg;

	(void)fd;
	(void)what;
	s->is_stopping = true;
	/* Transports end what they can at once (QUEUE_TEMP, which is not
	 * written back: those recipients are simply tried again); a local
	 * delivery waits for its store commit. */
	if (s->p.remote != NULL && s->p.remote->stop != NULL)
		s->p.remote->stop(s->p.remote->arg);
	if (s->p.local != NULL && s->p.local->stop != NULL)
		s->p.local->stop(s->p.local->arg);
	s->can_finish = true;
	stop_finish(s);
}

static void *
sched_main(void *arg)
{
	struct queue_sched *s = arg;
	struct timeval now = { 0, 0 };

	evtimer_add(s->timer_ev, &now);
	event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int
sched_lock(struct queue_sched *s, char **err_out)
{
	char *path = xasprintf("%s/sched.lock", s->q->dir);

	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (s->lock_fd == -1)
		return queue_err(err_out, "queue: sched.lock: %s",
		    strerror(errno));
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == -1)
		return queue_err(err_out, "queue: another scheduler runs on "
		    "%s", s->q->dir);
	return 0;
}

static int
transport_start(struct queue_sched *s, const struct queue_transport *t,
    char **err_out)
{
	if (t == NULL || t->start == NULL)
		return 0;
	return t->start(t->arg, s->base, err_out);
}

static int
sched_init(struct queue_sched *s, char **err_out)
{
	if (sched_lock(s, err_out) == -1)
		return -1;
	if ((s->routes = queue_routes_new(&s->p, err_out)) == NULL)
		return -1;
	if ((s->base = event_base_new()) == NULL)
		return queue_err(err_out, "queue: event_base_new failed");
	if (s->be->open(s, err_out) == -1)
		return -1;
	s->dns = queue_dns_new(s->base, s->p.dns_server, err_out);
	if (s->dns == NULL)
		return -1;
	s->wake_ev = event_new(s->base, -1, 0, on_wake, s);
	s->timer_ev = evtimer_new(s->base, on_timer, s);
	s->flush_ev = event_new(s->base, -1, 0, on_flush, s);
	s->stop_ev = event_new(s->base, -1, 0, on_stop, s);
	if (sched_writer_start(s, err_out) == -1)
		return -1;
	if (transport_start(s, s->p.remote, err_out) == -1 ||
	    transport_start(s, s->p.local, err_out) == -1)
		return -1;
	return 0;
}

static void
sched_free(struct queue_sched *s)
{
	sched_writer_stop(s);
	if (s->wake_ev != NULL)
		event_free(s->wake_ev);
	if (s->timer_ev != NULL)
		event_free(s->timer_ev);
	if (s->flush_ev != NULL)
		event_free(s->flush_ev);
	if (s->stop_ev != NULL)
		event_free(s->stop_ev);
	queue_dns_free(s->dns);
	s->be->close(s);
	if (s->base != NULL)
		event_base_free(s->base);
	if (s->wdb != NULL) {
		qdb_close(s->wdb);
		pthread_mutex_destroy(&s->w_lock);
		pthread_cond_destroy(&s->w_cond);
	}
	queue_routes_free(s->routes);
	if (s->lock_fd != -1)
		close(s->lock_fd);
	free(s);
}

struct queue_sched *
queue_sched_start(struct queue *q, const struct queue_params *params,
    char **err_out)
{
	struct queue_sched *s = xcalloc(1, sizeof(*s));

	s->q = q;
	/* A cluster node schedules from the shared database, leasing what
	 * it sends (docs/QUEUE.md, "Cluster"). */
	s->be = q->pg_url != NULL ? &queue_backend_pg : &queue_backend_lite;
	s->p = *params;
	s->lock_fd = -1;
	if (s->p.max_connections == 0)
		s->p.max_connections = 1;
	if (s->p.max_per_destination == 0)
		s->p.max_per_destination = 1;
	if (s->p.retry_min == 0)
		s->p.retry_min = 1;
	if (s->p.lease_time == 0)
		s->p.lease_time = 120;
	if (sched_init(s, err_out) == -1) {
		sched_free(s);
		return NULL;
	}
	if (pthread_create(&s->thread, NULL, sched_main, s) != 0)
		fatalx("queue: cannot start the scheduler thread");
	pthread_mutex_lock(&q->lock);
	q->sched = s;
	pthread_mutex_unlock(&q->lock);
	log_info("queue event=start backend=%s max_connections=%u "
	    "max_per_destination=%u", s->be->name, s->p.max_connections,
	    s->p.max_per_destination);
	return s;
}

void
queue_sched_stop(struct queue_sched *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->q->lock);
	s->q->sched = NULL;
	pthread_mutex_unlock(&s->q->lock);
	event_active(s->stop_ev, EV_TIMEOUT, 0);
	pthread_join(s->thread, NULL);
	sched_free(s);
	log_info("queue event=stopped");
}
