/*
 * subscriber_csv.c — CSV import and export of a list (see subscriber_csv.h).
 *
 * Import runs in three steps per batch: read and check up to IMPORT_BATCH
 * rows from the CSV reader (bad rows are reported here, once), apply them in
 * one write transaction (which the store may run again after growing the
 * map, so it only counts into the batch), then add the batch's counts to the
 * totals and report what it suppressed. Called by cmd_subscribers.c.
 */
#define _GNU_SOURCE
#include "subscriber_csv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "address.h"
#include "csv.h"
#include "log.h"
#include "subscriber.h"
#include "utf8.h"

enum column { COL_EMAIL, COL_NAME, COL_FIRST, COL_LAST, COL_STATUS,
    COL_CREATED, NCOLS };

static const struct {
	const char	*header;	/* lowercase, no ' ', '-' or '_' */
	enum column	 col;
} header_names[] = {
	{ "email", COL_EMAIL }, { "emailaddress", COL_EMAIL },
	{ "mail", COL_EMAIL },
	{ "name", COL_NAME }, { "fullname", COL_NAME },
	{ "displayname", COL_NAME },
	{ "firstname", COL_FIRST }, { "fname", COL_FIRST },
	{ "givenname", COL_FIRST },
	{ "lastname", COL_LAST }, { "lname", COL_LAST }, { "surname", COL_LAST },
	{ "familyname", COL_LAST },
	{ "status", COL_STATUS },
	{ "created", COL_CREATED }, { "createdat", COL_CREATED },
};

static const struct {
	const char	*word;
	enum sub_status	 status;
} status_words[] = {
	{ "", SUB_ACTIVE }, { "active", SUB_ACTIVE },
	{ "subscribed", SUB_ACTIVE }, { "enabled", SUB_ACTIVE },
	{ "confirmed", SUB_ACTIVE },
	{ "pending", SUB_PENDING }, { "unconfirmed", SUB_PENDING },
	{ "unsubscribed", SUB_UNSUBSCRIBED }, { "disabled", SUB_UNSUBSCRIBED },
	{ "blocklisted", SUB_UNSUBSCRIBED }, { "blacklisted", SUB_UNSUBSCRIBED },
	{ "bounced", SUB_BOUNCED }, { "cleaned", SUB_BOUNCED },
	{ "complained", SUB_COMPLAINED },
};

/* One row as read and checked. */
struct parsed {
	char		 address[ADDRESS_MAX + 1];
	char		 key[ADDRESS_MAX + 1];
	char		 name[SUB_NAME_MAX + 1];
	enum sub_status	 status;
	int64_t		 created;
};

/* A good row waiting in the batch; its strings are in the batch arena. */
struct row {
	const char	*address, *key, *name;
	enum sub_status	 status;
	int64_t		 created;
	unsigned long	 line;
	enum sub_outcome outcome;
	const char	*why;
};

#define ROW_STRINGS_MAX	(2 * (ADDRESS_MAX + 1) + SUB_NAME_MAX + 1)

/* A set of 64-bit hashes of keys, for the dry run's duplicates. */
struct keyset {
	uint64_t	*slot;
	size_t		 cap, n;
};

struct import {
	const struct import_opts *o;
	struct csv		*csv;
	int			 col[NCOLS];
	struct row		*rows;
	struct row		**order;	/* rows sorted by key */
	size_t			 nrows;
	char			*arena;		/* IMPORT_ARENA bytes */
	size_t			 arena_len;
	struct parsed		 p;
	uint64_t		 run;
	struct import_counts	 batch;
	struct keyset		 seen;
	char			 file_name[SUB_TEXT_MAX - 32];
	uint64_t		 size;		/* of the input, for progress */
	time_t			 shown;
};

static uint64_t
key_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* 1 if key was in the set already, 0 if added, -1 out of memory. */
static int
keyset_add(struct keyset *ks, const char *key)
{
	uint64_t	h = key_hash(key), *old = ks->slot;
	size_t		i, oldcap = ks->cap;

	if (2 * (ks->n + 1) > ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 4096;
		if ((ks->slot = calloc(ks->cap, sizeof(*ks->slot))) == NULL)
			return -1;
		ks->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i]) {
				size_t j = old[i] & (ks->cap - 1);
				while (ks->slot[j])
					j = (j + 1) & (ks->cap - 1);
				ks->slot[j] = old[i];
				ks->n++;
			}
		free(old);
	}
	for (i = h & (ks->cap - 1); ks->slot[i]; i = (i + 1) & (ks->cap - 1))
		if (ks->slot[i] == h)
			return 1;
	ks->slot[i] = h;
	ks->n++;
	return 0;
}

/* Copies s without surrounding white space into out[size]; -1 if longer. */
static int
trim_copy(const char *s, char *out, size_t size)
{
	size_t	n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= size)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
header_column(const char *h)
{
	char	norm[64];
	size_t	i, n = 0;

	for (; *h && n < sizeof(norm) - 1; h++) {
		if (*h == ' ' || *h == '-' || *h == '_' || *h == '"')
			continue;
		norm[n++] = (char)(*h >= 'A' && *h <= 'Z' ? *h - 'A' + 'a' : *h);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof(header_names) / sizeof(header_names[0]); i++)
		if (strcmp(norm, header_names[i].header) == 0)
			return header_names[i].col;
	return -1;
}

static int
read_header(struct import *im, char *err, size_t errlen)
{
	const char	*why;
	size_t		 i;
	int		 rc, col;

	for (i = 0; i < NCOLS; i++)
		im->col[i] = -1;
	if ((rc = csv_next(im->csv, &why)) != 1) {
		errf(err, errlen, "%s: line 1: %s", im->o->file, rc == 0 ?
		    "the file is empty: a header row naming the columns "
		    "(email, name, ...) comes first" : why);
		return -1;
	}
	if (strncmp(csv_field(im->csv, 0), "\xff\xfe", 2) == 0 ||
	    strncmp(csv_field(im->csv, 0), "\xfe\xff", 2) == 0) {
		errf(err, errlen, "%s: the file is UTF-16: save it as CSV in "
		    "UTF-8", im->o->file);
		return -1;
	}
	for (i = 0; i < csv_nfields(im->csv); i++) {
		col = header_column(csv_field(im->csv, i));
		if (col >= 0 && im->col[col] == -1)
			im->col[col] = (int)i;
	}
	if (im->col[COL_EMAIL] == -1) {
		errf(err, errlen, "%s: line %lu: no email column in the header "
		    "row (a column named email or Email Address)", im->o->file,
		    csv_line(im->csv));
		return -1;
	}
	return 0;
}

static const char *
field(struct import *im, enum column col)
{
	if (im->col[col] < 0)
		return "";
	return csv_unguard(csv_field(im->csv, (size_t)im->col[col]));
}

static const char *
check_name(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "control character in the name";
	return NULL;
}

/* 2026-01-31T12:00:00Z or 2026-01-31 12:00:00 (UTC); 0 if empty or bad. */
static int64_t
parse_time(const char *s)
{
	struct tm	tm;
	char		*end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL &&
	    (end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

static const char *
parse_status(const char *s, enum sub_status *out)
{
	char	w[32];
	size_t	i;

	if (trim_copy(s, w, sizeof(w)) == -1)
		return "unknown status";
	for (i = 0; w[i]; i++)
		if (w[i] >= 'A' && w[i] <= 'Z')
			w[i] = (char)(w[i] - 'A' + 'a');
	for (i = 0; i < sizeof(status_words) / sizeof(status_words[0]); i++)
		if (strcmp(w, status_words[i].word) == 0) {
			*out = status_words[i].status;
			return NULL;
		}
	return "unknown status (active, pending, unsubscribed, bounced or "
	    "complained)";
}

/* Fills r from the current record; a reason when the row is bad. */
static const char *
read_row(struct import *im, struct parsed *r)
{
	char		 raw[ADDRESS_INPUT_MAX + 1], first[SUB_NAME_MAX + 1];
	const char	*why;
	int		 n;

	memset(r, 0, sizeof(*r));
	if (trim_copy(field(im, COL_EMAIL), raw, sizeof(raw)) == -1)
		return "the address is longer than 254 octets";
	if (address_normalize(raw, r->address, r->key, &why) == -1)
		return why;
	if (im->col[COL_NAME] >= 0) {
		if (trim_copy(field(im, COL_NAME), r->name, sizeof(r->name)) == -1)
			return "the name is longer than 255 bytes";
	} else if (im->col[COL_FIRST] >= 0 || im->col[COL_LAST] >= 0) {
		if (trim_copy(field(im, COL_FIRST), first, sizeof(first)) == -1 ||
		    (n = snprintf(r->name, sizeof(r->name), "%s%s%s", first,
		    *first ? " " : "", field(im, COL_LAST))) < 0 ||
		    (size_t)n >= sizeof(r->name) ||
		    trim_copy(r->name, r->name, sizeof(r->name)) == -1)
			return "the name is longer than 255 bytes";
	}
	if (utf8_check(r->name, strlen(r->name), NULL) == -1)
		return "the name is not valid UTF-8";
	if ((why = check_name(r->name)) != NULL)
		return why;
	r->status = SUB_ACTIVE;
	if ((why = parse_status(field(im, COL_STATUS), &r->status)) != NULL)
		return why;
	r->created = parse_time(field(im, COL_CREATED));
	return NULL;
}

static void
progress(struct import *im, const struct import_counts *n, int last)
{
	time_t	now;

	if (!im->o->progress)
		return;
	if (last) {
		fputs("\r\033[K", stderr);
		return;
	}
	if ((now = time(NULL)) == im->shown)
		return;
	im->shown = now;
	if (im->size)
		fprintf(stderr, "\rimport: %llu rows, %d%%", (unsigned long long)
		    n->rows, (int)(csv_offset(im->csv) * 100 / im->size));
	else
		fprintf(stderr, "\rimport: %llu rows", (unsigned long long)n->rows);
	fflush(stderr);
}

static const char *
arena_add(struct import *im, const char *s)
{
	char	*p = im->arena + im->arena_len;
	size_t	 n = strlen(s) + 1;

	memcpy(p, s, n);
	im->arena_len += n;
	return p;
}

static void
keep_row(struct import *im)
{
	struct row	*r = &im->rows[im->nrows++];

	memset(r, 0, sizeof(*r));
	r->address = arena_add(im, im->p.address);
	r->key = arena_add(im, im->p.key);
	r->name = arena_add(im, im->p.name);
	r->status = im->p.status;
	r->created = im->p.created;
	r->line = csv_line(im->csv);
}

/*
 * Reads the next batch of good rows, up to IMPORT_BATCH rows or a full
 * arena. 1 if any (or more to come), 0 at the end of input.
 */
static int
read_batch(struct import *im, struct import_counts *n)
{
	const char	*why;
	int		 rc = 0;

	im->nrows = 0;
	im->arena_len = 0;
	while (im->nrows < IMPORT_BATCH &&
	    im->arena_len + ROW_STRINGS_MAX <= IMPORT_ARENA) {
		if ((rc = csv_next(im->csv, &why)) == 0)
			break;
		n->rows++;
		if (rc == 1 && (why = read_row(im, &im->p)) == NULL) {
			keep_row(im);
			continue;
		}
		n->rejected++;
		if (rc == 1 && *field(im, COL_EMAIL))
			fprintf(im->o->report, "%s:%lu: %s: %s\n", im->o->file,
			    csv_line(im->csv), field(im, COL_EMAIL), why);
		else
			fprintf(im->o->report, "%s:%lu: %s\n", im->o->file,
			    csv_line(im->csv), why);
	}
	return im->nrows > 0 || rc != 0;
}

static void
tally(struct import_counts *n, enum sub_outcome o)
{
	switch (o) {
	case SUB_ADDED:		n->added++; break;
	case SUB_UPDATED:	n->updated++; break;
	case SUB_UNCHANGED:	n->unchanged++; break;
	case SUB_SUPPRESSED:	n->suppressed++; break;
	case SUB_DUPLICATE:	n->duplicate++; break;
	}
}

static int
apply_batch(struct store_txn *txn, void *arg)
{
	struct import	*im = arg;
	struct sub_add	 a;
	struct row	*r;
	char		 detail[SUB_TEXT_MAX + 1];
	size_t		 i;

	memset(&im->batch, 0, sizeof(im->batch));
	memset(&a, 0, sizeof(a));
	a.source = SRC_IMPORT;
	a.reason = "imported";
	a.detail = detail;
	a.force = im->o->force;
	a.import_run = im->run;
	for (i = 0; i < im->nrows; i++) {
		r = im->order[i];
		if (r->outcome == SUB_DUPLICATE && im->o->dry_run) {
			tally(&im->batch, SUB_DUPLICATE);
			continue;
		}
		snprintf(detail, sizeof(detail), "%s line %lu", im->file_name,
		    r->line);
		a.address = r->address;
		a.key = r->key;
		a.name = r->name;
		a.status = r->status;
		a.created = r->created;
		if (subscriber_add(txn, im->o->list, &a, &r->outcome, &r->why) ==
		    -1)
			return -1;
		tally(&im->batch, r->outcome);
	}
	return im->o->dry_run ? STORE_ROLLBACK : 0;
}

static void
add_counts(struct import_counts *to, const struct import_counts *from)
{
	to->added += from->added;
	to->updated += from->updated;
	to->unchanged += from->unchanged;
	to->duplicate += from->duplicate;
	to->suppressed += from->suppressed;
}

/* By key, then by line: the first of duplicates stays first. */
static int
row_cmp(const void *a, const void *b)
{
	const struct row	*x = *(const struct row *const *)a;
	const struct row	*y = *(const struct row *const *)b;
	int			 c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Applies the batch in key order: neighbouring keys share pages of the
 * tree, so each page is visited once per batch.
 */
static void
sort_batch(struct import *im)
{
	size_t	i;

	for (i = 0; i < im->nrows; i++)
		im->order[i] = &im->rows[i];
	qsort(im->order, im->nrows, sizeof(*im->order), row_cmp);
}

static int
new_run(struct store_txn *txn, void *arg)
{
	return store_seq_next(txn, "import", arg);
}

/* Marks in-file duplicates for the dry run (no marks in the store). */
static int
mark_duplicates(struct import *im)
{
	size_t	i;
	int	rc;

	for (i = 0; i < im->nrows; i++) {
		if ((rc = keyset_add(&im->seen, im->rows[i].key)) == -1)
			return -1;
		im->rows[i].outcome = rc ? SUB_DUPLICATE : SUB_ADDED;
	}
	return 0;
}

static void
report_suppressed(struct import *im)
{
	size_t	i;

	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].outcome == SUB_SUPPRESSED)
			fprintf(im->o->report, "%s:%lu: %s: suppressed: %s\n",
			    im->o->file, im->rows[i].line, im->rows[i].address,
			    im->rows[i].why);
}

static int
import_rows(struct store *st, struct import *im, struct import_counts *n,
    char *err, size_t errlen)
{
	int	rc;

	while (read_batch(im, n)) {
		if (im->o->dry_run && mark_duplicates(im) == -1) {
			errf(err, errlen, "import: out of memory");
			return -1;
		}
		sort_batch(im);
		rc = store_update(st, apply_batch, im, err, errlen);
		store_trim(st);
		if (rc != 0 && rc != STORE_ROLLBACK)
			return -1;
		add_counts(n, &im->batch);
		report_suppressed(im);
		progress(im, n, 0);
	}
	return 0;
}

int
subscriber_import(struct store *st, FILE *in, const struct import_opts *o,
    struct import_counts *n, char *err, size_t errlen)
{
	struct import	 im;
	struct stat	 sb;
	const char	*base;
	int		 rc = -1;

	memset(n, 0, sizeof(*n));
	memset(&im, 0, sizeof(im));
	im.o = o;
	base = strrchr(o->file, '/');
	snprintf(im.file_name, sizeof(im.file_name), "%s", base ? base + 1 :
	    o->file);
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		im.size = (uint64_t)sb.st_size;
	if ((im.csv = csv_new(in)) == NULL ||
	    (im.rows = calloc(IMPORT_BATCH, sizeof(*im.rows))) == NULL ||
	    (im.order = calloc(IMPORT_BATCH, sizeof(*im.order))) == NULL ||
	    (im.arena = malloc(IMPORT_ARENA)) == NULL) {
		errf(err, errlen, "import: out of memory");
		goto out;
	}
	if (read_header(&im, err, errlen) == -1)
		goto out;
	if (!o->dry_run && store_update(st, new_run, &im.run, err, errlen) != 0)
		goto out;
	rc = import_rows(st, &im, n, err, errlen);
	progress(&im, n, 1);
out:
	csv_free(im.csv);
	free(im.rows);
	free(im.order);
	free(im.arena);
	free(im.seen.slot);
	return rc;
}

void
subscriber_time(int64_t t, char *buf, size_t size)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, size, "%s", "");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
export_one(const struct subscriber *s, void *arg)
{
	FILE	*out = arg;
	char	 created[32], changed[32], score[16];

	subscriber_time(s->created, created, sizeof(created));
	subscriber_time(s->changed, changed, sizeof(changed));
	snprintf(score, sizeof(score), "%d", (int)s->bounce_score);
	csv_put(out, s->address, 0);
	csv_put(out, s->name, 0);
	csv_put(out, subscriber_status_name(s->status), 0);
	csv_put(out, created, 0);
	csv_put(out, changed, 0);
	csv_put(out, subscriber_source_name(s->source), 0);
	csv_put(out, score, 1);
	return ferror(out) ? -1 : 0;
}

int
subscriber_export(struct store *st, const char *list, int status, FILE *out,
    char *err, size_t errlen)
{
	int	rc;

	fputs("email,name,status,created,changed,source,bounce_score\r\n", out);
	rc = subscriber_scan(st, list, status, export_one, out, err, errlen);
	if (rc == 0 && fflush(out) == EOF)
		rc = -1;
	if (rc != 0 && ferror(out))
		errf(err, errlen, "export: write error");
	return rc == 0 ? 0 : -1;
}
