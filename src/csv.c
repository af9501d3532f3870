/*
 * csv.c — the streaming CSV reader and writer (see csv.h).
 *
 * The reader is a four-state machine fed one byte at a time from a 64 KB
 * input buffer; fields go NUL-separated into a fixed record buffer with an
 * offset per field. Called by the import and export commands.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#define INBUF	65536

enum csv_state { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED };

struct csv {
	FILE		*fp;
	unsigned char	 in[INBUF];
	size_t		 inlen, inpos;
	uint64_t	 offset;
	int		 eof, started;
	int		 pending_cr;	/* a CR ended a record: eat a next LF */
	unsigned long	 line;		/* current physical line */
	unsigned long	 rec_line;	/* line where the record began */
	char		 rec[CSV_RECORD_MAX + CSV_FIELDS_MAX + 1];
	size_t		 reclen;	/* field bytes and their NULs */
	size_t		 off[CSV_FIELDS_MAX + 1];
	size_t		 nfields;
	const char	*bad;
};

struct csv *
csv_new(FILE *fp)
{
	struct csv	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fp = fp;
	c->line = 1;
	return c;
}

void
csv_free(struct csv *c)
{
	free(c);
}

/* The next byte, or -1 at the end of input (-2 on a read error). */
static int
next_byte(struct csv *c)
{
	if (c->inpos == c->inlen) {
		if (c->eof)
			return -1;
		c->inlen = fread(c->in, 1, sizeof(c->in), c->fp);
		c->inpos = 0;
		if (c->inlen == 0) {
			c->eof = 1;
			return ferror(c->fp) ? -2 : -1;
		}
		if (!c->started && c->inlen >= 3 && c->in[0] == 0xef &&
		    c->in[1] == 0xbb && c->in[2] == 0xbf)
			c->inpos = 3;
		c->started = 1;
		if (c->inpos == c->inlen)
			return next_byte(c);
	}
	c->offset++;
	return c->in[c->inpos++];
}

static void
add_byte(struct csv *c, int ch)
{
	if (ch == 0)
		c->bad = "NUL byte in the row";
	if (c->reclen - c->nfields >= CSV_RECORD_MAX) {
		c->bad = "row longer than 65536 bytes";
		return;
	}
	c->rec[c->reclen++] = (char)ch;
}

static void
end_field(struct csv *c)
{
	if (c->nfields == CSV_FIELDS_MAX) {
		c->bad = "more than 256 fields in the row";
		return;
	}
	c->rec[c->reclen++] = '\0';
	c->off[++c->nfields] = c->reclen;
}

static void
start_record(struct csv *c)
{
	c->reclen = 0;
	c->nfields = 0;
	c->off[0] = 0;
	c->bad = NULL;
	c->rec_line = c->line;
}

/* A record has ended at a line break or at the end of input. */
static int
end_record(struct csv *c, const char **reason)
{
	end_field(c);
	if (c->bad) {
		*reason = c->bad;
		return -1;
	}
	return 1;
}

static void
line_break(struct csv *c, int ch)
{
	c->line++;
	c->pending_cr = ch == '\r';
}

int
csv_next(struct csv *c, const char **reason)
{
	enum csv_state	st = FIELD_START;
	int		ch;

	start_record(c);
	for (;;) {
		ch = next_byte(c);
		if (c->pending_cr) {
			c->pending_cr = 0;
			if (ch == '\n')
				continue;
		}
		if (ch == -2) {
			*reason = "read error";
			return -1;
		}
		if (ch == -1) {
			if (st == QUOTED) {
				*reason = "unterminated quoted field";
				return -1;
			}
			if (st == FIELD_START && c->nfields == 0)
				return 0;
			return end_record(c, reason);
		}
		switch (st) {
		case FIELD_START:
			if (ch == '"') {
				st = QUOTED;
				break;
			}
			if (ch == '\r' || ch == '\n') {
				line_break(c, ch);
				if (c->nfields == 0) {
					start_record(c);	/* empty line */
					break;
				}
				return end_record(c, reason);
			}
			if (ch == ',') {
				end_field(c);
				break;
			}
			st = UNQUOTED;
			add_byte(c, ch);
			break;
		case UNQUOTED:
		case QUOTE_IN_QUOTED:
			if (ch == '"' && st == QUOTE_IN_QUOTED) {
				add_byte(c, '"');
				st = QUOTED;
			} else if (ch == ',') {
				end_field(c);
				st = FIELD_START;
			} else if (ch == '\r' || ch == '\n') {
				line_break(c, ch);
				return end_record(c, reason);
			} else {
				add_byte(c, ch);
				st = UNQUOTED;
			}
			break;
		case QUOTED:
			if (ch == '"') {
				st = QUOTE_IN_QUOTED;
				break;
			}
			if (ch == '\n')
				c->line++;
			add_byte(c, ch);
			break;
		}
	}
}

size_t
csv_nfields(const struct csv *c)
{
	return c->nfields;
}

const char *
csv_field(const struct csv *c, size_t i)
{
	return i < c->nfields ? c->rec + c->off[i] : "";
}

unsigned long
csv_line(const struct csv *c)
{
	return c->rec_line;
}

uint64_t
csv_offset(const struct csv *c)
{
	return c->offset;
}

static int
formula_like(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

void
csv_put(FILE *fp, const char *s, int last)
{
	size_t	n = strlen(s);
	int	guard = formula_like(s) || (s[0] == '\'' && (formula_like(s + 1) ||
		    s[1] == '\''));
	int	quote = guard || strpbrk(s, ",\"\r\n") != NULL ||
		    (n > 0 && (s[0] == ' ' || s[n - 1] == ' ')) ||
		    strncmp(s, "\xef\xbb\xbf", 3) == 0;	/* not read as a BOM */

	if (quote)
		fputc('"', fp);
	if (guard)
		fputc('\'', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	if (quote)
		fputc('"', fp);
	fputs(last ? "\r\n" : ",", fp);
}

const char *
csv_unguard(const char *s)
{
	if (s[0] == '\'' && (formula_like(s + 1) || s[1] == '\''))
		return s + 1;
	return s;
}
