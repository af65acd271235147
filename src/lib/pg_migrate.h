/* Schema versions and migrations in PostgreSQL, shared by the store and
 * the queue (each with its own version table): a table holds the versions
 * applied; each step takes the schema one version further inside the
 * transaction that records it, under an advisory lock, so that nodes
 * starting at once migrate one after the other and a crash leaves a whole
 * version.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_LIB_PG_MIGRATE_H
#define PETREL_LIB_PG_MIGRATE_H

#include <libpq-fe.h>

struct pg_schema_def {
	const char		*what;		/* "store schema": errors */
	const char		*table;		/* its version table */
	const char		*lock;		/* advisory lock key, digits */
	const char *const	*steps;		/* step i makes version i+1 */
	int			 nsteps;
};

/* Bring the schema to version upto (def->nsteps: the current one; tests
 * build old schemas with less). An error naming def->what when the
 * database holds a newer version than def knows. 0, or -1 with *err_out
 * (a heap string) when err_out is not NULL. */
int	 pg_migrate(PGconn *pg, const struct pg_schema_def *def, int upto,
	    char **err_out);
/* The version the database holds (0: none), or -1 with *err_out. */
int	 pg_migrate_version(PGconn *pg, const struct pg_schema_def *def,
	    char **err_out);

#endif
