/* IMAP server internals: the command reader and parser, the session and
 * its states (RFC 3501 3), the selected mailbox's view, and the commands.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_IMAP_INT_H
#define PETREL_IMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/auth.h"
#include "imap.h"
#include "lib/buf.h"
#include "store/store.h"

struct event;

#define IMAP_ID_LEN		12
#define IMAP_DEPTH_MAX		32	/* nested lists in one command */
#define IMAP_ARGS_MAX		100000	/* arguments in one command */
#define IMAP_SMALL_LITERAL	(64 * 1024) /* literals outside APPEND */
#define IMAP_CMD_MAX		(1024 * 1024) /* a command without APPEND */

enum imap_state {
	IMAP_ST_NOAUTH,
	IMAP_ST_AUTH,
	IMAP_ST_SELECTED,
	IMAP_ST_LOGOUT,
};

/* ---- reader.c: assembling one command from lines and literals ------- */

struct imap_reader {
	struct buf	 text;		/* the command, literals inline */
	uint64_t	 lit_left;	/* literal octets still to come */
	uint64_t	 max_literal;	/* for APPEND */
	size_t		 max_line;
};

void	imap_reader_init(struct imap_reader *r, size_t max_line,
	    uint64_t max_literal);
void	imap_reader_fini(struct imap_reader *r);
/* Feed one line without its CRLF. 1: the command is complete in r->text;
 * 0: a literal follows, *lit_out octets, *sync_out when the client waits
 * for "+" (RFC 3501 7.5; not for LITERAL+ "{n+}", RFC 7888); -1: refused
 * (*errstr, and *too_big_out for a literal over the limit); the caller
 * may read the tag from r->text, then calls imap_reader_reset(). */
int	imap_reader_line(struct imap_reader *r, const char *line, size_t len,
	    uint64_t *lit_out, bool *sync_out, bool *too_big_out,
	    const char **errstr);
/* Take literal octets; returns how many were used (<= len). */
size_t	imap_reader_literal(struct imap_reader *r, const char *p, size_t len);
/* Forget a partial command. */
void	imap_reader_reset(struct imap_reader *r);

/* ---- parse.c: arguments (RFC 3501 9) -------------------------------- */

enum imap_arg_type {
	IMAP_ARG_ATOM,		/* includes flags, sets, BODY[...]<..> */
	IMAP_ARG_QUOTED,
	IMAP_ARG_LITERAL,
	IMAP_ARG_NIL,
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type	 type;
	const char		*p;	/* text (unescaped for QUOTED) */
	size_t			 len;
	struct imap_arg		*list;	/* IMAP_ARG_LIST */
	size_t			 n;
	bool			 is_literal8;	/* "~{n}": may hold NUL */
};

struct imap_args {
	struct imap_arg	*v;
	size_t		 n;
	struct buf	 strings;	/* unescaped quoted strings */
};

/* Split "tag SP command" off a command text: 0, or -1 (*errstr). The tag
 * and name point into p; *rest_out is what follows the name. */
int	imap_parse_head(const char *p, size_t len, const char **tag,
	    size_t *tag_len, const char **name, size_t *name_len,
	    size_t *rest_out, const char **errstr);
/* Parse the arguments p[0..len) (after the command name, starting with
 * its space). 1 when done, -1 (*errstr) on bad syntax. Strings may hold
 * any octet but NUL; args point into p and args->strings. */
int	imap_parse_args(const char *p, size_t len, struct imap_args *args,
	    const char **errstr);
void	imap_args_free(struct imap_args *args);
/* An astring or string argument as a NUL-terminated heap string; NULL
 * when arg is a list or has a NUL. */
char	*imap_arg_str(const struct imap_arg *arg);
bool	imap_arg_is_atom(const struct imap_arg *arg, const char *s);
bool	imap_arg_is_string(const struct imap_arg *arg);
/* Whether every quoted string of v (lists included) is UTF-8. */
bool	imap_args_quoted_utf8(const struct imap_arg *v, size_t n);

/* Sequence sets (RFC 3501 9 sequence-set; "*" is star, "$" unsupported). */
struct imap_range {
	uint32_t	lo;
	uint32_t	hi;
};

struct imap_seqset {
	struct imap_range *v;
	size_t		 n;
};

/* Parse p[0..len); "*" stands for star. Ranges are normalized (lo <= hi),
 * sorted and merged. 0 or -1. */
int	imap_seqset_parse(const char *p, size_t len, uint32_t star,
	    struct imap_seqset *out);
bool	imap_seqset_has(const struct imap_seqset *set, uint32_t n);
void	imap_seqset_free(struct imap_seqset *set);
/* Append "1:3,7" for the sorted array v[0..n). */
void	imap_seqset_write(const uint32_t *v, size_t n, struct buf *out);

/* ---- mutf7.c: modified UTF-7 mailbox names (RFC 3501 5.1.3) --------- */

/* Decode a modified UTF-7 name to UTF-8: 0, or -1 when malformed. */
int	imap_mutf7_decode(const char *p, size_t len, struct buf *out);
/* Encode a UTF-8 name: 0, or -1 when not valid UTF-8. */
int	imap_mutf7_encode(const char *p, size_t len, struct buf *out);

/* ---- The session ----------------------------------------------------- */

struct imap_session;
struct imap_cmd;

enum cmd_result {
	CMD_DONE,		/* replied; read the next command */
	CMD_AGAIN,		/* call again when output drains */
	CMD_WAIT,		/* a callback calls imap_cmd_finish() */
};

typedef enum cmd_result imap_cmd_fn(struct imap_cmd *);

/* Command flags. */
#define CMD_F_NOEXPUNGE	0x01	/* no EXPUNGE responses (RFC 3501 7.4.1) */
#define CMD_F_UID	0x02	/* has a UID form */

struct imap_cmd {
	struct imap_session	*session;
	char			*tag;
	char			 name[32];	/* uppercase */
	bool			 is_uid;
	unsigned		 flags;
	struct imap_args	 args;
	struct buf		 text;		/* what args point into */
	imap_cmd_fn		*fn;
	void			*state;		/* the handler's */
	void			(*state_free)(void *);
};

/* A \Recent range of UIDs [lo, hi). */
struct imap_recent {
	uint32_t	lo;
	uint32_t	hi;
};

/* The selected mailbox as this session knows it (RFC 3501 2.3.1.2). */
struct imap_view {
	struct store_mailbox	 mb;
	bool			 is_readonly;	/* EXAMINE */
	uint32_t		*uids;		/* msn - 1 -> uid */
	size_t			 n;
	size_t			 cap;
	uint32_t		 uidnext;	/* as last reported */
	uint64_t		 modseq;	/* changes up to it reported */
	struct imap_recent	 recent[4];
	size_t			 n_recent;
	size_t			 n_keywords;	/* in the last FLAGS */
	bool			 has_expunges;	/* maybe some to report */
	uint32_t		 indexed_below;	/* UIDs under it are in the
						 * parse cache and text index */
	uint32_t		*saved;		/* SEARCH RETURN (SAVE) UIDs,
						 * ascending (RFC 5182) */
	size_t			 n_saved;
};

struct imap_session {
	const struct imap_server *srv;
	struct conn		*conn;
	enum imap_state		 state;
	char			 id[IMAP_ID_LEN + 1];
	unsigned		 errors;
	bool			 is_gone;	/* ended while a job ran */
	bool			 is_job_pending;
	bool			 is_busy;	/* a command is running */
	bool			 is_idle;	/* IDLE waits for DONE */
	bool			 is_closing;
	bool			 is_in_input;	/* on_input() runs */
	bool			 has_condstore;	/* enabled (RFC 7162 3.1) */
	bool			 has_utf8;	/* UTF8=ACCEPT (RFC 6855) */
	bool			 has_rev2;	/* IMAP4rev2 enabled */
	bool			 has_qresync;	/* enabled (RFC 7162 3.2.3) */
	bool			 has_user_slot;
	uint64_t		 lit_skip;	/* literal octets to drop */
	struct imap_reader	 rd;
	struct imap_cmd		*cmd;		/* the running command */
	struct auth_sasl	*sasl;		/* AUTHENTICATE in progress */
	struct event		*delay_ev;
	struct store_watch	*watch;
	struct store_user	 account;
	struct imap_view	*view;		/* when SELECTED */
};

/* session.c */
void	imap_reply_tagged(struct imap_cmd *cmd, const char *status,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define imap_reply_ok(cmd, ...)	imap_reply_tagged(cmd, "OK", __VA_ARGS__)
#define imap_reply_no(cmd, ...)	imap_reply_tagged(cmd, "NO", __VA_ARGS__)
/* A BAD reply, counted: too many end the session. */
void	imap_reply_bad(struct imap_cmd *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	imap_untagged(struct imap_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	imap_write(struct imap_session *s, const void *p, size_t len);
void	imap_session_close(struct imap_session *s);
/* A CMD_WAIT command is over: free it and read the next. */
void	imap_cmd_finish(struct imap_cmd *cmd);
/* A CMD_WAIT command's job is done and it has more to do: run its
 * handler again (cmd->state holds where it was). */
void	imap_cmd_resume(struct imap_cmd *cmd);
/* Wait for an iopool job; false when the session ended meanwhile (the
 * caller then only frees its job: imap_job_done() took care). */
void	imap_job_start(struct imap_session *s);
bool	imap_job_done(struct imap_session *s);
void	imap_session_set_state(struct imap_session *s, enum imap_state st);
/* Start reading IDLE's DONE (cmd_idle.c calls it). */
void	imap_session_idle(struct imap_session *s, bool is_on);
/* A line read while IDLE runs (cmd_idle.c). */
void	imap_cmd_idle_line(struct imap_session *s, const char *line,
	    size_t len);

/* cmd.c */
/* The handler for a command name (uppercase) in state, or NULL with
 * *errstr. Sets *flags_out. */
imap_cmd_fn *imap_cmd_find(const char *name, enum imap_state state,
	    bool is_uid, unsigned *flags_out, const char **errstr);

/* capability.c */
void	imap_capability_write(struct imap_session *s, struct buf *out);

/* login.c */
bool	imap_plaintext_allowed(struct imap_session *s);
void	imap_login_start(struct imap_cmd *cmd, const char *user,
	    const char *password);
void	imap_sasl_response(struct imap_session *s, const char *line,
	    size_t len);
void	imap_login_fini(struct imap_session *s);

/* view.c: the selected mailbox */
int	imap_view_open(struct imap_session *s, const char *name,
	    bool is_readonly, struct imap_cmd *cmd);
void	imap_view_close(struct imap_session *s);
/* Report what changed since the last report (RFC 3501 7.3.1, 7.4.1):
 * EXPUNGE (when can_expunge), EXISTS, RECENT and FETCH FLAGS. */
void	imap_view_sync(struct imap_session *s, bool can_expunge);
/* msn of uid, 0 when not in the view. */
uint32_t imap_view_msn(const struct imap_view *v, uint32_t uid);
bool	imap_view_is_recent(const struct imap_view *v, uint32_t uid);
/* The session speaks UTF-8 once IMAP4rev2 or UTF8=ACCEPT is enabled:
 * mailbox names in UTF-8, not modified UTF-7 (RFC 9051 5.1, RFC 6855 3),
 * and APPEND takes 8-bit header fields (RFC 6855 4). */
static inline bool
imap_is_utf8(const struct imap_session *s)
{
	return s->has_rev2 || s->has_utf8;
}
/* Whether FLAGS for uid list \Recent to this session (not in rev2). */
bool	imap_view_shows_recent(const struct imap_session *s, uint32_t uid);
/* The UIDs a set names (msns, or UIDs with is_uid; "$" the saved
 * result), ascending, as a heap array. -1 when the set is malformed. */
int	imap_view_set(struct imap_session *s, const char *p, size_t len,
	    bool is_uid, uint32_t **uids_out, size_t *n_out);
/* The saved search result "$" (RFC 5182): set it (UIDs, ascending), or
 * get it as a set of UIDs. */
void	imap_view_save(struct imap_view *v, const uint32_t *uids, size_t n);
void	imap_view_saved_seqset(const struct imap_view *v,
	    struct imap_seqset *out);
/* Append "(\Seen kw ...)" (with \Recent when recent). */
void	imap_flags_write(uint32_t flags, const char *keywords,
	    bool is_recent, struct buf *out);
/* Parse a flag list; 0, or -1 for an unknown system flag. Keywords are
 * heap strings in *kw_out (free with store_strings_free). */
int	imap_flags_parse(const struct imap_arg *list, uint32_t *flags_out,
	    char ***kw_out, size_t *n_kw_out);
/* Mailbox names: the client's form (modified UTF-7, or UTF-8 after
 * ENABLE UTF8=ACCEPT) to the store's UTF-8, and back. */
char	*imap_mailbox_from_client(struct imap_session *s,
	    const struct imap_arg *arg);
void	imap_mailbox_to_client(struct imap_session *s, const char *name,
	    struct buf *out);

/* fetch.c: FETCH items (RFC 3501 6.4.5) */
enum fetch_kind {
	FETCH_UID,
	FETCH_FLAGS,
	FETCH_INTERNALDATE,
	FETCH_SIZE,
	FETCH_ENVELOPE,
	FETCH_BODY,
	FETCH_BODYSTRUCTURE,
	FETCH_MODSEQ,
	FETCH_SECTION,		/* BODY[...], RFC822, RFC822.HEADER/TEXT */
	FETCH_BINARY,		/* BINARY[...] (RFC 3516) */
	FETCH_BINARY_SIZE,	/* BINARY.SIZE[...] */
};

enum fetch_sec {
	SEC_ALL,		/* BODY[] or BODY[1.2] */
	SEC_HEADER,
	SEC_FIELDS,
	SEC_FIELDS_NOT,
	SEC_TEXT,
	SEC_MIME,
};

struct fetch_item {
	enum fetch_kind	 kind;
	char		*label;		/* as answered: "BODY[TEXT]<0>" */
	char		*part;		/* "1.2", "" for the message */
	enum fetch_sec	 sec;
	char		**fields;	/* HEADER.FIELDS names */
	size_t		 n_fields;
	bool		 is_peek;
	bool		 has_partial;
	uint64_t	 p_off;
	uint64_t	 p_len;
};

struct fetch_spec {
	struct fetch_item *v;
	size_t		 n;
	bool		 needs_cache;	/* ENVELOPE, BODY[STRUCTURE] */
	bool		 sets_seen;	/* a non-PEEK body item */
};

/* One message being answered. */
struct fetch_msg {
	const struct store_row *row;
	uint32_t	 msn;
	bool		 is_recent;
	int		 fd;		/* the body file, -1 until needed */
	struct mime_part *tree;		/* its parse, when needed */
	bool		 is_unknown_cte; /* a BINARY item could not decode */
};

/* Parse the item or item list a. 0, or -1 on bad syntax. */
int	imap_fetch_spec_parse(const struct imap_arg *a, struct fetch_spec *fs);
/* Add an item (UID for UID FETCH, MODSEQ for CHANGEDSINCE). */
void	imap_fetch_spec_add(struct fetch_spec *fs, enum fetch_kind kind);
void	imap_fetch_spec_free(struct fetch_spec *fs);
/* Append item it of m to out. 1: a range too big to copy here: the
 * literal's "{n}" CRLF is written and the caller sends octets [*off_out,
 * + *len_out) of m->fd. 0: done. -1: the body cannot be read. */
int	imap_fetch_item_write(struct imap_session *s,
	    const struct fetch_item *it, struct fetch_msg *m, struct buf *out,
	    uint64_t *off_out, uint64_t *len_out);
void	imap_fetch_msg_fini(struct fetch_msg *m);
/* Append v in decimal (no printf: FETCH writes many numbers). */
void	imap_put_uint(struct buf *out, uint64_t v);
/* Helpers shared with fetch_binary.c: a new item (NULL for a repeated
 * simple one), "<off.len>", cutting a range to it, the message's MIME
 * parse (once), reading [off, off+len) of the body file. */
struct fetch_item *imap_fetch_item_new(struct fetch_spec *fs,
	    enum fetch_kind kind);
int	imap_fetch_partial_parse(struct fetch_item *it, const char *p,
	    size_t len);
void	imap_fetch_partial_apply(const struct fetch_item *it, uint64_t *off,
	    uint64_t *len);
int	imap_fetch_msg_parse(struct imap_session *s, struct fetch_msg *m);
int	imap_fetch_file_read(struct fetch_msg *m, uint64_t off, uint64_t len,
	    struct buf *out);

/* fetch_binary.c: BINARY[...]<..>, BINARY.PEEK and BINARY.SIZE. */
int	imap_fetch_binary_parse(struct fetch_spec *fs, const char *p,
	    size_t len, enum fetch_kind kind, bool is_peek);
/* Append the item; 0, or -1 when the body cannot be read. An unknown
 * transfer encoding writes NIL and sets m->is_unknown_cte. */
int	imap_fetch_binary_write(struct imap_session *s,
	    const struct fetch_item *it, struct fetch_msg *m, struct buf *out);

/* cmd_mailbox.c: append "(MESSAGES 3 ...)" for the STATUS items in
 * list. 0, -1 for an unknown item, -2 when the mailbox is gone. */
int	imap_status_write(struct imap_session *s, int64_t mailbox_id,
	    const struct imap_arg *list, struct buf *out);

/* cmd_append.c: an RFC 3501 9 date-time ("17-Jul-1996 02:44:25 -0700")
 * as seconds since the epoch. 0 or -1. */
int	imap_date_time_parse(const char *p, size_t len, time_t *out);

/* qresync.c (RFC 7162 3.2) */
struct imap_qresync {
	uint32_t		 uidvalidity;
	uint64_t		 modseq;
	struct imap_seqset	 known;		/* known-uids */
	bool			 has_known;
};

/* The QRESYNC parameter of SELECT/EXAMINE. 0, or -1 on bad syntax. */
int	imap_qresync_parse(const struct imap_arg *a, struct imap_qresync *q);
void	imap_qresync_free(struct imap_qresync *q);
/* After SELECT's responses: VANISHED (EARLIER) and the FETCHes of what
 * changed since the client's modseq, when its UIDVALIDITY still holds. */
void	imap_qresync_select(struct imap_session *s, struct imap_qresync *q);
/* "* VANISHED (EARLIER) ..." for the UIDs of set gone at or after since
 * (UID FETCH's VANISHED modifier). */
void	imap_vanished_earlier(struct imap_session *s, uint64_t since,
	    const struct imap_seqset *set);
/* "* VANISHED [(EARLIER)] 3:5,9" for the ascending uids (none: nothing). */
void	imap_vanished_write(struct imap_session *s, bool is_earlier,
	    const uint32_t *uids, size_t n);

/* search.c */
struct imap_search;
/* Parse search keys from args[0..n) (RFC 3501 6.4.4). NULL with *errstr
 * on bad syntax. */
struct imap_search *imap_search_parse(struct imap_session *s,
	    const struct imap_arg *args, size_t n, const char **errstr);
void	imap_search_free(struct imap_search *q);
/* Whether the search needs the body files (runs on the pool; after
 * imap_search_prepare(), only for what the text index did not answer),
 * the parse cache, or the text index (BODY or TEXT keys). */
bool	imap_search_needs_body(const struct imap_search *q);
bool	imap_search_needs_cache(const struct imap_search *q);
bool	imap_search_has_text_keys(const struct imap_search *q);
/* The highest MODSEQ a key names (for the ESEARCH/SEARCH MODSEQ). */
bool	imap_search_has_modseq(const struct imap_search *q);
/* Look BODY and TEXT keys up in the store's text index, once every
 * message to search is in the parse cache (blocking: on the pool); keys
 * it cannot answer are left to reading the messages. */
void	imap_search_prepare(struct imap_search *q, struct store *st);
/* Evaluate on one message; msn for sequence-set keys. */
bool	imap_search_match(const struct imap_search *q, struct store *st,
	    const struct store_row *row, uint32_t msn, bool is_recent);

/* Command handlers. */
imap_cmd_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout,
    imap_cmd_starttls, imap_cmd_id, imap_cmd_enable, imap_cmd_login,
    imap_cmd_authenticate, imap_cmd_select, imap_cmd_examine,
    imap_cmd_create, imap_cmd_delete, imap_cmd_rename, imap_cmd_subscribe,
    imap_cmd_unsubscribe, imap_cmd_list, imap_cmd_lsub, imap_cmd_status,
    imap_cmd_namespace, imap_cmd_append, imap_cmd_check, imap_cmd_close,
    imap_cmd_unselect, imap_cmd_expunge, imap_cmd_search, imap_cmd_fetch,
    imap_cmd_store, imap_cmd_copy, imap_cmd_move, imap_cmd_idle;

#endif
