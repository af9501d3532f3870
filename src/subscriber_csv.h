/*
 * subscriber_csv.h — importing subscribers from CSV and exporting them.
 *
 * Import reads a header row naming the columns, in any order, matched
 * without regard to case, spaces, '-' and '_':
 *   email | email address | e-mail | mail      the address (required)
 *   name | full name | display name            the name
 *   first name | fname, last name | lname      joined, when no name column
 *   status                                     see below; empty is active
 *   created | created at                       kept for a new subscriber
 * Other columns are ignored, so the exports of Mailchimp ("Email Address",
 * "First Name", "Last Name", ...) and listmonk (email, name, status, ...)
 * work as they are. Status values: active, subscribed, enabled, confirmed;
 * pending, unconfirmed; unsubscribed, disabled, blocklisted; bounced,
 * cleaned; complained.
 *
 * Each row is checked on its own: a bad row is reported on the report
 * stream as "FILE:LINE: ADDRESS: reason" and skipped (a row that a rule
 * suppresses is reported as "FILE:LINE: ADDRESS: suppressed: why"); the
 * good rows go in under the rules of subscriber.h, in transactions of up
 * to IMPORT_BATCH rows (or IMPORT_ARENA bytes of them), so memory stays
 * flat and other processes get the writer lock between batches (a batch
 * holds it for about half a second). Within a batch rows are applied in
 * key order. A duplicate within the file (same key) is counted once as
 * added or updated and then as a duplicate. The event of each change names
 * the file and line. A dry run changes nothing: each batch is rolled back,
 * and duplicates are found with an in-memory set (8 to 16 bytes per row)
 * instead of a mark in the store.
 */
#ifndef DISPATCHER_SUBSCRIBER_CSV_H
#define DISPATCHER_SUBSCRIBER_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define IMPORT_BATCH	50000		/* rows a transaction, at most */
#define IMPORT_ARENA	((size_t)4 << 20)	/* bytes of their strings */

struct import_opts {
	const char	*list;
	const char	*file;		/* named in reports and event details */
	int		 dry_run;
	int		 force;		/* re-add bounced / complained */
	int		 progress;	/* a progress line on stderr */
	FILE		*report;	/* bad and suppressed rows go here */
};

struct import_counts {
	uint64_t	rows, added, updated, unchanged, duplicate, rejected,
			suppressed;
};

/*
 * Imports the CSV on in into o->list. 0 with *n filled (also on a dry run),
 * or -1 with err set: no usable header, a read error, a store error (the
 * batches committed before it stay in).
 */
int	subscriber_import(struct store *st, FILE *in, const struct import_opts *o,
	    struct import_counts *n, char *err, size_t errlen);

/*
 * Writes list's subscribers (status < 0: all) to out as CSV with a header
 * row: email, name, status, created, changed, source, bounce_score; times
 * in UTC as 2026-01-31T12:00:00Z. Formula-safe (csv_put). 0 or -1.
 */
int	subscriber_export(struct store *st, const char *list, int status,
	    FILE *out, char *err, size_t errlen);

/* Formats t as 2026-01-31T12:00:00Z into buf (at least 21 bytes). */
void	subscriber_time(int64_t t, char *buf, size_t size);

#endif
