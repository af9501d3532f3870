/*
 * mailbox_int.h — what mailbox_imap.c and mailbox_pop3.c share (internal to
 * the mailbox part): the URL, the password, and a TLS connection verified
 * by GnuTLS, handed to libetpan as a mailstream.
 */
#ifndef DISPATCHER_MAILBOX_INT_H
#define DISPATCHER_MAILBOX_INT_H

#include <stddef.h>

#include <libetpan/libetpan.h>

#include "config.h"

struct mailbox_url {
	char	host[256];
	char	port[8];
	char	path[256];	/* the folder, "" when none */
	int	starttls;	/* imap:// or pop3://: TLS after STARTTLS / STLS */
};

/*
 * Splits PROTOs://HOST[:PORT][/PATH] (TLS from the first byte) or
 * PROTO://... (STARTTLS, required) for proto "imap" or "pop3"; HOST may be
 * [IPv6]; the port defaults to 993 / 143 or 995 / 110. 0 / -1 + err.
 */
int	mailbox_url_parse(const char *url, const char *proto,
	    struct mailbox_url *u, char *err, size_t errlen);

/* The first line of cfg->mailbox_password_file, or "" when none is set.
 * 0 / -1 + err. */
int	mailbox_password(const struct config *cfg, char *out, size_t outlen,
	    char *err, size_t errlen);

/*
 * Connects to u->host:u->port and, unless u->starttls, completes a TLS
 * handshake. Unless cfg->mailbox_verify is false, the server's certificate
 * chain must verify against cfg->mailbox_ca_file (else the system's trust
 * store) and name u->host (DNS name or IP address). Returns a new stream
 * (libetpan frees it with the session that takes it, or mailstream_close),
 * or NULL + err.
 */
mailstream *mailbox_connect(const struct config *cfg,
	    const struct mailbox_url *u, char *err, size_t errlen);

/* After the server accepted STARTTLS / STLS: the TLS handshake on s's
 * socket, checked as above; s then speaks TLS. 0 / -1 + err. */
int	mailbox_starttls(const struct config *cfg, const struct mailbox_url *u,
	    mailstream *s, char *err, size_t errlen);

#endif
