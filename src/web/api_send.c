/* Drafts and sending. A draft is appended to Drafts with \Draft (and the
 * one it replaces removed); a sent message goes to every recipient, then
 * a copy to Sent with \Seen, and the message replied to gets \Answered.
 * Recipients are expanded like SMTP's (aliases, user+tag) and the
 * message goes whole through the outbound queue, which files local copies
 * and sends the rest by SMTP.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue.h"
#include "web_int.h"

web_handler_fn web_api_draft, web_api_send;

struct send_job {
	struct web_req	*r;		/* while waiting for a commit */
	struct store	*st;
	struct buf	 msg;
	int64_t		 box_id;	/* Drafts or Sent */
	uint32_t	 flags;
	int64_t		 drafts_id;
	uint32_t	 old_draft;	/* a draft to remove, or 0 */
	int64_t		 reply_box;	/* the message answered */
	uint32_t	 reply_uid;
	size_t		 nrcpts;
	bool		 is_queued;
	uint32_t	 uid;		/* in box_id */
	int		 rc;
	char		*err;
};

static void
job_free(struct send_job *j)
{
	buf_free(&j->msg);
	free(j->err);
	free(j);
}

/* The folder's id, 0 when the account has none of that name. */
static int64_t
folder_id(struct web_req *r, const char *name)
{
	struct store_mailbox mb;

	if (store_mailbox_lookup(r->srv->store, r->login.user_id, name,
	    &mb) != 1)
		return 0;
	return mb.id;
}

static uint32_t
json_uid(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > UINT32_MAX)
		return 0;
	return (uint32_t)json_integer_value(v);
}

static struct send_job *
job_new(struct web_req *r, json_t *body, const char *box, uint32_t flags)
{
	struct send_job *j = xcalloc(1, sizeof(*j));
	json_t *reply = json_object_get(body, "in_reply_to");
	const char *f;

	j->r = r;
	j->st = r->srv->store;
	j->box_id = folder_id(r, box);
	j->flags = flags;
	j->drafts_id = folder_id(r, "Drafts");
	j->old_draft = json_uid(body, "draft_uid");
	if (json_is_object(reply) && (f = json_string_value(
	    json_object_get(reply, "folder"))) != NULL) {
		j->reply_box = folder_id(r, f);
		j->reply_uid = json_uid(reply, "uid");
	}
	return j;
}

/* On the pool: the copy in Drafts or Sent, and the old draft gone. */
static void
save_work(void *arg)
{
	struct send_job *j = arg;
	uint32_t uidvalidity;

	if (j->box_id == 0) {
		j->rc = STORE_NOTFOUND;
		return;
	}
	j->rc = store_append(j->st, j->box_id, j->msg.data, j->msg.len,
	    j->flags, NULL, time(NULL), &uidvalidity, &j->uid, &j->err);
	if (j->rc == 0 && j->old_draft != 0 && j->drafts_id != 0)
		(void)store_msgs_expunge(j->st, j->drafts_id, &j->old_draft, 1,
		    NULL);
}

static void
draft_done(struct web_req *r, void *arg)
{
	struct send_job *j = arg;

	if (r != NULL && j->rc == 0)
		web_reply_json(r, 201, json_pack("{s:s, s:I}", "folder",
		    "Drafts", "uid", (json_int_t)j->uid));
	else if (r != NULL) {
		log_warnx("web session=%s event=draft-failed reason=\"%s\"",
		    r->session->id, j->err ? j->err : "no Drafts folder");
		web_reply_error(r, 500, "cannot save the draft");
	}
	job_free(j);
}

void
web_api_draft(struct web_req *r)
{
	struct send_job *j;
	json_t *body;

	if ((body = web_req_json(r)) == NULL)
		return;
	j = job_new(r, body, "Drafts", STORE_F_DRAFT | STORE_F_SEEN);
	if (web_compose_build(r, body, true, &j->msg) != 1) {
		json_decref(body);
		job_free(j);
		return;
	}
	json_decref(body);
	web_req_run(r, save_work, draft_done, j);
}

static void
sent_done(struct web_req *r, void *arg)
{
	struct send_job *j = arg;
	struct store_flags_result *res;
	size_t n;

	if (r == NULL) {
		job_free(j);
		return;
	}
	if (j->rc != 0)
		log_warnx("web session=%s event=sent-copy-failed "
		    "reason=\"%s\"", r->session->id, j->err ? j->err : "?");
	/* RFC 3501 2.3.2: \Answered once the reply is on its way. */
	if (j->reply_box != 0 && j->reply_uid != 0 && store_flags_update(
	    j->st, j->reply_box, &j->reply_uid, 1, STORE_FLAGS_ADD,
	    STORE_F_ANSWERED, NULL, 0, 0, &res, &n, NULL) == 0)
		store_flags_results_free(res, n);
	log_info("web session=%s event=sent user=%s rcpts=%zu queued=%s",
	    r->session->id, r->login.address, j->nrcpts,
	    j->is_queued ? "yes" : "no");
	web_reply_json(r, 200, json_pack("{s:b, s:b, s:i, s:b, s:I}", "sent",
	    1, "queued", j->is_queued, "recipients", (int)j->nrcpts, "saved",
	    j->rc == 0, "uid", (json_int_t)j->uid));
	job_free(j);
}

/* The queue or the store has the message (or failed to take it). */
static void
committed(void *arg, int result, const char *err)
{
	struct send_job *j = arg;
	struct web_req *r = j->r;

	if (!web_req_resume(r)) {
		job_free(j);
		return;
	}
	if (result != 0) {
		log_warnx("web session=%s event=send-failed reason=\"%s\"",
		    r->session->id, err ? err : "?");
		web_reply_error(r, 503, "cannot send now, try again: %s",
		    err ? err : "error");
		job_free(j);
		return;
	}
	web_req_run(r, save_work, sent_done, j);
}

static void
add_unique(char ***list, size_t *n, const char *address)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i], address) == 0)
			return;
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = xstrdup(address);
}

/* Expand the recipients as SMTP does: an address of one of our domains
 * becomes the accounts (or forwarding addresses) it resolves to, and one
 * that nobody here has is refused before anything is sent. 1, or 0 after
 * a reply was sent. */
static int
expand_rcpts(struct web_req *r, char **rcpts, size_t n, char ***out,
    size_t *n_out)
{
	struct store *st = r->srv->store;
	char **targets, *at;
	size_t i, k, nt;
	int hosted;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < n; i++) {
		at = strrchr(rcpts[i], '@');
		hosted = at ? store_domain_find(st, at + 1) : 0;
		if (hosted == 1 &&
		    store_rcpt_resolve(st, rcpts[i], &targets, &nt) == 1) {
			for (k = 0; k < nt; k++)
				add_unique(out, n_out, targets[k]);
			store_strings_free(targets, nt);
		} else if (hosted == 0)
			add_unique(out, n_out, rcpts[i]);
		else {
			web_reply_error(r, hosted < 0 ? 503 : 400, hosted < 0 ?
			    "cannot look up %s now" : "no such recipient: %s",
			    rcpts[i]);
			store_strings_free(*out, *n_out);
			return 0;
		}
	}
	return 1;
}

/* Everything goes through the outbound queue, which files local copies
 * through its local transport and sends the rest by SMTP. */
static void
submit_queue(struct web_req *r, struct send_job *j, char **rcpts,
    size_t n)
{
	struct queue_msg *m;
	char *err = NULL;
	size_t i;

	if (r->srv->queue == NULL ||
	    (m = queue_msg_new(r->srv->queue, r->login.address,
	    &err)) == NULL) {
		web_reply_error(r, 503, "cannot send now: %s", err ? err :
		    "no outbound queue");
		free(err);
		job_free(j);
		return;
	}
	for (i = 0; i < n; i++)
		queue_msg_add_rcpt(m, rcpts[i], 0, NULL);
	if (queue_msg_write(m, j->msg.data, j->msg.len) == -1) {
		queue_msg_abort(m);
		web_reply_error(r, 503, "cannot send now: spool write error");
		job_free(j);
		return;
	}
	j->is_queued = true;
	web_req_suspend(r);
	queue_msg_commit(m, web_req_base(r), committed, j);
}

void
web_api_send(struct web_req *r)
{
	struct send_job *j;
	json_t *body;
	char **rcpts, **targets;
	size_t n, nt;

	if ((body = web_req_json(r)) == NULL)
		return;
	if (web_compose_rcpts(r, body, &rcpts, &n) != 1) {
		json_decref(body);
		return;
	}
	j = job_new(r, body, "Sent", STORE_F_SEEN);
	j->nrcpts = n;
	if (web_compose_build(r, body, false, &j->msg) != 1) {
		json_decref(body);
		store_strings_free(rcpts, n);
		job_free(j);
		return;
	}
	json_decref(body);
	if (expand_rcpts(r, rcpts, n, &targets, &nt) == 1) {
		submit_queue(r, j, targets, nt);
		store_strings_free(targets, nt);
	} else
		job_free(j);
	store_strings_free(rcpts, n);
}
