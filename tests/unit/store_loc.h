/* Where the store tests keep their store, so that the same tests run
 * against both backends: PETREL_TEST_STORE, when it is a PostgreSQL URL
 * (tests/run pgstore sets it), emptied before each test; else a data
 * directory of the test's own. Also plain SQL on the store's database
 * for the checks a test makes behind the store's back. Included by the
 * test files (each is one program).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_TEST_STORE_LOC_H
#define PETREL_TEST_STORE_LOC_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "lib/xalloc.h"

static inline int
test_rm_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove a test's directory and everything under it. */
static inline void
test_rm_tree(const char *path)
{
	(void)nftw(path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The PostgreSQL URL under test, or NULL for the embedded store. */
static inline const char *
test_store_pg(void)
{
	const char *url = getenv("PETREL_TEST_STORE");

	if (url == NULL || (strncmp(url, "postgresql://", 13) != 0 &&
	    strncmp(url, "postgres://", 11) != 0))
		return NULL;
	return url;
}

/* A test that checks what only the embedded store has (files, SQLite). */
#define TEST_STORE_LITE_ONLY() do {					\
	if (test_store_pg() != NULL)					\
		skip();							\
} while (0)

static inline PGconn *
test_pg_connect(void)
{
	PGconn *pg = PQconnectdb(test_store_pg());

	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("PostgreSQL: %s", PQerrorMessage(pg));
	return pg;
}

static inline void
test_pg_exec(const char *sql)
{
	PGconn *pg = test_pg_connect();
	PGresult *res = PQexec(pg, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

/* The store location for a test whose own directory is dir (heap): the
 * PostgreSQL database is emptied first. */
static inline char *
test_store_location(const char *dir)
{
	if (test_store_pg() == NULL)
		return xstrdup(dir);
	test_pg_exec("SET client_min_messages = warning; "
	    "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
	return xstrdup(test_store_pg());
}

/* Run sql on the store's database (dir for the embedded store). */
static inline void
test_store_sql_exec(const char *dir, const char *sql)
{
	sqlite3 *db;
	char *path;

	if (test_store_pg() != NULL) {
		test_pg_exec(sql);
		return;
	}
	path = xasprintf("%s/store.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

/* Column 0 of the first row of sql as an integer, -1 when none. */
static inline int64_t
test_store_sql_int(const char *dir, const char *sql)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	PGresult *res;
	PGconn *pg;
	int64_t v = -1;
	char *path;

	if (test_store_pg() != NULL) {
		pg = test_pg_connect();
		res = PQexec(pg, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(pg));
		if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
			v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		PQfinish(pg);
		return v;
	}
	path = xasprintf("%s/store.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	free(path);
	return v;
}

#endif
