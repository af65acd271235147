/* The parse cache of a body, shared by the backends: ENVELOPE, BODY and
 * BODYSTRUCTURE (RFC 3501 7.4.2), the raw header and its Date:, and the
 * text the index keeps for SEARCH BODY and TEXT (RFC 3501 6.4.4): what a
 * reader sees of a message, that is the header with encoded words decoded
 * and the text parts with their transfer encoding undone and their
 * charset turned into UTF-8.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "store/backend.h"

#define TEXT_MAX	(4 * 1024 * 1024)	/* indexed per message */

/* Append the decoded values of the header fields of p. */
static void
header_text(const char *msg, const struct mime_part *p, struct buf *out)
{
	struct mime_hdr_iter it;
	struct mime_field f;

	mime_hdr_iter_init(&it, msg + p->hdr_off, p->body_off - p->hdr_off);
	while (mime_hdr_next(&it, &f) == 1 && out->len < TEXT_MAX) {
		buf_add(out, f.name, f.namelen);
		buf_adds(out, ": ");
		(void)mime_hdr_decode(f.value, f.valuelen, out);
		buf_addc(out, '\n');
	}
}

struct walk {
	const char	*msg;
	size_t		 len;
	const struct mime_part *root;
	struct buf	*body;
	struct buf	 dec;
};

static void
part_text(struct mime_part *p, void *arg)
{
	struct walk *w = arg;
	const char *cs = mime_part_charset(p);

	if (w->body->len >= TEXT_MAX)
		return;
	/* The headers of parts and of attached messages are text too. */
	if (p != w->root)
		header_text(w->msg, p, w->body);
	if (strcmp(p->type, "text") != 0 || mime_part_is_multipart(p) ||
	    mime_part_message(p) != NULL)
		return;
	buf_reset(&w->dec);
	mime_part_decode(p, w->msg, w->len, &w->dec);
	if (cs == NULL || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || mime_charset_to_utf8(cs,
	    w->dec.data, w->dec.len, w->body) == -1)
		mime_utf8_sanitize(w->dec.data, w->dec.len, w->body);
	buf_addc(w->body, '\n');
}

static void
text_extract(const char *msg, size_t len, struct mime_part *root,
    struct buf *hdr, struct buf *body)
{
	struct walk w;

	header_text(msg, root, hdr);
	memset(&w, 0, sizeof(w));
	w.msg = msg;
	w.len = len;
	w.root = root;
	w.body = body;
	mime_part_walk(root, part_text, &w);
	buf_free(&w.dec);
	if (body->len > TEXT_MAX)
		buf_truncate(body, TEXT_MAX);
}

void
store_cache_build(const char *msg, size_t len, struct store_row *r,
    struct buf *thdr, struct buf *tbody)
{
	struct buf b = BUF_INIT;
	struct mime_part *root;
	const char *date;
	time_t t;
	int tz;

	root = mime_parse(msg, len, NULL);
	mime_envelope_write(root, &b);
	r->envelope = buf_release(&b);
	mime_bodystructure_write(root, false, &b);
	r->body = buf_release(&b);
	mime_bodystructure_write(root, true, &b);
	r->bodystructure = buf_release(&b);
	r->header_len = root->body_off;
	r->header = xstrndup(msg, r->header_len);
	date = root->fields[MIME_HF_DATE];
	r->sent_date = 0;
	if (date != NULL && mime_date_parse(date, strlen(date), &t, &tz) == 0)
		r->sent_date = (int64_t)t;
	if (thdr != NULL)
		text_extract(msg, len, root,
		    thdr, tbody);
	mime_part_free(root);
}

void
store_cache_move(struct store_row *r, const struct store_row *from)
{
	r->envelope = from->envelope;
	r->body = from->body;
	r->bodystructure = from->bodystructure;
	r->header = from->header;
	r->header_len = from->header_len;
	r->sent_date = from->sent_date;
}

void
store_cache_free(struct store_row *r)
{
	free(r->envelope);
	free(r->body);
	free(r->bodystructure);
	free(r->header);
}
