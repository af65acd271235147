/* TLS contexts through OpenSSL 3: the server context with its certificate
 * (configured, or self-signed and made on first start), the client
 * context, and the session description for Received: headers (RFC 5321
 * 4.4, RFC 3207 4.1, RFC 8314 4.3) and logs.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file.h"
#include "log.h"
#include "tls.h"
#include "xalloc.h"

/* Mozilla's "intermediate" TLS 1.2 ciphers (version 5.7): forward secret
 * AEAD only; every TLS 1.2 peer has at least one of them. */
#define TLS_SERVER_CIPHERS						\
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"	\
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"	\
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"	\
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"		\
	"DHE-RSA-CHACHA20-POLY1305"

/* Ten years, two leap days included. */
#define TLS_SELFSIGNED_DAYS	3652
/* RFC 5280 ub-common-name. */
#define TLS_CN_MAX		64

/* The first error OpenSSL queued, which names the cause ("no start
 * line"); the later ones only say who called whom. Empties the queue. */
static const char *
ssl_reason(void)
{
	unsigned long first = ERR_get_error();
	const char *r;

	while (ERR_get_error() != 0)
		continue;
	if (first == 0 || (r = ERR_reason_error_string(first)) == NULL)
		return "unknown OpenSSL error";
	return r;
}

/* OpenSSL reports a missing file in its own words; open it first to give
 * the system's. */
static bool
file_readable(const char *what, const char *path, char **err_out)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		*err_out = xasprintf("%s %s: %s", what, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return false;
	}
	close(fd);
	if (S_ISDIR(st.st_mode)) {
		*err_out = xasprintf("%s %s: %s", what, path,
		    strerror(EISDIR));
		return false;
	}
	return true;
}

static void
cert_check_expiry(X509 *x, const char *path)
{
	if (x != NULL && X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		log_warnx("tls cert=%s event=expired", path);
}

/* A daemon has nobody to ask: without this, OpenSSL would prompt on the
 * terminal for the pass phrase of an encrypted key. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

static EVP_PKEY *
key_read(const char *what, const char *path, char **err_out)
{
	EVP_PKEY *pkey;
	BIO *bio;

	if (!file_readable(what, path, err_out))
		return NULL;
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		*err_out = xasprintf("%s %s: %s", what, path, ssl_reason());
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL)
		*err_out = xasprintf("%s %s: not an unencrypted PEM private "
		    "key (%s)", what, path, ssl_reason());
	return pkey;
}

/* Load the chain at cert and the key at key into ctx; what_cert and
 * what_key name them in errors ("tls.cert"). */
static bool
ctx_load_files(SSL_CTX *ctx, const char *what_cert, const char *cert,
    const char *what_key, const char *key, char **err_out)
{
	EVP_PKEY *pkey;
	bool ok;

	if (!file_readable(what_cert, cert, err_out))
		return false;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		*err_out = xasprintf("%s %s: %s", what_cert, cert,
		    ssl_reason());
		return false;
	}
	cert_check_expiry(SSL_CTX_get0_certificate(ctx), cert);
	if ((pkey = key_read(what_key, key, err_out)) == NULL)
		return false;
	ok = X509_check_private_key(SSL_CTX_get0_certificate(ctx), pkey) == 1;
	ERR_clear_error();
	if (!ok)
		*err_out = xasprintf("%s %s: does not match the certificate "
		    "in %s %s", what_key, key, what_cert, cert);
	else if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		*err_out = xasprintf("%s %s: %s", what_key, key,
		    ssl_reason());
		ok = false;
	}
	EVP_PKEY_free(pkey);
	return ok;
}

static bool
is_ip(const char *s)
{
	unsigned char ip[16];

	return inet_pton(AF_INET, s, ip) == 1 ||
	    inet_pton(AF_INET6, s, ip) == 1;
}

/* The subjectAltName for hostname, "DNS:mx.example.org" or "IP:192.0.2.1";
 * NULL when hostname is neither a plain DNS name nor an address, which
 * also keeps ',' and ':' out of OpenSSL's extension syntax. */
static char *
san_value(const char *hostname)
{
	const char *s;

	if (is_ip(hostname))
		return xasprintf("IP:%s", hostname);
	if (hostname[0] == '\0' || strlen(hostname) > 253)
		return NULL;
	for (s = hostname; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return NULL;
	return xasprintf("DNS:%s", hostname);
}

static bool
cert_ext_add(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	bool ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return false;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* Subject and issuer CN=hostname (when it fits), a random 127-bit serial,
 * valid from an hour ago (clock skew) for ten years. */
static bool
cert_fill(X509 *x, EVP_PKEY *pkey, const char *hostname)
{
	X509_NAME *name = X509_get_subject_name(x);
	BIGNUM *serial;
	bool ok;

	if ((serial = BN_new()) == NULL)
		return false;
	ok = BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != NULL;
	BN_free(serial);
	if (strlen(hostname) <= TLS_CN_MAX && X509_NAME_add_entry_by_txt(name,
	    "CN", MBSTRING_ASC, (const unsigned char *)hostname, -1, -1,
	    0) != 1)
		ok = false;
	return ok && X509_set_version(x, X509_VERSION_3) == 1 &&
	    X509_set_issuer_name(x, name) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_SELFSIGNED_DAYS, 0,
	    NULL) != NULL &&
	    X509_set_pubkey(x, pkey) == 1;
}

/* A self-signed server certificate for hostname; NULL with *err_out set. */
static X509 *
cert_make(EVP_PKEY *pkey, const char *hostname, char **err_out)
{
	X509 *x;
	char *san;
	bool ok;

	if ((san = san_value(hostname)) == NULL) {
		*err_out = xasprintf("cannot make a certificate for '%s': not "
		    "a host name", hostname);
		return NULL;
	}
	ok = (x = X509_new()) != NULL && cert_fill(x, pkey, hostname) &&
	    cert_ext_add(x, NID_basic_constraints, "critical,CA:FALSE") &&
	    cert_ext_add(x, NID_ext_key_usage, "serverAuth") &&
	    cert_ext_add(x, NID_subject_alt_name, san) &&
	    X509_sign(x, pkey, EVP_sha256()) > 0;
	free(san);
	if (!ok) {
		*err_out = xasprintf("cannot make a certificate: %s",
		    ssl_reason());
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Write data to path through a temporary file that is synced and renamed
 * over it, so that path holds either nothing or the whole data. */
static bool
file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, char **err_out)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd;

	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		goto fail;
	if (fchmod(fd, mode) == -1 || file_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	return true;
fail:
	*err_out = xasprintf("cannot write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return false;
}

/* Write the PEM form of key (when x is NULL) or of x. */
static bool
pem_write(const char *path, EVP_PKEY *key, X509 *x, mode_t mode,
    char **err_out)
{
	BIO *mem;
	char *data;
	long len;
	bool ok;

	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    (x == NULL ? PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0,
	    NULL, NULL) : PEM_write_bio_X509(mem, x)) != 1) {
		*err_out = xasprintf("cannot write %s: %s", path,
		    ssl_reason());
		BIO_free(mem);
		return false;
	}
	len = BIO_get_mem_data(mem, &data);
	ok = file_write_atomic(path, data, (size_t)len, mode, err_out);
	BIO_free(mem);
	return ok;
}

static void
dir_sync(const char *dir)
{
	if (file_sync_dir(dir) == -1)
		log_warn("tls dir=%s event=fsync", dir);
}

/* True when hostname is the name or address x was made for. */
static bool
cert_matches(X509 *x, const char *hostname)
{
	int rc;

	if (is_ip(hostname))
		rc = X509_check_ip_asc(x, hostname, 0);
	else
		rc = X509_check_host(x, hostname, 0, 0, NULL);
	ERR_clear_error();
	return rc == 1;
}

/* Make a key and a self-signed certificate for hostname, write them (the
 * key first: a certificate on disk means that its key is there too) and
 * put them in ctx. The objects in memory go to ctx, not the files read
 * back, so that two processes starting at once cannot mix their halves. */
static bool
selfsigned_make(SSL_CTX *ctx, const char *dir, const char *cert,
    const char *key, const char *hostname, char **err_out)
{
	EVP_PKEY *pkey;
	X509 *x = NULL;
	bool ok = false;

	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		*err_out = xasprintf("cannot make a key: %s", ssl_reason());
		return false;
	}
	if ((x = cert_make(pkey, hostname, err_out)) == NULL ||
	    !pem_write(key, pkey, NULL, 0600, err_out) ||
	    !pem_write(cert, pkey, x, 0644, err_out))
		goto done;
	dir_sync(dir);
	if (SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		*err_out = xasprintf("certificate %s: %s", cert,
		    ssl_reason());
		goto done;
	}
	log_info("tls event=selfsigned cert=%s host=%s", cert, hostname);
	ok = true;
done:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ok;
}

static bool
exists(const char *path)
{
	struct stat st;

	/* Anything but "not there" is for the loader to report. */
	return stat(path, &st) == 0 || errno != ENOENT;
}

/* Use data_dir/tls/selfsigned.{crt,key}, making them when either is
 * missing or when the certificate is for another host name. */
static bool
ctx_load_selfsigned(SSL_CTX *ctx, const char *data_dir, const char *hostname,
    char **err_out)
{
	char *dir, *cert, *key;
	bool ok;

	dir = xasprintf("%s/tls", data_dir);
	cert = xasprintf("%s/selfsigned.crt", dir);
	key = xasprintf("%s/selfsigned.key", dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		*err_out = xasprintf("cannot create %s: %s", dir,
		    strerror(errno));
		ok = false;
	} else if (exists(cert) && exists(key)) {
		ok = ctx_load_files(ctx, "certificate", cert, "key", key,
		    err_out);
		if (ok && !cert_matches(SSL_CTX_get0_certificate(ctx),
		    hostname))
			ok = selfsigned_make(ctx, dir, cert, key, hostname,
			    err_out);
	} else
		ok = selfsigned_make(ctx, dir, cert, key, hostname, err_out);
	free(key);
	free(cert);
	free(dir);
	return ok;
}

static SSL_CTX *
ctx_new(const SSL_METHOD *method, char **err_out)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(method)) == NULL) {
		*err_out = xasprintf("cannot make a TLS context: %s",
		    ssl_reason());
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		fatalx("tls: cannot set the minimum version: %s",
		    ssl_reason());
	/* Compression leaks plain text (CRIME); renegotiation is a denial
	 * of service lever that no mail client needs. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	return ctx;
}

SSL_CTX *
tls_server_ctx_new(const char *cert_file, const char *key_file,
    const char *data_dir, const char *hostname, char **err_out)
{
	bool has_cert = cert_file != NULL && cert_file[0] != '\0';
	bool has_key = key_file != NULL && key_file[0] != '\0';
	SSL_CTX *ctx;
	bool ok;

	if (has_cert != has_key) {
		*err_out = xstrdup("tls.cert and tls.key must be set "
		    "together");
		return NULL;
	}
	if ((ctx = ctx_new(TLS_server_method(), err_out)) == NULL)
		return NULL;
	if (SSL_CTX_set_cipher_list(ctx, TLS_SERVER_CIPHERS) != 1)
		fatalx("tls: bad cipher list: %s", ssl_reason());
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"petrel",
	    6);
	if (has_cert)
		ok = ctx_load_files(ctx, "tls.cert", cert_file, "tls.key",
		    key_file, err_out);
	else
		ok = ctx_load_selfsigned(ctx, data_dir, hostname != NULL &&
		    hostname[0] != '\0' ? hostname : "localhost", err_out);
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
tls_client_ctx_new(const char *ca_file, bool verify, char **err_out)
{
	SSL_CTX *ctx;

	if ((ctx = ctx_new(TLS_client_method(), err_out)) == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	if (ca_file == NULL || ca_file[0] == '\0') {
		if (SSL_CTX_set_default_verify_paths(ctx) == 1)
			return ctx;
		*err_out = xasprintf("cannot load the system's CA "
		    "certificates: %s", ssl_reason());
	} else if (file_readable("CA file", ca_file, err_out)) {
		if (SSL_CTX_load_verify_file(ctx, ca_file) == 1)
			return ctx;
		*err_out = xasprintf("CA file %s: %s", ca_file, ssl_reason());
	}
	SSL_CTX_free(ctx);
	return NULL;
}

bool
tls_client_set_host(SSL *ssl, const char *hostname)
{
	/* RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted"
	 * in SNI, so an address is only checked against the certificate. */
	if (is_ip(hostname))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    hostname) == 1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return SSL_set_tlsext_host_name(ssl, hostname) == 1 &&
	    SSL_set1_host(ssl, hostname) == 1;
}

const char *
tls_describe(const SSL *ssl, char *out, size_t len)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);

	if (cipher == NULL)
		snprintf(out, len, "version=none");
	else
		snprintf(out, len, "version=%s cipher=%s bits=%d",
		    SSL_get_version(ssl), SSL_CIPHER_get_name(cipher),
		    SSL_CIPHER_get_bits(cipher, NULL));
	return out;
}
