/*
 * diag.c — collected diagnostics (see diag.h).
 */
#define _GNU_SOURCE
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
diag_add(struct diag *d, enum diag_level level, const char *file, int line,
    const char *fmt, ...)
{
	struct diag_item	*items;
	char			 where[600] = "", msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file && line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", file, line);
	else if (file)
		snprintf(where, sizeof(where), "%s: ", file);
	items = realloc(d->items, (d->n + 1) * sizeof(*items));
	if (items == NULL)
		abort();
	d->items = items;
	if (asprintf(&d->items[d->n].text, "%s%s%s", where,
	    level == DIAG_WARNING ? "warning: " : "", msg) == -1)
		abort();
	d->items[d->n].level = level;
	d->n++;
	if (level == DIAG_ERROR)
		d->errors++;
}

void
diag_print(const struct diag *d, FILE *fp)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", d->items[i].text);
}

void
diag_free(struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->items[i].text);
	free(d->items);
	d->items = NULL;
	d->n = d->errors = 0;
}
