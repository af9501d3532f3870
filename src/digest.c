/*
 * digest.c — SHA-256, HMAC-SHA256 (nettle), base64url, random bytes.
 *
 * Used by token.c for signed links, by issue hashing and by Message-ID
 * derivation. Nettle is included here and nowhere else.
 */
#include "digest.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/hmac.h>
#include <nettle/sha2.h>

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(struct digest_sha256),
    "digest_sha256 too small for nettle's sha256_ctx");

void
digest_sha256_init(struct digest_sha256 *d)
{
	sha256_init((struct sha256_ctx *)(void *)d->state);
}

void
digest_sha256_add(struct digest_sha256 *d, const void *p, size_t n)
{
	sha256_update((struct sha256_ctx *)(void *)d->state, n, p);
}

void
digest_sha256_end(struct digest_sha256 *d, unsigned char out[DIGEST_LEN])
{
	sha256_digest((struct sha256_ctx *)(void *)d->state, DIGEST_LEN, out);
}

void
digest_sha256(const void *p, size_t n, unsigned char out[DIGEST_LEN])
{
	struct sha256_ctx	ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, n, p);
	sha256_digest(&ctx, DIGEST_LEN, out);
}

void
digest_hmac(const unsigned char *key, size_t keylen,
    const struct digest_part *parts, size_t nparts,
    unsigned char out[DIGEST_LEN])
{
	struct hmac_sha256_ctx	ctx;
	size_t			i;

	hmac_sha256_set_key(&ctx, keylen, key);
	for (i = 0; i < nparts; i++)
		hmac_sha256_update(&ctx, parts[i].n, parts[i].p);
	hmac_sha256_digest(&ctx, DIGEST_LEN, out);
}

int
digest_equal(const void *a, const void *b, size_t n)
{
	const unsigned char	*x = a, *y = b;
	unsigned char		 diff = 0;
	size_t			 i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff != 0;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
digest_b64url_encode(const void *in, size_t n, char *out)
{
	const unsigned char	*p = in;
	size_t			 i, o = 0;
	uint32_t		 v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
digest_b64url_decode(const char *in, size_t n, unsigned char *out,
    size_t outsize)
{
	uint32_t	acc = 0;
	size_t		i, o = 0;
	int		bits = 0, v;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64url_value(in[i])) == -1)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsize)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)	/* non-canonical trailing bits */
		return -1;
	return (long)o;
}

void
digest_hex(const void *in, size_t n, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = in;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
digest_random(void *p, size_t n)
{
	unsigned char	*c = p;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(c, n, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}
