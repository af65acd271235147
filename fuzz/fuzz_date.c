/* libFuzzer target for dates: parse; what parses formats, and the
 * formatted date parses back to the same instant.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *c = malloc(size ? size : 1), s[MIME_DATE_LEN];
	time_t t, t2;
	int tz, tz2;

	memcpy(c, data, size);
	if (mime_date_parse(c, size, &t, &tz) == 0 &&
	    mime_date_format(t, tz, s, sizeof(s))) {
		if (mime_date_parse(s, strlen(s), &t2, &tz2) != 0 || t2 != t)
			abort();
	}
	free(c);
	return 0;
}
