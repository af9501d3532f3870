/*
 * bounce.h — reading what comes back: delivery status notifications,
 * complaints and auto-replies, classified per recipient.
 *
 * bounce_parse() is a pure function from the raw bytes of one message to a
 * report. It never logs, never touches the spool, and never fails on content:
 * a message it cannot make sense of is a report that names no recipient.
 * It understands RFC 3464 delivery-status reports, RFC 5965 ARF feedback
 * reports, Amazon SES notifications, and the plain-text bounces of qmail and
 * its descendants (Yahoo's among them), Exim, old Sendmail, Microsoft
 * Exchange, and mailer-daemons that only carry an SMTP reply in prose.
 *
 * Classes, per recipient (what it means for the reader):
 *   BOUNCE_HARD       the mailbox is gone: 5.1.x (user unknown, 5.1.2 no
 *                     such domain, 5.1.3 bad syntax, 5.1.6 moved, 5.1.10),
 *                     5.2.1 disabled, 5.4.1 recipient rejected, 5.4.4
 *                     unroutable, 5.7.13 disabled, 5.7.17 moved, and a
 *                     5.0.0 (or other 5.x.x) that no word of the reply
 *                     explains.
 *   BOUNCE_SOFT       it may work later: 4.x.x but 4.7.x (also when the
 *                     action is "failed": a temporary error that lasted too
 *                     long), 5.2.0 / 5.2.2 mailbox full / 5.2.3 / 5.2.4,
 *                     5.3.x, 5.4.x other than 5.4.1 and 5.4.4 (5.4.7
 *                     expired), 5.5.x and 5.6.x.
 *   BOUNCE_COMPLAINT  the reader reported the message: ARF abuse, fraud and
 *                     other; SES complaints.
 *   BOUNCE_IGNORE     nothing to hold against the reader: auto-replies,
 *                     Action: delivered / relayed / expanded, Action:
 *                     delayed (not a failure yet), ARF not-spam and virus,
 *                     and policy rejections (below).
 *
 * Policy rejections (4.7.x and 5.7.x: spam content, reputation, DMARC,
 * rate limits such as Gmail's 421 4.7.28 or Yahoo's [TSS04]; 5.1.7 / 5.1.8
 * about our own sender address; ARF auth-failure reports) are about the
 * sender, not the reader: they get class BOUNCE_IGNORE and policy = 1, so
 * that `status` can count them against the sender's reputation while the
 * reader's record stays clean. policy is never set on a delayed or
 * successful delivery report.
 *
 * Bounds: only the first BOUNCE_INPUT_MAX bytes of a message are read; a
 * message with more than BOUNCE_PARTS_MAX Content-Type fields is read up to
 * the one past that limit (this bounds libetpan's recursion); the MIME tree
 * is walked BOUNCE_DEPTH_MAX levels deep; at most BOUNCE_RCPT_MAX recipients
 * are reported. When any bound cuts something, report->note says which.
 */
#ifndef DISPATCHER_BOUNCE_H
#define DISPATCHER_BOUNCE_H

#include <stddef.h>

#define BOUNCE_INPUT_MAX	((size_t)1 << 20)	/* 1 MiB */
#define BOUNCE_PARTS_MAX	128
#define BOUNCE_DEPTH_MAX	32
#define BOUNCE_RCPT_MAX		100
#define BOUNCE_STATUS_LEN	16	/* "5.123.123" and a NUL fit */

enum bounce_class {
	BOUNCE_HARD,
	BOUNCE_SOFT,
	BOUNCE_COMPLAINT,
	BOUNCE_IGNORE
};

/* What the message was read as. */
enum bounce_format {
	BOUNCE_FMT_NONE,	/* not a bounce, complaint or auto-reply */
	BOUNCE_FMT_DSN,		/* RFC 3464 message/delivery-status */
	BOUNCE_FMT_ARF,		/* RFC 5965 message/feedback-report */
	BOUNCE_FMT_SES,		/* an Amazon SES JSON notification */
	BOUNCE_FMT_QMAIL,	/* qmail-send and its descendants */
	BOUNCE_FMT_EXIM,
	BOUNCE_FMT_SENDMAIL,
	BOUNCE_FMT_EXCHANGE,	/* Exchange's plain-text non-delivery report */
	BOUNCE_FMT_PROSE,	/* a mailer-daemon's text with an SMTP reply */
	BOUNCE_FMT_AUTOREPLY
};

/* One recipient the message reports on. Strings are owned by the report. */
struct bounce_rcpt {
	char			*recipient;	/* the address, NULL if unknown */
	char			*addr_type;	/* Final-Recipient type ("rfc822"),
						   or NULL */
	char			*original;	/* Original-Recipient / Original-
						   Rcpt-To address, or NULL */
	char			 status[BOUNCE_STATUS_LEN]; /* "5.1.1" or "" */
	int			 smtp_code;	/* 550, or 0 when none was seen */
	enum bounce_class	 cls;
	int			 policy;	/* counts against the sender */
	const char		*reason;	/* short, constant: "user unknown" */
	char			*diagnostic;	/* the remote reply or text, or
						   NULL; one line, unfolded */
	char			*action;	/* failed, delayed, delivered, ...
						   (lowercase) or NULL */
	char			*remote_mta;	/* Remote-MTA host, or NULL */
};

/*
 * Headers of the original message, found in a message/rfc822 or
 * text/rfc822-headers part, or in the copy a plain-text bounce quotes after
 * its "below this line" marker. Each is NULL when absent; values are
 * unfolded, with surrounding space trimmed.
 */
struct bounce_original {
	char	*message_id;
	char	*from;
	char	*to;
	char	*subject;
	char	*list_id;
	char	*feedback_id;
	char	*return_path;
};

struct bounce_report {
	enum bounce_format	 format;
	struct bounce_rcpt	*rcpts;
	size_t			 nrcpts;

	/*
	 * The envelope recipients the bounce was delivered to, for VERP:
	 * every Delivered-To, then X-Original-To, then the addresses of To,
	 * in that order, each an addr-spec.
	 */
	char			**envelope;
	size_t			  nenvelope;

	struct bounce_original	 original;
	char			*from;		/* From address of the report */
	char			*subject;	/* Subject of the report */
	char			*reporting_mta;	/* Reporting-MTA host, or NULL */

	int			 auto_reply;	/* read as an auto-reply: RFC 3834
						   or vacation markers, and no
						   bounce or report found */
	int			 complaint;	/* an ARF report or SES complaint */
	char			*feedback_type;	/* ARF Feedback-Type, lowercase */

	const char		*note;		/* a bound was hit, or NULL */
};

/*
 * Reads one message. Returns 0 and a new report in *out (free with
 * bounce_report_free), or -1 with *reason set when memory ran out.
 */
int	bounce_parse(const char *msg, size_t len, struct bounce_report **out,
	    const char **reason);
void	bounce_report_free(struct bounce_report *r);

/* "hard", "soft", "complaint", "ignore". */
const char *bounce_class_name(enum bounce_class cls);
/* "dsn", "arf", "ses", "qmail", "exim", "sendmail", "exchange", "prose",
 * "autoreply", "none". */
const char *bounce_format_name(enum bounce_format fmt);

/*
 * Finds the first SMTP reply in text: a code 2xx to 5xx followed by ' ',
 * '-', ':' or the end, and the enhanced status code right after it if there
 * is one ("550-5.1.1 ..."), else the first enhanced status code on its own
 * ("#5.1.1", "(5.2.2)"). Sets *code (0 if none) and status ("" if none).
 * Returns 0 when either was found, else -1.
 */
int	bounce_smtp_reply(const char *text, int *code,
	    char status[BOUNCE_STATUS_LEN]);

/*
 * The enhanced status code for a failure, from what is known: an enhanced
 * code (may be "" or generic: x.0.0 and x.5.0 are refined by the text), an
 * SMTP reply code (0 if none), the diagnostic text (may be NULL), and
 * fallback_class ('4' or '5') used when neither code says. Writes
 * "C.S.D" into status.
 */
void	bounce_status_derive(const char *enhanced, int smtp_code,
	    const char *text, char fallback_class,
	    char status[BOUNCE_STATUS_LEN]);

/*
 * The class, policy flag and reason for a recipient: from its status, its
 * DSN action (NULL if none) and the diagnostic text (NULL if none).
 */
void	bounce_classify(const char *status, const char *action,
	    const char *text, enum bounce_class *cls, int *policy,
	    const char **reason);

#endif
