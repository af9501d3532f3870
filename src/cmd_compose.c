/*
 * cmd_compose.c — the commands that show an issue without sending it:
 * `compose` (the exact message, to stdout), `preview` (the HTML part, to a
 * file) and `check-config` (every problem in the configuration, or OK).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "compose.h"
#include "log.h"
#include "sign.h"
#include "template.h"

#define SAMPLE_ADDRESS	"reader@example.com"
#define SAMPLE_NAME	"Sample Reader"

struct compose_args {
	const char	*issue;
	const char	*list;
	const char	*to;
	const char	*name;
	const char	*output;
};

static int
parse_args(int argc, char **argv, struct compose_args *a, int want_output)
{
	const char	**slot;
	int		  i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		slot = NULL;
		if (cli_value(argc, argv, &i, "--list", &a->list))
			slot = &a->list;
		else if (cli_value(argc, argv, &i, "--to", &a->to))
			slot = &a->to;
		else if (cli_value(argc, argv, &i, "--name", &a->name))
			slot = &a->name;
		else if (want_output && cli_value(argc, argv, &i, "-o", &a->output))
			slot = &a->output;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("%s: unknown option %s", argv[0], argv[i]);
		else if (a->issue == NULL)
			a->issue = argv[i];
		else
			return cli_usage("%s: one issue at a time", argv[0]);
		if (slot && *slot == NULL)
			return cli_usage("%s: %s needs a value", argv[0], argv[i]);
	}
	if (a->issue == NULL || a->list == NULL)
		return cli_usage("usage: dispatcher %s ISSUE.md --list LIST%s",
		    argv[0], want_output ? " -o FILE.html" : "");
	if (want_output && a->output == NULL)
		return cli_usage("%s: -o FILE.html is required", argv[0]);
	if (a->to == NULL) {
		a->to = SAMPLE_ADDRESS;
		if (a->name == NULL)
			a->name = SAMPLE_NAME;
	}
	return 0;
}

/* Loads config, list, key and issue, and renders it: NULL on error. */
static struct composed_issue *
render(struct cli *c, const struct compose_args *a)
{
	struct config		*cfg;
	const struct list_conf	*list;
	struct issue		*is;
	struct composed_issue	*ci = NULL;
	struct token_key	 key;
	struct diag		 w = { 0 };
	char			 err[ERRLEN];

	if ((cfg = cli_config(c)) == NULL)
		return NULL;
	if ((list = config_list(cfg, a->list)) == NULL) {
		log_error(NULL, "no list '%s' (no %s/%s.conf)", a->list,
		    cfg->lists_dir, a->list);
		return NULL;
	}
	if (token_key_load(cfg->secret_file, &key, err, sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		return NULL;
	}
	if ((is = issue_load(a->issue, err, sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		return NULL;
	}
	sign_warn_future(cfg, a->issue, is->date, time(NULL));
	if ((ci = compose_issue(cfg, list, is, &key, &w, err, sizeof(err))) == NULL)
		log_error(NULL, "%s", err);
	diag_print(&w, stderr);
	diag_free(&w);
	issue_free(is);
	return ci;
}

int
cmd_compose(struct cli *c, int argc, char **argv)
{
	struct compose_args	 a;
	struct composed_issue	*ci;
	struct recipient	 r;
	struct buf		 out;
	struct signer		*sg = NULL;
	char			 err[ERRLEN];
	int			 rc;

	if ((rc = parse_args(argc, argv, &a, 0)) != 0)
		return rc;
	if ((ci = render(c, &a)) == NULL)
		return EXIT_FAIL;
	buf_init(&out, 0);
	r.address = a.to;
	r.name = a.name;
	rc = EXIT_OK;
	if (sign_open(c->cfg, 0, &sg, err, sizeof(err)) == -1 ||
	    compose_message(ci, &r, &out, err, sizeof(err)) == -1 ||
	    sign_message(sg, compose_list(ci), &out, err, sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		rc = EXIT_FAIL;
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		log_error(NULL, "stdout: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
	buf_free(&out);
	sign_free(sg);
	compose_free(ci);
	return rc;
}

int
cmd_preview(struct cli *c, int argc, char **argv)
{
	struct compose_args	 a;
	struct composed_issue	*ci;
	struct recipient	 r;
	struct buf		 out;
	char			 err[ERRLEN];
	FILE			*fp;
	int			 rc;

	if ((rc = parse_args(argc, argv, &a, 1)) != 0)
		return rc;
	if ((ci = render(c, &a)) == NULL)
		return EXIT_FAIL;
	buf_init(&out, 0);
	r.address = a.to;
	r.name = a.name;
	rc = EXIT_FAIL;
	if (compose_html(ci, &r, &out, err, sizeof(err)) == -1)
		log_error(NULL, "%s", err);
	else if ((fp = fopen(a.output, "w")) == NULL)
		log_error(NULL, "%s: %s", a.output, strerror(errno));
	else {
		if (fwrite(out.data, 1, out.len, fp) != out.len)
			log_error(NULL, "%s: %s", a.output, strerror(errno));
		else
			rc = EXIT_OK;
		if (fclose(fp) == EOF && rc == EXIT_OK) {
			log_error(NULL, "%s: %s", a.output, strerror(errno));
			rc = EXIT_FAIL;
		}
	}
	buf_free(&out);
	compose_free(ci);
	return rc;
}

/* Parses a list's templates, reporting what is wrong in them. */
static size_t
check_templates(const struct config *cfg, const struct list_conf *l)
{
	static const struct {
		const char	*file;
		enum tpl_mode	 mode;
	} files[] = { { "message.html", TPL_HTML }, { "message.txt", TPL_TEXT } };
	struct tpl	t;
	char		path[4096], err[ERRLEN];
	size_t		i, errors = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", cfg->templates_dir,
		    l->template_set, files[i].file);
		if (tpl_load(path, files[i].mode, &t, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			errors++;
			continue;
		}
		tpl_free(&t);
	}
	return errors;
}

int
cmd_check_config(struct cli *c, int argc, char **argv)
{
	struct config	*cfg;
	struct diag	 d = { 0 };
	size_t		 i, errors = 0;

	if (argc > 1)
		return cli_usage("usage: dispatcher check-config");
	if ((cfg = cli_config(c)) == NULL)
		return EXIT_FAIL;
	for (i = 0; i < cfg->nlists; i++)
		errors += check_templates(cfg, &cfg->lists[i]);
	sign_check(cfg, &d);
	diag_print(&d, stderr);
	errors += d.errors;
	diag_free(&d);
	if (errors)
		return EXIT_FAIL;
	printf("%s: OK (%zu list%s)\n", cfg->file, cfg->nlists,
	    cfg->nlists == 1 ? "" : "s");
	return EXIT_OK;
}
