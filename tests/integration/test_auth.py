#!/usr/bin/python3
"""authd, the Dovecot authentication protocol server.

(a) authd is run directly on one end of a socketpair (as s6-ipcserver
    would run it: fd 0 = fd 1 = the socket) and spoken to line by line:
    handshake, PLAIN and LOGIN, failure delay, answer order, malformed
    input, limits, idle timeout, map reload.
(b) interop: a private Debian Postfix instance (postfix -c TMPDIR) with
    smtpd_sasl_type = dovecot authenticates against authd, run under
    s6-ipcserver as uid phauth exactly like the service, with swaks
    --auth PLAIN / LOGIN, and refuses a wrong password.
(c) the service as package/ installs it: phtest.Suite (authd only) and
    the demo account over $STATE/run/auth.sock.

Accounts are made with mailctl. Binaries come from $PH_TEST_BIN (default
build/bin). Every case prints one PASS/FAIL line; the last line is
"N passed, N failed".
"""

import base64
import os
import pwd
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import phtest  # noqa: E402
import ports  # noqa: E402
import privpostfix  # noqa: E402

TOP = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("PH_TEST_BIN") or "build/bin")
if not BIN.is_absolute():
    BIN = TOP / BIN
AUTHD = str(BIN / "authd")
MAILCTL = str(BIN / "mailctl")

TMP = pathlib.Path(tempfile.mkdtemp(prefix="test_auth."))
os.chmod(TMP, 0o755)
CONFIG = TMP / "config"
CDB = TMP / "cdb"
PASSWORD = "secret one"
DELAY = 1.0

_cases = []


def case(fn):
    _cases.append(fn)
    return fn


def b64(data):
    return base64.b64encode(data).decode()


def plain(user, password, authzid=""):
    return b64(authzid.encode() + b"\0" + user.encode() + b"\0" + password.encode())


def mailctl(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PH_")}
    env.update({"PH_CONFIG_DIR": str(CONFIG), "PH_CDB_DIR": str(CDB)})
    r = subprocess.run([MAILCTL] + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("mailctl %s: %s" % (" ".join(args), r.stderr))


class Conn:
    """One authd process on a socketpair."""

    def __init__(self, env=None, handshake=True):
        self.sock, theirs = socket.socketpair()
        self.logpath = TMP / ("authd.%d.log" % id(self))
        e = {k: v for k, v in os.environ.items() if not k.startswith("PH_")}
        # as s6-ipcserver would say; root is always a daemon whose rip= counts
        e.update({"PH_CDB_DIR": str(CDB), "PH_AUTH_FAIL_DELAY": str(int(DELAY)), "IPCREMOTEEUID": "0"})
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen([AUTHD], stdin=theirs, stdout=theirs, stderr=log, env=e)
        theirs.close()
        self.buf = b""
        self.greeting = None
        if handshake:
            self.greeting = self.read_until(b"DONE")
            self.send("VERSION\t1\t0\nCPID\t4242\n")

    def send(self, s):
        self.sock.sendall(s.encode() if isinstance(s, str) else s)

    def readline(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no answer within %.1f s (have %r)" % (timeout, self.buf))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError("connection closed (have %r)" % self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def read_until(self, last, timeout=5.0):
        lines = []
        while True:
            line = self.readline(timeout)
            lines.append(line)
            if line.encode() == last:
                return lines

    def expect_eof(self, timeout=5.0):
        """Reads until EOF; returns what came before it."""
        deadline = time.monotonic() + timeout
        got = self.buf
        self.buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("connection not closed within %.1f s" % timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return got
            if not data:
                return got
            got += data

    def close(self):
        self.sock.close()
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("authd did not exit after the client closed")

    def log(self):
        return self.logpath.read_text(errors="replace")


def with_conn(env=None, handshake=True):
    """Decorator: give the case a fresh connection and close it after."""
    def wrap(fn):
        def run():
            c = Conn(env, handshake)
            try:
                fn(c)
            finally:
                c.sock.close()
                if c.proc.poll() is None:
                    c.proc.kill()
                c.proc.wait()
        run.__name__ = fn.__name__
        return run
    return wrap


# ---------------------------------------------------------------- (a)

@case
@with_conn(handshake=False)
def handshake_lines(c):
    # the server speaks first, without waiting for the client
    lines = c.read_until(b"DONE")
    assert lines[0] == "VERSION\t1\t2", lines
    assert lines[1:3] == ["MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext"], lines
    assert re.fullmatch(r"SPID\t[0-9]+", lines[3]), lines
    assert lines[4] == "CUID\t%d" % c.proc.pid, lines
    assert re.fullmatch(r"COOKIE\t[0-9a-f]{32}", lines[5]), lines
    assert lines[6] == "DONE" and len(lines) == 7, lines
    other = Conn()
    try:
        assert other.greeting[5] != lines[5], "cookie repeated"
    finally:
        other.close()


@case
@with_conn()
def plain_initial_response_ok(c):
    c.send("AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.7\tresp=%s\n"
           % plain("user@example.test", PASSWORD))
    assert c.readline() == "OK\t1\tuser=user@example.test"
    c.close()
    log = c.log()
    assert re.search(r"authd: event=auth_ok user=user@example\.test ip=192\.0\.2\.7 mech=PLAIN service=smtp", log), log


@case
@with_conn()
def plain_case_and_authzid(c):
    c.send("AUTH\t1\tplain\tservice=smtp\tresp=%s\n" % plain("User@Example.TEST", PASSWORD, "user@EXAMPLE.test"))
    assert c.readline() == "OK\t1\tuser=user@example.test"
    t = time.monotonic()
    c.send("AUTH\t2\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD, "other@example.test"))
    assert c.readline().startswith("FAIL\t2")
    assert time.monotonic() - t >= DELAY - 0.05
    assert "reason=authzid_mismatch" in c.log()


@case
@with_conn()
def plain_without_initial_response(c):
    c.send("AUTH\t3\tPLAIN\tservice=smtp\n")
    assert c.readline() == "CONT\t3\t"
    c.send("CONT\t3\t%s\n" % plain("user@example.test", PASSWORD))
    assert c.readline() == "OK\t3\tuser=user@example.test"
    # an empty initial response counts as none
    c.send("AUTH\t4\tPLAIN\tservice=smtp\tresp=\n")
    assert c.readline() == "CONT\t4\t"
    c.send("CONT\t4\t%s\n" % plain("user@example.test", PASSWORD))
    assert c.readline() == "OK\t4\tuser=user@example.test"


@case
@with_conn()
def login_ok(c):
    c.send("AUTH\t5\tLOGIN\tservice=smtp\tsecured\trip=192.0.2.8\n")
    assert c.readline() == "CONT\t5\t" + b64(b"Username:")
    c.send("CONT\t5\t%s\n" % b64(b"user@example.test"))
    assert c.readline() == "CONT\t5\t" + b64(b"Password:")
    c.send("CONT\t5\t%s\n" % b64(PASSWORD.encode()))
    assert c.readline() == "OK\t5\tuser=user@example.test"
    # the user name as initial response
    c.send("AUTH\t6\tLOGIN\tservice=smtp\tresp=%s\n" % b64(b"user@example.test"))
    assert c.readline() == "CONT\t6\t" + b64(b"Password:")
    c.send("CONT\t6\t%s\n" % b64(PASSWORD.encode()))
    assert c.readline() == "OK\t6\tuser=user@example.test"
    c.close()
    assert re.search(r"event=auth_ok user=user@example\.test ip=192\.0\.2\.8 mech=LOGIN service=smtp secured=yes", c.log()), c.log()


@case
@with_conn()
def wrong_password_fails_after_delay(c):
    t = time.monotonic()
    c.send("AUTH\t7\tPLAIN\tservice=smtp\trip=198.51.100.9\tresp=%s\n" % plain("user@example.test", "wrong"))
    line = c.readline(DELAY + 5)
    elapsed = time.monotonic() - t
    assert line == "FAIL\t7\tuser=user@example.test", line
    assert elapsed >= DELAY - 0.05, elapsed
    c.close()
    assert re.search(r"event=auth_fail user=user@example\.test ip=198\.51\.100\.9 mech=PLAIN service=smtp reason=bad_password", c.log()), c.log()


@case
@with_conn(env={"PH_AUTH_FAIL_DELAY": None})
def default_delay_is_two_seconds(c):
    t = time.monotonic()
    c.send("AUTH\t1\tLOGIN\tservice=smtp\tresp=%s\n" % b64(b"user@example.test"))
    c.readline()
    c.send("CONT\t1\t%s\n" % b64(b"nope"))
    assert c.readline(10).startswith("FAIL\t1")
    assert time.monotonic() - t >= 1.95


@case
@with_conn()
def unknown_user_same_answer(c):
    t = time.monotonic()
    c.send("AUTH\t8\tPLAIN\tservice=imap\trip=203.0.113.5\tresp=%s\n" % plain("Nobody@example.test", "x"))
    assert c.readline() == "FAIL\t8\tuser=nobody@example.test"
    assert time.monotonic() - t >= DELAY - 0.05
    # a name that is no address at all: no user= to echo
    c.send("AUTH\t9\tPLAIN\tservice=imap\tresp=%s\n" % plain("no address\tat all", "x"))
    assert c.readline(DELAY + 5) == "FAIL\t9"
    c.close()
    log = c.log()
    assert re.search(r"event=auth_fail user=nobody@example\.test ip=203\.0\.113\.5 mech=PLAIN service=imap reason=unknown_user", log), log
    assert 'user="no address\\x09at all"' in log, log


@case
@with_conn()
def failures_serialized_answers_in_order(c):
    t = time.monotonic()
    c.send("AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", "bad1"))
    c.send("AUTH\t2\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", "bad2"))
    c.send("AUTH\t3\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD))
    assert c.readline().startswith("FAIL\t1\t")
    t1 = time.monotonic() - t
    assert c.readline(DELAY + 5).startswith("FAIL\t2\t")
    t2 = time.monotonic() - t
    assert c.readline() == "OK\t3\tuser=user@example.test"
    # pipelining does not buy faster guesses: each FAIL waits its own delay
    assert t1 >= DELAY - 0.05 and t2 >= 2 * DELAY - 0.05, (t1, t2)


@case
@with_conn()
def several_outstanding_requests(c):
    c.send("AUTH\t10\tLOGIN\tservice=smtp\nAUTH\t11\tLOGIN\tservice=smtp\n")
    c.send("CONT\t11\t%s\nCONT\t10\t%s\n" % (b64(b"user@example.test"), b64(b"user@example.test")))
    c.send("CONT\t11\t%s\nCONT\t10\t%s\n" % (b64(PASSWORD.encode()), b64(PASSWORD.encode())))
    got = [c.readline() for _ in range(6)]
    u, p = b64(b"Username:"), b64(b"Password:")
    assert got == ["CONT\t10\t" + u, "CONT\t11\t" + u, "CONT\t11\t" + p, "CONT\t10\t" + p,
                   "OK\t11\tuser=user@example.test", "OK\t10\tuser=user@example.test"], got


@case
@with_conn()
def plain_scheme_accepted_with_warning(c):
    c.send("AUTH\t1\tPLAIN\tservice=smtp\trip=192.0.2.1\tresp=%s\n" % plain("clear@example.test", "in the clear"))
    assert c.readline() == "OK\t1\tuser=clear@example.test"
    c.close()
    assert re.search(r"event=auth_plain_scheme user=clear@example\.test ip=192\.0\.2\.1", c.log()), c.log()


@case
@with_conn()
def bad_base64_fails_request_only(c):
    for i, bad in enumerate(["!!!!", "AB==", "QUJD=", "QUJ", "QU=D", " QUJD"]):
        c.send("AUTH\t%d\tPLAIN\tservice=smtp\tresp=%s\n" % (i + 1, bad))
        line = c.readline(DELAY + 5)
        assert line == "FAIL\t%d\treason=Invalid base64 data in initial response" % (i + 1), (bad, line)
    c.send("AUTH\t20\tPLAIN\tservice=smtp\n")
    assert c.readline() == "CONT\t20\t"
    c.send("CONT\t20\tnot base64\n")
    assert c.readline(DELAY + 5) == "FAIL\t20\treason=Invalid base64 data in continued response"
    c.send("AUTH\t21\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD))
    assert c.readline() == "OK\t21\tuser=user@example.test"


@case
@with_conn()
def unsupported_mechanism_and_unknown_cont(c):
    c.send("AUTH\t1\tCRAM-MD5\tservice=smtp\n")
    assert c.readline(DELAY + 5) == "FAIL\t1\treason=Unsupported authentication mechanism"
    c.send("CONT\t99\t%s\n" % b64(b"x"))
    assert c.readline(DELAY + 5) == "FAIL\t99\treason=Unknown authentication request"
    c.send("AUTH\t2\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD))
    assert c.readline() == "OK\t2\tuser=user@example.test"


@case
def malformed_lines_disconnect():
    cases = [
        ("unknown command", True, "BOGUS\tx\n", "unknown command"),
        ("no handshake", False, "AUTH\t1\tPLAIN\tservice=smtp\n", "no VERSION first"),
        ("wrong major", False, "VERSION\t2\t0\n", "unsupported protocol version"),
        ("no CPID", False, "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n", "no CPID"),
        ("bad id", True, "AUTH\tone\tPLAIN\tservice=smtp\n", "malformed AUTH"),
        ("id overflow", True, "AUTH\t4294967296\tPLAIN\tservice=smtp\n", "malformed AUTH"),
        ("no service", True, "AUTH\t1\tPLAIN\trip=1.2.3.4\n", "AUTH without service"),
        ("duplicate id", True, "AUTH\t1\tLOGIN\tservice=smtp\nAUTH\t1\tLOGIN\tservice=smtp\n", "duplicate request id"),
        ("NUL byte", True, "AUTH\t1\tPLAIN\tservice=smtp\0\n", "NUL byte"),
        ("too many requests", True, "".join("AUTH\t%d\tLOGIN\tservice=smtp\n" % i for i in range(17)), "too many requests"),
        ("too many fields", True, "AUTH\t1\tPLAIN\tservice=smtp" + "\tx" * 80 + "\n", "too many fields"),
        ("line too long", True, "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + "A" * 70000 + "\n", "line too long"),
    ]
    for name, handshake, data, reason in cases:
        c = Conn(handshake=handshake)
        try:
            c.send(data)
            c.expect_eof(DELAY + 5)
            rc = c.close()
            assert rc == 1, (name, rc)
            assert "event=auth_proto_error reason=" in c.log() and reason in c.log(), (name, c.log())
        finally:
            c.sock.close()
            if c.proc.poll() is None:
                c.proc.kill()
            c.proc.wait()


@case
@with_conn()
def long_line_within_limit(c):
    big = plain("user@example.test", "p" * 45000)
    line = "AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n" % big
    assert 60000 < len(line) < 65536
    c.send(line)
    assert c.readline(DELAY + 5) == "FAIL\t1\tuser=user@example.test"


@case
@with_conn(env={"PH_AUTH_IDLE_TIMEOUT": "1"})
def idle_timeout(c):
    t = time.monotonic()
    c.send("AUTH\t1\tPLAIN\tservice=smtp\n")
    assert c.readline() == "CONT\t1\t"
    c.expect_eof(5)
    assert 0.9 <= time.monotonic() - t < 4
    assert c.close() == 99
    assert "event=auth_idle_timeout" in c.log()


@case
@with_conn()
def line_trickled_byte_by_byte(c):
    line = "AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD)
    for ch in line:
        c.send(ch)
        time.sleep(0.002)
    assert c.readline() == "OK\t1\tuser=user@example.test"


@case
def client_that_never_reads_is_dropped():
    """Answers pile up in a client that does not read: authd stops reading
    it, does not spin, and gives up after the idle time."""
    c = Conn(env={"PH_AUTH_IDLE_TIMEOUT": "1"}, handshake=False)
    try:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        c.send("VERSION\t1\t0\nCPID\t1\n")
        req = "AUTH\t%d\tPLAIN\tservice=smtp\tresp=" + plain("clear@example.test", "in the clear") + "\n"
        c.sock.setblocking(False)
        sent = 0
        t = time.monotonic()
        ru = None
        while time.monotonic() - t < 20:
            pid, status, usage = os.wait4(c.proc.pid, os.WNOHANG)
            if pid:
                ru = usage
                break
            try:
                c.sock.send((req % sent).encode())
                sent += 1
            except BlockingIOError:
                time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                time.sleep(0.05)  # authd just gave up: wait4 sees it next
        elapsed = time.monotonic() - t
    finally:
        c.sock.close()
    if ru is None:
        c.proc.kill()
        c.proc.wait()
        raise AssertionError("authd still running after 20 s")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 99, status
    assert sent > 100, sent
    assert elapsed < 15, elapsed
    assert ru.ru_utime + ru.ru_stime < 0.5, "authd spun: %.2fs CPU, %d requests" % (ru.ru_utime + ru.ru_stime, sent)
    c.proc.returncode = 0
    assert "event=auth_idle_timeout pending=yes" in c.log(), c.log()[-500:]


@case
@with_conn()
def half_close_still_answered(c):
    c.send("AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", "wrong"))
    c.sock.shutdown(socket.SHUT_WR)
    rest = c.expect_eof(DELAY + 5)
    assert rest == b"FAIL\t1\tuser=user@example.test\n", rest
    assert c.close() == 0


@case
@with_conn()
def new_password_seen_without_restart(c):
    c.send("AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n" % plain("change@example.test", "before"))
    assert c.readline() == "OK\t1\tuser=change@example.test"
    mailctl("email", "update", "change@example.test", "after")
    c.send("AUTH\t2\tPLAIN\tservice=smtp\tresp=%s\n" % plain("change@example.test", "after"))
    assert c.readline() == "OK\t2\tuser=change@example.test"
    c.send("AUTH\t3\tPLAIN\tservice=smtp\tresp=%s\n" % plain("change@example.test", "before"))
    assert c.readline(DELAY + 5).startswith("FAIL\t3")
    mailctl("email", "update", "change@example.test", "before")


@case
def missing_map_means_no_users():
    empty = TMP / "emptycdb"
    empty.mkdir(exist_ok=True)
    c = Conn(env={"PH_CDB_DIR": str(empty)})
    try:
        c.send("AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD))
        assert c.readline(DELAY + 5) == "FAIL\t1\tuser=user@example.test"
    finally:
        c.close()


@case
def bad_configuration_exits_100():
    for env in ({"PH_AUTH_FAIL_DELAY": "soon"}, {"PH_AUTH_FAIL_DELAY": "60"},
                {"PH_AUTH_IDLE_TIMEOUT": "0"}, {"PH_CDB_DIR": None},
                {"IPCREMOTEEUID": None}, {"IPCREMOTEEUID": "x1"}, {"PH_AUTH_RIP_UIDS": "12,x"},
                {"IPCREMOTEEUID": "65534", "PH_STATE": None}):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PH_")}
        e["PH_CDB_DIR"] = str(CDB)
        e["IPCREMOTEEUID"] = "0"
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        r = subprocess.run([AUTHD], env=e, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=10)
        assert r.returncode == 100, (env, r.returncode, r.stderr)
        assert "authd: fatal:" in r.stderr, r.stderr


# ------------------------------------------- local peers (not daemons)

LOCAL_UID = "65534"


def local_state():
    d = pathlib.Path(tempfile.mkdtemp(dir=TMP, prefix="state."))
    (d / "authd-local").mkdir(mode=0o700)
    return d


def local_conn(state, **env):
    e = {"IPCREMOTEEUID": LOCAL_UID, "PH_STATE": str(state), "PH_RUN_DIR": str(state)}
    e.update(env)
    return Conn(env=e)


class BanSink:
    """A datagram socket where authd's banevent_send looks for banwatch
    ($PH_RUN_DIR/banwatch.sock)."""

    def __init__(self, rundir):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(rundir / "banwatch.sock"))
        self.sock.settimeout(0.5)

    def events(self):
        got = []
        while True:
            try:
                got.append(self.sock.recv(1024).decode())
            except socket.timeout:
                return got


@case
def rip_believed_only_from_daemons():
    state = local_state()
    sink = BanSink(state)
    line = "AUTH\t1\tPLAIN\tservice=imap\trip=198.51.100.7\tresp=%s\n" % plain("user@example.test", "wrong")
    try:
        # a daemon (here listed in PH_AUTH_RIP_UIDS): the address counts
        c = local_conn(state, PH_AUTH_RIP_UIDS="1,%s" % LOCAL_UID)
        c.send(line)
        assert c.readline(DELAY + 5).startswith("FAIL\t1")
        c.close()
        ev = sink.events()
        assert len(ev) == 1 and "ip=198.51.100.7" in ev[0], ev
        assert "ip=198.51.100.7 mech=PLAIN" in c.log(), c.log()
        # any other uid: logged as a claim, never sent to banwatch
        c = local_conn(state, PH_AUTH_RIP_UIDS="1,2")
        c.send(line)
        assert c.readline(DELAY + 5).startswith("FAIL\t1")
        c.close()
        assert sink.events() == []
        assert re.search(r"event=auth_fail user=user@example\.test ip=\"\" mech=PLAIN service=imap "
                         r"reason=bad_password uid=65534 claimed_rip=198\.51\.100\.7", c.log()), c.log()
    finally:
        sink.sock.close()


@case
def local_failures_spaced_across_connections():
    # DELAY 1 s: a daemon's failures on three connections all come back
    # after about 1 s; a local uid's after 1, 1+1 and 1+2+1 s (its answers
    # are serialized per uid, the delay doubling per failure).
    state = local_state()
    conns = [local_conn(state) for _ in range(3)]
    try:
        t = time.monotonic()
        for i, c in enumerate(conns):
            c.send("AUTH\t%d\tPLAIN\tservice=smtp\tresp=%s\n" % (i + 1, plain("user@example.test", "guess%d" % i)))
            time.sleep(0.2)  # so that they take their turns in this order
        took = []
        for i, c in enumerate(conns):
            assert c.readline(DELAY + 10).startswith("FAIL\t%d" % (i + 1))
            took.append(time.monotonic() - t)
        assert took[0] < DELAY + 0.8 and took[1] >= 2 * DELAY - 0.1 and took[2] >= 4 * DELAY - 0.1, took
        # the right password too waits for the uid's turn (else parallel
        # guesses would learn the answer at once): 1+2+4 s after t
        c = local_conn(state)
        c.send("AUTH\t9\tPLAIN\tservice=smtp\tresp=%s\n" % plain("user@example.test", PASSWORD))
        assert c.readline(DELAY + 10) == "OK\t9\tuser=user@example.test"
        assert time.monotonic() - t >= 7 * DELAY - 0.1, time.monotonic() - t
        c.close()
        assert re.fullmatch(rb"[0-9]+ [0-9]+ 3\n", (state / "authd-local" / LOCAL_UID).read_bytes())
    finally:
        for c in conns:
            c.close()


@case
def local_uid_connection_cap():
    # four connections per local uid; the fifth is closed at once, while a
    # daemon's are not counted
    state = local_state()
    conns = [local_conn(state) for _ in range(4)]
    try:
        extra = Conn(env={"IPCREMOTEEUID": LOCAL_UID, "PH_STATE": str(state)}, handshake=False)
        assert extra.expect_eof() == b""
        assert extra.proc.wait(timeout=5) == 1
        assert "event=auth_local_busy uid=65534" in extra.log(), extra.log()
        daemon = local_conn(state, PH_AUTH_RIP_UIDS=LOCAL_UID)
        daemon.close()
        conns[0].close()
        again = local_conn(state)  # a slot is free again
        conns[0] = again
    finally:
        for c in conns:
            c.close()


# ---------------------------------------------------------------- (b)

class PostfixInterop:
    """A private Postfix instance (privpostfix, in TMP/postfix, kept with
    TMP when a case fails) whose smtpd asks authd (under s6-ipcserver,
    as phauth) through smtpd_sasl_type = dovecot."""

    def __init__(self):
        self.sock = TMP / "run" / "auth.sock"
        self.port = free_port()
        self.ipc = None
        self.pf = privpostfix.Postfix(dir=TMP / "postfix", main={
            "myhostname": "mx.posthaste.test",
            "inet_interfaces": "127.0.0.1",
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": self.sock,
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
        }, master=["127.0.0.1:%d inet n - n - - smtpd" % self.port])

    @property
    def started(self):
        return self.pf.started

    def start(self):
        subprocess.run([str(TOP / "package" / "mkusers")], check=True, stdout=subprocess.DEVNULL)
        (TMP / "run").mkdir(exist_ok=True)
        os.chmod(TMP / "run", 0o755)
        self.authlog = open(TMP / "authd-ipc.log", "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PH_")}
        env.update({"PH_CDB_DIR": str(CDB), "PH_AUTH_FAIL_DELAY": str(int(DELAY)),
                    "PH_AUTH_RIP_EXTRA_UIDS": str(pwd.getpwnam("postfix").pw_uid)})
        # the service's own command line (package/service/authd/run)
        self.ipc = subprocess.Popen(["s6-envuidgid", "phauth", "s6-ipcserver", "-U", "-1", "-c", "20",
                                     "-a", "0666", str(self.sock), AUTHD],
                                    stdout=subprocess.PIPE, stderr=self.authlog, env=env)
        ready = self.ipc.stdout.readline()
        if ready != b"\n":
            raise AssertionError("s6-ipcserver not ready: %r" % ready)
        self.pf.start(wait=("127.0.0.1", self.port), timeout=20)

    def stop(self):
        self.pf.stop()
        if self.ipc is not None:
            self.ipc.send_signal(signal.SIGTERM)
            try:
                self.ipc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.ipc.kill()
                self.ipc.wait()
            self.ipc = None
            self.authlog.close()

    def maillog(self):
        return self.pf.maillog()

    def authd_log(self):
        return (TMP / "authd-ipc.log").read_text(errors="replace")

    def swaks(self, mech, user, password):
        return subprocess.run(["swaks", "--server", "127.0.0.1:%d" % self.port, "--ehlo", "client.test",
                               "--auth", mech, "--auth-user", user, "--auth-password", password,
                               "--quit-after", "AUTH", "--timeout", "20"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)


free_port = ports.free_port


POSTFIX = PostfixInterop()


def postfix_case(fn):
    def run():
        if not POSTFIX.started:
            POSTFIX.start()
        fn(POSTFIX)
    run.__name__ = fn.__name__
    _cases.append(run)
    return run


@postfix_case
def postfix_plain_ok(p):
    r = p.swaks("PLAIN", "user@example.test", PASSWORD)
    assert r.returncode == 0 and "235 2.7.0" in r.stdout, r.stdout[-1500:]
    assert "event=auth_ok user=user@example.test ip=127.0.0.1 mech=PLAIN service=smtp" in p.authd_log(), p.authd_log()


@postfix_case
def postfix_login_ok(p):
    r = p.swaks("LOGIN", "User@Example.test", PASSWORD)
    assert r.returncode == 0 and "235 2.7.0" in r.stdout, r.stdout[-1500:]
    assert "event=auth_ok user=user@example.test ip=127.0.0.1 mech=LOGIN service=smtp" in p.authd_log(), p.authd_log()


@postfix_case
def postfix_wrong_password_refused(p):
    for mech in ("PLAIN", "LOGIN"):
        t = time.monotonic()
        r = p.swaks(mech, "user@example.test", "not the password")
        assert r.returncode != 0 and "535 5.7.8" in r.stdout, r.stdout[-1500:]
        assert time.monotonic() - t >= DELAY - 0.05
    assert "event=auth_fail user=user@example.test ip=127.0.0.1 mech=LOGIN service=smtp reason=bad_password" in p.authd_log()
    assert "SASL LOGIN authentication failed" in p.maillog()


# ---------------------------------------------------------------- (c)

@case
def service_authenticates_demo_account():
    s = phtest.Suite(services=["authd"], bin_dir=BIN)
    s.start()
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(str(s.state / "run" / "auth.sock"))
        st = os.stat(s.state / "run" / "auth.sock")
        assert st.st_mode & 0o777 == 0o666, oct(st.st_mode)
        f = sock.makefile("rb")
        sock.sendall(b"VERSION\t1\t0\nCPID\t1\n")
        while f.readline() != b"DONE\n":
            pass
        sock.sendall(("AUTH\t1\tPLAIN\tservice=imap\tresp=%s\n" % plain("demo@example.test", s.password)).encode())
        assert f.readline() == b"OK\t1\tuser=demo@example.test\n"
        sock.sendall(("AUTH\t2\tPLAIN\tservice=imap\tresp=%s\n" % plain("demo@example.test", "x" + s.password)).encode())
        assert f.readline().startswith(b"FAIL\t2\t")
        sock.close()
        assert s.wait_for(lambda: "event=auth_fail user=demo@example.test" in s.log("authd"), 10), s.log("authd")
        # a local user (nobody) naming a client address: only a claim
        probe = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                 "f=s.makefile('rb')\ns.sendall(b'VERSION\\t1\\t0\\nCPID\\t1\\n')\n"
                 "while f.readline()!=b'DONE\\n': pass\n"
                 "s.sendall(b'AUTH\\t1\\tPLAIN\\tservice=imap\\trip=198.51.100.7\\tresp=AGRlbW9AZXhhbXBsZS50ZXN0AHg=\\n')\n"
                 "sys.stdout.write(f.readline().decode())\n")
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "/usr/bin/python3", "-c", probe, str(s.state / "run" / "auth.sock")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.stdout.startswith("FAIL\t1\t"), (r.stdout, r.stderr)
        uid = pwd.getpwnam("nobody").pw_uid
        assert s.wait_for(lambda: "uid=%d claimed_rip=198.51.100.7" % uid in s.log("authd"), 10), s.log("authd")
        assert (s.state / "authd-local" / str(uid)).is_file()
        reports = s.sanitizer_reports()
        assert not reports, reports
    finally:
        s.stop()
        shutil.rmtree(s.tmp, ignore_errors=True)


@case
def sanitizer_clean():
    """Every authd log of this run (useful with PH_TEST_BIN=build-asan/bin)."""
    found = []
    for f in TMP.glob("authd*.log"):
        t = f.read_text(errors="replace")
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            if marker in t:
                found.append("%s: %s" % (f.name, marker))
    assert not found, found


def setup():
    for d in (CONFIG, CDB):
        d.mkdir()
        os.chmod(d, 0o755)
    mailctl("email", "add", "user@example.test", PASSWORD)
    mailctl("email", "add", "change@example.test", "before")
    with open(CONFIG / "postfix-accounts.cf", "a") as f:
        f.write("clear@example.test|{PLAIN}in the clear\n")
    mailctl("update")


def main():
    passed = failed = 0
    only = set(sys.argv[1:])
    try:
        for prog in (AUTHD, MAILCTL):
            if not os.access(prog, os.X_OK):
                print("FAIL built: %s missing" % prog)
                print("0 passed, 1 failed")
                sys.exit(1)
        setup()
        for fn in _cases:
            if only and fn.__name__ not in only:
                continue
            try:
                fn()
                passed += 1
                print("PASS %s" % fn.__name__, flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                tb = traceback.extract_tb(e.__traceback__)
                where = "%s:%d" % (pathlib.Path(tb[-1].filename).name, tb[-1].lineno) if tb else "?"
                print("FAIL %s: %s: %s (%s)" % (fn.__name__, type(e).__name__,
                                              str(e).replace("\n", " | ")[:800], where), flush=True)
    finally:
        POSTFIX.stop()
        if failed == 0:
            shutil.rmtree(TMP, ignore_errors=True)
        else:
            print("# state kept in %s" % TMP)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
