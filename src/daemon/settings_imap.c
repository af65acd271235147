/* The configuration keys of the IMAP server, joined with the others by
 * daemon_config_schema() (settings.c).
 * SPDX-License-Identifier: ISC */
#include "daemon.h"

const struct config_key imap_config_keys[] = {
	{ "imap.timeout", CONFIG_DURATION, "30m", 60, 86400,
	  "Idle time before an IMAP session ends (RFC 3501 5.4: >= 30m)" },
	{ "imap.max_line", CONFIG_SIZE, "64K", 1024, 16777216,
	  "Longest IMAP command line, literals not counted" },
	{ "imap.max_literal", CONFIG_SIZE, "50M", 1024, 4294967295ULL,
	  "Largest message APPEND takes (APPENDLIMIT, RFC 7889)" },
	{ "imap.max_per_user", CONFIG_UINT, "50", 0, 100000,
	  "IMAP connections one account may hold at once (0: no limit)" },
	{ "imap.max_errors", CONFIG_UINT, "50", 1, 100000,
	  "Bad commands before an IMAP session is closed" },
	{ "imap.auth_cache_ttl", CONFIG_DURATION, "5m", 0, 86400,
	  "How long a password that passed the check is remembered, as a "
	  "keyed hash, so that reconnecting clients skip the slow hash "
	  "(0: never)" },
	{ "imap.plaintext_anywhere", CONFIG_BOOL, "no", 0, 0,
	  "Allow LOGIN and AUTHENTICATE without TLS off loopback too" },
	{ NULL, 0, NULL, 0, 0, NULL },
};
