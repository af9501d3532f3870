/*
 * smtp.c — SMTP relays through libcurl (see smtp.h).
 *
 * Why threads and not curl's multi interface: libcurl's SMTP (7.88, what
 * Debian 12 ships) waits for the reply to the end of DATA in a blocking
 * call, even under the multi interface, so one event loop can only finish
 * one message at a time, whatever the number of connections. Here each
 * connection is a thread with its own easy handle, doing one blocking
 * transfer at a time; the easy handle keeps its connection open for the
 * next message (RSET, then MAIL FROM). The caller's thread starts jobs and
 * collects finished ones; everything the threads share is under one mutex.
 *
 * Messages per connection: after each transfer CURLINFO_NUM_CONNECTS says
 * whether it opened a new connection; the transfer that reaches the limit
 * is made with CURLOPT_FORBID_REUSE, which closes its connection after it.
 * Server replies are read from curl's debug stream (CURLINFO_HEADER_IN),
 * the only place their text is given.
 */
#define _GNU_SOURCE
#include "smtp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "throttle.h"

struct smtp;

struct conn {
	struct smtp	*s;
	int		 relay;
	pthread_t	 thread;
	int		 started;
	pthread_cond_t	 cv;
	CURL		*easy;
	long		 uses;		/* messages on the open connection */
	struct smtp_job	*job;		/* assigned, not finished */
};

struct relay {
	const struct smtp_relay_conf	*conf;
	int				 in_flight;
	double				 down_until;
	struct throttle_bucket		 bucket;
	char				*password;
	struct conn			*conns;	/* max_connections of them */
};

struct smtp {
	const struct smtp_conf	*conf;
	struct relay		*relays;
	pthread_mutex_t		 mu;
	pthread_cond_t		 done_cv;
	int			 stopping;
	int			 in_flight;
	struct smtp_job		**done;		/* finished, not yet collected */
	size_t			 ndone, donecap;
	double			 now;		/* the caller's clock, last seen */
};

static pthread_once_t	curl_once = PTHREAD_ONCE_INIT;
static int		curl_ok;

static void
curl_init_once(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static char *
read_password(const struct smtp_relay_conf *rc, char *err, size_t errlen)
{
	char	 line[1024], *p;
	FILE	*fp;

	if (rc->password_env && (p = getenv(rc->password_env)) != NULL)
		return strdup(p);
	if (rc->password_file == NULL)
		return NULL;
	if ((fp = fopen(rc->password_file, "r")) == NULL) {
		errf(err, errlen, "%s: %s", rc->password_file, strerror(errno));
		return (char *)-1;
	}
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	p = strdup(line);
	explicit_bzero(line, sizeof(line));
	return p;
}

static int
relay_init(struct smtp *s, int i, char *err, size_t errlen)
{
	struct relay	*r = &s->relays[i];
	long		 k;

	r->conf = &s->conf->relays[i];
	throttle_bucket_init(&r->bucket, r->conf->rate, r->conf->rate > 1 ?
	    r->conf->rate : 1, 0);
	r->password = read_password(r->conf, err, errlen);
	if (r->password == (char *)-1) {
		r->password = NULL;
		return -1;
	}
	if ((r->conns = calloc((size_t)r->conf->max_connections,
	    sizeof(*r->conns))) == NULL) {
		errf(err, errlen, "smtp: out of memory");
		return -1;
	}
	for (k = 0; k < r->conf->max_connections; k++) {
		r->conns[k].s = s;
		r->conns[k].relay = i;
		pthread_cond_init(&r->conns[k].cv, NULL);
	}
	return 0;
}

struct smtp *
smtp_new(const struct smtp_conf *conf, char *err, size_t errlen)
{
	struct smtp	*s;
	size_t		 i;

	pthread_once(&curl_once, curl_init_once);
	if (!curl_ok) {
		errf(err, errlen, "smtp: curl_global_init failed");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->relays = calloc(conf->nrelays, sizeof(*s->relays))) == NULL) {
		free(s);
		errf(err, errlen, "smtp: out of memory");
		return NULL;
	}
	s->conf = conf;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	for (i = 0; i < conf->nrelays; i++)
		if (relay_init(s, (int)i, err, errlen) == -1) {
			smtp_free(s);
			return NULL;
		}
	return s;
}

void
smtp_free(struct smtp *s)
{
	struct relay	*r;
	size_t		 i;
	long		 k;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	for (i = 0; i < s->conf->nrelays; i++)
		for (k = 0; s->relays[i].conns &&
		    k < s->relays[i].conf->max_connections; k++)
			pthread_cond_signal(&s->relays[i].conns[k].cv);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->conf->nrelays; i++) {
		r = &s->relays[i];
		for (k = 0; r->conns && k < r->conf->max_connections; k++) {
			if (r->conns[k].started)
				pthread_join(r->conns[k].thread, NULL);
			if (r->conns[k].easy)
				curl_easy_cleanup(r->conns[k].easy);
			pthread_cond_destroy(&r->conns[k].cv);
		}
		free(r->conns);
		if (r->password) {
			explicit_bzero(r->password, strlen(r->password));
			free(r->password);
		}
	}
	pthread_cond_destroy(&s->done_cv);
	pthread_mutex_destroy(&s->mu);
	free(s->relays);
	free(s->done);
	free(s);
}

/* ---- one transfer, in a connection's thread ---------------------------- */

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_job	*job = arg;
	size_t		 n = size * nitems;

	if (n > job->len - job->sent)
		n = job->len - job->sent;
	memcpy(buf, job->data + job->sent, n);
	job->sent += n;
	return n;
}

/* Keeps the text of the server's latest reply, multi-line ones joined. */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
	struct smtp_job	*job = arg;
	size_t		 have;

	(void)h;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (job->reply_done) {
		job->reply[0] = '\0';
		job->reply_done = 0;
	}
	have = strlen(job->reply);
	if (have > 0 && have + 1 < sizeof(job->reply))
		job->reply[have++] = ' ';
	if (n > sizeof(job->reply) - 1 - have)
		n = sizeof(job->reply) - 1 - have;
	memcpy(job->reply + have, data, n);
	job->reply[have + n] = '\0';
	job->reply_done = n <= 3 || data[3] == ' ';
	return 0;
}

static void
setup_tls(CURL *h, const struct smtp_relay_conf *rc)
{
	long	use = CURLUSESSL_ALL;

	if (strncmp(rc->url, "smtp://", 7) == 0)
		use = rc->tls == SMTP_TLS_REQUIRED ? CURLUSESSL_ALL :
		    rc->tls == SMTP_TLS_OPPORTUNISTIC ? CURLUSESSL_TRY :
		    CURLUSESSL_NONE;
	curl_easy_setopt(h, CURLOPT_USE_SSL, use);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, rc->verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, rc->verify ? 2L : 0L);
	if (rc->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, rc->ca_file);
}

/* The options that stay the same for every message of a connection. */
static CURL *
conn_easy(struct conn *c, const struct relay *r)
{
	CURL	*h;

	if (c->easy)
		return c->easy;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, r->conf->url);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->s->conf->connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->s->conf->timeout);
	setup_tls(h, r->conf);
	if (r->conf->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, r->conf->username);
		if (r->password)
			curl_easy_setopt(h, CURLOPT_PASSWORD, r->password);
	}
	return c->easy = h;
}

static int
connection_failed(CURLcode rc, long code)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_USE_SSL_FAILED:
	case CURLE_LOGIN_DENIED:
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return code == 0;	/* no reply at all: no session */
	default:
		return 0;
	}
}

/* Sends one message over c's connection (opening one when needed). */
static void
conn_transfer(struct conn *c, const struct relay *r, struct smtp_job *job)
{
	struct curl_slist	*rcpts = NULL;
	char			 from[600], to[600];
	CURLcode		 rc = CURLE_OUT_OF_MEMORY;
	long			 max = r->conf->messages_per_connection, nconn = 0;
	CURL			*h;

	if (job->prepare && job->prepare(job) == -1)
		return;
	snprintf(from, sizeof(from), "<%s>", job->mail_from);
	snprintf(to, sizeof(to), "<%s>", job->rcpt);
	if ((h = conn_easy(c, r)) != NULL &&
	    (rcpts = curl_slist_append(NULL, to)) != NULL) {
		curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)job->len);
		curl_easy_setopt(h, CURLOPT_READDATA, job);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, job);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE,
		    max > 0 && c->uses + 1 >= max ? 1L : 0L);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &job->code);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn);
	}
	curl_slist_free_all(rcpts);
	c->uses = nconn > 0 ? 1 : c->uses + 1;
	if ((max > 0 && c->uses >= max) || rc != CURLE_OK)
		c->uses = 0;	/* that connection is closed now */
	if (rc != CURLE_OK) {
		snprintf(job->error, sizeof(job->error), "%s",
		    curl_easy_strerror(rc));
		if (job->code < 400)	/* no final reply: not sent */
			job->code = 0;
	}
	job->conn_failed = connection_failed(rc, job->code);
}

static void
push_done(struct smtp *s, struct smtp_job *job)
{
	struct smtp_job	**d;

	if (s->ndone == s->donecap) {
		s->donecap = s->donecap ? s->donecap * 2 : 64;
		if ((d = realloc(s->done, s->donecap * sizeof(*d))) == NULL)
			abort();
		s->done = d;
	}
	s->done[s->ndone++] = job;
}

static void *
conn_main(void *arg)
{
	struct conn	*c = arg;
	struct smtp	*s = c->s;
	struct relay	*r = &s->relays[c->relay];
	struct smtp_job	*job;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (c->job == NULL && !s->stopping)
			pthread_cond_wait(&c->cv, &s->mu);
		if ((job = c->job) == NULL)
			break;
		pthread_mutex_unlock(&s->mu);
		conn_transfer(c, r, job);
		pthread_mutex_lock(&s->mu);
		if (job->conn_failed) {
			r->down_until = s->now + s->conf->down_for;
			log_warn("smtp", "relay %s out of rotation for %.0f s: %s",
			    r->conf->url, s->conf->down_for, job->error);
		}
		c->job = NULL;
		r->in_flight--;
		s->in_flight--;
		push_done(s, job);
		pthread_cond_signal(&s->done_cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the caller's side ------------------------------------------------- */

static int
relay_available(struct relay *r, double now)
{
	return r->down_until <= now && r->in_flight < r->conf->max_connections &&
	    throttle_bucket_wait(&r->bucket, now) == 0;
}

/* The least loaded relay by weight among those available, or -1. */
static int
pick_relay(struct smtp *s, double now)
{
	size_t	i;
	int	best = -1;
	double	load, best_load = 0;

	for (i = 0; i < s->conf->nrelays; i++) {
		struct relay *r = &s->relays[i];
		if (!relay_available(r, now))
			continue;
		load = (r->in_flight + 1.0) / (r->conf->weight > 0 ?
		    (double)r->conf->weight : 1);
		if (best == -1 || load < best_load) {
			best = (int)i;
			best_load = load;
		}
	}
	return best;
}

int
smtp_can_start(struct smtp *s, double now)
{
	int	ok;

	pthread_mutex_lock(&s->mu);
	s->now = now;
	ok = pick_relay(s, now) != -1;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

int
smtp_relays_up(const struct smtp *s, double now)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < s->conf->nrelays; i++)
		n += s->relays[i].down_until <= now;
	return n;
}

int
smtp_start(struct smtp *s, struct smtp_job *job, double now)
{
	struct relay	*r;
	struct conn	*c = NULL;
	long		 k;
	int		 i, rc = -1;

	job->code = 0;
	job->reply[0] = job->error[0] = '\0';
	job->reply_done = 0;
	job->conn_failed = 0;
	job->sent = 0;
	pthread_mutex_lock(&s->mu);
	s->now = now;
	if ((i = pick_relay(s, now)) == -1)
		goto out;
	r = &s->relays[i];
	for (k = 0; k < r->conf->max_connections && c == NULL; k++)
		if (r->conns[k].job == NULL)
			c = &r->conns[k];
	if (c == NULL)
		goto out;
	if (!c->started) {
		if (pthread_create(&c->thread, NULL, conn_main, c) != 0)
			goto out;
		c->started = 1;
	}
	job->relay = i;
	c->job = job;
	throttle_bucket_take(&r->bucket);
	r->in_flight++;
	s->in_flight++;
	pthread_cond_signal(&c->cv);
	rc = 0;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
smtp_wait(struct smtp *s, int timeout_ms, double now)
{
	struct timespec	ts;

	pthread_mutex_lock(&s->mu);
	s->now = now;
	if (s->ndone == 0 && s->in_flight > 0 && timeout_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&s->done_cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
}

struct smtp_job *
smtp_done(struct smtp *s, double now)
{
	struct smtp_job	*job = NULL;

	pthread_mutex_lock(&s->mu);
	s->now = now;
	if (s->ndone > 0)
		job = s->done[--s->ndone];
	pthread_mutex_unlock(&s->mu);
	return job;
}

int
smtp_in_flight(struct smtp *s)
{
	int	n;

	pthread_mutex_lock(&s->mu);
	n = s->in_flight;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void
smtp_describe(const struct smtp_job *job, char *out, size_t outlen)
{
	if (job->code != 0)
		snprintf(out, outlen, "%s", job->reply);
	else if (job->reply[0])
		snprintf(out, outlen, "%s (after: %s)", job->error, job->reply);
	else
		snprintf(out, outlen, "%s", job->error);
}
