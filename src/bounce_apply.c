/*
 * bounce_apply.c — attribution and actions for what comes back (see
 * bounce_apply.h). Everything happens in one write transaction, so a
 * report's effects and its "seen" mark are committed together or not at
 * all: a crash in between leaves the message to be processed again.
 */
#define _GNU_SOURCE
#include "bounce_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "digest.h"
#include "spool.h"
#include "subscriber.h"

static const char *effect_names[] = { "none", "seen", "soft", "bounced",
	"complained", "unsubscribed", "policy" };

const char *
bounce_effect_name(enum bounce_effect e)
{
	return effect_names[e];
}

struct apply {
	struct store			*st;
	const struct config		*cfg;
	const struct token_keys		*keys;
	const char			*raw;
	size_t				 len;
	const struct bounce_report	*r;
	const char			*rcpt_arg;
	unsigned char			 hash[DIGEST_LEN];
	int64_t				 now;
	/* found by attribution */
	uint64_t			 entry;		/* 0: none */
	char				 address[ADDRESS_MAX + 1];
	char				 list[65];	/* "": every list */
	const struct bounce_rcpt	*rcpt;		/* what is reported */
	struct bounce_outcome		*out;
};

/* ---- attribution ----------------------------------------------------- */

/* The keys a token may be made with: the current one, then the previous
 * one until its end date. NULL past the last. */
static const struct token_key *
key_at(const struct apply *a, int i)
{
	if (i == 0)
		return &a->keys->current;
	if (i == 1 && a->keys->has_previous &&
	    a->now < a->keys->previous_until)
		return &a->keys->previous;
	return NULL;
}

static int
by_verp_address(struct store_txn *txn, struct apply *a, const char *addr)
{
	const struct token_key	*k;
	struct spool_entry	 e;
	struct spool_issue	 is;
	unsigned long long	 id;
	const char		*why;
	int			 i;

	for (i = 0; (k = key_at(a, i)) != NULL; i++)
		if (token_verp_check(k, a->cfg->verp_prefix, addr, &id,
		    &why) == 0)
			break;
	if (k == NULL)
		return 0;
	if (spool_entry_read(txn, id, &e) != 0)
		return 0;
	snprintf(a->address, sizeof(a->address), "%s", e.address);
	if (SPOOL_ISSUE_OF(id) != 0 &&
	    spool_issue_read(txn, SPOOL_ISSUE_OF(id), &is) == 0)
		snprintf(a->list, sizeof(a->list), "%s", is.list);
	a->entry = id;
	snprintf(a->out->how, sizeof(a->out->how), "verp");
	return 1;
}

static int
by_verp(struct store_txn *txn, struct apply *a)
{
	size_t	i;

	if (a->rcpt_arg && by_verp_address(txn, a, a->rcpt_arg))
		return 1;
	for (i = 0; i < a->r->nenvelope; i++)
		if (by_verp_address(txn, a, a->r->envelope[i]))
			return 1;
	return 0;
}

/* 1 when mac (the part after the dot) is ours for issue and address. */
static int
message_id_matches(const struct apply *a, const char *issue,
    const char *address, const char *mac)
{
	const struct token_key	*k;
	char			 want[32];
	int			 i;

	for (i = 0; (k = key_at(a, i)) != NULL; i++) {
		token_short(k, issue, address, want);
		if (strncmp(mac, want, strlen(want)) == 0)
			return 1;
	}
	return 0;
}

/* Our Message-IDs are <ISSUEID.HMAC@domain>, the HMAC over the address. */
static int
by_message_id(struct apply *a)
{
	const char	*mid = a->r->original.message_id, *dot;
	char		 issue[17];
	size_t		 i;

	if (mid == NULL)
		return 0;
	mid += *mid == '<';
	if ((dot = strchr(mid, '.')) == NULL || dot - mid != 16)
		return 0;
	memcpy(issue, mid, 16);
	issue[16] = '\0';
	for (i = 0; i < a->r->nrcpts; i++) {
		const char *rc = a->r->rcpts[i].recipient;
		if (rc == NULL)
			continue;
		if (message_id_matches(a, issue, rc, dot + 1)) {
			snprintf(a->address, sizeof(a->address), "%s", rc);
			a->rcpt = &a->r->rcpts[i];
			snprintf(a->out->how, sizeof(a->out->how), "message-id");
			return 1;
		}
	}
	return 0;
}

/* The list whose List-Id the original carried, or "" (every list). */
static void
list_from_list_id(struct apply *a)
{
	const char	*lid = a->r->original.list_id;
	size_t		 i;

	for (i = 0; lid && i < a->cfg->nlists; i++)
		if (strcasestr(lid, a->cfg->lists[i].list_id) != NULL) {
			snprintf(a->list, sizeof(a->list), "%s",
			    a->cfg->lists[i].name);
			return;
		}
}

static int
by_recipient(struct apply *a)
{
	size_t	i;

	for (i = 0; i < a->r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &a->r->rcpts[i];
		const char *addr = rc->recipient ? rc->recipient : rc->original;
		if (addr == NULL || (rc->cls == BOUNCE_IGNORE && !rc->policy))
			continue;
		snprintf(a->address, sizeof(a->address), "%s", addr);
		a->rcpt = rc;
		snprintf(a->out->how, sizeof(a->out->how), "final-recipient");
		return 1;
	}
	return 0;
}

/* The reported recipient that matters for the attributed address. */
static void
pick_rcpt(struct apply *a)
{
	size_t	i;

	if (a->rcpt)
		return;
	for (i = 0; i < a->r->nrcpts; i++)
		if (a->r->rcpts[i].recipient &&
		    strcasecmp(a->r->rcpts[i].recipient, a->address) == 0) {
			a->rcpt = &a->r->rcpts[i];
			return;
		}
	for (i = 0; i < a->r->nrcpts; i++)
		if (a->r->rcpts[i].cls != BOUNCE_IGNORE || a->r->rcpts[i].policy) {
			a->rcpt = &a->r->rcpts[i];
			return;
		}
	if (a->r->nrcpts > 0)
		a->rcpt = &a->r->rcpts[0];
}

/* ---- actions ------------------------------------------------------------ */

static void
describe(const struct apply *a, char *reason, size_t rlen, char *detail,
    size_t dlen)
{
	const struct bounce_rcpt *rc = a->rcpt;
	char	 hex[17];

	digest_hex(a->hash, 8, hex);
	snprintf(reason, rlen, "%s %s%s%s", rc && rc->status[0] ? rc->status :
	    "-", rc && rc->reason ? rc->reason : "bounce",
	    rc && rc->diagnostic ? ": " : "", rc && rc->diagnostic ?
	    rc->diagnostic : "");
	snprintf(detail, dlen, "%s report %s, via %s",
	    bounce_format_name(a->r->format), hex, a->out->how);
}

static int
set_status(struct store_txn *txn, struct apply *a, const char *list,
    enum sub_status to, enum sub_source src, const char *reason,
    const char *detail)
{
	int	rc = subscriber_set_status(txn, list, a->address, to, src, reason,
		    detail);

	if (rc == -1)
		return -1;
	if (rc == 0)
		snprintf(a->out->list, sizeof(a->out->list), "%s", list);
	return rc == 0;
}

static int
push_history(struct store_txn *txn, const char *list, struct apply *a,
    char kind, struct subscriber *s)
{
	const struct bounce_rcpt *rc = a->rcpt;
	int	n;

	if ((n = subscriber_get(txn, list, a->address, s)) != 0)
		return n == STORE_NOTFOUND ? 0 : -1;
	subscriber_bounce_push(s, a->now, rc ? rc->status : "", kind,
	    rc && rc->diagnostic ? rc->diagnostic : "");
	return subscriber_put(txn, list, s) == -1 ? -1 : 1;
}

/* Hard: bounced on every list the address is on. */
static int
act_hard(struct store_txn *txn, struct apply *a, const char *reason,
    const char *detail)
{
	struct subscriber	s;
	size_t			i;
	int			rc, changed = 0;

	for (i = 0; i < a->cfg->nlists; i++) {
		const char *list = a->cfg->lists[i].name;
		if ((rc = push_history(txn, list, a, 'h', &s)) <= 0) {
			if (rc == -1)
				return -1;
			continue;
		}
		if (s.status == SUB_BOUNCED || s.status == SUB_COMPLAINED ||
		    s.status == SUB_UNSUBSCRIBED)
			continue;
		if ((rc = set_status(txn, a, list, SUB_BOUNCED, SRC_BOUNCE,
		    reason, detail)) == -1)
			return -1;
		changed |= rc;
	}
	a->out->effect = changed ? EFFECT_BOUNCED : EFFECT_NONE;
	return 0;
}

/* Soft: the score on each list the address is on. */
static int
act_soft(struct store_txn *txn, struct apply *a, const char *reason,
    const char *detail)
{
	struct subscriber	s;
	size_t			i;
	int			rc;
	int64_t			last;

	for (i = 0; i < a->cfg->nlists; i++) {
		const char *list = a->cfg->lists[i].name;
		if (a->list[0] && strcmp(a->list, list) != 0)
			continue;
		if ((rc = subscriber_get(txn, list, a->address, &s)) != 0) {
			if (rc == -1)
				return -1;
			continue;
		}
		last = s.nbounces ? s.bounces[s.nbounces - 1].when : 0;
		if (last && a->now - last >= a->cfg->bounce_soft_decay)
			s.bounce_score = 0;	/* a quiet spell: start again */
		if (!last || a->now - last >= a->cfg->bounce_soft_interval ||
		    s.bounce_score == 0)
			s.bounce_score++;
		subscriber_bounce_push(&s, a->now, a->rcpt ? a->rcpt->status : "",
		    's', a->rcpt && a->rcpt->diagnostic ? a->rcpt->diagnostic : "");
		if (subscriber_put(txn, list, &s) == -1)
			return -1;
		snprintf(a->out->list, sizeof(a->out->list), "%s", list);
		if (a->out->effect == EFFECT_NONE)
			a->out->effect = EFFECT_SOFT;
		if (s.bounce_score < a->cfg->bounce_soft_threshold ||
		    !subscriber_sendable(s.status))
			continue;
		if ((rc = set_status(txn, a, list, SUB_BOUNCED, SRC_BOUNCE,
		    reason, detail)) == -1)
			return -1;
		if (rc)
			a->out->effect = EFFECT_BOUNCED;
	}
	return 0;
}

static int
act_complaint(struct store_txn *txn, struct apply *a, const char *reason,
    const char *detail)
{
	struct subscriber	s;
	size_t			i;
	int			rc;

	for (i = 0; i < a->cfg->nlists; i++) {
		const char *list = a->cfg->lists[i].name;
		if (a->list[0] && strcmp(a->list, list) != 0)
			continue;
		if ((rc = push_history(txn, list, a, 'c', &s)) <= 0) {
			if (rc == -1)
				return -1;
			continue;
		}
		if ((rc = set_status(txn, a, list, SUB_COMPLAINED, SRC_COMPLAINT,
		    reason, detail)) == -1)
			return -1;
		if (rc)
			a->out->effect = EFFECT_COMPLAINED;
	}
	return 0;
}

/* "unsubscribe TOKEN" mailed to a list's List-Unsubscribe address. */
static int
act_mailto(struct store_txn *txn, struct apply *a)
{
	const char	*subj = a->r->subject, *tok, *why;
	char		 token[TOKEN_MAX], addr[ADDRESS_MAX + 1];
	size_t		 i, j;
	int		 rc;

	if (subj == NULL || (tok = strcasestr(subj, "unsubscribe ")) == NULL)
		return 0;
	snprintf(token, sizeof(token), "%s", tok + 12);
	token[strcspn(token, " \t")] = '\0';
	for (i = 0; i < a->cfg->nlists; i++) {
		const struct list_conf *l = &a->cfg->lists[i];
		for (j = 0; j < a->r->nenvelope || (j == 0 && a->rcpt_arg); j++) {
			const char *to = j < a->r->nenvelope ? a->r->envelope[j] :
			    a->rcpt_arg;
			if (strcasecmp(to, l->unsubscribe_mailto) != 0 ||
			    token_keys_check(a->keys, TOKEN_UNSUBSCRIBE, l->name,
			    token, a->now, addr, &why) == -1)
				continue;
			snprintf(a->address, sizeof(a->address), "%s", addr);
			snprintf(a->out->how, sizeof(a->out->how), "mailto");
			if ((rc = set_status(txn, a, l->name, SUB_UNSUBSCRIBED,
			    SRC_READER, "unsubscribe mail", "List-Unsubscribe "
			    "mailto")) == -1)
				return -1;
			a->out->effect = rc ? EFFECT_UNSUBSCRIBED : EFFECT_NONE;
			return 1;
		}
	}
	return 0;
}

static int
seen_before(struct store_txn *txn, struct apply *a)
{
	struct store_val	v;
	int			rc = store_get(txn, STORE_REPORTS, a->hash,
				    DIGEST_LEN, &v);

	return rc == STORE_NOTFOUND ? 0 : rc == 0 ? 1 : -1;
}

static int
keep_report(struct store_txn *txn, struct apply *a)
{
	size_t		 max = (size_t)a->cfg->bounce_report_max_kb * 1024;
	size_t		 n = a->len < max ? a->len : max;
	unsigned char	*v;
	int		 rc;

	if ((v = malloc(8 + n)) == NULL) {
		store_txn_errf(txn, "out of memory");
		return -1;
	}
	store_be64_put(v, (uint64_t)a->now);
	memcpy(v + 8, a->raw, n);
	rc = store_put(txn, STORE_REPORTS, a->hash, DIGEST_LEN, v, 8 + n, 0);
	free(v);
	return rc;
}

static int
attribute(struct store_txn *txn, struct apply *a)
{
	if (by_verp(txn, a) || by_message_id(a))
		return 1;
	if (by_recipient(a)) {
		list_from_list_id(a);
		return 1;
	}
	return 0;
}

static int
act(struct store_txn *txn, struct apply *a)
{
	char	reason[SUB_TEXT_MAX + 1], detail[SUB_TEXT_MAX + 1];

	pick_rcpt(a);
	describe(a, reason, sizeof(reason), detail, sizeof(detail));
	if (a->r->complaint || (a->rcpt && a->rcpt->cls == BOUNCE_COMPLAINT))
		return act_complaint(txn, a, reason, detail);
	if (a->rcpt == NULL || a->r->auto_reply)
		return 0;
	if (a->rcpt->policy) {
		a->out->effect = EFFECT_POLICY;
		return a->entry ? (spool_entry_mark(txn, a->entry, ENTRY_FAILED,
		    reason) == -1 ? -1 : 0) : 0;
	}
	if (a->rcpt->cls == BOUNCE_IGNORE)
		return 0;
	if (a->entry && spool_entry_mark(txn, a->entry, ENTRY_BOUNCED,
	    reason) == -1)
		return -1;
	return a->rcpt->cls == BOUNCE_HARD ? act_hard(txn, a, reason, detail) :
	    act_soft(txn, a, reason, detail);
}

static int
apply_fn(struct store_txn *txn, void *arg)
{
	struct apply	*a = arg;
	int		 rc;

	memset(a->out, 0, sizeof(*a->out));
	a->entry = 0;
	a->address[0] = a->list[0] = '\0';
	a->rcpt = NULL;
	if ((rc = seen_before(txn, a)) != 0) {
		a->out->effect = EFFECT_SEEN;
		return rc == -1 ? -1 : STORE_ROLLBACK;
	}
	if ((rc = act_mailto(txn, a)) == 0 && attribute(txn, a))
		rc = act(txn, a) == -1 ? -1 : 1;
	if (rc == -1)
		return -1;
	snprintf(a->out->address, sizeof(a->out->address), "%s", a->address);
	if (a->out->effect == EFFECT_NONE && a->entry == 0 && !rc)
		return STORE_ROLLBACK;	/* unrelated mail: leave no trace */
	return keep_report(txn, a);
}

int
bounce_apply(struct store *st, const struct config *cfg,
    const struct token_keys *keys, const char *raw, size_t len,
    const struct bounce_report *r, const char *rcpt_arg,
    struct bounce_outcome *out, char *err, size_t errlen)
{
	struct apply	a;
	int		rc;

	memset(&a, 0, sizeof(a));
	a.st = st;
	a.cfg = cfg;
	a.keys = keys;
	a.raw = raw;
	a.len = len;
	a.r = r;
	a.rcpt_arg = rcpt_arg;
	a.out = out;
	a.now = time(NULL);
	digest_sha256(raw, len, a.hash);
	rc = store_update(st, apply_fn, &a, err, errlen);
	if (rc == -1)
		return -1;
	out->done = rc == 0 || out->effect == EFFECT_SEEN;
	return 0;
}
