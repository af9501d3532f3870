/*
 * test_reader.c — a reader's own changes (reader.h) on a real store: sign
 * up (double and single opt-in, again after leaving, never past a
 * suppression), confirm, unsubscribe, and the expiry of sign-ups never
 * confirmed. Names start with serve_ so that `make check T=serve` runs them.
 */
#include <string.h>
#include <time.h>

#include "log.h"
#include "reader.h"
#include "store.h"
#include "subscriber.h"
#include "unit.h"

static struct store *
fresh(void)
{
	struct store_opts	 o = { 1 << 20, 256 << 20 };
	struct store		*st = NULL;
	char			 err[ERRLEN];

	if (store_open(unit_tmpdir(), &o, &st, err, sizeof(err)) == -1)
		fprintf(stderr, "  %s\n", err);
	return st;
}

struct look {
	const char		*list, *address;
	struct subscriber	 s;
	int			 rc;
};

static int
look_fn(struct store_txn *txn, void *arg)
{
	struct look	*l = arg;

	l->rc = subscriber_get(txn, l->list, l->address, &l->s);
	return l->rc == -1 ? -1 : 0;
}

/* The status of address on list, SUB_NONE when absent. */
static enum sub_status
status(struct store *st, const char *list, const char *address)
{
	struct look	l = { .list = list, .address = address };
	char		err[ERRLEN];

	if (store_view(st, look_fn, &l, err, sizeof(err)) == -1 || l.rc != 0)
		return SUB_NONE;
	return l.s.status;
}

static enum signup_result
signup(struct store *st, const char *list, const char *address, int single)
{
	enum signup_result	r = (enum signup_result)-1;
	char			err[ERRLEN];

	if (reader_signup(st, list, address, address, "N", single, "test", &r,
	    err, sizeof(err)) == -1)
		fprintf(stderr, "  %s\n", err);
	return r;
}

struct mark {
	const char	*list, *address;
	enum sub_status	 to;
};

static int
mark_fn(struct store_txn *txn, void *arg)
{
	struct mark	*m = arg;

	return subscriber_set_status(txn, m->list, m->address, m->to,
	    SRC_BOUNCE, "test", NULL) == -1 ? -1 : 0;
}

TEST(serve_reader_double_opt_in)
{
	struct store	*st = fresh();
	char		 err[ERRLEN];
	int		 joined = -1;

	REQUIRE(st != NULL);
	CHECK(signup(st, "w", "a@example.org", 0) == SIGNUP_CONFIRM);
	CHECK(status(st, "w", "a@example.org") == SUB_PENDING);
	/* again while pending: another confirmation, nothing else */
	CHECK(signup(st, "w", "a@example.org", 0) == SIGNUP_CONFIRM);
	CHECK(reader_confirm(st, "w", "a@example.org", "ip", &joined, err,
	    sizeof(err)) == 0 && joined == 1);
	CHECK(status(st, "w", "a@example.org") == SUB_ACTIVE);
	CHECK(reader_confirm(st, "w", "a@example.org", "ip", &joined, err,
	    sizeof(err)) == 0 && joined == 0);
	/* active: a sign-up sends nothing */
	CHECK(signup(st, "w", "a@example.org", 0) == SIGNUP_NOTHING);
	/* leaves, comes back through the form: pending again */
	CHECK(reader_unsubscribe(st, "w", "a@example.org", "link", "ip", err,
	    sizeof(err)) == 0);
	CHECK(status(st, "w", "a@example.org") == SUB_UNSUBSCRIBED);
	CHECK(signup(st, "w", "a@example.org", 0) == SIGNUP_CONFIRM);
	CHECK(status(st, "w", "a@example.org") == SUB_PENDING);
	/* unknown address: nothing happens, no error */
	CHECK(reader_unsubscribe(st, "w", "z@example.org", "link", "ip", err,
	    sizeof(err)) == 0);
	CHECK(status(st, "w", "z@example.org") == SUB_NONE);
	store_close(st);
}

TEST(serve_reader_single_opt_in_and_suppression)
{
	struct store	*st = fresh();
	struct mark	 m = { "w", "b@example.org", SUB_BOUNCED };
	char		 err[ERRLEN];

	REQUIRE(st != NULL);
	CHECK(signup(st, "w", "b@example.org", 1) == SIGNUP_JOINED);
	CHECK(status(st, "w", "b@example.org") == SUB_ACTIVE);
	REQUIRE(store_update(st, mark_fn, &m, err, sizeof(err)) == 0);
	/* bounced: the form changes nothing, here or on another list */
	CHECK(signup(st, "w", "b@example.org", 1) == SIGNUP_NOTHING);
	CHECK(signup(st, "other", "b@example.org", 0) == SIGNUP_NOTHING);
	CHECK(status(st, "other", "b@example.org") == SUB_NONE);
	/* unsubscribing keeps the suppression: no way back through the form */
	CHECK(reader_unsubscribe(st, "w", "b@example.org", "link", "ip", err,
	    sizeof(err)) == 0);
	CHECK(signup(st, "w", "b@example.org", 0) == SIGNUP_NOTHING);
	CHECK(status(st, "w", "b@example.org") == SUB_UNSUBSCRIBED);
	store_close(st);
}

TEST(serve_reader_expiry)
{
	struct store	*st = fresh();
	long long	 now = (long long)time(NULL);
	char		 err[ERRLEN];
	size_t		 n = 99;
	int		 joined;

	REQUIRE(st != NULL);
	signup(st, "w", "p1@example.org", 0);
	signup(st, "w", "p2@example.org", 0);
	signup(st, "w", "c@example.org", 0);
	reader_confirm(st, "w", "c@example.org", "ip", &joined, err,
	    sizeof(err));
	/* nothing is older than an hour ago */
	CHECK(reader_expire(st, "w", now - 3600, &n, err, sizeof(err)) == 0);
	CHECK(n == 0);
	CHECK(status(st, "w", "p1@example.org") == SUB_PENDING);
	/* everything pending before a time to come expires; active stays */
	CHECK(reader_expire(st, "w", now + 10, &n, err, sizeof(err)) == 0);
	CHECK(n == 2);
	CHECK(status(st, "w", "p1@example.org") == SUB_UNSUBSCRIBED);
	CHECK(status(st, "w", "p2@example.org") == SUB_UNSUBSCRIBED);
	CHECK(status(st, "w", "c@example.org") == SUB_ACTIVE);
	/* an expired sign-up may sign up again */
	CHECK(signup(st, "w", "p1@example.org", 0) == SIGNUP_CONFIRM);
	store_close(st);
}
