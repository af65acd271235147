/* Differential test driver: `petrel mime json` for each file argument,
 * one JSON line per file, in order. With -d, write FILE.7bit, the file
 * passed through mime_downgrade(), and print its return code per line.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/buf.h"
#include "mime/mime.h"

static int
slurp(const char *path, struct buf *b)
{
	char blk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	while ((n = fread(blk, 1, sizeof(blk), f)) > 0)
		buf_add(b, blk, n);
	fclose(f);
	return 0;
}

static int
downgrade(const char *path)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	char name[4096];
	FILE *f;
	int rc;

	if (slurp(path, &in) == -1)
		return -2;
	rc = mime_downgrade(in.data ? in.data : "", in.len, &out);
	snprintf(name, sizeof(name), "%s.7bit", path);
	if ((f = fopen(name, "wb")) == NULL ||
	    fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0)
		rc = -2;
	buf_free(&in);
	buf_free(&out);
	return rc;
}

int
main(int argc, char **argv)
{
	char *args[3];
	int i;

	args[0] = "mime";
	args[1] = "json";
	if (argc > 1 && strcmp(argv[1], "-d") == 0) {
		for (i = 2; i < argc; i++)
			printf("%d\n", downgrade(argv[i]));
		return 0;
	}
	for (i = 1; i < argc; i++) {
		args[2] = argv[i];
		if (cli_mime(3, args) != 0)
			printf("{\"error\":true}\n");
		fflush(stdout);
	}
	return 0;
}
