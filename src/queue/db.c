/* The queue's database, data_dir/queue/queue.db: one row per message
 * (envelope, DSN parameters, hold flag) and one per recipient still to be
 * delivered (attempts, next attempt, last reply). A recipient's row goes
 * away when the next hop has taken it or it has bounced; the message's
 * row and body go with its last recipient.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/sqlite_err.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

/* How long a writer waits for another's transaction (CLI, committer,
 * scheduler) before it fails. */
#define QUEUE_BUSY_TIMEOUT_MS	30000

/* The schema, one step per version (PRAGMA user_version counts the steps
 * applied). A step is never changed once released: a new version is a
 * new step, so that every older queue.db can be brought up to date. */
static const char *const schema_steps[] = {
	/* 1: messages and the recipients still to deliver. */
	"CREATE TABLE IF NOT EXISTS msgs ("
	" id INTEGER PRIMARY KEY,"
	" qid TEXT NOT NULL UNIQUE,"
	" sender TEXT NOT NULL,"
	" envid TEXT,"
	" ret_hdrs INTEGER NOT NULL DEFAULT 0,"
	" is_8bit INTEGER NOT NULL DEFAULT 0,"
	" is_utf8 INTEGER NOT NULL DEFAULT 0,"
	" size INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" held INTEGER NOT NULL DEFAULT 0,"
	" warned INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS rcpts ("
	" id INTEGER PRIMARY KEY,"
	" msg_id INTEGER NOT NULL REFERENCES msgs(id) ON DELETE CASCADE,"
	" address TEXT NOT NULL,"
	" domain TEXT NOT NULL,"
	" notify INTEGER NOT NULL DEFAULT 0,"
	" orcpt TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL,"
	" last_reply TEXT NOT NULL DEFAULT '',"
	" last_relay TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS rcpts_due ON rcpts(next_attempt);"
	"CREATE INDEX IF NOT EXISTS rcpts_msg ON rcpts(msg_id);",
	/* 2: a recipient that is done but still owes its sender a DSN
	 * (one DSN per message, sent when the message's last job is
	 * written back): dsn is QUEUE_DSN_* + 1, 0 while it is queued. */
	"ALTER TABLE rcpts ADD COLUMN dsn INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE rcpts ADD COLUMN dsn_status TEXT NOT NULL DEFAULT '';",
};

#define SCHEMA_VERSION	(int)(sizeof(schema_steps) / sizeof(schema_steps[0]))

char *
queue_db_errstr(sqlite3 *db)
{
	return sqlite_err_str(db, "queue", "database busy");
}

int
queue_db_exec(sqlite3 *db, const char *sql, char **err_out)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		if (err_out != NULL)
			*err_out = queue_db_errstr(db);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
queue_db_prepare(sqlite3 *db, const char *sql, char **err_out)
{
	sqlite3_stmt *stmt;

	if ((stmt = sqlite_err_prepare(db, sql)) == NULL && err_out != NULL)
		*err_out = queue_db_errstr(db);
	return stmt;
}

char *
queue_db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

sqlite3 *
queue_db_open(struct queue *q, char **err_out)
{
	sqlite3 *db = NULL;
	char *path;
	int rc;

	path = xasprintf("%s/queue.db", q->dir);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		queue_err(err_out, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
		free(path);
		sqlite3_close_v2(db);
		return NULL;
	}
	free(path);
	sqlite3_busy_timeout(db, QUEUE_BUSY_TIMEOUT_MS);
	/* FULL: a message acknowledged with 250 must survive a power cut,
	 * and so must the news that a recipient was delivered (else it is
	 * sent twice). */
	if (queue_db_exec(db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY;", err_out) == -1) {
		sqlite3_close_v2(db);
		return NULL;
	}
	return db;
}

int
queue_db_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if ((st = queue_db_prepare(db, "PRAGMA user_version", NULL)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Apply the missing steps, each in a transaction of its own that also
 * moves user_version: a crash leaves a database at some whole version.
 * The version is read again under the write lock, so two processes
 * opening an old queue.db at once do not both upgrade it. */
int
queue_db_schema(sqlite3 *db, char **err_out)
{
	char *sql;
	int v, rc;

	for (;;) {
		if (queue_db_exec(db, "BEGIN IMMEDIATE", err_out) == -1)
			return -1;
		if ((v = queue_db_version(db)) == -1) {
			rc = queue_err(err_out, "queue: cannot read the "
			    "schema version");
			break;
		}
		if (v > SCHEMA_VERSION) {
			rc = queue_err(err_out, "queue: queue.db has schema "
			    "version %d, newer than this petrel's %d", v,
			    SCHEMA_VERSION);
			break;
		}
		if (v == SCHEMA_VERSION) {
			(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			return 0;
		}
		sql = xasprintf("%sPRAGMA user_version = %d;",
		    schema_steps[v], v + 1);
		rc = queue_db_exec(db, sql, err_out);
		free(sql);
		if (rc == 0 && queue_db_exec(db, "COMMIT", err_out) == 0) {
			log_info("queue event=schema version=%d", v + 1);
			continue;
		}
		break;
	}
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
