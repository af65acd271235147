/* Login throttling shared by every protocol: failed attempts are counted
 * per client address (each further attempt waits longer, and an address
 * with too many recent failures is refused for a while) and per account
 * (so that many addresses cannot guess at one account, and one address
 * cannot lock it alone before its own limit). One fixed-size table for
 * the whole process behind a mutex (sign-ins are rare next to other
 * work); a full table forgets its oldest entries, so memory stays bounded
 * whatever an attacker sends.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "lib/str.h"
#include "auth.h"

#define SLOTS		8192	/* addresses and accounts remembered */
#define PROBES		8	/* slots an entry may live in */
#define MAX_DELAY	16	/* seconds */
#define KEY_MAX		(AUTH_USER_MAX + 2)

struct slot {
	char		key[KEY_MAX];	/* "a:" hex address, "u:" account */
	time_t		last;		/* the latest failure */
	unsigned	failures;
};

static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot	slots[SLOTS];
static unsigned		account_max = AUTH_THROTTLE_ACCOUNT_MAX;
static unsigned		account_window = AUTH_THROTTLE_ACCOUNT_WINDOW;

static size_t
hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The entry for key, failures forgotten window seconds after the last
 * one; with create, a free, stale or the oldest slot of its probe
 * sequence is taken over when it has none; else NULL. Under the lock. */
static struct slot *
slot_find(const char *key, time_t now, unsigned window, bool create)
{
	size_t h = hash(key), i;
	struct slot *s, *victim = NULL;

	for (i = 0; i < PROBES; i++) {
		s = &slots[(h + i) % SLOTS];
		if (strcmp(s->key, key) == 0) {
			if (now - s->last > (time_t)window)
				s->failures = 0;
			return s;
		}
		if (victim == NULL || s->key[0] == '\0' ||
		    (victim->key[0] != '\0' && s->last < victim->last))
			victim = s;
	}
	if (!create)
		return NULL;
	str_copy(victim->key, key, sizeof(victim->key));
	victim->failures = 0;
	victim->last = now;
	return victim;
}

static unsigned
failures_of(const char *key, time_t now, unsigned window)
{
	struct slot *s;
	unsigned n;

	pthread_mutex_lock(&lock);
	s = slot_find(key, now, window, false);
	n = s != NULL ? s->failures : 0;
	pthread_mutex_unlock(&lock);
	return n;
}

static void
record(const char *key, bool is_ok, time_t now, unsigned window)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	if (is_ok) {
		if ((s = slot_find(key, now, window, false)) != NULL)
			memset(s, 0, sizeof(*s));
	} else {
		s = slot_find(key, now, window, true);
		s->failures++;
		s->last = now;
	}
	pthread_mutex_unlock(&lock);
}

/* "a:" and the address as 32 hex digits (IPv4 mapped into IPv6); false
 * for other families, which are not throttled. */
static bool
addr_key(const struct sockaddr *sa, char key[KEY_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t i;

	memset(a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, 16);
	else
		return false;
	key[0] = 'a';
	key[1] = ':';
	for (i = 0; i < sizeof(a); i++) {
		key[2 + 2 * i] = hex[a[i] >> 4];
		key[3 + 2 * i] = hex[a[i] & 15];
	}
	key[2 + 2 * sizeof(a)] = '\0';
	return true;
}

unsigned
auth_throttle_delay(const struct sockaddr *peer)
{
	char key[KEY_MAX];
	unsigned n;

	if (!addr_key(peer, key) || (n = failures_of(key, time(NULL),
	    AUTH_THROTTLE_ADDR_WINDOW)) == 0)
		return 0;
	return n < 5 ? 1u << (n - 1) : MAX_DELAY;
}

bool
auth_throttle_is_blocked(const struct sockaddr *peer)
{
	char key[KEY_MAX];

	return addr_key(peer, key) && failures_of(key, time(NULL),
	    AUTH_THROTTLE_ADDR_WINDOW) >= AUTH_THROTTLE_ADDR_BLOCK;
}

void
auth_throttle_failed(const struct sockaddr *peer)
{
	char key[KEY_MAX];

	if (addr_key(peer, key))
		record(key, false, time(NULL), AUTH_THROTTLE_ADDR_WINDOW);
}

void
auth_throttle_succeeded(const struct sockaddr *peer)
{
	char key[KEY_MAX];

	if (addr_key(peer, key))
		record(key, true, time(NULL), AUTH_THROTTLE_ADDR_WINDOW);
}

void
auth_throttle_account_limits(unsigned max_failures, unsigned window)
{
	account_max = max_failures > 0 ? max_failures : 1;
	account_window = window;
}

/* "u:" and the account in lower case: one count however it is typed. */
static void
account_key(const char *user, char key[KEY_MAX])
{
	key[0] = 'u';
	key[1] = ':';
	str_copy(key + 2, user, KEY_MAX - 2);
	str_lower(key + 2);
}

unsigned
auth_throttle_account_wait(const char *user, time_t now)
{
	char key[KEY_MAX];
	struct slot *s;
	unsigned wait = 0;

	account_key(user, key);
	pthread_mutex_lock(&lock);
	s = slot_find(key, now, account_window, false);
	if (s != NULL && s->failures >= account_max)
		wait = (unsigned)(account_window - (now - s->last)) + 1;
	pthread_mutex_unlock(&lock);
	return wait;
}

void
auth_throttle_account_failed(const char *user, time_t now)
{
	char key[KEY_MAX];

	account_key(user, key);
	record(key, false, now, account_window);
}

void
auth_throttle_account_succeeded(const char *user, time_t now)
{
	char key[KEY_MAX];

	account_key(user, key);
	record(key, true, now, account_window);
}

unsigned
auth_throttle_wait(const struct sockaddr *peer, const char *user)
{
	if (auth_throttle_is_blocked(peer))
		return AUTH_THROTTLE_ADDR_WINDOW;
	return auth_throttle_account_wait(user, time(NULL));
}

void
auth_throttle_outcome(const struct sockaddr *peer, const char *user,
    bool is_ok)
{
	if (is_ok) {
		auth_throttle_succeeded(peer);
		auth_throttle_account_succeeded(user, time(NULL));
	} else {
		auth_throttle_failed(peer);
		auth_throttle_account_failed(user, time(NULL));
	}
}
