/*
 * address.c — e-mail address validation and normalization (see address.h).
 *
 * The one file that includes libidn2. Called by config (addresses in the
 * list files), compose (the recipient) and subscriber (every address that
 * goes into the store).
 */
#include "address.h"

#include <string.h>

#include <idn2.h>

#include "utf8.h"

static int
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
check_local(const char *s, size_t n, const char **reason)
{
	size_t	i;

	if (n == 0)
		return *reason = "the local part is empty", -1;
	if (n > 64)
		return *reason = "the local part is longer than 64 octets", -1;
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return *reason = "unterminated quoted local part", -1;
		for (i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x20 || c == 0x7f)
				return *reason = "control character in the address", -1;
			if (c >= 0x80)
				return *reason = "non-ASCII local part", -1;
			if (c == '\\') {
				if (++i >= n - 1)
					return *reason = "dangling backslash in quoted local part", -1;
				c = (unsigned char)s[i];
				if (c < 0x20 || c == 0x7f)
					return *reason = "control character in the address", -1;
				if (c >= 0x80)
					return *reason = "non-ASCII local part", -1;
			} else if (c == '"')
				return *reason = "unescaped quote in quoted local part", -1;
		}
		return 0;
	}
	if (s[0] == '.' || s[n - 1] == '.')
		return *reason = "the local part starts or ends with a dot", -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (s[i + 1] == '.')
				return *reason = "two dots in a row in the local part", -1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return *reason = "control character in the address", -1;
		if (c == ' ')
			return *reason = "space in the address", -1;
		if (c >= 0x80)
			return *reason = "non-ASCII local part", -1;
		if (!is_atext(c))
			return *reason = "character not allowed in the local part", -1;
	}
	return 0;
}

static int
check_domain(const char *s, size_t n, const char **reason)
{
	size_t	i, label = 0, dots = 0;

	if (n == 0)
		return *reason = "the domain is empty", -1;
	if (n > 253)
		return *reason = "the domain is longer than 253 octets", -1;
	if (s[n - 1] == '.')
		return *reason = "the domain ends with a dot", -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return *reason = "empty label in the domain", -1;
			if (s[i - 1] == '-')
				return *reason = "a domain label ends with a hyphen", -1;
			label = 0;
			dots++;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return *reason = "control character in the address", -1;
		if (c == ' ')
			return *reason = "space in the address", -1;
		if (c == '-' && label == 0)
			return *reason = "a domain label starts with a hyphen", -1;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return *reason = "character not allowed in the domain", -1;
		if (++label > 63)
			return *reason = "a domain label is longer than 63 octets", -1;
	}
	if (s[n - 1] == '-')
		return *reason = "a domain label ends with a hyphen", -1;
	if (dots == 0)
		return *reason = "the domain has no dot", -1;
	return 0;
}

int
address_check(const char *addr, const char **reason)
{
	const char	*at;
	size_t		 n;
	const char	*dummy;

	if (reason == NULL)
		reason = &dummy;
	if (addr == NULL || *addr == '\0')
		return *reason = "empty address", -1;
	n = strlen(addr);
	if (n > ADDRESS_MAX)
		return *reason = "the address is longer than 254 octets", -1;
	if ((at = strrchr(addr, '@')) == NULL)
		return *reason = "no '@' in the address", -1;
	if (check_local(addr, (size_t)(at - addr), reason) == -1)
		return -1;
	return check_domain(at + 1, strlen(at + 1), reason);
}

const char *
address_domain(const char *addr)
{
	const char	*at = strrchr(addr, '@');

	return at ? at + 1 : addr + strlen(addr);
}

static int
has_high(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static void
lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Writes the ASCII form of domain into out[outsize]. */
static int
domain_ascii(const char *domain, char *out, size_t outsize,
    const char **reason)
{
	char	*ace = NULL;
	int	 rc;

	if (!has_high(domain)) {
		if (strlen(domain) >= outsize)
			return *reason = "the domain is longer than 253 octets", -1;
		strcpy(out, domain);
		lower_ascii(out);
		return 0;
	}
	if (utf8_check(domain, strlen(domain), NULL) == -1)
		return *reason = "the domain is not valid UTF-8", -1;
	rc = idn2_to_ascii_8z(domain, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK) {
		*reason = rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL ?
		    "the internationalized domain is too long" :
		    "the domain is not a valid internationalized domain name";
		idn2_free(ace);
		return -1;
	}
	if (strlen(ace) >= outsize) {
		idn2_free(ace);
		return *reason = "the domain is longer than 253 octets", -1;
	}
	strcpy(out, ace);
	lower_ascii(out);
	idn2_free(ace);
	return 0;
}

int
address_normalize(const char *addr, char out[ADDRESS_MAX + 1],
    char key[ADDRESS_MAX + 1], const char **reason)
{
	const char	*at, *dummy;
	char		 domain[ADDRESS_MAX + 1];
	size_t		 n, local;

	if (reason == NULL)
		reason = &dummy;
	if (addr == NULL || *addr == '\0')
		return *reason = "empty address", -1;
	if ((n = strnlen(addr, ADDRESS_INPUT_MAX + 1)) > ADDRESS_INPUT_MAX)
		return *reason = "the address is longer than 254 octets", -1;
	for (at = addr; *at; at++)
		if ((unsigned char)*at < 0x20 || *at == 0x7f)
			return *reason = "control character in the address", -1;
	if ((at = strrchr(addr, '@')) == NULL)
		return *reason = "no '@' in the address", -1;
	if ((local = (size_t)(at - addr)) > 64)
		return *reason = "the local part is longer than 64 octets", -1;
	if (domain_ascii(at + 1, domain, sizeof(domain), reason) == -1)
		return -1;
	if (local + 1 + strlen(domain) > ADDRESS_MAX)
		return *reason = "the address is longer than 254 octets", -1;
	memcpy(out, addr, local + 1);
	strcpy(out + local + 1, domain);
	if (address_check(out, reason) == -1)
		return -1;
	strcpy(key, out);
	lower_ascii(key);
	return 0;
}
