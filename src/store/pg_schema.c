/* The PostgreSQL schema and its migrations, as schema.c for SQLite:
 * schema_version holds the version applied; each entry of migrations[]
 * takes the schema one version further, inside the transaction that
 * records the new version. Several nodes may start at once: an advisory
 * lock lets one migrate while the others wait.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/pg_int.h"

/* Any constant of ours: "petrel" in ASCII. */
#define SCHEMA_LOCK	"7065747265"

static const char *const migrations[] = {
	/* 1: accounts, mailboxes, messages with their bodies (bytea, so
	 * that nodes share no filesystem), IMAP's keywords, \Noselect
	 * names, \Recent marks, subscriptions and parse cache, aliases. */
	"CREATE TABLE meta ("
	"  key		text PRIMARY KEY,"
	"  value	bigint NOT NULL);"
	"INSERT INTO meta VALUES ('uidvalidity', 0);"
	"CREATE TABLE domains ("
	"  id		bigserial PRIMARY KEY,"
	"  name		text NOT NULL UNIQUE);"
	"CREATE TABLE users ("
	"  id		bigserial PRIMARY KEY,"
	"  domain_id	bigint NOT NULL REFERENCES domains(id),"
	"  address	text NOT NULL UNIQUE,"
	"  password	text NOT NULL,"
	"  created	bigint NOT NULL);"
	"CREATE INDEX users_domain ON users(domain_id);"
	"CREATE TABLE mailboxes ("
	"  id		bigserial PRIMARY KEY,"
	"  user_id	bigint NOT NULL REFERENCES users(id)"
	"		    ON DELETE CASCADE,"
	"  name		text NOT NULL,"
	"  special_use	text,"
	"  uidvalidity	bigint NOT NULL,"
	"  uidnext	bigint NOT NULL DEFAULT 1,"
	"  highestmodseq	bigint NOT NULL DEFAULT 1,"
	"  noselect	boolean NOT NULL DEFAULT false,"
	"  recent_uid	bigint NOT NULL DEFAULT 1,"
	"  UNIQUE (user_id, name));"
	"CREATE TABLE bodies ("
	"  id		bigserial PRIMARY KEY,"
	"  size		bigint NOT NULL,"
	"  created	bigint NOT NULL,"
	"  data		bytea NOT NULL);"
	"CREATE TABLE messages ("
	"  id		bigserial PRIMARY KEY,"
	"  mailbox_id	bigint NOT NULL REFERENCES mailboxes(id)"
	"		    ON DELETE CASCADE,"
	"  uid		bigint NOT NULL,"
	"  body_id	bigint NOT NULL REFERENCES bodies(id),"
	"  flags	integer NOT NULL DEFAULT 0,"
	"  modseq	bigint NOT NULL,"
	"  internal_date	bigint NOT NULL,"
	"  size		bigint NOT NULL,"
	"  keywords	text NOT NULL DEFAULT '',"
	"  UNIQUE (mailbox_id, uid));"
	"CREATE INDEX messages_body ON messages(body_id);"
	"CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);"
	"CREATE INDEX messages_unseen ON messages(mailbox_id, uid)"
	"    WHERE (flags & 1) = 0;"
	"CREATE INDEX messages_date ON messages(mailbox_id, internal_date,"
	"    uid);"
	"CREATE TABLE subscriptions ("
	"  user_id	bigint NOT NULL REFERENCES users(id)"
	"		    ON DELETE CASCADE,"
	"  name		text NOT NULL,"
	"  PRIMARY KEY (user_id, name));"
	"CREATE TABLE keywords ("
	"  mailbox_id	bigint NOT NULL REFERENCES mailboxes(id)"
	"		    ON DELETE CASCADE,"
	"  name		text NOT NULL,"
	"  PRIMARY KEY (mailbox_id, name));"
	"CREATE TABLE cache ("
	"  body_id	bigint PRIMARY KEY REFERENCES bodies(id)"
	"		    ON DELETE CASCADE,"
	"  envelope	bytea NOT NULL,"
	"  body		bytea NOT NULL,"
	"  bodystructure	bytea NOT NULL,"
	"  header	bytea NOT NULL,"
	"  sent_date	bigint NOT NULL);"
	"CREATE TABLE aliases ("
	"  address	text NOT NULL,"
	"  target	text NOT NULL,"
	"  domain_id	bigint NOT NULL REFERENCES domains(id),"
	"  PRIMARY KEY (address, target));"
	"CREATE INDEX aliases_domain ON aliases(domain_id);",
	/* 2: the text index for IMAP SEARCH BODY and TEXT: each body's
	 * decoded header and text parts, searched with trigram indexes
	 * (pg_trgm, a trusted extension since PostgreSQL 13). */
	"CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	"CREATE TABLE text_index ("
	"  body_id	bigint PRIMARY KEY REFERENCES bodies(id)"
	"		    ON DELETE CASCADE,"
	"  hdr		text NOT NULL,"
	"  body		text NOT NULL);"
	"CREATE INDEX text_index_hdr ON text_index"
	"    USING gin (hdr gin_trgm_ops);"
	"CREATE INDEX text_index_body ON text_index"
	"    USING gin (body gin_trgm_ops);",
};

#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(*migrations)))

int
pg_schema_version(void)
{
	return SCHEMA_VERSION;
}

/* Run sql (no parameters, maybe several statements). 0 or -1. */
static int
run(PGconn *pg, const char *sql, const char *what, char **err_out)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType status = res ? PQresultStatus(res) :
	    PGRES_FATAL_ERROR;
	char *msg, *nl;

	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	msg = xstrdup(res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
	if ((nl = strrchr(msg, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	store_err(err_out, "store schema: %s: %s", what, msg);
	free(msg);
	PQclear(res);
	return -1;
}

static int
version_get(PGconn *pg, int *out, char **err_out)
{
	PGresult *res;

	if (run(pg, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version integer NOT NULL)", "schema_version", err_out) == -1)
		return -1;
	res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM "
	    "schema_version");
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return store_err(err_out, "store schema: %s",
		    PQerrorMessage(pg));
	}
	*out = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
version_set(PGconn *pg, int version, char **err_out)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d)",
	    version);
	return run(pg, sql, "schema_version", err_out);
}

int
pg_schema_apply_upto(PGconn *pg, int upto, char **err_out)
{
	char what[32];
	int version = 0;

	if (run(pg, "BEGIN; SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")",
	    "lock", err_out) == -1)
		return -1;
	if (version_get(pg, &version, err_out) == -1)
		goto fail;
	if (version > SCHEMA_VERSION) {
		store_err(err_out, "store schema version %d is newer than "
		    "this petrel knows (%d)", version, SCHEMA_VERSION);
		goto fail;
	}
	for (; version < upto; version++) {
		snprintf(what, sizeof(what), "migration %d", version + 1);
		if (run(pg, migrations[version], what, err_out) == -1 ||
		    version_set(pg, version + 1, err_out) == -1)
			goto fail;
	}
	return run(pg, "COMMIT", "commit", err_out);
fail:
	(void)run(pg, "ROLLBACK", "rollback", NULL);
	return -1;
}

int
pg_schema_apply(PGconn *pg, char **err_out)
{
	return pg_schema_apply_upto(pg, SCHEMA_VERSION, err_out);
}
