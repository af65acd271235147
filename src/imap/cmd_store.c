/* STORE and UID STORE (RFC 3501 6.4.6) with UNCHANGEDSINCE and the
 * MODIFIED response code (RFC 7162 3.1.3).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"

struct store_req {
	enum store_flags_op	 op;
	bool			 is_silent;
	uint64_t		 unchangedsince;
	uint32_t		 flags;
	char			**kw;
	size_t			 n_kw;
};

static int
parse_op(const struct imap_arg *a, struct store_req *r)
{
	const char *p = a->p;
	size_t len = a->len;

	if (a->type != IMAP_ARG_ATOM)
		return -1;
	r->op = STORE_FLAGS_SET;
	if (len > 0 && (p[0] == '+' || p[0] == '-')) {
		r->op = p[0] == '+' ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE;
		p++;
		len--;
	}
	if (str_ieq(p, len, "FLAGS.SILENT"))
		r->is_silent = true;
	else if (!str_ieq(p, len, "FLAGS"))
		return -1;
	return 0;
}

static int
parse_req(const struct imap_cmd *cmd, struct store_req *r)
{
	const struct imap_arg *a = cmd->args.v;
	struct imap_arg list;
	size_t i = 1;
	const char *errstr;

	if (cmd->args.n < 3 || a[0].type != IMAP_ARG_ATOM)
		return -1;
	if (a[1].type == IMAP_ARG_LIST) {
		/* RFC 7162 3.1.3: (UNCHANGEDSINCE modseq). */
		if (a[1].n != 2 || !imap_arg_is_atom(&a[1].list[0],
		    "UNCHANGEDSINCE") || a[1].list[1].type != IMAP_ARG_ATOM)
			return -1;
		r->unchangedsince = str_to_uint_n(a[1].list[1].p,
		    a[1].list[1].len, 0, INT64_MAX, &errstr);
		if (errstr != NULL)
			return -1;
		i++;
	}
	if (i + 1 >= cmd->args.n || parse_op(&a[i], r) == -1)
		return -1;
	i++;
	/* A flag list, or flags without parentheses. */
	if (a[i].type == IMAP_ARG_LIST) {
		if (i + 1 != cmd->args.n)
			return -1;
		list = a[i];
	} else {
		memset(&list, 0, sizeof(list));
		list.type = IMAP_ARG_LIST;
		list.list = (struct imap_arg *)&a[i];
		list.n = cmd->args.n - i;
	}
	return imap_flags_parse(&list, &r->flags, &r->kw, &r->n_kw);
}

static void
answer(struct imap_cmd *cmd, const struct store_req *r,
    const struct store_flags_result *res, size_t n)
{
	struct imap_session *s = cmd->session;
	struct buf b = BUF_INIT;
	uint32_t *failed = xcalloc(n + 1, sizeof(*failed)), msn;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (res[i].is_failed) {
			failed[k++] = cmd->is_uid ? res[i].uid :
			    imap_view_msn(s->view, res[i].uid);
			continue;
		}
		if (r->is_silent && !(r->unchangedsince && res[i].is_changed))
			continue;
		if ((msn = imap_view_msn(s->view, res[i].uid)) == 0)
			continue;
		buf_reset(&b);
		buf_addf(&b, "%u FETCH (", msn);
		if (cmd->is_uid)
			buf_addf(&b, "UID %u ", res[i].uid);
		buf_adds(&b, "FLAGS ");
		imap_flags_write(res[i].flags, res[i].keywords,
		    imap_view_shows_recent(s, res[i].uid), &b);
		if (s->has_condstore)
			buf_addf(&b, " MODSEQ (%llu)",
			    (unsigned long long)res[i].modseq);
		buf_addc(&b, ')');
		imap_untagged(s, "%s", buf_cstr(&b));
	}
	buf_reset(&b);
	if (k > 0) {
		buf_adds(&b, "[MODIFIED ");
		imap_seqset_write(failed, k, &b);
		buf_adds(&b, "] ");
	}
	imap_reply_ok(cmd, "%sSTORE completed", buf_cstr(&b));
	buf_free(&b);
	free(failed);
}

enum cmd_result
imap_cmd_store(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct store_flags_result *res;
	struct store_req r;
	uint32_t *uids;
	size_t n, n_res, i;
	char *err = NULL;

	memset(&r, 0, sizeof(r));
	if (parse_req(cmd, &r) == -1) {
		imap_reply_bad(cmd, "Syntax: STORE set [(UNCHANGEDSINCE n)] "
		    "[+-]FLAGS[.SILENT] (flags)");
		return CMD_DONE;
	}
	if (s->view->is_readonly) {
		store_strings_free(r.kw, r.n_kw);
		imap_reply_no(cmd, "[READ-ONLY] Mailbox is read-only");
		return CMD_DONE;
	}
	if (imap_view_set(s, cmd->args.v[0].p, cmd->args.v[0].len,
	    cmd->is_uid, &uids, &n) == -1) {
		store_strings_free(r.kw, r.n_kw);
		imap_reply_bad(cmd, "Invalid message set");
		return CMD_DONE;
	}
	if (r.unchangedsince)
		s->has_condstore = true;
	if (store_flags_update(s->srv->store, s->view->mb.id, uids, n, r.op,
	    r.flags, (const char *const *)r.kw, r.n_kw, r.unchangedsince,
	    &res, &n_res, &err) == -1) {
		imap_reply_no(cmd, "[SERVERBUG] STORE failed");
		free(err);
	} else {
		/* Our own change: no need to report it again. */
		for (i = 0; i < n_res; i++)
			if (res[i].is_changed) {
				if (s->view->modseq + 1 == res[i].modseq)
					s->view->modseq = res[i].modseq;
				break;
			}
		answer(cmd, &r, res, n_res);
		store_flags_results_free(res, n_res);
	}
	store_strings_free(r.kw, r.n_kw);
	free(uids);
	return CMD_DONE;
}
