"""phtest: start the real posthaste suite under s6-svscan for a test file.

A test file looks like this:

    import phtest

    @phtest.case
    def delivery_has_headers(s):        # s is a running Suite
        ...                             # raise AssertionError to fail

    if __name__ == "__main__":
        phtest.main()                   # or phtest.main(extra_env={...})

phtest.main() lays out a state directory in a fresh temporary directory
with package/mkruntime (the same script `make run` uses), starts
s6-svscan on it, waits until every service reports readiness, runs the
cases in file order (one PASS/FAIL line each), stops the suite, checks the
logs for sanitizer reports, and ends with "N passed, N failed".

Everything listens on 127.0.0.1 only, on ports chosen free at start.
The binaries come from $PH_TEST_BIN (default: build/bin of this checkout).
"""

import os
import pathlib
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import ports

TOP = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_BIN = (TOP / os.environ.get("PH_TEST_BIN", "build/bin")).resolve()
CASE_TIMEOUT = int(os.environ.get("PH_CASE_TIMEOUT", "300"))

_cases = []


def case(fn):
    """Register a test case; cases run in the order they are defined."""
    _cases.append(fn)
    return fn


class envfile:
    """with phtest.envfile(s, NAME="value", ...): those lines are added to
    the suite's mailserver.env for the duration (each daemon reads it per
    connection or at its start). The file is replaced whole, by a rename
    both ways, so a daemon starting meanwhile never reads half of it."""

    def __init__(self, s, **settings):
        self.path = s.state / "config" / "mailserver.env"
        self.settings = settings

    def _write(self, text):
        tmp = self.path.with_name(self.path.name + ".tmp.%d" % os.getpid())
        tmp.write_text(text)
        os.chmod(tmp, os.stat(self.path).st_mode & 0o7777)
        os.rename(tmp, self.path)

    def __enter__(self):
        self.saved = self.path.read_text()
        self._write(self.saved + "".join("%s=%s\n" % kv for kv in self.settings.items()))
        return self

    def __exit__(self, *exc):
        self._write(self.saved)
        return False


def free_port():
    return ports.free_port()


class Suite:
    """One running posthaste suite with its own state directory."""

    def __init__(self, extra_env=None, services=None, bin_dir=None, before_start=None, after_stop=None):
        # before_start(suite): called once the state directory is laid out
        # and before any service starts (to mount a filesystem over
        # $STATE/queue, say); after_stop(suite): once every service is
        # down, before the state directory is removed (to unmount it).
        self.before_start = before_start
        self.after_stop = after_stop
        self.extra_env = dict(extra_env or {})
        self.services = services
        self.bin_src = (pathlib.Path(bin_dir) if bin_dir else DEFAULT_BIN).resolve()
        if "asan" in self.bin_src.parent.name:
            # Sanitizer reports go to stderr, hence to the service's log,
            # where sanitizer_reports() finds them. Leak checks are for the
            # unit tests: daemons legitimately exit holding memory.
            self.extra_env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
            self.extra_env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        self.password = "pw-" + secrets.token_hex(8)
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="phtest.", dir="/tmp"))
        os.chmod(self.tmp, 0o755)
        self.state = self.tmp / "state"
        self.bin = self.state / "bin"
        self.ports = {}
        for name in ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s",
                     "https", "http", "metrics"):
            # The kernel may hand the same free port out twice in a row
            # once the probing socket is closed: keep them distinct.
            p = free_port()
            while p in self.ports.values():
                p = free_port()
            self.ports[name] = p
        self.svscan = None
        self.env = {}

    # ---- life cycle

    def start(self):
        env = dict(os.environ)
        env.update({
            "STATE_DIR": str(self.state),
            "PH_BIN": str(self.bin_src),
            "PH_SMTP_IP": "127.0.0.1",
            "PH_SMTP_PORT": str(self.ports["smtp"]),
            "PH_SUBMISSION_PORT": str(self.ports["submission"]),
            "PH_SUBMISSIONS_PORT": str(self.ports["submissions"]),
            "PH_IMAP_PORT": str(self.ports["imap"]),
            "PH_IMAPS_PORT": str(self.ports["imaps"]),
            "PH_POP3_PORT": str(self.ports["pop3"]),
            "PH_POP3S_PORT": str(self.ports["pop3s"]),
            # the web face and the metrics (webd/README.md)
            "PH_HTTPS_PORT": str(self.ports["https"]),
            "PH_HTTP_PORT": str(self.ports["http"]),
            "PH_METRICS_PORT": str(self.ports["metrics"]),
            # POP3 is on in the tests' suite (docker-mailserver's switch,
            # read by mkruntime); extra_env={"ENABLE_POP3": "0"} turns it off.
            "ENABLE_POP3": str(self.extra_env.get("ENABLE_POP3", "1")),
            "DEMO_PASSWORD": self.password,
            "PH_EXTRA_ENV": "\n".join("%s=%s" % kv for kv in self.extra_env.items()),
        })
        if self.services:
            env["PH_SERVICES"] = " ".join(self.services)
        # docker-mailserver's ENABLE_* switches decide which services
        # mkruntime installs, from its own environment: pass them there
        # too, not only to env.sh (where the daemons read them)
        for k, v in self.extra_env.items():
            if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS") or k.startswith("ENABLE_"):
                env[k] = v
        r = subprocess.run([str(TOP / "package" / "mkruntime")], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("mkruntime failed:\n" + r.stdout)
        self.env = self._read_env()
        if self.before_start:
            self.before_start(self)
        self.svscan = subprocess.Popen(["s6-svscan", str(self.state / "service")],
                                       start_new_session=True,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dirs = sorted(str(p) for p in (self.state / "service").iterdir() if p.is_dir() and not p.name.startswith("."))
        # s6-svwait needs supervise/status, which s6-supervise creates a
        # moment after s6-svscan spawns it.
        self.wait_for(lambda: all(os.path.exists(os.path.join(d, "supervise", "status")) for d in dirs), 10)
        # 60 s: an ASan build on a machine running other suites can take
        # a while; a healthy start takes about one.
        r = subprocess.run(["s6-svwait", "-U", "-t", "60000"] + dirs,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            late = [d for d in dirs if "ready" not in subprocess.run(
                ["s6-svstat", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout]
            logs = "\n".join("--- %s\n%s" % (d, self.log(pathlib.Path(d).name)[-2000:]) for d in late)
            self.stop()
            raise RuntimeError("services not ready: %s (%s)\n%s" % (r.stdout, " ".join(pathlib.Path(d).name for d in late), logs))
        return self

    def stop(self):
        if self.svscan is None:
            return
        subprocess.run(["s6-svscanctl", "-t", str(self.state / "service")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.svscan.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.svscan.pid, signal.SIGKILL)
            self.svscan.wait()
        # Per-connection children (under s6-ipcserver or tcpd) finish on
        # their own; make sure none outlives the test.
        subprocess.run(["pkill", "-KILL", "-f", str(self.bin) + "/"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.svscan = None
        if self.after_stop:
            self.after_stop(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _read_env(self):
        env = {}
        for line in (self.state / "env.sh").read_text().splitlines():
            if line.startswith("export ") and "=" in line:
                k, v = line[7:].split("=", 1)
                env[k] = v.strip("'")
        return env

    # ---- helpers for tests

    def port(self, name):
        return self.ports[name]

    def mailctl(self, *args, check=True, input=None):
        env = dict(os.environ)
        env.update({k: v for k, v in self.env.items() if k.startswith("PH_")})
        r = subprocess.run([str(self.bin / "mailctl")] + [str(a) for a in args], env=env,
                           input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check and r.returncode != 0:
            raise AssertionError("mailctl %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
        return r

    def maildir(self, address):
        local, domain = address.lower().rsplit("@", 1)
        return self.state / "mail" / domain / local

    def messages(self, address, folder="new"):
        """The files in a Maildir folder, oldest first (by mtime, then name)."""
        d = self.maildir(address) / folder
        out = []
        try:
            for p in d.iterdir():
                try:
                    out.append((p.stat().st_mtime_ns, p.name, p))
                except FileNotFoundError:
                    pass
        except FileNotFoundError:
            return []
        return [p for _, _, p in sorted(out)]

    def wait_for(self, fn, timeout=10.0, interval=0.05):
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if v:
                return v
            if time.monotonic() >= deadline:
                return v
            time.sleep(interval)

    def service_dir(self, name):
        return self.state / "service" / name

    def svc_pid(self, name):
        r = subprocess.run(["s6-svstat", "-p", str(self.service_dir(name))],
                           stdout=subprocess.PIPE, text=True)
        try:
            pid = int(r.stdout.strip())
        except ValueError:
            return 0
        return pid if pid > 0 else 0

    def kill(self, name, sig=signal.SIGKILL):
        """Sends sig to the service's process. For SIGKILL, returns only
        once s6-supervise has seen the death (its pid changed), so that
        a following wait_up() waits for the new instance's readiness
        instead of reading the dead one's state."""
        pid = self.svc_pid(name)
        if pid:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            if sig == signal.SIGKILL:
                self.wait_for(lambda: self.svc_pid(name) != pid, 10)
        return pid

    def down(self, name):
        """Brings a service down, and with it every process it started:
        s6-ipcserver's and tcpd's children serving connections made
        before (queued keeps its deliverd connections open) outlive the
        server, so the rest of its process group (s6-supervise made the
        service a session) is ended too."""
        pid = self.svc_pid(name)
        kids = []
        try:
            pgid = os.getpgid(pid) if pid else 0
        except ProcessLookupError:
            pgid = 0
        if pid and pgid != pid:
            # not a session of its own: its direct children, then
            r = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True)
            kids = [int(x) for x in r.stdout.split()]
        subprocess.run(["s6-svc", "-d", str(self.service_dir(name))], check=True)
        r = subprocess.run(["s6-svwait", "-D", "-t", "20000", str(self.service_dir(name))])
        assert r.returncode == 0, "%s did not go down" % name
        ends = [lambda: os.killpg(pgid, signal.SIGKILL)] if pgid and pgid == pid else []
        ends += [lambda k=k: os.kill(k, signal.SIGKILL) for k in kids]
        for end in ends:
            try:
                end()
            except ProcessLookupError:
                pass

    def up(self, name, timeout=20):
        subprocess.run(["s6-svc", "-u", str(self.service_dir(name))], check=True)
        assert self.wait_up(name, timeout), "%s did not come up" % name

    def wait_up(self, name, timeout=10):
        r = subprocess.run(["s6-svwait", "-U", "-t", str(int(timeout * 1000)), str(self.service_dir(name))])
        return r.returncode == 0

    def log(self, service):
        try:
            return (self.state / "log" / service / "current").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def sanitizer_reports(self):
        found = []
        for d in (self.state / "log").iterdir():
            for f in d.glob("*"):
                if f.is_file():
                    t = f.read_text(errors="replace")
                    for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
                        if marker in t:
                            found.append("%s: %s" % (f, marker))
        return found


def _run_case(fn, s):
    def on_alarm(signum, frame):
        raise TimeoutError("case exceeded %d s" % CASE_TIMEOUT)
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(CASE_TIMEOUT)
    t0 = time.monotonic()
    try:
        fn(s)
        return True, "%.1fs" % (time.monotonic() - t0)
    except Exception as e:  # noqa: BLE001 — any exception fails the case
        tb = traceback.extract_tb(e.__traceback__)
        where = "%s:%d" % (pathlib.Path(tb[-1].filename).name, tb[-1].lineno) if tb else "?"
        return False, "%s: %s (%s)" % (type(e).__name__, str(e).replace("\n", " | ")[:500], where)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def main(**suite_kw):
    """Run every registered case against one Suite; print PASS/FAIL lines."""
    only = set(sys.argv[1:])
    passed = failed = 0
    try:
        s = Suite(**suite_kw).start()
    except Exception as e:  # noqa: BLE001
        print("FAIL suite_start: %s" % str(e).replace("\n", " | ")[:3000])
        print("0 passed, 1 failed")
        sys.exit(1)
    try:
        for fn in _cases:
            if only and fn.__name__ not in only:
                continue
            ok, info = _run_case(fn, s)
            if ok:
                passed += 1
                print("PASS %s (%s)" % (fn.__name__, info), flush=True)
            else:
                failed += 1
                print("FAIL %s: %s" % (fn.__name__, info), flush=True)
    finally:
        s.stop()
    reports = s.sanitizer_reports()
    if reports:
        failed += 1
        print("FAIL sanitizer_clean: %s" % "; ".join(reports), flush=True)
    if failed == 0 and os.environ.get("PH_KEEP_STATE") != "1":
        subprocess.run(["rm", "-rf", str(s.tmp)])
    else:
        print("# state kept in %s" % s.tmp, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
