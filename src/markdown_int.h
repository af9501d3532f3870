/*
 * markdown_int.h — what the two Markdown renderers share: the dialect.
 * Private to markdown_html.c and markdown_text.c.
 */
#ifndef DISPATCHER_MARKDOWN_INT_H
#define DISPATCHER_MARKDOWN_INT_H

#include <md4c.h>

#define MARKDOWN_FLAGS	(MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | \
	MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOHTML)

#endif
