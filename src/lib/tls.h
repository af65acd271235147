/* TLS contexts through OpenSSL 3, for STARTTLS (RFC 3207, RFC 2595) and
 * implicit TLS (RFC 8314): the server context with the configured
 * certificate or a self-signed one made on first start, the client context,
 * and a one-line description of a session for logs and Received: headers.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_TLS_H
#define PETREL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* A server context: TLS 1.2 at least, Mozilla "intermediate" ciphers for
 * TLS 1.2 and OpenSSL's defaults for TLS 1.3, no compression or
 * renegotiation, a server session cache and session tickets.
 * cert_file (a PEM chain, leaf first) and key_file (PEM) name the
 * certificate; when both are NULL or empty, the context uses
 * data_dir/tls/selfsigned.crt and selfsigned.key, and first makes them
 * (ECDSA P-256, CN and subjectAltName hostname, valid 10 years, key mode
 * 0600, each written to a temporary file, synced and renamed) when either
 * is missing. hostname is a DNS name or an IP address. Returns the context,
 * to be freed with SSL_CTX_free(); or NULL with *err_out a heap string the
 * caller frees ("tls.cert /x.pem: No such file or directory",
 * "tls.key /k.pem: does not match the certificate in tls.cert /c.pem"). */
SSL_CTX		*tls_server_ctx_new(const char *cert_file,
		    const char *key_file, const char *data_dir,
		    const char *hostname, char **err_out);

/* A client context: TLS 1.2 at least, peers checked against the PEM file
 * ca_file, or the system's store when ca_file is NULL or empty. When verify
 * is false a handshake succeeds whatever the peer's certificate, and
 * SSL_get_verify_result() still tells whether it would have passed (for
 * logging opportunistic TLS, RFC 7435). Returns the context, to be freed
 * with SSL_CTX_free(); or NULL with *err_out a heap string the caller
 * frees. */
SSL_CTX		*tls_client_ctx_new(const char *ca_file, bool verify,
		    char **err_out);
/* Prepare a client ssl for the server hostname (a DNS name or an IP
 * address) before the handshake: SNI for names (RFC 6066 3), and the name
 * or address the certificate must match. Returns false when OpenSSL
 * refuses the name. */
bool		 tls_client_set_host(SSL *ssl, const char *hostname);

/* Describe the session after the handshake as "version=TLSv1.3
 * cipher=TLS_AES_256_GCM_SHA384 bits=256" into out, always NUL-terminated;
 * "version=none" before a handshake. Returns out. */
const char	*tls_describe(const SSL *ssl, char *out, size_t len);

#endif
