/*
 * cli.h — what the command handlers share: exit codes, the loaded
 * configuration, and option parsing.
 *
 * main.c parses the global options and calls one handler; each handler
 * lives in a cmd_*.c file, parses its own arguments, prints human output on
 * stdout and errors on stderr, and returns an exit code.
 */
#ifndef DISPATCHER_CLI_H
#define DISPATCHER_CLI_H

#include "config.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the command could not do its work */
	EXIT_USAGE = 2,		/* bad arguments */
	EXIT_TEMPFAIL = 75	/* try again later (sysexits EX_TEMPFAIL) */
};

struct store;

struct cli {
	const char	*config_path;
	struct config	*cfg;		/* loaded on first use */
	struct store	*store;		/* opened on first use */
};

/* Loads the configuration once, printing every problem. NULL on error. */
struct config	*cli_config(struct cli *c);
/* Opens the store of the configured spool once, printing why it cannot.
 * NULL on error. Borrowed: cli_done() closes it. */
struct store	*cli_store(struct cli *c);
/* Closes the store and frees the configuration. */
void		 cli_done(struct cli *c);

/*
 * Argument scanning: cli_flag() matches "--name"; cli_value() matches
 * "--name VALUE" and "--name=VALUE" (advancing *i past the value), and
 * reports a missing value. Both return 1 on a match.
 */
int	cli_flag(char **argv, int i, const char *name);
int	cli_value(int argc, char **argv, int *i, const char *name,
	    const char **value);
int	cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef int (*cli_command)(struct cli *c, int argc, char **argv);

int	cmd_bounce(struct cli *c, int argc, char **argv);
int	cmd_check_config(struct cli *c, int argc, char **argv);
int	cmd_compose(struct cli *c, int argc, char **argv);
int	cmd_preview(struct cli *c, int argc, char **argv);

/* cmd_subscribers.c */
int	cmd_lists(struct cli *c, int argc, char **argv);
int	cmd_subscribe(struct cli *c, int argc, char **argv);
int	cmd_unsubscribe(struct cli *c, int argc, char **argv);
int	cmd_import(struct cli *c, int argc, char **argv);
int	cmd_export(struct cli *c, int argc, char **argv);
int	cmd_subscribers(struct cli *c, int argc, char **argv);
int	cmd_show(struct cli *c, int argc, char **argv);
int	cmd_send(struct cli *c, int argc, char **argv);
int	cmd_deliver(struct cli *c, int argc, char **argv);
int	cmd_status(struct cli *c, int argc, char **argv);
int	cmd_test(struct cli *c, int argc, char **argv);

/* cmd_serve.c */
int	cmd_serve(struct cli *c, int argc, char **argv);

/* cmd_dkim.c */
int	cmd_dkim_keygen(struct cli *c, int argc, char **argv);

#endif
