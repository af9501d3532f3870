/*
 * fuzz_issue.c — fuzz target for the issue path: front matter, Markdown to
 * HTML and to text, and the template binding, with a fixed list and key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compose.h"
#include "issue.h"
#include "log.h"
#include "markdown.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config *
fuzz_config(void)
{
	static struct config	 cfg;
	static struct list_conf	 l;

	l.name = "weekly";
	l.display_name = "Fuzz \"List\" <x>";
	l.from_address = "list@example.org";
	l.from_name = "Fuzz List";
	l.list_id = "fuzz.example.org";
	l.base_url = "https://example.org";
	l.postal_address = "1 Street";
	l.template_set = "default";
	l.unsubscribe_mailto = "u@example.org";
	l.why = "Because.";
	l.feedback_sender = "example.org";
	cfg.templates_dir = "templates";
	cfg.html_warn_bytes = 102 * 1024;
	cfg.lists = &l;
	cfg.nlists = 1;
	return &cfg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config		*cfg = fuzz_config();
	struct token_key	 key;
	struct issue		*is;
	struct composed_issue	*ci;
	struct recipient	 r = { "reader@example.com", "A \"Reader\"" };
	struct diag		 w = { 0 };
	struct buf		 out;
	char			 err[ERRLEN];

	memset(&key, 7, sizeof(key));
	buf_init(&out, 0);
	/* the renderers alone, on the raw bytes */
	markdown_text((const char *)data, size, 72, &out);
	buf_reset(&out);
	markdown_html((const char *)data, size, NULL, 0, &out);
	buf_reset(&out);
	if ((is = issue_parse("fuzz.md", (const char *)data, size, err,
	    sizeof(err))) != NULL) {
		ci = compose_issue(cfg, &cfg->lists[0], is, &key, &w, err,
		    sizeof(err));
		if (ci && compose_message(ci, &r, &out, err, sizeof(err)) == 0 &&
		    (memchr(out.data, '\0', out.len) != NULL))
			abort();	/* a message never holds a NUL */
		compose_free(ci);
		issue_free(is);
	}
	diag_free(&w);
	buf_free(&out);
	return 0;
}
