/* The queue's data seam (qdb.h): choosing the implementation, and what
 * both share (errors, freeing rows).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

struct qdb *
qdb_open(struct queue *q, char **err_out)
{
	if (q->pg_url != NULL)
		return qdb_pg_open(q, err_out);
	return qdb_lite_open(q, err_out);
}

void
qdb_close(struct qdb *db)
{
	if (db == NULL)
		return;
	free(db->err);
	db->err = NULL;
	db->ops->close(db);
}

const char *
qdb_err(const struct qdb *db)
{
	return db->err != NULL ? db->err : "queue: database error";
}

int
qdb_fail(struct qdb *db, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	free(db->err);
	db->err = s;
	db->is_full = false;
	return -1;
}

void
qdb_report_free(struct qdb_report *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].address);
		free(v[i].orcpt);
		free(v[i].reply);
		free(v[i].relay);
		free(v[i].dsn_status);
	}
	free(v);
}

const char *
qdb_domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "";
}

int
qdb_read_file(struct qdb *db, const char *path, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : qdb_fail(db, "queue: %s: %s",
		    path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
	if (n == -1)
		return qdb_fail(db, "queue: read %s: %s", path,
		    strerror(errno));
	return 1;
}

void
qdb_info_add_rcpt(struct queue_info *info, char *address, unsigned attempts,
    time_t next_attempt, char *last_reply, char *last_relay)
{
	struct queue_info_rcpt *r;

	info->rcpts = xreallocarray(info->rcpts, info->nrcpts + 1,
	    sizeof(*info->rcpts));
	r = &info->rcpts[info->nrcpts++];
	r->address = address;
	r->attempts = attempts;
	r->next_attempt = next_attempt;
	r->last_reply = last_reply;
	r->last_relay = last_relay;
}
