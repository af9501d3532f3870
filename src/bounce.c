/*
 * bounce.c — bounce_parse(): one message in, one report out (see bounce.h).
 *
 * The order in which a message is read: an ARF feedback report, then an
 * RFC 3464 delivery-status part, then an Amazon SES notification, then the
 * plain-text formats (bounce_text.c), and only when none of those names a
 * recipient, the auto-reply markers. A DSN carries Auto-Submitted too, so
 * the markers alone never make a message an auto-reply. Alongside, the
 * envelope recipients and the original message's headers are collected for
 * attribution.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "bounce_int.h"

#define OOM	"out of memory"

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct bounce_rcpt *
report_add(struct bounce_report *r, const char *rcpt, size_t rcptlen)
{
	struct bounce_rcpt	*v;

	if (r->nrcpts >= BOUNCE_RCPT_MAX) {
		r->note = "too many recipients: the rest were not read";
		return NULL;
	}
	if ((v = realloc(r->rcpts, (r->nrcpts + 1) * sizeof(*v))) == NULL)
		return NULL;
	r->rcpts = v;
	v = &r->rcpts[r->nrcpts];
	memset(v, 0, sizeof(*v));
	v->cls = BOUNCE_IGNORE;
	v->reason = "not a failure";
	if (rcpt)	/* NULL when there is no address in it: unknown */
		v->recipient = addr_extract(rcpt, rcptlen);
	r->nrcpts++;
	return v;
}

void
rcpt_settle(struct bounce_rcpt *rc, const char *enhanced, char fallback)
{
	char	found[BOUNCE_STATUS_LEN], status[BOUNCE_STATUS_LEN];
	int	code = 0;

	found[0] = '\0';
	if (rc->diagnostic)
		bounce_smtp_reply(rc->diagnostic, &code, found);
	rc->smtp_code = code;
	if (enhanced == NULL || enhanced[0] == '\0' ||
	    ((strcmp(enhanced + 1, ".0.0") == 0 || strcmp(enhanced + 1,
	    ".5.0") == 0) && found[0] == enhanced[0]))
		enhanced = found;
	bounce_status_derive(enhanced, code, rc->diagnostic, fallback, status);
	memcpy(rc->status, status, sizeof(rc->status));
	bounce_classify(rc->status, rc->action, rc->diagnostic, &rc->cls,
	    &rc->policy, &rc->reason);
}

/* "rfc822; user@example.com" → type and address. */
static int
typed_address(const char *v, char **type, char **addr)
{
	const char	*semi;

	*type = *addr = NULL;
	if (v == NULL)
		return 0;
	if ((semi = strchr(v, ';')) != NULL) {
		if ((*type = str_squeeze(v, (size_t)(semi - v))) == NULL)
			return -1;
		v = semi + 1;
	}
	*addr = addr_extract(v, strlen(v));
	return 0;
}

static char *
lower_dup(const char *s)
{
	char	*d, *p;

	if ((d = dup_or_null(s)) != NULL)
		for (p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

/* The host of a "dns; mx.example.com" field. */
static char *
host_of(const char *v)
{
	const char	*semi;

	if (v == NULL)
		return NULL;
	if ((semi = strchr(v, ';')) != NULL)
		v = semi + 1;
	while (*v == ' ')
		v++;
	return str_squeeze(v, strcspn(v, " ("));
}

/* One message/delivery-status body: its per-recipient groups. */
static int
read_dsn(struct bounce_report *r, const char *s, size_t n)
{
	struct bfields		 f = { 0 };
	struct bounce_rcpt	*rc;
	const char		*fin, *orig, *v;
	char			*type = NULL, *addr = NULL, *oaddr = NULL;
	char			 status[BOUNCE_STATUS_LEN];
	long			 used;
	size_t			 pos = 0;
	int			 added = 0, first = 1, rv = -1;

	while (pos < n) {
		bfields_free(&f);
		if ((used = bfields_read(s + pos, n - pos, &f)) == -1)
			goto out;
		pos += (size_t)used;
		if (used == 0)
			break;
		if (first && (v = bfields_get(&f, "Reporting-MTA", 0)) &&
		    r->reporting_mta == NULL &&
		    (r->reporting_mta = host_of(v)) == NULL)
			goto out;
		fin = bfields_get(&f, "Final-Recipient", 0);
		orig = bfields_get(&f, "Original-Recipient", 0);
		first = 0;
		if (fin == NULL && orig == NULL)
			continue;
		if (typed_address(fin ? fin : orig, &type, &addr) == -1)
			goto out;
		if (orig && (v = strchr(orig, ';')) != NULL)
			oaddr = addr_extract(v, strlen(v));
		if ((rc = report_add(r, NULL, 0)) == NULL) {
			if (r->nrcpts >= BOUNCE_RCPT_MAX)
				break;
			goto out;
		}
		rc->recipient = addr;
		rc->addr_type = type;
		rc->original = oaddr;
		addr = type = oaddr = NULL;
		added++;
		if ((v = bfields_get(&f, "Action", 0)) &&
		    (rc->action = lower_dup(v)) == NULL)
			goto out;
		if ((v = bfields_get(&f, "Diagnostic-Code", 0)) != NULL) {
			if (strchr(v, ';') != NULL)	/* "smtp; 550 ..." */
				v = strchr(v, ';') + 1;
			v += strspn(v, " ");
			if ((rc->diagnostic = strdup(v)) == NULL)
				goto out;
		}
		if ((v = bfields_get(&f, "Remote-MTA", 0)) &&
		    (rc->remote_mta = host_of(v)) == NULL)
			goto out;
		/* "Status: 5.1.1 (bad destination mailbox address)" */
		status[0] = '\0';
		if ((v = bfields_get(&f, "Status", 0)) != NULL)
			snprintf(status, sizeof(status), "%.*s",
			    (int)strcspn(v, " \t(;"), v);
		rcpt_settle(rc, status, rc->action &&
		    strcmp(rc->action, "delayed") == 0 ? '4' : '5');
	}
	rv = added;
out:
	bfields_free(&f);
	free(type);
	free(addr);
	free(oaddr);
	return rv;
}

/* The reason for an ARF Feedback-Type. */
static void
arf_class(struct bounce_rcpt *rc, const char *ft)
{
	static const struct {
		const char		*type;
		enum bounce_class	 cls;
		int			 policy;
		const char		*reason;
	} types[] = {
		{ "abuse", BOUNCE_COMPLAINT, 0, "spam complaint" },
		{ "fraud", BOUNCE_COMPLAINT, 0, "fraud report" },
		{ "other", BOUNCE_COMPLAINT, 0, "complaint" },
		{ "virus", BOUNCE_IGNORE, 0, "virus report" },
		{ "not-spam", BOUNCE_IGNORE, 0, "not-spam report" },
		{ "auth-failure", BOUNCE_IGNORE, 1, "authentication failure" },
	};
	size_t	i;

	rc->cls = BOUNCE_COMPLAINT;
	rc->reason = "complaint";
	for (i = 0; ft && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(ft, types[i].type) == 0) {
			rc->cls = types[i].cls;
			rc->policy = types[i].policy;
			rc->reason = types[i].reason;
		}
}

/*
 * One message/feedback-report body: a complaint about each Original-Rcpt-To,
 * or, when there is none, about the To of the reported message (which
 * may be redacted: then the recipient is unknown).
 */
static int
read_arf(struct bounce_report *r, const char *s, size_t n)
{
	struct bfields		 f = { 0 };
	struct bounce_rcpt	*rc;
	const char		*v;
	size_t			 i, count;
	int			 rv = -1;

	if (bfields_read(s, n, &f) == -1)
		goto out;
	if ((v = bfields_get(&f, "Feedback-Type", 0)) &&
	    (r->feedback_type = lower_dup(v)) == NULL)
		goto out;
	r->complaint = 1;
	for (count = 0; bfields_get(&f, "Original-Rcpt-To", count); count++)
		;
	for (i = 0; i < count || (count == 0 && i == 0); i++) {
		v = count ? bfields_get(&f, "Original-Rcpt-To", i) :
		    r->original.to ? r->original.to : "";
		if ((rc = report_add(r, v, strlen(v))) == NULL) {
			if (r->nrcpts >= BOUNCE_RCPT_MAX)
				break;
			goto out;
		}
		if (count && rc->recipient &&
		    (rc->original = strdup(rc->recipient)) == NULL)
			goto out;
		arf_class(rc, r->feedback_type);
	}
	if ((v = bfields_get(&f, "Reporting-MTA", 0)) &&
	    (r->reporting_mta = host_of(v)) == NULL)
		goto out;
	rv = (int)r->nrcpts;
out:
	bfields_free(&f);
	return rv;
}

static int
seen(const struct bounce_report *r, const char *a)
{
	size_t	i;

	for (i = 0; i < r->nenvelope; i++)
		if (strcasecmp(r->envelope[i], a) == 0)
			return 1;
	return 0;
}

/* Delivered-To, X-Original-To, then the To addresses. */
static int
read_envelope(struct bounce_report *r, const struct bfields *top)
{
	static const char	*names[] = { "Delivered-To", "X-Original-To",
	    "To" };
	const char		*v, *p, *e;
	char			*a, **nv;
	size_t			 i, k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (k = 0; (v = bfields_get(top, names[i], k)) != NULL; k++)
			for (p = v; *p && r->nenvelope < 16; p = *e ? e + 1 : e) {
				e = p + strcspn(p, ",");
				if ((a = addr_extract(p, (size_t)(e - p))) ==
				    NULL)
					continue;
				if (seen(r, a)) {
					free(a);
					continue;
				}
				nv = realloc(r->envelope, (r->nenvelope + 1) *
				    sizeof(*nv));
				if (nv == NULL) {
					free(a);
					return -1;
				}
				r->envelope = nv;
				r->envelope[r->nenvelope++] = a;
			}
	return 0;
}

static int
read_original(struct bounce_original *o, const char *s, size_t n)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} names[] = {
		{ "Message-ID", offsetof(struct bounce_original, message_id) },
		{ "From", offsetof(struct bounce_original, from) },
		{ "To", offsetof(struct bounce_original, to) },
		{ "Subject", offsetof(struct bounce_original, subject) },
		{ "List-Id", offsetof(struct bounce_original, list_id) },
		{ "Feedback-ID", offsetof(struct bounce_original, feedback_id) },
		{ "Return-Path", offsetof(struct bounce_original, return_path) },
	};
	struct bfields	 f = { 0 };
	const char	*v;
	char		**slot;
	size_t		 i;
	int		 rv = -1;

	if (bfields_read(s, n, &f) == -1)
		goto out;
	if (f.n == 0) {
		rv = 0;
		goto out;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		slot = (char **)((char *)o + names[i].off);
		if (*slot == NULL && (v = bfields_get(&f, names[i].name, 0)) &&
		    (*slot = strdup(v)) == NULL)
			goto out;
	}
	rv = 1;
out:
	bfields_free(&f);
	return rv;
}

static int
is_daemon(const char *from)
{
	static const char	*names[] = { "mailer-daemon@", "postmaster@",
	    "mail-daemon@", "mailerdaemon@", "mailer_daemon@" };
	size_t			 i;

	for (i = 0; from && i < sizeof(names) / sizeof(names[0]); i++)
		if (ci_prefix(from, names[i]))
			return 1;
	return 0;
}

static int
bounce_subject(const char *s)
{
	static const char	*words[] = { "undeliver", "undelivered",
	    "delivery status notification", "returned mail", "failure notice",
	    "delivery failure", "mail delivery failed", "delivery has failed",
	    "could not be delivered", "non-delivery", "nondeliverable",
	    "delivery problem", "mail system error" };
	size_t			 i;

	for (i = 0; s && i < sizeof(words) / sizeof(words[0]); i++)
		if (ci_find(s, words[i]))
			return 1;
	return 0;
}

static int
auto_reply(const struct bfields *top, const char *subject)
{
	static const char	*subj[] = { "out of office", "out of the office",
	    "automatic reply", "auto reply", "autoreply", "auto-reply",
	    "vacation", "away from", "auto:", "abwesenheit",
	    "absence", "autosvar" };
	const char		*v;
	size_t			 i;

	if ((v = bfields_get(top, "Auto-Submitted", 0)) &&
	    !ci_prefix(v, "no"))
		return 1;
	if (bfields_get(top, "X-Autoreply", 0) ||
	    bfields_get(top, "X-Autorespond", 0) ||
	    bfields_get(top, "X-Autoresponder", 0))
		return 1;
	if ((v = bfields_get(top, "Precedence", 0)) &&
	    ci_prefix(v, "auto_reply"))
		return 1;
	if ((v = bfields_get(top, "X-Auto-Response-Suppress", 0)) &&
	    ci_find(v, "oof") && subject && ci_find(subject, "reply"))
		return 1;
	for (i = 0; subject && i < sizeof(subj) / sizeof(subj[0]); i++)
		if (ci_find(subject, subj[i]))
			return 1;
	return 0;
}

static int
parse(const char *msg, size_t len, struct bounce_report *r)
{
	struct bparts		 parts = { 0 };
	struct bfields		 top = { 0 };
	struct bounce_rcpt	*rc;
	const struct bpart	*p;
	const char		*v, *text = NULL, *copy;
	size_t			 i;
	int			 n = 0, rv = -1, bounce_like;

	if (bparts_read(msg, len, &parts) == -1)
		goto out;
	if (parts.note)
		r->note = parts.note;
	if (bfields_read(parts.top, strlen(parts.top), &top) == -1)
		goto out;
	if ((v = bfields_get(&top, "From", 0)) != NULL)
		r->from = addr_extract(v, strlen(v));
	if ((v = bfields_get(&top, "Subject", 0)) &&
	    (r->subject = strdup(v)) == NULL)
		goto out;
	if (read_envelope(r, &top) == -1)
		goto out;

	/* the original message: the first attached header block */
	for (i = 0; i < parts.n; i++) {
		p = &parts.v[i];
		if (p->inner || (strcmp(p->type, "message/rfc822") != 0 &&
		    strcmp(p->type, "text/rfc822-headers") != 0 &&
		    strcmp(p->type, "message/rfc822-headers") != 0 &&
		    strcmp(p->type, "message/global-headers") != 0))
			continue;
		if ((n = read_original(&r->original, p->body, p->len)) == -1)
			goto out;
		if (n == 1)
			break;
	}
	for (i = 0; i < parts.n; i++)
		if (!parts.v[i].inner && strcmp(parts.v[i].type,
		    "text/plain") == 0 && parts.v[i].len > 0) {
			text = parts.v[i].body;
			break;
		}
	if (text == NULL && parts.raw && parts.raw[0] != '\0')
		text = parts.raw;	/* no readable part: the body as text */
	if (text && r->original.message_id == NULL &&
	    (copy = btext_copy_start(text)) != NULL &&
	    read_original(&r->original, copy, strlen(copy)) == -1)
		goto out;

	n = 0;
	for (i = 0; i < parts.n && n == 0; i++)
		if (!parts.v[i].inner && strcmp(parts.v[i].type,
		    "message/feedback-report") == 0) {
			r->format = BOUNCE_FMT_ARF;
			if ((n = read_arf(r, parts.v[i].body,
			    parts.v[i].len)) == -1)
				goto out;
		}
	for (i = 0; i < parts.n && n == 0; i++)
		if (!parts.v[i].inner && (strcmp(parts.v[i].type,
		    "message/delivery-status") == 0 || strcmp(parts.v[i].type,
		    "message/global-delivery-status") == 0)) {
			r->format = BOUNCE_FMT_DSN;
			if ((n = read_dsn(r, parts.v[i].body,
			    parts.v[i].len)) == -1)
				goto out;
		}
	/* broken MIME: the fields of a DSN, wherever they are in the text */
	if (n == 0 && text && (v = ci_find(text, "\nFinal-Recipient:")) &&
	    ci_find(v, "\nStatus:")) {
		r->format = BOUNCE_FMT_DSN;
		if ((n = read_dsn(r, v + 1, strlen(v + 1))) == -1)
			goto out;
	}
	if (n == 0 && (v = ci_find(parts.raw, "\nFinal-Recipient:")) &&
	    ci_find(v, "\nStatus:")) {
		r->format = BOUNCE_FMT_DSN;
		if ((n = read_dsn(r, v + 1, strlen(v + 1))) == -1)
			goto out;
	}
	for (i = 0; i < parts.n && n == 0; i++)
		if (!parts.v[i].inner && (strncmp(parts.v[i].type, "text/",
		    5) == 0 || strcmp(parts.v[i].type, "application/json") ==
		    0) && (n = bses_read(r, parts.v[i].body)) == -1)
			goto out;
	bounce_like = is_daemon(r->from) || bounce_subject(r->subject) ||
	    ((v = bfields_get(&top, "Return-Path", 0)) && strstr(v, "<>"));
	if (n == 0 && text && (n = btext_read(r, text, bounce_like)) == -1)
		goto out;
	if (n == 0 && r->format != BOUNCE_FMT_ARF && r->format !=
	    BOUNCE_FMT_DSN && auto_reply(&top, r->subject)) {
		r->format = BOUNCE_FMT_AUTOREPLY;
		r->auto_reply = 1;
		if ((rc = report_add(r, NULL, 0)) == NULL)
			goto out;
		if (r->from && (rc->recipient = strdup(r->from)) == NULL)
			goto out;
		rc->reason = "auto-reply";
	}
	rv = 0;
out:
	bfields_free(&top);
	bparts_free(&parts);
	return rv;
}

int
bounce_parse(const char *msg, size_t len, struct bounce_report **out,
    const char **reason)
{
	struct bounce_report	*r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*reason = OOM;
		return -1;
	}
	if (len > BOUNCE_INPUT_MAX) {
		len = BOUNCE_INPUT_MAX;
		r->note = "message longer than 1 MiB: the rest was not read";
	}
	if (parse(msg, len, r) == -1) {
		bounce_report_free(r);
		*reason = OOM;
		return -1;
	}
	*out = r;
	return 0;
}

void
bounce_report_free(struct bounce_report *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].recipient);
		free(r->rcpts[i].addr_type);
		free(r->rcpts[i].original);
		free(r->rcpts[i].diagnostic);
		free(r->rcpts[i].action);
		free(r->rcpts[i].remote_mta);
	}
	free(r->rcpts);
	for (i = 0; i < r->nenvelope; i++)
		free(r->envelope[i]);
	free(r->envelope);
	free(r->original.message_id);
	free(r->original.from);
	free(r->original.to);
	free(r->original.subject);
	free(r->original.list_id);
	free(r->original.feedback_id);
	free(r->original.return_path);
	free(r->from);
	free(r->subject);
	free(r->reporting_mta);
	free(r->feedback_type);
	free(r);
}
