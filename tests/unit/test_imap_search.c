/* Tests for SEARCH key parsing and evaluation (src/imap/search.c) on
 * made-up messages: flags, keywords, sizes, dates, headers with encoded
 * words, sets, NOT/OR/lists, MODSEQ, and the nesting limit.
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

static char hdr1[] = "From: Alice <alice@example.org>\r\n"
    "To: bob@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= report\r\n"
    "X-Tag: urgent\r\n\r\n";
static char hdr2[] = "From: carol@example.net\r\nSubject: lunch\r\n\r\n";

static struct store_row rows[2];
static uint32_t uids[] = { 4, 9 };

static void
rows_init(void)
{
	memset(rows, 0, sizeof(rows));
	rows[0].uid = 4;
	rows[0].flags = STORE_F_SEEN | STORE_F_FLAGGED;
	rows[0].keywords = (char *)"$Work todo";
	rows[0].size = 1000;
	rows[0].modseq = 5;
	rows[0].internal_date = 1704189600;	/* 2 Jan 2024 10:00 UTC */
	rows[0].sent_date = 1704103200;		/* 1 Jan 2024 10:00 UTC */
	rows[0].header = hdr1;
	rows[0].header_len = sizeof(hdr1) - 1;
	rows[1].uid = 9;
	rows[1].keywords = (char *)"";
	rows[1].size = 50;
	rows[1].modseq = 12;
	rows[1].internal_date = 1719792000;	/* 1 Jul 2024 */
	rows[1].header = hdr2;
	rows[1].header_len = sizeof(hdr2) - 1;
}

/* "12" for the messages the keys match. */
static int
run(const char *keys, char *out)
{
	struct imap_session s;
	struct imap_view v;
	struct imap_args args;
	struct imap_search *q;
	const char *errstr;
	char *text = xasprintf(" %s\r\n", keys);
	size_t i, k = 0;

	memset(&s, 0, sizeof(s));
	memset(&v, 0, sizeof(v));
	v.uids = uids;
	v.n = 2;
	v.recent[0].lo = 9;
	v.recent[0].hi = 10;
	v.n_recent = 1;
	s.view = &v;
	if (imap_parse_args(text, strlen(text), &args, &errstr) != 1) {
		free(text);
		return -1;
	}
	q = imap_search_parse(&s, args.v, args.n, &errstr);
	if (q != NULL) {
		for (i = 0; i < 2; i++)
			if (imap_search_match(q, NULL, &rows[i],
			    (uint32_t)i + 1, imap_view_is_recent(&v,
			    rows[i].uid)))
				out[k++] = (char)('1' + i);
	}
	out[k] = '\0';
	imap_search_free(q);
	imap_args_free(&args);
	free(text);
	return q == NULL ? -1 : 0;
}

static const struct {
	const char	*keys;
	const char	*want;		/* NULL: bad syntax */
} cases[] = {
	{ "ALL", "12" }, { "SEEN", "1" }, { "UNSEEN", "2" },
	{ "FLAGGED", "1" }, { "UNFLAGGED", "2" }, { "ANSWERED", "" },
	{ "UNANSWERED", "12" }, { "DELETED", "" }, { "DRAFT", "" },
	{ "KEYWORD todo", "1" }, { "KEYWORD TODO", "1" },
	{ "UNKEYWORD $work", "2" }, { "RECENT", "2" }, { "NEW", "2" },
	{ "OLD", "1" }, { "LARGER 999", "1" }, { "LARGER 1000", "" },
	{ "SMALLER 51", "2" }, { "BEFORE 2-Jan-2024", "" },
	{ "ON 2-Jan-2024", "1" }, { "SINCE 3-Jan-2024", "2" },
	{ "SENTON 1-Jan-2024", "1" }, { "SENTBEFORE 1-Jan-2024", "" },
	{ "SENTSINCE 1-Jan-2024", "12" }, { "FROM ALICE", "1" },
	{ "FROM example", "12" }, { "TO bob", "1" }, { "CC bob", "" },
	{ "SUBJECT \"grüße\"", "1" }, { "SUBJECT lunch", "2" },
	{ "HEADER x-tag URG", "1" }, { "HEADER X-Tag \"\"", "1" },
	{ "HEADER Subject \"\"", "12" }, { "UID 9", "2" },
	{ "UID 5:*", "2" }, { "1", "1" }, { "2:*", "2" }, { "*", "2" },
	{ "NOT SEEN", "2" }, { "OR SEEN RECENT", "12" },
	{ "OR SEEN (FROM carol LARGER 10)", "12" },
	{ "(SEEN FLAGGED) KEYWORD todo", "1" }, { "MODSEQ 6", "2" },
	{ "MODSEQ \"/flags/\\\\Seen\" all 5", "12" },
	{ "NOT NOT NOT ALL", "" },
	{ "BOGUS", NULL }, { "SEEN (", NULL }, { "OR SEEN", NULL },
	{ "BEFORE 2024-01-01", NULL }, { "LARGER", NULL },
	{ "KEYWORD", NULL }, { "UID 0", NULL }, { "()", NULL },
};

static void
test_keys(void **state)
{
	char out[8];
	size_t i;

	(void)state;
	rows_init();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run(cases[i].keys, out);

		if (cases[i].want == NULL) {
			if (rc != -1)
				fail_msg("\"%s\" parsed", cases[i].keys);
			continue;
		}
		if (rc != 0)
			fail_msg("\"%s\" did not parse", cases[i].keys);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    cases[i].keys, out, cases[i].want);
	}
}

static void
test_nesting(void **state)
{
	struct buf b = BUF_INIT;
	char out[8];
	int i;

	(void)state;
	rows_init();
	for (i = 0; i < 40; i++)
		buf_adds(&b, "NOT ");
	buf_adds(&b, "ALL");
	assert_int_equal(run(buf_cstr(&b), out), -1);
	buf_reset(&b);
	for (i = 0; i < 20; i++)
		buf_adds(&b, "NOT ");
	buf_adds(&b, "ALL");
	assert_int_equal(run(buf_cstr(&b), out), 0);
	assert_string_equal(out, "12");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
