/* Quoted-printable codec, RFC 2045 section 6.7.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "qp.h"

enum {
	QD_TEXT,	/* ordinary text; pend holds whitespace and CR */
	QD_EQ,		/* after "=" */
	QD_EQ1,		/* after "=" and one hex digit */
	QD_EQ_WS,	/* after "=" and whitespace: maybe a soft break */
};

/* Hex digit values plus one; 0 for others. Rule 1 asks for uppercase;
 * a robust decoder takes lowercase too. */
static const unsigned char hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int
hexval(unsigned char c)
{
	return (int)hexv[c] - 1;
}

/* Octets the decoder must look at one by one. */
static const unsigned char qp_special[256] = {
	['='] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1, ['\t'] = 1,
};

void
qp_dec_init(struct qp_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->state = QD_TEXT;
}

static char *
flush_pend(struct qp_dec *d, char *o)
{
	memcpy(o, d->pend, d->npend);
	o += d->npend;
	d->npend = 0;
	return o;
}

/* Hold whitespace (or CR) whose meaning depends on what follows; a run
 * longer than the hold is not trailing whitespace anyone meant to drop. */
static char *
hold(struct qp_dec *d, char c, char *o)
{
	if (d->npend == QP_PEND_MAX) {
		if (d->state == QD_EQ_WS) {
			*o++ = '=';
			d->state = QD_TEXT;
		}
		o = flush_pend(d, o);
	}
	d->pend[d->npend++] = c;
	return o;
}

/* A line break: rule 3 drops the trailing whitespace held before it. */
static char *
line_end(struct qp_dec *d, char *o)
{
	if (d->npend > 0 && d->pend[d->npend - 1] == '\r')
		*o++ = '\r';
	d->npend = 0;
	*o++ = '\n';
	return o;
}

/* One byte in the text state. */
static char *
dec_text(struct qp_dec *d, unsigned char c, char *o)
{
	switch (c) {
	case ' ':
	case '\t':
	case '\r':
		return hold(d, (char)c, o);
	case '\n':
		return line_end(d, o);
	case '=':
		o = flush_pend(d, o);
		d->state = QD_EQ;
		return o;
	default:
		if (d->npend > 0)
			o = flush_pend(d, o);
		*o++ = (char)c;
		return o;
	}
}

/* One byte after "=", "=X" or "=" whitespace. */
static char *
dec_escape(struct qp_dec *d, unsigned char c, char *o)
{
	int v;

	switch (d->state) {
	case QD_EQ:
		if ((v = hexval(c)) >= 0) {
			d->hex = v;
			d->state = QD_EQ1;
			return o;
		}
		if (c == '\n') {
			d->state = QD_TEXT;
			return o;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			d->state = QD_EQ_WS;
			return hold(d, (char)c, o);
		}
		/* Rule 5 note: a lone "=" is kept as it is. */
		d->is_dirty = true;
		*o++ = '=';
		break;
	case QD_EQ1:
		if ((v = hexval(c)) >= 0) {
			*o++ = (char)(d->hex << 4 | v);
			d->state = QD_TEXT;
			return o;
		}
		d->is_dirty = true;
		*o++ = '=';
		*o++ = "0123456789ABCDEF"[d->hex];
		break;
	case QD_EQ_WS:
		if (c == ' ' || c == '\t' || c == '\r')
			return hold(d, (char)c, o);
		if (c == '\n') {
			/* Rule 3: whitespace added in transport after a soft
			 * break is dropped with it. */
			d->npend = 0;
			d->state = QD_TEXT;
			return o;
		}
		d->is_dirty = true;
		*o++ = '=';
		o = flush_pend(d, o);
		break;
	}
	d->state = QD_TEXT;
	return dec_text(d, c, o);
}

void
qp_dec_update(struct qp_dec *d, const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	const unsigned char *end = s + len;
	char *o;

	buf_reserve(out, len + QP_PEND_MAX + 4);
	o = out->data + out->len;
	while (s < end) {
		if (d->state != QD_TEXT) {
			o = dec_escape(d, *s++, o);
			continue;
		}
		/* Fast path: runs of ordinary characters and whole escapes. */
		if (d->npend == 0) {
			const unsigned char *r = s;
			int hi, lo;

			while (r < end && !qp_special[*r])
				r++;
			memcpy(o, s, (size_t)(r - s));
			o += r - s;
			s = r;
			if (s == end)
				break;
			while (end - s >= 3 && *s == '=' &&
			    (hi = hexv[s[1]]) != 0 && (lo = hexv[s[2]]) != 0) {
				*o++ = (char)((hi - 1) << 4 | (lo - 1));
				s += 3;
			}
			if (s == end || !qp_special[*s])
				continue;
		}
		o = dec_text(d, *s++, o);
	}
	out->len = (size_t)(o - out->data);
}

void
qp_dec_final(struct qp_dec *d, struct buf *out)
{
	char tail[2];

	if (d->state == QD_EQ1) {
		tail[0] = '=';
		tail[1] = "0123456789ABCDEF"[d->hex];
		buf_add(out, tail, 2);
	}
	/* A held CR is data, not whitespace; the spaces before it are kept
	 * too, since they are not at the end of a line. */
	if (d->state == QD_TEXT && d->npend > 0 &&
	    memchr(d->pend, '\r', d->npend) != NULL)
		buf_add(out, d->pend, d->npend);
	d->npend = 0;
	d->state = QD_TEXT;
}

void
qp_enc_init(struct qp_enc *e, bool is_binary)
{
	memset(e, 0, sizeof(*e));
	e->ws = -1;
	e->is_binary = is_binary;
}

/* Write a token of n characters, breaking the line softly first when the
 * token and a closing "=" would not fit in 76 columns. */
static void
enc_token(struct qp_enc *e, const char *t, size_t n, struct buf *out)
{
	if (e->col + n > 75) {
		buf_add(out, "=\r\n", 3);
		e->col = 0;
	}
	buf_add(out, t, n);
	e->col += n;
}

static void
enc_octet(struct qp_enc *e, unsigned char c, struct buf *out)
{
	char t[3];

	t[0] = '=';
	t[1] = "0123456789ABCDEF"[c >> 4];
	t[2] = "0123456789ABCDEF"[c & 15];
	enc_token(e, t, 3, out);
}

/* Flush held whitespace: encoded when a line break follows (rule 3). */
static void
enc_flush_ws(struct qp_enc *e, bool at_eol, struct buf *out)
{
	char c;

	if (e->ws < 0)
		return;
	c = (char)e->ws;
	e->ws = -1;
	if (at_eol)
		enc_octet(e, (unsigned char)c, out);
	else
		enc_token(e, &c, 1, out);
}

static void
enc_hard_break(struct qp_enc *e, struct buf *out)
{
	enc_flush_ws(e, true, out);
	buf_add(out, "\r\n", 2);
	e->col = 0;
	e->linestart = 0;
}

static bool
must_encode(struct qp_enc *e, unsigned char c, const unsigned char *s,
    size_t left)
{
	if (c == '=' || c >= 127 || (c < 32 && c != '\t'))
		return true;
	/* RFC 2049 section 3 (8): protect "From " at the start of a line
	 * from mbox writers, and a lone "." from SMTP-unaware relays. */
	if (e->linestart == 0 && e->col == 0) {
		if (c == 'F' && left >= 5 && memcmp(s, "From ", 5) == 0)
			return true;
		if (c == '.')
			return true;
	}
	return false;
}

static void
enc_byte(struct qp_enc *e, const unsigned char *s, size_t left,
    struct buf *out)
{
	unsigned char c = *s;
	char t;

	if (!e->is_binary && (c == '\n' || c == '\r')) {
		/* CRLF and bare LF both end a line; a CR is held until we
		 * know whether LF follows. */
		if (c == '\r') {
			if (e->was_cr)
				enc_hard_break(e, out);
			e->was_cr = true;
			return;
		}
		e->was_cr = false;
		enc_hard_break(e, out);
		return;
	}
	if (e->was_cr) {
		e->was_cr = false;
		enc_hard_break(e, out);
	}
	enc_flush_ws(e, false, out);
	if (c == ' ' || c == '\t') {
		e->ws = c;
	} else if (must_encode(e, c, s, left)) {
		enc_octet(e, c, out);
	} else {
		t = (char)c;
		enc_token(e, &t, 1, out);
	}
	e->linestart++;
}

void
qp_enc_update(struct qp_enc *e, const void *p, size_t len, struct buf *out)
{
	const unsigned char *s = p;
	size_t i;

	buf_reserve(out, len + len / 2);
	for (i = 0; i < len; i++)
		enc_byte(e, s + i, len - i, out);
}

void
qp_enc_final(struct qp_enc *e, struct buf *out)
{
	if (e->was_cr) {
		e->was_cr = false;
		enc_hard_break(e, out);
	}
	enc_flush_ws(e, true, out);
}
