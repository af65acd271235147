/* Golden files: each tests/data/messages/NAME.eml parsed (whole and in
 * 1000-octet pieces) and described as in NAME.out: the tree with offsets,
 * the decoded headers, each leaf's decoded size, and the IMAP ENVELOPE
 * and BODYSTRUCTURE. Run from the top of the tree, or set PETREL_TESTDATA
 * to the data directory. MIME_GOLDEN_UPDATE=1 rewrites the .out files
 * (read them before committing them).
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static int
slurp(const char *path, struct buf *b)
{
	char blk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	while ((n = fread(blk, 1, sizeof(blk), f)) > 0)
		buf_add(b, blk, n);
	fclose(f);
	return 0;
}

static void
describe_part(const struct mime_part *p, const struct buf *m, struct buf *o)
{
	const struct mime_part *c;
	struct buf s = BUF_INIT, d = BUF_INIT;

	mime_part_section(p, &s);
	buf_addf(o, "%*s[%s] %s/%s hdr=%zu body=%zu end=%zu lines=%zu "
	    "flags=%#x", (int)p->depth * 2, "", buf_cstr(&s), p->type,
	    p->subtype, p->hdr_off, p->body_off, p->end_off, p->body_lines,
	    p->flags);
	if (p->child == NULL) {
		mime_part_decode(p, m->data, m->len, &d);
		buf_addf(o, " decoded=%zu", d.len);
	}
	if (mime_part_filename(p) != NULL)
		buf_addf(o, " filename=\"%s\"", mime_part_filename(p));
	buf_addc(o, '\n');
	if (p->fields[MIME_HF_SUBJECT] != NULL) {
		buf_reset(&d);
		mime_hdr_decode(p->fields[MIME_HF_SUBJECT],
		    strlen(p->fields[MIME_HF_SUBJECT]), &d);
		buf_addf(o, "%*s  subject: %s\n", (int)p->depth * 2, "",
		    buf_cstr(&d));
	}
	for (c = p->child; c != NULL; c = c->next)
		describe_part(c, m, o);
	buf_free(&s);
	buf_free(&d);
}

static void
describe(const struct buf *m, size_t chunk, struct buf *o)
{
	struct mime_parser *ps = mime_parser_new(NULL);
	struct mime_part *root;
	size_t i;

	for (i = 0; i < m->len; i += chunk)
		mime_parser_feed(ps, m->data + i, m->len - i < chunk ?
		    m->len - i : chunk);
	root = mime_parser_finish(ps);
	describe_part(root, m, o);
	buf_adds(o, "ENVELOPE ");
	mime_envelope_write(root, o);
	buf_adds(o, "\nBODY ");
	mime_bodystructure_write(root, false, o);
	buf_adds(o, "\nBODYSTRUCTURE ");
	mime_bodystructure_write(root, true, o);
	buf_addc(o, '\n');
	mime_part_free(root);
}

static void
test_golden(void **state)
{
	const char *dir = getenv("PETREL_TESTDATA");
	char path[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	(void)state;
	if (dir == NULL)
		dir = "tests/data";
	snprintf(path, sizeof(path), "%s/messages", dir);
	if ((d = opendir(path)) == NULL)
		fail_msg("cannot open %s: run from the top of the tree", path);
	while ((de = readdir(d)) != NULL) {
		struct buf m = BUF_INIT, got = BUF_INIT, got2 = BUF_INIT;
		struct buf want = BUF_INIT;
		size_t len = strlen(de->d_name);
		FILE *f;

		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/messages/%s", dir, de->d_name);
		assert_int_equal(slurp(path, &m), 0);
		describe(&m, m.len ? m.len : 1, &got);
		describe(&m, 1000, &got2);
		assert_string_equal(buf_cstr(&got), buf_cstr(&got2));
		snprintf(path + strlen(path) - 4, 5, ".out");
		if (getenv("MIME_GOLDEN_UPDATE") != NULL &&
		    (f = fopen(path, "wb")) != NULL) {
			fwrite(got.data, 1, got.len, f);
			fclose(f);
		}
		if (slurp(path, &want) == -1)
			fail_msg("%s is missing", path);
		if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0)
			fail_msg("%s differs; got:\n%s", path, buf_cstr(&got));
		n++;
		buf_free(&m);
		buf_free(&got);
		buf_free(&got2);
		buf_free(&want);
	}
	closedir(d);
	assert_true(n >= 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
