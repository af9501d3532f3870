/*
 * digest.h — SHA-256, HMAC-SHA256, base64url and random bytes.
 *
 * The one file that includes nettle. Pure functions; nothing allocates.
 */
#ifndef DISPATCHER_DIGEST_H
#define DISPATCHER_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN	32	/* SHA-256 output, bytes */

struct digest_sha256 {
	unsigned char	state[128];	/* nettle's sha256_ctx, opaque here */
};

void	digest_sha256_init(struct digest_sha256 *d);
void	digest_sha256_add(struct digest_sha256 *d, const void *p, size_t n);
void	digest_sha256_end(struct digest_sha256 *d, unsigned char out[DIGEST_LEN]);
void	digest_sha256(const void *p, size_t n, unsigned char out[DIGEST_LEN]);

/*
 * HMAC-SHA256 of the concatenation of parts[0..nparts), each of the given
 * length, under key.
 */
struct digest_part {
	const void	*p;
	size_t		 n;
};
void	digest_hmac(const unsigned char *key, size_t keylen,
	    const struct digest_part *parts, size_t nparts,
	    unsigned char out[DIGEST_LEN]);

/* Constant-time comparison: 0 when equal. */
int	digest_equal(const void *a, const void *b, size_t n);

/* base64url without padding. out needs DIGEST_B64LEN(n) + 1 bytes. */
#define DIGEST_B64LEN(n)	(((n) * 4 + 2) / 3)
size_t	digest_b64url_encode(const void *in, size_t n, char *out);
/* Returns the decoded length, or -1 on a character outside the alphabet
 * or when out (of size outsize) is too small. */
long	digest_b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsize);

/* Lower-case hex; out needs 2n + 1 bytes. */
void	digest_hex(const void *in, size_t n, char *out);

/* Fills p with n bytes from the kernel's CSPRNG; 0 / -1. */
int	digest_random(void *p, size_t n);

#endif
