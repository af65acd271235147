/* Routes whose work needs store or queue functions that do not exist
 * yet. Each answers 501 naming the missing function, so the browser app
 * can say "not available yet" and nothing pretends to have worked.
 * XXX: #8 wire each one when the store (flags, move, search, mailbox
 * management, change notifications), the MIME builder and the queue land.
 * SPDX-License-Identifier: ISC */
#include "web_int.h"

web_handler_fn web_api_folder_create, web_api_folder_rename,
    web_api_folder_delete, web_api_flags, web_api_move, web_api_delete,
    web_api_search, web_api_threads, web_api_contacts, web_api_draft,
    web_api_send, web_api_events;

void
web_api_folder_create(struct web_req *r)
{
	web_reply_missing(r, "store_mailbox_create");
}

void
web_api_folder_rename(struct web_req *r)
{
	web_reply_missing(r, "store_mailbox_rename");
}

void
web_api_folder_delete(struct web_req *r)
{
	web_reply_missing(r, "store_mailbox_delete");
}

void
web_api_flags(struct web_req *r)
{
	web_reply_missing(r, "store_msgs_set_flags");
}

void
web_api_move(struct web_req *r)
{
	web_reply_missing(r, "store_msgs_move");
}

void
web_api_delete(struct web_req *r)
{
	web_reply_missing(r, "store_msgs_move");
}

void
web_api_search(struct web_req *r)
{
	web_reply_missing(r, "store_search");
}

void
web_api_threads(struct web_req *r)
{
	web_reply_missing(r, "store_msg_envelope (Message-ID, "
	    "In-Reply-To, References cached per message)");
}

void
web_api_contacts(struct web_req *r)
{
	web_reply_missing(r, "store_contacts_search");
}

void
web_api_draft(struct web_req *r)
{
	web_reply_missing(r, "mime_build_* and store_delivery_set_flags");
}

void
web_api_send(struct web_req *r)
{
	web_reply_missing(r, "mime_build_* and queue_submit");
}

void
web_api_events(struct web_req *r)
{
	web_reply_missing(r, "store_watch (change notifications)");
}
