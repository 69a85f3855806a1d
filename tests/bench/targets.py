"""The two servers under test, behind one small interface:

  t.name         "posthaste" or "Postfix"
  t.port         SMTP port on 127.0.0.1
  t.new_dir()    demo@example.test's Maildir new/ (may not exist yet)
  t.root_pid()   the process whose tree is the whole server (CPU, strace)
  t.cpu_detail() {key: ns} CPU so far per s6 service, logger and s6 itself
  t.cpu_parts(d)  {label: ns} a difference of two cpu_detail()s in reported parts
  t.alive()      still running with its state in place
  t.stop()       stop every process it started; t.remove() its files

posthaste is the real suite as the tests start it (tests/lib/phtest.py).
Postfix is a private instance (pfinstance.py). Both keep their state
under /tmp, so on the same filesystem.
"""

import os
import pathlib
import shutil
import sys
import tempfile

TOP = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests" / "lib"))
import phtest  # noqa: E402

import pfinstance  # noqa: E402
import procs  # noqa: E402

ADDRESS = "demo@example.test"


class Posthaste:
    name = "posthaste"

    def __init__(self, name=None, extra=None):
        # smtp-source makes every session from 127.0.0.1: lift tcpd's
        # per-client limit (default 20) above the 50 sessions we run, as
        # Postfix exempts $mynetworks from its per-client limits. Postfix
        # runs with no content filter and no policy service: so does
        # posthaste here (the demo's SPF policy service and inbound chain
        # off); the filter cell adds one no-op filter to measure its cost.
        env = {"PH_SMTP_MAXCONN_IP": "100", "PH_FILTERS_INBOUND": "", "ENABLE_POLICYD_SPF": "0"}
        env.update(extra or {})
        if name:
            self.name = name
        self.suite = phtest.Suite(extra_env=env)
        # Our own prefix rather than phtest's: a clean-up of stale
        # /tmp/phtest.* directories by a concurrent test session must not
        # remove the state of a suite being measured.
        os.rmdir(self.suite.tmp)
        self.suite.tmp = pathlib.Path(tempfile.mkdtemp(prefix="phbench-posthaste.", dir="/tmp"))
        os.chmod(self.suite.tmp, 0o755)
        self.suite.state = self.suite.tmp / "state"
        self.suite.bin = self.suite.state / "bin"
        self.port = self.suite.port("smtp")
        self.dir = self.suite.tmp

    def start(self):
        # mkruntime reads ENABLE_POLICYD_SPF from its own environment (or
        # mailserver.env), not from extra_env, which phtest only appends
        # to env.sh: without this the SPF policy service ran and smtpd
        # asked it for every message (1.8 ms/msg of CPU, 2026-11-28).
        saved = os.environ.get("ENABLE_POLICYD_SPF")
        os.environ["ENABLE_POLICYD_SPF"] = self.suite.extra_env.get("ENABLE_POLICYD_SPF", "1")
        try:
            self.suite.start()
        finally:
            if saved is None:
                os.environ.pop("ENABLE_POLICYD_SPF", None)
            else:
                os.environ["ENABLE_POLICYD_SPF"] = saved
        if self.suite.extra_env.get("ENABLE_POLICYD_SPF") == "0" and (self.suite.state / "service" / "policy").exists():
            raise RuntimeError("bench: the SPF policy service is installed although ENABLE_POLICYD_SPF=0")
        return self

    def new_dir(self):
        return self.suite.maildir(ADDRESS) / "new"

    def alive(self):
        sv = self.suite.svscan
        return sv is not None and sv.poll() is None and (self.suite.state / "service").is_dir()

    def root_pid(self):
        return self.suite.svscan.pid if self.suite.svscan else 0

    # the parts of "posthaste CPU ms/msg by part", after today's process
    # model: service trees by name; every s6-log; s6's own processes
    PARTS = (("tcpd+smtpd", "svc:smtpd"), ("queued-inject (resident)", "svc:inject"),
             ("queued", "svc:queued"), ("s6-ipcserver+deliverd", "svc:deliverd"))

    def cpu_detail(self):
        """ns on CPU so far, per s6 service tree, per logger and for s6
        itself (procs.s6_parts)."""
        return procs.s6_parts(self.root_pid()) if self.root_pid() else {}

    def cpu_parts(self, detail):
        """Groups a difference of two cpu_detail() samples into the
        reported parts: the four services a message crosses, "s6-log
        loggers" (all of them), "s6-supervise/s6-svscan", and "other"
        (every other service's tree)."""
        named = dict((key, label) for label, key in self.PARTS)
        out = dict((label, 0) for label, _ in self.PARTS)
        out.update({"s6-log loggers": 0, "s6-supervise/s6-svscan": 0, "other": 0})
        for key, ns in detail.items():
            if key in named:
                out[named[key]] += ns
            elif key.startswith("log:"):
                out["s6-log loggers"] += ns
            elif key == "s6":
                out["s6-supervise/s6-svscan"] += ns
            else:
                out["other"] += ns
        return out

    def stop(self):
        self.suite.stop()

    def remove(self):
        shutil.rmtree(self.suite.tmp, ignore_errors=True)

    def describe(self):
        env = self.suite.env
        return ("real suite (phtest): tcpd maxconn %s per-IP %s, queued delivery concurrency %s (default), "
                "deliverd maxproc %s" % (env.get("PH_SMTP_MAXCONN"), env.get("PH_SMTP_MAXCONN_IP"),
                                         env.get("PH_DELIVERY_CONCURRENCY", "10"),
                                         env.get("PH_DELIVERY_MAXPROC")))


class Postfix:
    name = "Postfix"

    def __init__(self):
        self.port = phtest.free_port()
        self.pf = pfinstance.Postfix(self.port)
        self.dir = self.pf.dir

    def start(self):
        self.pf.start()
        return self

    def new_dir(self):
        return self.pf.maildir() / "new"

    def alive(self):
        pid = self.pf.master_pid()
        return pid > 0 and os.path.exists("/proc/%d" % pid) and self.pf.etc.is_dir()

    def root_pid(self):
        return self.pf.master_pid()

    def cpu_detail(self):
        return {}

    def cpu_parts(self, detail):
        return {}

    def stop(self):
        self.pf.stop()

    def remove(self):
        self.pf.remove()

    def describe(self):
        return ("private instance, virtual(8) to Maildir, default_process_limit 100, in_flow_delay 0, "
                "virtual concurrency 20 (default)")
