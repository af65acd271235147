/* Internals of the mail user agent, `petrel mail`: accounts, a blocking
 * line connection with TLS, and small SMTP submission, IMAP and POP3
 * clients. Only src/cli/mail*.c include this header.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_CLI_MAIL_INT_H
#define PETREL_CLI_MAIL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/ssl.h>

#include "lib/buf.h"

/* ---- Accounts (mail_account.c) ------------------------------------ */

enum mail_tls {
	MAIL_TLS_STARTTLS,		/* the default */
	MAIL_TLS_IMPLICIT,
	MAIL_TLS_NONE,
};

struct mail_server {
	char		*host;		/* NULL: not configured */
	char		*port;
	enum mail_tls	 tls;
};

struct mail_account {
	char		*name;
	struct mail_server imap;
	struct mail_server pop3;
	struct mail_server smtp;
	char		*user;
	char		*from;		/* From address; NULL: user */
	char		*password_command;	/* NULL: prompt */
	char		*ca_file;	/* NULL: the system's store */
	char		*sent;		/* Sent folder; default "Sent" */
};

struct mail_accounts {
	struct mail_account *v;
	size_t		 n;
};

/* Parse accounts.conf text p[0..len): "[name]" sections of "key = value"
 * lines, "#" comments. Keys: imap, pop3, smtp (host:port), imap_tls,
 * pop3_tls, smtp_tls (starttls|implicit|none; "tls" sets all three),
 * user, from,
 * password_command, ca_file, sent. Appends to out (start it zeroed).
 * 0, or -1 with a message "line N: why" appended to err. */
int	 mail_accounts_parse(const char *p, size_t len,
	    struct mail_accounts *out, struct buf *err);
void	 mail_accounts_free(struct mail_accounts *a);
/* The account named name, or the first one when name is NULL; NULL when
 * there is none. */
struct mail_account *mail_accounts_find(struct mail_accounts *a,
	    const char *name);
/* Load ~/.config/petrel/accounts.conf ($PETREL_ACCOUNTS overrides the
 * path). 0, or -1 with the reason printed and out left empty. */
int	 mail_accounts_load(struct mail_accounts *out);
/* The password: the first line printed by password_command, or read from
 * the terminal. A heap string the caller frees, or NULL (reason printed). */
char	*mail_account_password(const struct mail_account *acct);

/* ---- A blocking line connection (mail_conn.c) --------------------- */

struct mail_conn {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	char		*host;
	struct buf	 in;		/* read but not yet consumed */
	bool		 is_eof;
};

/* Connect to srv; implicit TLS is started here, STARTTLS is left to the
 * protocol. NULL with the reason printed. */
struct mail_conn *mail_conn_open(const struct mail_server *srv,
	    const char *ca_file);
void	 mail_conn_free(struct mail_conn *c);
/* Start TLS on an open connection, checking the certificate against
 * ca_file or the system's store and the host name. 0, or -1 printed. */
int	 mail_conn_starttls(struct mail_conn *c, const char *ca_file);
/* Send len bytes. 0, or -1 printed. */
int	 mail_conn_write(struct mail_conn *c, const char *p, size_t len);
int	 mail_conn_printf(struct mail_conn *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Read one line into line (reset first), without its CRLF. 0, or -1
 * printed (end of stream or error). */
int	 mail_conn_line(struct mail_conn *c, struct buf *line);
/* Read exactly n bytes, appended to out. 0, or -1 printed. */
int	 mail_conn_read(struct mail_conn *c, size_t n, struct buf *out);

/* ---- SMTP submission (mail_smtp.c) -------------------------------- */

/* Submit msg from sender to the rcpts (addr-specs) through the account's
 * submission server with AUTH PLAIN. 0, or -1 with the reason printed. */
int	 mail_smtp_send(const struct mail_account *acct, const char *password,
	    const char *sender, char **rcpts, size_t nrcpts,
	    const struct buf *msg);

/* ---- IMAP (mail_imap.c) ------------------------------------------- */

struct mail_imap {
	struct mail_conn *conn;
	unsigned	 tag;
	struct buf	 resp;		/* current response, literals inline */
	unsigned	 exists;	/* from the last SELECT */
};

/* One parsed untagged response item, see mail_imap_cmd(). */
typedef void	 mail_imap_cb(const char *p, size_t len, void *arg);

/* Connect, STARTTLS as configured, LOGIN. NULL with the reason printed. */
struct mail_imap *mail_imap_open(const struct mail_account *acct,
	    const char *password);
/* LOGOUT and free. NULL is fine. */
void	 mail_imap_close(struct mail_imap *im);
/* Run a command (printf format, no tag); cb (may be NULL) sees each
 * untagged response with its literals inline, without "* ". Returns 0 on
 * OK, -1 on NO/BAD/failure with the server's text printed. */
int	 mail_imap_cmd(struct mail_imap *im, mail_imap_cb *cb, void *arg,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* APPEND msg to mailbox with flags ("(\\Seen)" or ""). 0, or -1. */
int	 mail_imap_append(struct mail_imap *im, const char *mailbox,
	    const char *flags, const struct buf *msg);
/* SELECT (or EXAMINE when is_readonly) the mailbox. 0, or -1. */
int	 mail_imap_select(struct mail_imap *im, const char *mailbox,
	    bool is_readonly);
/* Fetch the whole message with sequence number n into out, marking it
 * \Seen unless peek. 0, or -1. */
int	 mail_imap_fetch_msg(struct mail_imap *im, unsigned n, bool is_peek,
	    struct buf *out);
/* Open the account's IMAP server and SELECT (or EXAMINE) mc->folder.
 * NULL with the reason printed (mail_list.c). */
struct mail_ctx;
struct mail_imap *mail_imap_session(struct mail_ctx *mc, bool is_readonly);
/* The message number s, checked against the folder's size; 0 printed
 * when bad. */
unsigned mail_msgno(struct mail_imap *im, const char *s);
/* SEARCH criteria: the sequence numbers in *out (heap), their count in
 * *nout. 0, or -1. */
int	 mail_search_nums(struct mail_imap *im, const char *criteria,
	    unsigned **out, size_t *nout);
/* Print the list lines of the messages v[from..to). 0, or -1. */
int	 mail_list_fetch(struct mail_imap *im, const unsigned *v, size_t from,
	    size_t to);
/* Append s as an IMAP quoted string, or as a non-synchronising literal
 * (RFC 7888) when it has CR, LF or 8-bit octets. */
void	 mail_imap_quote(struct buf *out, const char *s);

/* A small reader of IMAP data items (mail_imap_parse.c). */
struct mail_imap_tok {
	const char	*p;
	size_t		 len;
	size_t		 pos;
};

/* Next atom, number, quoted string or literal (already inline, as
 * "{n}" CRLF data) into (*v, *vlen): 1, with *v NULL for NIL; 2 for a
 * "(" or ")" (in **v); 0 at the end. Quoted strings keep their escapes. */
int	 mail_imap_tok_next(struct mail_imap_tok *t, const char **v,
	    size_t *vlen);
/* Skip one value: an atom, a string, or a whole parenthesised list. */
void	 mail_imap_tok_skip(struct mail_imap_tok *t);
/* True when the next token is "(". */
bool	 mail_imap_tok_open(struct mail_imap_tok *t);
/* True with the next value when it is one and not NIL; false at ")",
 * at the end, or on anything else. */
bool	 mail_imap_tok_item(struct mail_imap_tok *t, const char **v,
	    size_t *vlen);

/* ---- Commands ----------------------------------------------------- */

struct mail_ctx {
	struct mail_account *acct;
	char		*password;
	const char	*folder;	/* -f FOLDER, default INBOX */
};

/* petrel mail commands against a POP3 account (mail_pop3.c). */
int	 mail_pop3_main(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_send(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_reply(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_forward(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_list(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_read(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_save(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_delete(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_move(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_flag(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_search(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_folders(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_mkdir(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_rename(struct mail_ctx *mc, int argc, char **argv);
int	 mail_cmd_rmdir(struct mail_ctx *mc, int argc, char **argv);

/* ---- Shared helpers (mail_show.c, mail_compose.c) ----------------- */

/* Print message msg for reading: decoded headers, the text part (HTML as
 * text), the attachments listed with their section numbers. */
void	 mail_show_message(const char *msg, size_t len, FILE *fp);
/* Append the readable text of the message: its first text/plain part,
 * else its first text/html part as text. */
void	 mail_show_text(const char *msg, size_t len, struct buf *out);
/* The decoded value of header name (UTF-8), or "" in out. */
void	 mail_show_header(const char *msg, size_t len, const char *name,
	    struct buf *out);
/* A parsed section number "N" or "N.M" for an attachment; write the
 * decoded part to path (or stdout when "-"). 0, or -1 printed. */
int	 mail_save_part(const char *msg, size_t len, const char *sec,
	    const char *path);
/* A message to send: address lists as typed (UTF-8), the body, files to
 * attach and a message to forward as message/rfc822. */
struct mail_draft {
	struct buf	 to, cc, bcc;	/* comma-separated lists */
	char		*subject;
	char		*reply_to;
	char		*in_reply_to;
	char		*references;
	struct buf	 body;
	bool		 has_body;
	char		**attach;	/* file names */
	size_t		 nattach;
	struct buf	 forward;	/* a message to attach as rfc822 */
};
/* Build the draft with the MIME library (attachments first, so that a
 * missing file is reported before the body is asked for), submit it to
 * the recipients of To, Cc and Bcc (no Bcc header is written), keep a
 * copy in the Sent folder over IMAP. 0, or -1 printed. */
int	 mail_draft_send(struct mail_ctx *mc, struct mail_draft *d);
/* Read the body from stdin, or from $EDITOR on a terminal, unless it
 * has one already. 0, or -1 printed. */
int	 mail_draft_body(struct mail_draft *d);
void	 mail_draft_free(struct mail_draft *d);
/* The MIME type for a file from its contents and name. */
const char *mail_file_type(const char *name, const void *p, size_t len);
/* Read a whole file (or stdin for "-"). 0, or -1 with errno set. */
int	 mail_file_read(const char *path, struct buf *out);

#endif
