/* `petrel serve` internals: the listeners and the worker loops.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_DAEMON_INT_H
#define PETREL_DAEMON_INT_H

#include <stddef.h>

#include "imap/imap.h"
#include "lib/net.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"
#include "web/web.h"

enum service {
	SERVICE_SMTP,
	SERVICE_SUBMISSION,
	SERVICE_SUBMISSIONS,
	SERVICE_POP3,
	SERVICE_POP3S,
	SERVICE_IMAP,
	SERVICE_IMAPS,
	SERVICE_HTTP,
	SERVICE_HTTPS,
};

/* One bound socket and what it serves. */
struct listener {
	int		fd;
	enum service	service;
	char		addr[NET_ADDRSTRLEN];
};

/* What every worker shares, read-only once the workers run. */
struct server {
	struct listener		*listeners;
	size_t			 nlisteners;
	unsigned		 max_connections;
	struct smtp_server	 smtp;
	struct pop3_server	 pop3;
	struct imap_server	 imap;
	struct web_server	 web;
};

struct workers;
struct config;
struct iopool;
struct queue;
struct store;
struct daemon_queue;

/* The outbound queue with its scheduler and transports: the SMTP client
 * for other domains, the store for local recipients (local_transport.c).
 * Start exits the process with a message when the queue cannot open. */
struct daemon_queue *daemon_queue_start(const struct config *cfg,
		    struct store *st, struct iopool *pool);
struct queue	*daemon_queue_get(struct daemon_queue *dq);
/* Stop the scheduler and close the queue. NULL is a no-op. */
void		 daemon_queue_stop(struct daemon_queue *dq);

/* Start n threads, each with its own event loop accepting on every
 * listener of srv; a connection stays on the loop that accepted it. */
struct workers	*workers_start(const struct server *srv, unsigned n);
/* Stop accepting, give sessions a moment to finish what they were doing,
 * then end every connection and stop the threads. */
void		 workers_stop(struct workers *w);
/* Free the loops, once the store and the I/O pool have finished the work
 * they were given (their callbacks name the loops). NULL is a no-op. */
void		 workers_free(struct workers *w);

#endif
