/* The Internet message and MIME library: RFC 5322 header fields, addresses
 * and dates; MIME (RFC 2045-2049) with encoded words (RFC 2047) and
 * parameter continuations (RFC 2231); UTF-8 headers (RFC 6532); the IMAP
 * ENVELOPE and BODYSTRUCTURE (RFC 3501 7.4.2); a message builder and an
 * 8-bit to 7-bit downgrade. It uses only src/lib. docs/MIME.md has the
 * overview and the limits.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_MIME_H
#define PETREL_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/qp.h"

/* ---- Header fields (hdr.c) ---------------------------------------- */

/* One header field, pointing into the parsed buffer. */
struct mime_field {
	const char	*name;		/* field name, without the colon */
	size_t		 namelen;
	const char	*value;		/* raw value: after the colon and its
					 * leading blanks, still folded, without
					 * the line break that ends the field */
	size_t		 valuelen;
	size_t		 off;		/* offset of the field in the buffer */
	size_t		 len;		/* bytes including the final break */
};

struct mime_hdr_iter {
	const char	*p;
	size_t		 len;
	size_t		 pos;
	bool		 is_done;
};

/* Where the header ends: returns the offset of the body, just past the
 * empty line (CRLF or bare LF) that ends the header, or the offset of the
 * first line that cannot be a header line (RFC 5322 2.1 and 4: obsolete
 * "name WSP :" is accepted), or len when the header runs to the end. */
size_t	 mime_hdr_split(const char *p, size_t len);
/* Walk the fields of the header at p[0..len) (a whole message is fine:
 * the walk stops where mime_hdr_split() puts the body). A leading mbox
 * "From " line and a continuation line with no field before it are
 * skipped. */
void	 mime_hdr_iter_init(struct mime_hdr_iter *it, const char *p,
	    size_t len);
/* 1 with *f set to the next field, 0 at the end of the header. */
int	 mime_hdr_next(struct mime_hdr_iter *it, struct mime_field *f);
/* The first field named name (case-insensitive) in the header at p; true
 * when found. */
bool	 mime_hdr_find(const char *p, size_t len, const char *name,
	    struct mime_field *f);
/* Append the value at p unfolded (RFC 5322 2.2.3: each line break that
 * precedes a blank is removed) with leading and trailing blanks dropped. */
void	 mime_hdr_unfold(const char *p, size_t len, struct buf *out);
/* Append the value of an unstructured field (Subject, Comments...) for
 * display: unfolded, encoded words decoded (RFC 2047 6.2: blanks between
 * two encoded words dropped), every charset turned into UTF-8. Raw 8-bit
 * text is UTF-8 (RFC 6532) when valid, else read as windows-1252. Returns
 * false when some charset was unknown or some encoded word broken (its
 * text is then kept as it was). */
bool	 mime_hdr_decode(const char *p, size_t len, struct buf *out);

#define MIME_WRITE_UTF8		0x01	/* RFC 6532: leave UTF-8 raw */

/* Append "Name: value" CRLF for an unstructured value given in UTF-8:
 * non-ASCII words become RFC 2047 encoded words unless MIME_WRITE_UTF8,
 * and the field is folded at blanks to lines of at most 78 characters
 * where a blank allows it (never over 998: a longer word is cut). */
void	 mime_hdr_write(struct buf *out, const char *name, const char *value,
	    unsigned flags);

/* ---- Addresses (addr.c) ------------------------------------------- */

enum mime_addr_kind {
	MIME_ADDR_MAILBOX,
	MIME_ADDR_GROUP_START,		/* name is the group's display name */
	MIME_ADDR_GROUP_END,
};

struct mime_addr {
	enum mime_addr_kind kind;
	char		*name;		/* display name decoded to UTF-8, or
					 * NULL; for a mailbox without one, the
					 * comment after it, as old mail did */
	char		*name_raw;	/* the phrase as written: quotes and
					 * comments removed, blanks collapsed,
					 * encoded words left alone; or NULL */
	char		*local;		/* local part, unquoted; never NULL
					 * for a mailbox */
	char		*domain;	/* domain, "[literal]" kept; or NULL */
	char		*route;		/* obsolete route "@a,@b", or NULL */
};

struct mime_addr_list {
	struct mime_addr *v;
	size_t		 n;
};

/* Parse an address-list (RFC 5322 3.4) with groups, comments, quoted
 * local parts, domain literals, the obsolete forms of 4.4 and UTF-8
 * (RFC 6532). Tolerant: an entry that makes no sense is skipped and the
 * parse goes on at the next comma. Appends to out (start it zeroed);
 * returns the number of mailboxes found. */
size_t	 mime_addr_parse(const char *p, size_t len, struct mime_addr_list *out);
void	 mime_addr_list_free(struct mime_addr_list *l);
/* Append the addr-spec of a mailbox: the local part quoted when it is
 * not a dot-atom (RFC 5322 3.4.1), "@", the domain. */
void	 mime_addr_spec_write(const struct mime_addr *a, struct buf *out);
/* Append the list as the value of a field whose name takes col columns
 * ("To: " is 4): display names quoted or encoded as needed (RFC 2047 5
 * rule 3, or raw UTF-8 with MIME_WRITE_UTF8), folded between addresses
 * to keep lines within 78 columns. No final CRLF. */
void	 mime_addr_list_write(const struct mime_addr_list *l, size_t col,
	    unsigned flags, struct buf *out);

/* ---- Dates (date.c) ----------------------------------------------- */

#define MIME_DATE_LEN	40	/* room for mime_date_format() */

/* Parse an RFC 5322 3.3 date-time, with the obsolete forms of 4.3 (two-
 * and three-digit years, alphabetic and military zones, comments, blanks
 * anywhere) and missing weekday or seconds. 0 with the instant in *t_out
 * and the zone in *tz_out (minutes east of UTC; "-0000" and unknown zones
 * give 0); -1 when p holds no date. */
int	 mime_date_parse(const char *p, size_t len, time_t *t_out,
	    int *tz_out);
/* Write t as "Tue, 1 Jul 2003 10:52:37 +0200" in the zone tz minutes east
 * of UTC. Returns false when the date cannot be written. */
bool	 mime_date_format(time_t t, int tz, char *out, size_t size);
/* The current time in the local zone, formatted as above. */
void	 mime_date_now(char *out, size_t size);

/* ---- Charsets and encoded words (charset.c, encword.c) ------------- */

/* Append p[0..len) in charset converted to UTF-8 (iconv for what is not
 * UTF-8, US-ASCII or ISO-8859-1); bytes that do not convert become
 * U+FFFD. Returns 0, or -1 when the charset is unknown (nothing is
 * appended). */
int	 mime_charset_to_utf8(const char *charset, const char *p, size_t len,
	    struct buf *out);
/* True when the charset is known to the converter. */
bool	 mime_charset_is_known(const char *charset);
/* True when p[0..len) is well-formed UTF-8 (RFC 3629). */
bool	 mime_utf8_is_valid(const char *p, size_t len);
/* Append p[0..len) with ill-formed UTF-8 replaced by U+FFFD. */
void	 mime_utf8_sanitize(const char *p, size_t len, struct buf *out);

/* Decode one encoded word "=?charset[*lang]?B|Q?text?=" (RFC 2047 2-4,
 * RFC 2231 5) at p[0..len) exactly, appending UTF-8 to out. Returns 1,
 * 0 when p is not an encoded word, -1 when its charset is unknown (out
 * unchanged). */
int	 mime_encword_decode(const char *p, size_t len, struct buf *out);

enum mime_ew_ctx {
	MIME_EW_TEXT,		/* unstructured text (RFC 2047 5 rule 1) */
	MIME_EW_PHRASE,		/* a display name (rule 3) */
};

/* Append UTF-8 text as encoded words in UTF-8 (B or Q, whichever is
 * shorter), each at most 75 characters, never splitting a character
 * (RFC 2047 5), separated by single spaces where the caller may fold.
 * The first word starts at column col and is kept short enough to end
 * by column 76 when there is room for one. */
void	 mime_encword_encode(const char *p, size_t len, enum mime_ew_ctx ctx,
	    size_t col, struct buf *out);

/* ---- Parameters (param.c) ----------------------------------------- */

struct mime_param {
	char		*name;		/* lowercase, without any "*n*" */
	char		*value;		/* UTF-8: RFC 2231 continuations joined
					 * and decoded, quotes removed */
	char		*raw;		/* the value as written, unquoted: for
					 * an RFC 2231 one, joined but still
					 * %-encoded ("utf-8''%E2%82%AC") */
	char		*charset;	/* RFC 2231 charset, or NULL */
	char		*lang;		/* RFC 2231 language, or NULL */
	bool		 is_ext;	/* RFC 2231 extended ("name*") */
};

struct mime_params {
	struct mime_param *v;
	size_t		 n;
};

/* Parse a structured MIME value "main; a=b; c*0*=..." (RFC 2045 5.1,
 * RFC 2231 3-4). Sets (*main, *mainlen) to the part before the first
 * ";" with blanks and comments trimmed, and appends the parameters to
 * out (start it zeroed). Continuations are joined in numeric order; an
 * RFC 2231 value wins over a plain one of the same name. Encoded words in
 * a value are decoded too, as mail agents write them (not RFC 2047 5).
 * Returns false when some charset was unknown. */
bool	 mime_params_parse(const char *p, size_t len, const char **main,
	    size_t *mainlen, struct mime_params *out);
/* The parameter named name (lowercase), or NULL. */
const struct mime_param *mime_params_find(const struct mime_params *ps,
	    const char *name);
/* Its decoded value, or NULL. */
const char *mime_params_get(const struct mime_params *ps, const char *name);
void	 mime_params_free(struct mime_params *ps);
/* Append "; name=value" with value in UTF-8: a token as is, else quoted,
 * and RFC 2231 (utf-8'', %-encoded, continued in pieces to keep lines
 * within 78 columns) when not ASCII or too long. *col is updated. */
void	 mime_param_write(const char *name, const char *value, size_t *col,
	    struct buf *out);

/* ---- The MIME tree (mime.c, part.c) ------------------------------- */

enum mime_cte {
	MIME_CTE_7BIT,		/* also when the field is absent */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_OTHER,		/* unknown: the body is served raw */
};

/* Header fields the parser keeps (first occurrence, unfolded, trimmed). */
enum mime_hf {
	MIME_HF_CONTENT_TYPE,
	MIME_HF_CTE,
	MIME_HF_DISPOSITION,
	MIME_HF_ID,
	MIME_HF_DESCRIPTION,
	MIME_HF_LANGUAGE,
	MIME_HF_LOCATION,
	MIME_HF_MD5,
	MIME_HF_DATE,
	MIME_HF_SUBJECT,
	MIME_HF_FROM,
	MIME_HF_SENDER,
	MIME_HF_REPLY_TO,
	MIME_HF_TO,
	MIME_HF_CC,
	MIME_HF_BCC,
	MIME_HF_IN_REPLY_TO,
	MIME_HF_MESSAGE_ID,
	MIME_HF_COUNT
};

/* Part flags. */
#define MIME_PF_NO_END		0x0001	/* multipart without its close
					 * delimiter (RFC 2046 5.1.1) */
#define MIME_PF_LIMIT		0x0002	/* depth or part limit: the body is
					 * not parsed, this part is a leaf */
#define MIME_PF_BODY_8BIT	0x0004	/* body has octets over 127 */
#define MIME_PF_BODY_NUL	0x0008	/* body has NUL octets */
#define MIME_PF_LONG_LINE	0x0010	/* body has lines over 998 octets */
#define MIME_PF_HDR_8BIT	0x0020	/* header has octets over 127 */
#define MIME_PF_HDR_TRUNC	0x0040	/* header fields dropped or cut */
#define MIME_PF_NO_BLANK	0x0080	/* header not ended by a blank line */
#define MIME_PF_NO_BOUNDARY	0x0100	/* multipart without boundary: leaf */
#define MIME_PF_BAD_CHARSET	0x0200	/* a parameter's charset unknown */
#define MIME_PF_PARTS_LIMIT	0x0400	/* the part limit was reached in
					 * this multipart: what follows is
					 * opaque body of its last part */

struct mime_part {
	struct mime_part *parent;
	struct mime_part *child;	/* first child */
	struct mime_part *next;		/* next sibling */
	struct mime_part *last;		/* last child */
	unsigned	 nchildren;
	unsigned	 depth;		/* root 0 */
	unsigned	 flags;		/* MIME_PF_* */

	/* Offsets in the message: the header is [hdr_off, body_off), the
	 * body [body_off, end_off). The CRLF before a delimiter belongs to
	 * the delimiter (RFC 2046 5.1.1). A multipart's body holds preamble,
	 * parts and epilogue; a message/rfc822 part's body is its child. */
	size_t		 hdr_off;
	size_t		 body_off;
	size_t		 end_off;
	size_t		 body_lines;	/* line breaks in the body, plus one
					 * for an unterminated last line */
	size_t		 body_nl;	/* line breaks in the body only: the
					 * IMAP body-fld-lines */

	char		*type;		/* lowercase, never NULL */
	char		*subtype;
	struct mime_params params;	/* Content-Type parameters */
	char		*disposition;	/* lowercase, or NULL */
	struct mime_params disp_params;
	char		*filename;	/* see mime_part_filename() */
	enum mime_cte	 cte;
	char		*fields[MIME_HF_COUNT];	/* raw values, or NULL */
};

struct mime_limits {
	unsigned	 max_depth;	/* nesting of multipart and message */
	unsigned	 max_parts;	/* parts in the whole tree */
	unsigned	 max_fields;	/* header fields per part */
	size_t		 max_field_len;	/* one unfolded field */
	size_t		 max_hdr_bytes;	/* kept field values, whole tree */
	size_t		 max_boundary;	/* boundary length */
};

/* The defaults: depth 50, 10000 parts, 1000 fields per part, fields of
 * 64 KiB, 8 MiB of kept values, boundaries of 200 octets. */
void	 mime_limits_default(struct mime_limits *lim);

struct mime_parser;

/* A streaming parser: feed it a message in pieces of any size; it keeps
 * the tree and a few line's worth of state, never the bodies, so memory
 * is bounded by the limits whatever the message's size. Line breaks may
 * be CRLF or bare LF; a lone CR is data. lim may be NULL (defaults). */
struct mime_parser *mime_parser_new(const struct mime_limits *lim);
void	 mime_parser_feed(struct mime_parser *ps, const char *p, size_t len);
/* End of the message: close every open part and hand over the tree,
 * which the caller frees with mime_part_free(). The parser is freed. */
struct mime_part *mime_parser_finish(struct mime_parser *ps);
/* Abandon a parse. NULL is fine. */
void	 mime_parser_free(struct mime_parser *ps);

/* Parse a whole message in memory; the caller frees the tree. */
struct mime_part *mime_parse(const char *p, size_t len,
	    const struct mime_limits *lim);
/* Parse the file at path read in 64 KiB blocks. 0 with *out set, or -1
 * with errno set. */
int	 mime_parse_file(const char *path, const struct mime_limits *lim,
	    struct mime_part **out);
/* Free a tree. NULL is fine. */
void	 mime_part_free(struct mime_part *part);

/* True for multipart/\* parts with children parsed. */
bool	 mime_part_is_multipart(const struct mime_part *part);
/* The encapsulated message of a message/rfc822 or message/global part,
 * or NULL. */
struct mime_part *mime_part_message(const struct mime_part *part);
/* The file name of an attachment in UTF-8: Content-Disposition filename,
 * else Content-Type name; blanks trimmed; NULL when none. */
const char *mime_part_filename(const struct mime_part *part);
/* The charset parameter (as written), or NULL. */
const char *mime_part_charset(const struct mime_part *part);

/* IMAP section numbers (RFC 3501 6.4.5): the part for "1.2.3" (len
 * bytes, no "MIME"/"HEADER" suffix) under the message root; "" is the
 * root itself. NULL when there is no such part. */
struct mime_part *mime_part_find(struct mime_part *root, const char *sec,
	    size_t len);
/* Append the section number of part: "" for the root (whose body is
 * section "1" when it is not a multipart), "2.1" for the child of a
 * message/rfc822 part 2 when that child is not a multipart, and the
 * number of the message/rfc822 part for a multipart child. */
void	 mime_part_section(const struct mime_part *part, struct buf *out);
/* Call fn for every part in depth-first order. */
void	 mime_part_walk(struct mime_part *root,
	    void (*fn)(struct mime_part *, void *), void *arg);

/* ---- Body decoding (decode.c) ------------------------------------- */

struct mime_decoder {
	enum mime_cte	 cte;
	union {
		struct b64_dec	 b64;
		struct qp_dec	 qp;
	} u;
};

/* A streaming decoder for a part's body: run it over the bytes
 * [body_off, end_off) in pieces. 7bit, 8bit, binary and unknown encodings
 * pass through. */
void	 mime_decoder_init(struct mime_decoder *d, enum mime_cte cte);
void	 mime_decoder_update(struct mime_decoder *d, const char *p,
	    size_t len, struct buf *out);
void	 mime_decoder_final(struct mime_decoder *d, struct buf *out);
/* Decode the body of part from the whole message msg[0..len). */
void	 mime_part_decode(const struct mime_part *part, const char *msg,
	    size_t len, struct buf *out);

/* ---- IMAP (envelope.c, bodystructure.c) --------------------------- */

/* Append the ENVELOPE (RFC 3501 7.4.2) of the message whose header part
 * is msg (the root, or mime_part_message() of a message/rfc822 part). */
void	 mime_envelope_write(const struct mime_part *msg, struct buf *out);
/* Append the BODYSTRUCTURE of the message rooted at msg, or, with
 * is_extended false, the BODY form without extension data. */
void	 mime_bodystructure_write(const struct mime_part *msg,
	    bool is_extended, struct buf *out);

/* ---- Building messages (build.c) ---------------------------------- */

#define MIME_BUILD_8BIT		0x01	/* next hop has 8BITMIME */
#define MIME_BUILD_UTF8		0x02	/* SMTPUTF8: raw UTF-8 headers */

struct mime_build;

/* A new message. flags are MIME_BUILD_*. */
struct mime_build *mime_build_new(unsigned flags);
void	 mime_build_free(struct mime_build *b);
/* Add a header field; value is UTF-8. From, To, Cc, Bcc, Reply-To and
 * Sender are parsed as address lists and written back encoded; others are
 * unstructured text. Date, Message-ID and MIME-Version are added when
 * absent. */
void	 mime_build_header(struct mime_build *b, const char *name,
	    const char *value);
/* The UTF-8 text body, and an optional HTML alternative; each is copied.
 * Line breaks become CRLF. */
void	 mime_build_text(struct mime_build *b, const char *p, size_t len);
void	 mime_build_html(struct mime_build *b, const char *p, size_t len);
/* An attachment (base64; type NULL for application/octet-stream; the
 * name in UTF-8, written with RFC 2231 when not ASCII). */
void	 mime_build_attach(struct mime_build *b, const char *name,
	    const char *type, const void *p, size_t len);
/* An inline part for the HTML ("cid:" URLs, RFC 2392) with Content-ID
 * <cid>. */
void	 mime_build_inline(struct mime_build *b, const char *cid,
	    const char *name, const char *type, const void *p, size_t len);
/* A forwarded message, attached as message/rfc822. */
void	 mime_build_forward(struct mime_build *b, const char *p, size_t len);
/* Write the message (CRLF line breaks) to out. */
void	 mime_build_write(struct mime_build *b, struct buf *out);

/* ---- Downgrade (downgrade.c) -------------------------------------- */

/* Append to out the message msg[0..len) made 7-bit (for a next hop
 * without 8BITMIME, RFC 6152): 8-bit and binary leaves re-encoded as
 * quoted-printable (text) or base64, message/rfc822 parts downgraded
 * inside (RFC 2046 5.2.1 forbids encoding them), 8-bit header text turned
 * into encoded words, lines over 998 octets encoded. Returns 0, or -1
 * when something could not be made 7-bit (a UTF-8 address), in which
 * case out still holds the best effort. */
int	 mime_downgrade(const char *msg, size_t len, struct buf *out);

#endif
