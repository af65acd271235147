/* Helpers shared inside src/mime: the RFC 5322 / RFC 2045 lexer, header
 * line classes, and IMAP string output.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_MIME_INT_H
#define PETREL_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "mime.h"

/* ---- lex.c: tokens of structured fields (RFC 5322 3.2, RFC 2045 5.1) */

enum lex_kind {
	LEX_END,
	LEX_ATOM,	/* atom (RFC 5322) or token (MIME); 8-bit allowed */
	LEX_QSTRING,	/* p/len: inside the quotes, quoted pairs intact */
	LEX_COMMENT,	/* p/len: inside the outer parentheses */
	LEX_DOMLIT,	/* p/len: with the brackets */
	LEX_SPECIAL,	/* c: the special character */
};

struct lex_tok {
	enum lex_kind	 kind;
	const char	*p;
	size_t		 len;
	char		 c;
	bool		 is_ws_before;	/* blanks or a comment before it */
};

struct lex {
	const char	*p;
	size_t		 len;
	size_t		 pos;
	bool		 is_mime;	/* MIME tspecials: "." is in tokens,
					 * "/?=" are specials */
	bool		 has_ws;
};

void	 mime_lex_init(struct lex *lx, const char *p, size_t len,
	    bool is_mime);
/* The next token; comments are returned as tokens. */
enum lex_kind mime_lex_next(struct lex *lx, struct lex_tok *t);
/* The next token that is not a comment. */
enum lex_kind mime_lex_next_nc(struct lex *lx, struct lex_tok *t);
/* Append the text of a quoted string or comment with quoted pairs
 * resolved and line breaks removed (RFC 5322 3.2.4 "unfolding"). */
void	 mime_lex_unquote(const char *p, size_t len, struct buf *out);
/* True for an RFC 5322 atext octet (8-bit counts, RFC 6532 3.2). */
bool	 mime_is_atext(unsigned char c);

/* ---- hdr.c --------------------------------------------------------- */

enum hdr_line {
	HDR_LINE_FIELD,		/* name [WSP] ":" ... */
	HDR_LINE_CONT,		/* starts with a blank */
	HDR_LINE_BLANK,		/* empty: end of the header */
	HDR_LINE_OTHER,		/* none of those: the body begins */
};

/* Classify one header line p[0..len) given without its line break; for a
 * field, *namelen is the name's length (blanks before ":" not counted)
 * and *valoff where the value starts after ":" and blanks. */
enum hdr_line mime_hdr_line_kind(const char *p, size_t len,
	    size_t *namelen, size_t *valoff);
/* True for an mbox "From " separator line. */
bool	 mime_hdr_is_mbox_from(const char *p, size_t len);
/* The field index for a name kept by the parser, or -1. */
int	 mime_hf_lookup(const char *name, size_t len);

/* ---- part.c -------------------------------------------------------- */

/* Read the kept MIME fields of p: type, subtype, parameters, transfer
 * encoding, disposition (RFC 2045 5.2 and RFC 2046 5.1.5 defaults). */
void	 mime_part_eval(struct mime_part *p);

/* ---- encword.c ----------------------------------------------------- */

/* Decode text that may hold encoded words (already unfolded): appends
 * UTF-8. Blanks between two encoded words go, other text stays; raw text
 * is UTF-8 when valid, else windows-1252. Returns false when a charset
 * was unknown (that word is kept as written). */
bool	 mime_ew_decode_text(const char *p, size_t len, struct buf *out);
/* True when p holds an octet over 127. */
bool	 mime_has_8bit(const char *p, size_t len);

/* ---- imap.c: IMAP strings (RFC 3501 4.3) ---------------------------- */

/* Append p as a quoted string, or a literal when it holds CR, LF, NUL or
 * 8-bit octets. */
void	 mime_imap_string(struct buf *out, const char *p, size_t len);
/* The same for a C string, NIL for NULL. */
void	 mime_imap_nstring(struct buf *out, const char *s);
/* Append s uppercased as a quoted string. */
void	 mime_imap_upper(struct buf *out, const char *s);

/* ---- param.c: IMAP body-fld-param --------------------------------- */

/* Append the parameters of a raw Content-Type or Content-Disposition
 * value v (after its first ";") as an IMAP list ("NAME" "value" ...),
 * as UW IMAP and Dovecot write it: values as written, plain parameters
 * first in their order, then RFC 2231 ones with their pieces joined
 * into one "name*" (or "name") value, still %-encoded. Returns false,
 * writing nothing, when there is none (v may be NULL). */
bool	 mime_params_imap_write(const char *v, struct buf *out);

/* ---- build helpers (hdr.c) ----------------------------------------- */

/* Append a blank-separated word to a folded field: fold first when the
 * word would pass 78 columns and something is on the line. */
void	 mime_fold_word(struct buf *out, size_t *col, const char *p,
	    size_t len, bool is_first);

#endif
