/* POP3 server internals: the session and its states (RFC 1939 3).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_POP3_INT_H
#define PETREL_POP3_INT_H

#include <stdint.h>

#include "auth/auth.h"
#include "pop3.h"
#include "store/store.h"

struct event;

#define POP3_LINE_MAX	512	/* RFC 2449 4: 255 octets of arguments */
#define POP3_ID_LEN	12

enum pop3_state {
	POP3_ST_AUTH,		/* AUTHORIZATION */
	POP3_ST_SASL,		/* AUTH: reading SASL responses */
	POP3_ST_TRANS,		/* TRANSACTION */
	POP3_ST_BUSY,		/* waiting for the pool, or sending a body */
	POP3_ST_DONE,		/* closing */
};

/* A body being sent: RETR (lines_left < 0) or TOP. */
struct pop3_stream {
	int		fd;
	bool		at_bol;		/* next byte starts a line */
	bool		in_body;	/* past the header (TOP) */
	size_t		line_len;	/* bytes of the current line so far */
	char		last;		/* last byte of the current line */
	long		lines_left;	/* body lines still to send (TOP) */
};

struct pop3_session {
	const struct pop3_server *srv;
	struct conn		*conn;
	enum pop3_state		 state;
	enum pop3_state		 resume_state;	/* after BUSY */
	char			 id[POP3_ID_LEN + 1];
	unsigned		 errors;
	bool			 is_gone;	/* connection ended while busy */
	bool			 is_job_pending; /* an iopool job names us */
	bool			 has_lock;	/* holds the maildrop */
	struct auth_sasl	*sasl;		/* while AUTH runs */
	struct event		*delay_ev;	/* a failure's answer waits */
	char			 user[STORE_ADDR_MAX];
	struct store_user	 account;
	struct store_mailbox	 mailbox;
	struct store_msg	*msgs;
	bool			*deleted;
	size_t			 nmsgs;
	struct pop3_stream	 stream;
};

typedef void pop3_cmd_fn(struct pop3_session *s, const char *args,
	    size_t len);

/* The handler for a verb allowed in state, or NULL with *errstr saying why
 * (unknown command, or not in this state). */
pop3_cmd_fn	*pop3_cmd_find(const char *verb, size_t len,
		    enum pop3_state state, const char **errstr);

/* Sign-in (login.c). */
pop3_cmd_fn	 pop3_cmd_user;
pop3_cmd_fn	 pop3_cmd_pass;
pop3_cmd_fn	 pop3_cmd_auth;
/* Feed a line that answers an AUTH challenge (SASL state). */
void	pop3_sasl_response(struct pop3_session *s, const char *line,
	    size_t len);
/* USER, PASS and AUTH may be used: under TLS, from loopback, or when the
 * configuration allows plain text anywhere. */
bool	pop3_plaintext_allowed(struct pop3_session *s);
/* Release what sign-in holds: the SASL state, a timer, the lock. */
void	pop3_login_fini(struct pop3_session *s);

void	pop3_reply_ok(struct pop3_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	pop3_reply_err(struct pop3_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* An -ERR for a bad command, counted; too many end the session. */
void	pop3_reply_bad(struct pop3_session *s, const char *text);

void	pop3_session_close(struct pop3_session *s);
/* Wait for a pool job or a stream; pop3_session_done_busy() goes on. */
void	pop3_session_busy(struct pop3_session *s);
void	pop3_session_done_busy(struct pop3_session *s, enum pop3_state next);
/* Send message n (1-based) dot-stuffed: all of it, or the header and the
 * first lines lines of the body when lines >= 0 (TOP). */
void	pop3_stream_start(struct pop3_session *s, size_t n, long lines);

#endif
