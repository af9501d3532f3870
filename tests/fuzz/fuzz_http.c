/*
 * fuzz_http.c — fuzz target for what `dispatcher serve` reads from the
 * network: the request path, the Content-Type, the form body, and the
 * tokens in the path.
 *
 * Input: line 1 is the path, line 2 the Content-Type, the rest the body.
 * Besides not crashing: a form's fields lie within the body's size, every
 * token found in a path is checked under a fixed key without effect on the
 * rest, and a token made for any address the input names is accepted for
 * that address and list only (make and check agree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "http_form.h"
#include "serve_pages.h"
#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
line(const char **p, const char *end, char *out, size_t max)
{
	const char	*nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);

	if (n >= max)
		n = max - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl ? nl + 1 : end;
	return out;
}

static void
agree(const struct token_keys *k, const char *address)
{
	char		tok[TOKEN_MAX], back[ADDRESS_MAX + 1];
	const char	*why;

	if (strlen(address) == 0 || strlen(address) > ADDRESS_MAX)
		return;
	if (token_confirm_make(&k->current, "weekly", address, 1000, tok) == 0)
		abort();
	if (token_confirm_check(k, "weekly", tok, 999, back, &why) != 0 ||
	    strcmp(back, address) != 0)
		abort();
	if (token_confirm_check(k, "weekly", tok, 1000, back, &why) !=
	    TOKEN_EXPIRED || token_confirm_check(k, "monthly", tok, 1, back,
	    &why) != -1)
		abort();
	token_make(&k->current, TOKEN_UNSUBSCRIBE, "weekly", address, tok);
	if (token_keys_check(k, TOKEN_UNSUBSCRIBE, "weekly", tok, 0, back,
	    &why) != 0 || strcmp(back, address) != 0)
		abort();
}

static void
tokens(const struct token_keys *k, const char *token)
{
	char		address[ADDRESS_MAX + 1], masked[ADDRESS_MAX + 16];
	const char	*why;

	if (token_keys_check(k, TOKEN_UNSUBSCRIBE, "weekly", token, 0, address,
	    &why) == 0)
		pages_mask_address(address, masked, sizeof(masked));
	if (token_confirm_check(k, "weekly", token, 0, address, &why) >= 0)
		pages_mask_address(address, masked, sizeof(masked));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_keys	 k;
	struct http_path	 p;
	struct http_form	 f;
	const char		*in = (const char *)data, *end = in + size, *why;
	char			 path[1024], ctype[512], boundary[71];
	char			*body;
	size_t			 len, i;
	int			 type;

	memset(&k, 0, sizeof(k));
	memset(k.current.bytes, 0x5a, TOKEN_KEY_LEN);
	memset(k.previous.bytes, 0xa5, TOKEN_KEY_LEN);
	k.has_previous = 1;
	k.previous_until = 500;
	line(&in, end, path, sizeof(path));
	line(&in, end, ctype, sizeof(ctype));
	if (http_path_parse(path, &p, &why) == 0 && p.route != ROUTE_NONE &&
	    p.route != ROUTE_SUBSCRIBE)
		tokens(&k, p.token);
	type = http_content_type(ctype[0] ? ctype : NULL, boundary, &why);
	if (type == -1)
		type = BODY_URLENCODED;
	/* the body in a buffer of its exact size: a read past it is caught */
	len = (size_t)(end - in);
	if ((body = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(body, in, len);
	if (http_form_parse((enum http_body_type)type, boundary, body, len, &f,
	    &why) == 0) {
		for (i = 0; i < f.n; i++) {
			if (f.f[i].vlen > len || strlen(f.f[i].name) > len)
				abort();
			if (http_form_get(&f, f.f[i].name) == NULL &&
			    strlen(f.f[i].value) == f.f[i].vlen && i == 0)
				abort();
		}
		if (http_form_get(&f, "email"))
			agree(&k, http_form_get(&f, "email"));
	}
	http_form_free(&f);
	free(body);
	return 0;
}
