/* petrel serve: options, then the daemon.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "lib/log.h"

int
cli_serve(int argc, char **argv)
{
	struct config *cfg;
	const char *level;
	char *err = NULL;
	bool verbose = false;
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:T:v")) != -1) {
		switch (ch) {
		case 'c':
			cli_config_path = optarg;
			break;
		case 'T':
			log_set_trace(optarg);
			verbose = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: petrel serve [-c FILE] "
			    "[-T PROTOCOLS] [-v]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: petrel serve [-c FILE] [-T PROTOCOLS] "
		    "[-v]\n");
		return 2;
	}
	if ((cfg = daemon_config_open(cli_config_path, &err)) == NULL) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
		return 1;
	}
	level = config_str(cfg, "log.level");
	if (verbose || level[0] == 'd')
		log_set_level(LOG_LVL_DEBUG);
	else if (level[0] == 'w')
		log_set_level(LOG_LVL_WARN);
	rc = daemon_serve(cfg);
	config_free(cfg);
	return rc;
}
