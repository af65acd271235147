/* SEARCH keys (RFC 3501 6.4.4, MODSEQ RFC 7162 3.1.5): parsing into a
 * tree and matching one message. Header keys read the cached header;
 * BODY and TEXT read the stored file. Strings match as substrings,
 * ignoring ASCII case; header values are matched after RFC 2047 decoding.
 * SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"

enum skind {
	SK_AND, SK_OR, SK_NOT, SK_ALL, SK_FLAG, SK_UNFLAG, SK_KEYWORD,
	SK_UNKEYWORD, SK_NEW, SK_OLD, SK_RECENT, SK_BEFORE, SK_ON, SK_SINCE,
	SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE, SK_LARGER, SK_SMALLER,
	SK_HEADER, SK_BODY, SK_TEXT, SK_UID, SK_SEQ, SK_MODSEQ,
};

struct skey {
	enum skind		 kind;
	uint32_t		 flag;
	char			*str;	/* lowercase needle, or keyword */
	char			*field;	/* SK_HEADER */
	int64_t			 num;	/* day, size, modseq */
	struct imap_seqset	 set;
	struct skey		*kids;
	size_t			 n;
	int64_t			*ids;	/* BODY/TEXT: bodies from the index */
	size_t			 n_ids;
	bool			 has_ids;
};

struct imap_search {
	struct skey	 root;
	bool		 needs_body;	/* reading: a BODY/TEXT key unanswered */
	bool		 needs_cache;	/* keys other than BODY/TEXT */
	bool		 has_text_keys;	/* BODY or TEXT keys */
	bool		 has_modseq;
	uint32_t	 n_msgs;	/* "*" for sequence sets */
	uint32_t	 max_uid;
};

struct sparser {
	struct imap_search	*q;
	const struct imap_view	*view;
	const struct imap_arg	*v;
	size_t			 n;
	size_t			 i;
	unsigned		 depth;
	const char		*errstr;
};

static void
skey_fini(struct skey *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		skey_fini(&k->kids[i]);
	free(k->kids);
	free(k->str);
	free(k->field);
	free(k->ids);
	imap_seqset_free(&k->set);
}

void
imap_search_free(struct imap_search *q)
{
	if (q == NULL)
		return;
	skey_fini(&q->root);
	free(q);
}

static struct skey *
kid_add(struct skey *k)
{
	k->kids = xreallocarray(k->kids, k->n + 1, sizeof(*k->kids));
	memset(&k->kids[k->n], 0, sizeof(*k->kids));
	return &k->kids[k->n++];
}

static const struct imap_arg *
next_arg(struct sparser *sp)
{
	if (sp->i >= sp->n) {
		sp->errstr = "Missing search argument";
		return NULL;
	}
	return &sp->v[sp->i++];
}

static char *
lower_needle(const struct imap_arg *a)
{
	char *s = imap_arg_str(a);
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

/* RFC 3501 9 date: "1-Feb-1994" as a day number. */
static int
date_arg(const struct imap_arg *a, int64_t *day)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[16], *d1, *d2;
	const char *m, *errstr;
	struct tm tm;

	if (a->type == IMAP_ARG_LIST || a->len < 10 || a->len > 11)
		return -1;
	memcpy(buf, a->p, a->len);
	buf[a->len] = '\0';
	if ((d1 = strchr(buf, '-')) == NULL ||
	    (d2 = strchr(d1 + 1, '-')) == NULL || d2 - d1 != 4)
		return -1;
	memset(&tm, 0, sizeof(tm));
	*d1 = *d2 = '\0';
	tm.tm_mday = (int)str_to_uint(buf, 1, 31, &errstr);
	if (errstr != NULL)
		return -1;
	for (m = months; *m != '\0'; m += 3)
		if (strncasecmp(m, d1 + 1, 3) == 0)
			break;
	if (*m == '\0')
		return -1;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year = (int)str_to_uint(d2 + 1, 1900, 9999, &errstr) - 1900;
	if (errstr != NULL)
		return -1;
	*day = (int64_t)timegm(&tm) / 86400;
	return 0;
}

static int parse_key(struct sparser *sp, struct skey *k);

static const struct {
	const char	*name;
	enum skind	 kind;
	uint32_t	 flag;
} simple_keys[] = {
	{ "ALL", SK_ALL, 0 },
	{ "ANSWERED", SK_FLAG, STORE_F_ANSWERED },
	{ "DELETED", SK_FLAG, STORE_F_DELETED },
	{ "DRAFT", SK_FLAG, STORE_F_DRAFT },
	{ "FLAGGED", SK_FLAG, STORE_F_FLAGGED },
	{ "SEEN", SK_FLAG, STORE_F_SEEN },
	{ "UNANSWERED", SK_UNFLAG, STORE_F_ANSWERED },
	{ "UNDELETED", SK_UNFLAG, STORE_F_DELETED },
	{ "UNDRAFT", SK_UNFLAG, STORE_F_DRAFT },
	{ "UNFLAGGED", SK_UNFLAG, STORE_F_FLAGGED },
	{ "UNSEEN", SK_UNFLAG, STORE_F_SEEN },
	{ "NEW", SK_NEW, 0 },
	{ "OLD", SK_OLD, 0 },
	{ "RECENT", SK_RECENT, 0 },
};

static const struct {
	const char	*name;
	enum skind	 kind;
} date_keys[] = {
	{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
	{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
	{ "SENTSINCE", SK_SENTSINCE },
};

static const char *const header_keys[] = {
	"BCC", "CC", "FROM", "SUBJECT", "TO",
};

static int
parse_string_key(struct sparser *sp, struct skey *k, const char *name,
    size_t len)
{
	const struct imap_arg *a;
	size_t i;

	for (i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]); i++) {
		if (!str_ieq(name, len, header_keys[i]))
			continue;
		k->kind = SK_HEADER;
		k->field = xstrdup(header_keys[i]);
		sp->q->needs_cache = true;
		goto needle;
	}
	if (str_ieq(name, len, "HEADER")) {
		k->kind = SK_HEADER;
		if ((a = next_arg(sp)) == NULL ||
		    (k->field = imap_arg_str(a)) == NULL)
			return -1;
		sp->q->needs_cache = true;
		goto needle;
	}
	if (str_ieq(name, len, "BODY") || str_ieq(name, len, "TEXT")) {
		k->kind = str_ieq(name, len, "BODY") ? SK_BODY : SK_TEXT;
		sp->q->needs_body = true;
		sp->q->has_text_keys = true;
		goto needle;
	}
	if (str_ieq(name, len, "KEYWORD") || str_ieq(name, len, "UNKEYWORD")) {
		k->kind = name[0] == 'K' || name[0] == 'k' ? SK_KEYWORD :
		    SK_UNKEYWORD;
		if ((a = next_arg(sp)) == NULL ||
		    (k->str = imap_arg_str(a)) == NULL)
			return -1;
		return 0;
	}
	return 1;
needle:
	if ((a = next_arg(sp)) == NULL || (k->str = lower_needle(a)) == NULL)
		return -1;
	return 0;
}

/* "$" as a set, with or without UID: the saved result's UIDs (RFC 5182
 * 2.1). 0 when it was "$", 1 when not. */
static int
saved_key(struct sparser *sp, struct skey *k, const struct imap_arg *a)
{
	if (a->len != 1 || a->p[0] != '$')
		return 1;
	k->kind = SK_UID;
	imap_view_saved_seqset(sp->view, &k->set);
	return 0;
}

static int
parse_number_key(struct sparser *sp, struct skey *k, const char *name,
    size_t len)
{
	const struct imap_arg *a;
	const char *errstr;
	size_t i;

	for (i = 0; i < sizeof(date_keys) / sizeof(date_keys[0]); i++) {
		if (!str_ieq(name, len, date_keys[i].name))
			continue;
		k->kind = date_keys[i].kind;
		if (k->kind >= SK_SENTBEFORE)
			sp->q->needs_cache = true;
		if ((a = next_arg(sp)) == NULL || date_arg(a, &k->num) == -1)
			return -1;
		return 0;
	}
	if (str_ieq(name, len, "LARGER") || str_ieq(name, len, "SMALLER")) {
		k->kind = str_ieq(name, len, "LARGER") ? SK_LARGER : SK_SMALLER;
		if ((a = next_arg(sp)) == NULL || a->type != IMAP_ARG_ATOM)
			return -1;
		k->num = (int64_t)str_to_uint_n(a->p, a->len, 0, INT64_MAX,
		    &errstr);
		return errstr == NULL ? 0 : -1;
	}
	if (str_ieq(name, len, "UID")) {
		if ((a = next_arg(sp)) == NULL || a->type != IMAP_ARG_ATOM)
			return -1;
		if (saved_key(sp, k, a) == 0)
			return 0;
		k->kind = SK_UID;
		return imap_seqset_parse(a->p, a->len, sp->q->max_uid,
		    &k->set);
	}
	return 1;
}

/* RFC 7162 3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence. */
static int
parse_modseq(struct sparser *sp, struct skey *k)
{
	const struct imap_arg *a;
	const char *errstr;

	k->kind = SK_MODSEQ;
	sp->q->has_modseq = true;
	if ((a = next_arg(sp)) == NULL)
		return -1;
	if (a->type == IMAP_ARG_QUOTED) {
		if (next_arg(sp) == NULL || (a = next_arg(sp)) == NULL)
			return -1;
	}
	if (a->type != IMAP_ARG_ATOM)
		return -1;
	k->num = (int64_t)str_to_uint_n(a->p, a->len, 0, INT64_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

static int
parse_list_key(struct sparser *sp, struct skey *k, const struct imap_arg *a)
{
	struct sparser sub = *sp;
	size_t i;

	if (a->n == 0 || sp->depth >= IMAP_DEPTH_MAX)
		return -1;
	sub.v = a->list;
	sub.n = a->n;
	sub.i = 0;
	sub.depth = sp->depth + 1;
	k->kind = SK_AND;
	while (sub.i < sub.n)
		if (parse_key(&sub, kid_add(k)) == -1) {
			sp->errstr = sub.errstr;
			return -1;
		}
	(void)i;
	return 0;
}

static int
parse_key(struct sparser *sp, struct skey *k)
{
	const struct imap_arg *a;
	size_t i;
	int rc;

	if ((a = next_arg(sp)) == NULL)
		return -1;
	if (a->type == IMAP_ARG_LIST)
		return parse_list_key(sp, k, a);
	if (a->type != IMAP_ARG_ATOM)
		return -1;
	for (i = 0; i < sizeof(simple_keys) / sizeof(simple_keys[0]); i++) {
		if (str_ieq(a->p, a->len, simple_keys[i].name)) {
			k->kind = simple_keys[i].kind;
			k->flag = simple_keys[i].flag;
			return 0;
		}
	}
	if ((rc = parse_string_key(sp, k, a->p, a->len)) != 1 ||
	    (rc = parse_number_key(sp, k, a->p, a->len)) != 1)
		return rc;
	if (str_ieq(a->p, a->len, "MODSEQ"))
		return parse_modseq(sp, k);
	if (str_ieq(a->p, a->len, "NOT") || str_ieq(a->p, a->len, "OR")) {
		k->kind = a->p[0] == 'N' || a->p[0] == 'n' ? SK_NOT : SK_OR;
		if (++sp->depth > IMAP_DEPTH_MAX)
			return -1;
		rc = parse_key(sp, kid_add(k));
		if (rc == 0 && k->kind == SK_OR)
			rc = parse_key(sp, kid_add(k));
		sp->depth--;
		return rc;
	}
	if (saved_key(sp, k, a) == 0)
		return 0;
	k->kind = SK_SEQ;
	return imap_seqset_parse(a->p, a->len, sp->q->n_msgs, &k->set);
}

/* Keys that read the message file go last, so that the cheap ones can
 * rule a message out first. The order of the rest is kept. */
static void
body_keys_last(struct skey *and)
{
	struct skey tmp;
	size_t i, j;

	for (i = and->n; i > 0; i--) {
		if (and->kids[i - 1].kind != SK_BODY &&
		    and->kids[i - 1].kind != SK_TEXT)
			continue;
		tmp = and->kids[i - 1];
		for (j = i - 1; j + 1 < and->n; j++)
			and->kids[j] = and->kids[j + 1];
		and->kids[and->n - 1] = tmp;
	}
}

struct imap_search *
imap_search_parse(struct imap_session *s, const struct imap_arg *args,
    size_t n, const char **errstr)
{
	struct imap_search *q = xcalloc(1, sizeof(*q));
	struct sparser sp;

	memset(&sp, 0, sizeof(sp));
	sp.q = q;
	sp.view = s->view;
	sp.v = args;
	sp.n = n;
	q->root.kind = SK_AND;
	q->n_msgs = (uint32_t)s->view->n;
	q->max_uid = s->view->n ? s->view->uids[s->view->n - 1] : 0;
	if (n == 0) {
		*errstr = "Missing search keys";
		imap_search_free(q);
		return NULL;
	}
	while (sp.i < sp.n) {
		if (parse_key(&sp, kid_add(&q->root)) == -1) {
			*errstr = sp.errstr ? sp.errstr : "Bad search key";
			imap_search_free(q);
			return NULL;
		}
	}
	body_keys_last(&q->root);
	return q;
}

bool
imap_search_needs_body(const struct imap_search *q)
{
	return q->needs_body;
}

bool
imap_search_needs_cache(const struct imap_search *q)
{
	/* Reading BODY/TEXT needs the header and BODYSTRUCTURE. */
	return q->needs_cache || q->needs_body;
}

bool
imap_search_has_text_keys(const struct imap_search *q)
{
	return q->has_text_keys;
}

bool
imap_search_has_modseq(const struct imap_search *q)
{
	return q->has_modseq;
}

struct smatch {
	struct store		*st;
	const struct store_row	*row;
	uint32_t		 msn;
	bool			 is_recent;
	struct buf		 text;		/* the message, when needed */
	bool			 has_text;
	struct mime_part	*tree;		/* its parse, when needed */
	struct buf		 tmp;
};

static inline unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* How common a byte is in mail text: the scan looks for the needle's
 * rarest byte with memchr() and checks around each hit. */
static int
commonness(unsigned char c)
{
	static const char order[] = "etaoinsrhldcumfpgwybvkxjqz";
	const char *p = c != 0 ? strchr(order, c) : NULL;

	if (c == ' ' || c == '\r' || c == '\n')
		return 40;
	return p != NULL ? 30 - (int)(p - order) : 0;
}

static const unsigned char *
next_of(const unsigned char *p, const unsigned char *end, unsigned char c)
{
	const unsigned char *hit = p < end ? memchr(p, c, (size_t)(end -
	    p)) : NULL;

	return hit != NULL ? hit : end;
}

/* Needle is lowercase ASCII; matching ignores ASCII case. */
static bool
ci_find(const char *hay, size_t hlen, const char *needle)
{
	const unsigned char *h = (const unsigned char *)hay, *n =
	    (const unsigned char *)needle, *end, *lo, *up, *cand;
	size_t nlen = strlen(needle), k = 0, i, j;
	unsigned char c;

	if (nlen == 0)
		return true;
	if (nlen > hlen)
		return false;
	for (i = 1; i < nlen; i++)
		if (commonness(n[i]) < commonness(n[k]))
			k = i;
	/* Hits for n[k] may sit at h[k] .. h[hlen - nlen + k]. */
	end = h + hlen - nlen + k + 1;
	c = n[k];
	lo = next_of(h + k, end, c);
	up = c >= 'a' && c <= 'z' ? next_of(h + k, end, (unsigned char)(c -
	    32)) : end;
	while ((cand = lo < up ? lo : up) < end) {
		for (j = 0; j < nlen; j++)
			if (fold((cand - k)[j]) != n[j])
				break;
		if (j == nlen)
			return true;
		if (cand == lo)
			lo = next_of(lo + 1, end, c);
		else
			up = next_of(up + 1, end, (unsigned char)(c - 32));
	}
	return false;
}

static bool
match_header(struct smatch *m, const struct skey *k)
{
	const struct store_row *r = m->row;
	struct mime_hdr_iter it;
	struct mime_field f;

	if (r->header == NULL)
		return false;
	mime_hdr_iter_init(&it, r->header, r->header_len);
	while (mime_hdr_next(&it, &f) == 1) {
		if (!str_ieq(f.name, f.namelen, k->field))
			continue;
		if (k->str[0] == '\0')
			return true;
		buf_reset(&m->tmp);
		(void)mime_hdr_decode(f.value, f.valuelen, &m->tmp);
		if (ci_find(m->tmp.data, m->tmp.len, k->str))
			return true;
	}
	return false;
}

/* Any header field whose decoded value holds needle. */
static bool
header_find(struct smatch *m, const char *needle)
{
	struct mime_hdr_iter it;
	struct mime_field f;

	mime_hdr_iter_init(&it, m->row->header, m->row->header_len);
	while (mime_hdr_next(&it, &f) == 1) {
		if (memmem(f.value, f.valuelen, "=?", 2) == NULL)
			continue;	/* nothing encoded: seen raw already */
		buf_reset(&m->tmp);
		(void)mime_hdr_decode(f.value, f.valuelen, &m->tmp);
		if (ci_find(m->tmp.data, m->tmp.len, needle))
			return true;
	}
	return false;
}

static bool
load_text(struct smatch *m)
{
	char blk[65536];
	ssize_t n;
	int fd;

	if (m->has_text)
		return true;
	if ((fd = store_row_open(m->st, m->row)) == -1)
		return false;
	buf_reserve(&m->text, (size_t)m->row->size);
	while ((n = read(fd, blk, sizeof(blk))) > 0)
		buf_add(&m->text, blk, (size_t)n);
	close(fd);
	m->has_text = true;
	return true;
}

struct decoded_find {
	const struct smatch	*m;
	const char		*needle;
	bool			 is_found;
	struct buf		 dec;
	struct buf		 utf8;
};

/* A text part whose octets are not what a reader sees: encoded, or in a
 * charset other than ASCII and UTF-8. */
static bool
needs_decoding(const struct mime_part *p)
{
	const char *cs = mime_part_charset(p);

	if (strcmp(p->type, "text") != 0 || mime_part_is_multipart(p) ||
	    mime_part_message(p) != NULL)
		return false;
	return p->cte == MIME_CTE_BASE64 || p->cte == MIME_CTE_QP ||
	    (cs != NULL && strcasecmp(cs, "utf-8") != 0 &&
	    strcasecmp(cs, "us-ascii") != 0);
}

static void
find_in_part(struct mime_part *p, void *arg)
{
	struct decoded_find *df = arg;
	const char *cs = mime_part_charset(p);
	const struct buf *text = &df->dec;

	if (df->is_found || !needs_decoding(p))
		return;
	buf_reset(&df->dec);
	mime_part_decode(p, df->m->text.data, df->m->text.len, &df->dec);
	if (cs != NULL && strcasecmp(cs, "utf-8") != 0 &&
	    strcasecmp(cs, "us-ascii") != 0) {
		buf_reset(&df->utf8);
		if (mime_charset_to_utf8(cs, df->dec.data, df->dec.len,
		    &df->utf8) == 0)
			text = &df->utf8;
	}
	df->is_found = ci_find(text->data, text->len, df->needle);
}

/* RFC 3501 6.4.4: BODY and TEXT look at the text a reader sees, so text
 * parts are decoded (transfer encoding, then charset to UTF-8) when the
 * stored octets did not match. */
static bool
decoded_find(struct smatch *m, const char *needle)
{
	struct decoded_find df;

	if (m->row->bodystructure != NULL &&
	    strstr(m->row->bodystructure, "\"BASE64\"") == NULL &&
	    strstr(m->row->bodystructure, "\"QUOTED-PRINTABLE\"") == NULL &&
	    strstr(m->row->bodystructure, "\"CHARSET\"") == NULL)
		return false;
	if (m->tree == NULL)
		m->tree = mime_parse(m->text.data, m->text.len, NULL);
	memset(&df, 0, sizeof(df));
	df.m = m;
	df.needle = needle;
	mime_part_walk(m->tree, find_in_part, &df);
	buf_free(&df.dec);
	buf_free(&df.utf8);
	return df.is_found;
}

static bool
has_id(const struct skey *k, int64_t id)
{
	size_t lo = 0, hi = k->n_ids, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (k->ids[mid] < id)
			lo = mid + 1;
		else if (k->ids[mid] > id)
			hi = mid;
		else
			return true;
	}
	return false;
}

static bool
match_text(struct smatch *m, const struct skey *k)
{
	size_t off = 0;

	if (k->has_ids)
		return has_id(k, m->row->body_id);

	if (!load_text(m))
		return false;
	if (k->kind == SK_BODY)
		off = mime_hdr_split(m->text.data, m->text.len);
	if (ci_find(m->text.data + off, m->text.len - off, k->str))
		return true;
	/* TEXT covers the header too: the decoded Subject and the rest. */
	if (k->kind == SK_TEXT && m->row->header != NULL &&
	    header_find(m, k->str))
		return true;
	return decoded_find(m, k->str);
}

static bool
has_keyword(const char *list, const char *kw)
{
	size_t len = strlen(kw), n;
	const char *p = list, *sp;

	while (*p != '\0') {
		sp = strchr(p, ' ');
		n = sp ? (size_t)(sp - p) : strlen(p);
		if (n == len && strncasecmp(p, kw, n) == 0)
			return true;
		p += n + (sp != NULL);
	}
	return false;
}

static int64_t
sent_day(const struct store_row *r)
{
	return (r->sent_date != 0 ? r->sent_date : r->internal_date) / 86400;
}

static bool match_key(struct smatch *m, const struct skey *k);

static bool
match_compound(struct smatch *m, const struct skey *k)
{
	size_t i;

	switch (k->kind) {
	case SK_AND:
		for (i = 0; i < k->n; i++)
			if (!match_key(m, &k->kids[i]))
				return false;
		return true;
	case SK_OR:
		return match_key(m, &k->kids[0]) || match_key(m, &k->kids[1]);
	default:
		return !match_key(m, &k->kids[0]);
	}
}

static bool
match_key(struct smatch *m, const struct skey *k)
{
	const struct store_row *r = m->row;
	int64_t day = r->internal_date / 86400;

	switch (k->kind) {
	case SK_AND:
	case SK_OR:
	case SK_NOT:
		return match_compound(m, k);
	case SK_ALL:
		return true;
	case SK_FLAG:
		return (r->flags & k->flag) != 0;
	case SK_UNFLAG:
		return (r->flags & k->flag) == 0;
	case SK_KEYWORD:
		return has_keyword(r->keywords, k->str);
	case SK_UNKEYWORD:
		return !has_keyword(r->keywords, k->str);
	case SK_NEW:
		return m->is_recent && !(r->flags & STORE_F_SEEN);
	case SK_OLD:
		return !m->is_recent;
	case SK_RECENT:
		return m->is_recent;
	case SK_BEFORE:
		return day < k->num;
	case SK_ON:
		return day == k->num;
	case SK_SINCE:
		return day >= k->num;
	case SK_SENTBEFORE:
		return sent_day(r) < k->num;
	case SK_SENTON:
		return sent_day(r) == k->num;
	case SK_SENTSINCE:
		return sent_day(r) >= k->num;
	case SK_LARGER:
		return r->size > (uint64_t)k->num;
	case SK_SMALLER:
		return r->size < (uint64_t)k->num;
	case SK_HEADER:
		return match_header(m, k);
	case SK_BODY:
	case SK_TEXT:
		return match_text(m, k);
	case SK_UID:
		return imap_seqset_has(&k->set, r->uid);
	case SK_SEQ:
		return imap_seqset_has(&k->set, m->msn);
	case SK_MODSEQ:
		return r->modseq >= (uint64_t)k->num;
	}
	return false;
}

bool
imap_search_match(const struct imap_search *q, struct store *st,
    const struct store_row *row, uint32_t msn, bool is_recent)
{
	struct smatch m;
	bool rc;

	memset(&m, 0, sizeof(m));
	m.st = st;
	m.row = row;
	m.msn = msn;
	m.is_recent = is_recent;
	rc = match_key(&m, &q->root);
	mime_part_free(m.tree);
	buf_free(&m.text);
	buf_free(&m.tmp);
	return rc;
}

static void
prepare_key(struct skey *k, struct store *st)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		prepare_key(&k->kids[i], st);
	if (k->kind == SK_BODY || k->kind == SK_TEXT)
		k->has_ids = store_text_search(st, k->str, k->kind == SK_BODY,
		    &k->ids, &k->n_ids) == 0;
}

/* Whether some BODY/TEXT key must read the messages. */
static bool
text_unanswered(const struct skey *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (text_unanswered(&k->kids[i]))
			return true;
	return (k->kind == SK_BODY || k->kind == SK_TEXT) && !k->has_ids;
}

void
imap_search_prepare(struct imap_search *q, struct store *st)
{
	prepare_key(&q->root, st);
	/* What the index answered needs neither the files nor the cache. */
	q->needs_body = text_unanswered(&q->root);
}
