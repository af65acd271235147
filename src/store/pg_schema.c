/* The PostgreSQL schema and its migrations, as schema.c for SQLite:
 * schema_version holds the version applied; each entry of migrations[]
 * takes the schema one version further, inside the transaction that
 * records the new version (lib/pg_migrate.c runs them). Several nodes
 * may start at once: an advisory lock lets one migrate while the others
 * wait.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/pg_migrate.h"
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
	/* 3: expunged UIDs for IMAP QRESYNC (RFC 7162 3.2.5), as SQLite's
	 * step 6: a message leaving its mailbox (DELETE, or an UPDATE of
	 * its mailbox_id) is recorded with the mailbox's modseq at that
	 * moment; a mailbox deleted, or made anew (new UIDVALIDITY), takes
	 * its records along. */
	"CREATE TABLE vanished ("
	"  mailbox_id	bigint NOT NULL,"
	"  uid		bigint NOT NULL,"
	"  modseq	bigint NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid));"
	"CREATE INDEX vanished_modseq ON vanished(mailbox_id, modseq);"
	"CREATE FUNCTION petrel_vanished() RETURNS trigger LANGUAGE plpgsql"
	"    AS $$BEGIN INSERT INTO vanished SELECT old.mailbox_id, old.uid,"
	"    highestmodseq FROM mailboxes WHERE id = old.mailbox_id ON"
	"    CONFLICT (mailbox_id, uid) DO UPDATE SET modseq ="
	"    excluded.modseq; RETURN NULL; END$$;"
	"CREATE TRIGGER messages_vanished AFTER DELETE ON messages"
	"    FOR EACH ROW EXECUTE FUNCTION petrel_vanished();"
	"CREATE TRIGGER messages_moved AFTER UPDATE OF mailbox_id ON messages"
	"    FOR EACH ROW WHEN (old.mailbox_id <> new.mailbox_id)"
	"    EXECUTE FUNCTION petrel_vanished();"
	"CREATE FUNCTION petrel_vanished_gc() RETURNS trigger LANGUAGE"
	"    plpgsql AS $$BEGIN DELETE FROM vanished WHERE mailbox_id ="
	"    old.id; RETURN NULL; END$$;"
	"CREATE TRIGGER mailboxes_vanished_gc AFTER DELETE ON mailboxes"
	"    FOR EACH ROW EXECUTE FUNCTION petrel_vanished_gc();"
	"CREATE TRIGGER mailboxes_vanished_reset AFTER UPDATE OF uidvalidity"
	"    ON mailboxes FOR EACH ROW EXECUTE FUNCTION petrel_vanished_gc();",
};

#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(*migrations)))

int
pg_schema_version(void)
{
	return SCHEMA_VERSION;
}

static const struct pg_schema_def schema = {
	"store schema", "schema_version", SCHEMA_LOCK, migrations,
	SCHEMA_VERSION,
};

int
pg_schema_apply_upto(PGconn *pg, int upto, char **err_out)
{
	return pg_migrate(pg, &schema, upto, err_out);
}

int
pg_schema_apply(PGconn *pg, char **err_out)
{
	return pg_schema_apply_upto(pg, SCHEMA_VERSION, err_out);
}
