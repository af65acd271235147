/* Logging to stderr, one write(2) per line so that threads never interleave.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "str.h"

static enum log_level	 min_level = LOG_LVL_INFO;
static const char	*prog = "petrel";
static char		 traced[128];

void
log_set_level(enum log_level level)
{
	min_level = level;
}

void
log_set_name(const char *name)
{
	prog = name;
}

void
log_set_trace(const char *protocols)
{
	/* ",smtp,pop3," so that a lookup is one strstr of ",name,". */
	if (snprintf(traced, sizeof(traced), ",%s,", protocols) >=
	    (int)sizeof(traced))
		fatalx("trace list too long: %s", protocols);
}

bool
log_trace_on(const char *protocol)
{
	char key[32];

	if (traced[0] == '\0')
		return false;
	if (snprintf(key, sizeof(key), ",%s,", protocol) >= (int)sizeof(key))
		return false;
	return strstr(traced, key) != NULL || strstr(traced, ",all,") != NULL;
}

static void vlog(enum log_level, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
vlog(enum log_level level, const char *tag, int errnum, const char *fmt,
    va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int n, m;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000, prog, tag);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 64)
		n = (int)sizeof(line) - 64;
	if (errnum != 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " error=\"%s\"",
		    strerror(errnum));
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

#define LOG_FN(name, level, tag, use_errno)				\
void									\
name(const char *fmt, ...)						\
{									\
	int saved = errno;						\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	vlog(level, tag, use_errno ? saved : 0, fmt, ap);		\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_debug, LOG_LVL_DEBUG, "debug", 0)
LOG_FN(log_info, LOG_LVL_INFO, "info", 0)
LOG_FN(log_warn, LOG_LVL_WARN, "warn", 1)
LOG_FN(log_warnx, LOG_LVL_WARN, "warn", 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, "fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
