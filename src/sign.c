/*
 * sign.c — the DKIM settings applied to messages (see sign.h).
 *
 * Callers: cmd_compose.c (`compose` prints the signed message),
 * cmd_send.c (`test`) and deliver.c (every message it sends, in the
 * connection threads when a relay is configured).
 */
#include "sign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "address.h"
#include "dkim_keygen.h"
#include "dkim_sign.h"
#include "log.h"

struct signer {
	const struct config	*cfg;
	struct dkim_key		*key;
};

int
sign_strict(const struct config *cfg)
{
	return cfg->nrelays > 0;
}

/* Reads the key: 0 and *k set, 1 when there is no file, -1 when it cannot
 * be used. GnuTLS parses it first (see dkim_keygen_read). */
static int
key_load(const char *path, struct dkim_key **k, char *err, size_t errlen)
{
	char	*pub = NULL;

	*k = NULL;
	if (dkim_keygen_read(path, &pub, err, errlen) == -1)
		return errno == ENOENT ? 1 : -1;
	free(pub);
	return (*k = dkim_key_load(path, err, errlen)) ? 0 : -1;
}

int
sign_open(const struct config *cfg, int strict, struct signer **out,
    char *err, size_t errlen)
{
	struct signer	*s;
	struct dkim_key	*k;
	int		 rc;

	*out = NULL;
	if (cfg->dkim_key == NULL)
		return 0;
	if ((rc = key_load(cfg->dkim_key, &k, err, errlen)) != 0) {
		if (rc == -1)
			return -1;
		if (strict) {
			errf(err, errlen, "DKIM key %s is missing: run "
			    "`dispatcher dkim-keygen`, or remove dkim.key to "
			    "send unsigned",
			    cfg->dkim_key);
			return -1;
		}
		log_warn("dkim", "no key at %s: messages go unsigned "
		    "(`dispatcher dkim-keygen` makes one)", cfg->dkim_key);
		return 0;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		dkim_key_free(k);
		errf(err, errlen, "out of memory");
		return -1;
	}
	s->cfg = cfg;
	s->key = k;
	*out = s;
	return 0;
}

void
sign_free(struct signer *s)
{
	if (s == NULL)
		return;
	dkim_key_free(s->key);
	free(s);
}

const char *
sign_domain(const struct config *cfg, const struct list_conf *l)
{
	if (l && l->dkim_domain)
		return l->dkim_domain;
	if (cfg->dkim_domain)
		return cfg->dkim_domain;
	return l ? address_domain(l->from_address) : NULL;
}

const char *
sign_selector(const struct config *cfg, const struct list_conf *l)
{
	return l && l->dkim_selector ? l->dkim_selector : cfg->dkim_selector;
}

/* The organizational domain of d, approximately (see sign.h). */
static const char *
org_domain(const char *d)
{
	const char	*p = d + strlen(d), *labels[3] = { d, d, d };
	int		 n = 0;

	while (p > d && n < 3) {
		p--;
		if (*p == '.' || p == d)
			labels[n++] = *p == '.' ? p + 1 : p;
	}
	if (n < 2)
		return d;
	/* labels[0] the TLD, labels[1] the second level, labels[2] the third */
	if (n == 3 && strlen(labels[0]) == 2 &&
	    (size_t)(labels[0] - labels[1]) - 1 <= 3)
		return labels[2];
	return labels[1];
}

int
sign_aligned(const char *a, const char *b)
{
	return strcasecmp(org_domain(a), org_domain(b)) == 0;
}

static void
check_list(const struct config *cfg, const struct list_conf *l,
    struct diag *d)
{
	const char	*from = address_domain(l->from_address);
	const char	*dd = sign_domain(cfg, l);

	if (cfg->dkim_key && !sign_aligned(from, dd))
		diag_add(d, DIAG_WARNING, l->file, 0, "the From domain %s and "
		    "the DKIM domain d=%s are not aligned: DMARC fails unless "
		    "SPF aligns (set dkim_domain, or dkim.domain, to %s)", from,
		    dd, from);
	if (strncmp(l->base_url, "https://", 8) != 0)
		diag_add(d, DIAG_WARNING, l->file, 0, "base_url %s is not "
		    "https: one-click unsubscribe (RFC 8058) needs an https URL, and "
		    "Gmail and Yahoo ask bulk senders for it", l->base_url);
	if (cfg->nrelays > 0 && cfg->dkim_key == NULL)
		diag_add(d, DIAG_WARNING, l->file, 0, "mail goes through an "
		    "SMTP relay unsigned: no dkim.key in %s (Gmail, Yahoo and "
		    "Outlook require DKIM of bulk senders)", cfg->file);
}

void
sign_check(const struct config *cfg, struct diag *d)
{
	struct dkim_key	*k;
	struct stat	 st;
	char		 err[ERRLEN];
	size_t		 i;
	int		 rc;

	for (i = 0; i < cfg->nlists; i++)
		check_list(cfg, &cfg->lists[i], d);
	if (cfg->dkim_key == NULL)
		return;
	if ((rc = key_load(cfg->dkim_key, &k, err, sizeof(err))) == 0) {
		dkim_key_free(k);
		if (stat(cfg->dkim_key, &st) == 0 && (st.st_mode & 077))
			diag_add(d, DIAG_WARNING, cfg->file, 0, "dkim.key: %s "
			    "can be read by other users (mode %03o): anyone "
			    "who reads it can sign mail as you; chmod 600 it",
			    cfg->dkim_key, (unsigned)(st.st_mode & 0777));
	}
	else if (rc == -1)
		diag_add(d, DIAG_ERROR, cfg->file, 0, "dkim.key: %s", err);
	else
		diag_add(d, sign_strict(cfg) ? DIAG_ERROR : DIAG_WARNING,
		    cfg->file, 0, "dkim.key: no key at %s: messages %s "
		    "(`dispatcher dkim-keygen` makes one)", cfg->dkim_key,
		    sign_strict(cfg) ? "cannot be sent through the relay" :
		    "go unsigned");
}

void
sign_warn_future(const struct config *cfg, const char *file, time_t date,
    time_t now)
{
	if (cfg->dkim_key && date > now + SIGN_FUTURE_MAX)
		log_warn("dkim", "%s: dated %.0f hours from now: the DKIM "
		    "signature's time (t=) is the Date, and verifiers may reject "
		    "a signature from the future; date the issue for the day it "
		    "goes out", file, difftime(date, now) / 3600);
}

/* The address in a From field: inside <...>, or the whole value. */
static int
from_address(const char *msg, size_t len, char *out, size_t outlen)
{
	char	 v[1024], *p, *e;

	if (dkim_message_header(msg, len, "From", v, sizeof(v)) == -1)
		return -1;
	if ((p = strrchr(v, '<')) != NULL && (e = strchr(p, '>')) != NULL) {
		p++;
		*e = '\0';
	} else {
		p = v + strspn(v, " \t");
		p[strcspn(p, " \t")] = '\0';
	}
	if (strlen(p) >= outlen || strchr(p, '@') == NULL)
		return -1;
	strcpy(out, p);
	return 0;
}

static const struct list_conf *
list_by_from(const struct config *cfg, const char *from)
{
	size_t	i;

	for (i = 0; i < cfg->nlists; i++)
		if (strcasecmp(cfg->lists[i].from_address, from) == 0)
			return &cfg->lists[i];
	return NULL;
}

/* Turns each bare LF of msg into CRLF, so that libopendkim hashes it
 * right and what is signed is what is sent. 0 / -1 (too large). */
static int
crlf_fix(struct buf *msg)
{
	struct buf	 out;
	const char	*p = msg->data, *end = msg->data + msg->len, *nl;
	size_t		 bare = 0;

	for (nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		bare += nl == msg->data || nl[-1] != '\r';
	if (bare == 0)
		return 0;
	buf_init(&out, msg->max);
	if (buf_reserve(&out, msg->len + bare) == -1)
		return -1;
	for (; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
		buf_add(&out, p, (size_t)(nl - p));
		buf_adds(&out, nl == msg->data || nl[-1] != '\r' ? "\r\n" :
		    "\n");
	}
	buf_add(&out, p, (size_t)(end - p));
	buf_free(msg);
	*msg = out;
	return 0;
}

int
sign_message(const struct signer *s, const struct list_conf *list,
    struct buf *msg, char *err, size_t errlen)
{
	struct buf	 sig;
	char		 from[ADDRESS_MAX + 1];
	const char	*domain;
	int		 rc = -1;

	if (s == NULL)
		return 0;
	if (crlf_fix(msg) == -1) {
		errf(err, errlen, "dkim: the message is too large");
		return -1;
	}
	if (list == NULL) {
		if (from_address(msg->data, msg->len, from,
		    sizeof(from)) == -1) {
			errf(err, errlen, "dkim: the message has no From "
			    "address");
			return -1;
		}
		list = list_by_from(s->cfg, from);
	}
	domain = sign_domain(s->cfg, list);
	if (domain == NULL)
		domain = address_domain(from);
	buf_init(&sig, 4096);
	if (dkim_sign_message(s->key, domain, sign_selector(s->cfg, list),
	    msg->data, msg->len, &sig, err, errlen) == 0) {
		if (buf_reserve(msg, sig.len) == -1)
			errf(err, errlen, "dkim: the message is too large");
		else {
			memmove(msg->data + sig.len, msg->data, msg->len);
			memcpy(msg->data, sig.data, sig.len);
			msg->len += sig.len;
			if (msg->len < msg->cap)
				msg->data[msg->len] = '\0';
			rc = 0;
		}
	}
	buf_free(&sig);
	return rc;
}
