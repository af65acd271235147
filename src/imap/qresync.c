/* QRESYNC (RFC 7162 3.2): SELECT/EXAMINE (QRESYNC (uidvalidity modseq
 * [known-uids [seq-match-data]])), UID FETCH ... (CHANGEDSINCE m
 * VANISHED), and VANISHED in place of EXPUNGE once enabled. Expunged UIDs
 * come from the store's record of them; a backend without that record
 * gets, as RFC 7162 3.2.5.1 allows, every UID of the range the mailbox
 * does not hold.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"

void
imap_vanished_write(struct imap_session *s, bool is_earlier,
    const uint32_t *uids, size_t n)
{
	struct buf b = BUF_INIT;

	if (n == 0)
		return;
	buf_adds(&b, is_earlier ? "VANISHED (EARLIER) " : "VANISHED ");
	imap_seqset_write(uids, n, &b);
	imap_untagged(s, "%s", buf_cstr(&b));
	buf_free(&b);
}

/* The UIDs of set (UIDs, "*" the highest) that left the mailbox at
 * modseq since or later, ascending. */
static int
vanished_in(struct imap_session *s, uint64_t since,
    const struct imap_seqset *set, uint32_t **out, size_t *n_out)
{
	const struct imap_view *v = s->view;
	uint32_t *gone = NULL, lo, hi, u;
	size_t n_gone = 0, i, n = 0;

	*out = NULL;
	*n_out = 0;
	if (set->n == 0)
		return 0;
	lo = set->v[0].lo;
	hi = set->v[set->n - 1].hi;
	if (hi >= v->uidnext)
		hi = v->uidnext - 1;
	if (lo > hi)
		return 0;
	if (store_vanished(s->srv->store, v->mb.id, since, lo, hi, &gone,
	    &n_gone) == 0) {
		for (i = 0; i < n_gone; i++)
			if (imap_seqset_has(set, gone[i]))
				gone[n++] = gone[i];
		*out = gone;
		*n_out = n;
		return 0;
	}
	/* No record: whatever of the set below UIDNEXT is not here. */
	for (i = 0; i < set->n; i++) {
		for (u = set->v[i].lo; u <= set->v[i].hi && u <= hi; u++) {
			if (u == 0 || imap_view_msn(v, u) != 0)
				continue;
			if (n % 1024 == 0)
				gone = xreallocarray(gone, n + 1024,
				    sizeof(*gone));
			gone[n++] = u;
		}
	}
	*out = gone;
	*n_out = n;
	return 0;
}

void
imap_vanished_earlier(struct imap_session *s, uint64_t since,
    const struct imap_seqset *set)
{
	uint32_t *gone;
	size_t n;

	if (vanished_in(s, since, set, &gone, &n) == 0)
		imap_vanished_write(s, true, gone, n);
	free(gone);
}

/* FETCH (UID FLAGS MODSEQ) for the messages of set changed after since
 * (RFC 7162 3.2.5.1). */
static void
changed_write(struct imap_session *s, uint64_t since,
    const struct imap_seqset *set)
{
	struct imap_view *v = s->view;
	struct store_row *rows;
	struct buf b = BUF_INIT;
	size_t n, i;
	uint32_t msn;

	if (v->n == 0 || store_rows_get(s->srv->store, v->mb.id, 1,
	    v->uids[v->n - 1], since, 0, SIZE_MAX, &rows, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if ((msn = imap_view_msn(v, rows[i].uid)) == 0 ||
		    !imap_seqset_has(set, rows[i].uid))
			continue;
		buf_reset(&b);
		buf_addf(&b, "%u FETCH (UID %u FLAGS ", msn, rows[i].uid);
		imap_flags_write(rows[i].flags, rows[i].keywords,
		    imap_view_shows_recent(s, rows[i].uid), &b);
		buf_addf(&b, " MODSEQ (%llu))",
		    (unsigned long long)rows[i].modseq);
		imap_untagged(s, "%s", buf_cstr(&b));
	}
	buf_free(&b);
	store_rows_free(rows, n);
}

static int
number(const struct imap_arg *a, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *errstr;

	if (a->type != IMAP_ARG_ATOM)
		return -1;
	*out = str_to_uint_n(a->p, a->len, min, max, &errstr);
	return errstr == NULL ? 0 : -1;
}

int
imap_qresync_parse(const struct imap_arg *a, struct imap_qresync *q)
{
	uint64_t n;

	/* (uidvalidity mod-sequence-value [known-uids
	 * [(known-sequence-set known-uid-set)]]) */
	memset(q, 0, sizeof(*q));
	if (a->type != IMAP_ARG_LIST || a->n < 2 || a->n > 4 ||
	    number(&a->list[0], 1, UINT32_MAX, &n) == -1)
		return -1;
	q->uidvalidity = (uint32_t)n;
	if (number(&a->list[1], 1, INT64_MAX, &q->modseq) == -1)
		return -1;
	if (a->n >= 3 && (a->list[2].type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(a->list[2].p, a->list[2].len, UINT32_MAX,
	    &q->known) == -1))
		return -1;
	q->has_known = a->n >= 3;
	/* The message-number/UID pairs only help a server that does not
	 * know what was expunged when; they are checked, not used. */
	if (a->n == 4 && (a->list[3].type != IMAP_ARG_LIST ||
	    a->list[3].n != 2 || a->list[3].list[0].type != IMAP_ARG_ATOM ||
	    a->list[3].list[1].type != IMAP_ARG_ATOM)) {
		imap_seqset_free(&q->known);
		return -1;
	}
	return 0;
}

void
imap_qresync_select(struct imap_session *s, struct imap_qresync *q)
{
	struct imap_range every = { 1, UINT32_MAX };
	struct imap_seqset all = { &every, 1 };
	const struct imap_seqset *set = q->has_known ? &q->known : &all;

	/* Another UIDVALIDITY: the client's cache is void, the SELECT
	 * answer is all it gets (RFC 7162 3.2.5). */
	if (q->uidvalidity != s->view->mb.uidvalidity)
		return;
	imap_vanished_earlier(s, q->modseq, set);
	changed_write(s, q->modseq, set);
}

void
imap_qresync_free(struct imap_qresync *q)
{
	imap_seqset_free(&q->known);
}
