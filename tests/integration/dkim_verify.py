#!/usr/bin/python3
"""dkim_verify.py — checks a message's DKIM signatures with an independent
verifier, Debian's python3-dkim, fed the public key from the TXT records
that `dispatcher dkim-keygen` wrote instead of from DNS.

    /usr/bin/python3 tests/integration/dkim_verify.py MESSAGE RECORDS.dns

RECORDS.dns holds zone-file lines `NAME. IN TXT "..." "..."`; a lookup of
NAME gets the strings joined, as a resolver gives them. Bare LF line ends
(as smtp-sink dumps them) are taken as CRLF. Exits 0 when every
DKIM-Signature verifies, 1 when one does not (or there is none), 3 when
the check itself broke, and prints what the verifier said.
"""
import re
import sys

import dkim


def records(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'^(\S+?)\.?\s+IN\s+TXT\s+(.*)$', line.strip())
            if m:
                out[m.group(1).lower()] = "".join(
                    re.findall(r'"([^"]*)"', m.group(2))).encode()
    return out


def main():
    with open(sys.argv[1], "rb") as f:
        msg = f.read()
    msg = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    txt = records(sys.argv[2])

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return txt.get(name.rstrip(".").lower())

    n = len(re.findall(rb"(?im)^DKIM-Signature:", msg.split(b"\r\n\r\n")[0]))
    if n == 0:
        print("no DKIM-Signature")
        return 1
    d = dkim.DKIM(msg)
    for i in range(n):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print("signature %d: %s" % (i, e))
            return 1
        if not ok:
            print("signature %d: signature did not verify" % i)
            return 1
    print("%d signature%s verified" % (n, "" if n == 1 else "s"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:     # a broken check is not a failed signature
        print("dkim_verify: %r" % e)
        sys.exit(3)
