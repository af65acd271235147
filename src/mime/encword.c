/* Encoded words (RFC 2047, with the RFC 2231 5 language suffix): decoding
 * in unstructured text and phrases, and encoding UTF-8 text as B or Q
 * words of at most 75 characters.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/b64.h"
#include "lib/str.h"
#include "mime_int.h"

#define EW_MAX		75	/* RFC 2047 2 */
#define EW_OVERHEAD	12	/* "=?utf-8?Q?" and "?=" */

bool
mime_has_8bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

struct ew {
	const char	*cs;		/* charset, up to "?" */
	size_t		 cslen;
	char		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 textlen;
	size_t		 len;		/* whole word */
};

/* Recognise an encoded word starting at p (RFC 2047 2): charset, "?",
 * B or Q, "?", text without "?=" inside, "?=". Like most readers we do
 * not insist on the 75-character limit or on blanks around the word. */
static bool
ew_scan(const char *p, size_t len, struct ew *w)
{
	const char *q, *end = p + len;

	if (len < 8 || p[0] != '=' || p[1] != '?')
		return false;
	w->cs = p + 2;
	for (q = w->cs; q < end && *q != '?'; q++)
		if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			return false;
	w->cslen = (size_t)(q - w->cs);
	if (w->cslen == 0 || w->cslen > 60 || end - q < 5 || q[2] != '?')
		return false;
	if (q[1] != 'B' && q[1] != 'b' && q[1] != 'Q' && q[1] != 'q')
		return false;
	w->enc = (char)(q[1] & ~0x20);
	w->text = q + 3;
	for (q = w->text; q + 1 < end; q++)
		if (q[0] == '?' && q[1] == '=')
			break;
	if (q + 1 >= end)
		return false;
	w->textlen = (size_t)(q - w->text);
	w->len = (size_t)(q + 2 - p);
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The octets of an encoded word's text (RFC 2047 4.1, 4.2). */
static void
ew_octets(const struct ew *w, struct buf *out)
{
	struct b64_dec d;
	size_t i;
	int hi, lo;

	if (w->enc == 'B') {
		b64_dec_init(&d);
		b64_dec_update(&d, w->text, w->textlen, out);
		return;
	}
	for (i = 0; i < w->textlen; i++) {
		char c = w->text[i];

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < w->textlen &&
		    (hi = hexval(w->text[i + 1])) >= 0 &&
		    (lo = hexval(w->text[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		buf_addc(out, c);
	}
}

static bool
cs_copy(const struct ew *w, char *cs, size_t size)
{
	if (w->cslen >= size)
		return false;
	memcpy(cs, w->cs, w->cslen);
	cs[w->cslen] = '\0';
	return true;
}

int
mime_encword_decode(const char *p, size_t len, struct buf *out)
{
	struct buf raw = BUF_INIT;
	struct ew w;
	char cs[64];
	int rc = 1;

	if (!ew_scan(p, len, &w) || w.len != len)
		return 0;
	if (!cs_copy(&w, cs, sizeof(cs)))
		return -1;
	ew_octets(&w, &raw);
	if (mime_charset_to_utf8(cs, raw.data ? raw.data : "", raw.len,
	    out) == -1)
		rc = -1;
	buf_free(&raw);
	return rc;
}

/* Decoding state: octets of adjacent words in one charset are converted
 * together, so a character split across words (a common encoder bug)
 * survives. */
struct ewdec {
	struct buf	*out;
	struct buf	 pend;
	char		 cs[64];
	bool		 has_pend;
	bool		 is_raw_utf8;
	bool		 is_ok;
};

static void
ewd_flush(struct ewdec *d)
{
	if (!d->has_pend)
		return;
	mime_charset_to_utf8(d->cs, d->pend.data ? d->pend.data : "",
	    d->pend.len, d->out);
	buf_reset(&d->pend);
	d->has_pend = false;
}

static void
ewd_raw(struct ewdec *d, const char *p, size_t len)
{
	ewd_flush(d);
	if (d->is_raw_utf8)
		buf_add(d->out, p, len);
	else
		mime_charset_to_utf8("windows-1252", p, len, d->out);
}

/* One encoded word; false when its charset is unknown. */
static bool
ewd_word(struct ewdec *d, const struct ew *w)
{
	char cs[64];

	if (!cs_copy(w, cs, sizeof(cs)) || !mime_charset_is_known(cs))
		return false;
	if (d->has_pend && strcmp(cs, d->cs) != 0)
		ewd_flush(d);
	memcpy(d->cs, cs, sizeof(cs));
	d->has_pend = true;
	ew_octets(w, &d->pend);
	return true;
}

static bool
is_blank_run(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

bool
mime_ew_decode_text(const char *p, size_t len, struct buf *out)
{
	struct ewdec d;
	struct ew w;
	size_t i = 0, raw = 0;
	bool was_ew = false;

	memset(&d, 0, sizeof(d));
	d.out = out;
	d.is_ok = true;
	d.is_raw_utf8 = mime_utf8_is_valid(p, len);
	while (i < len) {
		const char *q = memchr(p + i, '=', len - i);

		if (q == NULL)
			break;
		i = (size_t)(q - p);
		if (!ew_scan(q, len - i, &w)) {
			i++;
			continue;
		}
		/* RFC 2047 6.2: blanks between two encoded words go. */
		if (!(was_ew && is_blank_run(p + raw, i - raw)))
			ewd_raw(&d, p + raw, i - raw);
		if (ewd_word(&d, &w)) {
			was_ew = true;
		} else {
			ewd_raw(&d, q, w.len);
			d.is_ok = false;
			was_ew = false;
		}
		i += w.len;
		raw = i;
	}
	ewd_raw(&d, p + raw, len - raw);
	ewd_flush(&d);
	buf_free(&d.pend);
	return d.is_ok;
}

bool
mime_hdr_decode(const char *p, size_t len, struct buf *out)
{
	struct buf u = BUF_INIT;
	bool ok;

	mime_hdr_unfold(p, len, &u);
	ok = mime_ew_decode_text(u.data ? u.data : "", u.len, out);
	buf_free(&u);
	return ok;
}

/* ---- encoding -------------------------------------------------------- */

static bool
q_safe(unsigned char c)
{
	/* RFC 2047 5 rule 3: safe even inside a phrase. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/' || c == ' ';
}

static size_t
q_len(const unsigned char *s, size_t n)
{
	size_t i, l = 0;

	for (i = 0; i < n; i++)
		l += q_safe(s[i]) ? 1 : 3;
	return l;
}

/* Length of the UTF-8 character starting at s (1 for a stray octet). */
static size_t
char_len(const unsigned char *s, size_t left)
{
	size_t n = 1;

	while (n < left && n < 4 && (s[n] & 0xC0) == 0x80)
		n++;
	return (s[0] & 0x80) ? n : 1;
}

static void
ew_put(const char *p, size_t n, bool is_b, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	buf_adds(out, is_b ? "=?utf-8?B?" : "=?utf-8?Q?");
	if (is_b) {
		b64_encode(p, n, out);
	} else {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c == ' ')
				buf_addc(out, '_');
			else if (q_safe(c))
				buf_addc(out, (char)c);
			else {
				buf_addc(out, '=');
				buf_addc(out, hex[c >> 4]);
				buf_addc(out, hex[c & 15]);
			}
		}
	}
	buf_adds(out, "?=");
}

void
mime_encword_encode(const char *p, size_t len, enum mime_ew_ctx ctx,
    size_t col, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, room = EW_MAX - EW_OVERHEAD;
	bool is_b = (len + 2) / 3 * 4 < q_len(s, len);

	/* Room on the first line; with too little the caller folds. */
	if (col + EW_OVERHEAD + 16 <= 76)
		room = 76 - col - EW_OVERHEAD < room ? 76 - col - EW_OVERHEAD :
		    room;

	(void)ctx;	/* the Q set above is safe in both contexts */
	while (i < len) {
		size_t n = 0, w = 0;

		/* Take whole characters while the word stays within 75. */
		while (i + n < len) {
			size_t c = char_len(s + i + n, len - i - n);
			size_t nw = is_b ? (n + c + 2) / 3 * 4 :
			    w + q_len(s + i + n, c);

			if (nw > room && n > 0)
				break;
			n += c;
			w = nw;
		}
		if (i > 0)
			buf_addc(out, ' ');
		ew_put(p + i, n, is_b, out);
		i += n;
		room = EW_MAX - EW_OVERHEAD;
	}
}
