/* Search, on the I/O pool (it may read many body files): the query
 * (search.c) is matched against every message of the folders searched;
 * the body search is real: the text and HTML parts are decoded and
 * searched.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define SEARCH_MAX	500	/* matches answered */
#define SEARCH_TEXT_MAX	(1024 * 1024)	/* body octets searched */

web_handler_fn web_api_search;

struct hit {
	struct store_row row;
	const char	*folder;
};

struct search_job {
	struct store	*st;
	struct store_mailbox_info *boxes;
	size_t		 nboxes;
	struct web_search query;
	struct hit	*hits;
	size_t		 nhits;
	int		 rc;
};

struct body_arg {
	struct store		*st;
	const struct store_row	*row;
};

/* The decoded text (and HTML) of the message, for body words. */
static void
body_text(void *arg, struct buf *out)
{
	struct body_arg *a = arg;
	struct mime_part *text, *html;
	struct web_msg m;

	memset(&m, 0, sizeof(m));
	if ((m.fd = store_row_open(a->st, a->row)) < 0)
		return;
	if ((m.root = web_msg_parse_fd(m.fd)) != NULL) {
		web_msg_pick(m.root, &text, &html);
		if (text != NULL)
			web_msg_text(&m, text, SEARCH_TEXT_MAX, out);
		if (html != NULL)
			web_msg_text(&m, html, SEARCH_TEXT_MAX, out);
	}
	web_msg_close(&m);
}

static bool
row_matches(struct search_job *j, const struct store_row *row)
{
	struct body_arg a = { j->st, row };

	return web_search_matches(&j->query, row->header, row->header_len,
	    body_text, &a);
}

static void
search_box(struct search_job *j, const struct store_mailbox_info *box)
{
	struct store_row *rows;
	size_t i, n;

	if (store_rows_get(j->st, box->id, 1, UINT32_MAX, 0, STORE_ROW_CACHE,
	    SIZE_MAX, &rows, &n) == -1) {
		j->rc = -1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (!row_matches(j, &rows[i]))
			continue;
		j->hits = xreallocarray(j->hits, j->nhits + 1,
		    sizeof(*j->hits));
		j->hits[j->nhits].row = rows[i];
		j->hits[j->nhits++].folder = box->name;
		memset(&rows[i], 0, sizeof(rows[i]));
	}
	store_rows_free(rows, n);
}

static int
by_date_desc(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->row.internal_date != y->row.internal_date)
		return x->row.internal_date < y->row.internal_date ? 1 : -1;
	return x->row.uid < y->row.uid ? 1 : x->row.uid > y->row.uid ? -1 : 0;
}

static void
search_work(void *arg)
{
	struct search_job *j = arg;
	size_t i;

	for (i = 0; i < j->nboxes && j->rc == 0; i++)
		if (!j->boxes[i].is_noselect)
			search_box(j, &j->boxes[i]);
	if (j->nhits > 0)
		qsort(j->hits, j->nhits, sizeof(*j->hits), by_date_desc);
}

static void
search_free(struct search_job *j)
{
	size_t i;

	for (i = 0; i < j->nhits; i++)
		web_row_fini(&j->hits[i].row);
	free(j->hits);
	web_search_free(&j->query);
	store_mailbox_list_free(j->boxes, j->nboxes);
	free(j);
}

static void
search_done(struct web_req *r, void *arg)
{
	struct search_job *j = arg;
	json_t *list;
	size_t i;

	if (r != NULL && j->rc != 0)
		web_reply_error(r, 500, "cannot search now");
	else if (r != NULL) {
		list = json_array();
		for (i = 0; i < j->nhits && i < SEARCH_MAX; i++)
			json_array_append_new(list, web_row_json(
			    &j->hits[i].row, j->hits[i].folder));
		web_reply_json(r, 200, json_pack("{s:i, s:b, s:o}", "total",
		    (int)j->nhits, "truncated", j->nhits > SEARCH_MAX,
		    "messages", list));
	}
	search_free(j);
}

/* The field parameter narrows the unprefixed words (all fields when
 * absent or unknown). */
static unsigned
field_param(struct web_req *r)
{
	struct buf f = BUF_INIT;
	unsigned v = 0;

	if (web_req_query(r, "field", &f))
		v = web_search_field(buf_cstr(&f));
	buf_free(&f);
	return v != 0 ? v : WEB_SF_ALL;
}

/* Keep only the folder named, or all but Trash and Junk. */
static size_t
boxes_pick(struct store_mailbox_info *v, size_t n, const char *folder)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (folder[0] != '\0' ? strcmp(v[i].name, folder) != 0 :
		    strcmp(v[i].name, "Trash") == 0 ||
		    strcmp(v[i].name, "Junk") == 0)
			v[i].is_noselect = true;
	return n;
}

void
web_api_search(struct web_req *r)
{
	struct buf q = BUF_INIT, folder = BUF_INIT;
	struct search_job *j = xcalloc(1, sizeof(*j));

	web_req_query(r, "q", &q);
	web_req_query(r, "folder", &folder);
	j->st = r->srv->store;
	if (web_search_parse(buf_cstr(&q), field_param(r), &j->query) == 0 ||
	    store_mailbox_list(j->st, r->login.user_id, &j->boxes,
	    &j->nboxes) == -1) {
		web_reply_error(r, j->query.n ? 500 : 400, j->query.n ?
		    "cannot search now" : "expected ?q=words");
		search_free(j);
	} else {
		boxes_pick(j->boxes, j->nboxes, buf_cstr(&folder));
		web_req_run(r, search_work, search_done, j);
	}
	buf_free(&q);
	buf_free(&folder);
}
