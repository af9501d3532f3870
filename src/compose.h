/*
 * compose.h — an issue rendered for one list, and each subscriber's message.
 *
 * compose_issue() does everything that is the same for every subscriber,
 * once: Markdown to HTML and text, the templates filled with the issue's
 * values, both parts quoted-printable encoded, the constant headers written.
 * What stays open are a few slots (the subscriber's name, address and
 * unsubscribe URL) between ready-encoded byte runs. compose_message() fills
 * them: a few short encodings, two HMACs and memcpy, microseconds a message,
 * and the same bytes for the same subscriber every time it is called.
 *
 * The message is multipart/alternative: text/plain then text/html, both
 * UTF-8 and quoted-printable, CRLF line ends, no line over 78 octets in the
 * headers where a fold is possible and none over 76 in the bodies.
 */
#ifndef DISPATCHER_COMPOSE_H
#define DISPATCHER_COMPOSE_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "issue.h"
#include "token.h"

#define COMPOSE_SUBJECT_WARN	90	/* characters */

struct composed_issue;

struct recipient {
	const char	*address;	/* as the subscriber gave it */
	const char	*name;		/* may be NULL */
};

/*
 * Renders is for list. Warnings (a large HTML part, a long subject) go into
 * warnings; on an error returns NULL with "file:line: reason" in err.
 * key is copied. The result is freed with compose_free().
 */
struct composed_issue *compose_issue(const struct config *cfg,
	    const struct list_conf *list, const struct issue *is,
	    const struct token_key *key, struct diag *warnings,
	    char *err, size_t errlen);
void	compose_free(struct composed_issue *ci);	/* accepts NULL */

/* Appends rcpt's whole message to out. 0, or -1 with a reason in err (an
 * invalid address, a control character in the name). */
int	compose_message(const struct composed_issue *ci,
	    const struct recipient *rcpt, struct buf *out, char *err,
	    size_t errlen);

/* Appends rcpt's HTML part, decoded, to out (for preview). 0 / -1. */
int	compose_html(const struct composed_issue *ci,
	    const struct recipient *rcpt, struct buf *out, char *err,
	    size_t errlen);

/*
 * The rendered issue as bytes, for the spool: compose_save() appends it to
 * out; compose_load() makes a composed issue from them again (free with
 * compose_free), finding its list in cfg. Messages composed from a loaded
 * issue are byte for byte those of the original.
 */
int	compose_save(const struct composed_issue *ci, struct buf *out);
struct composed_issue *compose_load(const struct config *cfg,
	    const struct token_key *key, const void *data, size_t len,
	    char *err, size_t errlen);

/* The issue's id: hex of a hash of the list and the issue's bytes. */
const char *compose_issue_id(const struct composed_issue *ci);
/* The list the issue was rendered for. Borrowed. */
const struct list_conf *compose_list(const struct composed_issue *ci);
/* Size in bytes of the encoded HTML part. */
size_t	compose_html_size(const struct composed_issue *ci);

#endif
