/* The conversations of a folder, on the I/O pool: every message's cached
 * header is read, grouped into threads (thread.c), and one page of
 * threads, newest activity first, is answered.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "web_int.h"

#define THREADS_DEFAULT	50
#define THREADS_MAX	500

web_handler_fn web_api_threads;

struct thread_job {
	struct store	*st;
	int64_t		 mailbox_id;
	size_t		 offset, limit;
	struct store_row *rows;
	size_t		 n;
	struct web_threads threads;
	int		 rc;
};

static void
thread_work(void *arg)
{
	struct thread_job *j = arg;

	if (store_rows_get(j->st, j->mailbox_id, 1, UINT32_MAX, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &j->rows, &j->n) == -1) {
		j->rc = -1;
		return;
	}
	web_threads_build(j->rows, j->n, &j->threads);
}

static json_t *
thread_json(struct thread_job *j, size_t root)
{
	json_t *msgs = json_array(), *o;
	unsigned unread = 0, flagged = 0;
	int64_t date = 0;
	size_t i;

	for (i = root; i != SIZE_MAX; i = j->threads.next[i]) {
		json_array_append_new(msgs, web_row_json(&j->rows[i], NULL));
		unread += !(j->rows[i].flags & STORE_F_SEEN);
		flagged += (j->rows[i].flags & STORE_F_FLAGGED) != 0;
		if (j->rows[i].internal_date > date)
			date = j->rows[i].internal_date;
	}
	o = web_row_json(&j->rows[root], NULL);
	json_object_set_new(o, "count", json_integer((json_int_t)
	    json_array_size(msgs)));
	json_object_set_new(o, "unread", json_integer(unread));
	json_object_set_new(o, "flagged", json_integer(flagged));
	json_object_set_new(o, "date", json_integer(date));
	json_object_set_new(o, "messages", msgs);
	return o;
}

static void
thread_done(struct web_req *r, void *arg)
{
	struct thread_job *j = arg;
	json_t *list;
	size_t i;

	if (r != NULL && j->rc != 0)
		web_reply_error(r, 500, "cannot read the folder");
	else if (r != NULL) {
		list = json_array();
		for (i = j->offset; i < j->threads.nthreads &&
		    i < j->offset + j->limit; i++)
			json_array_append_new(list, thread_json(j,
			    j->threads.roots[i]));
		web_reply_json(r, 200, json_pack("{s:i, s:i, s:i, s:o}",
		    "total", (int)j->threads.nthreads, "offset", (int)j->offset,
		    "limit", (int)j->limit, "threads", list));
	}
	store_rows_free(j->rows, j->n);
	web_threads_free(&j->threads);
	free(j);
}

void
web_api_threads(struct web_req *r)
{
	struct store_mailbox mb;
	struct thread_job *j;

	if (web_folder_open(r, r->params[0], &mb) != 1)
		return;
	j = xcalloc(1, sizeof(*j));
	j->st = r->srv->store;
	j->mailbox_id = mb.id;
	j->offset = web_req_query_uint(r, "offset", 0, UINT32_MAX);
	j->limit = web_req_query_uint(r, "limit", THREADS_DEFAULT,
	    THREADS_MAX);
	web_req_run(r, thread_work, thread_done, j);
}
