"""A private Postfix instance for the benchmark: Debian's Postfix run with
`postfix -c DIR` from a temporary directory, listening on 127.0.0.1 only,
delivering demo@example.test into a Maildir with virtual(8).

Everything it owns (configuration, queue, data, Maildirs, log) lives under
one temporary directory on the same filesystem as the posthaste suite's
state, and stop() leaves no process behind: `postfix -c DIR stop`, then
any process whose environment still names this configuration directory
(MAIL_CONFIG, which master(8) passes to every child) is killed by pid.
"""

import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

VMAIL_UID = 5000          # docker-mailserver's vmail, as posthaste uses it
DOMAIN = "example.test"
USER = "demo"


class Postfix:
    def __init__(self, port):
        self.port = port
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="phbench-postfix.", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.etc = self.dir / "etc"
        self.queue = self.dir / "queue"
        self.data = self.dir / "data"
        self.mailbase = self.dir / "vmail"
        self.started = False

    def maildir(self):
        return self.mailbase / DOMAIN / USER

    def main_cf(self):
        return {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "meta_directory": "/etc/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mx.postfix-bench.test",
            "mydomain": "postfix-bench.test",
            "myorigin": "$myhostname",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            # nothing is local: no local(8) delivery at all
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:no local delivery",
            "alias_maps": "",
            "alias_database": "",
            "relay_domains": "",
            "biff": "no",
            # demo@example.test -> example.test/demo/ (trailing slash: Maildir)
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_maps": "hash:%s" % (self.etc / "vmailbox"),
            "virtual_mailbox_base": self.mailbase,
            "virtual_uid_maps": "static:%d" % VMAIL_UID,
            "virtual_gid_maps": "static:%d" % VMAIL_UID,
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_tls_security_level": "none",
            # enough smtpd processes for 50 sessions, and no throttling of
            # a client that sends faster than mail is delivered
            "default_process_limit": "100",
            "in_flow_delay": "0s",
            "maillog_file": self.dir / "maillog",
            "maillog_file_prefixes": self.dir,
        }

    def master_cf(self):
        # service type private unpriv chroot wakeup maxproc command;
        # chroot "n" everywhere.
        return [
            "127.0.0.1:%d inet n - n - - smtpd" % self.port,
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "virtual unix - n n - - virtual",
            "postlog unix-dgram n - n - 1 postlogd",
        ]

    def start(self):
        for d in (self.etc, self.queue, self.data, self.mailbase):
            d.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.data, "postfix")
        os.chown(self.mailbase, VMAIL_UID, VMAIL_UID)
        os.chmod(self.mailbase, 0o750)
        (self.etc / "main.cf").write_text("".join("%s = %s\n" % kv for kv in self.main_cf().items()))
        (self.etc / "master.cf").write_text("\n".join(self.master_cf()) + "\n")
        (self.etc / "vmailbox").write_text("%s@%s %s/%s/\n" % (USER, DOMAIN, DOMAIN, USER))
        self._run(["postmap", "-c", str(self.etc), "hash:%s" % (self.etc / "vmailbox")])
        self._run(["postfix", "-c", str(self.etc), "start"])
        self.started = True
        deadline = time.monotonic() + 30
        while not self.listening():
            if time.monotonic() > deadline:
                raise RuntimeError("postfix smtpd not listening on %d:\n%s" % (self.port, self.maillog()[-2000:]))
            time.sleep(0.1)
        return self

    def listening(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as c:
                return c.recv(512).startswith(b"220")
        except OSError:
            return False

    def master_pid(self):
        try:
            return int((self.queue / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def pids(self):
        """Every process of this instance: master(8) and its children all
        carry MAIL_CONFIG=<our etc> in their environment."""
        marker = b"MAIL_CONFIG=" + str(self.etc).encode() + b"\0"
        found = []
        for p in pathlib.Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                env = (p / "environ").read_bytes()
            except OSError:
                continue
            if marker in env:
                found.append(int(p.name))
        mp = self.master_pid()
        if mp and mp not in found and pathlib.Path("/proc/%d" % mp).exists():
            found.append(mp)
        return found

    def stop(self):
        if self.started:
            subprocess.run(["postfix", "-c", str(self.etc), "stop"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
            self.started = False
            deadline = time.monotonic() + 10
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.1)
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def maillog(self):
        try:
            return (self.dir / "maillog").read_text(errors="replace")
        except OSError:
            return ""

    def _run(self, argv):
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s\n%s" % (" ".join(argv), r.returncode, r.stdout,
                                                           self.maillog()[-2000:]))
