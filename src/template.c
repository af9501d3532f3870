/*
 * template.c — template parsing and HTML context checks (see template.h).
 *
 * The HTML scan is a small state machine over the template's bytes: enough
 * of HTML's tokenizer to know whether a placeholder stands in element text,
 * in a quoted attribute value (and which attribute), or somewhere unsafe.
 */
#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "utf8.h"

#define TPL_MAX_SIZE	(1 << 20)

enum html_state { H_DATA, H_TAG, H_ATTR_DQ, H_ATTR_SQ, H_UNQUOTED, H_COMMENT,
	H_RAWTEXT };

struct scan {
	enum html_state	 state;
	char		 tag[16];	/* current tag name, lower case */
	char		 attr[16];	/* current attribute name */
	char		 raw_end[24];	/* "</style" or "</script" */
};

static int
add_seg(struct tpl *t, int is_var, const char *text, size_t len,
    enum tpl_context ctx, int line, size_t column)
{
	struct tpl_seg	*s;

	if (!is_var && len == 0)
		return 0;
	if ((s = realloc(t->segs, (t->nsegs + 1) * sizeof(*s))) == NULL)
		return -1;
	t->segs = s;
	s = &t->segs[t->nsegs++];
	s->is_var = is_var;
	s->text = text;
	s->len = len;
	s->ctx = ctx;
	s->line = line;
	s->column = column;
	return 0;
}

static void
copy_name(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t	i;

	if (n >= dstlen)
		n = dstlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[n] = '\0';
}

/* Moves the HTML scanner over p[0..], returns how many bytes it consumed. */
static size_t
html_step(struct scan *sc, const char *p, const char *end)
{
	size_t	n;

	switch (sc->state) {
	case H_DATA:
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			sc->state = H_COMMENT;
			return 4;
		}
		if (p[0] == '<' && end - p > 1 && (isalpha((unsigned char)p[1]) ||
		    p[1] == '/' || p[1] == '!')) {
			n = 1 + (p[1] == '/' || p[1] == '!');
			sc->state = H_TAG;
			copy_name(sc->tag, sizeof(sc->tag), p + n,
			    strspn(p + n, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
			if (p[1] == '/' || p[1] == '!')
				sc->tag[0] = '\0';	/* no raw text after these */
			return n;
		}
		return 1;
	case H_TAG:
		if (p[0] == '>') {
			sc->state = H_DATA;
			if (strcmp(sc->tag, "style") == 0 ||
			    strcmp(sc->tag, "script") == 0) {
				snprintf(sc->raw_end, sizeof(sc->raw_end), "</%s",
				    sc->tag);
				sc->state = H_RAWTEXT;
			}
			return 1;
		}
		if (p[0] == '=') {
			n = 1;
			while (p + n < end && p[n] == ' ')
				n++;
			if (p + n < end && p[n] == '"')
				sc->state = H_ATTR_DQ, n++;
			else if (p + n < end && p[n] == '\'')
				sc->state = H_ATTR_SQ, n++;
			else
				sc->state = H_UNQUOTED;
			return n;
		}
		if (isalpha((unsigned char)p[0])) {
			n = strcspn(p, " \t\r\n=>/");
			if (p + n > end)
				n = (size_t)(end - p);
			copy_name(sc->attr, sizeof(sc->attr), p, n);
			return n ? n : 1;
		}
		return 1;
	case H_ATTR_DQ:
	case H_ATTR_SQ:
		if (p[0] == (sc->state == H_ATTR_DQ ? '"' : '\''))
			sc->state = H_TAG;
		return 1;
	case H_UNQUOTED:
		if (p[0] == ' ' || p[0] == '\t' || p[0] == '\n')
			sc->state = H_TAG;
		else if (p[0] == '>')
			return sc->state = H_TAG, 0;
		return 1;
	case H_COMMENT:
		if (end - p >= 3 && memcmp(p, "-->", 3) == 0) {
			sc->state = H_DATA;
			return 3;
		}
		return 1;
	case H_RAWTEXT:
		n = strlen(sc->raw_end);
		if ((size_t)(end - p) >= n && strncasecmp(p, sc->raw_end, n) == 0) {
			sc->state = H_TAG;
			sc->tag[0] = '\0';	/* a closing tag */
			return n;
		}
		return 1;
	}
	return 1;
}

static const char *
html_context(const struct scan *sc, enum tpl_context *ctx)
{
	switch (sc->state) {
	case H_DATA:
		*ctx = TPL_CTX_TEXT;
		return NULL;
	case H_ATTR_DQ:
	case H_ATTR_SQ:
		*ctx = strcmp(sc->attr, "href") == 0 || strcmp(sc->attr, "src") == 0 ?
		    TPL_CTX_URL : TPL_CTX_ATTR;
		if (strncmp(sc->attr, "on", 2) == 0 || strcmp(sc->attr, "style") == 0)
			return "a placeholder cannot stand in an event handler "
			    "or style attribute";
		return NULL;
	case H_UNQUOTED:
		return "a placeholder in an attribute value needs quotes around "
		    "the value";
	case H_TAG:
		return "a placeholder cannot stand inside a tag outside an "
		    "attribute value";
	case H_COMMENT:
		return "a placeholder cannot stand inside an HTML comment";
	case H_RAWTEXT:
		return "a placeholder cannot stand inside <style> or <script>";
	}
	return "bad state";
}

static int
valid_var_name(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return 0;
	return 1;
}

int
tpl_placeholder(const char *p, const char **name, size_t *namelen,
    const char **close)
{
	const char	*nl = strchr(p, '\n');

	*close = strstr(p + 2, "}}");
	if (*close == NULL || (nl && nl < *close)) {
		*close = NULL;
		return 0;
	}
	*name = p + 2;
	while (**name == ' ')
		(*name)++;
	*namelen = (size_t)(*close - *name);
	while (*namelen > 0 && (*name)[*namelen - 1] == ' ')
		(*namelen)--;
	return valid_var_name(*name, *namelen);
}

int
tpl_parse(const char *file, const char *src, size_t n, enum tpl_mode mode,
    int lenient, struct tpl *t, char *err, size_t errlen)
{
	struct scan		 sc;
	enum tpl_context	 ctx = TPL_CTX_TEXT;
	const char		*p, *end, *lit, *close, *name, *why;
	size_t			 column = 0, bad, namelen, step;
	int			 line = 1;

	memset(t, 0, sizeof(*t));
	memset(&sc, 0, sizeof(sc));
	if ((t->file = strdup(file)) == NULL || (t->src = malloc(n + 1)) == NULL)
		goto nomem;
	memcpy(t->src, src, n);
	t->src[n] = '\0';
	t->srclen = n;
	if (utf8_check(t->src, n, &bad) == -1) {
		errf(err, errlen, "%s: invalid UTF-8 at byte %zu", file, bad);
		goto fail;
	}
	p = lit = t->src;
	end = t->src + n;
	while (p < end) {
		if (end - p >= 2 && p[0] == '{' && p[1] == '{' &&
		    (!lenient || tpl_placeholder(p, &name, &namelen, &close))) {
			if (!tpl_placeholder(p, &name, &namelen, &close) &&
			    close == NULL) {
				errf(err, errlen, "%s:%d: '{{' without '}}' on the "
				    "same line", file, line);
				goto fail;
			}
			if (!valid_var_name(name, namelen)) {
				errf(err, errlen, "%s:%d: '%.*s' is not a placeholder "
				    "name (a-z, 0-9, '_')", file, line,
				    (int)(close + 2 - p), p);
				goto fail;
			}
			if (mode == TPL_HTML &&
			    (why = html_context(&sc, &ctx)) != NULL) {
				errf(err, errlen, "%s:%d: {{%.*s}}: %s", file, line,
				    (int)namelen, name, why);
				goto fail;
			}
			if (add_seg(t, 0, lit, (size_t)(p - lit), TPL_CTX_TEXT, 0, 0)
			    == -1 || add_seg(t, 1, name, namelen, ctx, line, column)
			    == -1)
				goto nomem;
			column += utf8_count(p, (size_t)(close + 2 - p));
			p = lit = close + 2;
			continue;
		}
		step = mode == TPL_HTML ? html_step(&sc, p, end) : 1;
		if (step == 0)
			continue;
		for (size_t i = 0; i < step; i++) {
			if (p[i] == '\n') {
				line++;
				column = 0;
			} else if (((unsigned char)p[i] & 0xc0) != 0x80)
				column++;
		}
		p += step;
	}
	if (add_seg(t, 0, lit, (size_t)(p - lit), TPL_CTX_TEXT, 0, 0) == -1)
		goto nomem;
	return 0;
nomem:
	errf(err, errlen, "%s: out of memory", file);
fail:
	tpl_free(t);
	return -1;
}

int
tpl_load(const char *file, enum tpl_mode mode, struct tpl *t, char *err,
    size_t errlen)
{
	FILE	*fp;
	char	*data = NULL;
	size_t	 n;
	int	 rc = -1;

	memset(t, 0, sizeof(*t));
	if ((fp = fopen(file, "rb")) == NULL) {
		errf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if ((data = malloc(TPL_MAX_SIZE + 1)) == NULL) {
		errf(err, errlen, "%s: out of memory", file);
		goto out;
	}
	n = fread(data, 1, TPL_MAX_SIZE + 1, fp);
	if (ferror(fp))
		errf(err, errlen, "%s: %s", file, strerror(errno));
	else if (n > TPL_MAX_SIZE)
		errf(err, errlen, "%s: larger than 1 MiB", file);
	else
		rc = tpl_parse(file, data, n, mode, 0, t, err, errlen);
out:
	free(data);
	fclose(fp);
	return rc;
}

void
tpl_free(struct tpl *t)
{
	free(t->file);
	free(t->src);
	free(t->segs);
	memset(t, 0, sizeof(*t));
}

int
tpl_escape_html(struct buf *out, const char *s, size_t n)
{
	const char	*end = s + n, *run = s;
	const char	*rep;

	for (; s < end; s++) {
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if (buf_add(out, run, (size_t)(s - run)) == -1 ||
		    buf_adds(out, rep) == -1)
			return -1;
		run = s + 1;
	}
	return buf_add(out, run, (size_t)(end - run));
}
