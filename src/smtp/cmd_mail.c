/* MAIL FROM (RFC 5321 4.1.1.2) with the parameters SIZE (RFC 1870), BODY
 * (RFC 6152), SMTPUTF8 (RFC 6531) and RET and ENVID (RFC 3461 4.3-4.4), and
 * the walk over ESMTP parameters that RCPT shares.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/conn.h"
#include "lib/str.h"
#include "smtp_int.h"

/* Check one "KEYWORD[=VALUE]" parameter; false after a reply was sent. */
static bool
mail_param(struct smtp_session *s, const char *p, size_t len)
{
	const char *eq = str_chr(p, len, '=');
	size_t klen = eq ? (size_t)(eq - p) : len;
	const char *v = eq ? eq + 1 : NULL;
	size_t vlen = eq ? len - klen - 1 : 0;
	const char *errstr;
	uint64_t size;

	if (str_ieq(p, klen, "SIZE") && v != NULL) {
		size = str_to_uint_n(v, vlen, 0, UINT64_MAX, &errstr);
		if (errstr != NULL) {
			smtp_reply_error(s, 501, "5.5.4", "Bad SIZE value");
			return false;
		}
		/* RFC 1870 6.1: refuse at once what we would refuse later. */
		if (size > s->srv->max_message_size) {
			smtp_reply(s, 552, "5.3.4",
			    "Message size exceeds fixed limit of %llu",
			    (unsigned long long)s->srv->max_message_size);
			return false;
		}
		return true;
	}
	if (str_ieq(p, klen, "BODY") && v != NULL &&
	    (str_ieq(v, vlen, "7BIT") || str_ieq(v, vlen, "8BITMIME"))) {
		s->is_8bitmime = str_ieq(v, vlen, "8BITMIME");
		return true;
	}
	if (str_ieq(p, klen, "SMTPUTF8") && v == NULL) {
		s->is_utf8 = true;
		return true;
	}
	if (str_ieq(p, klen, "RET") && v != NULL &&
	    (str_ieq(v, vlen, "FULL") || str_ieq(v, vlen, "HDRS"))) {
		s->ret_hdrs = str_ieq(v, vlen, "HDRS");
		return true;
	}
	if (str_ieq(p, klen, "ENVID") && v != NULL) {
		/* RFC 3461 4.4: at most 100 characters of xtext. */
		if (vlen > 100 || !smtp_xtext_valid(v, vlen)) {
			smtp_reply_error(s, 501, "5.5.4", "Bad ENVID value");
			return false;
		}
		memcpy(s->envid, v, vlen);
		s->envid[vlen] = '\0';
		return true;
	}
	smtp_reply_error(s, 555, "5.5.4", "Unsupported MAIL parameter");
	return false;
}

static bool
is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

bool
smtp_xtext_valid(const char *p, size_t len)
{
	size_t i;

	/* RFC 3461 4: xchar is "!" to "~" but "+" and "="; "+" starts two
	 * upper-case hex digits. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '+') {
			if (len - i < 3 || !is_upper_hex(p[i + 1]) ||
			    !is_upper_hex(p[i + 2]))
				return false;
			i += 2;
		} else if (ch < '!' || ch > '~' || ch == '=')
			return false;
	}
	return true;
}

/* Walk the space-separated parameters after a path. */
bool
smtp_params_each(struct smtp_session *s, const char *p, size_t len,
    bool (*fn)(struct smtp_session *, const char *, size_t))
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && p[i] == ' ')
			i++;
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (i > start && !fn(s, p + start, i - start))
			return false;
	}
	return true;
}

/* An authenticated user sends as its own address, with or without a
 * +tag (the detail of RFC 5233), unless smtp.any_sender says otherwise. */
static bool
sender_is_own(struct smtp_session *s, const struct smtp_path *path)
{
	const char *at = strrchr(s->auth_user, '@');
	const char *plus = strchr(path->local, '+');
	size_t ulen, plen;

	if (at == NULL)
		return false;
	ulen = (size_t)(at - s->auth_user);
	plen = plus ? (size_t)(plus - path->local) : strlen(path->local);
	return plen == ulen &&
	    strncasecmp(path->local, s->auth_user, ulen) == 0 &&
	    strcasecmp(path->domain, at + 1) == 0;
}

void
smtp_cmd_mail(struct smtp_session *s, const char *args, size_t len)
{
	struct smtp_path path;
	const char *errstr;
	int used;

	if (s->state == SMTP_ST_GREET) {
		smtp_reply_error(s, 503, "5.5.1", "Send HELO or EHLO first");
		return;
	}
	if (s->state != SMTP_ST_READY) {
		smtp_reply_error(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (s->mode != SMTP_MODE_MX && !s->is_auth) {
		/* RFC 6409 4.3: submission needs authentication. */
		smtp_reply_error(s, 530, "5.7.0", conn_is_tls(s->conn) ?
		    "Authentication required" :
		    "Must issue a STARTTLS command first");
		return;
	}
	if (!str_iprefix(args, len, "FROM:")) {
		smtp_reply_error(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	used = smtp_path_parse(args + 5, len - 5, &path, &errstr);
	if (used < 0) {
		smtp_reply_error(s, 501, "5.1.7", errstr);
		return;
	}
	args += 5 + (size_t)used;
	len -= 5 + (size_t)used;
	if (len > 0 && !s->is_esmtp) {
		/* Parameters are an ESMTP feature (RFC 5321 4.1.1.2). */
		smtp_reply_error(s, 555, "5.5.4", "Parameters need EHLO");
		return;
	}
	s->is_8bitmime = s->is_utf8 = s->ret_hdrs = false;
	s->envid[0] = '\0';
	if (!smtp_params_each(s, args, len, mail_param))
		return;
	if (!s->is_utf8 && smtp_path_is_utf8(&path)) {
		smtp_reply_error(s, 553, "5.6.7", "Non-ASCII address needs "
		    "SMTPUTF8");
		return;
	}
	smtp_path_str(&path, s->mail_from, sizeof(s->mail_from));
	if (s->is_auth && !s->srv->any_sender && !path.is_null &&
	    !sender_is_own(s, &path)) {
		smtp_reply_error(s, 553, "5.7.1", "Sender address not owned "
		    "by the authenticated user");
		s->mail_from[0] = '\0';
		return;
	}
	s->state = SMTP_ST_MAIL;
	smtp_reply(s, 250, "2.1.0", "Ok");
}
