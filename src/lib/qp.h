/* Quoted-printable (RFC 2045 section 6.7): a streaming decoder that
 * tolerates broken input, and a streaming encoder that keeps lines within
 * 76 characters. The "Q" form for headers lives with encoded words
 * (src/mime/encword.c).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_QP_H
#define PETREL_QP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define QP_PEND_MAX	64

struct qp_dec {
	int		 state;
	int		 hex;			/* first digit after "=" */
	size_t		 npend;			/* held whitespace and CR */
	char		 pend[QP_PEND_MAX];
	bool		 is_dirty;		/* saw a malformed escape */
};

struct qp_enc {
	size_t		 col;		/* characters on the current line */
	int		 ws;		/* held space or tab, or -1 */
	bool		 is_binary;	/* encode CR and LF too */
	bool		 was_cr;	/* text mode: last byte was CR */
	size_t		 linestart;	/* bytes of the current input line */
};

/* Start decoding. */
void	 qp_dec_init(struct qp_dec *d);
/* Decode len bytes at p, appending to out. Line breaks (CRLF or LF) are
 * copied as they are; "=" then a line break is a soft break; "=XX" with
 * upper- or lowercase hex is an octet; any other "=" is kept literally;
 * whitespace at the end of a line is dropped (RFC 2045 6.7 rules 1-5). */
void	 qp_dec_update(struct qp_dec *d, const char *p, size_t len,
	    struct buf *out);
/* End of input: a held "=X" is written literally, trailing whitespace and
 * a final "=" are dropped. */
void	 qp_dec_final(struct qp_dec *d, struct buf *out);

/* Start encoding. Text mode turns each line break of the input (CRLF or
 * LF) into a CRLF hard break; binary mode encodes CR and LF as =0D =0A.
 * Lines are at most 76 characters (soft breaks "=" CRLF). */
void	 qp_enc_init(struct qp_enc *e, bool is_binary);
void	 qp_enc_update(struct qp_enc *e, const void *p, size_t len,
	    struct buf *out);
/* Flush held whitespace; the output then does not end in a line break
 * unless the input did. */
void	 qp_enc_final(struct qp_enc *e, struct buf *out);

#endif
