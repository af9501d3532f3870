/*
 * address.h — e-mail address validation.
 *
 * A practical RFC 5321/5322 addr-spec: a dot-atom or quoted local part of at
 * most 64 octets, '@', a domain of dot-separated labels (at least one dot,
 * each label 1 to 63 octets of letters, digits and inner hyphens), 254 octets
 * in all. No spaces outside quotes, no control characters anywhere.
 * Pure functions: they never log, and return a constant reason on failure.
 */
#ifndef DISPATCHER_ADDRESS_H
#define DISPATCHER_ADDRESS_H

#include <stddef.h>

#define ADDRESS_MAX	254

/* 0 when addr is acceptable, else -1 and *reason says why. */
int	address_check(const char *addr, const char **reason);

/* Pointer to the domain part of a checked address (after the last '@'). */
const char *address_domain(const char *addr);

#endif
