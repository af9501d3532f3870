#!/usr/bin/env python3
"""bench/serve.py — one-click unsubscribes a second against `dispatcher
serve` on loopback, while a send of the same list runs, and nothing lost.

    B=build/release bench/serve.py [SUBSCRIBERS] [SECONDS]

A throwaway installation with SUBSCRIBERS (default 40,000) subscribers,
owned by nobody as a real one would be; `dispatcher serve` on a free port
of 127.0.0.1; `dispatcher send` of the sample issue to smtp-sink (no dump)
in the background; then wrk (4 threads, 16 connections, at most SECONDS,
default 5) POSTs List-Unsubscribe=One-Click, each request to a different
subscriber's link, so every answer 200 must be one unsubscribe recorded.
Before the send, the same for SECONDS / 2 with nothing else running, for
comparison.
Checks after: unsubscribed readers >= answers 200 (nothing lost, every one
an event with source reader), <= requests sent; the send finished with
every entry sent or skipped. Prints requests a second and the send's
figures. Bounded in count (one request per subscriber at most) and time.
"""
import base64
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("DISPATCHER_BIN", os.path.join(
    ROOT, os.environ.get("B", "build/release"), "dispatcher"))

from servetool import ServeWorkspace     # noqa: E402
from sinks import free_port, wait_port   # noqa: E402

THREADS, CONNECTIONS = 4, 16

WRK_LUA = r"""
local paths, per = {}, 0
for line in io.lines(os.getenv("TOKENS")) do paths[#paths + 1] = line end
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  per = math.floor(#paths / %d)
  first = id * per
  sent, ok = 0, 0
end
function request()
  if sent >= per then
    -- every link of this thread's share used: stop rather than repeat
    wrk.thread:stop()
  end
  local p = paths[first + sent + 1]
  sent = sent + 1
  return wrk.format("POST", p, {["Content-Type"] =
      "application/x-www-form-urlencoded"}, "List-Unsubscribe=One-Click")
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else
    io.stderr:write("status " .. status .. "\n") end
end
function done(summary, latency, requests)
  local s, o = 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    o = o + t:get("ok")
  end
  io.write(string.format("wrk-sent %%d\nwrk-ok %%d\n", s, o))
end
""" % THREADS


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def wrk(ws, tokens, seconds):
    """wrk over the links listed in the file tokens, for seconds at most."""
    return subprocess.run(["wrk", "-t%d" % THREADS, "-c%d" % CONNECTIONS,
                           "-d%ds" % seconds, "--timeout", "10s",
                           "-s", ws.path("bench.lua"), ws.url("")],
                          capture_output=True, text=True,
                          env=dict(os.environ, TOKENS=ws.path(tokens)))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if not shutil.which("wrk") or not shutil.which("smtp-sink"):
        print("serve: wrk or smtp-sink missing, skipped")
        return 0
    sink_port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "root", "127.0.0.1:%d"
                             % sink_port, "256"] if os.geteuid() == 0 else
                            ["smtp-sink", "127.0.0.1:%d" % sink_port, "256"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_port(sink_port)
    ws = ServeWorkspace(main_extra='smtp = { url = "smtp://127.0.0.1:%d"; '
                        'tls = "none"; max_connections = 8; };' % sink_port)
    try:
        with open(ws.path("subs.csv"), "w") as f:
            f.write("email\n")
            for i in range(n):
                f.write("reader%d@example.com\n" % i)
        ws.run(["import", "weekly", "subs.csv"])
        ws.start()
        key = ws.key()
        tokens = ["/unsubscribe/weekly/%s" % ws.unsubscribe_token(
            "weekly", "reader%d@example.com" % i, key) for i in range(n)]
        with open(ws.path("alone"), "w") as f:
            f.write("\n".join(tokens[:n // 4]) + "\n")
        with open(ws.path("tokens"), "w") as f:
            f.write("\n".join(tokens[n // 4:]) + "\n")
        with open(ws.path("bench.lua"), "w") as f:
            f.write(WRK_LUA)
        alone = wrk(ws, "alone", max(1, seconds // 2))
        send = subprocess.Popen(
            [os.environ["DISPATCHER_BIN"], "-c", ws.conf, "send",
             os.path.join(ROOT, "issues", "sample.md"), "--list", "weekly"],
            cwd=ws.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        time.sleep(0.3)
        t0 = time.time()
        w = wrk(ws, "tokens", seconds)
        took = time.time() - t0
        sending = send.poll() is None
        out, _ = send.communicate(timeout=600)
        sent = int(re.search(r"wrk-sent (\d+)", w.stdout).group(1))
        ok = int(re.search(r"wrk-ok (\d+)", w.stdout).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", w.stdout).group(1))
        lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", w.stdout)
        alone_sent = int(re.search(r"wrk-sent (\d+)", alone.stdout).group(1))
        alone_ok = int(re.search(r"wrk-ok (\d+)", alone.stdout).group(1))
        alone_rps = float(re.search(r"Requests/sec:\s+([\d.]+)",
                                    alone.stdout).group(1))
        gone = ws.run(["subscribers", "weekly", "--status",
                       "unsubscribed"]).stdout.count("@")
        status = ws.run(["status"]).stdout
        ws.stop()
        print("serve: %.0f one-click POSTs a second with nothing else "
              "running (%d sent, %d answered 200)"
              % (alone_rps, alone_sent, alone_ok))
        print("serve: %d one-click POSTs in %.1f s while a send of %d ran "
              "(send %s): %.0f requests/s, latency avg %s max %s; "
              "%d answered 200, %d unsubscribed"
              % (sent, took, n, "still running at the end" if sending
                 else "finished first", rps, lat.group(1), lat.group(3),
                 ok, gone))
        print("serve: send: %s" % " / ".join(out.strip().splitlines()[-3:]))
        if w.stderr.strip():
            print("serve: wrk: %s" % " ".join(sorted(set(
                w.stderr.split("\n")))))
        print("serve: spool: %s" % " ".join(status.split("\n")[:4]))
        if send.returncode != 0:
            print("serve: FAIL: send exited %d" % send.returncode)
            return 1
        ok, sent = ok + alone_ok, sent + alone_sent
        if not (ok <= gone <= sent) or ok == 0:
            print("serve: FAIL: unsubscribes lost (200s %d, recorded %d, "
                  "sent %d)" % (ok, gone, sent))
            return 1
        return 0
    finally:
        ws.cleanup()
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    sys.exit(main())
