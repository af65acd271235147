/* The administration commands: domains, users and the configuration. They
 * open the store directly, so they work whether the server runs or not
 * (SQLite's WAL lets both write).
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "lib/buf.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "store/store.h"

static struct iopool	*cli_pool;

struct store *
cli_store_open(void)
{
	struct config *cfg;
	struct store *st;
	const char *data_dir;
	char *err = NULL;

	if ((cfg = daemon_config_open(cli_config_path, &err)) == NULL) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
		return NULL;
	}
	data_dir = config_str(cfg, "data_dir");
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "petrel: cannot create %s: %s\n", data_dir,
		    strerror(errno));
		config_free(cfg);
		return NULL;
	}
	cli_pool = iopool_new(1);
	st = store_open(daemon_store_location(cfg), cli_pool, &err);
	if (st == NULL) {
		fprintf(stderr, "petrel: cannot open the store: %s\n", err);
		free(err);
		iopool_free(cli_pool);
		cli_pool = NULL;
	}
	config_free(cfg);
	return st;
}

void
cli_store_close(struct store *st)
{
	store_close(st);
	iopool_free(cli_pool);
	cli_pool = NULL;
}

/* Print the result of a store call and turn it into an exit code. Call
 * the store first: err is only set once it has returned. */
static int
report(int r, char *err, const char *done)
{
	if (r < 0) {
		fprintf(stderr, "petrel: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	if (done != NULL)
		printf("%s\n", done);
	return 0;
}

static void
print_list(char **items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\n", items[i]);
	store_strings_free(items, n);
}

int
cli_domain(int argc, char **argv)
{
	struct store *st;
	char **names, *err = NULL;
	size_t n;
	int r, rc;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		rc = report(store_domain_list(st, &names, &n), NULL, NULL);
		if (rc == 0)
			print_list(names, n);
	} else if (argc == 3 && strcmp(argv[1], "add") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		r = store_domain_add(st, argv[2], &err);
		rc = report(r, err, NULL);
	} else if (argc == 3 && strcmp(argv[1], "del") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		r = store_domain_del(st, argv[2], &err);
		rc = report(r, err, NULL);
	} else {
		fprintf(stderr, "usage: petrel domain add|del DOMAIN\n"
		    "       petrel domain list\n");
		return 2;
	}
	cli_store_close(st);
	return rc;
}

/* Read a password: one line from standard input when it is not a
 * terminal, else typed twice without echo. NULL on failure. */
static char *
read_password(void)
{
	struct termios old, quiet;
	char *first = NULL, *second = NULL;
	size_t cap = 0, cap2 = 0;
	ssize_t n;

	if (!isatty(STDIN_FILENO)) {
		if ((n = getline(&first, &cap, stdin)) <= 0) {
			free(first);
			return NULL;
		}
		first[strcspn(first, "\r\n")] = '\0';
		return first;
	}
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return NULL;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	fprintf(stderr, "Password: ");
	n = getline(&first, &cap, stdin);
	fprintf(stderr, "\nAgain: ");
	if (n > 0)
		n = getline(&second, &cap2, stdin);
	fprintf(stderr, "\n");
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (n <= 0 || strcmp(first, second) != 0) {
		fprintf(stderr, "petrel: the passwords differ\n");
		free(first);
		free(second);
		return NULL;
	}
	free(second);
	first[strcspn(first, "\r\n")] = '\0';
	return first;
}

static int
user_set_password(const char *cmd, const char *address)
{
	struct store *st;
	char *password, *err = NULL;
	int r, rc;

	if ((password = read_password()) == NULL) {
		fprintf(stderr, "petrel: no password given\n");
		return 1;
	}
	if ((st = cli_store_open()) == NULL) {
		free(password);
		return 1;
	}
	if (strcmp(cmd, "add") == 0)
		r = store_user_add(st, address, password, &err);
	else
		r = store_user_passwd(st, address, password, &err);
	explicit_bzero(password, strlen(password));
	free(password);
	rc = report(r, err, NULL);
	cli_store_close(st);
	return rc;
}

int
cli_user(int argc, char **argv)
{
	struct store *st;
	char **names, *err = NULL;
	size_t n;
	int r, rc;

	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "list") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		rc = report(store_user_list(st, argc == 3 ? argv[2] : NULL,
		    &names, &n), NULL, NULL);
		if (rc == 0)
			print_list(names, n);
		cli_store_close(st);
		return rc;
	}
	if (argc == 3 && (strcmp(argv[1], "add") == 0 ||
	    strcmp(argv[1], "passwd") == 0))
		return user_set_password(argv[1], argv[2]);
	if (argc == 3 && strcmp(argv[1], "del") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		r = store_user_del(st, argv[2], &err);
		rc = report(r, err, NULL);
		cli_store_close(st);
		return rc;
	}
	fprintf(stderr, "usage: petrel user add|del|passwd ADDRESS\n"
	    "       petrel user list [DOMAIN]\n");
	return 2;
}

int
cli_config(int argc, char **argv)
{
	struct config *cfg;
	struct buf out = BUF_INIT;
	char *err = NULL;

	if (argc == 2 && strcmp(argv[1], "schema") == 0) {
		config_schema_markdown(daemon_config_schema(), &out);
	} else if (argc == 2 && strcmp(argv[1], "show") == 0) {
		if ((cfg = daemon_config_open(cli_config_path, &err)) == NULL) {
			fprintf(stderr, "petrel: %s\n", err);
			free(err);
			return 1;
		}
		config_dump(cfg, &out);
		config_free(cfg);
	} else {
		fprintf(stderr, "usage: petrel config show|schema\n");
		return 2;
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return 0;
}

int
cli_alias(int argc, char **argv)
{
	struct store *st;
	char **lines, *err = NULL;
	size_t n;
	int r, rc;

	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "list") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		rc = report(store_alias_list(st, argc == 3 ? argv[2] : NULL,
		    &lines, &n), NULL, NULL);
		if (rc == 0)
			print_list(lines, n);
	} else if (argc == 4 && strcmp(argv[1], "add") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		r = store_alias_add(st, argv[2], argv[3], &err);
		rc = report(r, err, NULL);
	} else if ((argc == 3 || argc == 4) && strcmp(argv[1], "del") == 0) {
		if ((st = cli_store_open()) == NULL)
			return 1;
		r = store_alias_del(st, argv[2], argc == 4 ? argv[3] : NULL,
		    &err);
		rc = report(r, err, NULL);
	} else {
		fprintf(stderr, "usage: petrel alias add ADDRESS TARGET\n"
		    "       petrel alias del ADDRESS [TARGET]\n"
		    "       petrel alias list [DOMAIN]\n"
		    "ADDRESS \"@domain\" is the domain's catch-all.\n");
		return 2;
	}
	cli_store_close(st);
	return rc;
}
