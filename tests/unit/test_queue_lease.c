/* Tests for the PostgreSQL queue backend's leases (src/queue/backend_pg.c,
 * backend_pg_slot.c), against the database in PETREL_TEST_STORE (tests/run
 * pgstore starts one; without it every test is skipped). Each "node" is a
 * scheduler state of its own (its own data directory, so its own node id
 * and connection) driving the backend's operations directly, with
 * messages inserted by SQL: two nodes never hold one message, a lease not
 * renewed runs out and another node takes it over, renewal keeps it,
 * release frees it, a restarted node reclaims its own leases at once, the
 * body file is the row's body, the per-destination slots hold across
 * nodes, and a broken connection is survived.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "queue/backend_pg.h"
#include "queue/queue.h"
#include "queue/queue_int.h"
#include "store_loc.h"

#define LEASE_TIME	4	/* seconds: valid locally for 2 */

struct node {
	char			 root[64];
	struct queue		*q;
	struct queue_sched	*s;
};

static struct iopool *pool;

static void
node_start(struct node *n)
{
	struct queue_sched *s = xcalloc(1, sizeof(*s));
	char *err = NULL;

	s->q = n->q;
	s->be = &queue_backend_pg;
	s->p.lease_time = LEASE_TIME;
	s->p.max_per_destination = 2;
	assert_non_null(s->base = event_base_new());
	if (s->be->open(s, &err) == -1)
		fail_msg("open: %s", err);
	n->s = s;
}

static void
node_open(struct node *n)
{
	char *err = NULL;

	snprintf(n->root, sizeof(n->root), "/tmp/test_qlease.XXXXXX");
	assert_non_null(mkdtemp(n->root));
	n->q = queue_open(n->root, pool, test_store_pg(), &err);
	if (n->q == NULL)
		fail_msg("queue_open: %s", err);
	node_start(n);
}

/* Stop the backend as a process ending would (close: leases cleared). */
static void
node_stop(struct node *n)
{
	n->s->be->close(n->s);
	event_base_free(n->s->base);
	free(n->s);
	n->s = NULL;
}

static void
node_close(struct node *n)
{
	if (n->s != NULL)
		node_stop(n);
	queue_close(n->q);
	test_rm_tree(n->root);
}

/* Run what the loop has ready (the batched releases). */
static void
node_loop(struct node *n)
{
	event_base_loop(n->s->base, EVLOOP_NONBLOCK);
}

static int
setup(void **state)
{
	(void)state;
	if (test_store_pg() == NULL)
		return 0;
	test_pg_exec("SET client_min_messages = warning; "
	    "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
	return 0;
}

#define NEED_PG() do {							\
	if (test_store_pg() == NULL)					\
		skip();							\
} while (0)

/* Insert a message with one due recipient; its row id. */
static int64_t
msg_insert(const char *qid, const void *body, size_t len, bool is_held)
{
	const char *v[3];
	int lens[3] = { 0, (int)len, 0 }, fmts[3] = { 0, 1, 0 };
	PGconn *pg = test_pg_connect();
	PGresult *res;
	int64_t id;

	v[0] = qid;
	v[1] = body;
	v[2] = is_held ? "t" : "f";
	res = PQexecParams(pg, "WITH m AS (INSERT INTO queue_msgs(qid, "
	    "sender, size, created, held, body) VALUES ($1, 's@example.org', "
	    "length($2::bytea), 0, $3::boolean, $2::bytea) RETURNING id) "
	    "INSERT INTO queue_rcpts("
	    "msg_id, address, domain, next_attempt) SELECT id, "
	    "'u@example.net', 'example.net', 0 FROM m RETURNING msg_id", 3,
	    NULL, v, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("insert: %s", PQerrorMessage(pg));
	id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(pg);
	return id;
}

static int64_t
sql_int(const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int64_t v;

	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) == -1)
		abort();
	va_end(ap);
	v = test_store_sql_int("", sql);	/* PostgreSQL only */
	free(sql);
	return v;
}

/* A pass: lease what is due (up to limit), load it; the loaded messages
 * in *msgs (heap, may be NULL). */
static size_t
node_pass(struct node *n, size_t limit, struct sched_msg ***msgs)
{
	struct queue_sched *s = n->s;
	struct sched_msg *m, **out = NULL;
	struct sched_due *rows;
	size_t nrows, i, k = 0;

	nrows = s->be->due(s, (int64_t)time(NULL), limit, &rows);
	for (i = 0; i < nrows; i++) {
		if (i > 0 && rows[i].msg_rowid == rows[i - 1].msg_rowid)
			continue;
		if ((m = s->be->claim(s, rows[i].msg_rowid)) == NULL)
			continue;
		out = xreallocarray(out, k + 1, sizeof(*out));
		out[k++] = m;
	}
	sched_due_free(rows, nrows);
	s->be->pass_done(s);
	if (msgs != NULL)
		*msgs = out;
	else
		free(out);
	return k;
}

static void
msg_release(struct node *n, struct sched_msg *m)
{
	n->s->be->release(n->s, m->rowid);
	free(m->sender);
	free(m->envid);
	free(m->body_path);
	free(m);
}

static void
msgs_release(struct node *n, struct sched_msg **msgs, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		msg_release(n, msgs[i]);
	free(msgs);
	node_loop(n);
}

/* ---- Two nodes never claim the same message ------------------------- */

#define RACE_MSGS	120

struct racer {
	struct node	*n;
	int64_t		 got[RACE_MSGS];
	size_t		 ngot;
	struct sched_msg **msgs;
};

static void *
race_main(void *arg)
{
	struct racer *r = arg;
	struct sched_msg **msgs;
	size_t k, i;

	/* Small passes, so that the two interleave. */
	while ((k = node_pass(r->n, 7, &msgs)) > 0) {
		for (i = 0; i < k && r->ngot < RACE_MSGS; i++)
			r->got[r->ngot++] = msgs[i]->rowid;
		r->msgs = xreallocarray(r->msgs, r->ngot, sizeof(*r->msgs));
		memcpy(r->msgs + r->ngot - k, msgs, k * sizeof(*msgs));
		free(msgs);
	}
	return NULL;
}

static void
test_two_nodes_never_share(void **state)
{
	struct node a, b;
	struct racer ra = { 0 }, rb = { 0 };
	pthread_t ta, tb;
	char qid[QUEUE_ID_LEN + 1];
	size_t i, j;
	int64_t held;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	assert_string_not_equal(queue_pg_node(a.s), queue_pg_node(b.s));
	for (i = 0; i < RACE_MSGS; i++) {
		snprintf(qid, sizeof(qid), "%016zx", i + 1);
		msg_insert(qid, "hello", 5, false);
	}
	held = msg_insert("00000000000fffff", "held", 4, true);
	ra.n = &a;
	rb.n = &b;
	assert_int_equal(pthread_create(&ta, NULL, race_main, &ra), 0);
	assert_int_equal(pthread_create(&tb, NULL, race_main, &rb), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* Every message once, by exactly one of them; the held one by
	 * neither. */
	assert_int_equal(ra.ngot + rb.ngot, RACE_MSGS);
	for (i = 0; i < ra.ngot; i++) {
		assert_int_not_equal(ra.got[i], held);
		for (j = 0; j < rb.ngot; j++)
			assert_int_not_equal(ra.got[i], rb.got[j]);
	}
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner = '%s'", queue_pg_node(a.s)), (int64_t)ra.ngot);
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner = '%s'", queue_pg_node(b.s)), (int64_t)rb.ngot);
	/* While leased, nothing is due for anyone. */
	assert_int_equal(node_pass(&a, 100, NULL), 0);
	assert_int_equal(node_pass(&b, 100, NULL), 0);
	msgs_release(&a, ra.msgs, ra.ngot);
	msgs_release(&b, rb.msgs, rb.ngot);
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner IS NOT NULL"), 0);
	node_close(&a);
	node_close(&b);
}

/* ---- Expiry, takeover, renewal, the start check --------------------- */

static void
test_lease_runs_out_other_takes_over(void **state)
{
	struct sched_msg **ma, **mb;
	struct node a, b;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	msg_insert("00000000000000a1", "x", 1, false);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), 1);
	assert_int_equal(node_pass(&b, 10, NULL), 0);
	/* a stops renewing (as a node that hangs or lost the database):
	 * the lease runs out, and b takes the message over. */
	sleep(LEASE_TIME + 1);
	assert_int_equal(node_pass(&b, 10, &mb), 1);
	assert_int_equal(mb[0]->rowid, ma[0]->rowid);
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner = '%s'", queue_pg_node(b.s)), 1);
	/* a must not start a job for it: its renewal finds it gone. */
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), 0);
	assert_int_equal(queue_pg_renew(a.s), 0);
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), -1);
	assert_int_equal(b.s->be->may_start(b.s, mb[0]), 1);
	/* a's release leaves b's lease alone. */
	msgs_release(&a, ma, 1);
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner = '%s'", queue_pg_node(b.s)), 1);
	msgs_release(&b, mb, 1);
	node_close(&a);
	node_close(&b);
}

static void
test_renewal_keeps_lease(void **state)
{
	struct sched_msg **ma;
	struct node a, b;
	int i;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	msg_insert("00000000000000b1", "x", 1, false);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	for (i = 0; i < 4; i++) {
		sleep(1);
		assert_int_equal(queue_pg_renew(a.s), 0);
		assert_int_equal(node_pass(&b, 10, NULL), 0);
	}
	/* Past the first expiry: still a's, and a may start jobs. */
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), 1);
	msgs_release(&a, ma, 1);
	node_close(&a);
	node_close(&b);
}

/* A job waits while its lease may have run out (no renewal for a
 * while), and may start once a renewal succeeded: nobody took it. */
static void
test_start_waits_for_renewal(void **state)
{
	struct sched_msg **ma;
	struct node a;

	(void)state;
	NEED_PG();
	node_open(&a);
	msg_insert("00000000000000c1", "x", 1, false);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	sleep(LEASE_TIME - 1);
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), 0);
	/* may_start asked for a renewal at once: the loop runs it. */
	node_loop(&a);
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), 1);
	msgs_release(&a, ma, 1);
	node_close(&a);
}

/* ---- Release, restart, body ---------------------------------------- */

static void
test_release_frees(void **state)
{
	struct sched_msg **ma, **mb;
	struct node a, b;
	char *path;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	msg_insert("00000000000000d1", "x", 1, false);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	path = xstrdup(ma[0]->body_path);
	assert_int_equal(access(path, R_OK), 0);
	msgs_release(&a, ma, 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner IS NULL AND lease_expires = 0"), 1);
	/* Still due (nothing was written back): b takes it at once. */
	assert_int_equal(node_pass(&b, 10, &mb), 1);
	msgs_release(&b, mb, 1);
	free(path);
	node_close(&a);
	node_close(&b);
}

static void
test_restart_reclaims_own(void **state)
{
	struct node a, b;
	struct sched_msg **ma;
	char *node;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	msg_insert("00000000000000e1", "x", 1, false);
	/* a held it and died (kill -9): its lease is in the database for
	 * another minute. */
	node = xstrdup(queue_pg_node(a.s));
	node_stop(&a);
	test_pg_exec("UPDATE queue_msgs SET lease_expires = "
	    "extract(epoch from now())::bigint + 60");
	{
		char *sql = xasprintf("UPDATE queue_msgs SET lease_owner = "
		    "'%s'", node);
		test_pg_exec(sql);
		free(sql);
	}
	assert_int_equal(node_pass(&b, 10, NULL), 0);
	/* a starts again on the same data directory: the same node, which
	 * takes its own messages back at once. */
	node_start(&a);
	assert_string_equal(queue_pg_node(a.s), node);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	msgs_release(&a, ma, 1);
	free(node);
	node_close(&a);
	node_close(&b);
}

static void
test_body_file_is_row(void **state)
{
	struct sched_msg **ma;
	unsigned char *body, *got;
	size_t len = 300 * 1024 + 7, i;
	struct node a;
	FILE *f;

	(void)state;
	NEED_PG();
	node_open(&a);
	body = xmalloc(len);
	for (i = 0; i < len; i++)
		body[i] = (unsigned char)(i * 131 + (i >> 9));
	body[0] = '\0';
	body[len - 1] = 0xff;
	msg_insert("00000000000000f1", body, len, false);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	assert_string_equal(ma[0]->id, "00000000000000f1");
	assert_string_equal(ma[0]->sender, "s@example.org");
	assert_int_equal(ma[0]->size, len);
	got = xmalloc(len + 1);
	assert_non_null(f = fopen(ma[0]->body_path, "rb"));
	assert_int_equal(fread(got, 1, len + 1, f), len);
	fclose(f);
	assert_memory_equal(got, body, len);
	msgs_release(&a, ma, 1);
	free(got);
	free(body);
	node_close(&a);
}

/* ---- Per-destination slots across nodes ---------------------------- */

static void
test_slots_across_nodes(void **state)
{
	struct node a, b;
	int a0, a1, b0, i;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	/* max 2 for the destination in the whole cluster. */
	a0 = a.s->be->slot_take(a.s, "mx:example.net", 2);
	assert_true(a0 == 0 || a0 == 1);
	b0 = b.s->be->slot_take(b.s, "mx:example.net", 2);
	assert_true(b0 == 0 || b0 == 1);
	assert_int_not_equal(a0, b0);
	assert_int_equal(a.s->be->slot_take(a.s, "mx:example.net", 2), -1);
	assert_int_equal(b.s->be->slot_take(b.s, "mx:example.net", 2), -1);
	/* Another destination has slots of its own. */
	a1 = a.s->be->slot_take(a.s, "mx:example.com", 2);
	assert_int_not_equal(a1, -1);
	a.s->be->slot_give(a.s, "mx:example.com", a1);
	/* A slot given back is free for the other node. */
	a.s->be->slot_give(a.s, "mx:example.net", a0);
	assert_int_equal(b.s->be->slot_take(b.s, "mx:example.net", 2), a0);
	assert_int_equal(a.s->be->slot_take(a.s, "mx:example.net", 2), -1);
	/* A node that goes away frees its slots with its connection (once
	 * the server noticed: its session ends a moment after the close). */
	node_stop(&b);
	a0 = a1 = -1;
	for (i = 0; i < 50 && a1 == -1; i++) {
		if (a0 == -1)
			a0 = a.s->be->slot_take(a.s, "mx:example.net", 2);
		if (a0 != -1)
			a1 = a.s->be->slot_take(a.s, "mx:example.net", 2);
		if (a1 == -1)
			usleep(100 * 1000);
	}
	assert_true((a0 == 0 && a1 == 1) || (a0 == 1 && a1 == 0));
	node_close(&a);
	node_close(&b);
}

/* The connection breaks (the server ended the session, as a restart
 * does): the renewal fails, and with it the slots are gone; the next one
 * connects again, finds the lease still a's, and takes the slot back. */
static void
test_connection_lost(void **state)
{
	struct sched_msg **ma;
	struct node a, b;
	struct pgq *pa;
	char *sql;

	(void)state;
	NEED_PG();
	node_open(&a);
	node_open(&b);
	pa = a.s->be_state;
	msg_insert("00000000000000a2", "x", 1, false);
	assert_int_equal(node_pass(&a, 10, &ma), 1);
	assert_int_equal(a.s->be->slot_take(a.s, "relay", 1), 0);
	sql = xasprintf("SELECT pg_terminate_backend(%d, 10000)",
	    PQbackendPID(pa->pg));
	test_pg_exec(sql);
	free(sql);
	assert_int_equal(queue_pg_renew(a.s), -1);
	assert_true(pa->is_renew_failing);
	assert_int_equal(queue_pg_renew(a.s), 0);
	assert_false(pa->is_renew_failing);
	assert_int_equal(a.s->be->may_start(a.s, ma[0]), 1);
	assert_int_equal(b.s->be->slot_take(b.s, "relay", 1), -1);
	a.s->be->slot_give(a.s, "relay", 0);
	assert_int_equal(b.s->be->slot_take(b.s, "relay", 1), 0);
	msgs_release(&a, ma, 1);
	assert_int_equal(sql_int("SELECT count(*) FROM queue_msgs WHERE "
	    "lease_owner IS NOT NULL"), 0);
	node_close(&a);
	node_close(&b);
}

/* ---- Without a database (runs everywhere) -------------------------- */

static char *
file_line(const char *path)
{
	char line[256];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return xstrdup(line);
}

/* A database that cannot be reached: the scheduler does not start, and
 * says why; the node id it made is kept for the next try. */
static void
test_open_unreachable(void **state)
{
	struct queue_sched *s;
	struct node n;
	char *err = NULL, *id1 = NULL, *id2, *path;
	int i;

	(void)state;
	snprintf(n.root, sizeof(n.root), "/tmp/test_qlease.XXXXXX");
	assert_non_null(mkdtemp(n.root));
	assert_non_null(n.q = queue_open(n.root, pool, NULL, &err));
	n.q->pg_url = xstrdup("postgresql://petrel@127.0.0.1:1/none");
	path = xasprintf("%s/queue/node-id", n.root);
	for (i = 0; i < 2; i++) {
		s = xcalloc(1, sizeof(*s));
		s->q = n.q;
		s->p.lease_time = LEASE_TIME;
		assert_non_null(s->base = event_base_new());
		assert_int_equal(queue_backend_pg.open(s, &err), -1);
		assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
		free(err);
		err = NULL;
		queue_backend_pg.close(s);
		event_base_free(s->base);
		free(s);
		if (i == 0)
			assert_non_null(id1 = file_line(path));
	}
	assert_non_null(id2 = file_line(path));
	assert_string_equal(id1, id2);
	assert_true(strlen(id1) > 10 && id1[strlen(id1) - 1] == '\n');
	free(id1);
	free(id2);
	free(path);
	n.s = NULL;
	node_close(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_unreachable),
		cmocka_unit_test_setup(test_two_nodes_never_share, setup),
		cmocka_unit_test_setup(test_lease_runs_out_other_takes_over,
		    setup),
		cmocka_unit_test_setup(test_renewal_keeps_lease, setup),
		cmocka_unit_test_setup(test_start_waits_for_renewal, setup),
		cmocka_unit_test_setup(test_release_frees, setup),
		cmocka_unit_test_setup(test_restart_reclaims_own, setup),
		cmocka_unit_test_setup(test_body_file_is_row, setup),
		cmocka_unit_test_setup(test_slots_across_nodes, setup),
		cmocka_unit_test_setup(test_connection_lost, setup),
	};
	int rc;

	evthread_use_pthreads();
	pool = iopool_new(2);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	iopool_free(pool);
	return rc;
}
