"""sinks.py — real SMTP servers on 127.0.0.1 for the delivery tests.

Sink: Postfix's smtp-sink with a dump directory; each accepted message is a
file holding smtp-sink's pseudo-headers (X-Mail-Args, X-Rcpt-Args), its own
Received header, then the message as sent. Options such as -r/-f (reject a
command with 4xx/5xx), -q/-Q (disconnect) and -w (delay) inject faults.

TlsSink: a small STARTTLS-capable SMTP server (smtp-sink has no TLS) with a
self-signed certificate made by openssl, for certificate checks.
"""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


class Sink:
    def __init__(self, *options, port=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="dispatcher-sink-")
        args = [SMTP_SINK, "-d", os.path.join(self.dir, "%Y%m%d%H%M%S.")]
        if os.geteuid() == 0:
            args += ["-u", "root"]
        args += list(options) + ["127.0.0.1:%d" % self.port, "256"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def files(self):
        return sorted(os.path.join(self.dir, f) for f in os.listdir(self.dir))

    def messages(self):
        """[(mail_from, rcpt, message bytes)] of every dumped message."""
        out = []
        for path in self.files():
            with open(path, "rb") as f:
                data = f.read()
            out.append(parse_dump(data))
        return out


def parse_dump(data):
    """Splits an smtp-sink dump into envelope and the message as sent."""
    lines = data.split(b"\n")
    mail_from = rcpt = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"X-Mail-Args: "):
            mail_from = line[13:].strip().strip(b"<>").decode()
        elif line.startswith(b"X-Rcpt-Args: "):
            rcpt = line[13:].strip().strip(b"<>").decode()
        elif line.startswith(b"Received: "):
            i += 1
            while i < len(lines) and lines[i][:1] in (b"\t", b" "):
                i += 1
            break
        i += 1
    return mail_from, rcpt, b"\n".join(lines[i:])


class TlsSink:
    """Accepts mail over STARTTLS with a self-signed certificate (or in
    clear, when the client does not ask for TLS); counts its sessions."""

    def __init__(self):
        self.sessions = 0
        self.dir = tempfile.mkdtemp(prefix="dispatcher-tls-")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", self.key, "-out", self.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(self.cert, self.key)
        self.port = free_port()
        self.received = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.sessions += 1
            threading.Thread(target=self.session, args=(conn,),
                             daemon=True).start()

    def session(self, conn):
        conn.settimeout(10)
        f = conn.makefile("rb")
        tls = False

        def say(text):
            conn.sendall(text.encode() + b"\r\n")
        try:
            say("220 tls-sink ESMTP")
            data = None
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().decode(errors="replace")
                verb = cmd[:4].upper()
                if data is not None:
                    if cmd == ".":
                        self.received.append(b"".join(data))
                        data = None
                        say("250 2.0.0 Ok: queued")
                    else:
                        data.append(line)
                    continue
                if verb in ("EHLO", "HELO"):
                    say("250-tls-sink")
                    if not tls:
                        say("250-STARTTLS")
                    say("250 8BITMIME")
                elif verb == "STAR":
                    say("220 2.0.0 Ready to start TLS")
                    conn = self.ctx.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rb")
                    tls = True
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                    say("250 2.1.0 Ok")
                elif verb == "DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    data = []
                elif verb == "QUIT":
                    say("221 2.0.0 Bye")
                    return
                else:
                    say("502 5.5.2 Error: command not recognized")
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def cleanup(self):
        self.running = False
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)
