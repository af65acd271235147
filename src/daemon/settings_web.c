/* The configuration keys of the webmail (src/web), next to the listener
 * keys listen.http and listen.https.
 * SPDX-License-Identifier: ISC */
#include "daemon.h"

#define MIB	(1024ULL * 1024)

const struct config_key web_config_keys[] = {
	{ "listen.https", CONFIG_LISTEN, "", 0, 0,
	  "Webmail and its JSON API over TLS (tls.cert), port 443" },
	{ "http.root", CONFIG_STR, "web", 0, 0,
	  "Directory of the browser app (web/ of the source tree, or "
	  "/usr/share/petrel/web when installed)" },
	{ "http.timeout", CONFIG_DURATION, "2m", 1, 3600,
	  "Idle time before a kept-alive HTTP connection is closed" },
	{ "http.max_upload", CONFIG_SIZE, "25M", 64 * 1024, 1024 * MIB,
	  "Largest request body (attachment uploads); also what one "
	  "session may hold in uploads" },
	{ "http.session_idle", CONFIG_DURATION, "2h", 60, 30 * 86400,
	  "A webmail session ends after this long without a request" },
	{ "http.session_lifetime", CONFIG_DURATION, "7d", 60, 365 * 86400,
	  "A webmail session ends this long after sign-in at the latest" },
	{ "http.login_delay", CONFIG_DURATION, "1s", 0, 60,
	  "Wait before answering a failed webmail sign-in" },
	{ NULL, CONFIG_STR, NULL, 0, 0, NULL },
};
