/* petrel store copy --from LOCATION --to LOCATION: copy a whole store
 * (src/store/transfer.c) from the embedded one into PostgreSQL, or back,
 * or between any two. A location is a data directory (or its store.db)
 * or a postgresql:// URL. Stop the servers using the source first: what
 * arrives during the copy may be missed (run it again to pick it up).
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "store/store.h"

static bool
is_url(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	    strncmp(location, "postgres://", 11) == 0;
}

/* Open the store at location; the source must exist already. */
static struct store *
open_at(const char *location, bool must_exist, struct iopool *pool)
{
	struct store *st;
	struct stat sb;
	char *dir, *copy = NULL, *err = NULL;

	dir = (char *)location;
	if (!is_url(location)) {
		if (stat(location, &sb) == 0 && S_ISREG(sb.st_mode)) {
			copy = xstrdup(location);	/* .../store.db */
			dir = dirname(copy);
		} else if (must_exist && stat(location, &sb) != 0) {
			fprintf(stderr, "petrel: %s: %s\n", location,
			    strerror(errno));
			return NULL;
		} else if (!must_exist && mkdir(location, 0700) != 0 &&
		    errno != EEXIST) {
			fprintf(stderr, "petrel: cannot create %s: %s\n",
			    location, strerror(errno));
			return NULL;
		}
	}
	if ((st = store_open(dir, pool, &err)) == NULL) {
		fprintf(stderr, "petrel: cannot open the store %s: %s\n", dir,
		    err);
		free(err);
	}
	free(copy);
	return st;
}

static void
progress(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
	fflush(stdout);
}

static int
store_copy_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL;
	struct store *src = NULL, *dst = NULL;
	struct iopool *pool;
	char *err = NULL;
	int ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:t:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		default:
			return 2;
		}
	}
	if (from == NULL || to == NULL || optind != argc) {
		fprintf(stderr, "usage: petrel store copy --from LOCATION "
		    "--to LOCATION\n");
		return 2;
	}
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "petrel: --from and --to are the same store\n");
		return 2;
	}
	pool = iopool_new(1);
	if ((src = open_at(from, true, pool)) != NULL &&
	    (dst = open_at(to, false, pool)) != NULL) {
		if (store_copy(src, dst, progress, NULL, &err) == 0) {
			printf("copied %s to %s\n", from, to);
			rc = 0;
		} else {
			fprintf(stderr, "petrel: copy stopped: %s (run it "
			    "again to go on)\n", err ? err : "failed");
			free(err);
		}
	}
	store_close(dst);
	store_close(src);
	iopool_free(pool);
	return rc;
}

int
cli_store(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "copy") == 0)
		return store_copy_cmd(argc - 1, argv + 1);
	fprintf(stderr, "usage: petrel store copy --from LOCATION "
	    "--to LOCATION\n");
	return 2;
}
