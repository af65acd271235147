/* The subcommands of the petrel binary. Each takes the arguments after its
 * own name (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure (the reason on stderr), 2 a usage error.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_CLI_H
#define PETREL_CLI_H

/* The -c FILE given before the subcommand, or NULL. */
extern const char *cli_config_path;

/* petrel serve [-c FILE] [-T PROTOCOLS] [-v]: run the server. */
int	cli_serve(int argc, char **argv);
/* petrel domain add|del|list. */
int	cli_domain(int argc, char **argv);
/* petrel user add|del|list|passwd. */
int	cli_user(int argc, char **argv);
/* petrel alias add|del|list. */
int	cli_alias(int argc, char **argv);
/* petrel queue list|show|flush|delete|hold|release|inject. */
int	cli_queue(int argc, char **argv);
/* petrel store copy --from LOCATION --to LOCATION (src/cli/store.c). */
int	cli_store(int argc, char **argv);
/* petrel config show|schema. */
int	cli_config(int argc, char **argv);
/* petrel mail [-A ACCOUNT] [-f FOLDER] COMMAND ...: the mail client
 * (src/cli/mail*.c, docs/MAIL.md). */
int	cli_mail(int argc, char **argv);
/* petrel mime show|json|extract: inspect a message file (src/cli/mime.c). */
int	cli_mime(int argc, char **argv);

/* For the admin commands: load the configuration and open the store, or
 * print why not and return NULL. cli_store_close() undoes it. */
struct store	*cli_store_open(void);
void		 cli_store_close(struct store *st);

#endif
