/* Attachment uploads for messages being written: multipart/form-data
 * (RFC 7578) with one or more "file" parts, kept with the signed-in
 * session until it ends or the upload is removed.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/log.h"
#include "web_int.h"

#define UPLOAD_PARTS	32

web_handler_fn web_api_upload, web_api_upload_delete;

/* A type as the client said it, when it looks like type/subtype. */
static const char *
clean_type(const char *t)
{
	size_t i;

	if (t == NULL || strchr(t, '/') == NULL || strlen(t) > 100)
		return "application/octet-stream";
	for (i = 0; t[i] != '\0'; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' &&
		    t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
		    strchr("/.+-_", t[i]) != NULL))
			return "application/octet-stream";
	return t;
}

static bool
keep_files(struct web_req *r, const struct web_form *f, json_t *list)
{
	char id[WEB_UPLOAD_ID_LEN + 1];
	const char *type;
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct web_formpart *p = &f->v[i];

		if (p->filename == NULL || strcmp(p->name, "file") != 0)
			continue;
		type = clean_type(p->type);
		if (!web_sessions_upload_add(r->srv->sessions, r->login.id,
		    p->filename, type, p->data, p->len, r->srv->max_body, id))
			return false;
		json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:I}",
		    "id", id, "name", web_json_str(p->filename,
		    strlen(p->filename)), "type", type, "size",
		    (json_int_t)p->len));
	}
	return true;
}

void
web_api_upload(struct web_req *r)
{
	struct web_form f;
	const char *ct, *errstr;
	json_t *list;
	size_t len;

	ct = http_header_get(r->http, "content-type", &len);
	if (ct == NULL || web_form_parse(ct, len, r->http->body.data ?
	    r->http->body.data : "", r->http->body.len, UPLOAD_PARTS, &f,
	    &errstr) < 0) {
		web_reply_error(r, 400, "expected multipart/form-data");
		return;
	}
	list = json_array();
	if (!keep_files(r, &f, list)) {
		web_form_free(&f);
		json_decref(list);
		web_reply_error(r, 413, "uploads too large for this session");
		return;
	}
	web_form_free(&f);
	web_reply_json(r, 201, json_pack("{s:o}", "uploads", list));
}

void
web_api_upload_delete(struct web_req *r)
{
	if (!web_sessions_upload_del(r->srv->sessions, r->login.id,
	    r->params[0])) {
		web_reply_error(r, 404, "no such upload");
		return;
	}
	web_reply(r, 204, NULL, NULL, 0);
}
