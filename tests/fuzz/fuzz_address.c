/*
 * fuzz_address.c — fuzz target for the address validator: any bytes; an
 * accepted address is at most 254 octets, has no control characters or
 * non-ASCII, its key is its lowercase form, and normalizing it again
 * changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_accepted(const char *out, const char *key)
{
	char		out2[ADDRESS_MAX + 1], key2[ADDRESS_MAX + 1];
	const char	*why;
	size_t		i, n = strlen(out);

	if (n == 0 || n > ADDRESS_MAX || strlen(key) != n)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c >= 0x7f)
			abort();
		if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) !=
		    (unsigned char)key[i])
			abort();
	}
	if (address_check(out, &why) == -1)
		abort();
	if (address_normalize(out, out2, key2, &why) == -1 ||
	    strcmp(out, out2) != 0 || strcmp(key, key2) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, out[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	const char	*why = NULL;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (address_normalize(s, out, key, &why) == 0)
		check_accepted(out, key);
	else if (why == NULL)
		abort();
	(void)address_check(s, &why);
	free(s);
	return 0;
}
