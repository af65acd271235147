/* Unit tests: the webmail's message helpers (src/web/msg.c): flags by
 * name, the list entry's summary from a cached header, address lists,
 * header fields, JSON strings from ill-formed UTF-8, the list entry
 * written as JSON text (row.c), and part ids,
 * attachments and the parts picked for reading in a parsed message.
 * SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "web/web_int.h"

static void
assert_json(json_t *j, const char *want)
{
	char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("got %s, want %s", got, want);
	free(got);
	json_decref(j);
}

static void
test_flags(void **state)
{
	static const struct {
		const char	*json;
		bool		 ok;
		uint32_t	 flags;
	} v[] = {
		{ "[]", true, 0 },
		{ "[\"seen\"]", true, STORE_F_SEEN },
		{ "[\"flagged\", \"answered\", \"draft\", \"deleted\"]", true,
		    STORE_F_FLAGGED | STORE_F_ANSWERED | STORE_F_DRAFT |
		    STORE_F_DELETED },
		{ "[\"seen\", \"seen\"]", true, STORE_F_SEEN },
		{ "[\"Seen\"]", false, 0 },
		{ "[\"recent\"]", false, 0 },
		{ "[1]", false, 0 },
		{ "\"seen\"", false, 0 },
		{ "{}", false, 0 },
	};
	uint32_t flags;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		j = json_loads(v[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		assert_int_equal(web_flags_parse(j, &flags), v[i].ok);
		if (v[i].ok)
			assert_int_equal(flags, v[i].flags);
		json_decref(j);
	}
	assert_json(web_flags_json(0), "[]");
	assert_json(web_flags_json(STORE_F_SEEN | STORE_F_FLAGGED |
	    STORE_F_ANSWERED | STORE_F_DRAFT | STORE_F_DELETED),
	    "[\"seen\",\"flagged\",\"answered\",\"draft\",\"deleted\"]");
}

static void
test_summary(void **state)
{
	static const struct {
		const char	*head;
		const char	*json;
	} v[] = {
		{ "From: Ann <ann@example.org>\r\nTo: b@example.org, "
		  "c@example.org\r\nSubject: =?UTF-8?B?aMOpbGxv?=\r\n"
		  "Content-Type: multipart/mixed; boundary=x\r\n\r\n",
		  "{\"from\":{\"address\":\"ann@example.org\","
		  "\"name\":\"Ann\"},"
		  "\"has_attachments\":true,\"subject\":\"h\xc3\xa9llo\","
		  "\"to\":{\"address\":\"b@example.org\"}}" },
		{ "Subject: plain\r\nContent-Type: text/plain\r\n\r\n",
		  "{\"from\":{},\"has_attachments\":false,"
		  "\"subject\":\"plain\",\"to\":{}}" },
		{ "Content-Type: MULTIPART/MIXED;\r\n boundary=y\r\n\r\n",
		  "{\"from\":{},\"has_attachments\":true,\"subject\":\"\","
		  "\"to\":{}}" },
		{ "Content-Type: multipart/alternative; b=1\r\n\r\n",
		  "{\"from\":{},\"has_attachments\":false,\"subject\":\"\","
		  "\"to\":{}}" },
		{ "To: undisclosed-recipients:;\r\n\r\n",
		  "{\"from\":{},\"has_attachments\":false,\"subject\":\"\","
		  "\"to\":{}}" },
		{ NULL,
		  "{\"from\":{},\"has_attachments\":false,\"subject\":\"\","
		  "\"to\":{}}" },
	};
	struct store_row row;
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		memset(&row, 0, sizeof(row));
		row.header = (char *)v[i].head;
		row.header_len = v[i].head ? strlen(v[i].head) : 0;
		o = web_row_json(&row, NULL);
		assert_non_null(o);
		json_object_del(o, "uid");
		json_object_del(o, "date");
		json_object_del(o, "size");
		json_object_del(o, "flags");
		assert_json(o, v[i].json);
	}
}

/* The text written for the list: exact, escaped, valid UTF-8. */
static void
test_row_write(void **state)
{
	static const char head[] = "Subject: a \"q\" \\ \x01 \xff\r\n"
	    "subject: second\r\n"
	    "from: <x@y>\r\n\r\n";
	struct store_row row;
	struct buf b = BUF_INIT;

	(void)state;
	memset(&row, 0, sizeof(row));
	row.uid = 42;
	row.internal_date = 1700000000;
	row.size = 1234;
	row.flags = STORE_F_SEEN | STORE_F_DRAFT;
	row.header = (char *)head;
	row.header_len = sizeof(head) - 1;
	web_row_write(&b, &row, "Sent/\"2024\"");
	assert_string_equal(buf_cstr(&b), "{\"uid\":42,\"date\":1700000000,"
	    "\"size\":1234,\"flags\":[\"seen\",\"draft\"],"
	    "\"subject\":\"a \\\"q\\\" \\\\ \\u0001 \xc3\xbf\","
	    "\"from\":{\"address\":\"x@y\"},\"to\":{},"
	    "\"has_attachments\":false,\"folder\":\"Sent/\\\"2024\\\"\"}");
	buf_reset(&b);
	web_json_write_str(&b, "a\0b\n", 4);
	assert_string_equal(buf_cstr(&b), "\"a\\u0000b\\u000a\"");
	buf_reset(&b);
	web_json_write_str(&b, "a\xff\xc3", 3);
	assert_string_equal(buf_cstr(&b), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
	buf_reset(&b);
	web_json_write_str(&b, NULL, 0);
	assert_string_equal(buf_cstr(&b), "\"\"");
	buf_free(&b);
}

static void
test_addr_list(void **state)
{
	static const char v[] = "Ann <ann@example.org>, team: b@example.org,"
	    " \"C, D\" <cd@example.org>;";

	(void)state;
	assert_json(web_addr_list_json(v, sizeof(v) - 1),
	    "[{\"address\":\"ann@example.org\",\"name\":\"Ann\"},"
	    "{\"address\":\"b@example.org\"},"
	    "{\"address\":\"cd@example.org\",\"name\":\"C, D\"}]");
	assert_json(web_addr_list_json("", 0), "[]");
}

static void
test_hdr_get(void **state)
{
	static const char head[] = "Subject: one\r\n two\r\n"
	    "X-Enc: =?ISO-8859-1?Q?caf=E9?=\r\n\r\nbody: no\r\n";
	struct buf b = BUF_INIT;

	(void)state;
	assert_true(web_hdr_get(head, sizeof(head) - 1, "subject", false,
	    &b));
	assert_string_equal(buf_cstr(&b), "one two");
	buf_reset(&b);
	assert_true(web_hdr_get(head, sizeof(head) - 1, "X-Enc", true, &b));
	assert_string_equal(buf_cstr(&b), "caf\xc3\xa9");
	buf_reset(&b);
	assert_true(web_hdr_get(head, sizeof(head) - 1, "X-Enc", false, &b));
	assert_string_equal(buf_cstr(&b), "=?ISO-8859-1?Q?caf=E9?=");
	assert_false(web_hdr_get(head, sizeof(head) - 1, "body", false, &b));
	assert_false(web_hdr_get(NULL, 0, "Subject", false, &b));
	buf_free(&b);
}

static void
test_json_str(void **state)
{
	(void)state;
	assert_json(web_json_str("abc", 3), "\"abc\"");
	assert_json(web_json_str(NULL, 0), "\"\"");
	assert_json(web_json_str("a\xff" "b", 3), "\"a\xef\xbf\xbd" "b\"");
	assert_json(web_json_str("\xc3", 1), "\"\xef\xbf\xbd\"");
	/* An embedded NUL is kept, as JSON escapes it. */
	assert_json(web_json_str("a\0b", 3), "\"a\\u0000b\"");
}

static const char message[] =
    "From: a@example.org\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain text\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; name=notes.txt\r\n"
    "\r\n"
    "an attached text\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Disposition: inline; filename=\"doc.pdf\"\r\n"
    "\r\n"
    "%PDF\r\n"
    "--outer--\r\n";

static void
test_parts(void **state)
{
	struct mime_part *text, *html, *p;
	struct web_msg m;
	struct buf b = BUF_INIT;
	static const char *const ids[] = { "0.1.1", "0.1.2", "0.2", "0.3" };
	size_t i;
	int fd;

	(void)state;
	fd = memfd_create("msg", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, message, sizeof(message) - 1),
	    sizeof(message) - 1);
	memset(&m, 0, sizeof(m));
	m.fd = fd;
	m.msg.size = sizeof(message) - 1;
	m.root = web_msg_parse_fd(fd);
	assert_non_null(m.root);
	web_msg_pick(m.root, &text, &html);
	assert_non_null(text);
	assert_non_null(html);
	assert_string_equal(text->subtype, "plain");
	assert_string_equal(html->subtype, "html");
	assert_true(web_msg_text(&m, text, 1000, &b));
	assert_string_equal(buf_cstr(&b), "plain text");
	for (i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
		p = web_part_find(m.root, ids[i]);
		assert_non_null(p);
		buf_reset(&b);
		web_part_id(p, &b);
		assert_string_equal(buf_cstr(&b), ids[i]);
	}
	assert_ptr_equal(web_part_find(m.root, "0"), m.root);
	assert_ptr_equal(web_part_find(m.root, "0.1.1"), text);
	assert_null(web_part_find(m.root, "0.4"));
	assert_null(web_part_find(m.root, "0.0"));
	assert_null(web_part_find(m.root, "1"));
	assert_null(web_part_find(m.root, "0."));
	assert_null(web_part_find(m.root, "0.1x"));
	assert_null(web_part_find(m.root, "0.1.1.1"));
	assert_false(web_part_is_attachment(text));
	assert_false(web_part_is_attachment(html));
	assert_false(web_part_is_attachment(web_part_find(m.root, "0.1")));
	p = web_part_find(m.root, "0.2");
	assert_true(web_part_is_attachment(p));
	assert_string_equal(web_part_filename(p), "notes.txt");
	p = web_part_find(m.root, "0.3");
	assert_true(web_part_is_attachment(p));
	assert_string_equal(web_part_filename(p), "doc.pdf");
	buf_free(&b);
	web_msg_close(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_row_write),
		cmocka_unit_test(test_addr_list),
		cmocka_unit_test(test_hdr_get),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
