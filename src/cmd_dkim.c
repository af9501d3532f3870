/*
 * cmd_dkim.c — `dispatcher dkim-keygen`: the DKIM key pair at dkim.key
 * and the DNS TXT records to publish for it.
 *
 * A new key is made only when none is there (or with --force): running the
 * command again prints the records of the key in place, so it is safe to
 * run twice. The records (one per selector and domain the lists sign
 * with, or the one --selector/--domain name) go to stdout and to a file
 * beside the key (dkim_txt_path); progress goes to stderr. Run as root,
 * it gives a new key to the owner of the spool directory, the user that
 * `serve` and the cron jobs run as, since only the owner can read it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dkim_keygen.h"
#include "log.h"
#include "sign.h"

struct keygen_args {
	const char	*selector;
	const char	*domain;
	int		 force;
};

static int
parse_keygen(int argc, char **argv, struct keygen_args *a)
{
	const char	**slot;
	int		  i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		slot = NULL;
		if (cli_value(argc, argv, &i, "--selector", &a->selector))
			slot = &a->selector;
		else if (cli_value(argc, argv, &i, "--domain", &a->domain))
			slot = &a->domain;
		else if (cli_flag(argv, i, "--force"))
			a->force = 1;
		else
			return cli_usage("usage: dispatcher dkim-keygen "
			    "[--selector S] [--domain D] [--force]");
		if (slot && (*slot == NULL || **slot == '\0'))
			return cli_usage("dkim-keygen: %s needs a value",
			    slot == &a->selector ? "--selector" : "--domain");
	}
	if ((a->selector && strpbrk(a->selector, " \t\"'\\")) ||
	    (a->domain && strpbrk(a->domain, " \t\"'\\")))
		return cli_usage("dkim-keygen: a selector or domain is a "
		    "DNS name");
	return 0;
}

/* Adds the record for selector and domain unless it is already in out. */
static int
add_record(struct buf *out, const char *selector, const char *domain,
    const char *pub)
{
	char	name[600];

	snprintf(name, sizeof(name), "%s._domainkey.%s. ", selector, domain);
	if (out->len && strcasestr(out->data, name) != NULL)
		return 0;
	return dkim_txt_record(selector, domain, pub, out);
}

static int
records(const struct config *cfg, const struct keygen_args *a,
    const char *pub, struct buf *out)
{
	size_t	i;

	if (a->domain)
		return add_record(out, a->selector ? a->selector :
		    cfg->dkim_selector, a->domain, pub);
	for (i = 0; i < cfg->nlists; i++)
		if (add_record(out, a->selector ? a->selector :
		    sign_selector(cfg, &cfg->lists[i]),
		    sign_domain(cfg, &cfg->lists[i]), pub) == -1)
			return -1;
	if (cfg->nlists == 0 && cfg->dkim_domain)
		return add_record(out, a->selector ? a->selector :
		    cfg->dkim_selector, cfg->dkim_domain, pub);
	return 0;
}

static int
write_records(const char *path, const struct buf *b)
{
	FILE	*fp;
	int	 rc = 0;

	if ((fp = fopen(path, "w")) == NULL) {
		log_error(NULL, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(b->data, 1, b->len, fp) != b->len)
		rc = -1;
	if (fclose(fp) == EOF)
		rc = -1;
	if (rc == -1)
		log_error(NULL, "%s: %s", path, strerror(errno));
	return rc;
}

/*
 * Run as root with a spool that belongs to a service user: the key, its
 * record and the key's directory when it is under the spool (spool/dkim)
 * go to that user. 0 / -1.
 */
static int
give_to_spool_owner(const struct config *cfg, const char *txt)
{
	struct stat	 st;
	char		*dir, *slash;
	size_t		 n = strlen(cfg->spool_dir);
	int		 rc = 0;

	if (geteuid() != 0 || stat(cfg->spool_dir, &st) == -1 || st.st_uid == 0)
		return 0;
	if ((dir = strdup(cfg->dkim_key)) == NULL)
		return -1;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (chown(cfg->dkim_key, st.st_uid, st.st_gid) == -1 ||
	    chown(txt, st.st_uid, st.st_gid) == -1 ||
	    (slash && strncmp(dir, cfg->spool_dir, n) == 0 && dir[n] == '/' &&
	    chown(dir, st.st_uid, st.st_gid) == -1)) {
		log_error(NULL, "%s: chown: %s", cfg->dkim_key, strerror(errno));
		rc = -1;
	} else
		log_info(NULL, "%s belongs to uid %u, as the spool does",
		    cfg->dkim_key, (unsigned)st.st_uid);
	free(dir);
	return rc;
}

/* The key's public half: made new, or read from the key in place. */
static char *
the_key(const struct config *cfg, const struct keygen_args *a)
{
	char	*pub = NULL, err[ERRLEN];

	if (a->force || access(cfg->dkim_key, F_OK) == -1) {
		if (dkim_keygen_write(cfg->dkim_key, DKIM_KEYGEN_BITS, a->force,
		    &pub, err, sizeof(err)) == -1) {
			log_error(NULL, "%s", err);
			return NULL;
		}
		log_info(NULL, "wrote a new %d-bit RSA key to %s (mode 0600)",
		    DKIM_KEYGEN_BITS, cfg->dkim_key);
		return pub;
	}
	if (dkim_keygen_read(cfg->dkim_key, &pub, err, sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		return NULL;
	}
	log_info(NULL, "kept the key already at %s (--force makes a new "
	    "one)", cfg->dkim_key);
	return pub;
}

int
cmd_dkim_keygen(struct cli *c, int argc, char **argv)
{
	struct keygen_args	 a;
	struct config		*cfg;
	struct buf		 out;
	char			*pub = NULL, *txt = NULL;
	int			 rc;

	if ((rc = parse_keygen(argc, argv, &a)) != 0)
		return rc;
	if ((cfg = cli_config(c)) == NULL)
		return EXIT_FAIL;
	if (cfg->dkim_key == NULL) {
		log_error(NULL, "%s: dkim.key is not set: say where the key "
		    "goes, e.g. dkim = { key = \"spool/dkim/dispatcher.key\"; };",
		    cfg->file);
		return EXIT_FAIL;
	}
	if (a.domain == NULL && cfg->nlists == 0 && cfg->dkim_domain == NULL) {
		log_error(NULL, "no list to take a domain from: give --domain");
		return EXIT_FAIL;
	}
	buf_init(&out, 0);
	rc = EXIT_FAIL;
	if ((pub = the_key(cfg, &a)) == NULL)
		goto out;
	if (records(cfg, &a, pub, &out) == -1 ||
	    (txt = dkim_txt_path(cfg->dkim_key)) == NULL) {
		log_error(NULL, "out of memory");
		goto out;
	}
	if (write_records(txt, &out) == -1 || give_to_spool_owner(cfg, txt) == -1)
		goto out;
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
		log_error(NULL, "stdout: %s", strerror(errno));
		goto out;
	}
	log_info(NULL, "publish the record%s above in DNS (also in %s)",
	    strchr(out.data, '\n') != out.data + out.len - 1 ? "s" : "", txt);
	if (a.selector && strcmp(a.selector, cfg->dkim_selector) != 0)
		log_warn(NULL, "messages are signed with selector '%s': set "
		    "dkim.selector = \"%s\"; to match", cfg->dkim_selector,
		    a.selector);
	rc = EXIT_OK;
out:
	free(pub);
	free(txt);
	buf_free(&out);
	return rc;
}
