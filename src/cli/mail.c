/* petrel mail: the command-line mail client. Picks the account from
 * ~/.config/petrel/accounts.conf and runs one command against its IMAP
 * (or POP3) and SMTP submission servers. docs/MAIL.md has the manual.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mail_int.h"

static const struct {
	const char	*name;
	int		(*fn)(struct mail_ctx *, int, char **);
	bool		 needs_imap;
} commands[] = {
	{ "send",	mail_cmd_send,		false },
	{ "list",	mail_cmd_list,		true },
	{ "read",	mail_cmd_read,		true },
	{ "save",	mail_cmd_save,		true },
	{ "reply",	mail_cmd_reply,		true },
	{ "reply-all",	mail_cmd_reply,		true },
	{ "forward",	mail_cmd_forward,	true },
	{ "delete",	mail_cmd_delete,	true },
	{ "move",	mail_cmd_move,		true },
	{ "flag",	mail_cmd_flag,		true },
	{ "search",	mail_cmd_search,	true },
	{ "folders",	mail_cmd_folders,	true },
	{ "mkdir",	mail_cmd_mkdir,		true },
	{ "rename",	mail_cmd_rename,	true },
	{ "rmdir",	mail_cmd_rmdir,		true },
};

static int
usage(void)
{
	fprintf(stderr,
	    "usage: petrel mail [-A ACCOUNT] [-f FOLDER] COMMAND ...\n"
	    "  send [-s SUBJECT] [-c CC] [-b BCC] [-r REPLY-TO] [-a FILE]... "
	    "TO...\n"
	    "  list [-u] [-n COUNT] [-p PAGE] | read N | save N PART [FILE]\n"
	    "  reply N | reply-all N | forward [-a] N TO...\n"
	    "  delete N | move N FOLDER | flag N [-]FLAG | search KEY...\n"
	    "  folders | mkdir NAME | rename OLD NEW | rmdir NAME\n");
	return 2;
}

/* The row of the command name, or -1 printed. */
static int
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return (int)i;
	fprintf(stderr, "petrel mail: unknown command '%s'\n", name);
	return -1;
}

static int
run(struct mail_ctx *mc, int cmd, int argc, char **argv)
{
	int rc;

	optind = 1;
	if (mc->acct->imap.host == NULL && commands[cmd].needs_imap)
		rc = mail_pop3_main(mc, argc, argv);
	else
		rc = commands[cmd].fn(mc, argc, argv);
	return rc == 2 ? usage() : rc;
}

int
cli_mail(int argc, char **argv)
{
	struct mail_accounts accts = { NULL, 0 };
	struct mail_ctx mc = { NULL, NULL, "INBOX" };
	const char *name = NULL;
	int ch, cmd, rc = 1;

	while ((ch = getopt(argc, argv, "+A:f:h")) != -1) {
		switch (ch) {
		case 'A':
			name = optarg;
			break;
		case 'f':
			mc.folder = optarg;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	if ((cmd = command_find(argv[0])) == -1)
		return usage();
	if (mail_accounts_load(&accts) == -1)
		return 1;
	if ((mc.acct = mail_accounts_find(&accts, name)) == NULL) {
		fprintf(stderr, "petrel mail: unknown account '%s'\n",
		    name != NULL ? name : "(none configured)");
		goto fail;
	}
	if ((mc.password = mail_account_password(mc.acct)) == NULL)
		goto fail;
	rc = run(&mc, cmd, argc, argv);
fail:
	if (mc.password != NULL) {
		explicit_bzero(mc.password, strlen(mc.password));
		free(mc.password);
	}
	mail_accounts_free(&accts);
	return rc;
}
