/*
 * test_deliver.c — unit tests for what delivery decides on its own: the
 * throttle's rates and limits (on a fake clock), and VERP tokens.
 */
#include <string.h>

#include "deliver.h"
#include "throttle.h"
#include "token.h"
#include "unit.h"

static struct throttle *
make(double rate, double burst, int in_flight,
    const struct throttle_group_conf *groups, size_t ngroups)
{
	struct throttle_conf	c;

	memset(&c, 0, sizeof(c));
	c.rate = rate;
	c.burst = burst;
	c.max_in_flight = in_flight;
	c.pause = 60;
	c.recover = 300;
	c.groups = groups;
	c.ngroups = ngroups;
	return throttle_new(&c, 0);
}

/* Admits as many as possible each 1 ms tick for secs; returns the count. */
static int
run(struct throttle *t, const char *domain, double start, double secs,
    int finish_at_once)
{
	double	now, wait;
	int	n = 0;

	for (now = start; now < start + secs; now += 0.001)
		while (throttle_admit(t, domain, now, &wait)) {
			n++;
			if (finish_at_once)
				throttle_done(t, domain, THROTTLE_OK, now);
		}
	return n;
}

TEST(throttle_global_rate_and_burst)
{
	struct throttle	*t = make(100, 20, 0, NULL, 0);
	int		 n;

	REQUIRE(t != NULL);
	/* 10 s at 100/s with a burst of 20: 20 + 1000, give or take one */
	n = run(t, "example.org", 0, 10, 1);
	CHECK(n >= 1019 && n <= 1021);
	throttle_free(t);
}

TEST(throttle_max_in_flight)
{
	struct throttle	*t = make(0, 1, 3, NULL, 0);
	double		 wait;

	CHECK(throttle_admit(t, "a.example", 0, &wait));
	CHECK(throttle_admit(t, "b.example", 0, &wait));
	CHECK(throttle_admit(t, "c.example", 0, &wait));
	CHECK(!throttle_admit(t, "d.example", 0, &wait) && wait == 0);
	throttle_done(t, "a.example", THROTTLE_OK, 0);
	CHECK(throttle_admit(t, "d.example", 0, &wait));
	CHECK(throttle_in_flight(t) == 3);
	throttle_free(t);
}

TEST(throttle_domain_group_shares_limits)
{
	static char			*gmail[] = { "gmail.com", "googlemail.com",
					    NULL };
	struct throttle_group_conf	 g = { "google", gmail, 2, 10, 1 };
	struct throttle			*t = make(0, 1, 0, &g, 1);
	double				 wait;
	int				 n;

	CHECK(throttle_admit(t, "gmail.com", 0, &wait));
	CHECK(!throttle_admit(t, "GoogleMail.com", 0, &wait));	/* rate */
	CHECK(wait > 0.09 && wait <= 0.1);
	CHECK(throttle_admit(t, "googlemail.com", 0.1, &wait));
	CHECK(!throttle_admit(t, "gmail.com", 0.5, &wait));	/* 2 in flight */
	CHECK(throttle_admit(t, "example.org", 0.5, &wait));	/* other domain */
	throttle_done(t, "gmail.com", THROTTLE_OK, 0.5);
	throttle_done(t, "gmail.com", THROTTLE_OK, 0.5);
	/* 10 s more at 10/s */
	n = run(t, "gmail.com", 1, 10, 1);
	CHECK(n >= 99 && n <= 101);
	throttle_free(t);
}

TEST(throttle_slows_down_and_recovers)
{
	static char			*yahoo[] = { "yahoo.com", NULL };
	struct throttle_group_conf	 g = { "yahoo", yahoo, 0, 16, 1 };
	struct throttle			*t = make(0, 1, 0, &g, 1);
	double				 wait;
	int				 n;

	REQUIRE(throttle_admit(t, "yahoo.com", 0, &wait));
	throttle_done(t, "yahoo.com", THROTTLE_RATE_LIMITED, 0);
	CHECK(throttle_level(t, "yahoo.com") == 1);
	CHECK(!throttle_admit(t, "yahoo.com", 30, &wait));	/* paused */
	CHECK(wait > 29 && wait <= 30);
	n = run(t, "yahoo.com", 60, 10, 1);	/* half rate: 8/s */
	CHECK(n >= 79 && n <= 81);
	n = run(t, "yahoo.com", 300, 10, 1);	/* recovered: 16/s */
	CHECK(throttle_level(t, "yahoo.com") == 0);
	CHECK(n >= 159 && n <= 161);
	throttle_free(t);
}

TEST(throttle_reads_rate_limit_replies)
{
	CHECK(throttle_is_rate_limit(421, "4.7.0 Try again later"));
	CHECK(throttle_is_rate_limit(450, "4.2.1 The user you are trying to "
	    "contact is receiving mail too quickly"));
	CHECK(throttle_is_rate_limit(451, "4.7.28 Our system has detected an "
	    "unusual rate of unsolicited mail"));
	CHECK(!throttle_is_rate_limit(450, "4.2.2 Mailbox full"));
	CHECK(!throttle_is_rate_limit(550, "5.1.1 User unknown"));
}

TEST(verp_round_trip_and_forgery)
{
	struct token_key	 k, other;
	char			 a[TOKEN_VERP_MAX], up[TOKEN_VERP_MAX];
	unsigned long long	 id = 0;
	const char		*why;
	size_t			 i;

	memset(&k, 3, sizeof(k));
	memset(&other, 4, sizeof(other));
	REQUIRE(token_verp_make(&k, "bounces", 0x0000000700001234ULL,
	    "example.org", a, sizeof(a)) == 0);
	CHECK(strchr(a, '@') - a <= 64);
	CHECK(token_verp_check(&k, "bounces", a, &id, &why) == 0);
	CHECK(id == 0x0000000700001234ULL);
	for (i = 0; a[i]; i++)		/* an MTA that folds case */
		up[i] = a[i] >= 'a' && a[i] <= 'z' ? a[i] - 32 : a[i];
	up[i] = '\0';
	CHECK(token_verp_check(&k, "bounces", up, &id, &why) == 0);
	CHECK(token_verp_check(&other, "bounces", a, &id, &why) == -1);
	a[10] = a[10] == 'a' ? 'b' : 'a';
	CHECK(token_verp_check(&k, "bounces", a, &id, &why) == -1);
	CHECK(token_verp_check(&k, "bounces", "bounces+short@example.org", &id,
	    &why) == -1);
	CHECK(token_verp_check(&k, "bounces", "someone@example.org", &id,
	    &why) == -1);
}

TEST(deliver_classifies_replies)
{
	int	hard, limited;

	CHECK(deliver_classify(250, "250 2.0.0 Ok", &hard, &limited) ==
	    ENTRY_SENT);
	CHECK(deliver_classify(0, "Couldn't connect", &hard, &limited) ==
	    ENTRY_DEFERRED && !hard && !limited);
	CHECK(deliver_classify(421, "421 4.7.28 rate limited", &hard,
	    &limited) == ENTRY_DEFERRED && limited);
	CHECK(deliver_classify(452, "452 4.2.2 Mailbox full", &hard,
	    &limited) == ENTRY_DEFERRED && !limited);
	CHECK(deliver_classify(550, "550 5.1.1 <a@example.org>: user unknown",
	    &hard, &limited) == ENTRY_FAILED && hard);
	CHECK(deliver_classify(550, "550-5.1.1 The email account does not "
	    "exist", &hard, &limited) == ENTRY_FAILED && hard);
	CHECK(deliver_classify(550, "550 5.7.1 Message rejected as spam",
	    &hard, &limited) == ENTRY_FAILED && !hard);
	CHECK(deliver_classify(554, "554 5.7.26 DMARC policy", &hard,
	    &limited) == ENTRY_FAILED && !hard);
	CHECK(deliver_classify(550, "550 5.0.0 Error: command rejected",
	    &hard, &limited) == ENTRY_FAILED && !hard);
	CHECK(deliver_classify(550, "550 No such user here", &hard,
	    &limited) == ENTRY_FAILED && hard);
}
