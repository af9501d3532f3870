"""DKIM: `dispatcher dkim-keygen`, signatures on what compose prints and on
what is delivered (Maildir outbox and smtp-sink), checked by an independent
verifier (Debian's python3-dkim, run by dkim_verify.py under the system
Python, fed the public key from the .dns file keygen wrote), and the
check-config warnings."""
import glob
import os
import pwd
import re
import stat
import subprocess
import unittest

from harness import Workspace, ROOT
from servetool import ServeWorkspace
from sinks import Sink

VERIFY = os.path.join(ROOT, "tests", "integration", "dkim_verify.py")
SYSTEM_PYTHON = "/usr/bin/python3"     # the one python3-dkim is installed for

DKIM_CONF = 'dkim = { key = "keys/dkim.key"; };\n'

ISSUE = """---
subject: Signed issue
date: 2026-11-20
---
Hello {{name}}, this issue is signed. A [link](https://example.org/x).
"""


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class DkimTest(unittest.TestCase):
    def setUp(self):
        self.ws = None
        self.sink = None

    def tearDown(self):
        if self.sink:
            self.sink.cleanup()
        if self.ws:
            self.ws.cleanup()

    def workspace(self, main_extra=DKIM_CONF, list_extra="", keygen=True):
        self.ws = Workspace(main_extra=main_extra, list_extra=list_extra)
        self.ws.write("issue.md", ISSUE)
        if keygen:
            self.keygen = self.ws.run(["dkim-keygen"])
        return self.ws

    def verify(self, data, dns=("keys", "dkim.dns")):
        """The verifier's exit code (0 verified, 1 not) and its words."""
        path = self.ws.path("check.eml")
        with open(path, "wb") as f:
            f.write(data)
        p = subprocess.run([SYSTEM_PYTHON, VERIFY, path,
                            self.ws.path(*dns)],
                           capture_output=True, text=True)
        self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)
        return p.returncode, p.stdout

    def assertVerifies(self, data, **kw):
        rc, out = self.verify(data, **kw)
        self.assertEqual(rc, 0, out)

    def assertFails(self, data, **kw):
        rc, out = self.verify(data, **kw)
        self.assertEqual(rc, 1, out)

    def compose(self, to="reader@example.com", name="Sample Reader"):
        return self.ws.run(["compose", "issue.md", "--list", "weekly",
                            "--to", to, "--name", name], text=False).stdout

    def subscribers(self, n):
        rows = ["email,name"] + ["reader%02d@example.com,Reader %d" % (i, i)
                                 for i in range(n)]
        self.ws.write("subs.csv", "\n".join(rows) + "\n")
        self.ws.run(["import", "weekly", "subs.csv"])

    # ---- keygen ------------------------------------------------------

    def test_dkim_keygen_writes_key_0600_and_the_record(self):
        ws = self.workspace()
        key = ws.path("keys", "dkim.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(ws.path("keys")).st_mode),
                         0o700)
        with open(key) as f:
            self.assertIn("PRIVATE KEY-----", f.read())
        with open(ws.path("keys", "dkim.dns")) as f:
            record = f.read()
        self.assertEqual(self.keygen.stdout, record)
        m = re.match(r'^dispatcher\._domainkey\.example\.org\. IN TXT'
                     r'((?: "[^"]*")+)\n$', record)
        self.assertTrue(m, record)
        parts = re.findall(r'"([^"]*)"', m.group(1))
        self.assertTrue(all(len(p) <= 255 for p in parts), parts)
        self.assertGreater(len(parts), 1)       # 2048 bits pass 255 octets
        self.assertTrue("".join(parts).startswith("v=DKIM1; k=rsa; p=MII"))
        # the public key is the private key's (openssl's own view)
        pub = subprocess.run(["openssl", "rsa", "-in", key, "-pubout",
                              "-outform", "DER"], capture_output=True,
                             check=True).stdout
        import base64
        self.assertEqual("".join(parts).split("p=")[1],
                         base64.b64encode(pub).decode())
        bits = subprocess.run(["openssl", "rsa", "-in", key, "-noout",
                               "-text"], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("2048 bit", bits)

    def test_dkim_keygen_again_keeps_the_key_force_replaces_it(self):
        ws = self.workspace()
        first = self.keygen.stdout
        again = ws.run(["dkim-keygen"])
        self.assertEqual(again.stdout, first)
        self.assertIn("kept", again.stderr)
        forced = ws.run(["dkim-keygen", "--force"])
        self.assertNotEqual(forced.stdout, first)
        self.assertVerifies(self.compose())

    def test_dkim_keygen_selector_and_domain_name_the_record(self):
        ws = self.workspace()
        p = ws.run(["dkim-keygen", "--selector", "s2026",
                    "--domain", "mail.example.net"])
        self.assertTrue(p.stdout.startswith(
            "s2026._domainkey.mail.example.net. IN TXT "), p.stdout)
        self.assertIn("dkim.selector", p.stderr)     # it does not match

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_dkim_keygen_as_root_gives_the_key_to_the_spool_owner(self):
        nobody = pwd.getpwnam("nobody")
        ws = self.workspace(main_extra='dkim = { key = '
                            '"spool/dkim/dispatcher.key"; };\n', keygen=False)
        os.mkdir(ws.path("spool"))
        os.chown(ws.path("spool"), nobody.pw_uid, nobody.pw_gid)
        ws.run(["dkim-keygen"])
        for name in ("dkim", "dkim/dispatcher.key", "dkim/dispatcher.dns"):
            st = os.stat(ws.path("spool", name))
            self.assertEqual((st.st_uid, st.st_gid),
                             (nobody.pw_uid, nobody.pw_gid), name)
        self.assertEqual(stat.S_IMODE(os.stat(ws.path(
            "spool", "dkim", "dispatcher.key")).st_mode), 0o600)

    def test_dkim_keygen_without_dkim_key_setting_says_so(self):
        ws = self.workspace(main_extra="", keygen=False)
        p = ws.run(["dkim-keygen"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("dkim.key is not set", p.stderr)

    # ---- signatures --------------------------------------------------

    def test_dkim_composed_message_verifies_and_is_stable(self):
        self.workspace()
        msg = self.compose()
        self.assertTrue(msg.startswith(b"DKIM-Signature: v=1; "
                                       b"a=rsa-sha256; c=relaxed/relaxed; "
                                       b"d=example.org;"), msg[:200])
        head = msg.split(b"\r\n\r\n")[0]
        self.assertNotIn(b"x=", head.split(b"\r\nFrom:")[0])
        h = re.search(rb"[;\s]h=([^;]*);",
                      head.replace(b"\r\n", b"")).group(1)
        signed = [x.strip().lower() for x in h.split(b":")]
        for name in (b"from", b"to", b"subject", b"date", b"message-id",
                     b"list-id", b"list-unsubscribe",
                     b"list-unsubscribe-post", b"mime-version",
                     b"content-type", b"reply-to", b"feedback-id"):
            if name == b"reply-to":
                continue            # the test list has none
            self.assertIn(name, signed)
        self.assertEqual(signed.count(b"from"), 2)     # oversigned
        self.assertVerifies(msg)
        self.assertEqual(self.compose(), msg)          # the same bytes

    def test_dkim_warns_of_an_issue_dated_ahead(self):
        ws = self.workspace()
        p = ws.run(["compose", "issue.md", "--list", "weekly"])
        self.assertNotIn("from now", p.stderr)
        ws.write("ahead.md", ISSUE.replace("2026-11-20", "2099-01-01"))
        p = ws.run(["compose", "ahead.md", "--list", "weekly"], text=False)
        self.assertIn(b"ahead.md: dated", p.stderr)
        self.assertIn(b"t=4070952000;", p.stdout[:300])   # its Date, noon

    def test_dkim_one_changed_byte_breaks_the_signature(self):
        self.workspace()
        msg = self.compose()
        self.assertVerifies(msg)
        head, body = msg.split(b"\r\n\r\n", 1)
        i = body.index(b"this issue is signed")
        self.assertFails(head + b"\r\n\r\n" + body[:i] + b"T" + body[i + 1:])
        for field in (b"\r\nSubject: ", b"\r\nList-Unsubscribe: <"):
            j = head.index(field) + len(field) + 3
            changed = bytes([head[j] ^ 1])
            self.assertFails(head[:j] + changed + head[j + 1:] +
                             b"\r\n\r\n" + body)
        # a second List-Unsubscribe added after signing is caught too
        self.assertFails(head + b"\r\nList-Unsubscribe: "
                         b"<https://evil.example/u>\r\n\r\n" + body)

    def test_dkim_maildir_send_is_signed_and_what_compose_prints(self):
        ws = self.workspace()
        self.subscribers(3)
        ws.run(["send", "issue.md", "--list", "weekly"])
        files = glob.glob(ws.path("outbox", "new", "*"))
        self.assertEqual(len(files), 3)
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            self.assertVerifies(data)
            to = re.search(rb"reader(\d\d)@example.com", data).group(0)
            n = int(to[6:8])
            self.assertTrue(data.startswith(b"Return-Path: "))
            data = data.split(b"\n", 1)[1]     # the Maildir adds it
            self.assertEqual(crlf(data), self.compose(to.decode(),
                                                      "Reader %d" % n))

    def test_dkim_smtp_send_is_signed_in_every_connection(self):
        self.sink = Sink()
        ws = self.workspace(main_extra=DKIM_CONF + (
            'smtp = { url = "%s"; tls = "none"; max_connections = 4; '
            'timeout = 5; };\n' % self.sink.url()))
        self.subscribers(12)
        ws.run(["send", "issue.md", "--list", "weekly"])
        msgs = self.sink.messages()
        self.assertEqual(len(msgs), 12)
        for _, rcpt, data in msgs:
            self.assertVerifies(data)
            n = int(rcpt[6:8])
            self.assertEqual(crlf(data).rstrip(b"\r\n"),
                             self.compose(rcpt, "Reader %d" %
                                          n).rstrip(b"\r\n"))

    def test_dkim_test_command_copy_is_signed(self):
        ws = self.workspace()
        ws.run(["test", "issue.md", "--list", "weekly", "--to",
                "me@example.com"])
        files = glob.glob(ws.path("outbox", "new", "*"))
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            self.assertVerifies(f.read())

    def test_dkim_confirmation_from_serve_is_signed(self):
        """A sign-up confirmation: queued by `serve`, sent by the
        `deliver` it starts (as the spool's owner), signed."""
        self.ws = ServeWorkspace(main_extra='dkim = { key = '
                                 '"spool/dkim/dispatcher.key"; };\n')
        self.ws.run(["dkim-keygen"])
        self.ws.start()
        code, _, _ = self.ws.curl(
            "/subscribe", "POST", "list=weekly&email=new%40example.com",
            headers=["Content-Type: application/x-www-form-urlencoded"])
        self.assertEqual(code, 200)
        msg = self.ws.wait_confirmation("new@example.com")
        self.assertTrue(msg.startswith(b"Return-Path: "))
        dns = ("spool", "dkim", "dispatcher.dns")
        self.assertVerifies(msg, dns=dns)
        self.assertIn(b"d=example.org;", msg[:400])
        head, body = msg.split(b"\r\n\r\n", 1)
        i = body.index(b"confirm")
        self.assertFails(head + b"\r\n\r\n" + body[:i] + b"C" +
                         body[i + 1:], dns=dns)
        j = head.index(b"\r\nSubject: ") + 12
        self.assertFails(head[:j] + b"X" + head[j + 1:] + b"\r\n\r\n" +
                         body, dns=dns)

    def test_dkim_list_selector_and_domain_override(self):
        ws = self.workspace(list_extra='dkim_selector = "weekly2026";\n'
                            'dkim_domain = "mail.example.org";\n',
                            keygen=False)
        p = ws.run(["dkim-keygen"])
        self.assertTrue(p.stdout.startswith(
            "weekly2026._domainkey.mail.example.org. IN TXT"), p.stdout)
        msg = self.compose()
        self.assertIn(b"d=mail.example.org;", msg[:300])
        self.assertIn(b"s=weekly2026;", msg[:300])
        self.assertVerifies(msg)
        # mail.example.org is aligned with example.org: no warning
        p = ws.run(["check-config"])
        self.assertNotIn("aligned", p.stderr)

    # ---- no key ------------------------------------------------------

    def test_dkim_missing_key_maildir_warns_and_sends_unsigned(self):
        ws = self.workspace(keygen=False)
        p = ws.run(["compose", "issue.md", "--list", "weekly"], text=False)
        self.assertFalse(p.stdout.startswith(b"DKIM-Signature"))
        self.assertIn(b"dkim-keygen", p.stderr)
        p = ws.run(["check-config"])
        self.assertIn("warning: dkim.key: no key at", p.stderr)
        self.subscribers(1)
        p = ws.run(["send", "issue.md", "--list", "weekly"])
        self.assertIn("unsigned", p.stderr)
        self.assertEqual(len(glob.glob(ws.path("outbox", "new", "*"))), 1)

    def test_dkim_missing_key_refuses_smtp_send(self):
        self.sink = Sink()
        ws = self.workspace(main_extra=DKIM_CONF + (
            'smtp = { url = "%s"; tls = "none"; };\n' % self.sink.url()),
            keygen=False)
        self.subscribers(2)
        p = ws.run(["send", "issue.md", "--list", "weekly"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("dkim-keygen", p.stderr)
        self.assertEqual(self.sink.files(), [])
        p = ws.run(["check-config"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("dkim.key: no key at", p.stderr)
        # once the key is there, what was queued goes out signed
        ws.run(["dkim-keygen"])
        ws.run(["deliver"])
        msgs = self.sink.messages()
        self.assertEqual(len(msgs), 2)
        for _, _, data in msgs:
            self.assertVerifies(data)

    def test_dkim_unusable_key_is_an_error(self):
        ws = self.workspace(keygen=False)
        ws.write("keys/dkim.key", "-----BEGIN PRIVATE KEY-----\nnope\n"
                 "-----END PRIVATE KEY-----\n")
        p = ws.run(["compose", "issue.md", "--list", "weekly"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a usable PEM private key", p.stderr)
        p = ws.run(["check-config"], check=False)
        self.assertEqual(p.returncode, 1)

    # ---- check-config ------------------------------------------------

    def test_dkim_check_config_warnings(self):
        ws = self.workspace(main_extra='dkim = { key = "keys/dkim.key"; '
                            'domain = "other.net"; };\n')
        p = ws.run(["check-config"])
        self.assertIn("lists/weekly.conf: warning: the From domain "
                      "example.org and the DKIM domain d=other.net are not "
                      "aligned", p.stderr)
        self.assertIn("OK", p.stdout)
        ws.add_list("plain", extra="")
        with open(ws.path("lists", "plain.conf")) as f:
            text = f.read().replace("https://", "http://")
        ws.write("lists/plain.conf", text)
        p = ws.run(["check-config"])
        self.assertIn("lists/plain.conf: warning: base_url "
                      "http://lists.example.org is not https", p.stderr)
        self.assertNotIn("lists/weekly.conf: warning: base_url", p.stderr)

    def test_dkim_check_config_warns_smtp_without_key(self):
        ws = self.workspace(main_extra='smtp = { url = "smtp://127.0.0.1:1";'
                            ' };\n', keygen=False)
        p = ws.run(["check-config"])
        self.assertIn("lists/weekly.conf: warning: mail goes through an "
                      "SMTP relay unsigned", p.stderr)
        self.assertNotIn("aligned", p.stderr)
        ws.cleanup()
        ws = self.workspace(keygen=True)       # Maildir, key: all quiet
        p = ws.run(["check-config"])
        self.assertEqual(p.stderr, "")
        os.chmod(ws.path("keys", "dkim.key"), 0o644)
        p = ws.run(["check-config"])
        self.assertIn("can be read by other users (mode 644)", p.stderr)


if __name__ == "__main__":
    unittest.main()
