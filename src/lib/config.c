/* The configuration file: "key = value" lines checked against a schema of
 * typed keys; the values, the getters, and the schema as Markdown.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "str.h"
#include "xalloc.h"

/* A larger file is surely a mistake (a log named as the config). */
#define CONFIG_FILE_MAX	(1024UL * 1024)
/* How much of a bad key an error message quotes. */
#define SHOW		64

/* One key's value: the text as written (trimmed), the number for UINT,
 * SIZE and DURATION (BOOL as 0 or 1), the addresses for LISTEN, and the
 * file line that set it (0 for the default). */
struct config_val {
	char			*text;
	uint64_t		 num;
	struct net_addr_list	 addrs;
	unsigned		 line;
};

struct config {
	const struct config_key	*schema;
	size_t			 nkeys;
	struct config_val	*vals;
};

struct unit {
	char		suffix;
	uint64_t	mult;
};

static const struct unit size_units[] = {
	{ 'T', 1ULL << 40 }, { 'G', 1ULL << 30 }, { 'M', 1ULL << 20 },
	{ 'K', 1ULL << 10 },
};

static const struct unit time_units[] = {
	{ 'w', 7ULL * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
	{ 's', 1 },
};

#define NUNITS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const type_names[] = {
	[CONFIG_STR] = "text",
	[CONFIG_UINT] = "number",
	[CONFIG_SIZE] = "size",
	[CONFIG_DURATION] = "duration",
	[CONFIG_BOOL] = "yes/no",
	[CONFIG_LISTEN] = "addresses",
};

static int
key_find(const struct config_key *schema, size_t nkeys, const char *p,
    size_t len)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strlen(schema[i].name) == len &&
		    memcmp(schema[i].name, p, len) == 0)
			return (int)i;
	return -1;
}

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - ('a' - 'A')) : c;
}

/* Digits and at most one unit suffix, matched ignoring case when fold is
 * set. Returns NULL with *out set, "overflow", or "syntax". */
static const char *
unit_parse(const char *p, size_t len, const struct unit *units,
    size_t nunits, bool fold, uint64_t *out)
{
	const char *errstr;
	uint64_t mult = 1;
	size_t n = 0, i;

	while (n < len && p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0)
		return "syntax";
	if (n < len) {
		for (i = 0; i < nunits; i++)
			if (p[n] == units[i].suffix ||
			    (fold && upper(p[n]) == units[i].suffix))
				break;
		if (i == nunits || n + 1 != len)
			return "syntax";
		mult = units[i].mult;
	}
	/* All digits, so the only possible error is the upper bound. */
	*out = str_to_uint_n(p, n, 0, UINT64_MAX / mult, &errstr) * mult;
	return errstr != NULL ? "overflow" : NULL;
}

/* A size as "10M", "10MB", "512K", "512" or "512B". */
static const char *
size_parse(const char *p, size_t len, uint64_t *out)
{
	if (len >= 2 && upper(p[len - 1]) == 'B')
		len--;
	return unit_parse(p, len, size_units, NUNITS(size_units), true, out);
}

static const char *
bool_parse(const char *p, size_t len, uint64_t *out)
{
	if (str_ieq(p, len, "yes") || str_ieq(p, len, "true") ||
	    str_ieq(p, len, "on"))
		*out = 1;
	else if (str_ieq(p, len, "no") || str_ieq(p, len, "false") ||
	    str_ieq(p, len, "off"))
		*out = 0;
	else
		return "syntax";
	return NULL;
}

/* v with the largest unit that divides it: "10M", "90m", "45s". */
static void
num_format(enum config_type type, uint64_t v, char *out, size_t outlen)
{
	const struct unit *units = NULL;
	size_t i, n = 0;

	if (type == CONFIG_SIZE) {
		units = size_units;
		n = NUNITS(size_units);
	} else if (type == CONFIG_DURATION) {
		units = time_units;
		n = NUNITS(time_units);
	}
	for (i = 0; i < n; i++) {
		if (v != 0 && v % units[i].mult == 0) {
			snprintf(out, outlen, "%" PRIu64 "%c",
			    v / units[i].mult, units[i].suffix);
			return;
		}
	}
	snprintf(out, outlen, "%" PRIu64 "%s", v,
	    type == CONFIG_DURATION ? "s" : "");
}

static bool
is_numeric(enum config_type type)
{
	return type == CONFIG_UINT || type == CONFIG_SIZE ||
	    type == CONFIG_DURATION;
}

/* "1K to 1G", "at least 1", "at most 1h", or "" when unbounded. */
static void
range_format(const struct config_key *k, char *out, size_t outlen)
{
	char lo[32], hi[32];

	num_format(k->type, k->min, lo, sizeof(lo));
	num_format(k->type, k->max, hi, sizeof(hi));
	if (!is_numeric(k->type) || (k->min == 0 && k->max == 0))
		snprintf(out, outlen, "%s", "");
	else if (k->max == 0)
		snprintf(out, outlen, "at least %s", lo);
	else if (k->min == 0)
		snprintf(out, outlen, "at most %s", hi);
	else
		snprintf(out, outlen, "%s to %s", lo, hi);
}

static int
val_fail(const struct config_key *k, const char *p, size_t len,
    const char *errstr, char **err_out)
{
	static const char *const what[] = {
		[CONFIG_UINT] = "not a number",
		[CONFIG_SIZE] = "not a size",
		[CONFIG_DURATION] = "not a duration",
		[CONFIG_BOOL] = "not yes or no",
	};
	char range[80];
	int n = (int)(len > SHOW ? SHOW : len);

	range_format(k, range, sizeof(range));
	if (len == 0)
		*err_out = xasprintf("%s: missing value", k->name);
	else if (strcmp(errstr, "syntax") == 0)
		*err_out = xasprintf("%s: %s: '%.*s'", k->name,
		    what[k->type], n, p);
	else if (range[0] == '\0')
		*err_out = xasprintf("%s: '%.*s' is too large", k->name, n, p);
	else
		*err_out = xasprintf("%s: '%.*s' is out of range (%s)",
		    k->name, n, p, range);
	return -1;
}

/* Parse p[0..len) as a value of key k into *out, which the caller releases
 * with val_fini(). Returns 0, or -1 with *err_out set and *out empty. */
static int
val_parse(const struct config_key *k, const char *p, size_t len,
    struct config_val *out, char **err_out)
{
	const char *errstr = NULL;
	char *why;

	memset(out, 0, sizeof(*out));
	if (k->type == CONFIG_UINT)
		errstr = unit_parse(p, len, NULL, 0, false, &out->num);
	else if (k->type == CONFIG_SIZE)
		errstr = size_parse(p, len, &out->num);
	else if (k->type == CONFIG_DURATION)
		errstr = unit_parse(p, len, time_units, NUNITS(time_units),
		    false, &out->num);
	else if (k->type == CONFIG_BOOL)
		errstr = bool_parse(p, len, &out->num);
	else if (k->type == CONFIG_LISTEN &&
	    net_listen_parse(p, len, &out->addrs, &why) == -1) {
		*err_out = xasprintf("%s: %s", k->name, why);
		free(why);
		return -1;
	}
	if (errstr == NULL && is_numeric(k->type) && (out->num < k->min ||
	    (k->max != 0 && out->num > k->max)))
		errstr = "range";
	if (errstr != NULL)
		return val_fail(k, p, len, errstr, err_out);
	out->text = xstrndup(p, len);
	return 0;
}

static void
val_fini(struct config_val *v)
{
	free(v->text);
	net_addr_list_fini(&v->addrs);
	v->text = NULL;
}

/* Replace the value of key i; on error the old value stays. */
static int
key_set(struct config *cfg, size_t i, const char *p, size_t len,
    char **err_out)
{
	struct config_val v;

	if (val_parse(&cfg->schema[i], p, len, &v, err_out) == -1)
		return -1;
	v.line = cfg->vals[i].line;
	val_fini(&cfg->vals[i]);
	cfg->vals[i] = v;
	return 0;
}

struct config *
config_defaults(const struct config_key *schema)
{
	struct config *cfg;
	const char *def;
	char *err;
	size_t i;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->schema = schema;
	while (schema[cfg->nkeys].name != NULL)
		cfg->nkeys++;
	cfg->vals = xcalloc(cfg->nkeys, sizeof(*cfg->vals));
	for (i = 0; i < cfg->nkeys; i++) {
		if (key_find(schema, i, schema[i].name,
		    strlen(schema[i].name)) != -1)
			fatalx("config: key %s is twice in the schema",
			    schema[i].name);
		def = schema[i].default_value ? schema[i].default_value : "";
		if (key_set(cfg, i, def, strlen(def), &err) == -1)
			fatalx("config: bad default: %s", err);
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nkeys; i++)
		val_fini(&cfg->vals[i]);
	free(cfg->vals);
	free(cfg);
}

/* The edit distance between a[0..alen) and b, or SIZE_MAX when either is
 * too long to be worth it. */
static size_t
distance(const char *a, size_t alen, const char *b)
{
	size_t row[SHOW + 1], blen = strlen(b), i, j, diag, up;

	if (alen > SHOW || blen > SHOW)
		return SIZE_MAX;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= alen; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= blen; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[blen];
}

/* "unknown key 'listen.smpt' (did you mean 'listen.smtp'?)" */
static char *
unknown_key(const struct config *cfg, const char *p, size_t len)
{
	size_t i, d, best = 3;
	const char *hint = NULL;

	for (i = 0; i < cfg->nkeys; i++) {
		d = distance(p, len, cfg->schema[i].name);
		if (d < best) {
			best = d;
			hint = cfg->schema[i].name;
		}
	}
	if (hint == NULL)
		return xasprintf("unknown key '%.*s'",
		    (int)(len > SHOW ? SHOW : len), p);
	return xasprintf("unknown key '%.*s' (did you mean '%s'?)",
	    (int)(len > SHOW ? SHOW : len), p, hint);
}

/* Bytes below space other than tab, and DEL, have no place in the file. */
static bool
has_control(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] < ' ' && p[i] != '\t') ||
		    p[i] == 0x7f)
			return true;
	return false;
}

int
config_set(struct config *cfg, const char *name, const char *value,
    char **err_out)
{
	size_t len = strlen(value);
	int i;

	i = key_find(cfg->schema, cfg->nkeys, name, strlen(name));
	if (i == -1) {
		*err_out = unknown_key(cfg, name, strlen(name));
		return -1;
	}
	if (has_control(value, len)) {
		*err_out = xasprintf("%s: control character in the value",
		    name);
		return -1;
	}
	str_trim(&value, &len);
	return key_set(cfg, (size_t)i, value, len, err_out);
}

/* The value part of a line: a '#' after a space or tab starts a comment. */
static size_t
comment_strip(const char *p, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (p[i] == '#' && (p[i - 1] == ' ' || p[i - 1] == '\t'))
			return i;
	return len;
}

/* One line without its newline. Returns 0, or -1 with *err_out a heap
 * string without the "file:line: " prefix. */
static int
line_parse(struct config *cfg, const char *p, size_t len, unsigned lineno,
    char **err_out)
{
	const char *eq, *key, *val;
	size_t klen, vlen;
	int i;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	str_trim(&p, &len);
	if (len == 0 || p[0] == '#')
		return 0;
	if (has_control(p, len)) {
		*err_out = xstrdup("control character in the line");
		return -1;
	}
	if ((eq = str_chr(p, len, '=')) == NULL || eq == p) {
		*err_out = xstrdup("expected 'key = value'");
		return -1;
	}
	key = p;
	klen = (size_t)(eq - p);
	str_trim(&key, &klen);
	val = eq + 1;
	vlen = comment_strip(val, (size_t)(p + len - val));
	str_trim(&val, &vlen);
	if ((i = key_find(cfg->schema, cfg->nkeys, key, klen)) == -1) {
		*err_out = unknown_key(cfg, key, klen);
		return -1;
	}
	if (cfg->vals[i].line != 0) {
		*err_out = xasprintf("duplicate key '%s' (first set on line "
		    "%u)", cfg->schema[i].name, cfg->vals[i].line);
		return -1;
	}
	if (key_set(cfg, (size_t)i, val, vlen, err_out) == -1)
		return -1;
	cfg->vals[i].line = lineno;
	return 0;
}

struct config *
config_load_mem(const char *p, size_t len, const char *name,
    const struct config_key *schema, char **err_out)
{
	struct config *cfg = config_defaults(schema);
	const char *nl;
	unsigned lineno = 0;
	size_t n;
	char *why;

	while (len > 0) {
		nl = str_chr(p, len, '\n');
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (line_parse(cfg, p, n, ++lineno, &why) == -1) {
			*err_out = xasprintf("%s:%u: %s", name, lineno, why);
			free(why);
			config_free(cfg);
			return NULL;
		}
		p += n;
		len -= n;
		if (nl != NULL) {
			p++;
			len--;
		}
	}
	return cfg;
}

/* Read the whole file into b. Returns 0, or -1 with *err_out set and errno
 * telling why. */
static int
file_read(const char *path, struct buf *b, char **err_out)
{
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		*err_out = xasprintf("cannot open %s: %s", path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	for (;;) {
		buf_reserve(b, 8192);
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b->len += (size_t)n;
		if (b->len > CONFIG_FILE_MAX) {
			n = -1;
			errno = EFBIG;
			break;
		}
	}
	saved = errno;
	close(fd);
	if (n == 0)
		return 0;
	*err_out = xasprintf("cannot read %s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

struct config *
config_load(const char *path, const struct config_key *schema,
    char **err_out)
{
	struct buf b = BUF_INIT;
	struct config *cfg = NULL;

	if (file_read(path, &b, err_out) == 0)
		cfg = config_load_mem(b.data, b.len, path, schema, err_out);
	buf_free(&b);
	return cfg;
}

static const struct config_val *
lookup(const struct config *cfg, const char *name, enum config_type type)
{
	int i;

	i = key_find(cfg->schema, cfg->nkeys, name, strlen(name));
	if (i == -1 || cfg->schema[i].type != type)
		log_warnx("config key=%s error=\"%s\"", name, i == -1 ?
		    "not in the schema" : "asked for with the wrong type");
	assert(i != -1);
	assert(cfg->schema[i].type == type);
	return &cfg->vals[i];
}

const char *
config_str(const struct config *cfg, const char *name)
{
	return lookup(cfg, name, CONFIG_STR)->text;
}

uint64_t
config_uint(const struct config *cfg, const char *name)
{
	return lookup(cfg, name, CONFIG_UINT)->num;
}

bool
config_bool(const struct config *cfg, const char *name)
{
	return lookup(cfg, name, CONFIG_BOOL)->num != 0;
}

uint64_t
config_size(const struct config *cfg, const char *name)
{
	return lookup(cfg, name, CONFIG_SIZE)->num;
}

uint64_t
config_duration(const struct config *cfg, const char *name)
{
	return lookup(cfg, name, CONFIG_DURATION)->num;
}

const struct net_addr_list *
config_listen(const struct config *cfg, const char *name)
{
	return &lookup(cfg, name, CONFIG_LISTEN)->addrs;
}

const char *
config_text(const struct config *cfg, const char *name)
{
	int i;

	i = key_find(cfg->schema, cfg->nkeys, name, strlen(name));
	if (i == -1)
		log_warnx("config key=%s error=\"not in the schema\"", name);
	assert(i != -1);
	return cfg->vals[i].text;
}

void
config_mask_secret(const char *value, struct buf *out)
{
	const char *auth, *at, *colon, *end, *p, *q;

	auth = strstr(value, "://");
	if (auth == NULL) {
		buf_adds(out, value);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = memrchr(auth, '@', (size_t)(end - auth));
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL) {
		buf_add(out, value, (size_t)(colon + 1 - value));
		buf_adds(out, "****");
		p = at;
	} else
		p = value;
	/* libpq also takes the password as a query parameter. */
	for (q = p; (q = strstr(q, "password=")) != NULL; q += 9) {
		if (q == value || (q[-1] != '?' && q[-1] != '&'))
			continue;
		buf_add(out, p, (size_t)(q + 9 - p));
		buf_adds(out, "****");
		p = q + 9 + strcspn(q + 9, "&#");
	}
	buf_adds(out, p);
}

void
config_dump(const struct config *cfg, struct buf *out)
{
	size_t i;

	for (i = 0; i < cfg->nkeys; i++) {
		buf_addf(out, "%s =", cfg->schema[i].name);
		if (cfg->vals[i].text[0] != '\0') {
			buf_addc(out, ' ');
			config_mask_secret(cfg->vals[i].text, out);
		}
		buf_addc(out, '\n');
	}
}

/* s with '|' escaped so that it stays in its table cell. */
static void
md_cell(struct buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '|')
			buf_addc(out, '\\');
		buf_addc(out, *s);
	}
}

void
config_schema_markdown(const struct config_key *schema, struct buf *out)
{
	const struct config_key *k;
	char range[80];

	buf_adds(out, "| Key | Type | Default | Range | Description |\n"
	    "|---|---|---|---|---|\n");
	for (k = schema; k->name != NULL; k++) {
		range_format(k, range, sizeof(range));
		buf_addf(out, "| `%s` | %s | ", k->name, type_names[k->type]);
		if (k->default_value == NULL || k->default_value[0] == '\0')
			buf_adds(out, "(empty)");
		else {
			buf_addc(out, '`');
			md_cell(out, k->default_value);
			buf_addc(out, '`');
		}
		buf_adds(out, " | ");
		md_cell(out, range);
		buf_adds(out, " | ");
		md_cell(out, k->help);
		buf_adds(out, " |\n");
	}
}
