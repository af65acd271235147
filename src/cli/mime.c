/* petrel mime show|json|extract FILE: inspect a message with the MIME
 * library. Bodies are read from the file range by range and decoded as
 * they stream, so memory does not grow with the message.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mime/mime.h"

#define BLOCK	(64 * 1024)

struct body_sum {
	size_t		 size;
	unsigned char	 md[32];
};

/* Run the decoder for part over its byte range; with out == NULL the
 * decoded octets are counted and hashed, else written to out. */
static int
body_run(int fd, const struct mime_part *part, bool is_raw, FILE *out,
    struct body_sum *sum)
{
	struct mime_decoder d;
	struct buf dec = BUF_INIT;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *blk = xmalloc(BLOCK);
	size_t off = part->body_off;
	ssize_t n;
	int rc = -1;

	mime_decoder_init(&d, is_raw ? MIME_CTE_7BIT : part->cte);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	sum->size = 0;
	for (; off < part->end_off; off += (size_t)n) {
		size_t want = part->end_off - off;

		n = pread(fd, blk, want < BLOCK ? want : BLOCK, (off_t)off);
		if (n <= 0)
			goto fail;
		mime_decoder_update(&d, blk, (size_t)n, &dec);
		if (off + (size_t)n >= part->end_off)
			mime_decoder_final(&d, &dec);
		sum->size += dec.len;
		EVP_DigestUpdate(md, dec.data ? dec.data : "", dec.len);
		if (out != NULL && dec.len > 0 &&
		    fwrite(dec.data, 1, dec.len, out) != dec.len)
			goto fail;
		buf_reset(&dec);
	}
	if (part->end_off <= part->body_off)
		mime_decoder_final(&d, &dec);
	EVP_DigestFinal_ex(md, sum->md, NULL);
	rc = 0;
fail:
	EVP_MD_CTX_free(md);
	buf_free(&dec);
	free(blk);
	return rc;
}

static int
read_range(int fd, size_t a, size_t b, struct buf *out)
{
	ssize_t n;

	buf_reserve(out, b - a);
	while (a < b) {
		n = pread(fd, out->data + out->len, b - a, (off_t)a);
		if (n <= 0)
			return -1;
		out->len += (size_t)n;
		a += (size_t)n;
	}
	return 0;
}

static bool
is_leaf(const struct mime_part *p)
{
	return !mime_part_is_multipart(p) && mime_part_message(p) == NULL;
}

/* ---- json ---------------------------------------------------------------- */

static void
json_str(struct buf *o, const char *s)
{
	struct buf u = BUF_INIT;
	size_t i;

	if (s == NULL) {
		buf_adds(o, "null");
		return;
	}
	mime_utf8_sanitize(s, strlen(s), &u);
	buf_addc(o, '"');
	for (i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.data[i];

		if (c == '"' || c == '\\')
			buf_addf(o, "\\%c", c);
		else if (c < 0x20)
			buf_addf(o, "\\u%04x", c);
		else
			buf_addc(o, (char)c);
	}
	buf_addc(o, '"');
	buf_free(&u);
}

static void
json_params(struct buf *o, const struct mime_params *ps)
{
	size_t i;

	buf_addc(o, '{');
	for (i = 0; i < ps->n; i++) {
		if (i > 0)
			buf_addc(o, ',');
		json_str(o, ps->v[i].name);
		buf_addc(o, ':');
		json_str(o, ps->v[i].value);
	}
	buf_addc(o, '}');
}

static const char *
cte_name(const struct mime_part *p)
{
	static const char *const names[] = { "7bit", "8bit", "binary",
	    "quoted-printable", "base64" };

	if (p->fields[MIME_HF_CTE] == NULL)
		return NULL;
	if (p->cte == MIME_CTE_OTHER)
		return p->fields[MIME_HF_CTE];
	return names[p->cte];
}

static void
json_flags(struct buf *o, unsigned f)
{
	static const char *const names[] = { "no-end", "limit", "8bit",
	    "nul", "long-line", "header-8bit", "header-truncated",
	    "no-blank-line", "no-boundary", "bad-charset", "parts-limit" };
	size_t i;
	bool first = true;

	buf_addc(o, '[');
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i)) {
			buf_addf(o, "%s\"%s\"", first ? "" : ",", names[i]);
			first = false;
		}
	buf_addc(o, ']');
}

static void
json_addrs(struct buf *o, const char *key, const char *v)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf spec = BUF_INIT;
	size_t i;
	bool first = true;

	if (v == NULL)
		return;
	mime_addr_parse(v, strlen(v), &l);
	buf_addf(o, ",\"%s\":[", key);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX)
			continue;
		buf_reset(&spec);
		mime_addr_spec_write(&l.v[i], &spec);
		buf_adds(o, first ? "[" : ",[");
		json_str(o, l.v[i].name ? l.v[i].name : "");
		buf_addc(o, ',');
		json_str(o, buf_cstr(&spec));
		buf_addc(o, ']');
		first = false;
	}
	buf_addc(o, ']');
	buf_free(&spec);
	mime_addr_list_free(&l);
}

/* The envelope-ish fields of a message header, decoded for people. */
static void
json_message(struct buf *o, const struct mime_part *p)
{
	struct buf v = BUF_INIT;
	const char *s = p->fields[MIME_HF_SUBJECT];

	if (s != NULL) {
		mime_hdr_decode(s, strlen(s), &v);
		buf_adds(o, ",\"subject\":");
		json_str(o, buf_cstr(&v));
	}
	json_addrs(o, "from", p->fields[MIME_HF_FROM]);
	json_addrs(o, "to", p->fields[MIME_HF_TO]);
	json_addrs(o, "cc", p->fields[MIME_HF_CC]);
	buf_free(&v);
}

static int
json_part(int fd, const struct mime_part *p, struct buf *o)
{
	struct buf sec = BUF_INIT;
	struct body_sum sum;
	const struct mime_part *c;
	size_t i;

	mime_part_section(p, &sec);
	buf_addf(o, "{\"section\":\"%s\",\"type\":", buf_cstr(&sec));
	buf_free(&sec);
	buf_addf(o, "\"%s/%s\",\"params\":", p->type, p->subtype);
	json_params(o, &p->params);
	buf_adds(o, ",\"disposition\":");
	json_str(o, p->disposition);
	buf_adds(o, ",\"filename\":");
	json_str(o, mime_part_filename(p));
	buf_adds(o, ",\"charset\":");
	json_str(o, mime_part_charset(p));
	buf_adds(o, ",\"encoding\":");
	json_str(o, cte_name(p));
	buf_addf(o, ",\"offsets\":[%zu,%zu,%zu],\"size\":%zu,\"lines\":%zu",
	    p->hdr_off, p->body_off, p->end_off, p->end_off - p->body_off,
	    p->body_lines);
	buf_adds(o, ",\"flags\":");
	json_flags(o, p->flags);
	if (p->parent == NULL || strcmp(p->parent->type, "message") == 0)
		json_message(o, p);
	if (is_leaf(p)) {
		if (body_run(fd, p, false, NULL, &sum) == -1)
			return -1;
		buf_addf(o, ",\"decoded_size\":%zu,\"sha256\":\"", sum.size);
		for (i = 0; i < 32; i++)
			buf_addf(o, "%02x", sum.md[i]);
		buf_addc(o, '"');
	}
	buf_adds(o, ",\"children\":[");
	for (c = p->child; c != NULL; c = c->next) {
		if (json_part(fd, c, o) == -1)
			return -1;
		if (c->next != NULL)
			buf_addc(o, ',');
	}
	buf_adds(o, "]}");
	return 0;
}

/* ---- show ---------------------------------------------------------------- */

static int
show_headers(int fd, const struct mime_part *p, int indent)
{
	struct buf h = BUF_INIT, v = BUF_INIT;
	struct mime_hdr_iter it;
	struct mime_field f;

	if (read_range(fd, p->hdr_off, p->body_off, &h) == -1) {
		buf_free(&h);
		return -1;
	}
	mime_hdr_iter_init(&it, h.data ? h.data : "", h.len);
	while (mime_hdr_next(&it, &f) == 1) {
		buf_reset(&v);
		mime_hdr_decode(f.value, f.valuelen, &v);
		printf("%*s%.*s: %s\n", indent, "", (int)f.namelen, f.name,
		    buf_cstr(&v));
	}
	buf_free(&h);
	buf_free(&v);
	return 0;
}

static int
show_part(int fd, const struct mime_part *p, int indent)
{
	struct buf sec = BUF_INIT;
	struct body_sum sum;
	const struct mime_part *c;
	const char *cs = mime_part_charset(p), *name = mime_part_filename(p);
	const char *enc = cte_name(p);

	if (p->parent == NULL && !mime_part_is_multipart(p))
		buf_adds(&sec, "1");
	else
		mime_part_section(p, &sec);
	printf("%*s%-6s %s/%s", indent, "", sec.len ? buf_cstr(&sec) : "-",
	    p->type, p->subtype);
	buf_free(&sec);
	if (cs != NULL)
		printf("; charset=%s", cs);
	printf("  %s  %zu octets, %zu lines", enc ? enc : "7bit",
	    p->end_off - p->body_off, p->body_lines);
	if (is_leaf(p)) {
		if (body_run(fd, p, false, NULL, &sum) == -1)
			return -1;
		printf(", %zu decoded", sum.size);
	}
	if (p->disposition != NULL)
		printf("  %s", p->disposition);
	if (name != NULL)
		printf("  \"%s\"", name);
	printf("\n");
	if (p->parent != NULL && strcmp(p->parent->type, "message") == 0 &&
	    show_headers(fd, p, indent + 9) == -1)
		return -1;
	for (c = p->child; c != NULL; c = c->next)
		if (show_part(fd, c, indent + 2) == -1)
			return -1;
	return 0;
}

/* ---- the command --------------------------------------------------------- */

static int
usage(void)
{
	fprintf(stderr, "usage: petrel mime show FILE\n"
	    "       petrel mime json FILE\n"
	    "       petrel mime extract [-r] FILE PART\n");
	return 2;
}

static int
open_parse(const char *path, int *fd, struct mime_part **root)
{
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    mime_parse_file(path, NULL, root) == -1) {
		fprintf(stderr, "petrel mime: %s: %s\n", path, strerror(errno));
		if (*fd != -1)
			close(*fd);
		return -1;
	}
	return 0;
}

static int
cmd_run(const char *cmd, const char *path, const char *sec, bool is_raw)
{
	struct mime_part *root, *p;
	struct body_sum sum;
	struct buf o = BUF_INIT;
	int fd, rc = 1;

	if (open_parse(path, &fd, &root) == -1)
		return 1;
	if (strcmp(cmd, "json") == 0) {
		if (json_part(fd, root, &o) == 0) {
			printf("%s\n", buf_cstr(&o));
			rc = 0;
		}
	} else if (strcmp(cmd, "show") == 0) {
		if (show_headers(fd, root, 0) == 0) {
			printf("\n");
			rc = show_part(fd, root, 0) == 0 ? 0 : 1;
		}
	} else if ((p = mime_part_find(root, sec, strlen(sec))) == NULL) {
		fprintf(stderr, "petrel mime: %s: no part %s\n", path, sec);
	} else {
		rc = body_run(fd, p, is_raw || !is_leaf(p), stdout, &sum) ==
		    0 && fflush(stdout) == 0 ? 0 : 1;
	}
	if (rc != 0 && strcmp(cmd, "extract") != 0)
		fprintf(stderr, "petrel mime: %s: read error\n", path);
	buf_free(&o);
	mime_part_free(root);
	close(fd);
	return rc;
}

int
cli_mime(int argc, char **argv)
{
	bool is_raw = false;
	int i = 2;

	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "show") == 0 || strcmp(argv[1], "json") == 0) {
		if (argc != 3)
			return usage();
		return cmd_run(argv[1], argv[2], NULL, false);
	}
	if (strcmp(argv[1], "extract") != 0)
		return usage();
	if (argc > i && strcmp(argv[i], "-r") == 0) {
		is_raw = true;
		i++;
	}
	if (argc - i != 2)
		return usage();
	return cmd_run("extract", argv[i], argv[i + 1], is_raw);
}
