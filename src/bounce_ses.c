/*
 * bounce_ses.c — Amazon SES notifications: the JSON that SES sends (by
 * e-mail through an SNS subscription) for a bounce, a complaint or a
 * delivery, either as the body itself or wrapped as the string "Message"
 * of an SNS envelope.
 *
 * A small JSON reader that only walks spans of the input: no tree is
 * built, nesting is capped at JSON_DEPTH_MAX, and strings are decoded only
 * when asked for. Pure: nothing here logs.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bounce_int.h"
#include "utf8.h"

#define JSON_DEPTH_MAX	32

struct jv {
	const char	*s;	/* the value's first byte */
	const char	*e;	/* one past its last */
};

static const char *
jws(const char *p, const char *e)
{
	while (p < e && isspace((unsigned char)*p))
		p++;
	return p;
}

/* The end of the value at p, or NULL when it is not well-formed. */
static const char *
jskip(const char *p, const char *e, int depth)
{
	char	close;

	p = jws(p, e);
	if (p >= e || depth > JSON_DEPTH_MAX)
		return NULL;
	if (*p == '"') {
		for (p++; p < e; p++) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				return p + 1;
		}
		return NULL;
	}
	if (*p == '{' || *p == '[') {
		close = *p == '{' ? '}' : ']';
		p = jws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		while (p < e) {
			if (close == '}') {
				if ((p = jskip(p, e, depth + 1)) == NULL)
					return NULL;
				p = jws(p, e);
				if (p >= e || *p != ':')
					return NULL;
				p++;
			}
			if ((p = jskip(p, e, depth + 1)) == NULL)
				return NULL;
			p = jws(p, e);
			if (p < e && *p == close)
				return p + 1;
			if (p >= e || *p != ',')
				return NULL;
			p++;
		}
		return NULL;
	}
	while (p < e && (isalnum((unsigned char)*p) || *p == '-' ||
	    *p == '+' || *p == '.'))
		p++;
	return p;
}

/* A decoded copy of a string value, or NULL (not a string, or memory). */
static char *
jstr(struct jv v)
{
	struct buf	 b;
	const char	*p;
	char		 u[4];
	unsigned	 cp;
	int		 i;

	if (v.s == NULL || v.e - v.s < 2 || *v.s != '"')
		return NULL;
	buf_init(&b, (size_t)(v.e - v.s) * 2 + 16);
	for (p = v.s + 1; p < v.e - 1; p++) {
		if (*p != '\\') {
			if (buf_addc(&b, *p) == -1)
				goto fail;
			continue;
		}
		if (++p >= v.e - 1)
			break;
		switch (*p) {
		case 'n':
			cp = '\n';
			break;
		case 't':
			cp = '\t';
			break;
		case 'r':
			cp = '\r';
			break;
		case 'b':
		case 'f':
			cp = ' ';
			break;
		case 'u':
			cp = 0;
			for (i = 0; i < 4 && p + 1 < v.e - 1 &&
			    isxdigit((unsigned char)p[1]); i++) {
				p++;
				cp = cp * 16 + (unsigned)(isdigit((unsigned char)
				    *p) ? *p - '0' : (tolower((unsigned char)*p) -
				    'a' + 10));
			}
			if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
				cp = 0xfffd;
			break;
		default:
			cp = (unsigned char)*p;
			break;
		}
		if (buf_add(&b, u, utf8_encode(cp, u)) == -1)
			goto fail;
	}
	if (buf_addc(&b, '\0') == -1)
		goto fail;
	return buf_detach(&b, NULL);
fail:
	buf_free(&b);
	return NULL;
}

/* The value of member key in object v; 0 when found. */
static int
jget(struct jv v, const char *key, struct jv *out)
{
	const char	*p, *k, *ke;
	size_t		 klen = strlen(key);

	if (v.s == NULL || *v.s != '{')
		return -1;
	for (p = jws(v.s + 1, v.e); p < v.e && *p == '"'; ) {
		k = p;
		if ((ke = jskip(p, v.e, 0)) == NULL)
			return -1;
		p = jws(ke, v.e);
		if (p >= v.e || *p != ':')
			return -1;
		p = jws(p + 1, v.e);
		out->s = p;
		if ((out->e = jskip(p, v.e, 1)) == NULL)
			return -1;
		if ((size_t)(ke - k) == klen + 2 && memcmp(k + 1, key, klen) ==
		    0)
			return 0;
		p = jws(out->e, v.e);
		if (p < v.e && *p == ',')
			p = jws(p + 1, v.e);
	}
	return -1;
}

/* The next element of array v after *cur (start with *cur = NULL). */
static int
jnext(struct jv v, const char **cur, struct jv *out)
{
	const char	*p;

	if (v.s == NULL || *v.s != '[')
		return -1;
	p = jws(*cur ? *cur : v.s + 1, v.e);
	if (p < v.e && *p == ',')
		p = jws(p + 1, v.e);
	if (p >= v.e || *p == ']')
		return -1;
	out->s = p;
	if ((out->e = jskip(p, v.e, 1)) == NULL)
		return -1;
	*cur = out->e;
	return 0;
}

/* A member's string value, decoded, or NULL. */
static char *
jget_str(struct jv v, const char *key)
{
	struct jv	m;

	return jget(v, key, &m) == 0 ? jstr(m) : NULL;
}

static int
ses_bounce(struct bounce_report *r, struct jv b)
{
	struct bounce_rcpt	*rc;
	struct jv		 list, item;
	const char		*cur = NULL;
	char			*type, *sub, *addr, *st;
	char			 enhanced[BOUNCE_STATUS_LEN];
	int			 n = 0;

	type = jget_str(b, "bounceType");
	sub = jget_str(b, "bounceSubType");
	/* without a status, the subtype says what it can */
	snprintf(enhanced, sizeof(enhanced), "%s",
	    type && strcmp(type, "Permanent") == 0 ?
	    (sub && strcmp(sub, "NoEmail") == 0 ? "5.1.1" : "5.0.0") :
	    sub && strcmp(sub, "MailboxFull") == 0 ? "4.2.2" :
	    sub && strcmp(sub, "MessageTooLarge") == 0 ? "5.3.4" :
	    sub && strcmp(sub, "ContentRejected") == 0 ? "5.7.1" : "4.0.0");
	if (jget(b, "bouncedRecipients", &list) == 0)
		while (jnext(list, &cur, &item) == 0) {
			addr = jget_str(item, "emailAddress");
			rc = report_add(r, addr ? addr : "", addr ?
			    strlen(addr) : 0);
			free(addr);
			if (rc == NULL) {
				n = r->nrcpts >= BOUNCE_RCPT_MAX ? n : -1;
				break;
			}
			rc->diagnostic = jget_str(item, "diagnosticCode");
			if (rc->diagnostic && strncmp(rc->diagnostic, "smtp;",
			    5) == 0)
				memmove(rc->diagnostic, rc->diagnostic + 5 +
				    (rc->diagnostic[5] == ' '),
				    strlen(rc->diagnostic + 5 +
				    (rc->diagnostic[5] == ' ')) + 1);
			rc->action = jget_str(item, "action");
			st = jget_str(item, "status");
			rcpt_settle(rc, st ? st : enhanced, enhanced[0]);
			free(st);
			n++;
		}
	free(type);
	free(sub);
	return n;
}

static int
ses_complaint(struct bounce_report *r, struct jv c)
{
	struct bounce_rcpt	*rc;
	struct jv		 list, item;
	const char		*cur = NULL;
	char			*addr;
	int			 n = 0;

	r->complaint = 1;
	r->feedback_type = jget_str(c, "complaintFeedbackType");
	if (jget(c, "complainedRecipients", &list) == 0)
		while (jnext(list, &cur, &item) == 0) {
			addr = jget_str(item, "emailAddress");
			rc = report_add(r, addr ? addr : "", addr ?
			    strlen(addr) : 0);
			free(addr);
			if (rc == NULL)
				return r->nrcpts >= BOUNCE_RCPT_MAX ? n : -1;
			rc->cls = BOUNCE_COMPLAINT;
			rc->reason = r->feedback_type && strcmp(r->feedback_type,
			    "abuse") != 0 ? "complaint" : "spam complaint";
			n++;
		}
	return n;
}

static int
ses_delivery(struct bounce_report *r, struct jv d)
{
	struct bounce_rcpt	*rc;
	struct jv		 list, item;
	const char		*cur = NULL;
	char			*addr;
	int			 n = 0;

	if (jget(d, "recipients", &list) == 0)
		while (jnext(list, &cur, &item) == 0) {
			if ((addr = jstr(item)) == NULL)
				continue;
			rc = report_add(r, addr, strlen(addr));
			free(addr);
			if (rc == NULL)
				return r->nrcpts >= BOUNCE_RCPT_MAX ? n : -1;
			snprintf(rc->status, sizeof(rc->status), "2.0.0");
			rc->reason = "delivered";
			n++;
		}
	return n;
}

static int
ses_notification(struct bounce_report *r, struct jv v, int depth)
{
	struct jv	 sub;
	char		*type, *inner;
	int		 n = 0;

	if ((type = jget_str(v, "notificationType")) == NULL &&
	    (type = jget_str(v, "eventType")) == NULL) {
		/* an SNS envelope: the notification is its Message string */
		if (depth > 0 || (inner = jget_str(v, "Message")) == NULL)
			return 0;
		sub.s = jws(inner, inner + strlen(inner));
		sub.e = inner + strlen(inner);
		if (jskip(sub.s, sub.e, 0) != NULL)
			n = ses_notification(r, sub, depth + 1);
		free(inner);
		return n;
	}
	r->format = BOUNCE_FMT_SES;
	if (strcmp(type, "Bounce") == 0 && jget(v, "bounce", &sub) == 0)
		n = ses_bounce(r, sub);
	else if (strcmp(type, "Complaint") == 0 && jget(v, "complaint", &sub) ==
	    0)
		n = ses_complaint(r, sub);
	else if (strcmp(type, "Delivery") == 0 && jget(v, "delivery", &sub) ==
	    0)
		n = ses_delivery(r, sub);
	free(type);
	return n;
}

int
bses_read(struct bounce_report *r, const char *text)
{
	struct jv	v;

	if (strstr(text, "\"notificationType\"") == NULL &&
	    strstr(text, "\"eventType\"") == NULL &&
	    strstr(text, "notificationType") == NULL)
		return 0;
	v.s = jws(text, text + strlen(text));
	v.e = text + strlen(text);
	if (v.s >= v.e || *v.s != '{' || (v.e = jskip(v.s, v.e, 0)) == NULL)
		return 0;
	return ses_notification(r, v, 0);
}
