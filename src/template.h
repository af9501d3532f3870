/*
 * template.h — the layouts under templates/SET/, parsed into segments.
 *
 * A template is text with placeholders, {{name}} (spaces inside the braces
 * are allowed). Parsing splits it into literal segments and placeholder
 * segments; it knows nothing of which names exist: the composer, which does,
 * turns an unknown name into an error naming the file and line.
 *
 * In an HTML template the parser also finds each placeholder's context and
 * refuses the ones no escaping can make safe: inside a tag but outside a
 * quoted attribute value, in an unquoted value, in a comment, or in <style>
 * or <script>. A placeholder in an href or src value is marked as a URL.
 */
#ifndef DISPATCHER_TEMPLATE_H
#define DISPATCHER_TEMPLATE_H

#include <stddef.h>

enum tpl_mode { TPL_HTML, TPL_TEXT };

enum tpl_context {
	TPL_CTX_TEXT,		/* element content, or anywhere in a text template */
	TPL_CTX_ATTR,		/* a quoted attribute value */
	TPL_CTX_URL		/* a quoted href or src value */
};

struct tpl_seg {
	int			 is_var;
	const char		*text;	/* literal bytes or the name; into tpl->src */
	size_t			 len;
	enum tpl_context	 ctx;
	int			 line;	/* of the placeholder */
	size_t			 column;/* characters before it on its line */
};

struct tpl {
	char		*file;
	char		*src;
	size_t		 srclen;
	struct tpl_seg	*segs;
	size_t		 nsegs;
};

/*
 * Reads and parses file. Returns 0, or -1 with "file:line: reason" in err.
 * The template owns everything; free with tpl_free().
 */
int	tpl_load(const char *file, enum tpl_mode mode, struct tpl *t,
	    char *err, size_t errlen);

/*
 * Parses src[0..n) (copied). file is used in messages only. When lenient,
 * "{{" that does not open a well-formed placeholder is plain text (for
 * rendered Markdown, where braces are the author's).
 */
int	tpl_parse(const char *file, const char *src, size_t n,
	    enum tpl_mode mode, int lenient, struct tpl *t, char *err,
	    size_t errlen);

/*
 * Whether p (at "{{") opens a well-formed placeholder: sets *name, *namelen
 * and *close (at "}}", or NULL when there is none on the line).
 */
int	tpl_placeholder(const char *p, const char **name, size_t *namelen,
	    const char **close);

void	tpl_free(struct tpl *t);	/* accepts a zeroed struct */

/* Appends s (n bytes) to out with & < > " ' as entities: safe in element
 * content and in a quoted attribute value. 0, or -1 out of memory. */
struct buf;
int	tpl_escape_html(struct buf *out, const char *s, size_t n);

#endif
