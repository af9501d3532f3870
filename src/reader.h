/*
 * reader.h — what a reader does to their own subscription through the
 * HTTP endpoint, as store transactions: leave a list, sign up, confirm a
 * sign-up, and the expiry of sign-ups never confirmed.
 *
 * Every change is an event on the subscriber with source "reader" and a
 * detail saying where it came from (the client's IP address). None of
 * these functions tells its caller more than it must: the endpoint gives
 * the same answer whether or not an address is on a list.
 */
#ifndef DISPATCHER_READER_H
#define DISPATCHER_READER_H

#include <stddef.h>

#include "store.h"

/*
 * Unsubscribes address from list (any status but unsubscribed becomes
 * unsubscribed; a bounced or complained address stays suppressed, see
 * subscriber.h). Nothing happens when it is not on the list or already
 * left. reason says how ("one-click", "unsubscribe page"). 0 / -1 + err.
 */
int	reader_unsubscribe(struct store *st, const char *list,
	    const char *address, const char *reason, const char *detail,
	    char *err, size_t errlen);

/* What a sign-up led to. */
enum signup_result {
	SIGNUP_CONFIRM,		/* pending: a confirmation is to be sent */
	SIGNUP_JOINED,		/* single opt-in: active now */
	SIGNUP_NOTHING		/* already active, or suppressed: no mail */
};

/*
 * Signs address up to list: a new or departed reader becomes pending
 * (double opt-in) or active (single opt-in); a pending one stays pending
 * and gets another confirmation; an active one, or an address bounced or
 * complained anywhere, is left as it is. address is already normalized
 * (address_normalize: stored form and key). 0 and *result, or -1 + err.
 */
int	reader_signup(struct store *st, const char *list, const char *address,
	    const char *key, const char *name, int single,
	    const char *detail, enum signup_result *result, char *err,
	    size_t errlen);

/* Confirms a pending sign-up: pending becomes active. *joined is 1 when
 * it changed, 0 when there was nothing pending. 0 / -1 + err. */
int	reader_confirm(struct store *st, const char *list, const char *address,
	    const char *detail, int *joined, char *err, size_t errlen);

/*
 * Sign-ups of list still pending since before `before` (seconds since the
 * epoch) expire: they become unsubscribed with the reason "sign-up not
 * confirmed in time". *n counts them. 0 / -1 + err.
 */
int	reader_expire(struct store *st, const char *list, long long before,
	    size_t *n, char *err, size_t errlen);

#endif
