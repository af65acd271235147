/* Streaming body decoders by Content-Transfer-Encoding (RFC 2045 6): a
 * caller runs one over a part's byte range, for extraction or hashing.
 * SPDX-License-Identifier: ISC */
#include "mime.h"

void
mime_decoder_init(struct mime_decoder *d, enum mime_cte cte)
{
	d->cte = cte;
	if (cte == MIME_CTE_BASE64)
		b64_dec_init(&d->u.b64);
	else if (cte == MIME_CTE_QP)
		qp_dec_init(&d->u.qp);
}

void
mime_decoder_update(struct mime_decoder *d, const char *p, size_t len,
    struct buf *out)
{
	switch (d->cte) {
	case MIME_CTE_BASE64:
		b64_dec_update(&d->u.b64, p, len, out);
		break;
	case MIME_CTE_QP:
		qp_dec_update(&d->u.qp, p, len, out);
		break;
	default:
		buf_add(out, p, len);
		break;
	}
}

void
mime_decoder_final(struct mime_decoder *d, struct buf *out)
{
	if (d->cte == MIME_CTE_QP)
		qp_dec_final(&d->u.qp, out);
}

void
mime_part_decode(const struct mime_part *part, const char *msg, size_t len,
    struct buf *out)
{
	struct mime_decoder d;
	size_t a = part->body_off, b = part->end_off;

	if (b > len)
		b = len;
	if (a > b)
		a = b;
	mime_decoder_init(&d, part->cte);
	if (b > a)
		mime_decoder_update(&d, msg + a, b - a, out);
	mime_decoder_final(&d, out);
}
