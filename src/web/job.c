/* Blocking store work for a request: run on the I/O pool, answered back on
 * the connection's loop, or only cleaned up when the client went away.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "web_int.h"

struct job {
	struct web_req		*r;
	web_job_fn		*work;
	web_job_done_fn		*done;
	void			*arg;
};

static void
job_work(void *arg)
{
	struct job *j = arg;

	j->work(j->arg);
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	j->done(web_req_resume(j->r) ? j->r : NULL, j->arg);
	free(j);
}

void
web_req_run(struct web_req *r, web_job_fn *work, web_job_done_fn *done,
    void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->r = r;
	j->work = work;
	j->done = done;
	j->arg = arg;
	web_req_suspend(r);
	iopool_submit(r->srv->pool, web_req_base(r), job_work, job_done, j);
}
