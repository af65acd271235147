/* libFuzzer harness for the SMTP client's reply parser and EHLO extension
 * list (src/smtp/client_reply.c): the input is split into lines at LF,
 * each fed without its line end, then summarized and parsed as EHLO.
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_client.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_client_reply r;
	struct smtp_client_ext x;
	char s[QUEUE_REPLY_MAX];
	const char *p = (const char *)data, *nl;
	size_t len = size, n;
	char *copy;

	smtp_client_reply_init(&r);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		/* An exact-size copy: the parser must not read past it. */
		copy = malloc(n ? n : 1);
		memcpy(copy, p, n);
		if (n > 0 && copy[n - 1] == '\r')
			n--;
		if (smtp_client_reply_feed(&r, copy, n) == 1) {
			smtp_client_reply_summary(&r, s, sizeof(s));
			smtp_client_ext_parse(&r, &x);
		}
		free(copy);
		if (nl == NULL)
			break;
		p = nl + 1;
		len = size - (size_t)(p - (const char *)data);
	}
	smtp_client_reply_summary(&r, s, sizeof(s));
	smtp_client_reply_fini(&r);
	return 0;
}
