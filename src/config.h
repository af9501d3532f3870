/*
 * config.h — dispatcher.conf and lists/NAME.conf as typed structs.
 *
 * Both files use libconfig's syntax. Every setting has a line in a schema
 * table (config.c) giving its type, default and check; a setting that is not
 * in the table, a value of the wrong type and a failed check are each
 * reported as "file:line: message" into a struct diag, and every problem is
 * reported, not just the first. config_load() returns a config only when no
 * file had an error: nothing is applied from a half-valid configuration.
 * Relative paths are taken from the directory of dispatcher.conf.
 */
#ifndef DISPATCHER_CONFIG_H
#define DISPATCHER_CONFIG_H

#include <stddef.h>

#include "diag.h"
#include "smtp.h"
#include "throttle.h"

struct list_conf {
	char	*name;			/* NAME of lists/NAME.conf */
	char	*file;			/* path of that file */
	char	*display_name;
	char	*from_address;
	char	*from_name;		/* defaults to display_name */
	char	*reply_to;		/* may be NULL */
	char	*list_id;		/* RFC 2919 list-id, e.g. weekly.example.org */
	char	*base_url;		/* public base URL of the HTTP endpoint */
	char	*postal_address;
	char	*template_set;		/* a directory under templates/ */
	char	*unsubscribe_mailto;	/* address for List-Unsubscribe mailto */
	char	*why;			/* footer: why the reader gets this */
	char	*feedback_sender;	/* last field of Feedback-ID */
	int	 opt_in;		/* enum opt_in: the sign-up form */
	/* DKIM: override dispatcher.conf's dkim.selector and dkim.domain */
	char	*dkim_selector;		/* may be NULL */
	char	*dkim_domain;		/* may be NULL */
};

/* How a sign-up through `dispatcher serve` joins a list (opt_in). */
enum opt_in { OPT_IN_DOUBLE, OPT_IN_SINGLE };

struct config {
	char			*file;
	char			*dir;		/* directory of file */
	char			*spool_dir;
	char			*lists_dir;
	char			*templates_dir;
	char			*secret_file;
	char			*outbox_dir;
	long			 html_warn_bytes;
	/* bounce */
	long			 bounce_soft_threshold;
	long			 bounce_soft_interval;	/* seconds */
	long			 bounce_soft_decay;	/* seconds */
	long			 bounce_report_max_kb;
	/* bounce.mailbox: what --imap / --pop3 read */
	char			*mailbox_url;	/* imap[s]:// or pop3[s]://, or NULL */
	char			*mailbox_username;
	char			*mailbox_password_file;
	int			 mailbox_verify;
	char			*mailbox_ca_file;
	long			 mailbox_timeout;	/* seconds */

	long			 store_map_initial_mb;	/* store.map_initial_mb */
	long			 store_map_max_mb;	/* store.map_max_mb */

	/* smtp: the relays (smtp.url is one relay, written short) */
	char			*smtp_url;
	int			 smtp_tls;		/* enum smtp_tls */
	int			 smtp_verify;
	char			*smtp_ca_file;
	char			*smtp_username;
	char			*smtp_password_file;
	char			*smtp_password_env;
	long			 smtp_max_connections;
	long			 smtp_messages_per_connection;
	struct smtp_relay_conf	*relays;	/* empty: the Maildir outbox */
	size_t			 nrelays;
	long			 smtp_connect_timeout;
	long			 smtp_timeout;
	double			 smtp_down_for;

	/* deliver */
	long			 deliver_batch;
	long			 retry_first;
	long			 retry_max;
	long			 max_age;
	char			*verp_prefix;
	char			*bounce_domain;	/* NULL: each list's From domain */
	long			 progress_interval;

	/* throttle */
	double			 throttle_rate;
	double			 throttle_burst;
	long			 domain_concurrency;
	double			 domain_rate;
	double			 throttle_pause;
	double			 throttle_recover;
	struct throttle_group_conf *groups;
	size_t			 ngroups;

	/* secret key rotation: the previous key, accepted until a date */
	char			*secret_previous_file;	/* NULL: none */
	long			 secret_previous_until;	/* seconds since epoch */

	/* serve: the HTTP endpoint for readers */
	char			*serve_listen;		/* ADDRESS:PORT */
	char			*serve_user;		/* NULL: spool's owner */
	char			*serve_real_ip_header;	/* NULL: the peer */
	long			 serve_max_connections;
	long			 serve_timeout;		/* seconds */
	long			 serve_max_body;	/* bytes */
	long			 serve_max_header;	/* bytes */
	long			 serve_confirm_expiry;	/* seconds */
	long			 serve_signup_per_ip;
	long			 serve_signup_per_address;
	long			 serve_signup_window;	/* seconds */

	/* dkim: the signing key, selector (s=) and domain (d=) */
	char			*dkim_key;	/* NULL: messages go unsigned */
	char			*dkim_selector;
	char			*dkim_domain;	/* NULL: each list's From domain */

	struct list_conf	*lists;
	size_t			 nlists;
};

/*
 * Loads path and every lists_dir/NAME.conf. Returns 0 and sets *out (free
 * with config_free) when no error was found; returns -1 otherwise. Warnings
 * and errors go into d either way.
 */
int	config_load(const char *path, struct config **out, struct diag *d);
void	config_free(struct config *cfg);		/* accepts NULL */

/* The list named name, or NULL. Borrowed from cfg. */
const struct list_conf *config_list(const struct config *cfg, const char *name);

/* The path of dispatcher.conf to use: -c, else $DISPATCHER_CONF, else
 * ./dispatcher.conf. Borrowed. */
const char *config_default_path(const char *given);

#endif
