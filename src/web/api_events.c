/* New mail without a reload, by long polling: GET /api/events?since=S
 * answers at once when the state of the user's folders is no longer S,
 * else waits for the store's change notification (store_watch_new()) or
 * EVENTS_WAIT seconds. The state is a digest of every folder's uidnext
 * and highest mod-sequence, which change with each delivery, flag change
 * and expunge (RFC 7162 3.1.2).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

#define EVENTS_WAIT	25	/* seconds, under common proxy timeouts */

web_handler_fn web_api_events;

/* FNV-1a over each folder's id, uidnext and highestmodseq. */
static bool
stamp_get(struct web_req *r, struct buf *out)
{
	struct store_mailbox_info *v;
	uint64_t h = 0xcbf29ce484222325ULL, modseq;
	uint32_t uidnext;
	size_t i, n;

	if (store_mailbox_list(r->srv->store, r->login.user_id, &v, &n) == -1)
		return false;
	for (i = 0; i < n; i++) {
		if (v[i].is_noselect || store_mailbox_state(r->srv->store,
		    v[i].id, &uidnext, &modseq) != 1)
			continue;
		h = (h ^ (uint64_t)v[i].id) * 0x100000001b3ULL;
		h = (h ^ uidnext) * 0x100000001b3ULL;
		h = (h ^ modseq) * 0x100000001b3ULL;
	}
	h = (h ^ n) * 0x100000001b3ULL;
	store_mailbox_list_free(v, n);
	buf_addf(out, "%016llx", (unsigned long long)h);
	return true;
}

static void
events_reply(struct web_req *r, const char *since)
{
	struct buf now = BUF_INIT;

	if (!stamp_get(r, &now)) {
		web_reply_error(r, 500, "cannot read the folders");
		return;
	}
	web_reply_json(r, 200, json_pack("{s:s, s:b}", "stamp",
	    buf_cstr(&now), "changed", since == NULL ||
	    strcmp(since, buf_cstr(&now)) != 0));
	buf_free(&now);
}

static void
events_wake(struct web_req *r)
{
	events_reply(r, "");
}

void
web_api_events(struct web_req *r)
{
	struct buf since = BUF_INIT, now = BUF_INIT;
	unsigned wait = EVENTS_WAIT;

	if (!web_req_query(r, "since", &since) || since.len == 0 ||
	    !stamp_get(r, &now) || strcmp(buf_cstr(&since),
	    buf_cstr(&now)) != 0)
		events_reply(r, since.len ? buf_cstr(&since) : NULL);
	else {
		if (r->srv->timeout > 0 && r->srv->timeout / 2 < wait)
			wait = r->srv->timeout / 2 ? r->srv->timeout / 2 : 1;
		web_req_watch(r, wait, events_wake);
	}
	buf_free(&since);
	buf_free(&now);
}
