/* Conversations and address suggestions, on the I/O pool.
 * Threads: messages are joined when one names another in References or
 * In-Reply-To (RFC 5322 3.6.4), or when two name the same missing parent;
 * a reply without those fields ("Re: x") joins the message whose subject
 * is x (the fallback of RFC 5256 REFERENCES). Threads are ordered by
 * their newest message and paged.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define THREADS_DEFAULT	50
#define THREADS_MAX	500

web_handler_fn web_api_threads;

struct key {
	char	*s;
	size_t	 msg;
	bool	 joins;		/* an equal key joins the group */
};

struct thread_job {
	struct store	*st;
	int64_t		 mailbox_id;
	size_t		 offset, limit;
	struct store_row *rows;
	size_t		 n;
	size_t		*parent;	/* union-find over rows */
	size_t		*roots;		/* one per thread, newest first */
	size_t		 nthreads;
	int		 rc;
};

static size_t
find(size_t *p, size_t i)
{
	while (p[i] != i) {
		p[i] = p[p[i]];
		i = p[i];
	}
	return i;
}

static void
unite(size_t *p, size_t a, size_t b)
{
	a = find(p, a);
	b = find(p, b);
	if (a != b)
		p[a < b ? b : a] = a < b ? a : b;
}

struct keys {
	struct key	*v;
	size_t		 n;
};

static void
key_add(struct keys *k, const char *s, size_t len, size_t msg, bool joins)
{
	k->v = xreallocarray(k->v, k->n + 1, sizeof(*k->v));
	k->v[k->n].s = xstrndup(s, len);
	k->v[k->n].msg = msg;
	k->v[k->n++].joins = joins;
}

/* Each <id> of a Message-ID, References or In-Reply-To value; true when
 * there was one. */
static bool
ids_add(struct keys *k, const struct store_row *row, const char *name,
    size_t msg)
{
	struct buf f = BUF_INIT;
	const char *p, *lt, *gt;
	bool any = false;

	if (web_hdr_get(row->header, row->header_len, name, false, &f))
		for (p = buf_cstr(&f); (lt = strchr(p, '<')) != NULL &&
		    (gt = strchr(lt, '>')) != NULL; p = gt + 1) {
			key_add(k, lt, (size_t)(gt - lt + 1), msg, true);
			any = true;
		}
	buf_free(&f);
	return any;
}

/* "s:" and the subject without "Re:", "Fwd:" and the like; true when a
 * prefix was removed. */
static bool
subject_base(const char *s, struct buf *out)
{
	static const char *const pre[] = { "re:", "fwd:", "fw:", "aw:" };
	bool is_cut = false, again = true;
	size_t i;

	while (again) {
		again = false;
		while (*s == ' ' || *s == '\t')
			s++;
		for (i = 0; i < sizeof(pre) / sizeof(*pre); i++)
			if (strncasecmp(s, pre[i], strlen(pre[i])) == 0) {
				s += strlen(pre[i]);
				is_cut = again = true;
			}
	}
	buf_adds(out, "s:");
	buf_adds(out, s);
	return is_cut;
}

static void
row_keys(const struct store_row *row, size_t i, struct keys *k)
{
	struct buf subj = BUF_INIT, base = BUF_INIT;
	bool has_refs, is_reply;

	ids_add(k, row, "Message-ID", i);
	has_refs = ids_add(k, row, "References", i);
	has_refs |= ids_add(k, row, "In-Reply-To", i);
	if (has_refs)
		return;
	web_hdr_get(row->header, row->header_len, "Subject", true, &subj);
	is_reply = subject_base(buf_cstr(&subj), &base);
	/* Messages of one subject join only when a reply is among them. */
	key_add(k, base.data, base.len, i, is_reply);
	buf_free(&subj);
	buf_free(&base);
}

static int
by_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return strcmp(x->s, y->s);
}

static void
group(struct thread_job *j, struct keys *k)
{
	size_t i, g, e;
	bool joins;

	if (k->n > 0)
		qsort(k->v, k->n, sizeof(*k->v), by_key);
	for (g = 0; g < k->n; g = e) {
		joins = false;
		for (e = g; e < k->n && strcmp(k->v[e].s, k->v[g].s) == 0; e++)
			joins |= k->v[e].joins;
		for (i = g + 1; joins && i < e; i++)
			unite(j->parent, k->v[g].msg, k->v[i].msg);
	}
	for (i = 0; i < k->n; i++)
		free(k->v[i].s);
	free(k->v);
}

static int
by_latest(const void *a, const void *b, void *arg)
{
	const int64_t *latest = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (latest[x] != latest[y])
		return latest[x] < latest[y] ? 1 : -1;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void
thread_work(void *arg)
{
	struct thread_job *j = arg;
	struct keys k = { NULL, 0 };
	int64_t *latest;
	size_t i, root;

	if (store_rows_get(j->st, j->mailbox_id, 1, UINT32_MAX, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &j->rows, &j->n) == -1) {
		j->rc = -1;
		return;
	}
	j->parent = xcalloc(j->n + 1, sizeof(*j->parent));
	for (i = 0; i < j->n; i++) {
		j->parent[i] = i;
		row_keys(&j->rows[i], i, &k);
	}
	group(j, &k);
	latest = xcalloc(j->n + 1, sizeof(*latest));
	j->roots = xcalloc(j->n + 1, sizeof(*j->roots));
	for (i = 0; i < j->n; i++) {
		root = find(j->parent, i);
		if (root == i)
			j->roots[j->nthreads++] = i;
		if (j->rows[i].internal_date > latest[root])
			latest[root] = j->rows[i].internal_date;
	}
	qsort_r(j->roots, j->nthreads, sizeof(*j->roots), by_latest, latest);
	free(latest);
}

static json_t *
thread_json(struct thread_job *j, size_t root)
{
	json_t *msgs = json_array(), *o;
	unsigned unread = 0, flagged = 0;
	int64_t date = 0;
	size_t i;

	for (i = root; i < j->n; i++) {
		if (find(j->parent, i) != root)
			continue;
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
		for (i = j->offset; i < j->nthreads && i < j->offset +
		    j->limit; i++)
			json_array_append_new(list, thread_json(j,
			    j->roots[i]));
		web_reply_json(r, 200, json_pack("{s:i, s:i, s:i, s:o}",
		    "total", (int)j->nthreads, "offset", (int)j->offset,
		    "limit", (int)j->limit, "threads", list));
	}
	store_rows_free(j->rows, j->n);
	free(j->parent);
	free(j->roots);
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
