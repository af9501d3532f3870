/*
 * dkim_keygen.c — DKIM key pairs with GnuTLS (see dkim_keygen.h).
 *
 * GnuTLS (as mailbox_tls.c uses it for TLS) makes and reads the keys here;
 * nothing else of DKIM includes it. The private key is written to a
 * temporary file in the key's directory (O_EXCL, mode 0600, fsync), then
 * linked into place (no force: link() fails if a key appeared meanwhile)
 * or renamed over the old one (force), so a crash never leaves half a key.
 *
 * Callers: cmd_dkim.c (`dispatcher dkim-keygen`); sign.c (dkim_keygen_read,
 * to check a key before libopendkim reads it).
 */
#define _GNU_SOURCE
#include "dkim_keygen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"

#define KEYFILE_MAX	(64 * 1024)

/* Creates each missing directory above path, mode 0700. */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char	*copy, *p;
	int	 rc = 0;

	if ((copy = strdup(path)) == NULL) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	for (p = copy + 1; (p = strchr(p, '/')) != NULL && rc == 0; p++) {
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			errf(err, errlen, "%s: %s", copy, strerror(errno));
			rc = -1;
		}
		*p = '/';
	}
	free(copy);
	return rc;
}

/* base64 of the DER SubjectPublicKeyInfo of key, in *out. */
static int
public_of(gnutls_x509_privkey_t key, char **out, char *err, size_t errlen)
{
	gnutls_privkey_t	 pk = NULL;
	gnutls_pubkey_t		 pub = NULL;
	gnutls_datum_t		 der = { NULL, 0 }, b64 = { NULL, 0 };
	int			 r;
	size_t			 i, o;

	*out = NULL;
	if ((r = gnutls_privkey_init(&pk)) < 0 ||
	    (r = gnutls_privkey_import_x509(pk, key, 0)) < 0 ||
	    (r = gnutls_pubkey_init(&pub)) < 0 ||
	    (r = gnutls_pubkey_import_privkey(pub, pk, 0, 0)) < 0 ||
	    (r = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (r = gnutls_base64_encode2(&der, &b64)) < 0)
		errf(err, errlen, "public key: %s", gnutls_strerror(r));
	else if ((*out = malloc(b64.size + 1)) == NULL)
		errf(err, errlen, "out of memory");
	else {
		for (i = o = 0; i < b64.size; i++)	/* no line breaks */
			if (b64.data[i] > ' ')
				(*out)[o++] = (char)b64.data[i];
		(*out)[o] = '\0';
	}
	gnutls_free(der.data);
	gnutls_free(b64.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(pk);
	return *out ? 0 : -1;
}

/* Writes data to a new temporary file beside path; its name in tmp. */
static int
write_temp(const char *path, const gnutls_datum_t *data, char *tmp,
    size_t tmplen, char *err, size_t errlen)
{
	int	fd, rc = -1;

	snprintf(tmp, tmplen, "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write(fd, data->data, data->size) != (ssize_t)data->size ||
	    fsync(fd) == -1)
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
	else
		rc = 0;
	if (close(fd) == -1 && rc == 0) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == -1)
		unlink(tmp);
	return rc;
}

static int
install(const char *tmp, const char *path, int force, char *err,
    size_t errlen)
{
	int	rc, saved;

	rc = force ? rename(tmp, path) : link(tmp, path);
	saved = errno;
	if (!force || rc == -1)
		unlink(tmp);
	if (rc == -1) {
		errf(err, errlen, "%s: %s", path, saved == EEXIST ?
		    "a key is already there" : strerror(saved));
		errno = saved;
	}
	return rc;
}

int
dkim_keygen_write(const char *path, unsigned bits, int force, char **pub,
    char *err, size_t errlen)
{
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_datum_t		 pem = { NULL, 0 };
	char			 tmp[4096];
	int			 r, rc = -1;

	*pub = NULL;
	if (!force && access(path, F_OK) == 0) {
		errf(err, errlen, "%s: a key is already there", path);
		errno = EEXIST;
		return -1;
	}
	if (make_parents(path, err, errlen) == -1)
		return -1;
	if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
	    (r = gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, bits,
	    0)) < 0 ||
	    (r = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM,
	    &pem)) < 0) {
		errf(err, errlen, "key generation: %s", gnutls_strerror(r));
		goto out;
	}
	if (public_of(key, pub, err, errlen) == -1 ||
	    write_temp(path, &pem, tmp, sizeof(tmp), err, errlen) == -1 ||
	    install(tmp, path, force, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1) {
		free(*pub);
		*pub = NULL;
	}
	if (pem.data) {
		explicit_bzero(pem.data, pem.size);
		gnutls_free(pem.data);
	}
	gnutls_x509_privkey_deinit(key);
	return rc;
}

int
dkim_keygen_read(const char *path, char **pub, char *err, size_t errlen)
{
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_datum_t		 pem = { NULL, 0 };
	unsigned char		 data[KEYFILE_MAX];
	FILE			*fp;
	size_t			 n;
	int			 r, rc = -1;

	*pub = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		r = errno;
		errf(err, errlen, "%s: %s", path, strerror(r));
		errno = r;
		return -1;
	}
	n = fread(data, 1, sizeof(data), fp);
	fclose(fp);
	pem.data = data;
	pem.size = (unsigned)n;
	if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
	    (r = gnutls_x509_privkey_import2(key, &pem, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0)
		errf(err, errlen, "%s: not a usable PEM private key (%s)", path,
		    gnutls_strerror(r));
	else if (gnutls_x509_privkey_get_pk_algorithm(key) != GNUTLS_PK_RSA)
		errf(err, errlen, "%s: not an RSA key", path);
	else
		rc = public_of(key, pub, err, errlen);
	explicit_bzero(data, sizeof(data));
	gnutls_x509_privkey_deinit(key);
	errno = 0;
	return rc;
}

int
dkim_txt_record(const char *selector, const char *domain, const char *pub,
    struct buf *out)
{
	struct buf	text;
	size_t		off, n;
	int		rc = -1;

	buf_init(&text, 0);
	if (buf_printf(&text, "v=DKIM1; k=rsa; p=%s", pub) == -1 ||
	    buf_printf(out, "%s._domainkey.%s. IN TXT", selector, domain) == -1)
		goto out;
	for (off = 0; off < text.len; off += n) {
		n = text.len - off > 255 ? 255 : text.len - off;
		if (buf_printf(out, " \"%.*s\"", (int)n, text.data + off) == -1)
			goto out;
	}
	rc = buf_adds(out, "\n");
out:
	buf_free(&text);
	return rc;
}

char *
dkim_txt_path(const char *keypath)
{
	size_t	 n = strlen(keypath);
	char	*p;

	if (n > 4 && (strcmp(keypath + n - 4, ".key") == 0 ||
	    strcmp(keypath + n - 4, ".pem") == 0))
		n -= 4;
	if (asprintf(&p, "%.*s.dns", (int)n, keypath) == -1)
		return NULL;
	return p;
}
