/* libFuzzer harness: the SMTP path parser (src/smtp/path.c).
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_path path;
	const char *errstr;
	char out[SMTP_PATH_MAX + 1];
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *p = malloc(size ? size : 1);
	int used;

	memcpy(p, data, size);
	used = smtp_path_parse(p, size, &path, &errstr);
	if (used >= 0) {
		if ((size_t)used > size)
			abort();
		smtp_path_str(&path, out, sizeof(out));
	}
	free(p);
	return 0;
}
