/* libFuzzer harness: the HTTP/1.1 request parser (src/web/http.c). The
 * input is fed in pieces whose sizes come from its first byte, requests
 * are taken one after another as a pipelining client sends them, and the
 * parser must never claim more bytes than it was given.
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim;
	struct http_parser ps;
	size_t step, off = 1, n, used, hlen;
	char *p;
	int r;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 17) + 1;
	p = malloc(size);
	memcpy(p, data, size);
	http_limits_default(&lim);
	lim.max_body = 4096;
	http_parser_init(&ps, &lim);
	while (off < size) {
		n = size - off < step ? size - off : step;
		r = http_parser_feed(&ps, p + off, n, &used);
		if (used > n)
			abort();
		off += used;
		if (r < 0)
			break;
		if (r == 1) {
			if (ps.req.path == NULL || ps.req.body.len > lim.max_body)
				abort();
			(void)http_header_get(&ps.req, "host", &hlen);
			http_parser_reset(&ps);
		} else if (used != n)
			abort();
	}
	http_parser_fini(&ps);
	free(p);
	return 0;
}
