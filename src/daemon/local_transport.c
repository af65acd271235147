/* The queue's local transport: delivery into the store for mail the queue
 * holds for local users (bounces to local senders, mail the store could
 * not take at once), and the wiring of the queue into `petrel serve`:
 * the queue, its scheduler, the SMTP client as the remote transport and
 * this transport, all made from the configuration.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_int.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue.h"
#include "smtp/smtp_client.h"
#include "store/store.h"

#define LOCAL_CHUNK	(64 * 1024)

struct local_transport {
	struct store		*st;
	struct event_base	*base;
};

struct local_job {
	struct queue_job	*job;
	bool			*is_filed;	/* per recipient */
};

struct daemon_queue {
	struct queue		*q;
	struct queue_sched	*sched;
	struct smtp_client	*client;
	struct local_transport	 local;
	struct queue_transport	 t_local;
	struct queue_transport	 t_remote;
	char			*hostname;
};

static int
local_start(void *arg, struct event_base *base, char **err_out)
{
	struct local_transport *lt = arg;

	(void)err_out;
	lt->base = base;
	return 0;
}

static int
local_accepts(void *arg, const char *domain)
{
	struct local_transport *lt = arg;

	return store_domain_find(lt->st, domain);
}

static void
rcpt_set(struct queue_job_rcpt *r, enum queue_status st, const char *code,
    const char *text)
{
	r->status = st;
	snprintf(r->reply, sizeof(r->reply), "%s %s", code, text);
}

/* Copy the spool file into the delivery, with Return-Path (RFC 5321
 * 4.4) in front unless it is there. 0 or -1. */
static int
copy_body(const struct queue_job *job, struct store_delivery *d)
{
	char buf[LOCAL_CHUNK], *rp;
	ssize_t n;
	int fd, rc = 0;
	bool is_first = true;

	if ((fd = open(job->body_path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (is_first && (n < 12 ||
		    strncasecmp(buf, "Return-Path:", 12) != 0)) {
			rp = xasprintf("Return-Path: <%s>\r\n", job->sender);
			rc = store_delivery_write(d, rp, strlen(rp));
			free(rp);
		}
		is_first = false;
		if (rc == 0)
			rc = store_delivery_write(d, buf, (size_t)n);
	}
	if (n < 0)
		rc = -1;
	close(fd);
	return rc;
}

static void
local_done(void *arg, int result, const char *err)
{
	struct local_job *lj = arg;
	struct queue_job *job = lj->job;
	size_t i;

	for (i = 0; i < job->nrcpts; i++) {
		if (!lj->is_filed[i])
			continue;
		if (result == 0)
			rcpt_set(&job->rcpts[i], QUEUE_OK, "250 2.0.0",
			    "Delivered to the mailbox");
		else
			rcpt_set(&job->rcpts[i], QUEUE_TEMP, "451 4.3.0",
			    err != NULL ? err : "store failure");
	}
	free(lj->is_filed);
	free(lj);
	queue_job_done(job);
}

/* Find each recipient's account; returns how many can be filed. */
static size_t
local_lookup(struct local_transport *lt, struct local_job *lj,
    struct store_delivery *d)
{
	struct queue_job *job = lj->job;
	struct store_user user;
	size_t i, n = 0;
	int r;

	for (i = 0; i < job->nrcpts; i++) {
		r = store_user_find(lt->st, job->rcpts[i].address, &user);
		if (r == 1) {
			store_delivery_add(d, user.id, "INBOX");
			lj->is_filed[i] = true;
			n++;
		} else if (r == 0)
			rcpt_set(&job->rcpts[i], QUEUE_PERM, "550 5.1.1",
			    "No such user here");
		else
			rcpt_set(&job->rcpts[i], QUEUE_TEMP, "451 4.3.0",
			    "Temporary lookup failure");
	}
	return n;
}

static void
local_deliver(void *arg, struct queue_job *job)
{
	struct local_transport *lt = arg;
	struct local_job *lj = xcalloc(1, sizeof(*lj));
	struct store_delivery *d;
	char *err = NULL;

	snprintf(job->relay, sizeof(job->relay), "local");
	lj->job = job;
	lj->is_filed = xcalloc(job->nrcpts, sizeof(*lj->is_filed));
	if ((d = store_delivery_new(lt->st, &err)) == NULL) {
		memset(lj->is_filed, 1, job->nrcpts * sizeof(*lj->is_filed));
		local_done(lj, -1, err);
		free(err);
		return;
	}
	if (local_lookup(lt, lj, d) == 0) {
		store_delivery_abort(d);
		local_done(lj, 0, NULL);
		return;
	}
	if (copy_body(job, d) == -1) {
		store_delivery_abort(d);
		local_done(lj, -1, strerror(errno));
		return;
	}
	store_delivery_commit(d, lt->base, local_done, lj);
}

static bool
tls_key(const struct config *cfg, const char *key, enum queue_tls *out)
{
	if (queue_tls_parse(config_str(cfg, key), out))
		return true;
	log_warnx("queue event=config key=%s error=\"expected none, may, "
	    "encrypt or verify\"", key);
	return false;
}

static bool
fill_params(const struct config *cfg, struct daemon_queue *dq,
    struct queue_params *p)
{
	memset(p, 0, sizeof(*p));
	p->hostname = dq->hostname;
	p->retry_min = (unsigned)config_duration(cfg, "queue.retry_min");
	p->retry_max = (unsigned)config_duration(cfg, "queue.retry_max");
	p->delay_warning = (unsigned)config_duration(cfg,
	    "queue.delay_warning");
	p->lifetime = (unsigned)config_duration(cfg, "queue.lifetime");
	p->max_connections = (unsigned)config_uint(cfg,
	    "queue.max_connections");
	p->max_per_destination = (unsigned)config_uint(cfg,
	    "queue.max_per_destination");
	p->lease_time = (unsigned)config_duration(cfg, "queue.lease_time");
	p->idle_time = (unsigned)config_duration(cfg, "queue.idle_time");
	p->relay_host = config_str(cfg, "relay.host");
	p->relay_auth_user = config_str(cfg, "relay.auth_user");
	p->relay_auth_password_file = config_str(cfg,
	    "relay.auth_password_file");
	p->transport_map = config_str(cfg, "transport_map");
	p->dns_server = config_str(cfg, "dns.server");
	p->smtp_port = (unsigned)config_uint(cfg, "queue.smtp_port");
	p->local = &dq->t_local;
	p->remote = &dq->t_remote;
	return tls_key(cfg, "relay.tls", &p->relay_tls) &&
	    tls_key(cfg, "queue.tls", &p->default_tls);
}

static void
fill_client(const struct config *cfg, struct daemon_queue *dq,
    struct smtp_client_params *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->helo_name = dq->hostname;
	cp->messages_per_connection = (unsigned)config_uint(cfg,
	    "queue.messages_per_connection");
	cp->idle_seconds = (unsigned)config_duration(cfg, "queue.idle_time");
	cp->connect_timeout = (unsigned)config_duration(cfg,
	    "queue.connect_timeout");
	cp->command_timeout = (unsigned)config_duration(cfg,
	    "queue.command_timeout");
	cp->data_timeout = cp->command_timeout * 2;
	cp->tls_ca_file = config_str(cfg, "queue.tls_ca_file");
}

struct daemon_queue *
daemon_queue_start(const struct config *cfg, struct store *st,
    struct iopool *pool)
{
	struct daemon_queue *dq = xcalloc(1, sizeof(*dq));
	struct smtp_client_params cp;
	struct queue_params p;
	char *err = NULL;

	dq->hostname = xstrdup(daemon_hostname(cfg));
	/* A non-empty store key is a PostgreSQL URL (settings.c). */
	dq->q = queue_open(config_str(cfg, "data_dir"), pool,
	    config_str(cfg, "store"), &err);
	if (dq->q == NULL)
		fatalx("cannot open the queue: %s", err);
	dq->local.st = st;
	dq->t_local = (struct queue_transport){ local_start, local_accepts,
	    local_deliver, NULL, &dq->local };
	fill_client(cfg, dq, &cp);
	if ((dq->client = smtp_client_new(&cp, &err)) == NULL)
		fatalx("smtp client: %s", err);
	smtp_client_transport(dq->client, &dq->t_remote);
	if (!fill_params(cfg, dq, &p))
		fatalx("bad queue configuration");
	if ((dq->sched = queue_sched_start(dq->q, &p, &err)) == NULL)
		fatalx("cannot start the queue: %s", err);
	return dq;
}

struct queue *
daemon_queue_get(struct daemon_queue *dq)
{
	return dq->q;
}

void
daemon_queue_stop(struct daemon_queue *dq)
{
	if (dq == NULL)
		return;
	queue_sched_stop(dq->sched);
	smtp_client_free(dq->client);
	queue_close(dq->q);
	free(dq->hostname);
	free(dq);
}
