/*
 * header.h — RFC 5322 header fields, written safely.
 *
 * Every function appends one whole field, "Name: value" CRLF, folded so that
 * lines stay within 78 characters where there is a place to fold. None of
 * them lets a CR or LF from a value into the output: a value holding a
 * control character is refused with -1 and a reason, and the buffer is left
 * as it was. Non-ASCII text goes out as RFC 2047 encoded-words (UTF-8,
 * Q encoding), split only between characters.
 */
#ifndef DISPATCHER_HEADER_H
#define DISPATCHER_HEADER_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* An ASCII value (an address list, a URL list, an id): folded at spaces. */
int	header_add(struct buf *out, const char *name, const char *value,
	    const char **reason);

/* Unstructured UTF-8 text such as Subject: encoded-words when needed. */
int	header_add_text(struct buf *out, const char *name, const char *text,
	    const char **reason);

/* A mailbox: "Display Name" <address>, the name quoted or encoded as
 * needed; display may be NULL or empty. address must be checked already. */
int	header_add_mailbox(struct buf *out, const char *name,
	    const char *display, const char *address, const char **reason);

/* An RFC 5322 date-time for t at the UTC offset tz_minutes. */
void	header_date(time_t t, int tz_minutes, char *out, size_t outlen);

#endif
