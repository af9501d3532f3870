/*
 * test_address.c — the address validator and normalizer: tables of valid
 * and invalid addresses, internationalized domains, keys.
 */
#include <string.h>

#include "address.h"
#include "unit.h"

static const struct {
	const char	*in, *stored, *key;
} valid[] = {
	{ "a@example.com", "a@example.com", "a@example.com" },
	{ "Jane.Doe@Example.COM", "Jane.Doe@example.com", "jane.doe@example.com" },
	{ "first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk",
	    "first.last+tag@sub.example.co.uk" },
	{ "x!#$%&'*+-/=?^_`{|}~@example.org", "x!#$%&'*+-/=?^_`{|}~@example.org",
	    "x!#$%&'*+-/=?^_`{|}~@example.org" },
	{ "\"john doe\"@example.com", "\"john doe\"@example.com",
	    "\"john doe\"@example.com" },
	{ "\"a@b\"@example.com", "\"a@b\"@example.com", "\"a@b\"@example.com" },
	{ "\"q\\\"uote\"@example.com", "\"q\\\"uote\"@example.com",
	    "\"q\\\"uote\"@example.com" },
	{ "user@b\xc3\xbc" "cher.de", "user@xn--bcher-kva.de",
	    "user@xn--bcher-kva.de" },
	{ "User@B\xc3\x9c" "CHER.de", "User@xn--bcher-kva.de",
	    "user@xn--bcher-kva.de" },
	{ "info@\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95",
	    "info@xn--fsqu00a.xn--0zwm56d", "info@xn--fsqu00a.xn--0zwm56d" },
	{ "a@xn--bcher-kva.de", "a@xn--bcher-kva.de", "a@xn--bcher-kva.de" },
	{ "a@1.2.3.example", "a@1.2.3.example", "a@1.2.3.example" },
	{ "a-b@my-host.example", "a-b@my-host.example", "a-b@my-host.example" },
};

static const struct {
	const char	*in, *reason;
} invalid[] = {
	{ "", "empty address" },
	{ "plainaddress", "no '@' in the address" },
	{ "@example.com", "the local part is empty" },
	{ "a@", "the domain is empty" },
	{ "a@localhost", "the domain has no dot" },
	{ "a@example.com.", "the domain ends with a dot" },
	{ "a.@example.com", "the local part starts or ends with a dot" },
	{ ".a@example.com", "the local part starts or ends with a dot" },
	{ "a..b@example.com", "two dots in a row in the local part" },
	{ "a b@example.com", "space in the address" },
	{ "a@exa mple.com", "space in the address" },
	{ "a\t@example.com", "control character in the address" },
	{ "a@example.com\r\nBcc: x@y.z", "control character in the address" },
	{ "a@-example.com", "a domain label starts with a hyphen" },
	{ "a@example-.com", "a domain label ends with a hyphen" },
	{ "a@example..com", "empty label in the domain" },
	{ "a@exa_mple.com", "character not allowed in the domain" },
	{ "a(b)@example.com", "character not allowed in the local part" },
	{ "\"unterminated@example.com", "unterminated quoted local part" },
	{ "\"a\"b\"@example.com", "unescaped quote in quoted local part" },
	{ "j\xc3\xb6rg@example.com", "non-ASCII local part" },
	{ "\"jon le\xfcne.e\"@example.com", "non-ASCII local part" },
	{ "\"q\\\x96uote\"@example.com", "non-ASCII local part" },
	{ "\"q\\\x01uote\"@example.com", "control character in the address" },
	{ "a@b\xff.de", "the domain is not valid UTF-8" },
	{ "a@\xe2\x98\x83\xe2\x80\x8d.com",
	    "the domain is not a valid internationalized domain name" },
};

TEST(address_valid_table)
{
	char		out[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	const char	*why;
	size_t		i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		why = NULL;
		if (address_normalize(valid[i].in, out, key, &why) == -1) {
			fprintf(stderr, "  rejected %s: %s\n", valid[i].in, why);
			CHECK(0);
			continue;
		}
		CHECK_STR(out, valid[i].stored);
		CHECK_STR(key, valid[i].key);
	}
}

TEST(address_invalid_table)
{
	char		out[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	const char	*why;
	size_t		i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		why = NULL;
		if (address_normalize(invalid[i].in, out, key, &why) == 0) {
			fprintf(stderr, "  accepted %s\n", invalid[i].in);
			CHECK(0);
			continue;
		}
		CHECK_STR(why, invalid[i].reason);
	}
}

TEST(address_length_limits)
{
	char		buf[2048], out[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	const char	*why;

	/* local part: 64 octets pass, 65 do not */
	memset(buf, 'a', 64);
	strcpy(buf + 64, "@example.com");
	CHECK(address_normalize(buf, out, key, &why) == 0);
	memset(buf, 'a', 65);
	strcpy(buf + 65, "@example.com");
	CHECK(address_normalize(buf, out, key, &why) == -1);
	CHECK_STR(why, "the local part is longer than 64 octets");
	/* a label of 63 passes, 64 does not */
	strcpy(buf, "a@");
	memset(buf + 2, 'b', 63);
	strcpy(buf + 65, ".com");
	CHECK(address_normalize(buf, out, key, &why) == 0);
	memset(buf + 2, 'b', 64);
	strcpy(buf + 66, ".com");
	CHECK(address_normalize(buf, out, key, &why) == -1);
	CHECK_STR(why, "a domain label is longer than 63 octets");
	/* 254 in all passes, 255 does not */
	memset(buf, 'a', 64);
	buf[64] = '@';
	memset(buf + 65, 'b', 185);
	buf[65 + 60] = buf[65 + 120] = buf[65 + 180] = '.';
	strcpy(buf + 250, ".com");
	CHECK(strlen(buf) == 254);
	CHECK(address_normalize(buf, out, key, &why) == 0);
	strcpy(buf + 250, ".comx");
	CHECK(address_normalize(buf, out, key, &why) == -1);
	/* input far past the limit is refused unread */
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	buf[10] = '@';
	CHECK(address_normalize(buf, out, key, &why) == -1);
	CHECK_STR(why, "the address is longer than 254 octets");
	/* an IDN whose punycode form passes 253 octets */
	strcpy(buf, "a@");
	for (int i = 0; i < 6; i++)
		strcat(buf, "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
		    "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbcxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.");
	strcat(buf, "de");
	CHECK(address_normalize(buf, out, key, &why) == -1);
}

TEST(address_check_unchanged_for_callers)
{
	const char	*why;

	CHECK(address_check("list@example.org", &why) == 0);
	CHECK(address_check("a@example.com.", &why) == -1);
	CHECK(address_check("a@localhost", NULL) == -1);
	CHECK_STR(address_domain("x@example.org"), "example.org");
}
