/* Writing mail: the message a compose form describes, built with the MIME
 * builder (From the signed-in user, To/Cc/Bcc, Subject, In-Reply-To and
 * References for a reply, the text, uploaded attachments, a forwarded
 * message as message/rfc822), and its recipients as addr-specs.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define FORWARD_MAX	(64 * 1024 * 1024)

static const char *
field(json_t *body, const char *name)
{
	json_t *v = json_object_get(body, name);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* A header value may not break the header: no CR, LF or NUL. */
static bool
is_one_line(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

static void
add_header(struct mime_build *b, const char *name, const char *value)
{
	if (value[0] != '\0')
		mime_build_header(b, name, value);
}

/* In-Reply-To and References (RFC 5322 3.6.4) from the "in_reply_to"
 * object the app sends: the parent's Message-ID and References. */
static void
add_reply_fields(struct mime_build *b, json_t *reply)
{
	const char *id = field(reply, "message_id");
	const char *refs = field(reply, "references");
	struct buf v = BUF_INIT;

	if (id[0] == '\0' || !is_one_line(id) || !is_one_line(refs))
		return;
	mime_build_header(b, "In-Reply-To", id);
	if (refs[0] != '\0')
		buf_addf(&v, "%s ", refs);
	buf_adds(&v, id);
	mime_build_header(b, "References", buf_cstr(&v));
	buf_free(&v);
}

static bool
add_uploads(struct web_req *r, struct mime_build *b, json_t *ids,
    const char **errstr)
{
	struct buf data = BUF_INIT, name = BUF_INIT, type = BUF_INIT;
	json_t *v;
	size_t i;
	bool ok = true;

	if (ids != NULL && !json_is_array(ids))
		ids = NULL;
	json_array_foreach(ids, i, v) {
		buf_reset(&data);
		buf_reset(&name);
		buf_reset(&type);
		if (!json_is_string(v) || !web_sessions_upload_get(
		    r->srv->sessions, r->login.id, json_string_value(v), &data,
		    &name, &type)) {
			*errstr = "no such upload";
			ok = false;
			break;
		}
		mime_build_attach(b, buf_cstr(&name), type.len ?
		    buf_cstr(&type) : NULL, data.data, data.len);
	}
	buf_free(&data);
	buf_free(&name);
	buf_free(&type);
	return ok;
}

/* The message named by "forward": {"folder", "uid"}, attached whole.
 * 1, or 0 / -1 after a reply. */
static int
add_forward(struct web_req *r, struct mime_build *b, json_t *fwd)
{
	struct buf raw = BUF_INIT, uid = BUF_INIT;
	struct web_msg m;
	json_t *ju = json_object_get(fwd, "uid");
	int found;

	if (!json_is_integer(ju)) {
		web_reply_error(r, 400, "forward: expected {\"folder\", "
		    "\"uid\"}");
		return 0;
	}
	buf_addf(&uid, "%lld", (long long)json_integer_value(ju));
	found = web_msg_open(r, field(fwd, "folder"), buf_cstr(&uid), false,
	    &m);
	buf_free(&uid);
	if (found != 1)
		return found;
	if (m.msg.size > FORWARD_MAX || !web_msg_read(&m, 0,
	    (size_t)m.msg.size, &raw)) {
		web_msg_close(&m);
		buf_free(&raw);
		web_reply_error(r, 500, "cannot read the forwarded message");
		return -1;
	}
	web_msg_close(&m);
	mime_build_forward(b, raw.data, raw.len);
	buf_free(&raw);
	return 1;
}

int
web_compose_build(struct web_req *r, json_t *body, bool with_bcc,
    struct buf *out)
{
	struct mime_build *b;
	const char *text = field(body, "text"), *errstr = NULL;
	json_t *fwd = json_object_get(body, "forward");
	int rc = 1;

	if (!is_one_line(field(body, "to")) || !is_one_line(field(body,
	    "cc")) || !is_one_line(field(body, "bcc")) ||
	    !is_one_line(field(body, "subject"))) {
		web_reply_error(r, 400, "header fields are one line each");
		return 0;
	}
	b = mime_build_new(0);
	mime_build_header(b, "From", r->login.address);
	add_header(b, "To", field(body, "to"));
	add_header(b, "Cc", field(body, "cc"));
	if (with_bcc)
		add_header(b, "Bcc", field(body, "bcc"));
	mime_build_header(b, "Subject", field(body, "subject"));
	if (json_is_object(json_object_get(body, "in_reply_to")))
		add_reply_fields(b, json_object_get(body, "in_reply_to"));
	mime_build_header(b, "User-Agent", "petrel webmail");
	mime_build_text(b, text, strlen(text));
	if (!add_uploads(r, b, json_object_get(body, "attachments"),
	    &errstr)) {
		web_reply_error(r, 400, "%s", errstr);
		rc = 0;
	} else if (json_is_object(fwd))
		rc = add_forward(r, b, fwd);
	if (rc == 1)
		mime_build_write(b, out);
	mime_build_free(b);
	return rc;
}

int
web_compose_rcpts(struct web_req *r, json_t *body, char ***rcpts_out,
    size_t *n_out)
{
	static const char *const fields[] = { "to", "cc", "bcc" };
	struct mime_addr_list l = { NULL, 0 };
	struct buf spec = BUF_INIT;
	char **v = NULL;
	size_t i, n = 0;
	const char *p;

	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		p = field(body, fields[i]);
		mime_addr_parse(p, strlen(p), &l);
	}
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX || l.v[i].domain == NULL)
			continue;
		buf_reset(&spec);
		mime_addr_spec_write(&l.v[i], &spec);
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = buf_release(&spec);
	}
	mime_addr_list_free(&l);
	buf_free(&spec);
	if (n == 0 || n > WEB_RCPTS_MAX) {
		store_strings_free(v, n);
		web_reply_error(r, 400, n ? "too many recipients" :
		    "no recipient");
		return 0;
	}
	*rcpts_out = v;
	*n_out = n;
	return 1;
}
