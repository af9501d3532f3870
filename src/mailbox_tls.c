/*
 * mailbox_tls.c — the connection to the bounce mailbox: the URL, the
 * password file, TCP, and TLS with GnuTLS (see mailbox_int.h).
 *
 * libetpan's own TLS (mailstream_ssl) does not check the server's
 * certificate. So the handshake happens here, with GnuTLS verifying the
 * chain and the host name (gnutls_session_set_verify_cert), and the
 * session is handed to libetpan through a mailstream_low driver of our own
 * whose read and write are gnutls_record_recv/send. Every wait on the
 * network (connect, handshake, each read and write) ends after
 * bounce.mailbox.timeout seconds.
 */
#define _GNU_SOURCE
#include "mailbox_int.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>

struct tls {
	int					fd;
	int					timeout_ms;
	gnutls_session_t			s;
	gnutls_certificate_credentials_t	cred;
};

int
mailbox_url_parse(const char *url, const char *proto, struct mailbox_url *u,
    char *err, size_t errlen)
{
	const char	*p, *end, *slash;
	size_t		 pl = strlen(proto), hl;
	int		 imap = strcmp(proto, "imap") == 0;
	const char	*default_port;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, proto, pl) != 0)
		goto bad;
	p = url + pl;
	u->starttls = *p != 's';
	p += !u->starttls;
	if (strncmp(p, "://", 3) != 0)
		goto bad;
	p += 3;
	default_port = imap ? (u->starttls ? "143" : "993") :
	    (u->starttls ? "110" : "995");
	slash = p + strcspn(p, "/");
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end > slash)
			goto bad;
		hl = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		end = p + strcspn(p, ":/");
		hl = (size_t)(end - p);
	}
	if (hl == 0 || hl >= sizeof(u->host))
		goto bad;
	memcpy(u->host, p, hl);
	if (*end == ':') {
		if (slash - end - 1 < 1 || slash - end - 1 > 5 ||
		    strspn(end + 1, "0123456789") != (size_t)(slash - end - 1))
			goto bad;
		memcpy(u->port, end + 1, (size_t)(slash - end - 1));
	} else if (end != slash)
		goto bad;
	else
		snprintf(u->port, sizeof(u->port), "%s", default_port);
	if (*slash && strlen(slash + 1) >= sizeof(u->path))
		goto bad;
	snprintf(u->path, sizeof(u->path), "%s", *slash ? slash + 1 : "");
	return 0;
bad:
	snprintf(err, errlen, "bounce.mailbox.url: expected %ss://HOST[:PORT]%s "
	    "or %s://... (STARTTLS)", proto, imap ? "[/FOLDER]" : "", proto);
	return -1;
}

int
mailbox_password(const struct config *cfg, char *out, size_t outlen,
    char *err, size_t errlen)
{
	FILE	*fp;

	out[0] = '\0';
	if (cfg->mailbox_password_file == NULL)
		return 0;
	if ((fp = fopen(cfg->mailbox_password_file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", cfg->mailbox_password_file,
		    strerror(errno));
		return -1;
	}
	if (fgets(out, (int)outlen, fp) == NULL)
		out[0] = '\0';
	fclose(fp);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* ---- the mailstream_low driver ------------------------------------------ */

/*
 * After GNUTLS_E_AGAIN (libetpan makes the socket non-blocking): waits
 * until the socket is ready in the direction GnuTLS needs. 0 when it is,
 * -1 when the timeout passed or poll failed.
 */
static int
tls_wait(struct tls *t)
{
	struct pollfd	pfd;
	int		rc;

	pfd.fd = t->fd;
	pfd.events = gnutls_record_get_direction(t->s) ? POLLOUT : POLLIN;
	do
		rc = poll(&pfd, 1, t->timeout_ms);
	while (rc == -1 && errno == EINTR);
	return rc > 0 ? 0 : -1;
}

static ssize_t
tls_read(mailstream_low *l, void *buf, size_t n)
{
	struct tls	*t = l->data;
	ssize_t		 r;

	for (;;) {
		r = gnutls_record_recv(t->s, buf, n);
		if (r == GNUTLS_E_AGAIN && tls_wait(t) == 0)
			continue;
		if (r != GNUTLS_E_INTERRUPTED)
			break;
	}
	return r < 0 ? -1 : r;
}

static ssize_t
tls_write(mailstream_low *l, const void *buf, size_t n)
{
	struct tls	*t = l->data;
	ssize_t		 r;

	for (;;) {
		r = gnutls_record_send(t->s, buf, n);
		if (r == GNUTLS_E_AGAIN && tls_wait(t) == 0)
			continue;
		if (r != GNUTLS_E_INTERRUPTED)
			break;
	}
	return r < 0 ? -1 : r;
}

static void
tls_free_data(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	if (t->fd != -1)
		close(t->fd);
	free(t);
}

static int
tls_close(mailstream_low *l)
{
	struct tls	*t = l->data;

	if (t->fd != -1) {
		gnutls_bye(t->s, GNUTLS_SHUT_WR);
		close(t->fd);
		t->fd = -1;
	}
	return 0;
}

static int
tls_get_fd(mailstream_low *l)
{
	return ((struct tls *)l->data)->fd;
}

static void
tls_free(mailstream_low *l)
{
	tls_free_data(l->data);
	free(l);
}

static void
tls_cancel(mailstream_low *l)
{
}

static struct mailstream_cancel *
tls_get_cancel(mailstream_low *l)
{
	return NULL;
}

static mailstream_low_driver tls_driver = {
	.mailstream_read = tls_read,
	.mailstream_write = tls_write,
	.mailstream_close = tls_close,
	.mailstream_get_fd = tls_get_fd,
	.mailstream_free = tls_free,
	.mailstream_cancel = tls_cancel,
	.mailstream_get_cancel = tls_get_cancel,
};

/* ---- connecting --------------------------------------------------------- */

static int
tcp_connect(const struct mailbox_url *u, long timeout, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct timeval	 tv = { .tv_sec = timeout };
	int		 fd = -1, rc, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd == -1; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_CLOEXEC, ai->ai_protocol)) == -1) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "%s:%s: %s", u->host, u->port,
		    strerror(e));
	return fd;
}

static int
is_ip(const char *host)
{
	unsigned char	a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* Why the handshake failed, with the certificate's problems spelled out. */
static void
handshake_error(struct tls *t, const struct mailbox_url *u, int rc,
    char *err, size_t errlen)
{
	gnutls_datum_t	out = { NULL, 0 };
	unsigned	status;

	if (rc != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		snprintf(err, errlen, "%s:%s: TLS: %s", u->host, u->port,
		    gnutls_strerror(rc));
		return;
	}
	status = gnutls_session_get_verify_cert_status(t->s);
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) < 0)
		out.data = NULL;
	snprintf(err, errlen, "%s:%s: TLS: certificate not trusted: %s",
	    u->host, u->port, out.data ? (char *)out.data : "unknown reason");
	gnutls_free(out.data);
}

static int
tls_setup(struct tls *t, const struct config *cfg,
    const struct mailbox_url *u, char *err, size_t errlen)
{
	int	rc;

	if ((rc = gnutls_certificate_allocate_credentials(&t->cred)) < 0 ||
	    (rc = gnutls_init(&t->s, GNUTLS_CLIENT)) < 0 ||
	    (rc = gnutls_set_default_priority(t->s)) < 0) {
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(rc));
		return -1;
	}
	rc = cfg->mailbox_ca_file ? gnutls_certificate_set_x509_trust_file(
	    t->cred, cfg->mailbox_ca_file, GNUTLS_X509_FMT_PEM) :
	    gnutls_certificate_set_x509_system_trust(t->cred);
	if (rc <= 0 && cfg->mailbox_verify) {
		snprintf(err, errlen, "%s: no trusted certificate loaded%s%s",
		    cfg->mailbox_ca_file ? cfg->mailbox_ca_file : "system store",
		    rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
		return -1;
	}
	if ((rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    t->cred)) < 0) {
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(rc));
		return -1;
	}
	if (!is_ip(u->host))
		gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, u->host,
		    strlen(u->host));
	if (cfg->mailbox_verify)
		gnutls_session_set_verify_cert(t->s, u->host, 0);
	gnutls_transport_set_int(t->s, t->fd);
	gnutls_handshake_set_timeout(t->s, (unsigned)cfg->mailbox_timeout *
	    1000);
	for (;;) {
		rc = gnutls_handshake(t->s);
		if (rc == GNUTLS_E_AGAIN && tls_wait(t) == -1)
			break;
		if (rc >= 0 || gnutls_error_is_fatal(rc))
			break;
	}
	if (rc < 0) {
		handshake_error(t, u, rc, err, errlen);
		return -1;
	}
	return 0;
}

/* A TLS session over fd (owned from here, closed on failure), as a
 * mailstream_low for libetpan. NULL + err. */
static mailstream_low *
tls_low(const struct config *cfg, const struct mailbox_url *u, int fd,
    char *err, size_t errlen)
{
	struct tls	*t;
	mailstream_low	*low;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->fd = fd;
	t->timeout_ms = (int)cfg->mailbox_timeout * 1000;
	if (tls_setup(t, cfg, u, err, errlen) == -1) {
		tls_free_data(t);
		return NULL;
	}
	if ((low = mailstream_low_new(t, &tls_driver)) == NULL) {
		tls_free_data(t);
		snprintf(err, errlen, "out of memory");
	}
	return low;
}

mailstream *
mailbox_connect(const struct config *cfg, const struct mailbox_url *u,
    char *err, size_t errlen)
{
	mailstream_low	*low;
	mailstream	*s;
	int		 fd;

	if ((fd = tcp_connect(u, cfg->mailbox_timeout, err, errlen)) == -1)
		return NULL;
	if (u->starttls) {
		if ((s = mailstream_socket_open(fd)) == NULL) {
			close(fd);
			snprintf(err, errlen, "out of memory");
		}
		return s;
	}
	if ((low = tls_low(cfg, u, fd, err, errlen)) == NULL)
		return NULL;
	if ((s = mailstream_new(low, 8192)) == NULL) {
		mailstream_low_free(low);
		snprintf(err, errlen, "out of memory");
	}
	return s;
}

int
mailbox_starttls(const struct config *cfg, const struct mailbox_url *u,
    mailstream *s, char *err, size_t errlen)
{
	mailstream_low	*old = mailstream_get_low(s), *low;
	int		 fd;

	if ((fd = dup(mailstream_low_get_fd(old))) == -1) {
		snprintf(err, errlen, "dup: %s", strerror(errno));
		return -1;
	}
	if ((low = tls_low(cfg, u, fd, err, errlen)) == NULL)
		return -1;
	mailstream_low_close(old);
	mailstream_low_free(old);
	mailstream_set_low(s, low);
	return 0;
}
