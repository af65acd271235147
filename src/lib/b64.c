/* Base64 codec, RFC 4648 section 4, with the MIME rules of RFC 2045 6.8.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "b64.h"

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for the alphabet, 64 for "=", 65 for whitespace, 66 for others. */
#define B64_PAD		64
#define B64_WS		65
#define B64_BAD		66

static const unsigned char b64_val[256] = {
#define X B64_BAD
	X, X, X, X, X, X, X, X, X, 65, 65, X, X, 65, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	65, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, 64, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

void
b64_dec_init(struct b64_dec *d)
{
	memset(d, 0, sizeof(*d));
}

/* The slow path: one character that is not a plain sextet. */
static void
dec_special(struct b64_dec *d, unsigned v)
{
	if (v == B64_WS)
		return;
	if (v != B64_PAD) {
		d->is_dirty = true;
		return;
	}
	/* RFC 2045 6.8: "=" may be taken as the end of the data. Early in a
	 * quantum it cannot be padding, so it is skipped as junk. */
	if (d->quad < 2) {
		d->is_dirty = true;
		return;
	}
	if (d->quad + ++d->pads >= 4)
		d->is_done = true;
}

/* Whole quanta of four alphabet characters at s: the common case, done
 * without the state machine. Returns the characters used. */
static size_t
dec_quads(const unsigned char *s, size_t len, unsigned char **o)
{
	size_t i = 0;

	while (len - i >= 4) {
		unsigned a = b64_val[s[i]], b = b64_val[s[i + 1]];
		unsigned c = b64_val[s[i + 2]], e = b64_val[s[i + 3]];
		uint32_t q = (uint32_t)a << 18 | (uint32_t)b << 12 |
		    (uint32_t)c << 6 | e;

		if ((a | b | c | e) & 0xc0)
			break;
		(*o)[0] = (unsigned char)(q >> 16);
		(*o)[1] = (unsigned char)(q >> 8);
		(*o)[2] = (unsigned char)q;
		*o += 3;
		i += 4;
	}
	return i;
}

void
b64_dec_update(struct b64_dec *d, const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned char *o;
	size_t i;

	if (d->is_done || len == 0)
		return;
	buf_reserve(out, len / 4 * 3 + 3);
	o = (unsigned char *)out->data + out->len;
	for (i = 0; i < len && !d->is_done; i++) {
		unsigned v;

		if (d->quad == 0 && (i += dec_quads(s + i, len - i, &o)) >= len)
			break;
		if ((v = b64_val[s[i]]) >= 64) {
			dec_special(d, v);
			continue;
		}
		if (d->pads > 0) {
			/* Data after a partial pad: not canonical. */
			d->is_dirty = true;
			d->pads = 0;
		}
		d->bits = d->bits << 6 | v;
		if (d->quad == 0) {
			d->quad = 1;
			continue;
		}
		*o++ = (unsigned char)(d->bits >> (6 - 2 * d->quad));
		d->quad = (d->quad + 1) & 3;
		if (d->quad == 0)
			d->bits = 0;
	}
	out->len = (size_t)((char *)o - out->data);
}

bool
b64_dec_is_clean(const struct b64_dec *d)
{
	return !d->is_dirty && (d->quad == 0 || d->is_done);
}

int
b64_decode(const char *p, size_t len, struct buf *out)
{
	struct b64_dec d;
	size_t i, pads = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned v = b64_val[(unsigned char)p[i]];

		if (v == B64_PAD && i + 2 >= len && pads < 2 &&
		    (i + 1 == len || p[i + 1] == '=')) {
			pads++;
			continue;
		}
		if (v >= 64 || pads > 0)
			return -1;
	}
	b64_dec_init(&d);
	b64_dec_update(&d, p, len, out);
	/* RFC 4648 3.5: the pad bits must be zero in a canonical encoding. */
	if (pads > 0 && (d.bits & ((1u << (pads * 2)) - 1)) != 0)
		return -1;
	return 0;
}

size_t
b64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

static void
enc_quantum(const unsigned char *s, unsigned n, char *o)
{
	uint32_t v = (uint32_t)s[0] << 16;

	if (n > 1)
		v |= (uint32_t)s[1] << 8;
	if (n > 2)
		v |= s[2];
	o[0] = b64_alpha[v >> 18];
	o[1] = b64_alpha[(v >> 12) & 63];
	o[2] = n > 1 ? b64_alpha[(v >> 6) & 63] : '=';
	o[3] = n > 2 ? b64_alpha[v & 63] : '=';
}

void
b64_encode(const void *p, size_t len, struct buf *out)
{
	struct b64_enc e;

	b64_enc_init(&e, 0);
	b64_enc_update(&e, p, len, out);
	b64_enc_final(&e, out);
}

void
b64_enc_init(struct b64_enc *e, size_t linelen)
{
	memset(e, 0, sizeof(*e));
	if (linelen > 76)
		linelen = 76;
	e->linelen = linelen / 4 * 4;
	if (linelen > 0 && e->linelen == 0)
		e->linelen = 4;
}

/* Append one encoded quantum, breaking the line first when it is full. */
static void
enc_put(struct b64_enc *e, const unsigned char *s, unsigned n, char *o,
    size_t *olen)
{
	if (e->linelen > 0 && e->col == e->linelen) {
		o[(*olen)++] = '\r';
		o[(*olen)++] = '\n';
		e->col = 0;
	}
	enc_quantum(s, n, o + *olen);
	*olen += 4;
	e->col += 4;
}

void
b64_enc_update(struct b64_enc *e, const void *p, size_t len, struct buf *out)
{
	const unsigned char *s = p;
	size_t olen = 0, need;
	char *o;

	if (e->nrem + len < 3) {
		memcpy(e->rem + e->nrem, s, len);
		e->nrem += (unsigned)len;
		return;
	}
	need = (e->nrem + len) / 3 * 4;
	if (e->linelen > 0)
		need += (need / e->linelen + 1) * 2;
	buf_reserve(out, need);
	o = out->data + out->len;
	if (e->nrem > 0) {
		unsigned take = 3 - e->nrem;

		memcpy(e->rem + e->nrem, s, take);
		enc_put(e, e->rem, 3, o, &olen);
		s += take;
		len -= take;
		e->nrem = 0;
	}
	for (; len >= 3; s += 3, len -= 3)
		enc_put(e, s, 3, o, &olen);
	memcpy(e->rem, s, len);
	e->nrem = (unsigned)len;
	out->len += olen;
}

void
b64_enc_final(struct b64_enc *e, struct buf *out)
{
	size_t olen = 0;

	buf_reserve(out, 8);
	if (e->nrem > 0)
		enc_put(e, e->rem, e->nrem, out->data + out->len, &olen);
	out->len += olen;
	if (e->linelen > 0 && e->col > 0)
		buf_add(out, "\r\n", 2);
	e->nrem = 0;
	e->col = 0;
}
