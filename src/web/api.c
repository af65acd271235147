/* The JSON API's route table, and signing in and out: the password is
 * checked on the I/O pool, a failure costs a delay and counts towards the
 * throttle, and every sign-in gets a fresh session id and CSRF token
 * (the id of a session the browser already had is dropped).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "web_int.h"

#define GET	HTTP_M(HTTP_GET)
#define POST	HTTP_M(HTTP_POST)
#define PATCH	HTTP_M(HTTP_PATCH)
#define DELETE	HTTP_M(HTTP_DELETE)

static web_handler_fn api_login, api_logout, api_session;

/* Handlers in api_*.c. */
web_handler_fn web_api_folders, web_api_messages, web_api_message,
    web_api_body, web_api_part, web_api_raw, web_api_expunge,
    web_api_folder_create, web_api_folder_rename, web_api_folder_delete,
    web_api_flags, web_api_move, web_api_delete, web_api_search,
    web_api_threads, web_api_contacts, web_api_draft, web_api_send,
    web_api_upload, web_api_upload_delete, web_api_events;

const struct web_route web_api_routes[] = {
	{ POST, "/api/login", api_login, WEB_R_LOGIN },
	{ POST, "/api/logout", api_logout, WEB_R_AUTH },
	{ GET, "/api/session", api_session, WEB_R_AUTH },
	{ GET, "/api/folders", web_api_folders, WEB_R_AUTH },
	{ POST, "/api/folders", web_api_folder_create, WEB_R_AUTH },
	{ PATCH, "/api/folders/:folder", web_api_folder_rename, WEB_R_AUTH },
	{ DELETE, "/api/folders/:folder", web_api_folder_delete, WEB_R_AUTH },
	{ GET, "/api/folders/:folder/messages", web_api_messages,
	  WEB_R_AUTH },
	{ GET, "/api/folders/:folder/threads", web_api_threads, WEB_R_AUTH },
	{ GET, "/api/folders/:folder/messages/:uid", web_api_message,
	  WEB_R_AUTH },
	{ GET, "/api/folders/:folder/messages/:uid/body", web_api_body,
	  WEB_R_AUTH },
	{ GET, "/api/folders/:folder/messages/:uid/raw", web_api_raw,
	  WEB_R_AUTH },
	{ GET, "/api/folders/:folder/messages/:uid/parts/:part", web_api_part,
	  WEB_R_AUTH },
	{ POST, "/api/folders/:folder/expunge", web_api_expunge, WEB_R_AUTH },
	{ POST, "/api/messages/flags", web_api_flags, WEB_R_AUTH },
	{ POST, "/api/messages/move", web_api_move, WEB_R_AUTH },
	{ POST, "/api/messages/delete", web_api_delete, WEB_R_AUTH },
	{ GET, "/api/search", web_api_search, WEB_R_AUTH },
	{ GET, "/api/contacts", web_api_contacts, WEB_R_AUTH },
	{ POST, "/api/drafts", web_api_draft, WEB_R_AUTH },
	{ POST, "/api/send", web_api_send, WEB_R_AUTH },
	{ POST, "/api/uploads", web_api_upload, WEB_R_AUTH },
	{ DELETE, "/api/uploads/:id", web_api_upload_delete, WEB_R_AUTH },
	{ GET, "/api/events", web_api_events, WEB_R_AUTH },
	{ 0, NULL, NULL, 0 },
};

const char *
web_cookie_name(bool is_tls)
{
	/* RFC 6265bis 4.1.3.2: a __Host- cookie is Secure, host-only and
	 * for Path=/; browsers refuse it otherwise. */
	return is_tls ? "__Host-petrel_sid" : "petrel_sid";
}

json_t *
web_req_json(struct web_req *r)
{
	const char *ct;
	json_error_t err;
	json_t *obj;
	size_t len;

	ct = http_header_get(r->http, "content-type", &len);
	if (ct == NULL || !str_iprefix(ct, len, "application/json")) {
		web_reply_error(r, 415, "expected application/json");
		return NULL;
	}
	obj = json_loadb(r->http->body.data ? r->http->body.data : "",
	    r->http->body.len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		web_reply_error(r, 400, "the body is not a JSON object");
		return NULL;
	}
	return obj;
}

bool
web_req_query(struct web_req *r, const char *name, struct buf *out)
{
	return web_query_get(r->http->query, r->http->querylen, name, out);
}

size_t
web_req_query_uint(struct web_req *r, const char *name, size_t def,
    size_t max)
{
	struct buf b = BUF_INIT;
	const char *errstr = NULL;
	size_t v = def;

	if (web_req_query(r, name, &b) && b.len > 0) {
		v = (size_t)str_to_uint(buf_cstr(&b), 0, max, &errstr);
		if (errstr != NULL)
			v = def;
	}
	buf_free(&b);
	return v;
}

uint32_t *
web_req_uids(struct web_req *r, json_t *body, size_t *n_out)
{
	json_t *a = json_object_get(body, "uids"), *v;
	uint32_t *uids;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > 100000) {
		web_reply_error(r, 400, "expected {\"uids\": [...]}");
		return NULL;
	}
	uids = xcalloc(json_array_size(a), sizeof(*uids));
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > UINT32_MAX) {
			free(uids);
			web_reply_error(r, 400, "bad uid");
			return NULL;
		}
		uids[i] = (uint32_t)json_integer_value(v);
	}
	*n_out = json_array_size(a);
	return uids;
}

static void
set_cookie(struct web_req *r, const char *value, bool is_clear)
{
	web_reply_header(r, "Set-Cookie", "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s%s", web_cookie_name(r->is_tls), value,
	    r->is_tls ? "; Secure" : "", is_clear ? "; Max-Age=0" : "");
}

struct login_job {
	struct web_req		*r;
	char			 user[STORE_ADDR_MAX];
	char			*password;
	struct store_user	 account;
	int			 result;
};

static void
login_work(void *arg)
{
	struct login_job *j = arg;

	j->result = store_user_check_password(j->r->srv->store, j->user,
	    j->password, &j->account);
}

static void
login_refused(struct web_req *r)
{
	web_reply_error(r, 401, "wrong address or password");
}

static void
login_ok(struct web_req *r, const struct store_user *u)
{
	struct web_login l;
	const char *v, *old;
	size_t len, oldlen;

	/* Rotation: the id the browser came with is never reused. */
	v = http_header_get(r->http, "cookie", &len);
	if (v != NULL && web_cookie_get(v, len, web_cookie_name(r->is_tls),
	    &old, &oldlen))
		web_sessions_remove(r->srv->sessions, old, oldlen);
	web_sessions_create(r->srv->sessions, u->id, u->address, time(NULL),
	    &l);
	set_cookie(r, l.id, false);
	log_info("web session=%s event=login user=%s client=%s",
	    r->session->id, u->address, r->peer_host);
	web_reply_json(r, 200, json_pack("{s:s, s:s}", "user", u->address,
	    "csrf", l.csrf));
	explicit_bzero(&l, sizeof(l));
}

static void
login_done(void *arg)
{
	struct login_job *j = arg;
	struct web_req *r = j->r;
	bool is_ok = j->result == 1;
	unsigned delay;

	explicit_bzero(j->password, strlen(j->password));
	free(j->password);
	if (!web_req_resume(r)) {
		free(j);
		return;
	}
	if (is_ok) {
		auth_throttle_outcome(r->peer, j->user, true);
		login_ok(r, &j->account);
	} else if (j->result < 0)
		web_reply_error(r, 500, "cannot check the password now");
	else {
		/* Counted with the other protocols' failures. */
		auth_throttle_outcome(r->peer, j->user, false);
		delay = auth_throttle_delay(r->peer);
		if (delay < r->srv->login_delay)
			delay = r->srv->login_delay;
		log_info("web session=%s event=login-failed user=%s client=%s "
		    "delay=%u", r->session->id, j->user, r->peer_host, delay);
		web_req_after(r, delay, login_refused);
	}
	free(j);
}

/* Addresses go into log lines: no blanks, controls or quotes. */
static bool
is_printable(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '"')
			return false;
	return true;
}

static void
api_login(struct web_req *r)
{
	json_t *body = web_req_json(r);
	const char *user = NULL, *password = NULL;
	struct login_job *j;
	unsigned wait;

	if (body == NULL)
		return;
	if (json_unpack(body, "{s:s, s:s}", "user", &user, "password",
	    &password) != 0 || !is_printable(user) ||
	    strlen(user) >= STORE_ADDR_MAX || password[0] == '\0') {
		json_decref(body);
		web_reply_error(r, 400, "expected {\"user\", \"password\"}");
		return;
	}
	if ((wait = auth_throttle_wait(r->peer, user)) > 0) {
		log_info("web session=%s event=login-throttled user=%s "
		    "client=%s", r->session->id, user, r->peer_host);
		json_decref(body);
		web_reply_header(r, "Retry-After", "%u", wait);
		web_reply_error(r, 429, "too many failed sign-ins, try later");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->r = r;
	str_copy(j->user, user, sizeof(j->user));
	j->password = xstrdup(password);
	json_decref(body);
	web_req_suspend(r);
	iopool_submit(r->srv->pool, web_req_base(r), login_work, login_done,
	    j);
}

static void
api_logout(struct web_req *r)
{
	web_sessions_remove(r->srv->sessions, r->login.id,
	    strlen(r->login.id));
	set_cookie(r, "", true);
	log_info("web session=%s event=logout user=%s", r->session->id,
	    r->login.address);
	web_reply(r, 204, NULL, NULL, 0);
}

static void
api_session(struct web_req *r)
{
	web_reply_json(r, 200, json_pack("{s:s, s:s}", "user",
	    r->login.address, "csrf", r->login.csrf));
}
