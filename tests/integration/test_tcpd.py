#!/usr/bin/python3
"""tcpd, run directly (no s6 tree): readiness, UCSPI environment, limits,
bans.cdb, access.cdb, signals, privilege drop, accept back-off.

The binary comes from $PH_TEST_BIN or $PH_BIN (e.g. build-asan/bin, relative
to the top of the checkout), default build/bin. Every case prints one
PASS/FAIL line; the last line is "N passed, N failed".
"""

import os
import pathlib
import resource
import select
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import caserun  # noqa: E402

TOP = caserun.TOP
BIN = caserun.bin_dir()
TCPD = str(BIN / "tcpd")
TMP = caserun.tmpdir("test_tcpd.")

case = caserun.Cases()
free_port = caserun.free_port


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


NOBODY = 65534


def as_nobody(then=None):
    """A preexec_fn that drops to nobody (groups, gid, uid), then runs then."""
    def drop():
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        if then:
            then()
    return drop


class Tcpd:
    """One tcpd process: started with a readiness pipe (-d), its stderr in
    a file, stopped (and its leftover handlers killed) at the end."""

    count = 0

    def __init__(self, args, prog, host="127.0.0.1", family=socket.AF_INET, env=None,
                 preexec_fn=None, wrapper=(), ready=True, notif_high=False):
        Tcpd.count += 1
        if os.geteuid() == 0 and not any(a in ("-U", "-u", "-R") for a in args):
            # tcpd refuses to run handlers as root unless told how privileges
            # are dropped: the cases about other things run it as nobody
            preexec_fn = as_nobody(preexec_fn)
        self.host = host
        self.family = family
        self.port = free_port(family, host)
        self.logpath = TMP / ("tcpd%d.log" % Tcpd.count)
        rfd, wfd = os.pipe()
        if notif_high:  # out of the way of an fd limit (dup2 clears close-on-exec)
            os.dup2(wfd, 60)
            os.close(wfd)
            wfd = 60
        argv = list(wrapper) + [TCPD, "-d", str(wfd)] + list(args) + [host, str(self.port)] + list(prog)
        e = dict(os.environ)
        e.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
        e.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        if env:
            e.update(env)
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=log, pass_fds=(wfd,), env=e, preexec_fn=preexec_fn,
                                         start_new_session=True)
        os.close(wfd)
        self.readiness = b""
        if ready:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r, _, _ = select.select([rfd], [], [], 0.1)
                if r:
                    chunk = os.read(rfd, 16)
                    if not chunk:
                        break
                    self.readiness += chunk
                if self.proc.poll() is not None:
                    break
            if self.readiness != b"\n":
                self.stop()
                raise AssertionError("no readiness line (got %r); log: %s" % (self.readiness, self.log()))
        os.close(rfd)

    def log(self):
        return self.logpath.read_text(errors="replace")

    def wait_log(self, text, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.02)
        raise AssertionError("%r not in log: %s" % (text, self.log()))

    def connect(self, source=None):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(5)
        if source:
            s.bind((source, 0))
        s.connect((self.host, self.port))
        return s

    def stop(self):
        caserun.stop_server(self.proc, self.log, "tcpd's log")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def read_all(s, timeout=5.0):
    """Everything until EOF."""
    s.settimeout(timeout)
    out = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return out
        out += chunk


def read_line(s, timeout=5.0):
    s.settimeout(timeout)
    out = b""
    while not out.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        out += chunk
    return out


def closed_at_once(s, timeout=2.0):
    """True if the server closed the connection without sending anything."""
    s.settimeout(timeout)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True


def make_cdb(path, records):
    """Builds a cdb with tinycdb's `cdb -c` from (key, value) byte pairs."""
    data = b"".join(b"+%d,%d:%s->%s\n" % (len(k), len(v), k, v) for k, v in records) + b"\n"
    subprocess.run(["cdb", "-c", str(path)], input=data, check=True)
    os.chmod(path, 0o644)


def sh(script):
    return ["/bin/sh", "-c", script]


ENV_SCRIPT = 'echo "$PROTO|$TCPREMOTEIP|$TCPREMOTEPORT|$TCPLOCALIP|$TCPLOCALPORT|$TCPCONNNUM"'


# ---------------------------------------------------------------- cases

@case
def readiness_line_on_notification_fd():
    with Tcpd([], ["true"]) as t:
        assert t.readiness == b"\n"
        t.wait_log("event=listening ip=127.0.0.1 port=%d" % t.port)


@case
def ucspi_environment_ipv4():
    with Tcpd([], sh(ENV_SCRIPT)) as t:
        c = t.connect()
        me = c.getsockname()
        got = read_all(c).decode().strip()
        c.close()
        want = "TCP|127.0.0.1|%d|127.0.0.1|%d|1" % (me[1], t.port)
        assert got == want, "%r != %r" % (got, want)
        t.wait_log("event=connect ip=127.0.0.1 port=%d" % me[1])
        t.wait_log("event=end ip=127.0.0.1")
        assert "status=0" in t.log(), t.log()


@case
def ucspi_environment_ipv6():
    if not have_ipv6():
        print("# ::1 not available: IPv6 case not run")
        return
    with Tcpd([], sh(ENV_SCRIPT), host="::1", family=socket.AF_INET6) as t:
        c = t.connect()
        me = c.getsockname()
        got = read_all(c).decode().strip()
        c.close()
        want = "TCP|::1|%d|::1|%d|1" % (me[1], t.port)
        assert got == want, "%r != %r" % (got, want)


@case
def socket_on_fds_0_and_1_blocking():
    script = ("import os, fcntl, sys; "
              "fl = fcntl.fcntl(0, fcntl.F_GETFL); "
              "line = sys.stdin.readline(); "
              "print('nonblock=%d same=%d got=%s' % (bool(fl & os.O_NONBLOCK), "
              "os.fstat(0).st_ino == os.fstat(1).st_ino, line.strip()), flush=True)")
    with Tcpd([], ["/usr/bin/python3", "-c", script]) as t:
        c = t.connect()
        c.sendall(b"ping\n")
        got = read_all(c).decode().strip()
        assert got == "nonblock=0 same=1 got=ping", got


@case
def global_limit_stops_accepting():
    with Tcpd(["-c", "2", "-C", "2"], sh("echo hi; exec cat")) as t:
        a, b = t.connect(), t.connect()
        assert read_line(a) == b"hi\n" and read_line(b) == b"hi\n"
        t.wait_log("event=full conns=2")
        c = t.connect()  # queued in the backlog: no handler yet
        c.settimeout(0.7)
        try:
            early = c.recv(10)
        except socket.timeout:
            early = None
        assert early is None, "third connection served while full: %r" % early
        a.close()
        assert read_line(c) == b"hi\n", "queued connection not served after a slot freed"
        b.close()
        c.close()


@case
def per_ip_limit_and_connnum():
    with Tcpd(["-c", "10", "-C", "2"], sh('echo "n=$TCPCONNNUM"; exec cat')) as t:
        a = t.connect()
        assert read_line(a) == b"n=1\n"
        b = t.connect()
        assert read_line(b) == b"n=2\n"
        c = t.connect()
        assert closed_at_once(c), "third connection from 127.0.0.1 not closed"
        t.wait_log("event=limit_ip ip=127.0.0.1")
        d = t.connect(source="127.0.0.2")  # another address is not limited
        assert read_line(d) == b"n=1\n"
        a.close()
        t.wait_log("event=end ip=127.0.0.1")
        e = t.connect()
        assert read_line(e) == b"n=2\n", "slot not given back after a handler ended"
        for s in (b, c, d, e):
            s.close()


@case
def bans_cdb():
    bans = TMP / "bans.cdb"
    now = int(time.time())
    make_cdb(bans, [
        (b"ip4/127.0.0.1_32", b"0"),
        (b"ip4/127.0.0.2_32", b"%d" % (now - 60)),   # expired: ignored
        (b"ip4/127.0.0.3_32", b"%d" % (now + 3600)),
        (b"ip4/127.0.1.0_24", b"0"),
        (b"ip4/127.0.2.9_32", b"soon"),              # malformed: refused
    ])
    with Tcpd(["-B", str(bans), "-m", r"554 5.7.1 banned\r\n"], sh("echo welcome")) as t:
        c = t.connect()
        assert read_all(c) == b"554 5.7.1 banned\r\n"
        t.wait_log("event=banned ip=127.0.0.1")
        assert "key=ip4/127.0.0.1_32 until=permanent" in t.log(), t.log()
        assert read_all(t.connect(source="127.0.0.2")) == b"welcome\n", "expired ban applied"
        assert read_all(t.connect(source="127.0.0.3")) == b"554 5.7.1 banned\r\n"
        t.wait_log("key=ip4/127.0.0.3_32 until=%d" % (now + 3600))
        assert read_all(t.connect(source="127.0.1.77")) == b"554 5.7.1 banned\r\n", "/24 ban"
        t.wait_log("key=ip4/127.0.1.0_24")
        assert closed_at_once(t.connect(source="127.0.2.9")), "bad ban record not refused"
        t.wait_log("event=bad_record ip=127.0.2.9")
        # banwatch replaces the file: the next connection sees the new one
        make_cdb(bans, [(b"ip4/127.0.0.2_32", b"0")])
        assert read_all(t.connect()) == b"welcome\n", "lifted ban still applied"
        assert read_all(t.connect(source="127.0.0.2")) == b"554 5.7.1 banned\r\n", "new ban not applied"
        # and a missing file bans nobody
        bans.unlink()
        assert read_all(t.connect(source="127.0.0.2")) == b"welcome\n"


@case
def bans_without_message_just_close():
    bans = TMP / "bans2.cdb"
    make_cdb(bans, [(b"ip4/127.0.0.0_8", b"0")])
    with Tcpd(["-B", str(bans)], sh("echo welcome")) as t:
        assert closed_at_once(t.connect())
        t.wait_log("event=banned ip=127.0.0.1")
        assert "event=connect" not in t.log()


@case
def access_rules_from_s6_accessrules_cdb_from_fs():
    rules = TMP / "rules"
    for d, files in {
        "ip4/127.0.0.0_8": {"allow": "", "env/RELAYCLIENT": "yes\n"},
        "ip4/127.0.0.4_32": {"deny": ""},
        "ip4/127.0.0.5_32": {"allow": "", "env/GREETING": "hello there\n", "env/RELAYCLIENT": ""},
        "ip4/127.0.0.6_32": {"allow": "", "exec": "echo from-exec\n"},
        "ip6/::1_128": {"deny": ""},
    }.items():
        for f, content in files.items():
            p = rules / d / f
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
    access = TMP / "access.cdb"
    subprocess.run(["s6-accessrules-cdb-from-fs", str(access), str(rules)], check=True)
    os.chmod(access, 0o644)
    script = 'echo "${GREETING-none}|${RELAYCLIENT-unset}|$TCPREMOTEIP"'
    with Tcpd(["-a", str(access)], sh(script)) as t:
        assert read_all(t.connect()) == b"none|yes|127.0.0.1\n"
        assert closed_at_once(t.connect(source="127.0.0.4")), "denied address served"
        t.wait_log("event=denied ip=127.0.0.4")
        assert "key=ip4/127.0.0.4_32" in t.log()
        got = read_all(t.connect(source="127.0.0.5"))
        assert got == b"hello there|unset|127.0.0.5\n", got
        assert read_all(t.connect(source="127.0.0.6")) == b"from-exec\n", "rule exec not run"
    if have_ipv6():
        with Tcpd(["-a", str(access)], sh(script), host="::1", family=socket.AF_INET6) as t:
            assert closed_at_once(t.connect()), "ip6/::1_128 deny not applied"
            t.wait_log("event=denied ip=::1")


@case
def access_bad_record_refused():
    access = TMP / "access-bad.cdb"
    make_cdb(access, [
        (b"ip4/127.0.0.1_32", b"A\x00\x99NAME=x\x00\x00\x00"),  # envlen past the end
        (b"ip4/127.0.0.2_32", b"A\x00\x00\x00\x00"),
    ])
    with Tcpd(["-a", str(access)], sh("echo ok")) as t:
        assert closed_at_once(t.connect())
        t.wait_log("event=bad_record ip=127.0.0.1")
        assert read_all(t.connect(source="127.0.0.2")) == b"ok\n"


@case
def sigterm_stops_accepting_sessions_finish():
    with Tcpd([], sh("echo start; sleep 1; echo done")) as t:
        c = t.connect()
        assert read_line(c) == b"start\n"
        t.proc.send_signal(signal.SIGTERM)
        assert t.proc.wait(5) == 0
        try:
            socket.create_connection((t.host, t.port), timeout=2).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        assert refused, "still accepting after SIGTERM"
        assert read_all(c) == b"done\n", "session cut by SIGTERM"


@case
def sighup_terminates_sessions_keeps_serving():
    with Tcpd([], sh("echo start; exec sleep 30")) as t:
        c = t.connect()
        assert read_line(c) == b"start\n"
        t.proc.send_signal(signal.SIGHUP)
        assert read_all(c) == b"", "session not ended by SIGHUP"
        t.wait_log("status=SIGTERM")
        assert t.proc.poll() is None, "tcpd exited on SIGHUP"
        d = t.connect()
        assert read_line(d) == b"start\n"
        d.close()


@case
def privilege_drop_numeric():
    if os.geteuid() != 0:
        print("# not root: privilege drop not tested")
        return
    with Tcpd(["-u", "65534", "-g", "65534"], sh("id -u; id -g; id -G")) as t:
        got = read_all(t.connect()).decode().split("\n")
        assert got[:3] == ["65534", "65534", "65534"], got
    tcpd_pid_uid = None
    with Tcpd(["-u", "65534", "-g", "65534"], sh("exec cat")) as t:
        st = pathlib.Path("/proc/%d/status" % t.proc.pid).read_text()
        tcpd_pid_uid = [l for l in st.splitlines() if l.startswith("Uid:")][0].split()[1:]
    assert tcpd_pid_uid == ["65534"] * 4, "tcpd itself still privileged: %s" % tcpd_pid_uid


@case
def privilege_drop_from_env_nobody():
    if os.geteuid() != 0:
        print("# not root: privilege drop not tested")
        return
    with Tcpd(["-U"], sh('id -u; echo "${UID-none}|${GID-none}|${GIDLIST-none}"'),
              wrapper=("s6-envuidgid", "nobody")) as t:
        got = read_all(t.connect()).decode().split("\n")
        assert got[0] == "65534", got
        assert got[1] == "none|none|none", "UID/GID/GIDLIST leaked to the handler: %s" % got[1]


@case
def root_without_drop_refused_unless_R():
    if os.geteuid() != 0:
        print("# not root: the root refusal is not tested")
        return
    port = str(free_port())
    r = subprocess.run([TCPD, "127.0.0.1", port, "true"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=10)
    assert r.returncode == 100, "root without -U/-u/-R: exit %d" % r.returncode
    assert b"-R" in r.stderr and b"root" in r.stderr, r.stderr
    for bad in (["-R", "-U"], ["-R", "-u", "65534", "-g", "65534"]):
        r = subprocess.run([TCPD] + bad + ["127.0.0.1", port, "true"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10,
                           env=dict(os.environ, UID="65534", GID="65534", GIDLIST=""))
        assert r.returncode == 100, "%s accepted: exit %d" % (bad, r.returncode)
    # -R: the accept loop stays root and so does the handler, whose chain
    # is trusted to drop privileges itself (s6-tcpserver + s6-applyuidgid)
    with Tcpd(["-R"], sh("id -u; exec s6-applyuidgid -u 65534 -g 65534 id -u")) as t:
        got = read_all(t.connect()).decode().split()
        assert got == ["0", "65534"], got
        st = pathlib.Path("/proc/%d/status" % t.proc.pid).read_text()
        assert [l for l in st.splitlines() if l.startswith("Uid:")][0].split()[1:] == ["0"] * 4


@case
def handler_gets_default_signal_state():
    # SigIgn, SigBlk: bit n-1 for signal n. tcpd blocks its trapped signals
    # (signalfd) and catches SIGPIPE; none of that may reach the handler.
    script = "grep -E '^Sig(Ign|Blk):' /proc/self/status"
    def parent_ignores_pipe():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    with Tcpd([], sh(script), preexec_fn=parent_ignores_pipe) as t:
        got = dict(l.split(":\t") for l in read_all(t.connect()).decode().splitlines())
        ign, blk = int(got["SigIgn"], 16), int(got["SigBlk"], 16)
        assert not ign & (1 << (signal.SIGPIPE - 1)), "SIGPIPE ignored in the handler: %s" % got
        assert blk == 0, "signals blocked in the handler: %s" % got


@case
def handler_that_cannot_start_is_logged_and_tcpd_goes_on():
    # The handler is started with posix_spawn: a program that cannot be
    # executed is reported to tcpd itself, which logs it, closes the
    # connection and keeps serving (and counting: the slot is free again).
    missing = str(TMP / "no-such-handler")
    with Tcpd(["-c", "1"], [missing]) as t:
        for _ in range(3):
            assert closed_at_once(t.connect()), "connection left open"
        t.wait_log("event=spawn_error")
        assert "No such file or directory" in t.log(), t.log()
        assert t.proc.poll() is None, "tcpd exited"


@case
def usage_and_refusals():
    def rc(args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([TCPD] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=e, timeout=10).returncode
    port = str(free_port())
    assert rc([]) == 100
    assert rc(["127.0.0.1", port]) == 100, "no program"
    assert rc(["127.0.0.300", port, "true"]) == 100, "octet over 255"
    assert rc(["127.000.0.1", port, "true"]) == 100, "leading zeros"
    assert rc(["::1%lo", port, "true"]) == 100, "scope id"
    assert rc(["127.0.0.1x", port, "true"]) == 100, "trailing junk in address"
    assert rc(["127.0.0.1", "70000", "true"]) == 100, "bad port"
    assert rc(["-6", "127.0.0.1", port, "true"]) == 100, "-6 with an IPv4 address"
    assert rc(["-m", r"bad\q", "127.0.0.1", port, "true"]) == 100, "bad escape"
    assert rc(["-c", "0", "127.0.0.1", port, "true"]) == 100
    assert rc(["-u", "65534", "127.0.0.1", port, "true"]) == 100, "-u without -g"
    assert rc(["-d", "77", "127.0.0.1", port, "true"]) == 100, "closed notification fd"
    assert rc(["-d", "2", "127.0.0.1", port, "true"]) == 100, "stderr as notification fd"
    assert rc(["-U", "127.0.0.1", port, "true"]) == 100, "-U without UID"
    if os.geteuid() == 0:
        assert rc(["-u", "0", "-g", "0", "127.0.0.1", port, "true"]) == 100, "uid 0 accepted"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        assert rc(["-u", "65534", "-g", "65534", "127.0.0.1", str(busy.getsockname()[1]), "true"]) == 111, \
            "bind failure not 111"


@case
def accept_failure_backs_off():
    # With 5 fds allowed, tcpd has 0-2, the listener and the selfpipe (the
    # notification fd sits above the limit): accept() fails with EMFILE.
    # It must log once and not spin.
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (5, 5))
    with Tcpd([], sh("echo hi"), preexec_fn=limit, notif_high=True) as t:
        c = t.connect()
        t.wait_log("event=accept_error")
        stat0 = pathlib.Path("/proc/%d/stat" % t.proc.pid).read_text().split()
        time.sleep(1.5)
        stat1 = pathlib.Path("/proc/%d/stat" % t.proc.pid).read_text().split()
        ticks = (int(stat1[13]) + int(stat1[14])) - (int(stat0[13]) + int(stat0[14]))
        assert ticks < 30, "tcpd used %d clock ticks in 1.5 s: spinning" % ticks
        assert t.log().count("event=accept_error") == 1, t.log()
        c.close()


def main():
    if not os.access(TCPD, os.X_OK):
        caserun.setup_failed("%s is missing (make %s)" % (TCPD, os.path.relpath(TCPD, TOP)), name="tcpd_built")
    passed, failed = caserun.run_cases(case)
    caserun.finish(passed, failed, TMP)


if __name__ == "__main__":
    main()
