/*
 * log.c — stderr logging and error-buffer formatting (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level	log_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	static const char	*names[] = { "error: ", "warning: ", "", "" };
	va_list			 ap;

	if (level > log_level)
		return;
	fprintf(stderr, "dispatcher: %s%s%s", names[level], module ? module : "",
	    module ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
