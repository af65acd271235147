/* APPEND (RFC 3501 6.3.11) with flags, internal date and APPENDUID
 * (RFC 4315 3), up to APPENDLIMIT octets (RFC 7889; a bigger literal was
 * already refused by the reader). The message is stored on the I/O pool.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

struct append_job {
	struct imap_cmd	*cmd;
	int64_t		 mailbox_id;
	const char	*data;		/* in cmd's text */
	size_t		 len;
	uint32_t	 flags;
	char		*keywords;
	time_t		 date;
	bool		 is_utf8;	/* UTF8 (...) form (RFC 6855 4) */
	int		 rc;
	char		*err;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
};

static int
num(const char *p, size_t len, int min, int max)
{
	const char *errstr;
	uint64_t v;

	v = str_to_uint_n(p, len, (uint64_t)min, (uint64_t)max, &errstr);
	return errstr == NULL ? (int)v : -1;
}

/* RFC 3501 9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d"). */
int
imap_date_time_parse(const char *p, size_t len, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	const char *m;
	int zone, zh, zm;

	char tmp[26];

	/* A day of one digit, with or without its leading space. */
	if (len == 25 || (len == 26 && p[0] == ' ')) {
		tmp[0] = '0';
		memcpy(tmp + 1, p + (len == 26), 25);
		p = tmp;
		len = 26;
	}
	if (len != 26)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (p[2] != '-' || p[6] != '-' || p[11] != ' ' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	tm.tm_mday = num(p, 2, 1, 31);
	for (m = months; *m != '\0'; m += 3)
		if (strncasecmp(m, p + 3, 3) == 0)
			break;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year = num(p + 7, 4, 1900, 9999) - 1900;
	tm.tm_hour = num(p + 12, 2, 0, 23);
	tm.tm_min = num(p + 15, 2, 0, 59);
	tm.tm_sec = num(p + 18, 2, 0, 60);
	zh = num(p + 22, 2, 0, 99);
	zm = num(p + 24, 2, 0, 59);
	if (tm.tm_mday < 0 || *m == '\0' || tm.tm_year < 0 ||
	    tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0 || zh < 0 ||
	    zm < 0)
		return -1;
	zone = (zh * 60 + zm) * 60 * (p[21] == '-' ? -1 : 1);
	*out = timegm(&tm) - zone;
	return 0;
}

static void
append_work(void *arg)
{
	struct append_job *j = arg;

	j->rc = store_append(j->cmd->session->srv->store, j->mailbox_id,
	    j->data, j->len, j->flags, j->keywords, j->date, &j->uidvalidity,
	    &j->uid, &j->err);
}

static void
append_done(void *arg)
{
	struct append_job *j = arg;
	struct imap_cmd *cmd = j->cmd;
	struct imap_session *s = cmd->session;

	if (imap_job_done(s)) {
		if (j->rc == 0)
			imap_reply_ok(cmd, "[APPENDUID %u %u] APPEND completed",
			    j->uidvalidity, j->uid);
		else if (j->rc == STORE_NOTFOUND)
			imap_reply_no(cmd, "[TRYCREATE] No such mailbox");
		else {
			log_warnx("imap session=%s event=append error=\"%s\"",
			    s->id, j->err ? j->err : "?");
			imap_reply_no(cmd, "[SERVERBUG] APPEND failed");
		}
		imap_cmd_finish(cmd);
	}
	free(j->keywords);
	free(j->err);
	free(j);
}

/* Flags, date and message from the arguments after the mailbox. */
static int
append_args(struct imap_cmd *cmd, struct append_job *j)
{
	const struct imap_arg *a = cmd->args.v;
	size_t i = 1, k, n = cmd->args.n;
	char **kw;
	size_t n_kw;
	struct buf b = BUF_INIT;

	if (i < n && a[i].type == IMAP_ARG_LIST) {
		if (imap_flags_parse(&a[i], &j->flags, &kw, &n_kw) == -1)
			return -1;
		for (k = 0; k < n_kw; k++) {
			buf_adds(&b, k ? " " : "");
			buf_adds(&b, kw[k]);
		}
		store_strings_free(kw, n_kw);
		j->keywords = buf_release(&b);
		i++;
	}
	j->date = time(NULL);
	if (i + 1 < n && a[i].type == IMAP_ARG_QUOTED) {
		if (imap_date_time_parse(a[i].p, a[i].len, &j->date) == -1)
			return -1;
		i++;
	}
	/* RFC 6855 4: UTF8 (~{n}...) carries a message with UTF-8 header
	 * fields. */
	if (i + 2 == n && imap_arg_is_atom(&a[i], "UTF8")) {
		if (a[i + 1].type != IMAP_ARG_LIST || a[i + 1].n != 1 ||
		    a[i + 1].list[0].type != IMAP_ARG_LITERAL ||
		    !a[i + 1].list[0].is_literal8)
			return -1;
		j->is_utf8 = true;
		j->data = a[i + 1].list[0].p;
		j->len = a[i + 1].list[0].len;
		return 0;
	}
	if (i + 1 != n || a[i].type != IMAP_ARG_LITERAL)
		return -1;
	j->data = a[i].p;
	j->len = a[i].len;
	return 0;
}

enum cmd_result
imap_cmd_append(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct store_mailbox mb;
	struct append_job *j;
	char *name;

	if (cmd->args.n < 2 ||
	    (name = imap_mailbox_from_client(s, &cmd->args.v[0])) == NULL) {
		imap_reply_bad(cmd, "Syntax: APPEND mailbox [(flags)] "
		    "[date-time] literal");
		return CMD_DONE;
	}
	j = xcalloc(1, sizeof(*j));
	j->cmd = cmd;
	if (append_args(cmd, j) == -1) {
		free(name);
		free(j->keywords);
		free(j);
		imap_reply_bad(cmd, "Syntax: APPEND mailbox [(flags)] "
		    "[date-time] literal");
		return CMD_DONE;
	}
	if (j->is_utf8 && !imap_is_utf8(s)) {
		free(name);
		free(j->keywords);
		free(j);
		imap_reply_bad(cmd, "ENABLE UTF8=ACCEPT first");
		return CMD_DONE;
	}
	if (store_mailbox_find(s->srv->store, s->account.id, name, &mb) != 1) {
		free(name);
		free(j->keywords);
		free(j);
		imap_reply_no(cmd, "[TRYCREATE] No such mailbox");
		return CMD_DONE;
	}
	free(name);
	j->mailbox_id = mb.id;
	imap_job_start(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), append_work,
	    append_done, j);
	return CMD_WAIT;
}
