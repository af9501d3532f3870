/*
 * bounce_text.c — bounces that carry no delivery-status part, read from
 * their human-readable text: qmail and its descendants ("<addr>:" blocks,
 * Yahoo's among them; Postfix's text part has the same shape), Exim
 * ("The following address(es) failed:" and indented blocks), Sendmail
 * ("The following addresses had permanent fatal errors" and the session
 * transcript), Microsoft Exchange ("Delivery has failed to these
 * recipients", "Remote Server returned '...'", "#5.1.1"), and, for a
 * message that comes from a mailer-daemon (or says it is a bounce in its
 * Subject), any text with an SMTP reply, or failing that, words that name
 * the failure ("Domain name not found").
 *
 * Only the text before the quoted copy of the original message is read
 * (btext_copy_start() finds where that copy begins). Pure: nothing here logs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "bounce_int.h"

#define DIAG_MAX	((size_t)4 << 10)	/* bytes of diagnostic kept */
#define ADDR_LINE_MAX	1000	/* bytes of a line that names an address */

static const char *copy_markers[] = {
	"below this line is a copy of the message",
	"this is a copy of the message",
	"original message follows",
	"unsent message follows",
	"original message headers:",
	"--- the header of the original message is following",
};

/* The start of the line that contains s. */
static const char *
line_start(const char *text, const char *s)
{
	while (s > text && s[-1] != '\n')
		s--;
	return s;
}

/* The end of the line at s (at its CR or LF or NUL). */
static const char *
line_end(const char *s)
{
	return s + strcspn(s, "\r\n");
}

static const char *
next_line(const char *s)
{
	s += strcspn(s, "\n");
	return *s ? s + 1 : s;
}

static int
blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static const char *
copy_marker(const char *text)
{
	const char	*p, *best = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(copy_markers) / sizeof(copy_markers[0]); i++)
		if ((p = ci_find(text, copy_markers[i])) != NULL &&
		    (best == NULL || p < best))
			best = p;
	return best;
}

const char *
btext_copy_start(const char *text)
{
	const char	*p;

	if ((p = copy_marker(text)) == NULL)
		return NULL;
	p = next_line(p);
	while (*p && blank(p, line_end(p)))
		p = next_line(p);
	return *p ? p : NULL;
}

/* Appends the line s..e to a diagnostic, squeezing runs of space. */
static int
diag_add(struct buf *d, const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	if (s == e || d->len >= DIAG_MAX)
		return 0;
	if ((size_t)(e - s) > DIAG_MAX)
		e = s + DIAG_MAX;
	if (d->len > 0 && buf_addc(d, ' ') == -1)
		return -1;
	return buf_add(d, s, (size_t)(e - s));
}

/* Adds a recipient with the diagnostic collected in d, and settles it. */
static int
add_rcpt(struct bounce_report *r, const char *addr, size_t alen,
    struct buf *d, const char *action, char fallback)
{
	struct bounce_rcpt	*rc;

	if ((rc = report_add(r, addr, alen)) == NULL)
		return r->nrcpts >= BOUNCE_RCPT_MAX ? 0 : -1;
	if (d->len > 0 && (rc->diagnostic = str_squeeze(d->data, d->len)) ==
	    NULL)
		return -1;
	if (action && (rc->action = strdup(action)) == NULL)
		return -1;
	rcpt_settle(rc, "", fallback);
	return 1;
}

/* "<user@example.com>:" at the start of a line: the address's length. */
static size_t
angle_head(const char *s, const char *e)
{
	const char	*gt;

	if (*s != '<' || (gt = memchr(s, '>', (size_t)(e - s))) == NULL ||
	    gt + 1 >= e || gt[1] != ':' || memchr(s, '@', (size_t)(gt - s)) ==
	    NULL)
		return 0;
	return (size_t)(gt - s + 1);
}

/* qmail, Yahoo, Postfix's text: "<addr>:" and the lines after it. */
static int
read_angle(struct bounce_report *r, const char *t, int bounce_like)
{
	struct buf	 d;
	const char	*p, *e, *addr = NULL;
	size_t		 alen = 0, hlen;
	int		 qmail, n = 0, rv = -1;

	qmail = ci_find(t, "qmail-send program") ||
	    ci_find(t, "wasn't able to deliver your message") ||
	    ci_find(t, "unable to deliver your message to the following") ||
	    ci_find(t, "i've given up");
	if (!qmail && !bounce_like)
		return 0;
	buf_init(&d, DIAG_MAX * 2);
	for (p = t; *p && r->nrcpts < BOUNCE_RCPT_MAX; p = next_line(p)) {
		e = line_end(p);
		if (angle_head(p, e) > 0 || (addr && blank(p, e))) {
			if (addr && add_rcpt(r, addr, alen, &d, "failed", '5')
			    == -1)
				goto out;
			n += addr != NULL;
			addr = NULL;
			buf_reset(&d);
		}
		if ((hlen = angle_head(p, e)) > 0) {
			addr = p;
			alen = hlen;
			if (diag_add(&d, p + alen + 1, e) == -1)
				goto out;
		} else if (addr && diag_add(&d, p, e) == -1)
			goto out;
	}
	if (addr && add_rcpt(r, addr, alen, &d, "failed", '5') == -1)
		goto out;
	n += addr != NULL;
	if (n > 0)
		r->format = qmail ? BOUNCE_FMT_QMAIL : BOUNCE_FMT_PROSE;
	rv = n;
out:
	buf_free(&d);
	return rv;
}

/* The length of the line s..e, at most ADDR_LINE_MAX. */
static size_t
line_cap(const char *s, const char *e)
{
	return (size_t)(e - s) > ADDR_LINE_MAX ? ADDR_LINE_MAX :
	    (size_t)(e - s);
}

/* Exim: two-space-indented addresses, deeper-indented detail lines. */
static int
read_exim(struct bounce_report *r, const char *t)
{
	struct buf	 d, a;
	const char	*p, *e, *action = "failed";
	char		 fallback = '5';
	int		 n = 0, rv = -1;

	if ((p = ci_find(t, "address(es) failed:")) == NULL &&
	    (p = ci_find(t, "following addresses failed:")) == NULL) {
		if ((p = ci_find(t, "not yet been delivered is:")) == NULL &&
		    (p = ci_find(t, "not yet been delivered are:")) == NULL)
			return 0;
		action = "delayed";
		fallback = '4';
	} else if (ci_find(t, "temporary error") != NULL)
		fallback = '4';
	buf_init(&d, DIAG_MAX * 2);
	buf_init(&a, ADDR_LINE_MAX);
	for (p = next_line(p); *p && r->nrcpts < BOUNCE_RCPT_MAX;
	    p = next_line(p)) {
		e = line_end(p);
		if (blank(p, e))
			continue;
		if (p[0] != ' ')
			break;
		if (p[1] == ' ' && p[2] != ' ' && p[2] != '\t') {
			if (a.len > 0 && add_rcpt(r, a.data, a.len, &d, action,
			    fallback) == -1)
				goto out;
			n += a.len > 0;
			buf_reset(&a);
			buf_reset(&d);
			if (buf_add(&a, p, line_cap(p, e)) == -1)
				goto out;
			continue;
		}
		if (a.len == 0)
			continue;
		/* "save to /var/mail/x", then "generated by user@..." */
		if (memchr(a.data, '@', a.len) == NULL && ci_findn(p,
		    (size_t)(e - p), "generated by")) {
			buf_reset(&a);
			if (buf_add(&a, p, line_cap(p, e)) == -1)
				goto out;
		}
		if (diag_add(&d, p, e) == -1)
			goto out;
	}
	if (a.len > 0 && add_rcpt(r, a.data, a.len, &d, action, fallback) ==
	    -1)
		goto out;
	n += a.len > 0;
	if (n > 0)
		r->format = BOUNCE_FMT_EXIM;
	rv = n;
out:
	buf_free(&a);
	buf_free(&d);
	return rv;
}

static const char *
mem_find(const char *s, size_t n, const char *needle, size_t m)
{
	size_t	i;

	for (i = 0; m > 0 && i + m <= n; i++)
		if (memcmp(s + i, needle, m) == 0)
			return s + i;
	return NULL;
}

/* In the Sendmail transcript: the first reply line that names addr. */
static int
transcript_find(const char *tr, const char *addr, size_t alen, struct buf *d)
{
	const char	*p, *e, *q;

	for (p = tr; tr && *p; p = next_line(p)) {
		e = line_end(p);
		q = p;
		if (strncmp(q, "<<< ", 4) == 0)
			q += 4;
		if ((*q == '4' || *q == '5') && e - q > 4 &&
		    ci_findn(q, (size_t)(e - q), "...") &&
		    mem_find(q, (size_t)(e - q), addr, alen))
			return diag_add(d, q, e);
	}
	/* no reply: "<addr>... Deferred: Connection timed out with ..." */
	for (p = tr; tr && *p; p = next_line(p)) {
		e = line_end(p);
		if (*p == '<' && (size_t)(e - p) > alen + 5 &&
		    memcmp(p + 1, addr, alen) == 0 &&
		    strncmp(p + 1 + alen, ">...", 4) == 0)
			return diag_add(d, p + alen + 5, e);
	}
	return 0;
}

/* The "(reason: ...)" among the indented lines that start at s. */
static int
sendmail_reason(const char *s, struct buf *d)
{
	const char	*e, *rs;

	for (; *s == ' ' || *s == '\t'; s = next_line(s)) {
		e = line_end(s);
		if ((rs = ci_findn(s, (size_t)(e - s), "(reason:")) == NULL)
			continue;
		if (e > rs && e[-1] == ')')
			e--;
		return diag_add(d, rs + 8, e);
	}
	return 0;
}

/* Sendmail: the fatal-errors list, else the transcript's reply lines. */
static int
read_sendmail(struct bounce_report *r, const char *t)
{
	struct buf	 d;
	const char	*p, *e, *tr, *sec, *action = "failed", *lt, *gt;
	char		 fallback = '5';
	int		 n = 0, rv = -1;

	sec = ci_find(t, "addresses had permanent fatal errors");
	if (sec == NULL && (sec = ci_find(t,
	    "addresses had transient non-fatal errors")) != NULL) {
		action = "delayed";
		fallback = '4';
	}
	tr = ci_find(t, "transcript of session follows");
	if (sec == NULL && tr == NULL)
		return 0;
	buf_init(&d, DIAG_MAX * 2);
	for (p = sec ? next_line(sec) : ""; *p && r->nrcpts < BOUNCE_RCPT_MAX;
	    p = next_line(p)) {
		e = line_end(p);
		if (blank(p, e))
			break;
		if (*p == ' ' || *p == '\t')
			continue;	/* (reason: ...), read below */
		if ((lt = memchr(p, '<', (size_t)(e - p))) != NULL &&
		    (gt = memchr(lt, '>', (size_t)(e - lt))) != NULL) {
			p = lt + 1;
			e = gt;
		}
		buf_reset(&d);
		/* the reason on the next lines, else from the transcript */
		if (sendmail_reason(next_line(line_end(e)), &d) == -1)
			goto out;
		if (d.len == 0 && transcript_find(tr, p, (size_t)(e - p), &d) ==
		    -1)
			goto out;
		if (add_rcpt(r, p, (size_t)(e - p), &d, action, fallback) ==
		    -1)
			goto out;
		n++;
		p = line_start(t, e);
	}
	/* no list (old Sendmail): each reply line that names an address */
	for (p = n == 0 && tr ? next_line(tr) : ""; *p &&
	    r->nrcpts < BOUNCE_RCPT_MAX; p = next_line(p)) {
		e = line_end(p);
		if ((*p != '4' && *p != '5') || e - p < 5 ||
		    !isdigit((unsigned char)p[1]) ||
		    (lt = memchr(p, '<', (size_t)(e - p))) == NULL ||
		    (gt = memchr(lt, '>', (size_t)(e - lt))) == NULL)
			continue;
		buf_reset(&d);
		if (diag_add(&d, p, e) == -1 ||
		    add_rcpt(r, lt, (size_t)(gt - lt + 1), &d, "failed", *p) ==
		    -1)
			goto out;
		n++;
	}
	if (n > 0)
		r->format = BOUNCE_FMT_SENDMAIL;
	rv = n;
out:
	buf_free(&d);
	return rv;
}

/* The text of "Remote Server returned '...'" or "#550 ... ##" in s..e. */
static int
exchange_reply(const char *s, const char *e, struct buf *d)
{
	const char	*p, *q;

	if ((p = ci_findn(s, (size_t)(e - s), "remote server returned '")) !=
	    NULL) {
		p += 24;
		q = line_end(p);
		if (q > p && q[-1] == '\'')
			q--;
		return diag_add(d, p, q) == -1 ? -1 : 1;
	}
	for (p = s; p < e; p = next_line(p)) {
		q = line_end(p);
		while (p < q && isspace((unsigned char)*p))
			p++;
		if (*p == '#' && q - p > 4 && isdigit((unsigned char)p[1])) {
			if (q - p > 2 && q[-1] == '#' && q[-2] == '#')
				q -= 2;
			return diag_add(d, p + 1, q) == -1 ? -1 : 1;
		}
	}
	return 0;
}

/* Exchange and Office 365 plain-text reports, old and new. */
static int
read_exchange(struct bounce_report *r, const char *t)
{
	struct buf	 d;
	const char	*p, *e, *sec, *diag, *a, *q;
	char		*addr = NULL;
	int		 n = 0, rv = -1, old = 0;

	/* "Your message to user@example.com couldn't be delivered.", with
	 * the diagnostic section that Office 365 always adds */
	diag = ci_find(t, "diagnostic information for administrators");
	if ((sec = ci_find(t, "your message to ")) != NULL && (diag == NULL ||
	    ci_findn(sec, (size_t)(line_end(sec) - sec), "be delivered") ==
	    NULL))
		sec = NULL;
	if (sec == NULL && (sec = ci_find(t,
	    "delivery has failed to these recipients")) == NULL) {
		if ((sec = ci_find(t, "following recipient(s) cannot be "
		    "reached")) == NULL &&
		    (sec = ci_find(t, "following recipient(s) could not be "
		    "reached")) == NULL)
			return 0;
		old = 1;
	}
	buf_init(&d, DIAG_MAX * 2);
	for (p = line_start(t, sec); *p && (diag == NULL || p < diag) &&
	    r->nrcpts < BOUNCE_RCPT_MAX; p = next_line(p)) {
		e = line_end(p);
		if (blank(p, e) || (a = memchr(p, '@', (size_t)(e - p))) ==
		    NULL)
			continue;
		if (old && (*p != ' ' && *p != '\t'))
			break;
		/* "Name (user@example.com)" or "user@example.com" */
		free(addr);
		if ((q = memchr(p, '(', (size_t)(e - p))) != NULL && q < e &&
		    memchr(q, '@', (size_t)(e - q)))
			addr = addr_extract(q, (size_t)(e - q));
		else
			addr = addr_extract(p, (size_t)(e - p));
		if (addr == NULL)
			continue;
		buf_reset(&d);
		if (old) {
			/* the indented lines under it, up to the next one */
			for (q = next_line(p); *q && (*q == ' ' || *q == '\t')
			    && !memchr(q, '@', (size_t)(line_end(q) - q));
			    q = next_line(q))
				if (diag_add(&d, q, line_end(q)) == -1)
					goto out;
		} else if (diag) {
			/* its block in the diagnostic section, else the first */
			a = ci_find(diag, addr);
			if (exchange_reply(a ? a : diag, a ? line_end(next_line(
			    next_line(line_end(a)))) : diag + strlen(diag),
			    &d) == -1)
				goto out;
			if (d.len == 0 && exchange_reply(diag, diag +
			    strlen(diag), &d) == -1)
				goto out;
		}
		if (add_rcpt(r, addr, strlen(addr), &d, "failed", '5') == -1)
			goto out;
		n++;
	}
	if (n > 0)
		r->format = BOUNCE_FMT_EXCHANGE;
	rv = n;
out:
	free(addr);
	buf_free(&d);
	return rv;
}

/*
 * A daemon's prose: the first line with a 4xx/5xx reply, else the first
 * line whose words say what happened ("Domain name not found").
 */
static int
read_prose(struct bounce_report *r, const char *t)
{
	struct buf	 d;
	const char	*p, *e, *a, *kw = NULL;
	char		 status[BOUNCE_STATUS_LEN], words[BOUNCE_STATUS_LEN];
	char		*line, *addr = NULL;
	int		 code, rv = -1;

	buf_init(&d, DIAG_MAX * 2);
	for (p = t; *p; p = next_line(p)) {
		e = line_end(p);
		if ((line = str_squeeze(p, (size_t)(e - p))) == NULL)
			goto out;
		code = 0;
		bounce_smtp_reply(line, &code, status);
		if (code < 400 && status[0] != '4' && status[0] != '5' &&
		    kw == NULL) {
			bounce_status_derive("", 0, line, '5', words);
			if (strcmp(words, "5.0.0") != 0)
				kw = p;
		}
		free(line);
		if (code >= 400 || status[0] == '4' || status[0] == '5')
			break;
	}
	if (*p == '\0') {
		if (kw == NULL) {
			rv = 0;
			goto out;
		}
		p = kw;
		e = line_end(kw);
	}
	if (diag_add(&d, p, e) == -1)
		goto out;
	/* the address on that line, else the first one that is not ours */
	if ((addr = addr_extract(p, (size_t)(e - p))) == NULL) {
		for (a = t; *a && addr == NULL; a = next_line(a)) {
			addr = addr_extract(a, (size_t)(line_end(a) - a));
			if (addr && ((r->from && strcasecmp(addr, r->from) == 0)
			    || ci_prefix(addr, "postmaster@") ||
			    ci_prefix(addr, "mailer-daemon@"))) {
				free(addr);
				addr = NULL;
			}
		}
	}
	if (add_rcpt(r, addr ? addr : "", addr ? strlen(addr) : 0, &d,
	    "failed", '5') == -1)
		goto out;
	r->format = BOUNCE_FMT_PROSE;
	rv = 1;
out:
	free(addr);
	buf_free(&d);
	return rv;
}

int
btext_read(struct bounce_report *r, const char *text, int bounce_like)
{
	const char	*m;
	char		*t;
	size_t		 n;
	int		 rv;

	/* only what comes before the quoted original */
	n = (m = copy_marker(text)) ? (size_t)(line_start(text, m) - text) :
	    strlen(text);
	if ((t = malloc(n + 1)) == NULL)
		return -1;
	memcpy(t, text, n);
	t[n] = '\0';
	if ((rv = read_exim(r, t)) == 0 && (rv = read_sendmail(r, t)) == 0 &&
	    (rv = read_exchange(r, t)) == 0 &&
	    (rv = read_angle(r, t, bounce_like)) == 0 && bounce_like)
		rv = read_prose(r, t);
	free(t);
	return rv;
}
