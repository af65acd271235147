/* The command table: each command with the states it is allowed in
 * (RFC 3501 6.1-6.4) and its flags.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "imap_int.h"

#define S_NOAUTH	0x1
#define S_AUTH		0x2
#define S_SEL		0x4
#define S_ANY		(S_NOAUTH | S_AUTH | S_SEL)
#define S_LOGGED	(S_AUTH | S_SEL)

static const struct {
	const char	*name;
	imap_cmd_fn	*fn;
	unsigned	 states;
	unsigned	 flags;
} commands[] = {
	{ "APPEND",	imap_cmd_append,	S_LOGGED,	0 },
	{ "AUTHENTICATE", imap_cmd_authenticate, S_NOAUTH,	0 },
	{ "CAPABILITY",	imap_cmd_capability,	S_ANY,		0 },
	{ "CHECK",	imap_cmd_check,		S_SEL,		0 },
	{ "CLOSE",	imap_cmd_close,		S_SEL,		0 },
	{ "COPY",	imap_cmd_copy,		S_SEL,		CMD_F_UID },
	{ "CREATE",	imap_cmd_create,	S_LOGGED,	0 },
	{ "DELETE",	imap_cmd_delete,	S_LOGGED,	0 },
	/* RFC 5161 3.1, RFC 9051 6.3.1: before any mailbox is selected. */
	{ "ENABLE",	imap_cmd_enable,	S_AUTH,		0 },
	{ "EXAMINE",	imap_cmd_examine,	S_LOGGED,	0 },
	{ "EXPUNGE",	imap_cmd_expunge,	S_SEL,		CMD_F_UID },
	{ "FETCH",	imap_cmd_fetch,		S_SEL,
	    CMD_F_UID | CMD_F_NOEXPUNGE },
	{ "ID",		imap_cmd_id,		S_ANY,		0 },
	{ "IDLE",	imap_cmd_idle,		S_LOGGED,	0 },
	{ "LIST",	imap_cmd_list,		S_LOGGED,	0 },
	{ "LOGIN",	imap_cmd_login,		S_NOAUTH,	0 },
	{ "LOGOUT",	imap_cmd_logout,	S_ANY,		0 },
	{ "LSUB",	imap_cmd_lsub,		S_LOGGED,	0 },
	{ "MOVE",	imap_cmd_move,		S_SEL,		CMD_F_UID },
	{ "NAMESPACE",	imap_cmd_namespace,	S_LOGGED,	0 },
	{ "NOOP",	imap_cmd_noop,		S_ANY,		0 },
	{ "RENAME",	imap_cmd_rename,	S_LOGGED,	0 },
	{ "SEARCH",	imap_cmd_search,	S_SEL,
	    CMD_F_UID | CMD_F_NOEXPUNGE },
	{ "SELECT",	imap_cmd_select,	S_LOGGED,	0 },
	{ "STARTTLS",	imap_cmd_starttls,	S_NOAUTH,	0 },
	{ "STATUS",	imap_cmd_status,	S_LOGGED,	0 },
	{ "STORE",	imap_cmd_store,		S_SEL,
	    CMD_F_UID | CMD_F_NOEXPUNGE },
	{ "SUBSCRIBE",	imap_cmd_subscribe,	S_LOGGED,	0 },
	{ "UNSELECT",	imap_cmd_unselect,	S_SEL,		0 },
	{ "UNSUBSCRIBE", imap_cmd_unsubscribe,	S_LOGGED,	0 },
};

static unsigned
state_bit(enum imap_state st)
{
	switch (st) {
	case IMAP_ST_NOAUTH:
		return S_NOAUTH;
	case IMAP_ST_AUTH:
		return S_AUTH;
	case IMAP_ST_SELECTED:
		return S_SEL;
	case IMAP_ST_LOGOUT:
		break;
	}
	return 0;
}

imap_cmd_fn *
imap_cmd_find(const char *name, enum imap_state state, bool is_uid,
    unsigned *flags_out, const char **errstr)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) != 0)
			continue;
		if (is_uid && (commands[i].flags & CMD_F_UID) == 0) {
			*errstr = "This command has no UID form";
			return NULL;
		}
		if ((commands[i].states & state_bit(state)) == 0) {
			*errstr = state == IMAP_ST_NOAUTH ?
			    "Log in first" : state == IMAP_ST_AUTH &&
			    (commands[i].states & S_SEL) ?
			    "Select a mailbox first" :
			    "Not allowed in this state";
			return NULL;
		}
		*flags_out = commands[i].flags;
		return commands[i].fn;
	}
	*errstr = "Unknown command";
	return NULL;
}
