/*
 * json.c — the JSON string escaper (see json.h).
 */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int
json_add_string(struct buf *out, const char *s)
{
	size_t		 n, i, k;
	uint32_t	 cp;
	unsigned char	 c;
	char		 esc[8];
	int		 rc = 0;

	if (s == NULL)
		return buf_adds(out, "null");
	n = strlen(s);
	rc |= buf_addc(out, '"');
	for (i = 0; i < n && rc == 0; i += k) {
		c = (unsigned char)s[i];
		k = 1;
		if (c >= 0x80) {
			k = utf8_decode(s + i, n - i, &cp);
			if (cp == 0xfffd && k == 1)
				rc |= buf_adds(out, "\xef\xbf\xbd");
			else
				rc |= buf_add(out, s + i, k);
			continue;
		}
		switch (c) {
		case '"':
			rc |= buf_adds(out, "\\\"");
			break;
		case '\\':
			rc |= buf_adds(out, "\\\\");
			break;
		case '\n':
			rc |= buf_adds(out, "\\n");
			break;
		case '\r':
			rc |= buf_adds(out, "\\r");
			break;
		case '\t':
			rc |= buf_adds(out, "\\t");
			break;
		case '\b':
			rc |= buf_adds(out, "\\b");
			break;
		case '\f':
			rc |= buf_adds(out, "\\f");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				rc |= buf_adds(out, esc);
			} else
				rc |= buf_addc(out, (char)c);
		}
	}
	rc |= buf_addc(out, '"');
	return rc ? -1 : 0;
}
