/* APPEND (RFC 3501 6.3.11): a small body goes inline into the
 * transaction, as a delivery's does; a big one is written to a temporary
 * file, made durable and renamed first. It is filed into one mailbox
 * with its flags, keywords and internal date in one transaction, which
 * yields the UID for APPENDUID (RFC 4315 3).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/file.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

struct append_msg {
	char		 name[STORE_BODY_NAME_LEN + 1];
	const void	*data;		/* inline, else NULL: a file */
	size_t		 size;
	uint32_t	 flags;
	const char	*keywords;
	int64_t		 date;
};

/* Write the body under its final name, durably. 0 or -1 (*err_out). */
static int
body_write(struct store *st, struct append_msg *m, const void *p,
    size_t len, char **err_out)
{
	char *tmp, *path, *dir;
	int fd, rc = -1;

	tmp = store_msgfile_tmp_path(st, m->name);
	path = store_msgfile_path(st, m->name);
	dir = store_msgfile_dir(st, m->name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1 && file_write_all(fd, p, len) == 0 &&
	    fsync(fd) == 0 && rename(tmp, path) == 0 &&
	    file_sync_dir(dir) == 0)
		rc = 0;
	if (rc == -1) {
		store_err(err_out, "append: %s", store_msgfile_reason(errno));
		(void)unlink(tmp);
		(void)unlink(path);
	}
	if (fd != -1)
		close(fd);
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

static int
step_once(sqlite3 *db, sqlite3_stmt *stmt)
{
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	(void)db;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
keywords_add(sqlite3 *db, int64_t mailbox_id, const char *list)
{
	const char *p = list, *sp;
	sqlite3_stmt *stmt;
	size_t len;
	int rc = 0;

	while (p != NULL && *p != '\0' && rc == 0) {
		sp = strchr(p, ' ');
		len = sp ? (size_t)(sp - p) : strlen(p);
		stmt = store_db_prepare(db, "INSERT OR IGNORE INTO keywords "
		    "VALUES (?, ?)", NULL);
		if (stmt != NULL) {
			sqlite3_bind_int64(stmt, 1, mailbox_id);
			sqlite3_bind_text(stmt, 2, p, (int)len, SQLITE_STATIC);
		}
		rc = step_once(db, stmt);
		p += len + (sp != NULL);
	}
	return rc;
}

static int
file_txn(sqlite3 *db, int64_t mailbox_id, const struct append_msg *m,
    uint32_t *uidvalidity, uint32_t *uid)
{
	struct store_target t;
	sqlite3_stmt *stmt;
	int64_t body_id;
	int rc;

	if ((rc = lite_target_get(db, mailbox_id, &t)) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	*uid = t.uidnext;
	*uidvalidity = t.uidvalidity;
	if (*uid >= UINT32_MAX)
		return -1;
	stmt = store_db_prepare(db, "INSERT INTO bodies(name, size, created,"
	    " data) VALUES (?, ?, ?, ?)", NULL);
	if (stmt != NULL) {
		sqlite3_bind_text(stmt, 1, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, (int64_t)m->size);
		sqlite3_bind_int64(stmt, 3, (int64_t)time(NULL));
		if (m->data != NULL)
			store_db_bind_body(stmt, 4, m->data, m->size);
	}
	if (step_once(db, stmt) == -1)
		return -1;
	body_id = sqlite3_last_insert_rowid(db);
	stmt = store_db_prepare(db, "INSERT INTO messages(mailbox_id, uid, "
	    "body_id, flags, modseq, internal_date, size, keywords) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", NULL);
	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, mailbox_id);
		sqlite3_bind_int64(stmt, 2, *uid);
		sqlite3_bind_int64(stmt, 3, body_id);
		sqlite3_bind_int64(stmt, 4, m->flags);
		sqlite3_bind_int64(stmt, 5, (int64_t)t.modseq);
		sqlite3_bind_int64(stmt, 6, m->date);
		sqlite3_bind_int64(stmt, 7, (int64_t)m->size);
		sqlite3_bind_text(stmt, 8, m->keywords ? m->keywords : "", -1,
		    SQLITE_STATIC);
	}
	if (step_once(db, stmt) == -1 || store_db_exec_id(db, "UPDATE "
	    "mailboxes SET uidnext = uidnext + 1, highestmodseq = "
	    "highestmodseq + 1 WHERE id = ?", mailbox_id, NULL) == -1)
		return -1;
	return keywords_add(db, mailbox_id, m->keywords);
}

int
lite_append(struct store *st, int64_t mailbox_id, const void *p,
    size_t len, uint32_t flags, const char *keywords, time_t date,
    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out)
{
	struct append_msg m;
	char **names;
	sqlite3 *db;
	int rc;

	memset(&m, 0, sizeof(m));
	m.size = len;
	m.flags = flags;
	m.keywords = keywords;
	m.date = (int64_t)date;
	str_random_hex(m.name, STORE_BODY_NAME_LEN / 2);
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	if (len <= STORE_BODY_INLINE_MAX)
		m.data = p != NULL ? p : "";
	else if (body_write(st, &m, p, len, err_out) == -1)
		return -1;
	if ((rc = store_db_begin(db, err_out)) == 0)
		rc = file_txn(db, mailbox_id, &m, uidvalidity_out, uid_out);
	if (rc == 0 && store_db_commit(db, err_out) == 0) {
		store_indexer_kick(st);
		store_notify_mailbox(st, mailbox_id);
		return 0;
	}
	if (rc == -1)
		store_err(err_out, "%s", sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		store_db_rollback(db);
	if (m.data != NULL)
		return rc == 0 ? -1 : rc;
	names = xmalloc(sizeof(*names));
	names[0] = xstrdup(m.name);
	store_msgfile_unlink_names(st, names, 1);
	return rc == 0 ? -1 : rc;
}
