/*
 * test_spool.c — the spool on a real LMDB in a temporary directory:
 * idempotent issues and enqueue, claims, outcomes, crash recovery and
 * one-off messages.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "spool.h"
#include "store.h"
#include "subscriber.h"
#include "unit.h"

static struct store *
open_store(void)
{
	struct store_opts	 o = { 1 << 20, 64 << 20 };
	struct store		*st = NULL;
	char			 err[ERRLEN];

	if (store_open(unit_tmpdir(), &o, &st, err, sizeof(err)) == -1)
		fprintf(stderr, "%s\n", err);
	return st;
}

struct add_subs {
	int	n;
};

static int
add_subs_fn(struct store_txn *txn, void *arg)
{
	struct add_subs		*a = arg;
	struct sub_add		 sa;
	enum sub_outcome	 out;
	const char		*why;
	char			 addr[64];
	int			 i;

	for (i = 0; i < a->n; i++) {
		snprintf(addr, sizeof(addr), "r%d@example.org", i);
		memset(&sa, 0, sizeof(sa));
		sa.address = sa.key = addr;
		sa.status = SUB_ACTIVE;
		sa.source = SRC_ADMIN;
		sa.reason = "test";
		if (subscriber_add(txn, "weekly", &sa, &out, &why) == -1)
			return -1;
	}
	return 0;
}

static const unsigned char hash1[32] = { 1 }, hash2[32] = { 2 };

TEST(spool_issue_is_added_once_and_enqueued_once)
{
	struct store		*st = open_store();
	struct add_subs		 a = { 25 };
	struct spool_issue	 is, again;
	char			 err[ERRLEN];
	size_t			 added;
	int			 created;

	REQUIRE(st != NULL);
	REQUIRE(store_update(st, add_subs_fn, &a, err, sizeof(err)) == 0);
	REQUIRE(spool_issue_add(st, "weekly", "a.md", hash1, "id1", "x", 1, 0,
	    &is, &created, err, sizeof(err)) == 0);
	CHECK(created == 1);
	/* enqueue in batches of 7, twice: 25 entries, not 50 */
	REQUIRE(spool_enqueue(st, is.seq, 7, &added, err, sizeof(err)) == 0);
	CHECK(added == 25);
	REQUIRE(spool_enqueue(st, is.seq, 7, &added, err, sizeof(err)) == 0);
	CHECK(added == 0);
	REQUIRE(spool_issue_add(st, "weekly", "a.md", hash1, "id1", "x", 1, 0,
	    &again, &created, err, sizeof(err)) == 0);
	CHECK(created == 0 && again.seq == is.seq && again.entries == 25);
	/* the same name with other content is refused, unless forced */
	CHECK(spool_issue_add(st, "weekly", "a.md", hash2, "id2", "y", 1, 0,
	    &again, &created, err, sizeof(err)) == -1);
	CHECK(strstr(err, "--force") != NULL);
	CHECK(spool_issue_add(st, "weekly", "a.md", hash2, "id2", "y", 1, 1,
	    &again, &created, err, sizeof(err)) == 0 && created);
	store_close(st);
}

TEST(spool_claim_record_and_recover)
{
	struct store		*st = open_store();
	struct add_subs		 a = { 10 };
	struct spool_issue	 is;
	struct spool_entry	 got[16];
	struct spool_outcome	 o[16];
	char			 err[ERRLEN];
	size_t			 added, n, i, rec;
	int64_t			 next, now = time(NULL);
	int			 created;

	REQUIRE(st != NULL);
	REQUIRE(store_update(st, add_subs_fn, &a, err, sizeof(err)) == 0);
	REQUIRE(spool_issue_add(st, "weekly", "b.md", hash1, "id1", "x", 1, 0,
	    &is, &created, err, sizeof(err)) == 0);
	REQUIRE(spool_enqueue(st, is.seq, 100, &added, err, sizeof(err)) == 0);
	REQUIRE(spool_claim(st, now, 4, got, &n, NULL, err, sizeof(err)) == 0);
	CHECK(n == 4);
	/* two sent, one deferred for an hour, one left "sending" (a crash) */
	memset(o, 0, sizeof(o));
	for (i = 0; i < 3; i++) {
		o[i].entry = got[i];
		o[i].entry.state = i < 2 ? ENTRY_SENT : ENTRY_DEFERRED;
		o[i].entry.attempts = 1;
		o[i].entry.next_attempt = i < 2 ? 0 : now + 3600;
	}
	REQUIRE(spool_record(st, o, 3, err, sizeof(err)) == 0);
	REQUIRE(spool_claim(st, now, 16, got, &n, NULL, err, sizeof(err)) == 0);
	CHECK(n == 6);		/* the rest; not the deferred, not the lost */
	REQUIRE(spool_recover(st, &rec, err, sizeof(err)) == 0);
	CHECK(rec == 7);	/* the lost one and the six just claimed */
	CHECK(spool_next_due(st, now, &next, err, sizeof(err)) == 1);
	REQUIRE(spool_claim(st, now, 16, got, &n, NULL, err, sizeof(err)) == 0);
	CHECK(n == 7);
	CHECK(spool_next_due(st, now, &next, err, sizeof(err)) == 0);
	CHECK(next == now + 3600);
	store_close(st);
}

static int
unsubscribe_r1(struct store_txn *txn, void *arg)
{
	(void)arg;
	return subscriber_set_status(txn, "weekly", "r1@example.org",
	    SUB_UNSUBSCRIBED, SRC_READER, "test", NULL) == -1 ? -1 : 0;
}

TEST(spool_skips_readers_who_left)
{
	struct store		*st = open_store();
	struct add_subs		 a = { 3 };
	struct spool_issue	 is;
	struct spool_entry	 got[4];
	char			 err[ERRLEN];
	size_t			 added, n, skipped;
	int			 created;

	REQUIRE(st != NULL);
	REQUIRE(store_update(st, add_subs_fn, &a, err, sizeof(err)) == 0);
	REQUIRE(spool_issue_add(st, "weekly", "c.md", hash1, "id1", "x", 1, 0,
	    &is, &created, err, sizeof(err)) == 0);
	REQUIRE(spool_enqueue(st, is.seq, 100, &added, err, sizeof(err)) == 0);
	/* r1 leaves after the enqueue, before the send */
	REQUIRE(store_update(st, unsubscribe_r1, NULL, err, sizeof(err)) == 0);
	REQUIRE(spool_claim(st, time(NULL), 4, got, &n, &skipped, err,
	    sizeof(err)) == 0);
	CHECK(n == 2);
	CHECK(skipped == 1);
	CHECK(strcmp(got[0].address, "r1@example.org") != 0);
	CHECK(strcmp(got[1].address, "r1@example.org") != 0);
	store_close(st);
}

TEST(spool_one_off_message)
{
	struct store		*st = open_store();
	struct spool_entry	 got[2];
	struct spool_outcome	 o;
	char			 err[ERRLEN], dom[64], *msg = NULL;
	uint64_t		 id;
	size_t			 n, len;

	REQUIRE(st != NULL);
	REQUIRE(spool_enqueue_message(st, "new@example.org", "example.org",
	    "Subject: hi\r\n\r\nbody\r\n", 21, &id, err, sizeof(err)) == 0);
	CHECK(SPOOL_ISSUE_OF(id) == 0);
	REQUIRE(spool_claim(st, time(NULL), 2, got, &n, NULL, err, sizeof(err)) == 0);
	REQUIRE(n == 1);
	CHECK(got[0].id == id);
	REQUIRE(spool_message_get(st, id, &msg, &len, dom, sizeof(dom), err,
	    sizeof(err)) == 0);
	CHECK(len == 21 && memcmp(msg, "Subject: hi", 11) == 0);
	CHECK_STR(dom, "example.org");
	free(msg);
	memset(&o, 0, sizeof(o));
	o.entry = got[0];
	o.entry.state = ENTRY_SENT;
	REQUIRE(spool_record(st, &o, 1, err, sizeof(err)) == 0);
	CHECK(spool_message_get(st, id, &msg, &len, dom, sizeof(dom), err,
	    sizeof(err)) == 1);
	store_close(st);
}
