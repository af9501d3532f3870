"""test_compose.py — `dispatcher compose` and `preview` through the binary.

The corpus tests compose every issue (our fixtures, and the shared corpus
when it sits beside the repository) and check the message with Python's
email package and the source's own words and links (issuecheck.py). The
other tests feed the composer what authors and subscribers get wrong:
header injection, invalid UTF-8, empty issues, front matter errors, and the
lines that quoted-printable must take care of.
"""
import email.policy
import os
import re
import unittest
from email.parser import BytesParser

import issuecheck
from harness import Workspace

NAME = "Ada Q. Reader"
ADDRESS = "ada.reader@example.com"


def parse(raw):
    return BytesParser(policy=email.policy.default).parsebytes(raw)


def text_part(raw):
    """The decoded text part, with '\n' line ends."""
    return list(parse(raw).iter_parts())[0].get_content().replace("\r\n",
                                                                  "\n")


def html_part(raw):
    return list(parse(raw).iter_parts())[1].get_content().replace("\r\n",
                                                                  "\n")


class Corpus(unittest.TestCase):
    """Every issue composes into a message that parses clean and keeps
    every word and link of its source, in both parts."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        cls.messages = {}
        for path in issuecheck.issues():
            p = cls.ws.run(["compose", path, "--list", "weekly", "--to",
                            ADDRESS, "--name", NAME], text=False)
            cls.messages[path] = p.stdout

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()

    def test_corpus_has_fixtures(self):
        fixtures = [p for p in self.messages
                    if p.startswith(issuecheck.FIXTURE_ISSUES)]
        self.assertGreaterEqual(len(fixtures), 3)
        self.assertGreaterEqual(max(os.path.getsize(p) for p in fixtures),
                                50 * 1024)

    def test_corpus_shared_beside_the_repository(self):
        if not os.path.isdir(issuecheck.CORPUS):
            self.skipTest("no shared corpus at %s" % issuecheck.CORPUS)
        shared = [p for p in self.messages
                  if p.startswith(issuecheck.CORPUS)]
        self.assertGreaterEqual(len(shared), 1)

    def test_corpus_messages_check_out(self):
        for path, raw in self.messages.items():
            with self.subTest(issue=os.path.basename(path)):
                problems = issuecheck.check_message(
                    raw, path, {"name": NAME, "email": ADDRESS})
                self.assertEqual(problems, [])

    def test_corpus_text_part_reads_well(self):
        for path, raw in self.messages.items():
            with self.subTest(issue=os.path.basename(path)):
                text = text_part(raw)
                self.assertNotIn("\n\n\n", text, "two blank lines in a row")
                # trailing white space, but for the signature's "-- "
                self.assertNotRegex(text, r"(?m)(?<!^--)[ \t]+$",
                                    "trailing white space")
                # headings are underlined to their own length
                for m in re.finditer(r"(?m)^(\S[^\n]*)\n([=-]{3,})$", text):
                    self.assertEqual(len(m.group(1)), len(m.group(2)),
                                     m.group(0))

    def test_corpus_personal_values(self):
        for path, raw in self.messages.items():
            with self.subTest(issue=os.path.basename(path)):
                msg = parse(raw)
                self.assertEqual(msg["To"].addresses[0].addr_spec, ADDRESS)
                self.assertEqual(msg["To"].addresses[0].display_name, NAME)
                url = re.search(r"<(https://[^>]+)>",
                                str(msg["List-Unsubscribe"])).group(1)
                self.assertIn(url, text_part(raw))
                self.assertIn('href="%s"' % url, html_part(raw))
                self.assertIn(ADDRESS, text_part(raw))


class Determinism(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()

    def tearDown(self):
        self.ws.cleanup()

    def compose(self, path, to=ADDRESS, name=NAME):
        return self.ws.run(["compose", path, "--list", "weekly", "--to", to,
                            "--name", name], text=False).stdout

    def test_compose_same_inputs_same_bytes(self):
        for path in issuecheck.issues():
            with self.subTest(issue=os.path.basename(path)):
                a = self.compose(path)
                b = self.compose(path)
                self.assertEqual(a, b)
                self.assertRegex(a, rb"\r\nMessage-ID: <[^>]+>\r\n")

    def test_compose_message_id_per_subscriber_and_issue(self):
        paths = issuecheck.issues()[:2]
        ids = set()
        for path in paths:
            for to in ("one@example.com", "two@example.com"):
                ids.add(parse(self.compose(path, to=to))["Message-ID"])
        self.assertEqual(len(ids), 4)

    def test_compose_preview_is_the_html_part(self):
        path = issuecheck.issues()[0]
        out = self.ws.path("preview.html")
        self.ws.run(["preview", path, "--list", "weekly", "--to", ADDRESS,
                     "--name", NAME, "-o", out])
        with open(out, encoding="utf-8") as f:
            page = f.read()
        self.assertEqual(page, html_part(self.compose(path)))


class BadInput(unittest.TestCase):
    """Errors name the file and line, and print no message at all."""

    def setUp(self):
        self.ws = Workspace()

    def tearDown(self):
        self.ws.cleanup()

    def compose(self, source, *extra, mode="w"):
        path = self.ws.write("issue.md", source, mode=mode)
        return self.ws.run(["compose", path, "--list", "weekly"] +
                           list(extra), check=False, text=False)

    def refused(self, p, pattern):
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"", "nothing on stdout when refused")
        self.assertRegex(p.stderr.decode("utf-8", "replace"), pattern)

    def test_compose_header_injection_in_subject(self):
        for bad in ("Hi\rBcc: victim@example.net", "Hi\x0bBcc: x@example.net",
                    "Hi\x00Bcc: x@example.net"):
            with self.subTest(subject=bad):
                p = self.compose("---\nsubject: %s\n---\nBody.\n" % bad,
                                 mode="w")
                self.refused(p, r"issue\.md:2: ")
        # a line break ends the value: what follows is a line of its own
        p = self.compose("---\nsubject: Hi\r\nBcc: x@example.net\n---\nB.\n")
        self.refused(p, r"issue\.md:3: ")

    def test_compose_header_injection_in_name_and_address(self):
        src = "---\nsubject: Hello\n---\nHello {{name}}.\n"
        for args, what in (
                (["--to", "a@example.com", "--name", "Eve\r\nBcc: x@example.net"],
                 "name"),
                (["--to", "a@example.com", "--name", "Eve\nBcc: x@example.net"],
                 "name"),
                (["--to", "a@example.com\r\nBcc: x@example.net"], "address"),
                (["--to", "a@example.com\nBcc: x@example.net"], "address"),
                (["--to", "a@example.com>, <x@example.net"], "address")):
            with self.subTest(what=what, args=args):
                p = self.compose(src, *args)
                self.refused(p, r"error: .*" + ("control character"
                                                if what == "name" else
                                                "not allowed"))
                # the error shows the value, not its line break
                self.assertNotRegex(p.stderr, rb"[\r\n]Bcc:")

    def test_compose_odd_but_valid_names_are_quoted(self):
        src = "---\nsubject: Hello\n---\nHello {{name}}.\n"
        for name in ('Eve "the <admin>" Smith', "Zoë, Ørsted & Co.",
                     "=?UTF-8?Q?Bcc?= trick", "a\\b"):
            with self.subTest(name=name):
                p = self.compose(src, "--to", "eve@example.com", "--name", name)
                self.assertEqual(p.returncode, 0, p.stderr)
                msg = parse(p.stdout)
                self.assertEqual(msg["To"].addresses[0].display_name, name)
                self.assertEqual(msg["To"].addresses[0].addr_spec,
                                 "eve@example.com")
                self.assertEqual(len(msg["To"].addresses), 1)
                self.assertIsNone(msg["Bcc"])

    def test_compose_non_ascii_list_and_long_name(self):
        display = "Café Crème — “Weekly” Notes, Vol. 2"
        self.ws.add_list("cafe", display_name=display)
        path = os.path.join(issuecheck.FIXTURE_ISSUES, "field-notes-short.md")
        # a line holding {{name}} leaves room for 24 columns of it: a name
        # of up to 30 keeps the line within 78
        name = "Zoë Ørsted-Ünal, of Old Mills"
        self.assertEqual(len(name), 29)
        p = self.ws.run(["compose", path, "--list", "cafe", "--to",
                         "zoe@example.com", "--name", name], text=False)
        self.assertEqual(issuecheck.check_message(
            p.stdout, path, {"name": name, "email": "zoe@example.com"}), [])
        msg = parse(p.stdout)
        # Python's parser puts a space between encoded-words in a phrase
        # where RFC 2047 says there is none: compare words
        self.assertEqual(msg["From"].addresses[0].display_name.split(),
                         display.split())
        self.assertEqual(str(msg["List-Id"]), display + " <cafe.example.org>")
        self.assertEqual(msg["To"].addresses[0].display_name, name)

    def test_compose_invalid_utf8_names_file_and_line(self):
        src = b"---\nsubject: Hello\n---\nFine line.\nBad \xc3\x28 line.\n"
        p = self.compose(src, mode="wb")
        self.refused(p, r"issue\.md:5: invalid UTF-8")
        src = b"---\nsubject: Caf\xe9\n---\nBody.\n"
        self.refused(self.compose(src, mode="wb"), r"issue\.md:2: invalid UTF-8")
        src = b"---\nsubject: Hello\n---\nOverlong \xc0\xaf slash.\n"
        self.refused(self.compose(src, mode="wb"), r"issue\.md:4: invalid UTF-8")
        src = b"---\nsubject: Hello\n---\nSurrogate \xed\xa0\x80 half.\n"
        self.refused(self.compose(src, mode="wb"), r"issue\.md:4: invalid UTF-8")

    def test_compose_empty_issue(self):
        self.refused(self.compose(""), r"issue\.md:1: the issue is empty")
        self.refused(self.compose("\n \n"), r"issue\.md:1: the issue is empty")
        self.refused(self.compose("---\nsubject: Nothing\n---\n"),
                     r"issue\.md:4: .*no content")
        self.refused(self.compose("---\nsubject: Nothing\n---\n\n  \n\n"),
                     r"issue\.md:4: .*no content")

    def test_compose_front_matter_errors_have_lines(self):
        cases = (
            ("---\nsubject: A\ndate: 2026-02-30\n---\nBody.\n",
             r"issue\.md:3: no such date"),
            ("---\nsubject: A\n\nthis is not a field\n---\nBody.\n",
             r"issue\.md:4: "),
            ("---\nsubject: A\nsubject: B\n---\nBody.\n", r"issue\.md:3: "),
            ("---\nsubject: A\ncolour: blue\n---\nBody.\n",
             r"issue\.md:3: unknown key 'colour'"),
            ("---\nsubject: A\npreheader: unclosed\nBody without an end.\n",
             r"issue\.md:\d+: "),
            ("---\nsubject:\n---\nBody.\n", r"issue\.md:2: "),
            ("---\nsubject: A\n---\nHello {{nmae}}.\n",
             r"issue\.md:4: unknown placeholder \{\{nmae\}\}"),
        )
        for src, pattern in cases:
            with self.subTest(src=src):
                self.refused(self.compose(src), pattern)


class QuotedPrintable(unittest.TestCase):
    """The lines QP has to take care of survive the round trip exactly."""

    LINES = [
        "Trailing spaces here   ",
        "Trailing tab here\t",
        ".A dot at the start of a line",
        "..Two dots",
        "=Equals first, a=b in the middle, and =",
        "From the start, like an mbox separator",
        "x" * 75 + "=" + "y" * 10,
        "Ünïcödé " * 12,
        "=" * 80,
    ]

    def setUp(self):
        self.ws = Workspace()

    def tearDown(self):
        self.ws.cleanup()

    def test_compose_qp_edges_round_trip(self):
        # a fenced block keeps every line as it is, trailing spaces included
        body = "```\n" + "\n".join(self.LINES) + "\n```\n"
        path = self.ws.write("qp.md", "---\nsubject: QP\n---\n" + body)
        raw = self.ws.run(["compose", path, "--list", "weekly"],
                          text=False).stdout
        self.assertEqual(issuecheck.raw_checks(raw), [])
        text = text_part(raw)
        for line in self.LINES:
            self.assertIn("    " + line + "\n", text)
        page = html_part(raw)
        for line in self.LINES:
            self.assertIn(line.replace("&", "&amp;"), page)
        # what a relay would do to the wire form cannot hurt it
        for wire_line in raw.split(b"\r\n"):
            self.assertFalse(wire_line.startswith(b"."), wire_line)
            self.assertFalse(wire_line.startswith(b"From "), wire_line)
            self.assertFalse(wire_line.endswith((b" ", b"\t")), wire_line)

    def test_compose_qp_long_words_and_urls(self):
        word = "Donaudampfschifffahrtsgesellschaftskapitän" * 4
        url = ("https://example.com/a/very/long/path/" + "segment/" * 20 +
               "?q=" + "v" * 60 + "&x=1")
        src = ("---\nsubject: Long\n---\nA word: %s\n\nA link: %s\n\n"
               "[Named](%s)\n" % (word, url, url))
        path = self.ws.write("long.md", src)
        raw = self.ws.run(["compose", path, "--list", "weekly"],
                          text=False).stdout
        self.assertEqual(issuecheck.raw_checks(raw), [])
        text = text_part(raw)
        self.assertIn("\n" + word + "\n", text)     # alone, unbroken
        self.assertIn("\n" + url + "\n", text)
        self.assertIn("[1] " + url + "\n", text)
        self.assertIn('href="%s"' % url.replace("&", "&amp;"), html_part(raw))


if __name__ == "__main__":
    unittest.main()
