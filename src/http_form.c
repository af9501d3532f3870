/*
 * http_form.c — request paths, Content-Type and form bodies (see
 * http_form.h). Called by serve.c on every request, and by the fuzz target.
 */
#include "http_form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789-_."
#define LIST_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789-_"

/* Copies the segment [s, s + n) into out (max bytes) when it holds only
 * chars. 0 / -1. */
static int
segment(const char *s, size_t n, const char *chars, char *out, size_t max)
{
	if (n == 0 || n > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(chars, s[i]) == NULL)
			return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int
http_path_parse(const char *path, struct http_path *p, const char **reason)
{
	const char	*rest, *slash;

	memset(p, 0, sizeof(*p));
	if (strcmp(path, "/subscribe") == 0) {
		p->route = ROUTE_SUBSCRIBE;
		return 0;
	}
	if (strncmp(path, "/unsubscribe/", 13) == 0) {
		p->route = ROUTE_UNSUBSCRIBE;
		rest = path + 13;
	} else if (strncmp(path, "/confirm/", 9) == 0) {
		p->route = ROUTE_CONFIRM;
		rest = path + 9;
	} else
		return 0;
	if ((slash = strchr(rest, '/')) == NULL ||
	    segment(rest, (size_t)(slash - rest), LIST_CHARS, p->list,
	    HTTP_LIST_MAX) == -1)
		return *reason = "the link names no list", -1;
	if (segment(slash + 1, strlen(slash + 1), TOKEN_CHARS, p->token,
	    HTTP_TOKEN_MAX) == -1)
		return *reason = "the link is incomplete or damaged", -1;
	return 0;
}

int
http_content_type(const char *value, char boundary[71], const char **reason)
{
	const char	*b, *end;
	size_t		 n;

	boundary[0] = '\0';
	if (value == NULL)
		return BODY_NONE;
	n = strcspn(value, "; \t");
	if (n == 33 && strncasecmp(value, "application/x-www-form-urlencoded",
	    n) == 0)
		return BODY_URLENCODED;
	if (n != 19 || strncasecmp(value, "multipart/form-data", n) != 0)
		return *reason = "only form data is accepted", -1;
	for (b = value + n; (b = strchr(b, ';')) != NULL; ) {
		b += strspn(b + 1, " \t") + 1;
		if (strncasecmp(b, "boundary=", 9) == 0)
			break;
	}
	if (b == NULL)
		return *reason = "a multipart body needs a boundary", -1;
	b += 9;
	if (*b == '"')
		end = strchr(++b, '"');
	else
		end = b + strcspn(b, "; \t");
	if (end == NULL || end == b || end - b > 70)
		return *reason = "a multipart boundary is 1 to 70 characters", -1;
	memcpy(boundary, b, (size_t)(end - b));
	boundary[end - b] = '\0';
	return BODY_MULTIPART;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) ('+' is a space, %XX a byte) to out, NUL-terminated.
 * Returns the decoded length, or -1 on a bad escape. */
static long
url_decode(const char *s, size_t n, char *out)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] != '%')
			out[o++] = s[i];
		else {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) == -1 ||
			    (lo = hexval(s[i + 2])) == -1)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	out[o] = '\0';
	return (long)o;
}

static int
form_add(struct http_form *form, char **at, const char *name, size_t nlen,
    const char *value, size_t vlen, int encoded, const char **reason)
{
	struct http_field	*f;
	long			 n;

	if (form->n == HTTP_FORM_FIELDS)
		return *reason = "too many form fields", -1;
	f = &form->f[form->n];
	f->name = *at;
	if (encoded) {
		if ((n = url_decode(name, nlen, *at)) == -1)
			return *reason = "a bad %-escape in the form", -1;
	} else {
		memcpy(*at, name, nlen);
		(*at)[nlen] = '\0';
		n = (long)nlen;
	}
	*at += n + 1;
	f->value = *at;
	if (encoded) {
		if ((n = url_decode(value, vlen, *at)) == -1)
			return *reason = "a bad %-escape in the form", -1;
	} else {
		memcpy(*at, value, vlen);
		(*at)[vlen] = '\0';
		n = (long)vlen;
	}
	f->vlen = (size_t)n;
	*at += n + 1;
	form->n++;
	return 0;
}

static int
parse_urlencoded(const char *body, size_t len, struct http_form *form,
    char *at, const char **reason)
{
	const char	*p = body, *end = body + len, *amp, *eq;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
				eq = amp;
			if (form_add(form, &at, p, (size_t)(eq - p),
			    eq < amp ? eq + 1 : amp,
			    eq < amp ? (size_t)(amp - eq - 1) : 0, 1,
			    reason) == -1)
				return -1;
		}
		p = amp + 1;
	}
	return 0;
}

static const char *
find(const char *h, size_t hlen, const char *n, size_t nlen)
{
	size_t	i;

	if (nlen > hlen)
		return NULL;
	for (i = 0; i + nlen <= hlen; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nlen) == 0)
			return h + i;
	return NULL;
}

/* The name="..." of a part's Content-Disposition in headers [h, h + n). */
static int
part_name(const char *h, size_t n, const char **name, size_t *nlen)
{
	const char	*p, *q, *end = h + n;

	for (p = h; p < end; p = q + 2) {
		if ((q = find(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			q = end;
		if ((size_t)(q - p) > 20 &&
		    strncasecmp(p, "Content-Disposition:", 20) == 0) {
			const char *v = find(p, (size_t)(q - p), "name=\"", 6);
			const char *close;
			if (v == NULL || (v > p && v[-1] != ' ' && v[-1] != ';'))
				return -1;
			v += 6;
			if ((close = memchr(v, '"', (size_t)(q - v))) == NULL)
				return -1;
			*name = v;
			*nlen = (size_t)(close - v);
			return 0;
		}
		if (q == end)
			break;
	}
	return -1;
}

static int
parse_multipart(const char *boundary, const char *body, size_t len,
    struct http_form *form, char *at, const char **reason)
{
	char		 delim[76];
	size_t		 dlen;
	const char	*p, *end = body + len, *hend, *next, *name;
	size_t		 nlen;

	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	/* the first delimiter may start the body, without the CRLF */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
		p = body + dlen - 2;
	else if ((p = find(body, len, delim, dlen)) != NULL)
		p += dlen;
	else
		return *reason = "a multipart body without its boundary", -1;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;			/* the close delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return *reason = "a malformed multipart body", -1;
		p += 2;
		if ((hend = find(p, (size_t)(end - p), "\r\n\r\n", 4)) == NULL)
			return *reason = "a multipart part without a body", -1;
		if ((next = find(hend + 4, (size_t)(end - hend - 4), delim,
		    dlen)) == NULL)
			return *reason = "a multipart body without its end", -1;
		if (part_name(p, (size_t)(hend - p), &name, &nlen) == -1)
			return *reason = "a multipart part without a name", -1;
		if (form_add(form, &at, name, nlen, hend + 4,
		    (size_t)(next - hend - 4), 0, reason) == -1)
			return -1;
		p = next + dlen;
	}
}

int
http_form_parse(enum http_body_type type, const char *boundary,
    const char *body, size_t len, struct http_form *form,
    const char **reason)
{
	memset(form, 0, sizeof(*form));
	if (type == BODY_NONE || len == 0)
		return 0;
	/* decoded names and values never outgrow the body, plus two NULs
	 * per field */
	if ((form->mem = malloc(len + 2 * HTTP_FORM_FIELDS + 2)) == NULL)
		return *reason = "out of memory", -1;
	if (type == BODY_URLENCODED)
		return parse_urlencoded(body, len, form, form->mem, reason);
	return parse_multipart(boundary, body, len, form, form->mem, reason);
}

void
http_form_free(struct http_form *form)
{
	free(form->mem);
	memset(form, 0, sizeof(*form));
}

const char *
http_form_get(const struct http_form *form, const char *name)
{
	size_t	i;

	for (i = 0; i < form->n; i++)
		if (strcmp(form->f[i].name, name) == 0)
			return strlen(form->f[i].value) == form->f[i].vlen ?
			    form->f[i].value : NULL;
	return NULL;
}
