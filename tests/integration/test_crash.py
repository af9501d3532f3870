"""kill -9 in the middle of a send: the next run delivers every entry the
server had not accepted, with no more duplicates than deliver.batch."""
import collections
import os
import signal
import subprocess
import time
import unittest

from harness import Workspace, BIN
from sinks import Sink

N = 20000
BATCH = 32


class CrashTest(unittest.TestCase):
    def test_kill_9_mid_send_loses_nothing(self):
        sink = Sink()
        ws = Workspace(main_extra="""smtp = { url = "%s"; tls = "none";
  max_connections = 8; messages_per_connection = 1000; };
deliver = { batch = %d; retry_first = 1; };""" % (sink.url(), BATCH))
        try:
            ws.write("issue.md", "---\nsubject: Crash test\n---\n"
                     "Hello {{name}}.\n")
            with open(ws.path("subs.csv"), "w") as f:
                f.write("email,name\n")
                for i in range(N):
                    f.write("r%05d@example.com,R %d\n" % (i, i))
            ws.run(["import", "weekly", "subs.csv"], timeout=300)
            ws.run(["send", "issue.md", "--list", "weekly", "--queue-only"],
                   timeout=300)
            w = subprocess.Popen([BIN, "-c", ws.conf, "deliver"],
                                 cwd=ws.dir, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            end = time.time() + 300
            while len(os.listdir(sink.dir)) < N // 4 and time.time() < end:
                time.sleep(0.05)
            w.send_signal(signal.SIGKILL)
            w.wait()
            at_kill = len(os.listdir(sink.dir))
            self.assertLess(at_kill, N, "the worker finished before the kill")
            p = ws.run(["deliver", "--until-empty"], check=False, timeout=600)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertIn("are due again", p.stderr)
            counts = collections.Counter(m[1] for m in sink.messages())
            missing = N - len(counts)
            dups = sum(c - 1 for c in counts.values())
            print("\n  kill -9 after %d messages: %d missing, %d duplicates "
                  "(bound %d)" % (at_kill, missing, dups, BATCH))
            self.assertEqual(missing, 0)
            self.assertLessEqual(dups, BATCH)
            st = ws.run(["status"]).stdout
            self.assertIn("sent %d" % N, st)
        finally:
            sink.cleanup()
            ws.cleanup()


if __name__ == "__main__":
    unittest.main()
