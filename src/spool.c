/*
 * spool.c — rendered issues, queue entries and the due index in the store
 * (see spool.h for the states and store.h for how transactions work).
 *
 * Key layout (all integers big-endian, so cursors walk in number order):
 *   ISSUES       be32 seq                  -> issue record
 *   RENDERED     be32 seq                  -> compose_save() bytes
 *   ISSUE_INDEX  "h" list \0 sha256(issue) -> be32 seq   (same issue again)
 *                "n" list \0 file name     -> be32 seq   (same name, changed)
 *   QUEUE        be64 id                   -> entry record
 *   DUE          be64 time, be64 id        -> ""  (queued and deferred)
 *   INFLIGHT     be64 id                   -> ""  (sending)
 *   MESSAGES     be64 id (issue 0)         -> domain \0 whole message
 * Records start with a version byte; a record of another version is an
 * error, not a guess.
 */
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pack.h"
#include "subscriber.h"

#define ENTRY_VERSION	1
#define ISSUE_VERSION	1

static const char *state_names[ENTRY_NSTATES] = { "queued", "sending",
	"sent", "deferred", "failed", "bounced", "skipped" };

const char *
spool_state_name(enum entry_state s)
{
	return s < ENTRY_NSTATES ? state_names[s] : "?";
}

/* ---- records -------------------------------------------------------- */

static size_t
entry_encode(const struct spool_entry *e, unsigned char *buf, size_t cap)
{
	struct pack	r = PACK_INIT(buf, cap);
	size_t		n = strlen(e->reply);

	pack_u8(&r, ENTRY_VERSION);
	pack_u8(&r, e->state);
	pack_u64(&r, e->attempts);
	pack_u64(&r, (uint64_t)e->first_attempt);
	pack_u64(&r, (uint64_t)e->next_attempt);
	pack_u64(&r, (uint64_t)e->changed);
	pack_str(&r, e->address);
	pack_str(&r, e->name);
	pack_u16(&r, (unsigned)n);
	pack_bytes(&r, e->reply, n);
	return r.bad ? 0 : r.len;
}

static int
entry_decode(uint64_t id, const struct store_val *v, struct spool_entry *e)
{
	struct unpack	u = UNPACK_INIT(v->data, v->len);
	size_t		n;
	const unsigned char *p;

	memset(e, 0, sizeof(*e));
	e->id = id;
	if (unpack_u8(&u) != ENTRY_VERSION)
		return -1;
	e->state = (enum entry_state)unpack_u8(&u);
	e->attempts = (uint32_t)unpack_u64(&u);
	e->first_attempt = (int64_t)unpack_u64(&u);
	e->next_attempt = (int64_t)unpack_u64(&u);
	e->changed = (int64_t)unpack_u64(&u);
	unpack_str(&u, e->address, sizeof(e->address));
	unpack_str(&u, e->name, sizeof(e->name));
	n = unpack_u16(&u);
	if ((p = unpack_bytes(&u, n)) != NULL && n < sizeof(e->reply))
		memcpy(e->reply, p, n);
	return u.bad || e->state >= ENTRY_NSTATES ? -1 : 0;
}

struct issue_rec {
	struct spool_issue	is;
	unsigned char		hash[32];
	char			cursor[STORE_KEY_MAX + 1];	/* subscriber key */
	size_t			cursorlen;
};

static size_t
issue_encode(const struct issue_rec *ir, unsigned char *buf, size_t cap)
{
	struct pack	r = PACK_INIT(buf, cap);

	pack_u8(&r, ISSUE_VERSION);
	pack_u8(&r, (unsigned)ir->is.enqueued);
	pack_u64(&r, ir->is.entries);
	pack_u64(&r, (uint64_t)ir->is.created);
	pack_str(&r, ir->is.list);
	pack_str(&r, ir->is.name);
	pack_str(&r, ir->is.issue_id);
	pack_bytes(&r, ir->hash, 32);
	pack_u64(&r, ir->cursorlen);
	pack_bytes(&r, ir->cursor, ir->cursorlen);
	return r.bad ? 0 : r.len;
}

static int
issue_decode(uint32_t seq, const struct store_val *v, struct issue_rec *ir)
{
	struct unpack		 u = UNPACK_INIT(v->data, v->len);
	const unsigned char	*p;

	memset(ir, 0, sizeof(*ir));
	ir->is.seq = seq;
	if (unpack_u8(&u) != ISSUE_VERSION)
		return -1;
	ir->is.enqueued = (int)unpack_u8(&u);
	ir->is.entries = (uint32_t)unpack_u64(&u);
	ir->is.created = (int64_t)unpack_u64(&u);
	unpack_str(&u, ir->is.list, sizeof(ir->is.list));
	unpack_str(&u, ir->is.name, sizeof(ir->is.name));
	unpack_str(&u, ir->is.issue_id, sizeof(ir->is.issue_id));
	if ((p = unpack_bytes(&u, 32)) != NULL)
		memcpy(ir->hash, p, 32);
	ir->cursorlen = (size_t)unpack_u64(&u);
	if (ir->cursorlen > STORE_KEY_MAX ||
	    (p = unpack_bytes(&u, ir->cursorlen)) == NULL)
		return -1;
	memcpy(ir->cursor, p, ir->cursorlen);
	return u.bad ? -1 : 0;
}

/* ---- small store helpers ---------------------------------------------- */

static int
issue_read(struct store_txn *txn, uint32_t seq, struct issue_rec *ir)
{
	unsigned char		k[4];
	struct store_val	v;
	int			rc;

	store_be32_put(k, seq);
	if ((rc = store_get(txn, STORE_ISSUES, k, 4, &v)) != 0)
		return rc;
	if (issue_decode(seq, &v, ir) == -1) {
		store_txn_errf(txn, "issue %u: damaged record", seq);
		return -1;
	}
	return 0;
}

static int
issue_write(struct store_txn *txn, const struct issue_rec *ir)
{
	unsigned char	k[4], buf[1024 + STORE_KEY_MAX];
	size_t		n = issue_encode(ir, buf, sizeof(buf));

	if (n == 0) {
		store_txn_errf(txn, "issue %u: a field is too long to keep",
		    ir->is.seq);
		return -1;
	}
	store_be32_put(k, ir->is.seq);
	return store_put(txn, STORE_ISSUES, k, 4, buf, n, 0);
}

static int
entry_read(struct store_txn *txn, uint64_t id, struct spool_entry *e)
{
	unsigned char		k[8];
	struct store_val	v;
	int			rc;

	store_be64_put(k, id);
	if ((rc = store_get(txn, STORE_QUEUE, k, 8, &v)) != 0)
		return rc;
	if (entry_decode(id, &v, e) == -1) {
		store_txn_errf(txn, "entry %llx: damaged record",
		    (unsigned long long)id);
		return -1;
	}
	return 0;
}

static int
entry_write(struct store_txn *txn, const struct spool_entry *e)
{
	unsigned char	k[8], buf[1024];
	size_t		n = entry_encode(e, buf, sizeof(buf));

	if (n == 0) {
		store_txn_errf(txn, "entry %llx: a field is too long to keep",
		    (unsigned long long)e->id);
		return -1;
	}
	store_be64_put(k, e->id);
	return store_put(txn, STORE_QUEUE, k, 8, buf, n, 0);
}

static int
due_put(struct store_txn *txn, int64_t when, uint64_t id)
{
	unsigned char	k[16];

	store_be64_put(k, (uint64_t)(when < 0 ? 0 : when));
	store_be64_put(k + 8, id);
	return store_put(txn, STORE_DUE, k, 16, "", 0, 0);
}

static int
inflight(struct store_txn *txn, uint64_t id, int add)
{
	unsigned char	k[8];
	int		rc;

	store_be64_put(k, id);
	if (add)
		return store_put(txn, STORE_INFLIGHT, k, 8, "", 0, 0);
	rc = store_del(txn, STORE_INFLIGHT, k, 8);
	return rc == STORE_NOTFOUND ? 0 : rc;
}

/* ---- issues ----------------------------------------------------------- */

static size_t
index_key(unsigned char *k, char kind, const char *list, const void *tail,
    size_t taillen)
{
	size_t	n = strlen(list);

	k[0] = (unsigned char)kind;
	memcpy(k + 1, list, n + 1);
	memcpy(k + 2 + n, tail, taillen);
	return 2 + n + taillen;
}

struct add_arg {
	const char		*list, *name, *issue_id;
	const unsigned char	*hash;
	const void		*rendered;
	size_t			 len;
	int			 force;
	struct issue_rec	 ir;
	int			 created;
};

static int
add_fn(struct store_txn *txn, void *arg)
{
	struct add_arg		*a = arg;
	unsigned char		 hk[STORE_KEY_MAX + 1], nk[STORE_KEY_MAX + 1], sk[4];
	size_t			 hl, nl;
	struct store_val	 v;
	uint64_t		 seq;
	int			 rc;

	a->created = 0;
	hl = index_key(hk, 'h', a->list, a->hash, 32);
	nl = index_key(nk, 'n', a->list, a->name, strlen(a->name));
	if ((rc = store_get(txn, STORE_ISSUE_INDEX, hk, hl, &v)) == 0 &&
	    v.len == 4)	/* the same issue again: nothing to add */
		return issue_read(txn, store_be32_get(v.data), &a->ir);
	if (rc == -1)
		return -1;
	if ((rc = store_get(txn, STORE_ISSUE_INDEX, nk, nl, &v)) == 0 &&
	    !a->force && v.len == 4) {
		store_txn_errf(txn, "an issue named %s with other content was "
		    "sent to list %s before (issue %u); if this is a new issue, "
		    "pass --force", a->name, a->list, store_be32_get(v.data));
		return -1;
	}
	if (rc == -1 || store_seq_next(txn, "issue", &seq) == -1)
		return -1;
	memset(&a->ir, 0, sizeof(a->ir));
	a->ir.is.seq = (uint32_t)seq;
	snprintf(a->ir.is.list, sizeof(a->ir.is.list), "%s", a->list);
	snprintf(a->ir.is.name, sizeof(a->ir.is.name), "%s", a->name);
	snprintf(a->ir.is.issue_id, sizeof(a->ir.is.issue_id), "%s",
	    a->issue_id);
	a->ir.is.created = time(NULL);
	memcpy(a->ir.hash, a->hash, 32);
	store_be32_put(sk, a->ir.is.seq);
	if (issue_write(txn, &a->ir) == -1 ||
	    store_put(txn, STORE_RENDERED, sk, 4, a->rendered, a->len, 0) == -1 ||
	    store_put(txn, STORE_ISSUE_INDEX, hk, hl, sk, 4, 0) == -1 ||
	    store_put(txn, STORE_ISSUE_INDEX, nk, nl, sk, 4, 0) == -1)
		return -1;
	a->created = 1;
	return 0;
}

int
spool_issue_add(struct store *st, const char *list, const char *name,
    const unsigned char hash[32], const char *issue_id, const void *rendered,
    size_t len, int force, struct spool_issue *out, int *created, char *err,
    size_t errlen)
{
	struct add_arg	a;

	memset(&a, 0, sizeof(a));
	a.list = list;
	a.name = name;
	a.hash = hash;
	a.issue_id = issue_id;
	a.rendered = rendered;
	a.len = len;
	a.force = force;
	if (strlen(list) > SUB_LIST_MAX || strlen(name) > 200) {
		errf(err, errlen, "list or issue name too long");
		return -1;
	}
	if (store_update(st, add_fn, &a, err, errlen) != 0)
		return -1;
	*out = a.ir.is;
	*created = a.created;
	return 0;
}

struct get_arg {
	uint32_t	 seq;
	int		 latest;
	struct issue_rec ir;
	void		**data;
	size_t		*len;
};

static int
get_fn(struct store_txn *txn, void *arg)
{
	struct get_arg		*g = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	unsigned char		 sk[4];
	int			 rc;

	if (g->latest) {	/* the last key of ISSUES */
		if ((c = store_cursor_open(txn, STORE_ISSUES, "", 0)) == NULL)
			return -1;
		g->seq = 0;
		for (rc = store_cursor_first(c, "\0\0\0\0", 4, &k, &v); rc == 0;
		    rc = store_cursor_next(c, &k, &v))
			if (k.len == 4)
				g->seq = store_be32_get(k.data);
		store_cursor_close(c);
		if (rc == -1)
			return -1;
		if (g->seq == 0)
			return STORE_NOTFOUND;
	}
	if ((rc = issue_read(txn, g->seq, &g->ir)) != 0 || g->data == NULL)
		return rc;
	store_be32_put(sk, g->seq);
	if ((rc = store_get(txn, STORE_RENDERED, sk, 4, &v)) != 0)
		return rc;
	if ((*g->data = malloc(v.len ? v.len : 1)) == NULL) {
		store_txn_errf(txn, "out of memory");
		return -1;
	}
	memcpy(*g->data, v.data, v.len);
	*g->len = v.len;
	return 0;
}

int
spool_issue_get(struct store *st, uint32_t seq, struct spool_issue *out,
    void **data, size_t *len, char *err, size_t errlen)
{
	struct get_arg	g;
	int		rc;

	memset(&g, 0, sizeof(g));
	g.seq = seq;
	g.data = data;
	g.len = len;
	if ((rc = store_view(st, get_fn, &g, err, errlen)) == STORE_NOTFOUND)
		errf(err, errlen, "no issue %u in the spool", seq);
	if (rc == 0)
		*out = g.ir.is;
	return rc == -1 ? -1 : rc != 0;
}

int
spool_issue_latest(struct store *st, struct spool_issue *out, char *err,
    size_t errlen)
{
	struct get_arg	g;
	int		rc;

	memset(&g, 0, sizeof(g));
	g.latest = 1;
	if ((rc = store_view(st, get_fn, &g, err, errlen)) == 0)
		*out = g.ir.is;
	return rc == -1 ? -1 : rc != 0;
}

/* ---- enqueue ------------------------------------------------------------ */

struct enqueue_arg {
	uint32_t	seq;
	size_t		batch;
	size_t		added;		/* this transaction */
	int		done;
	int64_t		now;
};

/* Gives the next batch of active subscribers an entry each. */
static int
enqueue_fn(struct store_txn *txn, void *arg)
{
	struct enqueue_arg	*a = arg;
	struct issue_rec	 ir;
	struct store_cursor	*c;
	struct store_val	 k, v;
	struct subscriber	 sub;
	struct spool_entry	 e;
	unsigned char		 prefix[SUB_LIST_MAX + 2];
	size_t			 plen;
	int			 rc;

	a->added = 0;
	a->done = 0;
	if (issue_read(txn, a->seq, &ir) != 0)
		return -1;
	if (ir.is.enqueued) {
		a->done = 1;
		return STORE_ROLLBACK;
	}
	plen = strlen(ir.is.list) + 1;
	memcpy(prefix, ir.is.list, plen);
	if ((c = store_cursor_open(txn, STORE_SUBSCRIBERS, prefix, plen)) == NULL)
		return -1;
	rc = ir.cursorlen ? store_cursor_first(c, ir.cursor, ir.cursorlen, &k, &v) :
	    store_cursor_first(c, prefix, plen, &k, &v);
	/* the saved cursor is the last key done: step past it */
	if (rc == 0 && ir.cursorlen && k.len == ir.cursorlen &&
	    memcmp(k.data, ir.cursor, k.len) == 0)
		rc = store_cursor_next(c, &k, &v);
	for (; rc == 0 && a->added < a->batch; rc = store_cursor_next(c, &k, &v)) {
		memcpy(ir.cursor, k.data, k.len);
		ir.cursorlen = k.len;
		ir.cursor[k.len] = '\0';
		if ((rc = subscriber_get(txn, ir.is.list, ir.cursor + plen,
		    &sub)) == -1)
			break;
		if (rc != 0 || !subscriber_sendable(sub.status))
			continue;
		memset(&e, 0, sizeof(e));
		e.id = SPOOL_ID(ir.is.seq, ++ir.is.entries);
		e.state = ENTRY_QUEUED;
		e.next_attempt = e.changed = a->now;
		snprintf(e.address, sizeof(e.address), "%s", sub.address);
		snprintf(e.name, sizeof(e.name), "%s", sub.name);
		if (entry_write(txn, &e) == -1 || due_put(txn, a->now, e.id) == -1) {
			rc = -1;
			break;
		}
		a->added++;
	}
	store_cursor_close(c);
	if (rc == -1)
		return -1;
	if (rc == STORE_NOTFOUND)
		ir.is.enqueued = a->done = 1;
	return issue_write(txn, &ir);
}

int
spool_enqueue(struct store *st, uint32_t seq, size_t batch, size_t *added,
    char *err, size_t errlen)
{
	struct enqueue_arg	a;
	int			rc;

	memset(&a, 0, sizeof(a));
	a.seq = seq;
	a.batch = batch ? batch : 1000;
	a.now = time(NULL);
	*added = 0;
	while (!a.done) {
		rc = store_update(st, enqueue_fn, &a, err, errlen);
		if (rc == -1)
			return -1;
		*added += a.added;
	}
	return 0;
}

/* ---- recover, claim, record ---------------------------------------------- */

struct recover_arg {
	size_t	n;
	int64_t	now;
};

static int
recover_fn(struct store_txn *txn, void *arg)
{
	struct recover_arg	*a = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	struct spool_entry	 e;
	uint64_t		 id;
	int			 rc;

	a->n = 0;
	if ((c = store_cursor_open(txn, STORE_INFLIGHT, "", 0)) == NULL)
		return -1;
	for (rc = store_cursor_first(c, "\0\0\0\0\0\0\0\0", 8, &k, &v);
	    rc == 0; rc = store_cursor_next(c, &k, &v)) {
		id = store_be64_get(k.data);
		if ((rc = entry_read(txn, id, &e)) == -1)
			break;
		if (rc == 0 && e.state == ENTRY_SENDING) {
			e.state = e.attempts ? ENTRY_DEFERRED : ENTRY_QUEUED;
			e.next_attempt = a->now;
			if (entry_write(txn, &e) == -1 ||
			    due_put(txn, a->now, id) == -1) {
				rc = -1;
				break;
			}
			a->n++;
		}
		if ((rc = store_cursor_del(c)) == -1)
			break;
	}
	store_cursor_close(c);
	return rc == -1 ? -1 : 0;
}

int
spool_recover(struct store *st, size_t *n, char *err, size_t errlen)
{
	struct recover_arg	a = { 0, time(NULL) };

	if (store_update(st, recover_fn, &a, err, errlen) != 0)
		return -1;
	*n = a.n;
	return 0;
}

struct claim_arg {
	int64_t			 now;
	size_t			 max, n, skipped;
	struct spool_entry	*out;
	uint32_t		 seq;		/* the issue of list[] */
	char			 list[65];
};

/* The list of the issue an entry belongs to (cached for runs of one). */
static int
claim_list(struct store_txn *txn, struct claim_arg *a, uint32_t seq)
{
	struct issue_rec	ir;

	if (a->seq == seq)
		return 0;
	if (issue_read(txn, seq, &ir) != 0)
		return -1;
	memcpy(a->list, ir.is.list, sizeof(a->list));
	a->seq = seq;
	return 0;
}

/* Claims one due entry: 1 claimed, 0 skipped or gone, -1 error. */
static int
claim_one(struct store_txn *txn, struct claim_arg *a, uint64_t id)
{
	struct spool_entry	*e = &a->out[a->n];
	struct subscriber	 sub;
	int			 rc;

	if ((rc = entry_read(txn, id, e)) != 0)
		return rc == STORE_NOTFOUND ? 0 : -1;
	if (e->state != ENTRY_QUEUED && e->state != ENTRY_DEFERRED)
		return 0;	/* a stale index key */
	if (SPOOL_ISSUE_OF(id) == 0)	/* a one-off message: no list */
		goto claim;
	if (claim_list(txn, a, SPOOL_ISSUE_OF(id)) == -1)
		return -1;
	if ((rc = subscriber_get(txn, a->list, e->address, &sub)) == -1)
		return -1;
	if (rc != 0 || !subscriber_sendable(sub.status)) {
		e->state = ENTRY_SKIPPED;
		e->changed = a->now;
		snprintf(e->reply, sizeof(e->reply), "the subscriber is %s",
		    rc ? "gone" : subscriber_status_name(sub.status));
		a->skipped++;
		return entry_write(txn, e) == -1 ? -1 : 0;
	}
claim:
	e->state = ENTRY_SENDING;
	if (entry_write(txn, e) == -1 || inflight(txn, id, 1) == -1)
		return -1;
	return 1;
}

static int
claim_fn(struct store_txn *txn, void *arg)
{
	struct claim_arg	*a = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	int			 rc;

	a->n = a->skipped = 0;
	a->seq = 0;
	if ((c = store_cursor_open(txn, STORE_DUE, "", 0)) == NULL)
		return -1;
	for (rc = store_cursor_first(c, "\0\0\0\0\0\0\0\0", 8, &k, &v);
	    rc == 0 && a->n < a->max; rc = store_cursor_next(c, &k, &v)) {
		if (k.len != 16 || (int64_t)store_be64_get(k.data) > a->now)
			break;
		if ((rc = claim_one(txn, a, store_be64_get(
		    (const unsigned char *)k.data + 8))) == -1)
			break;
		a->n += (size_t)rc;
		if ((rc = store_cursor_del(c)) == -1)
			break;
	}
	store_cursor_close(c);
	return rc == -1 ? -1 : 0;
}

int
spool_claim(struct store *st, int64_t now, size_t max, struct spool_entry *out,
    size_t *n, size_t *skipped, char *err, size_t errlen)
{
	struct claim_arg	a;

	memset(&a, 0, sizeof(a));
	a.now = now;
	a.max = max;
	a.out = out;
	if (store_update(st, claim_fn, &a, err, errlen) != 0)
		return -1;
	*n = a.n;
	if (skipped != NULL)
		*skipped = a.skipped;
	return 0;
}

struct due_arg {
	int64_t	now, next;
	int	due;
};

static int
due_fn(struct store_txn *txn, void *arg)
{
	struct due_arg		*a = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	int			 rc;

	a->next = 0;
	a->due = 0;
	if ((c = store_cursor_open(txn, STORE_DUE, "", 0)) == NULL)
		return -1;
	rc = store_cursor_first(c, "\0\0\0\0\0\0\0\0", 8, &k, &v);
	if (rc == 0 && k.len == 16) {
		a->next = (int64_t)store_be64_get(k.data);
		a->due = a->next <= a->now;
	}
	store_cursor_close(c);
	return rc == -1 ? -1 : 0;
}

int
spool_next_due(struct store *st, int64_t now, int64_t *next, char *err,
    size_t errlen)
{
	struct due_arg	a = { now, 0, 0 };

	if (store_view(st, due_fn, &a, err, errlen) != 0)
		return -1;
	*next = a.next;
	return a.due;
}

struct record_arg {
	const struct spool_outcome	*o;
	size_t				 n;
	char				 list[65];
	uint32_t			 seq;
};

static int
record_bounce(struct store_txn *txn, struct record_arg *a,
    const struct spool_entry *e)
{
	struct issue_rec	ir;
	int			rc;

	if (a->seq != SPOOL_ISSUE_OF(e->id)) {
		if (issue_read(txn, SPOOL_ISSUE_OF(e->id), &ir) != 0)
			return -1;
		memcpy(a->list, ir.is.list, sizeof(a->list));
		a->seq = ir.is.seq;
	}
	rc = subscriber_set_status(txn, a->list, e->address, SUB_BOUNCED,
	    SRC_BOUNCE, e->reply, "SMTP reply at delivery");
	return rc == -1 ? -1 : 0;
}

static int
message_drop(struct store_txn *txn, uint64_t id)
{
	unsigned char	k[8];
	int		rc;

	store_be64_put(k, id);
	rc = store_del(txn, STORE_MESSAGES, k, 8);
	return rc == STORE_NOTFOUND ? 0 : rc;
}

static int
record_fn(struct store_txn *txn, void *arg)
{
	struct record_arg	*a = arg;
	size_t			 i;

	a->seq = 0;
	for (i = 0; i < a->n; i++) {
		const struct spool_entry *e = &a->o[i].entry;
		if (entry_write(txn, e) == -1 || inflight(txn, e->id, 0) == -1)
			return -1;
		if ((e->state == ENTRY_DEFERRED || e->state == ENTRY_QUEUED) &&
		    due_put(txn, e->next_attempt, e->id) == -1)
			return -1;
		if (a->o[i].bounce_hard && SPOOL_ISSUE_OF(e->id) != 0 &&
		    record_bounce(txn, a, e) == -1)
			return -1;
		if (SPOOL_ISSUE_OF(e->id) == 0 && (e->state == ENTRY_SENT ||
		    e->state == ENTRY_FAILED) && message_drop(txn, e->id) == -1)
			return -1;
	}
	return 0;
}

int
spool_record(struct store *st, const struct spool_outcome *o, size_t n,
    char *err, size_t errlen)
{
	struct record_arg	a;

	memset(&a, 0, sizeof(a));
	a.o = o;
	a.n = n;
	return store_update(st, record_fn, &a, err, errlen) == 0 ? 0 : -1;
}

struct entry_arg {
	uint64_t		 id;
	struct spool_entry	*e;
	uint32_t		 seq;
	void			(*fn)(const struct spool_entry *, void *);
	void			*arg;
};

static int
entry_get_fn(struct store_txn *txn, void *arg)
{
	struct entry_arg	*a = arg;

	return entry_read(txn, a->id, a->e);
}

int
spool_entry_get(struct store *st, uint64_t id, struct spool_entry *out,
    char *err, size_t errlen)
{
	struct entry_arg	a = { id, out, 0, NULL, NULL };
	int			rc = store_view(st, entry_get_fn, &a, err, errlen);

	return rc == -1 ? -1 : rc != 0;
}

static int
entries_fn(struct store_txn *txn, void *arg)
{
	struct entry_arg	*a = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	struct spool_entry	 e;
	unsigned char		 prefix[4];
	int			 rc;

	store_be32_put(prefix, a->seq);
	if ((c = store_cursor_open(txn, STORE_QUEUE, prefix, 4)) == NULL)
		return -1;
	for (rc = store_cursor_first(c, prefix, 4, &k, &v); rc == 0;
	    rc = store_cursor_next(c, &k, &v))
		if (k.len == 8 && entry_decode(store_be64_get(k.data), &v, &e) == 0)
			a->fn(&e, a->arg);
	store_cursor_close(c);
	return rc == -1 ? -1 : 0;
}

int
spool_entries(struct store *st, uint32_t seq,
    void (*fn)(const struct spool_entry *, void *), void *arg, char *err,
    size_t errlen)
{
	struct entry_arg	a = { 0, NULL, seq, fn, arg };

	return store_view(st, entries_fn, &a, err, errlen) == 0 ? 0 : -1;
}

/* ---- one-off messages ----------------------------------------------------- */

struct message_arg {
	const char	*address, *domain, *msg;
	size_t		 len;
	uint64_t	 id;
	char		**out;
	size_t		*outlen;
	char		*outdomain;
	size_t		 outdomainlen;
};

static int
message_add_fn(struct store_txn *txn, void *arg)
{
	struct message_arg	*a = arg;
	struct spool_entry	 e;
	unsigned char		 k[8], *v;
	size_t			 dl = strlen(a->domain);
	uint64_t		 seq;
	int			 rc;

	if (store_seq_next(txn, "message", &seq) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.id = SPOOL_ID(0, (uint32_t)seq);
	e.state = ENTRY_QUEUED;
	e.next_attempt = e.changed = time(NULL);
	snprintf(e.address, sizeof(e.address), "%s", a->address);
	if ((v = malloc(dl + 1 + a->len)) == NULL) {
		store_txn_errf(txn, "out of memory");
		return -1;
	}
	memcpy(v, a->domain, dl + 1);
	memcpy(v + dl + 1, a->msg, a->len);
	store_be64_put(k, e.id);
	rc = store_put(txn, STORE_MESSAGES, k, 8, v, dl + 1 + a->len, 0);
	free(v);
	if (rc == -1 || entry_write(txn, &e) == -1 ||
	    due_put(txn, e.next_attempt, e.id) == -1)
		return -1;
	a->id = e.id;
	return 0;
}

int
spool_enqueue_message(struct store *st, const char *address,
    const char *bounce_domain, const char *msg, size_t len, uint64_t *id,
    char *err, size_t errlen)
{
	struct message_arg	a;

	memset(&a, 0, sizeof(a));
	a.address = address;
	a.domain = bounce_domain;
	a.msg = msg;
	a.len = len;
	if (store_update(st, message_add_fn, &a, err, errlen) != 0)
		return -1;
	*id = a.id;
	return 0;
}

static int
message_get_fn(struct store_txn *txn, void *arg)
{
	struct message_arg	*a = arg;
	struct store_val	 v;
	unsigned char		 k[8];
	const char		*nul;
	int			 rc;

	store_be64_put(k, a->id);
	if ((rc = store_get(txn, STORE_MESSAGES, k, 8, &v)) != 0)
		return rc;
	if ((nul = memchr(v.data, '\0', v.len)) == NULL) {
		store_txn_errf(txn, "message %llx: damaged record",
		    (unsigned long long)a->id);
		return -1;
	}
	snprintf(a->outdomain, a->outdomainlen, "%s", (const char *)v.data);
	*a->outlen = v.len - (size_t)(nul + 1 - (const char *)v.data);
	if ((*a->out = malloc(*a->outlen + 1)) == NULL) {
		store_txn_errf(txn, "out of memory");
		return -1;
	}
	memcpy(*a->out, nul + 1, *a->outlen);
	return 0;
}

int
spool_message_get(struct store *st, uint64_t id, char **msg, size_t *len,
    char *domain, size_t domainlen, char *err, size_t errlen)
{
	struct message_arg	a;
	int			rc;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.out = msg;
	a.outlen = len;
	a.outdomain = domain;
	a.outdomainlen = domainlen;
	rc = store_view(st, message_get_fn, &a, err, errlen);
	return rc == -1 ? -1 : rc != 0;
}

/* ---- inside a caller's transaction ------------------------------------- */

int
spool_entry_read(struct store_txn *txn, uint64_t id, struct spool_entry *out)
{
	return entry_read(txn, id, out);
}

int
spool_issue_read(struct store_txn *txn, uint32_t seq, struct spool_issue *out)
{
	struct issue_rec	ir;
	int			rc;

	if ((rc = issue_read(txn, seq, &ir)) == 0)
		*out = ir.is;
	return rc;
}

int
spool_entry_mark(struct store_txn *txn, uint64_t id, enum entry_state state,
    const char *reply)
{
	struct spool_entry	e;
	int			rc;

	if ((rc = entry_read(txn, id, &e)) != 0)
		return rc;
	e.state = state;
	e.changed = time(NULL);
	snprintf(e.reply, sizeof(e.reply), "%s", reply);
	return entry_write(txn, &e);
}
