/* Unit tests for src/lib/b64.c: RFC 4648 vectors, the tolerant MIME
 * decoder (whole, byte by byte, without a trailing NUL), strict decoding
 * and line-wrapped encoding.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/b64.h"

/* A copy of exactly len bytes: reading past it is an ASan error. */
static char *
exact(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	return c;
}

static const struct {
	const char	*in;
	const char	*out;
	size_t		 outlen;
	bool		 is_clean;
} dec_rows[] = {
	/* RFC 4648 10 */
	{ "", "", 0, true },
	{ "Zg==", "f", 1, true },
	{ "Zm8=", "fo", 2, true },
	{ "Zm9v", "foo", 3, true },
	{ "Zm9vYg==", "foob", 4, true },
	{ "Zm9vYmE=", "fooba", 5, true },
	{ "Zm9vYmFy", "foobar", 6, true },
	/* Line breaks and blanks are skipped (RFC 2045 6.8). */
	{ "Zm9v\r\nYmFy\r\n", "foobar", 6, true },
	{ " Zm 9v\tYm\nFy ", "foobar", 6, true },
	/* Junk is skipped, and noted. */
	{ "Zm!9v*YmFy", "foobar", 6, false },
	/* Padding ends the data; what follows is ignored. */
	{ "Zg==Zm9v", "f", 1, true },
	{ "Zm8=Zm9v", "fo", 2, true },
	/* Missing padding: the whole octets are kept. */
	{ "Zm9vYg", "foob", 4, false },
	{ "Zm9vYmE", "fooba", 5, false },
	/* A lone last sextet holds no octet. */
	{ "Zm9vY", "foo", 3, false },
	/* "=" early in a quantum cannot be padding. */
	{ "=Zm9v", "foo", 3, false },
	{ "Zm=9v", "foo", 3, false },
	{ "Zm9v====Zm9v", "foofoo", 6, false },
	/* 8-bit junk and NUL. */
	{ "Zm\x80\xff" "9v", "foo", 3, false },
	{ "AAEC", "\x00\x01\x02", 3, true },
};

static void
run_dec(const char *in, size_t len, bool bytewise, struct buf *out,
    bool *clean)
{
	struct b64_dec d;
	size_t i;

	b64_dec_init(&d);
	if (bytewise)
		for (i = 0; i < len; i++)
			b64_dec_update(&d, in + i, 1, out);
	else
		b64_dec_update(&d, in, len, out);
	*clean = b64_dec_is_clean(&d);
}

static void
test_decode(void **state)
{
	size_t i, len;
	int mode;

	(void)state;
	for (i = 0; i < sizeof(dec_rows) / sizeof(dec_rows[0]); i++) {
		len = strlen(dec_rows[i].in);
		for (mode = 0; mode < 2; mode++) {
			struct buf out = BUF_INIT;
			char *c = exact(dec_rows[i].in, len);
			bool clean;

			run_dec(c, len, mode == 1, &out, &clean);
			assert_int_equal(out.len, dec_rows[i].outlen);
			assert_memory_equal(out.data ? out.data : "",
			    dec_rows[i].out, out.len);
			if (clean != dec_rows[i].is_clean)
				fail_msg("row %zu clean %d", i, clean);
			buf_free(&out);
			free(c);
		}
	}
}

static void
test_strict(void **state)
{
	static const struct { const char *in; int rc; const char *out; }
	rows[] = {
		{ "Zm9vYmFy", 0, "foobar" },
		{ "Zm9vYg==", 0, "foob" },
		{ "Zm9vYmE=", 0, "fooba" },
		{ "Zm9vYg=", -1, NULL },
		{ "Zm9v\r\nYmFy", -1, NULL },
		{ "Zm9vY===", -1, NULL },
		{ "Zg=a", -1, NULL },
		{ "Zh==", -1, NULL },		/* non-zero pad bits */
		{ "Zm9=Zm9v", -1, NULL },
		{ "", 0, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf out = BUF_INIT;
		char *c = exact(rows[i].in, strlen(rows[i].in));

		assert_int_equal(b64_decode(c, strlen(rows[i].in), &out),
		    rows[i].rc);
		if (rows[i].rc == 0) {
			assert_int_equal(out.len, strlen(rows[i].out));
			assert_memory_equal(out.data ? out.data : "",
			    rows[i].out, out.len);
		}
		buf_free(&out);
		free(c);
	}
}

static void
test_encode(void **state)
{
	static const char *const rows[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf out = BUF_INIT;

		b64_encode(rows[i][0], strlen(rows[i][0]), &out);
		assert_int_equal(out.len, strlen(rows[i][1]));
		assert_memory_equal(out.data ? out.data : "", rows[i][1],
		    out.len);
		assert_int_equal(b64_encoded_len(strlen(rows[i][0])),
		    out.len);
		buf_free(&out);
	}
}

/* Streaming encoding in odd pieces gives 76-column CRLF lines that
 * decode back to the input. */
static void
test_lines_roundtrip(void **state)
{
	unsigned char data[3000];
	size_t n, i, piece, col;
	unsigned seed = 7;

	(void)state;
	for (i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245 + 12345;
		data[i] = (unsigned char)(seed >> 16);
	}
	for (n = 0; n < sizeof(data); n += 97) {
		for (piece = 1; piece < 10; piece += 4) {
			struct buf enc = BUF_INIT, dec = BUF_INIT;
			struct b64_enc e;
			struct b64_dec d;

			b64_enc_init(&e, 76);
			for (i = 0; i < n; i += piece)
				b64_enc_update(&e, data + i,
				    n - i < piece ? n - i : piece, &enc);
			b64_enc_final(&e, &enc);
			for (i = 0, col = 0; i < enc.len; i++) {
				if (enc.data[i] == '\r') {
					assert_true(enc.data[i + 1] == '\n');
					assert_true(col <= 76);
					col = 0;
					i++;
				} else
					col++;
			}
			assert_int_equal(col, 0);
			b64_dec_init(&d);
			b64_dec_update(&d, enc.data ? enc.data : "", enc.len,
			    &dec);
			assert_true(b64_dec_is_clean(&d));
			assert_int_equal(dec.len, n);
			if (n > 0)
				assert_memory_equal(dec.data, data, n);
			buf_free(&enc);
			buf_free(&dec);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_lines_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
