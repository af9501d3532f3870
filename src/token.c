/*
 * token.c — HMAC-signed tokens and the secret key file (see token.h).
 */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "digest.h"
#include "log.h"

static const char *purpose_names[] = { "unsubscribe", "message-id", "verp",
	"confirm" };

static void
token_mac(const struct token_key *key, enum token_purpose purpose,
    const char *list, const char *address, unsigned char mac[DIGEST_LEN])
{
	const char		*pn = purpose_names[purpose];
	struct digest_part	 parts[3] = {
		{ pn, strlen(pn) + 1 },
		{ list, strlen(list) + 1 },
		{ address, strlen(address) },
	};

	digest_hmac(key->bytes, TOKEN_KEY_LEN, parts, 3, mac);
}

size_t
token_make(const struct token_key *key, enum token_purpose purpose,
    const char *list, const char *address, char *out)
{
	unsigned char	mac[DIGEST_LEN];
	size_t		n, alen = strlen(address);

	if (alen > ADDRESS_MAX)
		return 0;
	token_mac(key, purpose, list, address, mac);
	n = digest_b64url_encode(address, alen, out);
	out[n++] = '.';
	n += digest_b64url_encode(mac, TOKEN_MAC_LEN, out + n);
	return n;
}

int
token_check(const struct token_key *key, enum token_purpose purpose,
    const char *list, const char *token, char *address, const char **reason)
{
	unsigned char	 mac[DIGEST_LEN], given[TOKEN_MAC_LEN + 2];
	const char	*dot = strchr(token, '.');
	long		 alen, mlen;

	if (dot == NULL || strchr(dot + 1, '.') != NULL)
		return *reason = "malformed token", -1;
	alen = digest_b64url_decode(token, (size_t)(dot - token),
	    (unsigned char *)address, ADDRESS_MAX);
	if (alen <= 0)
		return *reason = "malformed token", -1;
	address[alen] = '\0';
	if (memchr(address, '\0', (size_t)alen) != NULL)
		return *reason = "malformed token", -1;
	mlen = digest_b64url_decode(dot + 1, strlen(dot + 1), given,
	    sizeof(given));
	if (mlen != TOKEN_MAC_LEN)
		return *reason = "malformed token", -1;
	token_mac(key, purpose, list, address, mac);
	if (digest_equal(mac, given, TOKEN_MAC_LEN) != 0) {
		address[0] = '\0';
		return *reason = "the token's signature does not match", -1;
	}
	return 0;
}

void
token_short(const struct token_key *key, const char *issue,
    const char *address, char *out)
{
	unsigned char	mac[DIGEST_LEN];

	token_mac(key, TOKEN_MESSAGE_ID, issue, address, mac);
	digest_hex(mac, 10, out);
}

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Lower-case base32 without padding; out needs (n * 8 + 4) / 5 + 1. */
static size_t
base32_encode(const unsigned char *in, size_t n, char *out)
{
	size_t		i, o = 0;
	unsigned	acc = 0;
	int		bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

static int
base32_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	const char	*c;
	size_t		 i, o = 0;
	unsigned	 acc = 0;
	int		 bits = 0;

	for (i = 0; i < n; i++) {
		char ch = in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i];
		if ((c = strchr(b32, ch)) == NULL || ch == '\0')
			return -1;
		acc = (acc << 5) | (unsigned)(c - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o == outlen ? 0 : -1;
}

static void
verp_mac(const struct token_key *key, const unsigned char id[8],
    unsigned char mac[DIGEST_LEN])
{
	const char		*pn = purpose_names[TOKEN_VERP];
	struct digest_part	 parts[2] = { { pn, strlen(pn) + 1 }, { id, 8 } };

	digest_hmac(key->bytes, TOKEN_KEY_LEN, parts, 2, mac);
}

static void
id_bytes(unsigned long long id, unsigned char out[8])
{
	int	i;

	for (i = 7; i >= 0; i--, id >>= 8)
		out[i] = (unsigned char)(id & 0xff);
}

int
token_verp_make(const struct token_key *key, const char *prefix,
    unsigned long long id, const char *domain, char *out, size_t outlen)
{
	unsigned char	raw[8], mac[DIGEST_LEN];
	char		a[16], m[20];
	int		n;

	id_bytes(id, raw);
	verp_mac(key, raw, mac);
	base32_encode(raw, 8, a);
	base32_encode(mac, 10, m);
	n = snprintf(out, outlen, "%s+%s%s@%s", prefix, a, m, domain);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
token_verp_check(const struct token_key *key, const char *prefix,
    const char *address, unsigned long long *id, const char **reason)
{
	unsigned char	 raw[8], mac[DIGEST_LEN], given[10];
	size_t		 plen = strlen(prefix), i;
	const char	*t = address + plen + 1, *at = strrchr(address, '@');

	if (strncasecmp(address, prefix, plen) != 0 || address[plen] != '+' ||
	    at == NULL)
		return *reason = "not a VERP address", -1;
	if (at - t != 13 + 16)
		return *reason = "malformed VERP token", -1;
	if (base32_decode(t, 13, raw, 8) == -1 ||
	    base32_decode(t + 13, 16, given, 10) == -1)
		return *reason = "malformed VERP token", -1;
	verp_mac(key, raw, mac);
	if (digest_equal(mac, given, 10) != 0)
		return *reason = "the VERP token's signature does not match", -1;
	*id = 0;
	for (i = 0; i < 8; i++)
		*id = (*id << 8) | raw[i];
	return 0;
}

static int
mkdir_parent(const char *path)
{
	char	*copy = strdup(path), *p;
	int	 rc = 0;

	if (copy == NULL)
		return -1;
	for (p = copy + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(copy);
	return rc;
}

static int
key_create(const char *path, char *err, size_t errlen)
{
	unsigned char	raw[TOKEN_KEY_LEN];
	char		hex[TOKEN_KEY_LEN * 2 + 2];
	int		fd;

	if (digest_random(raw, sizeof(raw)) == -1) {
		errf(err, errlen, "%s: no random bytes: %s", path, strerror(errno));
		return -1;
	}
	digest_hex(raw, sizeof(raw), hex);
	strcat(hex, "\n");
	mkdir_parent(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1) {
		if (errno == EEXIST)
			return 0;	/* another process made it first */
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
	    fsync(fd) == -1) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	log_info("token", "created a new secret key in %s", path);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
token_key_load(const char *path, struct token_key *key, char *err,
    size_t errlen)
{
	char		line[TOKEN_KEY_LEN * 2 + 8];
	struct stat	st;
	FILE		*fp;
	size_t		i;
	int		hi, lo;

	if (access(path, F_OK) == -1 && key_create(path, err, errlen) == -1)
		return -1;
	if ((fp = fopen(path, "r")) == NULL) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 077) != 0) {
		errf(err, errlen, "%s: the secret key is readable by others; "
		    "chmod 600 it", path);
		fclose(fp);
		return -1;
	}
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	for (i = 0; i < TOKEN_KEY_LEN; i++) {
		hi = hexval(line[2 * i]);
		lo = hi == -1 ? -1 : hexval(line[2 * i + 1]);
		if (hi == -1 || lo == -1) {
			errf(err, errlen, "%s: not a key (64 hex digits "
			    "expected)", path);
			return -1;
		}
		key->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* ---- rotation and confirmation tokens -------------------------------- */

int
token_keys_load(const char *path, const char *previous_path,
    long long previous_until, struct token_keys *keys, char *err,
    size_t errlen)
{
	memset(keys, 0, sizeof(*keys));
	if (token_key_load(path, &keys->current, err, errlen) == -1)
		return -1;
	if (previous_path == NULL)
		return 0;
	if (access(previous_path, F_OK) == -1) {
		errf(err, errlen, "%s: %s (the previous secret key)",
		    previous_path, strerror(errno));
		return -1;
	}
	if (token_key_load(previous_path, &keys->previous, err, errlen) == -1)
		return -1;
	keys->has_previous = 1;
	keys->previous_until = previous_until;
	return 0;
}

int
token_keys_check(const struct token_keys *keys, enum token_purpose purpose,
    const char *list, const char *token, long long now, char *address,
    const char **reason)
{
	if (token_check(&keys->current, purpose, list, token, address,
	    reason) == 0)
		return 0;
	if (!keys->has_previous || now >= keys->previous_until)
		return -1;
	return token_check(&keys->previous, purpose, list, token, address,
	    reason);
}

static void
confirm_mac(const struct token_key *key, const char *list,
    const char *address, const char *expiry, unsigned char mac[DIGEST_LEN])
{
	const char		*pn = purpose_names[TOKEN_CONFIRM];
	struct digest_part	 parts[4] = {
		{ pn, strlen(pn) + 1 },
		{ list, strlen(list) + 1 },
		{ address, strlen(address) + 1 },
		{ expiry, strlen(expiry) },
	};

	digest_hmac(key->bytes, TOKEN_KEY_LEN, parts, 4, mac);
}

size_t
token_confirm_make(const struct token_key *key, const char *list,
    const char *address, long long expires, char *out)
{
	unsigned char	mac[DIGEST_LEN];
	char		exp[24];
	size_t		n, alen = strlen(address);

	if (alen > ADDRESS_MAX || expires < 0)
		return 0;
	snprintf(exp, sizeof(exp), "%lld", expires);
	confirm_mac(key, list, address, exp, mac);
	n = digest_b64url_encode(address, alen, out);
	n += (size_t)sprintf(out + n, ".%s.", exp);
	n += digest_b64url_encode(mac, TOKEN_MAC_LEN, out + n);
	return n;
}

/* Splits a confirmation token: the address decoded, the expiry text and
 * its value, the MAC decoded. 0 / -1. */
static int
confirm_split(const char *token, char *address, char exp[24],
    long long *expires, unsigned char given[TOKEN_MAC_LEN + 2])
{
	const char	*d1 = strchr(token, '.'), *d2;
	long		 alen, mlen;
	size_t		 elen;
	long long	 v = 0;

	if (d1 == NULL || (d2 = strchr(d1 + 1, '.')) == NULL ||
	    strchr(d2 + 1, '.') != NULL)
		return -1;
	elen = (size_t)(d2 - d1 - 1);
	if (elen == 0 || elen > 18 || strspn(d1 + 1, "0123456789") != elen ||
	    (elen > 1 && d1[1] == '0'))
		return -1;
	memcpy(exp, d1 + 1, elen);
	exp[elen] = '\0';
	for (size_t i = 0; i < elen; i++)
		v = v * 10 + (exp[i] - '0');
	*expires = v;
	alen = digest_b64url_decode(token, (size_t)(d1 - token),
	    (unsigned char *)address, ADDRESS_MAX);
	if (alen <= 0 || memchr(address, '\0', (size_t)alen) != NULL)
		return -1;
	address[alen] = '\0';
	mlen = digest_b64url_decode(d2 + 1, strlen(d2 + 1), given,
	    TOKEN_MAC_LEN + 2);
	return mlen == TOKEN_MAC_LEN ? 0 : -1;
}

int
token_confirm_check(const struct token_keys *keys, const char *list,
    const char *token, long long now, char *address, const char **reason)
{
	unsigned char	 mac[DIGEST_LEN], given[TOKEN_MAC_LEN + 2];
	char		 exp[24];
	long long	 expires;
	int		 ok;

	if (confirm_split(token, address, exp, &expires, given) == -1) {
		address[0] = '\0';
		return *reason = "malformed token", -1;
	}
	confirm_mac(&keys->current, list, address, exp, mac);
	ok = digest_equal(mac, given, TOKEN_MAC_LEN) == 0;
	if (!ok && keys->has_previous && now < keys->previous_until) {
		confirm_mac(&keys->previous, list, address, exp, mac);
		ok = digest_equal(mac, given, TOKEN_MAC_LEN) == 0;
	}
	if (!ok) {
		address[0] = '\0';
		return *reason = "the token's signature does not match", -1;
	}
	if (now >= expires)
		return *reason = "the token has expired", TOKEN_EXPIRED;
	return 0;
}
