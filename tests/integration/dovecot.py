"""dovecot.py — a throwaway Dovecot (IMAP and POP3, each with TLS from the
first byte on one port and STARTTLS, required before login, on another) on
127.0.0.1 for the bounce mailbox tests.

Dovecot(names=...) writes a config, a self-signed certificate made by
openssl for the given subject alternative names, a passwd-file with one
user (USER / PASSWORD) and that user's Maildir, all under a temporary
directory, and starts `dovecot -F -c CONFIG` on four free ports. As root
the mail processes run as nobody (Dovecot refuses root for mail); as
another user, everything runs as that user and group, with no chroot.
put() delivers a message straight into the Maildir; listing() shows the
Maildir as {"new": [...], "cur": [...]}.
"""
import grp
import os
import pwd
import shutil
import subprocess
import tempfile

from sinks import free_port, wait_port

USER = "bounces"
PASSWORD = "s3cret-Pass"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONF = """\
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = dispatcher-test-{imaps}
log_path = {dir}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
auth_mechanisms = plain
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
pop3_uidl_format = %f
service imap-login {{
{chroot}  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
{chroot}  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
"""


def make_cert(directory, names, stem):
    """A self-signed certificate for names (DNS names or IP addresses):
    writes STEM.pem and STEM-key.pem in directory; returns the cert path."""
    san = ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names)
    cert = os.path.join(directory, stem + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    os.path.join(directory, stem + "-key.pem"), "-out", cert,
                    "-days", "2", "-subj", "/CN=" + names[0], "-addext",
                    "subjectAltName=" + san], check=True,
                   capture_output=True)
    return cert


class Dovecot:
    def __init__(self, names=("localhost", "127.0.0.1")):
        self.dir = tempfile.mkdtemp(prefix="dispatcher-dovecot-")
        os.chmod(self.dir, 0o755)
        self.cert = make_cert(self.dir, list(names), "cert")
        os.rename(os.path.join(self.dir, "cert-key.pem"),
                  os.path.join(self.dir, "key.pem"))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("nobody")
            users = chroot = ""
        else:
            pw = pwd.getpwuid(os.geteuid())
            grp_name = grp.getgrgid(pw.pw_gid).gr_name
            users = ("default_login_user = {0}\ndefault_internal_user = {0}"
                     "\ndefault_internal_group = {1}\n".format(pw.pw_name,
                                                                grp_name))
            # chroot(2) needs root: no service may ask for it
            users += "service anvil {\n  chroot =\n}\n"
            chroot = "  chroot =\n"
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.maildir = os.path.join(self.dir, "home", USER, "Maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub))
        self.chown()
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
        self.imaps, self.pop3s = free_port(), free_port()
        self.imap, self.pop3 = free_port(), free_port()
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(dir=self.dir, uid=self.uid, gid=self.gid,
                                imaps=self.imaps, pop3s=self.pop3s,
                                imap=self.imap, pop3=self.pop3,
                                users=users, chroot=chroot))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            for port in (self.imaps, self.pop3s, self.imap, self.pop3):
                wait_port(port)
        except RuntimeError:
            self.cleanup()
            raise

    def chown(self):
        if os.geteuid() != 0:
            return
        for root, dirs, files in os.walk(os.path.join(self.dir, "home")):
            for n in dirs + files:
                os.chown(os.path.join(root, n), self.uid, self.gid)
        os.chown(os.path.join(self.dir, "home"), self.uid, self.gid)

    def put(self, name, data, sub="new"):
        with open(os.path.join(self.maildir, sub, name), "wb") as f:
            f.write(data)
        self.chown()

    def listing(self):
        return {sub: sorted(os.listdir(os.path.join(self.maildir, sub)))
                for sub in ("new", "cur")}

    def find(self, name):
        """(sub, file name with flags) of message name, or None."""
        for sub, names in self.listing().items():
            for n in names:
                if n.split(":")[0] == name:
                    return sub, n
        return None

    def read(self, name):
        sub, n = self.find(name)
        with open(os.path.join(self.maildir, sub, n), "rb") as f:
            return f.read()

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)
