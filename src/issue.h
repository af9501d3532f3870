/*
 * issue.h — an issue of a digest as the author wrote it.
 *
 * issue_load() reads ISSUE.md, checks that it is UTF-8 without NUL bytes,
 * parses the front matter (frontmatter.h) and keeps the Markdown body. It
 * checks the standard keys: subject (required, not blank), preheader, date
 * (YYYY-MM-DD, optionally followed by HH:MM and a +HHMM offset). Other keys
 * are kept for the templates; whether a template uses them is for the
 * composer to say.
 */
#ifndef DISPATCHER_ISSUE_H
#define DISPATCHER_ISSUE_H

#include <stddef.h>
#include <time.h>

#include "digest.h"
#include "frontmatter.h"

#define ISSUE_MAX_SIZE	((size_t)4 << 20)

struct issue {
	char			*file;
	char			*src;		/* the whole file */
	size_t			 srclen;
	struct frontmatter	*fm;
	const char		*subject;	/* into fm */
	const char		*preheader;	/* into fm, "" when absent */
	int			 has_date;	/* the front matter set date; */
	time_t			 date;		/* else it is when it was read */
	int			 tz_minutes;	/* the offset it was written in */
	char			 date_text[32];	/* "March 1, 2026" */
	const char		*body;		/* into src */
	size_t			 bodylen;
	int			 body_line;
	unsigned char		 hash[DIGEST_LEN];	/* of the whole file */
};

/* Returns a new issue (free with issue_free), or NULL with
 * "file:line: reason" in err. */
struct issue	*issue_load(const char *file, char *err, size_t errlen);
/* The same from bytes in memory; name is used in messages. */
struct issue	*issue_parse(const char *name, const char *src, size_t n,
		    char *err, size_t errlen);
void		 issue_free(struct issue *is);		/* accepts NULL */

/* Whether key is one of the keys issue.c itself understands. */
int		 issue_key_is_standard(const char *key);

#endif
