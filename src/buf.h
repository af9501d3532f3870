/*
 * buf.h — a growable byte buffer with a hard size limit.
 *
 * Every text the composer builds goes through a struct buf. The buffer owns
 * its bytes; buf_free() releases them. A buffer never grows past its limit:
 * an append that would pass it fails with -1 and leaves the buffer as it was,
 * so no input can make the process allocate without bound.
 */
#ifndef DISPATCHER_BUF_H
#define DISPATCHER_BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated while len < cap */
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* hard limit on len */
};

#define BUF_DEFAULT_MAX	((size_t)64 << 20)	/* 64 MiB */

void	buf_init(struct buf *b, size_t max);	/* max 0 means BUF_DEFAULT_MAX */
void	buf_free(struct buf *b);		/* accepts a zeroed buffer */
void	buf_reset(struct buf *b);		/* len = 0, keeps the memory */
int	buf_reserve(struct buf *b, size_t extra);
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_adds(struct buf *b, const char *s);
int	buf_addc(struct buf *b, char c);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free with free()); the buffer is emptied. */
char	*buf_detach(struct buf *b, size_t *len);

#endif
