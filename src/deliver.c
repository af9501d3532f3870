/*
 * deliver.c — the delivery worker (see deliver.h).
 *
 * How a run goes. The worker claims due entries in small transactions and
 * keeps them in a ready list; each turn of the loop it starts those the
 * throttle admits (an entry whose domain must wait long goes back to the
 * spool for later, unchanged), drives the transfers, and turns finished
 * ones into outcomes. Outcomes are committed when there are batch/2 of
 * them, after 200 ms, or when nothing else is in flight; and no transfer
 * starts while in-flight plus uncommitted outcomes would pass deliver.batch.
 * So at any moment at most `batch` messages can have been accepted by a
 * relay without the spool knowing it: the bound on duplicates after a
 * crash.
 */
#define _GNU_SOURCE
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compose.h"
#include "log.h"
#include "maildir.h"
#include "sign.h"
#include "smtp.h"
#include "throttle.h"
#include "token.h"

#define ISSUE_CACHE	8
#define LONG_WAIT	5.0	/* seconds: put the entry back instead */

struct job {
	struct spool_entry	 e;
	enum entry_state	 before;	/* state before the claim */
	struct smtp_job		 sj;
	struct buf		 msg;
	char			 mail_from[TOKEN_VERP_MAX];
	char			 domain[256];
	const struct signer	*signer;	/* NULL: unsigned */
	const struct list_conf	*list;		/* NULL: found by From */
};

struct cached_issue {
	uint32_t		 seq;
	struct composed_issue	*ci;
};

struct worker {
	struct config		*cfg;
	struct store		*st;
	const struct deliver_opts *opts;
	struct deliver_stats	*stats;
	struct token_key	 key;
	struct throttle		*throttle;
	struct smtp		*smtp;		/* NULL: the Maildir outbox */
	struct signer		*signer;	/* NULL: messages go unsigned */
	struct smtp_conf	 smtp_conf;
	struct cached_issue	 cache[ISSUE_CACHE];
	struct job		**ready;
	size_t			 nready, readycap;
	int			 in_flight;
	struct spool_outcome	*pending;
	size_t			 npending;
	double			 last_commit;
	double			 last_trim;
	double			 started, last_progress;
	size_t			 done_at_start;
	int			 drained;	/* the last claim found nothing */
	char			*err;
	size_t			 errlen;
};

static volatile sig_atomic_t	stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double
clock_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- outcomes ------------------------------------------------------- */

static int
enhanced_code(const char *reply, char *out, size_t outlen)
{
	const char	*p;
	int		 a, b, c, n;

	for (p = reply; p && *p; p++)
		if ((*p == '2' || *p == '4' || *p == '5') && p[1] == '.' &&
		    (p == reply || p[-1] == ' ' || p[-1] == '-') &&
		    sscanf(p, "%1d.%3d.%3d%n", &a, &b, &c, &n) == 3) {
			snprintf(out, outlen, "%d.%d.%d", a, b, c);
			return 0;
		}
	return -1;
}

enum entry_state
deliver_classify(long code, const char *reply, int *hard, int *rate_limited)
{
	static const char	*gone[] = { "5.1.1", "5.1.10", "5.2.1", "5.1.2",
	    "5.1.6", NULL };
	static const char	*gone_text[] = { "user unknown", "unknown user",
	    "no such user", "does not exist", "no mailbox", "mailbox not found",
	    "recipient not found", "address rejected", NULL };
	char			 esc[16] = "";
	size_t			 i;

	*hard = *rate_limited = 0;
	if (code >= 200 && code < 300)
		return ENTRY_SENT;
	if (code < 500) {
		*rate_limited = code > 0 && throttle_is_rate_limit(code, reply);
		return ENTRY_DEFERRED;
	}
	if (code >= 600)
		return ENTRY_DEFERRED;
	enhanced_code(reply, esc, sizeof(esc));
	if (strncmp(esc, "5.7.", 4) == 0)	/* policy: the sender's problem */
		return ENTRY_FAILED;
	for (i = 0; gone[i]; i++)
		if (strcmp(esc, gone[i]) == 0)
			*hard = 1;
	for (i = 0; esc[0] == '\0' && gone_text[i]; i++)
		if (reply && strcasestr(reply, gone_text[i]))
			*hard = (code == 550 || code == 551 || code == 553);
	return ENTRY_FAILED;
}

/* Seconds until the next attempt after `attempts` failed ones. */
static int64_t
backoff(const struct config *cfg, uint32_t attempts)
{
	double	delay = (double)cfg->retry_first;
	double	jitter = 0.8 + 0.4 * ((double)random() / RAND_MAX);

	while (attempts-- > 1 && delay < cfg->retry_max)
		delay *= 2;
	if (delay > cfg->retry_max)
		delay = (double)cfg->retry_max;
	return (int64_t)(delay * jitter + 0.5);
}

static void
add_outcome(struct worker *w, const struct job *j, enum entry_state state,
    const char *reply, int hard)
{
	struct spool_outcome	*o;
	int64_t			 now = time(NULL);

	o = &w->pending[w->npending++];
	memset(o, 0, sizeof(*o));
	o->entry = j->e;
	o->entry.changed = now;
	if (o->entry.first_attempt == 0)
		o->entry.first_attempt = now;
	o->entry.attempts++;
	snprintf(o->entry.reply, sizeof(o->entry.reply), "%s", reply);
	if (state == ENTRY_DEFERRED &&
	    now - o->entry.first_attempt >= w->cfg->max_age) {
		state = ENTRY_FAILED;
		snprintf(o->entry.reply, sizeof(o->entry.reply),
		    "deferred for too long; last reply: %s", reply);
	}
	o->entry.state = state;
	o->entry.next_attempt = state == ENTRY_DEFERRED ?
	    now + backoff(w->cfg, o->entry.attempts) : 0;
	o->bounce_hard = hard;
	switch (state) {
	case ENTRY_SENT:
		w->stats->sent++;
		break;
	case ENTRY_DEFERRED:
		w->stats->deferred++;
		break;
	default:
		w->stats->failed++;
		w->stats->bounced += hard;
		break;
	}
	log_debug("deliver", "%s: %s -> %s: %s", j->e.address,
	    spool_state_name(ENTRY_SENDING), spool_state_name(state), reply);
}

/* An entry claimed but not tried goes back as it was, due again at when. */
static void
put_back(struct worker *w, const struct job *j, int64_t when)
{
	struct spool_outcome	*o = &w->pending[w->npending++];

	memset(o, 0, sizeof(*o));
	o->entry = j->e;
	o->entry.state = j->before;
	o->entry.next_attempt = when;
}

static int
commit(struct worker *w)
{
	if (w->npending == 0)
		return 0;
	if (spool_record(w->st, w->pending, w->npending, w->err,
	    w->errlen) == -1)
		return -1;
	w->npending = 0;
	w->last_commit = clock_now();
	if (w->last_commit - w->last_trim > 1.0) {	/* a flat resident set */
		store_trim(w->st);
		w->last_trim = w->last_commit;
	}
	return 0;
}

/* ---- jobs ----------------------------------------------------------- */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	buf_free(&j->msg);
	free(j);
}

static struct composed_issue *
issue_for(struct worker *w, uint32_t seq)
{
	struct cached_issue	*slot = &w->cache[seq % ISSUE_CACHE];
	void			*data = NULL;
	size_t			 len = 0;
	struct spool_issue	 is;
	char			 err[ERRLEN];

	if (slot->ci && slot->seq == seq)
		return slot->ci;
	compose_free(slot->ci);
	slot->ci = NULL;
	if (spool_issue_get(w->st, seq, &is, &data, &len, err,
	    sizeof(err)) != 0) {
		log_error("deliver", "issue %u: %s", seq, err);
		return NULL;
	}
	slot->ci = compose_load(w->cfg, &w->key, data, len, err, sizeof(err));
	if (slot->ci == NULL)
		log_error("deliver", "issue %u: %s", seq, err);
	slot->seq = seq;
	free(data);
	return slot->ci;
}

/* A one-off message (issue 0): its bytes come whole from the spool. */
static int
job_load_message(struct worker *w, struct job *j, char *domain,
    size_t domainlen, char *why, size_t whylen)
{
	char	*msg = NULL;
	size_t	 len = 0;
	int	 rc;

	if ((rc = spool_message_get(w->st, j->e.id, &msg, &len, domain,
	    domainlen, why, whylen)) != 0) {
		if (rc == 1)
			snprintf(why, whylen, "the stored message is gone");
		return -1;
	}
	buf_init(&j->msg, 0);
	rc = buf_add(&j->msg, msg, len);
	free(msg);
	return rc;
}

/* Composes j's message and envelope. -1: the entry cannot be sent. */
static int
job_prepare(struct worker *w, struct job *j, char *why, size_t whylen)
{
	struct composed_issue	*ci;
	struct recipient	 r = { j->e.address, j->e.name[0] ? j->e.name : NULL };
	char			 own[256];
	const char		*domain = own;
	size_t			 i;

	if (SPOOL_ISSUE_OF(j->e.id) == 0) {
		if (job_load_message(w, j, own, sizeof(own), why, whylen) == -1)
			return -1;
	} else {
		if ((ci = issue_for(w, SPOOL_ISSUE_OF(j->e.id))) == NULL) {
			snprintf(why, whylen, "the stored issue cannot be read");
			return -1;
		}
		buf_init(&j->msg, 0);
		if (compose_message(ci, &r, &j->msg, why, whylen) == -1)
			return -1;
		domain = address_domain(compose_list(ci)->from_address);
		j->list = compose_list(ci);
	}
	j->signer = w->signer;
	if (w->cfg->bounce_domain)
		domain = w->cfg->bounce_domain;
	token_verp_make(&w->key, w->cfg->verp_prefix, j->e.id, domain,
	    j->mail_from, sizeof(j->mail_from));
	snprintf(j->domain, sizeof(j->domain), "%s", address_domain(j->e.address));
	for (i = 0; j->domain[i]; i++)
		if (j->domain[i] >= 'A' && j->domain[i] <= 'Z')
			j->domain[i] += 32;
	return 0;
}

static void
finish(struct worker *w, struct job *j, long code, const char *reply,
    int conn_failed)
{
	enum entry_state	state;
	int			hard, limited;

	state = deliver_classify(code, reply, &hard, &limited);
	if (code == 0 && state == ENTRY_DEFERRED && conn_failed)
		limited = 0;
	throttle_done(w->throttle, j->domain, limited ? THROTTLE_RATE_LIMITED :
	    THROTTLE_OK, clock_now());
	add_outcome(w, j, state, reply, hard);
	job_free(j);
}

static void
start_maildir(struct worker *w, struct job *j)
{
	char	err[ERRLEN];

	if (sign_message(j->signer, j->list, &j->msg, err, sizeof(err)) == -1) {
		log_error("deliver", "%s", err);
		finish(w, j, 0, err, 0);
		return;
	}
	if (maildir_deliver(w->cfg->outbox_dir, j->mail_from, j->msg.data,
	    j->msg.len, err, sizeof(err)) == -1) {
		log_error("deliver", "%s", err);
		finish(w, j, 451, "451 4.3.0 local delivery failed", 0);
	} else
		finish(w, j, 250, "250 2.0.0 delivered to the Maildir outbox", 0);
}

/* Signs in the connection's thread: the signature costs more CPU than
 * anything else done per message, and there it runs on every core. */
static int
job_sign(struct smtp_job *sj)
{
	struct job	*j = sj->user;

	if (sign_message(j->signer, j->list, &j->msg, sj->error,
	    sizeof(sj->error)) == -1)
		return -1;
	sj->data = j->msg.data;
	sj->len = j->msg.len;
	return 0;
}

static int
start_smtp(struct worker *w, struct job *j, double now)
{
	memset(&j->sj, 0, sizeof(j->sj));
	j->sj.user = j;
	j->sj.mail_from = j->mail_from;
	j->sj.rcpt = j->e.address;
	j->sj.data = j->msg.data;
	j->sj.len = j->msg.len;
	j->sj.prepare = j->signer ? job_sign : NULL;
	if (smtp_start(w->smtp, &j->sj, now) == -1)
		return -1;
	w->in_flight++;
	return 0;
}

static void
collect_smtp(struct worker *w)
{
	struct smtp_job	*sj;
	char		 reply[sizeof(sj->reply) + 300];

	while ((sj = smtp_done(w->smtp, clock_now())) != NULL) {
		struct job *j = sj->user;
		w->in_flight--;
		smtp_describe(sj, reply, sizeof(reply));
		finish(w, j, sj->code, reply, sj->conn_failed);
	}
}

/* ---- the loop ------------------------------------------------------- */

static size_t
budget(const struct worker *w)
{
	size_t	used = (size_t)w->in_flight + w->npending;

	return used >= (size_t)w->cfg->deliver_batch ? 0 :
	    (size_t)w->cfg->deliver_batch - used;
}

static int
claim_more(struct worker *w, int64_t now)
{
	struct spool_entry	*got;
	size_t			 n = 0, skipped = 0, i, want;
	struct job		*j;

	want = (size_t)w->cfg->deliver_batch;
	if (w->nready >= want || stop_requested)
		return 0;
	want -= w->nready;
	if ((got = calloc(want, sizeof(*got))) == NULL)
		return -1;
	if (spool_claim(w->st, now, want, got, &n, &skipped, w->err,
	    w->errlen) == -1) {
		free(got);
		return -1;
	}
	w->stats->skipped += skipped;
	w->drained = n == 0;
	for (i = 0; i < n; i++) {
		if ((j = calloc(1, sizeof(*j))) == NULL)
			abort();
		j->e = got[i];
		j->before = got[i].attempts > 0 ? ENTRY_DEFERRED : ENTRY_QUEUED;
		w->ready[w->nready++] = j;
	}
	free(got);
	return 0;
}

/* Starts the ready jobs the throttle and budget allow. */
static void
start_ready(struct worker *w, double now)
{
	char	why[ERRLEN];
	double	wait;
	size_t	i, keep = 0;

	for (i = 0; i < w->nready; i++) {
		struct job *j = w->ready[i];
		if (budget(w) == 0 || (w->smtp && !smtp_can_start(w->smtp, now)) ||
		    stop_requested) {
			w->ready[keep++] = j;
			continue;
		}
		if (j->domain[0] == '\0' && job_prepare(w, j, why, sizeof(why))) {
			add_outcome(w, j, ENTRY_FAILED, why, 0);
			job_free(j);
			continue;
		}
		if (!throttle_admit(w->throttle, j->domain, now, &wait)) {
			if (wait > LONG_WAIT) {
				put_back(w, j, time(NULL) + (int64_t)wait + 1);
				job_free(j);
			} else
				w->ready[keep++] = j;
			continue;
		}
		if (w->smtp == NULL)
			start_maildir(w, j);
		else if (start_smtp(w, j, now) == -1) {
			throttle_done(w->throttle, j->domain, THROTTLE_OTHER, now);
			w->ready[keep++] = j;
		}
	}
	w->nready = keep;
}

static void
progress(struct worker *w, double now, int last)
{
	size_t	done = w->stats->sent + w->stats->failed;
	double	el = now - w->started, rate = el > 0 ? (done -
		    w->done_at_start) / el : 0;
	int	tty = isatty(STDERR_FILENO);

	if (!w->opts->progress)
		return;
	if (!last && now - w->last_progress < (tty ? 0.5 :
	    (double)w->cfg->progress_interval))
		return;
	w->last_progress = now;
	fprintf(stderr, "%sdeliver: %zu sent, %zu deferred, %zu failed "
	    "(%zu bounced), %zu skipped, %.0f/s%s", tty ? "\r\033[K" : "",
	    w->stats->sent, w->stats->deferred, w->stats->failed,
	    w->stats->bounced, w->stats->skipped, rate, tty && !last ? "" : "\n");
	fflush(stderr);
}

/* Whether the run is over; may sleep until the next entry is due. */
static int
run_over(struct worker *w, double now, double deadline)
{
	int64_t	next;
	int	due;

	if (stop_requested || (deadline > 0 && now >= deadline)) {
		stop_requested = 1;
		return w->in_flight == 0;
	}
	if (w->nready > 0 || w->in_flight > 0 || !w->drained)
		return 0;
	if ((due = spool_next_due(w->st, time(NULL), &next, w->err,
	    w->errlen)) == -1)
		return 1;
	w->stats->waiting = next != 0;
	if (due)
		return 0;
	if (w->opts->mode == DELIVER_DUE || next == 0)
		return 1;
	/* wait for the next due entry, a second at a time */
	if (commit(w) == -1)
		return 1;
	sleep(1);
	return 0;
}

static int
worker_loop(struct worker *w)
{
	double	now, deadline = 0;
	int	rc = 0;

	w->started = w->last_commit = w->last_progress = clock_now();
	if (w->opts->mode == DELIVER_FOR)
		deadline = w->started + w->opts->seconds;
	for (;;) {
		now = clock_now();
		if (claim_more(w, time(NULL)) == -1) {
			rc = -1;
			break;
		}
		start_ready(w, now);
		if (w->smtp) {
			smtp_wait(w->smtp, w->in_flight ? 50 : 0, now);
			collect_smtp(w);
		}
		if ((w->npending >= (size_t)w->cfg->deliver_batch / 2 ||
		    (w->npending && (w->in_flight == 0 ||
		    now - w->last_commit > 0.2))) && commit(w) == -1) {
			rc = -1;
			break;
		}
		progress(w, now, 0);
		if (run_over(w, now, deadline))
			break;
		if (w->in_flight == 0 && w->nready > 0 && budget(w) > 0)
			usleep(2000);	/* throttled: wait a little */
	}
	return rc;
}

/* Puts back what was claimed and never started; commits what is left. */
static int
worker_drain(struct worker *w)
{
	size_t	i;

	if (w->smtp)
		while (w->in_flight > 0) {
			smtp_wait(w->smtp, 100, clock_now());
			collect_smtp(w);
		}
	for (i = 0; i < w->nready; i++) {
		if (w->npending == (size_t)w->cfg->deliver_batch * 2 &&
		    commit(w) == -1)
			return -1;
		put_back(w, w->ready[i], time(NULL));
		job_free(w->ready[i]);
	}
	w->nready = 0;
	return commit(w);
}

/* ---- set-up --------------------------------------------------------- */

/* Takes SPOOL/deliver.lock; the pid of the holder is written in it.
 * Returns the descriptor, -2 when another process holds it, -1. */
static int
lock_spool(const char *spool, char *err, size_t errlen)
{
	char	path[4096], pid[32] = "";
	int	fd;
	ssize_t	n;

	snprintf(path, sizeof(path), "%s/deliver.lock", spool);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		errf(err, errlen, "another worker (pid %s) is delivering from "
		    "%s; one worker per spool", pid[0] ? pid : "?", spool);
		close(fd);
		return -2;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, pid, strlen(pid)) == -1)
		log_warn("deliver", "%s: %s", path, strerror(errno));
	return fd;	/* held until the process closes it */
}

static void
throttle_conf_from(const struct config *cfg, struct throttle_conf *tc)
{
	long	conns = 0;
	size_t	i;

	memset(tc, 0, sizeof(*tc));
	tc->rate = cfg->throttle_rate;
	tc->burst = cfg->throttle_burst;
	for (i = 0; i < cfg->nrelays; i++)
		conns += cfg->relays[i].max_connections;
	tc->max_in_flight = (int)conns;
	tc->domain_concurrency = (int)cfg->domain_concurrency;
	tc->domain_rate = cfg->domain_rate;
	tc->pause = cfg->throttle_pause;
	tc->recover = cfg->throttle_recover;
	tc->groups = cfg->groups;
	tc->ngroups = cfg->ngroups;
}

static int
transport_open(struct worker *w)
{
	w->smtp_conf.relays = w->cfg->relays;
	w->smtp_conf.nrelays = w->cfg->nrelays;
	w->smtp_conf.connect_timeout = w->cfg->smtp_connect_timeout;
	w->smtp_conf.timeout = w->cfg->smtp_timeout;
	w->smtp_conf.down_for = w->cfg->smtp_down_for;
	if (w->cfg->nrelays == 0)
		return maildir_prepare(w->cfg->outbox_dir, w->err, w->errlen);
	w->smtp = smtp_new(&w->smtp_conf, w->err, w->errlen);
	return w->smtp ? 0 : -1;
}

static void
worker_free(struct worker *w)
{
	size_t	i;

	for (i = 0; i < ISSUE_CACHE; i++)
		compose_free(w->cache[i].ci);
	for (i = 0; i < w->nready; i++)
		job_free(w->ready[i]);
	free(w->ready);
	free(w->pending);
	smtp_free(w->smtp);
	sign_free(w->signer);
	throttle_free(w->throttle);
	explicit_bzero(&w->key, sizeof(w->key));
}

int
deliver_run(struct config *cfg, struct store *st, const struct deliver_opts *o,
    struct deliver_stats *stats, char *err, size_t errlen)
{
	struct worker		w;
	struct throttle_conf	tc;
	struct sigaction	sa;
	int			lock, rc = -1;

	memset(&w, 0, sizeof(w));
	memset(stats, 0, sizeof(*stats));
	w.cfg = cfg;
	w.st = st;
	w.opts = o;
	w.stats = stats;
	w.err = err;
	w.errlen = errlen;
	if ((lock = lock_spool(cfg->spool_dir, err, errlen)) < 0)
		return lock == -2 ? DELIVER_BUSY : -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	stop_requested = 0;
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	throttle_conf_from(cfg, &tc);
	w.readycap = (size_t)cfg->deliver_batch;
	if ((w.ready = calloc(w.readycap, sizeof(*w.ready))) == NULL ||
	    (w.pending = calloc(3 * w.readycap + 16, sizeof(*w.pending))) ==
	    NULL || (w.throttle = throttle_new(&tc, clock_now())) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	if (token_key_load(cfg->secret_file, &w.key, err, errlen) == -1 ||
	    sign_open(cfg, sign_strict(cfg), &w.signer, err, errlen) == -1 ||
	    transport_open(&w) == -1 ||
	    spool_recover(st, &stats->recovered, err, errlen) == -1)
		goto out;
	if (stats->recovered)
		log_info("deliver", "%zu entries left sending by a stopped "
		    "worker are due again", stats->recovered);
	rc = worker_loop(&w);
	if (worker_drain(&w) == -1)
		rc = -1;
	progress(&w, clock_now(), 1);
out:
	worker_free(&w);
	close(lock);
	return rc;
}

int
deliver_one(struct config *cfg, const char *mail_from, const char *rcpt,
    const char *msg, size_t len, char *reply, size_t replylen, char *err,
    size_t errlen)
{
	struct smtp_conf	 sc = { cfg->relays, cfg->nrelays,
	    cfg->smtp_connect_timeout, cfg->smtp_timeout, 0 };
	struct smtp		*s;
	struct smtp_job		 job, *done = NULL;
	int			 hard, limited, rc = -1;

	if (cfg->nrelays == 0) {
		if (maildir_prepare(cfg->outbox_dir, err, errlen) == -1 ||
		    maildir_deliver(cfg->outbox_dir, mail_from, msg, len, err,
		    errlen) == -1)
			return -1;
		snprintf(reply, replylen, "delivered to the Maildir %s",
		    cfg->outbox_dir);
		return 0;
	}
	if ((s = smtp_new(&sc, err, errlen)) == NULL)
		return -1;
	memset(&job, 0, sizeof(job));
	job.mail_from = mail_from;
	job.rcpt = rcpt;
	job.data = msg;
	job.len = len;
	if (smtp_start(s, &job, clock_now()) == -1) {
		errf(err, errlen, "no relay can take the message");
		goto out;
	}
	while ((done = smtp_done(s, clock_now())) == NULL)
		smtp_wait(s, 100, clock_now());
	smtp_describe(&job, reply, replylen);
	if (deliver_classify(job.code, job.reply, &hard, &limited) == ENTRY_SENT)
		rc = 0;
	else
		errf(err, errlen, "%s: %s", rcpt, reply);
out:
	smtp_free(s);
	return rc;
}
