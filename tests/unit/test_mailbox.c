/*
 * test_mailbox.c — the bounce mailbox's URL (mailbox_url_parse) and the
 * Maildir source: which messages it reads, and the names it gives the ones
 * it marks processed.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mailbox.h"
#include "mailbox_int.h"
#include "unit.h"

TEST(mailbox_url_forms)
{
	struct mailbox_url	u;
	char			err[256];

	REQUIRE(mailbox_url_parse("imaps://mail.example.org/Bounces", "imap",
	    &u, err, sizeof(err)) == 0);
	CHECK_STR(u.host, "mail.example.org");
	CHECK_STR(u.port, "993");
	CHECK_STR(u.path, "Bounces");
	CHECK(u.starttls == 0);
	REQUIRE(mailbox_url_parse("imap://127.0.0.1:1143", "imap", &u, err,
	    sizeof(err)) == 0);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK_STR(u.port, "1143");
	CHECK_STR(u.path, "");
	CHECK(u.starttls == 1);
	REQUIRE(mailbox_url_parse("pop3s://[::1]:995", "pop3", &u, err,
	    sizeof(err)) == 0);
	CHECK_STR(u.host, "::1");
	CHECK_STR(u.port, "995");
	REQUIRE(mailbox_url_parse("pop3://pop.example.org", "pop3", &u, err,
	    sizeof(err)) == 0);
	CHECK_STR(u.port, "110");
	CHECK(u.starttls == 1);
	REQUIRE(mailbox_url_parse("imaps://h/a/b", "imap", &u, err,
	    sizeof(err)) == 0);
	CHECK_STR(u.path, "a/b");
}

TEST(mailbox_url_refused)
{
	static const char *bad[] = {
		"pop3s://mail.example.org",	/* not imap */
		"imapx://mail.example.org",
		"imaps:/mail.example.org",
		"imaps://",
		"imaps://:993",
		"imaps://host:",
		"imaps://host:99x",
		"imaps://host:123456",
		"imaps://[::1",
		"imaps://host:993x/INBOX",
		"https://host/",
		NULL
	};
	struct mailbox_url	u;
	char			err[256];
	int			i;

	for (i = 0; bad[i]; i++) {
		err[0] = '\0';
		if (mailbox_url_parse(bad[i], "imap", &u, err, sizeof(err)) != -1)
			fprintf(stderr, "  accepted %s\n", bad[i]);
		CHECK(mailbox_url_parse(bad[i], "imap", &u, err,
		    sizeof(err)) == -1);
		CHECK(strstr(err, "imaps://HOST[:PORT][/FOLDER]") != NULL);
	}
}

struct seen {
	char	names[16][256];
	int	n;
	int	answer;		/* what the callback says */
};

static int
collect(void *arg, const char *name, const char *msg, size_t len)
{
	struct seen	*s = arg;
	const char	*base = strrchr(name, '/');

	if (s->n < 16)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s:%.*s",
		    base ? base + 1 : name, (int)len, msg);
	return s->answer;
}

static int
exists(const char *dir, const char *sub, const char *name)
{
	char		path[512];
	struct stat	st;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	return stat(path, &st) == 0;
}

TEST(mailbox_maildir_reads_and_marks)
{
	const char	*dir = unit_tmpdir();
	char		 sub[512], err[256];
	struct seen	 s = { .answer = 1 };
	static const char *subs[] = { "new", "cur", "tmp" };
	int		 i;

	for (i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		REQUIRE(mkdir(sub, 0700) == 0);
	}
	unit_write(dir, "new/1.a", "one");
	unit_write(dir, "new/.2.b", "hidden");
	unit_write(dir, "cur/3.c:2,FT", "three");
	unit_write(dir, "cur/4.d:2,RS", "read");
	unit_write(dir, "cur/5.e", "five");
	unit_write(dir, "tmp/6.f", "half");
	REQUIRE(mailbox_maildir(dir, collect, &s, err, sizeof(err)) == 0);
	REQUIRE(s.n == 3);
	CHECK_STR(s.names[0], "1.a:one");
	CHECK_STR(s.names[1], "3.c:2,FT:three");
	CHECK_STR(s.names[2], "5.e:five");
	CHECK(exists(dir, "cur", "1.a:2,S"));
	CHECK(exists(dir, "cur", "3.c:2,FST"));
	CHECK(exists(dir, "cur", "5.e:2,S"));
	CHECK(exists(dir, "cur", "4.d:2,RS"));
	CHECK(exists(dir, "new", ".2.b"));
	CHECK(exists(dir, "tmp", "6.f"));
	/* everything is marked now: a second pass reads nothing */
	s.n = 0;
	REQUIRE(mailbox_maildir(dir, collect, &s, err, sizeof(err)) == 0);
	CHECK(s.n == 0);
}

TEST(mailbox_maildir_leaves_and_stops)
{
	const char	*dir = unit_tmpdir();
	char		 sub[512], err[256];
	struct seen	 s = { .answer = 0 };
	static const char *subs[] = { "new", "cur", "tmp" };
	int		 i;

	for (i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		REQUIRE(mkdir(sub, 0700) == 0);
	}
	unit_write(dir, "new/1.a", "one");
	unit_write(dir, "new/2.b", "two");
	REQUIRE(mailbox_maildir(dir, collect, &s, err, sizeof(err)) == 0);
	CHECK(s.n == 2);
	CHECK(exists(dir, "new", "1.a") && exists(dir, "new", "2.b"));
	s.n = 0;
	s.answer = -1;
	CHECK(mailbox_maildir(dir, collect, &s, err, sizeof(err)) == -1);
	CHECK(s.n == 1);
	CHECK(strstr(err, "stopped at") != NULL);
	CHECK(exists(dir, "new", "1.a") && exists(dir, "new", "2.b"));
	snprintf(sub, sizeof(sub), "%s/none", dir);
	CHECK(mailbox_maildir(sub, collect, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "none/new") != NULL);
}
