/* Tests for the mail queue (src/queue): the spool (commit, abort, group
 * commit from threads), administration, next-hop parsing, MX ordering,
 * status codes, DSN text, and the scheduler with fake transports:
 * grouping by destination, retries, bounces, and never bouncing a
 * bounce. With PETREL_TEST_STORE a PostgreSQL URL (tests/run pgstore),
 * the spool and administration tests run on a cluster node's queue.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
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
#include <event2/thread.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "queue/queue.h"
#include "queue/queue_int.h"
#include "store_loc.h"
#include "queue_fx.h"

/* The scheduler tests run on both kinds (on PostgreSQL through
 * backend_pg.c's leases); queue.db's schema test on the embedded one. */
#define SCHED_LITE_ONLY()	do { } while (0)

/* Queue a message and wait until it is durable; returns its id. */
static char *
put(struct queue *q, const char *sender, const char **rcpts, size_t n,
    int want)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER, false, 0 };
	static const char body[] = "Subject: t\r\n\r\nbody\r\n";
	struct queue_msg *m;
	char *id;
	size_t i;

	m = queue_msg_new(q, sender, NULL);
	assert_non_null(m);
	id = xstrdup(queue_msg_id(m));
	for (i = 0; i < n; i++)
		queue_msg_add_rcpt(m, rcpts[i], 0, NULL);
	queue_msg_set_params(m, false, false, true, "env1");
	assert_int_equal(queue_msg_write(m, body, sizeof(body) - 1), 0);
	queue_msg_commit(m, NULL, on_done, &w);
	assert_int_equal(waiter_wait(&w), want);
	return id;
}

/* Committed bodies: files in bodies/, or on a cluster node rows (the
 * body is in its message's row; bodies/ must stay unused). */
static size_t
count_bodies(const char *root)
{
	if (test_store_pg() == NULL)
		return count_files(root, "bodies");
	assert_int_equal(count_files(root, "bodies"), 0);
	return (size_t)test_store_sql_int(root, "SELECT count(*) FROM "
	    "queue_msgs WHERE length(body) > 0");
}

static void
test_commit_and_admin(void **state)
{
	struct fx *fx = *state;
	const char *rcpts[] = { "a@x.test", "b@y.test" };
	struct queue_info info;
	char *id, *err = NULL;

	id = put(fx->q, "s@here.test", rcpts, 2, 0);
	assert_int_equal(count_bodies(fx->root), 1);
	assert_int_equal(count_files(fx->root, "tmp"), 0);
	assert_int_equal(queue_show(fx->q, id, &info, &err), 1);
	assert_string_equal(info.sender, "s@here.test");
	assert_int_equal(info.nrcpts, 2);
	assert_string_equal(info.rcpts[1].address, "b@y.test");
	queue_info_free(&info, 1);
	assert_int_equal(queue_hold(fx->q, id, true, &err), 1);
	assert_int_equal(queue_show(fx->q, id, &info, &err), 1);
	assert_true(info.is_held);
	queue_info_free(&info, 1);
	assert_int_equal(queue_flush(fx->q, id, &err), 2);
	assert_int_equal(queue_hold(fx->q, "nosuchid", false, &err), 0);
	assert_int_equal(queue_delete(fx->q, id, &err), 1);
	assert_int_equal(queue_delete(fx->q, id, &err), 0);
	assert_int_equal(count_bodies(fx->root), 0);
	assert_int_equal(queue_count(fx->q), 0);
	free(id);
}

static void
test_abort_and_no_rcpt(void **state)
{
	struct fx *fx = *state;
	struct queue_msg *m;
	char *id;

	m = queue_msg_new(fx->q, "s@here.test", NULL);
	assert_int_equal(queue_msg_write(m, "x", 1), 0);
	assert_int_equal(count_files(fx->root, "tmp"), 1);
	queue_msg_abort(m);
	queue_msg_abort(NULL);
	assert_int_equal(count_files(fx->root, "tmp"), 0);
	/* No recipients: refused, nothing left behind. */
	id = put(fx->q, "s@here.test", NULL, 0, -1);
	free(id);
	assert_int_equal(count_bodies(fx->root), 0);
	assert_int_equal(queue_count(fx->q), 0);
}

static void *
putter(void *arg)
{
	struct queue *q = arg;
	const char *rcpts[] = { "a@x.test" };
	int i;

	for (i = 0; i < 25; i++)
		free(put(q, "s@here.test", rcpts, 1, 0));
	return NULL;
}

static void
test_group_commit_threads(void **state)
{
	struct fx *fx = *state;
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, putter, fx->q);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(queue_count(fx->q), 100);
	assert_int_equal(count_bodies(fx->root), 100);
}

static void
test_nexthop_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*host;
		unsigned	 port;
		bool		 is_mx;
		enum queue_tls	 tls;
	} rows[] = {
		{ "[127.0.0.1]:2626", 0, "127.0.0.1", 2626, false,
		  QUEUE_TLS_MAY },
		{ "  Relay.Example:587 tls=encrypt", 0, "relay.example", 587,
		  true, QUEUE_TLS_ENCRYPT },
		{ "mx.example", 0, "mx.example", 25, true, QUEUE_TLS_MAY },
		{ "[::1]:25 tls=none", 0, "::1", 25, false, QUEUE_TLS_NONE },
		{ "[::1", -1, NULL, 0, false, QUEUE_TLS_MAY },
		{ "[h]:0", -1, NULL, 0, false, QUEUE_TLS_MAY },
		{ "[h]x", -1, NULL, 0, false, QUEUE_TLS_MAY },
		{ "h:99999", -1, NULL, 0, false, QUEUE_TLS_MAY },
		{ "h tls=bogus", -1, NULL, 0, false, QUEUE_TLS_MAY },
		{ "h junk", -1, NULL, 0, false, QUEUE_TLS_MAY },
		{ "", -1, NULL, 0, false, QUEUE_TLS_MAY },
	};
	struct queue_nexthop nh;
	const char *errstr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *copy = xstrdup(rows[i].in);

		errstr = NULL;
		assert_int_equal(queue_nexthop_parse(copy, strlen(copy), 25,
		    QUEUE_TLS_MAY, &nh, &errstr), rows[i].rc);
		if (rows[i].rc == 0) {
			assert_string_equal(nh.host, rows[i].host);
			assert_int_equal(nh.port, rows[i].port);
			assert_int_equal(nh.is_mx, rows[i].is_mx);
			assert_int_equal(nh.tls, rows[i].tls);
			queue_nexthop_fini(&nh);
		} else
			assert_non_null(errstr);
		free(copy);
	}
}

static void
test_mx_order(void **state)
{
	unsigned prefs[6];
	char *names[6], *n5 = "a5", *n10a = "b10", *n10b = "c10",
	    *n10c = "d10", *n20 = "e20", *n1 = "f1";
	int first_seen[3] = { 0, 0, 0 };
	int round;

	(void)state;
	for (round = 0; round < 200; round++) {
		prefs[0] = 10, names[0] = n10a;
		prefs[1] = 20, names[1] = n20;
		prefs[2] = 5, names[2] = n5;
		prefs[3] = 10, names[3] = n10b;
		prefs[4] = 1, names[4] = n1;
		prefs[5] = 10, names[5] = n10c;
		queue_mx_order(prefs, names, 6);
		assert_string_equal(names[0], "f1");
		assert_string_equal(names[1], "a5");
		assert_int_equal(prefs[2], 10);
		assert_int_equal(prefs[4], 10);
		assert_string_equal(names[5], "e20");
		first_seen[names[2][0] - 'b']++;
	}
	/* RFC 5321 5.1: equal preferences are shuffled. */
	assert_true(first_seen[0] > 20 && first_seen[1] > 20 &&
	    first_seen[2] > 20);
}

static void
test_reply_status(void **state)
{
	char s[16];

	(void)state;
	queue_reply_status("550 5.1.1 no such user", QUEUE_PERM, s, sizeof(s));
	assert_string_equal(s, "5.1.1");
	queue_reply_status("451 4.4.3 DNS", QUEUE_TEMP, s, sizeof(s));
	assert_string_equal(s, "4.4.3");
	queue_reply_status("550 no code", QUEUE_PERM, s, sizeof(s));
	assert_string_equal(s, "5.0.0");
	queue_reply_status("", QUEUE_TEMP, s, sizeof(s));
	assert_string_equal(s, "4.0.0");
	queue_reply_status("556 5.1.10 null MX", QUEUE_PERM, s, sizeof(s));
	assert_string_equal(s, "5.1.10");
}

static void
test_dsn_text(void **state)
{
	static const char orig[] = "Subject: hello\r\nFrom: s@x\r\n\r\n"
	    "body\r\n";
	struct queue_dsn_rcpt r = { "u@y.test", "rfc822;u+2Bx@y.test",
	    "550 5.1.1 no such user", "mx.y.test[192.0.2.1]:25", "5.1.1" };
	struct queue_dsn d;
	struct buf b = BUF_INIT;
	const char *s;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.kind = QUEUE_DSN_FAILED;
	d.hostname = "mx.x.test";
	d.id = "0123456789abcdef";
	d.envid = "env1";
	d.sender = "s@x.test";
	d.arrival = 1700000000;
	d.ret_hdrs = true;
	d.rcpts = &r;
	d.nrcpts = 1;
	queue_dsn_write(&d, orig, sizeof(orig) - 1, &b);
	s = buf_cstr(&b);
	assert_non_null(strstr(s, "Content-Type: multipart/report; "
	    "report-type=delivery-status;"));
	assert_non_null(strstr(s, "Reporting-MTA: dns; mx.x.test\r\n"));
	assert_non_null(strstr(s, "Original-Envelope-Id: env1\r\n"));
	assert_non_null(strstr(s, "Final-Recipient: rfc822; u@y.test\r\n"));
	assert_non_null(strstr(s, "Original-Recipient: rfc822;u+x@y.test"));
	assert_non_null(strstr(s, "Action: failed\r\nStatus: 5.1.1\r\n"));
	assert_non_null(strstr(s, "Remote-MTA: dns; mx.y.test\r\n"));
	assert_non_null(strstr(s, "Diagnostic-Code: smtp; 550 5.1.1"));
	assert_non_null(strstr(s, "text/rfc822-headers\r\n\r\nSubject: "
	    "hello"));
	assert_non_null(strstr(s, "Auto-Submitted: auto-replied\r\n"));
	buf_free(&b);
}

/* DNS messages built by hand: the TTLs read from them. */
static void
test_dns_ttls(void **state)
{
	static const unsigned char mx[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		1, 'b', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1,
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0x01, 0x2c, 0, 7,
		0, 10, 2, 'm', 'x', 0xc0, 0x0c,
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0, 120, 0, 7,
		0, 20, 2, 'm', 'y', 0xc0, 0x0c,
	};
	/* NXDOMAIN with an SOA: TTL 3600, MINIMUM 90. */
	static const unsigned char nx[] = {
		0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 1, 0, 0,
		1, 'b', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1,
		0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 22,
		0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
		0, 0, 0, 90,
	};
	unsigned char buf[sizeof(nx)];
	long pos, neg;

	(void)state;
	queue_dns_ttls(mx, sizeof(mx), &pos, &neg);
	assert_int_equal(pos, 120);
	assert_int_equal(neg, -1);
	queue_dns_ttls(nx, sizeof(nx), &pos, &neg);
	assert_int_equal(pos, -1);
	assert_int_equal(neg, 90);
	/* The SOA's own TTL is lower than MINIMUM: it wins (RFC 2308 5). */
	memcpy(buf, nx, sizeof(nx));
	buf[32] = 0;
	buf[33] = 30;
	queue_dns_ttls(buf, sizeof(buf), &pos, &neg);
	assert_int_equal(neg, 30);
	/* A TTL with the top bit set is 0 (RFC 2181 8). */
	buf[30] = 0x80;
	queue_dns_ttls(buf, sizeof(buf), &pos, &neg);
	assert_int_equal(neg, 0);
	/* Cut short: nothing is read past the end. */
	queue_dns_ttls(mx, sizeof(mx) - 3, &pos, &neg);
	assert_int_equal(pos, 300);
	queue_dns_ttls(mx, 20, &pos, &neg);
	assert_int_equal(pos, -1);
	assert_int_equal(neg, -1);
}

/* How long routing results are kept: the TTL within bounds. */
static void
test_route_ttl(void **state)
{
	(void)state;
	assert_int_equal(queue_route_ttl(QUEUE_DNS_OK, 300), 300);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_OK, 0), ROUTE_TTL_MIN);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_OK, -1), ROUTE_TTL_MIN);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_OK, 86400), ROUTE_TTL_MAX);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_TEMP, 300), 0);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_NXDOMAIN, 90), 90);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_NXDOMAIN, -1),
	    NEG_TTL_DEFAULT);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_NXDOMAIN, 1), NEG_TTL_MIN);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_NULLMX, 86400),
	    NEG_TTL_MAX);
	assert_int_equal(queue_route_ttl(QUEUE_DNS_NOHOST, -1),
	    NEG_TTL_DEFAULT);
}

/* ---- The scheduler with fake transports --------------------------- */

struct fake {
	pthread_mutex_t	 mu;
	unsigned	 jobs;
	unsigned	 rcpts;
	unsigned	 local_jobs;
	unsigned	 bounces;
	enum queue_status answer;
	bool		 seen_nexthop_map;
	unsigned	 dsn_failed;	/* "Action: failed" groups seen */
	unsigned	 dsn_delayed;
};

static unsigned
count_in_file(const char *path, const char *what)
{
	char buf[65536];
	unsigned n = 0;
	size_t len;
	const char *p;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

static void
fake_remote(void *arg, struct queue_job *job)
{
	struct fake *f = arg;
	size_t i;

	pthread_mutex_lock(&f->mu);
	f->jobs++;
	f->rcpts += (unsigned)job->nrcpts;
	if (strcmp(job->nexthop, "nh:[127.0.0.1]:2626") == 0)
		f->seen_nexthop_map = true;
	for (i = 0; i < job->nrcpts; i++) {
		job->rcpts[i].status = f->answer;
		snprintf(job->rcpts[i].reply, sizeof(job->rcpts[i].reply),
		    "%s", f->answer == QUEUE_OK ? "250 2.0.0 ok" :
		    f->answer == QUEUE_PERM ? "550 5.1.1 no" : "451 4.0.0 l8r");
	}
	pthread_mutex_unlock(&f->mu);
	snprintf(job->relay, sizeof(job->relay), "fake[127.0.0.1]:25");
	queue_job_done(job);
}

static int
fake_accepts(void *arg, const char *domain)
{
	(void)arg;
	return strcmp(domain, "here.test") == 0;
}

static void
fake_local(void *arg, struct queue_job *job)
{
	struct fake *f = arg;
	size_t i;

	pthread_mutex_lock(&f->mu);
	f->local_jobs++;
	if (job->sender[0] == '\0') {
		f->bounces++;
		f->dsn_failed += count_in_file(job->body_path,
		    "Action: failed");
		f->dsn_delayed += count_in_file(job->body_path,
		    "Action: delayed");
	}
	pthread_mutex_unlock(&f->mu);
	for (i = 0; i < job->nrcpts; i++) {
		job->rcpts[i].status = QUEUE_OK;
		snprintf(job->rcpts[i].reply, sizeof(job->rcpts[i].reply),
		    "250 2.0.0 local");
	}
	queue_job_done(job);
}

static unsigned
fake_get(struct fake *f, unsigned *field)
{
	unsigned v;

	pthread_mutex_lock(&f->mu);
	v = *field;
	pthread_mutex_unlock(&f->mu);
	return v;
}

static bool
wait_until(struct fake *f, unsigned *field, unsigned want)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (fake_get(f, field) >= want)
			return true;
		usleep(10000);
	}
	return false;
}

/* Routes through the transport map only: literal addresses need no
 * DNS. */
static struct queue_sched *
sched_start(struct fx *fx, struct fake *f, struct queue_transport *remote,
    struct queue_transport *local, unsigned delay_warning)
{
	struct queue_params p;
	char *err = NULL, map[128];
	struct queue_sched *s;
	FILE *fp;

	snprintf(map, sizeof(map), "%s/map", fx->root);
	fp = fopen(map, "w");
	assert_non_null(fp);
	fprintf(fp, "# test\none.test = [127.0.0.1]:2525\n"
	    "map.test = [127.0.0.1]:2626 tls=none\n");
	fclose(fp);

	memset(remote, 0, sizeof(*remote));
	memset(local, 0, sizeof(*local));
	remote->deliver = fake_remote;
	remote->arg = f;
	local->accepts = fake_accepts;
	local->deliver = fake_local;
	local->arg = f;
	memset(&p, 0, sizeof(p));
	p.hostname = "mx.here.test";
	p.retry_min = 1;
	p.retry_max = 1;
	p.lifetime = 3600;
	p.delay_warning = delay_warning;
	p.max_connections = 10;
	p.max_per_destination = 2;
	p.transport_map = map;
	p.dns_server = "127.0.0.1:1";
	p.local = local;
	p.remote = remote;
	s = queue_sched_start(fx->q, &p, &err);
	if (s == NULL)
		fail_msg("%s", err);
	return s;
}

static void
test_sched_groups_and_bounces(void **state)
{
	struct fx *fx = *state;
	struct fake f = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, QUEUE_PERM,
	    false, 0, 0 };
	struct queue_transport remote, local;
	struct queue_sched *s;
	const char *rcpts[] = { "a@one.test", "b@one.test", "c@map.test" };

	SCHED_LITE_ONLY();

	s = sched_start(fx, &f, &remote, &local, 0);
	free(put(fx->q, "s@here.test", rcpts, 3, 0));
	/* one.test and map.test: two jobs, three recipients; they bounce,
	 * and one DSN for the message covers all three; it goes to the
	 * local sender through the local transport. */
	assert_true(wait_until(&f, &f.bounces, 1));
	assert_int_equal(fake_get(&f, &f.jobs), 2);
	assert_int_equal(fake_get(&f, &f.rcpts), 3);
	assert_true(f.seen_nexthop_map);
	usleep(300000);
	queue_sched_stop(s);
	assert_int_equal(f.bounces, 1);
	assert_int_equal(f.dsn_failed, 3);
	assert_int_equal(queue_count(fx->q), 0);
	assert_int_equal(count_bodies(fx->root), 0);
}

static void
test_sched_bounce_never_bounced(void **state)
{
	struct fx *fx = *state;
	struct fake f = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, QUEUE_PERM,
	    false, 0, 0 };
	struct queue_transport remote, local;
	struct queue_sched *s;
	const char *rcpts[] = { "a@one.test" };

	SCHED_LITE_ONLY();

	s = sched_start(fx, &f, &remote, &local, 0);
	free(put(fx->q, "", rcpts, 1, 0));
	assert_true(wait_until(&f, &f.jobs, 1));
	usleep(300000);
	queue_sched_stop(s);
	assert_int_equal(f.local_jobs, 0);
	assert_int_equal(queue_count(fx->q), 0);
}

static void
test_sched_retry_then_ok(void **state)
{
	struct fx *fx = *state;
	struct fake f = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, QUEUE_TEMP,
	    false, 0, 0 };
	struct queue_transport remote, local;
	struct queue_sched *s;
	struct queue_info info;
	const char *rcpts[] = { "a@one.test" };
	char *id;

	SCHED_LITE_ONLY();

	s = sched_start(fx, &f, &remote, &local, 0);
	id = put(fx->q, "s@here.test", rcpts, 1, 0);
	assert_true(wait_until(&f, &f.jobs, 1));
	usleep(200000);
	assert_int_equal(queue_show(fx->q, id, &info, NULL), 1);
	assert_int_equal(info.rcpts[0].attempts, 1);
	assert_string_equal(info.rcpts[0].last_reply, "451 4.0.0 l8r");
	queue_info_free(&info, 1);
	pthread_mutex_lock(&f.mu);
	f.answer = QUEUE_OK;
	pthread_mutex_unlock(&f.mu);
	assert_true(wait_until(&f, &f.jobs, 2));
	usleep(300000);
	queue_sched_stop(s);
	assert_int_equal(f.jobs, 2);
	assert_int_equal(f.local_jobs, 0);
	assert_int_equal(queue_count(fx->q), 0);
	free(id);
}

/* queue.db as petrel wrote it at schema version 1 (frozen here: the
 * upgrade must keep working on such a file). */
static const char v1_sql[] =
	"CREATE TABLE msgs (id INTEGER PRIMARY KEY, qid TEXT NOT NULL UNIQUE,"
	" sender TEXT NOT NULL, envid TEXT,"
	" ret_hdrs INTEGER NOT NULL DEFAULT 0,"
	" is_8bit INTEGER NOT NULL DEFAULT 0,"
	" is_utf8 INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL,"
	" created INTEGER NOT NULL, held INTEGER NOT NULL DEFAULT 0,"
	" warned INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE rcpts (id INTEGER PRIMARY KEY,"
	" msg_id INTEGER NOT NULL REFERENCES msgs(id) ON DELETE CASCADE,"
	" address TEXT NOT NULL, domain TEXT NOT NULL,"
	" notify INTEGER NOT NULL DEFAULT 0, orcpt TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL,"
	" last_reply TEXT NOT NULL DEFAULT '',"
	" last_relay TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX rcpts_due ON rcpts(next_attempt);"
	"CREATE INDEX rcpts_msg ON rcpts(msg_id);"
	"INSERT INTO msgs VALUES (1, '00112233aabbccdd', 's@here.test', NULL,"
	" 0, 0, 0, 20, 1700000000, 1, 0);"
	"INSERT INTO rcpts VALUES (1, 1, 'a@one.test', 'one.test', 0, NULL,"
	" 3, 1700000600, '451 4.0.0 l8r', 'fake[127.0.0.1]:25');"
	"PRAGMA user_version = 1;";

static void
make_db(const char *root, const char *sql)
{
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/queue", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/queue/queue.db", root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Every earlier schema version is upgraded with its data; a newer one
 * is refused with a message naming the problem. */
static void
test_schema_upgrade(void **state)
{
	struct fx *fx = *state;
	struct queue_info info;
	struct queue *q;
	char *err = NULL, root[96];
	sqlite3 *db;

	TEST_STORE_LITE_ONLY();

	/* The fixture opened an empty directory: version 0 went all the
	 * way up. */
	db = queue_db_open(fx->q, NULL);
	assert_non_null(db);
	assert_int_equal(queue_db_version(db), 2);
	sqlite3_close(db);

	snprintf(root, sizeof(root), "%s/v1", fx->root);
	assert_int_equal(mkdir(root, 0700), 0);
	make_db(root, v1_sql);
	q = queue_open(root, fx->pool, NULL, &err);
	if (q == NULL)
		fail_msg("%s", err);
	assert_int_equal(queue_show(q, "00112233aabbccdd", &info, NULL), 1);
	assert_string_equal(info.sender, "s@here.test");
	assert_true(info.is_held);
	assert_int_equal(info.nrcpts, 1);
	assert_int_equal(info.rcpts[0].attempts, 3);
	assert_string_equal(info.rcpts[0].last_reply, "451 4.0.0 l8r");
	queue_info_free(&info, 1);
	db = queue_db_open(q, NULL);
	assert_int_equal(queue_db_version(db), 2);
	assert_int_equal(sqlite3_exec(db, "SELECT dsn, dsn_status FROM rcpts",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	queue_close(q);

	snprintf(root, sizeof(root), "%s/v99", fx->root);
	assert_int_equal(mkdir(root, 0700), 0);
	make_db(root, "PRAGMA user_version = 99;");
	assert_null(queue_open(root, fx->pool, NULL, &err));
	assert_non_null(strstr(err, "schema version 99, newer"));
	free(err);
}

/* Two destinations keep deferring: after delay_warning, one "delayed"
 * DSN covers both recipients, once; then they are delivered with no
 * other DSN. */
static void
test_sched_one_delay_warning(void **state)
{
	struct fx *fx = *state;
	struct fake f = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, QUEUE_TEMP,
	    false, 0, 0 };
	struct queue_transport remote, local;
	struct queue_sched *s;
	const char *rcpts[] = { "a@one.test", "c@map.test" };

	SCHED_LITE_ONLY();

	s = sched_start(fx, &f, &remote, &local, 1);
	free(put(fx->q, "s@here.test", rcpts, 2, 0));
	assert_true(wait_until(&f, &f.bounces, 1));
	assert_true(wait_until(&f, &f.jobs, 6));
	pthread_mutex_lock(&f.mu);
	f.answer = QUEUE_OK;
	pthread_mutex_unlock(&f.mu);
	usleep(2500000);
	queue_sched_stop(s);
	assert_int_equal(f.bounces, 1);
	assert_int_equal(f.dsn_delayed, 2);
	assert_int_equal(f.dsn_failed, 0);
	assert_int_equal(queue_count(fx->q), 0);
}

/* A cluster node keeps loaded (leased) only what its connections can
 * start soon; one node alone keeps up to the fixed cap. */
static void
test_sched_active_max(void **state)
{
	struct queue_sched s = { 0 };

	(void)state;
	s.be = &queue_backend_lite;
	s.p.max_connections = 1;
	assert_int_equal(sched_active_max(&s), 4000);
	s.be = &queue_backend_pg;
	assert_int_equal(sched_active_max(&s), 32);
	s.p.max_connections = 100;
	assert_int_equal(sched_active_max(&s), 400);
	s.p.max_connections = 100000;
	assert_int_equal(sched_active_max(&s), 4000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_and_admin, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_abort_and_no_rcpt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_threads,
		    setup, teardown),
		cmocka_unit_test(test_nexthop_parse),
		cmocka_unit_test(test_mx_order),
		cmocka_unit_test(test_reply_status),
		cmocka_unit_test(test_dsn_text),
		cmocka_unit_test(test_dns_ttls),
		cmocka_unit_test(test_route_ttl),
		cmocka_unit_test(test_sched_active_max),
		cmocka_unit_test_setup_teardown(test_sched_groups_and_bounces,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sched_bounce_never_bounced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sched_retry_then_ok,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sched_one_delay_warning,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_upgrade,
		    setup, teardown),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
