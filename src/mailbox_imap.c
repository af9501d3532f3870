/*
 * mailbox_imap.c — the bounce mailbox over IMAP, through libetpan's
 * mailimap (see mailbox.h). The connection comes from mailbox_tls.c.
 *
 * UID SEARCH UNSEEN, then for each UID a FETCH of BODY.PEEK[]<0.MAX> (the
 * peek sets no flag; the partial fetch bounds what is read), the callback,
 * and, when it says processed, UID STORE +FLAGS.SILENT (\Seen).
 */
#define _GNU_SOURCE
#include "mailbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox_int.h"

static int
imap_fail(mailimap *imap, const char *what, int r, char *err, size_t errlen)
{
	const char	*resp = imap && imap->imap_response ? imap->imap_response :
			    "";

	snprintf(err, errlen, "imap: %s failed (%d)%s%.200s", what, r,
	    *resp ? ": " : "", resp);
	return -1;
}

static int
unseen_uids(mailimap *imap, clist **uids, char *err, size_t errlen)
{
	struct mailimap_search_key	*key;
	int				 r;

	key = mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
	if (key == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = mailimap_uid_search(imap, NULL, key, uids);
	mailimap_search_key_free(key);
	return r == MAILIMAP_NO_ERROR ? 0 :
	    imap_fail(imap, "SEARCH", r, err, errlen);
}

/* The body section in a FETCH result, or NULL. Borrowed from list. */
static struct mailimap_msg_att_body_section *
body_of(clist *list)
{
	clistiter			*i, *j;
	struct mailimap_msg_att		*ma;
	struct mailimap_msg_att_item	*it;

	for (i = clist_begin(list); i; i = clist_next(i)) {
		ma = clist_content(i);
		for (j = clist_begin(ma->att_list); j; j = clist_next(j)) {
			it = clist_content(j);
			if (it->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    it->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_BODY_SECTION)
				return it->att_data.att_static->att_data.
				    att_body_section;
		}
	}
	return NULL;
}

static int
mark_seen(mailimap *imap, uint32_t uid, char *err, size_t errlen)
{
	struct mailimap_flag_list	*fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags	*sa;
	struct mailimap_set		*set = mailimap_set_new_single(uid);
	int				 r;

	mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(imap, set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	return r == MAILIMAP_NO_ERROR ? 0 :
	    imap_fail(imap, "STORE", r, err, errlen);
}

/* One message: 1 processed and flagged, 0 left, -1 stop (err set). */
static int
one(mailimap *imap, uint32_t uid, mailbox_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct mailimap_fetch_type		*ft;
	struct mailimap_set			*set;
	struct mailimap_msg_att_body_section	*b;
	clist					*res = NULL;
	char					 name[32];
	int					 r, rc = 0;

	set = mailimap_set_new_single(uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section_partial(
	    mailimap_section_new(NULL), 0, MAILBOX_MSG_MAX));
	r = mailimap_uid_fetch(imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, "FETCH", r, err, errlen);
	snprintf(name, sizeof(name), "imap:%u", uid);
	if ((b = body_of(res)) != NULL) {
		rc = fn(arg, name, b->sec_body_part ? b->sec_body_part : "",
		    b->sec_body_part ? (b->sec_length < MAILBOX_MSG_MAX ?
		    b->sec_length : MAILBOX_MSG_MAX) : 0);
		if (rc == -1)
			snprintf(err, errlen, "stopped at %s", name);
	}
	mailimap_fetch_list_free(res);
	if (rc == 1 && mark_seen(imap, uid, err, errlen) == -1)
		return -1;
	return rc;
}

static int
session(mailimap *imap, const struct config *cfg, const char *folder,
    mailbox_fn fn, void *arg, char *err, size_t errlen)
{
	char		 pass[1024];
	clist		*uids = NULL;
	clistiter	*i;
	int		 r, rv = 0;

	if (mailbox_password(cfg, pass, sizeof(pass), err, errlen) == -1)
		return -1;
	r = mailimap_login(imap, cfg->mailbox_username ?
	    cfg->mailbox_username : "", pass);
	explicit_bzero(pass, sizeof(pass));
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, "LOGIN", r, err, errlen);
	if ((r = mailimap_select(imap, folder)) != MAILIMAP_NO_ERROR)
		return imap_fail(imap, "SELECT", r, err, errlen);
	if (unseen_uids(imap, &uids, err, errlen) == -1)
		return -1;
	for (i = clist_begin(uids); i && rv == 0; i = clist_next(i))
		if (one(imap, *(uint32_t *)clist_content(i), fn, arg, err,
		    errlen) == -1)
			rv = -1;
	mailimap_search_result_free(uids);
	return rv;
}

int
mailbox_imap(const struct config *cfg, mailbox_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct mailbox_url	 u;
	mailstream		*s;
	mailimap		*imap;
	int			 r, rv;

	if (mailbox_url_parse(cfg->mailbox_url, "imap", &u, err, errlen) == -1 ||
	    (s = mailbox_connect(cfg, &u, err, errlen)) == NULL)
		return -1;
	if ((imap = mailimap_new(0, NULL)) == NULL) {
		mailstream_close(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = mailimap_connect(imap, s);	/* the session owns s from here */
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		rv = imap_fail(imap, "greeting", r, err, errlen);
	else if (u.starttls && (r = mailimap_starttls(imap)) !=
	    MAILIMAP_NO_ERROR)
		rv = imap_fail(imap, "STARTTLS", r, err, errlen);
	else if (u.starttls && mailbox_starttls(cfg, &u, imap->imap_stream,
	    err, errlen) == -1)
		rv = -1;
	else
		rv = session(imap, cfg, u.path[0] ? u.path : "INBOX", fn, arg,
		    err, errlen);
	if (rv == 0)
		mailimap_logout(imap);
	mailimap_free(imap);
	return rv;
}
