/* Destinations: one per next hop ("local", "relay", "mx:example.org",
 * "nh:[192.0.2.1]:2525"). Jobs wait at their destination until the
 * limits let them start: max_per_destination jobs at one destination and
 * max_connections remote jobs in all. A remote destination resolves its
 * route once for all its jobs and keeps it as long as its DNS TTL says
 * (within bounds); a permanent routing failure is kept too (RFC 2308
 * negative caching), so the jobs behind it bounce without a lookup each.
 * When the transport finishes a job, the next one starts at once and can
 * take the connection the last one left open.
 *
 * How many connections a remote destination opens: one, and another only
 * while the jobs waiting there would keep the open ones busy longer than
 * SCHED_DRAIN_SECONDS, by the destination's average job time over an open
 * connection (over new ones only until a connection has been reused). A
 * fast host takes a batch of a thousand messages over one or two
 * connections, a slow one gets up to max_per_destination in parallel, one
 * more a second; like Postfix's slow start, but from the measured time.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

double
queue_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned
key_hash(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % SCHED_DEST_BUCKETS;
}

static struct sched_dest *
dest_get(struct queue_sched *s, const char *key, bool is_local,
    const struct queue_nexthop *nh)
{
	unsigned h = key_hash(key);
	struct sched_dest *d;

	for (d = s->dests[h]; d != NULL; d = d->next)
		if (strcmp(d->key, key) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->key = xstrdup(key);
	d->sched = s;
	d->is_local = is_local;
	if (!is_local) {
		d->nh.host = xstrdup(nh->host);
		d->nh.port = nh->port;
		d->nh.is_mx = nh->is_mx;
		d->nh.tls = nh->tls;
		if (nh->auth_user != NULL)
			d->nh.auth_user = xstrdup(nh->auth_user);
		if (nh->auth_password != NULL)
			d->nh.auth_password = xstrdup(nh->auth_password);
	}
	d->next = s->dests[h];
	s->dests[h] = d;
	return d;
}

unsigned
queue_route_ttl(enum queue_dns_status st, long ttl)
{
	switch (st) {
	case QUEUE_DNS_OK:
		if (ttl < ROUTE_TTL_MIN)
			return ROUTE_TTL_MIN;
		return ttl > ROUTE_TTL_MAX ? ROUTE_TTL_MAX : (unsigned)ttl;
	case QUEUE_DNS_TEMP:
		/* Retries come with the recipients' backoff. */
		return 0;
	default:
		if (ttl < 0)
			return NEG_TTL_DEFAULT;
		if (ttl < NEG_TTL_MIN)
			return NEG_TTL_MIN;
		return ttl > NEG_TTL_MAX ? NEG_TTL_MAX : (unsigned)ttl;
	}
}

void
sched_route_unref(struct sched_route *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	queue_route_fini(&r->r);
	free(r);
}

void
sched_dest_add(struct queue_sched *s, const char *key, bool is_local,
    const struct queue_nexthop *nh, struct sched_job *j)
{
	struct sched_dest *d = dest_get(s, key, is_local, nh);

	j->dest = d;
	j->is_local = is_local;
	j->next = NULL;
	d->nwaiting++;
	j->msg->nwaiting++;
	if (d->wait_tail != NULL)
		d->wait_tail->next = j;
	else
		d->wait_head = j;
	d->wait_tail = j;
	sched_dest_kick(s, d);
}

/* The reply we log and bounce with when routing failed. */
static void
route_failure(enum queue_dns_status st, const char *detail,
    enum queue_status *qs, char *reply, size_t len)
{
	switch (st) {
	case QUEUE_DNS_NXDOMAIN:
		*qs = QUEUE_PERM;
		snprintf(reply, len, "550 5.1.2 Host or domain name not "
		    "found (%s)", detail);
		break;
	case QUEUE_DNS_NULLMX:
		/* RFC 7505 4.1 */
		*qs = QUEUE_PERM;
		snprintf(reply, len, "556 5.1.10 Recipient domain has a null "
		    "MX: it accepts no mail");
		break;
	case QUEUE_DNS_NOHOST:
		*qs = QUEUE_PERM;
		snprintf(reply, len, "550 5.4.4 Unable to route: %s", detail);
		break;
	default:
		*qs = QUEUE_TEMP;
		snprintf(reply, len, "451 4.4.3 DNS lookup failed: %s",
		    detail);
		break;
	}
}

/* Fail every job waiting at d with one status and reply. */
static void
fail_waiting(struct sched_dest *d, enum queue_status qs, const char *reply)
{
	struct sched_job *j, *next;

	/* Detach the waiting jobs first: failing them kicks d again. */
	j = d->wait_head;
	d->wait_head = d->wait_tail = NULL;
	d->nwaiting = 0;
	for (; j != NULL; j = next) {
		next = j->next;
		j->msg->nwaiting--;
		sched_job_fail(j, qs, reply);
	}
}

static void
on_route(void *arg, enum queue_dns_status st, struct queue_route *route,
    const char *detail, long dns_ttl)
{
	struct sched_dest *d = arg;
	struct queue_sched *s = d->sched;
	unsigned ttl = queue_route_ttl(st, dns_ttl);
	enum queue_status qs;
	char reply[QUEUE_REPLY_MAX];

	d->rstate = SCHED_ROUTE_NONE;
	d->rexpires = (int64_t)time(NULL) + ttl;
	if (st == QUEUE_DNS_OK) {
		sched_route_unref(d->route);
		d->route = xcalloc(1, sizeof(*d->route));
		d->route->refs = 1;
		d->route->r = *route;
		d->route->r.tls = d->nh.tls;
		d->route->r.auth_user = d->nh.auth_user;
		d->route->r.auth_password = d->nh.auth_password;
		d->rstate = SCHED_ROUTE_OK;
		log_info("queue event=route dest=%s result=ok hosts=%zu ttl=%u",
		    d->key, d->route->r.nhosts, ttl);
		sched_dest_kick(s, d);
		return;
	}
	if (s->is_stopping)
		return;
	route_failure(st, detail, &qs, reply, sizeof(reply));
	log_info("queue event=route dest=%s result=fail ttl=%u reply=\"%s\"",
	    d->key, ttl, reply);
	if (ttl > 0) {
		d->rstate = SCHED_ROUTE_FAILED;
		d->rfail_status = qs;
		free(d->rfail_reply);
		d->rfail_reply = xstrdup(reply);
	}
	fail_waiting(d, qs, reply);
}

/* 1 when d has a usable route, 0 while its lookup is under way, -1 when
 * a cached failure holds. */
static int
route_ready(struct queue_sched *s, struct sched_dest *d)
{
	bool is_fresh = (int64_t)time(NULL) < d->rexpires;

	if (d->rstate == SCHED_ROUTE_OK && is_fresh)
		return 1;
	if (d->rstate == SCHED_ROUTE_FAILED && is_fresh)
		return -1;
	if (d->rstate == SCHED_ROUTE_PENDING)
		return 0;
	d->rstate = SCHED_ROUTE_PENDING;
	queue_dns_resolve(s->dns, d->nh.host, d->nh.port, d->nh.is_mx,
	    on_route, d);
	return 0;
}

/* Take the first waiting job of d off its list. */
static struct sched_job *
wait_pop(struct sched_dest *d)
{
	struct sched_job *j = d->wait_head;

	d->wait_head = j->next;
	if (d->wait_head == NULL)
		d->wait_tail = NULL;
	d->nwaiting--;
	j->msg->nwaiting--;
	j->next = NULL;
	return j;
}

/* Whether the first waiting job of d may start as far as its message's
 * claim goes: 1 yes; 0 not now (the scheduler kicks again within a
 * second); -1 it was dropped, its message being another node's now.
 * Dropping waits until no other job of the message is running or being
 * written back: the writer thread counts the message's jobs down too. */
static int
claim_check(struct queue_sched *s, struct sched_dest *d)
{
	struct sched_job *j = d->wait_head;
	int rc;

	if (s->be->may_start == NULL ||
	    (rc = s->be->may_start(s, j->msg)) == 1)
		return 1;
	if (rc == -1 && j->msg->refs == j->msg->nwaiting) {
		sched_job_drop(wait_pop(d));
		return -1;
	}
	s->needs_rekick = true;
	return 0;
}

/* A cluster-wide slot for a further remote job at d (the backend's; the
 * embedded one has none): the one d kept from its last job, else a new
 * one. false when every slot is taken. */
static bool
slot_take(struct queue_sched *s, struct sched_dest *d, int *slot_out)
{
	*slot_out = -1;
	if (d->is_local || s->be->slot_take == NULL)
		return true;
	if (d->nspares > 0) {
		*slot_out = d->spares[--d->nspares];
		s->nspare--;
		return true;
	}
	*slot_out = s->be->slot_take(s, d->key, s->p.max_per_destination);
	if (*slot_out == -1) {
		s->needs_rekick = true;
		return false;
	}
	return true;
}

static void
spare_give(struct sched_dest *d)
{
	struct queue_sched *s = d->sched;

	while (d->nspares > 0) {
		s->be->slot_give(s, d->key, d->spares[--d->nspares]);
		s->nspare--;
	}
}

/* The slot stands for the connection, which the transport keeps open
 * idle_time for a next job: the limit counts connections, open ones
 * included, on every node. */
void
sched_dest_settle(struct sched_dest *d)
{
	if (d->nspares > 0 &&
	    queue_mono_now() - d->spare_at >= d->sched->p.idle_time)
		spare_give(d);
}

void
sched_dests_settle(struct queue_sched *s)
{
	struct sched_dest *d;
	size_t i;

	for (i = 0; i < SCHED_DEST_BUCKETS && s->nspare > 0; i++)
		for (d = s->dests[i]; d != NULL; d = d->next)
			sched_dest_settle(d);
}

static void
job_start(struct queue_sched *s, struct sched_dest *d, int slot)
{
	struct sched_job *j = wait_pop(d);
	const struct queue_transport *t;

	j->slot = slot;
	j->is_started = true;
	j->started = queue_mono_now();
	d->nactive++;
	s->nstarted++;
	j->job.nexthop = d->key;
	if (d->is_local) {
		t = s->p.local;
		j->job.route = NULL;
	} else {
		t = s->p.remote;
		s->nactive_remote++;
		j->route = d->route;
		j->route->refs++;
		j->job.route = &j->route->r;
	}
	t->deliver(t->arg, &j->job);
}

/* true when a further job (connection) at remote d pays; see the top.
 * Growing one connection a second at most keeps a loaded machine, whose
 * jobs all take longer, from opening every connection at once: more
 * connections would not make it faster. */
static bool
wants_another(struct sched_dest *d)
{
	double now;

	if (d->nactive == 0)
		return true;
	if (d->job_secs <= 0)
		return false;	/* no measure yet: one at a time */
	if (d->nwaiting * d->job_secs / d->nactive <= SCHED_DRAIN_SECONDS)
		return false;
	if ((now = queue_mono_now()) - d->grown_at < SCHED_GROW_SECONDS)
		return false;
	d->grown_at = now;
	return true;
}

void
sched_dest_job_done(struct sched_dest *d, struct sched_job *j)
{
	struct queue_sched *s = d->sched;
	double secs;

	if (!j->is_started)
		return;
	d->nactive--;
	s->nstarted--;
	if (d->is_local)
		return;
	s->nactive_remote--;
	/* Kept for the job that follows on the connection this one left
	 * open; sched_dest_settle() gives it back when none did. */
	if (j->slot != -1) {
		d->spares = xreallocarray(d->spares, d->nspares + 1,
		    sizeof(*d->spares));
		d->spares[d->nspares++] = j->slot;
		d->spare_at = queue_mono_now();
		s->nspare++;
		j->slot = -1;
	}
	secs = queue_mono_now() - j->started;
	/* Jobs over an open connection measure what another connection
	 * would add; the first of them replaces what jobs that had to
	 * connect measured (connecting, TLS, EHLO), which count only for
	 * a host that never lets a connection be reused. */
	if (j->job.is_reused && !d->has_reuse_time) {
		d->has_reuse_time = true;
		d->job_secs = secs;
		return;
	}
	if (!j->job.is_reused && d->has_reuse_time)
		return;
	/* An average over about the last eight jobs. */
	d->job_secs = d->job_secs <= 0 ? secs :
	    d->job_secs + (secs - d->job_secs) / 8;
}

static void
kick(struct queue_sched *s, struct sched_dest *d)
{
	int slot;

	while (d->wait_head != NULL && !s->is_stopping) {
		if (d->nactive >= s->p.max_per_destination)
			return;
		if (!d->is_local) {
			if (!wants_another(d))
				return;
			if (s->nactive_remote >= s->p.max_connections) {
				s->is_total_blocked = true;
				return;
			}
			switch (route_ready(s, d)) {
			case 0:
				return;
			case -1:
				fail_waiting(d, d->rfail_status,
				    d->rfail_reply);
				return;
			}
		}
		switch (claim_check(s, d)) {
		case 0:
			return;
		case -1:
			continue;
		}
		if (!slot_take(s, d, &slot))
			return;
		job_start(s, d, slot);
	}
}

void
sched_dest_kick(struct queue_sched *s, struct sched_dest *d)
{
	kick(s, d);
	sched_dest_settle(d);
}

void
sched_dest_kick_all(struct queue_sched *s)
{
	struct sched_dest *d;
	size_t i;

	for (i = 0; i < SCHED_DEST_BUCKETS && !s->is_total_blocked; i++)
		for (d = s->dests[i]; d != NULL; d = d->next)
			if (d->wait_head != NULL)
				sched_dest_kick(s, d);
}

void
sched_dests_free(struct queue_sched *s)
{
	struct sched_dest *d, *next;
	struct sched_job *j, *jnext;
	size_t i;

	for (i = 0; i < SCHED_DEST_BUCKETS; i++) {
		for (d = s->dests[i]; d != NULL; d = next) {
			next = d->next;
			for (j = d->wait_head; j != NULL; j = jnext) {
				jnext = j->next;
				sched_job_drop(j);
			}
			spare_give(d);
			free(d->spares);
			sched_route_unref(d->route);
			free(d->rfail_reply);
			queue_nexthop_fini(&d->nh);
			free(d->key);
			free(d);
		}
		s->dests[i] = NULL;
	}
}
