/* Tests for modified UTF-7 mailbox names (src/imap/mutf7.c, RFC 3501
 * 5.1.3): both directions, round trips and malformed input.
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

static const struct {
	const char	*utf8;
	const char	*mutf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "A&B", "A&-B" },
	{ "&", "&-" },
	{ "Entwürfe", "Entw&APw-rfe" },
	{ "日本語", "&ZeVnLIqe-" },
	{ "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "😀", "&2D3eAA-" },
	{ "a😀b€", "a&2D3eAA-b&IKw-" },
	{ "Ωmega/Sub", "&A6k-mega/Sub" },
};

static const char *const bad_mutf7[] = {
	"&", "a&Jjo", "&AGE-", "&2D0-", "&3gA-", "&U,BTF", "&U,BTFw-&ZeVnLIqe-",
	"&U,BTFw-&ZeVnLIqe-x&",
	"a\x01b", "caf\xc3\xa9", "&AB-", "&A-",
};

static const char *const bad_utf8[] = {
	"\xc3", "\xff", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80",
};

static void
test_pairs(void **state)
{
	struct buf b = BUF_INIT;
	size_t i, len;
	char *copy;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		buf_reset(&b);
		assert_int_equal(imap_mutf7_encode(pairs[i].utf8,
		    strlen(pairs[i].utf8), &b), 0);
		assert_string_equal(buf_cstr(&b), pairs[i].mutf7);
		/* Decode from an exact-size copy, without a NUL. */
		len = strlen(pairs[i].mutf7);
		copy = xmalloc(len ? len : 1);
		memcpy(copy, pairs[i].mutf7, len);
		buf_reset(&b);
		assert_int_equal(imap_mutf7_decode(copy, len, &b), 0);
		assert_string_equal(buf_cstr(&b), pairs[i].utf8);
		free(copy);
	}
	buf_free(&b);
}

static void
test_bad(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_mutf7) / sizeof(bad_mutf7[0]); i++) {
		buf_reset(&b);
		if (imap_mutf7_decode(bad_mutf7[i], strlen(bad_mutf7[i]),
		    &b) != -1)
			fail_msg("decoded %s", bad_mutf7[i]);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		buf_reset(&b);
		assert_int_equal(imap_mutf7_encode(bad_utf8[i],
		    strlen(bad_utf8[i]), &b), -1);
	}
	buf_free(&b);
}

/* Every BMP character and a few astral ones survive a round trip. */
static void
test_round_trip(void **state)
{
	struct buf u = BUF_INIT, m = BUF_INIT, back = BUF_INIT;
	uint32_t cp;

	(void)state;
	for (cp = 0x20; cp < 0x30000; cp += (cp < 0x10000 ? 1 : 97)) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		buf_reset(&u);
		buf_reset(&m);
		buf_reset(&back);
		if (cp < 0x80)
			buf_addc(&u, (char)cp);
		else if (cp < 0x800) {
			buf_addc(&u, (char)(0xc0 | (cp >> 6)));
			buf_addc(&u, (char)(0x80 | (cp & 0x3f)));
		} else if (cp < 0x10000) {
			buf_addc(&u, (char)(0xe0 | (cp >> 12)));
			buf_addc(&u, (char)(0x80 | ((cp >> 6) & 0x3f)));
			buf_addc(&u, (char)(0x80 | (cp & 0x3f)));
		} else {
			buf_addc(&u, (char)(0xf0 | (cp >> 18)));
			buf_addc(&u, (char)(0x80 | ((cp >> 12) & 0x3f)));
			buf_addc(&u, (char)(0x80 | ((cp >> 6) & 0x3f)));
			buf_addc(&u, (char)(0x80 | (cp & 0x3f)));
		}
		buf_adds(&u, "x");
		assert_int_equal(imap_mutf7_encode(u.data, u.len, &m), 0);
		assert_int_equal(imap_mutf7_decode(m.data, m.len, &back), 0);
		assert_int_equal(back.len, u.len);
		assert_memory_equal(back.data, u.data, u.len);
	}
	buf_free(&u);
	buf_free(&m);
	buf_free(&back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
