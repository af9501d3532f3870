/*
 * address.h — e-mail address validation.
 *
 * A practical RFC 5321/5322 addr-spec: a dot-atom or quoted local part of at
 * most 64 octets, '@', a domain of dot-separated labels (at least one dot,
 * each label 1 to 63 octets of letters, digits and inner hyphens), 254 octets
 * in all. No spaces outside quotes, no control characters anywhere.
 * Pure functions: they never log, and return a constant reason on failure.
 *
 * address_normalize() also takes internationalized domains (UTF-8), turns
 * them into their ASCII form (IDNA2008 with UTS #46 mapping, by libidn2,
 * the one file that includes it is this one's .c), and gives the key under
 * which the store files the address: the whole address lowercased, because
 * mailbox providers compare local parts case-insensitively in practice.
 */
#ifndef DISPATCHER_ADDRESS_H
#define DISPATCHER_ADDRESS_H

#include <stddef.h>

#define ADDRESS_MAX	254
#define ADDRESS_INPUT_MAX	1024	/* longer input is refused unread */

/* 0 when addr is acceptable, else -1 and *reason says why. */
int	address_check(const char *addr, const char **reason);

/*
 * Checks addr (an addr-spec, UTF-8 allowed in the domain) and writes its
 * stored form into out (the local part as given, '@', the domain in ASCII:
 * punycode for an internationalized domain, lowercased) and its key into
 * key (out, all lowercase). Both buffers hold ADDRESS_MAX + 1 bytes. 0, or
 * -1 with *reason set (a constant string).
 */
int	address_normalize(const char *addr, char out[ADDRESS_MAX + 1],
	    char key[ADDRESS_MAX + 1], const char **reason);

/* Pointer to the domain part of a checked address (after the last '@'). */
const char *address_domain(const char *addr);

#endif
