/* Conversations: messages are joined when one names another in References
 * or In-Reply-To (RFC 5322 3.6.4), or when two name the same missing
 * parent; a reply without those fields ("Re: x") joins the message whose
 * subject is x (the fallback of RFC 5256 REFERENCES). Threads are ordered
 * by their newest message. Pure: no store, no I/O.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "web_int.h"

/* A string that groups messages: a message id, or "s:" and a base
 * subject. */
struct key {
	char	*s;
	size_t	 msg;
	bool	 joins;		/* an equal key joins the group */
};

struct keys {
	struct key	*v;
	size_t		 n;
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

/* The smaller index stays the root: a thread's root is its first
 * message. */
static void
unite(size_t *p, size_t a, size_t b)
{
	a = find(p, a);
	b = find(p, b);
	if (a != b)
		p[a < b ? b : a] = a < b ? a : b;
}

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

bool
web_subject_base(const char *s, struct buf *out)
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
	buf_adds(&base, "s:");
	is_reply = web_subject_base(buf_cstr(&subj), &base);
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

/* Unite the messages of each run of equal keys that joins. */
static void
group(size_t *parent, struct keys *k)
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
			unite(parent, k->v[g].msg, k->v[i].msg);
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

/* Link each thread's messages in arrival order (next[], from the root)
 * and note each thread's newest date. */
static void
link_members(struct web_threads *t, const struct store_row *rows,
    int64_t *latest)
{
	size_t i, root, *last = xcalloc(t->n + 1, sizeof(*last));

	for (i = 0; i < t->n; i++) {
		t->next[i] = SIZE_MAX;
		root = find(t->parent, i);
		if (root == i)
			t->roots[t->nthreads++] = i;
		else
			t->next[last[root]] = i;
		last[root] = i;
		if (rows[i].internal_date > latest[root])
			latest[root] = rows[i].internal_date;
	}
	free(last);
}

void
web_threads_build(const struct store_row *rows, size_t n,
    struct web_threads *t)
{
	struct keys k = { NULL, 0 };
	int64_t *latest;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->parent = xcalloc(n + 1, sizeof(*t->parent));
	t->next = xcalloc(n + 1, sizeof(*t->next));
	t->roots = xcalloc(n + 1, sizeof(*t->roots));
	for (i = 0; i < n; i++) {
		t->parent[i] = i;
		row_keys(&rows[i], i, &k);
	}
	group(t->parent, &k);
	latest = xcalloc(n + 1, sizeof(*latest));
	link_members(t, rows, latest);
	if (t->nthreads > 0)
		qsort_r(t->roots, t->nthreads, sizeof(*t->roots), by_latest,
		    latest);
	free(latest);
}

void
web_threads_free(struct web_threads *t)
{
	free(t->parent);
	free(t->next);
	free(t->roots);
	memset(t, 0, sizeof(*t));
}
