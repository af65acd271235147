/* Messages for the API: a user's folder and message found through the
 * store (never by an id alone, so one user cannot name another's mail),
 * the MIME tree parsed from the stored file in blocks, the parts to show
 * and to list as attachments, decoded text in UTF-8, and the summary
 * fields of the message list.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

int
web_folder_open(struct web_req *r, const char *folder,
    struct store_mailbox *mb)
{
	int found;

	found = store_mailbox_lookup(r->srv->store, r->login.user_id, folder,
	    mb);
	if (found == 1)
		return 1;
	if (found == 0)
		web_reply_error(r, 404, "no such folder");
	else
		web_reply_error(r, 500, "cannot read the folder");
	return found == 0 ? 0 : -1;
}

struct mime_part *
web_msg_parse_fd(int fd)
{
	struct mime_parser *ps = mime_parser_new(NULL);
	char *blk = xmalloc(64 * 1024);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, blk, 64 * 1024, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(blk);
			mime_parser_free(ps);
			return NULL;
		}
		mime_parser_feed(ps, blk, (size_t)n);
		off += n;
	}
	free(blk);
	return mime_parser_finish(ps);
}

int
web_msg_open(struct web_req *r, const char *folder, const char *uid,
    bool parse, struct web_msg *m)
{
	struct store_row *rows;
	const char *errstr;
	uint32_t u;
	size_t n;
	int found;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	u = (uint32_t)str_to_uint(uid, 1, UINT32_MAX, &errstr);
	if (errstr != NULL) {
		web_reply_error(r, 404, "no such message");
		return 0;
	}
	if ((found = web_folder_open(r, folder, &m->mbox)) != 1)
		return found;
	if (store_rows_get(r->srv->store, m->mbox.id, u, u, 0, 0, 1, &rows,
	    &n) == -1) {
		web_reply_error(r, 500, "cannot read the folder");
		return -1;
	}
	if (n == 1) {
		m->msg.id = rows[0].id;
		m->msg.body_id = rows[0].body_id;
		m->msg.uid = rows[0].uid;
		m->msg.flags = rows[0].flags;
		m->msg.size = rows[0].size;
		m->msg.modseq = rows[0].modseq;
		m->msg.internal_date = rows[0].internal_date;
	}
	store_rows_free(rows, n);
	if (n != 1) {
		web_reply_error(r, 404, "no such message");
		return 0;
	}
	if ((m->fd = store_msg_open(r->srv->store, &m->msg)) < 0 ||
	    (parse && (m->root = web_msg_parse_fd(m->fd)) == NULL)) {
		web_msg_close(m);
		web_reply_error(r, 500, "cannot read the message");
		return -1;
	}
	return 1;
}

void
web_msg_close(struct web_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	mime_part_free(m->root);
	m->root = NULL;
}

bool
web_msg_read(const struct web_msg *m, uint64_t off, size_t len,
    struct buf *out)
{
	size_t got = 0;
	ssize_t n;

	buf_reserve(out, len);
	while (got < len) {
		n = pread(m->fd, out->data + out->len, len - got,
		    (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
		out->len += (size_t)n;
	}
	return true;
}

/* Undo the transfer encoding (RFC 2045 6). */
static void
decode(int cte, const char *p, size_t len, struct buf *out)
{
	struct b64_dec b;
	struct qp_dec q;

	if (cte == MIME_CTE_BASE64) {
		b64_dec_init(&b);
		b64_dec_update(&b, p, len, out);
	} else if (cte == MIME_CTE_QP) {
		qp_dec_init(&q);
		qp_dec_update(&q, p, len, out);
		qp_dec_final(&q, out);
	} else
		buf_add(out, p, len);
}

bool
web_msg_text(const struct web_msg *m, const struct mime_part *p, size_t max,
    struct buf *out)
{
	struct buf raw = BUF_INIT, dec = BUF_INIT;
	const char *cs = mime_params_get(&p->params, "charset");
	size_t len = p->end_off - p->body_off;
	bool ok;

	if (len > max)
		len = max;
	ok = web_msg_read(m, p->body_off, len, &raw);
	if (ok) {
		decode(p->cte, raw.data ? raw.data : "", raw.len, &dec);
		if (cs == NULL || mime_charset_to_utf8(cs, dec.data ? dec.data :
		    "", dec.len, out) < 0)
			mime_utf8_sanitize(dec.data ? dec.data : "", dec.len,
			    out);
	}
	buf_free(&raw);
	buf_free(&dec);
	return ok;
}

static bool
is_message(const struct mime_part *p)
{
	return strcmp(p->type, "message") == 0 && (strcmp(p->subtype,
	    "rfc822") == 0 || strcmp(p->subtype, "global") == 0);
}

bool
web_part_is_attachment(const struct mime_part *p)
{
	if (is_message(p))
		return true;
	if (p->child != NULL || strcmp(p->type, "multipart") == 0)
		return false;
	if (p->disposition != NULL && strcmp(p->disposition, "attachment") ==
	    0)
		return true;
	if (web_part_filename(p) != NULL)
		return true;
	return strcmp(p->type, "text") != 0;
}

const char *
web_part_filename(const struct mime_part *p)
{
	const char *s = mime_params_get(&p->disp_params, "filename");

	return s != NULL ? s : mime_params_get(&p->params, "name");
}

static void
pick_walk(struct mime_part *p, struct mime_part **text,
    struct mime_part **html)
{
	struct mime_part *c;

	if (p->child != NULL && !is_message(p)) {
		for (c = p->child; c != NULL; c = c->next)
			pick_walk(c, text, html);
		return;
	}
	if (strcmp(p->type, "text") != 0 || web_part_is_attachment(p))
		return;
	if (strcmp(p->subtype, "plain") == 0 && *text == NULL)
		*text = p;
	else if (strcmp(p->subtype, "html") == 0 && *html == NULL)
		*html = p;
}

void
web_msg_pick(struct mime_part *root, struct mime_part **text,
    struct mime_part **html)
{
	*text = NULL;
	*html = NULL;
	pick_walk(root, text, html);
}

void
web_part_id(const struct mime_part *p, struct buf *out)
{
	const struct mime_part *c;
	unsigned i;

	if (p->parent == NULL) {
		buf_addc(out, '0');
		return;
	}
	web_part_id(p->parent, out);
	for (i = 1, c = p->parent->child; c != NULL && c != p; c = c->next)
		i++;
	buf_addf(out, ".%u", i);
}

struct mime_part *
web_part_find(struct mime_part *root, const char *id)
{
	struct mime_part *p = root;
	const char *errstr, *dot;
	uint64_t n;

	if (id[0] != '0' || (id[1] != '\0' && id[1] != '.'))
		return NULL;
	for (id++; *id == '.'; id = dot) {
		id++;
		dot = strchr(id, '.');
		if (dot == NULL)
			dot = id + strlen(id);
		n = str_to_uint_n(id, (size_t)(dot - id), 1, 100000, &errstr);
		if (errstr != NULL)
			return NULL;
		for (p = p->child; p != NULL && --n > 0; p = p->next)
			;
		if (p == NULL)
			return NULL;
	}
	return *id == '\0' ? p : NULL;
}

json_t *
web_json_str(const char *p, size_t len)
{
	struct buf b = BUF_INIT;
	json_t *j;

	mime_utf8_sanitize(p ? p : "", p ? len : 0, &b);
	j = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

json_t *
web_addr_list_json(const char *v, size_t len)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf spec = BUF_INIT;
	json_t *a = json_array(), *o;
	size_t i;

	mime_addr_parse(v, len, &l);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX)
			continue;
		buf_reset(&spec);
		mime_addr_spec_write(&l.v[i], &spec);
		o = json_pack("{s:o}", "address", web_json_str(spec.data,
		    spec.len));
		if (l.v[i].name != NULL)
			json_object_set_new(o, "name", web_json_str(l.v[i].name,
			    strlen(l.v[i].name)));
		json_array_append_new(a, o);
	}
	buf_free(&spec);
	mime_addr_list_free(&l);
	return a;
}

bool
web_hdr_get(const char *head, size_t len, const char *name, bool decode,
    struct buf *out)
{
	struct mime_field f;
	size_t hlen = head != NULL ? mime_hdr_split(head, len) : 0;

	if (hlen == 0 || !mime_hdr_find(head, hlen, name, &f))
		return false;
	if (decode)
		mime_hdr_decode(f.value, f.valuelen, out);
	else
		mime_hdr_unfold(f.value, f.valuelen, out);
	return true;
}

void
web_row_fini(struct store_row *row)
{
	free(row->keywords);
	free(row->envelope);
	free(row->body);
	free(row->bodystructure);
	free(row->header);
	memset(row, 0, sizeof(*row));
}
