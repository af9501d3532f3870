/*
 * throttle.h — when the next message may go: rates, concurrency, slow-down.
 *
 * Meanings, all per delivery process (one worker per spool, so per spool):
 *
 *  - global rate: a token bucket of `rate` messages a second holding at
 *    most `burst` tokens. A message takes a token when it starts; 0 means
 *    no limit. Over any window of T seconds at most burst + rate * T
 *    messages start.
 *  - max in flight: at most this many messages in transfer at once, over
 *    all relays (each transfer holds one SMTP connection).
 *  - per recipient domain: a group of domains (gmail.com, googlemail.com)
 *    shares one concurrency limit and one token bucket. Domains outside
 *    every group use the default domain limits (0: no limit).
 *  - slow-down: a reply that says "too fast" (421, 4.7.28, 450 4.2.1, or
 *    text saying rate or limit) pauses that domain's group for `pause`
 *    seconds and halves its rate (a level: rate / 2^level, where an
 *    unlimited group starts from the global rate). Each `recover` seconds
 *    without such a reply lowers the level by one, back to the configured
 *    rate.
 *
 * The throttle only decides; it keeps no queue. Time is passed in
 * (seconds, monotonic), so tests drive it with a fake clock.
 */
#ifndef DISPATCHER_THROTTLE_H
#define DISPATCHER_THROTTLE_H

#include <stddef.h>

#define THROTTLE_MAX_LEVEL	6

struct throttle_group_conf {
	char	 *name;
	char	**domains;		/* NULL-terminated */
	long	  concurrency;		/* 0: no limit */
	double	  rate;			/* messages a second; 0: no limit */
	double	  burst;
};

struct throttle_conf {
	double				 rate;		/* 0: no limit */
	double				 burst;
	int				 max_in_flight;
	int				 domain_concurrency;	/* default group */
	double				 domain_rate;
	double				 pause;		/* seconds */
	double				 recover;	/* seconds */
	const struct throttle_group_conf *groups;
	size_t				 ngroups;
};

enum throttle_outcome { THROTTLE_OK, THROTTLE_RATE_LIMITED, THROTTLE_OTHER };

/* A token bucket on its own: rate tokens a second, at most burst kept. */
struct throttle_bucket {
	double	rate;		/* 0: unlimited */
	double	burst;
	double	tokens;
	double	last;
};

void	throttle_bucket_init(struct throttle_bucket *b, double rate,
	    double burst, double now);
/* Seconds until a token is there (0: there is one now). */
double	throttle_bucket_wait(struct throttle_bucket *b, double now);
void	throttle_bucket_take(struct throttle_bucket *b);

struct throttle;

/* A new throttle (free with throttle_free); conf is copied. */
struct throttle	*throttle_new(const struct throttle_conf *conf, double now);
void		 throttle_free(struct throttle *t);	/* accepts NULL */

/*
 * May a message to domain start now? Returns 1 and takes the tokens and
 * slots it needs, or returns 0 and sets *wait to the seconds until it
 * might (0 when only a finishing transfer can free a slot).
 */
int	throttle_admit(struct throttle *t, const char *domain, double now,
	    double *wait);
/* A message admitted for domain has finished with this outcome. */
void	throttle_done(struct throttle *t, const char *domain,
	    enum throttle_outcome outcome, double now);

/* Whether an SMTP reply (code and text) says the sender goes too fast. */
int	throttle_is_rate_limit(long code, const char *text);

/* The slow-down level of domain's group (0 when at full rate). */
int	throttle_level(const struct throttle *t, const char *domain);
/* Messages in flight in all. */
int	throttle_in_flight(const struct throttle *t);

#endif
