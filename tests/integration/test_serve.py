"""test_serve.py — `dispatcher serve` on 127.0.0.1, driven with curl.

One-click unsubscribe (RFC 8058) and its page, forged and damaged tokens,
methods and paths, size limits and malformed requests, double opt-in end to
end through the Maildir outbox, rate limits, expiry, single opt-in, key
rotation, escaping, and the drop of privileges.
"""
import os
import re
import socket
import subprocess
import time
import unittest

from servetool import ServeWorkspace, confirm_link, NOBODY

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "Content-Type: application/x-www-form-urlencoded"


class ServeTest(unittest.TestCase):
    main_extra = ""
    list_extra = ""

    def setUp(self):
        self.ws = ServeWorkspace(main_extra=self.main_extra,
                                 list_extra=self.list_extra,
                                 lists=("weekly", "monthly"))
        for a in ("alice@example.com", "bob@example.com"):
            self.ws.run(["subscribe", "weekly", a])
        self.ws.run(["subscribe", "monthly", "alice@example.com"])
        self.ws.start()

    def tearDown(self):
        self.ws.cleanup()

    def token(self, address="alice@example.com", lst="weekly"):
        return self.ws.unsubscribe_token(lst, address)

    def assertPage(self, heads):
        self.assertEqual(heads["content-type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", heads["content-security-policy"])
        self.assertEqual(heads["x-content-type-options"], "nosniff")
        self.assertEqual(heads["x-frame-options"], "DENY")
        self.assertEqual(heads["referrer-policy"], "no-referrer")
        self.assertNotIn("set-cookie", heads)


class Unsubscribe(ServeTest):
    def test_get_shows_a_page_and_changes_nothing(self):
        for method in ("GET", "HEAD", "GET"):
            code, heads, body = self.ws.curl(
                "/unsubscribe/weekly/" + self.token(), method,
                args=["-I"] if method == "HEAD" else [])
            self.assertEqual(code, 200)
            self.assertPage(heads)
        self.assertIn("The Weekly Test", body)
        self.assertIn("al\u2022\u2022\u2022@example.com", body)
        self.assertNotIn("alice@", body)
        self.assertIn('<form method="post" action="/unsubscribe/weekly/%s">'
                      % self.token(), body)
        self.assertIn('name="List-Unsubscribe" value="One-Click"', body)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "active")

    def test_one_click_post_unsubscribes(self):
        code, heads, body = self.ws.curl(
            "/unsubscribe/weekly/" + self.token(), "POST", ONE_CLICK,
            headers=[FORM])
        self.assertEqual(code, 200)
        self.assertPage(heads)
        self.assertNotIn("location", heads)
        self.assertIn("You are unsubscribed", body)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "unsubscribed")
        self.assertRegex(self.ws.show("weekly", "alice@example.com"),
                         r"reader\s+active -> unsubscribed: unsubscribe "
                         r"link, HTTP from 127\.0\.0\.1")
        # the other list and the other reader are untouched
        self.assertEqual(self.ws.status("monthly", "alice@example.com"),
                         "active")
        self.assertEqual(self.ws.status("weekly", "bob@example.com"),
                         "active")
        # again: the same answer
        code2, _, body2 = self.ws.curl(
            "/unsubscribe/weekly/" + self.token(), "POST", ONE_CLICK,
            headers=[FORM])
        self.assertEqual((code2, body2), (code, body))

    def test_one_click_as_multipart(self):
        code, _, _ = self.ws.curl("/unsubscribe/weekly/" + self.token(),
                                  "POST", args=["-F", ONE_CLICK])
        self.assertEqual(code, 200)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "unsubscribed")

    def test_post_without_one_click_changes_nothing(self):
        for data in ("", "List-Unsubscribe=Yes", "foo=bar"):
            code, _, body = self.ws.curl(
                "/unsubscribe/weekly/" + self.token(), "POST", data,
                headers=[FORM])
            self.assertEqual(code, 400, data)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "active")

    def test_bad_tokens_change_nothing(self):
        good = self.token()
        mac = good.split(".")[1]
        flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
        bad = {
            "forged": flipped,
            "truncated": good[:-3],
            "no signature": good.split(".")[0] + ".",
            "other list": self.token(lst="monthly"),
            "other address": self.ws.unsubscribe_token(
                "weekly", "alice@example.com")[:-len(mac)] +
            self.token("bob@example.com").split(".")[1],
            "foreign key": self.ws.unsubscribe_token(
                "weekly", "alice@example.com", key=b"k" * 32),
            "junk": "%3Cscript%3E",
        }
        for what, tok in bad.items():
            for method, data in (("GET", None), ("POST", ONE_CLICK)):
                code, heads, body = self.ws.curl(
                    "/unsubscribe/weekly/" + tok, method, data,
                    headers=[FORM])
                self.assertTrue(400 <= code < 500, (what, method, code))
                self.assertNotIn("<script>", body)
        code, _, _ = self.ws.curl("/unsubscribe/nolist/" + good, "POST",
                                  ONE_CLICK, headers=[FORM])
        self.assertEqual(code, 404)
        # an unsubscribe token is not a confirmation token
        code, _, _ = self.ws.curl("/confirm/weekly/" + good, "POST", "",
                                  headers=[FORM])
        self.assertEqual(code, 400)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "active")
        self.assertEqual(self.ws.status("monthly", "alice@example.com"),
                         "active")

    def test_unknown_address_gets_the_same_answer(self):
        """A genuine token for an address that is not on the list gets the
        answer a subscriber gets: nothing tells who is subscribed."""
        t1 = self.token("alice@example.com")
        t2 = self.token("alfie@example.com")
        c1, _, b1 = self.ws.curl("/unsubscribe/weekly/" + t1, "POST",
                                 ONE_CLICK, headers=[FORM])
        c2, _, b2 = self.ws.curl("/unsubscribe/weekly/" + t2, "POST",
                                 ONE_CLICK, headers=[FORM])
        self.assertEqual((c1, b1), (c2, b2))
        self.assertIsNone(self.ws.status("weekly", "alfie@example.com"))


class Requests(ServeTest):
    main_extra = "serve = { max_body = 256; max_header = 4096; };"

    def test_methods_and_paths(self):
        path = "/unsubscribe/weekly/" + self.token()
        for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
            code, heads, body = self.ws.curl(path, method)
            self.assertEqual(code, 405, method)
            self.assertEqual(heads["allow"], "GET, HEAD, POST")
            self.assertPage(heads)
        code, heads, _ = self.ws.curl("/subscribe", "GET")
        self.assertEqual((code, heads["allow"]), (405, "POST"))
        for p in ("/", "/admin", "/unsubscribe", "/subscribe/x",
                  "/static/../../etc/passwd"):
            code, heads, body = self.ws.curl(p)
            self.assertEqual(code, 404, p)
            self.assertIn("Page not found", body)
        code, _, _ = self.ws.curl("/unsubscribe/weekly/a/b")
        self.assertEqual(code, 400)

    def test_oversized_requests_are_refused(self):
        path = "/unsubscribe/weekly/" + self.token()
        code, _, _ = self.ws.curl(path, "POST", ONE_CLICK + "&x=" + "a" * 400,
                                  headers=[FORM])
        self.assertEqual(code, 413)
        # the same without a Content-Length: chunked
        code, _, _ = self.ws.curl(path, "POST", ONE_CLICK + "&x=" + "a" * 400,
                                  headers=[FORM, "Transfer-Encoding: chunked"])
        self.assertEqual(code, 413)
        code, _, _ = self.ws.curl(path, headers=["X-Big: " + "b" * 6000])
        self.assertIn(code, (413, 431))
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "active")

    def raw(self, data):
        s = socket.create_connection(("127.0.0.1", self.ws.port), 10)
        s.sendall(data)
        s.settimeout(10)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        s.close()
        return out

    def test_malformed_requests_are_refused(self):
        for req in (b"GARBAGE\r\n\r\n",
                    b"GET /unsubscribe/weekly/x HTTP/1.1\r\nHost\r\n\r\n",
                    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                    b"POST /subscribe HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: -5\r\n\r\n"):
            out = self.raw(req)
            m = re.match(rb"HTTP/1\.[01] (\d+)", out)
            self.assertTrue(m is None or 400 <= int(m.group(1)) < 600,
                            (req, out[:80]))
        code, _, _ = self.ws.curl("/unsubscribe/weekly/" + self.token(),
                                  "POST", ONE_CLICK,
                                  headers=["Content-Type: text/plain"])
        self.assertEqual(code, 415)
        code, _, _ = self.ws.curl("/subscribe", "POST", "list=weekly&email=%",
                                  headers=[FORM])
        self.assertEqual(code, 400)
        # serve is still up and right
        self.assertEqual(self.ws.curl("/unsubscribe/weekly/" +
                                      self.token())[0], 200)

    def test_slow_client_times_out(self):
        s = socket.create_connection(("127.0.0.1", self.ws.port), 30)
        s.sendall(b"GET / HTTP/1.1\r\n")
        s.settimeout(30)
        start = time.time()
        try:
            s.recv(100)
        except OSError:
            pass
        s.close()
        self.assertLess(time.time() - start, 20)

    def test_echoed_values_are_escaped(self):
        self.ws.stop()
        self.ws.add_list("esc", display_name='<b>\\"Tom & Jerry\'s\\"</b>')
        self.ws.start()
        t = self.ws.unsubscribe_token("esc", "a<b>@example.com")
        code, _, body = self.ws.curl("/unsubscribe/esc/" + t)
        self.assertEqual(code, 200)
        self.assertIn("&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;",
                      body)
        self.assertNotIn("<b>", body)
        code, _, body = self.ws.curl(
            "/subscribe", "POST",
            "list=weekly&email=%22%3Cimg%20src%3Dx%3E%22%40example.com",
            headers=[FORM])
        self.assertNotIn("<img", body)


class Connections(ServeTest):
    main_extra = "serve = { max_connections = 2; timeout = 3; };"

    def test_connection_limit_and_idle_timeout(self):
        path = "/unsubscribe/weekly/" + self.token()
        idle = [socket.create_connection(("127.0.0.1", self.ws.port), 5)
                for _ in range(2)]
        time.sleep(0.3)
        code, _, _ = self.ws.curl(path, args=["--max-time", "2"])
        self.assertNotEqual(code, 200)      # no third connection
        # the idle ones are closed after serve.timeout; then all is well
        start = time.time()
        for s in idle:
            s.settimeout(10)
            self.assertEqual(s.recv(100), b"")
            s.close()
        self.assertLess(time.time() - start, 8)
        self.assertEqual(self.ws.curl(path)[0], 200)


class SignUp(ServeTest):
    main_extra = ("serve = { signup_per_ip = 4; signup_per_address = 2; "
                  "confirm_expiry = 3600; };")

    def test_subscribe_then_confirm(self):
        code, heads, body = self.ws.curl(
            "/subscribe", "POST",
            "list=weekly&email=Carol%40Example.com&name=Carol+C",
            headers=[FORM])
        self.assertEqual(code, 200)
        self.assertPage(heads)
        self.assertIn("Check your inbox", body)
        self.assertEqual(self.ws.status("weekly", "carol@example.com"),
                         "pending")
        msg = self.ws.wait_confirmation("Carol@example.com")
        self.assertIn(b"From: The Weekly Test <weekly@example.org>", msg)
        link = confirm_link(msg)
        path = link[len("https://lists.example.org"):]
        self.assertTrue(path.startswith("/confirm/weekly/"))
        code, heads, body = self.ws.curl(path)
        self.assertEqual(code, 200)
        self.assertIn("Confirm subscription", body)
        self.assertIn('action="%s"' % path, body)
        self.assertEqual(self.ws.status("weekly", "carol@example.com"),
                         "pending")
        code, _, body = self.ws.curl(path, "POST", "confirm=yes",
                                     headers=[FORM])
        self.assertEqual(code, 200)
        self.assertIn("You are subscribed", body)
        self.assertEqual(self.ws.status("weekly", "carol@example.com"),
                         "active")
        show = self.ws.show("weekly", "carol@example.com")
        self.assertRegex(show, r"reader\s+none -> pending: sign-up form")
        self.assertRegex(show, r"reader\s+pending -> active: confirmed")
        # the confirmation link of weekly does nothing on monthly
        code, _, _ = self.ws.curl(path.replace("/weekly/", "/monthly/"),
                                  "POST", "", headers=[FORM])
        self.assertEqual(code, 400)

    def test_answer_does_not_say_who_is_subscribed(self):
        answers = []
        for a in ("alice@example.com", "newbie@example.com"):
            code, _, body = self.ws.curl(
                "/subscribe", "POST", "list=weekly&address=" + a,
                headers=[FORM])
            answers.append((code, body.replace(a, "ADDRESS")))
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "active")
        self.ws.wait_confirmation("newbie@example.com")
        time.sleep(0.5)
        self.assertFalse([m for m in self.ws.outbox()
                          if b"alice@example.com" in m])

    def test_rate_limits(self):
        codes = [self.ws.curl("/subscribe", "POST",
                              "list=weekly&email=target@example.com",
                              headers=[FORM]) for _ in range(3)]
        self.assertEqual([c[0] for c in codes], [200, 200, 429])
        self.assertGreater(int(codes[2][1]["retry-after"]), 0)
        more = [self.ws.curl("/subscribe", "POST",
                             "list=weekly&email=u%d@example.com" % i,
                             headers=[FORM])[0] for i in range(4)]
        # 3 tries so far from this IP (every try counts): 1 more passes
        self.assertEqual(more, [200, 429, 429, 429])
        self.assertIsNone(self.ws.status("weekly", "u1@example.com"))
        time.sleep(1)
        sent = [m for m in self.ws.outbox() if b"target@example.com" in m]
        self.assertLessEqual(len(sent), 2)

    def test_expired_confirmation_is_refused(self):
        self.ws.curl("/subscribe", "POST", "list=weekly&email=late@example.com",
                     headers=[FORM])
        self.assertEqual(self.ws.status("weekly", "late@example.com"),
                         "pending")
        tok = self.ws.confirm_token("weekly", "late@example.com",
                                    int(time.time()) - 1)
        for method in ("GET", "POST"):
            code, _, body = self.ws.curl("/confirm/weekly/" + tok, method, "",
                                         headers=[FORM])
            self.assertEqual(code, 410)
            self.assertIn("expired", body)
        # an expiry pushed later by hand breaks the signature
        parts = tok.split(".")
        parts[1] = str(int(parts[1]) + 100000)
        code, _, _ = self.ws.curl("/confirm/weekly/" + ".".join(parts),
                                  "POST", "", headers=[FORM])
        self.assertEqual(code, 400)
        self.assertEqual(self.ws.status("weekly", "late@example.com"),
                         "pending")
        good = self.ws.confirm_token("weekly", "late@example.com",
                                     int(time.time()) + 60)
        code, _, _ = self.ws.curl("/confirm/weekly/" + good, "POST", "",
                                  headers=[FORM])
        self.assertEqual(code, 200)
        self.assertEqual(self.ws.status("weekly", "late@example.com"),
                         "active")

    def test_bad_sign_ups(self):
        for data, want in (("list=nolist&email=a@example.com", 404),
                           ("list=weekly&email=not-an-address", 400),
                           ("list=weekly", 400),
                           ("list=weekly&email=a@example.com&name=a%0Ab", 400)):
            code, _, _ = self.ws.curl("/subscribe", "POST", data,
                                      headers=[FORM])
            self.assertEqual(code, want, data)

    def test_a_reader_who_left_may_sign_up_again(self):
        self.ws.curl("/unsubscribe/weekly/" + self.token("bob@example.com"),
                     "POST", ONE_CLICK, headers=[FORM])
        self.ws.curl("/subscribe", "POST", "list=weekly&email=bob@example.com",
                     headers=[FORM])
        self.assertEqual(self.ws.status("weekly", "bob@example.com"),
                         "pending")
        self.ws.wait_confirmation("bob@example.com")


class SingleOptIn(ServeTest):
    list_extra = 'opt_in = "single";'

    def test_single_opt_in_is_active_at_once(self):
        code, _, body = self.ws.curl("/subscribe", "POST",
                                     "list=weekly&email=eve@example.com",
                                     headers=[FORM])
        self.assertEqual(code, 200)
        self.assertIn("Thank you for signing up", body)
        self.assertEqual(self.ws.status("weekly", "eve@example.com"),
                         "active")
        time.sleep(0.5)
        self.assertEqual(self.ws.outbox(), [])


class Rotation(ServeTest):
    def setUp(self):
        self.old = os.urandom(32)
        ws = ServeWorkspace(main_extra='secret_previous_file = "old.key";\n'
                            'secret_previous_until = "2099-01-01";')
        fd = os.open(ws.path("old.key"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, self.old.hex().encode() + b"\n")
        os.close(fd)
        ws.run(["subscribe", "weekly", "alice@example.com"])
        self.ws = ws.start()

    def test_previous_key_still_accepted(self):
        tok = self.ws.unsubscribe_token("weekly", "alice@example.com",
                                        key=self.old)
        self.assertNotEqual(tok, self.token())
        code, _, _ = self.ws.curl("/unsubscribe/weekly/" + tok, "POST",
                                  ONE_CLICK, headers=[FORM])
        self.assertEqual(code, 200)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "unsubscribed")

    def test_previous_key_past_its_date_is_refused(self):
        self.ws.stop()
        with open(self.ws.conf) as f:
            conf = f.read().replace("2099-01-01", "2020-01-01")
        with open(self.ws.conf, "w") as f:
            f.write(conf)
        self.ws.start()
        tok = self.ws.unsubscribe_token("weekly", "alice@example.com",
                                        key=self.old)
        code, _, _ = self.ws.curl("/unsubscribe/weekly/" + tok, "POST",
                                  ONE_CLICK, headers=[FORM])
        self.assertEqual(code, 400)
        self.assertEqual(self.ws.status("weekly", "alice@example.com"),
                         "active")


class Privileges(unittest.TestCase):
    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_drops_to_the_spool_owner(self):
        ws = ServeWorkspace()
        try:
            ws.start()
            with open("/proc/%d/status" % ws.proc.pid) as f:
                uids = re.search(r"^Uid:\s+(.*)$", f.read(), re.M).group(1)
            self.assertEqual(set(uids.split()), {str(NOBODY.pw_uid)})
        finally:
            ws.cleanup()

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_will_not_serve_as_root(self):
        ws = ServeWorkspace()
        try:
            ws.run(["status"], check=False)
            p = ws.run(["serve", "--listen", "127.0.0.1:0"], check=False,
                       timeout=20)
            self.assertEqual(p.returncode, 1)
            self.assertIn("will not answer the network as root", p.stderr)
        finally:
            ws.cleanup()


if __name__ == "__main__":
    unittest.main()
