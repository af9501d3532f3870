/*
 * cmd_bounce.c — `dispatcher bounce --dry-run [FILE...]`: reads each
 * message (standard input when no FILE is given), classifies what it
 * reports, and prints one JSON object a line per recipient, changing
 * nothing. The keys come in a fixed order: recipient, status, class,
 * reason, then policy, format, action, diagnostic, remote_mta,
 * original_recipient, feedback_type, message_id (of the original message)
 * and envelope (the addresses the bounce was delivered to). Unknown values
 * are null. An ignored message that names no recipient prints nothing.
 *
 * Exit 0 when every input was read (a message that is not a bounce is not
 * an error), 1 when one could not be.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "cli.h"
#include "json.h"
#include "log.h"

/* Reads up to BOUNCE_INPUT_MAX + 1 bytes (bounce_parse notes the cut) and
 * drains the rest, so that a pipe's writer is not cut off. */
static int
read_input(FILE *fp, struct buf *b)
{
	char	chunk[65536];
	size_t	n, want;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		want = BOUNCE_INPUT_MAX + 1 - b->len;
		if (b->len <= BOUNCE_INPUT_MAX &&
		    buf_add(b, chunk, n < want ? n : want) == -1)
			return -1;
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

/* Classifies one message and prints its lines; -1 if it was unreadable. */
static int
bounce_one(const char *path)
{
	struct bounce_report	*r = NULL;
	struct buf		 in, out;
	const char		*name = path ? path : "stdin", *reason;
	FILE			*fp = stdin;
	size_t			 i;
	int			 rv = -1;

	buf_init(&in, BOUNCE_INPUT_MAX + 1);
	buf_init(&out, 0);
	if (path && (fp = fopen(path, "rb")) == NULL) {
		log_error("bounce", "%s: %s", name, strerror(errno));
		goto out;
	}
	if (read_input(fp, &in) == -1) {
		log_error("bounce", "%s: %s", name, errno ? strerror(errno) :
		    "read error");
		goto out;
	}
	if (bounce_parse(in.data ? in.data : "", in.len, &r, &reason) == -1) {
		log_error("bounce", "%s: %s", name, reason);
		goto out;
	}
	if (r->note)
		log_warn("bounce", "%s: %s", name, r->note);
	for (i = 0; i < r->nrcpts; i++) {
		if (r->rcpts[i].cls == BOUNCE_IGNORE &&
		    r->rcpts[i].recipient == NULL)
			continue;
		if (print_rcpt(r, &r->rcpts[i], &out) == -1) {
			log_error("bounce", "%s: output too long", name);
			goto out;
		}
	}
	if (fwrite(out.data ? out.data : "", 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		log_error("bounce", "stdout: %s", strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (fp && fp != stdin)
		fclose(fp);
	bounce_report_free(r);
	buf_free(&in);
	buf_free(&out);
	return rv;
}

int
cmd_bounce(struct cli *c, int argc, char **argv)
{
	int	i, dry_run = 0, files = 0, rc = EXIT_OK, dd = 0;

	for (i = 1; i < argc; i++) {
		if (!dd && cli_flag(argv, i, "--dry-run"))
			dry_run = 1;
		else if (!dd && strcmp(argv[i], "--") == 0)
			dd = 1;
		else if (!dd && argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("bounce: unknown option %s", argv[i]);
		else
			files++;
	}
	if (!dry_run)
		return cli_usage("bounce: only --dry-run is available: "
		    "dispatcher bounce --dry-run [FILE...]");
	if (files == 0)
		return bounce_one(NULL) == -1 ? EXIT_FAIL : EXIT_OK;
	for (i = 1, dd = 0; i < argc; i++) {
		if (!dd && (cli_flag(argv, i, "--dry-run") ||
		    (dd = strcmp(argv[i], "--") == 0)))
			continue;
		if (bounce_one(strcmp(argv[i], "-") == 0 ? NULL : argv[i]) ==
		    -1)
			rc = EXIT_FAIL;
	}
	return rc;
}
