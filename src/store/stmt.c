/* A small per-thread cache of prepared statements for the hot queries of
 * IMAP (the state check before each reply, flag changes, message rows):
 * parsing SQL again for every command cost more than running it.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stddef.h>

#include "store/stmt.h"

#define STMT_SLOTS	32

struct slot {
	sqlite3		*db;
	const char	*sql;
	sqlite3_stmt	*stmt;
};

static _Thread_local struct slot	slots[STMT_SLOTS];
static _Thread_local unsigned		next_victim;
static pthread_once_t			key_once = PTHREAD_ONCE_INIT;
static pthread_key_t			key;

/* At thread exit: finalize, so that the connection can really close
 * (sqlite3_close_v2() waits for its last statement). */
static void
slots_free(void *arg)
{
	struct slot *v = arg;
	size_t i;

	for (i = 0; i < STMT_SLOTS; i++) {
		sqlite3_finalize(v[i].stmt);
		v[i].stmt = NULL;
		v[i].sql = NULL;
	}
}

static void
key_make(void)
{
	(void)pthread_key_create(&key, slots_free);
}

sqlite3_stmt *
store_stmt(sqlite3 *db, const char *sql)
{
	struct slot *s;
	size_t i;

	for (i = 0; i < STMT_SLOTS; i++) {
		s = &slots[i];
		if (s->sql == sql && s->db == db) {
			sqlite3_reset(s->stmt);
			sqlite3_clear_bindings(s->stmt);
			return s->stmt;
		}
	}
	(void)pthread_once(&key_once, key_make);
	if (pthread_getspecific(key) == NULL)
		(void)pthread_setspecific(key, slots);
	for (i = 0; i < STMT_SLOTS && slots[i].sql != NULL; i++)
		;
	if (i == STMT_SLOTS) {
		i = next_victim++ % STMT_SLOTS;
		sqlite3_finalize(slots[i].stmt);
	}
	s = &slots[i];
	s->db = db;
	s->sql = sql;
	s->stmt = NULL;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->stmt, NULL) != SQLITE_OK) {
		sqlite3_finalize(s->stmt);
		s->stmt = NULL;
		s->sql = NULL;
	}
	return s->stmt;
}
