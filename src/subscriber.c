/*
 * subscriber.c — subscriber records, status changes, the event log and the
 * suppression index, over the store (see subscriber.h for the rules and the
 * key layout).
 *
 * Records and events are packed (pack.h) behind a version byte; decoding
 * checks every length, so a damaged record is an error, never a read past
 * its end. Called by the
 * subscriber commands, the import, and the bounce and HTTP modules.
 */
#include "subscriber.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pack.h"

#define RECORD_VERSION	1
#define EVENT_VERSION	1
#define SCAN_CHUNK	128

static const char *status_names[SUB_NSTATUS] = {
	"none", "pending", "active", "unsubscribed", "bounced", "complained"
};

static const char *source_names[] = {
	"?", "admin", "import", "reader", "bounce", "complaint"
};

const char *
subscriber_status_name(enum sub_status s)
{
	return (unsigned)s < SUB_NSTATUS ? status_names[s] : "?";
}

const char *
subscriber_source_name(enum sub_source s)
{
	return (unsigned)s < sizeof(source_names) / sizeof(source_names[0]) ?
	    source_names[s] : "?";
}

int
subscriber_status_parse(const char *s, enum sub_status *out)
{
	int	i;

	for (i = SUB_PENDING; i < SUB_NSTATUS; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum sub_status)i;
			return 0;
		}
	return -1;
}

int
subscriber_sendable(enum sub_status st)
{
	return st == SUB_ACTIVE;
}

static int
is_suppression(enum sub_status st)
{
	return st == SUB_BOUNCED || st == SUB_COMPLAINED;
}

/* Copies at most max bytes of s into out, not splitting a UTF-8 sequence. */
static void
copy_text(char *out, size_t max, const char *s)
{
	size_t	n = s ? strlen(s) : 0;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
}

#define RECORD_MAX	(64 + 2 * 256 + SUB_BOUNCES_MAX * (8 + 1 + 17 + 256))

static size_t
record_encode(const struct subscriber *s, unsigned char *buf, size_t cap)
{
	struct pack	k = PACK_INIT(buf, cap);
	unsigned	i;

	pack_u8(&k, RECORD_VERSION);
	pack_u8(&k, s->status);
	pack_u8(&k, s->source);
	pack_u8(&k, s->nbounces);
	pack_u64(&k, (uint64_t)s->created);
	pack_u64(&k, (uint64_t)s->changed);
	pack_u64(&k, (uint64_t)(int64_t)s->bounce_score);
	pack_u64(&k, s->import_run);
	pack_u64(&k, s->last_event);
	pack_str(&k, s->address);
	pack_str(&k, s->name);
	for (i = 0; i < s->nbounces && i < SUB_BOUNCES_MAX; i++) {
		pack_u64(&k, (uint64_t)s->bounces[i].when);
		pack_u8(&k, (unsigned char)s->bounces[i].kind);
		pack_str(&k, s->bounces[i].status);
		pack_str(&k, s->bounces[i].text);
	}
	return k.bad ? 0 : k.len;
}

static int
record_decode(const struct store_val *key, size_t skip,
    const struct store_val *v, struct subscriber *s)
{
	struct unpack	k = UNPACK_INIT(v->data, v->len);
	unsigned	i;

	memset(s, 0, sizeof(*s));
	if (key->len <= skip || key->len - skip > ADDRESS_MAX ||
	    unpack_u8(&k) != RECORD_VERSION)
		return -1;
	memcpy(s->key, (const char *)key->data + skip, key->len - skip);
	s->status = (enum sub_status)unpack_u8(&k);
	s->source = (enum sub_source)unpack_u8(&k);
	s->nbounces = unpack_u8(&k);
	s->created = (int64_t)unpack_u64(&k);
	s->changed = (int64_t)unpack_u64(&k);
	s->bounce_score = (int32_t)(int64_t)unpack_u64(&k);
	s->import_run = unpack_u64(&k);
	s->last_event = unpack_u64(&k);
	unpack_str(&k, s->address, sizeof(s->address));
	unpack_str(&k, s->name, sizeof(s->name));
	if (s->nbounces > SUB_BOUNCES_MAX || s->status >= SUB_NSTATUS)
		return -1;
	for (i = 0; i < s->nbounces; i++) {
		s->bounces[i].when = (int64_t)unpack_u64(&k);
		s->bounces[i].kind = (char)unpack_u8(&k);
		unpack_str(&k, s->bounces[i].status, sizeof(s->bounces[i].status));
		unpack_str(&k, s->bounces[i].text, sizeof(s->bounces[i].text));
	}
	return k.bad ? -1 : 0;
}

/* list \0 key [\0]: returns the length, 0 if it does not fit. */
static size_t
make_key(unsigned char *buf, const char *list, const char *key, int sep)
{
	size_t	ln = strlen(list), kn = key ? strlen(key) : 0;

	if (ln == 0 || ln > SUB_LIST_MAX || kn > ADDRESS_MAX)
		return 0;
	memcpy(buf, list, ln);
	buf[ln] = '\0';
	if (kn)
		memcpy(buf + ln + 1, key, kn);
	if (sep)
		buf[ln + 1 + kn] = '\0';
	return ln + 1 + kn + (sep ? 1 : 0);
}

#define KEYBUF	(SUB_LIST_MAX + ADDRESS_MAX + 16)

/* Looks up an already normalized key. */
static int
get_by_key(struct store_txn *txn, const char *list, const char *key,
    struct subscriber *out)
{
	unsigned char		kb[KEYBUF];
	struct store_val	k, v;
	size_t			kn;
	int			rc;

	if ((kn = make_key(kb, list, key, 0)) == 0) {
		store_txn_errf(txn, "subscriber: bad list name or key");
		return -1;
	}
	if ((rc = store_get(txn, STORE_SUBSCRIBERS, kb, kn, &v)) != 0)
		return rc;
	k.data = kb;
	k.len = kn;
	if (record_decode(&k, strlen(list) + 1, &v, out) == -1) {
		store_txn_errf(txn, "subscriber: the record of %s on %s is "
		    "damaged", key, list);
		return -1;
	}
	return 0;
}

int
subscriber_get(struct store_txn *txn, const char *list, const char *address,
    struct subscriber *out)
{
	char		 norm[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	const char	*why;

	if (address_normalize(address, norm, key, &why) == -1) {
		store_txn_errf(txn, "%s: %s", address, why);
		return -1;
	}
	return get_by_key(txn, list, key, out);
}

int
subscriber_put(struct store_txn *txn, const char *list,
    const struct subscriber *s)
{
	unsigned char	kb[KEYBUF], vb[RECORD_MAX];
	size_t		kn, vn;

	if ((kn = make_key(kb, list, s->key, 0)) == 0 ||
	    (vn = record_encode(s, vb, sizeof(vb))) == 0) {
		store_txn_errf(txn, "subscriber: %s on %s does not fit a record",
		    s->key, list);
		return -1;
	}
	return store_put(txn, STORE_SUBSCRIBERS, kb, kn, vb, vn, 0);
}

void
subscriber_bounce_push(struct subscriber *s, int64_t when, const char *status,
    char kind, const char *text)
{
	struct sub_bounce	*b;

	if (s->nbounces == SUB_BOUNCES_MAX) {
		memmove(&s->bounces[0], &s->bounces[1],
		    sizeof(s->bounces[0]) * (SUB_BOUNCES_MAX - 1));
		s->nbounces--;
	}
	b = &s->bounces[s->nbounces++];
	b->when = when;
	b->kind = kind;
	copy_text(b->status, sizeof(b->status) - 1, status);
	copy_text(b->text, SUB_TEXT_MAX, text);
}

/* Appends e to the log, linked to s's previous event; sets s->last_event. */
static int
event_add(struct store_txn *txn, const char *list, struct subscriber *s,
    const struct sub_event *e)
{
	unsigned char	kb[8], vb[32 + 4 * 256];
	struct pack	k = PACK_INIT(vb, sizeof(vb));
	uint64_t	seq;

	if (store_seq_next(txn, "event", &seq) == -1)
		return -1;
	store_be64_put(kb, seq);
	pack_u8(&k, EVENT_VERSION);
	pack_u64(&k, (uint64_t)e->when);
	pack_u8(&k, e->from);
	pack_u8(&k, e->to);
	pack_u8(&k, e->source);
	pack_u64(&k, s->last_event);
	pack_str(&k, list);
	pack_str(&k, s->key);
	pack_str(&k, e->reason);
	pack_str(&k, e->detail);
	if (k.bad)
		return store_txn_errf(txn, "subscriber: event too long"), -1;
	if (store_put(txn, STORE_EVENTS, kb, 8, vb, k.len, STORE_APPEND) != 0)
		return -1;
	s->last_event = seq;
	return 0;
}

static int
suppression_update(struct store_txn *txn, const char *list, const char *key,
    enum sub_status from, enum sub_status to, int64_t when)
{
	unsigned char	kb[KEYBUF], vb[9];
	size_t		kn;
	int		rc;

	if ((kn = make_key(kb, key, list, 0)) == 0)
		return store_txn_errf(txn, "subscriber: bad key"), -1;
	if (is_suppression(to)) {
		vb[0] = (unsigned char)to;
		store_be64_put(vb + 1, (uint64_t)when);
		return store_put(txn, STORE_SUPPRESSED, kb, kn, vb, 9, 0);
	}
	/* only a (forced) return to the list lifts it; leaving keeps it */
	if ((to == SUB_ACTIVE || to == SUB_PENDING) &&
	    (is_suppression(from) || from == SUB_UNSUBSCRIBED) &&
	    (rc = store_del(txn, STORE_SUPPRESSED, kb, kn)) == -1)
		return -1;
	return 0;
}

/* Moves s to status to, logging the event; the caller writes s. */
static int
apply_status(struct store_txn *txn, const char *list, struct subscriber *s,
    enum sub_status to, enum sub_source source, const char *reason,
    const char *detail)
{
	struct sub_event	e;

	memset(&e, 0, sizeof(e));
	e.when = (int64_t)time(NULL);
	e.from = s->status;
	e.to = to;
	e.source = source;
	copy_text(e.reason, SUB_TEXT_MAX, reason);
	copy_text(e.detail, SUB_TEXT_MAX, detail);
	if (event_add(txn, list, s, &e) == -1 ||
	    suppression_update(txn, list, s->key, s->status, to, e.when) == -1)
		return -1;
	s->status = to;
	s->source = source;
	s->changed = e.when;
	return 0;
}

int
subscriber_set_status(struct store_txn *txn, const char *list,
    const char *address, enum sub_status to, enum sub_source source,
    const char *reason, const char *detail)
{
	struct subscriber	s;
	int			rc;

	if (to <= SUB_NONE || to >= SUB_NSTATUS) {
		store_txn_errf(txn, "subscriber: no such status");
		return -1;
	}
	if ((rc = subscriber_get(txn, list, address, &s)) != 0)
		return rc;
	if (s.status == to)
		return STORE_KEYEXIST;
	if (apply_status(txn, list, &s, to, source, reason, detail) == -1 ||
	    subscriber_put(txn, list, &s) == -1)
		return -1;
	return 0;
}

int
subscriber_suppressed(struct store_txn *txn, const char *key,
    char list[SUB_LIST_MAX + 1], enum sub_status *status)
{
	unsigned char		 kb[KEYBUF];
	struct store_cursor	*c;
	struct store_val	 k, v;
	size_t			 kn = strlen(key);
	int			 rc;

	if (kn == 0 || kn > ADDRESS_MAX)
		return store_txn_errf(txn, "subscriber: bad key"), -1;
	memcpy(kb, key, kn);
	kb[kn++] = '\0';
	if ((c = store_cursor_open(txn, STORE_SUPPRESSED, kb, kn)) == NULL)
		return -1;
	rc = store_cursor_first(c, kb, kn, &k, &v);
	if (rc == 0) {
		copy_text(list, SUB_LIST_MAX, "");
		if (k.len - kn <= SUB_LIST_MAX) {
			memcpy(list, (const char *)k.data + kn, k.len - kn);
			list[k.len - kn] = '\0';
		}
		*status = v.len >= 1 ? (enum sub_status)*(const unsigned char *)
		    v.data : SUB_BOUNCED;
	}
	store_cursor_close(c);
	if (rc == -1)
		return -1;
	return rc == 0;
}

/*
 * The status an add should lead to from cur. When a rule refuses it, the
 * result is cur and *refused says why.
 */
static enum sub_status
add_target(enum sub_status cur, const struct sub_add *a, const char **refused)
{
	*refused = NULL;
	if (a->status == cur)
		return cur;
	if (is_suppression(a->status) || a->status == SUB_UNSUBSCRIBED)
		/* an import carrying a suppression: only ever tightens */
		return cur == SUB_ACTIVE || cur == SUB_PENDING ? a->status : cur;
	if (cur == SUB_ACTIVE)
		return cur;
	if (cur == SUB_PENDING)
		return a->status;
	if (cur == SUB_UNSUBSCRIBED && a->source == SRC_IMPORT)
		*refused = "unsubscribed: an import never subscribes again a "
		    "reader who left";
	else if (!a->force)
		*refused = cur == SUB_UNSUBSCRIBED ? "unsubscribed (--force to "
		    "subscribe again)" : cur == SUB_BOUNCED ? "bounced (--force "
		    "to subscribe again)" : "complained (--force to subscribe "
		    "again)";
	return *refused ? cur : a->status;
}

static int
add_new(struct store_txn *txn, const char *list, const struct sub_add *a,
    enum sub_outcome *outcome, const char **why)
{
	struct subscriber	s;
	char			where[SUB_LIST_MAX + 1];
	enum sub_status		sst;
	int			rc;

	if (!a->force && !is_suppression(a->status) &&
	    a->status != SUB_UNSUBSCRIBED) {
		if ((rc = subscriber_suppressed(txn, a->key, where, &sst)) == -1)
			return -1;
		if (rc == 1) {
			*outcome = SUB_SUPPRESSED;
			*why = sst == SUB_COMPLAINED ? "complained on a list "
			    "(--force to add anyway)" : "bounced on a list "
			    "(--force to add anyway)";
			return 0;
		}
	}
	memset(&s, 0, sizeof(s));
	copy_text(s.address, ADDRESS_MAX, a->address);
	copy_text(s.key, ADDRESS_MAX, a->key);
	copy_text(s.name, SUB_NAME_MAX, a->name);
	s.status = SUB_NONE;
	s.created = a->created ? a->created : (int64_t)time(NULL);
	s.import_run = a->import_run;
	if (apply_status(txn, list, &s, a->status, a->source, a->reason,
	    a->detail) == -1 || subscriber_put(txn, list, &s) == -1)
		return -1;
	*outcome = SUB_ADDED;
	return 0;
}

int
subscriber_add(struct store_txn *txn, const char *list, const struct sub_add *a,
    enum sub_outcome *outcome, const char **why)
{
	struct subscriber	s;
	enum sub_status		to;
	int			rc, dirty = 0, changed = 0;

	*why = NULL;
	if (a->status <= SUB_NONE || a->status >= SUB_NSTATUS)
		return store_txn_errf(txn, "subscriber: no such status"), -1;
	if ((rc = get_by_key(txn, list, a->key, &s)) == -1)
		return -1;
	if (rc == STORE_NOTFOUND)
		return add_new(txn, list, a, outcome, why);
	if (a->import_run && s.import_run == a->import_run) {
		*outcome = SUB_DUPLICATE;
		return 0;
	}
	if (a->import_run) {
		s.import_run = a->import_run;
		dirty = 1;
	}
	to = add_target(s.status, a, why);
	if (*why == NULL && a->name && *a->name && strcmp(a->name, s.name)) {
		copy_text(s.name, SUB_NAME_MAX, a->name);
		dirty = changed = 1;
	}
	if (to != s.status) {
		if (apply_status(txn, list, &s, to, a->source, a->reason,
		    a->detail) == -1)
			return -1;
		dirty = changed = 1;
	}
	if (dirty && subscriber_put(txn, list, &s) == -1)
		return -1;
	if (*why)
		*outcome = SUB_SUPPRESSED;
	else
		*outcome = changed ? SUB_UPDATED : SUB_UNCHANGED;
	return 0;
}

static int
event_decode(const struct store_val *k, const struct store_val *v,
    struct sub_event *e, uint64_t *prev, const char *list, const char *key)
{
	struct unpack	p = UNPACK_INIT(v->data, v->len);
	char		elist[256], ekey[256];

	memset(e, 0, sizeof(*e));
	if (k->len != 8 || unpack_u8(&p) != EVENT_VERSION)
		return -1;
	e->seq = store_be64_get(k->data);
	e->when = (int64_t)unpack_u64(&p);
	e->from = (enum sub_status)unpack_u8(&p);
	e->to = (enum sub_status)unpack_u8(&p);
	e->source = (enum sub_source)unpack_u8(&p);
	*prev = unpack_u64(&p);
	unpack_str(&p, elist, sizeof(elist));
	unpack_str(&p, ekey, sizeof(ekey));
	unpack_str(&p, e->reason, sizeof(e->reason));
	unpack_str(&p, e->detail, sizeof(e->detail));
	if (p.bad || *prev >= e->seq || strcmp(elist, list) != 0 ||
	    strcmp(ekey, key) != 0)
		return -1;
	return 0;
}

/* The event seq and the one before it of the same subscriber. */
static int
event_get(struct store_txn *txn, uint64_t seq, const char *list,
    const char *key, struct sub_event *e, uint64_t *prev)
{
	unsigned char		kb[8];
	struct store_val	k, v;
	int			rc;

	store_be64_put(kb, seq);
	if ((rc = store_get(txn, STORE_EVENTS, kb, 8, &v)) == -1)
		return -1;
	k.data = kb;
	k.len = 8;
	if (rc == STORE_NOTFOUND || event_decode(&k, &v, e, prev, list, key) ==
	    -1) {
		store_txn_errf(txn, "subscriber: event %llu of %s on %s is "
		    "missing or damaged", (unsigned long long)seq, key, list);
		return -1;
	}
	return 0;
}

int
subscriber_events(struct store_txn *txn, const char *list, const char *key,
    int (*fn)(const struct sub_event *, void *), void *arg)
{
	struct subscriber	 s;
	struct sub_event	 e;
	uint64_t		*seqs = NULL, *grown, seq, prev;
	size_t			 n = 0, cap = 0;
	int			 rc;

	if ((rc = get_by_key(txn, list, key, &s)) != 0)
		return rc == STORE_NOTFOUND ? 0 : -1;
	/* walk back along the links, then call fn oldest first */
	for (seq = s.last_event, rc = 0; seq != 0 && rc == 0; seq = prev) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = reallocarray(seqs, cap, sizeof(*seqs))) ==
			    NULL) {
				store_txn_errf(txn, "subscriber: out of memory");
				rc = -1;
				break;
			}
			seqs = grown;
		}
		seqs[n++] = seq;
		rc = event_get(txn, seq, list, key, &e, &prev);
	}
	while (rc == 0 && n > 0)
		if ((rc = event_get(txn, seqs[--n], list, key, &e, &prev)) == 0)
			rc = fn(&e, arg);
	free(seqs);
	return rc;
}

struct scan {
	const char		*list;
	int			 status;
	unsigned char		 from[KEYBUF];	/* resume at this key */
	size_t			 fromlen;
	int			 skip_first;	/* from was already returned */
	struct subscriber	*chunk;
	size_t			 n;
	int			 done;
	uint64_t		*counts;
};

static int
scan_chunk(struct store_txn *txn, void *arg)
{
	struct scan		*sc = arg;
	struct store_cursor	*c;
	struct store_val	 k, v;
	size_t			 plen = strlen(sc->list) + 1;
	int			 rc;

	sc->n = 0;
	if ((c = store_cursor_open(txn, STORE_SUBSCRIBERS, sc->from, plen)) ==
	    NULL)
		return -1;
	rc = store_cursor_first(c, sc->from, sc->fromlen, &k, &v);
	if (rc == 0 && sc->skip_first && k.len == sc->fromlen &&
	    memcmp(k.data, sc->from, k.len) == 0)
		rc = store_cursor_next(c, &k, &v);
	for (; rc == 0; rc = store_cursor_next(c, &k, &v)) {
		if (sc->counts) {
			if (v.len > 1 && ((const unsigned char *)v.data)[1] <
			    SUB_NSTATUS)
				sc->counts[((const unsigned char *)v.data)[1]]++;
			continue;
		}
		if (sc->n == SCAN_CHUNK)
			break;
		if (record_decode(&k, plen, &v, &sc->chunk[sc->n]) == -1) {
			store_txn_errf(txn, "subscriber: a damaged record in %s",
			    sc->list);
			rc = -1;
			break;
		}
		if (sc->status < 0 || (int)sc->chunk[sc->n].status == sc->status)
			sc->n++;
		if (k.len <= sizeof(sc->from)) {
			memcpy(sc->from, k.data, k.len);
			sc->fromlen = k.len;
			sc->skip_first = 1;
		}
	}
	store_cursor_close(c);
	if (rc == -1)
		return -1;
	sc->done = rc == STORE_NOTFOUND;
	return 0;
}

int
subscriber_scan(struct store *st, const char *list, int status,
    int (*fn)(const struct subscriber *, void *), void *arg, char *err,
    size_t errlen)
{
	struct scan	sc;
	size_t		i;
	int		rc = 0;

	memset(&sc, 0, sizeof(sc));
	sc.list = list;
	sc.status = status;
	if ((sc.fromlen = make_key(sc.from, list, NULL, 0)) == 0) {
		snprintf(err, errlen, "subscriber: bad list name '%s'", list);
		return -1;
	}
	if ((sc.chunk = calloc(SCAN_CHUNK, sizeof(*sc.chunk))) == NULL) {
		snprintf(err, errlen, "subscriber: out of memory");
		return -1;
	}
	while (rc == 0 && !sc.done) {
		if ((rc = store_view(st, scan_chunk, &sc, err, errlen)) != 0)
			break;
		for (i = 0; i < sc.n && rc == 0; i++)
			rc = fn(&sc.chunk[i], arg);
	}
	free(sc.chunk);
	return rc;
}

int
subscriber_count(struct store *st, const char *list,
    uint64_t counts[SUB_NSTATUS], char *err, size_t errlen)
{
	struct scan	sc;

	memset(&sc, 0, sizeof(sc));
	memset(counts, 0, sizeof(uint64_t) * SUB_NSTATUS);
	sc.list = list;
	sc.status = -1;
	sc.counts = counts;
	if ((sc.fromlen = make_key(sc.from, list, NULL, 0)) == 0) {
		snprintf(err, errlen, "subscriber: bad list name '%s'", list);
		return -1;
	}
	return store_view(st, scan_chunk, &sc, err, errlen);
}
