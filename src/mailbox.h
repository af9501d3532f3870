/*
 * mailbox.h — the places bounces are read from, besides files and stdin:
 * a Maildir, an IMAP folder and a POP3 maildrop.
 *
 * Each source hands every candidate message to a callback, one at a time,
 * and marks it processed only when the callback says so, after the callback
 * has returned (so after the message's effects are committed):
 *
 *	fn returns 1   processed: mark it (Maildir: move to cur/ with the S
 *	               flag; IMAP: \Seen; POP3: DELE, applied at QUIT)
 *	           0   not ours: leave it where it is, unmarked
 *	          -1   stop now (a temporary failure): mark nothing more
 *
 * Messages are cut to MAILBOX_MSG_MAX bytes before the callback sees them
 * (bounce_parse reads no more). The callback's name is for humans: the
 * file name, or "imap:UID" / "pop3:UIDL".
 *
 * Every function returns 0 when the source was read through, -1 with the
 * reason in err otherwise (a callback's -1 included). Secrets never appear
 * in err.
 */
#ifndef DISPATCHER_MAILBOX_H
#define DISPATCHER_MAILBOX_H

#include <stddef.h>

#include "bounce.h"
#include "config.h"

#define MAILBOX_MSG_MAX	(BOUNCE_INPUT_MAX + 1)

typedef int (*mailbox_fn)(void *arg, const char *name, const char *msg,
    size_t len);

/*
 * DIR/new/ and the messages in DIR/cur/ without the S flag, in name order;
 * names starting with '.' are skipped. Processed: renamed (rename(2), same
 * file system, atomic) to DIR/cur/NAME:2,FLAGS with S added to FLAGS.
 */
int	mailbox_maildir(const char *dir, mailbox_fn fn, void *arg, char *err,
	    size_t errlen);

/*
 * The folder of cfg->mailbox_url (imaps://HOST[:PORT]/FOLDER, or imap://
 * with STARTTLS required; INBOX when no folder): the messages without
 * \Seen, fetched with BODY.PEEK so that reading marks nothing. Processed:
 * UID STORE +FLAGS (\Seen).
 */
int	mailbox_imap(const struct config *cfg, mailbox_fn fn, void *arg,
	    char *err, size_t errlen);

/*
 * The maildrop of cfg->mailbox_url (pop3s://HOST[:PORT], or pop3:// with
 * STLS required): every message.
 * Processed: DELE, which the server applies at QUIT (sent after a stop
 * too); a connection lost before QUIT deletes nothing, and the next run
 * finds those messages already done.
 */
int	mailbox_pop3(const struct config *cfg, mailbox_fn fn, void *arg,
	    char *err, size_t errlen);

#endif
