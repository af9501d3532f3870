"""test_bounce_fixtures.py — `dispatcher bounce --dry-run` on the fixture
corpus under tests/fixtures/bounces/, and on hostile input.

Each NAME.eml has a NAME.expected.jsonl beside it: one JSON object a line,
in order, for each recipient the message reports on (an empty file when
nothing must be printed). Every key of an expected object is compared with
the same key of the printed one; keys the expectation leaves out are not
checked. One test method per fixture, generated below, so that the count
reflects the corpus.

The security tests build their input here rather than store it: a 10 MB
message, MIME nested 200 levels and far deeper, broken encodings. Each must
end within a time bound with exit 0 and well-formed output.
"""
import json
import os
import subprocess
import time
import unittest

from harness import BIN, FIXTURES

BOUNCES = os.path.join(FIXTURES, "bounces")
TIME_LIMIT = 20  # seconds, for any single run under the sanitizers


def dry_run(data=None, paths=()):
    start = time.monotonic()
    p = subprocess.run([BIN, "bounce", "--dry-run"] + list(paths),
                       input=data, capture_output=True,
                       timeout=TIME_LIMIT * 3)
    return p, time.monotonic() - start


def parse_lines(out):
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


class BounceFixtures(unittest.TestCase):
    """Filled in by add_fixture_tests() below."""


def make_fixture_test(name):
    def test(self):
        eml = os.path.join(BOUNCES, name + ".eml")
        with open(os.path.join(BOUNCES, name + ".expected.jsonl")) as f:
            expected = [json.loads(line) for line in f if line.strip()]
        p, _ = dry_run(paths=[eml])
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        got = parse_lines(p.stdout)
        self.assertEqual(len(got), len(expected),
                         "%s: printed %r" % (name, got))
        for i, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(list(g)[:4],
                             ["recipient", "status", "class", "reason"])
            for key, value in e.items():
                self.assertIn(key, g, "%s line %d" % (name, i + 1))
                self.assertEqual(g[key], value, "%s line %d, key %s: %r" % (
                    name, i + 1, key, g))
    return test


def add_fixture_tests():
    for fn in sorted(os.listdir(BOUNCES)):
        if not fn.endswith(".eml"):
            continue
        name = fn[:-4]
        setattr(BounceFixtures, "test_bounce_fixture_" +
                name.replace("-", "_"), make_fixture_test(name))


add_fixture_tests()


def nested_multipart(levels):
    head = ("From: MAILER-DAEMON@example.net\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n")
    body = ""
    for i in range(levels):
        body += ("Content-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n"
                 "--n%d\r\n" % (i, i))
    body += ("Content-Type: message/delivery-status\r\n\r\n"
             "Final-Recipient: rfc822; deep@example.com\r\n"
             "Action: failed\r\nStatus: 5.1.1\r\n\r\n")
    for i in reversed(range(levels)):
        body += "--n%d--\r\n" % i
    return (head + body).encode()


class BounceSecurity(unittest.TestCase):
    def check_clean(self, p, elapsed):
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        self.assertLess(elapsed, TIME_LIMIT)
        for obj in parse_lines(p.stdout):
            self.assertIn(obj["class"],
                          ("hard", "soft", "complaint", "ignore"))

    def test_bounce_ten_megabytes(self):
        part = ("Final-Recipient: rfc822; big@example.com\r\n"
                "Action: failed\r\nStatus: 5.1.1\r\n\r\n")
        data = ("From: MAILER-DAEMON@example.net\r\n"
                "Content-Type: multipart/report; boundary=\"b\"\r\n\r\n"
                "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
                "Reporting-MTA: dns; mx.example.net\r\n\r\n" + part +
                "--b\r\nContent-Type: message/rfc822\r\n\r\n"
                "Message-ID: <big@example.org>\r\n\r\n").encode()
        data += b"x" * 76 + b"\r\n"
        data += (b"y" * 76 + b"\r\n") * (10 * 1024 * 1024 // 78)
        data += b"--b--\r\n"
        self.assertGreater(len(data), 10 * 1000 * 1000)
        p, elapsed = dry_run(data=data)
        self.check_clean(p, elapsed)
        got = parse_lines(p.stdout)
        self.assertEqual([g["recipient"] for g in got], ["big@example.com"])
        self.assertIn(b"1 MiB", p.stderr)

    def test_bounce_ten_megabyte_single_line(self):
        data = b"From: a@example.com\r\nSubject: " + b"A" * (10 << 20)
        p, elapsed = dry_run(data=data)
        self.check_clean(p, elapsed)
        self.assertEqual(p.stdout, b"")

    def test_bounce_nested_200_levels(self):
        p, elapsed = dry_run(data=nested_multipart(200))
        self.check_clean(p, elapsed)
        self.assertIn(b"nest", p.stderr)

    def test_bounce_nested_beyond_parts_limit(self):
        p, elapsed = dry_run(data=nested_multipart(20000))
        self.check_clean(p, elapsed)

    def test_bounce_nested_messages(self):
        data = (b"From: MAILER-DAEMON@example.net\r\n" +
                b"Content-Type: message/rfc822\r\n\r\n" * 30000 + b"hi\r\n")
        p, elapsed = dry_run(data=data)
        self.check_clean(p, elapsed)

    def test_bounce_broken_encodings(self):
        cases = [
            b"Content-Type: multipart/report; boundary=\"x\"\r\n\r\n--x\r\n"
            b"Content-Type: message/delivery-status\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n====\x00\xff===\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"=\r\n=Z=\r\n=4" * 1000,
            b"Subject: =?utf-8?B?////?= =?x?Q?=FF=?=\r\n\r\n\xff\xfe\xc3",
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
            b"Content-Type: multipart/mixed; boundary=\"" + b"b" * 5000 +
            b"\"\r\n\r\n--" + b"b" * 5000 + b"\r\n\r\n",
            b"From: MAILER-DAEMON@example.net\r\n\r\n<" + b"a" * 100000 +
            b"@example.com>:\r\n550 5.1.1 x\r\n",
            b"From: MAILER-DAEMON@x.example\r\n\r\n"
            b"The following address(es) failed:\r\n\r\n  " + b"u" * 3000 +
            b"@example.com\r\n    550 5.1.1 x\r\n",
            b"Content-Type: application/json\r\n\r\n"
            b"{\"notificationType\":\"Bounce\",\"bounce\":" + b"[" * 100000,
        ]
        for data in cases:
            p, elapsed = dry_run(data=data)
            self.check_clean(p, elapsed)

    def test_bounce_long_recipient_lists(self):
        # once BOUNCE_RCPT_MAX recipients are read, the rest is skipped
        # without a search per line (these took minutes before)
        cases = [
            b"From: postmaster@x.example\r\n\r\n"
            b"Delivery has failed to these recipients or groups:\r\n" +
            b"u@example.com\r\n" * 50000 +
            b"Diagnostic information for administrators:\r\n" +
            b"x\r\n" * 100000,
            b"From: MAILER-DAEMON@x.example\r\n\r\n"
            b"----- The following addresses had permanent fatal errors"
            b" -----\r\n" + b"<u@example.com>\r\n" * 50000 +
            b"\r\n----- Transcript of session follows -----\r\n" +
            b"x\r\n" * 100000,
        ]
        for data in cases:
            p, elapsed = dry_run(data=data)
            self.check_clean(p, elapsed)
            self.assertEqual(len(parse_lines(p.stdout)), 100)

    def test_bounce_unreadable_file(self):
        p, _ = dry_run(paths=[os.path.join(BOUNCES, "no-such-file.eml")])
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"no-such-file.eml", p.stderr)

    def test_bounce_two_sources_is_a_usage_error(self):
        p = subprocess.run([BIN, "bounce", "--dry-run", "--imap", "x.eml"],
                           input=b"", capture_output=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"one of them", p.stderr)

    def test_bounce_stdin_and_several_files(self):
        names = ["qmail-no-mailbox", "plain-reply", "arf-abuse"]
        p, _ = dry_run(paths=[os.path.join(BOUNCES, n + ".eml")
                              for n in names])
        self.assertEqual(p.returncode, 0)
        got = parse_lines(p.stdout)
        self.assertEqual([g["class"] for g in got], ["hard", "complaint"])
        with open(os.path.join(BOUNCES, "exim-user-unknown.eml"), "rb") as f:
            p, _ = dry_run(data=f.read())
        self.assertEqual(parse_lines(p.stdout)[0]["recipient"],
                         "tom@example.net")


if __name__ == "__main__":
    unittest.main()
