/*
 * deliver.h — the worker: sends what is due, records what happened.
 *
 * deliver_run() takes the spool's worker lock (one worker per spool: a
 * second gets an error naming the first one's pid), puts back entries a
 * dead worker left "sending", then loops: claim due entries, let the
 * throttle say when each may start, compose each message from the stored
 * issue (the same bytes on every retry), hand it to the transport (SMTP
 * relays, or the Maildir outbox when none is configured), and record the
 * outcomes in batches of deliver.batch. SIGTERM and SIGINT stop claiming;
 * the messages in flight finish, their outcomes are committed, and it
 * returns.
 *
 * Outcomes: 2xx sent; 4xx or no session deferred, retried after
 * retry_first * 2^(attempts-1) seconds (+-20% jitter, at most retry_max),
 * failed once max_age has passed since the first attempt; 5xx failed, and
 * a 5xx saying the mailbox is gone (5.1.1, 5.1.10, 5.2.1, 5.1.2 ...)
 * bounces the subscriber at once. Policy rejections (5.7.x) fail the
 * message but never count against the reader.
 */
#ifndef DISPATCHER_DELIVER_H
#define DISPATCHER_DELIVER_H

#include <stddef.h>

#include "config.h"
#include "spool.h"
#include "store.h"

enum deliver_mode {
	DELIVER_DUE,		/* what is due now, then return */
	DELIVER_UNTIL_EMPTY,	/* until nothing is queued or deferred */
	DELIVER_FOR		/* for a number of seconds */
};

struct deliver_opts {
	enum deliver_mode	 mode;
	double			 seconds;	/* DELIVER_FOR */
	int			 progress;	/* print progress lines */
};

struct deliver_stats {
	size_t	sent, deferred, failed, bounced, skipped;
	size_t	recovered;			/* left "sending" by a dead worker */
	int	waiting;			/* entries remain deferred */
};

/* 0 when the run went as it should (messages may still be deferred: see
 * stats->waiting), DELIVER_BUSY when another worker holds the spool (err
 * names it), -1 on an error that stopped it, with err set. */
#define DELIVER_BUSY	1
int	deliver_run(struct config *cfg, struct store *st,
	    const struct deliver_opts *o, struct deliver_stats *stats,
	    char *err, size_t errlen);

/*
 * Classifies an SMTP outcome. code 0 means no reply (the connection
 * failed). Returns the entry state (SENT, DEFERRED or FAILED) and sets
 * *hard when the reply says the mailbox is gone, *rate_limited when it
 * says we go too fast.
 */
enum entry_state deliver_classify(long code, const char *reply, int *hard,
	    int *rate_limited);

/* Sends one message outside the spool (`dispatcher test`). */
int	deliver_one(struct config *cfg, const char *mail_from, const char *rcpt,
	    const char *msg, size_t len, char *reply, size_t replylen,
	    char *err, size_t errlen);

#endif
