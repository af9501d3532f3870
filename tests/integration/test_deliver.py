"""Delivery against real SMTP servers on 127.0.0.1: smtp-sink for the
happy path and injected faults, a STARTTLS server for certificate checks,
the Maildir outbox for the embedded default."""
import email
import email.policy
import mailbox
import os
import shutil
import signal
import subprocess
import time
import unittest

from harness import Workspace, BIN, ROOT
from sinks import Sink, TlsSink


def smtp_conf(url, extra=""):
    return """smtp = { url = "%s"; tls = "none"; timeout = 5;
  connect_timeout = 3; down_for = 1.0; max_connections = 4; };
deliver = { retry_first = 1; retry_max = 2; batch = 32; };
%s""" % (url, extra)


ISSUE = """---
subject: Delivery test issue
preheader: A short issue for the delivery tests.
date: 2026-11-20
---
Hello {{name}}, this is a test issue with a [link](https://example.org/x).
"""


def make_ws(url, n, extra="", names=True):
    ws = Workspace(main_extra=smtp_conf(url, extra))
    ws.write("issue.md", ISSUE)
    rows = ["email,name"] + ["reader%03d@example.%s,Reader %d" %
                              (i, "com" if i % 2 else "net", i)
                              for i in range(n)]
    ws.write("subs.csv", "\n".join(rows) + "\n")
    ws.run(["import", "weekly", "subs.csv"])
    return ws


def crlf(b):
    return b.replace(b"\r\n", b"\n")


class DeliverSinkTest(unittest.TestCase):
    def setUp(self):
        self.sinks = []
        self.ws = None

    def tearDown(self):
        for s in self.sinks:
            s.cleanup()
        if self.ws:
            self.ws.cleanup()

    def sink(self, *opts, port=None):
        s = Sink(*opts, port=port)
        self.sinks.append(s)
        return s

    def status(self):
        return self.ws.run(["status"]).stdout

    def test_each_subscriber_gets_exactly_the_composed_bytes(self):
        sink = self.sink()
        self.ws = make_ws(sink.url(), 20)
        p = self.ws.run(["send", "issue.md", "--list", "weekly"])
        self.assertIn("20 entries enqueued", p.stdout)
        msgs = sink.messages()
        rcpts = sorted(m[1] for m in msgs)
        self.assertEqual(len(rcpts), 20)
        self.assertEqual(len(set(rcpts)), 20)
        for mail_from, rcpt, data in msgs:
            self.assertTrue(mail_from.startswith("bounces+"), mail_from)
            self.assertLessEqual(len(mail_from.split("@")[0]), 64)
            i = int(rcpt[6:9])
            want = self.ws.run(["compose", "issue.md", "--list", "weekly",
                                "--to", rcpt, "--name", "Reader %d" % i],
                               text=False).stdout
            self.assertEqual(crlf(data).rstrip(b"\n"),
                             crlf(want).rstrip(b"\n"), rcpt)
        # the same issue again (cron fired twice) queues nobody twice
        p = self.ws.run(["send", "issue.md", "--list", "weekly"])
        self.assertIn("already in the spool; 0 entries", p.stdout)
        self.assertEqual(len(sink.files()), 20)
        self.assertIn("sent 20", self.status())

    def test_changed_issue_under_same_name_is_refused(self):
        sink = self.sink()
        self.ws = make_ws(sink.url(), 2)
        self.ws.run(["send", "issue.md", "--list", "weekly"])
        self.ws.write("issue.md", ISSUE.replace("test issue", "changed"))
        p = self.ws.run(["send", "issue.md", "--list", "weekly"],
                        check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--force", p.stderr)
        self.ws.run(["send", "issue.md", "--list", "weekly", "--force"])
        self.assertEqual(len(sink.files()), 4)

    def test_reader_who_left_after_enqueue_is_skipped(self):
        sink = self.sink()
        self.ws = make_ws(sink.url(), 3)
        self.ws.run(["send", "issue.md", "--list", "weekly", "--queue-only"])
        self.ws.run(["unsubscribe", "weekly", "reader001@example.com"])
        p = self.ws.run(["deliver"])
        self.assertIn("2 sent", p.stdout + p.stderr)
        self.assertIn("1 skipped", p.stdout + p.stderr)
        rcpts = sorted(m[1] for m in sink.messages())
        self.assertEqual(len(rcpts), 2)
        self.assertNotIn("reader001@example.com", " ".join(map(str, rcpts)))
        self.assertIn("skipped 1", self.status())

    def test_4xx_is_deferred_then_delivered(self):
        port = None
        bad = self.sink("-r", "rcpt")
        port = bad.port
        self.ws = make_ws(bad.url(), 6)
        p = self.ws.run(["send", "issue.md", "--list", "weekly"],
                        check=False)
        self.assertEqual(p.returncode, 75, p.stderr)   # deferred remain
        self.assertIn("deferred 6", self.status())
        self.assertEqual(len(bad.files()), 0)
        bad.stop()
        good = self.sink(port=port)
        p = self.ws.run(["deliver", "--until-empty"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        rcpts = sorted(m[1] for m in good.messages())
        self.assertEqual(len(rcpts), 6)
        self.assertEqual(len(set(rcpts)), 6)
        self.assertIn("sent 6", self.status())

    def test_5xx_is_failed_and_recorded(self):
        sink = self.sink("-f", "rcpt")
        self.ws = make_ws(sink.url(), 3)
        p = self.ws.run(["send", "issue.md", "--list", "weekly"])
        self.assertEqual(p.returncode, 0)
        st = self.status()
        self.assertIn("failed 3", st)
        self.assertEqual(len(sink.files()), 0)
        # a generic 5xx is not "mailbox gone": the reader stays active
        show = self.ws.run(["subscribers", "weekly"]).stdout
        self.assertEqual(show.count("active"), 3, show)

    def test_disconnect_mid_data_loses_nothing(self):
        bad = self.sink("-q", ".")
        port = bad.port
        self.ws = make_ws(bad.url(), 5)
        self.ws.run(["send", "issue.md", "--list", "weekly"], check=False)
        self.assertIn("deferred 5", self.status())
        bad.stop()
        good = self.sink(port=port)
        self.ws.run(["deliver", "--until-empty"], timeout=60)
        self.assertEqual(sorted(set(m[1] for m in good.messages())),
                         sorted(m[1] for m in good.messages()))
        self.assertEqual(len(good.messages()), 5)

    def test_slow_server_trips_the_timeout_and_defers(self):
        sink = self.sink("-w", "8")
        self.ws = make_ws(sink.url(), 2, extra="")
        t = time.time()
        p = self.ws.run(["send", "issue.md", "--list", "weekly"],
                        check=False, timeout=60)
        self.assertLess(time.time() - t, 20)
        self.assertEqual(p.returncode, 75)
        self.assertIn("deferred 2", self.status())

    def test_unreachable_relay_defers(self):
        self.ws = make_ws("smtp://127.0.0.1:1", 2)
        p = self.ws.run(["send", "issue.md", "--list", "weekly"],
                        check=False)
        self.assertEqual(p.returncode, 75)
        self.assertIn("deferred 2", self.status())

    def test_throttle_rate_holds_over_ten_seconds(self):
        sink = self.sink()
        self.ws = make_ws(sink.url(), 400,
                          extra="throttle = { rate = 20.0; burst = 1.0; };")
        self.ws.run(["send", "issue.md", "--list", "weekly",
                     "--queue-only"])
        t0 = time.time()
        self.ws.run(["deliver", "--for", "10"], check=False, timeout=60)
        took = time.time() - t0
        n = len(sink.files())
        # 1 + 20/s over the run: within 10%
        self.assertLessEqual(abs(n - 20 * 10) / 200.0, 0.10,
                             "%d messages in %.1f s" % (n, took))

    def test_one_worker_per_spool(self):
        sink = self.sink("-w", "3")
        self.ws = make_ws(sink.url(), 4)
        self.ws.run(["send", "issue.md", "--list", "weekly",
                     "--queue-only"])
        first = subprocess.Popen([BIN, "-c", self.ws.conf, "deliver"],
                                 cwd=self.ws.dir, stderr=subprocess.PIPE)
        time.sleep(1)
        p = self.ws.run(["deliver"], check=False)
        self.assertEqual(p.returncode, 75)
        self.assertIn("another worker (pid %d)" % first.pid, p.stderr)
        first.wait(30)

    def test_sigterm_finishes_in_flight_and_commits(self):
        sink = self.sink("-w", "1")
        self.ws = make_ws(sink.url(), 40)
        self.ws.run(["send", "issue.md", "--list", "weekly",
                     "--queue-only"])
        w = subprocess.Popen([BIN, "-c", self.ws.conf, "deliver"],
                             cwd=self.ws.dir, stderr=subprocess.PIPE)
        time.sleep(2.5)
        w.send_signal(signal.SIGTERM)
        w.wait(30)
        st = self.status()
        self.assertIn("sending 0", st)
        sent = int(st.split("sent ")[1].split(",")[0])
        self.assertEqual(sent, len(sink.files()))
        self.assertGreater(sent, 0)
        self.assertLess(sent, 40)


class RelayTest(unittest.TestCase):
    def test_failover_to_the_relay_that_is_up(self):
        sink = Sink()
        dead = "smtp://127.0.0.1:1"
        ws = Workspace(main_extra="""smtp = {
  relays = ( { url = "%s"; tls = "none"; weight = 5; },
             { url = "%s"; tls = "none"; weight = 1; } );
  connect_timeout = 2; down_for = 30.0; };
deliver = { retry_first = 1; };""" % (dead, sink.url()))
        try:
            ws.write("issue.md", ISSUE)
            ws.write("subs.csv", "email\n" + "".join(
                "f%d@example.org\n" % i for i in range(12)))
            ws.run(["import", "weekly", "subs.csv"])
            p = ws.run(["send", "issue.md", "--list", "weekly"],
                       check=False, timeout=60)
            self.assertIn("out of rotation", p.stderr)
            # what the dead relay got back is retried on the live one
            ws.run(["deliver", "--until-empty"], timeout=60)
            self.assertEqual(len(set(m[1] for m in sink.messages())), 12)
            self.assertEqual(len(sink.messages()), 12)
        finally:
            sink.cleanup()
            ws.cleanup()

    def test_messages_per_connection(self):
        server = TlsSink()
        ws = Workspace(main_extra="""smtp = { url = "%s"; tls = "none";
  max_connections = 1; messages_per_connection = 3; };""" % server.url())
        try:
            ws.write("issue.md", ISSUE)
            ws.write("subs.csv", "email\n" + "".join(
                "m%d@example.org\n" % i for i in range(7)))
            ws.run(["import", "weekly", "subs.csv"])
            ws.run(["send", "issue.md", "--list", "weekly"])
            self.assertEqual(len(server.received), 7)
            self.assertEqual(server.sessions, 3)    # 3 + 3 + 1
        finally:
            server.cleanup()
            ws.cleanup()


class DeliverTlsTest(unittest.TestCase):
    def setUp(self):
        self.tls = TlsSink()

    def tearDown(self):
        self.tls.cleanup()

    def run_with(self, extra_smtp):
        ws = Workspace(main_extra="""smtp = { url = "%s"; tls = "required";
  timeout = 5; connect_timeout = 3; %s };""" % (self.tls.url(), extra_smtp))
        try:
            ws.write("issue.md", ISSUE)
            return ws.run(["test", "issue.md", "--list", "weekly", "--to",
                           "reader@example.com"], check=False)
        finally:
            ws.cleanup()

    def test_self_signed_certificate_is_refused(self):
        p = self.run_with("")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(self.tls.received), 0)

    def test_trusted_with_ca_file(self):
        p = self.run_with('ca_file = "%s";' % self.tls.cert)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.tls.received), 1)

    def test_trusted_when_verify_is_off(self):
        p = self.run_with("verify = false;")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.tls.received), 1)


class MaildirTest(unittest.TestCase):
    def test_embedded_default_fills_the_outbox(self):
        ws = Workspace()
        try:
            ws.write("issue.md", ISSUE)
            ws.write("subs.csv", "email,name\na@example.com,A\n"
                     "b@example.org,B\nc@example.net,\n")
            ws.run(["import", "weekly", "subs.csv"])
            ws.run(["send", "issue.md", "--list", "weekly"])
            box = mailbox.Maildir(ws.path("outbox"), factory=None,
                                  create=False)
            msgs = [email.message_from_bytes(box.get_bytes(k),
                                             policy=email.policy.default)
                    for k in box.keys()]
            self.assertEqual(sorted(m["To"].addresses[0].addr_spec
                                    for m in msgs),
                             ["a@example.com", "b@example.org",
                              "c@example.net"])
            for m in msgs:
                self.assertTrue(m["Return-Path"].startswith("<bounces+"))
            self.assertIn("[Msgs:3 New:3", mutt_index(ws))
            self.assertIn("Delivery test issue", mutt_index(ws))
        finally:
            ws.cleanup()

    def test_demo_sends_the_sample_issue_signed_once(self):
        """scripts/demo (what `make demo` runs) on a copy of the shipped
        dispatcher.conf, lists/, templates/ and issues/."""
        ws = Workspace()
        try:
            d = ws.path("demo")
            os.makedirs(d)
            for sub in ("lists", "templates", "issues", "scripts"):
                shutil.copytree(os.path.join(ROOT, sub),
                                os.path.join(d, sub))
            shutil.copy(os.path.join(ROOT, "dispatcher.conf"), d)
            for _ in range(2):
                p = subprocess.run(["sh", "scripts/demo", BIN], cwd=d,
                                   capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
            rows = open(os.path.join(d, "lists",
                                     "weekly-sample.csv")).read()
            n = len([r for r in rows.splitlines()[1:] if r.strip()])
            box = mailbox.Maildir(os.path.join(d, "outbox"), factory=None,
                                  create=False)
            msgs = [box.get_bytes(k) for k in box.keys()]
            self.assertEqual(len(msgs), n)
            for m in msgs:
                self.assertIn(b"\r\nDKIM-Signature: v=1; a=rsa-sha256;",
                              b"\r\n" + m)
            self.assertIn("outbox/ holds %d messages" % n, p.stdout)
        finally:
            ws.cleanup()


def mutt_index(ws):
    """What mutt shows when it opens the outbox (run under script(1),
    as mutt wants a terminal), with the escape sequences removed."""
    home = ws.path("home")
    os.makedirs(os.path.join(home, "Mail"), exist_ok=True)
    p = subprocess.run(["script", "-qfc", "mutt -n -R -F /dev/null -f %s "
                        "-e 'push q'" % ws.path("outbox"), "/dev/null"],
                       env=dict(os.environ, HOME=home, TERM="xterm"),
                       capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    import re
    return re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]", b"\n", p.stdout).decode(
        "utf-8", "replace")


if __name__ == "__main__":
    unittest.main()
