/* Reading mail: message lists sorted by date and paged (the folder's
 * cached view and the parse cache, no body file), a message with its headers,
 * text and attachments, its HTML sanitised for a sandboxed frame, parts
 * streamed and decoded, and permanent deletion.
 * SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define PAGE_DEFAULT	50
#define PAGE_MAX	500
#define TEXT_MAX	(4 * 1024 * 1024)	/* octets of a shown part */
#define HEAD_MAX	(256 * 1024)

web_handler_fn web_api_messages, web_api_message,
    web_api_body, web_api_part, web_api_raw, web_api_expunge;

void
web_api_messages(struct web_req *r)
{
	struct store_mailbox mb;
	uint32_t total, unseen;
	struct store_row *rows;
	size_t n, i, off, limit;
	struct buf out = BUF_INIT;

	if (web_folder_open(r, r->params[0], &mb) != 1)
		return;
	off = web_req_query_uint(r, "offset", 0, UINT32_MAX);
	limit = web_req_query_uint(r, "limit", PAGE_DEFAULT, PAGE_MAX);
	if (web_view_counts(r->srv->views, r->srv->store, &mb, &total,
	    &unseen) == -1 || web_view_page(r->srv->views, r->srv->store,
	    &mb, off, limit, &rows, &n) == -1) {
		web_reply_error(r, 500, "cannot read the folder");
		return;
	}
	/* Written as text: no tree of JSON objects per message. */
	buf_reserve(&out, 512 + n * 384);
	buf_adds(&out, "{\"folder\":");
	web_json_write_str(&out, mb.name, strlen(mb.name));
	buf_addf(&out, ",\"total\":%" PRIu32 ",\"unread\":%" PRIu32
	    ",\"offset\":%zu,\"limit\":%zu,\"uidnext\":%" PRIu32
	    ",\"modseq\":%" PRIu64 ",\"messages\":[", total, unseen, off,
	    limit, mb.uidnext, mb.highestmodseq);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&out, ',');
		web_row_write(&out, &rows[i], NULL);
	}
	buf_adds(&out, "]}");
	store_rows_free(rows, n);
	web_reply(r, 200, "application/json", out.data, out.len);
	buf_free(&out);
}

/* The header of the message, for fields the MIME tree does not keep. */
static bool
read_header(const struct web_msg *m, struct buf *out)
{
	size_t len = m->root->body_off;

	return web_msg_read(m, 0, len > HEAD_MAX ? HEAD_MAX : len, out);
}

static json_t *
field_text(const struct buf *h, const char *name, bool decode)
{
	struct mime_field f;
	struct buf v = BUF_INIT;
	json_t *j;

	if (h->len == 0 || !mime_hdr_find(h->data, h->len, name, &f))
		return json_null();
	if (decode)
		mime_hdr_decode(f.value, f.valuelen, &v);
	else
		mime_hdr_unfold(f.value, f.valuelen, &v);
	j = web_json_str(v.data, v.len);
	buf_free(&v);
	return j;
}

static json_t *
field_addrs(const struct buf *h, const char *name)
{
	struct mime_field f;
	struct buf v = BUF_INIT;
	json_t *j;

	if (h->len == 0 || !mime_hdr_find(h->data, h->len, name, &f))
		return json_array();
	mime_hdr_unfold(f.value, f.valuelen, &v);
	j = web_addr_list_json(v.data ? v.data : "", v.len);
	buf_free(&v);
	return j;
}

static void
add_attachments(struct mime_part *p, json_t *list)
{
	struct mime_part *c;
	struct buf id = BUF_INIT, type = BUF_INIT;
	const char *name, *cid;

	if (web_part_is_attachment(p)) {
		web_part_id(p, &id);
		buf_addf(&type, "%s/%s", p->type, p->subtype);
		name = web_part_filename(p);
		cid = p->fields[MIME_HF_ID];
		json_array_append_new(list, json_pack("{s:s, s:o, s:o, s:I, "
		    "s:b, s:o}", "part", buf_cstr(&id), "name",
		    web_json_str(name, name ? strlen(name) : 0), "type",
		    web_json_str(type.data, type.len), "size",
		    (json_int_t)(p->end_off - p->body_off), "inline",
		    p->disposition != NULL && strcmp(p->disposition,
		    "inline") == 0, "cid", cid ? web_json_str(cid, strlen(cid))
		    : json_null()));
	} else if (strcmp(p->type, "message") != 0)
		for (c = p->child; c != NULL; c = c->next)
			add_attachments(c, list);
	buf_free(&id);
	buf_free(&type);
}

struct cid_ctx {
	struct web_req		*r;
	struct mime_part	*root;
};

static struct mime_part *
find_cid(struct mime_part *p, const char *cid, size_t len)
{
	struct mime_part *c, *hit;
	const char *v = p->fields[MIME_HF_ID];
	size_t vlen;

	if (v != NULL) {
		vlen = strlen(v);
		if (vlen >= 2 && v[0] == '<' && v[vlen - 1] == '>') {
			v++;
			vlen -= 2;
		}
		if (vlen == len && memcmp(v, cid, len) == 0)
			return p;
	}
	for (c = p->child; c != NULL; c = c->next)
		if ((hit = find_cid(c, cid, len)) != NULL)
			return hit;
	return NULL;
}

static void
part_url(struct web_req *r, const struct mime_part *p, struct buf *out)
{
	buf_adds(out, "/api/folders/");
	web_url_encode(r->params[0], strlen(r->params[0]), out);
	buf_addf(out, "/messages/%s/parts/", r->params[1]);
	web_part_id(p, out);
	buf_adds(out, "?inline=1");
}

/* RFC 2392: the cid URL is the Content-ID %-encoded, without <>. */
static bool
cid_url(const char *cid, size_t len, struct buf *out, void *arg)
{
	struct cid_ctx *c = arg;
	struct buf dec = BUF_INIT;
	struct mime_part *p = NULL;

	if (web_url_decode(cid, len, false, &dec) && dec.len > 0)
		p = find_cid(c->root, dec.data, dec.len);
	buf_free(&dec);
	if (p == NULL || p->child != NULL)
		return false;
	part_url(c->r, p, out);
	return true;
}

/* The document shown in the reader's frame: the sanitised HTML part, or
 * the text part escaped. */
static void
render(struct web_req *r, struct web_msg *m, bool allow_remote,
    struct buf *out, struct web_sanitize_result *res)
{
	struct mime_part *text, *html;
	struct cid_ctx cc = { r, m->root };
	struct web_sanitize_opts o = { allow_remote, cid_url, &cc };
	struct buf body = BUF_INIT;

	memset(res, 0, sizeof(*res));
	web_msg_pick(m->root, &text, &html);
	if (html != NULL && web_msg_text(m, html, TEXT_MAX, &body))
		web_sanitize_html(body.data ? body.data : "", body.len, &o,
		    out, res);
	else {
		if (text != NULL)
			web_msg_text(m, text, TEXT_MAX, &body);
		buf_adds(out, "<!DOCTYPE html>\n<html><head><meta charset="
		    "\"utf-8\"><style>body{margin:8px;font:15px/1.45 "
		    "system-ui,sans-serif}pre{white-space:pre-wrap;"
		    "overflow-wrap:anywhere;font:inherit}</style></head>"
		    "<body><pre>");
		web_html_escape(body.data ? body.data : "", body.len, out);
		buf_adds(out, "</pre></body></html>\n");
	}
	buf_free(&body);
}

static json_t *
message_json(struct web_req *r, struct web_msg *m, const struct buf *h)
{
	struct mime_part *text, *html;
	struct web_sanitize_result res;
	struct buf body = BUF_INIT, doc = BUF_INIT, url = BUF_INIT;
	json_t *atts = json_array(), *o;

	web_msg_pick(m->root, &text, &html);
	if (text != NULL)
		web_msg_text(m, text, TEXT_MAX, &body);
	render(r, m, false, &doc, &res);
	add_attachments(m->root, atts);
	buf_adds(&url, "/api/folders/");
	web_url_encode(r->params[0], strlen(r->params[0]), &url);
	buf_addf(&url, "/messages/%u", m->msg.uid);
	o = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:i, s:o, s:s}",
	    "folder", m->mbox.name, "uid", (json_int_t)m->msg.uid,
	    "date", (json_int_t)m->msg.internal_date,
	    "size", (json_int_t)m->msg.size,
	    "flags", web_flags_json(m->msg.flags),
	    "subject", field_text(h, "Subject", true),
	    "from", field_addrs(h, "From"), "to", field_addrs(h, "To"),
	    "cc", field_addrs(h, "Cc"),
	    "reply_to", field_addrs(h, "Reply-To"),
	    "date_header", field_text(h, "Date", false),
	    "message_id", field_text(h, "Message-ID", false),
	    "in_reply_to", field_text(h, "In-Reply-To", false),
	    "references", field_text(h, "References", false),
	    "text", web_json_str(body.data, body.len),
	    "attachments", atts, "has_html", html != NULL,
	    "remote_images", (int)res.remote_blocked,
	    "list_unsubscribe", field_text(h, "List-Unsubscribe", false),
	    "url", buf_cstr(&url));
	buf_free(&body);
	buf_free(&doc);
	buf_free(&url);
	return o;
}

void
web_api_message(struct web_req *r)
{
	struct web_msg m;
	struct buf h = BUF_INIT;

	if (web_msg_open(r, r->params[0], r->params[1], true, &m) != 1)
		return;
	if (!read_header(&m, &h)) {
		web_msg_close(&m);
		web_reply_error(r, 500, "cannot read the message");
		return;
	}
	web_reply_json(r, 200, message_json(r, &m, &h));
	buf_free(&h);
	web_msg_close(&m);
}

/* The message's frame: nothing may run, nothing loads but images from
 * petrel (and remote ones once the reader allows them), links open in a
 * new top-level context without an opener. */
static const char msg_csp[] = "default-src 'none'; img-src 'self' data:; "
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'; sandbox allow-same-origin allow-popups "
    "allow-popups-to-escape-sandbox";
static const char msg_csp_remote[] = "default-src 'none'; img-src 'self' "
    "data: https: http:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox "
    "allow-same-origin allow-popups allow-popups-to-escape-sandbox";

void
web_api_body(struct web_req *r)
{
	struct web_sanitize_result res;
	struct buf doc = BUF_INIT, q = BUF_INIT;
	struct web_msg m;
	bool remote;

	remote = web_req_query(r, "remote", &q) && q.len == 1 &&
	    q.data[0] == '1';
	buf_free(&q);
	if (web_msg_open(r, r->params[0], r->params[1], true, &m) != 1)
		return;
	render(r, &m, remote, &doc, &res);
	web_msg_close(&m);
	r->csp = remote ? msg_csp_remote : msg_csp;
	r->is_frameable = true;
	web_reply(r, 200, "text/html; charset=utf-8", doc.data, doc.len);
	buf_free(&doc);
}

/* Shown in place only for raster images; everything else downloads. */
static const char *
inline_type(const struct mime_part *p)
{
	static const char *const ok[] = { "png", "jpeg", "gif", "webp" };
	size_t i;

	if (strcmp(p->type, "image") != 0)
		return NULL;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(p->subtype, ok[i]) == 0)
			return ok[i];
	return NULL;
}

static void
disposition(struct web_req *r, const char *name)
{
	struct buf enc = BUF_INIT;

	/* RFC 6266 4.3 with RFC 8187: only %-encoded UTF-8, so that no
	 * quote or line break of a hostile name reaches the field. */
	web_url_encode(name, strlen(name), &enc);
	web_reply_header(r, "Content-Disposition", "attachment; "
	    "filename*=UTF-8''%s", buf_cstr(&enc));
	buf_free(&enc);
}

void
web_api_part(struct web_req *r)
{
	struct buf q = BUF_INIT, type = BUF_INIT;
	struct mime_part *p;
	struct web_msg m;
	const char *it, *name;
	bool want_inline;
	int fd;

	want_inline = web_req_query(r, "inline", &q) && q.len == 1 &&
	    q.data[0] == '1';
	buf_free(&q);
	if (web_msg_open(r, r->params[0], r->params[1], true, &m) != 1)
		return;
	p = web_part_find(m.root, r->params[2]);
	if (p == NULL || (p->child != NULL && strcmp(p->type, "message"))) {
		web_msg_close(&m);
		web_reply_error(r, 404, "no such part");
		return;
	}
	it = inline_type(p);
	if (want_inline && it != NULL)
		buf_addf(&type, "image/%s", it);
	else {
		name = web_part_filename(p);
		disposition(r, name != NULL && name[0] != '\0' ? name :
		    "attachment");
		buf_adds(&type, "application/octet-stream");
	}
	fd = m.fd;
	m.fd = -1;
	web_reply_stream(r, 200, buf_cstr(&type), fd, p->body_off,
	    p->end_off - p->body_off, (int)p->cte);
	buf_free(&type);
	web_msg_close(&m);
}

void
web_api_raw(struct web_req *r)
{
	struct web_msg m;
	int fd;

	if (web_msg_open(r, r->params[0], r->params[1], false, &m) != 1)
		return;
	disposition(r, "message.eml");
	fd = m.fd;
	m.fd = -1;
	web_reply_stream(r, 200, "application/octet-stream", fd, 0,
	    m.msg.size, MIME_CTE_BINARY);
	web_msg_close(&m);
}

struct expunge_job {
	struct web_req	*r;
	int64_t		 mailbox_id;
	uint32_t	*uids;
	size_t		 n;
	int		 result;
	char		*err;
};

static void
expunge_work(void *arg)
{
	struct expunge_job *j = arg;

	j->result = store_msgs_expunge(j->r->srv->store, j->mailbox_id,
	    j->uids, j->n, &j->err);
}

static void
expunge_done(void *arg)
{
	struct expunge_job *j = arg;

	if (web_req_resume(j->r)) {
		if (j->result == 0)
			web_reply_json(j->r, 200, json_pack("{s:i}", "expunged",
			    (int)j->n));
		else {
			log_warnx("web session=%s event=expunge-failed "
			    "reason=\"%s\"", j->r->session->id,
			    j->err ? j->err : "?");
			web_reply_error(j->r, 500, "cannot delete the messages");
		}
	}
	free(j->err);
	free(j->uids);
	free(j);
}

/* Deleting for good is for Trash and Junk; elsewhere "delete" moves to
 * Trash (POST /api/messages/delete). */
void
web_api_expunge(struct web_req *r)
{
	struct expunge_job *j;
	struct store_mailbox mb;
	json_t *body;
	uint32_t *uids;
	size_t n;

	if ((body = web_req_json(r)) == NULL)
		return;
	uids = web_req_uids(r, body, &n);
	json_decref(body);
	if (uids == NULL)
		return;
	if (web_folder_open(r, r->params[0], &mb) != 1) {
		free(uids);
		return;
	}
	if (strcmp(mb.name, "Trash") != 0 && strcmp(mb.name, "Junk") != 0) {
		free(uids);
		web_reply_error(r, 409, "only Trash and Junk delete for good");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->r = r;
	j->mailbox_id = mb.id;
	j->uids = uids;
	j->n = n;
	web_req_suspend(r);
	iopool_submit(r->srv->pool, web_req_base(r), expunge_work,
	    expunge_done, j);
}
