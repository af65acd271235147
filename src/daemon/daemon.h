/* `petrel serve`: the configuration keys, and running every service in one
 * process with one event loop per worker thread.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_DAEMON_H
#define PETREL_DAEMON_H

#include <stdbool.h>

#include "lib/config.h"

/* Every key petrel's config file may hold (docs/CONFIG.md is made from
 * it): the core keys and each service's own table, joined once. */
const struct config_key *daemon_config_schema(void);

/* The services' key tables (settings_*.c), each ending with a NULL row. */
extern const struct config_key imap_config_keys[];
extern const struct config_key queue_config_keys[];
extern const struct config_key web_config_keys[];

/* Load the configuration: path when given, else ./petrel.conf when it
 * exists, else the defaults. NULL with *err_out (heap, caller frees)
 * naming the file and line of a mistake. */
struct config	*daemon_config_open(const char *path, char **err_out);
/* What store_open() takes: the store key (a PostgreSQL URL), or the
 * data directory of the embedded store when it is empty. */
const char	*daemon_store_location(const struct config *cfg);
/* The host name petrel calls itself: hostname, or the system's name. */
const char	*daemon_hostname(const struct config *cfg);

/* Run every configured service until SIGTERM or SIGINT. Returns the exit
 * code: 0 after a clean stop, 1 when start-up failed (the reason logged). */
int		 daemon_serve(struct config *cfg);

#endif
