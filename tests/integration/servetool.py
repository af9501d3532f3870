"""servetool.py — a running `dispatcher serve` for the endpoint's tests.

ServeWorkspace(...) is a harness.Workspace whose files belong to an
unprivileged user (nobody), as a real installation's would, so that serve,
started as root, drops to that user. ws.start() runs serve on a free port
of 127.0.0.1; ws.curl(...) makes a request with curl and returns
(status, headers, body). Tokens are computed here from the secret key the
same way token.c does, to forge, truncate and expire them on purpose.
"""
import base64
import hashlib
import hmac
import os
import pwd
import quopri
import re
import subprocess
import time

import harness
from sinks import free_port, wait_port

NOBODY = pwd.getpwnam("nobody")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ServeWorkspace(harness.Workspace):
    def __init__(self, main_extra="", list_extra="", lists=("weekly",)):
        super().__init__(lists=lists, main_extra=main_extra,
                         list_extra=list_extra)
        self.proc = None
        self.port = None

    def give_away(self):
        """Everything in the workspace to nobody, as serve will run."""
        for d in ("spool", "outbox", "outbox/tmp", "outbox/new",
                  "outbox/cur"):
            os.makedirs(self.path(d), exist_ok=True)
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files + [""]:
                os.chown(os.path.join(root, n), NOBODY.pw_uid,
                         NOBODY.pw_gid)

    def start(self, extra_args=(), port=None):
        self.run(["status"], check=False)      # creates the spool
        if not os.path.exists(self.path("spool", "secret.key")):
            fd = os.open(self.path("spool", "secret.key"),
                         os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, os.urandom(32).hex().encode() + b"\n")
            os.close(fd)
        self.give_away()
        self.port = port or free_port()
        self.log = open(self.path("serve.log"), "w")
        self.proc = subprocess.Popen(
            [harness.BIN, "-c", self.conf, "serve", "--listen",
             "127.0.0.1:%d" % self.port] + list(extra_args),
            cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port)
        return self

    def stop(self):
        """Stops serve; it must exit 0, with nothing from the sanitizers."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()
        rc, self.proc = self.proc.returncode, None
        log = self.serve_log()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
            if bad in log:
                raise AssertionError("serve: %s\n%s" % (bad, log[-4000:]))
        if rc != 0:
            raise AssertionError("serve exited %d\n%s" % (rc, log[-4000:]))

    def serve_log(self):
        with open(self.path("serve.log")) as f:
            return f.read()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def curl(self, path, method="GET", data=None, headers=(), args=()):
        cmd = ["curl", "-s", "-S", "-o", "-", "-D", self.path("h.txt"),
               "-w", "\n%{http_code}", "-X", method, "--max-time", "20"]
        for h in headers:
            cmd += ["-H", h]
        if data is not None:
            cmd += ["--data-binary", data]
        cmd += list(args) + [self.url(path)]
        p = subprocess.run(cmd, capture_output=True)
        body, _, code = p.stdout.rpartition(b"\n")
        with open(self.path("h.txt"), "rb") as f:
            raw = f.read().decode("latin-1")
        heads = {}
        for line in raw.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                heads.setdefault(k.strip().lower(), v.strip())
        return int(code or 0), heads, body.decode("utf-8", "replace")

    def key(self, name="spool/secret.key"):
        with open(self.path(name)) as f:
            return bytes.fromhex(f.read().strip())

    def unsubscribe_token(self, lst, address, key=None):
        mac = hmac.new(key or self.key(), b"unsubscribe\0" + lst.encode() +
                       b"\0" + address.encode(), hashlib.sha256).digest()
        return b64(address.encode()) + "." + b64(mac[:16])

    def confirm_token(self, lst, address, expires, key=None):
        exp = str(expires).encode()
        mac = hmac.new(key or self.key(), b"confirm\0" + lst.encode() +
                       b"\0" + address.encode() + b"\0" + exp,
                       hashlib.sha256).digest()
        return "%s.%s.%s" % (b64(address.encode()), exp.decode(),
                             b64(mac[:16]))

    def status(self, lst, address):
        out = self.run(["show", lst, address], check=False).stdout
        m = re.search(r"^status:\s+(\S+)", out, re.M)
        return m.group(1) if m else None

    def show(self, lst, address):
        return self.run(["show", lst, address], check=False).stdout

    def outbox(self):
        d = self.path("outbox", "new")
        if not os.path.isdir(d):
            return []
        return [open(os.path.join(d, n), "rb").read()
                for n in sorted(os.listdir(d))]

    def wait_confirmation(self, address, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            for m in self.outbox():
                if b"Subject: Confirm your subscription" in m and \
                        address.encode() in m:
                    return m
            time.sleep(0.1)
        raise AssertionError("no confirmation message for %s; serve log:\n%s"
                             % (address, self.serve_log()))

    def cleanup(self):
        try:
            self.stop()
        finally:
            super().cleanup()


def confirm_link(message):
    body = message.split(b"\r\n\r\n", 1)[1]
    text = quopri.decodestring(body).decode()
    m = re.search(r"https?://\S+/confirm/\S+", text)
    return m.group(0)
