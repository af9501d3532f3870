/*
 * main.c — dispatcher's entry point: global options, then one command.
 *
 * Nothing else happens here: each command is a handler in a cmd_*.c file.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"

static const struct {
	const char	*name;
	cli_command	 fn;
	const char	*usage;
} commands[] = {
	{ "bounce", cmd_bounce, "bounce [--dry-run] [--rcpt ADDRESS] [FILE...] | "
	    "--maildir DIR | --imap | --pop3" },
	{ "check-config", cmd_check_config, "check-config" },
	{ "compose", cmd_compose,
	    "compose ISSUE.md --list LIST [--to ADDRESS] [--name NAME]" },
	{ "preview", cmd_preview,
	    "preview ISSUE.md --list LIST -o FILE.html [--to ADDRESS]" },
	{ "lists", cmd_lists, "lists" },
	{ "subscribe", cmd_subscribe,
	    "subscribe LIST ADDRESS [--name NAME] [--force]" },
	{ "unsubscribe", cmd_unsubscribe, "unsubscribe LIST ADDRESS" },
	{ "import", cmd_import, "import LIST FILE.csv [--dry-run] [--force]" },
	{ "export", cmd_export, "export LIST [--status S]" },
	{ "subscribers", cmd_subscribers, "subscribers LIST [--status S]" },
	{ "show", cmd_show, "show LIST ADDRESS" },
	{ "send", cmd_send,
	    "send ISSUE.md --list LIST [--queue-only] [--force]" },
	{ "deliver", cmd_deliver, "deliver [--until-empty | --for SECONDS]" },
	{ "status", cmd_status, "status [ISSUE]" },
	{ "test", cmd_test, "test ISSUE.md --list LIST --to ADDRESS" },
	{ "serve", cmd_serve, "serve [--listen ADDRESS:PORT]" },
	{ "dkim-keygen", cmd_dkim_keygen,
	    "dkim-keygen [--selector S] [--domain D] [--force]" },
};

static int
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: dispatcher [-c dispatcher.conf] [-q|-v] COMMAND ...\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  dispatcher %s\n", commands[i].usage);
	return fp == stdout ? EXIT_OK : EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct cli	c = { 0 };
	int		i, rc;
	size_t		k;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.config_path = argv[++i];
		else if (strcmp(argv[i], "-q") == 0)
			log_set_level(LOG_WARN);
		else if (strcmp(argv[i], "-v") == 0)
			log_set_level(LOG_DEBUG);
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return usage(stdout);
		else
			return usage(stderr);
	}
	if (i >= argc)
		return usage(stderr);
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			rc = commands[k].fn(&c, argc - i, argv + i);
			cli_done(&c);
			return rc;
		}
	fprintf(stderr, "dispatcher: unknown command '%s'\n", argv[i]);
	return usage(stderr);
}
