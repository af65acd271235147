/* Sequence sets (RFC 3501 9 "sequence-set", 6.4.8): "1:4,7,9:*", with
 * ranges normalized, sorted and merged, and written back compactly for
 * UIDPLUS (RFC 4315 3) and ESEARCH ALL (RFC 4731 3.1).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define SEQSET_MAX	65536	/* ranges in one set */

static int
seq_number(const char *p, size_t len, uint32_t star, uint32_t *out)
{
	const char *errstr;

	if (len == 1 && p[0] == '*') {
		*out = star;
		return 0;
	}
	if (len == 0 || p[0] == '0')
		return -1;
	*out = (uint32_t)str_to_uint_n(p, len, 1, UINT32_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void
merge(struct imap_seqset *set)
{
	size_t i, j = 0;

	if (set->n > 0)
		qsort(set->v, set->n, sizeof(*set->v), range_cmp);
	for (i = 1; i < set->n; i++) {
		if (set->v[i].lo <= set->v[j].hi ||
		    set->v[i].lo - 1 == set->v[j].hi) {
			if (set->v[i].hi > set->v[j].hi)
				set->v[j].hi = set->v[i].hi;
		} else
			set->v[++j] = set->v[i];
	}
	if (set->n > 0)
		set->n = j + 1;
}

static int
parse_range(const char *p, size_t len, uint32_t star, struct imap_range *r)
{
	const char *colon = str_chr(p, len, ':');
	uint32_t a, b, t;

	if (colon == NULL) {
		if (seq_number(p, len, star, &a) == -1)
			return -1;
		r->lo = r->hi = a;
		return 0;
	}
	if (seq_number(p, (size_t)(colon - p), star, &a) == -1 ||
	    seq_number(colon + 1, len - (size_t)(colon - p) - 1, star,
	    &b) == -1)
		return -1;
	if (a > b) {
		t = a;
		a = b;
		b = t;
	}
	r->lo = a;
	r->hi = b;
	return 0;
}

int
imap_seqset_parse(const char *p, size_t len, uint32_t star,
    struct imap_seqset *out)
{
	const char *comma;
	size_t cap = 0, n;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -1;
	while (len > 0) {
		comma = str_chr(p, len, ',');
		n = comma ? (size_t)(comma - p) : len;
		if (out->n == cap) {
			if (cap >= SEQSET_MAX)
				goto fail;
			cap = cap ? cap * 2 : 4;
			out->v = xreallocarray(out->v, cap, sizeof(*out->v));
		}
		if (parse_range(p, n, star, &out->v[out->n]) == -1)
			goto fail;
		out->n++;
		if (comma == NULL)
			break;
		p += n + 1;
		len -= n + 1;
		if (len == 0)
			goto fail;
	}
	merge(out);
	return 0;
fail:
	imap_seqset_free(out);
	return -1;
}

bool
imap_seqset_has(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (n < set->v[mid].lo)
			hi = mid;
		else if (n > set->v[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

void
imap_seqset_write(const uint32_t *v, size_t n, struct buf *out)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j + 1 < n && v[j + 1] == v[j] + 1; j++)
			;
		if (i > 0)
			buf_addc(out, ',');
		if (j > i)
			buf_addf(out, "%u:%u", v[i], v[j]);
		else
			buf_addf(out, "%u", v[i]);
		i = j + 1;
	}
}
