/*
 * sign.h — which outgoing messages are DKIM-signed, with which key,
 * selector (s=) and domain (d=), and what a missing key means.
 *
 * The key is dispatcher.conf's dkim.key, read once. A list's messages are
 * signed with its dkim_selector and dkim_domain when lists/NAME.conf sets
 * them, else dkim.selector and dkim.domain, and d= defaults to the list's
 * From domain (aligned for DMARC). A message outside any issue (a sign-up
 * confirmation) is matched to its list by its From address.
 *
 * Policy: no dkim.key set, messages go unsigned (check-config warns when a
 * relay is configured). dkim.key set but no file there: messages into the
 * Maildir outbox go unsigned with a warning (a fresh install has not run
 * `dispatcher dkim-keygen` yet), and sending through an SMTP relay is
 * refused, since mail that was meant to be signed would leave unsigned.
 * A key file that cannot be used is always an error.
 */
#ifndef DISPATCHER_SIGN_H
#define DISPATCHER_SIGN_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"

struct signer;

/*
 * Opens cfg's key. 0 with *out set, or *out NULL when messages go
 * unsigned (no dkim.key; or, unless strict, no file at dkim.key, which is
 * logged as a warning). -1 with the reason in err: the key is unusable, or
 * strict and it is missing. Free with sign_free().
 */
int	sign_open(const struct config *cfg, int strict, struct signer **out,
	    char *err, size_t errlen);
void	sign_free(struct signer *s);		/* accepts NULL */

/* Whether a missing key stops a send: mail goes to an SMTP relay. */
int	sign_strict(const struct config *cfg);

/*
 * Puts a DKIM-Signature header in front of msg, after turning any bare LF
 * into CRLF (msg may be reallocated). list is the list the message comes
 * from, or NULL to find it by the From address. Does nothing when s is
 * NULL. 0, or -1 with a reason in err.
 */
int	sign_message(const struct signer *s, const struct list_conf *list,
	    struct buf *msg, char *err, size_t errlen);

/*
 * What check-config says about what inbox providers ask of bulk senders
 * (DKIM, DMARC alignment, an https one-click unsubscribe), into d:
 * warnings for a list whose d= domain and From domain are not aligned
 * (relaxed: the same organizational domain, taken as the last two labels,
 * three under a two-letter country code with a short second level such as
 * co.uk), for a base_url that is not https, and for mail sent through a
 * relay with no dkim.key, and for a key other users can read; an error
 * for a key file that cannot be used, or that is missing when a relay is
 * configured (a send would refuse).
 */
void	sign_check(const struct config *cfg, struct diag *d);

/* Whether two domains share their organizational domain (as above). */
int	sign_aligned(const char *a, const char *b);

/*
 * A signature's t= is its message's Date. When cfg signs and date is more
 * than SIGN_FUTURE_MAX seconds after now, logs a warning naming file:
 * verifiers may reject a signature made in the future (python's dkim does
 * past 10 hours).
 */
#define SIGN_FUTURE_MAX	(6 * 3600)
void	sign_warn_future(const struct config *cfg, const char *file,
	    time_t date, time_t now);

/* The d= and s= of list l's messages under cfg. Borrowed. */
const char *sign_domain(const struct config *cfg, const struct list_conf *l);
const char *sign_selector(const struct config *cfg, const struct list_conf *l);

#endif
