/*
 * serve_pages.c — page templates filled with escaped values (see
 * serve_pages.h). Loaded once by cmd_serve.c for each template set the
 * lists use; rendered by serve.c for every answer that has a body.
 */
#include "serve_pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

struct pages {
	struct tpl	form;
	struct tpl	message;
};

static const char *const names[] = { "title", "list_name", "heading",
	"message", "detail", "action", "button", "field_name", "field_value",
	NULL };

static const char *
var_value(const struct page_vars *v, const char *name, size_t n)
{
	const char	*vals[] = { v->title, v->list_name, v->heading,
	    v->message, v->detail, v->action, v->button, v->field_name,
	    v->field_value };
	size_t		 i;

	for (i = 0; names[i]; i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return vals[i] ? vals[i] : "";
	return NULL;
}

/* Every placeholder of t names a field of struct page_vars. */
static int
check_names(const struct tpl *t, char *err, size_t errlen)
{
	static const struct page_vars none;
	size_t	i;

	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].is_var && var_value(&none, t->segs[i].text,
		    t->segs[i].len) == NULL) {
			snprintf(err, errlen, "%s:%d: unknown placeholder "
			    "{{%.*s}}", t->file, t->segs[i].line,
			    (int)t->segs[i].len, t->segs[i].text);
			return -1;
		}
	return 0;
}

static int
load_one(const char *dir, const char *set, const char *name, struct tpl *t,
    char *err, size_t errlen)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, set, name);
	if (tpl_load(path, TPL_HTML, t, err, errlen) == -1)
		return -1;
	return check_names(t, err, errlen);
}

int
pages_load(const char *templates_dir, const char *set, struct pages **out,
    char *err, size_t errlen)
{
	struct pages	*p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_one(templates_dir, set, "page-form.html", &p->form, err,
	    errlen) == -1 || load_one(templates_dir, set, "page-message.html",
	    &p->message, err, errlen) == -1) {
		pages_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
pages_free(struct pages *p)
{
	if (p == NULL)
		return;
	tpl_free(&p->form);
	tpl_free(&p->message);
	free(p);
}

/* "/path", not "//host/path" nor "scheme:". */
static int
local_path(const char *s)
{
	return s[0] == '/' && s[1] != '/' && s[1] != '\\';
}

int
pages_render(const struct pages *p, int form, const struct page_vars *v,
    struct buf *out)
{
	const struct tpl	*t = form ? &p->form : &p->message;
	const struct tpl_seg	*s;
	const char		*val;
	size_t			 i;

	if (v->action && !local_path(v->action))
		return -1;	/* a form posts to this server only */
	for (i = 0; i < t->nsegs; i++) {
		s = &t->segs[i];
		if (!s->is_var) {
			if (buf_add(out, s->text, s->len) == -1)
				return -1;
			continue;
		}
		val = var_value(v, s->text, s->len);
		if (s->ctx == TPL_CTX_URL && !local_path(val))
			return -1;	/* only paths on this server */
		if (tpl_escape_html(out, val, strlen(val)) == -1)
			return -1;
	}
	return 0;
}

void
pages_mask_address(const char *address, char *out, size_t outlen)
{
	const char	*at = strrchr(address, '@');
	size_t		 local = at ? (size_t)(at - address) : strlen(address);
	int		 keep = local > 4 ? 2 : 1;

	if (at == NULL || local == 0) {
		snprintf(out, outlen, "\u2022\u2022\u2022");
		return;
	}
	snprintf(out, outlen, "%.*s\u2022\u2022\u2022%s", keep, address, at);
}
