/*
 * mailbox_pop3.c — the bounce mailbox over POP3, through libetpan's
 * mailpop3 (see mailbox.h). The connection comes from mailbox_tls.c.
 *
 * LIST, then RETR of each message, the callback, and DELE when it says
 * processed; QUIT applies the deletions, also after the callback asked to
 * stop (each message deleted by then had its effects committed). Mail left
 * alone stays on the server and is read again by the next run.
 */
#define _GNU_SOURCE
#include "mailbox.h"

#include <stdio.h>
#include <string.h>

#include "mailbox_int.h"

static int
pop3_fail(mailpop3 *pop3, const char *what, int r, char *err, size_t errlen)
{
	const char	*resp = pop3 && pop3->pop3_response ? pop3->pop3_response :
			    "";

	snprintf(err, errlen, "pop3: %s failed (%d)%s%.200s", what, r,
	    *resp ? ": " : "", resp);
	return -1;
}

/* One message: 1 processed (DELE sent), 0 left, -1 stop (err set). */
static int
one(mailpop3 *pop3, const struct mailpop3_msg_info *mi, mailbox_fn fn,
    void *arg, char *err, size_t errlen)
{
	char	*data = NULL, name[96];
	size_t	 len = 0;
	int	 r, rc;

	if ((r = mailpop3_retr(pop3, mi->msg_index, &data, &len)) !=
	    MAILPOP3_NO_ERROR)
		return pop3_fail(pop3, "RETR", r, err, errlen);
	snprintf(name, sizeof(name), "pop3:%.80s", mi->msg_uidl ?
	    mi->msg_uidl : "");
	if (mi->msg_uidl == NULL)
		snprintf(name, sizeof(name), "pop3:%u", mi->msg_index);
	rc = fn(arg, name, data, len < MAILBOX_MSG_MAX ? len : MAILBOX_MSG_MAX);
	mailpop3_retr_free(data);
	if (rc == -1)
		snprintf(err, errlen, "stopped at %s", name);
	if (rc == 1 && (r = mailpop3_dele(pop3, mi->msg_index)) !=
	    MAILPOP3_NO_ERROR)
		return pop3_fail(pop3, "DELE", r, err, errlen);
	return rc;
}

static int
session(mailpop3 *pop3, const struct config *cfg, mailbox_fn fn, void *arg,
    char *err, size_t errlen)
{
	char		 pass[1024];
	carray		*msgs = NULL;
	unsigned	 i;
	int		 r, rv = 0;

	if (mailbox_password(cfg, pass, sizeof(pass), err, errlen) == -1)
		return -1;
	r = mailpop3_login(pop3, cfg->mailbox_username ?
	    cfg->mailbox_username : "", pass);
	explicit_bzero(pass, sizeof(pass));
	if (r != MAILPOP3_NO_ERROR)
		return pop3_fail(pop3, "login", r, err, errlen);
	if ((r = mailpop3_list(pop3, &msgs)) != MAILPOP3_NO_ERROR)
		return pop3_fail(pop3, "LIST", r, err, errlen);
	for (i = 0; i < carray_count(msgs) && rv == 0; i++) {
		struct mailpop3_msg_info *mi = carray_get(msgs, i);
		if (mi && one(pop3, mi, fn, arg, err, errlen) == -1)
			rv = -1;
	}
	/* also after a stop: what was deleted had its effects committed */
	if ((r = mailpop3_quit(pop3)) != MAILPOP3_NO_ERROR && rv == 0)
		return pop3_fail(pop3, "QUIT", r, err, errlen);
	return rv;
}

int
mailbox_pop3(const struct config *cfg, mailbox_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct mailbox_url	 u;
	mailstream		*s;
	mailpop3		*pop3;
	int			 r, rv;

	if (mailbox_url_parse(cfg->mailbox_url, "pop3", &u, err, errlen) == -1 ||
	    (s = mailbox_connect(cfg, &u, err, errlen)) == NULL)
		return -1;
	if ((pop3 = mailpop3_new(0, NULL)) == NULL) {
		mailstream_close(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = mailpop3_connect(pop3, s);	/* the session owns s from here */
	if (r != MAILPOP3_NO_ERROR)
		rv = pop3_fail(pop3, "greeting", r, err, errlen);
	else if (u.starttls && (r = mailpop3_stls(pop3)) != MAILPOP3_NO_ERROR)
		rv = pop3_fail(pop3, "STLS", r, err, errlen);
	else if (u.starttls && mailbox_starttls(cfg, &u, pop3->pop3_stream,
	    err, errlen) == -1)
		rv = -1;
	else
		rv = session(pop3, cfg, fn, arg, err, errlen);
	mailpop3_free(pop3);
	return rv;
}
