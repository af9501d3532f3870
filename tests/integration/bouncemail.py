"""bouncemail.py — builds the mail that comes back, for the bounce tests:
RFC 3464 delivery reports, RFC 5965 complaints and plain unrelated mail,
each addressed to a VERP envelope address (or to none).

Also helpers to read a subscriber's status back with `dispatcher show` and
a whole list with `dispatcher export`.
"""
import re


def dsn(verp, rcpt, status="5.1.1", action="failed",
        diag="550 5.1.1 <{rcpt}>: Recipient address rejected: "
             "User unknown", message_id="<orig@example.org>", extra=""):
    """A Postfix-style multipart/report for rcpt, delivered to verp (the
    To and Delivered-To of the bounce; None leaves both out)."""
    to = ("Delivered-To: %s\r\nTo: %s\r\n" % (verp, verp)) if verp else \
        "To: postmaster@example.org\r\n"
    return ("Return-Path: <>\r\n" + to +
            "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <%s.%s@mx.example.net>\r\n" % (
                re.sub(r"\W", "", rcpt), status) +
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"BOUNDARY\"\r\n\r\n"
            "--BOUNDARY\r\nContent-Type: text/plain\r\n\r\n"
            "I'm sorry to have to inform you that your message could not\r\n"
            "be delivered to one or more recipients.\r\n\r\n"
            "--BOUNDARY\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.net\r\n\r\n"
            "Final-Recipient: rfc822; %s\r\n"
            "Action: %s\r\nStatus: %s\r\n"
            "Diagnostic-Code: smtp; %s\r\n\r\n" % (
                rcpt, action, status, diag.format(rcpt=rcpt)) +
            "--BOUNDARY\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "From: The Weekly Test <weekly@example.org>\r\n"
            "To: <%s>\r\nSubject: Delivery test issue\r\n"
            "Message-ID: %s\r\n%s\r\n"
            "--BOUNDARY--\r\n" % (rcpt, message_id, extra)).encode()


def padded_dsns(verp, rcpt, n, pad=70000):
    """n distinct bounces for the same entry, each carrying pad bytes of
    text, so that their kept copies fill a small store after a few."""
    return [dsn(verp, rcpt, message_id="<pad%d@example.org>" % i).replace(
        b"--BOUNDARY--", b"--BOUNDARY\r\nContent-Type: text/plain\r\n\r\n" +
        b"x" * pad + b"\r\n--BOUNDARY--") for i in range(n)]


def set_map_max(ws, mb):
    """Caps the store's map at mb MB (store.map_max_mb), or lifts the cap
    (mb None)."""
    with open(ws.conf) as f:
        conf = f.read()
    conf = "".join(line for line in conf.splitlines(True)
                   if not line.startswith("store = "))
    if mb:
        conf += "store = { map_initial_mb = %d; map_max_mb = %d; };\n" % (
            mb, mb)
    with open(ws.conf, "w") as f:
        f.write(conf)


def arf(verp, rcpt):
    """An abuse report (a reader pressed "this is spam")."""
    to = ("To: %s\r\n" % verp) if verp else "To: abuse@example.org\r\n"
    return ("From: feedback@fbl.example.net\r\n" + to +
            "Subject: FW: Delivery test issue\r\n"
            "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <arf.%s@fbl.example.net>\r\n" % re.sub(
                r"\W", "", rcpt) +
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=feedback-report;\r\n"
            "\tboundary=\"ARF\"\r\n\r\n"
            "--ARF\r\nContent-Type: text/plain\r\n\r\n"
            "This is an email abuse report.\r\n\r\n"
            "--ARF\r\nContent-Type: message/feedback-report\r\n\r\n"
            "Feedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\n"
            "Version: 1\r\nOriginal-Rcpt-To: %s\r\n\r\n"
            "--ARF\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "From: weekly@example.org\r\nTo: %s\r\n"
            "Subject: Delivery test issue\r\n\r\n"
            "--ARF--\r\n" % (rcpt, rcpt)).encode()


def plain(subject="Lunch on Friday?", to="bounces@example.org"):
    """Mail a person wrote: not a bounce, must be left alone."""
    return ("From: Alice Example <alice@example.net>\r\nTo: %s\r\n"
            "Subject: %s\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
            "Message-ID: <%s@example.net>\r\n\r\n"
            "Shall we meet at noon? I found a place near the station.\r\n"
            % (to, subject, re.sub(r"\W", "", subject))).encode()


def status_of(ws, address, lst="weekly"):
    """The status `dispatcher show` gives for address on lst."""
    out = ws.run(["show", lst, address]).stdout
    m = re.search(r"^status:\s+(\S+)", out, re.M)
    return m.group(1) if m else None


def export(ws, lst="weekly"):
    return ws.run(["export", lst]).stdout
