"""test_browser.py — the HTML part of every issue in headless Chromium.

Each issue's preview (the HTML part, byte for byte) is opened at 375 px,
with the phone emulation a mobile browser would apply, and at 1280 px. A
script in the page then reports what a reader would see: the text of the
page, every element that sticks out past the viewport, the width of the
text column and its font size. The issue must show whole (every word of the
source, its last paragraph included), in a column neither squeezed nor
sprawling, with nothing wider than the screen.

Screenshots go to build/screenshots/ISSUE-WIDTH.png (the top of the page)
and ISSUE-WIDTH-end.png (its end), for people to look at.
"""
import json
import os
import unittest

import cdp
import issuecheck
from harness import ROOT, Workspace

NAME = "Ada Q. Reader"
ADDRESS = "ada.reader@example.com"
SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")
WIDTHS = ((375, 3000, True), (1280, 2000, False))

# What the page reports. It changes the page only at the end, after the
# measures (images give way to their alt text for the text's sake).
MEASURE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0)
      continue;
    if (r.right > vw + 0.5 || r.left < -0.5)
      wide.push(el.tagName.toLowerCase() + ' ' + Math.round(r.left) + '..' +
                Math.round(r.right) + ' ' +
                (el.textContent || '').trim().slice(0, 40));
  }
  const ps = Array.from(document.querySelectorAll('p'))
    .filter(p => p.getBoundingClientRect().height > 0);
  const widths = ps.map(p => p.getBoundingClientRect().width);
  const sizes = ps.map(p => parseFloat(getComputedStyle(p).fontSize));
  const m = {
    viewport: vw,
    scrollWidth: document.documentElement.scrollWidth,
    wide: wide.slice(0, 10),
    column: widths.length ? Math.max(...widths) : 0,
    smallestFont: sizes.length ? Math.min(...sizes) : 0,
  };
  // the text, with what stands for each image where the image stands
  for (const img of Array.from(document.images))
    img.replaceWith(document.createTextNode(' ' + img.alt + ' '));
  m.text = document.body.innerText;
  return JSON.stringify(m);
})()
"""


def contiguous(needle, hay):
    """Whether the word sequence needle occurs in hay, in one piece."""
    n = len(needle)
    return n == 0 or any(hay[i:i + n] == needle
                         for i in range(len(hay) - n + 1))


@unittest.skipUnless(cdp.available(), "chromium is not installed")
class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.pages = {}
        for path in issuecheck.issues():
            name = os.path.splitext(os.path.basename(path))[0]
            out = cls.ws.path(name + ".html")
            cls.ws.run(["preview", path, "--list", "weekly", "--to", ADDRESS,
                        "--name", NAME, "-o", out])
            cls.pages[path] = (name, out)
        cls.seen = {}
        with cdp.Browser() as b:
            page = b.new_page()
            for path, (name, html) in cls.pages.items():
                for width, height, mobile in WIDTHS:
                    page.open("file://" + html, width, height, mobile)
                    full = page.evaluate(
                        "document.documentElement.scrollHeight")
                    shot = os.path.join(SCREENSHOTS, "%s-%d" % (name, width))
                    page.screenshot(shot + ".png")
                    page.screenshot(shot + "-end.png", clip={
                        "x": 0, "y": max(0, full - height),
                        "width": width, "height": min(height, full)})
                    cls.seen[path, width] = json.loads(page.evaluate(MEASURE))

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()

    def each(self, check):
        for (path, width), m in sorted(self.seen.items()):
            with self.subTest(issue=os.path.basename(path), width=width):
                check(path, width, m)

    def test_browser_nothing_wider_than_the_screen(self):
        def check(path, width, m):
            self.assertEqual(m["viewport"], width)
            self.assertEqual(m["wide"], [])
            self.assertLessEqual(m["scrollWidth"], width)
        self.each(check)

    def test_browser_shows_the_whole_issue(self):
        def check(path, width, m):
            _, text, _, last = issuecheck.source_of(
                path, {"name": NAME, "email": ADDRESS})
            self.assertEqual(issuecheck.missing_words(text, m["text"]), [])
            self.assertTrue(contiguous(issuecheck.words(last),
                                       issuecheck.words(m["text"])),
                            "the last paragraph is not on the page: %r"
                            % last[:200])
            self.assertIn("Unsubscribe", m["text"])
        self.each(check)

    def test_browser_readable_column(self):
        def check(path, width, m):
            self.assertGreaterEqual(m["smallestFont"], 13)
            if width < 600:     # a phone: the text takes the screen
                self.assertGreaterEqual(m["column"], width * 0.8)
            else:               # a desktop: a column, not a banner
                self.assertGreaterEqual(m["column"], 480)
                self.assertLessEqual(m["column"], 680)
        self.each(check)


if __name__ == "__main__":
    unittest.main()
