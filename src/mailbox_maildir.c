/*
 * mailbox_maildir.c — a Maildir as a source of bounces (see mailbox.h).
 *
 * Plain readdir(2) and rename(2) rather than libetpan's maildir driver:
 * marking a message is one rename within the Maildir, atomic on one file
 * system, and the driver would add cache files of its own to the directory.
 */
#define _GNU_SOURCE
#include "mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when a name in cur/ already carries the S flag. */
static int
flagged_seen(const char *name)
{
	const char	*info = strstr(name, ":2,");

	return info && strchr(info + 3, 'S') != NULL;
}

/* The sorted file names of sub (new or cur) still to read. -1 + err. */
static int
list_dir(const char *dir, const char *sub, char ***names, size_t *n,
    char *err, size_t errlen)
{
	struct dirent	*de;
	char		 path[4096], **v = NULL, **nv;
	size_t		 cap = 0;
	DIR		*d;

	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (sub[0] == 'c' &&
		    flagged_seen(de->d_name)))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				abort();
			v = nv;
		}
		if ((v[(*n)++] = strdup(de->d_name)) == NULL)
			abort();
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
}

/* Reads at most MAILBOX_MSG_MAX bytes of path into b: 0, 1 when the file
 * is gone (another reader took it), -1 + err. */
static int
read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
	char	 chunk[65536];
	size_t	 n, want;
	FILE	*fp;
	int	 rv = 0;

	if ((fp = fopen(path, "rb")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (b->len < MAILBOX_MSG_MAX &&
	    (n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		want = MAILBOX_MSG_MAX - b->len;
		if (buf_add(b, chunk, n < want ? n : want) == -1) {
			snprintf(err, errlen, "%s: out of memory", path);
			rv = -1;
			break;
		}
	}
	if (rv == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		rv = -1;
	}
	fclose(fp);
	return rv;
}

/* cur/NAME:2,FLAGS with S added, the flags kept in ASCII order. */
static void
seen_name(const char *name, char *out, size_t outlen)
{
	const char	*info = strstr(name, ":2,");
	char		 flags[64];
	size_t		 i, n;

	if (info == NULL) {
		snprintf(out, outlen, "%s:2,S", name);
		return;
	}
	n = (size_t)snprintf(flags, sizeof(flags), "%s", info + 3);
	n = n < sizeof(flags) - 2 ? n : sizeof(flags) - 2;
	for (i = 0; i < n && flags[i] < 'S'; i++)
		;
	memmove(flags + i + 1, flags + i, n - i + 1);
	flags[i] = 'S';
	snprintf(out, outlen, "%.*s:2,%s", (int)(info - name), name, flags);
}

/* One message: 1 processed and moved, 0 left, -1 stop (err set). */
static int
one(const char *dir, const char *sub, const char *name, mailbox_fn fn,
    void *arg, char *err, size_t errlen)
{
	char		 from[4096], to[4096], seen[1024];
	struct buf	 b;
	int		 rc;

	buf_init(&b, MAILBOX_MSG_MAX);
	snprintf(from, sizeof(from), "%s/%s/%s", dir, sub, name);
	if ((rc = read_file(from, &b, err, errlen)) != 0) {
		buf_free(&b);
		return rc == 1 ? 0 : -1;
	}
	rc = fn(arg, from, b.data ? b.data : "", b.len);
	buf_free(&b);
	if (rc != 1) {
		if (rc == -1)
			snprintf(err, errlen, "stopped at %s", from);
		return rc;
	}
	seen_name(name, seen, sizeof(seen));
	snprintf(to, sizeof(to), "%s/cur/%s", dir, seen);
	if (rename(from, to) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "rename %s: %s", from, strerror(errno));
		return -1;
	}
	return 1;
}

int
mailbox_maildir(const char *dir, mailbox_fn fn, void *arg, char *err,
    size_t errlen)
{
	static const char	*subs[] = { "new", "cur" };
	char			**names = NULL;
	size_t			  i, n = 0, k;
	int			  rv = 0;

	for (k = 0; k < 2 && rv == 0; k++) {
		if (list_dir(dir, subs[k], &names, &n, err, errlen) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if (rv == 0 && one(dir, subs[k], names[i], fn, arg, err,
			    errlen) == -1)
				rv = -1;
			free(names[i]);
		}
		free(names);
		names = NULL;
	}
	return rv;
}
