/* Opening the selected mailbox (RFC 3501 6.3.1 SELECT responses, RFC 7162
 * 3.1.2 HIGHESTMODSEQ) and keeping the session's view of it current: the
 * untagged EXPUNGE, EXISTS, RECENT and FETCH FLAGS of RFC 3501 7.3-7.4.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static uint32_t
recent_count(const struct imap_view *v)
{
	uint32_t count = 0, msn;

	/* Recent messages are the newest, so count from the end. */
	for (msn = (uint32_t)v->n; msn > 0; msn--) {
		if (!imap_view_is_recent(v, v->uids[msn - 1]))
			break;
		count++;
	}
	return count;
}

/* Claim \Recent for the UIDs below uidnext no session saw yet. */
static void
recent_take(struct imap_session *s, struct imap_view *v, uint32_t uidnext)
{
	uint32_t lo;

	/* EXAMINE shows \Recent without taking it (RFC 3501 6.3.2). */
	lo = store_recent_take(s->srv->store, v->mb.id, v->is_readonly ? 0 :
	    uidnext);

	if (lo >= uidnext)
		return;
	if (v->n_recent > 0 && v->recent[v->n_recent - 1].hi == lo)
		v->recent[v->n_recent - 1].hi = uidnext;
	else if (v->n_recent < sizeof(v->recent) / sizeof(v->recent[0])) {
		v->recent[v->n_recent].lo = lo;
		v->recent[v->n_recent++].hi = uidnext;
	} else
		v->recent[v->n_recent - 1].hi = uidnext;
}

/* "* LIST () "/" name" for the mailbox just selected (RFC 9051 6.3.2). */
static void
list_response(struct imap_session *s, const struct imap_view *v)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "LIST () \"/\" ");
	imap_mailbox_to_client(s, v->mb.name, &b);
	imap_untagged(s, "%s", buf_cstr(&b));
	buf_free(&b);
}

static void
flags_response(struct imap_session *s, struct imap_view *v)
{
	struct buf b = BUF_INIT;
	char **kw;
	size_t n, i;

	buf_adds(&b, "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	if (store_mailbox_keywords(s->srv->store, v->mb.id, &kw, &n) == 0) {
		for (i = 0; i < n; i++) {
			buf_addc(&b, ' ');
			buf_adds(&b, kw[i]);
		}
		store_strings_free(kw, n);
	}
	buf_addc(&b, ')');
	imap_untagged(s, "%s", buf_cstr(&b));
	if (v->is_readonly)
		imap_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox");
	else
		imap_untagged(s, "OK [PERMANENTFLAGS %.*s \\*)] Flags "
		    "permitted", (int)b.len - 7, b.data + 6);
	v->n_keywords = n;
	buf_free(&b);
}

int
imap_view_open(struct imap_session *s, const char *name, bool is_readonly,
    struct imap_cmd *cmd)
{
	struct store *st = s->srv->store;
	struct imap_view *v;
	uint32_t unseen;

	v = xcalloc(1, sizeof(*v));
	if (store_mailbox_find(st, s->account.id, name, &v->mb) != 1 ||
	    store_mailbox_state(st, v->mb.id, &v->uidnext, &v->modseq) != 1) {
		free(v);
		imap_reply_no(cmd, "[NONEXISTENT] No such mailbox");
		return -1;
	}
	if (store_mailbox_uids(st, v->mb.id, 1, UINT32_MAX, &v->uids,
	    &v->n) == -1) {
		free(v);
		imap_reply_no(cmd, "[SERVERBUG] Cannot open the mailbox");
		return -1;
	}
	v->cap = v->n;
	v->is_readonly = is_readonly;
	recent_take(s, v, v->uidnext);
	s->view = v;
	s->state = IMAP_ST_SELECTED;
	flags_response(s, v);
	imap_untagged(s, "%zu EXISTS", v->n);
	/* IMAP4rev2 dropped RECENT and wants the name in a LIST response
	 * (RFC 9051 6.3.2, Appendix E items 10 and 12). */
	if (s->has_rev2)
		list_response(s, v);
	else
		imap_untagged(s, "%u RECENT", recent_count(v));
	if (store_mailbox_first_unseen(st, v->mb.id, &unseen) == 1 &&
	    imap_view_msn(v, unseen) > 0)
		imap_untagged(s, "OK [UNSEEN %u] First unseen",
		    imap_view_msn(v, unseen));
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", v->mb.uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", v->uidnext);
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)v->modseq);
	return 0;
}

/* Drop from the view what is gone from the mailbox, announcing each
 * (RFC 3501 7.4.1): from the end, so every number sent is current. */
static void
sync_expunges(struct imap_session *s, struct imap_view *v)
{
	struct store *st = s->srv->store;
	uint32_t last, count, *now, *gone, t;
	size_t n_now, i, j, k;

	if (v->n == 0)
		return;
	last = v->uids[v->n - 1];
	if (store_mailbox_count(st, v->mb.id, 1, last, &count) == -1 ||
	    count == v->n)
		return;
	if (store_mailbox_uids(st, v->mb.id, 1, last, &now, &n_now) == -1)
		return;
	gone = s->has_qresync ? xcalloc(v->n, sizeof(*gone)) : NULL;
	j = n_now;
	for (i = v->n, k = 0; i > 0; i--) {
		if (j > 0 && now[j - 1] == v->uids[i - 1]) {
			j--;
			continue;
		}
		/* With QRESYNC, one VANISHED instead (RFC 7162 3.2.10). */
		if (s->has_qresync)
			gone[k++] = v->uids[i - 1];
		else
			imap_untagged(s, "%zu EXPUNGE", i);
	}
	/* Found from the end: put them in ascending order. */
	for (i = 0; i < k / 2; i++) {
		t = gone[i];
		gone[i] = gone[k - 1 - i];
		gone[k - 1 - i] = t;
	}
	imap_vanished_write(s, false, gone, k);
	free(gone);
	/* What is left is what the mailbox still holds up to last. */
	if (n_now > 0)
		memcpy(v->uids, now, n_now * sizeof(*now));
	v->n = n_now;
	free(now);
}

static void
sync_new(struct imap_session *s, struct imap_view *v, uint32_t uidnext)
{
	uint32_t first = v->n ? v->uids[v->n - 1] + 1 : 1, *add;
	size_t n_add;

	if (store_mailbox_uids(s->srv->store, v->mb.id, first, UINT32_MAX,
	    &add, &n_add) == -1)
		return;
	if (n_add > 0) {
		if (v->n + n_add > v->cap) {
			v->cap = v->n + n_add + v->n / 4;
			v->uids = xreallocarray(v->uids, v->cap,
			    sizeof(*v->uids));
		}
		memcpy(&v->uids[v->n], add, n_add * sizeof(*add));
		v->n += n_add;
		recent_take(s, v, uidnext);
		imap_untagged(s, "%zu EXISTS", v->n);
		if (!s->has_rev2)
			imap_untagged(s, "%u RECENT", recent_count(v));
	}
	free(add);
}

/* FETCH FLAGS for what changed since v->modseq among the first uids. */
static void
sync_flags(struct imap_session *s, struct imap_view *v, uint32_t last)
{
	struct store_row *rows;
	struct buf b = BUF_INIT;
	size_t n, i;
	uint32_t msn;

	if (last == 0 || store_rows_get(s->srv->store, v->mb.id, 1, last,
	    v->modseq, 0, SIZE_MAX, &rows, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if ((msn = imap_view_msn(v, rows[i].uid)) == 0)
			continue;
		buf_reset(&b);
		buf_addf(&b, "%u FETCH (UID %u FLAGS ", msn, rows[i].uid);
		imap_flags_write(rows[i].flags, rows[i].keywords,
		    imap_view_shows_recent(s, rows[i].uid), &b);
		if (s->has_condstore)
			buf_addf(&b, " MODSEQ (%llu)",
			    (unsigned long long)rows[i].modseq);
		buf_addc(&b, ')');
		imap_untagged(s, "%s", buf_cstr(&b));
	}
	buf_free(&b);
	store_rows_free(rows, n);
}

/* A new keyword: announce the new FLAGS (RFC 3501 7.2.6). */
static void
sync_keywords(struct imap_session *s, struct imap_view *v)
{
	char **kw;
	size_t n;

	if (store_mailbox_keywords(s->srv->store, v->mb.id, &kw, &n) == -1)
		return;
	store_strings_free(kw, n);
	if (n != v->n_keywords)
		flags_response(s, v);
}

void
imap_view_sync(struct imap_session *s, bool can_expunge)
{
	struct imap_view *v = s->view;
	uint32_t uidnext, last;
	uint64_t modseq;
	int rc;

	if (v == NULL || s->conn == NULL || (rc = store_mailbox_state(
	    s->srv->store, v->mb.id, &uidnext, &modseq)) == -1)
		return;
	if (rc == 0) {
		/* Deleted by another session: nothing left to show or to
		 * keep in step with, so the session ends as with Dovecot
		 * (RFC 3501 7.1.5: BYE, the server closes). */
		imap_untagged(s, "BYE Selected mailbox was deleted, have to "
		    "disconnect");
		imap_session_close(s);
		return;
	}
	if (modseq == v->modseq && uidnext == v->uidnext &&
	    !(v->has_expunges && can_expunge))
		return;
	last = v->n ? v->uids[v->n - 1] : 0;
	if (can_expunge) {
		sync_expunges(s, v);
		v->has_expunges = false;
	} else
		v->has_expunges = true;
	if (uidnext != v->uidnext)
		sync_new(s, v, uidnext);
	if (modseq != v->modseq) {
		sync_keywords(s, v);
		sync_flags(s, v, last);
	}
	v->modseq = modseq;
	v->uidnext = uidnext;
}
