/*
 * confirm_mail.h — the message that asks a new subscriber to confirm.
 *
 * A plain-text message (UTF-8, quoted-printable, CRLF line ends) from the
 * list's From address to the address that signed up, its body filled from
 * templates/SET/confirm.txt with {{name}} (", NAME" or empty), {{email}},
 * {{list_name}}, {{confirm_url}}, {{expires}} and {{postal_address}}. It
 * is queued with spool_enqueue_message() and goes out through the normal
 * delivery path; a signing step for the whole message belongs at the end
 * of confirm_mail_build(), the one place it is made.
 */
#ifndef DISPATCHER_CONFIRM_MAIL_H
#define DISPATCHER_CONFIRM_MAIL_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "template.h"

struct confirm_mail {
	const struct list_conf	*list;
	const char		*address;	/* checked already */
	const char		*name;		/* may be NULL or empty */
	const char		*url;		/* the confirmation page */
	long long		 expires;	/* seconds since the epoch */
	long long		 now;
};

/* Loads templates_dir/set/confirm.txt into t (free with tpl_free) and
 * checks its placeholders. 0, or -1 with "file:line: reason". */
int	confirm_mail_template(const char *templates_dir, const char *set,
	    struct tpl *t, char *err, size_t errlen);

/* Appends the whole message to out. 0, or -1 with a reason in err (a
 * control character in the name, out full). */
int	confirm_mail_build(const struct tpl *t, const struct confirm_mail *m,
	    struct buf *out, char *err, size_t errlen);

#endif
