/* libFuzzer harness: the IMAP command reader and parser, literals
 * included (src/imap/parse.c), with what handlers do to arguments next:
 * sequence sets, FETCH items, flag lists, SEARCH keys, mailbox names.
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t view_uids[] = { 1, 2, 5, 9, 100 };

static void
use_args(const struct imap_arg *v, size_t n, unsigned depth)
{
	struct imap_session s;
	struct imap_view view;
	struct imap_seqset set;
	struct fetch_spec fs;
	struct imap_search *q;
	struct buf b = BUF_INIT;
	const char *errstr;
	uint32_t flags;
	char **kw;
	size_t i, n_kw;

	memset(&s, 0, sizeof(s));
	memset(&view, 0, sizeof(view));
	view.uids = view_uids;
	view.n = 5;
	s.view = &view;
	q = imap_search_parse(&s, v, n, &errstr);
	imap_search_free(q);
	for (i = 0; i < n; i++) {
		if (v[i].type == IMAP_ARG_ATOM &&
		    imap_seqset_parse(v[i].p, v[i].len, 100, &set) == 0) {
			(void)imap_seqset_has(&set, 5);
			imap_seqset_free(&set);
		}
		(void)imap_fetch_spec_parse(&v[i], &fs);
		imap_fetch_spec_free(&fs);
		if (v[i].type == IMAP_ARG_LIST) {
			if (imap_flags_parse(&v[i], &flags, &kw, &n_kw) == 0)
				store_strings_free(kw, n_kw);
			if (depth < 4)
				use_args(v[i].list, v[i].n, depth + 1);
		} else if (v[i].type != IMAP_ARG_NIL) {
			buf_reset(&b);
			if (imap_mutf7_decode(v[i].p, v[i].len, &b) == 0) {
				struct buf e = BUF_INIT;

				if (imap_mutf7_encode(b.data ? b.data : "",
				    b.len, &e) != 0)
					abort();
				buf_free(&e);
			}
		}
	}
	buf_free(&b);
}

static void
command(struct imap_reader *r)
{
	const char *tag, *name, *errstr;
	size_t tl, nl, rest;
	struct imap_args args;
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *p = malloc(r->text.len ? r->text.len : 1);

	memcpy(p, r->text.data, r->text.len);
	if (imap_parse_head(p, r->text.len, &tag, &tl, &name, &nl, &rest,
	    &errstr) == 0 && imap_parse_args(p + rest, r->text.len - rest,
	    &args, &errstr) == 1) {
		use_args(args.v, args.n, 0);
		imap_args_free(&args);
	}
	free(p);
	imap_reader_reset(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl, *errstr;
	struct imap_reader r;
	bool is_sync, is_big;
	uint64_t lit;
	size_t len;

	imap_reader_init(&r, 8192, 65536);
	while (size > 0) {
		if (r.lit_left > 0) {
			len = imap_reader_literal(&r, p, size);
			p += len;
			size -= len;
			continue;
		}
		if ((nl = memchr(p, '\n', size)) == NULL)
			break;
		len = (size_t)(nl - p);
		if (len > 8192) {
			imap_reader_reset(&r);
		} else {
			switch (imap_reader_line(&r, p, len > 0 &&
			    p[len - 1] == '\r' ? len - 1 : len, &lit,
			    &is_sync, &is_big, &errstr)) {
			case 1:
				command(&r);
				break;
			case -1:
				imap_reader_reset(&r);
				break;
			}
		}
		size -= len + 1;
		p = nl + 1;
	}
	imap_reader_fini(&r);
	return 0;
}
