"""privpostfix: a private Debian Postfix instance for interop tests.

`postfix -c DIR` with everything it owns (configuration, queue, data
directory, log) under one temporary directory, listening on loopback only.
The caller gives main.cf settings on top of a minimal base (nothing local,
no aliases, no TLS) and master.cf lines on top of the daemons every
instance needs. stop() leaves no process behind: `postfix -c DIR stop`,
then any process whose environment still names this configuration
directory (MAIL_CONFIG, which master(8) passes to every child) is killed
by pid.

    pf = privpostfix.Postfix(main={...}, master=["127.0.0.1:2526 inet n - n - - smtpd"])
    pf.start(wait=("127.0.0.1", 2526))
    ...
    pf.stop()

Used by the interop tests (test_lmtp, test_remote_postfix, test_auth,
test_interop_postfix) and the benchmark (tests/bench/pfinstance.py).
With dir=PATH the instance lives in that directory, which the caller
owns: stop() then leaves it in place (with its maillog).
"""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BASE_MASTER = [
    "pickup unix n - n 60 1 pickup",
    "cleanup unix n - n - 0 cleanup",
    "qmgr unix n - n 300 1 qmgr",
    "rewrite unix - - n - - trivial-rewrite",
    "bounce unix - - n - 0 bounce",
    "defer unix - - n - 0 bounce",
    "trace unix - - n - 0 bounce",
    "verify unix - - n - 1 verify",
    "flush unix n - n 1000 0 flush",
    "proxymap unix - - n - - proxymap",
    "anvil unix - - n - 1 anvil",
    "scache unix - - n - 1 scache",
    "error unix - - n - - error",
    "retry unix - - n - - error",
    "discard unix - - n - - discard",
    "postlog unix-dgram n - n - 1 postlogd",
]


class Postfix:
    def __init__(self, main=None, master=None, prefix="privpostfix.", dir=None):
        self.owned = dir is None
        if self.owned:
            self.dir = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        else:
            self.dir = pathlib.Path(dir)
            self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.etc = self.dir / "etc"
        self.main_extra = dict(main or {})
        self.master_extra = list(master or [])
        self.started = False

    def main_cf(self):
        base = {
            "compatibility_level": "3.6",
            "queue_directory": self.dir / "queue",
            "data_directory": self.dir / "data",
            "meta_directory": "/etc/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mx.privpostfix.test",
            "mydomain": "privpostfix.test",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:no local delivery",
            "alias_maps": "",
            "alias_database": "",
            "relay_domains": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_tls_security_level": "none",
            "biff": "no",
            "maillog_file": self.dir / "maillog",
            "maillog_file_prefixes": self.dir,
        }
        base.update(self.main_extra)
        return base

    def configure(self):
        """Writes the directories, main.cf and master.cf (start() calls
        it; a subclass may add its own files, maps to postmap, ...)."""
        for d in (self.etc, self.dir / "queue", self.dir / "data"):
            d.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir / "data", "postfix")
        (self.etc / "main.cf").write_text("".join("%s = %s\n" % kv for kv in self.main_cf().items()))
        (self.etc / "master.cf").write_text("\n".join(self.master_extra + BASE_MASTER) + "\n")

    def start(self, wait=None, timeout=30):
        self.configure()
        r = subprocess.run(["postfix", "-c", str(self.etc), "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("postfix start: %s %s" % (r.stdout, self.maillog()[-2000:]))
        self.started = True
        if wait:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with socket.create_connection(wait, timeout=2) as c:
                        if c.recv(512).startswith(b"220"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("postfix not listening on %s: %s" % (wait, self.maillog()[-2000:]))
                time.sleep(0.1)
        return self

    def postqueue_flush(self):
        subprocess.run(["postqueue", "-c", str(self.etc), "-f"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)

    def master_pid(self):
        try:
            return int((self.dir / "queue" / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def pids(self):
        """Every process of this instance: master(8) and its children all
        carry MAIL_CONFIG=<our etc> in their environment."""
        marker = b"MAIL_CONFIG=" + str(self.etc).encode() + b"\0"
        found = []
        for p in pathlib.Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    if marker in (p / "environ").read_bytes():
                        found.append(int(p.name))
                except OSError:
                    pass
        mp = self.master_pid()
        if mp and mp not in found:
            # a pid file outlives its process: only a live master(8)
            try:
                if pathlib.Path("/proc/%d/comm" % mp).read_text().strip() == "master":
                    found.append(mp)
            except OSError:
                pass
        return found

    def stop(self, remove=True):
        """Stops every process; then removes the directory if this
        instance made it and remove is true."""
        if self.started:
            subprocess.run(["postfix", "-c", str(self.etc), "stop"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
            self.started = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = self.pids()
            if not left:
                break
            if time.monotonic() > deadline - 5:
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.2)
        if remove and self.owned:
            self.remove()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def maillog(self):
        try:
            return (self.dir / "maillog").read_text(errors="replace")
        except OSError:
            return ""
