/*
 * markdown.h — an issue's Markdown body rendered as HTML and as plain text.
 *
 * Both renderers use md4c with the same dialect: CommonMark, tables,
 * strikethrough and autolinks (URLs, www. and e-mail addresses). Raw HTML in
 * the source is not passed through: it shows as text, so every tag in the
 * output is one the renderer wrote.
 *
 * markdown_html() uses md4c-html and then gives each tag the inline style
 * that the template set's style table names for it (mail clients drop
 * <style> blocks, inline styles survive). markdown_text() is our own
 * renderer on md4c's callbacks: wrapped at a width counted in terminal
 * columns, headings underlined, lists indented, links turned into
 * numbered references listed at the end.
 */
#ifndef DISPATCHER_MARKDOWN_H
#define DISPATCHER_MARKDOWN_H

#include <stddef.h>

#include "buf.h"

#define MARKDOWN_TEXT_WIDTH	72

/* In text given to markdown_wrap(): a space where no line may break. It is
 * written out as a plain space. */
#define MARKDOWN_GLUE		'\x1f'

/* The columns a {{placeholder}} counts for when text is wrapped: the value
 * that stands there later (a subscriber's name, a date) is not known yet,
 * and a line holding one is left room for a value this wide. */
#define MARKDOWN_PLACEHOLDER_COLS	24

/* A tag name and the inline style given to every such tag. */
struct markdown_style {
	char	*tag;
	char	*style;
};

/*
 * Appends the HTML rendering of src[0..n) to out, styling tags from
 * styles[0..nstyles). Returns 0, or -1 when out's limit is reached.
 */
int	markdown_html(const char *src, size_t n,
	    const struct markdown_style *styles, size_t nstyles, struct buf *out);

/*
 * Appends the plain-text rendering of src[0..n) to out, wrapped at width
 * characters. Returns 0, or -1 when out's limit is reached.
 */
int	markdown_text(const char *src, size_t n, size_t width, struct buf *out);

/*
 * Greedy word wrap of text[0..n) (UTF-8, '\n' a forced break) into out, each
 * line prefixed with first (line 1) or rest (the others), at most width
 * terminal columns with the prefix. A word wider than a line breaks at its
 * no-break spaces and after its no-break hyphens if it has any, else
 * stands alone on a line (a URL is never broken). Returns 0 / -1 as above.
 */
int	markdown_wrap(const char *text, size_t n, const char *first,
	    const char *rest, size_t width, struct buf *out);

#endif
