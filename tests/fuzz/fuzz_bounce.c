/*
 * fuzz_bounce.c — fuzz target for the whole `bounce --dry-run` path:
 * libetpan's MIME parse, our extraction and classification, and the JSON
 * line for each recipient, which must always be one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_report	*r;
	struct buf		 out;
	const char		*reason;
	size_t			 i;

	/* -1 means memory ran out, which no input this small may cause */
	if (bounce_parse((const char *)data, size, &r, &reason) == -1)
		abort();
	buf_init(&out, 0);
	for (i = 0; i < r->nrcpts; i++) {
		json_add_string(&out, r->rcpts[i].recipient);
		json_add_string(&out, r->rcpts[i].diagnostic);
		json_add_string(&out, r->rcpts[i].action);
		json_add_string(&out, r->rcpts[i].remote_mta);
		json_add_string(&out, r->rcpts[i].reason);
		json_add_string(&out, bounce_class_name(r->rcpts[i].cls));
		if (r->rcpts[i].status[0] != '\0' &&
		    r->rcpts[i].status[1] != '.')
			abort();	/* a status is "C.S.D" or empty */
	}
	json_add_string(&out, r->original.message_id);
	for (i = 0; i < r->nenvelope; i++)
		json_add_string(&out, r->envelope[i]);
	if (out.len > 0 && memchr(out.data, '\n', out.len) != NULL)
		abort();	/* escaped output never holds a newline */
	buf_free(&out);
	bounce_report_free(r);
	return 0;
}
