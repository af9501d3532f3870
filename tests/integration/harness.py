"""harness.py — what the integration tests share.

Workspace() makes a throwaway installation in a temporary directory: a
dispatcher.conf, a lists/ directory with one list, the project's templates
and a spool. ws.run([...]) runs the dispatcher binary under test
(DISPATCHER_BIN, set by tests/run) with -c pointing at it.
"""
import os
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get("DISPATCHER_BIN",
                     os.path.join(ROOT, "build", "release", "dispatcher"))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

LIST_CONF = """\
display_name = "{display_name}";
from = "{from_address}";
list_id = "{name}.example.org";
base_url = "https://lists.example.org";
postal_address = "Example Org, 1 Example Street, Springfield";
why = "You get this because you signed up for {display_name}.";
{extra}
"""


class Workspace:
    def __init__(self, lists=("weekly",), main_extra="", list_extra=""):
        self.dir = tempfile.mkdtemp(prefix="dispatcher-it-")
        self.conf = os.path.join(self.dir, "dispatcher.conf")
        shutil.copytree(os.path.join(ROOT, "templates"),
                        os.path.join(self.dir, "templates"))
        os.mkdir(os.path.join(self.dir, "lists"))
        with open(self.conf, "w") as f:
            f.write('spool = "spool";\nlists = "lists";\n'
                    'templates = "templates";\noutbox = "outbox";\n'
                    + main_extra + "\n")
        for name in lists:
            self.add_list(name, extra=list_extra)

    def add_list(self, name, display_name=None, extra=""):
        display_name = display_name or "The %s Test" % name.title()
        with open(os.path.join(self.dir, "lists", name + ".conf"), "w") as f:
            f.write(LIST_CONF.format(name=name, display_name=display_name,
                                     from_address=name + "@example.org",
                                     extra=extra))

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, data, mode="w"):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(data)
        return p

    def run(self, args, input=None, check=True, text=True, env=None,
            timeout=120):
        e = dict(os.environ)
        if env:
            e.update(env)
        p = subprocess.run([BIN, "-c", self.conf] + list(args), input=input,
                           capture_output=True, text=text, cwd=self.dir,
                           env=e, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("dispatcher %s exited %d:\n%s" % (
                " ".join(args), p.returncode, p.stderr))
        return p

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
