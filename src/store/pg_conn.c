/* The PostgreSQL store's connections: one per thread, kept in a pthread
 * key and closed when the thread ends or the store closes; a connection
 * that broke (the server restarted, the network went away) is opened
 * again on the next call, so a database that is away costs only the
 * calls made while it is away. Statements are prepared once per
 * connection and run with PQexecPrepared().
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg_int.h"

#define PARAMS_MAX	16

/* Fatal-free notices ("relation already exists, skipping") stay out of
 * the log. */
static void
notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Defaults first, then the URL (dbname, expanded), whose settings win. A
 * server that does not answer must not hang an event loop for long, and
 * a dead peer must show on an idle connection (the listener's). */
static const char *const conn_keys[] = { "connect_timeout", "keepalives",
	"keepalives_idle", "keepalives_interval", "keepalives_count",
	"dbname", NULL };

PGconn *
pg_connect(const char *url, char **err_out)
{
	const char *values[] = { "5", "1", "30", "10", "3", url, NULL };
	PGconn *pg;
	char *msg, *nl;

	pg = PQconnectdbParams(conn_keys, values, 1);
	if (pg == NULL) {
		store_err(err_out, "store: out of memory connecting");
		return NULL;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		msg = xstrdup(PQerrorMessage(pg));
		if ((nl = strrchr(msg, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		store_err(err_out, "store: cannot connect to PostgreSQL: %s",
		    msg);
		free(msg);
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, notice_drop, NULL);
	/* 250 only after the commit is on disk (the server's default, said
	 * here so that a server configured otherwise does not weaken it). */
	if (pg_setup_exec(pg, "SET synchronous_commit = on", "PostgreSQL",
	    err_out) == -1)
		return NULL;
	return pg;
}

int
pg_setup_exec(PGconn *pg, const char *sql, const char *what,
    char **err_out)
{
	PGresult *res;

	res = PQexec(pg, sql);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_err(err_out, "store: %s: %s", what, PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
		return -1;
	}
	PQclear(res);
	return 0;
}

static void
conn_forget_prepared(struct pg_thread *c)
{
	free(c->prepared);
	c->prepared = NULL;
	c->n_prepared = 0;
}

static void
conn_free(struct pg_thread *c)
{
	PQfinish(c->pg);
	conn_forget_prepared(c);
	free(c->err);
	free(c);
}

static void
conn_unlink(struct pg_store *st, struct pg_thread *c)
{
	struct pg_thread **pp;

	for (pp = &st->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

/* The key's destructor: the thread ends, so does its connection. */
static void
conn_destroy(void *arg)
{
	struct pg_thread *c = arg;

	pthread_mutex_lock(&c->st->lock);
	conn_unlink(c->st, c);
	pthread_mutex_unlock(&c->st->lock);
	conn_free(c);
}

/* Connect again after the connection broke. 0 or -1 (logged). */
static int
conn_revive(struct pg_thread *c)
{
	char *err = NULL;

	PQfinish(c->pg);
	conn_forget_prepared(c);
	if ((c->pg = pg_connect(c->url, &err)) == NULL) {
		log_warnx("store event=connect error=\"%s\"", err);
		free(err);
		return -1;
	}
	log_info("store event=reconnect");
	return 0;
}

struct pg_thread *
pg_conn_get(struct store *base)
{
	struct pg_store *st = pg_of(base);
	struct pg_thread *c;
	char *err = NULL;

	if ((c = pthread_getspecific(st->conn_key)) != NULL) {
		if ((c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) &&
		    conn_revive(c) == -1)
			return NULL;
		return c;
	}
	c = xcalloc(1, sizeof(*c));
	c->st = st;
	c->url = st->url;
	if ((c->pg = pg_connect(st->url, &err)) == NULL) {
		log_warnx("store event=connect error=\"%s\"", err);
		free(err);
		free(c);
		return NULL;
	}
	if (pthread_setspecific(st->conn_key, c) != 0)
		fatalx("store: pthread_setspecific failed");
	pthread_mutex_lock(&st->lock);
	c->next = st->conns;
	st->conns = c;
	pthread_mutex_unlock(&st->lock);
	return c;
}

struct pg_thread *
pg_thread_new(const char *url, char **err_out)
{
	struct pg_thread *c;

	c = xcalloc(1, sizeof(*c));
	c->url = url;
	if ((c->pg = pg_connect(url, err_out)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
pg_thread_free(struct pg_thread *c)
{
	if (c != NULL)
		conn_free(c);
}

void
pg_conns_close(struct pg_store *st)
{
	struct pg_thread *c, *next;

	for (c = st->conns; c != NULL; c = next) {
		next = c->next;
		conn_free(c);
	}
	st->conns = NULL;
}

static void
conn_error(struct pg_thread *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : "";
	char *nl;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(c->pg);
	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	free(c->err);
	c->err = xstrdup(msg);
	if ((nl = strrchr(c->err, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s",
	    state != NULL ? state : "");
}

/* The name of sql's prepared statement on c, preparing it first. */
static int
prepared_index(struct pg_thread *c, const char *sql, size_t *idx_out)
{
	char name[24];
	PGresult *res;
	size_t i;

	for (i = 0; i < c->n_prepared; i++) {
		if (c->prepared[i] == sql) {
			*idx_out = i;
			return 0;
		}
	}
	snprintf(name, sizeof(name), "p%zu", c->n_prepared);
	res = PQprepare(c->pg, name, sql, 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		conn_error(c, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	c->prepared = xreallocarray(c->prepared, c->n_prepared + 1,
	    sizeof(*c->prepared));
	c->prepared[c->n_prepared] = sql;
	*idx_out = c->n_prepared++;
	return 0;
}

/* Whether a failed call may run again on a new connection: the old one
 * broke (the server restarted) outside a transaction, so nothing of the
 * caller's work is lost with it. Reconnects when so. */
static bool
may_retry(struct pg_thread *c)
{
	if (c->in_txn || PQstatus(c->pg) == CONNECTION_OK)
		return false;
	return conn_revive(c) == 0;
}

static PGresult *
query_v(struct pg_thread *c, int result_format, const char *sql,
    const char *types, va_list ap)
{
	const char *values[PARAMS_MAX];
	int lengths[PARAMS_MAX], formats[PARAMS_MAX];
	char nums[PARAMS_MAX][24], name[24];
	ExecStatusType status;
	PGresult *res;
	size_t idx;
	int n = 0, tries;

	c->sqlstate[0] = '\0';		/* no stale cause of a later error */
	for (; *types != '\0'; types++, n++) {
		if (n == PARAMS_MAX)
			fatalx("store: too many parameters");
		lengths[n] = 0;
		formats[n] = 0;
		switch (*types) {
		case 'i':
			snprintf(nums[n], sizeof(nums[n]), "%lld",
			    (long long)va_arg(ap, int64_t));
			values[n] = nums[n];
			break;
		case 's':
			values[n] = va_arg(ap, const char *);
			break;
		case 'b':
			values[n] = va_arg(ap, const void *);
			lengths[n] = (int)va_arg(ap, size_t);
			formats[n] = 1;
			if (values[n] == NULL)
				values[n] = "";
			break;
		default:
			fatalx("store: bad parameter type %c", *types);
		}
	}
	for (tries = 0; tries < 2; tries++) {
		if (prepared_index(c, sql, &idx) == -1) {
			if (tries == 0 && may_retry(c))
				continue;
			return NULL;
		}
		snprintf(name, sizeof(name), "p%zu", idx);
		res = PQexecPrepared(c->pg, name, n, values, lengths, formats,
		    result_format);
		status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
			return res;
		conn_error(c, res);
		PQclear(res);
		if (tries > 0 || !may_retry(c))
			break;
	}
	return NULL;
}

PGresult *
pg_query(struct pg_thread *c, const char *sql, const char *types, ...)
{
	PGresult *res;
	va_list ap;

	va_start(ap, types);
	res = query_v(c, 0, sql, types, ap);
	va_end(ap);
	return res;
}

PGresult *
pg_query_bin(struct pg_thread *c, const char *sql, const char *types, ...)
{
	PGresult *res;
	va_list ap;

	va_start(ap, types);
	res = query_v(c, 1, sql, types, ap);
	va_end(ap);
	return res;
}

int
pg_exec(struct pg_thread *c, const char *sql, const char *types, ...)
{
	PGresult *res;
	va_list ap;

	va_start(ap, types);
	res = query_v(c, 0, sql, types, ap);
	va_end(ap);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

int
pg_exec_n(struct pg_thread *c, uint64_t *n_out, const char *sql,
    const char *types, ...)
{
	PGresult *res;
	va_list ap;

	va_start(ap, types);
	res = query_v(c, 0, sql, types, ap);
	va_end(ap);
	if (res == NULL)
		return -1;
	*n_out = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

int
pg_cmd(struct pg_thread *c, const char *sql)
{
	PGresult *res;

	c->sqlstate[0] = '\0';
	res = PQexec(c->pg, sql);

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		conn_error(c, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
pg_begin(struct pg_thread *c)
{
	if (pg_cmd(c, "BEGIN") == -1 && (!may_retry(c) ||
	    pg_cmd(c, "BEGIN") == -1))
		return -1;
	c->in_txn = true;
	return 0;
}

int
pg_commit(struct pg_thread *c)
{
	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK: check
	 * the transaction state first. */
	c->in_txn = false;
	if (PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
		pg_rollback(c);
		free(c->err);
		c->err = xstrdup("transaction aborted");
		return -1;
	}
	if (pg_cmd(c, "COMMIT") == -1) {
		pg_rollback(c);
		return -1;
	}
	return 0;
}

void
pg_rollback(struct pg_thread *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	PGresult *res;

	c->in_txn = false;
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		res = PQexec(c->pg, "ROLLBACK");
		PQclear(res);
	}
}

int
pg_fail(struct pg_thread *c, char **err_out)
{
	return store_err(err_out, "store: %s", c != NULL && c->err != NULL ?
	    c->err : "database unavailable");
}

bool
pg_is_unique(const struct pg_thread *c)
{
	return strcmp(c->sqlstate, "23505") == 0;
}

bool
pg_is_conflict(const struct pg_thread *c)
{
	return strcmp(c->sqlstate, "40P01") == 0 ||
	    strcmp(c->sqlstate, "40001") == 0;
}

bool
pg_is_disk_full(const struct pg_thread *c)
{
	return strcmp(c->sqlstate, "53100") == 0;
}

int64_t
pg_int(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool
pg_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

char *
pg_strdup(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}

int
pg_strings(PGresult *res, char ***out, size_t *n_out)
{
	int i, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*out = xreallocarray(*out, *n_out + (size_t)n + 1, sizeof(**out));
	for (i = 0; i < n; i++)
		(*out)[(*n_out)++] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

void
pg_conn_key_destroy(void *arg)
{
	conn_destroy(arg);
}

int
pg_uids(PGresult *res, uint32_t **uids_out, size_t *n_out)
{
	uint32_t *uids;
	int i, n;

	if (res == NULL)
		return -1;
	/* Never NULL: store_web_page() frees it even when empty. */
	n = PQntuples(res);
	uids = xcalloc(n ? (size_t)n : 1, sizeof(*uids));
	for (i = 0; i < n; i++)
		uids[i] = (uint32_t)pg_int(res, i, 0);
	PQclear(res);
	*uids_out = uids;
	*n_out = (size_t)n;
	return 0;
}
