/* The changing commands of `petrel mail` over IMAP: delete (STORE and
 * EXPUNGE), move (MOVE, RFC 6851, else COPY), flag, search (RFC 3501
 * 6.4.4) and the folder commands LIST, CREATE, RENAME, DELETE.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/str.h"
#include "mail_int.h"

/* STORE op (flag) on message argv[1] of the selected folder. */
static int
store(struct mail_ctx *mc, char **argv, const char *op, const char *flag)
{
	struct mail_imap *im;
	unsigned n;
	int rc = 1;

	if ((im = mail_imap_session(mc, false)) == NULL)
		return 1;
	if ((n = mail_msgno(im, argv[1])) == 0 ||
	    mail_imap_cmd(im, NULL, NULL, "STORE %u %s (%s)", n, op,
	    flag) == -1)
		goto fail;
	rc = 0;
fail:
	mail_imap_close(im);
	return rc;
}

int
mail_cmd_delete(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_imap *im;
	unsigned n;
	int rc = 1;

	if (argc != 2)
		return 2;
	if ((im = mail_imap_session(mc, false)) == NULL)
		return 1;
	if ((n = mail_msgno(im, argv[1])) == 0 ||
	    mail_imap_cmd(im, NULL, NULL, "STORE %u +FLAGS.SILENT "
	    "(\\Deleted)", n) == -1 ||
	    mail_imap_cmd(im, NULL, NULL, "EXPUNGE") == -1)
		goto fail;
	rc = 0;
fail:
	mail_imap_close(im);
	return rc;
}

static void
caps_cb(const char *p, size_t len, void *arg)
{
	bool *has_move = arg;
	size_t i;

	if (!str_iprefix(p, len, "CAPABILITY "))
		return;
	for (i = 0; i + 5 <= len; i++)
		if (str_iprefix(p + i, len - i, " MOVE") &&
		    (i + 5 == len || p[i + 5] == ' '))
			*has_move = true;
}

int
mail_cmd_move(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_imap *im;
	struct buf to = BUF_INIT;
	bool has_move = false;
	unsigned n;
	int rc = 1;

	if (argc != 3)
		return 2;
	if ((im = mail_imap_session(mc, false)) == NULL)
		return 1;
	mail_imap_quote(&to, argv[2]);
	if ((n = mail_msgno(im, argv[1])) == 0 ||
	    mail_imap_cmd(im, caps_cb, &has_move, "CAPABILITY") == -1)
		goto fail;
	if (has_move) {
		if (mail_imap_cmd(im, NULL, NULL, "MOVE %u %s", n,
		    buf_cstr(&to)) == -1)
			goto fail;
	} else if (mail_imap_cmd(im, NULL, NULL, "COPY %u %s", n,
	    buf_cstr(&to)) == -1 ||
	    mail_imap_cmd(im, NULL, NULL, "STORE %u +FLAGS.SILENT "
	    "(\\Deleted)", n) == -1 ||
	    mail_imap_cmd(im, NULL, NULL, "EXPUNGE") == -1)
		goto fail;
	rc = 0;
fail:
	buf_free(&to);
	mail_imap_close(im);
	return rc;
}

static const char *const system_flags[] = { "Seen", "Flagged", "Answered",
    "Deleted", "Draft" };

int
mail_cmd_flag(struct mail_ctx *mc, int argc, char **argv)
{
	struct buf flag = BUF_INIT;
	const char *name;
	bool is_clear;
	size_t i;
	int rc;

	if (argc != 3)
		return 2;
	name = argv[2];
	if ((is_clear = *name == '-') || *name == '+')
		name++;
	if (*name == '\\')
		name++;
	for (i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++)
		if (strcasecmp(name, system_flags[i]) == 0)
			break;
	if (i < sizeof(system_flags) / sizeof(system_flags[0]))
		buf_addf(&flag, "\\%s", system_flags[i]);
	else if (*name != '\0' && strpbrk(name, " ()[]{}\"\\%*") == NULL)
		buf_adds(&flag, name);
	else {
		fprintf(stderr, "petrel mail: bad flag '%s'\n", argv[2]);
		return 2;
	}
	rc = store(mc, argv, is_clear ? "-FLAGS.SILENT" : "+FLAGS.SILENT",
	    buf_cstr(&flag));
	buf_free(&flag);
	return rc;
}

/* Search keys whose argument is a string to quote. */
static const char *const string_keys[] = { "FROM", "TO", "CC", "BCC",
    "SUBJECT", "BODY", "TEXT", "KEYWORD", "UNKEYWORD" };

static bool
is_string_key(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(string_keys) / sizeof(string_keys[0]); i++)
		if (strcasecmp(k, string_keys[i]) == 0)
			return true;
	return false;
}

int
mail_cmd_search(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_imap *im;
	struct buf crit = BUF_INIT;
	unsigned *v = NULL;
	size_t n = 0;
	int i, rc = 1;

	if (argc < 2)
		return 2;
	buf_adds(&crit, "CHARSET UTF-8");
	for (i = 1; i < argc; i++) {
		buf_addc(&crit, ' ');
		if (i > 1 && is_string_key(argv[i - 1]))
			mail_imap_quote(&crit, argv[i]);
		else
			buf_adds(&crit, argv[i]);
	}
	if ((im = mail_imap_session(mc, true)) == NULL)
		goto fail;
	if (mail_search_nums(im, buf_cstr(&crit), &v, &n) == -1)
		goto fail;
	if (n == 0)
		printf("no messages found\n");
	else if (mail_list_fetch(im, v, 0, n) == -1)
		goto fail;
	rc = 0;
fail:
	free(v);
	buf_free(&crit);
	mail_imap_close(im);
	return rc;
}

/* "LIST (\HasNoChildren) "/" INBOX": print the name. */
static void
list_cb(const char *p, size_t len, void *arg)
{
	struct mail_imap_tok t = { p, len, 0 };
	const char *v;
	size_t vlen;

	(void)arg;
	if (!mail_imap_tok_item(&t, &v, &vlen) || !str_ieq(v, vlen, "LIST"))
		return;
	mail_imap_tok_skip(&t);
	mail_imap_tok_skip(&t);
	if (mail_imap_tok_item(&t, &v, &vlen))
		printf("%.*s\n", (int)vlen, v);
}

/* A command on the account, not on a folder: LIST, CREATE... */
static int
on_account(struct mail_ctx *mc, mail_imap_cb *cb, const char *verb,
    const char *a, const char *b)
{
	struct mail_imap *im;
	struct buf args = BUF_INIT;
	int rc = 1;

	mail_imap_quote(&args, a);
	if (b != NULL) {
		buf_addc(&args, ' ');
		mail_imap_quote(&args, b);
	}
	if ((im = mail_imap_open(mc->acct, mc->password)) == NULL)
		goto fail;
	if (mail_imap_cmd(im, cb, NULL, "%s %s", verb, buf_cstr(&args)) == 0)
		rc = 0;
fail:
	buf_free(&args);
	mail_imap_close(im);
	return rc;
}

int
mail_cmd_folders(struct mail_ctx *mc, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return 2;
	return on_account(mc, list_cb, "LIST \"\"", "*", NULL);
}

int
mail_cmd_mkdir(struct mail_ctx *mc, int argc, char **argv)
{
	return argc != 2 ? 2 : on_account(mc, NULL, "CREATE", argv[1], NULL);
}

int
mail_cmd_rename(struct mail_ctx *mc, int argc, char **argv)
{
	return argc != 3 ? 2 : on_account(mc, NULL, "RENAME", argv[1],
	    argv[2]);
}

int
mail_cmd_rmdir(struct mail_ctx *mc, int argc, char **argv)
{
	return argc != 2 ? 2 : on_account(mc, NULL, "DELETE", argv[1], NULL);
}
