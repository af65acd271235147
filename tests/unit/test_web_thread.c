/* Unit tests: the webmail's conversations (src/web/thread.c): joining by
 * Message-ID, References and In-Reply-To, through a missing parent, by
 * base subject when a reply has no references, the order of threads and
 * of the messages in each.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web/web_int.h"

#define MSGS_MAX	8

struct msg {
	const char	*header;
	int64_t		 date;
};

/* A mailbox (in arrival order) and its threads written as text: each
 * thread, newest activity first, as its messages' indexes in arrival
 * order, "0 2|1". */
struct row {
	const char	*name;
	struct msg	 msgs[MSGS_MAX];
	const char	*threads;
};

static const struct row rows[] = {
	{ "empty", { { NULL, 0 } }, "" },
	{ "one", { { "Subject: a\r\n\r\n", 1 } }, "0" },
	{ "reply by In-Reply-To", {
	    { "Message-ID: <a@x>\r\nSubject: a\r\n\r\n", 1 },
	    { "Message-ID: <b@x>\r\nSubject: other\r\n\r\n", 2 },
	    { "Message-ID: <c@x>\r\nIn-Reply-To: <a@x>\r\n"
	      "Subject: whatever\r\n\r\n", 3 } }, "0 2|1" },
	{ "reply by References, folded", {
	    { "Message-ID: <a@x>\r\n\r\n", 5 },
	    { "Message-ID: <b@x>\r\n\r\n", 6 },
	    { "Message-ID: <c@x>\r\nReferences: <q@x>\r\n <a@x>\r\n\r\n",
	      7 } }, "0 2|1" },
	{ "siblings of a missing parent", {
	    { "Message-ID: <b@x>\r\nReferences: <gone@x>\r\n\r\n", 1 },
	    { "Message-ID: <z@x>\r\nSubject: alone\r\n\r\n", 2 },
	    { "Message-ID: <c@x>\r\nIn-Reply-To: <gone@x>\r\n\r\n", 3 } },
	    "0 2|1" },
	{ "parent arriving after the reply", {
	    { "Message-ID: <r@x>\r\nIn-Reply-To: <p@x>\r\n\r\n", 10 },
	    { "Message-ID: <p@x>\r\n\r\n", 5 } }, "0 1" },
	{ "Re: without references joins its base subject", {
	    { "Subject: lunch\r\n\r\n", 1 },
	    { "Subject: other\r\n\r\n", 2 },
	    { "Subject: RE: Fwd:  lunch\r\n\r\n", 3 } }, "0 2|1" },
	{ "one subject without a reply stays apart", {
	    { "Subject: report\r\n\r\n", 1 },
	    { "Subject: report\r\n\r\n", 2 } }, "1|0" },
	{ "encoded subject is decoded first", {
	    { "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n", 1 },
	    { "Subject: Re: caf\xc3\xa9\r\n\r\n", 2 } }, "0 1" },
	{ "a reply with references does not join by subject", {
	    { "Message-ID: <a@x>\r\nSubject: x\r\n\r\n", 1 },
	    { "Message-ID: <b@x>\r\nIn-Reply-To: <elsewhere@x>\r\n"
	      "Subject: Re: x\r\n\r\n", 2 } }, "1|0" },
	{ "threads ordered by newest message", {
	    { "Message-ID: <a@x>\r\n\r\n", 100 },
	    { "Message-ID: <b@x>\r\n\r\n", 200 },
	    { "Message-ID: <c@x>\r\nIn-Reply-To: <a@x>\r\n\r\n", 300 },
	    { "Message-ID: <d@x>\r\n\r\n", 250 } }, "0 2|3|1" },
	{ "equal dates: later arrival first", {
	    { "Subject: a\r\n\r\n", 7 },
	    { "Subject: b\r\n\r\n", 7 } }, "1|0" },
	{ "a chain of three through two fields", {
	    { "Message-ID: <1@x>\r\n\r\n", 1 },
	    { "Message-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\n\r\n", 2 },
	    { "Message-ID: <3@x>\r\nReferences: <2@x>\r\n\r\n", 3 },
	    { "Message-ID: <4@x>\r\n\r\n", 2 } }, "0 1 2|3" },
	{ "no cached header", {
	    { NULL, 1 }, { NULL, 2 } }, "1|0" },
};

static size_t
nmsgs(const struct row *r)
{
	size_t n = 0;

	while (n < MSGS_MAX && (r->msgs[n].header != NULL ||
	    r->msgs[n].date != 0))
		n++;
	return n;
}

static void
threads_text(const struct web_threads *t, struct buf *out)
{
	size_t i, m;

	for (i = 0; i < t->nthreads; i++) {
		if (i > 0)
			buf_addc(out, '|');
		for (m = t->roots[i]; m != SIZE_MAX; m = t->next[m]) {
			if (m != t->roots[i])
				buf_addc(out, ' ');
			buf_addf(out, "%zu", m);
		}
	}
}

static void
test_threads(void **state)
{
	struct store_row msgs[MSGS_MAX];
	struct web_threads t;
	struct buf got = BUF_INIT;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		n = nmsgs(&rows[i]);
		memset(msgs, 0, sizeof(msgs));
		for (k = 0; k < n; k++) {
			msgs[k].uid = (uint32_t)k + 1;
			msgs[k].internal_date = rows[i].msgs[k].date;
			msgs[k].header = (char *)rows[i].msgs[k].header;
			msgs[k].header_len = msgs[k].header != NULL ?
			    strlen(msgs[k].header) : 0;
		}
		web_threads_build(msgs, n, &t);
		buf_reset(&got);
		threads_text(&t, &got);
		if (strcmp(buf_cstr(&got), rows[i].threads) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", rows[i].name,
			    buf_cstr(&got), rows[i].threads);
		web_threads_free(&t);
	}
	buf_free(&got);
}

static void
test_subject_base(void **state)
{
	static const struct {
		const char	*in, *base;
		bool		 is_cut;
	} v[] = {
		{ "hello", "hello", false },
		{ "Re: hello", "hello", true },
		{ "RE:hello", "hello", true },
		{ " re: FWD: Fw: aw: hello", "hello", true },
		{ "Re: Re: Re:  x y", "x y", true },
		{ "Reply: x", "Reply: x", false },
		{ "x Re: y", "x Re: y", false },
		{ "", "", false },
		{ "Re:", "", true },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		buf_reset(&b);
		assert_int_equal(web_subject_base(v[i].in, &b), v[i].is_cut);
		assert_string_equal(buf_cstr(&b), v[i].base);
	}
	buf_free(&b);
}

/* Many messages of one conversation and many alone: every message is in
 * exactly one thread, and each thread's list is in arrival order. */
static void
test_threads_large(void **state)
{
	enum { N = 2000 };
	struct store_row *msgs = calloc(N, sizeof(*msgs));
	struct web_threads t;
	size_t i, m, seen = 0, prev;
	char **heads = calloc(N, sizeof(*heads));

	(void)state;
	assert_non_null(msgs);
	assert_non_null(heads);
	for (i = 0; i < N; i++) {
		heads[i] = malloc(128);
		assert_non_null(heads[i]);
		if (i % 2 == 0 && i > 0)
			snprintf(heads[i], 128, "Message-ID: <%zu@x>\r\n"
			    "In-Reply-To: <%zu@x>\r\n\r\n", i, i - 2);
		else
			snprintf(heads[i], 128, "Message-ID: <%zu@x>\r\n\r\n",
			    i);
		msgs[i].header = heads[i];
		msgs[i].header_len = strlen(heads[i]);
		msgs[i].internal_date = (int64_t)i;
	}
	web_threads_build(msgs, N, &t);
	/* The even ones form one thread; each odd one is alone. */
	assert_int_equal(t.nthreads, 1 + N / 2);
	/* N - 1 is the newest message, then N - 2 in the long thread. */
	assert_int_equal(t.roots[0], N - 1);
	assert_int_equal(t.roots[1], 0);
	for (i = 0; i < t.nthreads; i++)
		for (prev = 0, m = t.roots[i]; m != SIZE_MAX; m = t.next[m]) {
			assert_true(m == t.roots[i] || m > prev);
			prev = m;
			seen++;
		}
	assert_int_equal(seen, N);
	web_threads_free(&t);
	for (i = 0; i < N; i++)
		free(heads[i]);
	free(heads);
	free(msgs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_subject_base),
		cmocka_unit_test(test_threads_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
