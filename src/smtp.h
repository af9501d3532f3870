/*
 * smtp.h — SMTP submission to one or more relays with libcurl: many
 * messages in flight, connections reused.
 *
 * The caller starts jobs (one message, one recipient) and collects them
 * when done, with the relay's reply code and text. This module picks the
 * relay for each job (the least loaded by weight among those that are up
 * and have a free connection), enforces each relay's own limits (max
 * connections, messages per connection, a message rate), takes a relay out
 * of rotation for `down_for` seconds when connecting to it fails, and
 * keeps TLS honest: certificates are verified unless a relay says
 * verify = false. Whether an outcome means sent, deferred or failed is the
 * caller's call. The one file that includes curl.
 */
#ifndef DISPATCHER_SMTP_H
#define DISPATCHER_SMTP_H

#include <stddef.h>

enum smtp_tls { SMTP_TLS_REQUIRED, SMTP_TLS_OPPORTUNISTIC, SMTP_TLS_NONE };

struct smtp_relay_conf {
	char		*url;			/* smtp://host:port or smtps:// */
	long		 weight;		/* share of the traffic, >= 1 */
	long		 max_connections;
	long		 messages_per_connection;	/* 0: no limit */
	double		 rate;			/* messages a second; 0: none */
	enum smtp_tls	 tls;			/* for smtp:// (STARTTLS) */
	int		 verify;		/* verify the certificate */
	char		*ca_file;		/* extra trusted CA; may be NULL */
	char		*username;		/* AUTH; may be NULL */
	char		*password_file;		/* first line is the password */
	char		*password_env;		/* or this environment variable */
};

struct smtp_conf {
	const struct smtp_relay_conf	*relays;
	size_t				 nrelays;
	long				 connect_timeout;	/* seconds */
	long				 timeout;	/* seconds a message may take */
	double				 down_for;	/* seconds out of rotation */
};

/* One message to one recipient. The caller owns the job and its strings
 * and data until smtp_done() hands the job back. */
struct smtp_job {
	void		*user;
	const char	*mail_from;
	const char	*rcpt;
	const char	*data;
	size_t		 len;
	/* When set, called in the connection's thread just before the
	 * transfer (work such as signing that both cores can share): it may
	 * change data and len. On -1, with error set, the job is done
	 * without a transfer, with code 0. */
	int		(*prepare)(struct smtp_job *job);
	/* set when done */
	int		 relay;		/* index of the relay used, -1 if none */
	long		 code;		/* the reply code that decided; 0 if the
					   transfer failed without one */
	char		 reply[512];	/* its text (multi-line joined) */
	int		 conn_failed;	/* never got a working session */
	char		 error[256];	/* curl's own description */
	/* private */
	size_t		 sent;
	int		 reply_done;
};

struct smtp;

/* A new client (free with smtp_free); conf is borrowed for its lifetime.
 * Call it before starting other threads (it initializes libcurl). */
struct smtp	*smtp_new(const struct smtp_conf *conf, char *err,
		    size_t errlen);
/* Waits for the jobs in flight, then frees. Accepts NULL. */
void		 smtp_free(struct smtp *s);

/* Whether some relay could take a job now. */
int		 smtp_can_start(struct smtp *s, double now);
/* Starts job on a relay. 0, or -1 when no relay can take it now. */
int		 smtp_start(struct smtp *s, struct smtp_job *job, double now);
/* Waits at most timeout_ms for a job to finish (none when one has). */
void		 smtp_wait(struct smtp *s, int timeout_ms, double now);
/* A finished job, or NULL. */
struct smtp_job	*smtp_done(struct smtp *s, double now);
int		 smtp_in_flight(struct smtp *s);
/* What happened to a finished job, for logs and the spool: the relay's
 * reply, or what went wrong when there was no final one. */
void		 smtp_describe(const struct smtp_job *job, char *out,
		    size_t outlen);
/* Relays that are up now. */
int		 smtp_relays_up(const struct smtp *s, double now);

#endif
