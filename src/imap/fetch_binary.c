/* BINARY[section]<partial>, BINARY.PEEK and BINARY.SIZE (RFC 3516 4.2-4.3,
 * RFC 9051 6.4.5): a leaf part's content with its transfer encoding
 * undone, as a literal8 when it holds NUL. The message itself, a
 * multipart and a message/rfc822 part have no encoding of their own
 * (RFC 2045 6.4) and are given as stored.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"

/* "", "1" or "1.2.3": numbers from 1, dot-separated (section-part). */
static bool
is_section_part(const char *p, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return true;
	for (;;) {
		if (i >= len || p[i] < '1' || p[i] > '9')
			return false;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == len)
			return true;
		if (p[i++] != '.')
			return false;
	}
}

/* "[1.2]<0.100>" after BINARY, BINARY.PEEK or BINARY.SIZE: part numbers
 * only (section-binary), a partial range but for BINARY.SIZE. */
int
imap_fetch_binary_parse(struct fetch_spec *fs, const char *p, size_t len,
    enum fetch_kind kind, bool is_peek)
{
	const char *close = memchr(p, ']', len);
	struct fetch_item *it;
	size_t slen;

	if (len < 2 || p[0] != '[' || close == NULL)
		return -1;
	slen = (size_t)(close - p) - 1;
	if (!is_section_part(p + 1, slen))
		return -1;
	if ((it = imap_fetch_item_new(fs, kind)) == NULL)
		return -1;
	it->part = xstrndup(p + 1, slen);
	it->is_peek = is_peek;
	if (close + 1 < p + len) {
		if (kind == FETCH_BINARY_SIZE || imap_fetch_partial_parse(it,
		    close + 1, (size_t)(p + len - close - 1)) == -1)
			return -1;
	}
	if (kind == FETCH_BINARY_SIZE)
		it->label = xasprintf("BINARY.SIZE[%s]", it->part);
	else if (it->has_partial)
		it->label = xasprintf("BINARY[%s]<%llu>", it->part,
		    (unsigned long long)it->p_off);
	else
		it->label = xasprintf("BINARY[%s]", it->part);
	if (kind == FETCH_BINARY && !is_peek)
		fs->sets_seen = true;
	return 0;
}

/* The decoded content of the part into data: 1, 0 when there is no such
 * part, -1 on a read error, -2 for an unknown transfer encoding. */
static int
binary_content(struct imap_session *s, const struct fetch_item *it,
    struct fetch_msg *m, struct buf *data)
{
	const struct mime_part *p;
	struct mime_decoder d;
	struct buf raw = BUF_INIT;
	bool is_leaf;
	int rc = 1;

	if (imap_fetch_msg_parse(s, m) == -1)
		return -1;
	if ((p = mime_part_find(m->tree, it->part, strlen(it->part))) == NULL)
		return 0;
	is_leaf = it->part[0] != '\0' && !mime_part_is_multipart(p) &&
	    mime_part_message(p) == NULL;
	if (is_leaf && p->cte == MIME_CTE_OTHER)
		return -2;
	if (it->part[0] == '\0')
		rc = imap_fetch_file_read(m, 0, m->row->size, data);
	else if (!is_leaf)
		rc = imap_fetch_file_read(m, p->body_off,
		    p->end_off - p->body_off, data);
	else if ((rc = imap_fetch_file_read(m, p->body_off,
	    p->end_off - p->body_off, &raw)) == 0) {
		mime_decoder_init(&d, p->cte);
		mime_decoder_update(&d, raw.data ? raw.data : "", raw.len,
		    data);
		mime_decoder_final(&d, data);
	}
	buf_free(&raw);
	return rc == -1 ? -1 : 1;
}

int
imap_fetch_binary_write(struct imap_session *s, const struct fetch_item *it,
    struct fetch_msg *m, struct buf *out)
{
	struct buf data = BUF_INIT;
	uint64_t off = 0, len;
	int rc;

	buf_adds(out, it->label);
	buf_addc(out, ' ');
	if ((rc = binary_content(s, it, m, &data)) == -2) {
		/* The item stays well-formed; the command ends NO
		 * [UNKNOWN-CTE] (RFC 3516 4.3). */
		m->is_unknown_cte = true;
		rc = 0;
	}
	if (rc == 1 && it->kind == FETCH_BINARY_SIZE)
		buf_addf(out, "%zu", data.len);
	else if (rc == 1) {
		len = data.len;
		imap_fetch_partial_apply(it, &off, &len);
		buf_addf(out, "%s{%llu}\r\n", len > 0 && memchr(data.data +
		    off, '\0', (size_t)len) ? "~" : "", (unsigned long long)len);
		if (len > 0)
			buf_add(out, data.data + off, (size_t)len);
	} else if (rc == 0)
		buf_adds(out, "NIL");
	buf_free(&data);
	return rc == -1 ? -1 : 0;
}
