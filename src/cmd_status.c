/*
 * cmd_status.c — `dispatcher status [ISSUE]`: where an issue stands.
 *
 * ISSUE is the issue's number in the spool, or the file name it was sent
 * from (the newest issue of that name); the default is the newest issue.
 * Prints the entries per state, failures split into bounced (the mailbox
 * is gone), policy (5.7.x: the sender's reputation, not the reader's) and
 * other; the delivery rate over the last minute and the time left at that
 * rate; and the ten recipient domains with the most entries.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "spool.h"
#include "store.h"

#define TOP_DOMAINS	10

struct domain_count {
	char	domain[256];
	size_t	counts[ENTRY_NSTATES];
	size_t	total;
};

struct tally {
	size_t			 counts[ENTRY_NSTATES];
	size_t			 total, policy, recent;
	int64_t			 now;
	struct domain_count	*domains;
	size_t			 ndomains, cap;
};

static struct domain_count *
domain_slot(struct tally *t, const char *d)
{
	struct domain_count	*dc;
	size_t			 i;

	for (i = 0; i < t->ndomains; i++)
		if (strcasecmp(t->domains[i].domain, d) == 0)
			return &t->domains[i];
	if (t->ndomains == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		if ((dc = realloc(t->domains, t->cap * sizeof(*dc))) == NULL)
			abort();
		t->domains = dc;
	}
	dc = &t->domains[t->ndomains++];
	memset(dc, 0, sizeof(*dc));
	snprintf(dc->domain, sizeof(dc->domain), "%s", d);
	return dc;
}

static void
count_entry(const struct spool_entry *e, void *arg)
{
	struct tally		*t = arg;
	struct domain_count	*dc;

	t->counts[e->state]++;
	t->total++;
	if (e->state == ENTRY_FAILED && strstr(e->reply, " 5.7.") != NULL)
		t->policy++;
	if ((e->state == ENTRY_SENT || e->state == ENTRY_FAILED) &&
	    e->changed >= t->now - 60)
		t->recent++;
	if (t->ndomains < 100000) {	/* a bound on memory for huge lists */
		dc = domain_slot(t, address_domain(e->address));
		dc->counts[e->state]++;
		dc->total++;
	}
}

static int
by_total(const void *a, const void *b)
{
	const struct domain_count *x = a, *y = b;

	return x->total < y->total ? 1 : x->total > y->total ? -1 :
	    strcmp(x->domain, y->domain);
}

static int
find_issue(struct store *st, const char *arg, struct spool_issue *is,
    char *err, size_t errlen)
{
	char		*end;
	unsigned long	 n;
	uint32_t	 seq;
	int		 rc;

	if (arg == NULL)
		return spool_issue_latest(st, is, err, errlen);
	n = strtoul(arg, &end, 10);
	if (*arg && *end == '\0' && n > 0 && n <= UINT32_MAX)
		return spool_issue_get(st, (uint32_t)n, is, NULL, NULL, err, errlen);
	/* by file name: the newest issue sent from it */
	if ((rc = spool_issue_latest(st, is, err, errlen)) != 0)
		return rc;
	for (seq = is->seq; seq > 0; seq--) {
		const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
		if (spool_issue_get(st, seq, is, NULL, NULL, err, errlen) == 0 &&
		    strcmp(is->name, base) == 0)
			return 0;
	}
	errf(err, errlen, "no issue named %s in the spool", arg);
	return 1;
}

static void
print_tally(const struct spool_issue *is, struct tally *t)
{
	size_t	remaining = t->counts[ENTRY_QUEUED] + t->counts[ENTRY_SENDING] +
		    t->counts[ENTRY_DEFERRED], i;
	double	rate = t->recent / 60.0;
	char	when[64];
	time_t	created = (time_t)is->created;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
	printf("issue %u: %s, list %s, id %s, enqueued %s%s\n", is->seq,
	    is->name, is->list, is->issue_id, when, is->enqueued ? "" :
	    " (enqueue not finished)");
	printf("  entries %zu: queued %zu, sending %zu, sent %zu, deferred %zu, "
	    "failed %zu, skipped %zu\n", t->total, t->counts[ENTRY_QUEUED],
	    t->counts[ENTRY_SENDING], t->counts[ENTRY_SENT],
	    t->counts[ENTRY_DEFERRED], t->counts[ENTRY_FAILED] +
	    t->counts[ENTRY_BOUNCED], t->counts[ENTRY_SKIPPED]);
	printf("  failed: %zu bounced (a report came back), %zu policy (5.7.x, "
	    "counted against the sender), %zu other\n",
	    t->counts[ENTRY_BOUNCED], t->policy,
	    t->counts[ENTRY_FAILED] - t->policy);
	if (remaining == 0)
		printf("  done\n");
	else if (rate > 0)
		printf("  rate %.1f/s over the last minute; %zu left, about "
		    "%.0f s to go at that rate\n", rate, remaining,
		    remaining / rate);
	else
		printf("  %zu left; nothing delivered in the last minute\n",
		    remaining);
	qsort(t->domains, t->ndomains, sizeof(*t->domains), by_total);
	for (i = 0; i < t->ndomains && i < TOP_DOMAINS; i++)
		printf("  %-28s %6zu: sent %zu, deferred %zu, failed %zu, "
		    "queued %zu\n", t->domains[i].domain, t->domains[i].total,
		    t->domains[i].counts[ENTRY_SENT],
		    t->domains[i].counts[ENTRY_DEFERRED],
		    t->domains[i].counts[ENTRY_FAILED],
		    t->domains[i].counts[ENTRY_QUEUED]);
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	struct store		*st;
	struct spool_issue	 is;
	struct tally		 t;
	char			 err[ERRLEN] = "";
	int			 rc;

	if (argc > 2)
		return cli_usage("usage: dispatcher status [ISSUE]");
	if ((st = cli_store(c)) == NULL)
		return EXIT_FAIL;
	if ((rc = find_issue(st, argc > 1 ? argv[1] : NULL, &is, err,
	    sizeof(err))) != 0) {
		if (rc == 1 && argc == 1) {
			printf("the spool holds no issue yet\n");
			return EXIT_OK;
		}
		log_error("status", "%s", err);
		return EXIT_FAIL;
	}
	memset(&t, 0, sizeof(t));
	t.now = time(NULL);
	if (spool_entries(st, is.seq, count_entry, &t, err, sizeof(err)) == -1) {
		log_error("status", "%s", err);
		free(t.domains);
		return EXIT_FAIL;
	}
	print_tally(&is, &t);
	free(t.domains);
	return EXIT_OK;
}
