/*
 * bounce_fields.c — header-style field blocks ("Name: value", folded lines
 * joined) as found in message headers and in the per-message and
 * per-recipient groups of delivery-status and feedback reports, plus the
 * small string helpers the bounce readers share: case-insensitive search,
 * white-space squeezing and address extraction.
 *
 * Pure: nothing here logs. Lengths come from the caller and are never
 * taken from the input.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce_int.h"

#define FIELDS_MAX	512	/* fields kept per block */

const char *
ci_findn(const char *hay, size_t n, const char *needle)
{
	size_t	m = strlen(needle), i, j;

	if (m == 0)
		return hay;
	for (i = 0; i + m <= n; i++) {
		for (j = 0; j < m; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (j == m)
			return hay + i;
	}
	return NULL;
}

const char *
ci_find(const char *hay, const char *needle)
{
	return ci_findn(hay, strlen(hay), needle);
}

int
ci_prefix(const char *s, const char *prefix)
{
	size_t	n = strlen(prefix);

	return strncasecmp(s, prefix, n) == 0;
}

char *
str_squeeze(const char *s, size_t n)
{
	char	*out, *o;
	size_t	 i;
	int	 space = 0;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c == '\0')
			continue;
		if (isspace(c)) {
			space = 1;
			continue;
		}
		if (space && o > out)
			*o++ = ' ';
		space = 0;
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

int
addr_char(int c)
{
	return isalnum(c) || c >= 0x80 || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* The address around the '@' at s[at], within s[0..n): its bounds. */
static int
addr_around(const char *s, size_t n, size_t at, size_t *b, size_t *e)
{
	size_t	i = at, j = at + 1;

	while (i > 0 && addr_char((unsigned char)s[i - 1]))
		i--;
	while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' ||
	    s[j] == '.' || s[j] == '_' || (unsigned char)s[j] >= 0x80))
		j++;
	while (i < at && s[i] == '.')
		i++;
	while (j > at + 1 && s[j - 1] == '.')
		j--;
	if (i == at || j == at + 1 || memchr(s + at + 1, '.', j - at - 1) ==
	    NULL)
		return -1;
	*b = i;
	*e = j;
	return 0;
}

char *
addr_extract(const char *s, size_t n)
{
	size_t	 i, b, e, k;
	char	*out;

	/* first an address in angle brackets, then a bare one */
	for (i = 0; i < n; i++) {
		if (s[i] != '<')
			continue;
		for (k = i + 1; k < n && s[k] != '>' && s[k] != '<' &&
		    s[k] != '\n'; k++)
			if (s[k] == '@' && addr_around(s, n, k, &b, &e) == 0 &&
			    b == i + 1 && e < n && s[e] == '>')
				goto found;
	}
	for (i = 0; i < n; i++)
		if (s[i] == '@' && addr_around(s, n, i, &b, &e) == 0)
			goto found;
	return NULL;
found:
	if (e - b > 320)
		return NULL;
	if ((out = malloc(e - b + 1)) == NULL)
		return NULL;
	memcpy(out, s + b, e - b);
	out[e - b] = '\0';
	return out;
}

static int
fields_push(struct bfields *f, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
	struct bfield	*v;

	if (f->n >= FIELDS_MAX)
		return 0;
	if ((v = realloc(f->v, (f->n + 1) * sizeof(*v))) == NULL)
		return -1;
	f->v = v;
	v = &f->v[f->n];
	if ((v->name = malloc(nlen + 1)) == NULL)
		return -1;
	memcpy(v->name, name, nlen);
	v->name[nlen] = '\0';
	if ((v->value = str_squeeze(val, vlen)) == NULL) {
		free(v->name);
		return -1;
	}
	f->n++;
	return 0;
}

long
bfields_read(const char *s, size_t n, struct bfields *f)
{
	size_t	i = 0, eol, next, colon, vstart;

	/* skip blank lines before the block */
	while (i < n) {
		if (s[i] == '\n')
			i++;
		else if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	while (i < n) {
		/* the end of this logical line: folded lines start with WSP */
		eol = i;
		while (eol < n && s[eol] != '\n')
			eol++;
		if (eol == i || (eol == i + 1 && s[i] == '\r'))
			return (long)(eol < n ? eol + 1 : n);
		next = eol < n ? eol + 1 : n;
		while (next < n && (s[next] == ' ' || s[next] == '\t')) {
			while (next < n && s[next] != '\n')
				next++;
			eol = next;
			next = next < n ? next + 1 : n;
		}
		for (colon = i; colon < eol && s[colon] != ':' &&
		    s[colon] > ' ' && s[colon] < 0x7f; colon++)
			;
		if (colon < eol && colon > i && s[colon] == ':') {
			vstart = colon + 1;
			if (fields_push(f, s + i, colon - i, s + vstart,
			    eol - vstart) == -1)
				return -1;
		}
		i = next;
	}
	return (long)n;
}

void
bfields_free(struct bfields *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

const char *
bfields_get(const struct bfields *f, const char *name, size_t idx)
{
	size_t	i;

	for (i = 0; i < f->n; i++)
		if (strcasecmp(f->v[i].name, name) == 0 && idx-- == 0)
			return f->v[i].value;
	return NULL;
}
