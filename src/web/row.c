/* The list entry of a message (uid, date, size, flags, and subject, from,
 * to and has_attachments from its cached header), written as JSON text
 * straight into a buffer: a page of the message list is streamed this
 * way, without building and freeing a tree of JSON objects per message.
 * The header is walked once for the four fields it needs.
 * SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "mime/mime.h"
#include "web_int.h"

static const struct {
	const char	*name;
	uint32_t	 bit;
} flag_names[] = {
	{ "seen", STORE_F_SEEN }, { "flagged", STORE_F_FLAGGED },
	{ "answered", STORE_F_ANSWERED }, { "draft", STORE_F_DRAFT },
	{ "deleted", STORE_F_DELETED },
};

bool
web_flags_parse(json_t *names, uint32_t *flags_out)
{
	json_t *v;
	size_t i, k;

	*flags_out = 0;
	if (!json_is_array(names))
		return false;
	json_array_foreach(names, i, v) {
		for (k = 0; k < sizeof(flag_names) / sizeof(*flag_names); k++)
			if (json_is_string(v) && strcmp(json_string_value(v),
			    flag_names[k].name) == 0)
				break;
		if (k == sizeof(flag_names) / sizeof(*flag_names))
			return false;
		*flags_out |= flag_names[k].bit;
	}
	return true;
}

json_t *
web_flags_json(uint32_t flags)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; k < sizeof(flag_names) / sizeof(*flag_names); k++)
		if (flags & flag_names[k].bit)
			json_array_append_new(a, json_string(
			    flag_names[k].name));
	return a;
}

void
web_json_write_str(struct buf *out, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct buf clean = BUF_INIT;
	const char *s;
	size_t i;

	if (!mime_utf8_is_valid(p != NULL ? p : "", p != NULL ? len : 0)) {
		mime_utf8_sanitize(p, len, &clean);
		p = clean.data;
		len = clean.len;
	}
	buf_reserve(out, len + 2);
	buf_addc(out, '"');
	for (i = 0, s = p; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)c);
		} else if (c < 0x20) {
			buf_adds(out, "\\u00");
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		} else
			buf_addc(out, (char)c);
	}
	buf_addc(out, '"');
	buf_free(&clean);
}

/* {"address", "name"} of the first mailbox of an address field's raw
 * value; {} when there is none. */
static void
write_first_address(struct buf *out, const struct mime_field *f)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf spec = BUF_INIT;
	size_t i;

	buf_addc(out, '{');
	if (f->value != NULL)
		mime_addr_parse(f->value, f->valuelen, &l);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX)
			continue;
		mime_addr_spec_write(&l.v[i], &spec);
		buf_adds(out, "\"address\":");
		web_json_write_str(out, spec.data, spec.len);
		if (l.v[i].name != NULL) {
			buf_adds(out, ",\"name\":");
			web_json_write_str(out, l.v[i].name,
			    strlen(l.v[i].name));
		}
		break;
	}
	buf_addc(out, '}');
	buf_free(&spec);
	mime_addr_list_free(&l);
}

/* The fields of the summary, each the first of its name. */
enum { SUBJECT, FROM, TO, CTYPE, NFIELDS };

static void
summary_fields(const char *head, size_t len, struct mime_field *v)
{
	static const char *const names[NFIELDS] = {
		"Subject", "From", "To", "Content-Type",
	};
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t k, found = 0;

	memset(v, 0, NFIELDS * sizeof(*v));
	if (head == NULL)
		return;
	mime_hdr_iter_init(&it, head, len);
	while (found < NFIELDS && mime_hdr_next(&it, &f) == 1)
		for (k = 0; k < NFIELDS; k++)
			if (v[k].name == NULL && str_iprefix(f.name,
			    f.namelen, names[k]) && f.namelen ==
			    strlen(names[k])) {
				v[k] = f;
				found++;
				break;
			}
}

static void
write_summary(struct buf *out, const char *head, size_t len)
{
	struct mime_field v[NFIELDS];
	struct buf t = BUF_INIT;

	summary_fields(head, len, v);
	if (v[SUBJECT].value != NULL)
		mime_hdr_decode(v[SUBJECT].value, v[SUBJECT].valuelen, &t);
	buf_adds(out, ",\"subject\":");
	web_json_write_str(out, t.data, t.len);
	buf_adds(out, ",\"from\":");
	write_first_address(out, &v[FROM]);
	buf_adds(out, ",\"to\":");
	write_first_address(out, &v[TO]);
	buf_reset(&t);
	if (v[CTYPE].value != NULL)
		mime_hdr_unfold(v[CTYPE].value, v[CTYPE].valuelen, &t);
	buf_adds(out, t.len >= 15 && str_iprefix(t.data, t.len,
	    "multipart/mixed") ? ",\"has_attachments\":true" :
	    ",\"has_attachments\":false");
	buf_free(&t);
}

void
web_row_write(struct buf *out, const struct store_row *row,
    const char *folder)
{
	size_t k;
	bool is_first = true;

	buf_addf(out, "{\"uid\":%" PRIu32 ",\"date\":%" PRId64 ",\"size\":%"
	    PRIu64 ",\"flags\":[", row->uid, row->internal_date, row->size);
	for (k = 0; k < sizeof(flag_names) / sizeof(*flag_names); k++)
		if (row->flags & flag_names[k].bit) {
			buf_adds(out, is_first ? "\"" : ",\"");
			buf_adds(out, flag_names[k].name);
			buf_addc(out, '"');
			is_first = false;
		}
	buf_addc(out, ']');
	write_summary(out, row->header, row->header_len);
	if (folder != NULL) {
		buf_adds(out, ",\"folder\":");
		web_json_write_str(out, folder, strlen(folder));
	}
	buf_addc(out, '}');
}

json_t *
web_row_json(const struct store_row *row, const char *folder)
{
	struct buf b = BUF_INIT;
	json_t *o;

	web_row_write(&b, row, folder);
	o = json_loadb(b.data, b.len, JSON_ALLOW_NUL, NULL);
	buf_free(&b);
	if (o == NULL)
		fatalx("web_row_json: bad JSON from web_row_write");
	return o;
}
