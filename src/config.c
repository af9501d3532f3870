/*
 * config.c — loads dispatcher.conf and lists/NAME.conf (see config.h).
 *
 * The one file that includes libconfig. Each file is read whole by libconfig,
 * then walked setting by setting against a schema table; the walk collects
 * every problem with its line number. Values are copied out of libconfig's
 * tree into plain strings owned by struct config.
 */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libconfig.h>

#include "address.h"

/*
 * Types: strings (T_STRING, T_PATH resolved from the config's directory,
 * T_ADDRESS, T_URL, T_SMTP_URL, T_LISTID, T_DNSNAME checked), numbers
 * (T_INT into a long, T_FLOAT into a double, both with a range), T_BOOL
 * into an int,
 * T_ENUM (a string among `choices`, stored as its index in an int),
 * T_STRLIST (an array of strings, into a NULL-terminated char **), and
 * T_LIST (a list of groups, each read with the schema `sub` into an array
 * of elem_size structs at offset, its length at count_offset), and T_DATE
 * ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM", UTC, into a long of seconds since
 * the epoch).
 */
enum conf_type { T_STRING, T_PATH, T_ADDRESS, T_URL, T_SMTP_URL, T_LISTID,
	T_DNSNAME, T_INT, T_FLOAT, T_BOOL, T_ENUM, T_STRLIST, T_LIST, T_DATE,
	T_MAILBOX_URL	/* imap[s]:// or pop3[s]://, no credentials */
};

struct conf_key {
	const char		*key;	/* dotted path, e.g. "compose.html_warn_kb" */
	enum conf_type		 type;
	size_t			 offset;/* into the struct being filled */
	int			 required;
	const char		*def;	/* default as text, or NULL */
	double			 min, max;	/* T_INT, T_FLOAT */
	const char *const	*choices;	/* T_ENUM, NULL-terminated */
	const struct conf_key	*sub;		/* T_LIST */
	size_t			 elem_size;	/* T_LIST */
	size_t			 count_offset;	/* T_LIST */
};

static const char *const tls_choices[] = { "required", "opportunistic",
	"none", NULL };
static const char *const opt_in_choices[] = { "double", "single", NULL };

/* a row: key, type, field, required, default, min, max */
#define ROW(k, t, f, req, def, lo, hi) \
	{ k, t, f, req, def, lo, hi, NULL, NULL, 0, 0 }
#define END	{ NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL, 0, 0 }

#define R(f)	offsetof(struct smtp_relay_conf, f)
static const struct conf_key relay_keys[] = {
	ROW("url", T_SMTP_URL, R(url), 1, NULL, 0, 0),
	ROW("weight", T_INT, R(weight), 0, "1", 1, 1000),
	ROW("max_connections", T_INT, R(max_connections), 0, "4", 1, 1000),
	ROW("messages_per_connection", T_INT, R(messages_per_connection), 0,
	    "100", 0, 1000000),
	ROW("rate", T_FLOAT, R(rate), 0, "0", 0, 1e6),
	{ "tls", T_ENUM, R(tls), 0, "required", 0, 0, tls_choices, NULL, 0, 0 },
	ROW("verify", T_BOOL, R(verify), 0, "true", 0, 0),
	ROW("ca_file", T_PATH, R(ca_file), 0, NULL, 0, 0),
	ROW("username", T_STRING, R(username), 0, NULL, 0, 0),
	ROW("password_file", T_PATH, R(password_file), 0, NULL, 0, 0),
	ROW("password_env", T_STRING, R(password_env), 0, NULL, 0, 0),
	END
};
#undef R

#define G(f)	offsetof(struct throttle_group_conf, f)
static const struct conf_key group_keys[] = {
	ROW("name", T_STRING, G(name), 1, NULL, 0, 0),
	ROW("domains", T_STRLIST, G(domains), 1, NULL, 0, 0),
	ROW("concurrency", T_INT, G(concurrency), 0, "0", 0, 10000),
	ROW("rate", T_FLOAT, G(rate), 0, "0", 0, 1e6),
	ROW("burst", T_FLOAT, G(burst), 0, "1", 1, 1e6),
	END
};
#undef G

#define C(f)	offsetof(struct config, f)
static const struct conf_key main_keys[] = {
	ROW("spool", T_PATH, C(spool_dir), 0, "spool", 0, 0),
	ROW("lists", T_PATH, C(lists_dir), 0, "lists", 0, 0),
	ROW("templates", T_PATH, C(templates_dir), 0, "templates", 0, 0),
	ROW("secret_file", T_PATH, C(secret_file), 0, "spool/secret.key", 0, 0),
	ROW("outbox", T_PATH, C(outbox_dir), 0, "outbox", 0, 0),
	ROW("compose.html_warn_kb", T_INT, C(html_warn_bytes), 0, "102", 1,
	    1048576),
	ROW("bounce.soft_threshold", T_INT, C(bounce_soft_threshold), 0, "3", 1,
	    1000),
	ROW("bounce.soft_interval", T_INT, C(bounce_soft_interval), 0, "86400",
	    0, 31536000),
	ROW("bounce.soft_decay", T_INT, C(bounce_soft_decay), 0, "604800", 1,
	    31536000),
	ROW("bounce.report_max_kb", T_INT, C(bounce_report_max_kb), 0, "64", 1,
	    10240),
	ROW("bounce.mailbox.url", T_MAILBOX_URL, C(mailbox_url), 0, NULL, 0, 0),
	ROW("bounce.mailbox.username", T_STRING, C(mailbox_username), 0, NULL,
	    0, 0),
	ROW("bounce.mailbox.password_file", T_PATH, C(mailbox_password_file), 0,
	    NULL, 0, 0),
	ROW("bounce.mailbox.verify", T_BOOL, C(mailbox_verify), 0, "true", 0, 0),
	ROW("bounce.mailbox.ca_file", T_PATH, C(mailbox_ca_file), 0, NULL, 0, 0),
	ROW("bounce.mailbox.timeout", T_INT, C(mailbox_timeout), 0, "60", 1,
	    3600),
	ROW("store.map_initial_mb", T_INT, C(store_map_initial_mb), 0, "64", 1,
	    1048576),
	ROW("store.map_max_mb", T_INT, C(store_map_max_mb), 0, "16384", 1,
	    4194304),
	ROW("smtp.url", T_SMTP_URL, C(smtp_url), 0, NULL, 0, 0),
	{ "smtp.tls", T_ENUM, C(smtp_tls), 0, "required", 0, 0, tls_choices,
	    NULL, 0, 0 },
	ROW("smtp.verify", T_BOOL, C(smtp_verify), 0, "true", 0, 0),
	ROW("smtp.ca_file", T_PATH, C(smtp_ca_file), 0, NULL, 0, 0),
	ROW("smtp.username", T_STRING, C(smtp_username), 0, NULL, 0, 0),
	ROW("smtp.password_file", T_PATH, C(smtp_password_file), 0, NULL, 0, 0),
	ROW("smtp.password_env", T_STRING, C(smtp_password_env), 0, NULL, 0, 0),
	ROW("smtp.max_connections", T_INT, C(smtp_max_connections), 0, "8", 1,
	    1000),
	ROW("smtp.messages_per_connection", T_INT,
	    C(smtp_messages_per_connection), 0, "100", 0, 1000000),
	{ "smtp.relays", T_LIST, C(relays), 0, NULL, 0, 0, NULL, relay_keys,
	    sizeof(struct smtp_relay_conf), C(nrelays) },
	ROW("smtp.connect_timeout", T_INT, C(smtp_connect_timeout), 0, "30", 1,
	    3600),
	ROW("smtp.timeout", T_INT, C(smtp_timeout), 0, "120", 1, 86400),
	ROW("smtp.down_for", T_FLOAT, C(smtp_down_for), 0, "60", 0, 86400),
	ROW("deliver.batch", T_INT, C(deliver_batch), 0, "32", 1, 10000),
	ROW("deliver.retry_first", T_INT, C(retry_first), 0, "300", 1, 86400),
	ROW("deliver.retry_max", T_INT, C(retry_max), 0, "14400", 1, 604800),
	ROW("deliver.max_age", T_INT, C(max_age), 0, "259200", 60, 31536000),
	ROW("deliver.verp_prefix", T_STRING, C(verp_prefix), 0, "bounces", 0, 0),
	ROW("deliver.bounce_domain", T_STRING, C(bounce_domain), 0, NULL, 0, 0),
	ROW("deliver.progress_interval", T_INT, C(progress_interval), 0, "60",
	    1, 86400),
	ROW("throttle.rate", T_FLOAT, C(throttle_rate), 0, "0", 0, 1e6),
	ROW("throttle.burst", T_FLOAT, C(throttle_burst), 0, "10", 1, 1e6),
	ROW("throttle.domain_concurrency", T_INT, C(domain_concurrency), 0, "0",
	    0, 10000),
	ROW("throttle.domain_rate", T_FLOAT, C(domain_rate), 0, "0", 0, 1e6),
	ROW("throttle.pause", T_FLOAT, C(throttle_pause), 0, "60", 0, 86400),
	ROW("throttle.recover", T_FLOAT, C(throttle_recover), 0, "300", 1,
	    86400),
	{ "throttle.domains", T_LIST, C(groups), 0, NULL, 0, 0, NULL,
	    group_keys, sizeof(struct throttle_group_conf), C(ngroups) },
	/* secret key rotation and serve */
	ROW("secret_previous_file", T_PATH, C(secret_previous_file), 0, NULL, 0,
	    0),
	ROW("secret_previous_until", T_DATE, C(secret_previous_until), 0, NULL,
	    0, 0),
	ROW("serve.listen", T_STRING, C(serve_listen), 0, "127.0.0.1:8080", 0,
	    0),
	ROW("serve.user", T_STRING, C(serve_user), 0, NULL, 0, 0),
	ROW("serve.real_ip_header", T_STRING, C(serve_real_ip_header), 0, NULL,
	    0, 0),
	ROW("serve.max_connections", T_INT, C(serve_max_connections), 0, "64",
	    1, 10000),
	ROW("serve.timeout", T_INT, C(serve_timeout), 0, "10", 1, 3600),
	ROW("serve.max_body", T_INT, C(serve_max_body), 0, "4096", 64, 1048576),
	ROW("serve.max_header", T_INT, C(serve_max_header), 0, "8192", 2048,
	    1048576),
	ROW("serve.confirm_expiry", T_INT, C(serve_confirm_expiry), 0, "172800",
	    60, 31536000),
	ROW("serve.signup_per_ip", T_INT, C(serve_signup_per_ip), 0, "10", 1,
	    100),
	ROW("serve.signup_per_address", T_INT, C(serve_signup_per_address), 0,
	    "3", 1, 100),
	ROW("serve.signup_window", T_INT, C(serve_signup_window), 0, "3600", 1,
	    604800),
	/* dkim */
	ROW("dkim.key", T_PATH, C(dkim_key), 0, NULL, 0, 0),
	ROW("dkim.selector", T_DNSNAME, C(dkim_selector), 0, "dispatcher", 0, 0),
	ROW("dkim.domain", T_DNSNAME, C(dkim_domain), 0, NULL, 0, 0),
	END
};
#undef C

#define L(f)	offsetof(struct list_conf, f)
static const struct conf_key list_keys[] = {
	ROW("display_name", T_STRING, L(display_name), 1, NULL, 0, 0),
	ROW("from", T_ADDRESS, L(from_address), 1, NULL, 0, 0),
	ROW("from_name", T_STRING, L(from_name), 0, NULL, 0, 0),
	ROW("reply_to", T_ADDRESS, L(reply_to), 0, NULL, 0, 0),
	ROW("list_id", T_LISTID, L(list_id), 1, NULL, 0, 0),
	ROW("base_url", T_URL, L(base_url), 1, NULL, 0, 0),
	ROW("postal_address", T_STRING, L(postal_address), 1, NULL, 0, 0),
	ROW("template", T_STRING, L(template_set), 0, "default", 0, 0),
	ROW("unsubscribe_mailto", T_ADDRESS, L(unsubscribe_mailto), 0, NULL, 0,
	    0),
	ROW("why", T_STRING, L(why), 0, NULL, 0, 0),
	ROW("feedback_sender", T_STRING, L(feedback_sender), 0, NULL, 0, 0),
	{ "opt_in", T_ENUM, L(opt_in), 0, "double", 0, 0, opt_in_choices, NULL,
	    0, 0 },
	ROW("dkim_selector", T_DNSNAME, L(dkim_selector), 0, NULL, 0, 0),
	ROW("dkim_domain", T_DNSNAME, L(dkim_domain), 0, NULL, 0, 0),
	END
};
#undef L

const char *
config_default_path(const char *given)
{
	const char	*env;

	if (given)
		return given;
	if ((env = getenv("DISPATCHER_CONF")) != NULL && *env)
		return env;
	return "dispatcher.conf";
}

static char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static char *
resolve_path(const char *dir, const char *p)
{
	char	*out;

	if (p[0] == '/' || dir == NULL || strcmp(dir, ".") == 0)
		return xstrdup(p);
	if (asprintf(&out, "%s/%s", dir, p) == -1)
		abort();
	return out;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM", UTC. 0 / -1. */
static int
parse_date(const char *v, long *out)
{
	struct tm	tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(v, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*end == ' ' && (end = strptime(end + 1, "%H:%M", &tm)) == NULL)
		return -1;
	if (*end != '\0')
		return -1;
	*out = (long)timegm(&tm);
	return 0;
}

/* Labels of 1 to 63 letters, digits, '-' and '_', joined by single dots. */
static int
dns_name(const char *v)
{
	size_t	label = 0, total = 0;

	for (; *v; v++, total++) {
		if (*v == '.') {
			if (label == 0 || v[1] == '\0')
				return 0;
			label = 0;
		} else if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *v) == NULL ||
		    ++label > 63)
			return 0;
	}
	return total > 0 && total <= 253;
}

static const char *
check_value(enum conf_type type, const char *v)
{
	long	date;

	const char	*reason = NULL;

	if (has_control(v))
		return "control characters (such as a line break) are not allowed";
	switch (type) {
	case T_ADDRESS:
		if (address_check(v, &reason) == -1)
			return reason;
		break;
	case T_URL:
		if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
			return "must start with https:// or http://";
		if (strpbrk(v, " \"<>") != NULL)
			return "a URL cannot hold spaces, quotes or angle brackets";
		break;
	case T_SMTP_URL:
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
			return "must start with smtp:// (STARTTLS as `tls` says) "
			    "or smtps:// (TLS from the start)";
		if (strpbrk(v, " \"<>@") != NULL)
			return "no spaces, quotes, angle brackets or credentials "
			    "(use username and password_file)";
		break;
	case T_MAILBOX_URL:
		if (strncmp(v, "imaps://", 8) != 0 &&
		    strncmp(v, "imap://", 7) != 0 &&
		    strncmp(v, "pop3s://", 8) != 0 &&
		    strncmp(v, "pop3://", 7) != 0)
			return "must start with imaps:// or pop3s:// (TLS from "
			    "the start), or imap:// or pop3:// (STARTTLS)";
		if (strpbrk(v, " \"<>@") != NULL)
			return "no spaces, quotes, angle brackets or credentials "
			    "(use username and password_file)";
		break;
	case T_LISTID:
		/* RFC 2919: list-label "." list-id-namespace, a dot-atom */
		if (strchr(v, '.') == NULL || v[0] == '.' ||
		    v[strlen(v) - 1] == '.' || strstr(v, "..") != NULL ||
		    v[strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0')
			return "must be a dot-atom such as weekly.example.org";
		break;
	case T_DATE:
		if (parse_date(v, &date) == -1)
			return "must be a date, \"YYYY-MM-DD\" or "
			    "\"YYYY-MM-DD HH:MM\" (UTC)";
		break;
	case T_DNSNAME:
		if (!dns_name(v))
			return "must be a DNS name: labels of letters, digits "
			    "and '-', joined by dots";
		break;
	default:
		break;
	}
	return NULL;
}

static void *
field(void *base, const struct conf_key *k)
{
	return (char *)base + k->offset;
}

/* Stores the text form of a value (as defaults are written). */
static void
store_value(const struct conf_key *k, void *base, const char *dir,
    const char *v)
{
	char	**slot = field(base, k);
	int	  i;

	switch (k->type) {
	case T_INT:
		*(long *)field(base, k) = strtol(v, NULL, 10);
		return;
	case T_FLOAT:
		*(double *)field(base, k) = strtod(v, NULL);
		return;
	case T_BOOL:
		*(int *)field(base, k) = strcmp(v, "true") == 0;
		return;
	case T_ENUM:
		for (i = 0; k->choices[i]; i++)
			if (strcmp(k->choices[i], v) == 0)
				*(int *)field(base, k) = i;
		return;
	case T_DATE:
		parse_date(v, (long *)field(base, k));
		return;
	case T_STRLIST:
	case T_LIST:
		return;
	default:
		free(*slot);
		*slot = k->type == T_PATH ? resolve_path(dir, v) : xstrdup(v);
	}
}

static const struct conf_key *
find_key(const struct conf_key *keys, const char *name)
{
	for (; keys->key; keys++)
		if (strcmp(keys->key, name) == 0)
			return keys;
	return NULL;
}

struct walk {
	const struct conf_key	*keys;
	void			*base;
	const char		*dir;
	const char		*file;
	struct diag		*d;
	unsigned char		 seen[128];
};

static void	walk_group(struct walk *w, config_setting_t *g,
		    const char *prefix);

static void
apply_defaults(const struct conf_key *keys, void *base, const char *dir)
{
	const struct conf_key	*k;

	for (k = keys; k->key; k++)
		if (k->def)
			store_value(k, base, dir, k->def);
}

static int
leaf_number(struct walk *w, const struct conf_key *k, config_setting_t *s,
    const char *path, int line)
{
	int	type = config_setting_type(s);
	double	v;

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (type == CONFIG_TYPE_FLOAT && k->type == T_FLOAT)
		v = config_setting_get_float(s);
	else {
		diag_add(w->d, DIAG_ERROR, w->file, line, "'%s' must be %s", path,
		    k->type == T_INT ? "a whole number" : "a number");
		return -1;
	}
	if (v < k->min || v > k->max) {
		diag_add(w->d, DIAG_ERROR, w->file, line,
		    "'%s' must be between %g and %g", path, k->min, k->max);
		return -1;
	}
	if (k->type == T_INT)
		*(long *)field(w->base, k) = (long)v;
	else
		*(double *)field(w->base, k) = v;
	return 0;
}

static void
leaf_strlist(struct walk *w, const struct conf_key *k, config_setting_t *s,
    const char *path, int line)
{
	char	***slot = field(w->base, k), **list;
	int	  i, n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		diag_add(w->d, DIAG_ERROR, w->file, line,
		    "'%s' must be a list of strings: [ \"a\", \"b\" ]", path);
		return;
	}
	if ((list = calloc((size_t)n + 1, sizeof(*list))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, (unsigned)i);
		if (v == NULL || has_control(v)) {
			diag_add(w->d, DIAG_ERROR, w->file, line,
			    "'%s' must hold strings only", path);
			break;
		}
		list[i] = xstrdup(v);
	}
	*slot = list;
}

static void
leaf_list(struct walk *w, const struct conf_key *k, config_setting_t *s,
    const char *path, int line)
{
	void			**slot = field(w->base, k);
	size_t			 *count = (size_t *)(void *)((char *)w->base +
				    k->count_offset);
	struct walk		  sub;
	config_setting_t	 *e;
	const struct conf_key	 *sk;
	char			 *arr;
	int			  i, n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		diag_add(w->d, DIAG_ERROR, w->file, line,
		    "'%s' must be a list of groups: ( { ... }, { ... } )", path);
		return;
	}
	if ((arr = calloc((size_t)n + 1, k->elem_size)) == NULL)
		abort();
	*slot = arr;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		memset(&sub, 0, sizeof(sub));
		sub.keys = k->sub;
		sub.base = arr + (size_t)i * k->elem_size;
		sub.dir = w->dir;
		sub.file = w->file;
		sub.d = w->d;
		apply_defaults(k->sub, sub.base, w->dir);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			diag_add(w->d, DIAG_ERROR, w->file,
			    (int)config_setting_source_line(e),
			    "each element of '%s' is a group { ... }", path);
			continue;
		}
		walk_group(&sub, e, "");
		for (sk = k->sub; sk->key; sk++)
			if (sk->required && !sub.seen[sk - k->sub])
				diag_add(w->d, DIAG_ERROR, w->file,
				    (int)config_setting_source_line(e),
				    "'%s' element lacks '%s'", path, sk->key);
		(*count)++;
	}
}

static void
walk_leaf(struct walk *w, config_setting_t *s, const char *path)
{
	const struct conf_key	*k = find_key(w->keys, path);
	int			 line = (int)config_setting_source_line(s);
	const char		*v, *why;

	if (k == NULL) {
		diag_add(w->d, DIAG_ERROR, w->file, line, "unknown setting '%s'", path);
		return;
	}
	w->seen[k - w->keys] = 1;
	switch (k->type) {
	case T_INT:
	case T_FLOAT:
		leaf_number(w, k, s, path, line);
		return;
	case T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			diag_add(w->d, DIAG_ERROR, w->file, line,
			    "'%s' must be true or false", path);
		else
			*(int *)field(w->base, k) = config_setting_get_bool(s);
		return;
	case T_STRLIST:
		leaf_strlist(w, k, s, path, line);
		return;
	case T_LIST:
		leaf_list(w, k, s, path, line);
		return;
	default:
		break;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		diag_add(w->d, DIAG_ERROR, w->file, line,
		    "'%s' must be a string in double quotes", path);
		return;
	}
	v = config_setting_get_string(s);
	if (k->type == T_ENUM) {
		int i;
		for (i = 0; k->choices[i] && strcmp(k->choices[i], v) != 0; i++)
			;
		if (k->choices[i] == NULL)
			diag_add(w->d, DIAG_ERROR, w->file, line,
			    "'%s' must be one of: %s%s%s", path, k->choices[0],
			    k->choices[1] ? ", " : "", k->choices[1] ?
			    k->choices[1] : "");
		else
			*(int *)field(w->base, k) = i;
		return;
	}
	if (k->required && *v == '\0') {
		diag_add(w->d, DIAG_ERROR, w->file, line, "'%s' is empty", path);
		return;
	}
	if (*v && (why = check_value(k->type, v)) != NULL) {
		diag_add(w->d, DIAG_ERROR, w->file, line, "'%s': %s", path, why);
		return;
	}
	if (*v)
		store_value(k, w->base, w->dir, v);
}

static void
walk_group(struct walk *w, config_setting_t *g, const char *prefix)
{
	config_setting_t	*s;
	char			 path[256];
	int			 i;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL; i++) {
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
		    config_setting_name(s) ? config_setting_name(s) : "?");
		if (config_setting_type(s) == CONFIG_TYPE_GROUP)
			walk_group(w, s, path);
		else
			walk_leaf(w, s, path);
	}
}

/* Reads one file against keys into base. Returns the number of errors. */
static size_t
load_file(const char *file, const struct conf_key *keys, void *base,
    const char *dir, struct diag *d)
{
	config_t		 cf;
	struct walk		 w;
	const struct conf_key	*k;
	size_t			 before = d->errors;

	memset(&w, 0, sizeof(w));
	w.keys = keys;
	w.base = base;
	w.dir = dir;
	w.file = file;
	w.d = d;
	apply_defaults(keys, base, dir);
	config_init(&cf);
	if (config_read_file(&cf, file) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			diag_add(d, DIAG_ERROR, file, 0, "cannot read: %s",
			    strerror(errno));
		else
			diag_add(d, DIAG_ERROR, file, config_error_line(&cf), "%s",
			    config_error_text(&cf));
		config_destroy(&cf);
		return d->errors - before;
	}
	walk_group(&w, config_root_setting(&cf), "");
	for (k = keys; k->key; k++)
		if (k->required && !w.seen[k - keys])
			diag_add(d, DIAG_ERROR, file, 0,
			    "required setting '%s' is missing", k->key);
	config_destroy(&cf);
	return d->errors - before;
}

static int
valid_list_name(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    ((s[i] == '-' || s[i] == '_') && i > 0)))
			return 0;
	return 1;
}

static void
list_fill_defaults(struct list_conf *l)
{
	const char	*at;
	char		*p;

	if (l->from_name == NULL)
		l->from_name = xstrdup(l->display_name);
	if (l->unsubscribe_mailto == NULL) {
		at = strrchr(l->from_address, '@');
		if (asprintf(&p, "%.*s-unsubscribe%s", (int)(at - l->from_address),
		    l->from_address, at) == -1)
			abort();
		l->unsubscribe_mailto = p;
	}
	if (l->why == NULL) {
		if (asprintf(&p, "You are receiving this because you subscribed "
		    "to %s.", l->display_name) == -1)
			abort();
		l->why = p;
	}
	if (l->feedback_sender == NULL)
		l->feedback_sender = xstrdup(address_domain(l->from_address));
	while ((p = strrchr(l->base_url, '/')) != NULL && p[1] == '\0' &&
	    p > l->base_url + 8)
		*p = '\0';	/* no trailing slash: links append "/..." */
}

/* Frees every string, list and array the schema keys filled in base. */
static void
free_fields(const struct conf_key *keys, void *base)
{
	const struct conf_key	*k;
	char			**p;
	size_t			  i, n;

	for (k = keys; k->key; k++) {
		switch (k->type) {
		case T_INT:
		case T_FLOAT:
		case T_BOOL:
		case T_ENUM:
		case T_DATE:
			break;
		case T_STRLIST:
			for (p = *(char ***)field(base, k); p && *p; p++)
				free(*p);
			free(*(char ***)field(base, k));
			break;
		case T_LIST:
			n = *(size_t *)(void *)((char *)base + k->count_offset);
			for (i = 0; i < n; i++)
				free_fields(k->sub, *(char **)field(base, k) +
				    i * k->elem_size);
			free(*(void **)field(base, k));
			break;
		default:
			free(*(char **)field(base, k));
		}
	}
}

static void
list_conf_clear(struct list_conf *l)
{
	free(l->name);
	free(l->file);
	free_fields(list_keys, l);
}

static int
conf_suffix(const struct dirent *e)
{
	size_t	n = strlen(e->d_name);

	return n > 5 && strcmp(e->d_name + n - 5, ".conf") == 0 &&
	    e->d_name[0] != '.';
}

static void
load_lists(struct config *cfg, struct diag *d)
{
	struct dirent	**ents = NULL;
	struct list_conf *l;
	char		 *file, tdir[4096];
	struct stat	  st;
	int		  n, i;
	size_t		  namelen;

	if ((n = scandir(cfg->lists_dir, &ents, conf_suffix, alphasort)) == -1) {
		diag_add(d, DIAG_ERROR, cfg->file, 0, "lists directory %s: %s",
		    cfg->lists_dir, strerror(errno));
		return;
	}
	if ((cfg->lists = calloc((size_t)n + 1, sizeof(*cfg->lists))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (asprintf(&file, "%s/%s", cfg->lists_dir, ents[i]->d_name) == -1)
			abort();
		namelen = strlen(ents[i]->d_name) - 5;
		if (!valid_list_name(ents[i]->d_name, namelen)) {
			diag_add(d, DIAG_ERROR, file, 0, "a list name is 1 to 64 of "
			    "a-z, 0-9, '-' and '_', starting with a letter or digit");
			free(file);
			continue;
		}
		l = &cfg->lists[cfg->nlists++];
		l->file = file;
		l->name = strndup(ents[i]->d_name, namelen);
		if (load_file(file, list_keys, l, cfg->dir, d) == 0) {
			list_fill_defaults(l);
			snprintf(tdir, sizeof(tdir), "%s/%s", cfg->templates_dir,
			    l->template_set);
			if (stat(tdir, &st) == -1 || !S_ISDIR(st.st_mode))
				diag_add(d, DIAG_ERROR, file, 0,
				    "template set '%s': no directory %s",
				    l->template_set, tdir);
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* smtp.url and its neighbours make one relay, when smtp.relays is absent. */
static void
smtp_shorthand(struct config *cfg, struct diag *d)
{
	struct smtp_relay_conf	*r;

	if (cfg->smtp_url == NULL)
		return;
	if (cfg->nrelays > 0) {
		diag_add(d, DIAG_ERROR, cfg->file, 0, "set smtp.url or "
		    "smtp.relays, not both");
		return;
	}
	free(cfg->relays);
	if ((r = calloc(2, sizeof(*r))) == NULL)
		abort();
	r->url = xstrdup(cfg->smtp_url);
	r->weight = 1;
	r->max_connections = cfg->smtp_max_connections;
	r->messages_per_connection = cfg->smtp_messages_per_connection;
	r->tls = cfg->smtp_tls;
	r->verify = cfg->smtp_verify;
	r->ca_file = cfg->smtp_ca_file ? xstrdup(cfg->smtp_ca_file) : NULL;
	r->username = cfg->smtp_username ? xstrdup(cfg->smtp_username) : NULL;
	r->password_file = cfg->smtp_password_file ?
	    xstrdup(cfg->smtp_password_file) : NULL;
	r->password_env = cfg->smtp_password_env ?
	    xstrdup(cfg->smtp_password_env) : NULL;
	cfg->relays = r;
	cfg->nrelays = 1;
}

/* A previous secret key needs the date when it stops being accepted. */
static void
rotation_check(struct config *cfg, struct diag *d)
{
	if ((cfg->secret_previous_file == NULL) !=
	    (cfg->secret_previous_until == 0))
		diag_add(d, DIAG_ERROR, cfg->file, 0, "secret_previous_file and "
		    "secret_previous_until go together");
}

int
config_load(const char *path, struct config **out, struct diag *d)
{
	struct config	*cfg;
	char		*copy;
	size_t		 before = d->errors;

	*out = NULL;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		abort();
	cfg->file = xstrdup(path);
	copy = xstrdup(path);
	cfg->dir = xstrdup(dirname(copy));
	free(copy);
	if (load_file(path, main_keys, cfg, cfg->dir, d) == 0) {
		cfg->html_warn_bytes *= 1024;
		smtp_shorthand(cfg, d);
		rotation_check(cfg, d);
		load_lists(cfg, d);
	}
	if (d->errors > before) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nlists; i++)
		list_conf_clear(&cfg->lists[i]);
	free(cfg->lists);
	free(cfg->file);
	free(cfg->dir);
	free_fields(main_keys, cfg);
	free(cfg);
}

const struct list_conf *
config_list(const struct config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg->nlists; i++)
		if (strcmp(cfg->lists[i].name, name) == 0)
			return &cfg->lists[i];
	return NULL;
}
