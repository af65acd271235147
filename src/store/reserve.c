/* A few megabytes held back on the store's disk, so that deleting mail
 * still works when the disk is full: removing rows needs room in SQLite's
 * write-ahead log before any space comes back. New mail runs out of space
 * first, because the reserve is already taken; a deletion that fails for
 * want of space releases the reserve and tries again, and the reserve is
 * taken back once there is room.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

#define RESERVE_SIZE	(4 * 1024 * 1024)

void
store_reserve_take(struct store *st)
{
	char *path = xasprintf("%s/reserve", lite_of(st)->dir);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		free(path);
		return;
	}
	/* Real blocks, not a sparse file: only those hold space back. */
	if (posix_fallocate(fd, 0, RESERVE_SIZE) != 0) {
		(void)unlink(path);
		log_debug("store event=reserve result=no-room");
	}
	close(fd);
	free(path);
}

bool
store_reserve_release(struct store *st)
{
	char *path = xasprintf("%s/reserve", lite_of(st)->dir);
	bool had = unlink(path) == 0;

	if (had)
		log_warnx("store event=reserve-released reason=\"disk full\"");
	free(path);
	return had;
}
