/* Removing the files of a directory that a sorted list of names does not
 * hold: the start-up sweeps of the store (store/sweep.c) and the queue
 * (queue/sweep.c), which differ only in where the list comes from.
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dir_sweep.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
dir_sweep_sort(char **names, size_t n)
{
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
}

/* Whether the sorted names[0..n) hold name. */
static bool
is_listed(const char *name, char *const *names, size_t n)
{
	return n > 0 && bsearch(&name, names, n, sizeof(*names),
	    cmp_names) != NULL;
}

size_t
dir_sweep(const char *dir, char *const *names, size_t n, const char *who,
    bool is_each_logged)
{
	struct dirent *de;
	size_t removed = 0;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || is_listed(de->d_name, names, n))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(path) == 0) {
			if (is_each_logged)
				log_info("%s event=sweep file=%s", who, path);
			removed++;
		} else
			log_warn("%s event=sweep path=%s", who, path);
		free(path);
	}
	closedir(d);
	return removed;
}
