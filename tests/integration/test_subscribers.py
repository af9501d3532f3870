"""test_subscribers.py — the list admin's commands against a real spool:
lists, subscribe, unsubscribe, import (10,000 rows with bad rows and
case-variant duplicates), export and re-import, subscribers, show, the
status rules through the command line, a concurrent import and unsubscribe
from two processes, and map growth from a tiny initial size."""
import csv
import io
import os
import random
import shlex
import shutil
import subprocess
import time
import unittest

from harness import BIN, Workspace


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


class SubscriberCommands(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace(lists=("weekly", "other"))

    def tearDown(self):
        self.ws.cleanup()

    def test_subscribe_unsubscribe_show(self):
        ws = self.ws
        p = ws.run(["subscribe", "weekly", "Ann@Example.COM", "--name",
                    "Ann Example"])
        self.assertIn("added Ann@example.com", p.stdout)
        p = ws.run(["subscribe", "weekly", "ann@example.com"])
        self.assertIn("already subscribed", p.stdout)
        p = ws.run(["subscribe", "weekly", "not-an-address"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no '@' in the address", p.stderr)
        p = ws.run(["subscribe", "nolist", "a@example.com"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no list 'nolist'", p.stderr)
        ws.run(["unsubscribe", "weekly", "ANN@example.com"])
        p = ws.run(["subscribe", "weekly", "ann@example.com"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--force", p.stderr)
        ws.run(["subscribe", "weekly", "ann@example.com", "--force"])
        p = ws.run(["show", "weekly", "ann@EXAMPLE.com"])
        self.assertIn("address:      Ann@example.com", p.stdout)
        self.assertIn("name:         Ann Example", p.stdout)
        self.assertIn("status:       active", p.stdout)
        events = [l for l in p.stdout.splitlines() if "->" in l]
        self.assertEqual(len(events), 3)
        self.assertIn("none -> active", events[0])
        self.assertIn("active -> unsubscribed", events[1])
        self.assertIn("unsubscribed -> active", events[2])
        p = ws.run(["show", "weekly", "nobody@example.com"], check=False)
        self.assertEqual(p.returncode, 1)
        p = ws.run(["unsubscribe", "weekly", "nobody@example.com"],
                   check=False)
        self.assertEqual(p.returncode, 1)
        p = ws.run(["subscribe", "weekly", "x@b\u00fccher.de"])
        self.assertIn("x@xn--bcher-kva.de", p.stdout)

    def test_lists_and_subscribers(self):
        ws = self.ws
        for a in ("a@example.com", "b@example.com", "c@example.com"):
            ws.run(["subscribe", "weekly", a])
        ws.run(["subscribe", "other", "z@example.com"])
        ws.run(["unsubscribe", "weekly", "b@example.com"])
        p = ws.run(["lists"])
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["LIST", "ACTIVE", "PENDING",
                                            "UNSUBSCRIBED", "BOUNCED",
                                            "COMPLAINED"])
        table = {l.split()[0]: l.split()[1:] for l in lines[1:]}
        self.assertEqual(table["weekly"], ["2", "0", "1", "0", "0"])
        self.assertEqual(table["other"], ["1", "0", "0", "0", "0"])
        p = ws.run(["subscribers", "weekly"])
        self.assertEqual([l.split("\t")[0] for l in p.stdout.splitlines()],
                         ["a@example.com", "b@example.com", "c@example.com"])
        p = ws.run(["subscribers", "weekly", "--status", "unsubscribed"])
        self.assertEqual(p.stdout, "b@example.com\tunsubscribed\t\n")
        p = ws.run(["subscribers", "weekly", "--status", "nope"],
                   check=False)
        self.assertEqual(p.returncode, 2)

    def test_import_10000_rows_then_export_reimport(self):
        ws = self.ws
        rnd = random.Random(7)
        lines = ["Email Address,First Name,Last Name,Notes"]
        good = []
        for i in range(9850):
            addr = "user%05d.%s@example%d.com" % (i, rnd.choice("abc"), i % 7)
            good.append(addr)
            lines.append("%s,First%d,Last,\"note, with comma\"" % (addr, i))
        bad = ["bad%d@@example.com" % i for i in range(25)] + \
              ["trailing%d@example.com." % i for i in range(25)]
        for b in bad:
            lines.insert(rnd.randrange(1, len(lines)), b + ",X,Y,")
        dups = rnd.sample(good, 100)
        for d in dups:
            variant = d.upper() if rnd.random() < 0.5 else d.capitalize()
            lines.append(variant + ",Dup,Row,")
        self.assertEqual(len(lines) - 1, 10000)
        path = ws.write("big.csv", "\r\n".join(lines) + "\r\n")
        t = time.time()
        p = ws.run(["import", "weekly", path])
        elapsed = time.time() - t
        self.assertIn("weekly: 10000 rows: 9850 added, 0 updated, "
                      "0 unchanged, 100 duplicates, 50 rejected, "
                      "0 suppressed", p.stdout)
        reports = [l for l in p.stderr.splitlines() if "big.csv:" in l]
        self.assertEqual(len(reports), 50)
        for b in bad:
            n = lines.index(b + ",X,Y,") + 1
            self.assertTrue(any(r.startswith("%s:%d: %s: " % (path, n, b))
                                for r in reports), b)
        self.assertLess(elapsed, 60)
        # the same file again: nothing new
        p = ws.run(["import", "weekly", path])
        self.assertIn("0 added, 0 updated, 9850 unchanged, 100 duplicates, "
                      "50 rejected", p.stdout)
        ws.run(["unsubscribe", "weekly", good[0]])
        exported = ws.run(["export", "weekly"]).stdout
        rows = rows_of(exported)
        self.assertEqual(len(rows), 9850)
        self.assertEqual(list(rows[0].keys())[:3], ["email", "name", "status"])
        path2 = ws.write("export.csv", exported)
        p = ws.run(["import", "other", path2])
        self.assertIn("9850 added", p.stdout)
        again = rows_of(ws.run(["export", "other"]).stdout)
        strip = lambda rs: [(r["email"], r["name"], r["status"]) for r in rs]
        self.assertEqual(strip(again), strip(rows))
        self.assertEqual(
            [r["status"] for r in again if r["email"] == good[0]],
            ["unsubscribed"])

    def test_import_dry_run_and_status_rules(self):
        ws = self.ws
        ws.run(["subscribe", "weekly", "left@example.com"])
        ws.run(["unsubscribe", "weekly", "left@example.com"])
        path = ws.write("in.csv", "email,name,status\n"
                        "left@example.com,Left,\n"
                        "new@example.com,New,active\n"
                        "gone@example.com,Gone,cleaned\n")
        p = ws.run(["import", "weekly", path, "--dry-run"])
        self.assertIn("dry run", p.stdout)
        self.assertIn("2 added", p.stdout)
        self.assertEqual(ws.run(["subscribers", "weekly"]).stdout,
                         "left@example.com\tunsubscribed\t\n")
        p = ws.run(["import", "weekly", path, "--force"])
        self.assertIn("2 added, 0 updated, 0 unchanged, 0 duplicates, "
                      "0 rejected, 1 suppressed", p.stdout)
        self.assertIn("in.csv:2: left@example.com: suppressed: unsubscribed",
                      p.stderr)
        p = ws.run(["show", "weekly", "new@example.com"])
        self.assertIn("import    none -> active: imported, in.csv line 3",
                      p.stdout)
        # bounced on weekly (imported as cleaned): refused on other
        p = ws.run(["subscribe", "other", "gone@example.com"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("bounced", p.stderr)
        path = ws.write("in2.csv", "email\ngone@example.com\n")
        p = ws.run(["import", "other", path])
        self.assertIn("1 suppressed", p.stdout)
        p = ws.run(["import", "other", path])
        self.assertIn("gone@example.com: suppressed: bounced", p.stderr)
        p = ws.run(["show", "weekly", "gone@example.com"])
        self.assertIn("suppressed:   bounced on weekly", p.stdout)
        p = ws.run(["subscribe", "other", "gone@example.com", "--force"])
        self.assertIn("added", p.stdout)

    @unittest.skipUnless(shutil.which("script"), "needs script(1)")
    def test_import_progress_on_a_terminal(self):
        ws = self.ws
        path = ws.write("p.csv", "email\n" + "".join(
            "p%d@example.com\n" % i for i in range(100)))
        cmd = " ".join(shlex.quote(x) for x in
                       [BIN, "-c", ws.conf, "import", "weekly", path])
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"],
                           capture_output=True, cwd=ws.dir, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn(b"\rimport: 100 rows, 100%", p.stdout)
        self.assertIn(b"\r\x1b[Kweekly: 100 rows: 100 added", p.stdout)
        # not on a pipe
        p = ws.run(["import", "weekly", path])
        self.assertNotIn("import: 100 rows", p.stderr)
        self.assertIn("100 unchanged", p.stdout)

    def test_export_is_formula_safe(self):
        ws = self.ws
        ws.run(["subscribe", "weekly", "=x@example.com", "--name",
                "@SUM(A1)"])
        out = ws.run(["export", "weekly"]).stdout
        self.assertIn("\"'=x@example.com\",\"'@SUM(A1)\",active", out)
        ws.write("e.csv", out)
        ws.run(["import", "other", ws.path("e.csv")])
        self.assertEqual(ws.run(["subscribers", "other"]).stdout,
                         "=x@example.com\tactive\t@SUM(A1)\n")

    def test_concurrent_import_and_unsubscribe(self):
        ws = self.ws
        n = 30000
        targets = ["t%05d@example.com" % i for i in range(0, n, n // 20)]
        for a in targets:
            ws.run(["subscribe", "weekly", a])
        path = ws.write("many.csv", "email,name\n" + "".join(
            "t%05d@example.com,Name %d\n" % (i, i) for i in range(n)))
        imp = subprocess.Popen([BIN, "-c", ws.conf, "import", "weekly", path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ws.dir)
        overlapped = 0
        for a in targets:
            ws.run(["unsubscribe", "weekly", a])
            if imp.poll() is None:
                overlapped += 1
        out, err = imp.communicate(timeout=300)
        self.assertEqual(imp.returncode, 0, err)
        self.assertIn("%d rows" % n, out)
        p = ws.run(["lists"])
        weekly = [l.split() for l in p.stdout.splitlines()
                  if l.startswith("weekly")][0]
        # every import row went in, and every unsubscribe stuck
        self.assertEqual(weekly[1:4], [str(n - len(targets)), "0",
                                       str(len(targets))])
        for a in targets[:3]:
            self.assertIn("status:       unsubscribed",
                          ws.run(["show", "weekly", a]).stdout)
        self.assertGreater(overlapped, 0, "the import ended too early")

    def test_tiny_map_grows(self):
        ws = Workspace(main_extra="store = { map_initial_mb = 1; "
                       "map_max_mb = 64; };")
        try:
            path = ws.write("m.csv", "email,name\n" + "".join(
                "grow%05d@example.com,%s\n" % (i, "n" * 100)
                for i in range(8000)))
            p = ws.run(["import", "weekly", path])
            self.assertIn("8000 added", p.stdout)
            self.assertGreater(os.path.getsize(ws.path("spool", "data.mdb")),
                               1 << 20)
            self.assertEqual(len(ws.run(["subscribers", "weekly"])
                                 .stdout.splitlines()), 8000)
        finally:
            ws.cleanup()

    def test_store_full_is_a_clear_error(self):
        ws = Workspace(main_extra="store = { map_initial_mb = 1; "
                       "map_max_mb = 1; };")
        try:
            path = ws.write("m.csv", "email,name\n" + "".join(
                "full%05d@example.com,%s\n" % (i, "n" * 200)
                for i in range(8000)))
            p = ws.run(["import", "weekly", path], check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("is full", p.stderr)
            # what went in before is intact and readable
            ws.run(["subscribers", "weekly"])
        finally:
            ws.cleanup()


if __name__ == "__main__":
    unittest.main()
