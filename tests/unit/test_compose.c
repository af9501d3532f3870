/*
 * test_compose.c — unit tests for the composer's parts: quoted-printable,
 * header fields, front matter, UTF-8, wrapping, tokens and whole messages.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compose.h"
#include "digest.h"
#include "frontmatter.h"
#include "header.h"
#include "issue.h"
#include "log.h"
#include "markdown.h"
#include "qp.h"
#include "template.h"
#include "token.h"
#include "unit.h"
#include "utf8.h"

static char *
qp(const char *in)
{
	static struct buf	out;
	struct qp		q;

	buf_free(&out);
	buf_init(&out, 0);
	qp_init(&q);
	qp_encode(&q, in, strlen(in), &out);
	return out.data ? out.data : "";
}

/* Every encoded line is at most 76 octets and ends in CRLF. */
static int
qp_lines_ok(const char *s)
{
	const char	*nl;

	while (*s) {
		if ((nl = strstr(s, "\r\n")) == NULL)
			return strlen(s) <= QP_LINE_MAX;
		if ((size_t)(nl - s) > QP_LINE_MAX)
			return 0;
		s = nl + 2;
	}
	return 1;
}

TEST(qp_plain_and_equals)
{
	CHECK_STR(qp("a=b"), "a=3Db");
	CHECK_STR(qp("caf\xc3\xa9\n"), "caf=C3=A9\r\n");
}

TEST(qp_trailing_space_and_tab)
{
	CHECK_STR(qp("end \nnext\t\nlast "), "end=20\r\nnext=09\r\nlast=20");
	CHECK_STR(qp("a b"), "a b");
}

TEST(qp_dot_and_from_at_line_start)
{
	CHECK_STR(qp(".\n.x\nx.\n"), "=2E\r\n=2Ex\r\nx.\r\n");
	CHECK_STR(qp("From here\nnot From\n"), "=46rom here\r\nnot From\r\n");
}

TEST(qp_long_words_and_urls)
{
	char	long_line[400], *out;
	size_t	i;

	for (i = 0; i < sizeof(long_line) - 1; i++)
		long_line[i] = i % 7 == 0 ? '=' : 'a' + (char)(i % 26);
	long_line[sizeof(long_line) - 1] = '\0';
	out = qp(long_line);
	CHECK(qp_lines_ok(out));
	/* a soft break never splits an =XX escape */
	CHECK(strstr(out, "=\r\n3D") == NULL || strstr(out, "==\r\n") == NULL);
	out = qp("https://example.org/a/very/long/path/that/goes/on/and/on/and/"
	    "on/beyond/seventy/six/characters?x=1&y=2");
	CHECK(qp_lines_ok(out));
	CHECK(strstr(out, "=\r\n") != NULL);
}

TEST(qp_utf8_runs_stay_under_76)
{
	struct buf	s;
	int		i;

	buf_init(&s, 0);
	for (i = 0; i < 100; i++)
		buf_adds(&s, "\xe2\x80\x91");	/* non-breaking hyphen */
	CHECK(qp_lines_ok(qp(s.data)));
	buf_free(&s);
}

TEST(header_refuses_cr_lf)
{
	struct buf	 b;
	const char	*why = NULL;

	buf_init(&b, 0);
	CHECK(header_add_text(&b, "Subject", "hi\r\nBcc: x@evil.example", &why)
	    == -1);
	CHECK(why != NULL && strstr(why, "line break") != NULL);
	CHECK(header_add_mailbox(&b, "To", "Eve\nBcc: x@evil.example",
	    "eve@example.org", &why) == -1);
	CHECK(header_add(&b, "X", "a\rb", &why) == -1);
	CHECK(b.len == 0);
	buf_free(&b);
}

TEST(header_encoded_words_fold)
{
	struct buf	 b;
	const char	*why, *line, *nl;
	char		 subject[600];
	int		 i;

	buf_init(&b, 0);
	subject[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(subject, "Caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d ");
	REQUIRE(header_add_text(&b, "Subject", subject, &why) == 0);
	CHECK(strncmp(b.data, "Subject: =?UTF-8?Q?", 19) == 0);
	for (line = b.data; (nl = strstr(line, "\r\n")) != NULL; line = nl + 2)
		CHECK(nl - line <= 78);
	buf_free(&b);
}

TEST(header_display_names)
{
	struct buf	 b;
	const char	*why;

	buf_init(&b, 0);
	header_add_mailbox(&b, "From", "Plain Name", "a@example.org", &why);
	header_add_mailbox(&b, "To", "Doe, \"J\"", "b@example.org", &why);
	header_add_mailbox(&b, "Cc", "J\xc3\xb6rg", "c@example.org", &why);
	CHECK_STR(b.data, "From: Plain Name <a@example.org>\r\n"
	    "To: \"Doe, \\\"J\\\"\" <b@example.org>\r\n"
	    "Cc: =?UTF-8?Q?J=C3=B6rg?= <c@example.org>\r\n");
	buf_free(&b);
}

TEST(frontmatter_errors_have_lines)
{
	struct frontmatter	 fm;
	const char		*why;
	int			 line;
	const char		*bad = "---\nsubject: ok\nBad Key: x\n---\n";

	CHECK(frontmatter_parse(bad, strlen(bad), &fm, &why, &line) == -1);
	CHECK(line == 3);
	CHECK(frontmatter_parse("---\nsubject: a\n", 15, &fm, &why, &line) == -1);
	CHECK(strstr(why, "never closed") != NULL);
	CHECK(frontmatter_parse("subject: a\n", 11, &fm, &why, &line) == -1);
	CHECK(line == 1);
}

TEST(issue_errors)
{
	char	err[ERRLEN];
	const char *dup = "---\nsubject: a\nsubject: b\n---\nx\n";
	const char *bad_utf8 = "---\nsubject: a\n---\nok\nbad \xff here\n";

	CHECK(issue_parse("i.md", dup, strlen(dup), err, sizeof(err)) == NULL);
	CHECK_STR(err, "i.md:3: duplicate key");
	CHECK(issue_parse("i.md", bad_utf8, strlen(bad_utf8), err,
	    sizeof(err)) == NULL);
	CHECK(strncmp(err, "i.md:5: invalid UTF-8", 21) == 0);
	CHECK(issue_parse("i.md", "", 0, err, sizeof(err)) == NULL);
	CHECK(issue_parse("i.md", "---\nsubject: a\n---\n\n \n", 21, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "no content") != NULL);
	CHECK(issue_parse("i.md", "---\ndate: 2026-01-01\n---\nx\n", 27, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "no 'subject'") != NULL);
	CHECK(issue_parse("i.md", "---\nsubject: a\ndate: 2026-02-30\n---\nx\n",
	    38, err, sizeof(err)) == NULL);
	CHECK_STR(err, "i.md:3: no such date");
}

TEST(utf8_checks)
{
	size_t	bad;

	CHECK(utf8_check("caf\xc3\xa9", 5, &bad) == 0);
	CHECK(utf8_check("\xc0\xaf", 2, &bad) == -1 && bad == 0);	/* overlong */
	CHECK(utf8_check("a\xed\xa0\x80", 4, &bad) == -1 && bad == 1);	/* surrogate */
	CHECK(utf8_check("ab\xe2\x80", 4, &bad) == -1 && bad == 2);	/* truncated */
	CHECK(utf8_count("\xe2\x80\x91x", 4) == 2);
}

TEST(wrap_counts_characters)
{
	struct buf	b;
	const char	*s = "\xe2\x80\x9c" "aaaa bbbb cccc dddd" "\xe2\x80\x9d";

	buf_init(&b, 0);
	markdown_wrap(s, strlen(s), "", "", 10, &b);
	/* 5 characters + space + 4 = 10: fits; the closing quote counts 1 */
	CHECK_STR(b.data, "\xe2\x80\x9c" "aaaa bbbb\ncccc dddd" "\xe2\x80\x9d\n");
	buf_free(&b);
}

TEST(text_links_become_references)
{
	struct buf	 b;
	const char	*md = "See [the notes](https://example.org/n) and "
	    "https://example.org/raw and [again](https://example.org/n).\n";

	buf_init(&b, 0);
	REQUIRE(markdown_text(md, strlen(md), 72, &b) == 0);
	CHECK(strstr(b.data, "the notes [1]") != NULL);
	CHECK(strstr(b.data, "again [1]") != NULL);
	CHECK(strstr(b.data, "https://example.org/raw and") != NULL);
	CHECK(strstr(b.data, "\n[1] https://example.org/n\n") != NULL);
	CHECK(strstr(b.data, "[2]") == NULL);
	buf_free(&b);
}

TEST(token_round_trip_and_forgery)
{
	struct token_key	 k, other;
	char			 tok[TOKEN_MAX], addr[300];
	const char		*why;

	memset(&k, 1, sizeof(k));
	memset(&other, 2, sizeof(other));
	REQUIRE(token_make(&k, TOKEN_UNSUBSCRIBE, "weekly", "a@example.org",
	    tok) > 0);
	CHECK(token_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, addr, &why) == 0);
	CHECK_STR(addr, "a@example.org");
	CHECK(token_check(&k, TOKEN_UNSUBSCRIBE, "daily", tok, addr, &why) == -1);
	CHECK(token_check(&other, TOKEN_UNSUBSCRIBE, "weekly", tok, addr,
	    &why) == -1);
	tok[strlen(tok) - 1] = tok[strlen(tok) - 1] == 'A' ? 'B' : 'A';
	CHECK(token_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, addr, &why) == -1);
	tok[strlen(tok) - 3] = '\0';	/* truncated */
	CHECK(token_check(&k, TOKEN_UNSUBSCRIBE, "weekly", tok, addr, &why) == -1);
}

TEST(template_contexts)
{
	struct tpl	t;
	char		err[ERRLEN];
	const char	*ok = "<a href=\"{{unsubscribe_url}}\" title='{{name}}'>"
	    "{{email}}</a>";

	REQUIRE(tpl_parse("t.html", ok, strlen(ok), TPL_HTML, 0, &t, err,
	    sizeof(err)) == 0);
	CHECK(t.nsegs == 7);
	CHECK(t.segs[1].ctx == TPL_CTX_URL);
	CHECK(t.segs[3].ctx == TPL_CTX_ATTR);
	CHECK(t.segs[5].ctx == TPL_CTX_TEXT);
	tpl_free(&t);
	CHECK(tpl_parse("t.html", "<a href={{x}}>", 14, TPL_HTML, 0, &t, err,
	    sizeof(err)) == -1);
	CHECK(tpl_parse("t.html", "<style>\n{{x}}</style>", 21, TPL_HTML, 0, &t,
	    err, sizeof(err)) == -1);
	CHECK_STR(err, "t.html:2: {{x}}: a placeholder cannot stand inside "
	    "<style> or <script>");
	CHECK(tpl_parse("t.html", "<p {{x}}>", 9, TPL_HTML, 0, &t, err,
	    sizeof(err)) == -1);
	CHECK(tpl_parse("t.html", "<!-- {{x}} -->", 14, TPL_HTML, 0, &t, err,
	    sizeof(err)) == -1);
	CHECK(tpl_parse("t.html", "{{x", 3, TPL_HTML, 0, &t, err,
	    sizeof(err)) == -1);
}

/* ---- whole messages ------------------------------------------------- */

static struct list_conf test_list = {
	.name = "weekly", .display_name = "The Test List",
	.from_address = "list@example.org", .from_name = "The Test List",
	.list_id = "test.example.org", .base_url = "https://lists.example.org",
	.postal_address = "1 Test Street", .template_set = "default",
	.unsubscribe_mailto = "unsub@example.org", .why = "Because you asked.",
	.feedback_sender = "example.org",
};

static struct composed_issue *
compose_text(const char *md, char *err)
{
	static struct config	 cfg;
	struct token_key	 key;
	struct issue		*is;
	struct composed_issue	*ci;
	struct diag		 w = { 0 };

	cfg.templates_dir = "templates";
	cfg.html_warn_bytes = 102 * 1024;
	memset(&key, 9, sizeof(key));
	if ((is = issue_parse("t.md", md, strlen(md), err, ERRLEN)) == NULL)
		return NULL;
	ci = compose_issue(&cfg, &test_list, is, &key, &w, err, ERRLEN);
	issue_free(is);
	diag_free(&w);
	return ci;
}

TEST(compose_is_deterministic)
{
	struct composed_issue	*a, *b;
	struct recipient	 r = { "Reader@Example.org", "R\xc3\xa9" "ader" };
	struct recipient	 r2 = { "other@example.org", NULL };
	struct buf		 m1, m2, m3;
	char			 err[ERRLEN];
	const char		*md = "---\nsubject: S\ndate: 2026-03-01\n---\n"
	    "Hi {{name}} <{{email}}>\n";

	buf_init(&m1, 0);
	buf_init(&m2, 0);
	buf_init(&m3, 0);
	a = compose_text(md, err);
	b = compose_text(md, err);
	REQUIRE(a && b);
	if (compose_message(a, &r, &m1, err, sizeof(err)) == -1)
		fprintf(stderr, "%s\n", err);
	REQUIRE(m1.len > 0);
	REQUIRE(compose_message(b, &r, &m2, err, sizeof(err)) == 0);
	REQUIRE(compose_message(a, &r2, &m3, err, sizeof(err)) == 0);
	CHECK(m1.len == m2.len && memcmp(m1.data, m2.data, m1.len) == 0);
	CHECK(strstr(m1.data, "Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n"));
	CHECK(strstr(m1.data, "Hi=20=\r\nR=C3=A9ader=\r\n") != NULL);
	CHECK(strstr(m1.data, " &lt;=\r\nReader@Example.org=\r\n&gt;") != NULL);
	/* another reader gets another Message-ID */
	CHECK(strstr(m3.data, strstr(m1.data, "Message-ID:")) == NULL);
	buf_free(&m1);
	buf_free(&m2);
	buf_free(&m3);
	compose_free(a);
	compose_free(b);
}

TEST(compose_refuses_injection)
{
	struct composed_issue	*ci;
	struct recipient	 r = { "a@example.org", "Eve\r\nBcc: x@evil.example" };
	struct recipient	 r2 = { "a@example.org\r\nBcc: x@evil.example", NULL };
	struct buf		 m;
	char			 err[ERRLEN];

	buf_init(&m, 0);
	ci = compose_text("---\nsubject: S\n---\nx\n", err);
	REQUIRE(ci != NULL);
	CHECK(compose_message(ci, &r, &m, err, sizeof(err)) == -1);
	CHECK(compose_message(ci, &r2, &m, err, sizeof(err)) == -1);
	CHECK(m.len == 0);
	compose_free(ci);
	buf_free(&m);
}

TEST(compose_unknown_placeholders_and_keys)
{
	struct composed_issue	*ci;
	char			 err[ERRLEN];

	CHECK(compose_text("---\nsubject: S\n---\nline\n\nHi {{nmae}}\n", err)
	    == NULL);
	CHECK_STR(err, "t.md:6: unknown placeholder {{nmae}}");
	CHECK(compose_text("---\nsubject: S\nauthor: me\n---\nx\n", err) == NULL);
	CHECK(strncmp(err, "t.md:3: unknown key 'author'", 28) == 0);
	/* braces that do not form a placeholder are the author's text */
	ci = compose_text("---\nsubject: S\n---\nuse {{ like this\n", err);
	CHECK(ci != NULL);
	compose_free(ci);
}

/* Renders md as text at width 72 into a static buffer. */
static const char *
text_of(const char *md)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 0);
	if (markdown_text(md, strlen(md), 72, &b) == -1)
		return "(failed)";
	return b.data ? b.data : "";
}

TEST(compose_wrap_breaks_glued_words_last)
{
	struct buf	 b;
	const char	*nnbsp = "one\xe2\x80\xaftwo\xe2\x80\xafthree";
	const char	*nbhy = "alpha\xe2\x80\x91" "beta\xe2\x80\x91" "gamma";
	const char	*url = "https://example.org/aaaaaaaaaaaaaaaa";

	buf_init(&b, 0);
	/* glued words that fit a line stay together */
	markdown_wrap(nnbsp, strlen(nnbsp), "", "", 20, &b);
	CHECK_STR(b.data, "one\xe2\x80\xaftwo\xe2\x80\xafthree\n");
	buf_reset(&b);
	/* wider than a line: no-break spaces yield, and vanish at the break */
	markdown_wrap(nnbsp, strlen(nnbsp), "", "", 8, &b);
	CHECK_STR(b.data, "one\xe2\x80\xaftwo\nthree\n");
	buf_reset(&b);
	/* no-break hyphens yield too, and stay at the end of the line */
	markdown_wrap(nbhy, strlen(nbhy), "> ", "> ", 14, &b);
	CHECK_STR(b.data, "> alpha\xe2\x80\x91" "beta\xe2\x80\x91\n> gamma\n");
	buf_reset(&b);
	/* a URL never breaks */
	markdown_wrap(url, strlen(url), "", "", 10, &b);
	CHECK_STR(b.data, "https://example.org/aaaaaaaaaaaaaaaa\n");
	buf_reset(&b);
	/* glue is a space that does not break */
	markdown_wrap("aaaa bbbb\x1f[1]", 13, "", "", 10, &b);
	CHECK_STR(b.data, "aaaa\nbbbb [1]\n");
	buf_free(&b);
}

TEST(compose_wrap_counts_terminal_columns)
{
	struct buf	 b;
	const char	*cjk = "\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e\xe3\x81\xae "
	    "abc";	/* 日本 語の abc: 4 + 1 + 4 + 1 + 3 columns */

	CHECK(utf8_width("\xe6\x97\xa5", 3) == 2);
	CHECK(utf8_width("e\xcc\x81", 3) == 1);		/* e + combining acute */
	CHECK(utf8_width("\xf0\x9f\xa7\xaa", 4) == 2);	/* an emoji */
	CHECK(utf8_width("\xe2\x80\x94", 3) == 1);	/* em dash */
	buf_init(&b, 0);
	markdown_wrap(cjk, strlen(cjk), "", "", 9, &b);
	CHECK_STR(b.data, "\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e\xe3\x81\xae\nabc\n");
	buf_free(&b);
}

TEST(compose_text_references_stay_with_their_words)
{
	const char *t = text_of("The style guide that we follow, for what it "
	    "is worth, is [the short one](https://example.org/g).\n");

	CHECK_STR(t, "The style guide that we follow, for what it is worth, is "
	    "the short\none [1].\n\n[1] https://example.org/g\n");
}

TEST(compose_text_tables_align)
{
	const char *t = text_of("| Item | Count | Note |\n| :-- | --: | :-: |\n"
	    "| apples | 3 | red |\n| kiwis | 12 | - |\n");

	CHECK_STR(t, "Item    Count  Note\n------  -----  ----\n"
	    "apples      3  red\nkiwis      12   -\n");
	/* too wide for aligned columns: a row a line, wrapped */
	t = text_of("| a | b |\n| --- | --- |\n| " "xxxxxxxxxx xxxxxxxxxx "
	    "xxxxxxxxxx xxxxxxxxxx | yyyyyyyyyy yyyyyyyyyy yyyyyyyyyy "
	    "yyyyyyyyyy |\n");
	CHECK(strncmp(t, "a | b\n-----\nxxxxxxxxxx", 22) == 0);
	CHECK(strstr(t, "\n  yyyy") != NULL);
	/* in a quote, every line keeps the quote's prefix */
	t = text_of("> | a | b |\n> | --- | --- |\n> | 1 | 2 |\n");
	CHECK_STR(t, "> a  b\n> -  -\n> 1  2\n");
}

TEST(compose_html_cells_and_code_blocks)
{
	struct markdown_style	 st[] = {
		{ "th", "padding:2px;text-align:left;" },
		{ "code", "background:#eee;" },
		{ "pre code", "background:none;" },
	};
	struct buf		 b;
	const char		*md = "| a | b |\n| --- | --: |\n| 1 | 2 |\n\n"
	    "```\nx = 1\n```\n\nand `y`\n";

	buf_init(&b, 0);
	REQUIRE(markdown_html(md, strlen(md), st, 3, &b) == 0);
	CHECK(strstr(b.data, "<th style=\"padding:2px;text-align:left;\">a")
	    != NULL);
	/* the column's alignment wins over the style's */
	CHECK(strstr(b.data, "<th style=\"padding:2px;text-align:left;"
	    "text-align:right;\" align=\"right\">b") != NULL);
	CHECK(strstr(b.data, "<pre><code style=\"background:none;\">x = 1")
	    != NULL);
	CHECK(strstr(b.data, "<code style=\"background:#eee;\">y</code>")
	    != NULL);
	buf_free(&b);
}

TEST(compose_issue_empty_and_undated)
{
	struct issue	*is;
	char		 err[ERRLEN];
	const char	*undated = "---\nsubject: a\n---\nx\n";

	CHECK(issue_parse("i.md", "", 0, err, sizeof(err)) == NULL);
	CHECK_STR(err, "i.md:1: the issue is empty");
	CHECK(issue_parse("i.md", " \n\n", 3, err, sizeof(err)) == NULL);
	CHECK_STR(err, "i.md:1: the issue is empty");
	REQUIRE((is = issue_parse("i.md", undated, strlen(undated), err,
	    sizeof(err))) != NULL);
	CHECK(!is->has_date);
	CHECK(is->date > 0);
	CHECK(is->date_text[0] != '\0');	/* the templates show today */
	issue_free(is);
}

TEST(compose_wrap_leaves_room_for_placeholders)
{
	struct buf	b;

	buf_init(&b, 0);
	/* "Hello {{name}}," counts 6 + 24 + 1 columns, not 15 */
	markdown_wrap("Hello {{name}}, and welcome", 27, "", "", 32, &b);
	CHECK_STR(b.data, "Hello {{name}},\nand welcome\n");
	buf_free(&b);
}

TEST(compose_header_encoded_words_fill_the_line)
{
	struct buf	 b;
	const char	*why;

	buf_init(&b, 0);
	/* a name that fits one encoded-word takes one, whatever its spaces */
	REQUIRE(header_add_mailbox(&b, "From", "Caf\xc3\xa9 Cr\xc3\xa8me \xe2\x80\x94 "
	    "Weekly Notes", "a@example.org", &why) == 0);
	CHECK_STR(b.data, "From: =?UTF-8?Q?Caf=C3=A9_Cr=C3=A8me_=E2=80=94_Weekly_"
	    "Notes?= <a@example.org>\r\n");
	buf_reset(&b);
	/* a longer one is split after a space, not inside a word */
	REQUIRE(header_add_text(&b, "Subject", "\xe2\x80\x9c" "aaaa bbbb cccc "
	    "dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp",
	    &why) == 0);
	CHECK_STR(b.data, "Subject: =?UTF-8?Q?=E2=80=9Caaaa_bbbb_cccc_dddd_eeee_"
	    "ffff_gggg_hhhh_iiii_?=\r\n =?UTF-8?Q?jjjj_kkkk_llll_mmmm_nnnn_oooo_"
	    "pppp?=\r\n");
	buf_free(&b);
}

TEST(compose_html_last_paragraph_of_a_quote)
{
	struct markdown_style	 st[] = {
		{ "p", "margin:0 0 16px;" },
		{ "last p", "margin:0;" },
	};
	struct buf		 b;
	const char		*md = "> one\n>\n> two\n\n- a\n\n  b\n\nend\n";

	buf_init(&b, 0);
	REQUIRE(markdown_html(md, strlen(md), st, 2, &b) == 0);
	CHECK(strstr(b.data, "<p style=\"margin:0 0 16px;\">one</p>") != NULL);
	CHECK(strstr(b.data, "<p style=\"margin:0;\">two</p>\n</blockquote>")
	    != NULL);
	CHECK(strstr(b.data, "<p style=\"margin:0;\">b</p>\n</li>") != NULL);
	/* the issue's own last paragraph keeps its margin */
	CHECK(strstr(b.data, "<p style=\"margin:0 0 16px;\">end</p>") != NULL);
	buf_free(&b);
}

TEST(compose_text_empty_link_destinations)
{
	/* an empty href or src was handed on without its terminating NUL */
	CHECK_STR(text_of("[x]() and ![i]()\n"), "x and [image: i]\n");
}

TEST(compose_html_long_glued_runs_get_spaces)
{
	struct buf	 b;
	const char	*md = "10\xe2\x80\xafkm, then "
	    "one\xe2\x80\xaftwo\xe2\x80\xafthree\xe2\x80\xaf" "four\xc2\xa0"
	    "five\xe2\x80\xafsix\xe2\x80\xafseven\xe2\x80\xaf" "eight.\n";

	buf_init(&b, 0);
	REQUIRE(markdown_html(md, strlen(md), NULL, 0, &b) == 0);
	/* a short glued run stays glued; one longer than 30 characters,
	 * where a browser could only break inside words, gets spaces */
	CHECK_STR(b.data, "<p>10\xe2\x80\xafkm, then one two three four five six "
	    "seven eight.</p>\n");
	buf_free(&b);
}
