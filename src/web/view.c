/* Folder views for the message list: a folder's counts and its UIDs
 * newest first, kept per folder state (UIDVALIDITY, UIDNEXT and
 * HIGHESTMODSEQ, which change with every delivery, flag change and
 * expunge), so that each walks its index once per change and a page of
 * the list costs the same at 100,000 messages as at 100; likewise the
 * folder's conversations, which need every message's header. One cache for
 * every worker thread behind a mutex; the least recently used folders
 * are forgotten past VIEWS_MAX folders or VIEW_UIDS_MAX UIDs in all.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "web_int.h"

#define VIEWS_MAX	64
#define VIEW_UIDS_MAX	(4u << 20)	/* 16 MiB of UIDs */
/* A span of UIDs fetched in one store_rows_get() when it is at most this
 * many times the page; wider pages are fetched one UID at a time. */
#define SPAN_FACTOR	4

struct view {
	int64_t		 id;		/* 0: a free slot */
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 modseq;
	bool		 has_counts;
	uint32_t	 total, unseen;
	uint32_t	*order;		/* newest first, or NULL */
	size_t		 norder;
	/* The conversations (thread.c), or NULL: the UIDs of each thread
	 * in arrival order, thread after thread, newest activity first;
	 * thread i is thr_uids[thr_start[i]..thr_start[i + 1]). */
	uint32_t	*thr_uids;
	size_t		*thr_start;
	size_t		 nthr, nthr_uids;
	uint64_t	 used;		/* tick of the last use */
};

struct web_views {
	pthread_mutex_t	 lock;
	struct view	 v[VIEWS_MAX];
	size_t		 nuids;		/* in every order[] and thr_*[] */
	uint64_t	 tick;
};

struct web_views *
web_views_new(void)
{
	struct web_views *vs = xcalloc(1, sizeof(*vs));

	if (pthread_mutex_init(&vs->lock, NULL) != 0)
		fatalx("pthread_mutex_init failed");
	return vs;
}

/* The UIDs a view's arrays hold, as VIEW_UIDS_MAX counts them. */
static size_t
view_size(const struct view *e)
{
	return e->norder + (e->thr_uids != NULL ? e->nthr_uids + e->nthr + 1 :
	    0);
}

/* Forget the order and the threads of a view. */
static void
view_drop_arrays(struct web_views *vs, struct view *e)
{
	vs->nuids -= view_size(e);
	free(e->order);
	free(e->thr_uids);
	free(e->thr_start);
	e->order = e->thr_uids = NULL;
	e->thr_start = NULL;
	e->norder = e->nthr = e->nthr_uids = 0;
}

static void
view_clear(struct web_views *vs, struct view *e)
{
	view_drop_arrays(vs, e);
	memset(e, 0, sizeof(*e));
}

void
web_views_free(struct web_views *vs)
{
	size_t i;

	if (vs == NULL)
		return;
	for (i = 0; i < VIEWS_MAX; i++)
		view_clear(vs, &vs->v[i]);
	pthread_mutex_destroy(&vs->lock);
	free(vs);
}

static bool
is_state(const struct view *e, const struct store_mailbox *mb)
{
	return e->uidvalidity == mb->uidvalidity &&
	    e->uidnext == mb->uidnext && e->modseq == mb->highestmodseq;
}

/* The view of mb in its current state, or NULL; a view of the folder in
 * another state is dropped. Under the lock. */
static struct view *
view_find(struct web_views *vs, const struct store_mailbox *mb)
{
	size_t i;

	for (i = 0; i < VIEWS_MAX; i++) {
		if (vs->v[i].id != mb->id)
			continue;
		if (!is_state(&vs->v[i], mb)) {
			view_clear(vs, &vs->v[i]);
			return NULL;
		}
		vs->v[i].used = ++vs->tick;
		return &vs->v[i];
	}
	return NULL;
}

/* The view of mb, made in a free or the least recently used slot when
 * there is none. Under the lock. */
static struct view *
view_take(struct web_views *vs, const struct store_mailbox *mb)
{
	struct view *e, *victim = &vs->v[0];
	size_t i;

	if ((e = view_find(vs, mb)) != NULL)
		return e;
	for (i = 0; i < VIEWS_MAX; i++)
		if (vs->v[i].id == 0 || (victim->id != 0 &&
		    vs->v[i].used < victim->used))
			victim = &vs->v[i];
	view_clear(vs, victim);
	victim->id = mb->id;
	victim->uidvalidity = mb->uidvalidity;
	victim->uidnext = mb->uidnext;
	victim->modseq = mb->highestmodseq;
	victim->used = ++vs->tick;
	return victim;
}

/* Make room for n more UIDs in e, forgetting the arrays of the least
 * recently used other views; false when they could never fit. */
static bool
view_make_room(struct web_views *vs, struct view *e, size_t n)
{
	struct view *lru;
	size_t i;

	if (view_size(e) + n > VIEW_UIDS_MAX)
		return false;
	while (vs->nuids + n > VIEW_UIDS_MAX) {
		lru = NULL;
		for (i = 0; i < VIEWS_MAX; i++)
			if (view_size(&vs->v[i]) > 0 && &vs->v[i] != e &&
			    (lru == NULL || vs->v[i].used < lru->used))
				lru = &vs->v[i];
		view_drop_arrays(vs, lru);
	}
	vs->nuids += n;
	return true;
}

int
web_view_counts(struct web_views *vs, struct store *st,
    const struct store_mailbox *mb, uint32_t *total_out,
    uint32_t *unseen_out)
{
	struct view *e;
	uint32_t total, unseen;

	pthread_mutex_lock(&vs->lock);
	if ((e = view_find(vs, mb)) != NULL && e->has_counts) {
		*total_out = e->total;
		*unseen_out = e->unseen;
		pthread_mutex_unlock(&vs->lock);
		return 0;
	}
	pthread_mutex_unlock(&vs->lock);
	/* Counted after mb was read: a change since then only makes this
	 * view's state miss later and be counted again. */
	if (store_web_counts(st, mb->id, &total, &unseen) == -1)
		return -1;
	pthread_mutex_lock(&vs->lock);
	e = view_take(vs, mb);
	e->has_counts = true;
	e->total = total;
	e->unseen = unseen;
	pthread_mutex_unlock(&vs->lock);
	*total_out = total;
	*unseen_out = unseen;
	return 0;
}

/* Copy order[offset..offset + limit) of the view into a heap array. */
static size_t
slice(const uint32_t *order, size_t n, size_t offset, size_t limit,
    uint32_t **out)
{
	size_t k = offset < n ? n - offset : 0;

	if (k > limit)
		k = limit;
	*out = xcalloc(k ? k : 1, sizeof(**out));
	if (k > 0)
		memcpy(*out, order + offset, k * sizeof(**out));
	return k;
}

/* The UIDs of the page, from the view or from the store. */
static int
page_uids(struct web_views *vs, struct store *st,
    const struct store_mailbox *mb, size_t offset, size_t limit,
    uint32_t **uids_out, size_t *n_out)
{
	struct view *e;
	uint32_t *order;
	size_t n;

	pthread_mutex_lock(&vs->lock);
	if ((e = view_find(vs, mb)) != NULL && e->order != NULL) {
		*n_out = slice(e->order, e->norder, offset, limit, uids_out);
		pthread_mutex_unlock(&vs->lock);
		return 0;
	}
	pthread_mutex_unlock(&vs->lock);
	if (store_web_order(st, mb->id, &order, &n) == -1)
		return -1;
	*n_out = slice(order, n, offset, limit, uids_out);
	pthread_mutex_lock(&vs->lock);
	e = view_take(vs, mb);
	if (e->order == NULL && view_make_room(vs, e, n)) {
		e->order = order;
		e->norder = n;
	} else
		free(order);	/* another thread was quicker, or too big */
	pthread_mutex_unlock(&vs->lock);
	return 0;
}

static int
by_uid(const void *key, const void *elem)
{
	uint32_t uid = *(const uint32_t *)key;
	const struct store_row *r = elem;

	return uid < r->uid ? -1 : uid > r->uid;
}

/* Move the rows for uids[] out of got[] (in UID order) into out[], in
 * the order of uids[]; got[] and what is left in it are freed. */
static size_t
rows_pick(struct store_row *got, size_t ngot, const uint32_t *uids,
    size_t n, struct store_row *out)
{
	struct store_row *hit;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		hit = bsearch(&uids[i], got, ngot, sizeof(*got), by_uid);
		if (hit == NULL)
			continue;
		out[k++] = *hit;
		/* Keep the uid: the later searches need the order. */
		hit->keywords = hit->envelope = hit->body = NULL;
		hit->bodystructure = hit->header = NULL;
	}
	store_rows_free(got, ngot);
	return k;
}

/* The rows of uids[0..n) in that order, with the parse cache; a UID
 * expunged meanwhile is skipped. */
static int
rows_for(struct store *st, int64_t mailbox_id, const uint32_t *uids,
    size_t n, struct store_row *out, size_t *n_out)
{
	struct store_row *got;
	uint32_t lo = UINT32_MAX, hi = 0;
	size_t i, ngot;

	*n_out = 0;
	for (i = 0; i < n; i++) {
		lo = uids[i] < lo ? uids[i] : lo;
		hi = uids[i] > hi ? uids[i] : hi;
	}
	if ((uint64_t)hi - lo + 1 <= (uint64_t)n * SPAN_FACTOR) {
		if (store_rows_get(st, mailbox_id, lo, hi, 0, STORE_ROW_CACHE,
		    SIZE_MAX, &got, &ngot) == -1)
			return -1;
		*n_out = rows_pick(got, ngot, uids, n, out);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (store_rows_get(st, mailbox_id, uids[i], uids[i], 0,
		    STORE_ROW_CACHE, 1, &got, &ngot) == -1)
			return -1;
		*n_out += rows_pick(got, ngot, &uids[i], 1, &out[*n_out]);
	}
	return 0;
}

int
web_view_page(struct web_views *vs, struct store *st,
    const struct store_mailbox *mb, size_t offset, size_t limit,
    struct store_row **rows_out, size_t *n_out)
{
	struct store_row *rows;
	uint32_t *uids;
	size_t n, got;

	*rows_out = NULL;
	*n_out = 0;
	if (page_uids(vs, st, mb, offset, limit, &uids, &n) == -1)
		return -1;
	if (n == 0) {
		free(uids);
		return 0;
	}
	rows = xcalloc(n, sizeof(*rows));
	if (rows_for(st, mb->id, uids, n, rows, &got) == -1) {
		free(uids);
		store_rows_free(rows, got);
		return -1;
	}
	free(uids);
	*rows_out = rows;
	*n_out = got;
	return 0;
}

/* The conversations of folder mb from every message's cached header:
 * the UIDs thread after thread and where each thread starts. */
static int
threads_make(struct store *st, const struct store_mailbox *mb,
    struct view *out)
{
	struct store_row *rows;
	struct web_threads t;
	size_t i, k = 0, m, n;

	if (store_rows_get(st, mb->id, 1, UINT32_MAX, 0, STORE_ROW_CACHE,
	    SIZE_MAX, &rows, &n) == -1)
		return -1;
	web_threads_build(rows, n, &t);
	out->thr_uids = xcalloc(n + 1, sizeof(*out->thr_uids));
	out->thr_start = xcalloc(t.nthreads + 1, sizeof(*out->thr_start));
	for (i = 0; i < t.nthreads; i++) {
		out->thr_start[i] = k;
		for (m = t.roots[i]; m != SIZE_MAX; m = t.next[m])
			out->thr_uids[k++] = rows[m].uid;
	}
	out->thr_start[t.nthreads] = k;
	out->nthr = t.nthreads;
	out->nthr_uids = k;
	web_threads_free(&t);
	store_rows_free(rows, n);
	return 0;
}

/* Copy threads [offset, offset + limit) of v into the page: their UIDs
 * in *uids_out, and page->start rebased to them. */
static size_t
threads_slice(const struct view *v, size_t offset, size_t limit,
    struct web_thread_page *page, uint32_t **uids_out)
{
	size_t i, lo, end;

	lo = offset < v->nthr ? offset : v->nthr;
	end = v->nthr - lo > limit ? lo + limit : v->nthr;
	page->total = v->nthr;
	page->nthreads = end - lo;
	page->start = xcalloc(page->nthreads + 1, sizeof(*page->start));
	for (i = lo; i <= end; i++)
		page->start[i - lo] = v->thr_start[i] - v->thr_start[lo];
	return slice(v->thr_uids, v->thr_start[end], v->thr_start[lo],
	    v->thr_start[end] - v->thr_start[lo], uids_out);
}

/* The page's threads as UIDs, from the view or made now. */
static int
thread_uids(struct web_views *vs, struct store *st,
    const struct store_mailbox *mb, size_t offset, size_t limit,
    struct web_thread_page *page, uint32_t **uids_out, size_t *n_out)
{
	struct view *e, made;

	pthread_mutex_lock(&vs->lock);
	if ((e = view_find(vs, mb)) != NULL && e->thr_uids != NULL) {
		*n_out = threads_slice(e, offset, limit, page, uids_out);
		pthread_mutex_unlock(&vs->lock);
		return 0;
	}
	pthread_mutex_unlock(&vs->lock);
	memset(&made, 0, sizeof(made));
	if (threads_make(st, mb, &made) == -1)
		return -1;
	*n_out = threads_slice(&made, offset, limit, page, uids_out);
	pthread_mutex_lock(&vs->lock);
	e = view_take(vs, mb);
	if (e->thr_uids == NULL && view_make_room(vs, e, made.nthr_uids +
	    made.nthr + 1)) {
		e->thr_uids = made.thr_uids;
		e->thr_start = made.thr_start;
		e->nthr = made.nthr;
		e->nthr_uids = made.nthr_uids;
		made.thr_uids = NULL;
		made.thr_start = NULL;
	}
	pthread_mutex_unlock(&vs->lock);
	free(made.thr_uids);
	free(made.thr_start);
	return 0;
}

/* A message expunged since the view was made has no row: close the
 * gaps in page->start, given the UIDs asked for. */
static void
threads_realign(struct web_thread_page *page, const uint32_t *uids)
{
	size_t i, u, k = 0, next;

	for (i = 0, u = 0; i < page->nthreads; i++) {
		next = page->start[i + 1];
		page->start[i] = k;
		for (; u < next; u++)
			if (k < page->nrows && page->rows[k].uid == uids[u])
				k++;
	}
	page->start[page->nthreads] = k;
}

int
web_view_threads(struct web_views *vs, struct store *st,
    const struct store_mailbox *mb, size_t offset, size_t limit,
    struct web_thread_page *page)
{
	uint32_t *uids;
	size_t n;

	memset(page, 0, sizeof(*page));
	if (thread_uids(vs, st, mb, offset, limit, page, &uids, &n) == -1)
		return -1;
	page->rows = xcalloc(n + 1, sizeof(*page->rows));
	if (n > 0 && rows_for(st, mb->id, uids, n, page->rows,
	    &page->nrows) == -1) {
		free(uids);
		web_thread_page_free(page);
		return -1;
	}
	threads_realign(page, uids);
	free(uids);
	return 0;
}

void
web_thread_page_free(struct web_thread_page *page)
{
	store_rows_free(page->rows, page->nrows);
	free(page->start);
	memset(page, 0, sizeof(*page));
}
