/*
 * qp.c — quoted-printable encoder (see qp.h).
 */
#include "qp.h"

#include <string.h>

static const char hex[] = "0123456789ABCDEF";

void
qp_init(struct qp *q)
{
	q->col = 0;
}

static int
must_encode(const char *s, size_t i, size_t n, size_t col)
{
	unsigned char	c = (unsigned char)s[i];

	if (c == '=' || c > 126 || (c < 32 && c != ' ' && c != '\t'))
		return 1;
	if (c == ' ' || c == '\t')	/* trailing white space */
		return i + 1 == n || s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
	if (col == 0 && c == '.')
		return 1;
	if (col == 0 && c == 'F' && n - i >= 5 && memcmp(s + i, "From ", 5) == 0)
		return 1;
	return 0;
}

int
qp_encode(struct qp *q, const char *s, size_t n, struct buf *out)
{
	char	enc[3];
	size_t	i, w;
	int	encode;

	/* worst case: every byte as =XX plus a soft break per 25 bytes */
	if (buf_reserve(out, n * 3 + (n / 24 + 2) * 3) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			out->data[out->len++] = '\r';
			out->data[out->len++] = '\n';
			q->col = 0;
			continue;
		}
		encode = must_encode(s, i, n, q->col);
		w = encode ? 3 : 1;
		if (q->col + w > QP_LINE_MAX - 1) {
			out->data[out->len++] = '=';
			out->data[out->len++] = '\r';
			out->data[out->len++] = '\n';
			q->col = 0;
			encode = must_encode(s, i, n, 0);
			w = encode ? 3 : 1;
		}
		if (encode) {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			memcpy(out->data + out->len, enc, 3);
		} else
			out->data[out->len] = (char)c;
		out->len += w;
		q->col += w;
	}
	out->data[out->len] = '\0';
	return 0;
}

int
qp_break(struct qp *q, struct buf *out)
{
	if (q->col == 0)
		return 0;
	q->col = 0;
	return buf_add(out, "=\r\n", 3);
}
