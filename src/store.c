/*
 * store.c — the one file that calls LMDB (see store.h, the manual).
 *
 * Owns the environment handle, the named database handles (opened once, in
 * store_open), the transaction loop that recovers from MDB_MAP_FULL by
 * growing the map and from MDB_MAP_RESIZED by adopting another process's
 * size, and the schema version record. Called by subscriber.c and every
 * other module that keeps state in the spool.
 *
 * The map is opened with MDB_WRITEMAP: a write transaction changes its
 * pages in place in the shared map (copy-on-write still: never a page a
 * reader may see) instead of in malloc'd copies, so a process's own memory
 * does not grow with the size of its transactions; a bulk import applies
 * tens of thousands of rows in one. The data file is extended (sparse) to
 * the map size. Commits are fully synchronous.
 */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <lmdb.h>

#include "log.h"

static const struct {
	const char	*name;
	unsigned	 flags;
} db_table[STORE_NDBS] = {
	[STORE_META] =		{ "meta", 0 },
	[STORE_SUBSCRIBERS] =	{ "subscribers", 0 },
	[STORE_EVENTS] =	{ "events", 0 },
	[STORE_SUPPRESSED] =	{ "suppressed", 0 },
	[STORE_ISSUES] =	{ "issues", 0 },
	[STORE_ISSUE_INDEX] =	{ "issue_index", 0 },
	[STORE_RENDERED] =	{ "rendered", 0 },
	[STORE_QUEUE] =		{ "queue", 0 },
	[STORE_DUE] =		{ "due", 0 },
	[STORE_INFLIGHT] =	{ "inflight", 0 },
	[STORE_MESSAGES] =	{ "messages", 0 },
	[STORE_REPORTS] =	{ "reports", 0 },
};

struct store {
	MDB_env		*env;
	MDB_dbi		 dbi[STORE_NDBS];
	char		*dir;
	size_t		 map_max;
	unsigned	 grown;
};

struct store_txn {
	struct store	*st;
	MDB_txn		*txn;
	char		*err;
	size_t		 errlen;
	int		 readonly;
	int		 mapfull;	/* a put hit MDB_MAP_FULL: grow, redo */
};

struct store_cursor {
	struct store_txn	*t;
	MDB_cursor		*cur;
	size_t			 plen;
	unsigned char		 prefix[STORE_KEY_MAX];
};

void
store_txn_errf(struct store_txn *t, const char *fmt, ...)
{
	va_list	ap;

	if (t->err == NULL || t->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(t->err, t->errlen, fmt, ap);
	va_end(ap);
}

int
store_txn_readonly(const struct store_txn *t)
{
	return t->readonly;
}

/* Records an LMDB error on the transaction; -1. */
static int
txn_fail(struct store_txn *t, const char *what, int rc)
{
	if (rc == MDB_MAP_FULL)
		t->mapfull = 1;
	if (rc == MDB_TXN_FULL)
		store_txn_errf(t, "store: %s: too many changes in one "
		    "transaction", what);
	else
		store_txn_errf(t, "store: %s: %s", what, mdb_strerror(rc));
	return -1;
}

static size_t
env_map_size(MDB_env *env)
{
	MDB_envinfo	info;

	if (mdb_env_info(env, &info) != 0)
		return 0;
	return info.me_mapsize;
}

size_t
store_map_size(struct store *st)
{
	return env_map_size(st->env);
}

/*
 * LMDB does not say where it mapped the data file (mdb_env_info's
 * me_mapaddr is only set for MDB_FIXEDMAP), so the mapping is found in
 * /proc/self/maps by the file's device and inode.
 */
void
store_trim(struct store *st)
{
	struct stat	 sb;
	mdb_filehandle_t fd;
	FILE		*fp;
	char		 line[512];
	unsigned long	 lo, hi, ino;
	unsigned	 major, minor;

	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) == -1 ||
	    (fp = fopen("/proc/self/maps", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, &major,
		    &minor, &ino) == 5 && ino == (unsigned long)sb.st_ino &&
		    major == major(sb.st_dev) && minor == minor(sb.st_dev))
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	fclose(fp);
}

unsigned
store_map_grown(struct store *st)
{
	return st->grown;
}

/* Doubles the map, up to map_max. No transaction may be open. */
static int
grow_map(struct store *st, char *err, size_t errlen)
{
	size_t	cur = env_map_size(st->env), next;
	int	rc;

	if (cur >= st->map_max) {
		errf(err, errlen, "store: %s is full: the map reached %zu MB, the "
		    "limit set by store.map_max_mb", st->dir, cur >> 20);
		return -1;
	}
	next = cur > st->map_max / 2 ? st->map_max : cur * 2;
	if ((rc = mdb_env_set_mapsize(st->env, next)) != 0) {
		errf(err, errlen, "store: growing the map to %zu bytes: %s", next,
		    mdb_strerror(rc));
		return -1;
	}
	st->grown++;
	log_debug("store", "map grown from %zu to %zu bytes", cur, next);
	return 0;
}

/*
 * Begins a transaction, adopting a map grown by another process and
 * clearing dead readers from a full reader table.
 */
static int
txn_begin(struct store *st, unsigned flags, MDB_txn **txn, char *err,
    size_t errlen)
{
	int	rc, tries;

	for (tries = 0; tries < 4; tries++) {
		rc = mdb_txn_begin(st->env, NULL, flags, txn);
		if (rc == 0)
			return 0;
		if (rc == MDB_MAP_RESIZED)
			rc = mdb_env_set_mapsize(st->env, 0);
		else if (rc == MDB_READERS_FULL)
			rc = mdb_reader_check(st->env, NULL);
		if (rc != 0)
			break;
	}
	errf(err, errlen, "store: cannot begin a transaction: %s",
	    mdb_strerror(rc));
	return -1;
}

static int
run_txn(struct store *st, unsigned flags, store_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct store_txn	t;
	int			rc, mrc;

	for (;;) {
		memset(&t, 0, sizeof(t));
		t.st = st;
		t.err = err;
		t.errlen = errlen;
		t.readonly = (flags & MDB_RDONLY) != 0;
		if (txn_begin(st, flags, &t.txn, err, errlen) == -1)
			return -1;
		rc = fn(&t, arg);
		if (rc != 0 || t.readonly) {
			mdb_txn_abort(t.txn);
			if (rc == -1 && t.mapfull) {
				if (grow_map(st, err, errlen) == -1)
					return -1;
				continue;
			}
			return rc;
		}
		if ((mrc = mdb_txn_commit(t.txn)) == 0)
			return 0;
		if (mrc == MDB_MAP_FULL) {
			if (grow_map(st, err, errlen) == -1)
				return -1;
			continue;
		}
		errf(err, errlen, "store: commit: %s", mdb_strerror(mrc));
		return -1;
	}
}

int
store_update(struct store *st, store_fn fn, void *arg, char *err, size_t errlen)
{
	return run_txn(st, 0, fn, arg, err, errlen);
}

int
store_view(struct store *st, store_fn fn, void *arg, char *err, size_t errlen)
{
	return run_txn(st, MDB_RDONLY, fn, arg, err, errlen);
}

static int
check_key(struct store_txn *t, size_t klen)
{
	if (klen == 0 || klen > STORE_KEY_MAX) {
		store_txn_errf(t, "store: a key of %zu bytes (1 to %d)", klen,
		    STORE_KEY_MAX);
		return -1;
	}
	return 0;
}

int
store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
    struct store_val *val)
{
	MDB_val	k, v;
	int	rc;

	if (check_key(t, klen) == -1)
		return -1;
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	if ((rc = mdb_get(t->txn, t->st->dbi[db], &k, &v)) == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return txn_fail(t, "get", rc);
	val->data = v.mv_data;
	val->len = v.mv_size;
	return 0;
}

int
store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
    const void *val, size_t vlen, unsigned flags)
{
	MDB_val		k, v;
	unsigned	mflags = 0;
	int		rc;

	if (check_key(t, klen) == -1)
		return -1;
	if (flags & STORE_NOOVERWRITE)
		mflags |= MDB_NOOVERWRITE;
	if (flags & STORE_APPEND)
		mflags |= MDB_APPEND;
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	v.mv_data = (void *)(uintptr_t)val;
	v.mv_size = vlen;
	if ((rc = mdb_put(t->txn, t->st->dbi[db], &k, &v, mflags)) == 0)
		return 0;
	if (rc == MDB_KEYEXIST && (flags & STORE_NOOVERWRITE))
		return STORE_KEYEXIST;
	return txn_fail(t, "put", rc);
}

int
store_del(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
	MDB_val	k;
	int	rc;

	if (check_key(t, klen) == -1)
		return -1;
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	if ((rc = mdb_del(t->txn, t->st->dbi[db], &k, NULL)) == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return txn_fail(t, "del", rc);
	return 0;
}

int
store_seq_next(struct store_txn *t, const char *name, uint64_t *out)
{
	unsigned char		key[STORE_KEY_MAX], v[8];
	struct store_val	val;
	uint64_t		n = 0;
	int			klen, rc;

	klen = snprintf((char *)key, sizeof(key), "seq:%s", name);
	if (klen < 0 || (size_t)klen >= sizeof(key))
		return store_txn_errf(t, "store: counter name too long"), -1;
	if ((rc = store_get(t, STORE_META, key, (size_t)klen, &val)) == -1)
		return -1;
	if (rc == 0 && val.len == 8)
		n = store_be64_get(val.data);
	store_be64_put(v, ++n);
	if (store_put(t, STORE_META, key, (size_t)klen, v, 8, 0) != 0)
		return -1;
	*out = n;
	return 0;
}

struct store_cursor *
store_cursor_open(struct store_txn *t, enum store_db db, const void *prefix,
    size_t plen)
{
	struct store_cursor	*c;
	int			 rc;

	if (plen > STORE_KEY_MAX) {
		store_txn_errf(t, "store: cursor prefix too long");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		store_txn_errf(t, "store: out of memory");
		return NULL;
	}
	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[db], &c->cur)) != 0) {
		txn_fail(t, "cursor", rc);
		free(c);
		return NULL;
	}
	c->t = t;
	c->plen = plen;
	if (plen)
		memcpy(c->prefix, prefix, plen);
	return c;
}

/* Sets key/val from an LMDB position, or STORE_NOTFOUND past the prefix. */
static int
cursor_result(struct store_cursor *c, int rc, MDB_val *k, MDB_val *v,
    struct store_val *key, struct store_val *val)
{
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return txn_fail(c->t, "cursor", rc);
	if (k->mv_size < c->plen || memcmp(k->mv_data, c->prefix, c->plen) != 0)
		return STORE_NOTFOUND;
	key->data = k->mv_data;
	key->len = k->mv_size;
	val->data = v->mv_data;
	val->len = v->mv_size;
	return 0;
}

int
store_cursor_first(struct store_cursor *c, const void *from, size_t flen,
    struct store_val *key, struct store_val *val)
{
	MDB_val	k, v;
	int	rc;

	if (flen == 0) {
		rc = mdb_cursor_get(c->cur, &k, &v, MDB_FIRST);
	} else {
		if (check_key(c->t, flen) == -1)
			return -1;
		k.mv_data = (void *)(uintptr_t)from;
		k.mv_size = flen;
		rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
	}
	return cursor_result(c, rc, &k, &v, key, val);
}

int
store_cursor_next(struct store_cursor *c, struct store_val *key,
    struct store_val *val)
{
	MDB_val	k, v;

	return cursor_result(c, mdb_cursor_get(c->cur, &k, &v, MDB_NEXT), &k, &v,
	    key, val);
}

int
store_cursor_del(struct store_cursor *c)
{
	int	rc;

	if ((rc = mdb_cursor_del(c->cur, 0)) != 0)
		return txn_fail(c->t, "cursor del", rc);
	return 0;
}

void
store_cursor_close(struct store_cursor *c)
{
	if (c == NULL)
		return;
	mdb_cursor_close(c->cur);
	free(c);
}

struct open_arg {
	struct store	*st;
};

/* Opens every named database and checks or writes the schema record. */
static int
open_dbs(struct store_txn *t, void *arg)
{
	struct store		*st = arg;
	struct store_val	 v;
	unsigned char		 ver[4];
	uint32_t		 found;
	int			 i, rc;

	for (i = 0; i < STORE_NDBS; i++)
		if ((rc = mdb_dbi_open(t->txn, db_table[i].name,
		    db_table[i].flags | MDB_CREATE, &st->dbi[i])) != 0)
			return txn_fail(t, db_table[i].name, rc);
	if ((rc = store_get(t, STORE_META, "schema", 6, &v)) == -1)
		return -1;
	if (rc == STORE_NOTFOUND) {
		store_be32_put(ver, STORE_SCHEMA);
		return store_put(t, STORE_META, "schema", 6, ver, 4, 0);
	}
	if (v.len != 4) {
		store_txn_errf(t, "store: %s: the schema record is damaged",
		    st->dir);
		return -1;
	}
	if ((found = store_be32_get(v.data)) > STORE_SCHEMA) {
		store_txn_errf(t, "store: %s was written by a newer dispatcher "
		    "(schema %u; this one reads up to %u): upgrade dispatcher",
		    st->dir, found, STORE_SCHEMA);
		return -1;
	}
	return 0;
}

static int
env_open(struct store *st, const struct store_opts *o, char *err,
    size_t errlen)
{
	struct stat	sb;
	char		data[4096];
	int		rc, dead, fresh;

	snprintf(data, sizeof(data), "%s/data.mdb", st->dir);
	fresh = stat(data, &sb) == -1;
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, STORE_NDBS + 8)) != 0 ||
	    (fresh && (rc = mdb_env_set_mapsize(st->env, o->map_initial)) != 0) ||
	    (rc = mdb_env_open(st->env, st->dir, MDB_NOTLS | MDB_WRITEMAP,
	    0600)) != 0) {
		errf(err, errlen, "store: %s: %s", st->dir, mdb_strerror(rc));
		return -1;
	}
	if ((rc = mdb_reader_check(st->env, &dead)) != 0) {
		errf(err, errlen, "store: %s: reader check: %s", st->dir,
		    mdb_strerror(rc));
		return -1;
	}
	if (dead > 0)
		log_info("store", "cleared %d stale reader slot(s)", dead);
	/* never shrink below what the file (or another process) uses */
	if (env_map_size(st->env) < o->map_initial &&
	    (rc = mdb_env_set_mapsize(st->env, o->map_initial)) != 0) {
		errf(err, errlen, "store: %s: map size: %s", st->dir,
		    mdb_strerror(rc));
		return -1;
	}
	return 0;
}

int
store_open(const char *dir, const struct store_opts *o, struct store **out,
    char *err, size_t errlen)
{
	struct store	*st;
	int		 rc = -1;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->dir = strdup(dir)) == NULL) {
		errf(err, errlen, "store: out of memory");
		goto out;
	}
	st->map_max = o->map_max;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		errf(err, errlen, "store: cannot create %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	if (env_open(st, o, err, errlen) == -1)
		goto out;
	if (env_map_size(st->env) > st->map_max)
		st->map_max = env_map_size(st->env);
	if (store_update(st, open_dbs, st, err, errlen) != 0)
		goto out;
	*out = st;
	rc = 0;
out:
	if (rc == -1)
		store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->env)
		mdb_env_close(st->env);
	free(st->dir);
	free(st);
}
