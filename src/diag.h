/*
 * diag.h — a list of diagnostics ("file:line: message"), errors and warnings.
 *
 * Loaders that check a whole file collect every problem here instead of
 * stopping at the first, so that check-config can report them all. The
 * list owns its strings; diag_free() releases them.
 */
#ifndef DISPATCHER_DIAG_H
#define DISPATCHER_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag_item {
	enum diag_level	 level;
	char		*text;
};

struct diag {
	struct diag_item	*items;
	size_t			 n;
	size_t			 errors;
};

void	diag_add(struct diag *d, enum diag_level level, const char *file,
	    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void	diag_print(const struct diag *d, FILE *fp);
void	diag_free(struct diag *d);

#endif
