/*
 * cmd_subscribers.c — the list admin's commands: lists, subscribe,
 * unsubscribe, import, export, subscribers and show.
 *
 * Each parses its arguments, opens the store (cli_store), does its work in
 * store transactions through subscriber.h and subscriber_csv.h, and prints
 * human output on stdout, problems on stderr.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "store.h"
#include "subscriber.h"
#include "subscriber_csv.h"
#include "utf8.h"

struct sub_args {
	const char	*list;
	const char	*arg;		/* ADDRESS or FILE */
	const char	*name;
	const char	*status;
	int		 force;
	int		 dry_run;
	int		 want_status;	/* parsed --status, or -1 */
};

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Who runs the command, for the event log: "admin uid 1000 (alice)". */
static void
admin_detail(char *buf, size_t size)
{
	struct passwd	*pw = getpwuid(getuid());

	snprintf(buf, size, "uid %u (%s)", (unsigned)getuid(),
	    pw ? pw->pw_name : "?");
}

/*
 * Parses LIST [ARG] and the options a command allows ("n" --name, "f"
 * --force, "s" --status, "d" --dry-run). Returns 0 or an exit code.
 */
static int
parse_args(int argc, char **argv, const char *allow, int want_arg,
    const char *usage, struct sub_args *a)
{
	enum sub_status	st;
	int		i;

	memset(a, 0, sizeof(*a));
	a->want_status = -1;
	for (i = 1; i < argc; i++) {
		if (strchr(allow, 'n') && cli_value(argc, argv, &i, "--name",
		    &a->name)) {
			if (a->name == NULL)
				return cli_usage("%s: --name needs a value", argv[0]);
		} else if (strchr(allow, 's') && cli_value(argc, argv, &i,
		    "--status", &a->status)) {
			if (a->status == NULL || subscriber_status_parse(a->status,
			    &st) == -1)
				return cli_usage("%s: --status is one of pending, "
				    "active, unsubscribed, bounced, complained",
				    argv[0]);
			a->want_status = (int)st;
		} else if (strchr(allow, 'f') && cli_flag(argv, i, "--force"))
			a->force = 1;
		else if (strchr(allow, 'd') && cli_flag(argv, i, "--dry-run"))
			a->dry_run = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("%s: unknown option %s", argv[0], argv[i]);
		else if (a->list == NULL)
			a->list = argv[i];
		else if (want_arg && a->arg == NULL)
			a->arg = argv[i];
		else
			return cli_usage("usage: dispatcher %s", usage);
	}
	if (a->list == NULL || (want_arg && a->arg == NULL))
		return cli_usage("usage: dispatcher %s", usage);
	return 0;
}

/* The store, after checking that the list is configured. */
static struct store *
open_list(struct cli *c, const char *list)
{
	struct config	*cfg;

	if ((cfg = cli_config(c)) == NULL)
		return NULL;
	if (config_list(cfg, list) == NULL) {
		log_error(NULL, "no list '%s' (no %s/%s.conf)", list,
		    cfg->lists_dir, list);
		return NULL;
	}
	return cli_store(c);
}

int
cmd_lists(struct cli *c, int argc, char **argv)
{
	struct config	*cfg;
	struct store	*st;
	uint64_t	 n[SUB_NSTATUS];
	char		 err[ERRLEN];
	size_t		 i;

	if (argc != 1)
		return cli_usage("usage: dispatcher lists");
	if ((cfg = cli_config(c)) == NULL || (st = cli_store(c)) == NULL)
		return EXIT_FAIL;
	printf("%-24s %10s %10s %12s %10s %10s\n", "LIST", "ACTIVE", "PENDING",
	    "UNSUBSCRIBED", "BOUNCED", "COMPLAINED");
	for (i = 0; i < cfg->nlists; i++) {
		if (subscriber_count(st, cfg->lists[i].name, n, err,
		    sizeof(err)) == -1) {
			log_error(NULL, "%s", err);
			return EXIT_FAIL;
		}
		printf("%-24s %10llu %10llu %12llu %10llu %10llu\n",
		    cfg->lists[i].name, (unsigned long long)n[SUB_ACTIVE],
		    (unsigned long long)n[SUB_PENDING],
		    (unsigned long long)n[SUB_UNSUBSCRIBED],
		    (unsigned long long)n[SUB_BOUNCED],
		    (unsigned long long)n[SUB_COMPLAINED]);
	}
	return EXIT_OK;
}

struct subscribe_job {
	const char		*list;
	struct sub_add		 add;
	enum sub_outcome	 outcome;
	const char		*why;
};

static int
subscribe_fn(struct store_txn *txn, void *arg)
{
	struct subscribe_job	*j = arg;

	return subscriber_add(txn, j->list, &j->add, &j->outcome, &j->why);
}

int
cmd_subscribe(struct cli *c, int argc, char **argv)
{
	struct sub_args		 a;
	struct subscribe_job	 j;
	struct store		*st;
	char			 addr[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	char			 detail[128], err[ERRLEN];
	const char		*why;
	int			 rc;

	if ((rc = parse_args(argc, argv, "nf", 1, "subscribe LIST ADDRESS "
	    "[--name NAME] [--force]", &a)) != 0)
		return rc;
	if (address_normalize(a.arg, addr, key, &why) == -1) {
		log_error(NULL, "%s: %s", a.arg, why);
		return EXIT_FAIL;
	}
	if (a.name && (strlen(a.name) > SUB_NAME_MAX || has_control(a.name) ||
	    utf8_check(a.name, strlen(a.name), NULL) == -1)) {
		log_error(NULL, "a name is one line of at most %d bytes of "
		    "UTF-8", SUB_NAME_MAX);
		return EXIT_FAIL;
	}
	if ((st = open_list(c, a.list)) == NULL)
		return EXIT_FAIL;
	admin_detail(detail, sizeof(detail));
	memset(&j, 0, sizeof(j));
	j.list = a.list;
	j.add.address = addr;
	j.add.key = key;
	j.add.name = a.name;
	j.add.status = SUB_ACTIVE;
	j.add.source = SRC_ADMIN;
	j.add.reason = "subscribed by the admin";
	j.add.detail = detail;
	j.add.force = a.force;
	if (store_update(st, subscribe_fn, &j, err, sizeof(err)) != 0) {
		log_error(NULL, "%s", err);
		return EXIT_FAIL;
	}
	switch (j.outcome) {
	case SUB_ADDED:
		printf("%s: added %s\n", a.list, addr);
		break;
	case SUB_UPDATED:
		printf("%s: updated %s\n", a.list, addr);
		break;
	case SUB_SUPPRESSED:
		log_error(NULL, "%s: not subscribed to %s: %s", addr, a.list,
		    j.why);
		return EXIT_FAIL;
	default:
		printf("%s: %s is already subscribed\n", a.list, addr);
		break;
	}
	return EXIT_OK;
}

struct unsubscribe_job {
	const char		*list;
	const char		*address;
	const char		*detail;
	struct subscriber	 s;
	int			 rc;
};

static int
unsubscribe_fn(struct store_txn *txn, void *arg)
{
	struct unsubscribe_job	*j = arg;

	if ((j->rc = subscriber_get(txn, j->list, j->address, &j->s)) != 0)
		return j->rc == STORE_NOTFOUND ? 0 : -1;
	if (j->s.status != SUB_ACTIVE && j->s.status != SUB_PENDING)
		return 0;	/* unsubscribed already, or suppressed */
	j->rc = subscriber_set_status(txn, j->list, j->address,
	    SUB_UNSUBSCRIBED, SRC_ADMIN, "unsubscribed by the admin", j->detail);
	return j->rc == -1 ? -1 : 0;
}

int
cmd_unsubscribe(struct cli *c, int argc, char **argv)
{
	struct sub_args		 a;
	struct unsubscribe_job	 j;
	struct store		*st;
	char			 detail[128], err[ERRLEN];
	int			 rc;

	if ((rc = parse_args(argc, argv, "", 1, "unsubscribe LIST ADDRESS",
	    &a)) != 0)
		return rc;
	if ((st = open_list(c, a.list)) == NULL)
		return EXIT_FAIL;
	admin_detail(detail, sizeof(detail));
	memset(&j, 0, sizeof(j));
	j.list = a.list;
	j.address = a.arg;
	j.detail = detail;
	if (store_update(st, unsubscribe_fn, &j, err, sizeof(err)) != 0) {
		log_error(NULL, "%s", err);
		return EXIT_FAIL;
	}
	if (j.rc == STORE_NOTFOUND) {
		log_error(NULL, "%s is not on %s", a.arg, a.list);
		return EXIT_FAIL;
	}
	if (j.s.status == SUB_ACTIVE || j.s.status == SUB_PENDING)
		printf("%s: unsubscribed %s\n", a.list, j.s.address);
	else
		printf("%s: %s is already %s\n", a.list, j.s.address,
		    subscriber_status_name(j.s.status));
	return EXIT_OK;
}

int
cmd_import(struct cli *c, int argc, char **argv)
{
	struct sub_args		 a;
	struct import_opts	 o;
	struct import_counts	 n;
	struct store		*st;
	FILE			*fp;
	char			 err[ERRLEN];
	int			 rc;

	if ((rc = parse_args(argc, argv, "fd", 1, "import LIST FILE.csv "
	    "[--dry-run] [--force]", &a)) != 0)
		return rc;
	if ((st = open_list(c, a.list)) == NULL)
		return EXIT_FAIL;
	if (strcmp(a.arg, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(a.arg, "rb")) == NULL) {
		log_error(NULL, "%s: %s", a.arg, strerror(errno));
		return EXIT_FAIL;
	}
	memset(&o, 0, sizeof(o));
	o.list = a.list;
	o.file = fp == stdin ? "stdin" : a.arg;
	o.dry_run = a.dry_run;
	o.force = a.force;
	o.progress = isatty(STDERR_FILENO);
	o.report = stderr;
	rc = subscriber_import(st, fp, &o, &n, err, sizeof(err));
	if (fp != stdin)
		fclose(fp);
	if (rc == -1) {
		log_error(NULL, "%s", err);
		return EXIT_FAIL;
	}
	printf("%s%s: %llu rows: %llu added, %llu updated, %llu unchanged, "
	    "%llu duplicates, %llu rejected, %llu suppressed\n",
	    a.dry_run ? "dry run, nothing changed: " : "", a.list,
	    (unsigned long long)n.rows, (unsigned long long)n.added,
	    (unsigned long long)n.updated, (unsigned long long)n.unchanged,
	    (unsigned long long)n.duplicate, (unsigned long long)n.rejected,
	    (unsigned long long)n.suppressed);
	return EXIT_OK;
}

int
cmd_export(struct cli *c, int argc, char **argv)
{
	struct sub_args	 a;
	struct store	*st;
	char		 err[ERRLEN];
	int		 rc;

	if ((rc = parse_args(argc, argv, "s", 0, "export LIST [--status S]",
	    &a)) != 0)
		return rc;
	if ((st = open_list(c, a.list)) == NULL)
		return EXIT_FAIL;
	if (subscriber_export(st, a.list, a.want_status, stdout, err,
	    sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
print_one(const struct subscriber *s, void *arg)
{
	printf("%s\t%s\t%s\n", s->address, subscriber_status_name(s->status),
	    s->name);
	return ferror(stdout) ? -1 : 0;
}

int
cmd_subscribers(struct cli *c, int argc, char **argv)
{
	struct sub_args	 a;
	struct store	*st;
	char		 err[ERRLEN];
	int		 rc;

	if ((rc = parse_args(argc, argv, "s", 0, "subscribers LIST [--status S]",
	    &a)) != 0)
		return rc;
	if ((st = open_list(c, a.list)) == NULL)
		return EXIT_FAIL;
	err[0] = '\0';
	if (subscriber_scan(st, a.list, a.want_status, print_one, NULL, err,
	    sizeof(err)) != 0 || fflush(stdout) == EOF) {
		log_error(NULL, "%s", err[0] ? err : "write error");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

#define SHOW_EVENTS_MAX	1000

struct show_job {
	const char		*list;
	const char		*address;
	struct subscriber	 s;
	char			 where[SUB_LIST_MAX + 1];
	enum sub_status		 why;
	int			 suppressed;
	struct sub_event	*ev;
	size_t			 nev, more;
	int			 rc;
};

static int
collect_event(const struct sub_event *e, void *arg)
{
	struct show_job	*j = arg;

	if (j->nev == SHOW_EVENTS_MAX) {	/* keep the latest ones */
		memmove(j->ev, j->ev + 1, sizeof(*j->ev) * (j->nev - 1));
		j->nev--;
		j->more++;
	}
	j->ev[j->nev++] = *e;
	return 0;
}

static int
show_fn(struct store_txn *txn, void *arg)
{
	struct show_job	*j = arg;

	j->nev = j->more = 0;
	if ((j->rc = subscriber_get(txn, j->list, j->address, &j->s)) != 0)
		return j->rc == STORE_NOTFOUND ? 0 : -1;
	if ((j->suppressed = subscriber_suppressed(txn, j->s.key, j->where,
	    &j->why)) == -1)
		return -1;
	return subscriber_events(txn, j->list, j->s.key, collect_event, j);
}

static void
show_print(const struct show_job *j)
{
	const struct subscriber	*s = &j->s;
	char			 t1[32], t2[32];
	size_t			 i;

	subscriber_time(s->created, t1, sizeof(t1));
	subscriber_time(s->changed, t2, sizeof(t2));
	printf("address:      %s\nlist:         %s\nname:         %s\n"
	    "status:       %s\ncreated:      %s\nchanged:      %s (%s)\n"
	    "bounce score: %d\n", s->address, j->list, s->name,
	    subscriber_status_name(s->status), t1, t2,
	    subscriber_source_name(s->source), (int)s->bounce_score);
	if (j->suppressed)
		printf("suppressed:   %s on %s: not added to any list without "
		    "--force\n", subscriber_status_name(j->why), j->where);
	printf("bounces:%s\n", s->nbounces ? "" : "      none");
	for (i = 0; i < s->nbounces; i++) {
		subscriber_time(s->bounces[i].when, t1, sizeof(t1));
		printf("  %s  %c  %s  %s\n", t1, s->bounces[i].kind,
		    s->bounces[i].status, s->bounces[i].text);
	}
	printf("events:\n");
	if (j->more)
		printf("  (%zu earlier events not shown)\n", j->more);
	for (i = 0; i < j->nev; i++) {
		subscriber_time(j->ev[i].when, t1, sizeof(t1));
		printf("  %s  %-9s %s -> %s: %s%s%s\n", t1,
		    subscriber_source_name(j->ev[i].source),
		    subscriber_status_name(j->ev[i].from),
		    subscriber_status_name(j->ev[i].to), j->ev[i].reason,
		    *j->ev[i].detail ? ", " : "", j->ev[i].detail);
	}
}

int
cmd_show(struct cli *c, int argc, char **argv)
{
	struct sub_args	 a;
	struct show_job	*j = NULL;
	struct store	*st;
	char		 err[ERRLEN];
	int		 rc;

	if ((rc = parse_args(argc, argv, "", 1, "show LIST ADDRESS", &a)) != 0)
		return rc;
	if ((st = open_list(c, a.list)) == NULL)
		return EXIT_FAIL;
	rc = EXIT_FAIL;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->ev = calloc(SHOW_EVENTS_MAX, sizeof(*j->ev))) == NULL) {
		log_error(NULL, "out of memory");
		goto out;
	}
	j->list = a.list;
	j->address = a.arg;
	if (store_view(st, show_fn, j, err, sizeof(err)) != 0) {
		log_error(NULL, "%s", err);
		goto out;
	}
	if (j->rc == STORE_NOTFOUND) {
		log_error(NULL, "%s is not on %s", a.arg, a.list);
		goto out;
	}
	show_print(j);
	rc = EXIT_OK;
out:
	if (j)
		free(j->ev);
	free(j);
	return rc;
}
