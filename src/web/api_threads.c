/* The conversations of a folder, on the I/O pool: one page of threads,
 * newest activity first, from the folder's cached grouping (view.c,
 * thread.c); only the first page after a change reads every header.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "web_int.h"

#define THREADS_DEFAULT	50
#define THREADS_MAX	500

web_handler_fn web_api_threads;

struct thread_job {
	struct store		*st;
	struct web_views	*views;
	struct store_mailbox	 mb;
	size_t			 offset, limit;
	struct web_thread_page	 page;
	int			 rc;
};

static void
thread_work(void *arg)
{
	struct thread_job *j = arg;

	j->rc = web_view_threads(j->views, j->st, &j->mb, j->offset,
	    j->limit, &j->page);
}

/* The thread of rows[lo..hi): its first message's summary with the
 * thread's count, unread, flagged, newest date and messages. */
static json_t *
thread_json(const struct store_row *rows, size_t lo, size_t hi)
{
	json_t *msgs = json_array(), *o;
	unsigned unread = 0, flagged = 0;
	int64_t date = 0;
	size_t i;

	for (i = lo; i < hi; i++) {
		json_array_append_new(msgs, web_row_json(&rows[i], NULL));
		unread += !(rows[i].flags & STORE_F_SEEN);
		flagged += (rows[i].flags & STORE_F_FLAGGED) != 0;
		if (rows[i].internal_date > date)
			date = rows[i].internal_date;
	}
	o = web_row_json(&rows[lo], NULL);
	json_object_set_new(o, "count", json_integer((json_int_t)(hi - lo)));
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
	const struct web_thread_page *p = &j->page;
	json_t *list;
	size_t i;

	if (r != NULL && j->rc != 0)
		web_reply_error(r, 500, "cannot read the folder");
	else if (r != NULL) {
		list = json_array();
		/* A thread all expunged since the grouping has no rows. */
		for (i = 0; i < p->nthreads; i++)
			if (p->start[i] < p->start[i + 1])
				json_array_append_new(list, thread_json(p->rows,
				    p->start[i], p->start[i + 1]));
		web_reply_json(r, 200, json_pack("{s:i, s:i, s:i, s:o}",
		    "total", (int)p->total, "offset", (int)j->offset,
		    "limit", (int)j->limit, "threads", list));
	}
	web_thread_page_free(&j->page);
	free(j);
}

void
web_api_threads(struct web_req *r)
{
	struct thread_job *j;
	struct store_mailbox mb;

	if (web_folder_open(r, r->params[0], &mb) != 1)
		return;
	j = xcalloc(1, sizeof(*j));
	j->st = r->srv->store;
	j->views = r->srv->views;
	j->mb = mb;
	j->offset = web_req_query_uint(r, "offset", 0, UINT32_MAX);
	j->limit = web_req_query_uint(r, "limit", THREADS_DEFAULT,
	    THREADS_MAX);
	web_req_run(r, thread_work, thread_done, j);
}
