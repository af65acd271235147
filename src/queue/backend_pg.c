/* The PostgreSQL backend of the queue's seam (queue_backend in
 * queue_int.h), for nodes that share a cluster's database: a node leases
 * what it sends, so that two nodes never send one message at once and a
 * dead node's messages come free again.
 *
 * - due() leases the due messages in one statement (SELECT ... FOR
 *   UPDATE SKIP LOCKED, then lease_owner = this node, lease_expires = the
 *   database's now + lease_time) and reads their due recipients; claim()
 *   loads one, writing its body from the row to leased/<qid> for the
 *   transports and the bounce writer; release() clears the lease after
 *   the results are committed (batched: one UPDATE per loop iteration).
 * - Leases are renewed every lease_time / 3 in one UPDATE. A job starts
 *   only while its message's lease is known to hold (may_start): the
 *   local deadline is taken from the monotonic clock before the statement
 *   that set the expiry, less two seconds (the expiry is rounded down to
 *   whole seconds, and a margin). A renewal that fails holds new jobs back
 *   until one succeeds; one that finds a lease gone (another node took it
 *   after it ran out) marks it lost, and its waiting jobs are dropped.
 * - The node id (data_dir/queue/node-id, made once) is stable across
 *   restarts: a node starting again clears its own old leases at once
 *   (its previous process is dead: sched.lock says so), other nodes wait
 *   for them to run out.
 * Times in the database are the database's clock only, so the nodes'
 * clocks need not agree.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/buf.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "queue/backend_pg.h"
#include "store/pg_int.h"

/* Local validity: the expiry is rounded down, and a second to spare. */
#define LEASE_MARGIN	2.0
/* Retry a renewal that failed this often (seconds). */
#define RENEW_RETRY	1
#define NODE_ID_MAX	128

/* Lease the due messages: those with a recipient due, not held, and not
 * leased (or their lease ran out). */
static const char lease_sql[] =
	"WITH c AS (SELECT m.id, m.lease_owner FROM queue_msgs m "
	"WHERE m.id IN (SELECT r.msg_id FROM queue_rcpts r "
	"WHERE r.next_attempt <= $1 AND r.dsn = 0) AND NOT m.held "
	"AND (m.lease_owner IS NULL OR m.lease_expires <= " QUEUE_PG_NOW ") "
	"ORDER BY m.id LIMIT $2 FOR UPDATE OF m SKIP LOCKED) "
	"UPDATE queue_msgs m SET lease_owner = $3, "
	"lease_expires = " QUEUE_PG_NOW " + $4 FROM c WHERE m.id = c.id "
	"RETURNING m.id, m.qid, c.lease_owner";

static const char rows_sql[] =
	"SELECT id, msg_id, address, domain, orcpt, notify, attempts "
	"FROM queue_rcpts WHERE msg_id = ANY($1::bigint[]) "
	"AND next_attempt <= $2 AND dsn = 0 ORDER BY next_attempt, id";

/* Binary results: the body comes as it is, not hex-escaped. */
static const char msg_sql[] =
	"SELECT qid, sender, envid, ret_hdrs, is_8bit, is_utf8, size, "
	"created, warned, body FROM queue_msgs "
	"WHERE id = $1 AND lease_owner = $2";

static const char renew_sql[] =
	"UPDATE queue_msgs SET lease_expires = " QUEUE_PG_NOW " + $1 "
	"WHERE lease_owner = $2 AND id = ANY($3::bigint[]) RETURNING id";

static const char release_sql[] =
	"UPDATE queue_msgs SET lease_owner = NULL, lease_expires = 0 "
	"WHERE lease_owner = $1 AND id = ANY($2::bigint[])";

static const char reclaim_sql[] =
	"UPDATE queue_msgs SET lease_owner = NULL, lease_expires = 0 "
	"WHERE lease_owner = $1";

static void
set_err(struct pgq *b, const char *msg)
{
	char *nl;

	free(b->err);
	b->err = xstrdup(msg != NULL && *msg != '\0' ? msg : "unknown error");
	if ((nl = strrchr(b->err, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
}

/* The connection, opened again (at most once a second) when it broke. */
static PGconn *
conn(struct pgq *b)
{
	char *err = NULL;
	double now;

	if (b->pg != NULL && PQstatus(b->pg) == CONNECTION_OK)
		return b->pg;
	if ((now = queue_mono_now()) < b->next_connect)
		return NULL;
	PQfinish(b->pg);
	if ((b->pg = pg_connect(b->url, &err)) == NULL) {
		b->next_connect = now + 1;
		set_err(b, err);
		log_warnx("queue event=db error=\"%s\"", err);
		free(err);
		return NULL;
	}
	log_info("queue event=db action=reconnect");
	pgq_slots_reacquire(b);
	return b->pg;
}

PGresult *
pgq_query(struct pgq *b, int fmt, const char *sql, int n,
    const char *const *values)
{
	PGresult *res;
	PGconn *pg;

	if ((pg = conn(b)) == NULL) {
		if (b->err == NULL)
			set_err(b, "database unavailable");
		return NULL;
	}
	res = PQexecParams(pg, sql, n, NULL, values, NULL, NULL, fmt);
	if (res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK))
		return res;
	set_err(b, res != NULL ? PQresultErrorMessage(res) :
	    PQerrorMessage(pg));
	PQclear(res);
	return NULL;
}

/* ---- The lease table ---------------------------------------------- */

static unsigned
id_hash(int64_t id)
{
	return (unsigned)((uint64_t)id * 0x9e3779b97f4a7c15ull >> 54) %
	    PGQ_BUCKETS;
}

static struct pgq_lease *
lease_find(struct pgq *b, int64_t rowid)
{
	struct pgq_lease *l;

	for (l = b->leases[id_hash(rowid)]; l != NULL; l = l->next)
		if (l->rowid == rowid)
			return l;
	return NULL;
}

static struct pgq_lease *
lease_add(struct pgq *b, int64_t rowid, const char *qid)
{
	struct pgq_lease *l = xcalloc(1, sizeof(*l));
	unsigned h = id_hash(rowid);

	l->rowid = rowid;
	snprintf(l->qid, sizeof(l->qid), "%s", qid);
	l->gen = b->gen;
	l->next = b->leases[h];
	b->leases[h] = l;
	b->nleases++;
	return l;
}

/* Clear our lease of rowid with the next batch (this loop iteration). */
static void
release_later(struct pgq *b, int64_t rowid)
{
	b->releases = xreallocarray(b->releases, b->nreleases + 1,
	    sizeof(*b->releases));
	b->releases[b->nreleases++] = rowid;
	if (b->release_ev != NULL)
		event_active(b->release_ev, EV_TIMEOUT, 0);
}

/* Forget l and its body file; its lease is cleared with the next batch
 * unless another node has the message. */
static void
lease_drop(struct pgq *b, struct pgq_lease *l)
{
	struct pgq_lease **pp;

	for (pp = &b->leases[id_hash(l->rowid)]; *pp != l; pp = &(*pp)->next)
		;
	*pp = l->next;
	b->nleases--;
	if (l->body_path != NULL && unlink(l->body_path) == -1 &&
	    errno != ENOENT)
		log_warn("queue event=unlink path=%s", l->body_path);
	if (!l->is_lost)
		release_later(b, l->rowid);
	free(l->body_path);
	free(l);
}

/* "{1,2,3}": a bigint[] parameter. */
static void
ids_add(struct buf *ids, int64_t id)
{
	buf_addc(ids, ids->len == 0 ? '{' : ',');
	buf_addf(ids, "%lld", (long long)id);
}

static const char *
ids_end(struct buf *ids)
{
	if (ids->len == 0)
		buf_addc(ids, '{');
	buf_addc(ids, '}');
	return buf_cstr(ids);
}

static void
releases_flush(struct pgq *b)
{
	struct buf ids = BUF_INIT;
	const char *v[2];
	PGresult *res;
	size_t i;

	if (b->nreleases == 0)
		return;
	for (i = 0; i < b->nreleases; i++)
		ids_add(&ids, b->releases[i]);
	v[0] = b->node;
	v[1] = ids_end(&ids);
	/* Failing, the leases simply run out. */
	if ((res = pgq_query(b, 0, release_sql, 2, v)) == NULL)
		log_warnx("queue event=lease action=release result=fail "
		    "msgs=%zu error=\"%s\"", b->nreleases, b->err);
	PQclear(res);
	b->nreleases = 0;
	buf_free(&ids);
}

static void
on_release(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	releases_flush(arg);
}

/* ---- Renewal ------------------------------------------------------ */

static void
renew_arm(struct pgq *b)
{
	struct timeval tv = { 0, 0 };

	tv.tv_sec = b->is_renew_failing ? RENEW_RETRY :
	    (b->lease_time / 3 > 0 ? b->lease_time / 3 : 1);
	evtimer_add(b->renew_ev, &tv);
}

/* After a renewal: the leases it did not keep are another node's now (or
 * their messages left the queue). */
static void
renew_sweep(struct pgq *b)
{
	struct pgq_lease *l;
	size_t i;

	for (i = 0; i < PGQ_BUCKETS; i++) {
		for (l = b->leases[i]; l != NULL; l = l->next) {
			if (l->gen == b->gen || l->is_lost)
				continue;
			l->is_lost = true;
			if (l->m != NULL && l->m->nwaiting > 0)
				log_warnx("queue event=lease action=lost "
				    "id=%s node=%s waiting=%u", l->qid,
				    b->node, l->m->nwaiting);
		}
	}
}

int
queue_pg_renew(struct queue_sched *s)
{
	struct pgq *b = s->be_state;
	struct buf ids = BUF_INIT;
	struct pgq_lease *l;
	char lt[24];
	const char *v[3];
	PGresult *res;
	double t0;
	size_t i;
	int k;

	if (b->nleases == 0)
		return 0;
	for (i = 0; i < PGQ_BUCKETS; i++)
		for (l = b->leases[i]; l != NULL; l = l->next)
			if (!l->is_lost)
				ids_add(&ids, l->rowid);
	snprintf(lt, sizeof(lt), "%u", b->lease_time);
	v[0] = lt;
	v[1] = b->node;
	v[2] = ids_end(&ids);
	t0 = queue_mono_now();
	res = pgq_query(b, 0, renew_sql, 3, v);
	buf_free(&ids);
	if (res == NULL) {
		if (!b->is_renew_failing)
			log_warnx("queue event=lease action=renew result=fail "
			    "leases=%zu node=%s error=\"%s\"", b->nleases,
			    b->node, b->err);
		b->is_renew_failing = true;
		return -1;
	}
	b->gen++;
	for (k = 0; k < PQntuples(res); k++) {
		if ((l = lease_find(b, pg_int(res, k, 0))) == NULL)
			continue;
		l->gen = b->gen;
		l->valid_until = t0 + b->lease_time - LEASE_MARGIN;
	}
	PQclear(res);
	renew_sweep(b);
	if (b->is_renew_failing) {
		log_info("queue event=lease action=renew result=ok leases=%zu "
		    "node=%s", b->nleases, b->node);
		b->is_renew_failing = false;
	}
	/* Jobs held back meanwhile may start, or go. */
	s->needs_rekick = true;
	return 0;
}

static void
on_renew(evutil_socket_t fd, short what, void *arg)
{
	struct pgq *b = arg;

	(void)fd;
	(void)what;
	(void)queue_pg_renew(b->s);
	renew_arm(b);
}

/* ---- The seam's operations ---------------------------------------- */

/* Lease what is due; the leased ids in b->taken, to load this pass. */
static PGresult *
lease_due(struct queue_sched *s, int64_t now, size_t limit)
{
	struct pgq *b = s->be_state;
	struct pgq_lease *l;
	char nowstr[24], limstr[24], lt[24];
	const char *v[4], *old;
	PGresult *res;
	double t0;
	int k;

	snprintf(nowstr, sizeof(nowstr), "%lld", (long long)now);
	snprintf(limstr, sizeof(limstr), "%zu", limit);
	snprintf(lt, sizeof(lt), "%u", b->lease_time);
	v[0] = nowstr;
	v[1] = limstr;
	v[2] = b->node;
	v[3] = lt;
	t0 = queue_mono_now();
	if ((res = pgq_query(b, 0, lease_sql, 4, v)) == NULL) {
		log_warnx("queue event=pass error=\"%s\"", b->err);
		return NULL;
	}
	b->ntaken = 0;
	b->taken = xreallocarray(b->taken, (size_t)PQntuples(res) + 1,
	    sizeof(*b->taken));
	for (k = 0; k < PQntuples(res); k++) {
		l = lease_find(b, pg_int(res, k, 0));
		if (l != NULL) {
			/* Ours already, run out while the database was
			 * away: nobody took it meanwhile (the owner is still
			 * us), so it is simply renewed. A lost one is given
			 * back: its loaded jobs may be stale. */
			if (!l->is_lost)
				l->valid_until = t0 + b->lease_time -
				    LEASE_MARGIN;
			else
				release_later(b, l->rowid);
			continue;
		}
		l = lease_add(b, pg_int(res, k, 0), PQgetvalue(res, k, 1));
		l->valid_until = t0 + b->lease_time - LEASE_MARGIN;
		b->taken[b->ntaken++] = l->rowid;
		old = PQgetisnull(res, k, 2) ? NULL : PQgetvalue(res, k, 2);
		if (old != NULL && strcmp(old, b->node) != 0)
			log_info("queue event=lease action=takeover id=%s "
			    "node=%s from=%s", l->qid, b->node, old);
		else
			log_info("queue event=lease action=claim id=%s node=%s",
			    l->qid, b->node);
	}
	return res;
}

static size_t
pgq_due(struct queue_sched *s, int64_t now, size_t limit,
    struct sched_due **out)
{
	struct pgq *b = s->be_state;
	struct sched_due *rows = NULL, *r;
	struct buf ids = BUF_INIT;
	char nowstr[24];
	const char *v[2];
	PGresult *res;
	size_t i, n = 0;
	int k;

	*out = NULL;
	releases_flush(b);
	if ((res = lease_due(s, now, limit)) == NULL)
		return 0;
	PQclear(res);
	if (b->ntaken == 0)
		return 0;
	for (i = 0; i < b->ntaken; i++)
		ids_add(&ids, b->taken[i]);
	snprintf(nowstr, sizeof(nowstr), "%lld", (long long)now);
	v[0] = ids_end(&ids);
	v[1] = nowstr;
	res = pgq_query(b, 0, rows_sql, 2, v);
	buf_free(&ids);
	if (res == NULL) {
		/* pass_done() gives the leases back. */
		log_warnx("queue event=pass error=\"%s\"", b->err);
		return 0;
	}
	rows = xcalloc((size_t)PQntuples(res) + 1, sizeof(*rows));
	for (k = 0; k < PQntuples(res); k++) {
		r = &rows[n++];
		r->rowid = pg_int(res, k, 0);
		r->msg_rowid = pg_int(res, k, 1);
		r->address = pg_strdup(res, k, 2);
		r->domain = pg_strdup(res, k, 3);
		r->orcpt = pg_strdup(res, k, 4);
		r->notify = (unsigned)pg_int(res, k, 5);
		r->attempts = (unsigned)pg_int(res, k, 6);
	}
	PQclear(res);
	*out = rows;
	return n;
}

/* Binary column values (network byte order). */
static int64_t
bin_int64(const PGresult *res, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, 0,
	    col);
	uint64_t v = 0;
	int i;

	if (PQgetlength(res, 0, col) != 8)
		return 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static bool
bin_bool(const PGresult *res, int col)
{
	return PQgetlength(res, 0, col) == 1 && PQgetvalue(res, 0, col)[0];
}

/* Write the body to leased/<qid>: the transports read a file. */
static char *
body_write(struct pgq *b, const char *qid, const PGresult *res, int col)
{
	char *path = xasprintf("%s/%s", b->leased_dir, qid);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || file_write_all(fd, PQgetvalue(res, 0, col),
	    (size_t)PQgetlength(res, 0, col)) == -1 || close(fd) == -1) {
		log_warn("queue event=lease action=body id=%s path=%s", qid,
		    path);
		if (fd != -1) {
			(void)close(fd);
			(void)unlink(path);
		}
		free(path);
		return NULL;
	}
	return path;
}

static struct sched_msg *
pgq_claim(struct queue_sched *s, int64_t rowid)
{
	struct pgq *b = s->be_state;
	struct pgq_lease *l = lease_find(b, rowid);
	struct sched_msg *m;
	char idstr[24];
	const char *v[2];
	PGresult *res;

	if (l == NULL || l->m != NULL || l->is_lost)
		return NULL;
	snprintf(idstr, sizeof(idstr), "%lld", (long long)rowid);
	v[0] = idstr;
	v[1] = b->node;
	if ((res = pgq_query(b, 1, msg_sql, 2, v)) == NULL ||
	    PQntuples(res) != 1) {
		if (res == NULL)
			log_warnx("queue event=lease action=load id=%s "
			    "error=\"%s\"", l->qid, b->err);
		PQclear(res);
		lease_drop(b, l);
		return NULL;
	}
	if ((l->body_path = body_write(b, l->qid, res, 9)) == NULL) {
		PQclear(res);
		lease_drop(b, l);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->rowid = rowid;
	snprintf(m->id, sizeof(m->id), "%s", PQgetvalue(res, 0, 0));
	m->sender = xstrdup(PQgetvalue(res, 0, 1));
	m->envid = PQgetisnull(res, 0, 2) ? NULL :
	    xstrdup(PQgetvalue(res, 0, 2));
	m->ret_hdrs = bin_bool(res, 3);
	m->is_8bitmime = bin_bool(res, 4);
	m->is_utf8 = bin_bool(res, 5);
	m->size = (uint64_t)bin_int64(res, 6);
	m->created = bin_int64(res, 7);
	m->is_warned = bin_bool(res, 8);
	m->body_path = xstrdup(l->body_path);
	PQclear(res);
	l->m = m;
	return m;
}

static void
pgq_release(struct queue_sched *s, int64_t rowid)
{
	struct pgq *b = s->be_state;
	struct pgq_lease *l;

	if ((l = lease_find(b, rowid)) != NULL)
		lease_drop(b, l);
}

/* Leases due() took for messages the scheduler did not load. */
static void
pgq_pass_done(struct queue_sched *s)
{
	struct pgq *b = s->be_state;
	struct pgq_lease *l;
	size_t i;

	for (i = 0; i < b->ntaken; i++)
		if ((l = lease_find(b, b->taken[i])) != NULL && l->m == NULL)
			lease_drop(b, l);
	b->ntaken = 0;
}

static int
pgq_may_start(struct queue_sched *s, const struct sched_msg *m)
{
	struct pgq *b = s->be_state;
	struct pgq_lease *l = lease_find(b, m->rowid);

	if (l == NULL || l->is_lost)
		return -1;
	if (queue_mono_now() < l->valid_until)
		return 1;
	/* Run out, or about to: renew now (once a second at most), and
	 * start nothing until that succeeded. */
	if (!b->is_renew_failing && queue_mono_now() >= b->next_forced_renew) {
		b->next_forced_renew = queue_mono_now() + RENEW_RETRY;
		event_del(b->renew_ev);
		event_active(b->renew_ev, EV_TIMEOUT, 0);
	}
	return 0;
}

/* ---- Opening ------------------------------------------------------ */

static int
node_make(const char *path, char **err_out)
{
	char host[64], rnd[9], *id;
	int fd, rc = 0;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "node");
	host[sizeof(host) - 1] = '\0';
	str_random_hex(rnd, 4);
	id = xasprintf("%s-%s\n", host, rnd);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || file_write_all(fd, id, strlen(id)) == -1 ||
	    fsync(fd) == -1)
		rc = queue_err(err_out, "queue: %s: %s", path,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	free(id);
	return rc;
}

/* This node's id: data_dir/queue/node-id, "<hostname>-<random>", made on
 * first use and kept, so that it outlives restarts and two data
 * directories never share one. */
static char *
node_id(struct queue *q, char **err_out)
{
	char *path = xasprintf("%s/node-id", q->dir);
	char line[NODE_ID_MAX + 2];
	FILE *f;

	if (access(path, F_OK) == -1 && node_make(path, err_out) == -1) {
		free(path);
		return NULL;
	}
	line[0] = '\0';
	if ((f = fopen(path, "re")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL) {
		queue_err(err_out, "queue: %s: %s", path,
		    f != NULL ? "empty" : strerror(errno));
		if (f != NULL)
			fclose(f);
		free(path);
		return NULL;
	}
	fclose(f);
	free(path);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0')
		return queue_err(err_out, "queue: node-id is empty"), NULL;
	return xstrdup(line);
}

/* leased/, emptied: nothing is loaded yet, and sched.lock makes this
 * the only scheduler of the directory. */
static int
leased_dir_clean(const char *dir, char **err_out)
{
	struct dirent *de;
	char *path;
	DIR *d;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return queue_err(err_out, "queue: %s: %s", dir,
		    strerror(errno));
	if ((d = opendir(dir)) == NULL)
		return queue_err(err_out, "queue: %s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		(void)unlink(path);
		free(path);
	}
	closedir(d);
	return 0;
}

static int
pgq_open(struct queue_sched *s, char **err_out)
{
	struct pgq *b = xcalloc(1, sizeof(*b));
	const char *v[1];
	PGresult *res;
	char *err = NULL;

	s->be_state = b;
	b->s = s;
	b->url = s->q->pg_url;
	b->lease_time = s->p.lease_time;
	b->leased_dir = xasprintf("%s/leased", s->q->dir);
	if ((b->node = node_id(s->q, err_out)) == NULL ||
	    leased_dir_clean(b->leased_dir, err_out) == -1)
		return -1;
	if ((b->pg = pg_connect(b->url, &err)) == NULL) {
		queue_err(err_out, "queue: %s", err);
		free(err);
		return -1;
	}
	/* Our previous process is gone: what it held is free at once. */
	v[0] = b->node;
	if ((res = pgq_query(b, 0, reclaim_sql, 1, v)) == NULL)
		return queue_err(err_out, "queue: %s", b->err);
	if (strcmp(PQcmdTuples(res), "0") != 0)
		log_info("queue event=lease action=reclaim msgs=%s node=%s",
		    PQcmdTuples(res), b->node);
	PQclear(res);
	b->renew_ev = evtimer_new(s->base, on_renew, b);
	b->release_ev = event_new(s->base, -1, 0, on_release, b);
	renew_arm(b);
	log_info("queue event=lease action=start node=%s lease_time=%u",
	    b->node, b->lease_time);
	return 0;
}

static void
pgq_close(struct queue_sched *s)
{
	struct pgq *b = s->be_state;
	struct pgq_lease *l;
	size_t i;

	if (b == NULL)
		return;
	/* Normally none is left: the scheduler released them all. */
	for (i = 0; i < PGQ_BUCKETS; i++)
		while ((l = b->leases[i]) != NULL)
			lease_drop(b, l);
	if (b->pg != NULL)
		releases_flush(b);
	if (b->renew_ev != NULL)
		event_free(b->renew_ev);
	if (b->release_ev != NULL)
		event_free(b->release_ev);
	PQfinish(b->pg);
	free(b->slots);
	free(b->releases);
	free(b->taken);
	free(b->leased_dir);
	free(b->node);
	free(b->err);
	free(b);
	s->be_state = NULL;
}

const char *
queue_pg_node(struct queue_sched *s)
{
	struct pgq *b = s->be_state;

	return b->node;
}

const struct queue_backend queue_backend_pg = {
	"postgresql", pgq_open, pgq_close, pgq_due, pgq_claim, pgq_release,
	pgq_pass_done, pgq_may_start, pgq_slot_take, pgq_slot_give,
	true,
};
