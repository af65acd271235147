/* SMTP server internals: the session, its states and the command table.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_SMTP_INT_H
#define PETREL_SMTP_INT_H

#include "auth/auth.h"
#include "lib/buf.h"
#include "smtp.h"

struct conn;
struct event;
struct queue_msg;
struct store_delivery;

#define SMTP_AUTH_LINE_MAX	12288	/* AUTH lines, RFC 4954 4 */
#define SMTP_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1 */
#define SMTP_DOMAIN_MAX		255	/* RFC 5321 4.5.3.1.2 */
#define SMTP_PATH_MAX		256	/* RFC 5321 4.5.3.1.3 */
#define SMTP_ID_LEN		12	/* hex digits of session/message ids */

/* Where a session stands in the dialogue (RFC 5321 4.1.4). */
enum smtp_state {
	SMTP_ST_GREET,		/* before HELO/EHLO */
	SMTP_ST_READY,		/* greeted, no transaction */
	SMTP_ST_AUTH,		/* reading SASL responses */
	SMTP_ST_AUTH_CHECK,	/* waiting for the password check */
	SMTP_ST_MAIL,		/* MAIL accepted, no recipient yet */
	SMTP_ST_RCPT,		/* at least one recipient */
	SMTP_ST_DATA,		/* receiving the message after DATA */
	SMTP_ST_BDAT,		/* receiving a BDAT chunk */
	SMTP_ST_COMMIT,		/* waiting for the store */
};

/* Why a message being received cannot be accepted. */
enum smtp_data_error {
	SMTP_DATA_OK,
	SMTP_DATA_TOO_BIG,
	SMTP_DATA_LINE_TOO_LONG,
	SMTP_DATA_WRITE_FAILED,
};

/* DSN NOTIFY (RFC 3461 4.1); none set means the default. */
#define SMTP_NOTIFY_NEVER	0x1
#define SMTP_NOTIFY_SUCCESS	0x2
#define SMTP_NOTIFY_FAILURE	0x4
#define SMTP_NOTIFY_DELAY	0x8

#define SMTP_XTEXT_MAX		500	/* ENVID and ORCPT values */

/* A recipient as the client gave it; where its mail goes is in the
 * session's targets. */
/* A final destination of the message: an account here (user_id > 0) or
 * an address elsewhere, reached through the queue. */
struct smtp_target {
	char	 address[SMTP_PATH_MAX + 1];
	int64_t	 user_id;
	unsigned notify;			/* of the RCPT it came from */
	char	 orcpt[SMTP_XTEXT_MAX + 1];
};

struct smtp_rcpt {
	char	 address[SMTP_PATH_MAX + 1];
	unsigned notify;			/* SMTP_NOTIFY_* */
	char	 orcpt[SMTP_XTEXT_MAX + 1];	/* "rfc822;..." as sent */
};

/* A parsed reverse-path or forward-path (RFC 5321 4.1.2). */
struct smtp_path {
	char	 local[SMTP_LOCAL_MAX * 2 + 1];	/* as sent, quotes kept */
	char	 domain[SMTP_DOMAIN_MAX + 1];	/* lowercase */
	bool	 is_null;			/* <> */
};

struct smtp_session {
	const struct smtp_server *srv;
	struct conn		*conn;
	enum smtp_mode		 mode;
	enum smtp_state		 state;
	char			 id[SMTP_ID_LEN + 1];
	char			 helo[SMTP_DOMAIN_MAX + 1];
	bool			 is_esmtp;
	bool			 is_gone;	/* connection ended while busy */
	bool			 is_closing;	/* last reply on its way */
	bool			 is_job_pending; /* an iopool job names us */
	unsigned		 errors;
	unsigned		 commands;

	/* Authentication (RFC 4954). */
	struct auth_sasl	*sasl;		/* while AUTH runs */
	struct event		*auth_delay;	/* a failure's answer waits */
	bool			 is_auth;
	int64_t			 auth_id;
	char			 auth_user[AUTH_USER_MAX];

	/* The transaction and its ESMTP parameters. */
	char			 mail_from[SMTP_PATH_MAX + 1];
	bool			 is_8bitmime;	/* BODY=8BITMIME */
	bool			 is_utf8;	/* SMTPUTF8, RFC 6531 */
	bool			 ret_hdrs;	/* DSN RET=HDRS */
	char			 envid[SMTP_XTEXT_MAX + 1];	/* DSN ENVID */
	struct smtp_rcpt	*rcpts;
	size_t			 nrcpts;
	struct smtp_rcpt	 rcpt_new;	/* RCPT being parsed */
	struct smtp_target	*targets;	/* where the mail goes */
	size_t			 ntargets;
	bool			 has_remote;	/* a target elsewhere */
	char			 msg_id[32];	/* store or queue id */
	struct store_delivery	*delivery;	/* only local targets, or */
	struct queue_msg	*qmsg;		/* some elsewhere: all here */
	struct buf		 data;		/* bytes not yet written */
	uint64_t		 data_size;
	bool			 data_prev_crlf;
	enum smtp_data_error	 data_error;
	int			 data_errno;
	/* Header fields a submission lacks are added (RFC 6409 8). */
	bool			 in_header;
	bool			 has_msgid;
	bool			 has_date;
	struct buf		 hdr_line;	/* the header line so far */
	uint64_t		 bdat_left;	/* of the current chunk */
	bool			 bdat_last;	/* it is the LAST one */
	bool			 bdat_discard;	/* refused: read, then answer */
	enum smtp_state		 bdat_after;	/* state after a refused one */
	int			 bdat_code;
	const char		*bdat_enh;
	const char		*bdat_text;
};

/* A command handler gets the arguments after the verb and its space. */
typedef void smtp_cmd_fn(struct smtp_session *s, const char *args,
	    size_t len);

/* Look up a verb; NULL when unknown. */
smtp_cmd_fn	*smtp_cmd_find(const char *verb, size_t len);

smtp_cmd_fn	 smtp_cmd_helo;
smtp_cmd_fn	 smtp_cmd_ehlo;
smtp_cmd_fn	 smtp_cmd_mail;
smtp_cmd_fn	 smtp_cmd_rcpt;
smtp_cmd_fn	 smtp_cmd_data;
smtp_cmd_fn	 smtp_cmd_bdat;
smtp_cmd_fn	 smtp_cmd_rset;
smtp_cmd_fn	 smtp_cmd_noop;
smtp_cmd_fn	 smtp_cmd_quit;
smtp_cmd_fn	 smtp_cmd_vrfy;
smtp_cmd_fn	 smtp_cmd_help;
smtp_cmd_fn	 smtp_cmd_starttls;
smtp_cmd_fn	 smtp_cmd_auth;

/* Feed a line that answers an AUTH challenge (AUTH state). */
void	smtp_auth_response(struct smtp_session *s, const char *line,
	    size_t len);
/* True when the session may submit mail to other domains. */
bool	smtp_session_is_submission(const struct smtp_session *s);

/* Replies: code, enhanced status code (RFC 3463; NULL for none) and text.
 * smtp_reply_more() writes a continuation line ("250-..."). */
void	smtp_reply(struct smtp_session *s, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	smtp_reply_more(struct smtp_session *s, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Count a bad command; after srv->max_errors the session ends with 421. */
void	smtp_reply_error(struct smtp_session *s, int code, const char *enh,
	    const char *text);

/* Session control used by the handlers. */
void	smtp_session_reset(struct smtp_session *s);
void	smtp_session_close(struct smtp_session *s);
void	smtp_session_pause(struct smtp_session *s);
void	smtp_session_resume(struct smtp_session *s);
/* Feed one line of message data (DATA state). */
void	smtp_data_line(struct smtp_session *s, const char *line, size_t len,
	    bool crlf);
void	smtp_data_too_long(struct smtp_session *s);
/* Take the bytes of a BDAT chunk that have arrived (BDAT state). */
void	smtp_bdat_input(struct smtp_session *s);

/* The message being received, shared by DATA and BDAT (msg.c). begin
 * opens the sink (the store, or the queue when a target is elsewhere) and
 * writes the trace fields (false, and logged, when no sink can take a
 * message now); write adds message bytes and checks the size limit; end
 * refuses the message for a recorded error or commits it and replies once
 * the sink has answered. */
bool	smtp_msg_begin(struct smtp_session *s);
/* True while a message is being received (a sink is open). */
bool	smtp_msg_is_open(const struct smtp_session *s);
void	smtp_msg_write(struct smtp_session *s, const void *p, size_t len);
void	smtp_msg_end(struct smtp_session *s);

/* Parse "<path>" at p (after "FROM:" or "TO:"); on success returns the
 * number of bytes used, else -1 with *errstr set. */
int	smtp_path_parse(const char *p, size_t len, struct smtp_path *out,
	    const char **errstr);
/* Run fn on each space-separated "KEYWORD[=VALUE]" of an ESMTP
 * parameter list; false as soon as fn is (it has replied). */
bool	smtp_params_each(struct smtp_session *s, const char *p, size_t len,
	    bool (*fn)(struct smtp_session *, const char *, size_t));
/* True when the path has non-ASCII octets (RFC 6531). */
bool	smtp_path_is_utf8(const struct smtp_path *path);
/* True when p[0..len) is RFC 3461 xtext. */
bool	smtp_xtext_valid(const char *p, size_t len);
/* Write path as local@domain into out. */
void	smtp_path_str(const struct smtp_path *path, char *out, size_t outlen);

#endif
