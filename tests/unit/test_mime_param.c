/* Unit tests for src/mime/param.c: MIME parameters (RFC 2045 5.1) with
 * RFC 2231 continuations, charsets and languages, on copies without a
 * trailing NUL; writing them back folded and reading them again.
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

/* "main;name=value[raw];..." */
static void
dump(const char *main, size_t mainlen, const struct mime_params *ps,
    struct buf *o)
{
	size_t i;

	buf_add(o, main, mainlen);
	for (i = 0; i < ps->n; i++) {
		buf_addf(o, ";%s=%s", ps->v[i].name, ps->v[i].value);
		if (ps->v[i].is_ext)
			buf_addf(o, "[%s]", ps->v[i].raw);
	}
}

static const struct {
	const char	*in;
	const char	*out;
	bool		 is_ok;
} rows[] = {
	{ "text/plain", "text/plain", true },
	{ "text/plain; charset=us-ascii", "text/plain;charset=us-ascii", true },
	{ "text/plain; CHARSET=\"utf-8\"", "text/plain;charset=utf-8", true },
	{ " text/plain ;\r\n\tcharset = utf-8 ",
	    "text/plain;charset=utf-8", true },
	{ "text/plain; charset=us-ascii (Plain text)",
	    "text/plain;charset=us-ascii", true },
	{ "multipart/mixed; boundary=\"a;b\\\"c\"",
	    "multipart/mixed;boundary=a;b\"c", true },
	{ "multipart/mixed; boundary=----=_Part_1_2.3",
	    "multipart/mixed;boundary=----=_Part_1_2.3", true },
	/* RFC 2231 3: continuations, in any order. */
	{ "a; name*1=\"def\"; name*0=\"abc\"", "a;name=abcdef", true },
	/* RFC 2231 4: charset, language, %-encoding. */
	{ "a; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
	    "a;title=This is ***fun***[us-ascii'en-us'This%20is%20%2A%2A%2A"
	    "fun%2A%2A%2A]", true },
	{ "a; f*=utf-8''%E2%82%AC.txt",
	    "a;f=\xe2\x82\xac.txt[utf-8''%E2%82%AC.txt]", true },
	{ "a; f*=iso-8859-1''caf%E9",
	    "a;f=caf\xc3\xa9[iso-8859-1''caf%E9]", true },
	/* RFC 2231 4.1: encoded and plain pieces mixed. */
	{ "a; t*0*=us-ascii'en'This%20is%20even%20more%20; "
	    "t*1*=%2A%2A%2Afun%2A%2A%2A%20; t*2=\"isn't it!\"",
	    "a;t=This is even more ***fun*** isn't it![us-ascii'en'This%20is"
	    "%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!]", true },
	/* The RFC 2231 form wins over a plain fallback. */
	{ "a; filename=\"fallback.txt\"; filename*=utf-8''r%C3%A9el.txt",
	    "a;filename=r\xc3\xa9" "el.txt[utf-8''r%C3%A9el.txt]", true },
	/* Plain duplicates: the first. */
	{ "a; x=1; x=2", "a;x=1", true },
	/* Encoded words in a value (RFC 2047 5 says no; agents do it). */
	{ "a; name=\"=?utf-8?B?w6k=?=.pdf\"", "a;name=\xc3\xa9.pdf", true },
	/* Unknown charset: reported, octets kept as UTF-8. */
	{ "a; f*=x-nope''ab", "a;f=ab[x-nope''ab]", false },
	/* Junk. */
	{ "a; =x; novalue; ;; y=\"unterminated", "a;y=unterminated", true },
	{ "", "", true },
	{ "a; n*9999999999=x", "a", true },
};

static void
test_parse(void **state)
{
	size_t i, len, mainlen;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_params ps = { NULL, 0 };
		struct buf o = BUF_INIT;
		const char *main;
		char *c;
		bool ok;

		len = strlen(rows[i].in);
		c = exact(rows[i].in, len);
		ok = mime_params_parse(c, len, &main, &mainlen, &ps);
		dump(main, mainlen, &ps, &o);
		if (strcmp(buf_cstr(&o), rows[i].out) != 0 ||
		    ok != rows[i].is_ok)
			fail_msg("row %zu: %s", i, buf_cstr(&o));
		mime_params_free(&ps);
		buf_free(&o);
		free(c);
	}
}

static void
test_write(void **state)
{
	static const char *const values[] = {
		"simple.txt",
		"with space.txt",
		"quote\"and\\backslash",
		"r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.pdf",
		"a very long file name that goes on and on and will have to be "
		"continued over several lines of the header.txt",
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
		"\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80.png",
	};
	size_t i, k, col, mainlen;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct mime_params ps = { NULL, 0 };
		struct buf o = BUF_INIT;
		const char *main;

		buf_adds(&o, "attachment");
		col = 33;
		mime_param_write("filename", values[i], &col, &o);
		for (k = 0, col = 33; k < o.len; k++) {
			assert_true((unsigned char)o.data[k] < 0x80);
			if (o.data[k] == '\n')
				col = 0;
			else
				assert_true(++col <= 79);
		}
		mime_params_parse(o.data, o.len, &main, &mainlen, &ps);
		assert_int_equal(ps.n, 1);
		if (strcmp(ps.v[0].value, values[i]) != 0)
			fail_msg("row %zu: %s -> %s", i, buf_cstr(&o),
			    ps.v[0].value);
		mime_params_free(&ps);
		buf_free(&o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
