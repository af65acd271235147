/* Tests for the queue's data seam (src/queue/qdb*.c) on whichever kind
 * PETREL_TEST_STORE picks (queue.db, or a cluster node's PostgreSQL
 * tables with tests/run pgstore): a message received, listed, shown with
 * its body, held, released and deleted; results written back by the
 * writer's code (sched_record) with a bounce injected; and, on
 * PostgreSQL, a database that goes away during a group commit: every
 * message of the batch fails, nothing of it is written, and the next
 * batch commits on a new connection.
 * SPDX-License-Identifier: ISC */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/thread.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue.h"
#include "queue/queue_int.h"
#include "store_loc.h"
#include "queue_fx.h"

static const char body[] = "From: s@here.test\r\nSubject: t\r\n\r\nbody\r\n";

/* Start committing a message to rcpt; its id in id_out. */
static void
put_async(struct queue *q, const char *rcpt, struct waiter *w, char *id_out)
{
	struct queue_msg *m;

	m = queue_msg_new(q, "s@here.test", NULL);
	assert_non_null(m);
	snprintf(id_out, QUEUE_ID_LEN + 1, "%s", queue_msg_id(m));
	queue_msg_add_rcpt(m, rcpt, 0, NULL);
	queue_msg_set_params(m, false, false, false, NULL);
	assert_int_equal(queue_msg_write(m, body, sizeof(body) - 1), 0);
	waiter_init(w);
	queue_msg_commit(m, NULL, on_done, w);
}

static void
put(struct queue *q, const char *rcpt, char *id_out)
{
	struct waiter w;

	put_async(q, rcpt, &w, id_out);
	assert_int_equal(waiter_wait(&w), 0);
}

/* Column 0 of the first row of a query on the queue's database, -1 when
 * none: sql_pg on PostgreSQL, sql_lite on queue.db. */
static int64_t
q_sql_int(const struct fx *fx, const char *sql_lite, const char *sql_pg)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int64_t v = -1;
	char path[96];

	if (test_store_pg() != NULL)
		return test_store_sql_int(fx->root, sql_pg);
	snprintf(path, sizeof(path), "%s/queue/queue.db", fx->root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql_lite, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_receive_list_show_hold_delete(void **state)
{
	struct fx *fx = *state;
	struct queue_info info, *v;
	struct buf b = BUF_INIT;
	char id[QUEUE_ID_LEN + 1], *err = NULL;
	size_t n;

	put(fx->q, "A@X.test", id);
	/* Received: nothing left in tmp/; on PostgreSQL no body file at
	 * all, the body is in the row. */
	assert_int_equal(count_files(fx->root, "tmp"), 0);
	if (test_store_pg() != NULL)
		assert_int_equal(count_files(fx->root, "bodies"), 0);
	assert_int_equal(queue_list(fx->q, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, id);
	assert_string_equal(v[0].sender, "s@here.test");
	assert_int_equal(v[0].size, sizeof(body) - 1);
	assert_int_equal(v[0].nrcpts, 1);
	assert_string_equal(v[0].rcpts[0].address, "A@X.test");
	assert_int_equal(v[0].rcpts[0].attempts, 0);
	queue_info_free(v, n);
	free(v);

	assert_int_equal(queue_body(fx->q, id, &b, &err), 1);
	assert_int_equal(b.len, sizeof(body) - 1);
	assert_memory_equal(b.data, body, b.len);
	buf_free(&b);
	assert_int_equal(queue_body(fx->q, "0000000000000000", &b, &err), 0);
	assert_int_equal(queue_body(fx->q, "../../etc/passwd", &b, &err), 0);
	assert_int_equal(b.len, 0);

	assert_int_equal(queue_hold(fx->q, id, true, &err), 1);
	assert_int_equal(queue_show(fx->q, id, &info, &err), 1);
	assert_true(info.is_held);
	queue_info_free(&info, 1);
	assert_int_equal(queue_hold(fx->q, id, false, &err), 1);
	assert_int_equal(queue_show(fx->q, id, &info, &err), 1);
	assert_false(info.is_held);
	queue_info_free(&info, 1);
	assert_int_equal(queue_flush(fx->q, NULL, &err), 1);
	assert_int_equal(queue_hold(fx->q, "0000000000000000", true, &err), 0);
	assert_int_equal(queue_delete(fx->q, id, &err), 1);
	assert_int_equal(queue_delete(fx->q, id, &err), 0);
	assert_int_equal(queue_show(fx->q, id, &info, &err), 0);
	assert_int_equal(queue_count(fx->q), 0);
	assert_int_equal(count_files(fx->root, "bodies"), 0);
}

static void
nop_release(struct queue_sched *s, int64_t msg_rowid)
{
	(void)s;
	(void)msg_rowid;
}

/* Only release: the writer's code is driven by hand here. */
static const struct queue_backend test_backend = {
	.name = "test", .release = nop_release,
};

static struct queue_sched *
writer_new(struct fx *fx)
{
	struct queue_sched *s = xcalloc(1, sizeof(*s));
	char *err = NULL;

	s->q = fx->q;
	s->be = &test_backend;
	s->p.hostname = "mx.here.test";
	s->p.retry_min = 60;
	s->p.retry_max = 3600;
	s->p.lifetime = 86400;
	if ((s->wdb = qdb_open(fx->q, &err)) == NULL)
		fail_msg("%s", err);
	return s;
}

static void
writer_free(struct queue_sched *s)
{
	qdb_close(s->wdb);
	free(s);
}

/* A loaded message as a claim makes it (the body in a file of the
 * test's, as the PostgreSQL backend's claim writes one). */
static struct sched_msg *
msg_load(struct fx *fx, struct queue_sched *s, const char *id)
{
	struct sched_msg *m = xcalloc(1, sizeof(*m));
	char lite[96], pg[96];
	FILE *f;

	snprintf(lite, sizeof(lite), "SELECT id FROM msgs WHERE qid = '%s'",
	    id);
	snprintf(pg, sizeof(pg), "SELECT id FROM queue_msgs WHERE qid = '%s'",
	    id);
	m->rowid = q_sql_int(fx, lite, pg);
	assert_true(m->rowid > 0);
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->sender = xstrdup("s@here.test");
	m->size = sizeof(body) - 1;
	m->created = (int64_t)time(NULL);
	m->body_path = xasprintf("%s/orig-%s", fx->root, id);
	s->nmsgs++;
	assert_non_null(f = fopen(m->body_path, "w"));
	fwrite(body, 1, sizeof(body) - 1, f);
	fclose(f);
	return m;
}

/* A job for the message's one recipient with the transport's answer. */
static struct sched_job *
job_new(struct fx *fx, struct queue_sched *s, struct sched_msg *m,
    enum queue_status st, const char *reply)
{
	struct sched_job *j = xcalloc(1, sizeof(*j));
	char lite[96], pg[96];

	snprintf(lite, sizeof(lite), "SELECT min(id) FROM rcpts WHERE msg_id = "
	    "%lld", (long long)m->rowid);
	snprintf(pg, sizeof(pg), "SELECT min(id) FROM queue_rcpts WHERE "
	    "msg_id = %lld", (long long)m->rowid);
	j->sched = s;
	j->msg = m;
	m->njobs++;
	m->refs++;
	snprintf(j->job.id, sizeof(j->job.id), "%s", m->id);
	j->job.nrcpts = 1;
	j->job.rcpts = xcalloc(1, sizeof(*j->job.rcpts));
	j->job.rcpts[0].address = xstrdup("A@X.test");
	j->job.rcpts[0].status = st;
	snprintf(j->job.rcpts[0].reply, sizeof(j->job.rcpts[0].reply), "%s",
	    reply);
	snprintf(j->job.relay, sizeof(j->job.relay), "mx.x.test[192.0.2.1]:25");
	j->rowids = xcalloc(1, sizeof(*j->rowids));
	j->rowids[0] = q_sql_int(fx, lite, pg);
	j->attempts = xcalloc(1, sizeof(*j->attempts));
	return j;
}

/* The body of the one queued DSN whose report has action, or a failed
 * test; a heap string. */
static char *
dsn_with(struct fx *fx, const char *action)
{
	struct queue_info *v;
	struct buf b = BUF_INIT;
	char *found = NULL;
	size_t n, i;

	assert_int_equal(queue_list(fx->q, &v, &n, NULL), 0);
	for (i = 0; i < n; i++) {
		if (v[i].sender[0] != '\0')
			continue;
		assert_int_equal(v[i].nrcpts, 1);
		assert_string_equal(v[i].rcpts[0].address, "s@here.test");
		buf_reset(&b);
		assert_int_equal(queue_body(fx->q, v[i].id, &b, NULL), 1);
		assert_int_equal(b.len, v[i].size);
		buf_addc(&b, '\0');
		if (strstr(b.data, action) != NULL) {
			assert_null(found);
			found = xstrdup(b.data);
		}
	}
	buf_free(&b);
	queue_info_free(v, n);
	free(v);
	if (found == NULL)
		fail_msg("no DSN with %s", action);
	return found;
}

/* The writer on a message: a deferral is written back with a delay
 * warning (the message is old enough), marked once; then a bounce takes
 * the message out of the queue and queues a failure DSN to its sender,
 * whose body holds the report and the original. */
static void
test_results_and_bounce(void **state)
{
	struct fx *fx = *state;
	struct queue_sched *s = writer_new(fx);
	struct queue_info info;
	struct sched_job *j;
	struct sched_msg *m;
	char id[QUEUE_ID_LEN + 1], lite[96], pg[96], *dsn, *err = NULL;

	s->p.delay_warning = 60;
	put(fx->q, "A@X.test", id);
	m = msg_load(fx, s, id);
	m->created -= 120;		/* waited longer than delay_warning */
	m->refs++;			/* kept for the second round */

	j = job_new(fx, s, m, QUEUE_TEMP, "451 4.7.1 later");
	assert_int_equal(sched_record(s, j), 0);
	sched_release(j, true);
	assert_int_equal(queue_show(fx->q, id, &info, &err), 1);
	assert_int_equal(info.rcpts[0].attempts, 1);
	assert_string_equal(info.rcpts[0].last_reply, "451 4.7.1 later");
	assert_string_equal(info.rcpts[0].last_relay,
	    "mx.x.test[192.0.2.1]:25");
	assert_true(info.rcpts[0].next_attempt >= time(NULL) + 50);
	queue_info_free(&info, 1);
	assert_true(m->is_warned);
	snprintf(lite, sizeof(lite), "SELECT warned FROM msgs WHERE qid = "
	    "'%s'", id);
	snprintf(pg, sizeof(pg), "SELECT warned::int FROM queue_msgs WHERE "
	    "qid = '%s'", id);
	assert_int_equal(q_sql_int(fx, lite, pg), 1);
	assert_int_equal(queue_count(fx->q), 2);
	dsn = dsn_with(fx, "Action: delayed");
	assert_non_null(strstr(dsn, "Status: 4.7.1"));
	free(dsn);

	m->refs--;
	j = job_new(fx, s, m, QUEUE_PERM, "550 5.1.1 no such user");
	j->attempts[0] = 1;
	assert_int_equal(sched_record(s, j), 0);
	sched_release(j, true);
	assert_int_equal(s->nmsgs, 0);

	/* The original left, with its recipients; the two DSNs stay. */
	assert_int_equal(queue_show(fx->q, id, &info, &err), 0);
	assert_int_equal(queue_count(fx->q), 2);
	assert_int_equal(q_sql_int(fx, "SELECT count(*) FROM rcpts",
	    "SELECT count(*) FROM queue_rcpts"), 2);
	dsn = dsn_with(fx, "Action: failed");
	assert_non_null(strstr(dsn, "Status: 5.1.1"));
	assert_non_null(strstr(dsn, "Diagnostic-Code: smtp; 550 5.1.1 "
	    "no such user"));
	assert_non_null(strstr(dsn, "Subject: t"));
	free(dsn);
	writer_free(s);
}

/* Kills its own connection at COMMIT when a recipient is die@x.test or
 * a reply says "die": the database goes away in the middle of a commit
 * (a deferred trigger runs at COMMIT; pg_sleep() lets the termination
 * in before the commit record). */
static const char die_sql[] =
	"CREATE FUNCTION test_die() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN IF NEW.address = 'die@x.test' OR NEW.last_reply LIKE '%die%'"
	" THEN PERFORM pg_terminate_backend(pg_backend_pid());"
	"  PERFORM pg_sleep(5); END IF; RETURN NULL; END $$;"
	"CREATE CONSTRAINT TRIGGER test_die AFTER INSERT OR UPDATE ON"
	" queue_rcpts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
	" EXECUTE FUNCTION test_die();";

/* The writer on PostgreSQL: a connection that broke between two
 * transactions is opened again; one that breaks during the commit fails
 * the batch and leaves the recipient as it was. */
static void
test_results_reconnect_and_fail(void **state)
{
	struct fx *fx = *state;
	struct queue_sched *s;
	struct queue_info info;
	struct sched_job *j;
	struct sched_msg *m;
	char id[QUEUE_ID_LEN + 1];

	if (test_store_pg() == NULL)
		skip();
	s = writer_new(fx);
	put(fx->q, "A@X.test", id);
	m = msg_load(fx, s, id);
	m->refs++;			/* kept for the second round */
	test_pg_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE datname = current_database() AND pid <> pg_backend_pid()");
	j = job_new(fx, s, m, QUEUE_TEMP, "451 4.7.1 later");
	assert_int_equal(sched_record(s, j), 0);
	sched_release(j, true);

	test_pg_exec(die_sql);
	m->refs--;
	j = job_new(fx, s, m, QUEUE_PERM, "550 5.0.0 die");
	assert_int_equal(sched_record(s, j), -1);
	sched_release(j, false);
	assert_int_equal(queue_show(fx->q, id, &info, NULL), 1);
	assert_int_equal(info.rcpts[0].attempts, 1);
	assert_string_equal(info.rcpts[0].last_reply, "451 4.7.1 later");
	queue_info_free(&info, 1);
	assert_int_equal(queue_count(fx->q), 1);	/* and no bounce */
	writer_free(s);
}

/* Backends of this database waiting for a lock. */
static int64_t
lock_waiters(void)
{
	return test_store_sql_int(NULL, "SELECT count(*) FROM "
	    "pg_stat_activity WHERE datname = current_database() AND "
	    "wait_event_type = 'Lock'");
}

static size_t
pending(struct queue *q)
{
	struct queue_msg *m;
	size_t n = 0;

	pthread_mutex_lock(&q->lock);
	for (m = q->pending_head; m != NULL; m = m->next)
		n++;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void
test_batch_fails_whole(void **state)
{
	struct fx *fx = *state;
	struct waiter w0, w1, w2;
	char id0[QUEUE_ID_LEN + 1], id1[QUEUE_ID_LEN + 1],
	    id2[QUEUE_ID_LEN + 1], id3[QUEUE_ID_LEN + 1];
	PGconn *pg;
	PGresult *res;
	int i;

	if (test_store_pg() == NULL)
		skip();
	test_pg_exec(die_sql);
	/* Hold the committer in its first batch, so that the next two
	 * messages wait together and share the next one. */
	pg = test_pg_connect();
	res = PQexec(pg, "BEGIN; LOCK TABLE queue_msgs IN EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	put_async(fx->q, "a@x.test", &w0, id0);
	for (i = 0; i < 500 && lock_waiters() == 0; i++)
		usleep(10000);
	assert_true(lock_waiters() > 0);
	put_async(fx->q, "b@x.test", &w1, id1);
	put_async(fx->q, "die@x.test", &w2, id2);
	for (i = 0; i < 500 && pending(fx->q) < 2; i++)
		usleep(10000);
	assert_int_equal(pending(fx->q), 2);
	res = PQexec(pg, "COMMIT");
	PQclear(res);
	PQfinish(pg);

	assert_int_equal(waiter_wait(&w0), 0);
	/* Both messages of the batch fail, the one that did nothing wrong
	 * too: none was acknowledged, none was written. */
	assert_int_equal(waiter_wait(&w1), -1);
	assert_int_equal(waiter_wait(&w2), -1);
	assert_int_equal(queue_count(fx->q), 1);
	assert_int_equal(test_store_sql_int(NULL, "SELECT count(*) FROM "
	    "queue_rcpts"), 1);
	assert_int_equal(count_files(fx->root, "tmp"), 0);
	/* The committer's connection is opened again for the next batch. */
	put(fx->q, "c@x.test", id3);
	assert_int_equal(queue_count(fx->q), 2);
	assert_int_equal(count_files(fx->root, "tmp"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_receive_list_show_hold_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_and_bounce,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_results_reconnect_and_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_fails_whole,
		    setup, teardown),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
