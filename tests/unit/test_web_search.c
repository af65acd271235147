/* Unit tests: the webmail's search query (src/web/search.c): splitting
 * the words, field prefixes and the field parameter, and matching a
 * message's header and (only when needed) its body text.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web/web_int.h"

#define F	WEB_SF_FROM
#define T	WEB_SF_TO
#define S	WEB_SF_SUBJECT
#define B	WEB_SF_BODY
#define ALL	WEB_SF_ALL

struct parse_row {
	const char	*q;
	unsigned	 def;
	size_t		 n;
	const char	*words[4];
	unsigned	 fields[4];
};

static const struct parse_row parse_rows[] = {
	{ "", ALL, 0, { NULL }, { 0 } },
	{ "  \t ", ALL, 0, { NULL }, { 0 } },
	{ "hello", ALL, 1, { "hello" }, { ALL } },
	{ " two\twords  ", ALL, 2, { "two", "words" }, { ALL, ALL } },
	{ "from:ann lunch", ALL, 2, { "ann", "lunch" }, { F, ALL } },
	{ "FROM:ann To:bob SUBJECT:x body:y", ALL, 4,
	    { "ann", "bob", "x", "y" }, { F, T, S, B } },
	{ "lunch", S, 1, { "lunch" }, { S } },
	{ "to:bob lunch", B, 2, { "bob", "lunch" }, { T, B } },
	/* A bare prefix is a word; an unknown one too. */
	{ "from:", ALL, 1, { "from:" }, { ALL } },
	{ "from: ann", ALL, 2, { "from:", "ann" }, { ALL, ALL } },
	{ "cc:bob", ALL, 1, { "cc:bob" }, { ALL } },
	{ "from:a:b", ALL, 1, { "a:b" }, { F } },
	{ "fromx:a", ALL, 1, { "fromx:a" }, { ALL } },
};

static void
test_parse(void **state)
{
	struct web_search s;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(*parse_rows); i++) {
		const struct parse_row *r = &parse_rows[i];

		assert_int_equal(web_search_parse(r->q, r->def, &s), r->n);
		assert_int_equal(s.n, r->n);
		for (k = 0; k < r->n; k++) {
			assert_string_equal(s.terms[k].word, r->words[k]);
			assert_int_equal(s.terms[k].fields, r->fields[k]);
		}
		web_search_free(&s);
	}
}

static void
test_parse_limit(void **state)
{
	struct web_search s;
	char q[2 * (WEB_SEARCH_TERMS_MAX + 5) + 1];
	size_t i;

	(void)state;
	for (i = 0; i < WEB_SEARCH_TERMS_MAX + 5; i++)
		memcpy(q + 2 * i, "w ", 2);
	q[2 * i] = '\0';
	assert_int_equal(web_search_parse(q, ALL, &s), WEB_SEARCH_TERMS_MAX);
	web_search_free(&s);
	assert_int_equal(s.n, 0);
}

static void
test_field(void **state)
{
	(void)state;
	assert_int_equal(web_search_field("from"), F);
	assert_int_equal(web_search_field("To"), T);
	assert_int_equal(web_search_field("SUBJECT"), S);
	assert_int_equal(web_search_field("body"), B);
	assert_int_equal(web_search_field(""), 0);
	assert_int_equal(web_search_field("cc"), 0);
	assert_int_equal(web_search_field("fromx"), 0);
}

static const char head[] =
    "From: Ann Example <ann@example.org>\r\n"
    "To: bob@example.org,\r\n carol@example.org\r\n"
    "Cc: =?UTF-8?Q?Dan=C3=A9?= <dan@example.org>\r\n"
    "Subject: =?UTF-8?Q?Lunch_on_Friday?=\r\n"
    "\r\n";

struct body {
	const char	*text;
	unsigned	 calls;
};

static void
body_text(void *arg, struct buf *out)
{
	struct body *b = arg;

	b->calls++;
	buf_adds(out, b->text);
}

struct match_row {
	const char	*q;
	unsigned	 def;
	bool		 matches;
	unsigned	 body_calls;
};

static const struct match_row match_rows[] = {
	{ "ann", ALL, true, 0 },
	{ "ANN", ALL, true, 0 },
	{ "from:ann", ALL, true, 0 },
	{ "to:ann", ALL, false, 0 },
	{ "to:carol", ALL, true, 0 },		/* a folded line */
	{ "to:dan\xc3\xa9", ALL, true, 0 },	/* Cc, decoded */
	{ "subject:friday", ALL, true, 0 },	/* decoded, any case */
	{ "subject:lunch from:ann to:bob", ALL, true, 0 },
	{ "subject:lunch from:bob", ALL, false, 0 },
	/* Body words: the text is read once, only when the header fails. */
	{ "body:pizza", ALL, true, 1 },
	{ "body:pizza body:pasta", ALL, true, 1 },
	{ "body:sushi", ALL, false, 1 },
	{ "pizza", ALL, true, 1 },
	{ "ann pizza", ALL, true, 1 },
	{ "lunch", ALL, true, 0 },
	{ "body:lunch", ALL, false, 1 },
	/* A header word that fails first spares the body. */
	{ "from:zed body:pizza", ALL, false, 0 },
	{ "pizza", S, false, 0 },
	{ "pizza", B, true, 1 },
	{ "lunch", F, false, 0 },
};

static void
test_match(void **state)
{
	struct web_search s;
	struct body b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(match_rows) / sizeof(*match_rows); i++) {
		const struct match_row *r = &match_rows[i];

		b.text = "Shall we have PIZZA or pasta?";
		b.calls = 0;
		web_search_parse(r->q, r->def, &s);
		if (web_search_matches(&s, head, sizeof(head) - 1, body_text,
		    &b) != r->matches)
			fail_msg("\"%s\": expected %s", r->q, r->matches ?
			    "a match" : "no match");
		if (b.calls != r->body_calls)
			fail_msg("\"%s\": body read %u times", r->q, b.calls);
		web_search_free(&s);
	}
}

/* A message without a cached header matches only by its body. */
static void
test_match_no_header(void **state)
{
	struct body b = { "hello", 0 };
	struct web_search s;

	(void)state;
	web_search_parse("hello", ALL, &s);
	assert_true(web_search_matches(&s, NULL, 0, body_text, &b));
	web_search_free(&s);
	web_search_parse("from:hello", ALL, &s);
	assert_false(web_search_matches(&s, NULL, 0, body_text, &b));
	web_search_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_limit),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_no_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
