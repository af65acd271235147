/* Logging: one event per line on stderr, "component key=value ...".
 * log_warn() appends strerror(errno); fatal() and fatalx() log and exit(1).
 * Thread-safe: each line is written with one write(2).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_LOG_H
#define PETREL_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
};

/* Set the lowest level that is written (default LOG_LVL_INFO). */
void	log_set_level(enum log_level level);
/* Name the program in front of each line ("petrel" by default). */
void	log_set_name(const char *name);
/* Switch wire traces on for a comma-separated list of protocols
 * ("smtp,pop3"); log_trace_on() tells whether a protocol is traced. */
void	log_set_trace(const char *protocols);
bool	log_trace_on(const char *protocol);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
