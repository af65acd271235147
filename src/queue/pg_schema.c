/* The queue's tables in PostgreSQL, for nodes whose store is a
 * postgresql:// URL: its own version table (queue_schema_version) and
 * migrations, apart from the store's, so that either can move without
 * the other. The layout follows queue.db (db.c) with what a shared queue
 * needs on top: the body in the row (bytea), since nodes share no
 * filesystem, and a lease per message (the owning node and when its
 * claim runs out), taken with SELECT ... FOR UPDATE SKIP LOCKED so that
 * two nodes never send one message at once and a dead node's messages
 * come free again. A step is never changed once released: a new version
 * is a new step.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "lib/pg_migrate.h"
#include "queue/queue_int.h"
#include "store/pg_int.h"

/* Any constant of ours, not the store's: "pqueue" in ASCII. */
#define QUEUE_SCHEMA_LOCK	"707175657565"

static const char *const steps[] = {
	/* 1: messages with their bodies and leases, the recipients still to
	 * deliver (or owing a DSN: dsn is QUEUE_DSN_* + 1, 0 while queued,
	 * as in queue.db's step 2). Times are Unix seconds. */
	"CREATE TABLE IF NOT EXISTS queue_msgs ("
	" id bigserial PRIMARY KEY,"
	" qid text NOT NULL UNIQUE,"
	" sender text NOT NULL,"
	" envid text,"
	" ret_hdrs boolean NOT NULL DEFAULT false,"
	" is_8bit boolean NOT NULL DEFAULT false,"
	" is_utf8 boolean NOT NULL DEFAULT false,"
	" size bigint NOT NULL,"
	" created bigint NOT NULL,"
	" held boolean NOT NULL DEFAULT false,"
	" warned boolean NOT NULL DEFAULT false,"
	" lease_owner text,"
	" lease_expires bigint NOT NULL DEFAULT 0,"
	" body bytea NOT NULL);"
	"CREATE TABLE IF NOT EXISTS queue_rcpts ("
	" id bigserial PRIMARY KEY,"
	" msg_id bigint NOT NULL REFERENCES queue_msgs(id) ON DELETE CASCADE,"
	" address text NOT NULL,"
	" domain text NOT NULL,"
	" notify integer NOT NULL DEFAULT 0,"
	" orcpt text,"
	" attempts integer NOT NULL DEFAULT 0,"
	" next_attempt bigint NOT NULL,"
	" last_reply text NOT NULL DEFAULT '',"
	" last_relay text NOT NULL DEFAULT '',"
	" dsn integer NOT NULL DEFAULT 0,"
	" dsn_status text NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS queue_rcpts_due ON queue_rcpts"
	" (next_attempt) WHERE dsn = 0;"
	"CREATE INDEX IF NOT EXISTS queue_rcpts_msg ON queue_rcpts(msg_id);"
	"CREATE INDEX IF NOT EXISTS queue_msgs_lease ON queue_msgs"
	" (lease_expires) WHERE lease_owner IS NOT NULL;",
};

static const struct pg_schema_def queue_schema = {
	"queue schema", "queue_schema_version", QUEUE_SCHEMA_LOCK, steps,
	(int)(sizeof(steps) / sizeof(steps[0])),
};

int
queue_pg_schema_upto(PGconn *pg, int upto, char **err_out)
{
	return pg_migrate(pg, &queue_schema, upto, err_out);
}

int
queue_pg_schema_version(void)
{
	return queue_schema.nsteps;
}

int
queue_pg_prepare(const char *url, char **err_out)
{
	PGconn *pg;
	int rc;

	if ((pg = pg_connect(url, err_out)) == NULL)
		return -1;
	rc = queue_pg_schema_upto(pg, queue_schema.nsteps, err_out);
	PQfinish(pg);
	return rc;
}
