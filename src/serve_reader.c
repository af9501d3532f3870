/*
 * serve_reader.c — what each route of `dispatcher serve` does (see
 * serve.h): checks the token or the form, asks reader.c to change the
 * subscription, and says which page to answer with. No HTTP here: serve.c
 * parses the request before and writes the answer after.
 */
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "buf.h"
#include "confirm_mail.h"
#include "log.h"
#include "reader.h"
#include "serve_int.h"
#include "spool.h"
#include "subscriber.h"
#include "utf8.h"

static const struct list_conf *
find_list(struct serve *s, const char *name, const struct serve_list **sl)
{
	size_t	i;

	for (i = 0; i < s->cfg->nlists; i++)
		if (strcmp(s->cfg->lists[i].name, name) == 0) {
			*sl = &s->lists[i];
			return &s->cfg->lists[i];
		}
	return NULL;
}

void
answer_error(struct serve *s, struct answer *a, int status, const char *list,
    const char *heading, const char *message)
{
	const struct serve_list	*sl;
	const struct list_conf	*l = list ? find_list(s, list, &sl) : NULL;

	memset(&a->v, 0, sizeof(a->v));
	a->status = status;
	a->form = 0;
	a->pages = l ? sl->pages : s->fallback;
	a->v.title = heading;
	a->v.heading = heading;
	a->v.message = message;
	a->v.list_name = l ? l->display_name : "";
}

static void
answer_page(struct answer *a, const struct list_conf *l,
    const struct serve_list *sl, int form, const char *heading,
    const char *message)
{
	memset(&a->v, 0, sizeof(a->v));
	a->status = 200;
	a->form = form;
	a->pages = sl->pages;
	a->v.title = heading;
	a->v.heading = heading;
	a->v.message = message;
	a->v.list_name = l->display_name;
	a->v.detail = a->detail;
}

static void
server_error(struct serve *s, struct answer *a, const char *list,
    const char *what, const char *err)
{
	log_error("serve", "%s: %s", what, err);
	answer_error(s, a, 500, list, "Something went wrong",
	    "Nothing was changed. Please try again in a few minutes.");
}

static void
bad_link(struct serve *s, struct answer *a, const char *list)
{
	answer_error(s, a, 400, list, "This link is not valid",
	    "It may have been cut short or changed on its way. Use the link "
	    "in the latest message you received, whole.");
}

/* ---- unsubscribe ---------------------------------------------------- */

void
route_unsubscribe(struct serve *s, const struct request *r, struct answer *a)
{
	const struct serve_list	*sl;
	const struct list_conf	*l = find_list(s, r->path->list, &sl);
	char			 address[ADDRESS_MAX + 1], err[ERRLEN];
	const char		*reason, *v;
	char			 detail[80];
	int			 rc;

	if (l == NULL)
		return answer_error(s, a, 404, NULL, "No such list",
		    "This link names a list that does not exist here.");
	if (token_keys_check(s->keys, TOKEN_UNSUBSCRIBE, l->name,
	    r->path->token, r->now, address, &reason) != 0)
		return bad_link(s, a, l->name);
	pages_mask_address(address, a->detail, sizeof(a->detail));
	if (!r->post) {
		answer_page(a, l, sl, 1, "Unsubscribe?", "Press the button to "
		    "stop receiving this list at this address:");
		snprintf(a->action, sizeof(a->action), "/unsubscribe/%s/%s",
		    l->name, r->path->token);
		a->v.action = a->action;
		a->v.button = "Unsubscribe";
		a->v.field_name = "List-Unsubscribe";
		a->v.field_value = "One-Click";
		return;
	}
	if ((v = http_form_get(r->form, "List-Unsubscribe")) == NULL ||
	    strcmp(v, "One-Click") != 0)
		return answer_error(s, a, 400, l->name, "Not understood",
		    "An unsubscribe request carries List-Unsubscribe=One-Click. "
		    "Nothing was changed.");
	snprintf(detail, sizeof(detail), "HTTP from %s", r->client);
	pthread_mutex_lock(&s->lock);
	rc = reader_unsubscribe(s->st, l->name, address, "unsubscribe link",
	    detail, err, sizeof(err));
	pthread_mutex_unlock(&s->lock);
	if (rc == -1)
		return server_error(s, a, l->name, "unsubscribe", err);
	answer_page(a, l, sl, 0, "You are unsubscribed", "You will get no "
	    "more messages from this list at this address:");
}

/* ---- confirm -------------------------------------------------------- */

void
route_confirm(struct serve *s, const struct request *r, struct answer *a)
{
	const struct serve_list	*sl;
	const struct list_conf	*l = find_list(s, r->path->list, &sl);
	char			 address[ADDRESS_MAX + 1], err[ERRLEN];
	char			 detail[80];
	const char		*reason;
	int			 rc, joined;

	if (l == NULL)
		return answer_error(s, a, 404, NULL, "No such list",
		    "This link names a list that does not exist here.");
	rc = token_confirm_check(s->keys, l->name, r->path->token, r->now,
	    address, &reason);
	if (rc == TOKEN_EXPIRED)
		return answer_error(s, a, 410, l->name, "This link has expired",
		    "Confirmation links work for a limited time. Sign up again "
		    "to get a new one.");
	if (rc != 0)
		return bad_link(s, a, l->name);
	pages_mask_address(address, a->detail, sizeof(a->detail));
	if (!r->post) {
		answer_page(a, l, sl, 1, "Confirm your subscription",
		    "Press the button to start receiving this list at this "
		    "address:");
		snprintf(a->action, sizeof(a->action), "/confirm/%s/%s",
		    l->name, r->path->token);
		a->v.action = a->action;
		a->v.button = "Confirm subscription";
		a->v.field_name = "confirm";
		a->v.field_value = "yes";
		return;
	}
	snprintf(detail, sizeof(detail), "HTTP from %s", r->client);
	pthread_mutex_lock(&s->lock);
	rc = reader_confirm(s->st, l->name, address, detail, &joined, err,
	    sizeof(err));
	pthread_mutex_unlock(&s->lock);
	if (rc == -1)
		return server_error(s, a, l->name, "confirm", err);
	answer_page(a, l, sl, 0, "You are subscribed", "Thank you. The next "
	    "issue will come to this address:");
}

/* ---- subscribe ------------------------------------------------------ */

/* Queues the confirmation message for address. 0 / -1 + err. */
static int
send_confirmation(struct serve *s, const struct list_conf *l,
    const struct serve_list *sl, const char *address, long long now,
    char *err, size_t errlen)
{
	struct confirm_mail	 m;
	struct buf		 msg;
	char			 token[TOKEN_MAX], url[1024];
	const char		*domain = s->cfg->bounce_domain ?
				    s->cfg->bounce_domain :
				    address_domain(l->from_address);
	uint64_t		 id;
	int			 rc;

	memset(&m, 0, sizeof(m));
	m.list = l;
	m.address = address;
	m.now = now;
	m.expires = now + s->cfg->serve_confirm_expiry;
	if (token_confirm_make(&s->keys->current, l->name, address,
	    m.expires, token) == 0)
		return errf(err, errlen, "address too long"), -1;
	snprintf(url, sizeof(url), "%s/confirm/%s/%s", l->base_url, l->name,
	    token);
	m.url = url;
	buf_init(&msg, 1 << 20);
	rc = confirm_mail_build(&sl->confirm, &m, &msg, err, errlen);
	if (rc == 0)
		rc = spool_enqueue_message(s->st, address, domain, msg.data,
		    msg.len, &id, err, errlen);
	buf_free(&msg);
	if (rc == 0)
		atomic_store(&s->deliver_wanted, 1);
	return rc;
}

/* The form's fields, checked: 0, or -1 with the answer filled. */
static int
signup_fields(struct serve *s, const struct request *r, struct answer *a,
    const struct list_conf **l, const struct serve_list **sl,
    char address[ADDRESS_MAX + 1], char key[ADDRESS_MAX + 1],
    const char **name)
{
	const char	*list = http_form_get(r->form, "list");
	const char	*email = http_form_get(r->form, "email");
	const char	*why, *c;
	size_t		 bad;

	if (email == NULL)
		email = http_form_get(r->form, "address");
	*name = http_form_get(r->form, "name");
	if (list == NULL || (*l = find_list(s, list, sl)) == NULL)
		return answer_error(s, a, 404, NULL, "No such list",
		    "The form names a list that does not exist here."), -1;
	if (email == NULL || *email == '\0' || strlen(email) >
	    ADDRESS_INPUT_MAX || address_normalize(email, address, key,
	    &why) == -1)
		return answer_error(s, a, 400, list, "Check the address",
		    "That does not look like an email address. Go back and "
		    "correct it."), -1;
	for (c = *name; c && *c && (unsigned char)*c >= 0x20 && *c != 0x7f; c++)
		;
	if (*name && (strlen(*name) > SUB_NAME_MAX || *c != '\0' ||
	    utf8_check(*name, strlen(*name), &bad) != 0))
		return answer_error(s, a, 400, list, "Check the name",
		    "The name is too long or holds characters it cannot "
		    "hold."), -1;
	return 0;
}

/* Per-IP and per-address limits: 0, or -1 with a 429 answer. */
static int
signup_limits(struct serve *s, const struct request *r, const char *key,
    const char *list, struct answer *a)
{
	long	wait;

	pthread_mutex_lock(&s->lock);
	wait = ratelimit_hit(s->per_ip, r->client, r->now);
	if (wait == 0)
		wait = ratelimit_hit(s->per_address, key, r->now);
	pthread_mutex_unlock(&s->lock);
	if (wait == 0)
		return 0;
	answer_error(s, a, 429, list, "Too many sign-ups",
	    "Please wait a while before you try again.");
	a->retry_after = wait;
	return -1;
}

void
route_subscribe(struct serve *s, const struct request *r, struct answer *a)
{
	const struct list_conf	*l;
	const struct serve_list	*sl;
	char			 address[ADDRESS_MAX + 1], key[ADDRESS_MAX + 1];
	char			 err[ERRLEN], detail[80];
	const char		*name;
	enum signup_result	 res;
	int			 rc, single;

	if (signup_fields(s, r, a, &l, &sl, address, key, &name) == -1 ||
	    signup_limits(s, r, key, l->name, a) == -1)
		return;
	single = l->opt_in == OPT_IN_SINGLE;
	snprintf(detail, sizeof(detail), "HTTP from %s", r->client);
	pthread_mutex_lock(&s->lock);
	rc = reader_signup(s->st, l->name, address, key, name, single, detail,
	    &res, err, sizeof(err));
	if (rc == 0 && res == SIGNUP_CONFIRM)
		rc = send_confirmation(s, l, sl, address, r->now, err,
		    sizeof(err));
	pthread_mutex_unlock(&s->lock);
	if (rc == -1)
		return server_error(s, a, l->name, "sign-up", err);
	snprintf(a->detail, sizeof(a->detail), "%s", address);
	/* the same words whatever the address's status was */
	if (single)
		answer_page(a, l, sl, 0, "Thank you for signing up",
		    "From the next issue on, this list comes to:");
	else
		answer_page(a, l, sl, 0, "Check your inbox", "To finish, open "
		    "the link in the message we are sending to:");
}
