/* Tests for the IMAP command reader and parser (src/imap/parse.c) and
 * sequence sets (src/imap/seqset.c): tables of inputs, each also fed to
 * the reader line by line and its literals byte by byte, and parsed from
 * an exact-size copy without a trailing NUL.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_int.h"
#include "lib/xalloc.h"

/* Parse the arguments of a whole command text and describe them as a
 * string: atoms bare, strings in <>, NIL, lists in (). */
static void
describe(const struct imap_arg *v, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(out, ' ');
		switch (v[i].type) {
		case IMAP_ARG_ATOM:
			buf_add(out, v[i].p, v[i].len);
			break;
		case IMAP_ARG_QUOTED:
		case IMAP_ARG_LITERAL:
			buf_addc(out, '<');
			buf_add(out, v[i].p, v[i].len);
			buf_addc(out, '>');
			break;
		case IMAP_ARG_NIL:
			buf_adds(out, "NIL");
			break;
		case IMAP_ARG_LIST:
			buf_addc(out, '(');
			describe(v[i].list, v[i].n, out);
			buf_addc(out, ')');
			break;
		}
	}
}

static const struct {
	const char	*args;		/* after the command name */
	const char	*want;		/* NULL: a syntax error */
} arg_cases[] = {
	{ "\r\n", "" },
	{ " INBOX\r\n", "INBOX" },
	{ " \"\" *\r\n", "<> *" },
	{ " \"a \\\"b\\\\\" nil\r\n", "<a \"b\\> NIL" },
	{ " 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>)\r\n",
	  "1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>)" },
	{ " (\\Seen $Kw) {3}\r\nabc\r\n", "(\\Seen $Kw) <abc>" },
	{ " {3+}\r\na\r\n\r\n", "<a\r\n>" },
	{ " (((a)) ())\r\n", "(((a)) ())" },
	{ " {0}\r\n\r\n", "<>" },
	{ "  INBOX\r\n", NULL },		/* two spaces */
	{ " INBOX \r\n", NULL },		/* trailing space */
	{ " \"open\r\n", NULL },
	{ " (a\r\n", NULL },
	{ " a)\r\n", NULL },
	{ " {5}\r\nab\r\n", NULL },		/* short literal */
	{ " {x}\r\n", NULL },
	{ " \"a\\qb\"\r\n", NULL },		/* bad escape */
	{ " BODY[TEXT\r\n", NULL },
	{ " a\r\nb\r\n", NULL },
	{ " a", NULL },
};

static void
test_args(void **state)
{
	struct imap_args args;
	const char *errstr;
	struct buf b = BUF_INIT;
	size_t i, len;
	char *copy;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(arg_cases) / sizeof(arg_cases[0]); i++) {
		len = strlen(arg_cases[i].args);
		copy = xmalloc(len ? len : 1);
		memcpy(copy, arg_cases[i].args, len);
		rc = imap_parse_args(copy, len, &args, &errstr);
		if (arg_cases[i].want == NULL) {
			if (rc != -1)
				fail_msg("case %zu parsed", i);
		} else {
			if (rc != 1)
				fail_msg("case %zu: %s", i, errstr);
			buf_reset(&b);
			describe(args.v, args.n, &b);
			assert_string_equal(buf_cstr(&b), arg_cases[i].want);
			imap_args_free(&args);
		}
		free(copy);
	}
	buf_free(&b);
}

/* literal8 (RFC 3516 4.4): octets with NUL, for APPEND only, so neither
 * a string nor a name. */
static void
test_literal8(void **state)
{
	static const char in[] = " INBOX ~{3}\r\na\0b\r\n";
	struct imap_args args;
	const char *errstr;

	(void)state;
	assert_int_equal(imap_parse_args(in, sizeof(in) - 1, &args, &errstr),
	    1);
	assert_int_equal(args.n, 2);
	assert_int_equal(args.v[1].type, IMAP_ARG_LITERAL);
	assert_true(args.v[1].is_literal8);
	assert_int_equal(args.v[1].len, 3);
	assert_memory_equal(args.v[1].p, "a\0b", 3);
	assert_false(imap_arg_is_string(&args.v[1]));
	assert_null(imap_arg_str(&args.v[1]));
	assert_false(args.v[0].is_literal8);
	imap_args_free(&args);
	/* "~" without "{" is an atom character. */
	assert_int_equal(imap_parse_args(" ~x\r\n", 5, &args, &errstr), 1);
	assert_int_equal(args.v[0].type, IMAP_ARG_ATOM);
	imap_args_free(&args);
}

static void
test_depth_limit(void **state)
{
	struct imap_args args;
	const char *errstr;
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	buf_addc(&b, ' ');
	for (i = 0; i < IMAP_DEPTH_MAX + 1; i++)
		buf_addc(&b, '(');
	for (i = 0; i < IMAP_DEPTH_MAX + 1; i++)
		buf_addc(&b, ')');
	buf_adds(&b, "\r\n");
	assert_int_equal(imap_parse_args(b.data, b.len, &args, &errstr), -1);
	buf_free(&b);
}

static void
test_head(void **state)
{
	const char *tag, *name, *errstr;
	size_t tl, nl, rest;

	(void)state;
	assert_int_equal(imap_parse_head("a1 NOOP\r\n", 9, &tag, &tl, &name,
	    &nl, &rest, &errstr), 0);
	assert_int_equal(tl, 2);
	assert_int_equal(nl, 4);
	assert_int_equal(rest, 7);
	assert_int_equal(imap_parse_head("+x NOOP\r\n", 9, &tag, &tl, &name,
	    &nl, &rest, &errstr), -1);
	assert_int_equal(imap_parse_head("a1\r\n", 4, &tag, &tl, &name, &nl,
	    &rest, &errstr), -1);
	assert_int_equal(imap_parse_head("a1 NO_OP\r\n", 10, &tag, &tl, &name,
	    &nl, &rest, &errstr), -1);
	assert_int_equal(imap_parse_head("a1  NOOP\r\n", 10, &tag, &tl, &name,
	    &nl, &rest, &errstr), -1);
}

/* Feed a command through the reader the way the session does: lines,
 * then literal octets one at a time. Returns the assembled text. */
static int
read_all(struct imap_reader *r, const char *p, size_t len, bool *saw_sync)
{
	const char *errstr, *nl;
	bool is_sync, is_big;
	uint64_t lit;
	size_t n;
	int rc = 0;

	*saw_sync = false;
	while (len > 0) {
		if (r->lit_left > 0) {
			n = imap_reader_literal(r, p, 1);
			p += n;
			len -= n;
			continue;
		}
		nl = memchr(p, '\n', len);
		assert_non_null(nl);
		rc = imap_reader_line(r, p, (size_t)(nl - p) - 1, &lit,
		    &is_sync, &is_big, &errstr);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
		if (rc == 0)
			*saw_sync |= is_sync;
		if (rc != 0)
			break;
	}
	return rc;
}

static void
test_reader(void **state)
{
	static const char cmd[] = "a1 APPEND INBOX (\\Seen) {5}\r\nhello "
	    "{3+}\r\nx\r\ny\r\n";
	struct imap_reader r;
	bool saw_sync;

	(void)state;
	imap_reader_init(&r, 1000, 100);
	assert_int_equal(read_all(&r, cmd, sizeof(cmd) - 1, &saw_sync), 1);
	assert_true(saw_sync);
	assert_int_equal(r.text.len, sizeof(cmd) - 1);
	assert_memory_equal(r.text.data, cmd, sizeof(cmd) - 1);
	imap_reader_reset(&r);
	imap_reader_fini(&r);
}

static void
test_reader_limits(void **state)
{
	struct imap_reader r;
	const char *errstr;
	bool is_sync, is_big;
	uint64_t lit;

	(void)state;
	imap_reader_init(&r, 1000, 100);
	/* APPEND may take max_literal, other commands a small one. */
	assert_int_equal(imap_reader_line(&r, "a APPEND x {100}", 16, &lit,
	    &is_sync, &is_big, &errstr), 0);
	assert_int_equal(lit, 100);
	imap_reader_reset(&r);
	assert_int_equal(imap_reader_line(&r, "a APPEND x {101}", 16, &lit,
	    &is_sync, &is_big, &errstr), -1);
	assert_true(is_big && is_sync);
	imap_reader_reset(&r);
	assert_int_equal(imap_reader_line(&r, "a LOGIN {99999999+}", 19, &lit,
	    &is_sync, &is_big, &errstr), -1);
	assert_true(is_big && !is_sync);
	imap_reader_reset(&r);
	/* Not a literal marker. */
	assert_int_equal(imap_reader_line(&r, "a NOOP {12", 10, &lit,
	    &is_sync, &is_big, &errstr), 1);
	imap_reader_fini(&r);
}

static const struct {
	const char	*set;
	uint32_t	 star;
	const char	*want;		/* NULL: error */
} set_cases[] = {
	{ "1", 10, "1" },
	{ "1:3,5", 10, "1:3,5" },
	{ "5,1:3,2", 10, "1:3,5" },
	{ "3:1", 10, "1:3" },
	{ "*", 10, "10" },
	{ "8:*", 5, "5:8" },
	{ "1:2,3:4", 10, "1:4" },
	{ "4294967295", 1, "4294967295" },
	{ "0", 10, NULL },
	{ "1,", 10, NULL },
	{ ",1", 10, NULL },
	{ "1::2", 10, NULL },
	{ "a", 10, NULL },
	{ "4294967296", 1, NULL },
	{ "", 1, NULL },
};

static void
test_seqset(void **state)
{
	struct imap_seqset set;
	struct buf b = BUF_INIT;
	uint32_t *v;
	size_t i, j, k, n;

	(void)state;
	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		int rc = imap_seqset_parse(set_cases[i].set,
		    strlen(set_cases[i].set), set_cases[i].star, &set);

		if (set_cases[i].want == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		for (j = n = 0; j < set.n; j++)
			n += set.v[j].hi - set.v[j].lo + 1;
		v = xcalloc(n, sizeof(*v));
		for (j = k = 0; j < set.n; j++)
			for (uint64_t u = set.v[j].lo; u <= set.v[j].hi; u++)
				v[k++] = (uint32_t)u;
		buf_reset(&b);
		imap_seqset_write(v, n, &b);
		assert_string_equal(buf_cstr(&b), set_cases[i].want);
		assert_true(imap_seqset_has(&set, v[0]));
		assert_false(imap_seqset_has(&set, 0));
		free(v);
		imap_seqset_free(&set);
	}
	buf_free(&b);
}

static void
test_date_time(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(imap_date_time_parse("17-Jul-1996 02:44:25 -0700",
	    26, &t), 0);
	assert_int_equal(t, 837596665);
	assert_int_equal(imap_date_time_parse(" 7-Jul-1996 02:44:25 +0000",
	    26, &t), 0);
	assert_int_equal(imap_date_time_parse("7-Jul-1996 02:44:25 +0000",
	    25, &t), 0);
	assert_int_equal(imap_date_time_parse("17-Jux-1996 02:44:25 -0700",
	    26, &t), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-1996 25:44:25 -0700",
	    26, &t), -1);
	assert_int_equal(imap_date_time_parse("17-Jul-1996", 11, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_literal8),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_reader_limits),
		cmocka_unit_test(test_seqset),
		cmocka_unit_test(test_date_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
