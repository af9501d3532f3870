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
 *
 * ROTATION. A struct token_keys holds the current key and, for a while, the
 * previous one: tokens are always made with the current key, and checked
 * against the current key first, then against the previous one until its
 * end date. Links in mail sent before a key change keep working that long.
 *
 * CONFIRMATION tokens carry their expiry, signed with the rest:
 *
 *     base64url(address) "." EXPIRY "." base64url(first 16 bytes of HMAC)
 *
 * EXPIRY in decimal seconds since the epoch; the HMAC covers "confirm",
 * the list, the address and the expiry.
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

enum token_purpose { TOKEN_UNSUBSCRIBE, TOKEN_MESSAGE_ID, TOKEN_VERP,
	TOKEN_CONFIRM };

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

/* The current key and, until previous_until, the previous one. */
struct token_keys {
	struct token_key	current;
	struct token_key	previous;
	int			has_previous;
	long long		previous_until;	/* seconds since the epoch */
};

/*
 * Loads the current key (token_key_load: created when missing) and, when
 * previous_path is not NULL, the previous key, which must exist. 0 / -1 +
 * err.
 */
int	token_keys_load(const char *path, const char *previous_path,
	    long long previous_until, struct token_keys *keys, char *err,
	    size_t errlen);

/* token_check() with the current key, then the previous one while now is
 * before its end date. Same results. */
int	token_keys_check(const struct token_keys *keys,
	    enum token_purpose purpose, const char *list, const char *token,
	    long long now, char *address, const char **reason);

/* A confirmation token for (list, address) valid until expires, into out
 * (TOKEN_MAX bytes). Returns its length, or 0 when the address is too
 * long. */
size_t	token_confirm_make(const struct token_key *key, const char *list,
	    const char *address, long long expires, char *out);

/*
 * Checks a confirmation token for list at now, under keys. 0 with the
 * address copied out (ADDRESS_MAX + 1 bytes); TOKEN_EXPIRED when it is
 * genuine but its time has passed (the address is copied out too); -1
 * with a constant reason when it is malformed or forged.
 */
#define TOKEN_EXPIRED	1
int	token_confirm_check(const struct token_keys *keys, const char *list,
	    const char *token, long long now, char *address,
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
