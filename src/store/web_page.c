/* Webmail support (issue 8), shared by the backends: a mailbox's messages
 * newest first, paged, with the parse cache, so a page of the message list
 * costs one indexed query for its UIDs (the backend's web_page_uids) and
 * no body once the cache is warm.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "lib/xalloc.h"
#include "store/backend.h"

/* A span of UIDs fetched in one store_rows_get() when it is at most this
 * many times the page; wider pages are fetched one UID at a time. */
#define SPAN_FACTOR	4

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

static int
rows_for(struct store *st, int64_t mailbox_id, const uint32_t *uids,
    size_t n, struct store_row *out, size_t *n_out)
{
	struct store_row *got;
	uint32_t lo = UINT32_MAX, hi = 0;
	size_t i, ngot, k = 0;

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
		    STORE_ROW_CACHE, 1, &got, &ngot) == -1) {
			*n_out = k;
			return -1;
		}
		k += rows_pick(got, ngot, &uids[i], 1, &out[k]);
	}
	*n_out = k;
	return 0;
}

int
store_web_page(struct store *st, int64_t mailbox_id, size_t offset,
    size_t limit, struct store_row **rows_out, size_t *n_out)
{
	struct store_row *rows;
	uint32_t *uids;
	size_t n;

	*rows_out = NULL;
	*n_out = 0;
	if (st->ops->web_page_uids(st, mailbox_id, offset, limit, &uids,
	    &n) == -1)
		return -1;
	if (n == 0) {
		free(uids);
		return 0;
	}
	rows = xcalloc(n, sizeof(*rows));
	*n_out = 0;
	if (rows_for(st, mailbox_id, uids, n, rows, n_out) == -1) {
		free(uids);
		store_rows_free(rows, *n_out);
		*n_out = 0;
		return -1;
	}
	free(uids);
	*rows_out = rows;
	return 0;
}
