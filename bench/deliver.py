#!/usr/bin/env python3
"""bench/deliver.py — delivery throughput against Postfix's smtp-sink on
loopback, beside Postfix's own load generator in the same run.

    B=build/release bench/deliver.py [SUBSCRIBERS] [CONNECTIONS]
    DKIM_ONLY=1 DKIM_SUBSCRIBERS=N bench/deliver.py   # only part 4

1. A throwaway installation with SUBSCRIBERS (default 100,000) subscribers
   and the long issue (../shared/corpus/cto-lunch-2025-10.md when present,
   else tests/fixtures/issues' longest), relayed to smtp-sink (no dump) with
   CONNECTIONS (default 16) connections: `dispatcher send --queue-only`,
   then `dispatcher deliver` timed, with its CPU seconds and peak RSS; every
   message fully personalized (name, address, unsubscribe token) with its
   own VERP envelope sender.
2. smtp-source against the same sink with the same number of sessions, the
   same number of messages and the same message size, connections reused.
3. Peak RSS of `deliver` with 10k, 100k and 1M entries enqueued (the 1M
   run delivers for a fixed 15 s: memory, not time, is the point there).
4. DKIM: the same delivery of DKIM_SUBSCRIBERS (default 20,000) messages
   twice in a row, unsigned and signed (a 2048-bit key made by
   `dispatcher dkim-keygen`; signing runs in the connection threads):
   msgs/s and CPU seconds of each, and the CPU cost of one signature.
Prints each figure and the ratio of the two rates.
"""
import glob
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.environ.get("B", "build/release")
BIN = os.path.join(ROOT, B, "dispatcher")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def long_issue():
    shared = os.path.join(ROOT, "..", "shared", "corpus",
                          "cto-lunch-2025-10.md")
    if os.path.exists(shared):
        return shared
    return max(glob.glob(os.path.join(ROOT, "tests", "fixtures", "issues",
                                      "*.md")), key=os.path.getsize)


class Sink:
    def __init__(self):
        self.port = free_port()
        args = ["smtp-sink"] + (["-u", "root"] if os.geteuid() == 0 else [])
        self.proc = subprocess.Popen(args + ["127.0.0.1:%d" % self.port,
                                             "1024"])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def setup(n, conns, port, dkim=False):
    """A throwaway installation with n subscribers and the issue queued;
    with dkim, a key made by dkim-keygen signs every message."""
    d = tempfile.mkdtemp(prefix="dispatcher-bench-")
    shutil.copytree(os.path.join(ROOT, "templates"),
                    os.path.join(d, "templates"))
    os.mkdir(os.path.join(d, "lists"))
    shutil.copy(os.path.join(ROOT, "lists", "weekly.conf"),
                os.path.join(d, "lists"))
    with open(os.path.join(d, "dispatcher.conf"), "w") as f:
        f.write('smtp = { url = "smtp://127.0.0.1:%d"; tls = "none";\n'
                '  max_connections = %d; messages_per_connection = 1000; };\n'
                'deliver = { batch = %d; };\n'
                'store = { map_max_mb = 16384; };\n' % (port, conns,
                                                        max(64, 4 * conns)))
        if dkim:
            f.write('dkim = { key = "keys/dkim.key"; };\n')
    with open(os.path.join(d, "subs.csv"), "w") as f:
        f.write("email,name\n")
        for i in range(n):
            f.write("reader%07d@example%d.com,Reader Number %d\n" %
                    (i, i % 97, i))
    shutil.copy(long_issue(), os.path.join(d, "issue.md"))
    if dkim:
        run(d, ["dkim-keygen"])
    run(d, ["import", "weekly", "subs.csv"])
    run(d, ["send", "issue.md", "--list", "weekly", "--queue-only"])
    return d


def run(d, args, **kw):
    return subprocess.run([BIN, "-q", "-c", os.path.join(d, "dispatcher.conf")]
                          + args, cwd=d, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          **kw)


def timed(cmd, cwd=None):
    """Wall seconds, CPU seconds and peak RSS (KB) of one child."""
    t = time.time()
    pid = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL).pid
    _, status, ru = os.wait4(pid, 0)
    return time.time() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def message_size(d):
    p = subprocess.run([BIN, "-c", os.path.join(d, "dispatcher.conf"),
                        "compose", "issue.md", "--list", "weekly", "--to",
                        "reader0000001@example1.com", "--name",
                        "Reader Number 1"], cwd=d, capture_output=True)
    return len(p.stdout)


def dkim_cost(n, conns, port):
    """Delivers n messages unsigned, then n signed, in the same run."""
    got = {}
    for dkim in (False, True):
        d = setup(n, conns, port, dkim=dkim)
        got[dkim] = timed([BIN, "-q", "-c", os.path.join(d, "dispatcher.conf"),
                           "deliver"], cwd=d)
        shutil.rmtree(d)
    for dkim in (False, True):
        wall, cpu, _ = got[dkim]
        print("deliver %s DKIM: %d messages, %d connections: %.1f s, "
              "%.0f msgs/s, %.1f CPU s" % ("with" if dkim else "without", n,
                                           conns, wall, n / wall, cpu))
    print("DKIM signing: %.0f%% of the unsigned rate, %.0f us of CPU a "
          "message" % (100.0 * got[False][0] / got[True][0],
                       1e6 * (got[True][1] - got[False][1]) / n))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    conns = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    sink = Sink()
    if os.environ.get("DKIM_ONLY"):
        try:
            dkim_cost(int(os.environ.get("DKIM_SUBSCRIBERS", n)), conns,
                      sink.port)
        finally:
            sink.stop()
        return
    try:
        d = setup(n, conns, sink.port)
        size = message_size(d)
        wall, cpu, rss = timed([BIN, "-q", "-c", os.path.join(
            d, "dispatcher.conf"), "deliver"], cwd=d)
        shutil.rmtree(d)
        src_wall, src_cpu, _ = timed(["smtp-source", "-s", str(conns), "-m",
                                      str(n), "-l", str(size), "-d", "-f",
                                      "bench@example.org", "-t",
                                      "sink@example.com",
                                      "127.0.0.1:%d" % sink.port])
        print("deliver: %d messages of %d bytes, %d connections: %.1f s, "
              "%.0f msgs/s, %.1f CPU s, peak RSS %.1f MB" %
              (n, size, conns, wall, n / wall, cpu, rss / 1024.0))
        print("smtp-source: same count, size and sessions: %.1f s, "
              "%.0f msgs/s, %.1f CPU s" % (src_wall, n / src_wall, src_cpu))
        print("ratio dispatcher / smtp-source: %.2f" %
              ((n / wall) / (n / src_wall)))
        for size_n, secs in ((10000, None), (100000, 20), (1000000, 15)):
            if size_n > n * 10:
                break
            d = setup(size_n, conns, sink.port)
            args = ["deliver"] + (["--for", str(secs)] if secs else [])
            w, c, r = timed([BIN, "-q", "-c", os.path.join(
                d, "dispatcher.conf")] + args, cwd=d)
            print("peak RSS with %d enqueued: %.1f MB (%s)" %
                  (size_n, r / 1024.0, "all delivered" if not secs else
                   "delivering for %d s" % secs))
            shutil.rmtree(d)
        dkim_cost(int(os.environ.get("DKIM_SUBSCRIBERS", 20000)), conns,
                  sink.port)
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
