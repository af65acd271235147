/* Message body files: written once under tmp/, made durable, then renamed
 * to bodies/XX/<name> and never changed again. Also the directory fsync
 * that makes a rename durable.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

char *
store_msgfile_tmp_path(struct store *st, const char *name)
{
	return xasprintf("%s/tmp/%s", st->dir, name);
}

char *
store_msgfile_dir(struct store *st, const char *name)
{
	return xasprintf("%s/bodies/%.2s", st->dir, name);
}

char *
store_msgfile_path(struct store *st, const char *name)
{
	return xasprintf("%s/bodies/%.2s/%s", st->dir, name, name);
}

int
store_msgfile_write(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int
store_msgfile_sync_dir(const char *path)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
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

	path = xasprintf("%s/tmp", st->dir);
	rc = mkdir_one(path, err_out);
	free(path);
	path = xasprintf("%s/bodies", st->dir);
	if (rc == 0)
		rc = mkdir_one(path, err_out);
	free(path);
	for (i = 0; i < 256 && rc == 0; i++) {
		path = xasprintf("%s/bodies/%02x", st->dir, i);
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

	path = xasprintf("%s/tmp", st->dir);
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
