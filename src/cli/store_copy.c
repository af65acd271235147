/* petrel store copy --from FILE-OR-URL --to FILE-OR-URL: copy a whole
 * store between backends (store_copy() in src/store), e.g. the embedded
 * store of a data directory into PostgreSQL and back. Running it again
 * after an interruption finishes the copy.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/iopool.h"
#include "store/store.h"

static void
progress(void *arg, const char *address, size_t n_mailboxes,
    size_t n_messages)
{
	(void)arg;
	printf("%s: %zu mailboxes, %zu messages\n", address, n_mailboxes,
	    n_messages);
	fflush(stdout);
}

static struct store *
open_one(const char *what, const char *location, struct iopool *pool)
{
	struct store *st;
	char *err = NULL;

	if ((st = store_open(location, pool, &err)) == NULL) {
		fprintf(stderr, "petrel: cannot open the %s store: %s\n", what,
		    err);
		free(err);
	}
	return st;
}

static int
copy(const char *from_loc, const char *to_loc)
{
	struct iopool *pool = iopool_new(1);
	struct store *from, *to = NULL;
	char *err = NULL;
	int rc = 1;

	if ((from = open_one("source", from_loc, pool)) != NULL &&
	    (to = open_one("target", to_loc, pool)) != NULL) {
		if (store_copy(from, to, progress, NULL, &err) == 0)
			rc = 0;
		else {
			fprintf(stderr, "petrel: store copy: %s (run it "
			    "again to continue)\n", err ? err : "failed");
			free(err);
		}
	}
	store_close(to);
	store_close(from);
	iopool_free(pool);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: petrel store copy --from DATA-DIR-OR-URL "
	    "--to DATA-DIR-OR-URL\n");
	return 2;
}

int
cli_store(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	int i;

	if (argc < 2 || strcmp(argv[1], "copy") != 0)
		return usage();
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--from") == 0)
			from = argv[i + 1];
		else if (strcmp(argv[i], "--to") == 0)
			to = argv[i + 1];
		else
			return usage();
	}
	if (i != argc || from == NULL || to == NULL)
		return usage();
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "petrel: store copy: --from and --to are the "
		    "same store\n");
		return 1;
	}
	return copy(from, to);
}
