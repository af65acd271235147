/* Per-destination connection slots shared by the nodes of a cluster, so
 * that queue.max_per_destination holds for the whole cluster: slot i of a
 * destination is the session advisory lock (hash of its key, i) on the
 * scheduler's connection, held while a job of this node runs there. A
 * node that dies drops its connection, and PostgreSQL frees its slots with
 * it. Advisory locks are re-entrant within a session, so the slots this
 * node already holds are left out of a take. Two keys whose hashes meet
 * share their slots: a lower limit, never a higher one.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/backend_pg.h"

/* The first free slot among $2, locked by this call. */
static const char take_sql[] =
	"SELECT s FROM unnest($2::int[]) s "
	"WHERE pg_try_advisory_lock($1::int, s) LIMIT 1";

static const char give_sql[] =
	"SELECT pg_advisory_unlock($1::int, $2::int)";

static const char retake_sql[] =
	"SELECT pg_try_advisory_lock($1::int, $2::int)";

/* FNV-1a of the destination key. */
static int32_t
key_class(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return (int32_t)h;
}

static bool
is_held(const struct pgq *b, int32_t class, int slot)
{
	size_t i;

	for (i = 0; i < b->nslots; i++)
		if (b->slots[i].class == class && b->slots[i].slot == slot)
			return true;
	return false;
}

int
pgq_slot_take(struct queue_sched *s, const char *key, unsigned max)
{
	struct pgq *b = s->be_state;
	int32_t class = key_class(key);
	struct buf cands = BUF_INIT;
	char classstr[16];
	const char *v[2];
	PGresult *res;
	unsigned i;
	int slot = -1;

	for (i = 0; i < max; i++) {
		if (is_held(b, class, (int)i))
			continue;
		buf_addc(&cands, cands.len == 0 ? '{' : ',');
		buf_addf(&cands, "%u", i);
	}
	if (cands.len == 0) {
		buf_free(&cands);
		return -1;
	}
	buf_addc(&cands, '}');
	snprintf(classstr, sizeof(classstr), "%d", class);
	v[0] = classstr;
	v[1] = buf_cstr(&cands);
	res = pgq_query(b, 0, take_sql, 2, v);
	buf_free(&cands);
	if (res == NULL) {
		log_warnx("queue event=slot dest=%s error=\"%s\"", key, b->err);
		return -1;
	}
	if (PQntuples(res) == 1) {
		slot = atoi(PQgetvalue(res, 0, 0));
		b->slots = xreallocarray(b->slots, b->nslots + 1,
		    sizeof(*b->slots));
		b->slots[b->nslots].class = class;
		b->slots[b->nslots++].slot = slot;
	}
	PQclear(res);
	return slot;
}

void
pgq_slot_give(struct queue_sched *s, const char *key, int slot)
{
	struct pgq *b = s->be_state;
	int32_t class = key_class(key);
	char classstr[16], slotstr[16];
	const char *v[2];
	size_t i;

	for (i = 0; i < b->nslots; i++) {
		if (b->slots[i].class == class && b->slots[i].slot == slot) {
			b->slots[i] = b->slots[--b->nslots];
			break;
		}
	}
	snprintf(classstr, sizeof(classstr), "%d", class);
	snprintf(slotstr, sizeof(slotstr), "%d", slot);
	v[0] = classstr;
	v[1] = slotstr;
	/* Failing, the connection is gone, and the lock with it. */
	PQclear(pgq_query(b, 0, give_sql, 2, v));
}

void
pgq_slots_reacquire(struct pgq *b)
{
	char classstr[16], slotstr[16];
	const char *v[2];
	PGresult *res;
	size_t i, lost = 0;

	for (i = 0; i < b->nslots; i++) {
		snprintf(classstr, sizeof(classstr), "%d", b->slots[i].class);
		snprintf(slotstr, sizeof(slotstr), "%d", b->slots[i].slot);
		v[0] = classstr;
		v[1] = slotstr;
		res = PQexecParams(b->pg, retake_sql, 2, NULL, v, NULL, NULL,
		    0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			lost++;
		PQclear(res);
	}
	if (b->nslots > 0)
		log_warnx("queue event=slot action=reacquire held=%zu lost=%zu",
		    b->nslots, lost);
}
