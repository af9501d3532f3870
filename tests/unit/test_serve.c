/*
 * test_serve.c — the pure parts of `dispatcher serve`: token rotation and
 * confirmation tokens (token.h), request paths and form bodies
 * (http_form.h), rate limits (ratelimit.h) and address masking.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "http_form.h"
#include "ratelimit.h"
#include "serve_pages.h"
#include "token.h"
#include "unit.h"

static void
keys_fill(struct token_keys *k, unsigned char cur, unsigned char prev,
    long long until)
{
	memset(k, 0, sizeof(*k));
	memset(k->current.bytes, cur, TOKEN_KEY_LEN);
	memset(k->previous.bytes, prev, TOKEN_KEY_LEN);
	k->has_previous = prev != 0;
	k->previous_until = until;
}

TEST(serve_token_rotation_accepts_previous_until_its_date)
{
	struct token_keys	k;
	char			tok[TOKEN_MAX], addr[300];
	const char		*why;

	keys_fill(&k, 1, 2, 1000);
	token_make(&k.previous, TOKEN_UNSUBSCRIBE, "weekly", "a@example.org",
	    tok);
	CHECK(token_keys_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, 999, addr,
	    &why) == 0);
	CHECK(strcmp(addr, "a@example.org") == 0);
	CHECK(token_keys_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, 1000,
	    addr, &why) == -1);
	CHECK(token_keys_check(&k, TOKEN_UNSUBSCRIBE, "other", tok, 999, addr,
	    &why) == -1);
	/* made with the current key: fine, and the old format unchanged */
	token_make(&k.current, TOKEN_UNSUBSCRIBE, "weekly", "a@example.org",
	    tok);
	CHECK(token_keys_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, 5000,
	    addr, &why) == 0);
	CHECK(strncmp(tok, "YUBleGFtcGxlLm9yZw.", 19) == 0);
	/* no previous key: an old token is refused */
	keys_fill(&k, 1, 0, 0);
	token_make(&k.current, TOKEN_UNSUBSCRIBE, "weekly", "a@example.org",
	    tok);
	keys_fill(&k, 3, 0, 0);
	CHECK(token_keys_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, 0, addr,
	    &why) == -1);
}

TEST(serve_token_confirm_expiry_and_forgery)
{
	struct token_keys	k;
	char			tok[TOKEN_MAX], bad[TOKEN_MAX], addr[300];
	const char		*why;
	size_t			n, i;

	keys_fill(&k, 7, 0, 0);
	n = token_confirm_make(&k.current, "weekly", "b@example.org", 2000, tok);
	REQUIRE(n > 0);
	CHECK(token_confirm_check(&k, "weekly", tok, 1999, addr, &why) == 0);
	CHECK(strcmp(addr, "b@example.org") == 0);
	CHECK(token_confirm_check(&k, "weekly", tok, 2000, addr, &why) ==
	    TOKEN_EXPIRED);
	CHECK(token_confirm_check(&k, "monthly", tok, 1, addr, &why) == -1);
	/* an unsubscribe token is not a confirmation, nor the reverse */
	CHECK(token_keys_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, 1, addr,
	    &why) == -1);
	/* a later expiry written in by hand breaks the signature */
	strcpy(bad, tok);
	bad[strchr(bad, '.') - bad + 1] = '9';
	CHECK(token_confirm_check(&k, "weekly", bad, 1, addr, &why) == -1);
	/* every truncation is refused */
	for (i = 0; i < n; i++) {
		memcpy(bad, tok, i);
		bad[i] = '\0';
		CHECK(token_confirm_check(&k, "weekly", bad, 1, addr, &why) ==
		    -1);
	}
	CHECK(token_confirm_check(&k, "weekly", "a.01.b", 1, addr, &why) == -1);
}

TEST(serve_http_path_routes)
{
	struct http_path	p;
	const char		*why;

	CHECK(http_path_parse("/subscribe", &p, &why) == 0 &&
	    p.route == ROUTE_SUBSCRIBE);
	CHECK(http_path_parse("/unsubscribe/weekly/abc.DEF-_", &p, &why) == 0 &&
	    p.route == ROUTE_UNSUBSCRIBE && strcmp(p.list, "weekly") == 0 &&
	    strcmp(p.token, "abc.DEF-_") == 0);
	CHECK(http_path_parse("/confirm/w/1.2.3", &p, &why) == 0 &&
	    p.route == ROUTE_CONFIRM);
	CHECK(http_path_parse("/", &p, &why) == 0 && p.route == ROUTE_NONE);
	CHECK(http_path_parse("/subscribe/", &p, &why) == 0 &&
	    p.route == ROUTE_NONE);
	CHECK(http_path_parse("/unsubscribe/weekly", &p, &why) == -1);
	CHECK(http_path_parse("/unsubscribe/weekly/", &p, &why) == -1);
	CHECK(http_path_parse("/unsubscribe/Weekly/abc", &p, &why) == -1);
	CHECK(http_path_parse("/unsubscribe/weekly/a/b", &p, &why) == -1);
	CHECK(http_path_parse("/unsubscribe/weekly/a<b", &p, &why) == -1);
}

TEST(serve_http_form_urlencoded_and_multipart)
{
	struct http_form	f;
	char			b[71];
	const char		*why;
	const char		*mp = "--XyZ\r\nContent-Disposition: form-data; "
	    "name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";

	CHECK(http_content_type(NULL, b, &why) == BODY_NONE);
	CHECK(http_content_type("application/x-www-form-urlencoded; "
	    "charset=UTF-8", b, &why) == BODY_URLENCODED);
	CHECK(http_content_type("text/plain", b, &why) == -1);
	CHECK(http_content_type("multipart/form-data", b, &why) == -1);
	REQUIRE(http_content_type("multipart/form-data; boundary=\"XyZ\"", b,
	    &why) == BODY_MULTIPART);
	CHECK(strcmp(b, "XyZ") == 0);
	REQUIRE(http_form_parse(BODY_MULTIPART, b, mp, strlen(mp), &f,
	    &why) == 0);
	CHECK(http_form_get(&f, "List-Unsubscribe") &&
	    strcmp(http_form_get(&f, "List-Unsubscribe"), "One-Click") == 0);
	http_form_free(&f);
	CHECK(http_form_parse(BODY_MULTIPART, b, mp, strlen(mp) - 9, &f,
	    &why) == -1);
	http_form_free(&f);

	REQUIRE(http_form_parse(BODY_URLENCODED, "", "email=a%40b.org&name=A+"
	    "B&&x", 28, &f, &why) == 0);
	CHECK(strcmp(http_form_get(&f, "email"), "a@b.org") == 0);
	CHECK(strcmp(http_form_get(&f, "name"), "A B") == 0);
	CHECK(strcmp(http_form_get(&f, "x"), "") == 0);
	CHECK(http_form_get(&f, "list") == NULL);
	http_form_free(&f);
	CHECK(http_form_parse(BODY_URLENCODED, "", "a=%4", 4, &f, &why) == -1);
	http_form_free(&f);
	REQUIRE(http_form_parse(BODY_URLENCODED, "", "a=x%00y", 7, &f,
	    &why) == 0);
	CHECK(http_form_get(&f, "a") == NULL);	/* a NUL inside: never given */
	http_form_free(&f);
	CHECK(http_form_parse(BODY_URLENCODED, "", "a&a&a&a&a&a&a&a&a&a&a&a&a&"
	    "a&a&a&a", 33, &f, &why) == -1);
	http_form_free(&f);
}

TEST(serve_ratelimit_window)
{
	struct ratelimit	*rl = ratelimit_new(3, 60);

	REQUIRE(rl != NULL);
	CHECK(ratelimit_hit(rl, "1.2.3.4", 100) == 0);
	CHECK(ratelimit_hit(rl, "1.2.3.4", 110) == 0);
	CHECK(ratelimit_hit(rl, "1.2.3.4", 120) == 0);
	CHECK(ratelimit_hit(rl, "1.2.3.4", 130) == 30);
	CHECK(ratelimit_hit(rl, "5.6.7.8", 130) == 0);
	CHECK(ratelimit_hit(rl, "1.2.3.4", 160) == 0);	/* the first left */
	CHECK(ratelimit_hit(rl, "1.2.3.4", 161) > 0);
	ratelimit_free(rl);
}

TEST(serve_pages_mask_address)
{
	char	out[64];

	pages_mask_address("jonathan@example.org", out, sizeof(out));
	CHECK(strcmp(out, "jo\u2022\u2022\u2022@example.org") == 0);
	pages_mask_address("al@example.org", out, sizeof(out));
	CHECK(strcmp(out, "a\u2022\u2022\u2022@example.org") == 0);
}

static const char *
page_set(const char *dir, const char *form, const char *message)
{
	static char	path[4096];

	snprintf(path, sizeof(path), "%s/set", dir);
	mkdir(path, 0700);
	unit_write(path, "page-form.html", form);
	unit_write(path, "page-message.html", message);
	return dir;
}

TEST(serve_pages_escape_and_refuse)
{
	const char	*dir = unit_tmpdir();
	struct pages	*p = NULL;
	struct buf	 b;
	char		 err[512];
	struct page_vars v = { .title = "<t>", .list_name = "A & B",
	    .message = "\"q\" 'a'", .action = "/unsubscribe/x/y",
	    .field_value = "\"><script>" };

	page_set(dir, "<title>{{title}}</title><form action=\"{{action}}\">"
	    "<input value=\"{{field_value}}\"></form>\n",
	    "<p>{{list_name}}</p><p>{{message}}</p>\n");
	REQUIRE(pages_load(dir, "set", &p, err, sizeof(err)) == 0);
	buf_init(&b, 0);
	REQUIRE(pages_render(p, 1, &v, &b) == 0);
	CHECK(strcmp(b.data, "<title>&lt;t&gt;</title><form action=\""
	    "/unsubscribe/x/y\"><input value=\"&quot;&gt;&lt;script&gt;\">"
	    "</form>\n") == 0);
	buf_reset(&b);
	REQUIRE(pages_render(p, 0, &v, &b) == 0);
	CHECK(strcmp(b.data, "<p>A &amp; B</p><p>&quot;q&quot; &#39;a&#39;"
	    "</p>\n") == 0);
	/* a form action that is not a path on this server is refused */
	v.action = "https://evil.example/";
	buf_reset(&b);
	CHECK(pages_render(p, 1, &v, &b) == -1);
	buf_free(&b);
	pages_free(p);

	/* an unknown placeholder, and one inside <script>: file and line */
	page_set(dir, "<p>\n{{nosuch}}</p>\n", "<p></p>\n");
	CHECK(pages_load(dir, "set", &p, err, sizeof(err)) == -1);
	CHECK(strstr(err, "page-form.html:2") != NULL);
	page_set(dir, "<p></p>\n", "<script>{{title}}</script>\n");
	CHECK(pages_load(dir, "set", &p, err, sizeof(err)) == -1);
	CHECK(strstr(err, "page-message.html") != NULL);
}
