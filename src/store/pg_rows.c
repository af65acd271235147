/* Messages as IMAP shows them (FETCH, SEARCH) in the PostgreSQL store, as
 * rows.c and text.c for SQLite: metadata, keywords and the parse cache
 * (cache.c builds it the first time a message is asked for), and the
 * text index, kept lowercase and searched with LIKE through pg_trgm's
 * trigram indexes.
 * SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "store/pg_int.h"

#define ROW_COLS "m.id, m.body_id, m.uid, m.flags, m.modseq, m.size, " \
	"m.internal_date, m.keywords"

/* An integer column of a binary result (int4 or int8). */
static int64_t
bin_int(const PGresult *res, int row, int col)
{
	const unsigned char *p;
	uint64_t v = 0;
	int i, len;

	p = (const unsigned char *)PQgetvalue(res, row, col);
	len = PQgetlength(res, row, col);
	for (i = 0; i < len; i++)
		v = v << 8 | p[i];
	if (len == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

static char *
bin_dup(const PGresult *res, int row, int col, size_t *len_out)
{
	size_t len;

	if (PQgetisnull(res, row, col))
		return NULL;
	len = (size_t)PQgetlength(res, row, col);
	if (len_out != NULL)
		*len_out = len;
	return xstrndup(PQgetvalue(res, row, col), len);
}

static void
row_read(const PGresult *res, int i, struct store_row *r, bool has_cache)
{
	memset(r, 0, sizeof(*r));
	r->id = bin_int(res, i, 0);
	r->body_id = bin_int(res, i, 1);
	r->uid = (uint32_t)bin_int(res, i, 2);
	r->flags = (uint32_t)bin_int(res, i, 3);
	r->modseq = (uint64_t)bin_int(res, i, 4);
	r->size = (uint64_t)bin_int(res, i, 5);
	r->internal_date = bin_int(res, i, 6);
	r->keywords = bin_dup(res, i, 7, NULL);
	if (!has_cache || PQgetisnull(res, i, 8))
		return;
	r->envelope = bin_dup(res, i, 8, NULL);
	r->body = bin_dup(res, i, 9, NULL);
	r->bodystructure = bin_dup(res, i, 10, NULL);
	r->header = bin_dup(res, i, 11, &r->header_len);
	r->sent_date = bin_int(res, i, 12);
}

int
pg_row_open(struct store *st, const struct store_row *row)
{
	return pg_body_open(st, row->body_id);
}

static locale_t	utf8_locale;
static pthread_once_t	utf8_once = PTHREAD_ONCE_INIT;

static void
utf8_locale_make(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* One character of well-formed UTF-8 at p: its length, *cp set. */
static size_t
utf8_get(const unsigned char *p, size_t len, uint32_t *cp)
{
	size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
	size_t i;

	if (n > len)
		n = len;
	*cp = n == 1 ? *p : (uint32_t)(*p & (0x7f >> n));
	for (i = 1; i < n; i++)
		*cp = *cp << 6 | (p[i] & 0x3f);
	return n;
}

static void
utf8_put(uint32_t cp, struct buf *out)
{
	if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(out, (char)(0xc0 | cp >> 6));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(out, (char)(0xe0 | cp >> 12));
		buf_addc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(out, (char)(0xf0 | cp >> 18));
		buf_addc(out, (char)(0x80 | (cp >> 12 & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Lowercase well-formed UTF-8 p[0..len) into out, character by character
 * (towlower in C.UTF-8; ASCII only when that locale is missing), with NUL
 * turned into a space: the index is searched case-insensitively
 * whatever the database's locale (its ILIKE folds ASCII alone in "C"). */
static void
text_fold(const char *p, size_t len, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t cp;
	size_t n;

	(void)pthread_once(&utf8_once, utf8_locale_make);
	while (len > 0) {
		n = utf8_get(u, len, &cp);
		if (cp == 0)
			cp = ' ';
		else if (cp < 0x80)
			cp = (uint32_t)tolower((int)cp);
		else if (utf8_locale != (locale_t)0)
			cp = (uint32_t)towlower_l((wint_t)cp, utf8_locale);
		utf8_put(cp, out);
		u += n;
		len -= n;
	}
}

/* Text for the index: well-formed UTF-8, lowercase, no NUL. */
static void
text_clean(const struct buf *in, struct buf *out)
{
	struct buf u = BUF_INIT;

	mime_utf8_sanitize(in->data ? in->data : "", in->len, &u);
	text_fold(u.data ? u.data : "", u.len, out);
	buf_free(&u);
}

static int
text_put(struct pg_thread *c, int64_t body_id, const struct buf *thdr,
    const struct buf *tbody)
{
	struct buf h = BUF_INIT, b = BUF_INIT;
	int rc;

	text_clean(thdr, &h);
	text_clean(tbody, &b);
	rc = pg_exec(c, "INSERT INTO text_index VALUES ($1, $2, $3) ON "
	    "CONFLICT (body_id) DO UPDATE SET hdr = excluded.hdr, "
	    "body = excluded.body", "iss", body_id, buf_cstr(&h),
	    buf_cstr(&b));
	buf_free(&h);
	buf_free(&b);
	return rc;
}

static bool
is_indexed(struct pg_thread *c, int64_t body_id)
{
	PGresult *res = pg_query(c, "SELECT 1 FROM text_index WHERE "
	    "body_id = $1", "i", body_id);
	bool rc = res == NULL || PQntuples(res) > 0;

	PQclear(res);
	return rc;
}

/* Parse one row's body for what it lacks: cache fields (moved into r) or
 * its text in the index. Both can be rebuilt, so a failure only costs
 * the parse next time. */
static void
cache_one(struct pg_thread *c, struct store_row *r, bool need_cache,
    bool need_text)
{
	struct buf thdr = BUF_INIT, tbody = BUF_INIT;
	struct store_row tmp;
	PGresult *res;

	res = pg_query_bin(c, "SELECT data FROM bodies WHERE id = $1", "i",
	    r->body_id);
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	store_cache_build(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0,
	    0), &tmp, need_text ? &thdr : NULL, &tbody);
	PQclear(res);
	if (need_cache) {
		(void)pg_exec(c, "INSERT INTO cache VALUES ($1, $2, $3, $4, "
		    "$5, $6) ON CONFLICT (body_id) DO NOTHING", "ibbbbi",
		    r->body_id, tmp.envelope, strlen(tmp.envelope), tmp.body,
		    strlen(tmp.body), tmp.bodystructure,
		    strlen(tmp.bodystructure), tmp.header, tmp.header_len,
		    tmp.sent_date);
		store_cache_move(r, &tmp);
	} else
		store_cache_free(&tmp);
	if (need_text)
		(void)text_put(c, r->body_id, &thdr, &tbody);
	buf_free(&thdr);
	buf_free(&tbody);
}

static void
cache_fill(struct pg_thread *c, struct store_row *rows, size_t n,
    bool with_text)
{
	bool need_cache, need_text;
	size_t i;

	for (i = 0; i < n; i++) {
		need_cache = rows[i].envelope == NULL;
		need_text = with_text && !is_indexed(c, rows[i].body_id);
		if (need_cache || need_text)
			cache_one(c, &rows[i], need_cache, need_text);
	}
}

int
pg_rows_get(struct store *st, int64_t mailbox_id, uint32_t lo, uint32_t hi,
    uint64_t changedsince, unsigned what, size_t limit,
    struct store_row **rows_out, size_t *n_out)
{
	bool has_cache = (what & (STORE_ROW_CACHE | STORE_ROW_TEXT)) != 0;
	static const char with_cache[] = "SELECT " ROW_COLS ", "
	    "c.envelope, c.body, c.bodystructure, c.header, c.sent_date "
	    "FROM messages m LEFT JOIN cache c ON c.body_id = m.body_id "
	    "WHERE m.mailbox_id = $1 AND m.uid BETWEEN $2 AND $3 AND "
	    "m.modseq > $4 ORDER BY m.uid LIMIT $5";
	static const char without[] = "SELECT " ROW_COLS " "
	    "FROM messages m WHERE m.mailbox_id = $1 AND m.uid BETWEEN $2 "
	    "AND $3 AND m.modseq > $4 ORDER BY m.uid LIMIT $5";
	struct store_row *rows;
	struct pg_thread *c;
	PGresult *res;
	int i, n;

	*rows_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query_bin(c, has_cache ? with_cache : without, "iiiii",
	    mailbox_id, (int64_t)lo, (int64_t)hi, (int64_t)changedsince,
	    limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	if (res == NULL)
		return -1;
	if ((n = PQntuples(res)) == 0) {
		PQclear(res);
		return 0;
	}
	rows = xcalloc((size_t)n, sizeof(*rows));
	for (i = 0; i < n; i++)
		row_read(res, i, &rows[i], has_cache);
	PQclear(res);
	if (has_cache)
		cache_fill(c, rows, (size_t)n, (what & STORE_ROW_TEXT) != 0);
	*rows_out = rows;
	*n_out = (size_t)n;
	return 0;
}

int
pg_text_search(struct store *st, const char *needle, bool body_only,
    int64_t **ids_out, size_t *n_out)
{
	struct buf q = BUF_INIT, folded = BUF_INIT, raw = BUF_INIT;
	struct pg_thread *c;
	PGresult *res;
	const char *p;
	int64_t *ids;
	int i, n;

	*ids_out = NULL;
	*n_out = 0;
	/* Trigrams find nothing shorter than three characters. */
	if (store_utf8_chars(needle) < 3 || (c = pg_conn_get(st)) == NULL)
		return -1;
	/* A LIKE pattern of the folded needle: its wildcards and escape
	 * taken literally. */
	raw.data = (char *)needle;
	raw.len = strlen(needle);
	text_clean(&raw, &folded);
	buf_addc(&q, '%');
	for (p = buf_cstr(&folded); *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addc(&q, '\\');
		buf_addc(&q, *p);
	}
	buf_addc(&q, '%');
	buf_free(&folded);
	if (body_only)
		res = pg_query(c, "SELECT body_id FROM text_index WHERE "
		    "body LIKE $1 ORDER BY body_id", "s", buf_cstr(&q));
	else
		res = pg_query(c, "SELECT body_id FROM text_index WHERE "
		    "hdr LIKE $1 OR body LIKE $1 ORDER BY body_id", "s",
		    buf_cstr(&q));
	buf_free(&q);
	if (res == NULL)
		return -1;
	if ((n = PQntuples(res)) > 0) {
		ids = xcalloc((size_t)n, sizeof(*ids));
		for (i = 0; i < n; i++)
			ids[i] = pg_int(res, i, 0);
		*ids_out = ids;
		*n_out = (size_t)n;
	}
	PQclear(res);
	return 0;
}

int
pg_web_order(struct store *st, int64_t mailbox_id, uint32_t **uids_out,
    size_t *n_out)
{
	struct pg_thread *c;

	*uids_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_uids(pg_query(c, "SELECT uid FROM messages WHERE "
	    "mailbox_id = $1 ORDER BY internal_date DESC, uid DESC", "i",
	    mailbox_id), uids_out, n_out);
}

int
pg_web_counts(struct store *st, int64_t mailbox_id, uint32_t *total_out,
    uint32_t *unseen_out)
{
	struct pg_thread *c;
	PGresult *res;
	int rc;

	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT count(*), count(*) FILTER (WHERE "
	    "(flags & 1) = 0) FROM messages WHERE mailbox_id = $1", "i",
	    mailbox_id);
	if (res == NULL)
		return -1;
	if ((rc = PQntuples(res) == 1)) {
		*total_out = (uint32_t)pg_int(res, 0, 0);
		*unseen_out = (uint32_t)pg_int(res, 0, 1);
	}
	PQclear(res);
	return rc ? 0 : -1;
}
