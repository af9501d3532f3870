/*
 * compose.c — renders an issue once per list and fills in each subscriber
 * (see compose.h).
 *
 * How it works. A "plan" is a run of segments: literal bytes, or a slot for
 * one per-subscriber value with the escaping it needs. compose_issue()
 * builds a plain plan for each part (UTF-8 text with '\n' line ends) by
 * filling the templates under templates/SET/ with the issue's values, then
 * encodes each literal run as quoted-printable into the wire plan. The
 * encoder's column restarts at 0 after a soft break on each side of a slot,
 * so literal runs are encoded once, whatever value later stands between.
 * compose_message() writes the per-subscriber headers, then walks the wire
 * plan: memcpy for literals, escape-and-encode for slots.
 */
#define _GNU_SOURCE
#include "compose.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "digest.h"
#include "header.h"
#include "log.h"
#include "markdown.h"
#include "qp.h"
#include "template.h"
#include "utf8.h"

enum slot { SLOT_NAME, SLOT_EMAIL, SLOT_UNSUBSCRIBE_URL, SLOT_COUNT };
static const char *slot_names[SLOT_COUNT] = { "name", "email",
	"unsubscribe_url" };

struct plan_seg {
	size_t	off, len;	/* literal: bytes[off..off+len) */
	int	slot;		/* -1 for a literal */
	int	html;		/* the slot's value is HTML-escaped */
};

struct plan {
	struct buf	 bytes;
	struct plan_seg	*segs;
	size_t		 nsegs;
};

struct composed_issue {
	const struct list_conf	*list;
	struct token_key	 key;
	char			 issue_id[17];
	char			*from_domain;
	struct buf		 head_from;	/* From, Reply-To */
	struct buf		 head_rest;	/* Subject ... Content-Type */
	struct plan		 html;		/* plain HTML part */
	struct plan		 wire;		/* encoded body, after headers */
	size_t			 html_size;
};

/* What one template placeholder stands for while binding. */
struct value {
	int		 slot;		/* >= 0: a per-subscriber slot */
	const char	*text;		/* else: the issue's value */
	int		 is_url;
	const struct plan *body;	/* {{content}}: the rendered body */
};

struct template_set {
	struct tpl		 html, text;
	struct markdown_style	*styles;
	size_t			 nstyles;
	char			*styles_src;
};

/* ---- plans ---------------------------------------------------------- */

static void
plan_free(struct plan *p)
{
	buf_free(&p->bytes);
	free(p->segs);
	p->segs = NULL;
	p->nsegs = 0;
}

static int
plan_push(struct plan *p, size_t off, size_t len, int slot, int html)
{
	struct plan_seg	*s;

	if (slot == -1 && p->nsegs > 0 && p->segs[p->nsegs - 1].slot == -1 &&
	    p->segs[p->nsegs - 1].off + p->segs[p->nsegs - 1].len == off) {
		p->segs[p->nsegs - 1].len += len;	/* extend the last run */
		return 0;
	}
	if ((s = realloc(p->segs, (p->nsegs + 1) * sizeof(*s))) == NULL)
		return -1;
	p->segs = s;
	s[p->nsegs].off = off;
	s[p->nsegs].len = len;
	s[p->nsegs].slot = slot;
	s[p->nsegs].html = html;
	p->nsegs++;
	return 0;
}

static int
plan_lit(struct plan *p, const char *s, size_t n)
{
	size_t	off = p->bytes.len;

	if (n == 0)
		return 0;
	if (buf_add(&p->bytes, s, n) == -1)
		return -1;
	return plan_push(p, off, n, -1, 0);
}

static int
plan_slot(struct plan *p, int slot, int html)
{
	return plan_push(p, 0, 0, slot, html);
}

/* ---- the template set ----------------------------------------------- */

static void
template_set_free(struct template_set *ts)
{
	tpl_free(&ts->html);
	tpl_free(&ts->text);
	free(ts->styles);
	free(ts->styles_src);
	memset(ts, 0, sizeof(*ts));
}

/* Reads SET/styles: "tag: inline css" a line, '#' comments. */
static int
load_styles(const char *file, struct template_set *ts, char *err,
    size_t errlen)
{
	struct markdown_style	*st;
	FILE			*fp;
	char			*line, *colon, *save = NULL, *p;
	size_t			 n = 0;
	int			 lineno = 0;

	if ((fp = fopen(file, "r")) == NULL)
		return 0;	/* no styles: plain tags */
	ts->styles_src = malloc(65536);
	if (ts->styles_src == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(ts->styles_src, 1, 65535, fp);
	ts->styles_src[n] = '\0';
	fclose(fp);
	for (line = strtok_r(ts->styles_src, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line += strspn(line, " \t");
		if (*line == '#' || *line == '\0')
			continue;
		if ((colon = strchr(line, ':')) == NULL || strchr(line, '"')) {
			errf(err, errlen, "%s: expected 'tag: css' without quotes "
			    "(entry %d)", file, lineno);
			return -1;
		}
		*colon = '\0';
		for (p = colon + 1; *p == ' '; p++)
			;
		st = realloc(ts->styles, (ts->nstyles + 1) * sizeof(*st));
		if (st == NULL)
			return -1;
		ts->styles = st;
		st[ts->nstyles].tag = line;
		st[ts->nstyles].style = p;
		ts->nstyles++;
	}
	return 0;
}

static int
template_set_load(const struct config *cfg, const struct list_conf *list,
    struct template_set *ts, char *err, size_t errlen)
{
	char	path[4096];

	memset(ts, 0, sizeof(*ts));
	snprintf(path, sizeof(path), "%s/%s/message.html", cfg->templates_dir,
	    list->template_set);
	if (tpl_load(path, TPL_HTML, &ts->html, err, errlen) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/message.txt", cfg->templates_dir,
	    list->template_set);
	if (tpl_load(path, TPL_TEXT, &ts->text, err, errlen) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/styles", cfg->templates_dir,
	    list->template_set);
	return load_styles(path, ts, err, errlen);
}

/* ---- values --------------------------------------------------------- */

struct bind_ctx {
	const struct list_conf	*list;
	const struct issue	*is;
	const struct plan	*body;	/* for {{content}} */
};

static int
slot_by_name(const char *name, size_t n)
{
	int	i;

	for (i = 0; i < SLOT_COUNT; i++)
		if (strlen(slot_names[i]) == n && memcmp(slot_names[i], name, n) == 0)
			return i;
	return -1;
}

/* Looks name up; 0 and *v set, or -1 when nothing has that name. */
static int
lookup(const struct bind_ctx *bc, const char *name, size_t n, struct value *v)
{
	const struct fm_field	*f;
	char			 key[FM_MAX_KEY + 1];

	memset(v, 0, sizeof(*v));
	if ((v->slot = slot_by_name(name, n)) >= 0) {
		v->is_url = v->slot == SLOT_UNSUBSCRIBE_URL;
		return 0;
	}
	v->slot = -1;
#define IS(s)	(n == strlen(s) && memcmp(name, s, n) == 0)
	if (IS("content"))
		v->body = bc->body;
	else if (IS("subject"))
		v->text = bc->is->subject;
	else if (IS("preheader"))
		v->text = bc->is->preheader;
	else if (IS("date"))
		v->text = bc->is->date_text;
	else if (IS("list_name"))
		v->text = bc->list->display_name;
	else if (IS("list_id"))
		v->text = bc->list->list_id;
	else if (IS("postal_address"))
		v->text = bc->list->postal_address;
	else if (IS("why"))
		v->text = bc->list->why;
	else if (IS("from"))
		v->text = bc->list->from_address;
	else if (IS("base_url")) {
		v->text = bc->list->base_url;
		v->is_url = 1;
	} else if (n <= FM_MAX_KEY) {
		memcpy(key, name, n);
		key[n] = '\0';
		if ((f = frontmatter_get(bc->is->fm, key)) == NULL)
			return -1;
		v->text = f->value;
	} else
		return -1;
#undef IS
	return 0;
}

/* Whether a template of the set uses {{key}}. */
static int
set_uses(const struct template_set *ts, const char *key)
{
	const struct tpl	*t[2] = { &ts->html, &ts->text };
	size_t			 i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < t[i]->nsegs; j++)
			if (t[i]->segs[j].is_var && t[i]->segs[j].len ==
			    strlen(key) && memcmp(t[i]->segs[j].text, key,
			    t[i]->segs[j].len) == 0)
				return 1;
	return 0;
}

/* A front matter key that no template uses is a mistake worth stopping for. */
static int
check_front_matter(const struct issue *is, const struct template_set *ts,
    char *err, size_t errlen)
{
	size_t	i;

	for (i = 0; i < is->fm->nfields; i++) {
		const struct fm_field *f = &is->fm->fields[i];
		if (issue_key_is_standard(f->key) || set_uses(ts, f->key))
			continue;
		errf(err, errlen, "%s:%d: unknown key '%s' (not subject, "
		    "preheader or date, and no template of set '%s' uses it)",
		    is->file, f->line, f->key, ts->html.file);
		return -1;
	}
	return 0;
}

/* Placeholders in the Markdown may only name per-subscriber values or the
 * issue's own; checked on the source, so the error has the source's line. */
static int
check_body_placeholders(const struct bind_ctx *bc, char *err, size_t errlen)
{
	const struct issue	*is = bc->is;
	const char		*p = is->body, *end = is->body + is->bodylen, *close;
	const char		*name;
	struct value		 v;
	size_t			 n;
	int			 line = is->body_line;

	for (; p < end; p++) {
		if (*p == '\n')
			line++;
		if (p[0] != '{' || p + 1 >= end || p[1] != '{' ||
		    !tpl_placeholder(p, &name, &n, &close))
			continue;
		if (lookup(bc, name, n, &v) == -1 || v.body != NULL) {
			errf(err, errlen, "%s:%d: unknown placeholder {{%.*s}}",
			    is->file, line, (int)n, name);
			return -1;
		}
	}
	return 0;
}

/* ---- binding templates into plain plans ----------------------------- */

/* A text-part value written at column col, wrapped to the text width. */
static int
text_value(struct plan *p, const char *s, size_t col)
{
	struct buf	w;
	char		indent[MARKDOWN_TEXT_WIDTH + 1];
	int		rc;

	if (col + utf8_width(s, strlen(s)) <= MARKDOWN_TEXT_WIDTH)
		return plan_lit(p, s, strlen(s));
	if (col >= MARKDOWN_TEXT_WIDTH / 2)
		col = 0;
	memset(indent, 'x', col);
	indent[col] = '\0';
	buf_init(&w, 0);
	rc = markdown_wrap(s, strlen(s), indent, "", MARKDOWN_TEXT_WIDTH, &w);
	if (rc == 0 && w.len > 0)	/* drop the stand-in indent and last LF */
		rc = plan_lit(p, w.data + col, w.len - col - 1);
	buf_free(&w);
	return rc;
}

static int
bind_value(struct plan *p, const struct tpl_seg *seg, const struct value *v,
    enum tpl_mode mode)
{
	size_t	i, off;
	int	rc = 0;

	if (v->body) {		/* splice the rendered body's plan */
		for (i = 0; i < v->body->nsegs && rc == 0; i++) {
			const struct plan_seg *s = &v->body->segs[i];
			if (s->slot >= 0)
				rc = plan_slot(p, s->slot, s->html);
			else
				rc = plan_lit(p, v->body->bytes.data + s->off, s->len);
		}
		return rc;
	}
	if (v->slot >= 0)
		return plan_slot(p, v->slot, mode == TPL_HTML);
	if (mode == TPL_TEXT)
		return text_value(p, v->text, seg->column);
	off = p->bytes.len;
	if (tpl_escape_html(&p->bytes, v->text, strlen(v->text)) == -1)
		return -1;
	return plan_push(p, off, p->bytes.len - off, -1, 0);
}

static int
bind(const struct bind_ctx *bc, const struct tpl *t, enum tpl_mode mode,
    struct plan *p, char *err, size_t errlen)
{
	struct value	v;
	size_t		i;

	for (i = 0; i < t->nsegs; i++) {
		const struct tpl_seg *seg = &t->segs[i];
		if (!seg->is_var) {
			if (plan_lit(p, seg->text, seg->len) == -1)
				goto full;
			continue;
		}
		if (lookup(bc, seg->text, seg->len, &v) == -1) {
			errf(err, errlen, "%s:%d: unknown placeholder {{%.*s}} "
			    "(not a list or subscriber value, and the issue's "
			    "front matter does not set it)", t->file, seg->line,
			    (int)seg->len, seg->text);
			return -1;
		}
		if (seg->ctx == TPL_CTX_URL && !v.is_url) {
			errf(err, errlen, "%s:%d: {{%.*s}} is not a URL and cannot "
			    "stand in href or src", t->file, seg->line,
			    (int)seg->len, seg->text);
			return -1;
		}
		if (v.body && seg->ctx != TPL_CTX_TEXT) {
			errf(err, errlen, "%s:%d: {{content}} can only stand in "
			    "element text", t->file, seg->line);
			return -1;
		}
		if (bind_value(p, seg, &v, mode) == -1)
			goto full;
	}
	return 0;
full:
	errf(err, errlen, "%s: the rendered part is too large", t->file);
	return -1;
}

/* Renders Markdown into a plan, splitting out per-subscriber slots. */
static int
body_plan(const struct bind_ctx *bc, const char *rendered, size_t n,
    enum tpl_mode mode, struct plan *out, char *err, size_t errlen)
{
	struct tpl	t;
	int		rc;

	if (tpl_parse(bc->is->file, rendered, n, mode, 1, &t, err, errlen) == -1)
		return -1;
	rc = bind(bc, &t, mode, out, err, errlen);
	tpl_free(&t);
	return rc;
}

static int
render_parts(const struct bind_ctx *bc0, const struct template_set *ts,
    struct plan *text, struct plan *html, char *err, size_t errlen)
{
	struct bind_ctx	bc = *bc0;
	struct plan	body;
	struct buf	r;
	int		rc = -1;

	memset(&body, 0, sizeof(body));
	buf_init(&r, 0);
	if (markdown_text(bc.is->body, bc.is->bodylen, MARKDOWN_TEXT_WIDTH,
	    &r) == -1)
		goto out;
	while (r.len > 0 && r.data[r.len - 1] == '\n')	/* the template */
		r.len--;				/* ends the line */
	if (body_plan(&bc, r.data ? r.data : "", r.len, TPL_TEXT,
	    &body, err, errlen) == -1)
		goto out;
	bc.body = &body;
	if (bind(&bc, &ts->text, TPL_TEXT, text, err, errlen) == -1)
		goto out;
	plan_free(&body);
	buf_reset(&r);
	if (markdown_html(bc.is->body, bc.is->bodylen, ts->styles, ts->nstyles,
	    &r) == -1 || body_plan(&bc, r.data ? r.data : "", r.len, TPL_HTML,
	    &body, err, errlen) == -1)
		goto out;
	bc.body = &body;
	if (bind(&bc, &ts->html, TPL_HTML, html, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && err[0] == '\0')
		errf(err, errlen, "%s: the issue is too large to render",
		    bc.is->file);
	plan_free(&body);
	buf_free(&r);
	return rc;
}

/* ---- headers and MIME ----------------------------------------------- */

static int
constant_headers(struct composed_issue *ci, const struct issue *is,
    char *err, size_t errlen)
{
	const struct list_conf	*l = ci->list;
	const char		*why = NULL;
	char			 date[64], fid[512], ctype[128];

	header_date(is->date, is->tz_minutes, date, sizeof(date));
	snprintf(fid, sizeof(fid), "%s:%s:dispatcher:%s", ci->issue_id, l->name,
	    l->feedback_sender);
	snprintf(ctype, sizeof(ctype), "multipart/alternative; "
	    "boundary=\"=_dispatcher_%s\"", ci->issue_id);
	if (header_add_mailbox(&ci->head_from, "From", l->from_name,
	    l->from_address, &why) == -1 ||
	    (l->reply_to && header_add_mailbox(&ci->head_from, "Reply-To", NULL,
	    l->reply_to, &why) == -1) ||
	    header_add_text(&ci->head_rest, "Subject", is->subject, &why) == -1 ||
	    header_add(&ci->head_rest, "Date", date, &why) == -1 ||
	    header_add(&ci->head_rest, "MIME-Version", "1.0", &why) == -1 ||
	    header_add_mailbox(&ci->head_rest, "List-Id", l->display_name,
	    l->list_id, &why) == -1 ||
	    header_add(&ci->head_rest, "List-Unsubscribe-Post",
	    "List-Unsubscribe=One-Click", &why) == -1 ||
	    header_add(&ci->head_rest, "Feedback-ID", fid, &why) == -1 ||
	    header_add(&ci->head_rest, "Content-Type", ctype, &why) == -1) {
		errf(err, errlen, "%s: headers: %s", is->file, why);
		return -1;
	}
	return 0;
}

/* Encodes a plain plan's literals as quoted-printable into wire. */
static int
encode_part(struct plan *wire, const struct plan *plain)
{
	struct qp	q;
	size_t		i, off;

	qp_init(&q);
	for (i = 0; i < plain->nsegs; i++) {
		const struct plan_seg *s = &plain->segs[i];
		off = wire->bytes.len;
		if (s->slot >= 0) {
			if (qp_break(&q, &wire->bytes) == -1 ||
			    plan_push(wire, off, wire->bytes.len - off, -1, 0) == -1 ||
			    plan_slot(wire, s->slot, s->html) == -1)
				return -1;
			continue;
		}
		if (qp_encode(&q, plain->bytes.data + s->off, s->len,
		    &wire->bytes) == -1 ||
		    plan_push(wire, off, wire->bytes.len - off, -1, 0) == -1)
			return -1;
	}
	/* the part ends with a line break before the boundary */
	off = wire->bytes.len;
	if (q.col > 0 && buf_add(&wire->bytes, "\r\n", 2) == -1)
		return -1;
	return plan_push(wire, off, wire->bytes.len - off, -1, 0);
}

static int
mime_body(struct composed_issue *ci, const struct plan *text)
{
	char	head[512];
	size_t	before;

	snprintf(head, sizeof(head), "\r\n--=_dispatcher_%s\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", ci->issue_id);
	if (plan_lit(&ci->wire, head, strlen(head)) == -1 ||
	    encode_part(&ci->wire, text) == -1)
		return -1;
	snprintf(head, sizeof(head), "\r\n--=_dispatcher_%s\r\n"
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", ci->issue_id);
	if (plan_lit(&ci->wire, head, strlen(head)) == -1)
		return -1;
	before = ci->wire.bytes.len;
	if (encode_part(&ci->wire, &ci->html) == -1)
		return -1;
	ci->html_size = ci->wire.bytes.len - before;
	snprintf(head, sizeof(head), "\r\n--=_dispatcher_%s--\r\n", ci->issue_id);
	return plan_lit(&ci->wire, head, strlen(head));
}

static void
issue_identity(struct composed_issue *ci, const struct issue *is)
{
	struct digest_sha256	d;
	unsigned char		h[DIGEST_LEN];

	digest_sha256_init(&d);
	digest_sha256_add(&d, ci->list->name, strlen(ci->list->name) + 1);
	digest_sha256_add(&d, is->hash, sizeof(is->hash));
	digest_sha256_end(&d, h);
	digest_hex(h, 8, ci->issue_id);
}

static void
warn_sizes(const struct composed_issue *ci, const struct config *cfg,
    const struct issue *is, struct diag *w)
{
	const struct fm_field	*f = frontmatter_get(is->fm, "subject");
	size_t			 chars = utf8_count(is->subject,
				    strlen(is->subject));

	if (ci->html_size > (size_t)cfg->html_warn_bytes)
		diag_add(w, DIAG_WARNING, is->file, 0, "the HTML part is %zu KB; "
		    "Gmail clips messages past %ld KB", ci->html_size / 1024,
		    cfg->html_warn_bytes / 1024);
	if (chars > COMPOSE_SUBJECT_WARN)
		diag_add(w, DIAG_WARNING, is->file, f ? f->line : 0,
		    "the subject is %zu characters; inboxes show about %d",
		    chars, COMPOSE_SUBJECT_WARN);
}

struct composed_issue *
compose_issue(const struct config *cfg, const struct list_conf *list,
    const struct issue *is, const struct token_key *key,
    struct diag *warnings, char *err, size_t errlen)
{
	struct composed_issue	*ci;
	struct template_set	 ts;
	struct bind_ctx		 bc;
	struct plan		 text;

	err[0] = '\0';
	memset(&text, 0, sizeof(text));
	if ((ci = calloc(1, sizeof(*ci))) == NULL)
		return NULL;
	ci->list = list;
	ci->key = *key;
	buf_init(&ci->head_from, 0);
	buf_init(&ci->head_rest, 0);
	buf_init(&ci->html.bytes, 0);
	buf_init(&ci->wire.bytes, 0);
	buf_init(&text.bytes, 0);
	ci->from_domain = strdup(address_domain(list->from_address));
	issue_identity(ci, is);
	bc.list = list;
	bc.is = is;
	bc.body = NULL;
	if (template_set_load(cfg, list, &ts, err, errlen) == -1 ||
	    check_front_matter(is, &ts, err, errlen) == -1 ||
	    check_body_placeholders(&bc, err, errlen) == -1 ||
	    render_parts(&bc, &ts, &text, &ci->html, err, errlen) == -1 ||
	    constant_headers(ci, is, err, errlen) == -1)
		goto fail;
	if (mime_body(ci, &text) == -1) {
		errf(err, errlen, "%s: the message is too large", is->file);
		goto fail;
	}
	warn_sizes(ci, cfg, is, warnings);
	template_set_free(&ts);
	plan_free(&text);
	return ci;
fail:
	if (err[0] == '\0')
		errf(err, errlen, "%s: out of memory", is->file);
	template_set_free(&ts);
	plan_free(&text);
	compose_free(ci);
	return NULL;
}

void
compose_free(struct composed_issue *ci)
{
	if (ci == NULL)
		return;
	free(ci->from_domain);
	buf_free(&ci->head_from);
	buf_free(&ci->head_rest);
	plan_free(&ci->html);
	plan_free(&ci->wire);
	explicit_bzero(&ci->key, sizeof(ci->key));
	free(ci);
}

const char *
compose_issue_id(const struct composed_issue *ci)
{
	return ci->issue_id;
}

size_t
compose_html_size(const struct composed_issue *ci)
{
	return ci->html_size;
}

/* ---- per subscriber ------------------------------------------------- */

struct slot_values {
	const char	*v[SLOT_COUNT];
	char		 url[2048];
	char		 token[TOKEN_MAX];
};

/* s as an error may show it: control characters written as \r, \xNN. */
static const char *
shown(const char *s, char *out, size_t n)
{
	size_t	o = 0;

	for (; *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != 0x7f)
			out[o++] = (char)c;
		else if (c == '\r' || c == '\n') {
			out[o++] = '\\';
			out[o++] = c == '\r' ? 'r' : 'n';
		} else
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

static int
slot_values(const struct composed_issue *ci, const struct recipient *r,
    struct slot_values *sv, char *err, size_t errlen)
{
	char		 shown_buf[256];
	const char	*why;
	const char	*p;

	if (address_check(r->address, &why) == -1) {
		errf(err, errlen, "%s: %s", shown(r->address, shown_buf,
		    sizeof(shown_buf)), why);
		return -1;
	}
	for (p = r->name ? r->name : ""; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			errf(err, errlen, "%s: the name holds a control character",
			    r->address);
			return -1;
		}
	if (token_make(&ci->key, TOKEN_UNSUBSCRIBE, ci->list->name, r->address,
	    sv->token) == 0) {
		errf(err, errlen, "%s: address too long", r->address);
		return -1;
	}
	snprintf(sv->url, sizeof(sv->url), "%s/unsubscribe/%s/%s",
	    ci->list->base_url, ci->list->name, sv->token);
	sv->v[SLOT_NAME] = r->name ? r->name : "";
	sv->v[SLOT_EMAIL] = r->address;
	sv->v[SLOT_UNSUBSCRIBE_URL] = sv->url;
	return 0;
}

static int
recipient_headers(const struct composed_issue *ci, const struct recipient *r,
    const struct slot_values *sv, struct buf *out, char *err, size_t errlen)
{
	const char	*why = NULL;
	char		 mid[512], lu[2600], id[32];

	token_short(&ci->key, ci->issue_id, r->address, id);
	snprintf(mid, sizeof(mid), "<%s.%s@%s>", ci->issue_id, id,
	    ci->from_domain);
	snprintf(lu, sizeof(lu), "<%s>, <mailto:%s?subject=unsubscribe%%20%s>",
	    sv->url, ci->list->unsubscribe_mailto, sv->token);
	if (buf_add(out, ci->head_from.data, ci->head_from.len) == -1 ||
	    header_add_mailbox(out, "To", r->name, r->address, &why) == -1 ||
	    buf_add(out, ci->head_rest.data, ci->head_rest.len) == -1 ||
	    header_add(out, "Message-ID", mid, &why) == -1 ||
	    header_add(out, "List-Unsubscribe", lu, &why) == -1) {
		errf(err, errlen, "%s: %s", r->address, why ? why :
		    "message too large");
		return -1;
	}
	return 0;
}

/* Appends one slot's value, escaped as the plan says, QP-encoded if asked. */
static int
put_slot(const struct plan_seg *s, const struct slot_values *sv, int encode,
    struct buf *out, struct buf *tmp)
{
	const char	*v = sv->v[s->slot];
	struct qp	 q;

	buf_reset(tmp);
	if (s->html ? tpl_escape_html(tmp, v, strlen(v)) : buf_adds(tmp, v))
		return -1;
	if (!encode)
		return buf_add(out, tmp->data, tmp->len);
	qp_init(&q);
	if (qp_encode(&q, tmp->data, tmp->len, out) == -1)
		return -1;
	return qp_break(&q, out);
}

static int
fill_plan(const struct plan *p, const struct slot_values *sv, int encode,
    struct buf *out)
{
	struct buf	tmp;
	size_t		i;
	int		rc = 0;

	buf_init(&tmp, 0);
	for (i = 0; i < p->nsegs && rc == 0; i++) {
		const struct plan_seg *s = &p->segs[i];
		if (s->slot >= 0)
			rc = put_slot(s, sv, encode, out, &tmp);
		else
			rc = buf_add(out, p->bytes.data + s->off, s->len);
	}
	buf_free(&tmp);
	return rc;
}

int
compose_message(const struct composed_issue *ci, const struct recipient *r,
    struct buf *out, char *err, size_t errlen)
{
	struct slot_values	sv;
	size_t			mark = out->len;

	if (slot_values(ci, r, &sv, err, errlen) == -1 ||
	    recipient_headers(ci, r, &sv, out, err, errlen) == -1)
		goto fail;
	if (buf_reserve(out, ci->wire.bytes.len + 4096) == -1 ||
	    fill_plan(&ci->wire, &sv, 1, out) == -1) {
		errf(err, errlen, "%s: message too large", r->address);
		goto fail;
	}
	return 0;
fail:
	out->len = mark;
	return -1;
}

int
compose_html(const struct composed_issue *ci, const struct recipient *r,
    struct buf *out, char *err, size_t errlen)
{
	struct slot_values	sv;

	if (slot_values(ci, r, &sv, err, errlen) == -1)
		return -1;
	if (fill_plan(&ci->html, &sv, 0, out) == -1) {
		errf(err, errlen, "%s: page too large", r->address);
		return -1;
	}
	return 0;
}

/* ---- storing a rendered issue ---------------------------------------- */

/*
 * The stored form, version 1, all integers little-endian u32 unless said:
 * version, then the strings (length + bytes) issue_id, list name,
 * from_domain, head_from, head_rest, wire bytes; then nsegs and per segment
 * off, len, slot (i32), html; then html_size (u32).
 */
#define COMPOSE_STORED_VERSION	1

static int
put_u32(struct buf *b, uint32_t v)
{
	unsigned char	p[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
	    (v >> 24) & 0xff };

	return buf_add(b, p, 4);
}

static int
put_bytes(struct buf *b, const char *p, size_t n)
{
	if (n > UINT32_MAX || put_u32(b, (uint32_t)n) == -1)
		return -1;
	return buf_add(b, p ? p : "", n);
}

int
compose_save(const struct composed_issue *ci, struct buf *out)
{
	size_t	i;
	int	rc = 0;

	rc |= put_u32(out, COMPOSE_STORED_VERSION);
	rc |= put_bytes(out, ci->issue_id, strlen(ci->issue_id));
	rc |= put_bytes(out, ci->list->name, strlen(ci->list->name));
	rc |= put_bytes(out, ci->from_domain, strlen(ci->from_domain));
	rc |= put_bytes(out, ci->head_from.data, ci->head_from.len);
	rc |= put_bytes(out, ci->head_rest.data, ci->head_rest.len);
	rc |= put_bytes(out, ci->wire.bytes.data, ci->wire.bytes.len);
	rc |= put_u32(out, (uint32_t)ci->wire.nsegs);
	for (i = 0; i < ci->wire.nsegs && rc == 0; i++) {
		rc |= put_u32(out, (uint32_t)ci->wire.segs[i].off);
		rc |= put_u32(out, (uint32_t)ci->wire.segs[i].len);
		rc |= put_u32(out, (uint32_t)ci->wire.segs[i].slot);
		rc |= put_u32(out, (uint32_t)ci->wire.segs[i].html);
	}
	rc |= put_u32(out, (uint32_t)ci->html_size);
	return rc ? -1 : 0;
}

struct reader {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static uint32_t
get_u32(struct reader *r)
{
	uint32_t	v;

	if (r->left < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

static const char *
get_bytes(struct reader *r, size_t *n)
{
	const char	*p;

	*n = get_u32(r);
	if (r->bad || *n > r->left) {
		r->bad = 1;
		*n = 0;
		return "";
	}
	p = (const char *)r->p;
	r->p += *n;
	r->left -= *n;
	return p;
}

struct composed_issue *
compose_load(const struct config *cfg, const struct token_key *key,
    const void *data, size_t len, char *err, size_t errlen)
{
	struct composed_issue	*ci;
	struct reader		 r = { data, len, 0 };
	const char		*p;
	char			 name[128];
	size_t			 n, i, nsegs;

	if (get_u32(&r) != COMPOSE_STORED_VERSION) {
		errf(err, errlen, "stored issue: unknown version");
		return NULL;
	}
	if ((ci = calloc(1, sizeof(*ci))) == NULL)
		return NULL;
	ci->key = *key;
	p = get_bytes(&r, &n);
	snprintf(ci->issue_id, sizeof(ci->issue_id), "%.*s", (int)n, p);
	p = get_bytes(&r, &n);
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	p = get_bytes(&r, &n);
	ci->from_domain = strndup(p, n);
	p = get_bytes(&r, &n);
	buf_add(&ci->head_from, p, n);
	p = get_bytes(&r, &n);
	buf_add(&ci->head_rest, p, n);
	p = get_bytes(&r, &n);
	buf_add(&ci->wire.bytes, p, n);
	nsegs = get_u32(&r);
	for (i = 0; i < nsegs && !r.bad; i++) {
		size_t off = get_u32(&r), sl = get_u32(&r);
		int slot = (int)get_u32(&r), html = (int)get_u32(&r);
		if (slot >= SLOT_COUNT || slot < -1 || (slot == -1 &&
		    (off > ci->wire.bytes.len || sl > ci->wire.bytes.len - off)) ||
		    plan_push(&ci->wire, off, sl, slot, html) == -1)
			r.bad = 1;
	}
	ci->html_size = get_u32(&r);
	if (r.bad || ci->from_domain == NULL) {
		errf(err, errlen, "stored issue %s: damaged record", ci->issue_id);
		goto fail;
	}
	if ((ci->list = config_list(cfg, name)) == NULL) {
		errf(err, errlen, "stored issue %s: list '%s' is no longer "
		    "configured", ci->issue_id, name);
		goto fail;
	}
	return ci;
fail:
	compose_free(ci);
	return NULL;
}

const struct list_conf *
compose_list(const struct composed_issue *ci)
{
	return ci->list;
}
