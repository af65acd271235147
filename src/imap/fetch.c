/* FETCH items (RFC 3501 6.4.5, 7.4.2; CONDSTORE MODSEQ, RFC 7162 3.1.4):
 * parsing the item list and writing one message's response. Metadata and
 * the parse cache come from the store's rows; body sections are cut from
 * the stored file, using the MIME parse for part numbers, and big ranges
 * are left to the caller to stream.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"

static void
item_free(struct fetch_item *it)
{
	size_t i;

	free(it->label);
	free(it->part);
	for (i = 0; i < it->n_fields; i++)
		free(it->fields[i]);
	free(it->fields);
}

void
imap_fetch_spec_free(struct fetch_spec *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		item_free(&fs->v[i]);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

struct fetch_item *
imap_fetch_item_new(struct fetch_spec *fs, enum fetch_kind kind)
{
	struct fetch_item *it;
	size_t i;

	/* The same simple item twice is answered once. */
	for (i = 0; i < fs->n && kind != FETCH_SECTION &&
	    kind != FETCH_BINARY && kind != FETCH_BINARY_SIZE; i++)
		if (fs->v[i].kind == kind)
			return NULL;
	fs->v = xreallocarray(fs->v, fs->n + 1, sizeof(*fs->v));
	it = &fs->v[fs->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	if (kind == FETCH_ENVELOPE || kind == FETCH_BODY ||
	    kind == FETCH_BODYSTRUCTURE)
		fs->needs_cache = true;
	return it;
}

/* "(FIELD1 FIELD2)" of HEADER.FIELDS. */
static int
fields_parse(struct fetch_item *it, const char *p, size_t len)
{
	size_t i = 0, start;

	if (len < 2 || p[0] != '(' || p[len - 1] != ')')
		return -1;
	p++;
	len -= 2;
	while (i < len) {
		while (i < len && p[i] == ' ')
			i++;
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (i == start)
			break;
		it->fields = xreallocarray(it->fields, it->n_fields + 1,
		    sizeof(*it->fields));
		if (i - start >= 2 && p[start] == '"' && p[i - 1] == '"')
			it->fields[it->n_fields++] = xstrndup(p + start + 1,
			    i - start - 2);
		else
			it->fields[it->n_fields++] = xstrndup(p + start,
			    i - start);
	}
	return it->n_fields > 0 ? 0 : -1;
}

/* The part of a section spec after the part number. */
static int
section_tail(struct fetch_item *it, const char *p, size_t len)
{
	if (len == 0)
		it->sec = SEC_ALL;
	else if (str_ieq(p, len, "HEADER"))
		it->sec = SEC_HEADER;
	else if (str_ieq(p, len, "TEXT"))
		it->sec = SEC_TEXT;
	else if (str_ieq(p, len, "MIME") && it->part[0] != '\0')
		it->sec = SEC_MIME;
	else if (str_iprefix(p, len, "HEADER.FIELDS.NOT ")) {
		it->sec = SEC_FIELDS_NOT;
		return fields_parse(it, p + 18, len - 18);
	} else if (str_iprefix(p, len, "HEADER.FIELDS ")) {
		it->sec = SEC_FIELDS;
		return fields_parse(it, p + 14, len - 14);
	} else
		return -1;
	return 0;
}

static int
section_parse(struct fetch_item *it, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if (p[i] == '0')
			return -1;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i < len && p[i] == '.' && i + 1 < len &&
		    p[i + 1] >= '0' && p[i + 1] <= '9')
			i++;
		else
			break;
	}
	it->part = xstrndup(p, i);
	if (i < len) {
		if (i > 0 && p[i] != '.')
			return -1;
		if (i > 0)
			i++;
	}
	return section_tail(it, p + i, len - i);
}

int
imap_fetch_partial_parse(struct fetch_item *it, const char *p, size_t len)
{
	const char *dot = str_chr(p, len, '.'), *errstr;

	if (len < 5 || p[0] != '<' || p[len - 1] != '>' || dot == NULL)
		return -1;
	it->has_partial = true;
	it->p_off = str_to_uint_n(p + 1, (size_t)(dot - p) - 1, 0,
	    UINT32_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	it->p_len = str_to_uint_n(dot + 1, (size_t)(p + len - dot) - 2, 1,
	    UINT32_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

/* BODY[...]<..> and BODY.PEEK[...]<..>. */
static int
body_section(struct fetch_spec *fs, const char *p, size_t len, bool is_peek)
{
	const char *close = memchr(p, ']', len);
	struct fetch_item *it = imap_fetch_item_new(fs, FETCH_SECTION);
	size_t slen;

	it->is_peek = is_peek;
	if (close == NULL)
		return -1;
	slen = (size_t)(close - p) - 1;
	if (section_parse(it, p + 1, slen) == -1)
		return -1;
	if (close + 1 < p + len && imap_fetch_partial_parse(it, close + 1,
	    (size_t)(p + len - close - 1)) == -1)
		return -1;
	it->label = it->has_partial ? xasprintf("BODY[%.*s]<%llu>",
	    (int)slen, p + 1, (unsigned long long)it->p_off) :
	    xasprintf("BODY[%.*s]", (int)slen, p + 1);
	if (!is_peek)
		fs->sets_seen = true;
	return 0;
}

static int
rfc822_item(struct fetch_spec *fs, const char *label, enum fetch_sec sec,
    bool sets_seen)
{
	struct fetch_item *it = imap_fetch_item_new(fs, FETCH_SECTION);

	it->part = xstrdup("");
	it->sec = sec;
	it->label = xstrdup(label);
	fs->sets_seen |= sets_seen;
	return 0;
}

static int
item_parse(struct fetch_spec *fs, const char *p, size_t len)
{
	static const struct {
		const char	*name;
		enum fetch_kind	 kind;
	} simple[] = {
		{ "UID", FETCH_UID }, { "FLAGS", FETCH_FLAGS },
		{ "INTERNALDATE", FETCH_INTERNALDATE },
		{ "RFC822.SIZE", FETCH_SIZE }, { "ENVELOPE", FETCH_ENVELOPE },
		{ "BODY", FETCH_BODY },
		{ "BODYSTRUCTURE", FETCH_BODYSTRUCTURE },
		{ "MODSEQ", FETCH_MODSEQ },
	};
	size_t i;

	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (str_ieq(p, len, simple[i].name)) {
			(void)imap_fetch_item_new(fs, simple[i].kind);
			return 0;
		}
	}
	if (str_ieq(p, len, "RFC822"))
		return rfc822_item(fs, "RFC822", SEC_ALL, true);
	if (str_ieq(p, len, "RFC822.HEADER"))
		return rfc822_item(fs, "RFC822.HEADER", SEC_HEADER, false);
	if (str_ieq(p, len, "RFC822.TEXT"))
		return rfc822_item(fs, "RFC822.TEXT", SEC_TEXT, true);
	if (str_iprefix(p, len, "BINARY.PEEK["))
		return imap_fetch_binary_parse(fs, p + 11, len - 11,
		    FETCH_BINARY, true);
	if (str_iprefix(p, len, "BINARY.SIZE["))
		return imap_fetch_binary_parse(fs, p + 11, len - 11,
		    FETCH_BINARY_SIZE, true);
	if (str_iprefix(p, len, "BINARY["))
		return imap_fetch_binary_parse(fs, p + 6, len - 6,
		    FETCH_BINARY, false);
	if (str_iprefix(p, len, "BODY.PEEK["))
		return body_section(fs, p + 9, len - 9, true);
	if (str_iprefix(p, len, "BODY["))
		return body_section(fs, p + 4, len - 4, false);
	return -1;
}

static int
macro_parse(struct fetch_spec *fs, const struct imap_arg *a)
{
	/* RFC 3501 6.4.5 macros. */
	if (imap_arg_is_atom(a, "ALL") || imap_arg_is_atom(a, "FAST") ||
	    imap_arg_is_atom(a, "FULL")) {
		(void)imap_fetch_item_new(fs, FETCH_FLAGS);
		(void)imap_fetch_item_new(fs, FETCH_INTERNALDATE);
		(void)imap_fetch_item_new(fs, FETCH_SIZE);
		if (!imap_arg_is_atom(a, "FAST"))
			(void)imap_fetch_item_new(fs, FETCH_ENVELOPE);
		if (imap_arg_is_atom(a, "FULL"))
			(void)imap_fetch_item_new(fs, FETCH_BODY);
		return 1;
	}
	return 0;
}

int
imap_fetch_spec_parse(const struct imap_arg *a, struct fetch_spec *fs)
{
	size_t i;
	int rc;

	memset(fs, 0, sizeof(*fs));
	if (a->type == IMAP_ARG_ATOM) {
		if ((rc = macro_parse(fs, a)) != 0)
			return 0;
		return item_parse(fs, a->p, a->len);
	}
	if (a->type != IMAP_ARG_LIST || a->n == 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		if (a->list[i].type != IMAP_ARG_ATOM ||
		    item_parse(fs, a->list[i].p, a->list[i].len) == -1)
			return -1;
	}
	return 0;
}

void
imap_fetch_spec_add(struct fetch_spec *fs, enum fetch_kind kind)
{
	struct fetch_item *it;
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->v[i].kind == kind)
			return;
	(void)imap_fetch_item_new(fs, kind);
	/* Put it first, as clients expect UID early. */
	it = &fs->v[fs->n - 1];
	if (fs->n > 1) {
		struct fetch_item tmp = *it;

		memmove(&fs->v[1], &fs->v[0], (fs->n - 1) * sizeof(*fs->v));
		fs->v[0] = tmp;
	}
}

void
imap_fetch_msg_fini(struct fetch_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	mime_part_free(m->tree);
	m->tree = NULL;
}

static int
msg_open(struct imap_session *s, struct fetch_msg *m)
{
	if (m->fd < 0)
		m->fd = store_row_open(s->srv->store, m->row);
	return m->fd < 0 ? -1 : 0;
}

/* Parse the body file (for part numbers), once per message. */
int
imap_fetch_msg_parse(struct imap_session *s, struct fetch_msg *m)
{
	struct mime_parser *ps;
	char blk[16384];
	ssize_t n;
	off_t off = 0;

	if (m->tree != NULL)
		return 0;
	if (msg_open(s, m) == -1)
		return -1;
	ps = mime_parser_new(NULL);
	while ((n = pread(m->fd, blk, sizeof(blk), off)) > 0) {
		mime_parser_feed(ps, blk, (size_t)n);
		off += n;
	}
	m->tree = mime_parser_finish(ps);
	return n < 0 ? -1 : 0;
}

/* Read [off, off+len) of the body file into out. */
int
imap_fetch_file_read(struct fetch_msg *m, uint64_t off, uint64_t len,
    struct buf *out)
{
	ssize_t n;

	buf_reserve(out, (size_t)len);
	while (len > 0) {
		n = pread(m->fd, out->data + out->len, (size_t)len,
		    (off_t)off);
		if (n <= 0)
			return -1;
		out->len += (size_t)n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static bool
field_listed(const struct fetch_item *it, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < it->n_fields; i++)
		if (str_ieq(name, len, it->fields[i]))
			return true;
	return false;
}

/* HEADER.FIELDS [.NOT]: the chosen fields and the blank line. */
static void
fields_filter(const struct fetch_item *it, const char *hdr, size_t len,
    struct buf *out)
{
	struct mime_hdr_iter iter;
	struct mime_field f;
	bool want;

	mime_hdr_iter_init(&iter, hdr, len);
	while (mime_hdr_next(&iter, &f) == 1) {
		want = field_listed(it, f.name, f.namelen);
		if (want != (it->sec == SEC_FIELDS_NOT))
			buf_add(out, hdr + f.off, f.len);
	}
	buf_add(out, "\r\n", 2);
}

/* Where the section lies in the file: 1 with the range, 0 when the part
 * does not exist, -1 on a read error. */
static int
section_range(struct imap_session *s, const struct fetch_item *it,
    struct fetch_msg *m, uint64_t *off, uint64_t *len)
{
	const struct mime_part *p, *msg;

	if (it->part[0] == '\0' && it->sec == SEC_ALL) {
		*off = 0;
		*len = m->row->size;
		return 1;
	}
	if (imap_fetch_msg_parse(s, m) == -1)
		return -1;
	if ((p = mime_part_find(m->tree, it->part, strlen(it->part))) == NULL)
		return 0;
	msg = it->part[0] == '\0' ? p : mime_part_message(p);
	switch (it->sec) {
	case SEC_ALL:
		*off = p->body_off;
		*len = p->end_off - p->body_off;
		return 1;
	case SEC_MIME:
		*off = p->hdr_off;
		*len = p->body_off - p->hdr_off;
		return 1;
	case SEC_TEXT:
		if (msg == NULL)
			return 0;
		*off = msg->body_off;
		*len = msg->end_off - msg->body_off;
		return 1;
	default:
		if (msg == NULL)
			return 0;
		*off = msg->hdr_off;
		*len = msg->body_off - msg->hdr_off;
		return 1;
	}
}

void
imap_fetch_partial_apply(const struct fetch_item *it, uint64_t *off,
    uint64_t *len)
{
	if (!it->has_partial)
		return;
	if (it->p_off >= *len) {
		*len = 0;
		return;
	}
	*off += it->p_off;
	*len -= it->p_off;
	if (*len > it->p_len)
		*len = it->p_len;
}

/* A section from memory: the whole header or chosen fields. */
static int
section_mem(struct imap_session *s, const struct fetch_item *it,
    struct fetch_msg *m, struct buf *data)
{
	uint64_t off, len;
	struct buf hdr = BUF_INIT;
	int rc;

	if (it->part[0] == '\0' && m->row->header != NULL) {
		buf_add(&hdr, m->row->header, m->row->header_len);
	} else {
		if ((rc = section_range(s, it, m, &off, &len)) != 1)
			return rc;
		if (imap_fetch_file_read(m, off, len, &hdr) == -1) {
			buf_free(&hdr);
			return -1;
		}
	}
	if (it->sec == SEC_HEADER)
		buf_add(data, hdr.data, hdr.len);
	else
		fields_filter(it, hdr.data, hdr.len, data);
	buf_free(&hdr);
	return 1;
}

/* A body range up to this is copied into the response; a bigger one is
 * left to the caller, which streams it from the file. */
#define INLINE_MAX	(16 * 1024)

static int
section_write(struct imap_session *s, const struct fetch_item *it,
    struct fetch_msg *m, struct buf *out, uint64_t *off_out,
    uint64_t *len_out)
{
	struct buf data = BUF_INIT;
	uint64_t off = 0, len;
	int rc;

	buf_adds(out, it->label);
	buf_addc(out, ' ');
	if (it->sec == SEC_HEADER || it->sec == SEC_FIELDS ||
	    it->sec == SEC_FIELDS_NOT) {
		if ((rc = section_mem(s, it, m, &data)) == 1) {
			len = data.len;
			imap_fetch_partial_apply(it, &off, &len);
			buf_addf(out, "{%llu}\r\n", (unsigned long long)len);
			buf_add(out, data.data + off, (size_t)len);
		}
		buf_free(&data);
	} else if ((rc = section_range(s, it, m, &off, &len)) == 1) {
		imap_fetch_partial_apply(it, &off, &len);
		buf_addf(out, "{%llu}\r\n", (unsigned long long)len);
		if (len > INLINE_MAX) {
			*off_out = off;
			*len_out = len;
			return msg_open(s, m) == -1 ? -1 : 1;
		}
		if (len > 0 && (msg_open(s, m) == -1 ||
		    imap_fetch_file_read(m, off, len, out) == -1))
			return -1;
	}
	if (rc == 0)
		buf_adds(out, "NIL");
	return rc == -1 ? -1 : 0;
}

static void
date_write(int64_t t, struct buf *out)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	buf_addf(out, "\"%2d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

void
imap_put_uint(struct buf *out, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	buf_add(out, t + i, sizeof(t) - i);
}

/* "NAME value" for a cached string: no printf, these are long. */
static void
cached_write(struct buf *out, const char *name, const char *v)
{
	buf_adds(out, name);
	buf_adds(out, v != NULL ? v : "NIL");
}

int
imap_fetch_item_write(struct imap_session *s, const struct fetch_item *it,
    struct fetch_msg *m, struct buf *out, uint64_t *off_out,
    uint64_t *len_out)
{
	const struct store_row *r = m->row;

	switch (it->kind) {
	case FETCH_UID:
		buf_add(out, "UID ", 4);
		imap_put_uint(out, r->uid);
		break;
	case FETCH_FLAGS:
		buf_adds(out, "FLAGS ");
		imap_flags_write(r->flags, r->keywords, m->is_recent, out);
		break;
	case FETCH_INTERNALDATE:
		buf_adds(out, "INTERNALDATE ");
		date_write(r->internal_date, out);
		break;
	case FETCH_SIZE:
		buf_adds(out, "RFC822.SIZE ");
		imap_put_uint(out, r->size);
		break;
	case FETCH_ENVELOPE:
		cached_write(out, "ENVELOPE ", r->envelope);
		break;
	case FETCH_BODY:
		cached_write(out, "BODY ", r->body);
		break;
	case FETCH_BODYSTRUCTURE:
		cached_write(out, "BODYSTRUCTURE ", r->bodystructure);
		break;
	case FETCH_MODSEQ:
		buf_adds(out, "MODSEQ (");
		imap_put_uint(out, r->modseq);
		buf_addc(out, ')');
		break;
	case FETCH_SECTION:
		return section_write(s, it, m, out, off_out, len_out);
	case FETCH_BINARY:
	case FETCH_BINARY_SIZE:
		return imap_fetch_binary_write(s, it, m, out);
	}
	return 0;
}
