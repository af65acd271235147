/* Unit tests for src/mime/addr.c: address lists (RFC 5322 3.4, 4.4,
 * RFC 6532) parsed from copies without a trailing NUL, and written back
 * folded and encoded so that they parse to the same thing.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static char *
exact(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	return c;
}

/* "name|raw|local|domain|route;" per mailbox, "G:name;" and "E;" for
 * groups. */
static void
dump(const struct mime_addr_list *l, struct buf *o)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct mime_addr *a = &l->v[i];

		if (a->kind == MIME_ADDR_GROUP_START)
			buf_addf(o, "G:%s;", a->name ? a->name : "-");
		else if (a->kind == MIME_ADDR_GROUP_END)
			buf_adds(o, "E;");
		else
			buf_addf(o, "%s|%s|%s|%s|%s;", a->name ? a->name : "-",
			    a->name_raw ? a->name_raw : "-", a->local,
			    a->domain ? a->domain : "-",
			    a->route ? a->route : "-");
	}
}

static const struct {
	const char	*in;
	const char	*out;
	size_t		 n;
} rows[] = {
	{ "a@example.org", "-|-|a|example.org|-;", 1 },
	{ "Alice <a@example.org>", "Alice|Alice|a|example.org|-;", 1 },
	{ "\"Smith, John\" <j@x.org>, b@y.org",
	    "Smith, John|Smith, John|j|x.org|-;-|-|b|y.org|-;", 2 },
	{ "John Q. Public <jqp@x.org>",
	    "John Q. Public|John Q. Public|jqp|x.org|-;", 1 },
	{ "a@x.org (Alice Old)", "Alice Old|Alice Old|a|x.org|-;", 1 },
	{ "(c) Bob (d) <b@x.org> (e)", "Bob|Bob|b|x.org|-;", 1 },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x.org>",
	    "J\xc3\xb6rg|=?utf-8?q?J=C3=B6rg?=|j|x.org|-;", 1 },
	{ "=?utf-8?q?a?= =?utf-8?q?b?= <j@x.org>",
	    "ab|=?utf-8?q?a?= =?utf-8?q?b?=|j|x.org|-;", 1 },
	/* Encoded words inside quotes: wrong, common, read anyway. */
	{ "\"=?utf-8?q?J=C3=B6rg?=\" <j@x.org>",
	    "J\xc3\xb6rg|=?utf-8?q?J=C3=B6rg?=|j|x.org|-;", 1 },
	{ "\"quoted local\"@x.org", "-|-|quoted local|x.org|-;", 1 },
	{ "\"a\\\"b\"@x.org", "-|-|a\"b|x.org|-;", 1 },
	{ "a@[192.0.2.1]", "-|-|a|[192.0.2.1]|-;", 1 },
	{ "<@r1.org,@r2.org:a@x.org>", "-|-|a|x.org|@r1.org,@r2.org;", 1 },
	/* obs-local-part and obs-domain: CFWS around dots. */
	{ "john . doe @ x . org", "-|-|john.doe|x.org|-;", 1 },
	{ "Team: a@x.org, Bob <b@y.org>;, c@z.org",
	    "G:Team;-|-|a|x.org|-;Bob|Bob|b|y.org|-;E;-|-|c|z.org|-;", 3 },
	{ "undisclosed-recipients:;", "G:undisclosed-recipients;E;", 0 },
	{ "Open: a@x.org", "G:Open;-|-|a|x.org|-;E;", 1 },
	/* Null members (RFC 5322 4.4). */
	{ ",, a@x.org ,, b@y.org,", "-|-|a|x.org|-;-|-|b|y.org|-;", 2 },
	{ "", "", 0 },
	{ "<>", "", 0 },
	/* Broken: no closing angle, no domain. */
	{ "Alice <a@x.org", "Alice|Alice|a|x.org|-;", 1 },
	{ "root", "-|-|root|-|-;", 1 },
	/* UTF-8 (RFC 6532). */
	{ "J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.de>",
	    "J\xc3\xb6rg|J\xc3\xb6rg|j\xc3\xb6rg|b\xc3\xbc" "cher.de|-;", 1 },
	{ "a@x.org,\r\n\tb@y.org", "-|-|a|x.org|-;-|-|b|y.org|-;", 2 },
};

static void
test_parse(void **state)
{
	size_t i, len, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_addr_list l = { NULL, 0 };
		struct buf o = BUF_INIT;
		char *c;

		len = strlen(rows[i].in);
		c = exact(rows[i].in, len);
		n = mime_addr_parse(c, len, &l);
		dump(&l, &o);
		if (strcmp(buf_cstr(&o), rows[i].out) != 0 || n != rows[i].n)
			fail_msg("row %zu: %s (%zu)", i, buf_cstr(&o), n);
		mime_addr_list_free(&l);
		buf_free(&o);
		free(c);
	}
}

/* Written back (7-bit, or UTF-8 when allowed), every list parses to the
 * same names and addresses; lines stay within 78 where possible. */
static void
test_roundtrip(void **state)
{
	size_t i, k, col;
	unsigned flags;

	(void)state;
	for (flags = 0; flags <= MIME_WRITE_UTF8; flags += MIME_WRITE_UTF8) {
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct mime_addr_list a = { NULL, 0 }, b = { NULL, 0 };
			struct buf w = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT;

			mime_addr_parse(rows[i].in, strlen(rows[i].in), &a);
			mime_addr_list_write(&a, 4, flags, &w);
			mime_addr_parse(w.data ? w.data : "", w.len, &b);
			/* The raw phrase may be written differently, and a
			 * route is dropped (RFC 5322 4.4: ignore it). */
			for (k = 0; k < a.n; k++) {
				free(a.v[k].name_raw);
				free(a.v[k].route);
				a.v[k].name_raw = a.v[k].route = NULL;
			}
			for (k = 0; k < b.n; k++) {
				free(b.v[k].name_raw);
				b.v[k].name_raw = NULL;
			}
			dump(&a, &d1);
			dump(&b, &d2);
			if (strcmp(buf_cstr(&d1), buf_cstr(&d2)) != 0)
				fail_msg("row %zu: wrote %s", i, buf_cstr(&w));
			for (k = 0, col = 4; k < w.len; k++) {
				if (w.data[k] == '\n')
					col = 0;
				else if (++col > 79)
					fail_msg("row %zu: long line", i);
				if (!flags &&
				    (unsigned char)w.data[k] >= 0x80 &&
				    strstr(rows[i].in, "j\xc3\xb6rg@") == NULL)
					fail_msg("row %zu: 8-bit", i);
			}
			mime_addr_list_free(&a);
			mime_addr_list_free(&b);
			buf_free(&w);
			buf_free(&d1);
			buf_free(&d2);
		}
	}
}

static void
test_write_long(void **state)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf in = BUF_INIT, w = BUF_INIT;
	size_t i, col = 4;

	(void)state;
	for (i = 0; i < 20; i++)
		buf_addf(&in, "%sP\xc3\xa9rson Number %zu "
		    "<person%zu@example.org>", i ? ", " : "", i, i);
	mime_addr_parse(in.data, in.len, &l);
	assert_int_equal(l.n, 20);
	mime_addr_list_write(&l, 4, 0, &w);
	for (i = 0; i < w.len; i++) {
		if (w.data[i] == '\n')
			col = 0;
		else
			assert_true(++col <= 79);
	}
	assert_non_null(strstr(buf_cstr(&w), "=?utf-8?"));
	mime_addr_list_free(&l);
	buf_free(&in);
	buf_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
