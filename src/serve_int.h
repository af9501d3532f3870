/*
 * serve_int.h — what serve.c (the daemon: HTTP, routing, headers) and
 * serve_reader.c (what each route does) share. Not for other files.
 */
#ifndef DISPATCHER_SERVE_INT_H
#define DISPATCHER_SERVE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "address.h"
#include "config.h"
#include "http_form.h"
#include "ratelimit.h"
#include "serve_pages.h"
#include "store.h"
#include "template.h"
#include "token.h"

/* The resources of one list (same index as cfg->lists). */
struct serve_list {
	struct pages	*pages;
	struct tpl	 confirm;	/* confirm.txt */
};

struct serve {
	const struct config	*cfg;
	struct store		*st;
	const struct token_keys	*keys;
	struct serve_list	*lists;
	struct pages		*fallback;	/* templates/default: no list */
	struct ratelimit	*per_ip, *per_address;
	pthread_mutex_t		 lock;		/* store calls, rate limits */
	atomic_int		 deliver_wanted;
	void			*daemon;	/* struct MHD_Daemon */
};

/* One request, as the routes see it: already parsed. */
struct request {
	int			 post;		/* else GET or HEAD */
	const struct http_path	*path;
	const struct http_form	*form;
	const char		*client;	/* IP address, text */
	long long		 now;
};

/* One answer: a status and a page (none for a 405's body). */
struct answer {
	int			 status;
	int			 form;		/* page-form, else page-message */
	const struct pages	*pages;
	struct page_vars	 v;
	long			 retry_after;	/* 429: seconds */
	char			 action[512];	/* storage for v.action */
	char			 detail[ADDRESS_MAX + 16];
};

/* The routes (serve_reader.c). Each fills *a. */
void	route_unsubscribe(struct serve *s, const struct request *r,
	    struct answer *a);
void	route_confirm(struct serve *s, const struct request *r,
	    struct answer *a);
void	route_subscribe(struct serve *s, const struct request *r,
	    struct answer *a);
/* An error page: status, heading and message, in the list's set if known. */
void	answer_error(struct serve *s, struct answer *a, int status,
	    const char *list, const char *heading, const char *message);

#endif
