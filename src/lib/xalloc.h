/* Allocation that never returns NULL: on failure the process exits.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_XALLOC_H
#define PETREL_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
/* Resize an array of nmemb elements of size bytes; checks for overflow. */
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
/* Copy len bytes of p into a new NUL-terminated string. */
char	*xstrndup(const char *p, size_t len);
/* Allocate and format; the caller frees the result. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
