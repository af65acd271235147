/* Message body files: written once as a temporary file in tmp/, made
 * durable, then linked (or renamed) to bodies/XX/<name> and never changed
 * again. Also the directory fsync that makes the new name durable.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

char *
store_msgfile_tmp_path(struct store *st, const char *name)
{
	return xasprintf("%s/tmp/%s", lite_of(st)->dir, name);
}

char *
store_msgfile_dir(struct store *st, const char *name)
{
	return xasprintf("%s/bodies/%.2s", lite_of(st)->dir, name);
}

char *
store_msgfile_path(struct store *st, const char *name)
{
	return xasprintf("%s/bodies/%.2s/%s", lite_of(st)->dir, name, name);
}

int
store_msgfile_open_tmp(struct store *st, const char *name,
    bool *has_name_out)
{
	char *path;
	int fd;

	/* An unnamed file also keeps creations off tmp/'s directory, which
	 * every fsync of a new named file would write again. */
	path = xasprintf("%s/tmp", lite_of(st)->dir);
	fd = open(path, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
	free(path);
	*has_name_out = false;
	if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
	*has_name_out = true;
	path = store_msgfile_tmp_path(st, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	free(path);
	return fd;
}

int
store_msgfile_link(struct store *st, int fd, const char *name,
    bool has_name)
{
	char *from, *to, proc[64];
	int rc;

	to = store_msgfile_path(st, name);
	if (has_name) {
		from = store_msgfile_tmp_path(st, name);
		rc = rename(from, to);
		free(from);
		free(to);
		return rc;
	}
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels; the
	 * /proc path works for any owner (linkat(2), O_TMPFILE). */
	rc = linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH);
	if (rc == -1 && (errno == ENOENT || errno == EPERM)) {
		(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
	}
	free(to);
	return rc;
}

void
store_msgfile_unlink_names(struct store *st, char **names, size_t n)
{
	char *path;
	size_t i;

	for (i = 0; i < n; i++) {
		path = store_msgfile_path(st, names[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("store event=unlink path=%s", path);
		free(path);
		free(names[i]);
	}
	free(names);
}

static int
mkdir_one(const char *path, char **err_out)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return store_err(err_out, "%s: %s", path, strerror(errno));
	return 0;
}

int
store_msgfile_init(struct store *st, char **err_out)
{
	char *path;
	int i, rc;

	path = xasprintf("%s/tmp", lite_of(st)->dir);
	rc = mkdir_one(path, err_out);
	free(path);
	path = xasprintf("%s/bodies", lite_of(st)->dir);
	if (rc == 0)
		rc = mkdir_one(path, err_out);
	free(path);
	for (i = 0; i < 256 && rc == 0; i++) {
		path = xasprintf("%s/bodies/%02x", lite_of(st)->dir, i);
		rc = mkdir_one(path, err_out);
		free(path);
	}
	return rc;
}

void
store_msgfile_clean_tmp(struct store *st)
{
	struct dirent *de;
	char *path;
	DIR *dir;

	path = xasprintf("%s/tmp", lite_of(st)->dir);
	if ((dir = opendir(path)) == NULL) {
		log_warn("store event=clean-tmp path=%s", path);
		free(path);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) == -1)
			log_warn("store event=clean-tmp file=%s", de->d_name);
		else
			log_info("store event=clean-tmp file=%s", de->d_name);
	}
	closedir(dir);
	free(path);
}

const char *
store_msgfile_reason(int errnum)
{
	switch (errnum) {
	case ENOSPC:
		return "disk full";
	case EDQUOT:
		return "disk quota exceeded";
	case EIO:
		return "I/O error";
	default:
		return strerror(errnum);
	}
}
