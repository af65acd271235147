/* Inside the PostgreSQL backend of the queue's seam (backend_pg.c: leases
 * and bodies; backend_pg_slot.c: the cluster-wide destination slots): the
 * state both share, hung on struct queue_sched's be_state. Loop thread
 * only, like the seam.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_QUEUE_BACKEND_PG_H
#define PETREL_QUEUE_BACKEND_PG_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "queue/queue_int.h"

#define PGQ_BUCKETS	1024

/* A message leased to this node: taken by due(), loaded by claim(). */
struct pgq_lease {
	struct pgq_lease	*next;		/* hash chain */
	int64_t			 rowid;
	char			 qid[QUEUE_ID_LEN + 1];
	const struct sched_msg	*m;		/* once loaded */
	char			*body_path;	/* once loaded */
	double			 valid_until;	/* monotonic seconds */
	unsigned		 gen;		/* the last renewal that kept
						 * it */
	bool			 is_lost;	/* another node may have it */
};

/* A destination slot this node holds: an advisory lock (class, slot) on
 * its connection. */
struct pgq_slot {
	int32_t		 class;
	int		 slot;
};

struct pgq {
	struct queue_sched	*s;
	const char		*url;
	PGconn			*pg;		/* NULL while away */
	double			 next_connect;	/* no retry before it
						 * (monotonic) */
	char			*err;		/* the last error, heap */
	char			*node;		/* owner of our leases */
	char			*leased_dir;	/* the bodies of loaded ones */
	unsigned		 lease_time;
	struct pgq_lease	*leases[PGQ_BUCKETS];
	size_t			 nleases;
	unsigned		 gen;
	bool			 is_renew_failing;
	double			 next_forced_renew;	/* monotonic */
	int64_t			*taken;		/* by due(), to load this
						 * pass */
	size_t			 ntaken;
	int64_t			*releases;	/* to clear in one UPDATE */
	size_t			 nreleases;
	struct event		*renew_ev;
	struct event		*release_ev;
	struct pgq_slot		*slots;
	size_t			 nslots;
};

/* Run sql with n text parameters; results in format fmt (0 text, 1
 * binary). NULL when the database did not answer (b->err says why; the
 * connection is opened again on a later call). */
PGresult *pgq_query(struct pgq *b, int fmt, const char *sql, int n,
	    const char *const *values);

/* backend_pg_slot.c */
int	 pgq_slot_take(struct queue_sched *s, const char *key, unsigned max);
void	 pgq_slot_give(struct queue_sched *s, const char *key, int slot);
/* A new connection lost the old one's advisory locks: take them again. */
void	 pgq_slots_reacquire(struct pgq *b);

#endif
