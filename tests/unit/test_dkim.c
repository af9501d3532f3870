/*
 * test_dkim.c — DKIM: the header and date parsers, the TXT record, key
 * pairs on disk, signatures that are the same bytes every time and from
 * any thread, alignment, and a one-off spool message (a sign-up
 * confirmation) delivered signed into a Maildir and checked by an
 * independent verifier (tests/integration/dkim_verify.py, python3-dkim).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "deliver.h"
#include "dkim_sign.h"
#include "dkim_keygen.h"
#include "log.h"
#include "sign.h"
#include "spool.h"
#include "store.h"
#include "unit.h"

#define MSG(date) \
	"From: The Weekly <weekly@example.org>\r\n" \
	"To: reader@example.com\r\n" \
	"Subject: Hello\r\n" \
	"Date: " date "\r\n" \
	"Message-ID: <m1@example.org>\r\n" \
	"\r\n" \
	"Body line one.\r\n"

TEST(dkim_message_date)
{
	time_t	t;

	REQUIRE(dkim_message_date(MSG("Sun, 22 Nov 2026 12:00:00 +0000"),
	    strlen(MSG("Sun, 22 Nov 2026 12:00:00 +0000")), &t) == 0);
	CHECK(t == 1795348800);
	CHECK(dkim_message_date(MSG("22 Nov 2026 07:00:00 -0500"),
	    strlen(MSG("22 Nov 2026 07:00:00 -0500")), &t) == 0 &&
	    t == 1795348800);
	CHECK(dkim_message_date(MSG("Sun, 22 Nov 2026 13:30 +0130"),
	    strlen(MSG("Sun, 22 Nov 2026 13:30 +0130")), &t) == 0 &&
	    t == 1795348800);
	/* folded, and in lower case */
	CHECK(dkim_message_date("X: 1\r\ndate: Sun,\r\n 22 Nov 2026 12:00:00\r\n"
	    "\t+0000\r\n\r\nb\r\n", 52, &t) == 0 && t == 1795348800);
	CHECK(dkim_message_date(MSG("Sun, 22 Foo 2026 12:00:00 +0000"),
	    strlen(MSG("Sun, 22 Foo 2026 12:00:00 +0000")), &t) == -1);
	CHECK(dkim_message_date(MSG("Sun, 22 Nov 2026 12:00:00"),
	    strlen(MSG("Sun, 22 Nov 2026 12:00:00")), &t) == -1);
	CHECK(dkim_message_date(MSG("yesterday"), strlen(MSG("yesterday")),
	    &t) == -1);
	/* a Date line in the body is not the header */
	CHECK(dkim_message_date("Subject: x\r\n\r\nDate: Sun, 22 Nov 2026 "
	    "12:00:00 +0000\r\n", 50, &t) == -1);
}

TEST(dkim_message_header)
{
	char	v[64];

	CHECK(dkim_message_header("A: 1\r\nFrom: x\r\n <a@b.c>\r\n\r\n"
	    "From: no\r\n", 40, "from", v, sizeof(v)) == 0);
	CHECK_STR(v, " x <a@b.c>");
	CHECK(dkim_message_header("A: 1\r\n\r\nFrom: no\r\n", 18, "From", v,
	    sizeof(v)) == -1);
	CHECK(dkim_message_header("Fromage: 1\r\n\r\n", 14, "From", v,
	    sizeof(v)) == -1);
	CHECK(dkim_message_header("From: 0123456789\r\n\r\n", 20, "From", v,
	    8) == -1);
}

TEST(dkim_txt_record_and_path)
{
	struct buf	 b;
	char		 pub[401], *p, joined[600] = "";
	const char	*q, *e;

	memset(pub, 'A', 400);
	pub[400] = '\0';
	buf_init(&b, 0);
	REQUIRE(dkim_txt_record("s1", "example.org", pub, &b) == 0);
	CHECK(strncmp(b.data, "s1._domainkey.example.org. IN TXT \"", 35) == 0);
	CHECK(b.data[b.len - 1] == '\n' && strchr(b.data, '\n') ==
	    b.data + b.len - 1);
	for (q = strchr(b.data, '"'); q; q = strchr(e + 1, '"')) {
		e = strchr(q + 1, '"');
		REQUIRE(e != NULL);
		CHECK(e - q - 1 <= 255);
		strncat(joined, q + 1, (size_t)(e - q - 1));
	}
	CHECK(strncmp(joined, "v=DKIM1; k=rsa; p=", 18) == 0);
	CHECK(strcmp(joined + 18, pub) == 0);
	buf_free(&b);
	CHECK_STR(p = dkim_txt_path("keys/dkim.key"), "keys/dkim.dns");
	free(p);
	CHECK_STR(p = dkim_txt_path("a.pem"), "a.dns");
	free(p);
	CHECK_STR(p = dkim_txt_path("dkim"), "dkim.dns");
	free(p);
}

TEST(dkim_alignment)
{
	CHECK(sign_aligned("example.org", "example.org"));
	CHECK(sign_aligned("news.example.org", "example.org"));
	CHECK(sign_aligned("a.example.org", "B.Example.org"));
	CHECK(sign_aligned("mail.example.co.uk", "example.co.uk"));
	CHECK(!sign_aligned("example.org", "example.net"));
	CHECK(!sign_aligned("example.co.uk", "other.co.uk"));
	CHECK(!sign_aligned("esp.example.com", "example.org"));
}

struct signing {
	struct dkim_key	*k;
	char		 sig[2048];
	int		 same;		/* every signature equal to the first */
};

static void *
sign_many(void *arg)
{
	struct signing	*s = arg;
	struct buf	 b;
	char		 err[ERRLEN];
	int		 i;

	s->same = 1;
	for (i = 0; i < 20; i++) {
		buf_init(&b, 0);
		if (dkim_sign_message(s->k, "example.org", "sel",
		    MSG("Sun, 22 Nov 2026 12:00:00 +0000"),
		    strlen(MSG("Sun, 22 Nov 2026 12:00:00 +0000")), &b, err,
		    sizeof(err)) == -1)
			s->same = 0;
		else if (i == 0)
			snprintf(s->sig, sizeof(s->sig), "%s", b.data);
		else if (strcmp(s->sig, b.data) != 0)
			s->same = 0;
		buf_free(&b);
	}
	return NULL;
}

TEST(dkim_keygen_and_deterministic_signatures)
{
	const char	*dir = unit_tmpdir();
	char		 path[512], err[ERRLEN], *pub = NULL, *pub2 = NULL;
	struct dkim_key	*k;
	struct signing	 s[3];
	pthread_t	 th[2];
	struct stat	 st;
	struct buf	 b;
	int		 i;

	snprintf(path, sizeof(path), "%s/new/dir/dkim.key", dir);
	REQUIRE(dkim_keygen_write(path, 2048, 0, &pub, err, sizeof(err)) == 0);
	REQUIRE(stat(path, &st) == 0);
	CHECK((st.st_mode & 0777) == 0600);
	CHECK(strncmp(pub, "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 44)
	    == 0);
	/* no second key over the first without force; the first stays */
	CHECK(dkim_keygen_write(path, 2048, 0, &pub2, err, sizeof(err)) == -1 &&
	    errno == EEXIST && pub2 == NULL);
	REQUIRE(dkim_keygen_read(path, &pub2, err, sizeof(err)) == 0);
	CHECK_STR(pub2, pub);
	free(pub2);

	REQUIRE((k = dkim_key_load(path, err, sizeof(err))) != NULL);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 3; i++)
		s[i].k = k;
	sign_many(&s[0]);
	for (i = 0; i < 2; i++)
		REQUIRE(pthread_create(&th[i], NULL, sign_many, &s[i + 1]) == 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 3; i++) {
		CHECK(s[i].same);
		CHECK_STR(s[i].sig, s[0].sig);
	}
	CHECK(strncmp(s[0].sig, "DKIM-Signature: v=1; a=rsa-sha256; "
	    "c=relaxed/relaxed; d=example.org; s=sel;", 74) == 0);
	CHECK(strstr(s[0].sig, "t=1795348800;") != NULL);
	CHECK(strstr(s[0].sig, " x=") == NULL);
	CHECK(strstr(s[0].sig, "\r\n\t") != NULL);	/* folded with CRLF */
	CHECK(strcmp(s[0].sig + strlen(s[0].sig) - 2, "\r\n") == 0);
	/* another Date, another t= */
	buf_init(&b, 0);
	REQUIRE(dkim_sign_message(k, "example.org", "sel",
	    MSG("Mon, 23 Nov 2026 12:00:00 +0000"),
	    strlen(MSG("Mon, 23 Nov 2026 12:00:00 +0000")), &b, err,
	    sizeof(err)) == 0);
	CHECK(strstr(b.data, "t=1795435200;") != NULL);
	buf_free(&b);
	dkim_key_free(k);
	free(pub);
}

/* What a missing or broken key means (sign.h's policy). */
TEST(dkim_sign_open_missing_and_bad_keys)
{
	const char	*dir = unit_tmpdir();
	struct config	 cfg;
	struct signer	*s = (struct signer *)&cfg;
	char		 path[512], err[ERRLEN];

	memset(&cfg, 0, sizeof(cfg));
	CHECK(sign_open(&cfg, 1, &s, err, sizeof(err)) == 0 && s == NULL);
	snprintf(path, sizeof(path), "%s/absent.key", dir);
	cfg.dkim_key = path;
	log_set_level(LOG_ERROR);	/* the warning below is expected */
	CHECK(sign_open(&cfg, 0, &s, err, sizeof(err)) == 0 && s == NULL);
	log_set_level(LOG_INFO);
	CHECK(sign_open(&cfg, 1, &s, err, sizeof(err)) == -1 && s == NULL);
	CHECK(strstr(err, "dkim-keygen") != NULL);
	unit_write(dir, "bad.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n");
	snprintf(path, sizeof(path), "%s/bad.key", dir);
	CHECK(sign_open(&cfg, 0, &s, err, sizeof(err)) == -1 && s == NULL);
	unit_write(dir, "text.key", "hello\n");
	snprintf(path, sizeof(path), "%s/text.key", dir);
	CHECK(sign_open(&cfg, 0, &s, err, sizeof(err)) == -1 && s == NULL);
	snprintf(path, sizeof(path), "%s", dir);	/* a directory */
	CHECK(sign_open(&cfg, 0, &s, err, sizeof(err)) == -1 && s == NULL);
}

/* ---- a one-off message through the delivery path -------------------- */

static const char confirm_msg[] =
	"From: The Weekly <weekly@example.org>\r\n"
	"To: new@example.com\r\n"
	"Subject: Confirm your subscription to The Weekly\r\n"
	"Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
	"Message-ID: <confirm.1@example.org>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Confirm here: https://lists.example.org/confirm/weekly/abc\r\n";

/* The paths of the files in dir (at most max of them): how many. */
static int
files_in(const char *dir, char out[][600], int max)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n < max)
		if (e->d_name[0] != '.')
			snprintf(out[n++], 600, "%.300s/%.255s", dir, e->d_name);
	closedir(d);
	return n;
}

/* Whether the file at path has a LF without a CR before it. */
static int
has_bare_lf(const char *path)
{
	FILE	*fp = fopen(path, "rb");
	int	 c, prev = 0, bare = 0;

	if (fp == NULL)
		return 1;
	while ((c = getc(fp)) != EOF) {
		bare |= c == '\n' && prev != '\r';
		prev = c;
	}
	fclose(fp);
	return bare;
}

/* msg with every CRLF made a bare LF (a new string). */
static char *
lf_only(const char *msg)
{
	char	*out = strdup(msg), *p, *q;

	for (p = q = out; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*q++ = *p;
	*q = '\0';
	return out;
}

static int
verify(const char *msg, const char *dns)
{
	char	cmd[4096];
	int	st;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 "
	    "tests/integration/dkim_verify.py '%s' '%s' >/dev/null", msg, dns);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct config *
oneoff_config(const char *dir)
{
	struct config	*cfg = NULL;
	struct diag	 d = { 0 };
	char		 path[512];

	snprintf(path, sizeof(path), "%s/templates", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/templates/default", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/lists", dir);
	mkdir(path, 0700);
	unit_write(path, "weekly.conf", "display_name = \"The Weekly\";\n"
	    "from = \"weekly@example.org\";\nlist_id = \"weekly.example.org\";\n"
	    "base_url = \"https://lists.example.org\";\n"
	    "postal_address = \"1 Street\";\ndkim_selector = \"confirm1\";\n");
	unit_write(dir, "dispatcher.conf",
	    "dkim = { key = \"keys/dkim.key\"; };\n");
	snprintf(path, sizeof(path), "%s/dispatcher.conf", dir);
	if (config_load(path, &cfg, &d) == -1)
		diag_print(&d, stderr);
	diag_free(&d);
	return cfg;
}

TEST(dkim_one_off_message_is_delivered_signed)
{
	const char		*dir = unit_tmpdir();
	struct store_opts	 so = { 1 << 20, 64 << 20 };
	struct deliver_opts	 o = { DELIVER_DUE, 0, 0 };
	struct deliver_stats	 stats;
	struct config		*cfg;
	struct store		*st = NULL;
	struct buf		 rec;
	char			 err[ERRLEN], dns[600], *pub = NULL, *lf;
	char			 box[600], tampered[700], cmd[4096];
	char			 files[3][600];
	uint64_t		 id;
	int			 i;

	REQUIRE((cfg = oneoff_config(dir)) != NULL);
	REQUIRE(dkim_keygen_write(cfg->dkim_key, 2048, 0, &pub, err,
	    sizeof(err)) == 0);
	buf_init(&rec, 0);
	REQUIRE(dkim_txt_record(sign_selector(cfg, &cfg->lists[0]),
	    sign_domain(cfg, &cfg->lists[0]), pub, &rec) == 0);
	snprintf(dns, sizeof(dns), "%s/keys/dkim.dns", dir);
	unit_write(dir, "keys/dkim.dns", rec.data);
	buf_free(&rec);
	free(pub);

	REQUIRE(store_open(cfg->spool_dir, &so, &st, err, sizeof(err)) == 0);
	REQUIRE(spool_enqueue_message(st, "new@example.com", "example.org",
	    confirm_msg, sizeof(confirm_msg) - 1, &id, err, sizeof(err)) == 0);
	/* the same with bare LF line ends: made CRLF, then signed */
	REQUIRE((lf = lf_only(confirm_msg)) != NULL);
	REQUIRE(spool_enqueue_message(st, "lf@example.com", "example.org",
	    lf, strlen(lf), &id, err, sizeof(err)) == 0);
	free(lf);
	REQUIRE(deliver_run(cfg, st, &o, &stats, err, sizeof(err)) == 0);
	CHECK(stats.sent == 2);
	snprintf(box, sizeof(box), "%s/new", cfg->outbox_dir);
	REQUIRE(files_in(box, files, 3) == 2);
	snprintf(tampered, sizeof(tampered), "%s/tampered.eml", dir);
	for (i = 0; i < 2; i++) {
		CHECK(!has_bare_lf(files[i]));
		CHECK(verify(files[i], dns) == 0);
		/* one byte of the body, then of the Subject */
		snprintf(cmd, sizeof(cmd), "sed 's/Confirm here/Confirm hare/' "
		    "'%s' > '%s'", files[i], tampered);
		REQUIRE(system(cmd) == 0);
		CHECK(verify(tampered, dns) == 1);
		snprintf(cmd, sizeof(cmd), "sed 's/^Subject: Confirm/Subject: "
		    "Konfirm/' '%s' > '%s'", files[i], tampered);
		REQUIRE(system(cmd) == 0);
		CHECK(verify(tampered, dns) == 1);
	}
	store_close(st);
	config_free(cfg);
}
