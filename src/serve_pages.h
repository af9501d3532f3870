/*
 * serve_pages.h — the HTML pages `dispatcher serve` answers with, filled
 * from templates/SET/page-form.html (a page with one button that POSTs)
 * and templates/SET/page-message.html (a page that only says something).
 *
 * The placeholders a page template may use are the fields of struct
 * page_vars; any other name is an error when the set is loaded, naming the
 * file and line. Every value is HTML-escaped for its place (template.h
 * finds the context and refuses places no escaping makes safe); the form's
 * action must be a path on this server (it starts with "/").
 */
#ifndef DISPATCHER_SERVE_PAGES_H
#define DISPATCHER_SERVE_PAGES_H

#include <stddef.h>

#include "buf.h"

struct pages;

/* What a page shows. NULL fields are empty. */
struct page_vars {
	const char	*title;		/* <title> */
	const char	*list_name;	/* the list's display name */
	const char	*heading;
	const char	*message;
	const char	*detail;	/* a second line: the masked address */
	const char	*action;	/* page-form: where the button POSTs */
	const char	*button;	/* page-form: the button's label */
	const char	*field_name;	/* page-form: a hidden field */
	const char	*field_value;
};

/* Loads the page templates of templates_dir/set. 0 and *out (free with
 * pages_free), or -1 with "file:line: reason" in err. */
int	pages_load(const char *templates_dir, const char *set,
	    struct pages **out, char *err, size_t errlen);
void	pages_free(struct pages *p);		/* accepts NULL */

/* Appends the form page (form 1) or the message page (form 0) to out.
 * 0, or -1 when out is full or the action is not a local path. */
int	pages_render(const struct pages *p, int form,
	    const struct page_vars *v, struct buf *out);

/* Writes address partly masked ("jo•••@example.org") into out (outlen
 * bytes, at least 16): enough for its reader to know it, not for a
 * passer-by to harvest it. */
void	pages_mask_address(const char *address, char *out, size_t outlen);

#endif
