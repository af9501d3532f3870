/*
 * bench/import.c — how fast a CSV import goes, and how much memory it takes.
 *
 *   build/release/bench-import [-n ROWS] [-k]
 *
 * Writes a CSV of ROWS subscribers (default 1,000,000; addresses in random
 * key order, with a name each) into a temporary directory, then imports it
 * into a fresh spool there through subscriber_import(), the code behind
 * `dispatcher import`, with the default map settings. It prints the rows a
 * second, the seconds it took, and the peak resident set size of the
 * process: all of it (VmHWM, which counts the pages of the LMDB map the
 * process touched: file pages, shared with the page cache) and the part
 * that is its own memory (RssAnon, sampled every 20 ms by a thread). -k
 * keeps the directory. Targets: 1M rows in under 10 s, peak RSS under
 * 64 MB.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "subscriber_csv.h"

#define TARGET_SECONDS	10.0
#define TARGET_RSS_MB	64.0

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in kB, or -1. */
static long
proc_status_kb(const char *field)
{
	FILE	*fp = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 kb = -1;
	size_t	 n = strlen(field);

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

static atomic_long	peak_anon;
static atomic_int	stop;

static void *
sampler(void *arg)
{
	struct timespec	ts = { 0, 20 * 1000 * 1000 };
	long		kb;

	while (!atomic_load(&stop)) {
		if ((kb = proc_status_kb("RssAnon")) > atomic_load(&peak_anon))
			atomic_store(&peak_anon, kb);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int
write_csv(const char *path, long rows)
{
	FILE		*fp = fopen(path, "w");
	uint64_t	 x = 88172645463325252ULL;
	long		 i;

	if (fp == NULL)
		return -1;
	fputs("email,name\n", fp);
	for (i = 0; i < rows; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fprintf(fp, "r%08llx.%ld@example%ld.com,Reader %ld\n",
		    (unsigned long long)(x & 0xffffffffULL), i, i % 97, i);
	}
	return fclose(fp);
}

int
main(int argc, char **argv)
{
	char			 dir[] = "/tmp/dispatcher-bench-XXXXXX";
	char			 csv[256], spool[256], cmd[512], err[ERRLEN];
	struct store_opts	 o = { (size_t)64 << 20, (size_t)16384 << 20 };
	struct import_opts	 io;
	struct import_counts	 n;
	struct store		*st = NULL;
	FILE			*in = NULL, *devnull;
	long			 rows = 1000000, hwm;
	pthread_t		 thr;
	int			 c, keep = 0, rc = 1;
	double			 t0, secs;

	while ((c = getopt(argc, argv, "n:k")) != -1) {
		if (c == 'n')
			rows = strtol(optarg, NULL, 10);
		else if (c == 'k')
			keep = 1;
		else {
			fprintf(stderr, "usage: bench-import [-n ROWS] [-k]\n");
			return 2;
		}
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(csv, sizeof(csv), "%s/rows.csv", dir);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	if (write_csv(csv, rows) == -1 || (in = fopen(csv, "r")) == NULL ||
	    (devnull = fopen("/dev/null", "w")) == NULL) {
		perror(csv);
		goto out;
	}
	if (store_open(spool, &o, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "bench-import: %s\n", err);
		goto out;
	}
	memset(&io, 0, sizeof(io));
	io.list = "bench";
	io.file = csv;
	io.report = devnull;
	if (pthread_create(&thr, NULL, sampler, NULL) != 0) {
		perror("pthread_create");
		goto out;
	}
	t0 = now();
	rc = subscriber_import(st, in, &io, &n, err, sizeof(err));
	secs = now() - t0;
	atomic_store(&stop, 1);
	pthread_join(thr, NULL);
	if (rc == -1) {
		fprintf(stderr, "bench-import: %s\n", err);
		rc = 1;
		goto out;
	}
	hwm = proc_status_kb("VmHWM");
	printf("import: %ld rows (%llu added) in %.2f s: %.0f rows/s "
	    "(target: %ld in %.0f s)\n", rows, (unsigned long long)n.added, secs,
	    (double)rows / secs, rows, TARGET_SECONDS * (double)rows / 1e6);
	printf("import: peak RSS %.1f MB with the map's file pages; peak "
	    "anonymous memory (the process's own) %.1f MB (target: %.0f MB)\n",
	    hwm / 1024.0, atomic_load(&peak_anon) / 1024.0, TARGET_RSS_MB);
	fclose(devnull);
	rc = 0;
out:
	if (in)
		fclose(in);
	store_close(st);
	if (!keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-import: could not remove %s\n", dir);
	} else
		printf("import: kept %s\n", dir);
	return rc;
}
