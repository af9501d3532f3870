"""test_bounce_mailbox.py — `dispatcher bounce --imap` and `--pop3` against
a real Dovecot on 127.0.0.1 (dovecot.py) holding bounces, a complaint, a
bounce with a forged VERP token and mail a person wrote.

After a run the right subscribers changed status, processed messages are
flagged \\Seen (IMAP) or deleted (POP3), unrelated mail is still there with
the same bytes and (IMAP) unflagged, and a second run changes nothing. The
certificate is checked: one signed by nobody the configuration trusts, or
made out to another name, is refused before anything is read.
"""
import json
import os
import unittest

from bouncemail import dsn, arf, plain, status_of, export, padded_dsns, \
    set_map_max
from dovecot import Dovecot, USER, PASSWORD, make_cert
from test_bounce_sources import sent_workspace, forge, READERS

PLAIN = plain()
AUTOREPLY = (b"From: dan@example.net\r\nTo: weekly@example.org\r\n"
             b"Subject: Out of office: Delivery test issue\r\n"
             b"Auto-Submitted: auto-replied\r\n\r\nI am away.\r\n")


class MailboxCase(unittest.TestCase):
    names = ("localhost", "127.0.0.1")

    main_extra = ""

    def setUp(self):
        self.ws, self.verps = sent_workspace(self.main_extra)
        self.dc = Dovecot(names=self.names)
        self.ws.write("mailbox.pw", PASSWORD + "\n")

    def tearDown(self):
        self.dc.cleanup()
        self.ws.cleanup()

    def configure(self, url, ca_file=None, host="127.0.0.1", extra=""):
        with open(self.ws.conf, "a") as f:
            f.write('bounce = { mailbox = { url = "%s"; username = "%s"; '
                    'password_file = "mailbox.pw"; ca_file = "%s"; '
                    'timeout = 10; %s }; };\n' % (
                        url % host, USER, ca_file or self.dc.cert, extra))

    def fill(self):
        v = self.verps
        self.dc.put("1.hard.host", dsn(v[READERS[0]], READERS[0]))
        self.dc.put("2.plain.host", PLAIN)
        self.dc.put("3.arf.host", arf(v[READERS[1]], READERS[1]))
        self.dc.put("4.forged.host", dsn(forge(v[READERS[2]]),
                                         "stranger@example.org"))
        self.dc.put("5.auto.host", AUTOREPLY)

    def run_bounce(self, flag):
        p = self.ws.run(["bounce", flag], check=False, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr + self.dc.log()[-2000:])
        return p.stdout

    def check_statuses(self):
        self.assertEqual([status_of(self.ws, r) for r in READERS],
                         ["bounced", "complained", "active", "active",
                          "active"])

    def check_untouched(self, flagged_ok=False):
        for name, data in (("2.plain.host", PLAIN),
                           ("5.auto.host", AUTOREPLY)):
            where = self.dc.find(name)
            self.assertIsNotNone(where, name)
            self.assertEqual(self.dc.read(name), data)
            if not flagged_ok:
                self.assertNotIn("S", where[1].partition(":2,")[2], where)


class BounceImapTest(MailboxCase):
    def test_bounce_imap(self):
        self.configure("imaps://%s:" + str(self.dc.imaps) + "/INBOX")
        self.fill()
        out = self.run_bounce("--imap")
        self.assertEqual(len(out.splitlines()), 5, out)
        self.check_statuses()
        self.check_untouched()
        for name in ("1.hard.host", "3.arf.host", "4.forged.host"):
            sub, n = self.dc.find(name)
            self.assertEqual((sub, n.partition(":2,")[2]), ("cur", "S"),
                             name)
        before, listing = export(self.ws), self.dc.listing()
        out = self.run_bounce("--imap")
        self.assertEqual(len(out.splitlines()), 2, out)
        self.assertTrue(all("left alone" in line
                            for line in out.splitlines()), out)
        self.assertEqual(export(self.ws), before)
        self.assertEqual(self.dc.listing(), listing)
        self.check_untouched()

    def test_bounce_imap_dry_run_marks_nothing(self):
        self.configure("imaps://%s:" + str(self.dc.imaps) + "/INBOX")
        self.fill()
        out = self.run_bounce("--dry-run")
        self.assertEqual(out, "")   # no FILE: stdin, which is empty
        p = self.ws.run(["bounce", "--dry-run", "--imap"])
        got = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual([(g["recipient"], g["class"]) for g in got], [
            (READERS[0], "hard"), (READERS[1], "complaint"),
            ("stranger@example.org", "hard"), (READERS[3], "ignore")])
        self.assertEqual([status_of(self.ws, r) for r in READERS],
                         ["active"] * 5)
        # the server may move messages to cur/ when the folder is opened;
        # none is flagged
        for n in self.dc.listing()["new"] + self.dc.listing()["cur"]:
            self.assertNotIn("S", n.partition(":2,")[2], n)

    def test_bounce_imap_default_folder_and_host_name(self):
        self.configure("imaps://%s:" + str(self.dc.imaps), host="localhost")
        self.dc.put("1.hard.host", dsn(self.verps[READERS[0]], READERS[0]))
        self.assertIn("bounced ann@example.com", self.run_bounce("--imap"))

    def test_bounce_imap_starttls(self):
        self.configure("imap://%s:" + str(self.dc.imap) + "/INBOX")
        self.fill()
        out = self.run_bounce("--imap")
        self.assertEqual(len(out.splitlines()), 5, out)
        self.check_statuses()
        self.check_untouched()
        self.assertIn("TLS", self.dc.log())

    def test_bounce_imap_starttls_untrusted_certificate_is_refused(self):
        other = make_cert(self.ws.dir, ["localhost", "127.0.0.1"], "other")
        self.configure("imap://%s:" + str(self.dc.imap) + "/INBOX",
                       ca_file=other)
        self.fill()
        listing = self.dc.listing()
        p = self.ws.run(["bounce", "--imap"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate not trusted", p.stderr)
        self.assertEqual(self.dc.listing(), listing)
        self.assertNotIn("Login: user=", self.dc.log())

    def test_bounce_imap_untrusted_certificate_is_refused(self):
        other = make_cert(self.ws.dir, ["localhost", "127.0.0.1"], "other")
        self.configure("imaps://%s:" + str(self.dc.imaps) + "/INBOX",
                       ca_file=other)
        self.fill()
        listing = self.dc.listing()
        p = self.ws.run(["bounce", "--imap"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate not trusted", p.stderr)
        self.assertNotIn(PASSWORD, p.stderr + p.stdout)
        self.assertEqual(self.dc.listing(), listing)
        self.assertEqual([status_of(self.ws, r) for r in READERS],
                         ["active"] * 5)
        self.assertNotIn("Login: user=", self.dc.log())

    def test_bounce_wrong_password_is_an_error(self):
        self.configure("imaps://%s:" + str(self.dc.imaps) + "/INBOX")
        self.ws.write("mailbox.pw", "wrong\n")
        p = self.ws.run(["bounce", "--imap"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("LOGIN failed", p.stderr)
        self.assertNotIn("wrong", p.stderr.replace("LOGIN", ""))

    def test_bounce_scheme_must_match_the_flag(self):
        self.configure("imaps://%s:" + str(self.dc.imaps) + "/INBOX")
        p = self.ws.run(["bounce", "--pop3"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("must start with pop3s:// or pop3://", p.stderr)


class BounceCertNameTest(MailboxCase):
    names = ("mail.example.org",)

    def test_bounce_certificate_for_another_name_is_refused(self):
        self.configure("pop3s://%s:" + str(self.dc.pop3s))
        self.fill()
        listing = self.dc.listing()
        p = self.ws.run(["bounce", "--pop3"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate not trusted", p.stderr)
        self.assertIn("does not match", p.stderr)
        self.assertEqual(self.dc.listing(), listing)
        # verify = false is the operator's explicit choice
        with open(self.ws.conf) as f:
            conf = f.read()
        with open(self.ws.conf, "w") as f:
            f.write(conf.replace("timeout = 10;",
                                 "timeout = 10; verify = false;"))
        self.run_bounce("--pop3")
        self.check_statuses()


class BouncePop3Test(MailboxCase):
    def test_bounce_pop3(self):
        self.configure("pop3s://%s:" + str(self.dc.pop3s))
        self.fill()
        out = self.run_bounce("--pop3")
        self.assertEqual(len(out.splitlines()), 5, out)
        self.check_statuses()
        # POP3 has no flags of its own: Dovecot marks what was retrieved
        # \Seen in its IMAP view; what matters is that it is still there
        self.check_untouched(flagged_ok=True)
        for name in ("1.hard.host", "3.arf.host", "4.forged.host"):
            self.assertIsNone(self.dc.find(name), name)
        before, listing = export(self.ws), self.dc.listing()
        out = self.run_bounce("--pop3")
        self.assertEqual(len(out.splitlines()), 2, out)
        self.assertEqual(export(self.ws), before)
        self.assertEqual(self.dc.listing(), listing)
        self.check_untouched(flagged_ok=True)

    def test_bounce_pop3_starttls(self):
        self.configure("pop3://%s:" + str(self.dc.pop3))
        self.fill()
        out = self.run_bounce("--pop3")
        self.assertEqual(len(out.splitlines()), 5, out)
        self.check_statuses()
        for name in ("1.hard.host", "3.arf.host", "4.forged.host"):
            self.assertIsNone(self.dc.find(name), name)
        self.check_untouched(flagged_ok=True)



class BounceStoreFullTest(MailboxCase):
    """The store fills up midway (a 1 MB map): what was committed is
    marked, nothing else; once the store has room, the rest follows."""
    main_extra = "store = { map_initial_mb = 1; map_max_mb = 1; };"

    def fill_padded(self):
        for i, data in enumerate(padded_dsns(self.verps[READERS[0]],
                                             READERS[0], 40)):
            self.dc.put("%02d.host" % i, data)

    def test_bounce_imap_store_full_midway(self):
        self.configure("imaps://%s:" + str(self.dc.imaps) + "/INBOX")
        self.fill_padded()
        p = self.ws.run(["bounce", "--imap"], check=False, timeout=60)
        self.assertEqual(p.returncode, 75, p.stderr)
        seen = [n for n in self.dc.listing()["cur"]
                if "S" in n.partition(":2,")[2]]
        self.assertGreater(len(seen), 0)
        self.assertLess(len(seen), 40)
        self.assertEqual(len(p.stdout.splitlines()), len(seen))
        set_map_max(self.ws, None)
        out = self.run_bounce("--imap")
        self.assertEqual(len(out.splitlines()), 40 - len(seen))
        flags = [n.partition(":2,")[2] for n in self.dc.listing()["cur"]]
        self.assertEqual(flags, ["S"] * 40)

    def test_bounce_pop3_store_full_midway(self):
        self.configure("pop3s://%s:" + str(self.dc.pop3s))
        self.fill_padded()
        p = self.ws.run(["bounce", "--pop3"], check=False, timeout=60)
        self.assertEqual(p.returncode, 75, p.stderr)
        done = len(p.stdout.splitlines())
        self.assertGreater(done, 0)
        self.assertLess(done, 40)
        # QUIT still applies the deletions of what was committed
        left = sorted(n.split(":")[0] for n in self.dc.listing()["new"] +
                      self.dc.listing()["cur"])
        self.assertEqual(left, ["%02d.host" % i for i in range(done, 40)])
        set_map_max(self.ws, None)
        out = self.run_bounce("--pop3")
        self.assertEqual(len(out.splitlines()), 40 - done)
        self.assertNotIn("seen before", out)
        self.assertEqual(self.dc.listing(), {"new": [], "cur": []})
