/* libFuzzer target for address lists: parse, write back (7-bit and
 * UTF-8), parse again; the second parse must find as many mailboxes.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_addr_list a = { NULL, 0 }, b = { NULL, 0 };
	struct buf w = BUF_INIT;
	char *c = malloc(size ? size : 1);
	size_t n;

	memcpy(c, data, size);
	n = mime_addr_parse(c, size, &a);
	mime_addr_list_write(&a, 4, size & 1 ? MIME_WRITE_UTF8 : 0, &w);
	if (mime_addr_parse(w.data ? w.data : "", w.len, &b) != n)
		abort();
	mime_addr_list_free(&a);
	mime_addr_list_free(&b);
	buf_free(&w);
	free(c);
	return 0;
}
