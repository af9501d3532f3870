/*
 * confirm_mail.c — builds the sign-up confirmation message (see
 * confirm_mail.h). Called by serve.c when a double opt-in list gets a
 * sign-up.
 */
#include "confirm_mail.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "digest.h"
#include "header.h"
#include "qp.h"

static const char *const names[] = { "name", "email", "list_name",
	"confirm_url", "expires", "postal_address", NULL };

static int
known(const char *name, size_t n)
{
	size_t	i;

	for (i = 0; names[i]; i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return (int)i;
	return -1;
}

int
confirm_mail_template(const char *templates_dir, const char *set,
    struct tpl *t, char *err, size_t errlen)
{
	char	path[4096];
	size_t	i;

	snprintf(path, sizeof(path), "%s/%s/confirm.txt", templates_dir, set);
	if (tpl_load(path, TPL_TEXT, t, err, errlen) == -1)
		return -1;
	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].is_var && known(t->segs[i].text,
		    t->segs[i].len) == -1) {
			snprintf(err, errlen, "%s:%d: unknown placeholder "
			    "{{%.*s}}", path, t->segs[i].line,
			    (int)t->segs[i].len, t->segs[i].text);
			tpl_free(t);
			return -1;
		}
	return 0;
}

static int
headers(const struct confirm_mail *m, struct buf *out, const char **why)
{
	const struct list_conf	*l = m->list;
	unsigned char		 h[DIGEST_LEN];
	char			 subject[512], date[64], mid[128], hex[41];
	char			 seed[600];

	snprintf(subject, sizeof(subject), "Confirm your subscription to %s",
	    l->display_name);
	header_date((time_t)m->now, 0, date, sizeof(date));
	snprintf(seed, sizeof(seed), "%s\n%s\n%lld", l->name, m->address,
	    m->now);
	digest_sha256(seed, strlen(seed), h);
	digest_hex(h, 16, hex);
	snprintf(mid, sizeof(mid), "<confirm.%s@%s>", hex,
	    address_domain(l->from_address));
	if (header_add_mailbox(out, "From", l->from_name, l->from_address,
	    why) == -1 ||
	    header_add_mailbox(out, "To", m->name, m->address, why) == -1 ||
	    header_add_text(out, "Subject", subject, why) == -1 ||
	    header_add(out, "Date", date, why) == -1 ||
	    header_add(out, "Message-ID", mid, why) == -1 ||
	    (l->reply_to && header_add(out, "Reply-To", l->reply_to,
	    why) == -1) ||
	    header_add(out, "Auto-Submitted", "auto-generated", why) == -1 ||
	    header_add(out, "MIME-Version", "1.0", why) == -1 ||
	    header_add(out, "Content-Type", "text/plain; charset=utf-8",
	    why) == -1 ||
	    header_add(out, "Content-Transfer-Encoding", "quoted-printable",
	    why) == -1)
		return -1;
	return buf_adds(out, "\r\n") == -1 ? (*why = "too big", -1) : 0;
}

static const char *
value(const struct confirm_mail *m, int which, char *tmp, size_t tmplen)
{
	struct tm	tm;
	time_t		t = (time_t)m->expires;

	switch (which) {
	case 0:
		if (m->name == NULL || *m->name == '\0')
			return "";
		snprintf(tmp, tmplen, " %s", m->name);
		return tmp;
	case 1: return m->address;
	case 2: return m->list->display_name;
	case 3: return m->url;
	case 4:
		gmtime_r(&t, &tm);
		strftime(tmp, tmplen, "%Y-%m-%d %H:%M UTC", &tm);
		return tmp;
	default: return m->list->postal_address;
	}
}

int
confirm_mail_build(const struct tpl *t, const struct confirm_mail *m,
    struct buf *out, char *err, size_t errlen)
{
	const char	*why = NULL, *v;
	char		 tmp[320];
	struct buf	 text;
	struct qp	 q;
	size_t		 i, start = out->len;
	int		 rc = 0;

	if (headers(m, out, &why) == -1) {
		snprintf(err, errlen, "confirmation message: %s", why);
		out->len = start;
		return -1;
	}
	buf_init(&text, 64 * 1024);
	for (i = 0; i < t->nsegs && rc == 0; i++) {
		v = t->segs[i].is_var ? value(m, known(t->segs[i].text,
		    t->segs[i].len), tmp, sizeof(tmp)) : NULL;
		rc = v ? buf_adds(&text, v) : buf_add(&text, t->segs[i].text,
		    t->segs[i].len);
	}
	qp_init(&q);
	if (rc == -1 || qp_encode(&q, text.data, text.len, out) == -1) {
		snprintf(err, errlen, "confirmation message: too big");
		out->len = start;
		rc = -1;
	}
	buf_free(&text);
	return rc;
}
