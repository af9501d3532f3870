/*
 * test_csv.c — the CSV reader's edge cases (RFC 4180 quoting, line ends,
 * BOM, limits, line numbers) and the formula-safe writer.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "unit.h"

/* Parses data and renders every record as "a|b|c" lines; errors as
 * "!LINE reason". Returns a static string. */
static const char *
parse(const char *data, size_t n)
{
	static char	 out[4096];
	const char	*why;
	struct csv	*c;
	FILE		*fp = fmemopen((void *)(uintptr_t)data, n, "r");
	size_t		 i, len = 0;
	int		 rc;

	out[0] = '\0';
	if (fp == NULL || (c = csv_new(fp)) == NULL)
		return "(alloc)";
	while ((rc = csv_next(c, &why)) != 0) {
		if (rc == -1) {
			len += (size_t)snprintf(out + len, sizeof(out) - len,
			    "!%lu %s\n", csv_line(c), why);
			continue;
		}
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%lu:",
		    csv_line(c));
		for (i = 0; i < csv_nfields(c); i++)
			len += (size_t)snprintf(out + len, sizeof(out) - len,
			    "%s%s", i ? "|" : "", csv_field(c, i));
		len += (size_t)snprintf(out + len, sizeof(out) - len, "\n");
	}
	csv_free(c);
	fclose(fp);
	return out;
}

#define P(s)	parse(s, sizeof(s) - 1)

TEST(csv_plain_and_line_ends)
{
	CHECK_STR(P("a,b,c\nd,e,f\n"), "1:a|b|c\n2:d|e|f\n");
	CHECK_STR(P("a,b\r\nc,d\r\n"), "1:a|b\n2:c|d\n");
	CHECK_STR(P("a,b\rc,d"), "1:a|b\n2:c|d\n");
	CHECK_STR(P("a,b"), "1:a|b\n");
	CHECK_STR(P("a,,\n"), "1:a||\n");
	CHECK_STR(P(""), "");
}

TEST(csv_quotes)
{
	CHECK_STR(P("\"a,b\",c\n"), "1:a,b|c\n");
	CHECK_STR(P("\"say \"\"hi\"\"\",x\n"), "1:say \"hi\"|x\n");
	CHECK_STR(P("\"two\r\nlines\",x\r\nnext,y\r\n"),
	    "1:two\r\nlines|x\n3:next|y\n");
	CHECK_STR(P("\"\",x\n"), "1:|x\n");
	/* lenient: a quote inside an unquoted field, text after a quote */
	CHECK_STR(P("ab\"c,d\n"), "1:ab\"c|d\n");
	CHECK_STR(P("\"ab\"c,d\n"), "1:abc|d\n");
	CHECK_STR(P("a,\"open\n"), "!1 unterminated quoted field\n");
}

TEST(csv_bom_and_empty_lines)
{
	CHECK_STR(P("\xef\xbb\xbf" "email,name\nx@y.z,X\n"),
	    "1:email|name\n2:x@y.z|X\n");
	CHECK_STR(P("a\n\n\r\nb\n"), "1:a\n4:b\n");
}

TEST(csv_limits_and_nul)
{
	char		*big;
	const char	*out;
	size_t		 n = CSV_RECORD_MAX + 100, i;

	big = malloc(n + 16);
	REQUIRE(big != NULL);
	memset(big, 'x', n);
	memcpy(big + n, "\nok,1\n", 6);
	out = parse(big, n + 6);
	CHECK_STR(out, "!1 row longer than 65536 bytes\n2:ok|1\n");
	for (i = 0; i < 300; i++)
		big[i] = ',';
	memcpy(big + 300, "\nok\n", 4);
	CHECK_STR(parse(big, 304), "!1 more than 256 fields in the row\n2:ok\n");
	free(big);
	CHECK_STR(parse("a\0b,c\nd\n", 8), "!1 NUL byte in the row\n2:d\n");
}

TEST(csv_writer_guards_formulas)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	REQUIRE(fp != NULL);
	csv_put(fp, "=HYPERLINK(\"x\")", 0);
	csv_put(fp, "+1", 0);
	csv_put(fp, "-2", 0);
	csv_put(fp, "@SUM(A1)", 0);
	csv_put(fp, "'quoted", 0);
	csv_put(fp, "''x", 0);
	csv_put(fp, "plain, comma", 0);
	csv_put(fp, "ok", 1);
	fclose(fp);
	CHECK_STR(buf, "\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\","
	    "'quoted,\"'''x\",\"plain, comma\",ok\r\n");
	/* and the reader side undoes exactly that */
	CHECK_STR(csv_unguard("'=HYPERLINK(\"x\")"), "=HYPERLINK(\"x\")");
	CHECK_STR(csv_unguard("'''x"), "''x");
	CHECK_STR(csv_unguard("'quoted"), "'quoted");
	CHECK_STR(csv_unguard("-2"), "-2");
	free(buf);
}
