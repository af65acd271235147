/* The accounts of `petrel mail`: ~/.config/petrel/accounts.conf, sections
 * "[name]" of "key = value" lines, and the password from a command or the
 * terminal.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail_int.h"

static void
server_free(struct mail_server *s)
{
	free(s->host);
	free(s->port);
}

void
mail_accounts_free(struct mail_accounts *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		struct mail_account *m = &a->v[i];

		free(m->name);
		server_free(&m->imap);
		server_free(&m->pop3);
		server_free(&m->smtp);
		free(m->user);
		free(m->from);
		free(m->password_command);
		free(m->ca_file);
		free(m->sent);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* "host:port" or "[v6]:port"; the port is required. */
static int
server_parse(const char *v, struct mail_server *s)
{
	const char *colon, *h = v, *hend;

	colon = strrchr(v, ':');
	if (colon == NULL || colon[1] == '\0')
		return -1;
	hend = colon;
	if (*v == '[') {
		if (colon == v || colon[-1] != ']')
			return -1;
		h = v + 1;
		hend = colon - 1;
	}
	if (hend == h)
		return -1;
	free(s->host);
	free(s->port);
	s->host = xstrndup(h, (size_t)(hend - h));
	s->port = xstrdup(colon + 1);
	return 0;
}

static int
tls_parse(const char *v, enum mail_tls *out)
{
	if (strcmp(v, "starttls") == 0)
		*out = MAIL_TLS_STARTTLS;
	else if (strcmp(v, "implicit") == 0)
		*out = MAIL_TLS_IMPLICIT;
	else if (strcmp(v, "none") == 0)
		*out = MAIL_TLS_NONE;
	else
		return -1;
	return 0;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* Apply "key = value" to the account m. NULL, or why not. */
static const char *
account_set(struct mail_account *m, const char *k, const char *v)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} servers[] = {
		{ "imap", offsetof(struct mail_account, imap) },
		{ "pop3", offsetof(struct mail_account, pop3) },
		{ "smtp", offsetof(struct mail_account, smtp) },
	};
	size_t i, n;

	/* "tls" sets the mode of all three servers at once. */
	if (strcmp(k, "tls") == 0) {
		if (tls_parse(v, &m->imap.tls) == -1)
			return "expected starttls, implicit or none";
		m->pop3.tls = m->smtp.tls = m->imap.tls;
		return NULL;
	}
	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct mail_server *s = (struct mail_server *)
		    (void *)((char *)m + servers[i].off);

		n = strlen(servers[i].name);
		if (strcmp(k, servers[i].name) == 0)
			return server_parse(v, s) == 0 ? NULL :
			    "expected host:port";
		if (strncmp(k, servers[i].name, n) == 0 &&
		    strcmp(k + n, "_tls") == 0)
			return tls_parse(v, &s->tls) == 0 ? NULL :
			    "expected starttls, implicit or none";
	}
	if (strcmp(k, "user") == 0)
		set_str(&m->user, v);
	else if (strcmp(k, "from") == 0)
		set_str(&m->from, v);
	else if (strcmp(k, "password_command") == 0)
		set_str(&m->password_command, v);
	else if (strcmp(k, "ca_file") == 0)
		set_str(&m->ca_file, v);
	else if (strcmp(k, "sent") == 0)
		set_str(&m->sent, v);
	else
		return "unknown key";
	return NULL;
}

static struct mail_account *
account_add(struct mail_accounts *a, const char *name, size_t len)
{
	struct mail_account *m;

	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	m = &a->v[a->n++];
	memset(m, 0, sizeof(*m));
	m->name = xstrndup(name, len);
	return m;
}

/* One non-empty, non-comment line, trimmed. NULL, or why it is bad. */
static const char *
line_parse(struct mail_accounts *a, const char *p, size_t len)
{
	const char *eq, *k, *v, *why;
	size_t klen, vlen;
	char *key, *val;

	if (p[0] == '[') {
		if (len < 3 || p[len - 1] != ']')
			return "expected [name]";
		account_add(a, p + 1, len - 2);
		if (mail_accounts_find(a, a->v[a->n - 1].name) !=
		    &a->v[a->n - 1])
			return "account defined twice";
		return NULL;
	}
	if (a->n == 0)
		return "key outside a [section]";
	if ((eq = str_chr(p, len, '=')) == NULL)
		return "expected key = value";
	k = p;
	klen = (size_t)(eq - p);
	v = eq + 1;
	vlen = len - klen - 1;
	str_trim(&k, &klen);
	str_trim(&v, &vlen);
	if (klen == 0 || vlen == 0)
		return "expected key = value";
	key = xstrndup(k, klen);
	val = xstrndup(v, vlen);
	why = account_set(&a->v[a->n - 1], key, val);
	free(key);
	free(val);
	return why;
}

static const char *
account_check(const struct mail_account *m)
{
	if (m->user == NULL)
		return "no user";
	if (m->imap.host == NULL && m->pop3.host == NULL)
		return "neither imap nor pop3";
	return NULL;
}

int
mail_accounts_parse(const char *p, size_t len, struct mail_accounts *out,
    struct buf *err)
{
	const char *nl, *l, *why;
	size_t pos = 0, llen, lineno = 0, i, first = out->n;

	while (pos < len) {
		nl = str_chr(p + pos, len - pos, '\n');
		l = p + pos;
		llen = nl != NULL ? (size_t)(nl - l) : len - pos;
		pos += llen + (nl != NULL);
		lineno++;
		str_trim(&l, &llen);
		if (llen > 0 && l[llen - 1] == '\r')
			llen--;
		if (llen == 0 || l[0] == '#' || l[0] == ';')
			continue;
		if ((why = line_parse(out, l, llen)) != NULL) {
			buf_addf(err, "line %zu: %s", lineno, why);
			return -1;
		}
	}
	for (i = first; i < out->n; i++) {
		if ((why = account_check(&out->v[i])) != NULL) {
			buf_addf(err, "account %s: %s", out->v[i].name, why);
			return -1;
		}
	}
	return 0;
}

struct mail_account *
mail_accounts_find(struct mail_accounts *a, const char *name)
{
	size_t i;

	if (name == NULL)
		return a->n > 0 ? &a->v[0] : NULL;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

int
mail_accounts_load(struct mail_accounts *out)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	const char *home, *env = getenv("PETREL_ACCOUNTS");
	char *path;
	int rc = -1;

	if (env != NULL && *env != '\0')
		path = xstrdup(env);
	else {
		if ((home = getenv("HOME")) == NULL)
			home = "";
		path = xasprintf("%s/.config/petrel/accounts.conf", home);
	}
	if (mail_file_read(path, &text) == -1) {
		if (errno == ENOENT)
			fprintf(stderr, "petrel mail: no accounts: %s does not "
			    "exist (docs/MAIL.md shows how to write it)\n",
			    path);
		else
			fprintf(stderr, "petrel mail: %s: %s\n", path,
			    strerror(errno));
		goto fail;
	}
	if (mail_accounts_parse(text.data, text.len, out, &err) == -1) {
		fprintf(stderr, "petrel mail: %s: %s\n", path,
		    buf_cstr(&err));
		mail_accounts_free(out);
		goto fail;
	}
	rc = 0;
fail:
	free(path);
	buf_free(&text);
	buf_free(&err);
	return rc;
}

static char *
password_run(const char *cmd)
{
	struct buf line = BUF_INIT;
	FILE *fp;
	int c, status;

	if ((fp = popen(cmd, "r")) == NULL) {
		fprintf(stderr, "petrel mail: password_command: %s\n",
		    strerror(errno));
		return NULL;
	}
	while ((c = getc(fp)) != EOF && c != '\n')
		buf_addc(&line, (char)c);
	while (c != EOF)
		c = getc(fp);
	status = pclose(fp);
	if (status != 0) {
		fprintf(stderr, "petrel mail: password_command failed "
		    "(status %d)\n", status);
		buf_free(&line);
		return NULL;
	}
	if (line.len > 0 && line.data[line.len - 1] == '\r')
		line.len--;
	return buf_release(&line);
}

/* Read the password from the terminal, not standard input, which may
 * hold the body of a message. */
static char *
password_prompt(const struct mail_account *acct)
{
	struct termios old, noecho;
	struct buf line = BUF_INIT;
	FILE *tty;
	int c;

	if ((tty = fopen("/dev/tty", "r+")) == NULL) {
		fprintf(stderr, "petrel mail: account %s has no "
		    "password_command and there is no terminal to ask on\n",
		    acct->name);
		return NULL;
	}
	fprintf(tty, "Password for %s: ", acct->user);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	while ((c = getc(tty)) != EOF && c != '\n')
		buf_addc(&line, (char)c);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return buf_release(&line);
}

char *
mail_account_password(const struct mail_account *acct)
{
	if (acct->password_command != NULL)
		return password_run(acct->password_command);
	return password_prompt(acct);
}
