/* Webmail internals: the HTTP/1.1 request parser (RFC 9112), the session
 * that answers requests in order, the router, responses, sign-in sessions
 * with CSRF tokens, multipart/form-data, the HTML sanitiser and the API
 * handlers.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_WEB_INT_H
#define PETREL_WEB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/qp.h"
#include "store/store.h"
#include "web.h"

/* ---- The request parser (http.c) ---------------------------------- */

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
};

#define HTTP_M(m)	(1u << (m))

struct http_header {
	const char	*name;		/* lowercased */
	size_t		 namelen;
	const char	*value;		/* without surrounding blanks */
	size_t		 valuelen;
};

struct http_limits {
	size_t		 max_target;	/* request-target octets (414) */
	size_t		 max_head;	/* request line and fields (431) */
	size_t		 max_headers;	/* field lines (431) */
	uint64_t	 max_body;	/* body octets (413) */
};

struct http_request {
	enum http_method method;
	int		 minor;		/* HTTP/1.minor */
	const char	*target;	/* as sent, origin-form */
	size_t		 targetlen;
	const char	*path;		/* target up to '?', still %-encoded */
	size_t		 pathlen;
	const char	*query;		/* after '?', or NULL */
	size_t		 querylen;
	struct http_header *headers;
	size_t		 nheaders;
	uint64_t	 content_length;
	bool		 is_chunked;
	bool		 keep_alive;
	bool		 expect_continue;
	struct buf	 body;
};

enum http_pstate {
	HTTP_PS_HEAD,
	HTTP_PS_BODY,
	HTTP_PS_CHUNK_SIZE,
	HTTP_PS_CHUNK_DATA,
	HTTP_PS_CHUNK_END,
	HTTP_PS_TRAILER,
	HTTP_PS_DONE,
	HTTP_PS_ERROR,
};

struct http_parser {
	struct http_limits lim;
	enum http_pstate state;
	struct buf	 head;		/* request line and fields */
	size_t		 line_start;	/* offset of the current line */
	struct buf	 line;		/* chunk-size or trailer line */
	size_t		 trailer_len;
	uint64_t	 remaining;	/* body or chunk octets to come */
	struct http_request req;
	int		 status;	/* on error: 400, 413, 414 ... */
	const char	*errstr;	/* on error: a static string */
};

/* Limits used when lim is NULL: targets of 8 KiB, heads of 32 KiB with
 * 100 fields, bodies of 1 MiB. */
void	 http_limits_default(struct http_limits *lim);
void	 http_parser_init(struct http_parser *p, const struct http_limits *lim);
void	 http_parser_fini(struct http_parser *p);
/* Forget the request just parsed and wait for the next one. */
void	 http_parser_reset(struct http_parser *p);
/* Feed len bytes of input. Returns 1 when a whole request (with its body)
 * is in p->req, 0 when more input is needed, -1 when the input is not a
 * request we take (p->status and p->errstr say why; the connection must
 * close after the error reply). *used_out tells how many bytes of data
 * were taken: after a 1 the rest belongs to the next request. */
int	 http_parser_feed(struct http_parser *p, const char *data, size_t len,
	    size_t *used_out);
/* True once the request line and fields of the request are parsed. */
bool	 http_parser_has_head(const struct http_parser *p);
/* The first field named name (lowercase), or NULL; *len_out its length. */
const char *http_header_get(const struct http_request *r, const char *name,
	    size_t *len_out);
const char *http_method_name(enum http_method m);
/* The reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);

/* ---- Small helpers (util.c) --------------------------------------- */

/* Decode %XX escapes of p[0..len) into out; with is_form, '+' is a space.
 * Returns false on a bad escape or a decoded NUL. */
bool	 web_url_decode(const char *p, size_t len, bool is_form,
	    struct buf *out);
/* Append p[0..len) %-encoded for a URL path segment. */
void	 web_url_encode(const char *p, size_t len, struct buf *out);
/* The value of parameter name in a query string (form encoding), decoded
 * into out; false when absent or badly encoded. */
bool	 web_query_get(const char *q, size_t qlen, const char *name,
	    struct buf *out);
/* The value of cookie name in a Cookie field (RFC 6265 5.4); false when
 * absent. */
bool	 web_cookie_get(const char *p, size_t len, const char *name,
	    const char **val_out, size_t *vlen_out);
/* Append p[0..len) with & < > " ' as character references. */
void	 web_html_escape(const char *p, size_t len, struct buf *out);

/* ---- Sign-in sessions and CSRF tokens (auth.c) -------------------- */

#define WEB_TOKEN_LEN	64	/* hex digits: 32 random octets */

struct web_login {
	char		 id[WEB_TOKEN_LEN + 1];		/* the cookie */
	char		 csrf[WEB_TOKEN_LEN + 1];	/* X-CSRF-Token */
	int64_t		 user_id;
	char		 address[STORE_ADDR_MAX];
	time_t		 created;
	time_t		 last_seen;
};

/* Start a session for the user, with a new id and CSRF token from the
 * CSPRNG; *out is a copy. */
void	 web_sessions_create(struct web_sessions *t, int64_t user_id,
	    const char *address, time_t now, struct web_login *out);
/* Find the session with cookie value id[0..len), touch it and copy it to
 * *out: 1, or 0 when unknown or expired (an expired one is removed). */
int	 web_sessions_find(struct web_sessions *t, const char *id, size_t len,
	    time_t now, struct web_login *out);
/* End a session; unknown ids are ignored. */
void	 web_sessions_remove(struct web_sessions *t, const char *id,
	    size_t len);
/* Sessions in the table. */
size_t	 web_sessions_count(struct web_sessions *t);
/* Attachments uploaded for a message being written live with the session
 * that uploaded them, at most max_total octets together. Add a copy of
 * data[0..len): true with the upload's id in id_out (WEB_UPLOAD_ID_LEN + 1
 * octets); false when the session is gone or the limit is reached. */
#define WEB_UPLOAD_ID_LEN	16
bool	 web_sessions_upload_add(struct web_sessions *t, const char *sid,
	    const char *name, const char *type, const void *data, size_t len,
	    size_t max_total, char *id_out);
/* Drop one; false when there is no such upload of this session. */
bool	 web_sessions_upload_del(struct web_sessions *t, const char *sid,
	    const char *id);
/* Append a copy of one upload's octets, name and type; false when there
 * is no such upload of this session. */
bool	 web_sessions_upload_get(struct web_sessions *t, const char *sid,
	    const char *id, struct buf *data, struct buf *name,
	    struct buf *type);
/* True when token[0..len) is the session's CSRF token (constant time). */
bool	 web_csrf_check(const struct web_login *l, const char *token,
	    size_t len);

/* ---- multipart/form-data (multipart.c, RFC 7578) ------------------ */

struct web_formpart {
	char		*name;		/* form field name */
	char		*filename;	/* or NULL for a plain field */
	char		*type;		/* Content-Type, or NULL */
	const char	*data;		/* points into the body */
	size_t		 len;
};

struct web_form {
	struct web_formpart *v;
	size_t		 n;
};

/* Split body[0..len) with the boundary taken from the Content-Type value
 * ctype. At most max_parts parts. 0, or -1 with *errstr set when the body
 * is not well-formed multipart/form-data. web_form_free() after both. */
int	 web_form_parse(const char *ctype, size_t ctlen, const char *body,
	    size_t len, size_t max_parts, struct web_form *out,
	    const char **errstr);
void	 web_form_free(struct web_form *f);

/* ---- The HTML sanitiser (sanitize.c, sanitize_css.c) -------------- */

/* Map a cid: reference (RFC 2392, without "cid:", still %-encoded) to
 * the URL of the part that holds it; append it to out and return true,
 * or false when no part has that Content-ID. */
typedef bool web_cid_fn(const char *cid, size_t len, struct buf *out,
	    void *arg);

struct web_sanitize_opts {
	bool		 allow_remote;	/* keep http(s) image sources */
	web_cid_fn	*cid;		/* NULL: cid: images are dropped */
	void		*cid_arg;
};

struct web_sanitize_result {
	unsigned	 remote_blocked;	/* images held back */
	unsigned	 removed;		/* elements and attributes cut */
};

/* Parse html[0..len) (UTF-8) as a browser would (HTML5 tree building,
 * gumbo) and append to out a complete document holding only allowed
 * elements, attributes, URLs and CSS. res may be NULL. */
void	 web_sanitize_html(const char *html, size_t len,
	    const struct web_sanitize_opts *opts, struct buf *out,
	    struct web_sanitize_result *res);
/* Append the declarations of a style attribute that pass the CSS
 * allow-list; returns the number dropped. */
unsigned web_sanitize_style(const char *p, size_t len, struct buf *out);
/* True when the stylesheet text p[0..len) holds nothing that could load,
 * run or escape (url(), @import, expression(), escapes, "<"). */
bool	 web_css_sheet_is_safe(const char *p, size_t len);
/* Append a URL for href if it is http, https or mailto once the blanks
 * and control characters a browser would strip are gone; false (out
 * unchanged) otherwise. */
bool	 web_url_is_safe_link(const char *p, size_t len, struct buf *out);

/* ---- Sessions, routing and responses (session.c, route.c, reply.c) - */

#define WEB_MAX_PARAMS	4

struct web_session;
struct web_req;

typedef void web_handler_fn(struct web_req *r);

/* Route flags. */
#define WEB_R_AUTH	0x01	/* needs a signed-in session */
#define WEB_R_LOGIN	0x02	/* the sign-in itself */

struct web_route {
	unsigned	 methods;	/* HTTP_M() bits */
	const char	*pattern;	/* "/api/folders/:folder/messages" */
	web_handler_fn	*fn;
	unsigned	 flags;
};

/* The one request being answered on a session. */
struct web_req {
	struct web_session	*session;
	const struct web_server	*srv;
	struct http_request	*http;
	char			*params[WEB_MAX_PARAMS];	/* decoded */
	size_t			 nparams;
	struct web_login	 login;		/* when signed in */
	bool			 is_signed_in;
	bool			 is_tls;
	const char		*peer_host;
	const struct sockaddr	*peer;
	/* The response being built. */
	struct buf		 headers;	/* extra "Name: value\r\n" */
	const char		*csp;		/* NULL: the app's policy */
	const char		*cache;		/* NULL: no-store */
	bool			 is_frameable;	/* same-origin frames only */
	bool			 is_done;
	bool			 is_async;	/* a job will reply later */
};

enum web_route_match {
	WEB_ROUTE_FOUND,
	WEB_ROUTE_NO_PATH,		/* 404 */
	WEB_ROUTE_NO_METHOD,		/* 405 */
};

/* Match method and the raw path path[0..len) against the table; on
 * FOUND, *route_out and the decoded parameters are set (heap strings,
 * freed with web_params_free()); on NO_METHOD, *allow_out has the methods
 * the path takes. */
enum web_route_match web_route_find(const struct web_route *table,
	    enum http_method method, const char *path, size_t len,
	    const struct web_route **route_out, char **params, size_t *nparams,
	    unsigned *allow_out);
void	 web_params_free(char **params, size_t n);
/* The API's table. */
extern const struct web_route web_api_routes[];

/* Add a header field to the response being built. */
void	 web_reply_header(struct web_req *r, const char *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Send a whole response; the request is then answered. */
void	 web_reply(struct web_req *r, int status, const char *ctype,
	    const void *body, size_t len);
/* Send obj (whose reference is taken) as application/json. */
void	 web_reply_json(struct web_req *r, int status, json_t *obj);
/* A JSON error {"error": text} (text only, for requests outside /api). */
void	 web_reply_error(struct web_req *r, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* A body streamed from a file with flow control: len octets at off,
 * decoded with cte on the way (MIME_CTE_* from mime.h; 7bit/8bit/binary
 * pass through). Takes fd. The length is sent when known (no decoding),
 * else the body is chunked (HTTP/1.1) or ends with the connection. */
void	 web_reply_stream(struct web_req *r, int status, const char *ctype,
	    int fd, uint64_t off, uint64_t len, int cte);
/* Hold the request for a pool job; the job's done callback must start
 * with web_req_resume(), and stop when it returns false (the connection
 * went away; the session is already freed). */
void	 web_req_suspend(struct web_req *r);
bool	 web_req_resume(struct web_req *r);
/* Call fn(r) after seconds on the request's loop (a failed sign-in's
 * delay); nothing happens if the connection ends first. */
void	 web_req_after(struct web_req *r, unsigned seconds,
	    web_handler_fn *fn);
/* Call fn(r) on the request's loop soon after the signed-in user's mail
 * changes (store_watch_new()), or after seconds; nothing happens if the
 * connection ends first. */
void	 web_req_watch(struct web_req *r, unsigned seconds,
	    web_handler_fn *fn);
/* The loop of the connection, for pool jobs. */
struct event_base *web_req_base(struct web_req *r);

/* Run work(arg) on the I/O pool (blocking store calls), then done(r, arg)
 * on the request's loop, which replies; when the connection went away
 * meanwhile done gets r NULL and only frees arg (job.c). */
typedef void web_job_fn(void *arg);
typedef void web_job_done_fn(struct web_req *r, void *arg);
void	 web_req_run(struct web_req *r, web_job_fn *work,
	    web_job_done_fn *done, void *arg);

/* ---- The connection (session.c) and responses (reply.c) ----------- */

enum web_state {
	WEB_ST_READ,		/* reading and parsing requests */
	WEB_ST_BUSY,		/* a handler, job or timer has the request */
	WEB_ST_STREAM,		/* sending a body from a file */
	WEB_ST_DONE,		/* closing */
};

struct web_stream {
	int		 fd;
	uint64_t	 off;
	uint64_t	 left;
	int		 cte;		/* MIME_CTE_* */
	bool		 is_chunked;	/* chunked transfer coding out */
	struct b64_dec	 b64;
	struct qp_dec	 qp;
};

struct web_session {
	const struct web_server	*srv;
	struct conn		*conn;
	enum web_state		 state;
	char			 id[13];
	struct http_parser	 parser;
	struct buf		 in;		/* read, not yet parsed */
	struct web_req		 req;
	struct web_stream	 stream;
	struct event		*timer;
	web_handler_fn		*timer_fn;
	struct store_watch	*watch;		/* GET /api/events waits */
	web_handler_fn		*watch_fn;
	unsigned		 nrequests;
	bool			 has_job;	/* a pool job holds us */
	bool			 is_gone;	/* connection ended meanwhile */
	bool			 is_pumping;
	bool			 is_draining;	/* waiting for output room */
	bool			 must_close;	/* after this response */
};

/* The response is all queued: go on with the next request or close. */
void	 web_session_finish(struct web_session *s);
/* Write the status line and fields of the response for r; length < 0
 * means none is sent (chunked or close-delimited). */
void	 web_reply_head(struct web_req *r, int status, const char *ctype,
	    int64_t length);
/* Queue more of a stream; the session calls it when output drains. */
void	 web_stream_more(struct web_session *s);

/* The static files of the browser app under srv->root (static.c). */
void	 web_static_serve(struct web_req *r);
/* The Content-Type for a file name, by extension. */
const char *web_static_type(const char *name, size_t len);

/* ---- Messages for the API (msg.c) --------------------------------- */

struct mime_part;

struct web_msg {
	struct store_mailbox	 mbox;
	struct store_msg	 msg;
	int			 fd;
	struct mime_part	*root;	/* when parsed */
};

/* The signed-in user's folder by name: 1, or 0 / -1 after a 404 / 500
 * reply. */
int	 web_folder_open(struct web_req *r, const char *folder,
	    struct store_mailbox *mb);
/* The user's message uid (decimal text) in folder, opened and, with
 * parse, its MIME tree built: 1, or 0 / -1 after a 404 / 500 reply.
 * Release with web_msg_close(). */
int	 web_msg_open(struct web_req *r, const char *folder, const char *uid,
	    bool parse, struct web_msg *m);
void	 web_msg_close(struct web_msg *m);
/* Append len octets of the stored message at off; false on a short read. */
bool	 web_msg_read(const struct web_msg *m, uint64_t off, size_t len,
	    struct buf *out);
/* Append the body of a text part decoded and in UTF-8, at most max
 * encoded octets of it. */
bool	 web_msg_text(const struct web_msg *m, const struct mime_part *p,
	    size_t max, struct buf *out);
/* The first text/plain and text/html parts meant for reading. */
void	 web_msg_pick(struct mime_part *root, struct mime_part **text,
	    struct mime_part **html);
/* An attachment: not a container, not inline text. */
bool	 web_part_is_attachment(const struct mime_part *p);
const char *web_part_filename(const struct mime_part *p);
/* Part ids: "0" for the root, then 1-based child numbers: "0.2.1". */
void	 web_part_id(const struct mime_part *p, struct buf *out);
struct mime_part *web_part_find(struct mime_part *root, const char *id);
/* The MIME tree of the message at fd, or NULL when unreadable. */
struct mime_part *web_msg_parse_fd(int fd);
/* Append the value of field name of the header head[0..len), unfolded
 * and, with decode, its encoded words decoded; false when absent. */
bool	 web_hdr_get(const char *head, size_t len, const char *name,
	    bool decode, struct buf *out);
/* Append the list entry of a message as a JSON object: uid, date, size,
 * flags, and subject, from, to ({"address", "name"} of the first
 * mailbox, or {}) and has_attachments from its cached header; folder
 * too when not NULL (row.c). */
void	 web_row_write(struct buf *out, const struct store_row *row,
	    const char *folder);
/* The same as a JSON object. */
json_t	*web_row_json(const struct store_row *row, const char *folder);
/* Append p[0..len) as a JSON string (UTF-8, ill-formed sequences
 * replaced, quotes, backslashes and controls escaped). */
void	 web_json_write_str(struct buf *out, const char *p, size_t len);
/* Free the heap fields of one row taken out of a store_rows_get()
 * array (whose slot was then zeroed). */
void	 web_row_fini(struct store_row *row);
/* Flags by name ("seen", "flagged", "answered", "draft", "deleted") to
 * STORE_F_* bits; false on an unknown name (row.c). */
bool	 web_flags_parse(json_t *names, uint32_t *flags_out);
json_t	*web_flags_json(uint32_t flags);
/* The mailboxes of an address field as [{"name", "address"}]. */
json_t	*web_addr_list_json(const char *v, size_t len);
/* A JSON string of p[0..len) with ill-formed UTF-8 replaced. */
json_t	*web_json_str(const char *p, size_t len);

/* ---- Folder views (view.c) ---------------------------------------- */

/* The counts of folder mb (total, without \Seen), cached for the state
 * mb was read in (store_mailbox_lookup()). 0 or -1. */
int	 web_view_counts(struct web_views *vs, struct store *st,
	    const struct store_mailbox *mb, uint32_t *total_out,
	    uint32_t *unseen_out);
/* The messages [offset, offset + limit) of folder mb newest first
 * (internal date, then UID), with the parse cache; the order is cached
 * for mb's state. A heap array freed with store_rows_free(). 0 or -1. */
int	 web_view_page(struct web_views *vs, struct store *st,
	    const struct store_mailbox *mb, size_t offset, size_t limit,
	    struct store_row **rows_out, size_t *n_out);

/* One page of a folder's conversations (web_view_threads()). */
struct web_thread_page {
	struct store_row *rows;		/* the threads' messages, thread
					 * after thread, in arrival order */
	size_t		 nrows;
	size_t		*start;		/* thread i: rows[start[i]] up to
					 * rows[start[i + 1]] */
	size_t		 nthreads;	/* on this page */
	size_t		 total;		/* in the folder */
};

/* Threads [offset, offset + limit) of folder mb, newest activity first
 * (thread.c), the grouping cached for mb's state: 0, or -1. Release with
 * web_thread_page_free(). */
int	 web_view_threads(struct web_views *vs, struct store *st,
	    const struct store_mailbox *mb, size_t offset, size_t limit,
	    struct web_thread_page *page);
void	 web_thread_page_free(struct web_thread_page *page);

/* ---- Conversations (thread.c) and the search query (search.c) ----- */

/* The threads of n messages given in arrival (UID) order: roots[] holds
 * each thread's first message, newest activity first; from a root,
 * next[] links the thread's messages in arrival order up to SIZE_MAX. */
struct web_threads {
	size_t		 n;
	size_t		*parent;	/* union-find over the messages */
	size_t		*next;
	size_t		*roots;
	size_t		 nthreads;
};

/* Group rows[0..n) (their cached header and internal date) into
 * threads; release with web_threads_free(). */
void	 web_threads_build(const struct store_row *rows, size_t n,
	    struct web_threads *t);
void	 web_threads_free(struct web_threads *t);
/* Append subject s without leading "Re:", "Fwd:", "Fw:", "Aw:" (any
 * case, repeated, blanks between); true when one was removed. */
bool	 web_subject_base(const char *s, struct buf *out);

#define WEB_SEARCH_TERMS_MAX	16

/* The fields a search word is looked for in. */
#define WEB_SF_FROM	0x01
#define WEB_SF_TO	0x02	/* To and Cc */
#define WEB_SF_SUBJECT	0x04
#define WEB_SF_BODY	0x08	/* the decoded text and HTML parts */
#define WEB_SF_ALL	0x0f

struct web_search_term {
	char		*word;		/* heap */
	unsigned	 fields;	/* WEB_SF_* */
};

struct web_search {
	struct web_search_term terms[WEB_SEARCH_TERMS_MAX];
	size_t		 n;
};

/* The WEB_SF_* bit of a field name ("from", "to", "subject", "body"; any
 * case), or 0 for another name. */
unsigned web_search_field(const char *name);
/* Split q at blanks into at most WEB_SEARCH_TERMS_MAX words; a word
 * "from:x" is x in From only (likewise to:, subject:, body:), others are
 * looked for in def. Returns the number of words; release with
 * web_search_free(). */
size_t	 web_search_parse(const char *q, unsigned def, struct web_search *s);
void	 web_search_free(struct web_search *s);
/* Append the decoded text of the message a search looks at for body
 * words; called at most once per message, and only when needed. */
typedef void web_search_body_fn(void *arg, struct buf *out);
/* True when every word of s is in one of its fields of the message with
 * header head[0..len) (case-insensitive). */
bool	 web_search_matches(const struct web_search *s, const char *head,
	    size_t len, web_search_body_fn *body, void *arg);

/* ---- Writing mail (compose.c) ------------------------------------- */

#define WEB_RCPTS_MAX	100	/* recipients of one message */

/* Build the message of a compose body {"to", "cc", "bcc", "subject",
 * "text", "attachments": [upload ids], "in_reply_to": {"message_id",
 * "references"}, "forward": {"folder", "uid"}} from the signed-in user
 * into out (CRLF); Bcc is written only with with_bcc (drafts). 1, or 0 /
 * -1 after a 400 / 500 reply. */
int	 web_compose_build(struct web_req *r, json_t *body, bool with_bcc,
	    struct buf *out);
/* The addr-specs of To, Cc and Bcc as a heap array of heap strings (free
 * with store_strings_free()): 1, or 0 after a 400 reply (none, or more
 * than WEB_RCPTS_MAX). */
int	 web_compose_rcpts(struct web_req *r, json_t *body, char ***rcpts_out,
	    size_t *n_out);

/* The request body as a JSON object, or NULL after a 400/415 reply. The
 * caller releases it with json_decref(). */
json_t	*web_req_json(struct web_req *r);
/* {"uids": [..]} of body as a heap array; NULL after a 400 reply. */
uint32_t *web_req_uids(struct web_req *r, json_t *body, size_t *n_out);
/* Query parameter name as a number in [0, max], def when absent or bad. */
size_t	 web_req_query_uint(struct web_req *r, const char *name, size_t def,
	    size_t max);
/* Query parameter name decoded into out. */
bool	 web_req_query(struct web_req *r, const char *name, struct buf *out);
/* The Set-Cookie value for the session cookie. */
const char *web_cookie_name(bool is_tls);

#endif
