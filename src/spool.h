/*
 * spool.h — the queue: rendered issues and one entry per issue × subscriber.
 *
 * Everything lives in the store (store.h). An issue is stored once, as the
 * composer rendered it (compose_save), under a sequence number; each
 * subscriber of the list gets an entry whose id is (issue seq << 32 |
 * entry seq). Entries are small: state, attempts, times, the recipient as
 * it was at enqueue time, the last reply. A due index keyed by (next
 * attempt time, id) makes picking what is due a cursor walk from its start,
 * whatever the size of the spool.
 *
 * Entry states:
 *   queued -> sending -> sent | deferred | failed | bounced
 *   queued | deferred -> skipped (the reader left before their turn)
 *   deferred -> sending (when due again)
 * "sending" entries are also listed in an in-flight table; a worker that
 * dies leaves them there, and spool_recover() puts them back in the due
 * index. That is where duplicates after a crash come from, and why their
 * number is bounded by what one worker claims at a time.
 */
#ifndef DISPATCHER_SPOOL_H
#define DISPATCHER_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "address.h"
#include "store.h"

enum entry_state { ENTRY_QUEUED, ENTRY_SENDING, ENTRY_SENT, ENTRY_DEFERRED,
	ENTRY_FAILED, ENTRY_BOUNCED, ENTRY_SKIPPED, ENTRY_NSTATES };

#define SPOOL_NAME_MAX		255
#define SPOOL_REPLY_MAX		300

struct spool_entry {
	uint64_t		id;
	enum entry_state	state;
	uint32_t		attempts;
	int64_t			first_attempt;	/* 0: never tried */
	int64_t			next_attempt;
	int64_t			changed;
	char			address[ADDRESS_MAX + 1];
	char			name[SPOOL_NAME_MAX + 1];
	char			reply[SPOOL_REPLY_MAX + 1];
};

struct spool_issue {
	uint32_t	seq;
	char		list[65];
	char		name[256];	/* the issue file's base name */
	char		issue_id[17];	/* compose_issue_id() */
	int64_t		created;
	uint32_t	entries;	/* enqueued so far */
	int		enqueued;	/* every subscriber has an entry */
};

const char	*spool_state_name(enum entry_state s);

#define SPOOL_ID(issue, entry)	((uint64_t)(issue) << 32 | (uint32_t)(entry))
#define SPOOL_ISSUE_OF(id)	((uint32_t)((id) >> 32))

/*
 * Adds a rendered issue for list, or finds it when the same bytes were
 * added before (the same issue sent twice). When another issue with the
 * same file name was added to the list and force is 0, returns -1 with a
 * message: a changed issue under the same name is refused. *created says
 * whether it is new.
 */
int	spool_issue_add(struct store *st, const char *list, const char *name,
	    const unsigned char hash[32], const char *issue_id,
	    const void *rendered, size_t len, int force, struct spool_issue *out,
	    int *created, char *err, size_t errlen);

/* Reads issue seq; *data (free with free()) gets the rendered bytes when
 * data is not NULL. 0, 1 when there is no such issue, -1 on error. */
int	spool_issue_get(struct store *st, uint32_t seq, struct spool_issue *out,
	    void **data, size_t *len, char *err, size_t errlen);

/* The newest issue (highest seq), or 1 when the spool has none. */
int	spool_issue_latest(struct store *st, struct spool_issue *out,
	    char *err, size_t errlen);

/*
 * Gives every active subscriber of the issue's list an entry, in batches
 * of batch per transaction, resuming where a crashed run stopped. Never
 * makes two entries for one subscriber. *added counts new entries.
 */
int	spool_enqueue(struct store *st, uint32_t seq, size_t batch,
	    size_t *added, char *err, size_t errlen);

/* Puts entries left "sending" by a dead worker back in the due index.
 * Returns how many through *n. */
int	spool_recover(struct store *st, size_t *n, char *err, size_t errlen);

/*
 * Claims up to max entries due at now: each becomes "sending" and moves to
 * the in-flight table, in one transaction. An entry whose subscriber is no
 * longer active becomes "skipped" instead and is not returned; *skipped
 * (when not NULL) counts those.
 */
int	spool_claim(struct store *st, int64_t now, size_t max,
	    struct spool_entry *out, size_t *n, size_t *skipped, char *err,
	    size_t errlen);

/* Whether anything is due at now (1), or the next due time in *next (0,
 * with *next = 0 when nothing is waiting at all). */
int	spool_next_due(struct store *st, int64_t now, int64_t *next,
	    char *err, size_t errlen);

/*
 * Records outcomes in one transaction. Each entry carries its new state,
 * attempts, next attempt and reply; a deferred one goes back in the due
 * index. When bounce_hard is set for an entry its subscriber becomes
 * bounced on every list (a 5xx saying the mailbox is gone).
 */
struct spool_outcome {
	struct spool_entry	entry;
	int			bounce_hard;
};
int	spool_record(struct store *st, const struct spool_outcome *o, size_t n,
	    char *err, size_t errlen);

/*
 * One message outside any issue (a sign-up confirmation): its whole bytes
 * are stored with the entry, which is issue 0 and goes through the same
 * queue, retries and outcomes, but is sent whatever the status of its
 * recipient. bounce_domain is the domain of its VERP envelope sender.
 * Sets *id. The bytes are dropped once the entry is sent or failed.
 */
int	spool_enqueue_message(struct store *st, const char *address,
	    const char *bounce_domain, const char *msg, size_t len,
	    uint64_t *id, char *err, size_t errlen);
/* The bytes of such a message (free *msg with free()); 0, 1 absent, -1. */
int	spool_message_get(struct store *st, uint64_t id, char **msg,
	    size_t *len, char *domain, size_t domainlen, char *err,
	    size_t errlen);

/*
 * Inside a caller's transaction (store.h rules): read an entry or an issue
 * (0, STORE_NOTFOUND, -1), and set an entry's state and reply after the
 * fact (a bounce that came back later): 0, STORE_NOTFOUND, -1.
 */
int	spool_entry_read(struct store_txn *txn, uint64_t id,
	    struct spool_entry *out);
int	spool_issue_read(struct store_txn *txn, uint32_t seq,
	    struct spool_issue *out);
int	spool_entry_mark(struct store_txn *txn, uint64_t id,
	    enum entry_state state, const char *reply);

/* Reads one entry by id: 0, 1 when absent, -1 on error. */
int	spool_entry_get(struct store *st, uint64_t id, struct spool_entry *out,
	    char *err, size_t errlen);

/* Calls fn for each entry of issue seq (read-only). */
int	spool_entries(struct store *st, uint32_t seq,
	    void (*fn)(const struct spool_entry *, void *), void *arg,
	    char *err, size_t errlen);

#endif
