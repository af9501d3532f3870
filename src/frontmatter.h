/*
 * frontmatter.h — the "---" block at the top of an issue.
 *
 *   ---
 *   subject: Daily Sync: March 1, 2026
 *   preheader: One line that inbox previews show.
 *   date: 2026-03-01
 *   ---
 *
 * One "key: value" a line; keys are [a-z][a-z0-9_]*; a value may be wrapped
 * in double or single quotes, which are removed; blank lines and lines that
 * start with '#' are skipped. A pure parser: it never logs, and on error it
 * returns -1 with a constant reason and the 1-based line number.
 */
#ifndef DISPATCHER_FRONTMATTER_H
#define DISPATCHER_FRONTMATTER_H

#include <stddef.h>

#define FM_MAX_FIELDS	32
#define FM_MAX_KEY	32
#define FM_MAX_VALUE	998

struct fm_field {
	char	key[FM_MAX_KEY + 1];
	char	value[FM_MAX_VALUE + 1];
	int	line;
};

struct frontmatter {
	struct fm_field	fields[FM_MAX_FIELDS];
	size_t		nfields;
	size_t		body_offset;	/* where the Markdown starts in the input */
	int		body_line;	/* its line number */
};

/*
 * Parses the front matter at the start of s[0..n). s must be valid UTF-8
 * (the caller checks). Returns 0, or -1 with *reason and *line set.
 */
int	frontmatter_parse(const char *s, size_t n, struct frontmatter *fm,
	    const char **reason, int *line);

/* The value of key, or NULL. Borrowed from fm. */
const struct fm_field *frontmatter_get(const struct frontmatter *fm,
	    const char *key);

#endif
