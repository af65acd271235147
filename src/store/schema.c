/* The SQLite schema and its migrations. schema_version holds the version
 * applied; each entry of migrations[] takes the schema one version further,
 * inside the same transaction that records the new version.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include <sqlite3.h>

#include "store/store_int.h"

static const char *const migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE meta ("
	"  key		TEXT PRIMARY KEY,"
	"  value	INTEGER NOT NULL);"
	"CREATE TABLE domains ("
	"  id		INTEGER PRIMARY KEY,"
	"  name		TEXT NOT NULL UNIQUE);"
	"CREATE TABLE users ("
	"  id		INTEGER PRIMARY KEY,"
	"  domain_id	INTEGER NOT NULL REFERENCES domains(id),"
	"  address	TEXT NOT NULL UNIQUE,"
	"  password	TEXT NOT NULL,"
	"  created	INTEGER NOT NULL);"
	"CREATE INDEX users_domain ON users(domain_id);"
	"CREATE TABLE mailboxes ("
	"  id		INTEGER PRIMARY KEY,"
	"  user_id	INTEGER NOT NULL REFERENCES users(id)"
	"		    ON DELETE CASCADE,"
	"  name		TEXT NOT NULL,"
	"  special_use	TEXT,"
	"  subscribed	INTEGER NOT NULL DEFAULT 1,"
	"  uidvalidity	INTEGER NOT NULL,"
	"  uidnext	INTEGER NOT NULL DEFAULT 1,"
	"  highestmodseq	INTEGER NOT NULL DEFAULT 1,"
	"  UNIQUE (user_id, name));"
	"CREATE TABLE bodies ("
	"  id		INTEGER PRIMARY KEY,"
	"  name		TEXT NOT NULL UNIQUE,"
	"  size		INTEGER NOT NULL,"
	"  created	INTEGER NOT NULL);"
	"CREATE TABLE messages ("
	"  id		INTEGER PRIMARY KEY,"
	"  mailbox_id	INTEGER NOT NULL REFERENCES mailboxes(id)"
	"		    ON DELETE CASCADE,"
	"  uid		INTEGER NOT NULL,"
	"  body_id	INTEGER NOT NULL REFERENCES bodies(id),"
	"  flags	INTEGER NOT NULL DEFAULT 0,"
	"  modseq	INTEGER NOT NULL,"
	"  internal_date	INTEGER NOT NULL,"
	"  size		INTEGER NOT NULL,"
	"  UNIQUE (mailbox_id, uid));"
	"CREATE INDEX messages_body ON messages(body_id);",
	/* 2: IMAP (issue 6): keywords, \Noselect names, \Recent marks,
	 * subscriptions to any name (RFC 3501 6.3.6), the parse cache, and
	 * indexes for CONDSTORE (RFC 7162) and the first unseen message. */
	"ALTER TABLE messages ADD COLUMN keywords TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE mailboxes ADD COLUMN noselect INTEGER NOT NULL "
	"    DEFAULT 0;"
	"ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL "
	"    DEFAULT 1;"
	"CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);"
	"CREATE INDEX messages_unseen ON messages(mailbox_id, uid)"
	"    WHERE (flags & 1) = 0;"
	"CREATE TABLE subscriptions ("
	"  user_id	INTEGER NOT NULL REFERENCES users(id)"
	"		    ON DELETE CASCADE,"
	"  name		TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, name)) WITHOUT ROWID;"
	"INSERT INTO subscriptions SELECT user_id, name FROM mailboxes"
	"    WHERE subscribed = 1;"
	"CREATE TRIGGER mailboxes_subscribe AFTER INSERT ON mailboxes"
	"    WHEN new.subscribed = 1 BEGIN"
	"    INSERT OR IGNORE INTO subscriptions VALUES (new.user_id,"
	"    new.name); END;"
	"CREATE TABLE keywords ("
	"  mailbox_id	INTEGER NOT NULL REFERENCES mailboxes(id)"
	"		    ON DELETE CASCADE,"
	"  name		TEXT NOT NULL,"
	"  PRIMARY KEY (mailbox_id, name)) WITHOUT ROWID;"
	"CREATE TABLE cache ("
	"  body_id	INTEGER PRIMARY KEY REFERENCES bodies(id)"
	"		    ON DELETE CASCADE,"
	"  envelope	TEXT NOT NULL,"
	"  body		TEXT NOT NULL,"
	"  bodystructure	TEXT NOT NULL,"
	"  header	BLOB NOT NULL,"
	"  sent_date	INTEGER NOT NULL);",
	/* 3: aliases and catch-alls (issue 4). */
	"CREATE TABLE aliases ("
	"  address	TEXT NOT NULL,"
	"  target	TEXT NOT NULL,"
	"  domain_id	INTEGER NOT NULL REFERENCES domains(id),"
	"  PRIMARY KEY (address, target)) WITHOUT ROWID;"
	"CREATE INDEX aliases_domain ON aliases(domain_id);",
	/* 4: a text index for IMAP SEARCH BODY and TEXT (issue 6): each
	 * body's decoded header and text parts as trigrams (FTS5), written
	 * with the parse cache, which is emptied here so that it refills
	 * together with the index. */
	"CREATE VIRTUAL TABLE text_index USING fts5(hdr, body,"
	"    tokenize = 'trigram');"
	"CREATE TRIGGER bodies_text_gc AFTER DELETE ON bodies BEGIN"
	"    DELETE FROM text_index WHERE rowid = old.id; END;"
	"DELETE FROM cache;",
	/* 5: the webmail walks a mailbox by date (issue 8). */
	("CREATE INDEX IF NOT EXISTS messages_date ON messages(mailbox_id,"
	"    internal_date, uid);"),
	/* 6: expunged UIDs for IMAP QRESYNC (RFC 7162 3.2.5): a message
	 * leaving its mailbox (DELETE, or an UPDATE of its mailbox_id) is
	 * recorded with the mailbox's modseq at that moment; expunge raises
	 * it before deleting and MOVE after, so readers take modseq >= the
	 * client's. A mailbox deleted, or made anew (new UIDVALIDITY), takes
	 * its records along. */
	("CREATE TABLE vanished ("
	"  mailbox_id	INTEGER NOT NULL,"
	"  uid		INTEGER NOT NULL,"
	"  modseq	INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
	"CREATE INDEX vanished_modseq ON vanished(mailbox_id, modseq);"
	"CREATE TRIGGER messages_vanished AFTER DELETE ON messages BEGIN"
	"    INSERT OR REPLACE INTO vanished SELECT old.mailbox_id, old.uid,"
	"    highestmodseq FROM mailboxes WHERE id = old.mailbox_id; END;"
	"CREATE TRIGGER messages_moved AFTER UPDATE OF mailbox_id ON messages"
	"    WHEN old.mailbox_id != new.mailbox_id BEGIN"
	"    INSERT OR REPLACE INTO vanished SELECT old.mailbox_id, old.uid,"
	"    highestmodseq FROM mailboxes WHERE id = old.mailbox_id; END;"
	"CREATE TRIGGER mailboxes_vanished_gc AFTER DELETE ON mailboxes BEGIN"
	"    DELETE FROM vanished WHERE mailbox_id = old.id; END;"
	"CREATE TRIGGER mailboxes_vanished_reset AFTER UPDATE OF uidvalidity"
	"    ON mailboxes BEGIN"
	"    DELETE FROM vanished WHERE mailbox_id = new.id; END;"),
	/* 7: small bodies inline (issue 4): data holds the body itself;
	 * NULL means the body is the file bodies/XX/<name>, as before. */
	"ALTER TABLE bodies ADD COLUMN data BLOB;",
	/* 8: ENVELOPE and BODYSTRUCTURE are now written as Dovecot and UW
	 * IMAP write them (issue 6): empty the parse cache, and the text
	 * index that is filled with it, so that both refill. */
	"DELETE FROM cache; DELETE FROM text_index;",
	/* 9: the vanished records are bounded (RFC 7162 3.2.6 lets a
	 * server forget them): vanished_floor holds, per mailbox, the
	 * highest mod-sequence of a record dropped, below or at which the
	 * record is incomplete and QRESYNC answers with every UID the
	 * mailbox no longer holds. It goes with its mailbox, and with its
	 * UIDVALIDITY like the records themselves. (IF NOT EXISTS: a store
	 * whose version was set back, as tests do, takes it again.) */
	("CREATE TABLE IF NOT EXISTS vanished_floor ("
	"  mailbox_id	INTEGER PRIMARY KEY,"
	"  modseq	INTEGER NOT NULL);"
	"CREATE TRIGGER IF NOT EXISTS mailboxes_floor_gc AFTER DELETE ON"
	"    mailboxes BEGIN"
	"    DELETE FROM vanished_floor WHERE mailbox_id = old.id; END;"
	"CREATE TRIGGER IF NOT EXISTS mailboxes_floor_reset AFTER UPDATE OF"
	"    uidvalidity ON mailboxes BEGIN"
	"    DELETE FROM vanished_floor WHERE mailbox_id = new.id; END;"),
};

#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(*migrations)))

static int
version_get(sqlite3 *db, int *out, char **err_out)
{
	sqlite3_stmt *stmt;

	if (store_db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER NOT NULL)", err_out) == -1)
		return -1;
	stmt = store_db_prepare(db, "SELECT max(version) FROM schema_version",
	    err_out);
	if (stmt == NULL)
		return -1;
	*out = 0;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*out = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

static int
version_set(sqlite3 *db, int version, char **err_out)
{
	sqlite3_stmt *stmt;

	stmt = store_db_prepare(db, "INSERT INTO schema_version(version) "
	    "VALUES (?)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, version);
	return store_db_step_done(db, stmt, "store schema", err_out);
}

int
store_schema_version(void)
{
	return SCHEMA_VERSION;
}

int
store_schema_apply(sqlite3 *db, char **err_out)
{
	return store_schema_apply_upto(db, SCHEMA_VERSION, err_out);
}

int
store_schema_apply_upto(sqlite3 *db, int upto, char **err_out)
{
	int version;

	if (store_db_begin(db, err_out) == -1)
		return -1;
	if (version_get(db, &version, err_out) == -1)
		goto fail;
	if (version > SCHEMA_VERSION) {
		store_err(err_out, "store schema version %d is newer than "
		    "this petrel knows (%d)", version, SCHEMA_VERSION);
		goto fail;
	}
	for (; version < upto; version++) {
		if (store_db_exec(db, migrations[version], err_out) == -1 ||
		    version_set(db, version + 1, err_out) == -1)
			goto fail;
	}
	return store_db_commit(db, err_out);
fail:
	store_db_rollback(db);
	return -1;
}
