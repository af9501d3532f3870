/*
 * json.h — writing JSON strings.
 *
 * The bounce command prints one JSON object a line; this is the escaper it
 * uses. Pure: appends to a buffer, never logs.
 */
#ifndef DISPATCHER_JSON_H
#define DISPATCHER_JSON_H

#include "buf.h"

/*
 * Appends s as a JSON string, quotes included, or `null` when s is NULL.
 * '"' and '\\' are escaped, control characters written as \n, \r, \t, \b,
 * \f or \u00XX, DEL as \u007f, and every byte that is not part of
 * well-formed UTF-8 replaced with U+FFFD, so the output is always valid
 * JSON in UTF-8. Returns 0, or -1 when the buffer is full.
 */
int	json_add_string(struct buf *out, const char *s);

#endif
