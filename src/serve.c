/*
 * serve.c — the HTTP side of `dispatcher serve` (see serve.h): the
 * listening socket, libmicrohttpd, limits, routing by method and path,
 * reading the body, and writing each answer with its headers. What a route
 * does is in serve_reader.c. The only file that includes <microhttpd.h>.
 *
 * A request goes: first call (method and path checked, a declared body
 * too big refused at once), body chunks (collected up to serve.max_body),
 * last call (Content-Type and form parsed, route run, answer queued).
 * Headers past serve.max_header, and slow clients past serve.timeout, are
 * libmicrohttpd's to refuse; serve.max_connections caps connections.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "confirm_mail.h"
#include "log.h"
#include "reader.h"
#include "serve_int.h"

#define CSP	"default-src 'none'; style-src 'unsafe-inline'; " \
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

/* One connection's request in progress. */
struct conn {
	struct buf	body;
	int		too_large;
};

/* ---- answers -------------------------------------------------------- */

static enum MHD_Result
queue(struct MHD_Connection *c, int status, struct MHD_Response *resp)
{
	enum MHD_Result	rc;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
send_answer(struct MHD_Connection *c, const struct answer *a,
    const char *allow)
{
	struct MHD_Response	*resp;
	struct buf		 b;
	char			*data, num[32];
	size_t			 len;
	int			 status = a->status;

	buf_init(&b, 1 << 20);
	if (pages_render(a->pages, a->form, &a->v, &b) == -1) {
		log_error("serve", "a page could not be rendered");
		buf_reset(&b);
		buf_adds(&b, "<!DOCTYPE html><title>Error</title>"
		    "<p>Something went wrong.</p>\n");
		status = 500;
	}
	data = buf_detach(&b, &len);
	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(data);
		return MHD_NO;
	}
	if (allow)
		MHD_add_response_header(resp, "Allow", allow);
	if (a->retry_after > 0) {
		snprintf(num, sizeof(num), "%ld", a->retry_after);
		MHD_add_response_header(resp, "Retry-After", num);
	}
	return queue(c, status, resp);
}

static enum MHD_Result
send_error(struct serve *s, struct MHD_Connection *c, int status,
    const char *list, const char *heading, const char *message,
    const char *allow)
{
	struct answer	a;

	memset(&a, 0, sizeof(a));
	answer_error(s, &a, status, list, heading, message);
	return send_answer(c, &a, allow);
}

/* ---- the request ---------------------------------------------------- */

/* The client's address as text: the peer, or the configured header when
 * the peer is this machine's reverse proxy. */
static void
client_address(struct serve *s, struct MHD_Connection *c, char *out,
    size_t outlen)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;
	const char			*h;
	unsigned char			 tmp[16];
	char				 first[64];
	size_t				 n;

	snprintf(out, outlen, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, out, (socklen_t)outlen);
	if (s->cfg->serve_real_ip_header == NULL ||
	    (strncmp(out, "127.", 4) != 0 && strcmp(out, "::1") != 0))
		return;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    s->cfg->serve_real_ip_header);
	if (h == NULL)
		return;
	h += strspn(h, " \t");
	n = strcspn(h, ", \t");
	if (n == 0 || n >= sizeof(first))
		return;
	memcpy(first, h, n);
	first[n] = '\0';
	if (inet_pton(AF_INET, first, tmp) == 1 ||
	    inet_pton(AF_INET6, first, tmp) == 1)
		snprintf(out, outlen, "%s", first);
}

/* The methods a route takes, for 405's Allow. */
static const char *
route_allow(enum http_route r)
{
	return r == ROUTE_SUBSCRIBE ? "POST" : "GET, HEAD, POST";
}

static int
method_allowed(enum http_route r, const char *method)
{
	if (strcmp(method, "POST") == 0)
		return 1;
	return r != ROUTE_SUBSCRIBE && (strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0);
}

/* Checks done before the body: 0 to go on, or an answer was queued. */
static int
first_call(struct serve *s, struct MHD_Connection *c, const char *url,
    const char *method, enum MHD_Result *rc)
{
	struct http_path	 p;
	const char		*reason, *cl;

	if (http_path_parse(url, &p, &reason) == -1) {
		*rc = send_error(s, c, 400, NULL, "This link is not valid",
		    "It may have been cut short or changed on its way. Use the "
		    "link in the latest message you received, whole.", NULL);
		return -1;
	}
	if (p.route == ROUTE_NONE) {
		*rc = send_error(s, c, 404, NULL, "Page not found",
		    "There is nothing at this address.", NULL);
		return -1;
	}
	if (!method_allowed(p.route, method)) {
		*rc = send_error(s, c, 405, NULL, "Method not allowed",
		    "This address does not take that kind of request.",
		    route_allow(p.route));
		return -1;
	}
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > (unsigned long long)s->cfg->serve_max_body) {
		*rc = send_error(s, c, 413, NULL, "Request too large",
		    "The request carries more than this server takes.", NULL);
		return -1;
	}
	return 0;
}

/* The last call: the whole request is in. */
static enum MHD_Result
last_call(struct serve *s, struct MHD_Connection *c, struct conn *cc,
    const char *url, const char *method)
{
	struct http_path	 p;
	struct http_form	 form;
	struct request		 r;
	struct answer		 a;
	char			 boundary[71], client[64];
	const char		*reason, *ct;
	int			 type;
	enum MHD_Result		 rc;

	if (cc->too_large)
		return send_error(s, c, 413, NULL, "Request too large",
		    "The request carries more than this server takes.", NULL);
	http_path_parse(url, &p, &reason);	/* checked by first_call */
	memset(&r, 0, sizeof(r));
	r.post = strcmp(method, "POST") == 0;
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if ((type = http_content_type(ct, boundary, &reason)) == -1 && r.post)
		return send_error(s, c, 415, p.list[0] ? p.list : NULL,
		    "Not understood", "This server takes form data only.",
		    NULL);
	if (type == BODY_NONE && cc->body.len > 0)
		type = BODY_URLENCODED;
	if (!r.post)
		type = BODY_NONE;
	if (http_form_parse((enum http_body_type)type, boundary,
	    cc->body.data, cc->body.len, &form, &reason) == -1) {
		http_form_free(&form);
		return send_error(s, c, 400, p.list[0] ? p.list : NULL,
		    "Not understood", "The form data was malformed. Nothing "
		    "was changed.", NULL);
	}
	client_address(s, c, client, sizeof(client));
	r.path = &p;
	r.form = &form;
	r.client = client;
	r.now = (long long)time(NULL);
	memset(&a, 0, sizeof(a));
	if (p.route == ROUTE_UNSUBSCRIBE)
		route_unsubscribe(s, &r, &a);
	else if (p.route == ROUTE_CONFIRM)
		route_confirm(s, &r, &a);
	else
		route_subscribe(s, &r, &a);
	http_form_free(&form);
	log_debug("serve", "%s %s %s %d", client, method, p.route ==
	    ROUTE_UNSUBSCRIBE ? "unsubscribe" : p.route == ROUTE_CONFIRM ?
	    "confirm" : "subscribe", a.status);
	rc = send_answer(c, &a, NULL);
	return rc;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct serve	*s = cls;
	struct conn	*cc = *con_cls;
	enum MHD_Result	 rc;

	if (cc == NULL) {
		if (first_call(s, c, url, method, &rc) == -1)
			return rc;
		if ((cc = calloc(1, sizeof(*cc))) == NULL)
			return MHD_NO;
		buf_init(&cc->body, (size_t)s->cfg->serve_max_body);
		*con_cls = cc;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!cc->too_large && buf_add(&cc->body, upload_data,
		    *upload_data_size) == -1)
			cc->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return last_call(s, c, cc, url, method);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn	*cc = *con_cls;

	if (cc == NULL)
		return;
	buf_free(&cc->body);
	free(cc);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	line[512];
	size_t	n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warn("serve", "%s", line);
}

/* ---- life ----------------------------------------------------------- */

static int
load_list(struct serve *s, size_t i, char *err, size_t errlen)
{
	const struct list_conf	*l = &s->cfg->lists[i];

	if (pages_load(s->cfg->templates_dir, l->template_set,
	    &s->lists[i].pages, err, errlen) == -1)
		return -1;
	return confirm_mail_template(s->cfg->templates_dir, l->template_set,
	    &s->lists[i].confirm, err, errlen);
}

struct serve *
serve_new(const struct config *cfg, struct store *st,
    const struct token_keys *keys, char *err, size_t errlen)
{
	struct serve	*s;
	size_t		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->lists = calloc(cfg->nlists + 1, sizeof(*s->lists))) == NULL) {
		free(s);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->st = st;
	s->keys = keys;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < cfg->nlists; i++)
		if (load_list(s, i, err, errlen) == -1)
			goto fail;
	if (pages_load(cfg->templates_dir, cfg->nlists ?
	    cfg->lists[0].template_set : "default", &s->fallback, err,
	    errlen) == -1)
		goto fail;
	s->per_ip = ratelimit_new((unsigned)cfg->serve_signup_per_ip,
	    (unsigned)cfg->serve_signup_window);
	s->per_address = ratelimit_new((unsigned)cfg->serve_signup_per_address,
	    (unsigned)cfg->serve_signup_window);
	if (s->per_ip == NULL || s->per_address == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	return s;
fail:
	serve_free(s);
	return NULL;
}

int
serve_start(struct serve *s, int listen_fd, char *err, size_t errlen)
{
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg->serve_max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg->serve_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)s->cfg->serve_max_header,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_END);
	if (s->daemon == NULL) {
		errf(err, errlen, "the HTTP server did not start");
		close(listen_fd);
		return -1;
	}
	return 0;
}

void
serve_free(struct serve *s)
{
	size_t	i;

	if (s == NULL)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	for (i = 0; i < s->cfg->nlists; i++) {
		pages_free(s->lists[i].pages);
		tpl_free(&s->lists[i].confirm);
	}
	free(s->lists);
	pages_free(s->fallback);
	ratelimit_free(s->per_ip);
	ratelimit_free(s->per_address);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
serve_take_delivery(struct serve *s)
{
	return atomic_exchange(&s->deliver_wanted, 0);
}

int
serve_expire(struct serve *s, long long now, size_t *n, char *err,
    size_t errlen)
{
	size_t	i, k;
	int	rc = 0;

	*n = 0;
	for (i = 0; i < s->cfg->nlists && rc == 0; i++) {
		pthread_mutex_lock(&s->lock);
		rc = reader_expire(s->st, s->cfg->lists[i].name,
		    now - s->cfg->serve_confirm_expiry, &k, err, errlen);
		pthread_mutex_unlock(&s->lock);
		*n += k;
	}
	return rc;
}

int
serve_listen(const char *spec, int *port, char *err, size_t errlen)
{
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[256];
	const char		*colon, *h = spec;
	size_t			 hl;
	int			 fd = -1, one = 1, rc;

	if (spec[0] == '[') {
		h = spec + 1;
		colon = strstr(spec, "]:");
		hl = colon ? (size_t)(colon - h) : 0;
		colon = colon ? colon + 1 : NULL;
	} else {
		colon = strrchr(spec, ':');
		hl = colon ? (size_t)(colon - spec) : 0;
	}
	if (colon == NULL || hl == 0 || hl >= sizeof(host) || colon[1] == '\0' ||
	    colon[1 + strspn(colon + 1, "0123456789")] != '\0') {
		errf(err, errlen, "%s: the address to listen on is ADDRESS:PORT",
		    spec);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		errf(err, errlen, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		errf(err, errlen, "%s: %s", spec, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port :
	    ((struct sockaddr_in *)(void *)&ss)->sin_port);
	return fd;
}
