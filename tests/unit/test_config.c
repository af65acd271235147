/* Unit tests for src/lib/config.c: values of each type, comments, errors
 * with file and line, overrides, the schema as Markdown.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/xalloc.h"

#define K	1024ULL
#define M	(1024ULL * K)
#define G	(1024ULL * M)

static const struct config_key schema[] = {
	{ "hostname", CONFIG_STR, "localhost", 0, 0,
	    "Name in greetings" },
	{ "listen.smtp", CONFIG_LISTEN, "127.0.0.1:2525", 0, 0,
	    "SMTP listeners" },
	{ "listen.submission", CONFIG_LISTEN, NULL, 0, 0,
	    "Submission listeners" },
	{ "smtp.max_size", CONFIG_SIZE, "10M", K, G,
	    "Largest message | in bytes" },
	{ "smtp.max_rcpt", CONFIG_UINT, "100", 1, 1000, NULL },
	{ "smtp.timeout", CONFIG_DURATION, "5m", 1, 3600, "Idle timeout" },
	{ "queue.lifetime", CONFIG_DURATION, "5d", 0, 0, "Give up after" },
	{ "queue.min_size", CONFIG_SIZE, "0", 0, 0, "" },
	{ "tls.required", CONFIG_BOOL, "no", 0, 0, "Refuse plain text" },
	{ "workers", CONFIG_UINT, "0", 0, 0, "Threads; 0: one per core" },
	{ "backlog", CONFIG_UINT, "128", 16, 0, "listen(2) backlog" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

/* Load text from an exact-size heap copy, so that ASan catches a read
 * past the end; on error *err_out is set. */
static struct config *
load_copy(const char *text, size_t len, char **err_out)
{
	struct config *cfg;
	char *copy = xmalloc(len);

	memcpy(copy, text, len);
	*err_out = NULL;
	cfg = config_load_mem(copy, len, "t.conf", schema, err_out);
	free(copy);
	assert_true((cfg == NULL) == (*err_out != NULL));
	return cfg;
}

/* Every prefix loads or fails without a leak or a crash. */
static void
load_prefixes(const char *text)
{
	struct config *cfg;
	size_t i;
	char *err;

	for (i = 0; i <= strlen(text); i++) {
		cfg = load_copy(text, i, &err);
		config_free(cfg);
		free(err);
	}
}

static void
test_defaults(void **state)
{
	struct config *cfg = config_defaults(schema);
	const struct net_addr_list *l;

	(void)state;
	assert_string_equal(config_str(cfg, "hostname"), "localhost");
	assert_int_equal(config_size(cfg, "smtp.max_size"), 10 * M);
	assert_int_equal(config_uint(cfg, "smtp.max_rcpt"), 100);
	assert_int_equal(config_duration(cfg, "smtp.timeout"), 300);
	assert_int_equal(config_duration(cfg, "queue.lifetime"), 5 * 86400);
	assert_false(config_bool(cfg, "tls.required"));
	l = config_listen(cfg, "listen.smtp");
	assert_int_equal(l->count, 1);
	assert_int_equal(net_addr_port((struct sockaddr *)&l->addrs[0].ss),
	    2525);
	assert_int_equal(config_listen(cfg, "listen.submission")->count, 0);
	assert_string_equal(config_text(cfg, "listen.submission"), "");
	assert_string_equal(config_text(cfg, "smtp.max_size"), "10M");
	config_free(cfg);
	config_free(NULL);
}

static const struct {
	const char	*in;
	const char	*key;
	const char	*text;
	uint64_t	 num;
} good[] = {
	{ "hostname = mx.example.org", "hostname", "mx.example.org", 0 },
	{ "hostname=mx", "hostname", "mx", 0 },
	{ "  hostname \t=\t mx  \t", "hostname", "mx", 0 },
	{ "hostname = mx # a comment", "hostname", "mx", 0 },
	{ "hostname = mx\t# a comment", "hostname", "mx", 0 },
	{ "hostname = a#b", "hostname", "a#b", 0 },
	{ "hostname = a=b", "hostname", "a=b", 0 },
	{ "hostname =", "hostname", "", 0 },
	{ "hostname = # nothing", "hostname", "", 0 },
	{ "hostname = mx\r", "hostname", "mx", 0 },
	{ "hostname = h\xc3\xa9", "hostname", "h\xc3\xa9", 0 },
	{ "# comment\n\n  # indented\nhostname = x\n", "hostname", "x", 0 },
	{ "\r\n\t\nhostname = x\r\n", "hostname", "x", 0 },
	{ "smtp.max_size = 10M", "smtp.max_size", "10M", 10 * M },
	{ "smtp.max_size = 10m", "smtp.max_size", "10m", 10 * M },
	{ "smtp.max_size = 10MB", "smtp.max_size", "10MB", 10 * M },
	{ "smtp.max_size = 512K", "smtp.max_size", "512K", 512 * K },
	{ "smtp.max_size = 512kb", "smtp.max_size", "512kb", 512 * K },
	{ "smtp.max_size = 1G", "smtp.max_size", "1G", G },
	{ "smtp.max_size = 1024", "smtp.max_size", "1024", K },
	{ "smtp.max_size = 2048B", "smtp.max_size", "2048B", 2 * K },
	{ "queue.min_size = 0", "queue.min_size", "0", 0 },
	{ "queue.min_size = 3T", "queue.min_size", "3T", 3 * 1024 * G },
	{ "smtp.max_rcpt = 1", "smtp.max_rcpt", "1", 1 },
	{ "smtp.max_rcpt = 1000", "smtp.max_rcpt", "1000", 1000 },
	{ "smtp.max_rcpt = 0050", "smtp.max_rcpt", "0050", 50 },
	{ "workers = 18446744073709551615", "workers",
	    "18446744073709551615", UINT64_MAX },
	{ "backlog = 4096", "backlog", "4096", 4096 },
	{ "smtp.timeout = 30", "smtp.timeout", "30", 30 },
	{ "smtp.timeout = 30s", "smtp.timeout", "30s", 30 },
	{ "smtp.timeout = 5m", "smtp.timeout", "5m", 300 },
	{ "smtp.timeout = 1h", "smtp.timeout", "1h", 3600 },
	{ "queue.lifetime = 2d", "queue.lifetime", "2d", 2 * 86400 },
	{ "queue.lifetime = 1w", "queue.lifetime", "1w", 7 * 86400 },
	{ "queue.lifetime = 0", "queue.lifetime", "0", 0 },
	{ "tls.required = yes", "tls.required", "yes", 1 },
	{ "tls.required = YES", "tls.required", "YES", 1 },
	{ "tls.required = true", "tls.required", "true", 1 },
	{ "tls.required = on", "tls.required", "on", 1 },
	{ "tls.required = no", "tls.required", "no", 0 },
	{ "tls.required = False", "tls.required", "False", 0 },
	{ "tls.required = off", "tls.required", "off", 0 },
	{ "listen.smtp = 127.0.0.1:25, [::1]:25", "listen.smtp",
	    "127.0.0.1:25, [::1]:25", 2 },
	{ "listen.smtp = *:25", "listen.smtp", "*:25", 2 },
	{ "listen.smtp =", "listen.smtp", "", 0 },
	{ "listen.smtp = # disabled", "listen.smtp", "", 0 },
	{ "listen.submission = [::1]:587", "listen.submission", "[::1]:587",
	    1 },
};

static uint64_t
value_num(const struct config *cfg, const char *key)
{
	const struct config_key *k;

	for (k = schema; strcmp(k->name, key) != 0; k++)
		continue;
	switch (k->type) {
	case CONFIG_UINT:
		return config_uint(cfg, key);
	case CONFIG_SIZE:
		return config_size(cfg, key);
	case CONFIG_DURATION:
		return config_duration(cfg, key);
	case CONFIG_BOOL:
		return config_bool(cfg, key);
	case CONFIG_LISTEN:
		return config_listen(cfg, key)->count;
	case CONFIG_STR:
		assert_string_equal(config_str(cfg, key),
		    config_text(cfg, key));
		break;
	}
	return 0;
}

static void
test_good(void **state)
{
	struct config *cfg;
	size_t i;
	char *err;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cfg = load_copy(good[i].in, strlen(good[i].in), &err);
		if (cfg == NULL)
			fail_msg("'%s': %s", good[i].in, err);
		assert_string_equal(config_text(cfg, good[i].key),
		    good[i].text);
		if (value_num(cfg, good[i].key) != good[i].num)
			fail_msg("'%s': got %ju, want %ju", good[i].in,
			    (uintmax_t)value_num(cfg, good[i].key),
			    (uintmax_t)good[i].num);
		config_free(cfg);
		load_prefixes(good[i].in);
	}
}

static const struct {
	const char	*in;
	const char	*err;
} bad[] = {
	{ "hostname = x\nlisten.smpt = *:25",
	    "t.conf:2: unknown key 'listen.smpt' (did you mean "
	    "'listen.smtp'?)" },
	{ "nonsense = 1", "t.conf:1: unknown key 'nonsense'" },
	{ "Hostname = x", "t.conf:1: unknown key 'Hostname' (did you mean "
	    "'hostname'?)" },
	{ "\n\nhostname", "t.conf:3: expected 'key = value'" },
	{ "= x", "t.conf:1: expected 'key = value'" },
	{ "  = x", "t.conf:1: expected 'key = value'" },
	{ "hostname: x", "t.conf:1: expected 'key = value'" },
	{ "hostname = a\x01z", "t.conf:1: control character in the line" },
	{ "a\nb\nc\nd\ne\nf\nsmtp.max_size = 10Q",
	    "t.conf:1: expected 'key = value'" },
	{ "# c\n\n\n\n\n\nsmtp.max_size = 10Q",
	    "t.conf:7: smtp.max_size: not a size: '10Q'" },
	{ "smtp.max_size = 10 M", "t.conf:1: smtp.max_size: not a size: "
	    "'10 M'" },
	{ "smtp.max_size = M", "t.conf:1: smtp.max_size: not a size: 'M'" },
	{ "smtp.max_size = B", "t.conf:1: smtp.max_size: not a size: 'B'" },
	{ "smtp.max_size = -1", "t.conf:1: smtp.max_size: not a size: '-1'" },
	{ "smtp.max_size = 1.5M", "t.conf:1: smtp.max_size: not a size: "
	    "'1.5M'" },
	{ "smtp.max_size = 10MM", "t.conf:1: smtp.max_size: not a size: "
	    "'10MM'" },
	{ "smtp.max_size =", "t.conf:1: smtp.max_size: missing value" },
	{ "smtp.max_size = 2G", "t.conf:1: smtp.max_size: '2G' is out of "
	    "range (1K to 1G)" },
	{ "smtp.max_size = 1023", "t.conf:1: smtp.max_size: '1023' is out of "
	    "range (1K to 1G)" },
	{ "queue.min_size = 16777216T", "t.conf:1: queue.min_size: "
	    "'16777216T' is too large" },
	{ "smtp.max_rcpt = 0", "t.conf:1: smtp.max_rcpt: '0' is out of range "
	    "(1 to 1000)" },
	{ "smtp.max_rcpt = 1001", "t.conf:1: smtp.max_rcpt: '1001' is out of "
	    "range (1 to 1000)" },
	{ "smtp.max_rcpt = 10K", "t.conf:1: smtp.max_rcpt: not a number: "
	    "'10K'" },
	{ "smtp.max_rcpt = ten", "t.conf:1: smtp.max_rcpt: not a number: "
	    "'ten'" },
	{ "workers = 18446744073709551616", "t.conf:1: workers: "
	    "'18446744073709551616' is too large" },
	{ "backlog = 8", "t.conf:1: backlog: '8' is out of range (at least "
	    "16)" },
	{ "smtp.timeout = 0", "t.conf:1: smtp.timeout: '0' is out of range "
	    "(1s to 1h)" },
	{ "smtp.timeout = 2h", "t.conf:1: smtp.timeout: '2h' is out of range "
	    "(1s to 1h)" },
	{ "smtp.timeout = 5M", "t.conf:1: smtp.timeout: not a duration: "
	    "'5M'" },
	{ "smtp.timeout = 1h30m", "t.conf:1: smtp.timeout: not a duration: "
	    "'1h30m'" },
	{ "smtp.timeout = s", "t.conf:1: smtp.timeout: not a duration: 's'" },
	{ "tls.required = maybe", "t.conf:1: tls.required: not yes or no: "
	    "'maybe'" },
	{ "tls.required = 1", "t.conf:1: tls.required: not yes or no: '1'" },
	{ "tls.required =", "t.conf:1: tls.required: missing value" },
	{ "listen.smtp = localhost:25", "t.conf:1: listen.smtp: "
	    "'localhost:25': not an IP address (host names are not "
	    "allowed)" },
	{ "listen.smtp = 127.0.0.1", "t.conf:1: listen.smtp: '127.0.0.1': "
	    "missing port" },
	{ "hostname = a\nhostname = b", "t.conf:2: duplicate key 'hostname' "
	    "(first set on line 1)" },
	{ "hostname = a\n\nhostname = a", "t.conf:3: duplicate key "
	    "'hostname' (first set on line 1)" },
};

static void
test_bad(void **state)
{
	struct config *cfg;
	size_t i;
	char *err;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = load_copy(bad[i].in, strlen(bad[i].in), &err);
		if (cfg != NULL)
			fail_msg("'%s': loaded", bad[i].in);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("'%s': got '%s', want '%s'", bad[i].in, err,
			    bad[i].err);
		free(err);
		load_prefixes(bad[i].in);
	}
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "hostname = a\0z";
	struct config *cfg;
	char *err;

	(void)state;
	cfg = load_copy(text, sizeof(text) - 1, &err);
	assert_null(cfg);
	assert_string_equal(err, "t.conf:1: control character in the line");
	free(err);
}

static void
test_whole_file(void **state)
{
	static const char text[] =
	    "# petrel.conf\n"
	    "hostname = mx.example.org   # the public name\n"
	    "\n"
	    "listen.smtp = *:25\n"
	    "listen.submission =          # disabled\n"
	    "smtp.max_size = 25M\r\n"
	    "\ttls.required = yes\n"
	    "queue.lifetime = 3d";
	struct config *cfg;
	char *err;

	(void)state;
	cfg = load_copy(text, sizeof(text) - 1, &err);
	assert_non_null(cfg);
	assert_string_equal(config_str(cfg, "hostname"), "mx.example.org");
	assert_int_equal(config_listen(cfg, "listen.smtp")->count, 2);
	assert_int_equal(config_listen(cfg, "listen.submission")->count, 0);
	assert_int_equal(config_size(cfg, "smtp.max_size"), 25 * M);
	assert_true(config_bool(cfg, "tls.required"));
	assert_int_equal(config_duration(cfg, "queue.lifetime"), 3 * 86400);
	assert_int_equal(config_uint(cfg, "smtp.max_rcpt"), 100);
	config_free(cfg);
}

static char *
temp_dir(void)
{
	char *dir = xstrdup("/tmp/test_config.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
test_file(void **state)
{
	struct config *cfg;
	char *dir, *path, *err = NULL, want[256];
	FILE *f;

	(void)state;
	dir = temp_dir();
	path = xasprintf("%s/petrel.conf", dir);

	errno = 0;
	assert_null(config_load(path, schema, &err));
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "cannot open %s: %s", path,
	    strerror(ENOENT));
	assert_string_equal(err, want);
	free(err);

	assert_null(config_load(dir, schema, &err));
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(err, "cannot read"));
	free(err);

	assert_non_null(f = fopen(path, "w"));
	fputs("hostname = from-file\nsmtp.max_rcpt = 7\nworkers = x\n", f);
	fclose(f);
	assert_null(config_load(path, schema, &err));
	snprintf(want, sizeof(want), "%s:3: workers: not a number: 'x'",
	    path);
	assert_string_equal(err, want);
	free(err);

	assert_non_null(f = fopen(path, "w"));
	fputs("hostname = from-file\nsmtp.max_rcpt = 7\n", f);
	fclose(f);
	cfg = config_load(path, schema, &err);
	assert_non_null(cfg);
	assert_string_equal(config_str(cfg, "hostname"), "from-file");
	assert_int_equal(config_uint(cfg, "smtp.max_rcpt"), 7);
	config_free(cfg);

	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static void
test_set(void **state)
{
	struct config *cfg;
	char *err = NULL;

	(void)state;
	cfg = load_copy("smtp.max_rcpt = 5\n", 18, &err);
	assert_int_equal(config_set(cfg, "smtp.max_rcpt", "9", &err), 0);
	assert_int_equal(config_uint(cfg, "smtp.max_rcpt"), 9);
	assert_int_equal(config_set(cfg, "smtp.max_rcpt", " 10 ", &err), 0);
	assert_int_equal(config_uint(cfg, "smtp.max_rcpt"), 10);
	assert_string_equal(config_text(cfg, "smtp.max_rcpt"), "10");

	assert_int_equal(config_set(cfg, "smtp.max_rcpt", "0", &err), -1);
	assert_string_equal(err, "smtp.max_rcpt: '0' is out of range "
	    "(1 to 1000)");
	free(err);
	assert_int_equal(config_uint(cfg, "smtp.max_rcpt"), 10);

	assert_int_equal(config_set(cfg, "smtp.max_rpct", "1", &err), -1);
	assert_string_equal(err, "unknown key 'smtp.max_rpct' (did you mean "
	    "'smtp.max_rcpt'?)");
	free(err);

	assert_int_equal(config_set(cfg, "hostname", "a\nb", &err), -1);
	assert_string_equal(err, "hostname: control character in the value");
	free(err);

	assert_int_equal(config_set(cfg, "listen.smtp", "[::1]:25", &err), 0);
	assert_int_equal(config_listen(cfg, "listen.smtp")->count, 1);
	assert_int_equal(config_set(cfg, "listen.smtp", "", &err), 0);
	assert_int_equal(config_listen(cfg, "listen.smtp")->count, 0);
	assert_int_equal(config_set(cfg, "listen.smtp", "x", &err), -1);
	assert_string_equal(err, "listen.smtp: 'x': missing port");
	free(err);
	config_free(cfg);
}

static void
test_dump(void **state)
{
	struct config *cfg;
	struct buf b = BUF_INIT;
	char *err;

	(void)state;
	cfg = load_copy("smtp.max_size = 20M", 19, &err);
	config_dump(cfg, &b);
	assert_string_equal(buf_cstr(&b),
	    "hostname = localhost\n"
	    "listen.smtp = 127.0.0.1:2525\n"
	    "listen.submission =\n"
	    "smtp.max_size = 20M\n"
	    "smtp.max_rcpt = 100\n"
	    "smtp.timeout = 5m\n"
	    "queue.lifetime = 5d\n"
	    "queue.min_size = 0\n"
	    "tls.required = no\n"
	    "workers = 0\n"
	    "backlog = 128\n");
	buf_free(&b);

	/* What config_dump() writes loads back to the same values. */
	config_dump(cfg, &b);
	config_free(cfg);
	cfg = load_copy(b.data, b.len, &err);
	assert_non_null(cfg);
	assert_int_equal(config_size(cfg, "smtp.max_size"), 20 * M);
	config_free(cfg);
	buf_free(&b);
}

static void
mask_case(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	config_mask_secret(in, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void
test_mask_secret(void **state)
{
	(void)state;
	mask_case("postgresql://petrel:s3cret@db.example:5432/mail",
	    "postgresql://petrel:****@db.example:5432/mail");
	mask_case("postgresql://petrel@db/mail", "postgresql://petrel@db/mail");
	mask_case("postgresql://db/mail?user=p&password=x&sslmode=require",
	    "postgresql://db/mail?user=p&password=****&sslmode=require");
	mask_case("postgresql://u:a@b@h/d?password=z",
	    "postgresql://u:****@h/d?password=****");
	/* No URL, or a password= that is not a query parameter. */
	mask_case("./var", "./var");
	mask_case("", "");
	mask_case("http://h/oldpassword=1", "http://h/oldpassword=1");
	mask_case("postgresql://h/d?a=1#password=2",
	    "postgresql://h/d?a=1#password=2");
}

static void
test_markdown(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	config_schema_markdown(schema, &b);
	assert_string_equal(buf_cstr(&b),
	    "| Key | Type | Default | Range | Description |\n"
	    "|---|---|---|---|---|\n"
	    "| `hostname` | text | `localhost` |  | Name in greetings |\n"
	    "| `listen.smtp` | addresses | `127.0.0.1:2525` |  | "
	    "SMTP listeners |\n"
	    "| `listen.submission` | addresses | (empty) |  | "
	    "Submission listeners |\n"
	    "| `smtp.max_size` | size | `10M` | 1K to 1G | "
	    "Largest message \\| in bytes |\n"
	    "| `smtp.max_rcpt` | number | `100` | 1 to 1000 |  |\n"
	    "| `smtp.timeout` | duration | `5m` | 1s to 1h | "
	    "Idle timeout |\n"
	    "| `queue.lifetime` | duration | `5d` |  | Give up after |\n"
	    "| `queue.min_size` | size | `0` |  |  |\n"
	    "| `tls.required` | yes/no | `no` |  | Refuse plain text |\n"
	    "| `workers` | number | `0` |  | Threads; 0: one per core |\n"
	    "| `backlog` | number | `128` | at least 16 | "
	    "listen(2) backlog |\n");
	buf_free(&b);
}

/* Run fn in a child with stderr closed; return its wait status. */
static int
in_child(void (*fn)(void))
{
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, STDERR_FILENO);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
wrong_key(void)
{
	struct config *cfg = config_defaults(schema);

	(void)config_uint(cfg, "no.such.key");
}

static void
wrong_type(void)
{
	struct config *cfg = config_defaults(schema);

	(void)config_uint(cfg, "smtp.max_size");
}

static void
bad_default(void)
{
	static const struct config_key s[] = {
		{ "x", CONFIG_SIZE, "ten", 0, 0, NULL },
		{ NULL, 0, NULL, 0, 0, NULL },
	};

	config_free(config_defaults(s));
}

static void
duplicate_in_schema(void)
{
	static const struct config_key s[] = {
		{ "x", CONFIG_STR, "", 0, 0, NULL },
		{ "x", CONFIG_STR, "", 0, 0, NULL },
		{ NULL, 0, NULL, 0, 0, NULL },
	};

	config_free(config_defaults(s));
}

static void
test_petrel_mistakes(void **state)
{
	int status;

	(void)state;
	status = in_child(wrong_key);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = in_child(wrong_type);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = in_child(bad_default);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	status = in_child(duplicate_in_schema);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_whole_file),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_mask_secret),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_petrel_mistakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
