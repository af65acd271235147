/* Changing messages: flags (read, flagged, answered), moving between the
 * user's folders, and deleting, which moves to Trash, or from Trash
 * removes for good.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "web_int.h"

web_handler_fn web_api_flags, web_api_move, web_api_delete;

/* The folder named by body's "folder", and its "uids". NULL after a
 * reply. */
static uint32_t *
target(struct web_req *r, json_t *body, struct store_mailbox *mb,
    size_t *n_out)
{
	const char *folder = NULL;
	uint32_t *uids;

	if (json_unpack(body, "{s:s}", "folder", &folder) != 0) {
		web_reply_error(r, 400, "expected {\"folder\", \"uids\"}");
		return NULL;
	}
	if ((uids = web_req_uids(r, body, n_out)) == NULL)
		return NULL;
	if (web_folder_open(r, folder, mb) != 1) {
		free(uids);
		return NULL;
	}
	return uids;
}

static bool
flags_op(const char *op, enum store_flags_op *out)
{
	if (strcmp(op, "add") == 0)
		*out = STORE_FLAGS_ADD;
	else if (strcmp(op, "remove") == 0)
		*out = STORE_FLAGS_REMOVE;
	else if (strcmp(op, "set") == 0)
		*out = STORE_FLAGS_SET;
	else
		return false;
	return true;
}

static json_t *
flags_results(const struct store_flags_result *res, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:o}", "uid",
		    (json_int_t)res[i].uid, "flags",
		    web_flags_json(res[i].flags)));
	return a;
}

void
web_api_flags(struct web_req *r)
{
	struct store_flags_result *res;
	struct store_mailbox mb;
	enum store_flags_op op;
	json_t *body, *names = NULL;
	const char *ops = NULL;
	uint32_t *uids, flags;
	size_t n, nres;
	char *err = NULL;

	if ((body = web_req_json(r)) == NULL)
		return;
	if (json_unpack(body, "{s:s, s:o}", "op", &ops, "flags",
	    &names) != 0 || !flags_op(ops, &op) ||
	    !web_flags_parse(names, &flags)) {
		json_decref(body);
		web_reply_error(r, 400, "expected {\"folder\", \"uids\", "
		    "\"op\": \"add\"|\"remove\"|\"set\", \"flags\": [...]}");
		return;
	}
	uids = target(r, body, &mb, &n);
	json_decref(body);
	if (uids == NULL)
		return;
	if (store_flags_update(r->srv->store, mb.id, uids, n, op, flags, NULL,
	    0, 0, &res, &nres, &err) == -1) {
		log_warnx("web session=%s event=flags-failed reason=\"%s\"",
		    r->session->id, err ? err : "?");
		web_reply_error(r, 500, "cannot change the flags");
	} else {
		web_reply_json(r, 200, json_pack("{s:o}", "messages",
		    flags_results(res, nres)));
		store_flags_results_free(res, nres);
	}
	free(err);
	free(uids);
}

/* Moving or removing for good, on the pool. */
struct change_job {
	struct store	*st;
	int64_t		 from_id, to_id;	/* to_id 0: expunge */
	uint32_t	*uids;
	size_t		 n;
	uint32_t	*src, *dst;
	size_t		 ndone;
	int		 rc;
	char		*err;
};

static void
change_work(void *arg)
{
	struct change_job *j = arg;
	uint32_t uidvalidity;

	if (j->to_id == 0) {
		j->rc = store_msgs_expunge(j->st, j->from_id, j->uids, j->n,
		    &j->err);
		j->ndone = j->rc == 0 ? j->n : 0;
	} else
		j->rc = store_msgs_copy(j->st, j->from_id, j->to_id, j->uids,
		    j->n, true, &uidvalidity, &j->src, &j->dst, &j->ndone,
		    &j->err);
}

static void
change_done(struct web_req *r, void *arg)
{
	struct change_job *j = arg;
	json_t *a;
	size_t i;

	if (r != NULL && j->rc == 0) {
		a = json_array();
		for (i = 0; j->dst != NULL && i < j->ndone; i++)
			json_array_append_new(a, json_integer(j->dst[i]));
		web_reply_json(r, 200, json_pack("{s:s, s:i, s:o}", "result",
		    j->to_id ? "moved" : "expunged", "count", (int)j->ndone,
		    "uids", a));
	} else if (r != NULL) {
		log_warnx("web session=%s event=move-failed reason=\"%s\"",
		    r->session->id, j->err ? j->err : "?");
		web_reply_error(r, j->rc == STORE_NOTFOUND ? 404 : 500,
		    "cannot move the messages");
	}
	free(j->uids);
	free(j->src);
	free(j->dst);
	free(j->err);
	free(j);
}

static void
change_start(struct web_req *r, const struct store_mailbox *from,
    int64_t to_id, uint32_t *uids, size_t n)
{
	struct change_job *j = xcalloc(1, sizeof(*j));

	j->st = r->srv->store;
	j->from_id = from->id;
	j->to_id = to_id;
	j->uids = uids;
	j->n = n;
	web_req_run(r, change_work, change_done, j);
}

void
web_api_move(struct web_req *r)
{
	struct store_mailbox from, to;
	const char *dest = NULL;
	json_t *body;
	uint32_t *uids;
	size_t n;
	int found;

	if ((body = web_req_json(r)) == NULL)
		return;
	if (json_unpack(body, "{s:s}", "to", &dest) != 0) {
		json_decref(body);
		web_reply_error(r, 400, "expected {\"folder\", \"uids\", "
		    "\"to\"}");
		return;
	}
	found = web_folder_open(r, dest, &to);
	uids = found == 1 ? target(r, body, &from, &n) : NULL;
	json_decref(body);
	if (uids == NULL)
		return;
	if (from.id == to.id) {
		free(uids);
		web_reply_error(r, 400, "already in that folder");
		return;
	}
	change_start(r, &from, to.id, uids, n);
}

void
web_api_delete(struct web_req *r)
{
	struct store_mailbox from, trash;
	json_t *body;
	uint32_t *uids;
	size_t n;

	if ((body = web_req_json(r)) == NULL)
		return;
	uids = target(r, body, &from, &n);
	json_decref(body);
	if (uids == NULL)
		return;
	if (strcmp(from.name, "Trash") == 0) {
		change_start(r, &from, 0, uids, n);
		return;
	}
	if (web_folder_open(r, "Trash", &trash) != 1) {
		free(uids);
		return;
	}
	change_start(r, &from, trash.id, uids, n);
}
