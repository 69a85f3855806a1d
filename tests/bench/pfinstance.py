"""A private Postfix instance for the benchmark (tests/lib/privpostfix.py):
Debian's Postfix run with `postfix -c DIR` from a temporary directory,
listening on 127.0.0.1 only, delivering demo@example.test into a Maildir
with virtual(8).

Everything it owns (configuration, queue, data, Maildirs, log) lives under
one temporary directory on the same filesystem as the posthaste suite's
state; stop() leaves no process behind and keeps the directory until
remove().
"""

import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import privpostfix  # noqa: E402

VMAIL_UID = 5000          # docker-mailserver's vmail, as posthaste uses it
DOMAIN = "example.test"
USER = "demo"


class Postfix(privpostfix.Postfix):
    def __init__(self, port):
        super().__init__(prefix="phbench-postfix.", master=[
            # service type private unpriv chroot wakeup maxproc command;
            # chroot "n" everywhere.
            "127.0.0.1:%d inet n - n - - smtpd" % port,
            "virtual unix - n n - - virtual",
        ])
        self.port = port
        self.queue = self.dir / "queue"
        self.mailbase = self.dir / "vmail"
        self.main_extra.update({
            "myhostname": "mx.postfix-bench.test",
            "mydomain": "postfix-bench.test",
            "myorigin": "$myhostname",
            # demo@example.test -> example.test/demo/ (trailing slash: Maildir)
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_maps": "hash:%s" % (self.etc / "vmailbox"),
            "virtual_mailbox_base": self.mailbase,
            "virtual_uid_maps": "static:%d" % VMAIL_UID,
            "virtual_gid_maps": "static:%d" % VMAIL_UID,
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            # enough smtpd processes for 50 sessions, and no throttling of
            # a client that sends faster than mail is delivered
            "default_process_limit": "100",
            "in_flow_delay": "0s",
        })

    def maildir(self):
        return self.mailbase / DOMAIN / USER

    def configure(self):
        super().configure()
        self.mailbase.mkdir(parents=True, exist_ok=True)
        os.chown(self.mailbase, VMAIL_UID, VMAIL_UID)
        os.chmod(self.mailbase, 0o750)
        (self.etc / "vmailbox").write_text("%s@%s %s/%s/\n" % (USER, DOMAIN, DOMAIN, USER))
        r = subprocess.run(["postmap", "-c", str(self.etc), "hash:%s" % (self.etc / "vmailbox")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("postmap failed (%d): %s" % (r.returncode, r.stdout))

    def start(self):
        return super().start(wait=("127.0.0.1", self.port))

    def stop(self):
        super().stop(remove=False)
