/* `petrel serve`: read the configuration, open the store, bind every
 * listener, drop root, start the worker loops, and stop cleanly on SIGTERM
 * or SIGINT.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "daemon.h"
#include "daemon_int.h"
#include "auth/auth.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "store/store.h"

static const struct {
	const char	*key;
	enum service	 service;
} services[] = {
	{ "listen.smtp",	SERVICE_SMTP },
	{ "listen.submission",	SERVICE_SUBMISSION },
	{ "listen.submissions",	SERVICE_SUBMISSIONS },
	{ "listen.pop3",	SERVICE_POP3 },
	{ "listen.pop3s",	SERVICE_POP3S },
	{ "listen.imap",	SERVICE_IMAP },
	{ "listen.imaps",	SERVICE_IMAPS },
	{ "listen.http",	SERVICE_HTTP },
	{ "listen.https",	SERVICE_HTTPS },
};

static const char *
service_name(enum service svc)
{
	switch (svc) {
	case SERVICE_SMTP:
		return "smtp";
	case SERVICE_SUBMISSION:
		return "submission";
	case SERVICE_SUBMISSIONS:
		return "submissions";
	case SERVICE_POP3:
		return "pop3";
	case SERVICE_POP3S:
		return "pop3s";
	case SERVICE_IMAP:
		return "imap";
	case SERVICE_IMAPS:
		return "imaps";
	case SERVICE_HTTP:
		return "http";
	case SERVICE_HTTPS:
		return "https";
	}
	return "?";
}

static void
add_listener(struct server *srv, const struct net_addr *a, enum service svc)
{
	struct listener *l;
	char *err = NULL;
	int fd;

	fd = net_listen(&a->ss, a->len, 1024, &err);
	if (fd < 0)
		fatalx("%s", err);
	srv->listeners = xreallocarray(srv->listeners, srv->nlisteners + 1,
	    sizeof(*srv->listeners));
	l = &srv->listeners[srv->nlisteners++];
	l->fd = fd;
	l->service = svc;
	net_addr_str((const struct sockaddr *)&a->ss, l->addr, sizeof(l->addr));
	log_info("serve event=listen service=%s addr=%s",
	    service_name(svc), l->addr);
}

static void
bind_listeners(struct server *srv, const struct config *cfg)
{
	const struct net_addr_list *list;
	size_t i, j;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		list = config_listen(cfg, services[i].key);
		if (list->count == 0)
			continue;
		for (j = 0; j < list->count; j++)
			add_listener(srv, &list->addrs[j], services[i].service);
	}
	if (srv->nlisteners == 0)
		fatalx("no listeners configured");
}

/* Started as root, run as the configured user from here on. */
static void
drop_privileges(const struct config *cfg, const char *data_dir)
{
	const char *user = config_str(cfg, "run_as");
	struct passwd *pw;

	if (geteuid() != 0 || user[0] == '\0')
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("run_as: no such user '%s'", user);
	if (chown(data_dir, pw->pw_uid, pw->pw_gid) != 0)
		fatal("chown %s", data_dir);
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		fatal("cannot run as %s", user);
	log_info("serve event=privileges user=%s", user);
}

static void
fill_imap(struct imap_server *imap, const struct config *cfg,
    struct store *st, struct iopool *pool, SSL_CTX *tls)
{
	imap->hostname = daemon_hostname(cfg);
	imap->store = st;
	imap->pool = pool;
	imap->tls = tls;
	imap->timeout = (unsigned)config_duration(cfg, "imap.timeout");
	imap->max_line = (size_t)config_size(cfg, "imap.max_line");
	imap->max_literal = config_size(cfg, "imap.max_literal");
	imap->max_per_user = (unsigned)config_uint(cfg, "imap.max_per_user");
	imap->max_errors = (unsigned)config_uint(cfg, "imap.max_errors");
	imap->plaintext_anywhere = config_bool(cfg, "imap.plaintext_anywhere");
	imap->auth_cache_ttl = (unsigned)config_duration(cfg,
	    "imap.auth_cache_ttl");
}

/* The webmail; http.root is made absolute before anything may chdir. */
static void
fill_web(struct web_server *web, const struct config *cfg,
    struct store *st, struct iopool *pool, SSL_CTX *tls)
{
	static char root[PATH_MAX];
	const char *r = config_str(cfg, "http.root");

	if (realpath(r, root) == NULL) {
		log_warn("serve event=http-root path=%s", r);
		str_copy(root, r, sizeof(root));
	}
	web->hostname = daemon_hostname(cfg);
	web->store = st;
	web->pool = pool;
	web->tls = tls;
	web->root = root;
	web->timeout = (unsigned)config_duration(cfg, "http.timeout");
	web->max_body = config_size(cfg, "http.max_upload");
	web->login_delay = (unsigned)config_duration(cfg, "http.login_delay");
	web->sessions = web_sessions_new(
	    (unsigned)config_duration(cfg, "http.session_idle"),
	    (unsigned)config_duration(cfg, "http.session_lifetime"));
	web->views = web_views_new();
}

static void
fill_protocols(struct server *srv, const struct config *cfg,
    struct store *st, struct iopool *pool, SSL_CTX *tls)
{
	srv->max_connections = (unsigned)config_uint(cfg, "max_connections");
	auth_throttle_account_limits(
	    (unsigned)config_uint(cfg, "login.max_failures"),
	    (unsigned)config_duration(cfg, "login.window"));
	srv->smtp.hostname = daemon_hostname(cfg);
	srv->smtp.store = st;
	srv->smtp.pool = pool;
	srv->smtp.tls = tls;
	srv->smtp.max_message_size = config_size(cfg,
	    "smtp.max_message_size");
	srv->smtp.max_line = (size_t)config_size(cfg, "smtp.max_line");
	srv->smtp.max_recipients = (unsigned)config_uint(cfg,
	    "smtp.max_recipients");
	srv->smtp.max_errors = (unsigned)config_uint(cfg, "smtp.max_errors");
	srv->smtp.max_commands = (unsigned)config_uint(cfg,
	    "smtp.max_commands");
	srv->smtp.max_per_client = (unsigned)config_uint(cfg,
	    "smtp.max_per_client");
	srv->smtp.timeout = (unsigned)config_duration(cfg, "smtp.timeout");
	srv->smtp.data_timeout = (unsigned)config_duration(cfg,
	    "smtp.data_timeout");
	srv->smtp.any_sender = config_bool(cfg, "smtp.any_sender");
	srv->pop3.hostname = daemon_hostname(cfg);
	srv->pop3.store = st;
	srv->pop3.pool = pool;
	srv->pop3.tls = tls;
	srv->pop3.timeout = (unsigned)config_duration(cfg, "pop3.timeout");
	srv->pop3.max_errors = (unsigned)config_uint(cfg, "pop3.max_errors");
	srv->pop3.plaintext_anywhere = config_bool(cfg,
	    "pop3.plaintext_anywhere");
	fill_imap(&srv->imap, cfg, st, pool, tls);
	fill_web(&srv->web, cfg, st, pool, tls);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("serve event=stopping signal=%d", (int)sig);
	event_base_loopbreak(arg);
}

/* Wait in the main thread for SIGTERM or SIGINT. */
static void
wait_for_signal(void)
{
	struct event_base *base = event_base_new();
	struct event *term, *intr;

	term = evsignal_new(base, SIGTERM, on_signal, base);
	intr = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(term, NULL);
	evsignal_add(intr, NULL);
	event_base_dispatch(base);
	event_free(term);
	event_free(intr);
	event_base_free(base);
}

static unsigned
worker_count(const struct config *cfg)
{
	unsigned n = (unsigned)config_uint(cfg, "workers");
	long cores;

	if (n > 0)
		return n;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 0 ? (unsigned)cores : 1;
}

int
daemon_serve(struct config *cfg)
{
	const char *data_dir = config_str(cfg, "data_dir");
	struct server srv;
	struct iopool *pool;
	struct store *st;
	struct daemon_queue *dq;
	struct workers *ws;
	SSL_CTX *tls;
	char *err = NULL;

	memset(&srv, 0, sizeof(srv));
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0)
		fatalx("libevent has no thread support");
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
		fatal("cannot create data_dir %s", data_dir);
	pool = iopool_new((int)config_uint(cfg, "io_threads"));
	if ((st = store_open(daemon_store_location(cfg), pool, &err)) ==
	    NULL)
		fatalx("cannot open the store: %s", err);
	dq = daemon_queue_start(cfg, st, pool);
	tls = tls_server_ctx_new(config_str(cfg, "tls.cert"),
	    config_str(cfg, "tls.key"), data_dir, daemon_hostname(cfg), &err);
	if (tls == NULL)
		fatalx("%s", err);
	fill_protocols(&srv, cfg, st, pool, tls);
	srv.smtp.queue = daemon_queue_get(dq);
	srv.web.queue = daemon_queue_get(dq);
	bind_listeners(&srv, cfg);
	drop_privileges(cfg, data_dir);
	ws = workers_start(&srv, worker_count(cfg));
	log_info("serve event=ready hostname=%s workers=%u listeners=%zu",
	    srv.smtp.hostname, worker_count(cfg), srv.nlisteners);
	wait_for_signal();
	workers_stop(ws);
	daemon_queue_stop(dq);
	store_close(st);
	iopool_free(pool);
	workers_free(ws);
	for (size_t i = 0; i < srv.nlisteners; i++)
		close(srv.listeners[i].fd);
	free(srv.listeners);
	web_sessions_free(srv.web.sessions);
	web_views_free(srv.web.views);
	SSL_CTX_free(tls);
	log_info("serve event=stopped");
	return 0;
}
