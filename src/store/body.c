/* Reading a body, whichever way it is kept: a small one inline in its
 * bodies row (data, written in the same transaction as its messages), a
 * big one as a file under bodies/XX/<name> (data NULL). Callers get a
 * readable descriptor either way: the file itself, or a sealed memfd
 * filled from the row, so that nothing above the store needs to know.
 * SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/file.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

/* A read-only, unlinked copy of p: a memfd sealed against change, at
 * offset 0. -1 with errno. */
static int
memfd_of(const void *p, size_t len)
{
	int fd, saved;

	if ((fd = memfd_create("petrel-body", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return -1;
	if ((len > 0 && file_write_all(fd, p, len) == -1) ||
	    lseek(fd, 0, SEEK_SET) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Step the lookup of body_id: SQLITE_ROW with the row at hand, else -1
 * with errno (ENOENT: no such body). */
static sqlite3_stmt *
body_row(sqlite3 *db, int64_t body_id)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_stmt(db, "SELECT name, data FROM bodies WHERE id = ?");
	if (stmt == NULL) {
		errno = EIO;
		return NULL;
	}
	sqlite3_bind_int64(stmt, 1, body_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		sqlite3_reset(stmt);
		errno = rc == SQLITE_DONE ? ENOENT : EIO;
		return NULL;
	}
	return stmt;
}

static int
file_open(struct store *st, const char *name)
{
	char *path = store_msgfile_path(st, name);
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("store event=open-body path=%s", path);
	free(path);
	return fd;
}

int
store_body_open(struct store *st, sqlite3 *db, int64_t body_id)
{
	sqlite3_stmt *stmt;
	int fd, saved;

	if ((stmt = body_row(db, body_id)) == NULL)
		return -1;
	if (sqlite3_column_type(stmt, 1) == SQLITE_NULL)
		fd = file_open(st, (const char *)sqlite3_column_text(stmt, 0));
	else
		fd = memfd_of(sqlite3_column_blob(stmt, 1),
		    (size_t)sqlite3_column_bytes(stmt, 1));
	saved = errno;
	sqlite3_reset(stmt);
	errno = saved;
	return fd;
}

/* Append the whole file fd to out. 0 or -1. */
static int
fd_slurp(int fd, struct buf *out)
{
	char blk[65536];
	ssize_t n;

	while ((n = read(fd, blk, sizeof(blk))) > 0)
		buf_add(out, blk, (size_t)n);
	return n == 0 ? 0 : -1;
}

int
store_body_read(struct store *st, sqlite3 *db, int64_t body_id,
    struct buf *out)
{
	sqlite3_stmt *stmt;
	int fd, rc = -1;

	if ((stmt = body_row(db, body_id)) == NULL)
		return -1;
	if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) {
		buf_add(out, sqlite3_column_blob(stmt, 1),
		    (size_t)sqlite3_column_bytes(stmt, 1));
		rc = 0;
	} else if ((fd = file_open(st,
	    (const char *)sqlite3_column_text(stmt, 0))) != -1) {
		rc = fd_slurp(fd, out);
		close(fd);
	}
	sqlite3_reset(stmt);
	return rc;
}
