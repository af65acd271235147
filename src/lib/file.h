/* Small helpers for durable files, shared by the store, the queue and the
 * TLS certificate writer.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_FILE_H
#define PETREL_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Write all len bytes of p to fd, retrying short writes and EINTR. 0, or
 * -1 with errno set (EIO for a write that made no progress). */
int	file_write_all(int fd, const void *p, size_t len);
/* fsync the directory at path, so that names created in it are durable.
 * 0, or -1 with errno set. */
int	file_sync_dir(const char *path);
/* Whether errno value e means the disk is full (ENOSPC, or EDQUOT: a
 * quota is a full disk to the writer), which SMTP answers with 452. */
bool	file_errno_is_full(int e);

#endif
