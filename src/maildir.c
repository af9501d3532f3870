/*
 * maildir.c — Maildir delivery (see maildir.h).
 *
 * File names follow the Maildir convention: TIME.M<usec>P<pid>Q<seq>.HOST,
 * unique per process and delivery.
 */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

int
maildir_prepare(const char *dir, char *err, size_t errlen)
{
	static const char	*subs[] = { "", "/tmp", "/new", "/cur" };
	char			 path[4096];
	size_t			 i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, subs[i]);
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			errf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
maildir_deliver(const char *dir, const char *return_path, const char *msg,
    size_t n, char *err, size_t errlen)
{
	static unsigned long	 seq;
	struct timeval		 tv;
	char			 host[256], name[512], tmp[4096], dst[4096];
	char			 rp[600];
	int			 fd = -1, rc = -1;

	gettimeofday(&tv, NULL);
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "localhost");
	host[strcspn(host, "/:")] = '\0';
	snprintf(name, sizeof(name), "%lld.M%ldP%dQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (int)getpid(), ++seq, host);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (return_path)
		snprintf(rp, sizeof(rp), "Return-Path: <%s>\r\n", return_path);
	if ((return_path && write_all(fd, rp, strlen(rp)) == -1) ||
	    write_all(fd, msg, n) == -1 || fsync(fd) == -1) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) == -1) {
		errf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlink(tmp);
	return rc;
}
