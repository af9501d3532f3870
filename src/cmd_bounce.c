/*
 * cmd_bounce.c — `dispatcher bounce`: reads what comes back and acts on it.
 *
 *   bounce [--rcpt ADDRESS] [FILE...]   each FILE, or one message on stdin
 *   bounce --maildir DIR | --imap | --pop3
 *   bounce --dry-run ...                classify only, JSON Lines on stdout
 *
 * Each message is parsed (bounce_parse) and applied to the store
 * (bounce_apply), and one line on stdout says what it changed. --rcpt is
 * the envelope recipient an MTA pipe passes (the VERP address). The mailbox
 * sources (mailbox.h) mark a message processed only after bounce_apply has
 * committed its effects, and leave mail about nobody we know where it is.
 *
 * --dry-run changes nothing and marks nothing; it prints, for each
 * recipient a message reports on, one JSON object a line. The keys come in
 * a fixed order: recipient, status, class, reason, then policy, format,
 * action, diagnostic, remote_mta, original_recipient, feedback_type,
 * message_id (of the original message) and envelope (the addresses the
 * bounce was delivered to). Unknown values are null. An ignored message
 * that names no recipient prints nothing.
 *
 * Exit codes, for an MTA: 0 when every message was read (a message that is
 * not a bounce is not an error); 75 on a temporary failure (the store or
 * the configuration cannot be opened, the store failed, out of memory) so
 * that the MTA delivers the message again later; 1 when an input could not
 * be read or a mailbox could not be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "bounce_apply.h"
#include "buf.h"
#include "cli.h"
#include "json.h"
#include "log.h"
#include "mailbox.h"
#include "store.h"
#include "token.h"

/* What one run of the command shares between its messages. */
struct run {
	int			 dry_run;
	struct store		*st;
	const struct config	*cfg;
	struct token_keys	 keys;
	const char		*rcpt;		/* --rcpt, or NULL */
	int			 tempfail;	/* stop: exit 75 */
	int			 failed;	/* an input was unreadable */
};

/* Reads up to MAILBOX_MSG_MAX bytes (bounce_parse notes the cut) and
 * drains the rest, so that a pipe's writer is not cut off. 0, -1 on a read
 * error, -2 when memory ran out. */
static int
read_input(FILE *fp, struct buf *b)
{
	char	chunk[65536];
	size_t	n, want;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		want = MAILBOX_MSG_MAX - b->len;
		if (b->len < MAILBOX_MSG_MAX &&
		    buf_add(b, chunk, n < want ? n : want) == -1)
			return -2;
	}
	return ferror(fp) ? -1 : 0;
}

static int
add_key(struct buf *o, const char *key, const char *value)
{
	return buf_printf(o, ", \"%s\": ", key) == -1 ||
	    json_add_string(o, value) == -1 ? -1 : 0;
}

static int
print_rcpt(const struct bounce_report *r, const struct bounce_rcpt *rc,
    struct buf *o)
{
	size_t	i;
	int	rv = 0;

	rv |= buf_adds(o, "{\"recipient\": ");
	rv |= json_add_string(o, rc->recipient);
	rv |= add_key(o, "status", rc->status[0] ? rc->status : NULL);
	rv |= add_key(o, "class", bounce_class_name(rc->cls));
	rv |= add_key(o, "reason", rc->reason);
	rv |= buf_printf(o, ", \"policy\": %s", rc->policy ? "true" : "false");
	rv |= add_key(o, "format", bounce_format_name(r->format));
	rv |= add_key(o, "action", rc->action);
	rv |= add_key(o, "diagnostic", rc->diagnostic);
	rv |= add_key(o, "remote_mta", rc->remote_mta);
	rv |= add_key(o, "original_recipient", rc->original);
	rv |= add_key(o, "feedback_type", r->feedback_type);
	rv |= add_key(o, "message_id", r->original.message_id);
	rv |= buf_adds(o, ", \"envelope\": [");
	for (i = 0; i < r->nenvelope; i++) {
		if (i > 0)
			rv |= buf_adds(o, ", ");
		rv |= json_add_string(o, r->envelope[i]);
	}
	rv |= buf_adds(o, "]}\n");
	return rv ? -1 : 0;
}

/* --dry-run: the JSON lines of one message. -1 if they cannot be written. */
static int
print_report(const char *name, const struct bounce_report *r)
{
	struct buf	out;
	size_t		i;
	int		rv = 0;

	buf_init(&out, 0);
	for (i = 0; i < r->nrcpts && rv == 0; i++) {
		if (r->rcpts[i].cls == BOUNCE_IGNORE &&
		    r->rcpts[i].recipient == NULL)
			continue;
		if (print_rcpt(r, &r->rcpts[i], &out) == -1) {
			log_error("bounce", "%s: output too long", name);
			rv = -1;
		}
	}
	if (rv == 0 && (fwrite(out.data ? out.data : "", 1, out.len, stdout) !=
	    out.len || fflush(stdout) == EOF)) {
		log_error("bounce", "stdout: %s", strerror(errno));
		rv = -1;
	}
	buf_free(&out);
	return rv;
}

/* The one line that says what a message changed. */
static void
print_outcome(const char *name, const struct bounce_report *r,
    const struct bounce_outcome *o)
{
	const char	*fmt = bounce_format_name(r->format);

	if (o->effect == EFFECT_SEEN)
		printf("%s: seen before, nothing changed\n", name);
	else if (!o->done)
		printf("%s: not about a subscriber (%s), left alone\n", name,
		    fmt);
	else if (o->effect == EFFECT_NONE)
		printf("%s: %s%s (%s, via %s), no change\n", name,
		    o->address[0] ? "about " : "kept", o->address, fmt, o->how);
	else
		printf("%s: %s %s%s%s (%s, via %s)\n", name,
		    bounce_effect_name(o->effect), o->address,
		    o->list[0] ? " on " : "", o->list, fmt, o->how);
	fflush(stdout);
}

/*
 * One message, from any source (a mailbox_fn): 1 processed, 0 left alone
 * (or --dry-run), -1 stop (a temporary failure, run->tempfail set).
 */
static int
process(void *arg, const char *name, const char *msg, size_t len)
{
	struct run		*run = arg;
	struct bounce_report	*r = NULL;
	struct bounce_outcome	 o;
	const char		*reason;
	char			 err[256];
	int			 rv = -1;

	if (bounce_parse(msg, len, &r, &reason) == -1) {
		log_error("bounce", "%s: %s", name, reason);
		run->tempfail = 1;
		return -1;
	}
	if (r->note)
		log_warn("bounce", "%s: %s", name, r->note);
	if (run->dry_run) {
		if (print_report(name, r) == -1)
			run->failed = 1;
		rv = 0;
		goto out;
	}
	if (bounce_apply(run->st, run->cfg, &run->keys, msg, len, r, run->rcpt,
	    &o, err, sizeof(err)) == -1) {
		log_error("bounce", "%s: %s", name, err);
		run->tempfail = 1;
		goto out;
	}
	print_outcome(name, r, &o);
	rv = o.done;
out:
	bounce_report_free(r);
	return rv;
}

/* A FILE argument, or stdin when path is NULL. */
static void
process_file(struct run *run, const char *path)
{
	const char	*name = path ? path : "stdin";
	struct buf	 in;
	FILE		*fp = stdin;
	int		 rc;

	buf_init(&in, MAILBOX_MSG_MAX);
	if (path && (fp = fopen(path, "rb")) == NULL) {
		log_error("bounce", "%s: %s", name, strerror(errno));
		run->failed = 1;
		goto out;
	}
	if ((rc = read_input(fp, &in)) != 0) {
		log_error("bounce", "%s: %s", name, rc == -2 ? "out of memory" :
		    errno ? strerror(errno) : "read error");
		if (rc == -2)
			run->tempfail = 1;
		else
			run->failed = 1;
		goto out;
	}
	process(run, name, in.data ? in.data : "", in.len);
out:
	if (fp && fp != stdin)
		fclose(fp);
	buf_free(&in);
}

/* Configuration, store and key for applying; -1 (a temporary failure:
 * exit 75, the MTA keeps the message) when one is missing. */
static int
open_run(struct cli *c, struct run *run, int need_cfg)
{
	char	err[ERRLEN];

	if (run->dry_run && !need_cfg)
		return 0;
	if ((run->cfg = cli_config(c)) == NULL)
		return -1;
	if (run->dry_run)
		return 0;
	if ((run->st = cli_store(c)) == NULL)
		return -1;
	if (token_keys_load(run->cfg->secret_file,
	    run->cfg->secret_previous_file, run->cfg->secret_previous_until,
	    &run->keys, err, sizeof(err)) == -1) {
		log_error("bounce", "%s", err);
		return -1;
	}
	return 0;
}

enum source { SRC_FILES, SRC_MAILDIR, SRC_IMAP, SRC_POP3 };

struct args {
	enum source	 source;
	const char	*maildir;
	int		 first_file;	/* index of the first FILE, or 0 */
	int		 dd;		/* index of "--", or 0 */
	int		 nsources;
};

static int
parse_args(int argc, char **argv, struct run *run, struct args *a)
{
	int	i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (a->dd || argv[i][0] != '-' || argv[i][1] == '\0') {
			if (a->first_file == 0)
				a->first_file = i;
			continue;
		}
		if (strcmp(argv[i], "--") == 0)
			a->dd = i;
		else if (cli_flag(argv, i, "--dry-run"))
			run->dry_run = 1;
		else if (cli_value(argc, argv, &i, "--rcpt", &run->rcpt)) {
			if (run->rcpt == NULL)
				return cli_usage("bounce: --rcpt needs an "
				    "address");
		} else if (cli_value(argc, argv, &i, "--maildir", &a->maildir)) {
			if (a->maildir == NULL)
				return cli_usage("bounce: --maildir needs a "
				    "directory");
			a->source = SRC_MAILDIR;
			a->nsources++;
		} else if (cli_flag(argv, i, "--imap") ||
		    cli_flag(argv, i, "--pop3")) {
			a->source = argv[i][2] == 'i' ? SRC_IMAP : SRC_POP3;
			a->nsources++;
		} else
			return cli_usage("bounce: unknown option %s", argv[i]);
	}
	if (a->nsources > 1 || (a->nsources && a->first_file))
		return cli_usage("bounce: give FILEs, --maildir, --imap or "
		    "--pop3, one of them");
	return 0;
}

/* The mailbox named in dispatcher.conf, for --imap / --pop3. */
static int
check_mailbox(const struct config *cfg, enum source src)
{
	const char	*proto = src == SRC_IMAP ? "imap" : "pop3";
	const char	*url = cfg->mailbox_url;

	if (url == NULL) {
		log_error("bounce", "%s: bounce.mailbox.url is not set",
		    cfg->file);
		return -1;
	}
	if (strncmp(url, proto, 4) != 0 || (strncmp(url + 4, "://", 3) != 0 &&
	    strncmp(url + 4, "s://", 4) != 0)) {
		log_error("bounce", "%s: bounce.mailbox.url must start with "
		    "%ss:// or %s:// for --%s", cfg->file, proto, proto, proto);
		return -1;
	}
	return 0;
}

static int
run_source(struct run *run, const struct args *a, int argc, char **argv)
{
	char	err[ERRLEN];
	int	i, rc = 0;

	switch (a->source) {
	case SRC_FILES:
		if (a->first_file == 0)
			process_file(run, NULL);
		for (i = a->first_file; i && i < argc && !run->tempfail; i++) {
			if ((a->dd == 0 || i <= a->dd) && argv[i][0] == '-' &&
			    argv[i][1] != '\0') {
				i += strcmp(argv[i], "--rcpt") == 0;
				continue;	/* an option, parsed before */
			}
			process_file(run, strcmp(argv[i], "-") == 0 ? NULL :
			    argv[i]);
		}
		return 0;
	case SRC_MAILDIR:
		rc = mailbox_maildir(a->maildir, process, run, err,
		    sizeof(err));
		break;
	case SRC_IMAP:
	case SRC_POP3:
		if (check_mailbox(run->cfg, a->source) == -1)
			return -1;
		rc = (a->source == SRC_IMAP ? mailbox_imap : mailbox_pop3)(
		    run->cfg, process, run, err, sizeof(err));
		break;
	}
	if (rc == -1 && !run->tempfail)
		log_error("bounce", "%s", err);
	return rc;
}

int
cmd_bounce(struct cli *c, int argc, char **argv)
{
	struct run	run;
	struct args	a;
	int		rc;

	memset(&run, 0, sizeof(run));
	if ((rc = parse_args(argc, argv, &run, &a)) != 0)
		return rc;
	if (open_run(c, &run, a.source == SRC_IMAP || a.source == SRC_POP3) == -1)
		return run.dry_run ? EXIT_FAIL : EXIT_TEMPFAIL;
	rc = run_source(&run, &a, argc, argv);
	if (run.tempfail)
		return EXIT_TEMPFAIL;
	return rc == -1 || run.failed ? EXIT_FAIL : EXIT_OK;
}
