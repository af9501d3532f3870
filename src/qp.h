/*
 * qp.h — quoted-printable encoding (RFC 2045 6.7) for message bodies.
 *
 * The encoder is a stream: feed it text in pieces and it keeps the column.
 * A '\n' in the input becomes a CRLF hard line break; encoded lines are
 * at most 76 octets including a soft break's '='. '=', every byte outside
 * printable ASCII, a space or tab before a line end (or at a piece's end), a
 * '.' at the start of a line and the 'F' of a "From " at the start of a line
 * are encoded, so the output survives dot-stuffing and mbox alike.
 *
 * qp_break() ends the current line with a soft break; the composer calls it
 * around per-subscriber values, so that text encoded once can be reused with
 * any value between (the column restarts at 0 after each).
 */
#ifndef DISPATCHER_QP_H
#define DISPATCHER_QP_H

#include <stddef.h>

#include "buf.h"

#define QP_LINE_MAX	76

struct qp {
	size_t	col;
};

void	qp_init(struct qp *q);
/* Encodes s[0..n) onto out. 0, or -1 when out is full. */
int	qp_encode(struct qp *q, const char *s, size_t n, struct buf *out);
/* Soft line break when the column is not 0. */
int	qp_break(struct qp *q, struct buf *out);

#endif
