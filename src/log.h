/*
 * log.h — one line per event on stderr, "dispatcher: module: what happened".
 *
 * Only I/O layers and commands log; pure parsers return a reason instead.
 * errf() fills a caller's error buffer, the way detail travels upward.
 */
#ifndef DISPATCHER_LOG_H
#define DISPATCHER_LOG_H

#include <stddef.h>

#define ERRLEN	512

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void	log_set_level(enum log_level level);
void	log_msg(enum log_level level, const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	errf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_error(m, ...)	log_msg(LOG_ERROR, m, __VA_ARGS__)
#define log_warn(m, ...)	log_msg(LOG_WARN, m, __VA_ARGS__)
#define log_info(m, ...)	log_msg(LOG_INFO, m, __VA_ARGS__)
#define log_debug(m, ...)	log_msg(LOG_DEBUG, m, __VA_ARGS__)

#endif
