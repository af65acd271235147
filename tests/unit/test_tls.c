/* Unit tests for src/lib/tls.c: the self-signed certificate made once and
 * reused, handshakes between a server and a client context over a memory
 * BIO pair, certificate checks, and the errors for bad files.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "lib/xalloc.h"

#define HOST	"mx.example.org"

struct dirs {
	char	*a;	/* a data_dir with a self-signed pair for HOST */
	char	*b;	/* another one, with another key */
};

static char *
temp_dir(void)
{
	char *dir = xstrdup("/tmp/test_tls.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Remove dir and the files under it, one level of subdirectories deep. */
static void
dir_remove(const char *dir)
{
	struct dirent *de;
	DIR *d;
	char *path;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(path) == -1 && errno == EISDIR)
			dir_remove(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}

static char *
file_get(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	assert_non_null(f = fopen(path, "r"));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_release(&b);
}

static void
file_put(const char *path, const char *text)
{
	FILE *f;

	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static SSL_CTX *
server_new(const char *data_dir, const char *host)
{
	SSL_CTX *ctx;
	char *err = NULL;

	ctx = tls_server_ctx_new(NULL, NULL, data_dir, host, &err);
	if (ctx == NULL)
		fail_msg("tls_server_ctx_new: %s", err);
	return ctx;
}

static int
setup(void **state)
{
	struct dirs *d = xcalloc(1, sizeof(*d));

	d->a = temp_dir();
	d->b = temp_dir();
	SSL_CTX_free(server_new(d->a, HOST));
	SSL_CTX_free(server_new(d->b, HOST));
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dirs *d = *state;

	dir_remove(d->a);
	dir_remove(d->b);
	free(d->a);
	free(d->b);
	free(d);
	return 0;
}

static char *
path_in(const char *dir, const char *name)
{
	return xasprintf("%s/tls/%s", dir, name);
}

static X509 *
cert_read(const char *path)
{
	X509 *x;
	FILE *f;

	assert_non_null(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_selfsigned_made(void **state)
{
	struct dirs *d = *state;
	char *crt = path_in(d->a, "selfsigned.crt");
	char *key = path_in(d->a, "selfsigned.key");
	char *tls = xasprintf("%s/tls", d->a), cn[128];
	int days, secs, entries = 0;
	struct dirent *de;
	EVP_PKEY *pkey;
	DIR *dir;
	X509 *x;

	assert_int_equal(mode_of(key), 0600);
	assert_int_equal(mode_of(crt), 0644);
	assert_int_equal(mode_of(tls), 0700);
	/* Nothing left over from the temporary files. */
	assert_non_null(dir = opendir(tls));
	while ((de = readdir(dir)) != NULL)
		entries += de->d_name[0] != '.';
	closedir(dir);
	assert_int_equal(entries, 2);

	x = cert_read(crt);
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)), (int)strlen(HOST));
	assert_string_equal(cn, HOST);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_check_host(x, HOST, 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.example.org", 0, 0, NULL),
	    0);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(days, 3652);
	assert_int_equal(secs, 3600);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0),
	    1);
	pkey = X509_get0_pubkey(x);
	assert_int_equal(EVP_PKEY_get_base_id(pkey), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pkey), 256);
	X509_free(x);
	free(tls);
	free(key);
	free(crt);
}

static void
test_selfsigned_reused(void **state)
{
	struct dirs *d = *state;
	char *crt = path_in(d->a, "selfsigned.crt");
	char *key = path_in(d->a, "selfsigned.key");
	char *crt1 = file_get(crt), *key1 = file_get(key), *crt2, *key2;
	struct stat st1, st2;

	assert_int_equal(stat(key, &st1), 0);
	SSL_CTX_free(server_new(d->a, HOST));
	SSL_CTX_free(server_new(d->a, "MX.Example.ORG"));
	assert_int_equal(stat(key, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	crt2 = file_get(crt);
	key2 = file_get(key);
	assert_string_equal(crt1, crt2);
	assert_string_equal(key1, key2);
	free(crt2);
	free(key2);
	free(crt1);
	free(key1);
	free(key);
	free(crt);
}

/* A new host name makes a new pair; so does a missing half. */
static void
test_selfsigned_remade(void **state)
{
	char *dir = temp_dir(), *crt, *key, *before, *after;
	X509 *x;

	(void)state;
	crt = path_in(dir, "selfsigned.crt");
	key = path_in(dir, "selfsigned.key");
	SSL_CTX_free(server_new(dir, HOST));
	before = file_get(crt);
	SSL_CTX_free(server_new(dir, "192.0.2.25"));
	after = file_get(crt);
	assert_string_not_equal(before, after);
	x = cert_read(crt);
	assert_int_equal(X509_check_ip_asc(x, "192.0.2.25", 0), 1);
	X509_free(x);
	free(before);

	assert_int_equal(unlink(key), 0);
	SSL_CTX_free(server_new(dir, "192.0.2.25"));
	before = after;
	after = file_get(crt);
	assert_string_not_equal(before, after);
	assert_int_equal(mode_of(key), 0600);

	/* No host name at all: localhost. */
	SSL_CTX_free(server_new(dir, NULL));
	x = cert_read(crt);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	X509_free(x);
	free(before);
	free(after);
	free(key);
	free(crt);
	dir_remove(dir);
	free(dir);
}

static bool
wants_more(SSL *ssl, int rc)
{
	int e = SSL_get_error(ssl, rc);

	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* Run both ends of a handshake over a memory BIO pair. */
static bool
handshake(SSL *c, SSL *s)
{
	BIO *cb, *sb;
	int i, rc_c = 0, rc_s = 0;

	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 50 && (rc_c != 1 || rc_s != 1); i++) {
		if (rc_c != 1 && (rc_c = SSL_do_handshake(c)) != 1 &&
		    !wants_more(c, rc_c))
			break;
		if (rc_s != 1 && (rc_s = SSL_do_handshake(s)) != 1 &&
		    !wants_more(s, rc_s))
			break;
	}
	ERR_clear_error();
	return rc_c == 1 && rc_s == 1;
}

/* A client for HOST trusting dir's self-signed certificate. */
static SSL_CTX *
client_new(const char *dir, bool verify)
{
	char *ca = path_in(dir, "selfsigned.crt"), *err = NULL;
	SSL_CTX *ctx;

	ctx = tls_client_ctx_new(ca, verify, &err);
	if (ctx == NULL)
		fail_msg("tls_client_ctx_new: %s", err);
	free(ca);
	return ctx;
}

static void
test_handshake(void **state)
{
	struct dirs *d = *state;
	SSL_CTX *sctx = server_new(d->a, HOST), *cctx = client_new(d->a, true);
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	char cdesc[128], sdesc[128], data[16];

	assert_string_equal(tls_describe(c, cdesc, sizeof(cdesc)),
	    "version=none");
	assert_true(tls_client_set_host(c, HOST));
	assert_true(handshake(c, s));
	assert_int_equal(SSL_get_verify_result(c), X509_V_OK);
	tls_describe(c, cdesc, sizeof(cdesc));
	tls_describe(s, sdesc, sizeof(sdesc));
	assert_string_equal(cdesc, sdesc);
	assert_true(strncmp(cdesc, "version=TLSv1.3 cipher=TLS_", 27) == 0);
	assert_true(strstr(cdesc, " bits=256") != NULL ||
	    strstr(cdesc, " bits=128") != NULL);
	assert_string_equal(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name),
	    HOST);

	assert_int_equal(SSL_write(c, "EHLO x\r\n", 8), 8);
	assert_int_equal(SSL_read(s, data, sizeof(data)), 8);
	assert_memory_equal(data, "EHLO x\r\n", 8);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* Handshake at exactly one version; returns the server's description or
 * NULL when the handshake failed. */
static char *
handshake_at(const char *dir, int version)
{
	SSL_CTX *sctx = server_new(dir, HOST), *cctx = client_new(dir, true);
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	char desc[128], *out = NULL;

	SSL_set_min_proto_version(c, version);
	SSL_set_max_proto_version(c, version);
	/* OpenSSL's security level would refuse TLS 1.1 in the client
	 * before the server had a say; lower it to test the server. */
	SSL_set_security_level(c, 0);
	SSL_set_cipher_list(c, "ALL:@SECLEVEL=0");
	assert_true(tls_client_set_host(c, HOST));
	if (handshake(c, s))
		out = xstrdup(tls_describe(s, desc, sizeof(desc)));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	return out;
}

static void
test_versions(void **state)
{
	struct dirs *d = *state;
	char *desc;

	desc = handshake_at(d->a, TLS1_2_VERSION);
	assert_non_null(desc);
	if (strncmp(desc, "version=TLSv1.2 cipher=ECDHE-ECDSA-", 35) != 0)
		fail_msg("TLS 1.2: %s", desc);
	free(desc);
	assert_null(handshake_at(d->a, TLS1_1_VERSION));
	assert_null(handshake_at(d->a, TLS1_VERSION));
}

static void
test_verify(void **state)
{
	struct dirs *d = *state;
	SSL_CTX *sctx = server_new(d->a, HOST), *cctx;
	char *err = NULL;
	SSL *s, *c;

	/* The wrong name fails when verifying... */
	cctx = client_new(d->a, true);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(tls_client_set_host(c, "other.example.org"));
	assert_false(handshake(c, s));
	assert_int_equal(SSL_get_verify_result(c),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* ...and only gets logged when not. */
	cctx = client_new(d->a, false);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(tls_client_set_host(c, "other.example.org"));
	assert_true(handshake(c, s));
	assert_int_equal(SSL_get_verify_result(c),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* Another self-signed certificate is not trusted. */
	cctx = client_new(d->b, true);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(tls_client_set_host(c, HOST));
	assert_false(handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* Neither is it by the system's store. */
	cctx = tls_client_ctx_new(NULL, true, &err);
	assert_non_null(cctx);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(tls_client_set_host(c, HOST));
	assert_false(handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* An IP address is checked against the certificate, without SNI. */
static void
test_verify_ip(void **state)
{
	char *dir = temp_dir();
	SSL_CTX *sctx = server_new(dir, "192.0.2.25");
	SSL_CTX *cctx = client_new(dir, true);
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);

	(void)state;
	assert_true(tls_client_set_host(c, "192.0.2.25"));
	assert_true(handshake(c, s));
	assert_null(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name));
	SSL_free(c);
	SSL_free(s);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(tls_client_set_host(c, "192.0.2.26"));
	assert_false(handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	dir_remove(dir);
	free(dir);
}

/* tls.cert and tls.key given explicitly. */
static void
test_configured_files(void **state)
{
	struct dirs *d = *state;
	char *crt = path_in(d->a, "selfsigned.crt");
	char *key = path_in(d->a, "selfsigned.key");
	char *empty = temp_dir(), *tls, *err = NULL;
	SSL_CTX *sctx, *cctx = client_new(d->a, true);
	SSL *s, *c;

	sctx = tls_server_ctx_new(crt, key, empty, HOST, &err);
	assert_non_null(sctx);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(tls_client_set_host(c, HOST));
	assert_true(handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	/* No self-signed pair was made. */
	tls = xasprintf("%s/tls", empty);
	assert_int_equal(access(tls, F_OK), -1);
	free(tls);
	dir_remove(empty);
	free(empty);
	free(crt);
	free(key);
}

static void
expect_server_error(const char *cert, const char *key, const char *dir,
    const char *host, const char *want)
{
	char *err = NULL;

	assert_null(tls_server_ctx_new(cert, key, dir, host, &err));
	assert_non_null(err);
	if (strcmp(err, want) != 0)
		fail_msg("got '%s', want '%s'", err, want);
	free(err);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
expect_server_error_prefix(const char *cert, const char *key,
    const char *want)
{
	char *err = NULL;

	assert_null(tls_server_ctx_new(cert, key, NULL, HOST, &err));
	assert_non_null(err);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got '%s', want '%s...'", err, want);
	free(err);
	assert_int_equal(ERR_peek_error(), 0);
}

/* Write the key at from to to, encrypted with a pass phrase. */
static void
key_encrypt(const char *from, const char *to)
{
	EVP_PKEY *pkey;
	FILE *f;

	assert_non_null(f = fopen(from, "r"));
	assert_non_null(pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	assert_non_null(f = fopen(to, "w"));
	assert_int_equal(PEM_write_PKCS8PrivateKey(f, pkey,
	    EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"secret"), 1);
	fclose(f);
	EVP_PKEY_free(pkey);
}

static void
test_bad_files(void **state)
{
	struct dirs *d = *state;
	char *crt_a = path_in(d->a, "selfsigned.crt");
	char *key_b = path_in(d->b, "selfsigned.key");
	char *dir = temp_dir(), *junk, *want, *err = NULL;

	expect_server_error("/nonexistent/x.pem", key_b, NULL, HOST,
	    "tls.cert /nonexistent/x.pem: No such file or directory");
	expect_server_error(crt_a, "/nonexistent/k.pem", NULL, HOST,
	    "tls.key /nonexistent/k.pem: No such file or directory");
	expect_server_error(crt_a, "", NULL, HOST,
	    "tls.cert and tls.key must be set together");
	expect_server_error(NULL, key_b, NULL, HOST,
	    "tls.cert and tls.key must be set together");

	want = xasprintf("tls.key %s: does not match the certificate in "
	    "tls.cert %s", key_b, crt_a);
	expect_server_error(crt_a, key_b, NULL, HOST, want);
	free(want);

	junk = xasprintf("%s/junk.pem", dir);
	file_put(junk, "not a certificate\n");
	want = xasprintf("tls.cert %s: no start line", junk);
	expect_server_error(junk, key_b, NULL, HOST, want);
	free(want);
	want = xasprintf("tls.key %s: not an unencrypted PEM private key "
	    "(unsupported)", junk);
	expect_server_error(crt_a, junk, NULL, HOST, want);
	free(want);
	key_encrypt(key_b, junk);
	want = xasprintf("tls.key %s: not an unencrypted PEM private key (",
	    junk);
	expect_server_error_prefix(crt_a, junk, want);
	free(want);

	expect_server_error(NULL, NULL, "/nonexistent", HOST,
	    "cannot create /nonexistent/tls: No such file or directory");
	expect_server_error(NULL, NULL, dir, "bad,host",
	    "cannot make a certificate for 'bad,host': not a host name");
	expect_server_error(NULL, NULL, dir, "a:b",
	    "cannot make a certificate for 'a:b': not a host name");
	unlink(junk);
	free(junk);

	/* A damaged pair is reported, not silently replaced. */
	SSL_CTX_free(server_new(dir, HOST));
	junk = path_in(dir, "selfsigned.key");
	file_put(junk, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n");
	want = xasprintf("key %s: not an unencrypted PEM private key (",
	    junk);
	assert_null(tls_server_ctx_new(NULL, NULL, dir, HOST, &err));
	assert_non_null(err);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got '%s', want '%s...'", err, want);
	free(err);
	free(want);
	free(junk);
	dir_remove(dir);
	free(dir);
	free(crt_a);
	free(key_b);
}

static void
test_client_errors(void **state)
{
	char *dir = temp_dir(), *junk, *err = NULL;

	(void)state;
	assert_null(tls_client_ctx_new("/nonexistent/ca.pem", true, &err));
	assert_string_equal(err, "CA file /nonexistent/ca.pem: No such file "
	    "or directory");
	free(err);
	junk = xasprintf("%s/ca.pem", dir);
	file_put(junk, "nothing here\n");
	assert_null(tls_client_ctx_new(junk, true, &err));
	assert_non_null(err);
	assert_true(strncmp(err, "CA file ", 8) == 0);
	free(err);
	assert_int_equal(ERR_peek_error(), 0);
	unlink(junk);
	free(junk);
	dir_remove(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selfsigned_made),
		cmocka_unit_test(test_selfsigned_reused),
		cmocka_unit_test(test_selfsigned_remade),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_ip),
		cmocka_unit_test(test_configured_files),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_client_errors),
	};

	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
