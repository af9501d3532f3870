"""issuecheck.py — what the composer's acceptance tests check, written
against independent parsers: Python's email package for the message, and a
small Markdown stripper of our own for the words and links of the source.

issues() lists the issues to check: our fixtures under tests/fixtures/issues
always, and the shared corpus (../shared/corpus beside the repository) when
it is there.

check_message(raw, source, values) returns a list of problems (empty when
the message is right); each problem is a short sentence naming what failed.
"""
import email.policy
import glob
import html
import html.parser
import os
import re
import urllib.parse
from email.parser import BytesParser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FIXTURE_ISSUES = os.path.join(ROOT, "tests", "fixtures", "issues")
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")

REQUIRED_ONCE = ("From", "To", "Subject", "Date", "Message-ID",
                 "MIME-Version", "List-Id", "List-Unsubscribe",
                 "List-Unsubscribe-Post", "Feedback-ID")


def issues():
    """Paths of every issue to check: fixtures, then the corpus if present."""
    found = sorted(glob.glob(os.path.join(FIXTURE_ISSUES, "*.md")))
    if os.path.isdir(CORPUS):
        found += sorted(glob.glob(os.path.join(CORPUS, "*.md")))
    return found


def long_issue():
    """The long issue the benchmark and the browser test lean on."""
    corpus = os.path.join(CORPUS, "cto-lunch-2025-10.md")
    if os.path.exists(corpus):
        return corpus
    return os.path.join(FIXTURE_ISSUES, "long-monthly.md")


# ---- the Markdown source -------------------------------------------------

def split_front_matter(src):
    """(fields, body) of an issue's text."""
    fields = {}
    if not src.startswith("---\n"):
        return fields, src
    end = src.index("\n---\n", 3)
    for line in src[4:end].split("\n"):
        m = re.match(r"([a-z][a-z0-9_]*):\s*(.*)$", line)
        if m:
            v = m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            fields[m.group(1)] = v
    return fields, src[end + 5:]


URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>()]*[^\s<>().,;:!?'\"*_~]")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def strip_markdown(body, values):
    """(visible text, link URLs) of a Markdown body, by rules simple enough
    to trust: link destinations, reference definitions, fence lines and
    list markers go; link texts, code and everything else stay."""
    urls = []
    lines = []
    in_code = []            # per line: inside a code block
    in_fence = False
    prev_blank = True
    for line in body.split("\n"):
        if re.match(r"\s*(```|~~~)", line):      # fence and its info string
            in_fence = not in_fence
            lines.append("")
            in_code.append(True)
            continue
        indented = prev_blank and line.startswith("    ") and \
            not re.match(r"\s*(?:[-*+]|\d+[.)])\s", line)
        prev_blank = line.strip() == "" or (indented and not in_fence)
        in_code.append(in_fence or indented)
        if in_fence or indented:
            lines.append(line)
            continue
        m = re.match(r"\s{0,3}\[[^\]]+\]:\s*(\S+)", line)    # definition
        if m:
            urls.append(m.group(1).strip("<>"))
            lines.append("")
            in_code[-1] = True
            continue
        line = re.sub(r"^\s*(?:>\s?)*", "", line)          # quote markers
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)  # list markers
        lines.append(line)
    text = "\n".join(lines)

    def inline_link(m):
        urls.append(m.group(2))
        return m.group(1)
    # ![alt](src "title") and [text](url "title")
    text = re.sub(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)",
                  inline_link, text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)   # [text][ref]

    def autolink(m):
        urls.append(m.group(1))
        return m.group(1)
    text = re.sub(r"<((?:https?|mailto):[^>\s]+)>", autolink, text)
    text = re.sub(r"<([\w.+-]+@[\w.-]+)>", autolink, text)
    prose = re.sub(r"`[^`]*`", " ", "\n".join(
        l for l, code in zip(text.split("\n"), in_code) if not code))
    for m in URL_RE.finditer(prose):
        if m.group(0) not in urls:
            urls.append(m.group(0))
    for name, value in values.items():
        text = text.replace("{{%s}}" % name, value)
    text = text.replace("\\", "")
    return html.unescape(text), urls


def words(text):
    """Letters-and-digits runs: what 'every word' compares."""
    return re.findall(r"[^\W_]+", text)


def source_of(path, values):
    """(front matter, visible body text, URLs, last block text) of an issue."""
    with open(path, encoding="utf-8") as f:
        fm, body = split_front_matter(f.read())
    text, urls = strip_markdown(body, values)
    blocks = [b for b in re.split(r"\n\s*\n", text)
              if words(b) and not re.fullmatch(r"[\s|:-]*", b)]
    return fm, text, urls, blocks[-1] if blocks else ""


# ---- the HTML part ---------------------------------------------------------

class _Visible(html.parser.HTMLParser):
    """Collects visible text and link targets; skips head, style, script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.hrefs = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script", "title"):
            self.skip += 1
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.hrefs.append(v)
            if tag == "img" and k == "alt" and v and not self.skip:
                self.out.append(" %s " % v)     # what stands for the image
        if tag in ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2",
                   "h3", "h4", "h5", "h6", "pre", "blockquote", "table"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script", "title") and self.skip:
            self.skip -= 1
        if tag in ("td", "th"):
            self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def visible_html(markup):
    """(visible text, hrefs) of an HTML document."""
    p = _Visible()
    p.feed(markup)
    p.close()
    return "".join(p.out), p.hrefs


# ---- checks ------------------------------------------------------------------

def missing_words(expected, got):
    """The words of expected that got lacks, in order (a subsequence test:
    every word, in the source's order)."""
    want = words(expected)
    have = words(got)
    missing = []
    j = 0
    for w in want:
        k = j
        while k < len(have) and have[k] != w:
            k += 1
        if k == len(have):
            missing.append(w)
        else:
            j = k + 1
    return missing


def url_forms(url):
    u = urllib.parse.unquote(html.unescape(url))
    forms = {u}
    if u.startswith("www."):
        forms.add("http://" + u)
    if "@" in u and ":" not in u:
        forms.add("mailto:" + u)
    return forms


def raw_checks(raw):
    problems = []
    if re.search(rb"(?<!\r)\n", raw):
        problems.append("a bare LF")
    if re.search(rb"\r(?!\n)", raw):
        problems.append("a bare CR")
    lines = raw.split(b"\r\n")
    for i, line in enumerate(lines):
        if len(line) > 998:
            problems.append("line %d is %d octets (over 998)" % (i + 1,
                                                               len(line)))
    head, _, body = raw.partition(b"\r\n\r\n")
    # the bodies of the parts: every line after the first part's header
    in_part_body = False
    for i, line in enumerate(body.split(b"\r\n")):
        if line.startswith(b"--=_"):
            in_part_body = False
            continue
        if not in_part_body:
            in_part_body = line == b""
            continue
        if len(line) > 76:
            problems.append("QP body line of %d octets: %r" % (len(line),
                                                               line[:80]))
    return problems


def check_message(raw, path, values):
    """Problems with raw, the composed message of the issue at path, for a
    subscriber whose placeholders hold values ({"name": ..., "email": ...})."""
    problems = raw_checks(raw)
    msg = BytesParser(policy=email.policy.default).parsebytes(raw)
    if msg.defects:
        problems.append("message defects: %r" % msg.defects)
    for name in REQUIRED_ONCE:
        n = len(msg.get_all(name) or [])
        if n != 1:
            problems.append("%s appears %d times" % (name, n))
    lu = str(msg.get("List-Unsubscribe", ""))
    if not re.search(r"<https://[^>]+>", lu):
        problems.append("List-Unsubscribe has no https URL: %r" % lu)
    if not re.search(r"<mailto:[^>]+>", lu):
        problems.append("List-Unsubscribe has no mailto: %r" % lu)
    if str(msg.get("List-Unsubscribe-Post", "")) != \
            "List-Unsubscribe=One-Click":
        problems.append("List-Unsubscribe-Post is %r" %
                        msg.get("List-Unsubscribe-Post"))
    if not msg.is_multipart() or \
            msg.get_content_type() != "multipart/alternative":
        problems.append("not multipart/alternative: %s" %
                        msg.get_content_type())
        return problems
    parts = list(msg.iter_parts())
    types = [p.get_content_type() for p in parts]
    if types != ["text/plain", "text/html"]:
        problems.append("parts are %r" % types)
        return problems
    for p in parts:
        if p.defects:
            problems.append("%s defects: %r" % (p.get_content_type(),
                                                p.defects))
        if p.get_content_charset() != "utf-8":
            problems.append("%s charset %r" % (p.get_content_type(),
                                               p.get_content_charset()))
        if p.get("Content-Transfer-Encoding", "").lower() != \
                "quoted-printable":
            problems.append("%s CTE %r" % (p.get_content_type(),
                                           p.get("Content-Transfer-Encoding")))
    text = parts[0].get_content().replace("\r\n", "\n")
    page, hrefs = visible_html(parts[1].get_content())
    fm, source, urls, _ = source_of(path, values)
    subject = fm.get("subject", "")
    if str(msg["Subject"]) != subject:
        problems.append("Subject is %r, not %r" % (str(msg["Subject"]),
                                                   subject))
    for what, got in (("text part", text), ("HTML part", page)):
        gone = missing_words(subject + "\n" + source, got)
        if gone:
            problems.append("the %s lacks %d words of the source, first %r"
                            % (what, len(gone), gone[:8]))
        for ch in set(re.findall(r"[\u2010-\u2026\u00a1-\u00bf]", source)):
            if got.count(ch) < source.count(ch):
                problems.append("the %s has %d of U+%04X, the source %d" % (
                    what, got.count(ch), ord(ch), source.count(ch)))
    plain_text = urllib.parse.unquote(text)
    hrefs = {urllib.parse.unquote(h) for h in hrefs}
    for u in urls:
        forms = url_forms(u)
        if not any(f in plain_text for f in forms):
            problems.append("the text part lacks the link %s" % u)
        if not forms & hrefs:
            problems.append("the HTML part lacks the link %s" % u)
    for line in text.split("\n"):
        if len(line) > 78 and not URL_RE.search(line):
            problems.append("text line of %d characters: %r" % (len(line),
                                                                line))
    return problems
