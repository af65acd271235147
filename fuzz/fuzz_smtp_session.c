/* libFuzzer harness: a whole SMTP server session (src/smtp), fed the input
 * as what a client sends, over a socketpair, with a real store in a
 * temporary directory. Covers the command parser, the state machine,
 * DATA/BDAT framing and AUTH.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "lib/conn.h"
#include "lib/iopool.h"
#include "smtp/smtp.h"
#include "store/store.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base	*base;
static struct smtp_server	 srv;
static char			 data_dir[] = "/tmp/petrel-fuzz-smtp-XXXXXX";

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* libFuzzer ends with exit(): take the temporary store with us. */
static void
cleanup(void)
{
	nftw(data_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct iopool *pool;
	struct store *st;
	char *err = NULL;

	(void)argc;
	(void)argv;
	evthread_use_pthreads();
	if (mkdtemp(data_dir) == NULL)
		abort();
	atexit(cleanup);
	pool = iopool_new(2);
	if ((st = store_open(data_dir, pool, &err)) == NULL ||
	    store_domain_add(st, "example.test", &err) != 0 ||
	    store_user_add(st, "u@example.test", "pw", &err) != 0) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		abort();
	}
	base = event_base_new();
	srv.hostname = "fuzz.example.test";
	srv.store = st;
	srv.pool = pool;
	srv.max_message_size = 64 * 1024;
	srv.max_line = 1000;
	srv.max_recipients = 5;
	srv.max_errors = 20;
	srv.max_commands = 200;
	srv.max_per_client = 1000;
	srv.timeout = 2;
	srv.data_timeout = 2;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage peer = { .ss_family = AF_INET };
	char sink[4096];
	int sv[2], i;

	if (size > 60000)
		return 0;	/* must fit the socket buffer in one write */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	smtp_session_start(&srv, base, sv[0], (struct sockaddr *)&peer,
	    sizeof(struct sockaddr_in), SMTP_MODE_MX, false);
	/* Run until the session has ended; a store commit comes back on the
	 * loop from other threads, so keep turning for a while. */
	for (i = 0; i < 2000 && conn_active() > 0; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
		if (i > 20)
			usleep(500);
	}
	if (conn_active() > 0)
		abort();	/* a session that never ends */
	close(sv[1]);
	return 0;
}
