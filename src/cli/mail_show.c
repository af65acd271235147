/* Showing a message for `petrel mail read`: the header fields decoded
 * (RFC 2047), the text part decoded to UTF-8 (HTML turned into plain
 * text when there is no text/plain part), the attachments listed with
 * their IMAP section numbers (RFC 3501 6.4.5), and saving one of them.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/str.h"
#include "mime/mime.h"
#include "mail_int.h"

void
mail_show_header(const char *msg, size_t len, const char *name,
    struct buf *out)
{
	struct mime_field f;

	buf_reset(out);
	if (mime_hdr_find(msg, len, name, &f))
		mime_hdr_decode(f.value, f.valuelen, out);
}

static bool
is_attachment(const struct mime_part *p)
{
	return p->disposition != NULL &&
	    strcmp(p->disposition, "attachment") == 0;
}

/* The first leaf of type text/subtype outside attachments and
 * encapsulated messages, or NULL. */
static const struct mime_part *
text_find(const struct mime_part *p, const char *subtype)
{
	const struct mime_part *c, *hit;

	if (mime_part_is_multipart(p)) {
		for (c = p->child; c != NULL; c = c->next)
			if ((hit = text_find(c, subtype)) != NULL)
				return hit;
		return NULL;
	}
	if (strcmp(p->type, "text") == 0 && strcmp(p->subtype, subtype) == 0
	    && !is_attachment(p))
		return p;
	return NULL;
}

static void
decode_text(const struct mime_part *p, const char *msg, size_t len,
    struct buf *out)
{
	struct buf raw = BUF_INIT;
	const char *cs = mime_part_charset(p);

	mime_part_decode(p, msg, len, &raw);
	if (cs == NULL || mime_charset_to_utf8(cs, raw.data, raw.len,
	    out) == -1)
		mime_utf8_sanitize(raw.data, raw.len, out);
	buf_free(&raw);
}

static const struct {
	const char	*name;
	const char	*text;
} entities[] = {
	{ "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" },
	{ "nbsp;", " " }, { "#39;", "'" }, { "apos;", "'" },
};

/* Skip the tag at p[i] == '<', writing a line break for block tags, and
 * the contents of script and style. Returns the index after it. */
static size_t
html_tag(const char *p, size_t len, size_t i, struct buf *out)
{
	size_t end = i;
	const char *t = p + i + 1;
	size_t tlen = len - i - 1;

	while (end < len && p[end] != '>')
		end++;
	if (str_iprefix(t, tlen, "br") || str_iprefix(t, tlen, "/p") ||
	    str_iprefix(t, tlen, "/div") || str_iprefix(t, tlen, "/tr") ||
	    str_iprefix(t, tlen, "/h") || str_iprefix(t, tlen, "li"))
		buf_addc(out, '\n');
	if (str_iprefix(t, tlen, "script") || str_iprefix(t, tlen, "style")) {
		const char *close = str_iprefix(t, tlen, "script") ?
		    "</script" : "</style";

		while (end < len && !str_iprefix(p + end, len - end, close))
			end++;
		while (end < len && p[end] != '>')
			end++;
	}
	return end < len ? end + 1 : len;
}

static void
html_to_text(const char *p, size_t len, struct buf *out)
{
	size_t i = 0, k;

	while (i < len) {
		if (p[i] == '<') {
			i = html_tag(p, len, i, out);
			continue;
		}
		if (p[i] == '&') {
			for (k = 0; k < sizeof(entities) / sizeof(entities[0]);
			    k++) {
				if (str_iprefix(p + i + 1, len - i - 1,
				    entities[k].name))
					break;
			}
			if (k < sizeof(entities) / sizeof(entities[0])) {
				buf_adds(out, entities[k].text);
				i += 1 + strlen(entities[k].name);
				continue;
			}
		}
		if (p[i] != '\r')
			buf_addc(out, p[i]);
		i++;
	}
}

void
mail_show_text(const char *msg, size_t len, struct buf *out)
{
	struct mime_part *root = mime_parse(msg, len, NULL);
	const struct mime_part *p;
	struct buf html = BUF_INIT;
	size_t i, j;

	if ((p = text_find(root, "plain")) != NULL) {
		decode_text(p, msg, len, out);
	} else if ((p = text_find(root, "html")) != NULL) {
		decode_text(p, msg, len, &html);
		html_to_text(html.data, html.len, out);
	}
	/* Lines end with LF on a terminal. */
	for (i = j = 0; i < out->len; i++)
		if (out->data[i] != '\r')
			out->data[j++] = out->data[i];
	out->len = j;
	buf_free(&html);
	mime_part_free(root);
}

/* List every leaf but the shown text, and each encapsulated message. */
static void
attach_list(const struct mime_part *p, const struct mime_part *text,
    FILE *fp)
{
	const struct mime_part *c;
	const char *name;
	struct buf sec = BUF_INIT;

	if (mime_part_is_multipart(p)) {
		for (c = p->child; c != NULL; c = c->next)
			attach_list(c, text, fp);
		return;
	}
	if (p == text || (p->parent == NULL && strcmp(p->type, "text") == 0))
		return;
	if (strcmp(p->type, "text") == 0 && !is_attachment(p) &&
	    mime_part_filename(p) == NULL && p->parent != NULL &&
	    strcmp(p->parent->subtype, "alternative") == 0)
		return;
	mime_part_section(p, &sec);
	name = mime_part_filename(p);
	fprintf(fp, "  [%s] %s (%s/%s, %zu bytes encoded)\n",
	    sec.len > 0 ? buf_cstr(&sec) : "1", name != NULL ? name : "-",
	    p->type, p->subtype, p->end_off - p->body_off);
	buf_free(&sec);
}

void
mail_show_message(const char *msg, size_t len, FILE *fp)
{
	static const char *const names[] = { "From", "To", "Cc", "Reply-To",
	    "Date", "Subject" };
	struct mime_part *root = mime_parse(msg, len, NULL);
	const struct mime_part *text;
	struct buf v = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		mail_show_header(msg, len, names[i], &v);
		if (v.len > 0)
			fprintf(fp, "%s: %s\n", names[i], buf_cstr(&v));
	}
	buf_reset(&v);
	mail_show_text(msg, len, &v);
	fprintf(fp, "\n%s", buf_cstr(&v));
	if (v.len > 0 && v.data[v.len - 1] != '\n')
		fputc('\n', fp);
	text = text_find(root, "plain");
	if (text == NULL)
		text = text_find(root, "html");
	if (mime_part_is_multipart(root) || strcmp(root->type, "text") != 0) {
		fprintf(fp, "\nAttachments:\n");
		attach_list(root, text, fp);
	}
	buf_free(&v);
	mime_part_free(root);
}

static int
write_all(const char *path, const struct buf *data)
{
	size_t off = 0;
	ssize_t n;
	int fd = STDOUT_FILENO;

	if (strcmp(path, "-") != 0 && (fd = open(path, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0644)) == -1)
		return -1;
	while (off < data->len) {
		if ((n = write(fd, data->data + off, data->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (fd != STDOUT_FILENO && close(fd) == -1)
		return -1;
	return off == data->len ? 0 : -1;
}

/* A file name from the attachment's name: its last path element, or
 * "part-SEC" when there is none. */
static void
default_name(const struct mime_part *p, const char *sec, struct buf *out)
{
	const char *name = mime_part_filename(p), *slash;

	if (name != NULL && (slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	if (name == NULL || *name == '\0' || *name == '.')
		buf_addf(out, "part-%s", sec);
	else
		buf_adds(out, name);
}

int
mail_save_part(const char *msg, size_t len, const char *sec,
    const char *path)
{
	struct mime_part *root = mime_parse(msg, len, NULL), *p;
	struct buf data = BUF_INIT, name = BUF_INIT;
	int rc = -1;

	p = mime_part_find(root, sec, strlen(sec));
	if (p == NULL || mime_part_is_multipart(p)) {
		fprintf(stderr, "petrel mail: no attachment %s\n", sec);
		goto fail;
	}
	mime_part_decode(p, msg, len, &data);
	if (path == NULL)
		default_name(p, sec, &name);
	else
		buf_adds(&name, path);
	if (write_all(buf_cstr(&name), &data) == -1) {
		fprintf(stderr, "petrel mail: %s: %s\n", buf_cstr(&name),
		    strerror(errno));
		goto fail;
	}
	if (strcmp(buf_cstr(&name), "-") != 0)
		printf("saved %s (%zu bytes)\n", buf_cstr(&name), data.len);
	rc = 0;
fail:
	buf_free(&data);
	buf_free(&name);
	mime_part_free(root);
	return rc;
}
