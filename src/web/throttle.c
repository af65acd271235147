/* Failed sign-ins of the webmail, counted per client address and per
 * account in a fixed-size table shared by every worker thread. A full
 * table forgets its oldest entries, so memory stays bounded whatever an
 * attacker sends.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "web_int.h"

#define NSLOTS		4096
#define PROBES		8

struct slot {
	char		 key[STORE_ADDR_MAX + 8];
	unsigned	 failures;
	time_t		 first;		/* the window's start */
};

struct web_throttle {
	pthread_mutex_t	 lock;
	struct slot	*slots;
	unsigned	 max_failures;
	unsigned	 window;
};

struct web_throttle *
web_throttle_new(unsigned max_failures, unsigned window)
{
	struct web_throttle *t = xcalloc(1, sizeof(*t));

	if (pthread_mutex_init(&t->lock, NULL) != 0)
		fatalx("pthread_mutex_init failed");
	t->slots = xcalloc(NSLOTS, sizeof(*t->slots));
	t->max_failures = max_failures;
	t->window = window;
	return t;
}

void
web_throttle_free(struct web_throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t);
}

static size_t
hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot for key: its own, or a free, stale or oldest one taken over
 * when create is set; NULL when absent and !create. Under the lock. */
static struct slot *
find(struct web_throttle *t, const char *key, time_t now, bool create)
{
	size_t h = hash(key), i;
	struct slot *s, *victim = NULL;

	for (i = 0; i < PROBES; i++) {
		s = &t->slots[(h + i) % NSLOTS];
		if (strcmp(s->key, key) == 0) {
			if (now - s->first > (time_t)t->window)
				s->failures = 0;
			return s;
		}
		if (victim == NULL || s->key[0] == '\0' ||
		    (victim->key[0] != '\0' && s->first < victim->first))
			victim = s;
	}
	if (!create)
		return NULL;
	str_copy(victim->key, key, sizeof(victim->key));
	victim->failures = 0;
	victim->first = now;
	return victim;
}

static void
make_key(char *out, size_t size, const char *kind, const char *v)
{
	char tmp[STORE_ADDR_MAX + 8];
	size_t n = strlen(kind);

	str_copy(tmp, kind, sizeof(tmp));
	str_copy(tmp + n, v, sizeof(tmp) - n);
	str_lower(tmp);
	str_copy(out, tmp, size);
}

bool
web_throttle_allow(struct web_throttle *t, const char *ip, const char *user,
    time_t now)
{
	char kip[STORE_ADDR_MAX + 8], kuser[STORE_ADDR_MAX + 8];
	struct slot *s;
	bool ok = true;

	make_key(kip, sizeof(kip), "ip:", ip);
	make_key(kuser, sizeof(kuser), "user:", user);
	pthread_mutex_lock(&t->lock);
	/* Many users may share one address (NAT): it gets more room. */
	if ((s = find(t, kip, now, false)) != NULL &&
	    s->failures >= 3 * t->max_failures)
		ok = false;
	if ((s = find(t, kuser, now, false)) != NULL &&
	    s->failures >= t->max_failures)
		ok = false;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

static void
count_failure(struct web_throttle *t, const char *key, time_t now)
{
	struct slot *s = find(t, key, now, true);

	if (s->failures == 0)
		s->first = now;
	s->failures++;
}

void
web_throttle_record(struct web_throttle *t, const char *ip,
    const char *user, bool is_ok, time_t now)
{
	char kip[STORE_ADDR_MAX + 8], kuser[STORE_ADDR_MAX + 8];
	struct slot *s;

	make_key(kip, sizeof(kip), "ip:", ip);
	make_key(kuser, sizeof(kuser), "user:", user);
	pthread_mutex_lock(&t->lock);
	if (is_ok) {
		if ((s = find(t, kuser, now, false)) != NULL)
			s->failures = 0;
	} else {
		count_failure(t, kip, now);
		count_failure(t, kuser, now);
	}
	pthread_mutex_unlock(&t->lock);
}
