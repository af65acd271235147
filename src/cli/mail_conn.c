/* A blocking line connection for the mail client: TCP with a timeout,
 * implicit TLS (RFC 8314) or STARTTLS with the certificate checked
 * against the system's store or a CA file and the server's name.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "lib/log.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "mail_int.h"

#define CONN_TIMEOUT	60	/* seconds for each read or write */
#define CONN_LINE_MAX	(1 << 20)	/* longest line a server may send */

static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = { CONN_TIMEOUT, 0 };
	int fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "petrel mail: %s:%s: %s\n", host, port,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fprintf(stderr, "petrel mail: connect to %s:%s: %s\n", host,
		    port, strerror(saved));
	return fd;
}

struct mail_conn *
mail_conn_open(const struct mail_server *srv, const char *ca_file)
{
	struct mail_conn *c;
	int fd;

	if ((fd = tcp_connect(srv->host, srv->port)) == -1)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->host = xstrdup(srv->host);
	if (srv->tls == MAIL_TLS_IMPLICIT &&
	    mail_conn_starttls(c, ca_file) == -1) {
		mail_conn_free(c);
		return NULL;
	}
	return c;
}

void
mail_conn_free(struct mail_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->in);
	free(c->host);
	free(c);
}

static void
tls_error(struct mail_conn *c)
{
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_get_error();

	if (v != X509_V_OK)
		fprintf(stderr, "petrel mail: %s: TLS certificate not "
		    "trusted: %s\n", c->host,
		    X509_verify_cert_error_string(v));
	else
		fprintf(stderr, "petrel mail: %s: TLS handshake failed: "
		    "%s\n", c->host,
		    e != 0 ? ERR_reason_error_string(e) : "closed");
}

int
mail_conn_starttls(struct mail_conn *c, const char *ca_file)
{
	char *err = NULL;

	if ((c->ctx = tls_client_ctx_new(ca_file, true, &err)) == NULL) {
		fprintf(stderr, "petrel mail: %s\n", err);
		free(err);
		return -1;
	}
	c->ssl = SSL_new(c->ctx);
	if (!tls_client_set_host(c->ssl, c->host)) {
		fprintf(stderr, "petrel mail: %s: bad TLS host name\n",
		    c->host);
		return -1;
	}
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1) {
		tls_error(c);
		return -1;
	}
	return 0;
}

int
mail_conn_write(struct mail_conn *c, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if (c->ssl != NULL) {
			int k = len > 1 << 20 ? 1 << 20 : (int)len;

			n = SSL_write(c->ssl, p, k);
		} else
			n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n <= 0) {
			fprintf(stderr, "petrel mail: %s: write failed: %s\n",
			    c->host, n < 0 ? strerror(errno) : "closed");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
mail_conn_printf(struct mail_conn *c, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("vasprintf");
	rc = mail_conn_write(c, s, (size_t)n);
	free(s);
	return rc;
}

/* Read more into c->in. 0, or -1 printed. */
static int
fill(struct mail_conn *c)
{
	char tmp[16384];
	ssize_t n;

	if (c->ssl != NULL)
		n = SSL_read(c->ssl, tmp, sizeof(tmp));
	else
		n = recv(c->fd, tmp, sizeof(tmp), 0);
	if (n <= 0) {
		c->is_eof = true;
		fprintf(stderr, "petrel mail: %s: connection %s\n", c->host,
		    n == 0 || c->ssl != NULL ? "closed by the server" :
		    strerror(errno));
		return -1;
	}
	buf_add(&c->in, tmp, (size_t)n);
	return 0;
}

int
mail_conn_line(struct mail_conn *c, struct buf *line)
{
	char *nl;
	size_t n;

	buf_reset(line);
	while ((nl = c->in.len > 0 ? memchr(c->in.data, '\n', c->in.len) :
	    NULL) == NULL) {
		if (c->in.len > CONN_LINE_MAX) {
			fprintf(stderr, "petrel mail: %s: line too long\n",
			    c->host);
			return -1;
		}
		if (fill(c) == -1)
			return -1;
	}
	n = (size_t)(nl - c->in.data);
	buf_add(line, c->in.data, n > 0 && nl[-1] == '\r' ? n - 1 : n);
	buf_consume(&c->in, n + 1);
	return 0;
}

int
mail_conn_read(struct mail_conn *c, size_t n, struct buf *out)
{
	while (c->in.len < n) {
		if (fill(c) == -1)
			return -1;
	}
	buf_add(out, c->in.data, n);
	buf_consume(&c->in, n);
	return 0;
}
