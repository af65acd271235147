/* Signed-in sessions of the webmail: a table shared by every worker thread
 * behind one mutex, keyed by a 256-bit random id that travels only in an
 * HttpOnly cookie, each with its own CSRF token. Every sign-in makes a new
 * id (no session fixation); sessions end when idle or too old.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "auth/auth.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "web_int.h"

#define NBUCKETS	1024
#define SWEEP_EVERY	64	/* creations between sweeps of the table */

struct upload {
	struct upload	*next;
	char		 id[WEB_UPLOAD_ID_LEN + 1];
	char		*name;
	char		*type;
	char		*data;
	size_t		 len;
};

struct entry {
	struct entry		*next;
	struct web_login	 login;
	struct upload		*uploads;
	size_t			 upload_bytes;
};

struct web_sessions {
	pthread_mutex_t	 lock;
	struct entry	*buckets[NBUCKETS];
	size_t		 count;
	unsigned	 idle;
	unsigned	 lifetime;
	unsigned	 creations;
};

struct web_sessions *
web_sessions_new(unsigned idle, unsigned lifetime)
{
	struct web_sessions *t = xcalloc(1, sizeof(*t));

	if (pthread_mutex_init(&t->lock, NULL) != 0)
		fatalx("pthread_mutex_init failed");
	t->idle = idle;
	t->lifetime = lifetime;
	return t;
}

static void
upload_free(struct upload *u)
{
	free(u->name);
	free(u->type);
	free(u->data);
	free(u);
}

static void
entry_free(struct entry *e)
{
	struct upload *u, *next;

	for (u = e->uploads; u != NULL; u = next) {
		next = u->next;
		upload_free(u);
	}
	explicit_bzero(e, sizeof(*e));
	free(e);
}

void
web_sessions_free(struct web_sessions *t)
{
	struct entry *e, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < NBUCKETS; i++)
		for (e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			entry_free(e);
		}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void
random_token(char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[WEB_TOKEN_LEN / 2];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("RAND_bytes failed");
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[WEB_TOKEN_LEN] = '\0';
	explicit_bzero(raw, sizeof(raw));
}

/* The ids are uniformly random: their first hex digits are a hash. */
static size_t
bucket_of(const char *id)
{
	size_t h = 0;
	int i;

	for (i = 0; i < 3; i++)
		h = h * 16 + (size_t)(id[i] <= '9' ? id[i] - '0' :
		    id[i] - 'a' + 10);
	return h % NBUCKETS;
}

static bool
is_expired(const struct web_sessions *t, const struct web_login *l,
    time_t now)
{
	return now - l->last_seen > (time_t)t->idle ||
	    now - l->created > (time_t)t->lifetime;
}

static void
sweep(struct web_sessions *t, time_t now)
{
	struct entry **pe, *e;
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		pe = &t->buckets[i];
		while ((e = *pe) != NULL) {
			if (!is_expired(t, &e->login, now)) {
				pe = &e->next;
				continue;
			}
			*pe = e->next;
			entry_free(e);
			t->count--;
		}
	}
}

void
web_sessions_create(struct web_sessions *t, int64_t user_id,
    const char *address, time_t now, struct web_login *out)
{
	struct entry *e = xcalloc(1, sizeof(*e));
	size_t b;

	random_token(e->login.id);
	random_token(e->login.csrf);
	e->login.user_id = user_id;
	str_copy(e->login.address, address, sizeof(e->login.address));
	e->login.created = now;
	e->login.last_seen = now;
	*out = e->login;
	b = bucket_of(e->login.id);
	pthread_mutex_lock(&t->lock);
	e->next = t->buckets[b];
	t->buckets[b] = e;
	t->count++;
	if (++t->creations % SWEEP_EVERY == 0)
		sweep(t, now);
	pthread_mutex_unlock(&t->lock);
}

static bool
is_token(const char *id, size_t len)
{
	size_t i;

	if (len != WEB_TOKEN_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

/* The link that points to the entry for id, or NULL; under the lock. */
static struct entry **
lookup(struct web_sessions *t, const char *id)
{
	struct entry **pe = &t->buckets[bucket_of(id)];

	for (; *pe != NULL; pe = &(*pe)->next)
		if (auth_equal_ct((*pe)->login.id, WEB_TOKEN_LEN, id,
		    WEB_TOKEN_LEN))
			return pe;
	return NULL;
}

int
web_sessions_find(struct web_sessions *t, const char *id, size_t len,
    time_t now, struct web_login *out)
{
	struct entry **pe, *e;
	int found = 0;

	if (!is_token(id, len))
		return 0;
	pthread_mutex_lock(&t->lock);
	if ((pe = lookup(t, id)) != NULL) {
		e = *pe;
		if (is_expired(t, &e->login, now)) {
			*pe = e->next;
			entry_free(e);
			t->count--;
		} else {
			e->login.last_seen = now;
			*out = e->login;
			found = 1;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

void
web_sessions_remove(struct web_sessions *t, const char *id, size_t len)
{
	struct entry **pe, *e;

	if (!is_token(id, len))
		return;
	pthread_mutex_lock(&t->lock);
	if ((pe = lookup(t, id)) != NULL) {
		e = *pe;
		*pe = e->next;
		entry_free(e);
		t->count--;
	}
	pthread_mutex_unlock(&t->lock);
}

size_t
web_sessions_count(struct web_sessions *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

bool
web_csrf_check(const struct web_login *l, const char *token, size_t len)
{
	return token != NULL && auth_equal_ct(l->csrf, WEB_TOKEN_LEN, token,
	    len);
}

bool
web_sessions_upload_add(struct web_sessions *t, const char *sid,
    const char *name, const char *type, const void *data, size_t len,
    size_t max_total, char *id_out)
{
	struct entry **pe;
	struct upload *u;
	bool ok = false;

	u = xcalloc(1, sizeof(*u));
	str_random_hex(u->id, WEB_UPLOAD_ID_LEN / 2);
	u->name = xstrdup(name);
	u->type = xstrdup(type);
	u->data = xmalloc(len ? len : 1);
	memcpy(u->data, data, len);
	u->len = len;
	pthread_mutex_lock(&t->lock);
	if ((pe = lookup(t, sid)) != NULL &&
	    (*pe)->upload_bytes + len <= max_total) {
		u->next = (*pe)->uploads;
		(*pe)->uploads = u;
		(*pe)->upload_bytes += len;
		ok = true;
	}
	pthread_mutex_unlock(&t->lock);
	if (ok)
		str_copy(id_out, u->id, WEB_UPLOAD_ID_LEN + 1);
	else
		upload_free(u);
	return ok;
}

bool
web_sessions_upload_del(struct web_sessions *t, const char *sid,
    const char *id)
{
	struct entry **pe;
	struct upload **pu, *u;
	bool found = false;

	pthread_mutex_lock(&t->lock);
	if ((pe = lookup(t, sid)) != NULL)
		for (pu = &(*pe)->uploads; (u = *pu) != NULL; pu = &u->next) {
			if (strcmp(u->id, id) != 0)
				continue;
			*pu = u->next;
			(*pe)->upload_bytes -= u->len;
			upload_free(u);
			found = true;
			break;
		}
	pthread_mutex_unlock(&t->lock);
	return found;
}

bool
web_sessions_upload_get(struct web_sessions *t, const char *sid,
    const char *id, struct buf *data, struct buf *name, struct buf *type)
{
	struct entry **pe;
	struct upload *u;
	bool found = false;

	pthread_mutex_lock(&t->lock);
	if ((pe = lookup(t, sid)) != NULL)
		for (u = (*pe)->uploads; u != NULL; u = u->next)
			if (strcmp(u->id, id) == 0) {
				buf_add(data, u->data, u->len);
				buf_adds(name, u->name);
				buf_adds(type, u->type);
				found = true;
				break;
			}
	pthread_mutex_unlock(&t->lock);
	return found;
}
