/*
 * pack.h — the small binary form of the records the store keeps.
 *
 * A record is written field by field into a caller's fixed buffer:
 * fixed-width big-endian integers, strings of at most 255 bytes behind a
 * length byte, and raw bytes. Reading checks every length against what is
 * left, so a damaged record sets `bad`, never reads past its end. A writer
 * that runs out of room sets `bad` too. Used by the subscriber and spool
 * records; each keeps its own version byte first.
 */
#ifndef DISPATCHER_PACK_H
#define DISPATCHER_PACK_H

#include <stddef.h>
#include <stdint.h>

struct pack {
	unsigned char	*p;
	size_t		 len, cap;
	int		 bad;
};

struct unpack {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

#define PACK_INIT(buf, cap)	{ (buf), 0, (cap), 0 }
#define UNPACK_INIT(data, len)	{ (const unsigned char *)(data), (len), 0 }

void	pack_bytes(struct pack *k, const void *v, size_t n);
void	pack_u8(struct pack *k, unsigned v);
void	pack_u16(struct pack *k, unsigned v);
void	pack_u64(struct pack *k, uint64_t v);
void	pack_str(struct pack *k, const char *s);	/* over 255: bad */

/* NULL (and bad set) when fewer than n bytes are left. */
const unsigned char *unpack_bytes(struct unpack *u, size_t n);
unsigned unpack_u8(struct unpack *u);
unsigned unpack_u16(struct unpack *u);
uint64_t unpack_u64(struct unpack *u);
/* Copies a string into out (outsize bytes with its NUL); bad if longer. */
void	unpack_str(struct unpack *u, char *out, size_t outsize);

#endif
