/* The browser app's files, served from the directory http.root: plain
 * HTML, CSS and JavaScript, no build step. Paths are checked segment by
 * segment (no dot files, no "..", no encoded characters), symbolic links
 * are not followed at the last step, and validators (ETag) let the
 * browser revalidate cheaply (RFC 9110 8.8.3, 13.1.2).
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "mime/mime.h"
#include "web_int.h"

#define STATIC_PATH_MAX	256

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/vnd.microsoft.icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
};

const char *
web_static_type(const char *name, size_t len)
{
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i].ext);
		if (len > n && str_ieq(name + len - n, n, types[i].ext))
			return types[i].type;
	}
	return "application/octet-stream";
}

/* Only [A-Za-z0-9._-] in segments that do not start with a dot. */
static bool
path_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || p[0] != '/' || len >= STATIC_PATH_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '/') {
			if (i + 1 < len && (p[i + 1] == '.' || p[i + 1] == '/'))
				return false;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}

static bool
etag_matches(struct web_req *r, const char *etag)
{
	const char *v;
	size_t len;

	v = http_header_get(r->http, "if-none-match", &len);
	return v != NULL && (str_ieq(v, len, etag) || str_ieq(v, len, "*"));
}

void
web_static_serve(struct web_req *r)
{
	const char *path = r->http->path;
	size_t len = r->http->pathlen;
	struct buf file = BUF_INIT;
	struct stat st;
	char etag[64];
	int fd;

	if (len == 1) {
		path = "/index.html";
		len = 11;
	}
	if (!path_ok(path, len)) {
		web_reply_error(r, 404, "not found");
		return;
	}
	buf_addf(&file, "%s%.*s", r->srv->root, (int)len, path);
	fd = open(buf_cstr(&file), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	buf_free(&file);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		web_reply_error(r, 404, "not found");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	    (unsigned long long)st.st_mtime, (unsigned long long)st.st_size);
	r->cache = "no-cache";
	web_reply_header(r, "ETag", "%s", etag);
	if (etag_matches(r, etag)) {
		close(fd);
		web_reply(r, 304, NULL, NULL, 0);
		return;
	}
	web_reply_stream(r, 200, web_static_type(path, len), fd, 0,
	    (uint64_t)st.st_size, MIME_CTE_BINARY);
}
