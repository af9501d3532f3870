/*
 * dkim_sign.h — DKIM signatures (RFC 6376) with libopendkim.
 *
 * A key is read once (dkim_key_load) and shared by every thread that
 * signs. dkim_sign_message() hashes one whole message and returns the
 * DKIM-Signature header field to put in front of it: rsa-sha256,
 * relaxed/relaxed, over From, To, Subject, Date, Message-ID, List-Id,
 * List-Unsubscribe, List-Unsubscribe-Post, MIME-Version, Content-Type,
 * Reply-To and Feedback-ID when present, with From, Subject,
 * List-Unsubscribe and List-Unsubscribe-Post oversigned (an extra entry in
 * h= so that no second copy can be added after signing).
 *
 * The signature is a function of the message and the key only: t= is the
 * time in the message's Date header (the current time when it has none),
 * there is no x=, and RSA PKCS#1 v1.5 signatures have no random part. So
 * the same message signed twice gives the same bytes, and a retry sends
 * what `compose` prints.
 *
 * Threads: libopendkim reads the signing time from its library handle, so
 * each thread that signs gets its own handle (made on its first call, kept
 * until dkim_key_free); a key may be used by many threads at once.
 */
#ifndef DISPATCHER_DKIM_SIGN_H
#define DISPATCHER_DKIM_SIGN_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define DKIM_SELECTOR_MAX	63	/* one DNS label */
#define DKIM_DOMAIN_MAX		253

struct dkim_key;

/*
 * Reads the private key (PEM, PKCS#1 or PKCS#8) at path and checks that it
 * signs. NULL on error with the reason in err; errno is ENOENT when the
 * file does not exist. Free with dkim_key_free, after every thread that
 * signed with it is done.
 */
struct dkim_key	*dkim_key_load(const char *path, char *err, size_t errlen);
void		 dkim_key_free(struct dkim_key *k);	/* accepts NULL */

/*
 * Signs msg (a whole message with CRLF line ends: libopendkim finds the
 * end of the header by CRLF CRLF, and hashes a message with bare LF line
 * ends wrongly) for domain (d=) and selector
 * (s=); appends "DKIM-Signature: ...\r\n" (folded with CRLF) to sig.
 * 0, or -1 with a reason in err.
 */
int	dkim_sign_message(const struct dkim_key *k, const char *domain,
	    const char *selector, const char *msg, size_t len, struct buf *sig,
	    char *err, size_t errlen);

/*
 * Copies the unfolded value of the message's first header field called
 * name (without the colon) into out: 0, or -1 when there is none or it
 * does not fit. A pure parser.
 */
int	dkim_message_header(const char *msg, size_t len, const char *name,
	    char *out, size_t outlen);

/*
 * The time of the message's Date header ("Sun, 22 Nov 2026 12:00:00
 * +0000", the day name optional): 0 and *t set, -1 when there is no such
 * header or it cannot be read. A pure parser, for the signature's t=.
 */
int	dkim_message_date(const char *msg, size_t len, time_t *t);

#endif
