/* Writing back what transports did, many jobs per transaction: a
 * delivered or bounced recipient leaves the queue, a deferred one gets
 * its next attempt (exponential backoff from retry_min to retry_max), a
 * message whose last recipient is gone leaves with its body. One log line
 * per recipient and attempt.
 *
 * DSNs are one per message, not one per job: a recipient that needs one
 * (failed, or delivered/relayed with NOTIFY=SUCCESS) stays in rcpts marked
 * with its outcome until the last job of its message in this round is
 * written back; then one DSN per kind covers every such recipient of the
 * message (RFC 3464 2: a DSN has a group of fields per recipient), and a
 * delay warning covers every recipient still waiting. The marks are in
 * the database, so a crash between two jobs of one message loses no
 * report: the mark and the report are each committed with a job.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

/* The largest original returned whole with RET=FULL; larger ones come
 * back as headers only. */
#define DSN_FULL_MAX	(256 * 1024)

void
sched_job_free(struct sched_job *j)
{
	size_t i;

	for (i = 0; i < j->job.nrcpts; i++) {
		free((char *)(uintptr_t)j->job.rcpts[i].address);
		free((char *)(uintptr_t)j->job.rcpts[i].orcpt);
	}
	free(j->job.rcpts);
	free(j->rowids);
	free(j->attempts);
	sched_route_unref(j->route);
	free(j);
}

static void
msg_free(struct sched_msg *m)
{
	free(m->sender);
	free(m->envid);
	free(m->body_path);
	free(m);
}

/* Free j; with the last job of its message, the message leaves memory
 * (and, when is_deleted, the spool). */
static void
job_release(struct sched_job *j)
{
	struct sched_msg *m = j->msg;
	struct queue_sched *s = j->sched;

	sched_job_free(j);
	if (--m->refs > 0)
		return;
	if (m->is_deleted)
		queue_body_remove(s->q, m->id);
	s->be->release(s, m->rowid);
	s->nmsgs--;
	msg_free(m);
}

void
sched_job_drop(struct sched_job *j)
{
	j->msg->njobs--;
	job_release(j);
}

void
sched_job_fail(struct sched_job *j, enum queue_status st, const char *reply)
{
	size_t i;

	for (i = 0; i < j->job.nrcpts; i++) {
		j->job.rcpts[i].status = st;
		snprintf(j->job.rcpts[i].reply, sizeof(j->job.rcpts[i].reply),
		    "%s", reply);
	}
	queue_job_done(&j->job);
}

static unsigned
backoff(const struct queue_params *p, unsigned attempts)
{
	uint64_t d = p->retry_min;

	while (attempts-- > 1 && d < p->retry_max)
		d *= 2;
	return d > p->retry_max && p->retry_max > 0 ?
	    p->retry_max : (unsigned)d;
}

/* Write a recipient's attempt: attempts, when to try next, the reply and
 * relay; dsn is 0 while it stays queued, else QUEUE_DSN_* + 1 when it is
 * done and owes its sender a DSN (with its status code). */
static int
update_rcpt(struct queue_sched *s, struct sched_job *j, size_t i,
    int64_t next_attempt, int dsn, const char *status)
{
	const struct qdb_attempt a = { j->rowids[i], j->attempts[i] + 1,
	    next_attempt, j->job.rcpts[i].reply, j->job.relay, dsn, status };

	return s->wdb->ops->rcpt_update(s->wdb, &a);
}

static bool
wants(unsigned notify, unsigned flag, bool by_default)
{
	if (notify == 0)
		return by_default;
	return (notify & flag) != 0;
}

static void
log_rcpt(const struct sched_job *j, size_t i, const char *status,
    int64_t now)
{
	const struct queue_job_rcpt *r = &j->job.rcpts[i];

	log_info("queue event=delivery id=%s to=<%s> relay=%s delay=%llds "
	    "attempts=%u status=%s reply=\"%s\"", j->job.id, r->address,
	    j->job.relay[0] ? j->job.relay : "none",
	    (long long)(now - j->msg->created), j->attempts[i] + 1, status,
	    r->reply);
}

/* A done recipient that owes its sender a DSN of kind: kept, marked,
 * until its message's report (msg_report()). */
static int
mark_dsn(struct queue_sched *s, struct sched_job *j, size_t i,
    enum queue_dsn_kind kind, const char *status)
{
	return update_rcpt(s, j, i, 0, (int)kind + 1, status);
}

/* Record one recipient's outcome. -1 on a database error. */
static int
record_rcpt(struct queue_sched *s, struct sched_job *j, size_t i,
    int64_t now)
{
	const struct queue_job_rcpt *r = &j->job.rcpts[i];
	const struct sched_msg *m = j->msg;
	bool can_dsn = m->sender[0] != '\0';	/* never bounce a bounce */
	enum queue_status st = r->status;
	bool expired = false;
	char status[16];

	if (st == QUEUE_TEMP && s->w_is_stopping)
		return 0;
	if (st == QUEUE_TEMP && now - m->created >= (int64_t)s->p.lifetime)
		expired = true;
	queue_reply_status(r->reply, st, status, sizeof(status));
	if (st == QUEUE_OK) {
		log_rcpt(j, i, "sent", now);
		if (can_dsn && wants(r->notify, QUEUE_NOTIFY_SUCCESS, false)) {
			if (j->is_local)
				return mark_dsn(s, j, i, QUEUE_DSN_DELIVERED,
				    status);
			if (!r->dsn_relayed)
				return mark_dsn(s, j, i, QUEUE_DSN_RELAYED,
				    status);
		}
		return s->wdb->ops->rcpt_delete(s->wdb, j->rowids[i]);
	}
	if (st == QUEUE_PERM || expired) {
		log_rcpt(j, i, expired ? "expired" : "bounced", now);
		if (can_dsn && wants(r->notify, QUEUE_NOTIFY_FAILURE, true))
			return mark_dsn(s, j, i, QUEUE_DSN_FAILED, status);
		return s->wdb->ops->rcpt_delete(s->wdb, j->rowids[i]);
	}
	log_rcpt(j, i, "deferred", now);
	return update_rcpt(s, j, i, now + backoff(&s->p, j->attempts[i] + 1),
	    0, "");
}

/* Read the original for a DSN: its header (RET=HDRS, or too big), or
 * all of it. */
static void
read_original(const struct sched_msg *m, struct buf *out)
{
	size_t want = m->ret_hdrs || m->size > DSN_FULL_MAX ? 65536 :
	    DSN_FULL_MAX;
	ssize_t n;
	int fd;

	if ((fd = open(m->body_path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	buf_reserve(out, want);
	while (out->len < want && (n = read(fd, out->data + out->len,
	    want - out->len)) > 0)
		out->len += (size_t)n;
	close(fd);
	if (want != DSN_FULL_MAX)
		buf_truncate(out, mime_hdr_split(out->data, out->len));
}

static int
send_dsn(struct queue_sched *s, const struct sched_msg *m,
    enum queue_dsn_kind kind, const struct queue_dsn_rcpt *rcpts, size_t n,
    const struct buf *orig)
{
	struct queue_dsn dsn;
	struct buf b = BUF_INIT;
	int rc;

	if (n == 0)
		return 0;
	memset(&dsn, 0, sizeof(dsn));
	dsn.kind = kind;
	dsn.hostname = s->p.hostname;
	dsn.id = m->id;
	dsn.envid = m->envid;
	dsn.sender = m->sender;
	dsn.arrival = (time_t)m->created;
	dsn.retry_until = (time_t)(m->created + s->p.lifetime);
	dsn.ret_hdrs = m->ret_hdrs || m->size > DSN_FULL_MAX;
	dsn.rcpts = rcpts;
	dsn.nrcpts = n;
	queue_dsn_write(&dsn, orig->data, orig->len, &b);
	rc = queue_inject_bounce(s->q, s->wdb, m->sender, &b, m->is_8bitmime,
	    m->is_utf8);
	if (rc == -1)
		log_warnx("queue event=dsn id=%s error=\"%s\"", m->id,
		    qdb_err(s->wdb));
	buf_free(&b);
	return rc;
}

/* A message's recipients that its report covers, read back from rcpts;
 * the strings are owned here. */
struct report_row {
	struct queue_dsn_rcpt	 d;
	enum queue_dsn_kind	 kind;
	char			 status[16];
};

static void
report_rows_free(struct report_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)(uintptr_t)v[i].d.address);
		free((char *)(uintptr_t)v[i].d.orcpt);
		free((char *)(uintptr_t)v[i].d.reply);
		free((char *)(uintptr_t)v[i].d.relay);
	}
	free(v);
}

/* The marked recipients of m, and when a delay warning is due, those
 * still waiting after an attempt that want it. -1 on error. */
static int
report_rows_load(struct queue_sched *s, const struct sched_msg *m,
    bool warn, struct report_row **out, size_t *n_out)
{
	struct report_row *v = NULL, *r;
	struct qdb_report *rows;
	size_t n = 0, i, nrows;

	if (s->wdb->ops->report_load(s->wdb, m->rowid, warn, &rows,
	    &nrows) == -1)
		return -1;
	for (i = 0; i < nrows; i++) {
		if (rows[i].dsn == 0 && !wants(rows[i].notify,
		    QUEUE_NOTIFY_DELAY, true))
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		/* The strings move to r. */
		r->d.address = rows[i].address;
		r->d.orcpt = rows[i].orcpt;
		r->d.reply = rows[i].reply;
		r->d.relay = rows[i].relay;
		rows[i].address = rows[i].orcpt = NULL;
		rows[i].reply = rows[i].relay = NULL;
		r->kind = rows[i].dsn == 0 ? QUEUE_DSN_DELAYED :
		    (enum queue_dsn_kind)(rows[i].dsn - 1);
		if (rows[i].dsn == 0)
			queue_reply_status(r->d.reply, QUEUE_TEMP, r->status,
			    sizeof(r->status));
		else
			snprintf(r->status, sizeof(r->status), "%s",
			    rows[i].dsn_status);
	}
	qdb_report_free(rows, nrows);
	*out = v;
	*n_out = n;
	return 0;
}

/* One DSN per kind for the rows of that kind. */
static int
report_send(struct queue_sched *s, const struct sched_msg *m,
    const struct report_row *rows, size_t n)
{
	static const enum queue_dsn_kind kinds[] = { QUEUE_DSN_FAILED,
	    QUEUE_DSN_DELAYED, QUEUE_DSN_DELIVERED, QUEUE_DSN_RELAYED };
	struct queue_dsn_rcpt *v;
	struct buf orig = BUF_INIT;
	size_t i, k, nv;
	int rc = 0;

	v = xcalloc(n, sizeof(*v));
	read_original(m, &orig);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && rc == 0; k++) {
		for (i = nv = 0; i < n; i++)
			if (rows[i].kind == kinds[k]) {
				v[nv] = rows[i].d;
				/* Not in d: rows moved while it grew. */
				v[nv++].status = rows[i].status;
			}
		rc = send_dsn(s, m, kinds[k], v, nv, &orig);
	}
	buf_free(&orig);
	free(v);
	return rc;
}

/* The message's report for this round: its DSNs, then the marked
 * recipients leave. A delay warning goes once per message (RFC 3464 2.3.3
 * "delayed"), when it has waited delay_warning. */
static int
msg_report(struct queue_sched *s, struct sched_msg *m, int64_t now)
{
	struct report_row *rows;
	bool warn, warned = false;
	size_t n, i;
	int rc;

	warn = !s->w_is_stopping && !m->is_warned && m->sender[0] != '\0' &&
	    s->p.delay_warning > 0 &&
	    now - m->created >= (int64_t)s->p.delay_warning;
	if (report_rows_load(s, m, warn, &rows, &n) == -1)
		return -1;
	rc = n > 0 ? report_send(s, m, rows, n) : 0;
	for (i = 0; i < n; i++)
		warned |= rows[i].kind == QUEUE_DSN_DELAYED;
	report_rows_free(rows, n);
	if (rc == 0 && warned) {
		m->is_warned = true;
		rc = s->wdb->ops->msg_set_warned(s->wdb, m->rowid);
	}
	if (rc == 0)
		rc = s->wdb->ops->msg_drop_reported(s->wdb, m->rowid);
	return rc;
}

static int
record_job(struct queue_sched *s, struct sched_job *j, int64_t now)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < j->job.nrcpts && rc == 0; i++)
		rc = record_rcpt(s, j, i, now);
	return rc;
}

/* After the last job of m: its report, then 1 when m has no recipient
 * left (its row is deleted now, its body after the commit). */
static int
msg_finish(struct queue_sched *s, struct sched_msg *m, int64_t now)
{
	int64_t left = 1;

	if (msg_report(s, m, now) == -1 ||
	    s->wdb->ops->msg_rcpts_left(s->wdb, m->rowid, &left) == -1)
		return -1;
	if (left > 0)
		return 0;
	if (s->wdb->ops->msg_delete(s->wdb, m->rowid) == -1)
		return -1;
	return 1;
}

static int
record_batch(struct queue_sched *s, struct sched_job *batch, int64_t now)
{
	struct sched_job *j;
	int rc = 0, fin;

	for (j = batch; j != NULL && rc == 0; j = j->next) {
		rc = record_job(s, j, now);
		if (rc == 0 && --j->msg->njobs == 0) {
			fin = msg_finish(s, j->msg, now);
			rc = fin == -1 ? -1 : 0;
			j->msg->is_deleted = fin == 1;
		}
	}
	return rc;
}

/* After the transaction: release the jobs; a failed transaction deleted
 * nothing. */
void
sched_release(struct sched_job *batch, bool is_ok)
{
	struct sched_job *j, *next;

	for (j = batch; j != NULL; j = next) {
		next = j->next;
		if (!is_ok)
			j->msg->is_deleted = false;
		job_release(j);
	}
}

int
sched_record(struct queue_sched *s, struct sched_job *batch)
{
	int64_t now = (int64_t)time(NULL);
	struct qdb *db = s->wdb;
	int rc;

	rc = db->ops->begin(db);
	if (rc == 0 && (rc = record_batch(s, batch, now)) == -1)
		db->ops->rollback(db);
	if (rc == 0)
		rc = db->ops->commit(db);
	if (rc == -1)
		/* The recipients stay as they were and are tried again:
		 * a duplicate rather than a loss. */
		log_warnx("queue event=flush error=\"%s\"", qdb_err(db));
	return rc;
}
