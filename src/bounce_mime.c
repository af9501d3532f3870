/*
 * bounce_mime.c — the MIME side of bounce reading: libetpan parses the
 * message and this file flattens the tree into a list of parts, each with
 * its type, its depth, and its decoded body, for bounce.c to look through.
 * The only file that includes libetpan; its types and error codes stop here.
 *
 * Bounds, so that no input can make libetpan recurse or us allocate without
 * limit: the caller has cut the input to BOUNCE_INPUT_MAX; here it is cut
 * again before the (BOUNCE_PARTS_MAX + 1)th Content-Type field (each level
 * of nesting needs one, so libetpan's recursion stays shallow); the walk
 * stops BOUNCE_DEPTH_MAX levels down; only the header block of an attached
 * message is copied, and only the bodies of textual parts, so the copies
 * together never exceed the input's size.
 */
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "bounce_int.h"

#define PARTS_MAX	256
#define HEADERS_MAX	((size_t)64 << 10)

struct walk {
	struct bparts	*out;
	int		 oom;
};

/* "type/subtype" of a part, lowercase, into buf. */
static void
mime_type(const struct mailmime_content *ct, char *buf, size_t size)
{
	const char	*type = "text", *sub;
	size_t		 i;

	buf[0] = '\0';
	if (ct == NULL || ct->ct_type == NULL)
		return;
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    ct->ct_type->tp_data.tp_discrete_type) {
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:
			type = "text";
			break;
		case MAILMIME_DISCRETE_TYPE_IMAGE:
			type = "image";
			break;
		case MAILMIME_DISCRETE_TYPE_AUDIO:
			type = "audio";
			break;
		case MAILMIME_DISCRETE_TYPE_VIDEO:
			type = "video";
			break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			type = "application";
			break;
		default:
			type = ct->ct_type->tp_data.tp_discrete_type->
			    dt_extension;
			break;
		}
	} else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	    ct->ct_type->tp_data.tp_composite_type) {
		switch (ct->ct_type->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:
			type = "message";
			break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:
			type = "multipart";
			break;
		default:
			type = ct->ct_type->tp_data.tp_composite_type->
			    ct_token;
			break;
		}
	}
	sub = ct->ct_subtype ? ct->ct_subtype : "";
	if (type == NULL)
		type = "x";
	if (strlen(type) + strlen(sub) + 2 > size)
		return;
	strcpy(buf, type);
	strcat(buf, "/");
	strcat(buf, sub);
	for (i = 0; buf[i]; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] += 'a' - 'A';
}

/* A NUL-terminated copy of s[0..n) with NUL bytes made spaces. */
static char *
copy_text(const char *s, size_t n)
{
	char	*c;
	size_t	 i;

	if ((c = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		c[i] = s[i] == '\0' ? ' ' : s[i];
	c[n] = '\0';
	return c;
}

/* The length of the header block at s: up to and with its empty line. */
static size_t
header_len(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n' && (i + 1 == n || s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n')))
			return i + 1;
	return n;
}

static int
textual(const char *type)
{
	return strncmp(type, "text/", 5) == 0 ||
	    strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0 ||
	    strcmp(type, "message/feedback-report") == 0 ||
	    strcmp(type, "message/rfc822-headers") == 0 ||
	    strcmp(type, "message/global-headers") == 0 ||
	    strcmp(type, "application/json") == 0 || type[0] == '\0';
}

/*
 * Decodes a quoted-printable or base64 body into a new string, or NULL.
 * libetpan's decoders read up to two bytes past the end of a body that
 * ends in "=" and a character (found by fuzzing), so they are given a copy
 * followed by NUL bytes, never the message buffer itself.
 */
static char *
decode_body(const char *s, size_t n, int encoding, size_t *len)
{
	char	*pad, *dec = NULL, *out = NULL;
	size_t	 idx = 0, dlen;

	if ((pad = calloc(1, n + 4)) == NULL)
		return NULL;
	memcpy(pad, s, n);
	if (mailmime_part_parse(pad, n, &idx, encoding, &dec, &dlen) ==
	    MAILIMF_NO_ERROR && dec != NULL) {
		*len = dlen > n ? n : dlen;
		out = copy_text(dec, *len);
		mailmime_decoded_part_free(dec);
	}
	free(pad);
	return out;
}

/* Decodes a leaf's body into a new string. */
static char *
leaf_body(const struct mailmime_data *d, size_t *len)
{
	const char	*s = d->dt_data.dt_text.dt_data;
	size_t		 n = d->dt_data.dt_text.dt_length;
	char		*out;

	if (d->dt_type != MAILMIME_DATA_TEXT || s == NULL)
		return copy_text("", 0);
	if (d->dt_encoded && (d->dt_encoding ==
	    MAILMIME_MECHANISM_QUOTED_PRINTABLE ||
	    d->dt_encoding == MAILMIME_MECHANISM_BASE64) &&
	    (out = decode_body(s, n, d->dt_encoding, len)) != NULL)
		return out;
	*len = n;
	return copy_text(s, n);
}

static void
add_part(struct walk *w, const char *type, int depth, int inner,
    char *body, size_t len)
{
	struct bparts	*o = w->out;
	struct bpart	*v;

	if (body == NULL) {
		w->oom = 1;
		return;
	}
	if (o->n >= PARTS_MAX) {
		o->note = "too many MIME parts: the rest was not read";
		free(body);
		return;
	}
	if ((v = realloc(o->v, (o->n + 1) * sizeof(*v))) == NULL) {
		free(body);
		w->oom = 1;
		return;
	}
	o->v = v;
	v = &o->v[o->n++];
	memset(v, 0, sizeof(*v));
	strncpy(v->type, type, sizeof(v->type) - 1);
	v->depth = depth;
	v->inner = inner;
	v->body = body;
	v->len = len;
}

static void
walk(struct walk *w, struct mailmime *m, int depth, int inner)
{
	clistiter	*it;
	char		 type[64];
	const char	*s;
	size_t		 n = 0;

	if (m == NULL || w->oom)
		return;
	if (depth > BOUNCE_DEPTH_MAX) {
		w->out->note = "MIME nesting too deep: inner parts not read";
		return;
	}
	mime_type(m->mm_content_type, type, sizeof(type));
	switch (m->mm_type) {
	case MAILMIME_SINGLE:
		if (m->mm_data.mm_single == NULL || !textual(type))
			return;
		s = leaf_body(m->mm_data.mm_single, &n);
		add_part(w, type[0] ? type : "text/plain", depth, inner,
		    (char *)s, n);
		return;
	case MAILMIME_MULTIPLE:
		if (m->mm_data.mm_multipart.mm_mp_list == NULL)
			return;
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it;
		    it = clist_next(it))
			walk(w, clist_content(it), depth + 1, inner);
		return;
	case MAILMIME_MESSAGE:
		/* the top level is the message itself, not an attachment */
		if (depth > 0 && m->mm_body && m->mm_body->dt_type ==
		    MAILMIME_DATA_TEXT && m->mm_body->dt_data.dt_text.dt_data) {
			s = m->mm_body->dt_data.dt_text.dt_data;
			n = header_len(s, m->mm_body->dt_data.dt_text.dt_length);
			if (n > HEADERS_MAX)
				n = HEADERS_MAX;
			add_part(w, "message/rfc822", depth, inner,
			    copy_text(s, n), n);
		}
		walk(w, m->mm_data.mm_message.mm_msg_mime, depth + 1,
		    inner || depth > 0);
		return;
	}
}

/* Where to stop so that at most BOUNCE_PARTS_MAX Content-Type fields are
 * read: the start of the line of the one past the limit, or len. */
static size_t
parts_cut(const char *msg, size_t len)
{
	const char	*p = msg, *end = msg + len;
	size_t		 count = 0;

	while ((p = ci_findn(p, (size_t)(end - p), "content-type")) != NULL) {
		if (++count > BOUNCE_PARTS_MAX) {
			while (p > msg && p[-1] != '\n')
				p--;
			return (size_t)(p - msg);
		}
		p += 12;
	}
	return len;
}

int
bparts_read(const char *msg, size_t len, struct bparts *out)
{
	struct mailmime	*m = NULL;
	struct walk	 w = { out, 0 };
	size_t		 idx = 0, cut;

	memset(out, 0, sizeof(*out));
	if ((cut = parts_cut(msg, len)) < len) {
		out->note = "too many MIME parts: the rest was not read";
		len = cut;
	}
	idx = header_len(msg, len);
	if ((out->top = copy_text(msg, idx)) == NULL ||
	    (out->raw = copy_text(msg + idx, len - idx)) == NULL)
		return -1;
	idx = 0;
	if (mailmime_parse(msg, len, &idx, &m) != MAILIMF_NO_ERROR ||
	    m == NULL) {
		return 0;	/* not MIME that libetpan takes: raw is read */
	}
	walk(&w, m, 0, 0);
	mailmime_free(m);
	return w.oom ? -1 : 0;
}

void
bparts_free(struct bparts *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].body);
	free(p->v);
	free(p->top);
	free(p->raw);
	memset(p, 0, sizeof(*p));
}
