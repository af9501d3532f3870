/*
 * test_bounce.c — unit tests for bounce reading: SMTP replies and enhanced
 * status codes, deriving a status from a reply and its text, the class
 * mapping, the JSON escaper, and a few whole messages, with every
 * truncation of one of them.
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "json.h"
#include "unit.h"

static const char *
derive(const char *enhanced, int code, const char *text)
{
	static char	status[BOUNCE_STATUS_LEN];

	bounce_status_derive(enhanced, code, text, '5', status);
	return status;
}

TEST(bounce_smtp_reply_forms)
{
	char	st[BOUNCE_STATUS_LEN];
	int	code;

	CHECK(bounce_smtp_reply("550 5.1.1 <a@example.com>: unknown", &code,
	    st) == 0);
	CHECK(code == 550);
	CHECK_STR(st, "5.1.1");
	bounce_smtp_reply("550-5.1.1 The email account", &code, st);
	CHECK(code == 550);
	CHECK_STR(st, "5.1.1");
	bounce_smtp_reply("554: delivery error: dd This user", &code, st);
	CHECK(code == 554);
	CHECK_STR(st, "");
	bounce_smtp_reply("421-4.7.28 [192.0.2.1 15] Our system", &code, st);
	CHECK(code == 421);
	CHECK_STR(st, "4.7.28");
	bounce_smtp_reply("Sorry, no mailbox here by that name. (#5.1.1)",
	    &code, st);
	CHECK(code == 0);
	CHECK_STR(st, "5.1.1");
	bounce_smtp_reply("550 5.7.708 Service unavailable", &code, st);
	CHECK_STR(st, "5.7.708");
	/* an address, an IP or a year is not a reply code */
	CHECK(bounce_smtp_reply("192.0.2.250 does not like 2026.", &code, st)
	    == -1);
	CHECK(bounce_smtp_reply("user250@example.com", &code, st) == -1);
	/* a reply's enhanced code must agree with its class */
	bounce_smtp_reply("550 4.2.2 odd", &code, st);
	CHECK(code == 550);
	CHECK_STR(st, "4.2.2");
	CHECK(bounce_smtp_reply(NULL, &code, st) == -1);
}

TEST(bounce_status_derive_from_text)
{
	CHECK_STR(derive("", 550, "Requested action not taken: mailbox "
	    "unavailable"), "5.1.1");
	CHECK_STR(derive("", 554, "dd This user doesn't have a example.com "
	    "account"), "5.1.1");
	CHECK_STR(derive("", 550, "Host unknown"), "5.1.2");
	CHECK_STR(derive("", 452, "Mailbox over quota"), "4.2.2");
	CHECK_STR(derive("", 550, "Message rejected: DMARC policy"), "5.7.26");
	CHECK_STR(derive("", 554, "rejected as spam"), "5.7.1");
	CHECK_STR(derive("", 550, "Mailbox disabled"), "5.2.1");
	CHECK_STR(derive("", 550, "nothing we know"), "5.0.0");
	CHECK_STR(derive("", 451, "please try later"), "4.0.0");
	CHECK_STR(derive("", 552, "Requested mail action aborted"), "5.2.2");
	CHECK_STR(derive("", 553, "mailbox name not allowed"), "5.1.3");
	CHECK_STR(derive("", 0, "retry timeout exceeded"), "5.4.7");
	/* a precise code stands; a generic one is refined by the text */
	CHECK_STR(derive("5.7.1", 550, "user unknown"), "5.7.1");
	CHECK_STR(derive("5.0.0", 550, "user unknown"), "5.1.1");
	CHECK_STR(derive("4.0.0", 450, "mailbox full"), "4.2.2");
	CHECK_STR(derive("5.0.0", 550, NULL), "5.0.0");
	CHECK_STR(derive("garbage", 0, NULL), "5.0.0");
	CHECK_STR(derive("", 250, "ok"), "2.0.0");
}

static void
classify(const char *status, const char *action, const char *text,
    enum bounce_class *cls, int *policy, const char **reason)
{
	bounce_classify(status, action, text, cls, policy, reason);
}

TEST(bounce_class_mapping)
{
	static const struct {
		const char		*status, *action, *text;
		enum bounce_class	 cls;
		int			 policy;
		const char		*reason;
	} cases[] = {
		{ "5.1.1", "failed", NULL, BOUNCE_HARD, 0, "user unknown" },
		{ "5.1.10", NULL, NULL, BOUNCE_HARD, 0, "user unknown" },
		{ "5.1.2", NULL, NULL, BOUNCE_HARD, 0, "no such domain" },
		{ "5.2.1", NULL, NULL, BOUNCE_HARD, 0, "mailbox disabled" },
		{ "5.4.1", NULL, NULL, BOUNCE_HARD, 0, "recipient rejected" },
		{ "5.0.0", NULL, NULL, BOUNCE_HARD, 0, "permanent failure" },
		{ "5.2.2", NULL, NULL, BOUNCE_SOFT, 0, "mailbox full" },
		{ "5.3.4", NULL, NULL, BOUNCE_SOFT, 0, "message too large" },
		{ "5.4.7", NULL, NULL, BOUNCE_SOFT, 0, "delivery expired" },
		{ "4.2.2", "failed", NULL, BOUNCE_SOFT, 0, "mailbox full" },
		{ "4.4.1", "failed", NULL, BOUNCE_SOFT, 0, "temporary failure" },
		{ "4.4.1", "delayed", NULL, BOUNCE_IGNORE, 0, "delayed" },
		{ "2.0.0", "delivered", NULL, BOUNCE_IGNORE, 0, "delivered" },
		{ "5.7.1", NULL, "rejected per DMARC policy", BOUNCE_IGNORE, 1,
		    "DMARC rejection" },
		{ "5.7.26", NULL, NULL, BOUNCE_IGNORE, 1, "DMARC rejection" },
		{ "5.7.1", NULL, "message rejected as spam", BOUNCE_IGNORE, 1,
		    "spam content" },
		{ "5.7.1", NULL, "blocked using a blocklist", BOUNCE_IGNORE, 1,
		    "sender reputation" },
		{ "4.7.28", "failed", "unusual rate of unsolicited mail",
		    BOUNCE_IGNORE, 1, "rate limited" },
		{ "4.7.0", "failed", "[TSS04] deferred due to unexpected volume",
		    BOUNCE_IGNORE, 1, "rate limited" },
		{ "5.7.1", NULL, NULL, BOUNCE_IGNORE, 1, "policy rejection" },
		{ "5.7.13", NULL, NULL, BOUNCE_HARD, 0, "mailbox disabled" },
		{ "5.1.8", NULL, NULL, BOUNCE_IGNORE, 1,
		    "sender address rejected" },
		{ "", NULL, NULL, BOUNCE_IGNORE, 0, "not a failure" },
	};
	enum bounce_class	 cls;
	const char		*reason;
	size_t			 i;
	int			 policy;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		classify(cases[i].status, cases[i].action, cases[i].text, &cls,
		    &policy, &reason);
		if (cls != cases[i].cls || policy != cases[i].policy ||
		    strcmp(reason, cases[i].reason) != 0)
			fprintf(stderr, "  case %zu: %s -> %s %d %s\n", i,
			    cases[i].status, bounce_class_name(cls), policy,
			    reason);
		CHECK(cls == cases[i].cls);
		CHECK(policy == cases[i].policy);
		CHECK_STR(reason, cases[i].reason);
	}
	CHECK_STR(bounce_class_name(BOUNCE_COMPLAINT), "complaint");
	CHECK_STR(bounce_format_name(BOUNCE_FMT_QMAIL), "qmail");
}

static const char *
esc(const char *s)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 0);
	json_add_string(&b, s);
	return b.data;
}

TEST(bounce_json_escaper)
{
	CHECK_STR(esc(NULL), "null");
	CHECK_STR(esc(""), "\"\"");
	CHECK_STR(esc("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(esc("l1\r\nl2\tx"), "\"l1\\r\\nl2\\tx\"");
	CHECK_STR(esc("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	CHECK_STR(esc("j\xc3\xb6rg"), "\"j\xc3\xb6rg\"");
	/* bytes that are not UTF-8 become U+FFFD */
	CHECK_STR(esc("a\xff" "b\xc3"), "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"");
	CHECK_STR(esc("\xed\xa0\x80"),
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	esc(NULL);
}

static const char dsn[] =
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "Delivered-To: bounces+tok@example.org\r\n"
    "To: bounces+tok@example.org, other@example.org\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "The mail system\r\n"
    "--b\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.net\r\n"
    "\r\n"
    "Final-Recipient: rfc822; a@example.com\r\n"
    "Action: failed\r\n"
    "Status: 5.0.0\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: user\r\n"
    "  unknown\r\n"
    "\r\n"
    "Final-Recipient: rfc822;b@example.com\r\n"
    "Action: delayed\r\n"
    "Status: 4.4.1\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Message-ID: <orig@example.org>\r\n"
    "List-Id: Weekly <weekly.example.org>\r\n"
    "Feedback-ID: 12:weekly\r\n"
    "To: a@example.com\r\n"
    "\r\n"
    "body\r\n"
    "--b--\r\n";

TEST(bounce_parse_dsn_and_attribution)
{
	struct bounce_report	*r;
	const char		*reason;

	REQUIRE(bounce_parse(dsn, strlen(dsn), &r, &reason) == 0);
	CHECK(r->format == BOUNCE_FMT_DSN);
	REQUIRE(r->nrcpts == 2);
	CHECK_STR(r->rcpts[0].recipient, "a@example.com");
	CHECK_STR(r->rcpts[0].status, "5.1.1");
	CHECK(r->rcpts[0].smtp_code == 550);
	CHECK(r->rcpts[0].cls == BOUNCE_HARD);
	CHECK_STR(r->rcpts[0].addr_type, "rfc822");
	CHECK_STR(r->rcpts[0].diagnostic,
	    "550 5.1.1 <a@example.com>: user unknown");
	CHECK(r->rcpts[1].cls == BOUNCE_IGNORE);
	CHECK_STR(r->rcpts[1].reason, "delayed");
	CHECK_STR(r->reporting_mta, "mx.example.net");
	REQUIRE(r->nenvelope == 2);
	CHECK_STR(r->envelope[0], "bounces+tok@example.org");
	CHECK_STR(r->envelope[1], "other@example.org");
	CHECK_STR(r->original.message_id, "<orig@example.org>");
	CHECK_STR(r->original.list_id, "Weekly <weekly.example.org>");
	CHECK_STR(r->original.feedback_id, "12:weekly");
	CHECK_STR(r->original.to, "a@example.com");
	CHECK(r->note == NULL);
	bounce_report_free(r);
	bounce_report_free(NULL);
}

/* Every prefix of the message parses, each on an exact-size copy. */
TEST(bounce_parse_every_truncation)
{
	struct bounce_report	*r;
	const char		*reason;
	size_t			 n, len = strlen(dsn);
	char			*copy;

	for (n = 0; n <= len; n++) {
		REQUIRE((copy = malloc(n ? n : 1)) != NULL);
		memcpy(copy, dsn, n);
		REQUIRE(bounce_parse(copy, n, &r, &reason) == 0);
		CHECK(r->nrcpts <= 2);
		bounce_report_free(r);
		free(copy);
	}
}

TEST(bounce_parse_not_a_bounce)
{
	static const char	 msg[] = "From: Ann <ann@example.com>\r\n"
	    "Subject: hello\r\n\r\nSee you at 5:50, room 550 4.1.1.\r\n";
	struct bounce_report	*r;
	const char		*reason;

	REQUIRE(bounce_parse(msg, strlen(msg), &r, &reason) == 0);
	CHECK(r->format == BOUNCE_FMT_NONE);
	CHECK(r->nrcpts == 0);
	CHECK_STR(r->from, "ann@example.com");
	bounce_report_free(r);
}

TEST(bounce_parse_bounds)
{
	struct bounce_report	*r;
	const char		*reason;
	struct buf		 b;
	int			 i;

	/* past the parts limit: read up to it, with a note */
	buf_init(&b, 0);
	buf_adds(&b, "From: MAILER-DAEMON@example.net\r\n");
	for (i = 0; i < BOUNCE_PARTS_MAX + 10; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n"
		    "\r\n--b%d\r\n", i, i);
	REQUIRE(bounce_parse(b.data, b.len, &r, &reason) == 0);
	CHECK(r->note != NULL);
	bounce_report_free(r);
	/* more than BOUNCE_INPUT_MAX: cut, with a note */
	buf_reset(&b);
	buf_adds(&b, "Subject: x\r\n\r\n");
	while (b.len <= BOUNCE_INPUT_MAX)
		buf_adds(&b, "0123456789012345678901234567890123456789\r\n");
	REQUIRE(bounce_parse(b.data, b.len, &r, &reason) == 0);
	CHECK(r->note != NULL && strstr(r->note, "1 MiB") != NULL);
	bounce_report_free(r);
	buf_free(&b);
}
