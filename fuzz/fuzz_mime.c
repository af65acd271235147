/* libFuzzer target for the MIME parser: the tree from the whole input
 * must equal the tree from the input fed in pieces (sizes taken from the
 * input); then everything that walks a tree runs over it: decoding,
 * ENVELOPE, BODYSTRUCTURE, sections, and the 7-bit downgrade, whose
 * output must be 7-bit when it says so. Limits are lowered so that deep
 * and wide inputs reach them quickly.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
dump(const struct mime_part *p, struct buf *o)
{
	const struct mime_part *c;

	buf_addf(o, "%s/%s %zu %zu %zu %zu %x|", p->type, p->subtype,
	    p->hdr_off, p->body_off, p->end_off, p->body_lines, p->flags);
	for (c = p->child; c != NULL; c = c->next)
		dump(c, o);
}

struct ctx {
	const struct buf	*m;
	struct mime_part	*root;
};

static void
walk(struct mime_part *p, void *arg)
{
	const struct ctx *c = arg;
	struct mime_part *q;
	struct buf o = BUF_INIT;

	if (p->end_off < p->body_off || p->body_off < p->hdr_off ||
	    p->end_off > c->m->len)
		abort();
	if (p->parent != NULL && (p->hdr_off < p->parent->body_off ||
	    p->end_off > p->parent->end_off))
		abort();
	mime_part_decode(p, c->m->data, c->m->len, &o);
	buf_reset(&o);
	/* A section number leads back to the part (or, for a multipart
	 * message inside a message/rfc822 part, to that part). */
	mime_part_section(p, &o);
	q = mime_part_find(c->root, o.data ? o.data : "", o.len);
	if (q != p && !(p->parent == q && mime_part_message(q) == p) &&
	    !(o.len == 0 && q == c->root))
		abort();
	buf_free(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct ctx ctx;
	struct mime_parser *ps;
	struct mime_part *a, *b;
	struct buf m = BUF_INIT, da = BUF_INIT, db = BUF_INIT, o = BUF_INIT;
	size_t i, n;

	mime_limits_default(&lim);
	lim.max_depth = 8;
	lim.max_parts = 64;
	lim.max_fields = 32;
	lim.max_field_len = 512;
	lim.max_hdr_bytes = 4096;
	buf_add(&m, data, size);
	a = mime_parse(m.data ? m.data : "", m.len, &lim);
	ps = mime_parser_new(&lim);
	for (i = 0; i < size; i += n) {
		n = 1 + (size > 0 ? data[i % size] % 17 : 0);
		if (n > size - i)
			n = size - i;
		mime_parser_feed(ps, m.data + i, n);
	}
	b = mime_parser_finish(ps);
	dump(a, &da);
	dump(b, &db);
	if (strcmp(buf_cstr(&da), buf_cstr(&db)) != 0)
		abort();
	ctx.m = &m;
	ctx.root = a;
	mime_part_walk(a, walk, &ctx);
	mime_envelope_write(a, &o);
	mime_bodystructure_write(a, true, &o);
	mime_bodystructure_write(a, false, &o);
	buf_reset(&o);
	if (mime_downgrade(m.data ? m.data : "", m.len, &o) == 0)
		for (i = 0; i < o.len; i++)
			if ((unsigned char)o.data[i] >= 0x80)
				abort();
	mime_part_free(a);
	mime_part_free(b);
	buf_free(&m);
	buf_free(&da);
	buf_free(&db);
	buf_free(&o);
	return 0;
}
