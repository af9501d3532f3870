/*
 * frontmatter.c — parser for the front matter (see frontmatter.h).
 */
#include "frontmatter.h"

#include <string.h>

/* The next line of s[*pos..n): sets *start and *len without the line break
 * (LF or CRLF) and moves *pos past it. Returns 0 at the end of input. */
static int
next_line(const char *s, size_t n, size_t *pos, const char **start,
    size_t *len)
{
	const char	*nl;

	if (*pos >= n)
		return 0;
	*start = s + *pos;
	nl = memchr(*start, '\n', n - *pos);
	*len = nl ? (size_t)(nl - *start) : n - *pos;
	*pos += *len + (nl ? 1 : 0);
	if (*len > 0 && (*start)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

static int
is_fence(const char *l, size_t len)
{
	while (len > 3 && (l[len - 1] == ' ' || l[len - 1] == '\t'))
		len--;
	return len == 3 && memcmp(l, "---", 3) == 0;
}

static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

static int
parse_field(const char *l, size_t len, struct fm_field *f, const char **reason)
{
	const char	*colon = memchr(l, ':', len), *v;
	size_t		 klen, vlen, i;

	if (colon == NULL)
		return *reason = "expected 'key: value'", -1;
	klen = (size_t)(colon - l);
	if (klen == 0 || klen > FM_MAX_KEY)
		return *reason = "a key is 1 to 32 characters", -1;
	if (!(l[0] >= 'a' && l[0] <= 'z'))
		return *reason = "a key starts with a lower-case letter", -1;
	for (i = 0; i < klen; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') ||
		    l[i] == '_'))
			return *reason = "a key holds only a-z, 0-9 and '_' "
			    "(no space before the colon)", -1;
	v = colon + 1;
	vlen = len - klen - 1;
	trim(&v, &vlen);
	if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
		v++;
		vlen -= 2;
	}
	for (i = 0; i < vlen; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return *reason = "control character in a value", -1;
	if (vlen > FM_MAX_VALUE)
		return *reason = "a value is longer than 998 bytes", -1;
	memcpy(f->key, l, klen);
	f->key[klen] = '\0';
	memcpy(f->value, v, vlen);
	f->value[vlen] = '\0';
	return 0;
}

int
frontmatter_parse(const char *s, size_t n, struct frontmatter *fm,
    const char **reason, int *line)
{
	const char	*l;
	size_t		 pos = 0, len;
	int		 lineno = 1;

	fm->nfields = 0;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	*line = 1;
	if (!next_line(s, n, &pos, &l, &len) || !is_fence(l, len))
		return *reason = "the issue must start with a '---' line "
		    "opening the front matter", -1;
	while (next_line(s, n, &pos, &l, &len)) {
		lineno++;
		*line = lineno;
		if (is_fence(l, len)) {
			fm->body_offset = pos;
			fm->body_line = lineno + 1;
			return 0;
		}
		trim(&l, &len);
		if (len == 0 || l[0] == '#')
			continue;
		if (fm->nfields == FM_MAX_FIELDS)
			return *reason = "more than 32 front matter fields", -1;
		if (parse_field(l, len, &fm->fields[fm->nfields], reason) == -1)
			return -1;
		if (frontmatter_get(fm, fm->fields[fm->nfields].key) != NULL)
			return *reason = "duplicate key", -1;
		fm->fields[fm->nfields++].line = lineno;
	}
	*line = 1;
	return *reason = "the front matter opened on line 1 is never closed "
	    "with a '---' line", -1;
}

const struct fm_field *
frontmatter_get(const struct frontmatter *fm, const char *key)
{
	size_t	i;

	for (i = 0; i < fm->nfields; i++)
		if (strcmp(fm->fields[i].key, key) == 0)
			return &fm->fields[i];
	return NULL;
}
