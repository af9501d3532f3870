/*
 * issue.c — reads and checks an issue file (see issue.h).
 */
#define _GNU_SOURCE
#include "issue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "utf8.h"

static const char *standard_keys[] = { "subject", "preheader", "date", NULL };

int
issue_key_is_standard(const char *key)
{
	size_t	i;

	for (i = 0; standard_keys[i]; i++)
		if (strcmp(standard_keys[i], key) == 0)
			return 1;
	return 0;
}

static int
line_of(const char *s, size_t off)
{
	int	line = 1;
	size_t	i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long
days_from_civil(int y, int m, int d)
{
	int		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long)era * 146097 + doe - 719468;
}

/* "March 1, 2026": the date as templates show it, in the issue's zone. */
static void
set_date(struct issue *is, time_t t, int tz_minutes)
{
	static const char	*months[] = { "January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December" };
	time_t			 local = t + (time_t)tz_minutes * 60;
	struct tm		 tm;

	gmtime_r(&local, &tm);
	is->date = t;
	is->tz_minutes = tz_minutes;
	snprintf(is->date_text, sizeof(is->date_text), "%s %d, %d",
	    months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
}

static const char *
parse_date(const char *v, struct issue *is)
{
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int			 y, m, d, hh = 12, mm = 0, tz = 0, n = 0, tzh, tzm;
	char			 sign;

	/* a date without a time is sent as midday UTC: the same calendar
	 * day in nearly every time zone */
	if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return "date must be YYYY-MM-DD, optionally followed by HH:MM "
		    "and +HHMM";
	v += n;
	if (*v == ' ' || *v == 'T') {
		if (sscanf(v + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 ||
		    hh > 23 || mm > 59)
			return "the time after the date must be HH:MM";
		v += 1 + n;
		while (*v == ' ')
			v++;
		if (*v == '+' || *v == '-') {
			if (sscanf(v, "%c%2d%2d%n", &sign, &tzh, &tzm, &n) != 3 ||
			    n != 5 || tzh > 14 || tzm > 59)
				return "the offset must be +HHMM or -HHMM";
			tz = (tzh * 60 + tzm) * (sign == '-' ? -1 : 1);
			v += n;
		} else if (*v == 'Z')
			v++;
	}
	if (*v != '\0')
		return "unexpected text after the date";
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] || (m == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return "no such date";
	set_date(is, (time_t)(days_from_civil(y, m, d) * 86400L + hh * 3600L +
	    mm * 60L - tz * 60L), tz);
	is->has_date = 1;
	return NULL;
}

static int
check_fields(struct issue *is, char *err, size_t errlen)
{
	const struct fm_field	*f;
	const char		*why;
	size_t			 i;

	if ((f = frontmatter_get(is->fm, "subject")) == NULL) {
		errf(err, errlen, "%s:1: the front matter has no 'subject'",
		    is->file);
		return -1;
	}
	if (f->value[strspn(f->value, " \t")] == '\0') {
		errf(err, errlen, "%s:%d: the subject is empty", is->file, f->line);
		return -1;
	}
	is->subject = f->value;
	f = frontmatter_get(is->fm, "preheader");
	is->preheader = f ? f->value : "";
	if ((f = frontmatter_get(is->fm, "date")) == NULL)
		set_date(is, time(NULL), 0);	/* an undated issue is today's */
	else if ((why = parse_date(f->value, is)) != NULL) {
		errf(err, errlen, "%s:%d: %s", is->file, f->line, why);
		return -1;
	}
	for (i = 0; i < is->fm->nfields; i++)
		if (is->fm->fields[i].value[0] == '\0' &&
		    strcmp(is->fm->fields[i].key, "preheader") != 0) {
			errf(err, errlen, "%s:%d: '%s' has no value", is->file,
			    is->fm->fields[i].line, is->fm->fields[i].key);
			return -1;
		}
	return 0;
}

struct issue *
issue_parse(const char *name, const char *src, size_t n, char *err,
    size_t errlen)
{
	struct issue	*is;
	const char	*reason;
	const char	*nul;
	size_t		 bad;
	int		 line;

	if ((is = calloc(1, sizeof(*is))) == NULL ||
	    (is->fm = calloc(1, sizeof(*is->fm))) == NULL ||
	    (is->file = strdup(name)) == NULL ||
	    (is->src = malloc(n + 1)) == NULL) {
		errf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	memcpy(is->src, src, n);
	is->src[n] = '\0';
	is->srclen = n;
	if (utf8_check(src, n, &bad) == -1) {
		errf(err, errlen, "%s:%d: invalid UTF-8 (byte 0x%02x at offset %zu)",
		    name, line_of(src, bad), (unsigned char)src[bad], bad);
		goto fail;
	}
	if ((nul = memchr(src, '\0', n)) != NULL) {
		errf(err, errlen, "%s:%d: NUL byte in the issue", name,
		    line_of(src, (size_t)(nul - src)));
		goto fail;
	}
	if (is->src[strspn(is->src, " \t\r\n")] == '\0') {
		errf(err, errlen, "%s:1: the issue is empty", name);
		goto fail;
	}
	if (frontmatter_parse(is->src, n, is->fm, &reason, &line) == -1) {
		errf(err, errlen, "%s:%d: %s", name, line, reason);
		goto fail;
	}
	if (check_fields(is, err, errlen) == -1)
		goto fail;
	is->body = is->src + is->fm->body_offset;
	is->bodylen = n - is->fm->body_offset;
	is->body_line = is->fm->body_line;
	if (is->body[strspn(is->body, " \t\r\n")] == '\0') {
		errf(err, errlen, "%s:%d: the issue has no content after its "
		    "front matter", name, is->body_line);
		goto fail;
	}
	digest_sha256(src, n, is->hash);
	return is;
fail:
	issue_free(is);
	return NULL;
}

struct issue *
issue_load(const char *file, char *err, size_t errlen)
{
	struct issue	*is = NULL;
	FILE		*fp;
	char		*data;
	size_t		 n;

	if ((fp = fopen(file, "rb")) == NULL) {
		errf(err, errlen, "%s: %s", file, strerror(errno));
		return NULL;
	}
	if ((data = malloc(ISSUE_MAX_SIZE + 1)) == NULL) {
		errf(err, errlen, "%s: out of memory", file);
		fclose(fp);
		return NULL;
	}
	n = fread(data, 1, ISSUE_MAX_SIZE + 1, fp);
	if (ferror(fp))
		errf(err, errlen, "%s: %s", file, strerror(errno));
	else if (n > ISSUE_MAX_SIZE)
		errf(err, errlen, "%s: larger than 4 MiB", file);
	else
		is = issue_parse(file, data, n, err, errlen);
	free(data);
	fclose(fp);
	return is;
}

void
issue_free(struct issue *is)
{
	if (is == NULL)
		return;
	free(is->file);
	free(is->src);
	free(is->fm);
	free(is);
}
