/*
 * smtp.c — SMTP relays through libcurl's multi interface (see smtp.h).
 *
 * One easy handle per message; the multi handle's connection cache keeps
 * each relay's sessions open between messages (RSET, then the next MAIL
 * FROM). Messages per connection are counted in the pre-request callback,
 * which names the connection by its local port; the message that reaches
 * the limit is marked so that curl closes its connection when it is done.
 * Server replies are read from curl's debug stream (CURLINFO_HEADER_IN),
 * the only place their text is given.
 */
#define _GNU_SOURCE
#include "smtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "log.h"
#include "throttle.h"

#define PORTS	65536

struct relay {
	const struct smtp_relay_conf	*conf;
	int				 in_flight;
	double				 down_until;
	struct throttle_bucket		 bucket;
	unsigned short			*uses;	/* messages per local port */
	char				*password;
};

struct done_item {
	struct smtp_job		*job;
	struct done_item	*next;
};

struct smtp {
	const struct smtp_conf	*conf;
	CURLM			*multi;
	struct relay		*relays;
	int			 in_flight;
	struct smtp_job		**done;		/* finished, not yet collected */
	size_t			 ndone, donecap;
};

static int	global_init;

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
	return strdup(line);
}

struct smtp *
smtp_new(const struct smtp_conf *conf, char *err, size_t errlen)
{
	struct smtp	*s;
	size_t		 i;
	long		 total = 0;

	if (!global_init) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			errf(err, errlen, "smtp: curl_global_init failed");
			return NULL;
		}
		global_init = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->relays = calloc(conf->nrelays, sizeof(*s->relays))) == NULL ||
	    (s->multi = curl_multi_init()) == NULL) {
		errf(err, errlen, "smtp: out of memory");
		smtp_free(s);
		return NULL;
	}
	s->conf = conf;
	for (i = 0; i < conf->nrelays; i++) {
		struct relay *r = &s->relays[i];
		r->conf = &conf->relays[i];
		throttle_bucket_init(&r->bucket, r->conf->rate, r->conf->rate > 1 ?
		    r->conf->rate : 1, 0);
		if (r->conf->messages_per_connection > 0 &&
		    (r->uses = calloc(PORTS, sizeof(*r->uses))) == NULL) {
			errf(err, errlen, "smtp: out of memory");
			smtp_free(s);
			return NULL;
		}
		r->password = read_password(r->conf, err, errlen);
		if (r->password == (char *)-1) {
			r->password = NULL;
			smtp_free(s);
			return NULL;
		}
		total += r->conf->max_connections;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, total);
	return s;
}

static void
job_release(struct smtp_job *job)
{
	if (job->easy)
		curl_easy_cleanup(job->easy);
	if (job->rcpts)
		curl_slist_free_all(job->rcpts);
	job->easy = NULL;
	job->rcpts = NULL;
}

void
smtp_free(struct smtp *s)
{
	size_t	i;

	if (s == NULL)
		return;
	if (s->multi)
		curl_multi_cleanup(s->multi);
	for (i = 0; s->relays && i < s->conf->nrelays; i++) {
		free(s->relays[i].uses);
		if (s->relays[i].password) {
			explicit_bzero(s->relays[i].password,
			    strlen(s->relays[i].password));
			free(s->relays[i].password);
		}
	}
	free(s->relays);
	free(s->done);
	free(s);
}

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

/* Counts messages per connection; the last one closes its connection. */
static int
prereq_cb(void *arg, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct smtp_job	*job = arg;
	struct smtp	*s;
	struct relay	*r;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	s = job->owner;
	r = &s->relays[job->relay];
	if (r->uses == NULL || local_port < 0 || local_port >= PORTS)
		return CURL_PREREQFUNC_OK;
	if (++r->uses[local_port] >= r->conf->messages_per_connection) {
		r->uses[local_port] = 0;
		curl_easy_setopt(job->easy, CURLOPT_FORBID_REUSE, 1L);
	}
	return CURL_PREREQFUNC_OK;
}

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
		    r->conf->weight : 1);
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
	return pick_relay(s, now) != -1;
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

int
smtp_start(struct smtp *s, struct smtp_job *job, double now)
{
	struct relay	*r;
	char		 from[600], to[600];
	CURL		*h;
	int		 i;

	if ((i = pick_relay(s, now)) == -1)
		return -1;
	r = &s->relays[i];
	job->relay = i;
	job->code = 0;
	job->reply[0] = job->error[0] = '\0';
	job->reply_done = 0;
	job->conn_failed = 0;
	job->sent = 0;
	snprintf(from, sizeof(from), "<%s>", job->mail_from);
	snprintf(to, sizeof(to), "<%s>", job->rcpt);
	if ((h = curl_easy_init()) == NULL ||
	    (job->rcpts = curl_slist_append(NULL, to)) == NULL) {
		if (h)
			curl_easy_cleanup(h);
		return -1;
	}
	job->easy = h;
	curl_easy_setopt(h, CURLOPT_URL, r->conf->url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, (struct curl_slist *)job->rcpts);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)job->len);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, job);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, job);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, prereq_cb);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, job);
	curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)job);
	job->owner = s;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->conf->connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->conf->timeout);
	setup_tls(h, r->conf);
	if (r->conf->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, r->conf->username);
		if (r->password)
			curl_easy_setopt(h, CURLOPT_PASSWORD, r->password);
	}
	if (curl_multi_add_handle(s->multi, h) != CURLM_OK) {
		job_release(job);
		return -1;
	}
	throttle_bucket_take(&r->bucket);
	r->in_flight++;
	s->in_flight++;
	return 0;
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

static void
collect(struct smtp *s, double now)
{
	CURLMsg		*m;
	struct smtp_job	*job;
	struct relay	*r;
	char		*priv;
	int		 left;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		job = (struct smtp_job *)(void *)priv;
		r = &s->relays[job->relay];
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &job->code);
		if (m->data.result != CURLE_OK) {
			snprintf(job->error, sizeof(job->error), "%s",
			    curl_easy_strerror(m->data.result));
			if (job->code < 400)	/* no final reply: not sent */
				job->code = 0;
		}
		job->conn_failed = connection_failed(m->data.result, job->code);
		if (job->conn_failed) {
			r->down_until = now + s->conf->down_for;
			log_warn("smtp", "relay %s out of rotation for %.0f s: %s",
			    r->conf->url, s->conf->down_for, job->error);
		}
		curl_multi_remove_handle(s->multi, m->easy_handle);
		job_release(job);
		r->in_flight--;
		s->in_flight--;
		push_done(s, job);
	}
}

void
smtp_wait(struct smtp *s, int timeout_ms, double now)
{
	int	running;

	if (s->in_flight == 0)
		return;
	curl_multi_perform(s->multi, &running);
	collect(s, now);
	if (s->ndone > 0)
		return;
	curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
	curl_multi_perform(s->multi, &running);
	collect(s, now);
}

struct smtp_job *
smtp_done(struct smtp *s, double now)
{
	(void)now;
	if (s->ndone == 0)
		return NULL;
	return s->done[--s->ndone];
}

int
smtp_in_flight(const struct smtp *s)
{
	return s->in_flight;
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
