/*
 * bench/compose.c — how many personalized messages a second the composer
 * makes on one core.
 *
 *   build/release/bench-compose [-c dispatcher.conf] [-l LIST]
 *	    [-t SECONDS] [ISSUE.md]
 *
 * Renders the issue once (compose_issue), then composes one message after
 * another for distinct subscribers (compose_message), each into the same
 * reused buffer, as the delivery worker does, until SECONDS of CPU time have
 * passed. It prints the rendering time, the messages a second and the
 * microseconds a message, in CPU time and in wall time. The issue defaults
 * to the long corpus issue beside the repository, else our own long
 * fixture. The key is fixed, so nothing is written to the spool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "config.h"
#include "diag.h"
#include "issue.h"
#include "token.h"

#define CORPUS_ISSUE	"../shared/corpus/cto-lunch-2025-10.md"
#define FIXTURE_ISSUE	"tests/fixtures/issues/long-monthly.md"
#define TARGET		20000.0		/* messages a second, one core */

static double
now(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench-compose [-c dispatcher.conf] [-l LIST] "
	    "[-t SECONDS] [ISSUE.md]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char		*conf = "dispatcher.conf", *listname = "weekly";
	const char		*file;
	struct config		*cfg = NULL;
	const struct list_conf	*list;
	struct issue		*is = NULL;
	struct composed_issue	*ci = NULL;
	struct token_key	 key;
	struct recipient	 r;
	struct diag		 d = { 0 };
	struct buf		 out;
	char			 err[1024], address[64], name[64];
	double			 seconds = 3, t0, c0, t1, c1, render;
	size_t			 n = 0, bytes = 0;
	int			 ch, rc = 1;

	while ((ch = getopt(argc, argv, "c:l:t:")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'l': listname = optarg; break;
		case 't': seconds = atof(optarg); break;
		default: usage();
		}
	}
	if (argc - optind > 1)
		usage();
	file = argc > optind ? argv[optind] :
	    access(CORPUS_ISSUE, R_OK) == 0 ? CORPUS_ISSUE : FIXTURE_ISSUE;
	buf_init(&out, 0);
	memset(&key, 0x5a, sizeof(key));
	if (config_load(conf, &cfg, &d) == -1) {
		diag_print(&d, stderr);
		goto out;
	}
	if ((list = config_list(cfg, listname)) == NULL) {
		fprintf(stderr, "bench-compose: no list '%s'\n", listname);
		goto out;
	}
	if ((is = issue_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench-compose: %s\n", err);
		goto out;
	}
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	ci = compose_issue(cfg, list, is, &key, &d, err, sizeof(err));
	render = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (ci == NULL) {
		fprintf(stderr, "bench-compose: %s\n", err);
		goto out;
	}
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	c1 = c0;
	while (c1 - c0 < seconds) {
		for (ch = 0; ch < 1000; ch++, n++) {
			snprintf(address, sizeof(address),
			    "reader.%zu@example%zu.com", n, n % 97);
			snprintf(name, sizeof(name), "Reader Number %zu", n);
			r.address = address;
			r.name = name;
			buf_reset(&out);
			if (compose_message(ci, &r, &out, err, sizeof(err)) == -1) {
				fprintf(stderr, "bench-compose: %s\n", err);
				goto out;
			}
			bytes += out.len;
		}
		c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	}
	t1 = now(CLOCK_MONOTONIC);
	printf("bench-compose: %s (%zu bytes of Markdown) for list %s\n",
	    file, is->srclen, listname);
	printf("  render once:     %.2f ms CPU\n", render * 1e3);
	printf("  message size:    %zu bytes\n", bytes / n);
	printf("  messages:        %zu in %.2f s CPU, %.2f s wall\n", n,
	    c1 - c0, t1 - t0);
	printf("  per second:      %.0f (CPU), %.0f (wall); target %.0f: %s\n",
	    (double)n / (c1 - c0), (double)n / (t1 - t0), TARGET,
	    (double)n / (c1 - c0) >= TARGET ? "met" : "MISSED");
	printf("  per message:     %.2f us (CPU)\n", (c1 - c0) * 1e6 / (double)n);
	printf("  throughput:      %.0f MB/s\n",
	    (double)bytes / (c1 - c0) / 1e6);
	rc = 0;
out:
	diag_free(&d);
	buf_free(&out);
	compose_free(ci);
	issue_free(is);
	config_free(cfg);
	return rc;
}
