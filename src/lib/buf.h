/* The one growable byte buffer. Data may hold NUL bytes; buf_cstr() adds a
 * terminating NUL (not counted in len) for code that needs a C string.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_BUF_H
#define PETREL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *b);
/* Release the memory; the buffer is empty and usable again afterwards. */
void	 buf_free(struct buf *b);
/* Forget the contents but keep the memory. */
void	 buf_reset(struct buf *b);
/* Make room for at least n more bytes. */
void	 buf_reserve(struct buf *b, size_t n);
void	 buf_add(struct buf *b, const void *p, size_t len);
void	 buf_adds(struct buf *b, const char *s);
void	 buf_addc(struct buf *b, char c);
void	 buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Remove the first n bytes (n <= len). */
void	 buf_consume(struct buf *b, size_t n);
/* Shorten to len bytes (len <= b->len). */
void	 buf_truncate(struct buf *b, size_t len);
/* The contents as a NUL-terminated string, owned by the buffer. */
const char *buf_cstr(struct buf *b);
/* Hand the contents to the caller as a NUL-terminated heap string and leave
 * the buffer empty. */
char	*buf_release(struct buf *b);

#endif
