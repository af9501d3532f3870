/*
 * cmd_send.c — the sending commands: `send` (compose once, enqueue,
 * deliver), `deliver` (what is due: cron runs it), `status` (where an issue
 * stands) and `test` (one real copy, not recorded).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "cli.h"
#include "compose.h"
#include "deliver.h"
#include "log.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

struct send_args {
	const char	*issue;
	const char	*list;
	const char	*to;
	int		 queue_only;
	int		 force;
};

static int
parse_send(int argc, char **argv, struct send_args *a, int want_to)
{
	int	i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (cli_value(argc, argv, &i, "--list", &a->list)) {
			if (a->list == NULL)
				return cli_usage("%s: --list needs a value", argv[0]);
		} else if (want_to && cli_value(argc, argv, &i, "--to", &a->to)) {
			if (a->to == NULL)
				return cli_usage("%s: --to needs a value", argv[0]);
		} else if (!want_to && cli_flag(argv, i, "--queue-only"))
			a->queue_only = 1;
		else if (!want_to && cli_flag(argv, i, "--force"))
			a->force = 1;
		else if (argv[i][0] == '-' || a->issue)
			return cli_usage("%s: unexpected argument %s", argv[0],
			    argv[i]);
		else
			a->issue = argv[i];
	}
	if (a->issue == NULL || a->list == NULL || (want_to && a->to == NULL))
		return cli_usage("usage: dispatcher %s ISSUE.md --list LIST%s",
		    argv[0], want_to ? " --to ADDRESS" : " [--queue-only] [--force]");
	return 0;
}

/* Renders the issue for the list: NULL on error (already reported). */
static struct composed_issue *
render_issue(struct cli *c, const struct send_args *a, struct token_key *key,
    struct issue **isp)
{
	struct config		*cfg = cli_config(c);
	const struct list_conf	*list;
	struct composed_issue	*ci;
	struct diag		 w = { 0 };
	char			 err[ERRLEN];

	if (cfg == NULL)
		return NULL;
	if ((list = config_list(cfg, a->list)) == NULL) {
		log_error(NULL, "no list '%s' (no %s/%s.conf)", a->list,
		    cfg->lists_dir, a->list);
		return NULL;
	}
	if (token_key_load(cfg->secret_file, key, err, sizeof(err)) == -1 ||
	    (*isp = issue_load(a->issue, err, sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		return NULL;
	}
	sign_warn_future(cfg, a->issue, (*isp)->date, time(NULL));
	if ((ci = compose_issue(cfg, list, *isp, key, &w, err,
	    sizeof(err))) == NULL)
		log_error(NULL, "%s", err);
	diag_print(&w, stderr);
	diag_free(&w);
	return ci;
}

/*
 * Runs the worker. When another one holds the spool, `send` is done (that
 * worker delivers what was just queued) and `deliver` says so and asks to
 * be run again later (75).
 */
static int
run_deliver(struct cli *c, enum deliver_mode mode, double seconds,
    int from_send)
{
	struct deliver_opts	o = { mode, seconds, 1 };
	struct deliver_stats	s;
	struct store		*st;
	char			err[ERRLEN];
	int			rc;

	if ((st = cli_store(c)) == NULL)
		return EXIT_FAIL;
	if ((rc = deliver_run(c->cfg, st, &o, &s, err, sizeof(err))) ==
	    DELIVER_BUSY) {
		log_info("deliver", "%s%s", err, from_send ?
		    "; it will deliver what was queued" : "");
		return from_send ? EXIT_OK : EXIT_TEMPFAIL;
	}
	if (rc == -1) {
		log_error("deliver", "%s", err);
		return EXIT_FAIL;
	}
	return s.waiting ? EXIT_TEMPFAIL : EXIT_OK;
}

int
cmd_send(struct cli *c, int argc, char **argv)
{
	struct send_args	 a;
	struct token_key	 key;
	struct issue		*is = NULL;
	struct composed_issue	*ci = NULL;
	struct spool_issue	 si;
	struct store		*st;
	struct buf		 saved;
	char			 err[ERRLEN], *copy;
	size_t			 added;
	int			 rc, created;

	if ((rc = parse_send(argc, argv, &a, 0)) != 0)
		return rc;
	rc = EXIT_FAIL;
	buf_init(&saved, 0);
	if ((ci = render_issue(c, &a, &key, &is)) == NULL ||
	    (st = cli_store(c)) == NULL)
		goto out;
	copy = strdup(a.issue);
	if (copy == NULL || compose_save(ci, &saved) == -1 ||
	    spool_issue_add(st, a.list, basename(copy), is->hash,
	    compose_issue_id(ci), saved.data, saved.len, a.force, &si,
	    &created, err, sizeof(err)) == -1 ||
	    spool_enqueue(st, si.seq, 5000, &added, err, sizeof(err)) == -1) {
		log_error("send", "%s", err[0] ? err : "out of memory");
		free(copy);
		goto out;
	}
	free(copy);
	printf("issue %u (%s) for list %s: %s; %zu entries enqueued now, "
	    "%u in all\n", si.seq, si.name, si.list, created ? "new" :
	    "already in the spool", added, si.entries + (uint32_t)added);
	fflush(stdout);
	rc = a.queue_only ? EXIT_OK : run_deliver(c, DELIVER_DUE, 0, 1);
out:
	buf_free(&saved);
	compose_free(ci);
	issue_free(is);
	explicit_bzero(&key, sizeof(key));
	return rc;
}

int
cmd_deliver(struct cli *c, int argc, char **argv)
{
	enum deliver_mode	 mode = DELIVER_DUE;
	double			 seconds = 0;
	const char		*v;
	char			*end;
	int			 i;

	for (i = 1; i < argc; i++) {
		if (cli_flag(argv, i, "--until-empty"))
			mode = DELIVER_UNTIL_EMPTY;
		else if (cli_value(argc, argv, &i, "--for", &v)) {
			if (v == NULL || (seconds = strtod(v, &end)) <= 0 || *end)
				return cli_usage("deliver: --for takes seconds");
			mode = DELIVER_FOR;
		} else
			return cli_usage("usage: dispatcher deliver "
			    "[--until-empty | --for SECONDS]");
	}
	return run_deliver(c, mode, seconds, 0);
}

int
cmd_test(struct cli *c, int argc, char **argv)
{
	struct send_args	 a;
	struct token_key	 key;
	struct issue		*is = NULL;
	struct composed_issue	*ci;
	struct recipient	 r;
	struct buf		 msg;
	struct signer		*sg = NULL;
	char			 err[ERRLEN], reply[600];
	int			 rc;

	if ((rc = parse_send(argc, argv, &a, 1)) != 0)
		return rc;
	if ((ci = render_issue(c, &a, &key, &is)) == NULL) {
		issue_free(is);
		return EXIT_FAIL;
	}
	buf_init(&msg, 0);
	r.address = a.to;
	r.name = NULL;
	rc = EXIT_FAIL;
	if (sign_open(c->cfg, sign_strict(c->cfg), &sg, err,
	    sizeof(err)) == -1 ||
	    compose_message(ci, &r, &msg, err, sizeof(err)) == -1 ||
	    sign_message(sg, compose_list(ci), &msg, err, sizeof(err)) == -1 ||
	    deliver_one(c->cfg, compose_list(ci)->from_address, a.to, msg.data,
	    msg.len, reply, sizeof(reply), err, sizeof(err)) == -1)
		log_error("test", "%s", err);
	else {
		printf("test copy to %s: %s\n", a.to, reply);
		rc = EXIT_OK;
	}
	buf_free(&msg);
	sign_free(sg);
	compose_free(ci);
	issue_free(is);
	explicit_bzero(&key, sizeof(key));
	return rc;
}
