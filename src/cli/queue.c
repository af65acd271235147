/* petrel queue list|show|flush|delete|hold|release|inject: the mail
 * queue for operators. The commands work on the queue's database, so
 * they work whether `petrel serve` runs or not; a running scheduler sees
 * a change within a second.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "lib/buf.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "queue/queue.h"

struct cli_q {
	struct config	*cfg;
	struct iopool	*pool;
	struct queue	*q;
};

struct inject_wait {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 is_done;
	int		 result;
	char		 err[256];
};

static int
usage(void)
{
	fprintf(stderr, "usage: petrel queue list\n"
	    "       petrel queue show|delete|hold|release ID\n"
	    "       petrel queue flush [ID]\n"
	    "       petrel queue inject -f SENDER RCPT... < message\n");
	return 2;
}

static int
q_open(struct cli_q *c)
{
	char *err = NULL;

	memset(c, 0, sizeof(*c));
	if ((c->cfg = daemon_config_open(cli_config_path, &err)) == NULL) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
		return -1;
	}
	c->pool = iopool_new(1);
	c->q = queue_open(config_str(c->cfg, "data_dir"), c->pool,
	    config_str(c->cfg, "store"), &err);
	if (c->q == NULL) {
		fprintf(stderr, "petrel: cannot open the queue: %s\n", err);
		free(err);
		iopool_free(c->pool);
		config_free(c->cfg);
		return -1;
	}
	return 0;
}

static void
q_close(struct cli_q *c)
{
	queue_close(c->q);
	iopool_free(c->pool);
	config_free(c->cfg);
}

static void
print_time(const char *label, time_t t)
{
	char s[64];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s%s", label, s);
}

static void
print_info(const struct queue_info *m)
{
	size_t i;

	printf("%s %8llu ", m->id, (unsigned long long)m->size);
	print_time("", m->created);
	printf(" <%s>%s", m->sender, m->is_held ? " (held)" : "");
	if (m->lease_owner != NULL)
		printf(" (leased by %s for %us)", m->lease_owner,
		    m->lease_left);
	printf("\n");
	for (i = 0; i < m->nrcpts; i++) {
		const struct queue_info_rcpt *r = &m->rcpts[i];

		printf("    <%s> attempts=%u", r->address, r->attempts);
		print_time(" next=", r->next_attempt);
		printf("\n");
		if (r->last_reply[0] != '\0')
			printf("        (%s%s%s)\n", r->last_relay,
			    r->last_relay[0] ? ": " : "", r->last_reply);
	}
}

static int
cmd_list(struct cli_q *c)
{
	struct queue_info *v;
	char *err = NULL;
	size_t n, i;

	if (queue_list(c->q, &v, &n, &err) == -1) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
		return 1;
	}
	for (i = 0; i < n; i++)
		print_info(&v[i]);
	if (n == 0)
		printf("Mail queue is empty\n");
	queue_info_free(v, n);
	free(v);
	return 0;
}

/* The envelope, then the message as queued (from its file, or on a
 * cluster node from its row in the database). */
static int
cmd_show(struct cli_q *c, const char *id)
{
	struct queue_info info;
	struct buf body = BUF_INIT;
	char *err = NULL;
	int r;

	if ((r = queue_show(c->q, id, &info, &err)) != 1) {
		fprintf(stderr, "petrel: %s\n", r == 0 ? "no such message" :
		    err);
		free(err);
		return 1;
	}
	print_info(&info);
	queue_info_free(&info, 1);
	printf("\n");
	if ((r = queue_body(c->q, id, &body, &err)) == -1) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
	} else
		fwrite(body.data, 1, body.len, stdout);
	buf_free(&body);
	return r == -1 ? 1 : 0;
}

static int
cmd_change(struct cli_q *c, const char *verb, const char *id)
{
	char *err = NULL;
	int r;

	if (strcmp(verb, "flush") == 0)
		r = queue_flush(c->q, id, &err);
	else if (strcmp(verb, "delete") == 0)
		r = queue_delete(c->q, id, &err);
	else
		r = queue_hold(c->q, id, strcmp(verb, "hold") == 0, &err);
	if (r < 0) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
		return 1;
	}
	if (r == 0 && id != NULL) {
		fprintf(stderr, "petrel: no such message: %s\n", id);
		return 1;
	}
	printf("%s: %d %s%s\n", verb, r, strcmp(verb, "flush") == 0 ?
	    "recipient" : "message", r == 1 ? "" : "s");
	return 0;
}

static void
inject_done(void *arg, int result, const char *err)
{
	struct inject_wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->result = result;
	snprintf(w->err, sizeof(w->err), "%s", err ? err : "");
	w->is_done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Read stdin with line ends made CRLF. */
static void
read_message(struct buf *out)
{
	char line[8192];
	size_t n;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n') {
			n--;
			if (n > 0 && line[n - 1] == '\r')
				n--;
			buf_add(out, line, n);
			buf_adds(out, "\r\n");
		} else
			buf_add(out, line, n);
	}
}

static int
inject_commit(struct queue_msg *m)
{
	struct inject_wait w = { PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER, false, 0, "" };
	char id[QUEUE_ID_LEN + 1];

	snprintf(id, sizeof(id), "%s", queue_msg_id(m));
	queue_msg_commit(m, NULL, inject_done, &w);
	pthread_mutex_lock(&w.mu);
	while (!w.is_done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	if (w.result != 0) {
		fprintf(stderr, "petrel: %s\n", w.err);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

static int
cmd_inject(struct cli_q *c, int argc, char **argv)
{
	const char *sender = NULL;
	struct queue_msg *m;
	struct buf msg = BUF_INIT;
	char *err = NULL;
	int ch, i, rc;

	while ((ch = getopt(argc, argv, "f:")) != -1) {
		if (ch != 'f')
			return usage();
		sender = optarg;
	}
	if (sender == NULL || optind >= argc)
		return usage();
	if ((m = queue_msg_new(c->q, sender, &err)) == NULL) {
		fprintf(stderr, "petrel: %s\n", err);
		free(err);
		return 1;
	}
	for (i = optind; i < argc; i++)
		queue_msg_add_rcpt(m, argv[i], 0, NULL);
	read_message(&msg);
	for (i = 0; i < (int)msg.len && (unsigned char)msg.data[i] < 0x80; i++)
		;
	queue_msg_set_params(m, i < (int)msg.len, false, false, NULL);
	if (queue_msg_write(m, msg.data, msg.len) == -1) {
		perror("petrel: write");
		queue_msg_abort(m);
		buf_free(&msg);
		return 1;
	}
	buf_free(&msg);
	rc = inject_commit(m);
	return rc;
}

int
cli_queue(int argc, char **argv)
{
	struct cli_q c;
	const char *verb;
	int rc;

	if (argc < 2)
		return usage();
	verb = argv[1];
	if (strcmp(verb, "list") != 0 && strcmp(verb, "flush") != 0 &&
	    strcmp(verb, "inject") != 0 && argc != 3)
		return usage();
	if (q_open(&c) == -1)
		return 1;
	if (strcmp(verb, "list") == 0)
		rc = cmd_list(&c);
	else if (strcmp(verb, "show") == 0)
		rc = cmd_show(&c, argv[2]);
	else if (strcmp(verb, "inject") == 0)
		rc = cmd_inject(&c, argc - 1, argv + 1);
	else if (strcmp(verb, "flush") == 0 || strcmp(verb, "delete") == 0 ||
	    strcmp(verb, "hold") == 0 || strcmp(verb, "release") == 0)
		rc = cmd_change(&c, verb, argc > 2 ? argv[2] : NULL);
	else
		rc = usage();
	q_close(&c);
	return rc;
}
