/*
 * dkim_keygen.h — a DKIM key pair, and the DNS record that publishes it.
 *
 * dkim_keygen_write() makes an RSA key with GnuTLS and writes the private
 * key (PEM, PKCS#1) with mode 0600, creating its directory (0700) when
 * missing; dkim_keygen_read() gives the public half of a key already
 * there. The public key comes back as the base64 of its DER
 * SubjectPublicKeyInfo: the p= of the TXT record (RFC 6376, 3.6.1).
 */
#ifndef DISPATCHER_DKIM_KEYGEN_H
#define DISPATCHER_DKIM_KEYGEN_H

#include <stddef.h>

#include "buf.h"

#define DKIM_KEYGEN_BITS	2048

/*
 * Writes a new key of bits bits at path. An existing file is replaced only
 * when force is set (the new key is written beside it, then renamed over
 * it); otherwise it is an error with errno EEXIST. *pub gets the public
 * key (free with free()). 0, or -1 with the reason in err.
 */
int	dkim_keygen_write(const char *path, unsigned bits, int force,
	    char **pub, char *err, size_t errlen);

/* The public key (free *pub with free()) of the RSA private key at path.
 * 0, or -1 with the reason in err (errno ENOENT when there is no file).
 * sign.c checks a key with it before libopendkim sees the key: handed a
 * key it cannot parse, libopendkim fails but leaks an allocation. */
int	dkim_keygen_read(const char *path, char **pub, char *err, size_t errlen);

/*
 * Appends one zone-file line to out:
 *   SELECTOR._domainkey.DOMAIN. IN TXT "v=DKIM1; k=rsa; p=..." "..."
 * the text cut into character-strings of at most 255 octets (the most one
 * DNS string holds; resolvers join them). 0, or -1 when out is full.
 */
int	dkim_txt_record(const char *selector, const char *domain,
	    const char *pub, struct buf *out);

/* Where the record is written beside the key: PATH with its ".key" or
 * ".pem" ending, if any, replaced by ".dns". A new string (free()). */
char	*dkim_txt_path(const char *keypath);

#endif
