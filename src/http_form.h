/*
 * http_form.h — parsing what a reader's browser sends: the request path,
 * the Content-Type, and form bodies (application/x-www-form-urlencoded and
 * multipart/form-data, the two encodings RFC 8058 allows for a one-click
 * unsubscribe). Pure functions over bytes: nothing here logs or allocates
 * past struct http_form, and every failure is -1 with a constant reason.
 */
#ifndef DISPATCHER_HTTP_FORM_H
#define DISPATCHER_HTTP_FORM_H

#include <stddef.h>

#define HTTP_FORM_FIELDS	16	/* more fields than this: refused */
#define HTTP_LIST_MAX		64
#define HTTP_TOKEN_MAX		400

/* The paths `dispatcher serve` answers. */
enum http_route {
	ROUTE_NONE = 0,		/* no such path: 404 */
	ROUTE_UNSUBSCRIBE,	/* /unsubscribe/LIST/TOKEN */
	ROUTE_CONFIRM,		/* /confirm/LIST/TOKEN */
	ROUTE_SUBSCRIBE		/* /subscribe */
};

struct http_path {
	enum http_route	route;
	char		list[HTTP_LIST_MAX + 1];
	char		token[HTTP_TOKEN_MAX + 1];
};

/*
 * Splits a request path (without the query string). Returns 0 with *p
 * filled (route ROUTE_NONE for a path we do not serve), or -1 with a
 * reason when the path is one of ours but malformed (a list name or token
 * holding characters they never hold, or too long): that is a 400.
 */
int	http_path_parse(const char *path, struct http_path *p,
	    const char **reason);

enum http_body_type { BODY_NONE, BODY_URLENCODED, BODY_MULTIPART };

/*
 * Reads a Content-Type value (NULL: none). Returns the body type, with the
 * multipart boundary copied into boundary (71 bytes), or -1 with a reason
 * for any other type.
 */
int	http_content_type(const char *value, char boundary[71],
	    const char **reason);

struct http_field {
	char	*name;		/* decoded, NUL-terminated, into the form's memory */
	char	*value;
	size_t	 vlen;		/* a value may hold a NUL: vlen tells */
};

struct http_form {
	char			*mem;	/* owns every name and value */
	struct http_field	 f[HTTP_FORM_FIELDS];
	size_t			 n;
};

/*
 * Parses a body of the given type into form (free with http_form_free,
 * also after -1). BODY_NONE gives an empty form. -1 with a reason when the
 * body is malformed: a bad percent escape, too many fields, a multipart
 * body without its closing boundary.
 */
int	http_form_parse(enum http_body_type type, const char *boundary,
	    const char *body, size_t len, struct http_form *form,
	    const char **reason);
void	http_form_free(struct http_form *form);	/* accepts a zeroed form */

/* The value of the first field called name, or NULL. Borrowed from form.
 * A value holding a NUL byte is never returned. */
const char *http_form_get(const struct http_form *form, const char *name);

#endif
