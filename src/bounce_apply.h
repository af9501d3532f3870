/*
 * bounce_apply.h — what a bounce, complaint or unsubscribe mail changes.
 *
 * bounce_apply() takes a parsed report (bounce.h) and the raw message, finds
 * whom it is about, and changes their records, all in one transaction:
 *
 * Attribution, in order: a VERP envelope recipient whose HMAC verifies
 * (token_verp_check: it names the spool entry, hence the list, the issue and
 * the address); else the original Message-ID found inside the report, which
 * is ours when its HMAC part matches one reported recipient; else the
 * reported Final-Recipient / Original-Recipient on the list named by the
 * original List-Id, or on every list. A forged or damaged token attributes
 * nothing. Tokens (VERP, Message-ID, unsubscribe) are checked against the
 * current key, then the previous one until its end date (token_keys), so
 * that mail sent before a key change is still attributed.
 *
 * Actions, with the thresholds in dispatcher.conf (bounce.*):
 *   hard       the subscriber becomes bounced on every list at once;
 *   soft       a score: +1 at most once per soft_interval, back to 0 after
 *              soft_decay without one; at soft_threshold the subscriber is
 *              bounced;
 *   complaint  complained on that list, at once;
 *   policy     (5.7.x and kin) recorded on the spool entry, for `status`;
 *              never held against the reader;
 *   a reply to the List-Unsubscribe mailto ("unsubscribe TOKEN" in the
 *   subject, the token checked) unsubscribes that reader.
 * Each action is an event on the subscriber with the report's status and
 * diagnostic, and a copy of the raw report (at most report_max bytes) is
 * kept in the store under the hash of the message, which also makes
 * processing the same message a second time change nothing.
 */
#ifndef DISPATCHER_BOUNCE_APPLY_H
#define DISPATCHER_BOUNCE_APPLY_H

#include <stddef.h>

#include "address.h"
#include "bounce.h"
#include "config.h"
#include "store.h"
#include "token.h"

enum bounce_effect {
	EFFECT_NONE,		/* not ours, not a bounce, or nothing to do */
	EFFECT_SEEN,		/* processed before: nothing changed */
	EFFECT_SOFT,		/* a soft bounce counted */
	EFFECT_BOUNCED,		/* a subscriber became bounced */
	EFFECT_COMPLAINED,
	EFFECT_UNSUBSCRIBED,
	EFFECT_POLICY		/* recorded against the sender */
};

struct bounce_outcome {
	enum bounce_effect	effect;
	char			address[ADDRESS_MAX + 1];	/* whom, or "" */
	char			list[65];			/* or "" */
	char			how[64];	/* "verp", "message-id", ... */
	int			done;	/* its report is in the store, kept
					   now or before: a mailbox may mark
					   the message processed. 0 for mail
					   about nobody (left no trace) */
};

/*
 * Applies report r of message raw[0..len). rcpt_arg is the envelope
 * recipient an MTA pipe passed (may be NULL). 0 with *out set, or -1 with
 * err set when the store failed (the caller should retry later).
 */
int	bounce_apply(struct store *st, const struct config *cfg,
	    const struct token_keys *keys, const char *raw, size_t len,
	    const struct bounce_report *r, const char *rcpt_arg,
	    struct bounce_outcome *out, char *err, size_t errlen);

const char *bounce_effect_name(enum bounce_effect e);

#endif
