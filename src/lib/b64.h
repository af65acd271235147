/* Base64 (RFC 4648 section 4) as MIME uses it (RFC 2045 section 6.8): a
 * streaming decoder that tolerates broken input, a streaming encoder that
 * writes CRLF-terminated lines, and strict one-shot forms for SASL and DKIM.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_B64_H
#define PETREL_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct b64_dec {
	uint32_t	 bits;		/* sextets of the current quantum */
	unsigned	 quad;		/* sextets in the quantum, 0..3 */
	unsigned	 pads;		/* "=" seen in the current quantum */
	bool		 is_done;	/* padding ended the data */
	bool		 is_dirty;	/* skipped a non-alphabet character */
};

struct b64_enc {
	unsigned char	 rem[3];	/* input not yet a full quantum */
	unsigned	 nrem;
	size_t		 col;		/* characters on the current line */
	size_t		 linelen;	/* 0: no line breaks */
};

/* Start decoding. */
void	 b64_dec_init(struct b64_dec *d);
/* Decode len bytes at p and append the octets to out. Characters outside
 * the alphabet (line breaks, spaces, junk) are skipped (RFC 2045 6.8); an
 * "=" that completes a quantum ends the data, and the rest of the input is
 * ignored. "=" in the first two positions of a quantum is skipped. */
void	 b64_dec_update(struct b64_dec *d, const char *p, size_t len,
	    struct buf *out);
/* True when the input seen so far ended on a quantum boundary or with
 * proper padding and held nothing outside the alphabet but whitespace.
 * Bits of an incomplete last quantum are dropped (they hold no whole
 * octet). */
bool	 b64_dec_is_clean(const struct b64_dec *d);

/* Strict decode of p[0..len) (RFC 4648 3.3: no line breaks, padding
 * required, nothing outside the alphabet). Appends to out; returns 0, or
 * -1 on bad input (out then holds a partial result). */
int	 b64_decode(const char *p, size_t len, struct buf *out);
/* Encode p[0..len) on one line with padding, appended to out. */
void	 b64_encode(const void *p, size_t len, struct buf *out);
/* Characters b64_encode() writes for len octets. */
size_t	 b64_encoded_len(size_t len);

/* Start a streaming encoder writing lines of linelen characters (rounded
 * down to a multiple of 4; at most 76 as RFC 2045 6.8 asks) ending in
 * CRLF; linelen 0 writes one line without a break. */
void	 b64_enc_init(struct b64_enc *e, size_t linelen);
void	 b64_enc_update(struct b64_enc *e, const void *p, size_t len,
	    struct buf *out);
/* Write the last quantum with padding and, when lines are on and the last
 * line is not empty, a final CRLF. */
void	 b64_enc_final(struct b64_enc *e, struct buf *out);

#endif
