/*
 * token.h — signed tokens for the links and addresses we hand out.
 *
 * A token names a subscriber (list and address) for one purpose, and carries
 * an HMAC-SHA256 under the installation's secret key, so that nobody can
 * make one for an address they do not read. Tokens are URL-safe:
 *
 *     base64url(address) "." base64url(first 16 bytes of the HMAC)
 *
 * The HMAC covers the purpose, the list and the address, so a token for one
 * list does not work on another, nor an unsubscribe token as a confirmation.
 *
 * The secret is 32 random bytes, kept hex-encoded in a file that
 * token_key_load() creates (mode 0600) when it does not exist yet, and
 * refuses to use when others can read it.
 */
#ifndef DISPATCHER_TOKEN_H
#define DISPATCHER_TOKEN_H

#include <stddef.h>

#define TOKEN_KEY_LEN	32
#define TOKEN_MAC_LEN	16
#define TOKEN_MAX	400

struct token_key {
	unsigned char	bytes[TOKEN_KEY_LEN];
};

enum token_purpose { TOKEN_UNSUBSCRIBE, TOKEN_MESSAGE_ID, TOKEN_VERP };

/* Loads path, creating it (and its directory) when missing. 0 / -1 + err. */
int	token_key_load(const char *path, struct token_key *key, char *err,
	    size_t errlen);

/* Writes the token for (purpose, list, address) into out (TOKEN_MAX bytes).
 * Returns its length, or 0 when the address is too long. */
size_t	token_make(const struct token_key *key, enum token_purpose purpose,
	    const char *list, const char *address, char *out);

/*
 * Checks a token for (purpose, list); on success copies the address it names
 * into address (ADDRESS_MAX + 1 bytes) and returns 0. Returns -1 with a
 * constant reason otherwise. The comparison takes constant time.
 */
int	token_check(const struct token_key *key, enum token_purpose purpose,
	    const char *list, const char *token, char *address,
	    const char **reason);

/*
 * VERP: the envelope sender that names one spool entry (a 64-bit id),
 * "PREFIX+" base32(id) base32(first 10 bytes of the HMAC) "@" domain, in
 * lower case (some MTAs fold the case of local parts; decoding ignores it).
 * 8 + 13 + 16 = 37 octets of local part with the default prefix "bounces".
 * token_verp_check() takes the whole address and returns the id, or -1
 * with a reason when the address is not ours or its HMAC does not match.
 */
#define TOKEN_VERP_MAX	320
int	token_verp_make(const struct token_key *key, const char *prefix,
	    unsigned long long id, const char *domain, char *out, size_t outlen);
int	token_verp_check(const struct token_key *key, const char *prefix,
	    const char *address, unsigned long long *id, const char **reason);

/* A short stable id for (list, address) under key, for Message-IDs:
 * lower-case hex of 10 bytes of HMAC. out: 21 bytes. */
void	token_short(const struct token_key *key, const char *issue,
	    const char *address, char *out);

#endif
