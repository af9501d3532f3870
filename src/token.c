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

static const char *purpose_names[] = { "unsubscribe", "message-id", "verp" };

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
