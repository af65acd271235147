/* Search and address suggestions, on the I/O pool (they may read many
 * body files). A search is words, each anywhere in From, To, Cc, Subject
 * or the text, or in one of them with a prefix ("from:ann", "body:x");
 * a message matches when every word does (case-insensitive). The body
 * search is real: the text and HTML parts are decoded and searched.
 * Suggestions come from past correspondents: recipients of Sent, senders
 * of INBOX.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define SEARCH_MAX	500	/* matches answered */
#define SEARCH_TEXT_MAX	(1024 * 1024)	/* body octets searched */
#define TERMS_MAX	16

web_handler_fn web_api_search;

enum { F_FROM = 1, F_TO = 2, F_SUBJECT = 4, F_BODY = 8, F_ALL = 15 };

struct term {
	char		*word;
	unsigned	 fields;
};

struct hit {
	struct store_row row;
	const char	*folder;
};

struct search_job {
	struct store	*st;
	struct store_mailbox_info *boxes;
	size_t		 nboxes;
	struct term	 terms[TERMS_MAX];
	size_t		 nterms;
	struct hit	*hits;
	size_t		 nhits;
	int		 rc;
};

static unsigned
term_field(const char **w)
{
	static const struct {
		const char	*prefix;
		unsigned	 fields;
	} p[] = {
		{ "from:", F_FROM }, { "to:", F_TO }, { "subject:", F_SUBJECT },
		{ "body:", F_BODY },
	};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(*p); i++)
		if (strncasecmp(*w, p[i].prefix, strlen(p[i].prefix)) == 0 &&
		    (*w)[strlen(p[i].prefix)] != '\0') {
			*w += strlen(p[i].prefix);
			return p[i].fields;
		}
	return F_ALL;
}

/* Split q at blanks into terms; the field parameter narrows unprefixed
 * words. */
static size_t
terms_parse(const char *q, unsigned def, struct term *t)
{
	const char *w, *end;
	size_t n = 0;
	unsigned f;

	for (w = q; *w != '\0' && n < TERMS_MAX; w = end) {
		while (*w == ' ' || *w == '\t')
			w++;
		if (*w == '\0')
			break;
		end = w + strcspn(w, " \t");
		f = term_field(&w);
		t[n].fields = f == F_ALL ? def : f;
		t[n].word = xstrndup(w, (size_t)(end - w));
		n++;
	}
	return n;
}

static bool
field_has(const struct store_row *row, const char *name, const char *word)
{
	struct buf v = BUF_INIT;
	bool has;

	has = web_hdr_get(row->header, row->header_len, name, true, &v) &&
	    strcasestr(buf_cstr(&v), word) != NULL;
	buf_free(&v);
	return has;
}

static bool
head_has(const struct store_row *row, const struct term *t)
{
	return ((t->fields & F_FROM) && field_has(row, "From", t->word)) ||
	    ((t->fields & F_TO) && (field_has(row, "To", t->word) ||
	    field_has(row, "Cc", t->word))) || ((t->fields & F_SUBJECT) &&
	    field_has(row, "Subject", t->word));
}

/* The decoded text (and HTML) of the message, for body terms. */
static void
body_text(struct store *st, const struct store_row *row, struct buf *out)
{
	struct mime_part *text, *html;
	struct web_msg m;

	memset(&m, 0, sizeof(m));
	if ((m.fd = store_row_open(st, row)) < 0)
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
	struct buf body = BUF_INIT;
	bool has_body = false, ok = true;
	size_t i;

	/* Headers first: a body is read only when they leave it open. */
	for (i = 0; ok && i < j->nterms; i++)
		if (!(j->terms[i].fields & F_BODY))
			ok = head_has(row, &j->terms[i]);
	for (i = 0; ok && i < j->nterms; i++) {
		if (!(j->terms[i].fields & F_BODY) ||
		    head_has(row, &j->terms[i]))
			continue;
		if (!has_body) {
			body_text(j->st, row, &body);
			has_body = true;
		}
		ok = strcasestr(buf_cstr(&body), j->terms[i].word) != NULL;
	}
	buf_free(&body);
	return ok;
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
	for (i = 0; i < j->nterms; i++)
		free(j->terms[i].word);
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

static unsigned
field_param(struct web_req *r)
{
	struct buf f = BUF_INIT;
	const char *w;
	unsigned v = F_ALL;

	if (web_req_query(r, "field", &f) && f.len > 0) {
		buf_addc(&f, ':');
		buf_addc(&f, 'x');
		w = buf_cstr(&f);
		v = term_field(&w);
	}
	buf_free(&f);
	return v;
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
	j->nterms = terms_parse(buf_cstr(&q), field_param(r), j->terms);
	if (j->nterms == 0 || store_mailbox_list(j->st, r->login.user_id,
	    &j->boxes, &j->nboxes) == -1) {
		web_reply_error(r, j->nterms ? 500 : 400, j->nterms ?
		    "cannot search now" : "expected ?q=words");
		search_free(j);
	} else {
		boxes_pick(j->boxes, j->nboxes, buf_cstr(&folder));
		web_req_run(r, search_work, search_done, j);
	}
	buf_free(&q);
	buf_free(&folder);
}
