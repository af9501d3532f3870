/*
 * header.c — header field writer: folding, quoting, encoded-words, and the
 * one place that keeps CR and LF out of headers (see header.h).
 */
#include "header.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define FOLD_AT		78
#define EW_MAX		75	/* an encoded-word's length (RFC 2047 2) */
#define EW_MIN		24	/* fold rather than start a shorter one */

static int
check_controls(const char *s, const char **reason)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			*reason = (*s == '\r' || *s == '\n') ?
			    "a line break is not allowed in a header value" :
			    "a control character is not allowed in a header value";
			return -1;
		}
	return 0;
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * Appends "name: " and the words of value (split at spaces), starting a new
 * folded line when the next word would pass FOLD_AT.
 */
static int
add_folded(struct buf *out, const char *name, const char *value)
{
	const char	*p = value, *w;
	size_t		 col, wl;

	if (buf_printf(out, "%s:", name) == -1)
		return -1;
	col = strlen(name) + 1;
	while (*p) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p && *p != ' ')
			p++;
		wl = (size_t)(p - w);
		if (col + 1 + wl > FOLD_AT && col > strlen(name) + 1) {
			if (buf_add(out, "\r\n", 2) == -1)
				return -1;
			col = 0;
		}
		if (buf_addc(out, ' ') == -1 || buf_add(out, w, wl) == -1)
			return -1;
		col += 1 + wl;
	}
	return buf_add(out, "\r\n", 2);
}

int
header_add(struct buf *out, const char *name, const char *value,
    const char **reason)
{
	size_t	mark = out->len;

	if (check_controls(value, reason) == -1)
		return -1;
	if (!is_ascii(value)) {
		*reason = "non-ASCII character in a structured header";
		return -1;
	}
	if (add_folded(out, name, value) == -1) {
		out->len = mark;
		*reason = "message too large";
		return -1;
	}
	return 0;
}

/* Characters that may stand for themselves in a Q encoded-word (the
 * strictest set, RFC 2047 5(3), so the word is valid in a phrase too). */
static int
q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

/*
 * Appends text as space-separated encoded-words, each as long as the line
 * has room for (at most EW_MAX), so that a short display name or subject
 * takes one word: decoders differ on the space between two.
 */
static int
add_encoded_words(struct buf *out, const char *text, size_t *col)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const char		*p = text, *brk;
	char			 word[EW_MAX + 16];
	size_t			 wl, cl, i, need, brk_wl = 0, room;
	uint32_t		 cp;

	while (*p) {
		if (*col + 1 + EW_MIN > FOLD_AT) {
			if (buf_add(out, "\r\n", 2) == -1)
				return -1;
			*col = 0;
		}
		room = FOLD_AT - *col - 1;
		if (room > EW_MAX)
			room = EW_MAX;
		wl = (size_t)snprintf(word, sizeof(word), "=?UTF-8?Q?");
		brk = NULL;
		while (*p) {
			cl = utf8_decode(p, strlen(p), &cp);
			need = 0;
			for (i = 0; i < cl; i++)
				need += (p[i] == ' ' || q_plain((unsigned char)p[i])) ?
				    1 : 3;
			if (wl + need + 2 > room) {
				/* end the word after a space, so that no word
				 * of the text is split between two (some
				 * decoders put a space where they join) */
				if (brk != NULL) {
					p = brk;
					wl = brk_wl;
				}
				break;
			}
			for (i = 0; i < cl; i++) {
				unsigned char c = (unsigned char)p[i];
				if (c == ' ')
					word[wl++] = '_';
				else if (q_plain(c))
					word[wl++] = (char)c;
				else {
					word[wl++] = '=';
					word[wl++] = hex[c >> 4];
					word[wl++] = hex[c & 15];
				}
			}
			p += cl;
			if (cl == 1 && p[-1] == ' ') {
				brk = p;
				brk_wl = wl;
			}
		}
		word[wl++] = '?';
		word[wl++] = '=';
		if (buf_addc(out, ' ') == -1 || buf_add(out, word, wl) == -1)
			return -1;
		*col += 1 + wl;
	}
	return 0;
}

int
header_add_text(struct buf *out, const char *name, const char *text,
    const char **reason)
{
	size_t	mark = out->len, col;

	if (check_controls(text, reason) == -1)
		return -1;
	if (utf8_check(text, strlen(text), NULL) == -1) {
		*reason = "invalid UTF-8 in a header value";
		return -1;
	}
	/* plain when it can be: ASCII that does not look like an encoded-word */
	if (is_ascii(text) && strstr(text, "=?") == NULL)
		return header_add(out, name, text, reason);
	if (buf_printf(out, "%s:", name) == -1)
		goto full;
	col = strlen(name) + 1;
	if (add_encoded_words(out, text, &col) == -1 ||
	    buf_add(out, "\r\n", 2) == -1)
		goto full;
	return 0;
full:
	out->len = mark;
	*reason = "message too large";
	return -1;
}

static int
is_atext_phrase(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ' ' ||
		    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			return 0;
	}
	return 1;
}

int
header_add_mailbox(struct buf *out, const char *name, const char *display,
    const char *address, const char **reason)
{
	size_t		 mark = out->len, col;
	const char	*p;

	if (check_controls(address, reason) == -1 ||
	    (display && check_controls(display, reason) == -1))
		return -1;
	if (display && utf8_check(display, strlen(display), NULL) == -1) {
		*reason = "invalid UTF-8 in a display name";
		return -1;
	}
	if (display == NULL || *display == '\0')
		return buf_printf(out, "%s: <%s>\r\n", name, address) == -1 ?
		    (*reason = "message too large", -1) : 0;
	if (buf_printf(out, "%s:", name) == -1)
		goto full;
	col = strlen(name) + 1;
	if (!is_ascii(display) || strstr(display, "=?") != NULL) {
		if (add_encoded_words(out, display, &col) == -1)
			goto full;
	} else if (is_atext_phrase(display)) {
		if (buf_printf(out, " %s", display) == -1)
			goto full;
		col += 1 + strlen(display);
	} else {
		if (buf_add(out, " \"", 2) == -1)
			goto full;
		for (p = display; *p; p++)
			if (((*p == '"' || *p == '\\') && buf_addc(out, '\\') == -1) ||
			    buf_addc(out, *p) == -1)
				goto full;
		if (buf_addc(out, '"') == -1)
			goto full;
		col += 3 + strlen(display);
	}
	if (col + 3 + strlen(address) > FOLD_AT && buf_add(out, "\r\n", 2) == -1)
		goto full;
	if (buf_printf(out, " <%s>\r\n", address) == -1)
		goto full;
	return 0;
full:
	out->len = mark;
	*reason = "message too large";
	return -1;
}

void
header_date(time_t t, int tz_minutes, char *out, size_t outlen)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char	*months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;
	time_t			 local = t + (time_t)tz_minutes * 60;
	int			 off = tz_minutes < 0 ? -tz_minutes : tz_minutes;

	gmtime_r(&local, &tm);
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, tz_minutes < 0 ? '-' : '+',
	    off / 60, off % 60);
}
