/*
 * ratelimit.h — how often one key (an IP address, an email address) may do
 * something: at most `limit` times in any window of `window` seconds
 * (a sliding log over a fixed table, so memory never grows).
 *
 * The table holds RATELIMIT_SLOTS keys, found by a hash; when every slot a
 * key may use is taken by a key still inside its window, the one whose
 * window ends first is dropped (it forgets that key early: under a flood
 * of distinct keys the limit weakens for old keys, it never blocks new
 * ones wrongly). Not thread-safe: one caller at a time.
 */
#ifndef DISPATCHER_RATELIMIT_H
#define DISPATCHER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS		4096
#define RATELIMIT_MAX_HITS	100	/* limits above this are clamped */

struct ratelimit;

/* A new table: limit hits per window seconds. Free with ratelimit_free. */
struct ratelimit *ratelimit_new(unsigned limit, unsigned window);
void	ratelimit_free(struct ratelimit *rl);	/* accepts NULL */

/*
 * Counts one hit of key at now (seconds). Returns 0 when it is allowed,
 * or the seconds until it would be (>= 1) when the key is over its limit;
 * a refused hit is not counted.
 */
long	ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now);

#endif
