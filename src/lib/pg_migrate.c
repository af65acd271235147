/* Schema versions and migrations in PostgreSQL (pg_migrate.h).
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pg_migrate.h"
#include "lib/xalloc.h"

/* Hand the heap string msg to the caller, or drop it. -1. */
static int
fail(char **err_out, char *msg)
{
	if (err_out != NULL)
		*err_out = msg;
	else
		free(msg);
	return -1;
}

/* The server's message without its final newline, heap. */
static char *
message(PGconn *pg, const PGresult *res)
{
	char *msg, *nl;

	msg = xstrdup(res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
	if (msg[0] == '\0') {
		free(msg);
		msg = xstrdup(PQerrorMessage(pg));
	}
	if ((nl = strrchr(msg, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	return msg;
}

/* Run sql (no parameters, maybe several statements). 0 or -1. */
static int
run(PGconn *pg, const struct pg_schema_def *def, const char *sql,
    const char *what, char **err_out)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType status = res ? PQresultStatus(res) :
	    PGRES_FATAL_ERROR;
	char *msg;

	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	msg = message(pg, res);
	fail(err_out, xasprintf("%s: %s: %s", def->what, what, msg));
	free(msg);
	PQclear(res);
	return -1;
}

static int
version_get(PGconn *pg, const struct pg_schema_def *def, int *out,
    char **err_out)
{
	PGresult *res;
	char *sql, *msg;

	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (version integer NOT "
	    "NULL)", def->table);
	if (run(pg, def, sql, def->table, err_out) == -1) {
		free(sql);
		return -1;
	}
	free(sql);
	sql = xasprintf("SELECT coalesce(max(version), 0) FROM %s",
	    def->table);
	res = PQexec(pg, sql);
	free(sql);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		msg = message(pg, res);
		fail(err_out, xasprintf("%s: %s", def->what, msg));
		free(msg);
		PQclear(res);
		return -1;
	}
	*out = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int
pg_migrate_version(PGconn *pg, const struct pg_schema_def *def,
    char **err_out)
{
	int version = 0;

	if (version_get(pg, def, &version, err_out) == -1)
		return -1;
	return version;
}

int
pg_migrate(PGconn *pg, const struct pg_schema_def *def, int upto,
    char **err_out)
{
	char what[32], *sql;
	int version = 0, rc;

	sql = xasprintf("BEGIN; SELECT pg_advisory_xact_lock(%s)", def->lock);
	rc = run(pg, def, sql, "lock", err_out);
	free(sql);
	if (rc == -1)
		return -1;
	if (version_get(pg, def, &version, err_out) == -1)
		goto fail;
	if (version > def->nsteps) {
		fail(err_out, xasprintf("%s version %d is newer than this "
		    "petrel knows (%d)", def->what, version, def->nsteps));
		goto fail;
	}
	for (; version < upto && version < def->nsteps; version++) {
		snprintf(what, sizeof(what), "migration %d", version + 1);
		if (run(pg, def, def->steps[version], what, err_out) == -1)
			goto fail;
		sql = xasprintf("INSERT INTO %s VALUES (%d)", def->table,
		    version + 1);
		rc = run(pg, def, sql, def->table, err_out);
		free(sql);
		if (rc == -1)
			goto fail;
	}
	return run(pg, def, "COMMIT", "commit", err_out);
fail:
	(void)run(pg, def, "ROLLBACK", "rollback", NULL);
	return -1;
}
