/*
 * reader.c — a reader's own changes, as store transactions (see reader.h).
 * Called by serve_reader.c, one call per request; by cmd_serve.c for the
 * hourly expiry of unconfirmed sign-ups.
 */
#include "reader.h"

#include <stdlib.h>
#include <string.h>

#include "subscriber.h"

struct change {
	const char		*list, *address, *key, *name, *reason, *detail;
	int			 single;
	int			 changed;
	enum signup_result	 result;
};

static int
unsubscribe_txn(struct store_txn *txn, void *arg)
{
	struct change	*c = arg;
	int		 rc;

	rc = subscriber_set_status(txn, c->list, c->address, SUB_UNSUBSCRIBED,
	    SRC_READER, c->reason, c->detail);
	c->changed = rc == 0;
	return rc == -1 ? -1 : 0;
}

int
reader_unsubscribe(struct store *st, const char *list, const char *address,
    const char *reason, const char *detail, char *err, size_t errlen)
{
	struct change	c = { .list = list, .address = address,
	    .reason = reason, .detail = detail };

	return store_update(st, unsubscribe_txn, &c, err, errlen) == -1 ?
	    -1 : 0;
}

static int
signup_txn(struct store_txn *txn, void *arg)
{
	struct change		*c = arg;
	struct subscriber	 s;
	struct sub_add		 a;
	enum sub_outcome	 outcome;
	enum sub_status		 to = c->single ? SUB_ACTIVE : SUB_PENDING;
	const char		*why;
	int			 rc;

	c->result = SIGNUP_NOTHING;
	if ((rc = subscriber_get(txn, c->list, c->address, &s)) == -1)
		return -1;
	if (rc == 0 && s.status == SUB_PENDING && !c->single) {
		c->result = SIGNUP_CONFIRM;	/* send the link again */
		return 0;
	}
	if (rc == 0 && s.status == SUB_UNSUBSCRIBED) {
		/* a reader who left may come back: the confirmation (or the
		 * list's single opt-in) stands for the admin's --force;
		 * suppression elsewhere still holds */
		char where[SUB_LIST_MAX + 1];
		enum sub_status sst;
		if ((rc = subscriber_suppressed(txn, s.key, where, &sst)) != 0)
			return rc == -1 ? -1 : 0;
		if (subscriber_set_status(txn, c->list, c->address, to,
		    SRC_READER, "sign-up form", c->detail) == -1)
			return -1;
		c->result = c->single ? SIGNUP_JOINED : SIGNUP_CONFIRM;
		return 0;
	}
	if (rc == 0)
		return 0;	/* active, bounced or complained: as it is */
	memset(&a, 0, sizeof(a));
	a.address = c->address;
	a.key = c->key;
	a.name = c->name;
	a.status = to;
	a.source = SRC_READER;
	a.reason = "sign-up form";
	a.detail = c->detail;
	if (subscriber_add(txn, c->list, &a, &outcome, &why) == -1)
		return -1;
	if (outcome == SUB_ADDED)
		c->result = c->single ? SIGNUP_JOINED : SIGNUP_CONFIRM;
	return 0;
}

int
reader_signup(struct store *st, const char *list, const char *address,
    const char *key, const char *name, int single, const char *detail,
    enum signup_result *result, char *err, size_t errlen)
{
	struct change	c = { .list = list, .address = address, .key = key,
	    .name = name, .single = single, .detail = detail };

	if (store_update(st, signup_txn, &c, err, errlen) == -1)
		return -1;
	*result = c.result;
	return 0;
}

static int
confirm_txn(struct store_txn *txn, void *arg)
{
	struct change		*c = arg;
	struct subscriber	 s;
	int			 rc;

	c->changed = 0;
	if ((rc = subscriber_get(txn, c->list, c->address, &s)) != 0)
		return rc == -1 ? -1 : 0;
	if (s.status != SUB_PENDING)
		return 0;
	if (subscriber_set_status(txn, c->list, c->address, SUB_ACTIVE,
	    SRC_READER, "confirmed sign-up", c->detail) == -1)
		return -1;
	c->changed = 1;
	return 0;
}

int
reader_confirm(struct store *st, const char *list, const char *address,
    const char *detail, int *joined, char *err, size_t errlen)
{
	struct change	c = { .list = list, .address = address,
	    .detail = detail };

	if (store_update(st, confirm_txn, &c, err, errlen) == -1)
		return -1;
	*joined = c.changed;
	return 0;
}

/* ---- expiry --------------------------------------------------------- */

struct stale {
	long long	  before;
	char		(*keys)[ADDRESS_MAX + 1];
	size_t		  n, cap;
	const char	 *list;
	size_t		  done;
};

static int
collect(const struct subscriber *s, void *arg)
{
	struct stale	*x = arg;
	void		*p;

	if (s->status != SUB_PENDING || s->changed >= x->before)
		return 0;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		if ((p = realloc(x->keys, x->cap * sizeof(*x->keys))) == NULL)
			return -1;
		x->keys = p;
	}
	memcpy(x->keys[x->n++], s->key, ADDRESS_MAX + 1);
	return 0;
}

#define EXPIRE_BATCH	500

static int
expire_txn(struct store_txn *txn, void *arg)
{
	struct stale		*x = arg;
	struct subscriber	 s;
	size_t			 i, end = x->done + EXPIRE_BATCH;
	int			 rc;

	for (i = x->done; i < x->n && i < end; i++) {
		/* it may have been confirmed since the scan */
		if ((rc = subscriber_get(txn, x->list, x->keys[i], &s)) == -1)
			return -1;
		if (rc != 0 || s.status != SUB_PENDING || s.changed >= x->before)
			continue;
		if (subscriber_set_status(txn, x->list, x->keys[i],
		    SUB_UNSUBSCRIBED, SRC_READER, "sign-up not confirmed in time",
		    NULL) == -1)
			return -1;
	}
	return 0;
}

int
reader_expire(struct store *st, const char *list, long long before,
    size_t *n, char *err, size_t errlen)
{
	struct stale	x = { .before = before, .list = list };
	int		rc = 0;

	*n = 0;
	if (subscriber_scan(st, list, SUB_PENDING, collect, &x, err,
	    errlen) != 0)
		rc = -1;
	for (; rc == 0 && x.done < x.n; x.done += EXPIRE_BATCH)
		if (store_update(st, expire_txn, &x, err, errlen) == -1)
			rc = -1;
	if (rc == 0)
		*n = x.n;
	free(x.keys);
	return rc;
}
