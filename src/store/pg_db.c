/* Helpers shared by the PostgreSQL store's operations: UIDVALIDITY, the
 * removal of bodies no message uses, and bodies as file descriptors.
 * SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/file.h"
#include "store/pg_int.h"

int
pg_uidvalidity(struct pg_thread *c, uint32_t *out)
{
	PGresult *res;
	int64_t v;

	/* Time-based like most servers, but never the same twice, on any
	 * node: the row lock of the UPDATE orders concurrent callers
	 * (RFC 3501 2.3.1.1). Wraps to 1 after 2106. */
	res = pg_query(c, "UPDATE meta SET value = CASE WHEN "
	    "greatest(value + 1, $1) > 4294967295 THEN 1 ELSE "
	    "greatest(value + 1, $1) END WHERE key = 'uidvalidity' "
	    "RETURNING value", "i", (int64_t)time(NULL));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -1;
	}
	v = pg_int(res, 0, 0);
	PQclear(res);
	*out = (uint32_t)v;
	return 0;
}

int
pg_bodies_gc(struct pg_thread *c, const int64_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pg_exec(c, "DELETE FROM bodies WHERE id = $1 AND NOT "
		    "EXISTS (SELECT 1 FROM messages WHERE body_id = $1)", "i",
		    ids[i]) == -1)
			return -1;
	}
	return 0;
}

int
pg_memfd(const void *p, size_t len)
{
	int fd;

	if ((fd = memfd_create("petrel-body", MFD_CLOEXEC)) == -1)
		return -1;
	if (file_write_all(fd, p, len) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
pg_body_open(struct store *st, int64_t body_id)
{
	struct pg_thread *c;
	PGresult *res;
	int fd;

	if ((c = pg_conn_get(st)) == NULL) {
		errno = EIO;
		return -1;
	}
	res = pg_query_bin(c, "SELECT data FROM bodies WHERE id = $1", "i",
	    body_id);
	if (res == NULL) {
		errno = EIO;
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		errno = ENOENT;
		return -1;
	}
	fd = pg_memfd(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return fd;
}
