/*
 * throttle.c — token buckets, concurrency limits and slow-down per domain
 * group (see throttle.h for what each setting means).
 */
#define _GNU_SOURCE
#include "throttle.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct group {
	const struct throttle_group_conf *conf;	/* NULL: the default group */
	int		 concurrency;
	double		 conf_rate;	/* configured; 0: no limit */
	double		 base_rate;	/* what slow-down halves */
	int		 in_flight;
	struct throttle_bucket	 bucket;
	int		 level;
	double		 paused_until;
	double		 level_since;	/* last change of level */
};

struct throttle {
	struct throttle_conf	 conf;
	struct throttle_bucket		 global;
	int			 in_flight;
	struct group		*groups;	/* conf.ngroups + 1 default */
	size_t			 ngroups;
};

void
throttle_bucket_init(struct throttle_bucket *b, double rate, double burst,
    double now)
{
	b->rate = rate;
	b->burst = burst >= 1 ? burst : 1;
	b->tokens = b->burst;
	b->last = now;
}

static void
bucket_refill(struct throttle_bucket *b, double now)
{
	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last = now;
	}
}

/* Seconds until a token is there (0 when there is one now). */
double
throttle_bucket_wait(struct throttle_bucket *b, double now)
{
	if (b->rate <= 0)
		return 0;
	bucket_refill(b, now);
	return b->tokens >= 1 ? 0 : (1 - b->tokens) / b->rate;
}

void
throttle_bucket_take(struct throttle_bucket *b)
{
	if (b->rate > 0)
		b->tokens -= 1;
}

static void
group_set_rate(struct group *g, double now)
{
	double	rate = g->level == 0 ? g->conf_rate : g->base_rate;
	int	i;

	for (i = 0; i < g->level; i++)
		rate /= 2;
	bucket_refill(&g->bucket, now);
	g->bucket.rate = rate;
	if (g->level > 0 && g->bucket.burst > 1)
		g->bucket.burst = 1;	/* a slowed domain gets no bursts */
	else if (g->level == 0)
		g->bucket.burst = g->conf && g->conf->burst >= 1 ?
		    g->conf->burst : (g->bucket.rate > 0 ? g->bucket.rate : 1);
	if (g->bucket.tokens > g->bucket.burst)
		g->bucket.tokens = g->bucket.burst;
}

struct throttle *
throttle_new(const struct throttle_conf *conf, double now)
{
	struct throttle	*t;
	struct group	*g;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->conf = *conf;
	t->ngroups = conf->ngroups + 1;
	if ((t->groups = calloc(t->ngroups, sizeof(*t->groups))) == NULL) {
		free(t);
		return NULL;
	}
	throttle_bucket_init(&t->global, conf->rate, conf->burst, now);
	for (i = 0; i < t->ngroups; i++) {
		g = &t->groups[i];
		g->conf = i < conf->ngroups ? &conf->groups[i] : NULL;
		g->concurrency = g->conf ? (int)g->conf->concurrency :
		    conf->domain_concurrency;
		g->conf_rate = g->conf ? g->conf->rate : conf->domain_rate;
		if (g->conf_rate < 0)
			g->conf_rate = 0;
		g->base_rate = g->conf_rate;
		throttle_bucket_init(&g->bucket, g->base_rate, g->conf ? g->conf->burst :
		    g->base_rate, now);
		g->level_since = now;
	}
	return t;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	free(t->groups);
	free(t);
}

static struct group *
group_of(const struct throttle *t, const char *domain)
{
	size_t	i;
	char	**d;

	for (i = 0; i + 1 < t->ngroups; i++)
		for (d = t->groups[i].conf->domains; d && *d; d++)
			if (strcasecmp(*d, domain) == 0)
				return &t->groups[i];
	return &t->groups[t->ngroups - 1];
}

/* Lowers a slowed group's level after each quiet `recover` seconds. */
static void
group_recover(struct throttle *t, struct group *g, double now)
{
	while (g->level > 0 && t->conf.recover > 0 &&
	    now - g->level_since >= t->conf.recover) {
		g->level--;
		g->level_since += t->conf.recover;
		group_set_rate(g, now);
	}
}

int
throttle_admit(struct throttle *t, const char *domain, double now,
    double *wait)
{
	struct group	*g = group_of(t, domain);
	double		 w;

	*wait = 0;
	group_recover(t, g, now);
	if (g->paused_until > now) {
		*wait = g->paused_until - now;
		return 0;
	}
	if (t->conf.max_in_flight > 0 && t->in_flight >= t->conf.max_in_flight)
		return 0;
	if (g->concurrency > 0 && g->in_flight >= g->concurrency)
		return 0;
	if ((w = throttle_bucket_wait(&g->bucket, now)) > 0) {
		*wait = w;
		return 0;
	}
	if ((w = throttle_bucket_wait(&t->global, now)) > 0) {
		*wait = w;
		return 0;
	}
	throttle_bucket_take(&g->bucket);
	throttle_bucket_take(&t->global);
	g->in_flight++;
	t->in_flight++;
	return 1;
}

void
throttle_done(struct throttle *t, const char *domain,
    enum throttle_outcome outcome, double now)
{
	struct group	*g = group_of(t, domain);

	if (g->in_flight > 0)
		g->in_flight--;
	if (t->in_flight > 0)
		t->in_flight--;
	if (outcome != THROTTLE_RATE_LIMITED)
		return;
	if (g->base_rate <= 0)	/* unlimited: slow down from the global rate */
		g->base_rate = t->conf.rate > 0 ? t->conf.rate : 10;
	if (g->level < THROTTLE_MAX_LEVEL)
		g->level++;
	g->level_since = now;
	g->paused_until = now + t->conf.pause;
	group_set_rate(g, now);
}

int
throttle_is_rate_limit(long code, const char *text)
{
	if (code == 421)
		return 1;
	if (text == NULL)
		return 0;
	if (strstr(text, "4.7.28") || strstr(text, "4.2.1") ||
	    strstr(text, "4.7.0 [TSS04]"))
		return 1;
	return code >= 400 && code < 500 && (strcasestr(text, "rate") ||
	    strcasestr(text, "too many") || strcasestr(text, "limit") ||
	    strcasestr(text, "try again later"));
}

int
throttle_level(const struct throttle *t, const char *domain)
{
	return group_of(t, domain)->level;
}

int
throttle_in_flight(const struct throttle *t)
{
	return t->in_flight;
}
