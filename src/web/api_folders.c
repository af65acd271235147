/* Folders: the list with unread counts and the state that changes with
 * every delivery (uidnext, modseq), and creating, renaming and deleting
 * the user's own. The special folders (INBOX, Drafts, Sent, Trash, Junk,
 * Archive) keep their names: the app finds them by them.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "web_int.h"

web_handler_fn web_api_folders, web_api_folder_create,
    web_api_folder_rename, web_api_folder_delete;

static const char *const roles[] = {
	"inbox", "drafts", "sent", "archive", "junk", "trash",
};

/* "inbox", or the special-use attribute without its backslash. */
static const char *
folder_role(const struct store_mailbox_info *f)
{
	size_t i;

	if (strcmp(f->name, "INBOX") == 0)
		return "inbox";
	if (f->special_use == NULL || f->special_use[0] != '\\')
		return NULL;
	for (i = 0; i < sizeof(roles) / sizeof(*roles); i++)
		if (strcasecmp(f->special_use + 1, roles[i]) == 0)
			return roles[i];
	return NULL;
}

static size_t
role_rank(const struct store_mailbox_info *f)
{
	const char *role = folder_role(f);
	size_t i;

	for (i = 0; role != NULL && i < sizeof(roles) / sizeof(*roles); i++)
		if (strcmp(role, roles[i]) == 0)
			return i;
	return sizeof(roles) / sizeof(*roles);
}

/* The special folders first, in roles[] order, then by name. */
static int
by_role(const void *a, const void *b)
{
	const struct store_mailbox_info *x = a, *y = b;
	size_t rx = role_rank(x), ry = role_rank(y);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->name, y->name);
}

static json_t *
folder_json(struct web_req *r, const struct store_mailbox_info *f)
{
	const char *role = folder_role(f);
	struct store_mailbox mb;
	uint32_t total, unseen;

	if (store_mailbox_lookup(r->srv->store, r->login.user_id, f->name,
	    &mb) != 1 || web_view_counts(r->srv->views, r->srv->store, &mb,
	    &total, &unseen) == -1)
		return NULL;
	return json_pack("{s:o, s:o, s:I, s:I, s:I, s:I}", "name",
	    web_json_str(f->name, strlen(f->name)), "role",
	    role ? json_string(role) : json_null(), "total",
	    (json_int_t)total, "unread", (json_int_t)unseen,
	    "uidnext", (json_int_t)mb.uidnext, "modseq",
	    (json_int_t)mb.highestmodseq);
}

void
web_api_folders(struct web_req *r)
{
	struct store_mailbox_info *v;
	json_t *list, *o;
	size_t i, n;

	if (store_mailbox_list(r->srv->store, r->login.user_id, &v,
	    &n) == -1) {
		web_reply_error(r, 500, "cannot list the folders");
		return;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), by_role);
	list = json_array();
	for (i = 0; i < n; i++)
		if (!v[i].is_noselect && (o = folder_json(r, &v[i])) != NULL)
			json_array_append_new(list, o);
	store_mailbox_list_free(v, n);
	web_reply_json(r, 200, json_pack("{s:o}", "folders", list));
}

/* A name the app can show and send back: UTF-8 without controls, no
 * empty levels, not a special folder's. NULL after a 400/409 reply. */
static const char *
folder_name(struct web_req *r, json_t *body)
{
	const char *name = NULL, *p;
	size_t i, len;

	if (json_unpack(body, "{s:s}", "name", &name) != 0 ||
	    (len = strlen(name)) == 0 || len >= STORE_MAILBOX_MAX ||
	    name[0] == '/' || name[len - 1] == '/' || strstr(name, "//")) {
		web_reply_error(r, 400, "expected {\"name\"}: a folder name");
		return NULL;
	}
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '*' ||
		    *p == '%') {
			web_reply_error(r, 400, "bad character in the name");
			return NULL;
		}
	for (i = 0; i < sizeof(roles) / sizeof(*roles); i++)
		if (strcasecmp(name, roles[i]) == 0) {
			web_reply_error(r, 409, "that name is a special "
			    "folder's");
			return NULL;
		}
	return name;
}

static void
reply_result(struct web_req *r, int rc, const char *err, int ok_status,
    json_t *ok)
{
	if (rc == 0) {
		web_reply_json(r, ok_status, ok);
		return;
	}
	json_decref(ok);
	if (rc == STORE_EXISTS)
		web_reply_error(r, 409, "a folder of that name exists");
	else if (rc == STORE_NOTFOUND)
		web_reply_error(r, 404, "no such folder");
	else if (rc == STORE_REFUSED)
		web_reply_error(r, 409, "that folder cannot be changed");
	else {
		log_warnx("web session=%s event=folder-failed reason=\"%s\"",
		    r->session->id, err ? err : "?");
		web_reply_error(r, 500, "cannot change the folders");
	}
}

void
web_api_folder_create(struct web_req *r)
{
	json_t *body = web_req_json(r);
	const char *name;
	char *err = NULL;
	int rc;

	if (body == NULL)
		return;
	if ((name = folder_name(r, body)) != NULL) {
		rc = store_mailbox_create(r->srv->store, r->login.user_id,
		    name, NULL, &err);
		reply_result(r, rc, err, 201, json_pack("{s:s}", "name",
		    name));
		free(err);
	}
	json_decref(body);
}

/* The folders the app finds by name are not renamed or deleted. */
static bool
is_special(struct web_req *r, const char *name)
{
	struct store_mailbox_info *v;
	bool is = strcmp(name, "INBOX") == 0;
	size_t i, n;

	if (!is && store_mailbox_list(r->srv->store, r->login.user_id, &v,
	    &n) == 0) {
		for (i = 0; i < n; i++)
			if (strcmp(v[i].name, name) == 0 && folder_role(&v[i]))
				is = true;
		store_mailbox_list_free(v, n);
	}
	if (is)
		web_reply_error(r, 409, "special folders keep their names");
	return is;
}

void
web_api_folder_rename(struct web_req *r)
{
	json_t *body = web_req_json(r);
	const char *name;
	char *err = NULL;
	int rc;

	if (body == NULL)
		return;
	if ((name = folder_name(r, body)) != NULL &&
	    !is_special(r, r->params[0])) {
		rc = store_mailbox_rename(r->srv->store, r->login.user_id,
		    r->params[0], name, &err);
		reply_result(r, rc, err, 200, json_pack("{s:s}", "name",
		    name));
		free(err);
	}
	json_decref(body);
}

struct delete_job {
	struct store	*st;
	int64_t		 user_id;
	char		*name;
	int		 rc;
	char		*err;
};

static void
delete_work(void *arg)
{
	struct delete_job *j = arg;

	j->rc = store_mailbox_delete(j->st, j->user_id, j->name, &j->err);
}

static void
delete_done(struct web_req *r, void *arg)
{
	struct delete_job *j = arg;

	if (r != NULL) {
		if (j->rc == 0)
			web_reply(r, 204, NULL, NULL, 0);
		else
			reply_result(r, j->rc, j->err, 204, NULL);
	}
	free(j->name);
	free(j->err);
	free(j);
}

void
web_api_folder_delete(struct web_req *r)
{
	struct delete_job *j;

	if (is_special(r, r->params[0]))
		return;
	j = xcalloc(1, sizeof(*j));
	j->st = r->srv->store;
	j->user_id = r->login.user_id;
	j->name = xstrdup(r->params[0]);
	web_req_run(r, delete_work, delete_done, j);
}
