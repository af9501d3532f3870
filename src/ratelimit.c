/*
 * ratelimit.c — per-key limits in a fixed table (see ratelimit.h). Used by
 * serve.c for the sign-up form, per IP address and per email address.
 */
#include "ratelimit.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"

#define PROBES	8

struct slot {
	unsigned char	id[16];		/* a hash of the key; all zero: free */
	int64_t		hits[RATELIMIT_MAX_HITS];	/* times, a ring */
	unsigned	n, head;	/* hits held, next to overwrite */
};

struct ratelimit {
	unsigned	limit, window;
	struct slot	slots[RATELIMIT_SLOTS];
};

struct ratelimit *
ratelimit_new(unsigned limit, unsigned window)
{
	struct ratelimit	*rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	rl->limit = limit == 0 ? 1 : limit > RATELIMIT_MAX_HITS ?
	    RATELIMIT_MAX_HITS : limit;
	rl->window = window == 0 ? 1 : window;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

/* Drops the hits of s that are older than the window. */
static void
expire(const struct ratelimit *rl, struct slot *s, int64_t now)
{
	while (s->n > 0) {
		unsigned oldest = (s->head + RATELIMIT_MAX_HITS - s->n) %
		    RATELIMIT_MAX_HITS;
		if (now - s->hits[oldest] < (int64_t)rl->window)
			break;
		s->n--;
	}
}

/* When the newest hit of s leaves the window: how long it stays useful. */
static int64_t
slot_end(const struct slot *s)
{
	return s->n == 0 ? 0 :
	    s->hits[(s->head + RATELIMIT_MAX_HITS - 1) % RATELIMIT_MAX_HITS];
}

static struct slot *
slot_find(struct ratelimit *rl, const unsigned char id[16], int64_t now)
{
	static const unsigned char zero[16];
	struct slot	*s, *victim = NULL, *empty = NULL;
	size_t		 start, i;

	memcpy(&start, id, sizeof(start));
	for (i = 0; i < PROBES; i++) {
		s = &rl->slots[(start + i) % RATELIMIT_SLOTS];
		if (memcmp(s->id, id, 16) == 0)
			return s;
		if (memcmp(s->id, zero, 16) != 0)
			expire(rl, s, now);
		if (empty == NULL && (memcmp(s->id, zero, 16) == 0 || s->n == 0))
			empty = s;
		if (victim == NULL || slot_end(s) < slot_end(victim))
			victim = s;
	}
	s = empty ? empty : victim;
	memset(s, 0, sizeof(*s));
	memcpy(s->id, id, 16);
	return s;
}

long
ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now)
{
	unsigned char	 h[DIGEST_LEN];
	struct slot	*s;
	unsigned	 oldest;

	digest_sha256(key, strlen(key), h);
	h[0] |= 1;	/* never all zero */
	s = slot_find(rl, h, now);
	expire(rl, s, now);
	if (s->n >= rl->limit) {
		oldest = (s->head + RATELIMIT_MAX_HITS - s->n) %
		    RATELIMIT_MAX_HITS;
		return (long)(s->hits[oldest] + rl->window - now);
	}
	s->hits[s->head] = now;
	s->head = (s->head + 1) % RATELIMIT_MAX_HITS;
	s->n++;
	return 0;
}
