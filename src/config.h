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
};

struct config {
	char			*file;
	char			*dir;		/* directory of file */
	char			*spool_dir;
	char			*lists_dir;
	char			*templates_dir;
	char			*secret_file;
	char			*outbox_dir;
	long			 html_warn_bytes;
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
