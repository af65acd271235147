/* The configuration keys of petrel and where the file is looked for.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define MIB	(1024ULL * 1024)

/* The keys of the process, SMTP and POP3; IMAP, the queue and the web
 * keep theirs in settings_imap.c, settings_queue.c and settings_web.c. */
static const struct config_key core_keys[] = {
	{ "hostname", CONFIG_STR, "", 0, 0,
	  "Name in greetings and Received: lines; empty: the system's name" },
	{ "data_dir", CONFIG_STR, "./var", 0, 0,
	  "Directory holding the store (metadata, message bodies, TLS)" },
	{ "store", CONFIG_STR, "", 0, 0,
	  "Where mail is stored: empty for the embedded store in data_dir, "
	  "or postgresql://user:password@host:port/db to share a "
	  "PostgreSQL database between nodes" },
	{ "listen.smtp", CONFIG_LISTEN, "127.0.0.1:2525", 0, 0,
	  "SMTP for mail to local users (MX, port 25 in production)" },
	{ "listen.submission", CONFIG_LISTEN, "127.0.0.1:2587", 0, 0,
	  "SMTP submission with STARTTLS and AUTH (port 587)" },
	{ "listen.submissions", CONFIG_LISTEN, "127.0.0.1:2465", 0, 0,
	  "SMTP submission over implicit TLS (port 465)" },
	{ "listen.pop3", CONFIG_LISTEN, "127.0.0.1:2110", 0, 0,
	  "POP3 with STLS (port 110)" },
	{ "listen.pop3s", CONFIG_LISTEN, "127.0.0.1:2995", 0, 0,
	  "POP3 over implicit TLS (port 995)" },
	{ "listen.imap", CONFIG_LISTEN, "127.0.0.1:2143", 0, 0,
	  "IMAP with STARTTLS (port 143)" },
	{ "listen.imaps", CONFIG_LISTEN, "127.0.0.1:2993", 0, 0,
	  "IMAP over implicit TLS (port 993)" },
	{ "listen.http", CONFIG_LISTEN, "127.0.0.1:8080", 0, 0,
	  "Webmail and its JSON API" },
	{ "tls.cert", CONFIG_STR, "", 0, 0,
	  "PEM certificate chain; empty: a self-signed one in data_dir/tls" },
	{ "tls.key", CONFIG_STR, "", 0, 0,
	  "PEM private key for tls.cert" },
	{ "workers", CONFIG_UINT, "0", 0, 256,
	  "Event-loop threads; 0: one per CPU core" },
	{ "io_threads", CONFIG_UINT, "8", 1, 256,
	  "Threads for durable writes and password checks" },
	{ "max_connections", CONFIG_UINT, "10000", 1, 1000000,
	  "Open connections in total; more are refused politely" },
	{ "login.max_failures", CONFIG_UINT, "10", 1, 100000,
	  "Failed sign-ins per account (SMTP AUTH, POP3, IMAP, webmail), "
	  "from any address, before further attempts are refused (each "
	  "client address also has a limit of its own: 10 in 15 minutes)" },
	{ "login.window", CONFIG_DURATION, "15m", 1, 86400,
	  "How long after the last failed sign-in an account's failures "
	  "are remembered" },
	{ "run_as", CONFIG_STR, "", 0, 0,
	  "When started as root: the user to run as after binding ports" },
	{ "log.level", CONFIG_STR, "info", 0, 0,
	  "Lowest level logged: debug, info or warn" },
	{ "smtp.max_message_size", CONFIG_SIZE, "50M", 1024, 4096 * MIB,
	  "Largest message accepted (announced with SIZE)" },
	{ "smtp.max_line", CONFIG_SIZE, "1000", 1000, 1024 * 1024,
	  "Longest command or text line with its CRLF (RFC 5321 4.5.3.1: "
	  "at least 1000)" },
	{ "smtp.max_recipients", CONFIG_UINT, "100", 1, 100000,
	  "Recipients per message (RFC 5321 asks for at least 100)" },
	{ "smtp.max_errors", CONFIG_UINT, "20", 1, 10000,
	  "Bad commands before a session is closed" },
	{ "smtp.max_commands", CONFIG_UINT, "10000", 10, 10000000,
	  "Commands per session before it is closed" },
	{ "smtp.max_per_client", CONFIG_UINT, "100", 1, 1000000,
	  "Connections at once from one client address" },
	{ "smtp.timeout", CONFIG_DURATION, "5m", 1, 86400,
	  "Idle time before a session is closed (RFC 5321 4.5.3.2)" },
	{ "smtp.data_timeout", CONFIG_DURATION, "10m", 1, 86400,
	  "Time allowed between blocks of message data (RFC 5321 "
	  "4.5.3.2.5-6)" },
	{ "smtp.any_sender", CONFIG_BOOL, "no", 0, 0,
	  "Let authenticated users send as any address, not only their own" },
	{ "pop3.timeout", CONFIG_DURATION, "10m", 1, 86400,
	  "Idle time before a session is closed (RFC 1939: at least 10m)" },
	{ "pop3.max_errors", CONFIG_UINT, "20", 1, 10000,
	  "Bad commands before a session is closed" },
	{ "pop3.plaintext_anywhere", CONFIG_BOOL, "no", 0, 0,
	  "Allow USER/PASS without TLS from other hosts than loopback" },
	{ NULL, CONFIG_STR, NULL, 0, 0, NULL },
};

static size_t
count_keys(const struct config_key *keys)
{
	size_t n = 0;

	while (keys[n].name != NULL)
		n++;
	return n;
}

const struct config_key *
daemon_config_schema(void)
{
	static const struct config_key *const tables[] = {
		core_keys, imap_config_keys, queue_config_keys,
		web_config_keys,
	};
	static struct config_key *schema;
	size_t i, n;

	/* Built on the first call, which start-up makes before any thread
	 * exists; kept for the life of the process. */
	if (schema != NULL)
		return schema;
	for (n = 1, i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		n += count_keys(tables[i]);
	schema = xcalloc(n, sizeof(*schema));
	for (n = 0, i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		memcpy(schema + n, tables[i], count_keys(tables[i]) *
		    sizeof(*schema));
		n += count_keys(tables[i]);
	}
	return schema;
}

struct config *
daemon_config_open(const char *path, char **err_out)
{
	struct config *cfg;
	const char *level;

	if (path == NULL) {
		if (access("petrel.conf", F_OK) != 0)
			cfg = config_defaults(daemon_config_schema());
		else
			cfg = config_load("petrel.conf",
			    daemon_config_schema(), err_out);
	} else
		cfg = config_load(path, daemon_config_schema(), err_out);
	if (cfg == NULL)
		return NULL;
	level = config_str(cfg, "log.level");
	if (strcmp(level, "debug") != 0 && strcmp(level, "info") != 0 &&
	    strcmp(level, "warn") != 0) {
		*err_out = xasprintf("%s: log.level: expected debug, info or "
		    "warn", path ? path : "petrel.conf");
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

const char *
daemon_hostname(const struct config *cfg)
{
	static char name[256];
	const char *h = config_str(cfg, "hostname");

	if (h[0] != '\0')
		return h;
	if (name[0] == '\0' && gethostname(name, sizeof(name) - 1) != 0)
		str_copy(name, "localhost", sizeof(name));
	return name;
}

const char *
daemon_store_location(const struct config *cfg)
{
	const char *store = config_str(cfg, "store");

	return store[0] != '\0' ? store : config_str(cfg, "data_dir");
}
