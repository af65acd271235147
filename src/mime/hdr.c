/* Header fields (RFC 5322 2.2, 3.6 and the obsolete syntax of 4.5): line
 * classes, the header/body split, field iteration, unfolding, and
 * writing unstructured fields folded and encoded (RFC 2047).
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "mime_int.h"

#define LINE_SOFT	78	/* RFC 5322 2.1.1 */
#define LONG_WORD	900	/* a word this long is encoded to be cut */

static bool
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

enum hdr_line
mime_hdr_line_kind(const char *p, size_t len, size_t *namelen,
    size_t *valoff)
{
	size_t i = 0, n;

	if (len == 0)
		return HDR_LINE_BLANK;
	if (p[0] == ' ' || p[0] == '\t')
		return HDR_LINE_CONT;
	while (i < len && is_ftext((unsigned char)p[i]))
		i++;
	n = i;
	/* RFC 5322 4.5.8 obs-optional: blanks before the colon. */
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (n == 0 || i == len || p[i] != ':')
		return HDR_LINE_OTHER;
	*namelen = n;
	i++;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	*valoff = i;
	return HDR_LINE_FIELD;
}

bool
mime_hdr_is_mbox_from(const char *p, size_t len)
{
	return len >= 5 && memcmp(p, "From ", 5) == 0;
}

static const char *const hf_names[MIME_HF_COUNT] = {
	[MIME_HF_CONTENT_TYPE] = "content-type",
	[MIME_HF_CTE] = "content-transfer-encoding",
	[MIME_HF_DISPOSITION] = "content-disposition",
	[MIME_HF_ID] = "content-id",
	[MIME_HF_DESCRIPTION] = "content-description",
	[MIME_HF_LANGUAGE] = "content-language",
	[MIME_HF_LOCATION] = "content-location",
	[MIME_HF_MD5] = "content-md5",
	[MIME_HF_DATE] = "date",
	[MIME_HF_SUBJECT] = "subject",
	[MIME_HF_FROM] = "from",
	[MIME_HF_SENDER] = "sender",
	[MIME_HF_REPLY_TO] = "reply-to",
	[MIME_HF_TO] = "to",
	[MIME_HF_CC] = "cc",
	[MIME_HF_BCC] = "bcc",
	[MIME_HF_IN_REPLY_TO] = "in-reply-to",
	[MIME_HF_MESSAGE_ID] = "message-id",
};

int
mime_hf_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < MIME_HF_COUNT; i++)
		if (str_ieq(name, len, hf_names[i]))
			return i;
	return -1;
}

/* The line at pos: content [pos, *eol), next line at *next. */
static void
line_at(const char *p, size_t len, size_t pos, size_t *eol, size_t *next)
{
	const char *nl = memchr(p + pos, '\n', len - pos);

	if (nl == NULL) {
		*eol = *next = len;
		return;
	}
	*next = (size_t)(nl - p) + 1;
	*eol = *next - 1;
	if (*eol > pos && p[*eol - 1] == '\r')
		(*eol)--;
}

void
mime_hdr_iter_init(struct mime_hdr_iter *it, const char *p, size_t len)
{
	it->p = p;
	it->len = len;
	it->pos = 0;
	it->is_done = false;
}

/* Extend the field that starts at it->pos over its continuation lines;
 * returns the end of its content and leaves it->pos at the next line. */
static size_t
field_extend(struct mime_hdr_iter *it, size_t eol, size_t next)
{
	size_t e2, n2, nl, vo;

	it->pos = next;
	while (it->pos < it->len) {
		line_at(it->p, it->len, it->pos, &e2, &n2);
		if (mime_hdr_line_kind(it->p + it->pos, e2 - it->pos, &nl,
		    &vo) != HDR_LINE_CONT)
			break;
		eol = e2;
		it->pos = n2;
	}
	return eol;
}

int
mime_hdr_next(struct mime_hdr_iter *it, struct mime_field *f)
{
	size_t eol, next, nl = 0, vo = 0, start;

	while (!it->is_done && it->pos < it->len) {
		start = it->pos;
		line_at(it->p, it->len, start, &eol, &next);
		switch (mime_hdr_line_kind(it->p + start, eol - start, &nl,
		    &vo)) {
		case HDR_LINE_CONT:
			it->pos = next;		/* no field to continue */
			continue;
		case HDR_LINE_OTHER:
			if (start == 0 &&
			    mime_hdr_is_mbox_from(it->p, eol)) {
				it->pos = next;
				continue;
			}
			/* FALLTHROUGH */
		case HDR_LINE_BLANK:
			it->is_done = true;
			return 0;
		case HDR_LINE_FIELD:
			break;
		}
		eol = field_extend(it, eol, next);
		f->name = it->p + start;
		f->namelen = nl;
		f->value = it->p + start + vo;
		f->valuelen = eol > start + vo ? eol - start - vo : 0;
		f->off = start;
		f->len = it->pos - start;
		return 1;
	}
	it->is_done = true;
	return 0;
}

size_t
mime_hdr_split(const char *p, size_t len)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t eol, next;

	mime_hdr_iter_init(&it, p, len);
	while (mime_hdr_next(&it, &f) == 1)
		;
	if (it.pos >= len)
		return len;
	line_at(p, len, it.pos, &eol, &next);
	return eol == it.pos ? next : it.pos;
}

bool
mime_hdr_find(const char *p, size_t len, const char *name,
    struct mime_field *f)
{
	struct mime_hdr_iter it;

	mime_hdr_iter_init(&it, p, len);
	while (mime_hdr_next(&it, f) == 1)
		if (str_ieq(f->name, f->namelen, name))
			return true;
	return false;
}

void
mime_hdr_unfold(const char *p, size_t len, struct buf *out)
{
	size_t i, start = out->len;

	while (len > 0 && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n')) {
		p++;
		len--;
	}
	buf_reserve(out, len);
	for (i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n')
			out->data[out->len++] = p[i];
	while (out->len > start && (out->data[out->len - 1] == ' ' ||
	    out->data[out->len - 1] == '\t'))
		out->len--;
}

/* ---- writing ----------------------------------------------------------- */

/* Append sep and word, folding before sep (RFC 5322 3.2.2: CRLF goes
 * before a blank) when the line would pass 78 columns. */
static void
fold_put(struct buf *out, size_t *col, const char *sep, size_t seplen,
    const char *w, size_t wlen)
{
	if (*col > 1 && seplen > 0 && *col + seplen + wlen > LINE_SOFT) {
		buf_add(out, "\r\n", 2);
		*col = 0;
	}
	buf_add(out, sep, seplen);
	buf_add(out, w, wlen);
	*col += seplen + wlen;
}

void
mime_fold_word(struct buf *out, size_t *col, const char *p, size_t len,
    bool is_first)
{
	fold_put(out, col, " ", is_first ? 0 : 1, p, len);
}

/* Put space-separated words (encoded words) with folds between them. */
static void
fold_words(struct buf *out, size_t *col, const char *sep, size_t seplen,
    const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *sp = memchr(p + i, ' ', len - i);
		size_t e = sp ? (size_t)(sp - p) : len;

		fold_put(out, col, sep, seplen, p + i, e - i);
		sep = " ";
		seplen = 1;
		i = e + 1;
	}
}

static bool
needs_ew(const char *w, size_t n, unsigned flags)
{
	if (n > LONG_WORD)
		return true;
	if (!(flags & MIME_WRITE_UTF8) && mime_has_8bit(w, n))
		return true;
	/* Text that reads as an encoded word must be encoded to survive. */
	return memmem(w, n, "=?", 2) != NULL;
}

/* The word at i: skips blanks to *ws, returns the end of the word. */
static size_t
next_word(const char *p, size_t len, size_t i, size_t *ws)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	*ws = i;
	while (i < len && p[i] != ' ' && p[i] != '\t')
		i++;
	return i;
}

/* Write value text: words as they are, runs of words needing it as
 * encoded words (the blanks inside a run are encoded with it). */
static void
write_text(struct buf *out, size_t *col, const char *p, size_t len,
    unsigned flags)
{
	struct buf ew = BUF_INIT;
	size_t i = 0, ws, e, ws2, e2;
	bool is_first = true;

	while ((e = next_word(p, len, i, &ws)) > ws) {
		const char *sep = is_first ? "" : p + i;
		size_t seplen = is_first ? 0 : ws - i;

		if (!needs_ew(p + ws, e - ws, flags)) {
			fold_put(out, col, sep, seplen, p + ws, e - ws);
		} else {
			while ((e2 = next_word(p, len, e, &ws2)) > ws2 &&
			    needs_ew(p + ws2, e2 - ws2, flags))
				e = e2;
			buf_reset(&ew);
			mime_encword_encode(p + ws, e - ws, MIME_EW_TEXT,
			    *col + seplen, &ew);
			fold_words(out, col, sep, seplen, ew.data, ew.len);
		}
		is_first = false;
		i = e;
	}
	buf_free(&ew);
}

void
mime_hdr_write(struct buf *out, const char *name, const char *value,
    unsigned flags)
{
	struct buf v = BUF_INIT;
	size_t col, i;

	/* A line break in a value would start a new field: never. */
	buf_adds(&v, value);
	for (i = 0; i < v.len; i++)
		if (v.data[i] == '\r' || v.data[i] == '\n' || v.data[i] == 0)
			v.data[i] = ' ';
	buf_adds(out, name);
	buf_adds(out, ": ");
	col = strlen(name) + 2;
	write_text(out, &col, v.data ? v.data : "", v.len, flags);
	buf_add(out, "\r\n", 2);
	buf_free(&v);
}
