/*
 * bounce_int.h — what the bounce_*.c files share and nobody else uses.
 *
 * bounce.c drives the parse; bounce_mime.c (the only user of libetpan)
 * flattens the MIME tree; bounce_fields.c reads header-style field blocks
 * and holds the string helpers; bounce_text.c reads the plain-text formats;
 * bounce_ses.c reads Amazon SES notifications; bounce_status.c derives and
 * classifies status codes.
 */
#ifndef DISPATCHER_BOUNCE_INT_H
#define DISPATCHER_BOUNCE_INT_H

#include <stddef.h>

#include "bounce.h"

/* One leaf or container of the MIME tree, flattened in document order. */
struct bpart {
	char	 type[64];	/* "message/delivery-status", lowercase */
	int	 depth;
	int	 inner;		/* inside an attached message/rfc822 */
	char	*body;		/* decoded body, NUL-terminated (leaves and
				   message/rfc822: the inner message's bytes) */
	size_t	 len;
};

struct bparts {
	struct bpart	*v;
	size_t		 n;
	char		*top;	/* the top-level header block, NUL-terminated */
	char		*raw;	/* the top-level body as it is, NUL-terminated */
	const char	*note;	/* a bound was hit */
};

/* bounce_mime.c: 0, or -1 when memory ran out. */
int	bparts_read(const char *msg, size_t len, struct bparts *out);
void	bparts_free(struct bparts *p);

/* bounce_fields.c: a block of "Name: value" lines, unfolded. */
struct bfield {
	char	*name;
	char	*value;
};
struct bfields {
	struct bfield	*v;
	size_t		 n;
};

/*
 * Reads fields from s[0..n) up to the first empty line or the end; returns
 * the offset just past that empty line (or n). Lines that are not fields
 * are skipped. -1 when memory ran out.
 */
long	bfields_read(const char *s, size_t n, struct bfields *f);
void	bfields_free(struct bfields *f);
/* The first (idx 0) or later value of a field, case-insensitive, or NULL. */
const char *bfields_get(const struct bfields *f, const char *name, size_t idx);

/* Case-insensitive search: the first match in hay, or NULL. */
const char *ci_find(const char *hay, const char *needle);
const char *ci_findn(const char *hay, size_t n, const char *needle);
int	ci_prefix(const char *s, const char *prefix);
/* A copy of s[0..n) with runs of white space made one space, trimmed. */
char	*str_squeeze(const char *s, size_t n);
/*
 * The first addr-spec in s (inside <> when there are any), copied; NULL
 * when there is none or memory ran out.
 */
char	*addr_extract(const char *s, size_t n);
/* 1 when c may be part of an address's local part or domain. */
int	addr_char(int c);

/* bounce_text.c: the plain-text formats. Each returns the number of
 * recipients added, 0 when the text is not of its format, -1 on memory. */
int	btext_read(struct bounce_report *r, const char *text,
	    int bounce_like);
/* The headers of the quoted copy after a "below this line" marker. */
const char *btext_copy_start(const char *text);

/* bounce_ses.c: an SES notification in text; same returns. */
int	bses_read(struct bounce_report *r, const char *text);

/* bounce.c: appends a recipient and fills its class; NULL on memory. */
struct bounce_rcpt *report_add(struct bounce_report *r, const char *rcpt,
	    size_t rcptlen);
/* Sets status, class and reason of a failed recipient from what it has. */
void	rcpt_settle(struct bounce_rcpt *rc, const char *enhanced,
	    char fallback_class);

#endif
