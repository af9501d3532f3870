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

#include <libconfig.h>

#include "address.h"

enum conf_type { T_STRING, T_PATH, T_ADDRESS, T_URL, T_LISTID, T_INT };

struct conf_key {
	const char	*key;		/* dotted path, e.g. "compose.html_warn_kb" */
	enum conf_type	 type;
	size_t		 offset;	/* into the struct being filled */
	int		 required;
	const char	*def;		/* default as text, or NULL */
	long		 min, max;	/* for T_INT */
};

#define C(f)	offsetof(struct config, f)
static const struct conf_key main_keys[] = {
	{ "spool",		T_PATH,	C(spool_dir),	0, "spool", 0, 0 },
	{ "lists",		T_PATH,	C(lists_dir),	0, "lists", 0, 0 },
	{ "templates",		T_PATH,	C(templates_dir), 0, "templates", 0, 0 },
	{ "secret_file",	T_PATH,	C(secret_file),	0, "spool/secret.key", 0, 0 },
	{ "outbox",		T_PATH,	C(outbox_dir),	0, "outbox", 0, 0 },
	{ "compose.html_warn_kb", T_INT, C(html_warn_bytes), 0, "102", 1, 1 << 20 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef C

#define L(f)	offsetof(struct list_conf, f)
static const struct conf_key list_keys[] = {
	{ "display_name",	T_STRING,  L(display_name),	1, NULL, 0, 0 },
	{ "from",		T_ADDRESS, L(from_address),	1, NULL, 0, 0 },
	{ "from_name",		T_STRING,  L(from_name),	0, NULL, 0, 0 },
	{ "reply_to",		T_ADDRESS, L(reply_to),		0, NULL, 0, 0 },
	{ "list_id",		T_LISTID,  L(list_id),		1, NULL, 0, 0 },
	{ "base_url",		T_URL,	   L(base_url),		1, NULL, 0, 0 },
	{ "postal_address",	T_STRING,  L(postal_address),	1, NULL, 0, 0 },
	{ "template",		T_STRING,  L(template_set),	0, "default", 0, 0 },
	{ "unsubscribe_mailto",	T_ADDRESS, L(unsubscribe_mailto), 0, NULL, 0, 0 },
	{ "why",		T_STRING,  L(why),		0, NULL, 0, 0 },
	{ "feedback_sender",	T_STRING,  L(feedback_sender),	0, NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
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

static const char *
check_value(enum conf_type type, const char *v)
{
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
	case T_LISTID:
		/* RFC 2919: list-label "." list-id-namespace, a dot-atom */
		if (strchr(v, '.') == NULL || v[0] == '.' ||
		    v[strlen(v) - 1] == '.' || strstr(v, "..") != NULL ||
		    v[strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0')
			return "must be a dot-atom such as weekly.example.org";
		break;
	default:
		break;
	}
	return NULL;
}

static void
store_value(const struct conf_key *k, void *base, const char *dir,
    const char *v)
{
	char	**slot = (char **)(void *)((char *)base + k->offset);

	if (k->type == T_INT) {
		*(long *)(void *)((char *)base + k->offset) = strtol(v, NULL, 10);
		return;
	}
	free(*slot);
	*slot = k->type == T_PATH ? resolve_path(dir, v) : xstrdup(v);
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
	unsigned char		 seen[64];
};

static void
walk_leaf(struct walk *w, config_setting_t *s, const char *path)
{
	const struct conf_key	*k = find_key(w->keys, path);
	int			 line = (int)config_setting_source_line(s);
	const char		*v, *why;
	char			 num[32];
	long long		 n;

	if (k == NULL) {
		diag_add(w->d, DIAG_ERROR, w->file, line, "unknown setting '%s'", path);
		return;
	}
	w->seen[k - w->keys] = 1;
	if (k->type == T_INT) {
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64) {
			diag_add(w->d, DIAG_ERROR, w->file, line,
			    "'%s' must be a whole number", path);
			return;
		}
		n = config_setting_get_int64(s);
		if (n < k->min || n > k->max) {
			diag_add(w->d, DIAG_ERROR, w->file, line,
			    "'%s' must be between %ld and %ld", path, k->min, k->max);
			return;
		}
		snprintf(num, sizeof(num), "%lld", n);
		store_value(k, w->base, w->dir, num);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		diag_add(w->d, DIAG_ERROR, w->file, line,
		    "'%s' must be a string in double quotes", path);
		return;
	}
	v = config_setting_get_string(s);
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
	for (k = keys; k->key; k++)
		if (k->def)
			store_value(k, base, dir, k->def);
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

static void
list_conf_clear(struct list_conf *l)
{
	free(l->name);
	free(l->file);
	free(l->display_name);
	free(l->from_address);
	free(l->from_name);
	free(l->reply_to);
	free(l->list_id);
	free(l->base_url);
	free(l->postal_address);
	free(l->template_set);
	free(l->unsubscribe_mailto);
	free(l->why);
	free(l->feedback_sender);
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
	free(cfg->spool_dir);
	free(cfg->lists_dir);
	free(cfg->templates_dir);
	free(cfg->secret_file);
	free(cfg->outbox_dir);
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
