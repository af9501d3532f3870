"""test_serve_browser.py — the reader's pages of `dispatcher serve` in
headless Chromium.

The unsubscribe link is taken from the footer of a message that
`dispatcher compose` wrote; Chromium opens it, the test clicks the button
as a reader would, and `dispatcher show` must then say unsubscribed. The
same for a sign-up's confirmation link from the Maildir outbox. Each page
(unsubscribe, done, confirm, subscribed, error) is measured at phone
(390 px, mobile emulation) and desktop (1280 px) width: nothing wider than
the screen, the button on screen and big enough to tap, the list's name
shown. Screenshots go to build/screenshots/serve-PAGE-WIDTH.png.
"""
import email
import email.policy
import json
import os
import re
import time
import unittest

import cdp
from harness import ROOT
from servetool import ServeWorkspace, confirm_link
from sinks import free_port

SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")
WIDTHS = ((390, 844, True), (1280, 800, False))
ISSUE = os.path.join(ROOT, "issues", "sample.md")

MEASURE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const b = document.querySelector('button');
  const r = b ? b.getBoundingClientRect() : null;
  return JSON.stringify({
    viewport: vw,
    scrollWidth: document.documentElement.scrollWidth,
    text: document.body.innerText,
    button: r ? {top: r.top, bottom: r.bottom, left: r.left,
                 right: r.right, height: r.height} : null,
    font: parseFloat(getComputedStyle(document.querySelector('h1 + p')).fontSize),
  });
})()
"""


@unittest.skipUnless(cdp.available(), "chromium is not installed")
class ServeBrowser(unittest.TestCase):
    def setUp(self):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.port = free_port()
        self.ws = ServeWorkspace(lists=())
        base = "http://127.0.0.1:%d" % self.port
        self.ws.add_list("weekly")
        conf = self.ws.path("lists", "weekly.conf")
        with open(conf) as f:
            text = f.read().replace("https://lists.example.org", base)
        with open(conf, "w") as f:
            f.write(text)
        self.readers = ["phone.reader@example.com", "desk.reader@example.com"]
        for a in self.readers:
            self.ws.run(["subscribe", "weekly", a])
        self.ws.start(port=self.port)
        self.browser = cdp.Browser()
        self.page = self.browser.new_page()

    def tearDown(self):
        self.browser.close()
        self.ws.cleanup()

    def footer_link(self, address):
        """The unsubscribe link in the HTML footer of a composed message."""
        raw = self.ws.run(["compose", ISSUE, "--list", "weekly", "--to",
                           address], text=False).stdout
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        html = msg.get_body(("html",)).get_content()
        links = re.findall(r'href="([^"]*/unsubscribe/[^"]*)"', html)
        self.assertTrue(links, "no unsubscribe link in the footer")
        return links[-1]

    def look(self, name, width, height, mobile, form):
        m = json.loads(self.page.evaluate(MEASURE))
        self.page.screenshot(os.path.join(
            SCREENSHOTS, "serve-%s-%d.png" % (name, width)))
        self.assertLessEqual(m["scrollWidth"], m["viewport"], name)
        self.assertIn("The Weekly Test", m["text"], name)
        self.assertGreaterEqual(m["font"], 15, name)
        if form:
            b = m["button"]
            self.assertIsNotNone(b, name)
            self.assertGreaterEqual(b["height"], 44, name)
            self.assertLessEqual(b["bottom"], height, name)
            self.assertGreaterEqual(b["left"], 0, name)
            self.assertLessEqual(b["right"], width, name)
        return m

    def click(self):
        self.browser.events.clear()
        self.page.evaluate("document.querySelector('button').click()")
        self.browser.wait_event("Page.loadEventFired", self.page.session)

    def test_unsubscribe_from_the_footer_link(self):
        for (width, height, mobile), who in zip(WIDTHS, self.readers):
            link = self.footer_link(who)
            self.page.open(link, width, height, mobile)
            m = self.look("unsubscribe", width, height, mobile, True)
            self.assertIn("Unsubscribe", m["text"])
            self.assertNotIn(who, m["text"])
            self.assertEqual(self.ws.status("weekly", who), "active")
            self.click()
            m = self.look("done", width, height, mobile, False)
            self.assertIn("You are unsubscribed", m["text"])
            self.assertEqual(self.ws.status("weekly", who), "unsubscribed")
            self.assertRegex(self.ws.show("weekly", who),
                             r"reader\s+active -> unsubscribed")

    def test_confirm_a_sign_up(self):
        for width, height, mobile in WIDTHS:
            who = "new%d@example.com" % width
            self.ws.curl("/subscribe", "POST", "list=weekly&email=" + who,
                         headers=["Content-Type: application/"
                                  "x-www-form-urlencoded"])
            link = confirm_link(self.ws.wait_confirmation(who))
            self.page.open(link, width, height, mobile)
            m = self.look("confirm", width, height, mobile, True)
            self.assertIn("Confirm subscription", m["text"])
            self.assertEqual(self.ws.status("weekly", who), "pending")
            self.click()
            m = self.look("subscribed", width, height, mobile, False)
            self.assertIn("You are subscribed", m["text"])
            self.assertEqual(self.ws.status("weekly", who), "active")

    def test_error_page(self):
        for width, height, mobile in WIDTHS:
            self.page.open(self.ws.url("/unsubscribe/weekly/bm8.c2lnbmF0dXJl"),
                           width, height, mobile)
            m = json.loads(self.page.evaluate(MEASURE))
            self.page.screenshot(os.path.join(
                SCREENSHOTS, "serve-error-%d.png" % width))
            self.assertIn("This link is not valid", m["text"])
            self.assertLessEqual(m["scrollWidth"], m["viewport"])


if __name__ == "__main__":
    unittest.main()
