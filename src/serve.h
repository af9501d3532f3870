/*
 * serve.h — `dispatcher serve`: the HTTP endpoint for readers.
 *
 * It answers the URLs the composer puts in every message, and a sign-up
 * form a site can embed:
 *
 *   GET|HEAD /unsubscribe/LIST/TOKEN   a page naming the list and the
 *                                      masked address, with a button
 *   POST     /unsubscribe/LIST/TOKEN   body List-Unsubscribe=One-Click
 *                                      (RFC 8058; the button sends the
 *                                      same): unsubscribes, 200
 *   POST     /subscribe                fields list, email (or address),
 *                                      name: a sign-up (double or single
 *                                      opt-in, as the list says)
 *   GET|HEAD /confirm/LIST/TOKEN       a page whose button confirms
 *   POST     /confirm/LIST/TOKEN       confirms a pending sign-up
 *
 * A GET never changes anything: link scanners fetch every link. Any other
 * method on these paths is a 405 with Allow; any other path a 404. Every
 * page carries Content-Security-Policy, X-Content-Type-Options,
 * Referrer-Policy, X-Frame-Options and Cache-Control: no-store, and no
 * cookie. The answers never say whether an address is on a list.
 *
 * serve.c is the only file that includes <microhttpd.h>. It runs
 * libmicrohttpd's one internal thread; the caller's thread may run
 * serve_expire() meanwhile (a lock keeps store calls one at a time).
 */
#ifndef DISPATCHER_SERVE_H
#define DISPATCHER_SERVE_H

#include <stddef.h>

#include "config.h"
#include "store.h"
#include "token.h"

struct serve;

/*
 * Loads every page and message template the lists need (an error names
 * the file and line) and makes the endpoint, not yet started. cfg, st and
 * keys are borrowed for the life of the endpoint. NULL with err on error.
 */
struct serve *serve_new(const struct config *cfg, struct store *st,
	    const struct token_keys *keys, char *err, size_t errlen);

/* Starts answering on listen_fd, a listening socket (serve_listen()), which
 * the endpoint then owns. 0 / -1 + err. */
int	serve_start(struct serve *s, int listen_fd, char *err, size_t errlen);

/* Stops answering (the connections in progress finish) and frees
 * everything. Accepts NULL. */
void	serve_free(struct serve *s);

/*
 * Opens a listening TCP socket on "ADDRESS:PORT" ("[ADDRESS]:PORT" for
 * IPv6). Returns the descriptor, or -1 with err. *port gets the port bound
 * (useful with port 0).
 */
int	serve_listen(const char *spec, int *port, char *err, size_t errlen);

/* 1 when confirmation messages were queued since the last call (the
 * caller then runs a delivery), else 0. */
int	serve_take_delivery(struct serve *s);

/* Expires the sign-ups of every list unconfirmed for longer than
 * serve.confirm_expiry. *n counts them. 0 / -1 + err. */
int	serve_expire(struct serve *s, long long now, size_t *n, char *err,
	    size_t errlen);

#endif
