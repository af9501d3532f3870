/*
 * markdown_text.c — Markdown to plain text on md4c's callbacks (markdown.h).
 *
 * Inline content is gathered into a paragraph buffer and written out, wrapped,
 * when its block ends. Containers (block quotes, list items) form a stack;
 * each gives the lines inside it a prefix ("> ", "- " on an item's first line
 * and "  " after). Links become "text [n]" with "[n] URL" lines collected at
 * the end, so that nothing of the source is lost and no URL is broken.
 */
#define _GNU_SOURCE		/* memmem */
#include "markdown.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "markdown_int.h"
#include "utf8.h"

/* md4c-html exports its HTML5 entity table; it is not in its header. */
struct entity {
	const char	*name;
	unsigned	 codepoints[2];
};
const struct entity *entity_lookup(const char *name, size_t name_size);

#define MAX_DEPTH	32
#define MAX_PREFIX	16

#define GAP		"  "	/* between the columns of an aligned table */

enum container_kind { C_QUOTE, C_LIST, C_ITEM };

struct table_cell {
	char	*text;		/* one line, glue as in paragraphs */
	int	 row, col;
	int	 align;		/* MD_ALIGN */
};

struct container {
	enum container_kind	kind;
	char			first[MAX_PREFIX];	/* item: "- ", "12. " */
	char			rest[MAX_PREFIX];
	int			first_pending;
	int			tight;			/* list */
	int			ordered;		/* list */
	unsigned		number;			/* list: next number */
};

struct text_render {
	struct buf		*out;
	size_t			 width;
	struct container	 stack[MAX_DEPTH];
	int			 depth;		/* may exceed MAX_DEPTH */
	struct buf		 para;
	struct table_cell	*cells;		/* the table being gathered */
	size_t			 ncells;
	int			 nrows, head_rows, col, cell_align;
	int			 row_is_head;
	int			 need_blank;
	int			 any_output;
	int			 heading;	/* level while in a heading */
	int			 in_code;
	size_t			 link_start;
	char			*link_href;
	char			**refs;
	size_t			 nrefs;
	int			 failed;
};

static int
emit(struct text_render *r, const char *s, size_t n)
{
	if (buf_add(r->out, s, n) == -1)
		r->failed = 1;
	return r->failed ? -1 : 0;
}

/* The prefix for the next line; first lines of pending items use theirs. */
static void
line_prefix(struct text_render *r, int first, struct buf *p)
{
	int	i, top = r->depth < MAX_DEPTH ? r->depth : MAX_DEPTH;

	for (i = 0; i < top; i++) {
		struct container *c = &r->stack[i];
		if (c->kind == C_QUOTE)
			buf_adds(p, "> ");
		else if (c->kind == C_ITEM)
			buf_adds(p, first && c->first_pending ? c->first : c->rest);
	}
}

static void
items_started(struct text_render *r)
{
	int	i, top = r->depth < MAX_DEPTH ? r->depth : MAX_DEPTH;

	for (i = 0; i < top; i++)
		r->stack[i].first_pending = 0;
}

static void
blank_line(struct text_render *r)
{
	struct buf	p;

	if (!r->need_blank || !r->any_output)
		return;
	buf_init(&p, 0);
	line_prefix(r, 0, &p);
	while (p.len > 0 && p.data[p.len - 1] == ' ')
		p.len--;
	emit(r, p.data ? p.data : "", p.len);
	emit(r, "\n", 1);
	buf_free(&p);
	r->need_blank = 0;
}

/* Writes text wrapped under the current prefixes, with extra first/rest. */
static void
emit_wrapped(struct text_render *r, const char *text, size_t n,
    const char *first_extra, const char *rest_extra)
{
	struct buf	first, rest;

	blank_line(r);
	buf_init(&first, 0);
	buf_init(&rest, 0);
	line_prefix(r, 1, &first);
	buf_adds(&first, first_extra);
	line_prefix(r, 0, &rest);
	buf_adds(&rest, rest_extra);
	if (markdown_wrap(text, n, first.data, rest.data, r->width, r->out) == -1)
		r->failed = 1;
	items_started(r);
	r->any_output = 1;
	buf_free(&first);
	buf_free(&rest);
}

/* Writes verbatim lines (code) under the current prefixes plus extra. */
static void
emit_verbatim(struct text_render *r, const char *text, size_t n,
    const char *extra)
{
	struct buf	 pre;
	const char	*end = text + n, *nl;

	blank_line(r);
	buf_init(&pre, 0);
	while (text < end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		if (nl == NULL)
			nl = end;
		buf_reset(&pre);
		line_prefix(r, 1, &pre);
		buf_adds(&pre, extra);
		emit(r, pre.data, pre.len);
		emit(r, text, (size_t)(nl - text));
		emit(r, "\n", 1);
		items_started(r);
		text = nl + 1;
	}
	r->any_output = 1;
	buf_free(&pre);
}

static void
underline(struct text_render *r, const char *text, size_t n, char c)
{
	size_t		 longest = 0, len;
	const char	*end = text + n, *nl;
	struct buf	 pre;

	while (text < end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		if (nl == NULL)
			nl = end;
		len = utf8_width(text, (size_t)(nl - text));
		if (len > longest)
			longest = len;
		text = nl + 1;
	}
	if (longest > r->width)
		longest = r->width;
	if (longest < 3)
		longest = 3;
	buf_init(&pre, 0);
	line_prefix(r, 0, &pre);
	emit(r, pre.data ? pre.data : "", pre.len);
	while (longest-- > 0)
		emit(r, &c, 1);
	emit(r, "\n", 1);
	buf_free(&pre);
}

/* Writes the gathered paragraph (if any) as a wrapped block. */
static void
flush_para(struct text_render *r)
{
	struct buf	heading;

	if (r->para.len == 0)
		return;
	if (r->heading == 1 || r->heading == 2) {
		emit_wrapped(r, r->para.data, r->para.len, "", "");
		/* underline what was just written, without its prefixes */
		buf_init(&heading, 0);
		markdown_wrap(r->para.data, r->para.len, "", "", r->width, &heading);
		underline(r, heading.data, heading.len ? heading.len - 1 : 0,
		    r->heading == 1 ? '=' : '-');
		buf_free(&heading);
	} else if (r->heading > 2)
		emit_wrapped(r, r->para.data, r->para.len, "### ", "    ");
	else
		emit_wrapped(r, r->para.data, r->para.len, "", "");
	buf_reset(&r->para);
}

static struct container *
push(struct text_render *r, enum container_kind kind)
{
	struct container	*c;

	if (r->depth++ >= MAX_DEPTH)
		return NULL;	/* deeper nesting keeps the outer indentation */
	c = &r->stack[r->depth - 1];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	return c;
}

static struct container *
top(struct text_render *r)
{
	if (r->depth == 0 || r->depth > MAX_DEPTH)
		return NULL;
	return &r->stack[r->depth - 1];
}

static void
enter_item(struct text_render *r)
{
	struct container	*list = top(r), *item;

	if ((item = push(r, C_ITEM)) == NULL)
		return;
	item->first_pending = 1;
	if (list && list->kind == C_LIST && list->ordered)
		snprintf(item->first, MAX_PREFIX, "%u. ", list->number++);
	else
		strcpy(item->first, "- ");
	memset(item->rest, ' ', strlen(item->first));
	item->rest[strlen(item->first)] = '\0';
}

static int
enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct text_render	*r = userdata;
	struct container	*c;

	if (r->para.len > 0 && type != MD_BLOCK_TD && type != MD_BLOCK_TH)
		flush_para(r);		/* a tight item's text before a sub-block */
	switch (type) {
	case MD_BLOCK_QUOTE:
		blank_line(r);		/* before the quote, not inside it */
		push(r, C_QUOTE);
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		if ((c = push(r, C_LIST)) != NULL) {
			c->ordered = type == MD_BLOCK_OL;
			if (c->ordered) {
				c->number = ((MD_BLOCK_OL_DETAIL *)detail)->start;
				c->tight = ((MD_BLOCK_OL_DETAIL *)detail)->is_tight;
			} else
				c->tight = ((MD_BLOCK_UL_DETAIL *)detail)->is_tight;
		}
		break;
	case MD_BLOCK_LI:
		enter_item(r);
		break;
	case MD_BLOCK_H:
		r->heading = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
		break;
	case MD_BLOCK_CODE:
		r->in_code = 1;
		break;
	case MD_BLOCK_TABLE:
		blank_line(r);
		r->nrows = r->head_rows = 0;
		break;
	case MD_BLOCK_TR:
		r->col = 0;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		r->cell_align = ((MD_BLOCK_TD_DETAIL *)detail)->align;
		break;
	case MD_BLOCK_THEAD:
		r->row_is_head = 1;
		break;
	case MD_BLOCK_TBODY:
		r->row_is_head = 0;
		break;
	default:
		break;
	}
	return r->failed;
}

static void
leave_cell(struct text_render *r)
{
	struct table_cell	*c;
	size_t			 i, n = r->para.len;
	char			*t = r->para.data ? r->para.data : "";

	for (i = 0; i < n; i++)
		if (t[i] == '\n')
			t[i] = ' ';
	while (n > 0 && t[n - 1] == ' ')
		n--;
	c = realloc(r->cells, (r->ncells + 1) * sizeof(*c));
	if (c == NULL || (c[r->ncells].text = strndup(t, n)) == NULL) {
		if (c)
			r->cells = c;
		r->failed = 1;
		return;
	}
	r->cells = c;
	c[r->ncells].row = r->nrows;
	c[r->ncells].col = r->col++;
	c[r->ncells].align = r->cell_align;
	r->ncells++;
	buf_reset(&r->para);
}

static void
leave_row(struct text_render *r)
{
	r->nrows++;
	if (r->row_is_head)
		r->head_rows = r->nrows;
}

static void
free_cells(struct text_render *r)
{
	size_t	i;

	for (i = 0; i < r->ncells; i++)
		free(r->cells[i].text);
	free(r->cells);
	r->cells = NULL;
	r->ncells = 0;
}

/* Appends n copies of c. */
static void
pad(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_addc(b, c);
}

/*
 * A table that fits the width goes out as aligned columns, its heading
 * underlined column by column, glue turned back into spaces:
 *
 *     Release  Date        What changed
 *     -------  ----------  ------------------------------
 *     2.4      2026-05-02  Faster imports
 *
 * A wider one goes out a row at a time, cells joined with " | " and
 * wrapped, the heading row underlined.
 */
static void
leave_table(struct text_render *r)
{
	size_t		 widths[64] = { 0 }, w, total = 0, i, k, left;
	struct buf	 line, pre;
	int		 ncols = 0, row, col, aligned;

	for (i = 0; i < r->ncells; i++)
		if (r->cells[i].col >= ncols)
			ncols = r->cells[i].col + 1;
	buf_init(&pre, 0);
	line_prefix(r, 0, &pre);
	aligned = ncols <= 64;
	for (i = 0; aligned && i < r->ncells; i++) {
		w = utf8_width(r->cells[i].text, strlen(r->cells[i].text));
		if (w > widths[r->cells[i].col])
			widths[r->cells[i].col] = w;
	}
	for (col = 0; aligned && col < ncols; col++)
		total += widths[col] + (col ? strlen(GAP) : 0);
	aligned = aligned && utf8_width(pre.data ? pre.data : "", pre.len) +
	    total <= r->width;
	buf_free(&pre);
	buf_init(&line, 0);
	for (row = 0, i = 0; row < r->nrows; row++) {
		buf_reset(&line);
		for (col = 0; i < r->ncells && r->cells[i].row == row; i++) {
			const struct table_cell *c = &r->cells[i];
			w = utf8_width(c->text, strlen(c->text));
			if (!aligned) {
				if (line.len > 0)
					buf_adds(&line, " | ");
				buf_adds(&line, c->text);
				continue;
			}
			for (; col < c->col; col++) {	/* a missing cell */
				if (col > 0)
					buf_adds(&line, GAP);
				pad(&line, ' ', widths[col]);
			}
			if (col > 0)
				buf_adds(&line, GAP);
			left = c->align == MD_ALIGN_RIGHT ? widths[col] - w :
			    c->align == MD_ALIGN_CENTER ? (widths[col] - w) / 2 : 0;
			pad(&line, ' ', left);
			buf_adds(&line, c->text);
			pad(&line, ' ', widths[col] - w - left);
			col++;
		}
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.len--;
		if (aligned) {
			for (k = 0; k < line.len; k++)
				if (line.data[k] == MARKDOWN_GLUE)
					line.data[k] = ' ';
			emit_verbatim(r, line.data ? line.data : "", line.len, "");
		} else
			emit_wrapped(r, line.data ? line.data : "", line.len, "",
			    "  ");
		if (row + 1 != r->head_rows)
			continue;
		w = utf8_width(line.data ? line.data : "", line.len);
		buf_reset(&line);	/* underline the heading */
		if (aligned)
			for (col = 0; col < ncols; col++) {
				if (col > 0)
					buf_adds(&line, GAP);
				pad(&line, '-', widths[col]);
			}
		else
			pad(&line, '-', w < r->width ? w : r->width);
		emit_verbatim(r, line.data ? line.data : "", line.len, "");
	}
	buf_free(&line);
	free_cells(r);
}

static int
leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct text_render	*r = userdata;
	struct container	*c;

	(void)detail;
	switch (type) {
	case MD_BLOCK_P:
		flush_para(r);
		r->need_blank = 1;
		break;
	case MD_BLOCK_H:
		flush_para(r);
		r->heading = 0;
		r->need_blank = 1;
		break;
	case MD_BLOCK_CODE:
		if (r->para.len > 0 && r->para.data[r->para.len - 1] == '\n')
			r->para.len--;
		emit_verbatim(r, r->para.data ? r->para.data : "", r->para.len,
		    "    ");
		buf_reset(&r->para);
		r->in_code = 0;
		r->need_blank = 1;
		break;
	case MD_BLOCK_HR:
		emit_wrapped(r, "* * *", 5, "", "");
		r->need_blank = 1;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		leave_cell(r);
		break;
	case MD_BLOCK_TR:
		leave_row(r);
		break;
	case MD_BLOCK_TABLE:
		leave_table(r);
		r->need_blank = 1;
		break;
	case MD_BLOCK_LI:
		flush_para(r);
		r->depth--;
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		r->depth--;
		c = top(r);
		/* a sub-list inside a tight item adds no blank line */
		r->need_blank = !(c && c->kind == C_ITEM && r->depth >= 2 &&
		    r->stack[r->depth - 2].kind == C_LIST &&
		    r->stack[r->depth - 2].tight);
		break;
	case MD_BLOCK_QUOTE:
		flush_para(r);
		r->depth--;
		r->need_blank = 1;
		break;
	default:
		break;
	}
	return r->failed;
}

static void
add_text(struct text_render *r, const char *s, size_t n)
{
	if (buf_add(&r->para, s, n) == -1)
		r->failed = 1;
}

/* Decodes an entity ("&amp;", "&#8212;", "&#x2014;") into para. */
static void
add_entity(struct text_render *r, const char *s, size_t n)
{
	const struct entity	*e;
	char			 u[8];
	unsigned long		 cp = 0;
	char			*end;

	if (n > 3 && s[1] == '#') {
		if (s[2] == 'x' || s[2] == 'X')
			cp = strtoul(s + 3, &end, 16);
		else
			cp = strtoul(s + 2, &end, 10);
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		add_text(r, u, utf8_encode((uint32_t)cp, u));
		return;
	}
	if ((e = entity_lookup(s, n)) == NULL) {
		add_text(r, s, n);
		return;
	}
	add_text(r, u, utf8_encode(e->codepoints[0], u));
	if (e->codepoints[1])
		add_text(r, u, utf8_encode(e->codepoints[1], u));
}

static int
text_cb(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *userdata)
{
	struct text_render	*r = userdata;

	switch (type) {
	case MD_TEXT_BR:
		add_text(r, "\n", 1);
		break;
	case MD_TEXT_SOFTBR:
		add_text(r, " ", 1);
		break;
	case MD_TEXT_NULLCHAR:
		add_text(r, "\xef\xbf\xbd", 3);
		break;
	case MD_TEXT_ENTITY:
		add_entity(r, text, size);
		break;
	default:
		add_text(r, text, size);
		break;
	}
	return r->failed;
}

/* Copies an attribute (href, src) with its entities decoded. */
static char *
attribute_text(struct text_render *r, const MD_ATTRIBUTE *a)
{
	struct buf	save = r->para, val;
	unsigned	i;
	size_t		off, len;

	buf_init(&val, 0);
	r->para = val;
	for (i = 0; a->substr_offsets[i] < a->size; i++) {
		off = a->substr_offsets[i];
		len = a->substr_offsets[i + 1] - off;
		if (a->substr_types[i] == MD_TEXT_ENTITY)
			add_entity(r, a->text + off, len);
		else
			add_text(r, a->text + off, len);
	}
	val = r->para;
	r->para = save;
	if (buf_add(&val, "", 0) == -1)	/* NUL-terminated, even when empty */
		r->failed = 1;
	return buf_detach(&val, NULL);
}

/* The reference number of url, adding it to the list when new (1-based). */
static size_t
reference(struct text_render *r, char *url)
{
	char	**refs;
	size_t	  i;

	for (i = 0; i < r->nrefs; i++)
		if (strcmp(r->refs[i], url) == 0) {
			free(url);
			return i + 1;
		}
	if ((refs = realloc(r->refs, (r->nrefs + 1) * sizeof(*refs))) == NULL) {
		free(url);
		r->failed = 1;
		return 0;
	}
	r->refs = refs;
	r->refs[r->nrefs++] = url;
	return r->nrefs;
}

/* Whether a link's text already says its URL (autolinks). */
static int
link_is_literal(const char *text, size_t n, const char *href)
{
	size_t	hl = strlen(href);

	if (hl == n && memcmp(text, href, n) == 0)
		return 1;
	if (strncmp(href, "mailto:", 7) == 0 && hl - 7 == n &&
	    memcmp(href + 7, text, n) == 0)
		return 1;
	if (strncmp(href, "http://", 7) == 0 && hl - 7 == n &&
	    memcmp(href + 7, text, n) == 0)
		return 1;
	return 0;
}

static void
add_reference(struct text_render *r, char *url)
{
	char	num[32];

	if (url == NULL || url[0] == '\0') {	/* nothing to point to */
		free(url);
		return;
	}
	/* glued to the word before it, so that no line starts with "[n]" */
	snprintf(num, sizeof(num), "%c[%zu]", MARKDOWN_GLUE,
	    reference(r, url));
	add_text(r, num, strlen(num));
}

/* The marks around emphasis, strong text, code and deletions, which read
 * the same at both ends. */
static void
add_span_mark(struct text_render *r, MD_SPANTYPE type)
{
	const char	*mark;

	switch (type) {
	case MD_SPAN_EM:	mark = "_"; break;
	case MD_SPAN_STRONG:	mark = "*"; break;
	case MD_SPAN_CODE:	mark = "`"; break;
	case MD_SPAN_DEL:	mark = "~"; break;
	default:		return;
	}
	add_text(r, mark, 1);
}

static int
enter_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct text_render	*r = userdata;

	switch (type) {
	case MD_SPAN_A:
		free(r->link_href);
		r->link_href = attribute_text(r, &((MD_SPAN_A_DETAIL *)detail)->href);
		r->link_start = r->para.len;
		break;
	case MD_SPAN_IMG:
		add_text(r, "[image: ", 8);
		break;
	default:
		add_span_mark(r, type);
		break;
	}
	return r->failed;
}

static int
leave_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct text_render	*r = userdata;

	switch (type) {
	case MD_SPAN_A:
		if (r->link_href == NULL)
			break;
		if (link_is_literal(r->para.data + r->link_start,
		    r->para.len - r->link_start, r->link_href))
			free(r->link_href);
		else
			add_reference(r, r->link_href);
		r->link_href = NULL;
		break;
	case MD_SPAN_IMG:
		add_text(r, "]", 1);
		add_reference(r, attribute_text(r,
		    &((MD_SPAN_IMG_DETAIL *)detail)->src));
		break;
	default:
		add_span_mark(r, type);
		break;
	}
	return r->failed;
}

static void
emit_references(struct text_render *r)
{
	char	num[32];
	size_t	i;

	if (r->nrefs == 0)
		return;
	if (r->any_output)
		emit(r, "\n", 1);
	for (i = 0; i < r->nrefs; i++) {
		snprintf(num, sizeof(num), "[%zu] ", i + 1);
		emit(r, num, strlen(num));
		emit(r, r->refs[i], strlen(r->refs[i]));
		emit(r, "\n", 1);
	}
}

int
markdown_text(const char *src, size_t n, size_t width, struct buf *out)
{
	struct text_render	r;
	MD_PARSER		parser;
	char			*doc;
	size_t			i, len;
	int			rc;

	if ((doc = markdown_source(src, n, &len)) == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	r.out = out;
	r.width = width;
	buf_init(&r.para, out->max);
	memset(&parser, 0, sizeof(parser));
	parser.flags = MARKDOWN_FLAGS;
	parser.enter_block = enter_block;
	parser.leave_block = leave_block;
	parser.enter_span = enter_span;
	parser.leave_span = leave_span;
	parser.text = text_cb;
	rc = md_parse(doc, (MD_SIZE)len, &parser, &r);
	free(doc);
	if (rc == 0 && !r.failed) {
		flush_para(&r);
		emit_references(&r);
	}
	for (i = 0; i < r.nrefs; i++)
		free(r.refs[i]);
	free(r.refs);
	free(r.link_href);
	buf_free(&r.para);
	free_cells(&r);
	return rc == 0 && !r.failed ? 0 : -1;
}

/*
 * The wrapper's state: the line being filled and what prefixes it. Widths
 * are terminal columns (utf8_width), so wide CJK characters count two.
 */
struct wrap {
	struct buf	*out;
	struct buf	 line;
	const char	*prefix, *rest;
	size_t		 pw, col, width;
	int		 rc;
};

static void
wrap_flush(struct wrap *w)
{
	const char	*p = w->line.data ? w->line.data : "";
	size_t		 i;

	if (w->rc == 0 && (buf_adds(w->out, w->prefix) == -1 ||
	    buf_reserve(w->out, w->line.len + 1) == -1))
		w->rc = -1;
	if (w->rc == 0) {
		for (i = 0; i < w->line.len; i++)	/* glue stands as a space */
			w->out->data[w->out->len++] = p[i] == MARKDOWN_GLUE ?
			    ' ' : p[i];
		w->out->data[w->out->len++] = '\n';
		w->out->data[w->out->len] = '\0';
	}
	buf_reset(&w->line);
	w->prefix = w->rest;
	w->pw = utf8_width(w->rest, strlen(w->rest));
	w->col = 0;
}

/*
 * Places one piece of text (cols wide) on the line, after the joiner j (jl
 * bytes, jcols wide) unless the piece starts a line: then the joiner goes.
 */
static void
wrap_piece(struct wrap *w, const char *j, size_t jl, size_t jcols,
    const char *s, size_t n, size_t cols)
{
	if (w->col > 0 && w->pw + w->col + jcols + cols > w->width)
		wrap_flush(w);
	if (w->col > 0) {
		if (buf_add(&w->line, j, jl) == -1)
			w->rc = -1;
		w->col += jcols;
	}
	if (buf_add(&w->line, s, n) == -1)
		w->rc = -1;
	w->col += cols;
}

/* Length of a no-break space (U+00A0, U+2007, U+202F) at s, or 0. */
static size_t
nbsp_at(const char *s, const char *end)
{
	if (end - s >= 2 && memcmp(s, "\xc2\xa0", 2) == 0)
		return 2;
	if (end - s >= 3 && (memcmp(s, "\xe2\x80\x87", 3) == 0 ||
	    memcmp(s, "\xe2\x80\xaf", 3) == 0))
		return 3;
	return 0;
}

/*
 * A word wider than a whole line. When its author glued it together with
 * no-break spaces or no-break hyphens (U+2011), those yield as a last
 * resort: the word is laid out in pieces, a space-like glue dropped where a
 * line breaks, a hyphen kept at the end of its line. A word with neither
 * (a URL, a hash) stays whole on a line of its own.
 */
static void
wrap_long_word(struct wrap *w, const char *word, const char *end)
{
	const char	*piece = word, *p = word, *j = " ";
	size_t		 jl = 1, k;

	while (p < end) {
		if ((k = nbsp_at(p, end)) > 0) {
			wrap_piece(w, j, jl, jl ? 1 : 0, piece,
			    (size_t)(p - piece), utf8_width(piece,
			    (size_t)(p - piece)));
			j = p;
			jl = k;
			p += k;
			piece = p;
		} else if (end - p >= 3 && memcmp(p, "\xe2\x80\x91", 3) == 0) {
			p += 3;
			wrap_piece(w, j, jl, jl ? 1 : 0, piece,
			    (size_t)(p - piece), utf8_width(piece,
			    (size_t)(p - piece)));
			j = "";
			jl = 0;
			piece = p;
		} else
			p++;
	}
	if (piece < end)
		wrap_piece(w, j, jl, jl ? 1 : 0, piece, (size_t)(end - piece),
		    utf8_width(piece, (size_t)(end - piece)));
}

/* A word's width, each {{placeholder}} in it counted as the value that
 * will stand there (MARKDOWN_PLACEHOLDER_COLS), not as its name. */
static size_t
word_width(const char *s, size_t n)
{
	const char	*end = s + n, *open, *close;
	size_t		 w = 0;

	while ((open = memmem(s, (size_t)(end - s), "{{", 2)) != NULL &&
	    (close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2)) !=
	    NULL) {
		w += utf8_width(s, (size_t)(open - s)) + MARKDOWN_PLACEHOLDER_COLS;
		s = close + 2;
	}
	return w + utf8_width(s, (size_t)(end - s));
}

int
markdown_wrap(const char *text, size_t n, const char *first, const char *rest,
    size_t width, struct buf *out)
{
	const char	*p = text, *end = text + n, *word;
	struct wrap	 w;
	size_t		 wl;

	memset(&w, 0, sizeof(w));
	w.out = out;
	buf_init(&w.line, out->max);
	w.prefix = first;
	w.rest = rest;
	w.pw = utf8_width(first, strlen(first));
	w.width = width;
	while (p < end && w.rc == 0) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (*p == '\n') {	/* a forced break */
			wrap_flush(&w);
			p++;
			continue;
		}
		word = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		wl = word_width(word, (size_t)(p - word));
		if (w.pw + wl > width)
			wrap_long_word(&w, word, p);
		else
			wrap_piece(&w, " ", 1, 1, word, (size_t)(p - word), wl);
	}
	if (w.rc == 0 && w.col > 0)
		wrap_flush(&w);
	buf_free(&w.line);
	return w.rc == 0 ? 0 : -1;
}
