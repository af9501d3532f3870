/*
 * pack.c — writing and reading the store's records field by field (see
 * pack.h). Knows nothing of what the fields mean.
 */
#include "pack.h"

#include <string.h>

#include "store.h"

void
pack_bytes(struct pack *k, const void *v, size_t n)
{
	if (k->bad || k->len + n > k->cap) {
		k->bad = 1;
		return;
	}
	if (n)
		memcpy(k->p + k->len, v, n);
	k->len += n;
}

void
pack_u8(struct pack *k, unsigned v)
{
	unsigned char	c = (unsigned char)v;

	pack_bytes(k, &c, 1);
}

void
pack_u16(struct pack *k, unsigned v)
{
	unsigned char	b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	pack_bytes(k, b, 2);
}

void
pack_u64(struct pack *k, uint64_t v)
{
	unsigned char	b[8];

	store_be64_put(b, v);
	pack_bytes(k, b, 8);
}

void
pack_str(struct pack *k, const char *s)
{
	size_t	n = strlen(s);

	if (n > 255) {
		k->bad = 1;
		return;
	}
	pack_u8(k, (unsigned)n);
	pack_bytes(k, s, n);
}

const unsigned char *
unpack_bytes(struct unpack *u, size_t n)
{
	const unsigned char	*p = u->p;

	if (u->bad || n > u->left) {
		u->bad = 1;
		return NULL;
	}
	u->p += n;
	u->left -= n;
	return p;
}

unsigned
unpack_u8(struct unpack *u)
{
	const unsigned char	*p = unpack_bytes(u, 1);

	return p ? *p : 0;
}

unsigned
unpack_u16(struct unpack *u)
{
	const unsigned char	*p = unpack_bytes(u, 2);

	return p ? (unsigned)p[0] << 8 | p[1] : 0;
}

uint64_t
unpack_u64(struct unpack *u)
{
	const unsigned char	*p = unpack_bytes(u, 8);

	return p ? store_be64_get(p) : 0;
}

void
unpack_str(struct unpack *u, char *out, size_t outsize)
{
	size_t			 n = unpack_u8(u);
	const unsigned char	*p = unpack_bytes(u, n);

	if (p == NULL || n >= outsize) {
		u->bad = 1;
		out[0] = '\0';
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}
