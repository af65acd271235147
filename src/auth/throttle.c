/* Login throttling shared by every protocol: failed attempts are counted
 * per client address, each further attempt waits longer, and an address
 * with too many recent failures is refused for a while. One table for the
 * whole process, behind a mutex (sign-ins are rare next to other work).
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "auth.h"

#define SLOTS		4096	/* addresses remembered; oldest evicted */
#define WINDOW		900	/* seconds a failure is remembered */
#define BLOCK_AFTER	10	/* failures in the window before refusal */
#define MAX_DELAY	16	/* seconds */

struct slot {
	unsigned char	addr[16];
	time_t		last;
	unsigned	failures;
};

static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot	slots[SLOTS];

/* The address as 16 bytes (IPv4 mapped into IPv6); false for others. */
static bool
addr_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static size_t
slot_index(const unsigned char key[16])
{
	size_t h = 2166136261u, i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % SLOTS;
}

/* The slot for key, or NULL; a stale or foreign slot reads as empty. */
static struct slot *
slot_find(const unsigned char key[16], time_t now)
{
	struct slot *s = &slots[slot_index(key)];

	if (memcmp(s->addr, key, 16) != 0 || now - s->last > WINDOW)
		return NULL;
	return s;
}

unsigned
auth_throttle_delay(const struct sockaddr *peer)
{
	unsigned char key[16];
	struct slot *s;
	unsigned delay = 0;

	if (!addr_key(peer, key))
		return 0;
	pthread_mutex_lock(&lock);
	s = slot_find(key, time(NULL));
	if (s != NULL && s->failures > 0) {
		delay = 1u << (s->failures < 5 ? s->failures - 1 : 4);
		if (delay > MAX_DELAY)
			delay = MAX_DELAY;
	}
	pthread_mutex_unlock(&lock);
	return delay;
}

bool
auth_throttle_is_blocked(const struct sockaddr *peer)
{
	unsigned char key[16];
	struct slot *s;
	bool blocked;

	if (!addr_key(peer, key))
		return false;
	pthread_mutex_lock(&lock);
	s = slot_find(key, time(NULL));
	blocked = s != NULL && s->failures >= BLOCK_AFTER;
	pthread_mutex_unlock(&lock);
	return blocked;
}

void
auth_throttle_failed(const struct sockaddr *peer)
{
	unsigned char key[16];
	time_t now = time(NULL);
	struct slot *s;

	if (!addr_key(peer, key))
		return;
	pthread_mutex_lock(&lock);
	if ((s = slot_find(key, now)) == NULL) {
		s = &slots[slot_index(key)];
		memcpy(s->addr, key, 16);
		s->failures = 0;
	}
	s->failures++;
	s->last = now;
	pthread_mutex_unlock(&lock);
}

void
auth_throttle_succeeded(const struct sockaddr *peer)
{
	unsigned char key[16];
	struct slot *s;

	if (!addr_key(peer, key))
		return;
	pthread_mutex_lock(&lock);
	if ((s = slot_find(key, time(NULL))) != NULL)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&lock);
}
