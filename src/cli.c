/*
 * cli.c — shared command-line helpers (see cli.h).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"

struct config *
cli_config(struct cli *c)
{
	struct diag	d = { 0 };

	if (c->cfg)
		return c->cfg;
	if (config_load(config_default_path(c->config_path), &c->cfg, &d) == -1)
		c->cfg = NULL;
	diag_print(&d, stderr);
	diag_free(&d);
	return c->cfg;
}

struct store *
cli_store(struct cli *c)
{
	struct config		*cfg;
	struct store_opts	 o;
	char			 err[ERRLEN];

	if (c->store)
		return c->store;
	if ((cfg = cli_config(c)) == NULL)
		return NULL;
	o.map_initial = (size_t)cfg->store_map_initial_mb << 20;
	o.map_max = (size_t)cfg->store_map_max_mb << 20;
	if (o.map_max < o.map_initial)
		o.map_max = o.map_initial;
	if (store_open(cfg->spool_dir, &o, &c->store, err, sizeof(err)) == -1)
		log_error(NULL, "%s", err);
	return c->store;
}

void
cli_done(struct cli *c)
{
	store_close(c->store);
	c->store = NULL;
	config_free(c->cfg);
	c->cfg = NULL;
}

int
cli_flag(char **argv, int i, const char *name)
{
	return strcmp(argv[i], name) == 0;
}

int
cli_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t	n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		*value = NULL;
		return 1;
	}
	*value = argv[++*i];
	return 1;
}

int
cli_usage(const char *fmt, ...)
{
	va_list	ap;

	fputs("dispatcher: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}
