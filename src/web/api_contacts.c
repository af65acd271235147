/* Address suggestions from past correspondents: the recipients of the
 * newest messages in Sent and the senders of the newest in INBOX, the
 * most frequent first, filtered by what the user typed.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define SCAN_MAX	2000	/* newest messages read per folder */
#define CONTACTS_MAX	20

web_handler_fn web_api_contacts;

struct contact {
	char	*address;	/* lowercase */
	char	*name;		/* or NULL */
	size_t	 count;
};

struct contacts_job {
	struct store	*st;
	struct web_views *views;
	struct store_mailbox sent, inbox;	/* id 0: none */
	char		*q;		/* lowercase */
	char		*self;
	struct contact	*v;
	size_t		 n;
	size_t		 limit;
};

static void
add_field(struct contacts_job *j, const struct store_row *row,
    const char *name)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf v = BUF_INIT, spec = BUF_INIT;
	size_t i;
	char *p;

	if (!web_hdr_get(row->header, row->header_len, name, false, &v))
		return;
	mime_addr_parse(v.data, v.len, &l);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX || l.v[i].domain == NULL)
			continue;
		buf_reset(&spec);
		mime_addr_spec_write(&l.v[i], &spec);
		for (p = spec.data; p != NULL && p < spec.data + spec.len; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		if (strcmp(buf_cstr(&spec), j->self) == 0)
			continue;
		j->v = xreallocarray(j->v, j->n + 1, sizeof(*j->v));
		j->v[j->n].address = xstrdup(buf_cstr(&spec));
		j->v[j->n].name = l.v[i].name ? xstrdup(l.v[i].name) : NULL;
		j->v[j->n++].count = 1;
	}
	mime_addr_list_free(&l);
	buf_free(&v);
	buf_free(&spec);
}

static void
scan(struct contacts_job *j, const struct store_mailbox *box,
    const char *const *fields)
{
	struct store_row *rows;
	size_t i, k, n;

	if (box->id == 0 || web_view_page(j->views, j->st, box, 0, SCAN_MAX,
	    &rows, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		for (k = 0; fields[k] != NULL; k++)
			add_field(j, &rows[i], fields[k]);
	store_rows_free(rows, n);
}

static int
by_address(const void *a, const void *b)
{
	return strcmp(((const struct contact *)a)->address,
	    ((const struct contact *)b)->address);
}

static int
by_count(const void *a, const void *b)
{
	const struct contact *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->address, y->address);
}

/* One entry per address (the count summed, a name kept), then only those
 * matching q. */
static void
merge(struct contacts_job *j)
{
	size_t i, k = 0;

	if (j->n > 0)
		qsort(j->v, j->n, sizeof(*j->v), by_address);
	for (i = 0; i < j->n; i++) {
		if (k > 0 && strcmp(j->v[k - 1].address, j->v[i].address) ==
		    0) {
			j->v[k - 1].count++;
			if (j->v[k - 1].name == NULL) {
				j->v[k - 1].name = j->v[i].name;
				j->v[i].name = NULL;
			}
			free(j->v[i].address);
			free(j->v[i].name);
		} else if (strstr(j->v[i].address, j->q) == NULL &&
		    (j->v[i].name == NULL || strcasestr(j->v[i].name,
		    j->q) == NULL)) {
			free(j->v[i].address);
			free(j->v[i].name);
		} else
			j->v[k++] = j->v[i];
	}
	j->n = k;
	if (j->n > 0)
		qsort(j->v, j->n, sizeof(*j->v), by_count);
}

static void
contacts_work(void *arg)
{
	static const char *const sent[] = { "To", "Cc", "Bcc", NULL };
	static const char *const inbox[] = { "From", "Reply-To", NULL };
	struct contacts_job *j = arg;

	scan(j, &j->sent, sent);
	scan(j, &j->inbox, inbox);
	merge(j);
}

static void
contacts_done(struct web_req *r, void *arg)
{
	struct contacts_job *j = arg;
	json_t *list = json_array(), *o;
	size_t i;

	for (i = 0; i < j->n; i++) {
		if (i < j->limit) {
			o = json_pack("{s:s, s:i}", "address", j->v[i].address,
			    "count", (int)j->v[i].count);
			if (j->v[i].name != NULL)
				json_object_set_new(o, "name", web_json_str(
				    j->v[i].name, strlen(j->v[i].name)));
			json_array_append_new(list, o);
		}
		free(j->v[i].address);
		free(j->v[i].name);
	}
	if (r != NULL)
		web_reply_json(r, 200, json_pack("{s:o}", "contacts", list));
	else
		json_decref(list);
	free(j->v);
	free(j->q);
	free(j->self);
	free(j);
}

static void
box_find(struct web_req *r, const char *name, struct store_mailbox *mb)
{
	if (store_mailbox_lookup(r->srv->store, r->login.user_id, name,
	    mb) != 1)
		mb->id = 0;
}

void
web_api_contacts(struct web_req *r)
{
	struct contacts_job *j = xcalloc(1, sizeof(*j));
	struct buf q = BUF_INIT;
	char *p;

	web_req_query(r, "q", &q);
	for (p = q.data; p != NULL && p < q.data + q.len; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	j->q = xstrdup(buf_cstr(&q));
	buf_free(&q);
	j->self = xstrdup(r->login.address);
	j->st = r->srv->store;
	j->views = r->srv->views;
	box_find(r, "Sent", &j->sent);
	box_find(r, "INBOX", &j->inbox);
	j->limit = web_req_query_uint(r, "limit", CONTACTS_MAX, 100);
	web_req_run(r, contacts_work, contacts_done, j);
}
