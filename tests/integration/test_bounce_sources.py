"""test_bounce_sources.py — `dispatcher bounce` acting on what comes back:
files and stdin (as an MTA pipe would run it), a Maildir, the end-to-end
path from a send through smtp-sink back to suppression, and hostile input
on the path that changes state.

Each test sends an issue first, so that the spool holds real entries and
the VERP envelope senders are the ones a remote MTA would bounce to.
"""
import os
import re
import shutil
import unittest

from harness import Workspace
from sinks import Sink
from bouncemail import dsn, arf, plain, status_of, export, padded_dsns, \
    set_map_max
from test_deliver import ISSUE, make_ws, smtp_conf

READERS = ["ann@example.com", "bob@example.net", "cat@example.com",
           "dan@example.net", "eve@example.com"]


def outbox_verps(ws):
    """{recipient: VERP envelope sender} of the messages in outbox/new/."""
    out = {}
    d = ws.path("outbox", "new")
    for name in os.listdir(d):
        with open(os.path.join(d, name), "rb") as f:
            head = f.read(4096).decode()
        rp = re.search(r"^Return-Path: <([^>]*)>", head, re.M).group(1)
        to = re.search(r"^To: .*?<([^>]*)>", head, re.M).group(1)
        out[to] = rp
    return out


def sent_workspace(main_extra=""):
    """A workspace whose READERS got one issue in the Maildir outbox."""
    ws = Workspace(main_extra=main_extra)
    ws.write("issue.md", ISSUE)
    ws.write("subs.csv", "email\n" + "\n".join(READERS) + "\n")
    ws.run(["import", "weekly", "subs.csv"])
    ws.run(["send", "issue.md", "--list", "weekly"])
    return ws, outbox_verps(ws)


def forge(verp):
    """The same VERP address with one character of its HMAC changed."""
    local, domain = verp.split("@")
    c = "a" if local[-1] != "a" else "b"
    return local[:-1] + c + "@" + domain


class BounceFilesTest(unittest.TestCase):
    def setUp(self):
        self.ws, self.verps = sent_workspace()

    def tearDown(self):
        self.ws.cleanup()

    def bounce(self, data, *args, check=True):
        return self.ws.run(["bounce"] + list(args), input=data, text=False,
                           check=check)

    def test_bounce_stdin_hard_then_again_changes_nothing(self):
        p = self.bounce(dsn(self.verps[READERS[0]], READERS[0]))
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"bounced ann@example.com on weekly (dsn, via verp)",
                      p.stdout)
        self.assertEqual(status_of(self.ws, READERS[0]), "bounced")
        for r in READERS[1:]:
            self.assertEqual(status_of(self.ws, r), "active")
        before = export(self.ws)
        show = self.ws.run(["show", "weekly", READERS[0]]).stdout
        p = self.bounce(dsn(self.verps[READERS[0]], READERS[0]))
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"seen before, nothing changed", p.stdout)
        self.assertEqual(export(self.ws), before)
        self.assertEqual(self.ws.run(["show", "weekly", READERS[0]]).stdout,
                         show)

    def test_bounce_rcpt_argument_attributes_a_bounce_without_headers(self):
        # the bounce names no VERP address: only the MTA knows it
        data = dsn(None, "someone-else@example.org")
        p = self.bounce(data, "--rcpt", self.verps[READERS[1]])
        self.assertIn(b"bounced bob@example.net", p.stdout)
        self.assertEqual(status_of(self.ws, READERS[1]), "bounced")

    def test_bounce_files_soft_complaint_and_plain_mail(self):
        files = [
            self.ws.write("soft.eml", dsn(
                self.verps[READERS[2]], READERS[2], status="4.2.2",
                diag="452 4.2.2 Mailbox full"), "wb"),
            self.ws.write("arf.eml", arf(self.verps[READERS[3]],
                                         READERS[3]), "wb"),
            self.ws.write("plain.eml", plain(), "wb"),
        ]
        p = self.ws.run(["bounce"] + files, text=True)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 3, p.stdout)
        self.assertIn("soft.eml: soft cat@example.com on weekly", lines[0])
        self.assertIn("arf.eml: complained dan@example.net on weekly",
                      lines[1])
        self.assertIn("plain.eml: not about a subscriber (none), left alone",
                      lines[2])
        self.assertEqual(status_of(self.ws, READERS[2]), "active")
        self.assertIn("bounce score: 1",
                      self.ws.run(["show", "weekly", READERS[2]]).stdout)
        self.assertEqual(status_of(self.ws, READERS[3]), "complained")

    def test_bounce_file_names_after_double_dash(self):
        self.ws.write("-odd.eml", dsn(self.verps[READERS[0]], READERS[0]),
                      "wb")
        self.ws.write("--rcpt", dsn(self.verps[READERS[1]], READERS[1]),
                      "wb")
        p = self.ws.run(["bounce", "--", "-odd.eml", "--rcpt"])
        self.assertEqual(p.stdout.splitlines(), [
            "-odd.eml: bounced ann@example.com on weekly (dsn, via verp)",
            "--rcpt: bounced bob@example.net on weekly (dsn, via verp)"])

    def test_bounce_unreadable_input_exits_1_and_reads_the_rest(self):
        good = self.ws.write("good.eml", dsn(self.verps[READERS[0]],
                                             READERS[0]), "wb")
        p = self.ws.run(["bounce", self.ws.path("missing.eml"), good],
                        check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.eml", p.stderr)
        self.assertEqual(status_of(self.ws, READERS[0]), "bounced")
        p = self.ws.run(["bounce", self.ws.dir], check=False)
        self.assertEqual(p.returncode, 1)

    def test_bounce_store_unavailable_exits_75(self):
        data = dsn(self.verps[READERS[0]], READERS[0])
        with open(self.ws.conf) as f:
            conf = f.read()
        with open(self.ws.conf, "w") as f:
            f.write(conf.replace('spool = "spool";',
                                 'spool = "/dev/null/spool";'))
        p = self.bounce(data, check=False)
        self.assertEqual(p.returncode, 75, p.stderr)
        with open(self.ws.conf, "w") as f:
            f.write(conf)
        self.assertEqual(status_of(self.ws, READERS[0]), "active")
        # a configuration with an error is a temporary failure too: the
        # MTA keeps the bounce until it is fixed
        with open(self.ws.conf, "a") as f:
            f.write("no_such_setting = 1;\n")
        p = self.bounce(data, check=False)
        self.assertEqual(p.returncode, 75, p.stderr)

    def rotate(self, until):
        os.rename(self.ws.path("spool", "secret.key"),
                  self.ws.path("spool", "secret.key.old"))
        with open(self.ws.conf, "a") as f:
            f.write('secret_previous_file = "spool/secret.key.old";\n'
                    'secret_previous_until = "%s";\n' % until)

    def test_bounce_after_key_rotation_until_the_end_date(self):
        self.rotate("2999-01-01")
        p = self.bounce(dsn(self.verps[READERS[0]], READERS[0]))
        self.assertIn(b"bounced ann@example.com on weekly (dsn, via verp)",
                      p.stdout)

    def test_bounce_after_the_previous_key_expired(self):
        self.rotate("2020-01-01")
        # the token no longer verifies; only the reported recipient is left
        p = self.bounce(dsn(self.verps[READERS[0]], "stranger@example.org"))
        self.assertIn(b"via final-recipient), no change", p.stdout)
        self.assertEqual(status_of(self.ws, READERS[0]), "active")

    def test_bounce_mailbox_url_is_checked_with_the_config(self):
        with open(self.ws.conf) as f:
            n = len(f.read().splitlines())
        with open(self.ws.conf, "a") as f:
            f.write('bounce = {\n  mailbox = {\n'
                    '    url = "https://user:pw@mail.example.org/";\n'
                    '  };\n};\n')
        p = self.ws.run(["check-config"], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("dispatcher.conf:%d:" % (n + 3), p.stderr)
        self.assertIn("must start with imaps:// or pop3s://", p.stderr)
        self.assertNotIn("pw@", p.stderr)

    def test_bounce_not_a_bounce_is_not_an_error(self):
        before = export(self.ws)
        for data in (plain(), b"", b"\x00\xff garbage\r\n"):
            p = self.bounce(data)
            self.assertEqual(p.returncode, 0)
            self.assertIn(b"left alone", p.stdout)
        self.assertEqual(export(self.ws), before)


class BounceMailtoTest(unittest.TestCase):
    """A reader's reply to the List-Unsubscribe mailto, as a mail client
    writes it from the header, unsubscribes that reader only."""

    def setUp(self):
        self.ws = Workspace(list_extra='unsubscribe_mailto = '
                            '"leave@example.org";')
        self.ws.write("issue.md", ISSUE)
        self.ws.write("subs.csv", "email\n" + "\n".join(READERS) + "\n")
        self.ws.run(["import", "weekly", "subs.csv"])
        self.ws.run(["send", "issue.md", "--list", "weekly"])

    def tearDown(self):
        self.ws.cleanup()

    def mailto_of(self, reader):
        d = self.ws.path("outbox", "new")
        for name in os.listdir(d):
            with open(os.path.join(d, name)) as f:
                head = f.read().split("\n\n")[0].replace("\n ", " ")
            if "<%s>" % reader in head:
                return re.search(r"<mailto:([^?]+)\?subject=unsubscribe%20"
                                 r"([^>]+)>", head).groups()

    def reply(self, to, token, sender):
        return ("From: %s\r\nTo: %s\r\nSubject: unsubscribe %s\r\n"
                "Date: Sun, 22 Nov 2026 11:00:00 +0000\r\n\r\n"
                "\r\n" % (sender, to, token)).encode()

    def test_bounce_mailto_unsubscribe(self):
        to, token = self.mailto_of(READERS[0])
        self.assertEqual(to, "leave@example.org")
        p = self.ws.run(["bounce"], text=False,
                        input=self.reply(to, token, READERS[0]))
        self.assertIn(b"unsubscribed ann@example.com on weekly", p.stdout)
        self.assertEqual([status_of(self.ws, r) for r in READERS],
                         ["unsubscribed"] + ["active"] * 4)
        # a damaged token unsubscribes nobody
        bad = token[:-1] + ("A" if token[-1] != "A" else "B")
        p = self.ws.run(["bounce"], text=False,
                        input=self.reply(to, bad, READERS[1]))
        self.assertIn(b"left alone", p.stdout)
        self.assertEqual(status_of(self.ws, READERS[1]), "active")


class BounceSecurityStateTest(unittest.TestCase):
    """Hostile input on the path that changes state: a clear result, no
    crash, and no change where none is due."""

    def setUp(self):
        self.ws, self.verps = sent_workspace()
        self.before = export(self.ws)

    def tearDown(self):
        self.ws.cleanup()

    def bounce(self, data, *args):
        p = self.ws.run(["bounce"] + list(args), input=data, text=False,
                        check=False, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.decode()

    def assertUnchanged(self):
        self.assertEqual(export(self.ws), self.before)

    def test_bounce_forged_verp_token_attributes_nothing(self):
        forged = forge(self.verps[READERS[0]])
        out = self.bounce(dsn(forged, "stranger@example.org"))
        self.assertIn("no change", out)
        out = self.bounce(plain(to=forged))
        self.assertIn("left alone", out)
        out = self.bounce(dsn(None, "stranger@example.org"), "--rcpt",
                          forged)
        self.assertIn("about stranger@example.org (dsn, via "
                      "final-recipient), no change", out)
        # a token for an entry that does not exist, well formed
        local, domain = self.verps[READERS[0]].split("@")
        other = local[:8] + "zzzzzzzzzzzzz" + local[21:] + "@" + domain
        self.bounce(dsn(other, "stranger2@example.org"))
        self.assertUnchanged()

    def test_bounce_address_not_subscribed(self):
        out = self.bounce(dsn(None, "nobody@example.org"))
        self.assertIn("about nobody@example.org", out)
        self.assertIn("no change", out)
        self.bounce(arf(None, "nobody2@example.org"))
        self.assertUnchanged()
        p = self.ws.run(["show", "weekly", "nobody@example.org"],
                        check=False)
        self.assertNotEqual(p.returncode, 0)

    def test_bounce_ten_megabytes(self):
        data = dsn(self.verps[READERS[4]], READERS[4])
        data = data.replace(b"--BOUNDARY--\r\n", b"--BOUNDARY\r\n"
                            b"Content-Type: text/plain\r\n\r\n" +
                            (b"z" * 998 + b"\r\n") * 10500 +
                            b"--BOUNDARY--\r\n")
        self.assertGreater(len(data), 10 * 1000 * 1000)
        out = self.bounce(data)
        self.assertIn("bounced eve@example.com", out)
        self.assertEqual(status_of(self.ws, READERS[4]), "bounced")
        out = self.bounce(b"Subject: big\r\n\r\n" + b"q" * (10 << 20))
        self.assertIn("left alone", out)

    def test_bounce_deeply_nested_mime(self):
        levels = 5000
        body = "".join("Content-Type: multipart/mixed; boundary=\"n%d\""
                       "\r\n\r\n--n%d\r\n" % (i, i) for i in range(levels))
        data = ("To: %s\r\nFrom: MAILER-DAEMON@example.net\r\n" %
                forge(self.verps[READERS[1]]) + body).encode()
        self.assertIn("left alone", self.bounce(data))
        self.assertUnchanged()

    def test_bounce_broken_encodings(self):
        v = forge(self.verps[READERS[2]])
        cases = [
            b"To: " + v.encode() + b"\r\nContent-Type: multipart/report; "
            b"boundary=\"x\"\r\n\r\n--x\r\nContent-Type: message/delivery-"
            b"status\r\nContent-Transfer-Encoding: base64\r\n\r\n====\x00"
            b"\xff===\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
            b"=\r\n=Z=\r\n=4" * 1000,
            b"Subject: =?utf-8?B?////?= =?x?Q?=FF=?=\r\nTo: \xff\xfe@\xc3"
            b"\r\n\r\n\xff\xfe\xc3",
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        ]
        for data in cases:
            self.bounce(data)
        self.assertUnchanged()


class BounceMaildirTest(unittest.TestCase):
    def setUp(self):
        self.ws, self.verps = sent_workspace()
        self.md = self.ws.path("bounces")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.md, sub))

    def tearDown(self):
        self.ws.cleanup()

    def put(self, sub, name, data):
        with open(os.path.join(self.md, sub, name), "wb") as f:
            f.write(data)

    def listing(self):
        return {sub: sorted(os.listdir(os.path.join(self.md, sub)))
                for sub in ("new", "cur")}

    def test_bounce_maildir(self):
        self.put("new", "1.a.host", dsn(self.verps[READERS[0]], READERS[0]))
        self.put("new", "2.b.host", plain())
        self.put("new", "3.c.host", arf(self.verps[READERS[1]], READERS[1]))
        self.put("cur", "4.d.host:2,F", dsn(self.verps[READERS[2]],
                                            READERS[2]))
        # read by someone (S): not ours to process again
        self.put("cur", "5.e.host:2,S", dsn(self.verps[READERS[3]],
                                            READERS[3]))
        self.put("new", ".hidden", dsn(self.verps[READERS[4]], READERS[4]))
        p = self.ws.run(["bounce", "--maildir", self.md])
        self.assertEqual(len(p.stdout.splitlines()), 4, p.stdout)
        self.assertEqual(self.listing(), {
            "new": [".hidden", "2.b.host"],
            "cur": ["1.a.host:2,S", "3.c.host:2,S", "4.d.host:2,FS",
                    "5.e.host:2,S"]})
        self.assertEqual([status_of(self.ws, r) for r in READERS],
                         ["bounced", "complained", "bounced", "active",
                          "active"])
        with open(os.path.join(self.md, "new", "2.b.host"), "rb") as f:
            self.assertEqual(f.read(), plain())
        # a second run: the unrelated message is read again, nothing moves
        before = export(self.ws)
        p = self.ws.run(["bounce", "--maildir", self.md])
        self.assertEqual(p.stdout.strip().splitlines(),
                         [os.path.join(self.md, "new", "2.b.host") +
                          ": not about a subscriber (none), left alone"])
        self.assertEqual(export(self.ws), before)
        self.assertEqual(self.listing()["new"], [".hidden", "2.b.host"])

    def test_bounce_maildir_moves_nothing_when_the_store_fails(self):
        self.put("new", "1.a.host", dsn(self.verps[READERS[0]], READERS[0]))
        with open(self.ws.conf) as f:
            conf = f.read()
        with open(self.ws.conf, "w") as f:
            f.write(conf.replace('spool = "spool";',
                                 'spool = "/dev/null/spool";'))
        p = self.ws.run(["bounce", "--maildir", self.md], check=False)
        self.assertEqual(p.returncode, 75)
        self.assertEqual(self.listing()["new"], ["1.a.host"])

    def test_bounce_maildir_store_full_midway(self):
        # a fresh spool with a 1 MB map: the kept copies fill it after a
        # dozen reports; what was committed is moved, the rest stays
        self.ws.cleanup()
        self.ws, self.verps = sent_workspace(
            "store = { map_initial_mb = 1; map_max_mb = 1; };")
        self.md = self.ws.path("bounces")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.md, sub))
        msgs = padded_dsns(self.verps[READERS[0]], READERS[0], 40)
        for i, data in enumerate(msgs):
            self.put("new", "%02d.host" % i, data)
        p = self.ws.run(["bounce", "--maildir", self.md], check=False)
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertIn("is full", p.stderr)
        done = self.listing()["cur"]
        self.assertGreater(len(done), 0)
        self.assertLess(len(done), 40)
        self.assertEqual(len(p.stdout.splitlines()), len(done))
        self.assertEqual(self.listing()["new"],
                         ["%02d.host" % i for i in range(len(done), 40)])
        set_map_max(self.ws, None)
        p = self.ws.run(["bounce", "--maildir", self.md])
        self.assertEqual(len(p.stdout.splitlines()), 40 - len(done))
        self.assertEqual(self.listing(), {"new": [], "cur": [
            "%02d.host:2,S" % i for i in range(40)]})

    def test_bounce_maildir_missing(self):
        p = self.ws.run(["bounce", "--maildir", self.ws.path("nope")],
                        check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nope/new", p.stderr)


class BounceEndToEndTest(unittest.TestCase):
    """send → smtp-sink → bounces to the captured VERP senders → bounce →
    the next issue skips whoever is suppressed."""

    def setUp(self):
        self.sink = Sink()
        self.ws = make_ws(self.sink.url(), 8)

    def tearDown(self):
        self.sink.cleanup()
        self.ws.cleanup()

    def test_bounce_end_to_end(self):
        self.ws.run(["send", "issue.md", "--list", "weekly"])
        msgs = self.sink.messages()
        self.assertEqual(len(msgs), 8)
        verp = {rcpt: mail_from for mail_from, rcpt, _ in msgs}
        rcpts = sorted(verp)
        hard, complaint, soft = rcpts[:2], rcpts[2], rcpts[3]
        for r in hard:
            # what a remote MTA sends back: to the envelope sender
            p = self.ws.run(["bounce", "--rcpt", verp[r]], text=False,
                            input=dsn(None, r))
            self.assertIn(b"bounced " + r.encode(), p.stdout)
        self.ws.run(["bounce"], text=False, input=arf(verp[complaint],
                                                      complaint))
        self.ws.run(["bounce"], text=False, input=dsn(
            verp[soft], soft, status="4.2.2", diag="452 4.2.2 full"))
        self.assertEqual([status_of(self.ws, r) for r in rcpts[:4]],
                         ["bounced", "bounced", "complained", "active"])
        st = self.ws.run(["status"]).stdout
        self.assertIn("sent 5, deferred 0, failed 3", st)
        self.assertIn("failed: 3 bounced (a report came back)", st)

        self.ws.write("issue2.md", ISSUE.replace("Delivery test issue",
                                                 "Second issue"))
        self.ws.run(["send", "issue2.md", "--list", "weekly"])
        second = [rcpt for _, rcpt, data in self.sink.messages()
                  if b"Second issue" in data]
        self.assertEqual(sorted(second), rcpts[3:])
