/*
 * dkim_sign.c — DKIM signing with libopendkim (see dkim_sign.h).
 *
 * The one file that includes libopendkim; its status codes stop here. The
 * key is kept as the PEM text libopendkim takes. Each signing thread has
 * its own DKIM_LIB (found through a pthread key of the dkim_key), because
 * the signing time is an option of the library handle, read at dkim_eom():
 * setting it per message on a shared handle would race. The handles are
 * listed in the key and closed with it.
 *
 * Callers: sign.c (the configured key, for compose and delivery).
 */
#define _GNU_SOURCE
#include "dkim_sign.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <opendkim/dkim.h>

#include "log.h"

#define KEY_MAX		(64 * 1024)	/* a 16384-bit PEM key is ~13 KB */
#define SIG_NAME	"DKIM-Signature: "

struct dkim_key {
	char		*pem;
	pthread_key_t	 tls;		/* this thread's DKIM_LIB */
	pthread_mutex_t	 mu;		/* guards libs */
	DKIM_LIB	**libs;
	size_t		 nlibs, libcap;
};

static const char *sign_headers[] = { "from", "to", "subject", "date",
	"message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post",
	"mime-version", "content-type", "reply-to", "feedback-id", NULL };
static const char *oversign_headers[] = { "from", "subject",
	"list-unsubscribe", "list-unsubscribe-post", NULL };

static DKIM_LIB *
lib_new(void)
{
	DKIM_LIB	*lib;

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		return NULL;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign_headers,
	    sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    oversign_headers, sizeof(char **)) != DKIM_STAT_OK) {
		dkim_close(lib);
		return NULL;
	}
	return lib;
}

/* The calling thread's library handle, made on first use. */
static DKIM_LIB *
lib_for_thread(struct dkim_key *k)
{
	DKIM_LIB	*lib, **grown;

	if ((lib = pthread_getspecific(k->tls)) != NULL)
		return lib;
	if ((lib = lib_new()) == NULL)
		return NULL;
	pthread_mutex_lock(&k->mu);
	if (k->nlibs == k->libcap) {
		k->libcap = k->libcap ? k->libcap * 2 : 8;
		if ((grown = realloc(k->libs, k->libcap * sizeof(*grown))) ==
		    NULL) {
			pthread_mutex_unlock(&k->mu);
			dkim_close(lib);
			return NULL;
		}
		k->libs = grown;
	}
	k->libs[k->nlibs++] = lib;
	pthread_mutex_unlock(&k->mu);
	pthread_setspecific(k->tls, lib);
	return lib;
}

static char *
read_key(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	FILE		*fp;
	char		*pem = NULL;
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > KEY_MAX)
		errf(err, errlen, "%s: not a private key file", path);
	else if ((pem = calloc(1, (size_t)st.st_size + 1)) == NULL)
		errf(err, errlen, "%s: out of memory", path);
	else if ((n = fread(pem, 1, (size_t)st.st_size, fp)) !=
	    (size_t)st.st_size || strstr(pem, "PRIVATE KEY-----") == NULL) {
		errf(err, errlen, "%s: not a PEM private key", path);
		explicit_bzero(pem, (size_t)st.st_size);
		free(pem);
		pem = NULL;
	}
	fclose(fp);
	errno = 0;
	return pem;
}

void
dkim_key_free(struct dkim_key *k)
{
	size_t	i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nlibs; i++)
		dkim_close(k->libs[i]);
	free(k->libs);
	pthread_key_delete(k->tls);
	pthread_mutex_destroy(&k->mu);
	if (k->pem) {
		explicit_bzero(k->pem, strlen(k->pem));
		free(k->pem);
	}
	free(k);
}

struct dkim_key *
dkim_key_load(const char *path, char *err, size_t errlen)
{
	static const char	 probe[] = "From: <probe@example.org>\r\n"
	    "Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n\r\nprobe\r\n";
	struct dkim_key		*k;
	struct buf		 sig;
	char			 why[ERRLEN];
	int			 saved;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&k->mu, NULL);
	if (pthread_key_create(&k->tls, NULL) != 0) {
		pthread_mutex_destroy(&k->mu);
		free(k);
		errf(err, errlen, "out of thread keys");
		return NULL;
	}
	if ((k->pem = read_key(path, err, errlen)) == NULL) {
		saved = errno;
		dkim_key_free(k);
		errno = saved;
		return NULL;
	}
	buf_init(&sig, 0);
	if (dkim_sign_message(k, "example.org", "probe", probe,
	    sizeof(probe) - 1, &sig, why, sizeof(why)) == -1) {
		errf(err, errlen, "%s: this key cannot sign: %s", path, why);
		dkim_key_free(k);
		k = NULL;
	}
	buf_free(&sig);
	return k;
}

static const char *
stat_text(DKIM *d, DKIM_STAT st)
{
	const char	*e = d ? dkim_geterror(d) : NULL;

	return e && *e ? e : dkim_getresultstr(st);
}

int
dkim_sign_message(const struct dkim_key *key, const char *domain,
    const char *selector, const char *msg, size_t len, struct buf *sig,
    char *err, size_t errlen)
{
	struct dkim_key	*k = (struct dkim_key *)key;	/* its handle list */
	DKIM_LIB	*lib;
	DKIM		*d = NULL;
	DKIM_STAT	 st = DKIM_STAT_OK;
	unsigned char	*hdr = NULL;
	size_t		 hdrlen = 0;
	uint64_t	 fixed;
	time_t		 t;
	int		 rc = -1;

	if ((lib = lib_for_thread(k)) == NULL) {
		errf(err, errlen, "dkim: cannot start libopendkim");
		return -1;
	}
	if (dkim_message_date(msg, len, &t) == -1)
		t = time(NULL);
	fixed = t > 0 ? (uint64_t)t : 1;
	if ((st = dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed,
	    sizeof(fixed))) != DKIM_STAT_OK ||
	    (d = dkim_sign(lib, (const unsigned char *)"dispatcher", NULL,
	    (dkim_sigkey_t)k->pem, (const unsigned char *)selector,
	    (const unsigned char *)domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st)) == NULL ||
	    (st = dkim_chunk(d, (unsigned char *)msg, len)) != DKIM_STAT_OK ||
	    (st = dkim_chunk(d, NULL, 0)) != DKIM_STAT_OK ||
	    (st = dkim_eom(d, NULL)) != DKIM_STAT_OK ||
	    (st = dkim_getsighdr_d(d, strlen(SIG_NAME), &hdr, &hdrlen)) !=
	    DKIM_STAT_OK) {
		errf(err, errlen, "dkim: %s", stat_text(d, st));
		goto out;
	}
	if (buf_adds(sig, SIG_NAME) == -1 || buf_add(sig, hdr, hdrlen) == -1 ||
	    buf_adds(sig, "\r\n") == -1) {
		errf(err, errlen, "dkim: the signature does not fit");
		goto out;
	}
	rc = 0;
out:
	if (d)
		dkim_free(d);
	return rc;
}

/* ---- the Date header ------------------------------------------------ */

int
dkim_message_header(const char *msg, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t	nlen = strlen(name), i = 0, o = 0;

	while (i < len && msg[i] != '\r' && msg[i] != '\n') {
		if (len - i > nlen && strncasecmp(msg + i, name, nlen) == 0 &&
		    msg[i + nlen] == ':') {
			for (i += nlen + 1; i < len; i++) {
				if ((msg[i] == '\r' || msg[i] == '\n') &&
				    !(i + 1 < len && (msg[i + 1] == ' ' ||
				    msg[i + 1] == '\t' || msg[i + 1] == '\n')))
					break;
				if (msg[i] == '\r' || msg[i] == '\n')
					continue;
				if (o + 1 >= outlen)
					return -1;
				out[o++] = msg[i];
			}
			out[o] = '\0';
			return 0;
		}
		/* to the next line that does not continue this field */
		while (i < len && !(msg[i] == '\n' && (i + 1 >= len ||
		    (msg[i + 1] != ' ' && msg[i + 1] != '\t'))))
			i++;
		i++;
	}
	return -1;
}

int
dkim_message_date(const char *msg, size_t len, time_t *t)
{
	static const char	*months = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char			 v[128], mon[4], sign;
	const char		*p, *m;
	struct tm		 tm;
	int			 day, year, hh, mm, ss = 0, zone, n = 0;

	if (dkim_message_header(msg, len, "Date", v, sizeof(v)) == -1)
		return -1;
	p = v + strspn(v, " \t");
	if ((m = strchr(p, ',')) != NULL)
		p = m + 1;
	if (sscanf(p, " %2d %3s %4d %2d:%2d%n", &day, mon, &year, &hh, &mm,
	    &n) != 5)
		return -1;
	p += n;
	if (*p == ':' && sscanf(p, ":%2d%n", &ss, &n) == 1)
		p += n;
	if (sscanf(p, " %c%4d", &sign, &zone) != 2 ||
	    (sign != '+' && sign != '-') || strlen(mon) != 3 ||
	    (m = strstr(months, mon)) == NULL || (m - months) % 3 != 0 ||
	    day < 1 || day > 31 || year < 1970 || hh > 23 || mm > 59 ||
	    ss > 60 || zone % 100 > 59 || zone > 2359)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = day;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	*t = timegm(&tm) - (sign == '-' ? -1 : 1) *
	    (time_t)(zone / 100 * 3600 + zone % 100 * 60);
	return 0;
}
