/* petrel: one binary for the server, its administration and the mail
 * client. This file holds the subcommand table.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/log.h"

const char *cli_config_path;

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
} commands[] = {
	{ "serve",	cli_serve,	"serve [-c FILE] [-T PROTOCOLS] [-v]" },
	{ "domain",	cli_domain,	"domain add|del DOMAIN | domain list" },
	{ "user",	cli_user,
	  "user add|del|passwd ADDRESS | user list [DOMAIN]" },
	{ "alias",	cli_alias,
	  "alias add ADDRESS TARGET | alias del ADDRESS [TARGET] | "
	  "alias list [DOMAIN]" },
	{ "queue",	cli_queue,
	  "queue list | queue show|delete|hold|release ID | "
	  "queue flush [ID] | queue inject -f SENDER RCPT..." },
	{ "store",	cli_store,
	  "store copy --from DIR-OR-URL --to DIR-OR-URL" },
	{ "config",	cli_config,	"config show | config schema" },
	{ "mail",	cli_mail,
	  "mail [-A ACCOUNT] [-f FOLDER] send|list|read|save|reply|reply-all|"
	  "forward|delete|move|flag|search|folders|mkdir|rename|rmdir ..." },
	{ "mime",	cli_mime,
	  "mime show|json FILE | mime extract FILE PART" },
};

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: petrel [-c FILE] COMMAND ...\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "       petrel [-c FILE] %s\n",
		    commands[i].usage);
	return 2;
}

int
main(int argc, char **argv)
{
	size_t i;
	int ch;

	/* "+": stop at the subcommand, whose options are its own. */
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			cli_config_path = optarg;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			optind = 1;
			return commands[i].fn(argc, argv);
		}
	}
	fprintf(stderr, "petrel: unknown command '%s'\n", argv[0]);
	return usage();
}
