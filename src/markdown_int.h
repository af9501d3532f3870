/*
 * markdown_int.h — what the two Markdown renderers share: the dialect.
 * Private to markdown_html.c and markdown_text.c.
 */
#ifndef DISPATCHER_MARKDOWN_INT_H
#define DISPATCHER_MARKDOWN_INT_H

#include <stddef.h>

#include <md4c.h>

#define MARKDOWN_FLAGS	(MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | \
	MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOHTML)

/*
 * md4c 0.4.8 can hand a renderer a byte past the end of a document that
 * does not end in a newline (found by fuzzing: an image in a table cell at
 * the very end). Both renderers parse the copy this returns instead: the
 * source, a newline when it has none, and a NUL. *len is its length
 * without the NUL; free() it. NULL when memory runs out.
 */
char	*markdown_source(const char *src, size_t n, size_t *len);

#endif
