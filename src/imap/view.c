/* The selected mailbox (RFC 3501 6.3.1-6.3.2): the map from message
 * sequence numbers to UIDs that this session announced, and the untagged
 * EXPUNGE, EXISTS, RECENT and FETCH responses that bring it up to date
 * with what other sessions and deliveries did (RFC 3501 5.2, 7.4.1). A
 * mailbox's HIGHESTMODSEQ moves with every change, so one quick look at
 * it tells whether anything is to be reported.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"

static void
view_free(struct imap_view *v)
{
	if (v == NULL)
		return;
	free(v->uids);
	free(v->saved);
	free(v);
}

void
imap_view_close(struct imap_session *s)
{
	view_free(s->view);
	s->view = NULL;
}

bool
imap_view_is_recent(const struct imap_view *v, uint32_t uid)
{
	size_t i;

	for (i = 0; i < v->n_recent; i++)
		if (uid >= v->recent[i].lo && uid < v->recent[i].hi)
			return true;
	return false;
}

bool
imap_view_shows_recent(const struct imap_session *s, uint32_t uid)
{
	/* IMAP4rev2 has no \Recent (RFC 9051 Appendix E item 12). */
	return !s->has_rev2 && imap_view_is_recent(s->view, uid);
}

uint32_t
imap_view_msn(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else if (v->uids[mid] > uid)
			hi = mid;
		else
			return (uint32_t)mid + 1;
	}
	return 0;
}

/* First index whose uid >= uid. */
static size_t
lower_bound(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
append_uid(uint32_t **out, size_t *n, size_t *cap, uint32_t uid)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*out = xreallocarray(*out, *cap, sizeof(**out));
	}
	(*out)[(*n)++] = uid;
}

int
imap_view_set(struct imap_session *s, const char *p, size_t len,
    bool is_uid, uint32_t **uids_out, size_t *n_out)
{
	struct imap_view *v = s->view;
	struct imap_seqset set;
	size_t i, k, n = 0, cap = 0;
	uint32_t *out = NULL, star, m;

	*uids_out = NULL;
	*n_out = 0;
	/* "$": the saved result (RFC 5182 2.1), UIDs whatever the
	 * command's form; expunged ones have left the view. */
	if (len == 1 && p[0] == '$') {
		for (i = 0; i < v->n_saved; i++)
			if (imap_view_msn(v, v->saved[i]) != 0)
				append_uid(&out, &n, &cap, v->saved[i]);
		*uids_out = out;
		*n_out = n;
		return 0;
	}
	star = is_uid ? (v->n ? v->uids[v->n - 1] : 0) : (uint32_t)v->n;
	if (imap_seqset_parse(p, len, star, &set) == -1)
		return -1;
	for (i = 0; i < set.n; i++) {
		if (is_uid) {
			for (k = lower_bound(v, set.v[i].lo); k < v->n &&
			    v->uids[k] <= set.v[i].hi; k++)
				append_uid(&out, &n, &cap, v->uids[k]);
			continue;
		}
		/* "*" in an empty mailbox names nothing; other numbers
		 * out of range are an error (RFC 3501 9 seq-number). */
		if (set.v[i].lo == 0 && v->n == 0)
			continue;
		if (set.v[i].lo == 0 || set.v[i].hi > v->n) {
			imap_seqset_free(&set);
			free(out);
			return -1;
		}
		for (m = set.v[i].lo; m <= set.v[i].hi; m++)
			append_uid(&out, &n, &cap, v->uids[m - 1]);
	}
	imap_seqset_free(&set);
	*uids_out = out;
	*n_out = n;
	return 0;
}

void
imap_flags_write(uint32_t flags, const char *keywords, bool is_recent,
    struct buf *out)
{
	size_t start = out->len;

	buf_addc(out, '(');
	if (flags & STORE_F_SEEN)
		buf_adds(out, "\\Seen ");
	if (flags & STORE_F_ANSWERED)
		buf_adds(out, "\\Answered ");
	if (flags & STORE_F_FLAGGED)
		buf_adds(out, "\\Flagged ");
	if (flags & STORE_F_DELETED)
		buf_adds(out, "\\Deleted ");
	if (flags & STORE_F_DRAFT)
		buf_adds(out, "\\Draft ");
	if (is_recent)
		buf_adds(out, "\\Recent ");
	if (keywords != NULL && keywords[0] != '\0') {
		buf_adds(out, keywords);
		buf_addc(out, ' ');
	}
	if (out->len > start + 1)
		out->len--;
	buf_addc(out, ')');
}

static const struct {
	const char	*name;
	uint32_t	 flag;
} system_flags[] = {
	{ "\\Seen",	STORE_F_SEEN },
	{ "\\Answered",	STORE_F_ANSWERED },
	{ "\\Flagged",	STORE_F_FLAGGED },
	{ "\\Deleted",	STORE_F_DELETED },
	{ "\\Draft",	STORE_F_DRAFT },
	{ "\\Recent",	0 },		/* cannot be set (RFC 3501 2.3.2) */
};

static bool
is_keyword(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > 100)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		/* RFC 3501 9 atom, no atom-specials or "]". */
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

int
imap_flags_parse(const struct imap_arg *list, uint32_t *flags_out,
    char ***kw_out, size_t *n_kw_out)
{
	const struct imap_arg *a;
	size_t i, j, k;

	*flags_out = 0;
	*kw_out = NULL;
	*n_kw_out = 0;
	for (i = 0; i < list->n; i++) {
		a = &list->list[i];
		if (a->type != IMAP_ARG_ATOM)
			goto fail;
		if (a->p[0] == '\\') {
			for (j = 0; j < sizeof(system_flags) /
			    sizeof(system_flags[0]); j++)
				if (str_ieq(a->p, a->len, system_flags[j].name))
					break;
			if (j == sizeof(system_flags) / sizeof(system_flags[0]))
				goto fail;
			*flags_out |= system_flags[j].flag;
			continue;
		}
		if (!is_keyword(a->p, a->len))
			goto fail;
		for (k = 0; k < *n_kw_out; k++)
			if (str_ieq(a->p, a->len, (*kw_out)[k]))
				break;
		if (k < *n_kw_out)
			continue;
		*kw_out = xreallocarray(*kw_out, *n_kw_out + 1,
		    sizeof(**kw_out));
		(*kw_out)[(*n_kw_out)++] = xstrndup(a->p, a->len);
	}
	return 0;
fail:
	store_strings_free(*kw_out, *n_kw_out);
	*kw_out = NULL;
	*n_kw_out = 0;
	return -1;
}

char *
imap_mailbox_from_client(struct imap_session *s, const struct imap_arg *arg)
{
	struct buf b = BUF_INIT;
	char *raw;

	if (arg->type == IMAP_ARG_LIST || (raw = imap_arg_str(arg)) == NULL)
		return NULL;
	/* RFC 3501 5.1: INBOX in any case is INBOX. */
	if (strcasecmp(raw, "INBOX") == 0) {
		free(raw);
		return xstrdup("INBOX");
	}
	/* After ENABLE IMAP4rev2 or UTF8=ACCEPT names are UTF-8 as they
	 * are, "&" included (RFC 9051 5.1, Appendix A; RFC 6855 3). */
	if (imap_is_utf8(s)) {
		if (!mime_utf8_is_valid(raw, strlen(raw)) ||
		    strlen(raw) >= STORE_MAILBOX_MAX) {
			free(raw);
			return NULL;
		}
		return raw;
	}
	if (imap_mutf7_decode(raw, strlen(raw), &b) == -1 ||
	    b.len >= STORE_MAILBOX_MAX) {
		free(raw);
		buf_free(&b);
		return NULL;
	}
	free(raw);
	if (b.len == 0)
		return xstrdup("");
	return buf_release(&b);
}

void
imap_mailbox_to_client(struct imap_session *s, const char *name,
    struct buf *out)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (imap_is_utf8(s))
		buf_adds(&b, name);	/* UTF-8 (RFC 9051 5.1, RFC 6855 3) */
	else if (imap_mutf7_encode(name, strlen(name), &b) == -1) {
		buf_reset(&b);
		buf_adds(&b, name);
	}
	buf_addc(out, '"');
	for (i = 0; i < b.len; i++) {
		if (b.data[i] == '"' || b.data[i] == '\\')
			buf_addc(out, '\\');
		buf_addc(out, b.data[i]);
	}
	buf_addc(out, '"');
	buf_free(&b);
}

void
imap_view_save(struct imap_view *v, const uint32_t *uids, size_t n)
{
	free(v->saved);
	v->saved = NULL;
	v->n_saved = n;
	if (n == 0)
		return;
	v->saved = xreallocarray(NULL, n, sizeof(*v->saved));
	memcpy(v->saved, uids, n * sizeof(*uids));
}

void
imap_view_saved_seqset(const struct imap_view *v, struct imap_seqset *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < v->n_saved; i++) {
		if (out->n > 0 && out->v[out->n - 1].hi + 1 == v->saved[i]) {
			out->v[out->n - 1].hi = v->saved[i];
			continue;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n].lo = out->v[out->n].hi = v->saved[i];
		out->n++;
	}
}
