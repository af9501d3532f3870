/*
 * store.h — the LMDB environment under spool/: the manual.
 *
 * Everything mutable lives in one LMDB environment. store.c is the only file
 * that includes <lmdb.h>; LMDB's error codes stop there. Other modules see
 * named databases (enum store_db), transactions run through a callback, and
 * byte-string keys and values.
 *
 * OPENING. store_open() creates the directory when missing, clears stale
 * reader slots left by dead processes (mdb_reader_check), opens every named
 * database once, and checks the schema version record: a spool written by a
 * newer dispatcher is refused with a clear error. One struct store per
 * process; it is not for use by several threads.
 *
 * TRANSACTIONS. Work happens inside a callback:
 *
 *	static int fn(struct store_txn *txn, void *arg) { ... return 0; }
 *	if (store_update(st, fn, arg, err, sizeof(err)) == -1) ...
 *
 * store_update() runs fn in a write transaction and commits when fn returns
 * 0. When the map fills up (in a put or at commit) it aborts, grows the map
 * (doubling, up to the configured maximum) and runs fn AGAIN from the start:
 * fn must therefore have no effect outside the transaction that it cannot
 * redo — reset its counters at its top, and do I/O that must happen once
 * before or after the call. Only one write transaction runs at a time across
 * all processes (LMDB's writer lock): keep them short, and batch big jobs
 * into many transactions. store_view() runs fn in a read transaction, which
 * sees one snapshot and blocks nobody; keep it short too (never across a
 * network wait or a blocking write to a pipe). A map grown by another process
 * (MDB_MAP_RESIZED) is adopted and the transaction begun again; a full reader
 * table is cleaned of dead readers and tried once more.
 *
 * fn returns 0 (commit), -1 (error: abort; the reason is in err, written by
 * the failing store_* call or by fn with store_txn_errf()), or
 * STORE_ROLLBACK (abort quietly; store_update returns STORE_ROLLBACK). After
 * any store_* call inside fn returns -1, fn must return -1 at once: an LMDB
 * write transaction that saw an error can only be aborted.
 *
 * DATA. Keys are byte strings of at most STORE_KEY_MAX bytes, compared
 * bytewise (memcmp, shorter first on a tie): so a key "list\0address"
 * groups one list, and a big-endian integer suffix sorts in number order.
 * A struct store_val returned by store_get() or a cursor points INTO THE
 * MAP: it is valid only until the transaction ends (the callback returns).
 * Copy out what you keep, inside fn. Never write through it: the map is
 * writable in this process (MDB_WRITEMAP, see store.c), so a stray write
 * would change the database, not a copy.
 *
 * ADDING A DATABASE. Add a name to enum store_db and a row to the table in
 * store.c (name and flags). Databases are created on first open; a new one
 * in an existing spool needs no migration.
 */
#ifndef DISPATCHER_STORE_H
#define DISPATCHER_STORE_H

#include <stddef.h>
#include <stdint.h>

/* The named databases. See the key layout of each in its owner's header. */
enum store_db {
	STORE_META,		/* "schema" -> be32 version; "seq:NAME" -> be64 */
	STORE_SUBSCRIBERS,	/* subscriber.h: list \0 key -> record */
	STORE_EVENTS,		/* subscriber.h: be64 seq -> event (a log) */
	STORE_SUPPRESSED,	/* subscriber.h: key \0 list -> status, time */
	STORE_ISSUES,		/* spool.h: be32 seq -> issue record */
	STORE_ISSUE_INDEX,	/* spool.h: "h" list \0 hash, "n" list \0 name */
	STORE_RENDERED,		/* spool.h: be32 seq -> compose_save() bytes */
	STORE_QUEUE,		/* spool.h: be64 id -> entry */
	STORE_DUE,		/* spool.h: be64 time, be64 id -> "" */
	STORE_INFLIGHT,		/* spool.h: be64 id -> "" (claimed, sending) */
	STORE_MESSAGES,		/* spool.h: be64 id -> domain \0 message */
	STORE_REPORTS,		/* bounce_apply.h: sha256 -> be64 time, copy */
	STORE_NDBS
};

#define STORE_SCHEMA	1	/* the layout this build reads and writes */
#define STORE_KEY_MAX	511	/* LMDB's default maximum key size */

/* Return codes besides 0 and -1. */
#define STORE_NOTFOUND	1	/* get, del, cursor: no such key / no more */
#define STORE_KEYEXIST	2	/* put with STORE_NOOVERWRITE: key present */
#define STORE_ROLLBACK	3	/* fn asks store_update to abort quietly */

/* store_put() flags. */
#define STORE_NOOVERWRITE	0x1	/* fail with STORE_KEYEXIST if present */
#define STORE_APPEND		0x2	/* key sorts after every key in the db */

struct store;
struct store_txn;
struct store_cursor;

struct store_val {
	const void	*data;		/* borrowed from the map: see DATA */
	size_t		 len;
};

struct store_opts {
	size_t	map_initial;	/* bytes; the map starts at least this big */
	size_t	map_max;	/* bytes; the map never grows past this */
};

/*
 * Opens (creating when missing) the environment in directory dir. Returns 0
 * and sets *out (close with store_close), or -1 with the reason in err: the
 * directory cannot be made, LMDB cannot open it, or the schema is newer
 * than STORE_SCHEMA.
 */
int	store_open(const char *dir, const struct store_opts *opts,
	    struct store **out, char *err, size_t errlen);
void	store_close(struct store *st);		/* accepts NULL */

typedef int (*store_fn)(struct store_txn *txn, void *arg);

/* Runs fn in a write / read transaction: see TRANSACTIONS above. */
int	store_update(struct store *st, store_fn fn, void *arg, char *err,
	    size_t errlen);
int	store_view(struct store *st, store_fn fn, void *arg, char *err,
	    size_t errlen);

/* Writes the reason of a failure inside fn into store_update's err. */
void	store_txn_errf(struct store_txn *txn, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* 1 inside store_view, 0 inside store_update. */
int	store_txn_readonly(const struct store_txn *txn);

/* 0 and *val set (borrowed, see DATA); STORE_NOTFOUND; -1 on error. */
int	store_get(struct store_txn *txn, enum store_db db, const void *key,
	    size_t klen, struct store_val *val);
/* 0; STORE_KEYEXIST (with STORE_NOOVERWRITE); -1 on error (map full too:
 * store_update then grows the map and runs fn again). */
int	store_put(struct store_txn *txn, enum store_db db, const void *key,
	    size_t klen, const void *val, size_t vlen, unsigned flags);
/* 0; STORE_NOTFOUND; -1 on error. */
int	store_del(struct store_txn *txn, enum store_db db, const void *key,
	    size_t klen);

/*
 * Next value of the counter NAME (1, 2, 3, ...), in META under "seq:NAME".
 * Write transactions only. Counters never go back, even across processes.
 */
int	store_seq_next(struct store_txn *txn, const char *name, uint64_t *out);

/*
 * Cursors iterate over the keys that start with a prefix, in key order.
 * store_cursor_open() returns NULL with the reason set on the txn. The
 * cursor belongs to the transaction: close it before fn returns.
 * store_cursor_first() positions at the first key >= from (from must start
 * with prefix; pass prefix itself to start at the beginning) and
 * store_cursor_next() moves on; both return 0 with *key and *val set
 * (borrowed, see DATA), STORE_NOTFOUND past the last key with the prefix,
 * or -1. store_cursor_del() deletes the current entry (write txn); the next
 * store_cursor_next() then returns the entry after it.
 */
struct store_cursor *store_cursor_open(struct store_txn *txn, enum store_db db,
	    const void *prefix, size_t plen);
int	store_cursor_first(struct store_cursor *c, const void *from, size_t flen,
	    struct store_val *key, struct store_val *val);
int	store_cursor_next(struct store_cursor *c, struct store_val *key,
	    struct store_val *val);
int	store_cursor_del(struct store_cursor *c);
void	store_cursor_close(struct store_cursor *c);	/* accepts NULL */

/*
 * Drops the map's pages from this process's resident memory; they stay in
 * the page cache and come back on the next access. Long loops (an import,
 * a delivery run) call it between transactions so that their resident set
 * does not grow with the size of the spool. Never inside a transaction.
 */
void	store_trim(struct store *st);

/* Current map size in bytes, and how many times this handle grew it. */
size_t	store_map_size(struct store *st);
unsigned store_map_grown(struct store *st);

/* Big-endian fixed-width integers, for keys that scan in number order. */
static inline void
store_be64_put(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static inline uint64_t
store_be64_get(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void
store_be32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t
store_be32_get(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#endif
