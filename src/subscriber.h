/*
 * subscriber.h — subscribers per list, their statuses and the audit log.
 *
 * A subscriber is filed per list under the key of its address (address.h:
 * the whole address lowercased, the domain in ASCII). Statuses:
 *
 *	pending (awaiting opt-in) -> active -> unsubscribed | bounced |
 *	complained
 *
 * Every change of status goes through subscriber_set_status() (or
 * subscriber_add(), which calls it), which writes an event into the
 * append-only log in the same transaction: who (source and a detail such as
 * a file name or an IP address), when, from what to what, and why.
 *
 * Suppression rules:
 *   - an address that is bounced or complained on ANY list is suppressed:
 *     subscribe and import do not add it again, to that list or another,
 *     unless forced (the admin's --force);
 *     The mark stays when the status moves on to unsubscribed (a reader
 *     who follows an old unsubscribe link); only a forced return to
 *     active or pending on that list lifts it;
 *   - an import never re-activates an unsubscribed reader, forced or not;
 *     an admin's subscribe does so only when forced.
 *
 * KEY LAYOUT (store.h databases):
 *   STORE_SUBSCRIBERS  list \0 key            -> record (version 1, below)
 *   STORE_EVENTS       be64 seq -> event (seq: counter "event"): one
 *                      log of every change, appended in time order; each
 *                      event names its list and key and links to the
 *                      subscriber's previous event, and the record keeps
 *                      the last, so one subscriber's history is a short
 *                      walk and a big import appends instead of
 *                      scattering writes over the whole file
 *   STORE_SUPPRESSED   key \0 list             -> status byte, be64 time
 *                      (one entry per list where the address is bounced
 *                      or complained: one prefix seek answers "anywhere?")
 *
 * The txn functions take a struct store_txn from store_update / store_view
 * and follow its rules: on -1 the reason is on the transaction (store.h).
 */
#ifndef DISPATCHER_SUBSCRIBER_H
#define DISPATCHER_SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "store.h"

enum sub_status {
	SUB_NONE = 0,		/* no record (the "from" of a first event) */
	SUB_PENDING,
	SUB_ACTIVE,
	SUB_UNSUBSCRIBED,
	SUB_BOUNCED,
	SUB_COMPLAINED
};
#define SUB_NSTATUS	6

enum sub_source {
	SRC_ADMIN = 1,		/* the command line */
	SRC_IMPORT,		/* a CSV import */
	SRC_READER,		/* the reader: unsubscribe link, opt-in */
	SRC_BOUNCE,		/* the bounce processor */
	SRC_COMPLAINT		/* a feedback (ARF) report */
};

#define SUB_NAME_MAX		255	/* bytes of UTF-8; longer is refused */
#define SUB_LIST_MAX		64
#define SUB_BOUNCES_MAX		8	/* history kept: the most recent ones */
#define SUB_TEXT_MAX		200	/* reason / detail / bounce text, bytes */

struct sub_bounce {
	int64_t	when;				/* seconds since the epoch */
	char	status[16];			/* enhanced status, "5.1.1" */
	char	kind;				/* 'h'ard, 's'oft, 'c'omplaint */
	char	text[SUB_TEXT_MAX + 1];		/* the reply, truncated */
};

/* A record, copied out of the store: owns nothing, needs no free. */
struct subscriber {
	char			address[ADDRESS_MAX + 1];	/* stored form */
	char			key[ADDRESS_MAX + 1];
	char			name[SUB_NAME_MAX + 1];
	enum sub_status		status;
	enum sub_source		source;		/* of the last change */
	int64_t			created;	/* seconds since the epoch */
	int64_t			changed;	/* last change of status */
	int32_t			bounce_score;
	uint64_t		import_run;	/* last import that saw it */
	uint64_t		last_event;	/* seq of its latest event */
	unsigned		nbounces;
	struct sub_bounce	bounces[SUB_BOUNCES_MAX];	/* oldest first */
};

struct sub_event {
	uint64_t		seq;
	int64_t			when;
	enum sub_status		from, to;
	enum sub_source		source;
	char			reason[SUB_TEXT_MAX + 1];
	char			detail[SUB_TEXT_MAX + 1];
};

/* Names: "active", "admin", ... and back; parse returns -1 if unknown. */
const char	*subscriber_status_name(enum sub_status s);
const char	*subscriber_source_name(enum sub_source s);
int		 subscriber_status_parse(const char *s, enum sub_status *out);

/* 1 if st may receive mail (active), else 0. */
int		 subscriber_sendable(enum sub_status st);

/*
 * Looks up address (any form address_normalize takes) in list: 0 and *out
 * filled; STORE_NOTFOUND; -1 (bad address or store error, reason on txn).
 */
int	subscriber_get(struct store_txn *txn, const char *list,
	    const char *address, struct subscriber *out);

/* Writes a record as is (no event, no suppression bookkeeping): for the
 * bounce processor's score and history. 0 or -1. */
int	subscriber_put(struct store_txn *txn, const char *list,
	    const struct subscriber *s);

/* Appends a bounce to s's history (dropping the oldest past the max). */
void	subscriber_bounce_push(struct subscriber *s, int64_t when,
	    const char *status, char kind, const char *text);

/*
 * Changes the status of an existing subscriber and logs the event, in txn.
 * reason says why ("unsubscribe link", "5.1.1 user unknown"); detail who or
 * where (may be NULL). Returns 0 when the status changed, STORE_NOTFOUND
 * when the address is not on the list, STORE_KEYEXIST when it already had
 * that status (nothing written), -1 on error.
 */
int	subscriber_set_status(struct store_txn *txn, const char *list,
	    const char *address, enum sub_status to, enum sub_source source,
	    const char *reason, const char *detail);

/* What subscriber_add() did. */
enum sub_outcome {
	SUB_ADDED,		/* new on the list */
	SUB_UPDATED,		/* status or name changed */
	SUB_UNCHANGED,		/* already so */
	SUB_SUPPRESSED,		/* refused by a suppression rule */
	SUB_DUPLICATE		/* seen before in the same import run */
};

struct sub_add {
	const char	*address;	/* already normalized: address_normalize */
	const char	*key;
	const char	*name;		/* NULL: keep the name on record */
	enum sub_status	 status;	/* wanted: active, pending, or a
					   suppression carried in an import */
	enum sub_source	 source;	/* SRC_ADMIN or SRC_IMPORT */
	const char	*reason;
	const char	*detail;
	int		 force;		/* the admin's --force */
	uint64_t	 import_run;	/* nonzero: duplicate detection */
	int64_t		 created;	/* 0: now; else kept for a new record */
};

/*
 * Adds or updates one subscriber under the rules at the top. 0 and
 * *outcome set, with *why a constant explanation for SUB_SUPPRESSED
 * (NULL otherwise); -1 on error.
 */
int	subscriber_add(struct store_txn *txn, const char *list,
	    const struct sub_add *a, enum sub_outcome *outcome, const char **why);

/*
 * Is key bounced or complained on some list? 1 with the first such list
 * and status copied out, 0 if not, -1 on error.
 */
int	subscriber_suppressed(struct store_txn *txn, const char *key,
	    char list[SUB_LIST_MAX + 1], enum sub_status *status);

/* Calls fn for each event of address on list, oldest first; fn returning
 * nonzero stops with that value. 0 or -1. */
int	subscriber_events(struct store_txn *txn, const char *list,
	    const char *key, int (*fn)(const struct sub_event *, void *),
	    void *arg);

/*
 * Calls fn for each subscriber of list (status < 0: all; else only that
 * status), in key order, OUTSIDE any transaction: records are read in short
 * read transactions of a few hundred, so fn may block (write to a pipe)
 * without holding a snapshot. fn returning nonzero stops with that value.
 * 0, or -1 with err set.
 */
int	subscriber_scan(struct store *st, const char *list, int status,
	    int (*fn)(const struct subscriber *, void *), void *arg, char *err,
	    size_t errlen);

/* Counts per status of list, from one read transaction. 0 or -1. */
int	subscriber_count(struct store *st, const char *list,
	    uint64_t counts[SUB_NSTATUS], char *err, size_t errlen);

#endif
