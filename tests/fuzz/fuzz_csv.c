/*
 * fuzz_csv.c — fuzz target for the CSV reader: any input, read to the end;
 * every good record, written back with csv_put() and read again, gives
 * the same fields (the writer and the reader agree).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(struct csv *c)
{
	char		*buf = NULL, **copy;
	const char	*why;
	size_t		 len = 0, i, n = csv_nfields(c);
	struct csv	*r;
	FILE		*fp;

	if ((copy = calloc(n, sizeof(*copy))) == NULL)
		abort();
	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if ((copy[i] = strdup(csv_field(c, i))) == NULL)
			abort();
		csv_put(fp, copy[i], i + 1 == n);
	}
	fclose(fp);
	if ((fp = fmemopen(buf, len, "r")) == NULL || (r = csv_new(fp)) == NULL)
		abort();
	/* a record of one empty field is an empty line, which is skipped */
	if (!(n == 1 && copy[0][0] == '\0')) {
		if (csv_next(r, &why) != 1 || csv_nfields(r) != n)
			abort();
		for (i = 0; i < n; i++)
			if (strcmp(csv_unguard(csv_field(r, i)), copy[i]) != 0)
				abort();
	}
	csv_free(r);
	fclose(fp);
	for (i = 0; i < n; i++)
		free(copy[i]);
	free(copy);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv	*c;
	const char	*why;
	FILE		*fp;
	int		 rc, records = 0;

	if (size == 0)
		return 0;
	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		abort();
	if ((c = csv_new(fp)) == NULL)
		abort();
	while ((rc = csv_next(c, &why)) != 0) {
		if (rc == -1 && why == NULL)
			abort();
		if (rc == 1 && records++ < 64)
			round_trip(c);
		if (csv_offset(c) > size)
			abort();
	}
	csv_free(c);
	fclose(fp);
	return 0;
}
