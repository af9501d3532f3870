/*
 * test_subscribers.c — subscribers over a real store: adding, the status
 * rules (suppression across lists, no re-activation by import, --force),
 * the event log, status changes by other modules, and the CSV import and
 * export (headers of other tools, bad rows, duplicates, round trip).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "subscriber.h"
#include "subscriber_csv.h"
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

struct add_job {
	const char		*list;
	struct sub_add		 a;
	char			 addr[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	enum sub_outcome	 outcome;
	const char		*why;
};

static int
add_fn(struct store_txn *txn, void *arg)
{
	struct add_job	*j = arg;

	return subscriber_add(txn, j->list, &j->a, &j->outcome, &j->why);
}

/* Adds address to list; returns the outcome, or -1. */
static int
add(struct store *st, const char *list, const char *address,
    enum sub_source src, int force)
{
	struct add_job	j;
	char		err[ERRLEN];

	memset(&j, 0, sizeof(j));
	if (address_normalize(address, j.addr, j.key, NULL) == -1)
		return -1;
	j.list = list;
	j.a.address = j.addr;
	j.a.key = j.key;
	j.a.name = "N";
	j.a.status = SUB_ACTIVE;
	j.a.source = src;
	j.a.reason = "test";
	j.a.force = force;
	if (store_update(st, add_fn, &j, err, sizeof(err)) != 0) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	return (int)j.outcome;
}

struct status_job {
	const char	*list, *address;
	enum sub_status	 to;
	enum sub_source	 src;
	int		 rc;
};

static int
status_fn(struct store_txn *txn, void *arg)
{
	struct status_job	*j = arg;

	j->rc = subscriber_set_status(txn, j->list, j->address, j->to, j->src,
	    "why", "who");
	return j->rc == -1 ? -1 : 0;
}

static int
set_status(struct store *st, const char *list, const char *address,
    enum sub_status to, enum sub_source src)
{
	struct status_job	j = { list, address, to, src, 0 };
	char			err[ERRLEN];

	if (store_update(st, status_fn, &j, err, sizeof(err)) != 0)
		return -1;
	return j.rc;
}

struct get_job {
	const char		*list, *address;
	struct subscriber	 s;
	struct sub_event	 ev[16];
	size_t			 nev;
	int			 rc;
};

static int
collect(const struct sub_event *e, void *arg)
{
	struct get_job	*j = arg;

	if (j->nev < 16)
		j->ev[j->nev++] = *e;
	return 0;
}

static int
get_fn(struct store_txn *txn, void *arg)
{
	struct get_job	*j = arg;

	j->nev = 0;
	if ((j->rc = subscriber_get(txn, j->list, j->address, &j->s)) != 0)
		return j->rc == STORE_NOTFOUND ? 0 : -1;
	return subscriber_events(txn, j->list, j->s.key, collect, j);
}

static struct get_job *
get(struct store *st, const char *list, const char *address)
{
	static struct get_job	j;
	char			err[ERRLEN];

	memset(&j, 0, sizeof(j));
	j.list = list;
	j.address = address;
	if (store_view(st, get_fn, &j, err, sizeof(err)) != 0)
		j.rc = -1;
	return &j;
}

TEST(subscriber_add_is_case_insensitive)
{
	struct store	*st;
	struct get_job	*g;

	REQUIRE((st = fresh()) != NULL);
	CHECK(add(st, "weekly", "Ann@Example.com", SRC_ADMIN, 0) == SUB_ADDED);
	CHECK(add(st, "weekly", "ann@EXAMPLE.COM", SRC_ADMIN, 0) ==
	    SUB_UNCHANGED);
	CHECK(add(st, "daily", "ann@example.com", SRC_ADMIN, 0) == SUB_ADDED);
	g = get(st, "weekly", "ANN@example.com");
	CHECK(g->rc == 0);
	CHECK_STR(g->s.address, "Ann@example.com");
	CHECK_STR(g->s.key, "ann@example.com");
	CHECK(g->s.status == SUB_ACTIVE);
	CHECK(g->s.source == SRC_ADMIN);
	CHECK(g->s.created > 0 && g->s.changed >= g->s.created);
	CHECK(g->nev == 1);
	CHECK(g->ev[0].from == SUB_NONE && g->ev[0].to == SUB_ACTIVE);
	CHECK(get(st, "weekly", "other@example.com")->rc == STORE_NOTFOUND);
	store_close(st);
}

TEST(subscriber_unsubscribed_never_reactivated_by_import)
{
	struct store	*st;

	REQUIRE((st = fresh()) != NULL);
	CHECK(add(st, "weekly", "r@example.com", SRC_ADMIN, 0) == SUB_ADDED);
	CHECK(set_status(st, "weekly", "r@example.com", SUB_UNSUBSCRIBED,
	    SRC_READER) == 0);
	CHECK(set_status(st, "weekly", "r@example.com", SUB_UNSUBSCRIBED,
	    SRC_READER) == STORE_KEYEXIST);
	CHECK(add(st, "weekly", "r@example.com", SRC_IMPORT, 0) ==
	    SUB_SUPPRESSED);
	CHECK(add(st, "weekly", "r@example.com", SRC_IMPORT, 1) ==
	    SUB_SUPPRESSED);
	CHECK(get(st, "weekly", "r@example.com")->s.status == SUB_UNSUBSCRIBED);
	/* the admin may, when forced */
	CHECK(add(st, "weekly", "r@example.com", SRC_ADMIN, 0) ==
	    SUB_SUPPRESSED);
	CHECK(add(st, "weekly", "r@example.com", SRC_ADMIN, 1) == SUB_UPDATED);
	CHECK(get(st, "weekly", "r@example.com")->s.status == SUB_ACTIVE);
	/* leaving one list is not leaving another */
	CHECK(add(st, "daily", "r@example.com", SRC_IMPORT, 0) == SUB_ADDED);
	store_close(st);
}

TEST(subscriber_bounced_and_complained_suppressed_everywhere)
{
	struct store	*st;
	struct get_job	*g;

	REQUIRE((st = fresh()) != NULL);
	CHECK(add(st, "weekly", "b@example.com", SRC_ADMIN, 0) == SUB_ADDED);
	CHECK(add(st, "weekly", "c@example.com", SRC_ADMIN, 0) == SUB_ADDED);
	CHECK(set_status(st, "weekly", "b@example.com", SUB_BOUNCED,
	    SRC_BOUNCE) == 0);
	CHECK(set_status(st, "weekly", "C@example.com", SUB_COMPLAINED,
	    SRC_COMPLAINT) == 0);
	/* not re-added to this list nor added to another, without force */
	CHECK(add(st, "weekly", "b@example.com", SRC_IMPORT, 0) ==
	    SUB_SUPPRESSED);
	CHECK(add(st, "weekly", "b@example.com", SRC_ADMIN, 0) ==
	    SUB_SUPPRESSED);
	CHECK(add(st, "daily", "B@example.com", SRC_IMPORT, 0) ==
	    SUB_SUPPRESSED);
	CHECK(add(st, "daily", "c@example.com", SRC_ADMIN, 0) ==
	    SUB_SUPPRESSED);
	CHECK(get(st, "daily", "b@example.com")->rc == STORE_NOTFOUND);
	/* with force they are */
	CHECK(add(st, "daily", "c@example.com", SRC_ADMIN, 1) == SUB_ADDED);
	CHECK(add(st, "weekly", "b@example.com", SRC_IMPORT, 1) == SUB_UPDATED);
	g = get(st, "weekly", "b@example.com");
	CHECK(g->s.status == SUB_ACTIVE);
	CHECK(g->nev == 3);
	CHECK(g->ev[1].to == SUB_BOUNCED && g->ev[1].source == SRC_BOUNCE);
	CHECK_STR(g->ev[1].reason, "why");
	CHECK_STR(g->ev[1].detail, "who");
	CHECK(g->ev[2].from == SUB_BOUNCED && g->ev[2].to == SUB_ACTIVE);
	CHECK(g->ev[0].seq < g->ev[1].seq && g->ev[1].seq < g->ev[2].seq);
	/* b is no longer bounced anywhere: daily takes it without force */
	CHECK(add(st, "daily", "b@example.com", SRC_IMPORT, 0) == SUB_ADDED);
	/* a complainer who then unsubscribes stays suppressed elsewhere */
	CHECK(set_status(st, "weekly", "c@example.com", SUB_UNSUBSCRIBED,
	    SRC_READER) == 0);
	CHECK(add(st, "monthly", "c@example.com", SRC_IMPORT, 0) ==
	    SUB_SUPPRESSED);
	CHECK(set_status(st, "weekly", "nobody@example.com", SUB_BOUNCED,
	    SRC_BOUNCE) == STORE_NOTFOUND);
	store_close(st);
}

static int
put_bounces(struct store_txn *txn, void *arg)
{
	struct subscriber	s;
	int			i;

	if (subscriber_get(txn, "weekly", "h@example.com", &s) != 0)
		return -1;
	for (i = 0; i < SUB_BOUNCES_MAX + 3; i++)
		subscriber_bounce_push(&s, 1000 + i, "5.1.1", 'h', "user unknown");
	s.bounce_score = 7;
	return subscriber_put(txn, "weekly", &s);
}

TEST(subscriber_bounce_history_kept)
{
	struct store	*st;
	struct get_job	*g;
	char		 err[ERRLEN];

	REQUIRE((st = fresh()) != NULL);
	CHECK(add(st, "weekly", "h@example.com", SRC_ADMIN, 0) == SUB_ADDED);
	CHECK(store_update(st, put_bounces, NULL, err, sizeof(err)) == 0);
	g = get(st, "weekly", "h@example.com");
	CHECK(g->s.bounce_score == 7);
	CHECK(g->s.nbounces == SUB_BOUNCES_MAX);
	CHECK(g->s.bounces[0].when == 1003);
	CHECK_STR(g->s.bounces[SUB_BOUNCES_MAX - 1].status, "5.1.1");
	CHECK(g->s.status == SUB_ACTIVE);
	store_close(st);
}

/* Runs an import of csv into list; the report goes into *report. */
static int
import(struct store *st, const char *list, const char *csv, int dry,
    struct import_counts *n, char **report)
{
	struct import_opts	 o;
	FILE			*in, *rep;
	size_t			 rlen;
	char			 err[ERRLEN];
	int			 rc;

	in = fmemopen((void *)(uintptr_t)csv, strlen(csv), "r");
	rep = open_memstream(report, &rlen);
	if (in == NULL || rep == NULL)
		return -1;
	memset(&o, 0, sizeof(o));
	o.list = list;
	o.file = "t.csv";
	o.dry_run = dry;
	o.report = rep;
	if ((rc = subscriber_import(st, in, &o, n, err, sizeof(err))) == -1)
		fprintf(rep, "ERROR %s\n", err);
	fclose(in);
	fclose(rep);
	return rc;
}

TEST(subscriber_import_rows_and_report)
{
	struct store		*st;
	struct import_counts	 n;
	char			*rep = NULL;

	REQUIRE((st = fresh()) != NULL);
	CHECK(add(st, "weekly", "old@example.com", SRC_ADMIN, 0) == SUB_ADDED);
	CHECK(import(st, "weekly",
	    "\xef\xbb\xbfName,E-Mail,Extra\r\n"
	    "\"Doe, Jane\",jane@example.com,1\r\n"
	    "Bob,not an@example.com,2\r\n"
	    "Old,OLD@example.com,3\r\n"
	    "Jane again,JANE@Example.com,4\r\n"
	    "\"multi\nline\",multi@example.com,5\r\n"
	    "Bad,\"=cmd@example.com\",6\r\n"
	    "Ctl,\"ctl@example.com\",\"\"\r\n"
	    "Zed,zed@example.com,\r\n", 0, &n, &rep) == 0);
	CHECK(n.rows == 8);
	CHECK(n.added == 4);		/* jane, =cmd, ctl, zed */
	CHECK(n.updated == 1);		/* old: the name */
	CHECK(n.duplicate == 1);
	CHECK(n.rejected == 2);
	CHECK(strstr(rep, "t.csv:3: not an@example.com: space in the "
	    "address") !=
	    NULL);
	CHECK(strstr(rep, "t.csv:6: multi@example.com: control character in "
	    "the name") != NULL);
	CHECK_STR(get(st, "weekly", "jane@example.com")->s.name, "Doe, Jane");
	CHECK_STR(get(st, "weekly", "old@example.com")->s.name, "Old");
	free(rep);
	store_close(st);
}

TEST(subscriber_import_header_variants)
{
	struct store		*st;
	struct import_counts	 n;
	char			*rep = NULL;

	REQUIRE((st = fresh()) != NULL);
	/* Mailchimp */
	CHECK(import(st, "a", "Email Address,First Name,Last Name,MEMBER_RATING\n"
	    "mc@example.com,Mary,Chimp,2\n", 0, &n, &rep) == 0);
	CHECK(n.added == 1);
	CHECK_STR(get(st, "a", "mc@example.com")->s.name, "Mary Chimp");
	free(rep);
	/* listmonk */
	CHECK(import(st, "b", "uuid,email,name,attributes,status,created_at,"
	    "updated_at\nx,lm@example.com,Lis Monk,{},blocklisted,"
	    "2024-03-01 10:00:00,2024-03-02 10:00:00\n"
	    "y,on@example.com,On,{},enabled,,\n", 0, &n, &rep) == 0);
	CHECK(n.added == 2);
	CHECK(get(st, "b", "lm@example.com")->s.status == SUB_UNSUBSCRIBED);
	CHECK(get(st, "b", "lm@example.com")->s.created == 1709287200);
	CHECK(get(st, "b", "on@example.com")->s.status == SUB_ACTIVE);
	free(rep);
	/* no email column */
	CHECK(import(st, "c", "name,phone\nx,1\n", 0, &n, &rep) == -1);
	CHECK(strstr(rep, "no email column") != NULL);
	free(rep);
	CHECK(import(st, "c", "\xff\xfe" "e", 0, &n, &rep) == -1);
	CHECK(strstr(rep, "UTF-16") != NULL);
	free(rep);
	CHECK(import(st, "c", "", 0, &n, &rep) == -1);
	CHECK(strstr(rep, "the file is empty") != NULL);
	free(rep);
	CHECK(import(st, "c", "email,status\nq@example.com,weird\n", 0, &n,
	    &rep) == 0);
	CHECK(n.rejected == 1 && n.added == 0);
	CHECK(strstr(rep, "t.csv:2: q@example.com: unknown status") != NULL);
	free(rep);
	store_close(st);
}

TEST(subscriber_import_dry_run_changes_nothing)
{
	struct store		*st;
	struct import_counts	 n;
	char			*rep = NULL;

	REQUIRE((st = fresh()) != NULL);
	CHECK(import(st, "weekly", "email\na@example.com\nA@example.com\n"
	    "b@example.com\n", 1, &n, &rep) == 0);
	CHECK(n.added == 2 && n.duplicate == 1);
	CHECK(get(st, "weekly", "a@example.com")->rc == STORE_NOTFOUND);
	free(rep);
	store_close(st);
}

TEST(subscriber_export_round_trip)
{
	struct store		*st;
	struct import_counts	 n;
	char			*rep = NULL, *csv = NULL, err[ERRLEN];
	size_t			 len = 0;
	FILE			*fp;

	REQUIRE((st = fresh()) != NULL);
	CHECK(import(st, "weekly", "email,name\n"
	    "-minus@example.com,\"=SUM(A1:A2)\"\n"
	    "plain@example.com,\"Quote \"\"me\"\", please\"\n"
	    "u@example.com,Gone\n", 0, &n, &rep) == 0);
	free(rep);
	CHECK(set_status(st, "weekly", "u@example.com", SUB_UNSUBSCRIBED,
	    SRC_READER) == 0);
	REQUIRE((fp = open_memstream(&csv, &len)) != NULL);
	CHECK(subscriber_export(st, "weekly", -1, fp, err, sizeof(err)) == 0);
	fclose(fp);
	CHECK(strncmp(csv, "email,name,status,created,changed,source,"
	    "bounce_score\r\n", 52) == 0);
	CHECK(strstr(csv, "\"'-minus@example.com\",\"'=SUM(A1:A2)\",active,") !=
	    NULL);
	CHECK(import(st, "copy", csv, 0, &n, &rep) == 0);
	CHECK(n.added == 3 && n.rejected == 0);
	CHECK_STR(get(st, "copy", "-minus@example.com")->s.name, "=SUM(A1:A2)");
	CHECK_STR(get(st, "copy", "plain@example.com")->s.name,
	    "Quote \"me\", please");
	CHECK(get(st, "copy", "u@example.com")->s.status == SUB_UNSUBSCRIBED);
	free(rep);
	free(csv);
	store_close(st);
}
