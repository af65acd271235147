/* Inside the PostgreSQL store: a delivery in progress, shared by
 * pg_delivery.c (collecting it) and pg_commit.c (filing it).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_PG_DELIVERY_H
#define PETREL_STORE_PG_DELIVERY_H

#include "store/pg_int.h"

struct pg_delivery {
	struct store		*st;		/* first (backend.h) */
	struct pg_delivery	*next;		/* committer queue */
	struct buf		 body;
	int64_t			 internal_date;
	struct store_rcpt	*rcpts;
	size_t			 n_rcpts;
	struct event_base	*base;
	store_delivery_done_fn	*done;
	void			*done_arg;
	char			*err;		/* why it failed */
	bool			 is_full;	/* because the database
						 * server's disk is full */
};

/* Report d's result to its done() on its loop, then free it. */
void	pg_delivery_finish(struct pg_delivery *d);

#endif
