/*
 * csv.h — a streaming RFC 4180 reader and a formula-safe writer.
 *
 * The reader takes fields separated by commas, records ended by CRLF, LF or
 * a lone CR, fields in double quotes holding commas, line breaks and doubled
 * quotes, and skips a UTF-8 byte order mark at the start and empty lines.
 * It is lenient where spreadsheets are sloppy: a quote inside an unquoted
 * field, or text after a closing quote, is kept as text. It reads through a
 * fixed buffer, so memory stays the same whatever the size of the input; a
 * record longer than CSV_RECORD_MAX bytes or with more than CSV_FIELDS_MAX
 * fields, or holding a NUL byte, is reported and skipped.
 * Pure parsing: nothing logs; reasons are constant strings.
 */
#ifndef DISPATCHER_CSV_H
#define DISPATCHER_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CSV_RECORD_MAX	65536	/* bytes of one record's fields */
#define CSV_FIELDS_MAX	256

struct csv;

/* A reader over fp (borrowed; not closed). NULL when out of memory. */
struct csv	*csv_new(FILE *fp);
void		 csv_free(struct csv *c);		/* accepts NULL */

/*
 * Reads the next record: 1 when there is one, 0 at the end of the input,
 * -1 when the record is bad (*reason says why; the record is skipped and
 * the next call goes on after it). A read error is reported as -1 once,
 * then the input ends.
 */
int		 csv_next(struct csv *c, const char **reason);

/* The fields of the current record: borrowed until the next csv_next().
 * csv_field() returns "" past the last field. */
size_t		 csv_nfields(const struct csv *c);
const char	*csv_field(const struct csv *c, size_t i);

/* The line where the current record began (1 is the first line). */
unsigned long	 csv_line(const struct csv *c);
/* Bytes of input consumed so far. */
uint64_t	 csv_offset(const struct csv *c);

/*
 * Writes one field to fp, quoted when it holds a comma, a quote, a line
 * break or surrounding space, or starts with a byte order mark. A field
 * that a spreadsheet would take as a formula (starting with =, +, -, @, tab
 * or CR; OWASP's advice) gets a leading apostrophe inside quotes, and so does one that starts with an
 * apostrophe, so that csv_unguard() undoes exactly what was added.
 * last ends the record with CRLF, else a comma follows.
 */
void		 csv_put(FILE *fp, const char *s, int last);

/* s without the apostrophe csv_put() adds to a formula-like field. */
const char	*csv_unguard(const char *s);

#endif
