"""privdovecot: a private Debian Dovecot instance for interop tests and the
benchmark.

`dovecot -F -c DIR/dovecot.conf` with everything it owns (configuration,
base_dir, state_dir, log, Maildirs, homes) under one temporary directory,
IMAP on 127.0.0.1 only, in clear (ssl = no, plaintext logins allowed).
Users are in a passwd-file with PLAIN passwords; mail belongs to vmail
(uid 5000, as in the posthaste suite); the Maildirs are laid out as
posthaste's: MAILROOT/<domain>/<local>/ (Maildir++, '.' separator, INBOX
at the root, indexes inside the Maildir: Dovecot's defaults, as
docker-mailserver runs it). Nothing outside the directory is written:
Debian's /etc/dovecot is not read.

    dc = privdovecot.Dovecot(users={"demo@example.test": "secret"})
    dc.start()
    dc.lda("demo@example.test", b"Subject: x\\n\\nbody\\n")   # dovecot-lda -d
    with dc.imap("demo@example.test") as c: ...                # imaplib, logged in
    dc.pids(); dc.stop()

The master runs in the foreground (-F) in its own session, so stop()
finds every process of the instance: its process group plus the
descendants of the master, killed by pid when they outlive it.
settings= adds (or overrides) top-level lines; extra= is raw
configuration text appended at the end (service blocks...); tls=(cert,
key) turns on STARTTLS on port and implicit TLS on imaps_port.
"""

import imaplib
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import ports

DOVECOT = "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"
DOVEADM = "/usr/bin/doveadm"
MAIL_USER = "vmail"


def free_port():
    return ports.free_port()


def _children():
    """{ppid: [pid, ...]} of every live process."""
    out = {}
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            st = (p / "stat").read_text()
            ppid = int(st.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out.setdefault(ppid, []).append(int(p.name))
    return out


def tree(root):
    """root and its live descendants."""
    kids = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.append(pid)
        todo.extend(kids.get(pid, []))
    return found


class Dovecot:
    def __init__(self, users=None, port=None, dir=None, prefix="privdovecot.", mailroot=None,
                 settings=None, extra="", tls=None):
        self.owned = dir is None
        if self.owned:
            self.dir = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        else:
            self.dir = pathlib.Path(dir)
            self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.users = dict(users or {})
        self.port = port or free_port()
        self.mailroot = pathlib.Path(mailroot) if mailroot else self.dir / "mail"
        self.conf = self.dir / "dovecot.conf"
        self.settings = dict(settings or {})
        self.extra = extra
        self.proc = None
        self.pw = pwd.getpwnam(MAIL_USER)
        # tls=(certificate file, key file): STARTTLS on port, implicit TLS
        # on imaps_port; without it, no TLS at all.
        self.tls = tls
        self.imaps_port = free_port() if tls else 0

    # ---- configuration

    def base_settings(self):
        d = self.dir
        return {
            "protocols": "imap",
            "listen": "127.0.0.1",
            "base_dir": d / "run",
            "state_dir": d / "state",
            "instance_name": "privdovecot-%s" % d.name,
            "log_path": d / "log",
            "info_log_path": d / "log",
            "debug_log_path": d / "log",
            "ssl": "yes" if self.tls else "no",
            "disable_plaintext_auth": "no",
            "auth_mechanisms": "plain login",
            "default_internal_user": "dovecot",
            "default_login_user": "dovenull",
            "mail_location": "maildir:%s/%%d/%%n" % self.mailroot,
            "mail_uid": MAIL_USER,
            "mail_gid": MAIL_USER,
            "first_valid_uid": "1",
            "postmaster_address": "postmaster@example.test",
            "lda_mailbox_autocreate": "yes",
            "lda_mailbox_autosubscribe": "yes",
            # many sessions from 127.0.0.1 for one user (tests, bench)
            "mail_max_userip_connections": "100000",
            "shutdown_clients": "yes",
            "version_ignore": "yes",
        }

    def config_text(self):
        s = self.base_settings()
        s.update(self.settings)
        if self.tls:
            s["ssl_cert"] = "<%s" % self.tls[0]
            s["ssl_key"] = "<%s" % self.tls[1]
            s["ssl_min_protocol"] = "TLSv1.2"
        lines = ["%s = %s" % kv for kv in s.items()]
        lines += [
            "passdb {", "  driver = passwd-file",
            "  args = scheme=PLAIN username_format=%%u %s" % (self.dir / "passwd"), "}",
            "userdb {", "  driver = static",
            "  args = uid=%s gid=%s home=%s/home/%%d/%%n" % (MAIL_USER, MAIL_USER, self.dir), "}",
            "namespace inbox {", "  inbox = yes", "  separator = .", "  prefix =", "}",
            "service imap-login {",
            "  inet_listener imap {", "    address = 127.0.0.1", "    port = %d" % self.port, "  }",
            "  inet_listener imaps {", "    address = 127.0.0.1", "    port = %d" % self.imaps_port,
            "    ssl = %s" % ("yes" if self.tls else "no"), "  }",
            "}",
            # doveadm's own listener would otherwise be a TCP port
            "service doveadm {", "  inet_listener {", "    port = 0", "  }", "}",
        ]
        return "\n".join(lines) + "\n" + self.extra + "\n"

    def configure(self):
        for sub in ("run", "state", "home"):
            (self.dir / sub).mkdir(exist_ok=True)
        self.mailroot.mkdir(parents=True, exist_ok=True)
        for p in (self.mailroot, self.dir / "home"):
            os.chown(p, self.pw.pw_uid, self.pw.pw_gid)
        with open(self.dir / "passwd", "w") as f:
            for user, password in self.users.items():
                f.write("%s:%s\n" % (user, password))
        os.chmod(self.dir / "passwd", 0o644)
        for user in self.users:
            local, domain = user.split("@", 1)
            h = self.dir / "home" / domain / local
            h.mkdir(parents=True, exist_ok=True)
            for p in (h.parent, h):
                os.chown(p, self.pw.pw_uid, self.pw.pw_gid)
        self.conf.write_text(self.config_text())
        r = subprocess.run(["/usr/bin/doveconf", "-c", str(self.conf), "-n"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("doveconf refuses the configuration: %s" % r.stdout)

    # ---- life cycle

    def start(self, timeout=30):
        self.configure()
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], start_new_session=True,
                                     stdout=open(self.dir / "master.out", "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot exited (%s): %s %s" % (self.proc.returncode,
                                   (self.dir / "master.out").read_text(errors="replace")[-2000:], self.log()[-2000:]))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as c:
                    if c.recv(512).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dovecot not listening on %d: %s" % (self.port, self.log()[-2000:]))
            time.sleep(0.1)
        return self

    def master_pid(self):
        return self.proc.pid if self.proc and self.proc.poll() is None else 0

    def pids(self):
        """The master and every live descendant."""
        mp = self.master_pid()
        return tree(mp) if mp else []

    def stop(self, remove=True):
        """Stops every process; removes the directory if this instance
        made it and remove is true."""
        if self.proc is not None:
            left = self.pids()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc = None
        if remove and self.owned:
            self.remove()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- helpers

    def log(self):
        try:
            return (self.dir / "log").read_text(errors="replace")
        except OSError:
            return ""

    def maildir(self, user):
        local, domain = user.lower().rsplit("@", 1)
        return self.mailroot / domain / local

    def lda(self, user, message, folder=None, sender="sender@example.org"):
        """Delivers message (bytes, LF line ends) with dovecot-lda -d."""
        argv = [LDA, "-c", str(self.conf), "-d", user, "-f", sender]
        if folder:
            argv += ["-m", folder]
        r = subprocess.run(argv, input=message, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("dovecot-lda %s: exit %d: %s %s" % (user, r.returncode,
                               r.stdout.decode(errors="replace"), self.log()[-1500:]))

    def doveadm(self, *args):
        r = subprocess.run([DOVEADM, "-c", str(self.conf)] + [str(a) for a in args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("doveadm %s: exit %d: %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
        return r.stdout

    def imap(self, user):
        """An imaplib session, logged in as user."""
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        c.login(user, self.users[user])
        return c
