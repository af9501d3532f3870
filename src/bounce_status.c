/*
 * bounce_status.c — enhanced status codes (RFC 3463): finding them in an
 * SMTP reply, deriving one from a reply code and its text when the remote
 * gave none, and mapping a status to a class and a short reason.
 *
 * The keyword tables below are what real MTAs write in English; they only
 * refine a code that says nothing precise (x.0.0, x.5.0, or no code at all).
 * Pure functions: nothing here allocates or logs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "bounce_int.h"

/* Keywords → subject.detail of the status; the first match wins. */
static const struct {
	const char	*word;
	const char	*sd;
} keywords[] = {
	{ "dmarc", "7.26" },
	{ "account has been disabled", "2.1" },
	{ "account is disabled", "2.1" },
	{ "mailbox disabled", "2.1" },
	{ "mailbox is disabled", "2.1" },
	{ "account disabled", "2.1" },
	{ "deactivated", "2.1" },
	{ "inactive", "2.1" },
	{ "suspended", "2.1" },
	{ "over quota", "2.2" },
	{ "overquota", "2.2" },
	{ "quota exceeded", "2.2" },
	{ "exceeded quota", "2.2" },
	{ "quota", "2.2" },
	{ "mailbox full", "2.2" },
	{ "mailbox is full", "2.2" },
	{ "mailbox has exceeded", "2.2" },
	{ "insufficient storage", "2.2" },
	{ "exceeded storage", "2.2" },
	{ "user unknown", "1.1" },
	{ "unknown user", "1.1" },
	{ "no such user", "1.1" },
	{ "no such mailbox", "1.1" },
	{ "no such recipient", "1.1" },
	{ "unknown recipient", "1.1" },
	{ "invalid recipient", "1.1" },
	{ "invalid mailbox", "1.1" },
	{ "recipient not found", "1.1" },
	{ "mailbox not found", "1.1" },
	{ "mailbox unavailable", "1.1" },
	{ "mailbox does not exist", "1.1" },
	{ "no mailbox", "1.1" },
	{ "not a valid mailbox", "1.1" },
	{ "does not exist", "1.1" },
	{ "doesn't exist", "1.1" },
	{ "doesn't have a", "1.1" },
	{ "does not have an account", "1.1" },
	{ "unrouteable address", "1.1" },
	{ "not our customer", "1.1" },
	{ "no longer", "1.1" },
	{ "host not found", "1.2" },
	{ "host unknown", "1.2" },
	{ "domain name not found", "1.2" },
	{ "host or domain name not found", "1.2" },
	{ "domain not found", "1.2" },
	{ "no such domain", "1.2" },
	{ "unknown domain", "1.2" },
	{ "domain does not exist", "1.2" },
	{ "name or service not known", "1.2" },
	{ "nxdomain", "1.2" },
	{ "bad address syntax", "1.3" },
	{ "invalid address", "1.3" },
	{ "too large", "3.4" },
	{ "too big", "3.4" },
	{ "size limit", "3.4" },
	{ "size exceeds", "3.4" },
	{ "unusual rate", "7.28" },
	{ "rate limit", "7.28" },
	{ "rate-limit", "7.28" },
	{ "too many messages", "7.28" },
	{ "unexpected volume", "7.0" },
	{ "spam", "7.1" },
	{ "unsolicited", "7.1" },
	{ "blocklist", "7.1" },
	{ "blacklist", "7.1" },
	{ "block list", "7.1" },
	{ "spamhaus", "7.1" },
	{ "reputation", "7.1" },
	{ "relay access denied", "7.1" },
	{ "relaying denied", "7.1" },
	{ "policy", "7.1" },
	{ "access denied", "7.1" },
	{ "retry timeout exceeded", "4.7" },
	{ "timed out", "4.7" },
	{ "timeout", "4.7" },
	{ "connection refused", "4.1" },
	{ "mail loop", "4.6" },
	{ "too many hops", "4.6" },
};

/* A status code "C.S.D" at s (C 2, 4 or 5; S and D up to 3 digits).
 * Returns its length, or 0. */
static size_t
status_at(const char *s)
{
	size_t	i = 0, n;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.')
		return 0;
	i = 2;
	for (n = 0; isdigit((unsigned char)s[i]) && n < 3; n++)
		i++;
	if (n == 0 || s[i] != '.')
		return 0;
	i++;
	for (n = 0; isdigit((unsigned char)s[i]) && n < 3; n++)
		i++;
	if (n == 0 || isdigit((unsigned char)s[i]) || s[i] == '.')
		return 0;
	return i;
}

static void
copy_status(char status[BOUNCE_STATUS_LEN], const char *s, size_t n)
{
	if (n >= BOUNCE_STATUS_LEN)
		n = BOUNCE_STATUS_LEN - 1;
	memcpy(status, s, n);
	status[n] = '\0';
}

int
bounce_smtp_reply(const char *text, int *code, char status[BOUNCE_STATUS_LEN])
{
	const char	*p, *q;
	size_t		 n;

	*code = 0;
	status[0] = '\0';
	if (text == NULL)
		return -1;
	/* a three-digit reply code that stands alone as a word */
	for (p = text; *p; p++) {
		if (p > text && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '.' || p[-1] == '#' || p[-1] == '['))
			continue;
		if (*p < '2' || *p > '5' || !isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]))
			continue;
		if (p[3] != ' ' && p[3] != '-' && p[3] != ':' && p[3] != '\0')
			continue;
		if (p[3] == '-' && !isdigit((unsigned char)p[4]) && p[4] != ' ')
			continue;
		*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		q = p + 3;
		while (*q == ' ' || *q == '-' || *q == ':')
			q++;
		if ((n = status_at(q)) > 0 && q[0] == p[0])
			copy_status(status, q, n);
		break;
	}
	if (status[0] != '\0')
		return 0;
	/* an enhanced code on its own: "#5.1.1", "(5.2.2)", "5.1.1 " */
	for (p = text; *p; p++) {
		if (p > text && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '.'))
			continue;
		if ((n = status_at(p)) > 0) {
			copy_status(status, p, n);
			break;
		}
	}
	return *code || status[0] ? 0 : -1;
}

void
bounce_status_derive(const char *enhanced, int smtp_code, const char *text,
    char fallback_class, char status[BOUNCE_STATUS_LEN])
{
	char	cls;
	size_t	i;
	int	generic;

	if (enhanced && enhanced[0] != '\0' && status_at(enhanced) > 0) {
		generic = strncmp(enhanced + 1, ".0.0", 4) == 0 ||
		    strncmp(enhanced + 1, ".5.0", 4) == 0;
		if (!generic || text == NULL) {
			copy_status(status, enhanced, status_at(enhanced));
			return;
		}
		cls = enhanced[0];
	} else if (smtp_code >= 200 && smtp_code < 600)
		cls = '0' + smtp_code / 100;
	else
		cls = fallback_class;
	if (cls == '2') {
		snprintf(status, BOUNCE_STATUS_LEN, "2.0.0");
		return;
	}
	if (text != NULL)
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (ci_find(text, keywords[i].word) != NULL) {
				snprintf(status, BOUNCE_STATUS_LEN, "%c.%s", cls,
				    keywords[i].sd);
				return;
			}
	if (enhanced && enhanced[0] != '\0' && status_at(enhanced) > 0) {
		copy_status(status, enhanced, status_at(enhanced));
		return;
	}
	switch (smtp_code) {
	case 551:
		snprintf(status, BOUNCE_STATUS_LEN, "5.1.6");
		return;
	case 552:
		snprintf(status, BOUNCE_STATUS_LEN, "5.2.2");
		return;
	case 553:
		snprintf(status, BOUNCE_STATUS_LEN, "5.1.3");
		return;
	case 452:
		snprintf(status, BOUNCE_STATUS_LEN, "4.3.1");
		return;
	}
	snprintf(status, BOUNCE_STATUS_LEN, "%c.0.0", cls);
}

/* The reason for a policy rejection, from the words of the reply. */
static const char *
policy_reason(const char *status, const char *text)
{
	if (strcmp(status + 1, ".7.26") == 0 || strcmp(status + 1, ".7.25") == 0
	    || strcmp(status + 1, ".7.27") == 0 ||
	    (text && ci_find(text, "dmarc")))
		return "DMARC rejection";
	if (strcmp(status + 1, ".7.28") == 0 || (text &&
	    (ci_find(text, "rate") || ci_find(text, "volume") ||
	    ci_find(text, "too many"))))
		return "rate limited";
	if (text && (ci_find(text, "reputation") || ci_find(text, "blocklist")
	    || ci_find(text, "blacklist") || ci_find(text, "block list") ||
	    ci_find(text, "spamhaus") || ci_find(text, "listed")))
		return "sender reputation";
	if (text && (ci_find(text, "spam") || ci_find(text, "unsolicited") ||
	    ci_find(text, "content")))
		return "spam content";
	if (text && ci_find(text, "relay"))
		return "relaying denied";
	return "policy rejection";
}

void
bounce_classify(const char *status, const char *action, const char *text,
    enum bounce_class *cls, int *policy, const char **reason)
{
	int	s = -1, d = -1;

	*policy = 0;
	*cls = BOUNCE_IGNORE;
	if (action && strcmp(action, "delayed") == 0) {
		*reason = "delayed";
		return;
	}
	if (action && (strcmp(action, "delivered") == 0 ||
	    strcmp(action, "relayed") == 0 || strcmp(action, "expanded") == 0)) {
		*reason = strcmp(action, "delivered") == 0 ? "delivered" :
		    strcmp(action, "relayed") == 0 ? "relayed" : "expanded";
		return;
	}
	if (status == NULL || status_at(status) == 0) {
		*reason = "not a failure";
		return;
	}
	s = atoi(status + 2);
	d = atoi(strchr(status + 2, '.') + 1);
	if (status[0] == '2') {
		*reason = "delivered";
		return;
	}
	if (s == 7 || (s == 1 && (d == 7 || d == 8))) {
		if (s == 7 && (d == 13 || d == 17)) {
			*cls = BOUNCE_HARD;
			*reason = d == 13 ? "mailbox disabled" : "mailbox moved";
			return;
		}
		*policy = 1;
		*reason = s == 1 ? "sender address rejected" :
		    policy_reason(status, text);
		return;
	}
	if (status[0] == '4') {
		*cls = BOUNCE_SOFT;
		*reason = s == 2 && d == 2 ? "mailbox full" :
		    s == 3 && d == 4 ? "message too large" :
		    s == 4 && d == 7 ? "delivery expired" : "temporary failure";
		return;
	}
	*cls = BOUNCE_HARD;
	switch (s) {
	case 0:
		*reason = "permanent failure";
		return;
	case 1:
		*reason = d == 2 ? "no such domain" : d == 3 ?
		    "bad address syntax" : d == 6 ? "mailbox moved" :
		    "user unknown";
		return;
	case 2:
		if (d == 1) {
			*reason = "mailbox disabled";
			return;
		}
		*cls = BOUNCE_SOFT;
		*reason = d == 2 ? "mailbox full" : d == 3 ?
		    "message too large" : "mailbox unavailable";
		return;
	case 4:
		if (d == 1) {
			*reason = "recipient rejected";
			return;
		}
		if (d == 4) {
			*reason = "unroutable domain";
			return;
		}
		*cls = BOUNCE_SOFT;
		*reason = d == 7 ? "delivery expired" : "network failure";
		return;
	case 3:
		*cls = BOUNCE_SOFT;
		*reason = d == 4 ? "message too large" : "remote system problem";
		return;
	case 5:
		*cls = BOUNCE_SOFT;
		*reason = "protocol error";
		return;
	case 6:
		*cls = BOUNCE_SOFT;
		*reason = "content not accepted";
		return;
	}
	*reason = "permanent failure";
}

const char *
bounce_class_name(enum bounce_class cls)
{
	switch (cls) {
	case BOUNCE_HARD:
		return "hard";
	case BOUNCE_SOFT:
		return "soft";
	case BOUNCE_COMPLAINT:
		return "complaint";
	case BOUNCE_IGNORE:
		break;
	}
	return "ignore";
}

const char *
bounce_format_name(enum bounce_format fmt)
{
	static const char	*names[] = { "none", "dsn", "arf", "ses",
	    "qmail", "exim", "sendmail", "exchange", "prose", "autoreply" };

	if ((size_t)fmt >= sizeof(names) / sizeof(names[0]))
		return "none";
	return names[fmt];
}
