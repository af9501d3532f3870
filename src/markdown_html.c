/*
 * markdown_html.c — Markdown to styled HTML with md4c-html (see markdown.h).
 *
 * md4c-html writes plain tags (<p>, <h2>, <a href="...">); mail clients
 * ignore most stylesheets, so a second pass gives each tag the inline style
 * the template set asks for. With raw HTML disabled in the dialect every '<'
 * in md4c's output starts a tag it wrote, which makes that pass a plain scan.
 */
#define _GNU_SOURCE		/* memmem */
#include "markdown.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <md4c-html.h>
#include "markdown_int.h"
#include "utf8.h"

#define GLUE_MAX	30	/* characters without a place to break */


struct html_out {
	struct buf	*b;
	int		 failed;
};

static void
html_chunk(const MD_CHAR *text, MD_SIZE size, void *userdata)
{
	struct html_out	*o = userdata;

	if (!o->failed && buf_add(o->b, text, size) == -1)
		o->failed = 1;
}

static const struct markdown_style *
style_for(const char *tag, size_t n, const struct markdown_style *styles,
    size_t nstyles)
{
	size_t	i;

	for (i = 0; i < nstyles; i++)
		if (strlen(styles[i].tag) == n && memcmp(styles[i].tag, tag, n) == 0)
			return &styles[i];
	return NULL;
}

/*
 * The text-align a table cell's align="..." asks for (md4c writes it for
 * ":--", ":-:" and "--:" columns), so that a style's own text-align does
 * not override it; "" when the tag at p has none.
 */
static const char *
align_of(const char *p, const char *end)
{
	const char	*gt = memchr(p, '>', (size_t)(end - p));
	size_t		 n = gt ? (size_t)(gt - p) : 0;

	if (memmem(p, n, " align=\"left\"", 13) != NULL)
		return "text-align:left;";
	if (memmem(p, n, " align=\"center\"", 15) != NULL)
		return "text-align:center;";
	if (memmem(p, n, " align=\"right\"", 14) != NULL)
		return "text-align:right;";
	return "";
}

/* Length of a no-break space (U+00A0, U+2007, U+202F) at s, or 0. */
static size_t
nbsp_at(const char *s, const char *end)
{
	if (end - s >= 2 && memcmp(s, "\xc2\xa0", 2) == 0)
		return 2;
	if (end - s >= 3 && (memcmp(s, "\xe2\x80\x87", 3) == 0 ||
	    memcmp(s, "\xe2\x80\xaf", 3) == 0))
		return 3;
	return 0;
}

/*
 * Copies the text s[0..end). A run of words glued by no-break spaces for
 * more than GLUE_MAX characters (some editors put U+202F between every
 * word of a paragraph) would leave the browser nowhere to break but inside
 * its words: there the no-break spaces go out as plain spaces.
 */
static int
put_text(struct buf *out, const char *s, const char *end)
{
	const char	*q, *w;
	size_t		 k;
	int		 glued;

	while (s < end) {
		for (q = s, glued = 0; q < end && *q != ' ' && *q != '\n'; q++)
			glued |= nbsp_at(q, end) != 0;
		if (glued && utf8_count(s, (size_t)(q - s)) > GLUE_MAX) {
			for (w = s; w < q; )
				if ((k = nbsp_at(w, q)) > 0) {
					if (buf_addc(out, ' ') == -1)
						return -1;
					w += k;
				} else if (buf_addc(out, *w++) == -1)
					return -1;
		} else if (buf_add(out, s, (size_t)(q - s)) == -1)
			return -1;
		if (q < end && buf_addc(out, *q++) == -1)
			return -1;
		s = q;
	}
	return 0;
}

/* Whether the paragraph whose tag name ends at p is the last thing in its
 * parent: its </p> is followed by the parent's closing tag. */
static int
ends_its_parent(const char *p, const char *end)
{
	const char	*close = memmem(p, (size_t)(end - p), "</p>", 4);

	if (close == NULL)
		return 0;
	for (close += 4; close < end && (*close == '\n' || *close == ' ');
	    close++)
		;
	return end - close >= 2 && close[0] == '<' && close[1] == '/';
}

/* Copies html to out, adding style="..." after each styled tag's name. */
static int
add_styles(const char *html, size_t n, const struct markdown_style *styles,
    size_t nstyles, struct buf *out)
{
	const struct markdown_style	*st;
	const char			*p = html, *end = html + n, *lt, *name;
	size_t				 namelen;

	while (p < end) {
		if ((lt = memchr(p, '<', (size_t)(end - p))) == NULL)
			return put_text(out, p, end);
		name = lt + 1;
		namelen = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (put_text(out, p, lt) == -1 ||
		    buf_add(out, lt, (size_t)(name + namelen - lt)) == -1)
			return -1;
		p = name + namelen;
		if (namelen == 0)	/* a closing tag */
			continue;
		/* a code block's <code> is styled apart from inline code, and
		 * the last paragraph of a quote or list item apart from others */
		st = NULL;
		if (namelen == 4 && memcmp(name, "code", 4) == 0 &&
		    lt - html >= 5 && memcmp(lt - 5, "<pre>", 5) == 0)
			st = style_for("pre code", 8, styles, nstyles);
		if (namelen == 1 && name[0] == 'p' && ends_its_parent(p, end))
			st = style_for("last p", 6, styles, nstyles);
		if (st == NULL)
			st = style_for(name, namelen, styles, nstyles);
		if (st != NULL && buf_printf(out, " style=\"%s%s\"", st->style,
		    align_of(p, end)) == -1)
			return -1;
	}
	return 0;
}

char *
markdown_source(const char *src, size_t n, size_t *len)
{
	char	*s;

	if (n > (size_t)UINT_MAX - 2 || (s = malloc(n + 2)) == NULL)
		return NULL;
	memcpy(s, src, n);
	if (n == 0 || src[n - 1] != '\n')
		s[n++] = '\n';
	s[n] = '\0';
	*len = n;
	return s;
}

int
markdown_html(const char *src, size_t n, const struct markdown_style *styles,
    size_t nstyles, struct buf *out)
{
	struct buf	raw;
	struct html_out	o;
	char		*doc;
	size_t		 len;
	int		 rc;

	if ((doc = markdown_source(src, n, &len)) == NULL)
		return -1;
	buf_init(&raw, out->max);
	o.b = &raw;
	o.failed = 0;
	rc = md_html(doc, (MD_SIZE)len, html_chunk, &o, MARKDOWN_FLAGS,
	    MD_HTML_FLAG_SKIP_UTF8_BOM);
	free(doc);
	if (rc == 0 && !o.failed)
		rc = add_styles(raw.data ? raw.data : "", raw.len, styles, nstyles,
		    out);
	else
		rc = -1;
	buf_free(&raw);
	return rc;
}
