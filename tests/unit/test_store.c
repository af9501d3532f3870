/*
 * test_store.c — the LMDB store on a real environment in a temporary
 * directory: get/put/del, prefix cursors in big-endian order, rollback,
 * counters, the schema check, and growing the map from a tiny start.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "unit.h"

static struct store *
open_store(const char *dir, size_t initial, size_t max)
{
	struct store_opts	 o = { initial, max };
	struct store		*st = NULL;
	char			 err[ERRLEN];

	if (store_open(dir, &o, &st, err, sizeof(err)) == -1)
		fprintf(stderr, "  %s\n", err);
	return st;
}

static int
put_numbers(struct store_txn *txn, void *arg)
{
	unsigned char	k[9];
	uint64_t	i, n = *(uint64_t *)arg;

	k[0] = 'n';
	for (i = n; i > 0; i--) {	/* written backwards on purpose */
		store_be64_put(k + 1, i * 1000);
		if (store_put(txn, STORE_META, k, 9, &i, sizeof(i), 0) != 0)
			return -1;
	}
	return store_put(txn, STORE_META, "m", 1, "other", 5, 0);
}

struct scan_result {
	uint64_t	count, last;
	int		ordered;
};

static int
scan_numbers(struct store_txn *txn, void *arg)
{
	struct scan_result	*r = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	uint64_t		 n;
	int			 rc;

	r->count = r->last = 0;
	r->ordered = 1;
	if ((c = store_cursor_open(txn, STORE_META, "n", 1)) == NULL)
		return -1;
	for (rc = store_cursor_first(c, "n", 1, &k, &v); rc == 0;
	    rc = store_cursor_next(c, &k, &v)) {
		n = store_be64_get((const unsigned char *)k.data + 1);
		if (n <= r->last || k.len != 9)
			r->ordered = 0;
		r->last = n;
		r->count++;
	}
	store_cursor_close(c);
	return rc == STORE_NOTFOUND ? 0 : -1;
}

TEST(store_put_get_scan_order)
{
	struct store		*st;
	struct scan_result	 r;
	uint64_t		 n = 300;
	char			 err[ERRLEN];

	REQUIRE((st = open_store(unit_tmpdir(), 1 << 20, 64 << 20)) != NULL);
	CHECK(store_update(st, put_numbers, &n, err, sizeof(err)) == 0);
	CHECK(store_view(st, scan_numbers, &r, err, sizeof(err)) == 0);
	CHECK(r.count == 300);
	CHECK(r.ordered);
	CHECK(r.last == 300000);
	store_close(st);
}

static int
get_del(struct store_txn *txn, void *arg)
{
	struct store_val	v;
	int			*ok = arg;

	*ok = 0;
	if (store_put(txn, STORE_META, "k1", 2, "value", 5, 0) != 0 ||
	    store_put(txn, STORE_META, "k1", 2, "x", 1, STORE_NOOVERWRITE) !=
	    STORE_KEYEXIST ||
	    store_get(txn, STORE_META, "k1", 2, &v) != 0 ||
	    v.len != 5 || memcmp(v.data, "value", 5) != 0 ||
	    store_del(txn, STORE_META, "k1", 2) != 0 ||
	    store_del(txn, STORE_META, "k1", 2) != STORE_NOTFOUND ||
	    store_get(txn, STORE_META, "k1", 2, &v) != STORE_NOTFOUND)
		return 0;
	/* keys must be 1 to STORE_KEY_MAX bytes */
	if (store_get(txn, STORE_META, "", 0, &v) != -1)
		return 0;
	*ok = 1;
	return 0;
}

static int
put_then_rollback(struct store_txn *txn, void *arg)
{
	if (store_put(txn, STORE_META, "gone", 4, "1", 1, 0) != 0)
		return -1;
	return STORE_ROLLBACK;
}

static int
check_gone(struct store_txn *txn, void *arg)
{
	struct store_val	v;

	*(int *)arg = store_get(txn, STORE_META, "gone", 4, &v);
	return 0;
}

static int
fail_with_reason(struct store_txn *txn, void *arg)
{
	store_txn_errf(txn, "reason %d", 42);
	return -1;
}

TEST(store_get_del_rollback_errors)
{
	struct store	*st;
	char		 err[ERRLEN];
	int		 ok = 0, rc = 0;

	REQUIRE((st = open_store(unit_tmpdir(), 1 << 20, 64 << 20)) != NULL);
	CHECK(store_update(st, get_del, &ok, err, sizeof(err)) == 0);
	CHECK(ok);
	CHECK(store_update(st, put_then_rollback, NULL, err, sizeof(err)) ==
	    STORE_ROLLBACK);
	CHECK(store_view(st, check_gone, &rc, err, sizeof(err)) == 0);
	CHECK(rc == STORE_NOTFOUND);
	CHECK(store_update(st, fail_with_reason, NULL, err, sizeof(err)) == -1);
	CHECK_STR(err, "reason 42");
	store_close(st);
}

static int
next_seq(struct store_txn *txn, void *arg)
{
	return store_seq_next(txn, "test", arg);
}

TEST(store_counters_survive_reopen)
{
	const char	*dir = unit_tmpdir();
	struct store	*st;
	uint64_t	 a = 0, b = 0;
	char		 err[ERRLEN];

	REQUIRE((st = open_store(dir, 1 << 20, 64 << 20)) != NULL);
	CHECK(store_update(st, next_seq, &a, err, sizeof(err)) == 0);
	CHECK(store_update(st, next_seq, &a, err, sizeof(err)) == 0);
	store_close(st);
	REQUIRE((st = open_store(dir, 1 << 20, 64 << 20)) != NULL);
	CHECK(store_update(st, next_seq, &b, err, sizeof(err)) == 0);
	CHECK(a == 2 && b == 3);
	store_close(st);
}

static int
write_schema(struct store_txn *txn, void *arg)
{
	unsigned char	v[4];

	store_be32_put(v, *(uint32_t *)arg);
	return store_put(txn, STORE_META, "schema", 6, v, 4, 0);
}

TEST(store_refuses_newer_schema)
{
	const char		*dir = unit_tmpdir();
	struct store		*st;
	struct store_opts	 o = { 1 << 20, 64 << 20 };
	uint32_t		 v = STORE_SCHEMA + 1;
	char			 err[ERRLEN];

	REQUIRE((st = open_store(dir, 1 << 20, 64 << 20)) != NULL);
	CHECK(store_update(st, write_schema, &v, err, sizeof(err)) == 0);
	store_close(st);
	st = NULL;
	CHECK(store_open(dir, &o, &st, err, sizeof(err)) == -1);
	CHECK(st == NULL);
	CHECK(strstr(err, "written by a newer dispatcher") != NULL);
	CHECK(strstr(err, "schema 2") != NULL);
}

static int
put_big(struct store_txn *txn, void *arg)
{
	unsigned char	k[9], v[200];
	uint64_t	i, n = *(uint64_t *)arg;

	memset(v, 'v', sizeof(v));
	k[0] = 'b';
	for (i = 0; i < n; i++) {
		store_be64_put(k + 1, i);
		if (store_put(txn, STORE_META, k, 9, v, sizeof(v), 0) != 0)
			return -1;
	}
	return 0;
}

static int
count_big(struct store_txn *txn, void *arg)
{
	struct store_cursor	*c;
	struct store_val	 k, v;
	uint64_t		*n = arg;
	int			 rc;

	*n = 0;
	if ((c = store_cursor_open(txn, STORE_META, "b", 1)) == NULL)
		return -1;
	for (rc = store_cursor_first(c, "b", 1, &k, &v); rc == 0;
	    rc = store_cursor_next(c, &k, &v))
		(*n)++;
	store_cursor_close(c);
	return rc == STORE_NOTFOUND ? 0 : -1;
}

TEST(store_map_full_grows_and_retries)
{
	const char	*dir = unit_tmpdir();
	struct store	*st;
	uint64_t	 n = 20000, got = 0;	/* about 5 MB of values */
	size_t		 before;
	char		 err[ERRLEN];

	REQUIRE((st = open_store(dir, 64 << 10, 256 << 20)) != NULL);
	before = store_map_size(st);
	CHECK(before < (1 << 20));
	CHECK(store_update(st, put_big, &n, err, sizeof(err)) == 0);
	CHECK(store_map_grown(st) > 0);
	CHECK(store_map_size(st) > before);
	CHECK(store_view(st, count_big, &got, err, sizeof(err)) == 0);
	CHECK(got == n);
	store_close(st);
	/* reopened with the same small setting, the map is not shrunk */
	REQUIRE((st = open_store(dir, 64 << 10, 256 << 20)) != NULL);
	CHECK(store_map_size(st) > before);
	CHECK(store_view(st, count_big, &got, err, sizeof(err)) == 0);
	CHECK(got == n);
	store_close(st);
}

TEST(store_map_full_at_the_limit_fails_cleanly)
{
	const char	*dir = unit_tmpdir();
	struct store	*st;
	uint64_t	 n = 20000, got = 1;
	char		 err[ERRLEN];

	REQUIRE((st = open_store(dir, 64 << 10, 1 << 20)) != NULL);
	CHECK(store_update(st, put_big, &n, err, sizeof(err)) == -1);
	CHECK(strstr(err, "is full") != NULL);
	/* nothing of the failed transaction is in, and the store still works */
	CHECK(store_view(st, count_big, &got, err, sizeof(err)) == 0);
	CHECK(got == 0);
	n = 100;
	CHECK(store_update(st, put_big, &n, err, sizeof(err)) == 0);
	CHECK(store_view(st, count_big, &got, err, sizeof(err)) == 0);
	CHECK(got == 100);
	store_close(st);
}

TEST(store_be_helpers)
{
	unsigned char	b[8];

	store_be64_put(b, 0x0102030405060708ULL);
	CHECK(b[0] == 1 && b[7] == 8);
	CHECK(store_be64_get(b) == 0x0102030405060708ULL);
	store_be32_put(b, 0xa0b0c0d0U);
	CHECK(b[0] == 0xa0 && b[3] == 0xd0);
	CHECK(store_be32_get(b) == 0xa0b0c0d0U);
}

/*
 * Another process grows the map while this one has the store open: the
 * next transaction here adopts the new size (MDB_MAP_RESIZED) and sees the
 * other process's data.
 */
TEST(store_adopts_a_map_grown_by_another_process)
{
	const char	*dir = unit_tmpdir();
	struct store	*st, *child;
	uint64_t	 n = 20000, got = 0;
	size_t		 before;
	pid_t		 pid;
	int		 status;
	char		 err[ERRLEN];

	REQUIRE((st = open_store(dir, 64 << 10, 256 << 20)) != NULL);
	before = store_map_size(st);
	if ((pid = fork()) == 0) {
		/* a new environment handle: the parent's is not used here */
		if ((child = open_store(dir, 64 << 10, 256 << 20)) == NULL ||
		    store_update(child, put_big, &n, err, sizeof(err)) != 0)
			_exit(1);
		_exit(store_map_size(child) > before ? 0 : 2);
	}
	REQUIRE(pid > 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(store_view(st, count_big, &got, err, sizeof(err)) == 0);
	CHECK(got == n);
	CHECK(store_map_size(st) > before);
	n = 10;
	CHECK(store_update(st, put_big, &n, err, sizeof(err)) == 0);
	store_close(st);
}
