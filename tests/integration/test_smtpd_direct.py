"""smtpd run directly (as phsmtpd, on one end of a socketpair) with
settings of each case's own, next to a running suite whose maps it reads:
the injection side against a fake queued-inject written here (the
envelope reaches the queue before 354, each block as it comes, early
refusals), the RFC 5321 4.5.3.2 deadlines one by one, PERMIT_DOCKER,
line limits, and the policy service's fail-closed mode."""

import ipaddress
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import phtest

DEMO = "demo@example.test"


class FakeInject:
    """A stand-in for queued-inject on a Unix socket. mode:
    record   read messages, answer K after each
    silent   read everything, never answer
    deaf     accept, never read, never answer
    refuse   answer "D5.7.1 not allowed" at once and close, reading nothing
    refuse_envelope  read the envelope, then answer D and close"""

    def __init__(self, mode):
        self.mode = mode
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="phfake."))
        os.chmod(self.dir, 0o755)
        self.path = self.dir / "inject.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        os.chmod(self.path, 0o666)
        self.sock.listen(5)
        self.lock = threading.Lock()
        self.fields = []        # envelope fields, in order
        self.envelope_done = False
        self.body = b""
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        if self.mode == "deaf":
            return
        if self.mode == "refuse":
            conn.sendall(b"D5.7.1 not allowed\n")
            conn.close()
            return
        buf = b""
        state = "envelope"
        try:
            while True:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
                while True:
                    m = re.match(rb"(\d+):", buf)
                    if not m or len(buf) < m.end() + int(m.group(1)) + 1:
                        break
                    n = int(m.group(1))
                    item = buf[m.end():m.end() + n]
                    assert buf[m.end() + n:m.end() + n + 1] == b","
                    buf = buf[m.end() + n + 1:]
                    with self.lock:
                        if state == "envelope":
                            if n:
                                self.fields.append((chr(item[0]), item[1:].decode("utf-8")))
                            else:
                                self.envelope_done = True
                                state = "message"
                                if self.mode == "refuse_envelope":
                                    conn.sendall(b"D5.7.1 envelope refused here\n")
                                    conn.close()
                                    return
                        elif n:
                            self.body += item
                        else:
                            state = "envelope"
                            if self.mode == "record":
                                conn.sendall(b"KFAKEQUEUEID0001\n")
        except OSError:
            return


class Direct:
    """One smtpd process, its client end, and its log."""

    def __init__(self, s, env=None, inject=None, pass_fds=()):
        self.a, b = socket.socketpair()
        self.logf = tempfile.TemporaryFile()
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "PH_CDB_DIR": s.env["PH_CDB_DIR"],
             "PH_RUN_DIR": str(inject.dir) if inject else s.env["PH_RUN_DIR"],
             "OVERRIDE_HOSTNAME": "mx.direct.test",
             "TCPREMOTEIP": "127.0.0.1", "TCPREMOTEPORT": "40000",
             "TCPLOCALIP": "127.0.0.1", "TCPLOCALPORT": "25"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ or k in s.extra_env:
                e[k] = s.extra_env.get(k, os.environ.get(k))
        e.update(env or {})
        self.proc = subprocess.Popen(["s6-setuidgid", "phsmtpd", str(s.bin / "smtpd")],
                                     stdin=b.fileno(), stdout=b.fileno(), stderr=self.logf, env=e,
                                     pass_fds=pass_fds)
        b.close()
        self.a.settimeout(30)
        self.buf = b""

    def send(self, data):
        self.a.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.a.recv(65536)
            if not d:
                raise EOFError("closed after %r" % self.buf)
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("utf-8", "replace")

    def last(self):
        while True:
            ln = self.line()
            if ln[3] == " ":
                return ln

    def expect(self, text, prefix):
        self.send(text.encode("utf-8") + b"\r\n")
        r = self.last()
        assert r.startswith(prefix), "%s -> %r, expected %r" % (text, r, prefix)
        return r

    def timed(self):
        t0 = time.monotonic()
        r = self.last()
        return r, time.monotonic() - t0

    def finish(self):
        try:
            self.a.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.seek(0)
        return self.logf.read().decode("utf-8", "replace")


def greeted(s, env=None, inject=None, pass_fds=()):
    d = Direct(s, env, inject, pass_fds)
    g = d.last()
    assert g.startswith("220 mx.direct.test ESMTP"), g
    d.expect("EHLO client.test", "250")
    return d


def no_sanitizer(log):
    for marker in ("ERROR: AddressSanitizer", "runtime error:"):
        assert marker not in log, log


# ---- the way to the queue

@phtest.case
def envelope_reaches_queue_before_354(s):
    fake = FakeInject("record")
    try:
        d = greeted(s, inject=fake)
        d.expect("MAIL FROM:<alice@sender.test> BODY=8BITMIME", "250")
        d.expect("RCPT TO:<demo@example.test> NOTIFY=FAILURE", "250")
        d.expect("DATA", "354")
        # nothing of the message sent yet: the whole envelope and the
        # Received header must be at the queue already
        assert s.wait_for(lambda: fake.envelope_done, 5), "envelope not flushed before 354: %r" % fake.fields
        assert fake.fields[:4] == [("F", "alice@sender.test"), ("M", "BODY=8BITMIME"),
                                   ("T", "demo@example.test"), ("N", "NOTIFY=FAILURE")], fake.fields
        assert ("P", "ESMTP") in fake.fields and ("C", "127.0.0.1") in fake.fields, fake.fields
        assert s.wait_for(lambda: fake.body.startswith(b"Received: from client.test "), 5), fake.body
        # each block the client sends reaches the queue without waiting
        # for more (queued-inject's idle clock must see progress)
        d.send(b"Subject: slow\r\n\r\nfirst block\r\n")
        assert s.wait_for(lambda: b"first block\n" in fake.body, 5), "block held back: %r" % fake.body
        d.send(b"second block\r\n")
        assert s.wait_for(lambda: b"second block\n" in fake.body, 5), "block held back: %r" % fake.body
        d.send(b".\r\n")
        r = d.last()
        assert r == "250 2.0.0 Ok: queued as FAKEQUEUEID0001", r
        d.expect("QUIT", "221")
        log = d.finish()
        assert re.search(r"event=accepted qid=FAKEQUEUEID0001 smtpid=\w{16} from=alice@sender\.test nrcpt=1 ", log), log
        no_sanitizer(log)
    finally:
        fake.close()


def long_relay_recipients(d, n):
    """n relayed recipients of 250 octets each, pipelined: an envelope of
    n * 250 octets (more than a socket buffer when n is large)."""
    dom = ("d" * 60 + ".") * 3 + "example"
    cmds = b"".join(b"RCPT TO:<%s@%s>\r\n" % (b"r%05d" % i + b"x" * 50, dom.encode()) for i in range(n))
    d.send(cmds)
    for i in range(n):
        r = d.last()
        assert r.startswith("250 2.1.5"), (i, r)


BIG = {"PH_RELAY_NETWORKS": "127.0.0.0/8", "PH_SMTP_MAX_RCPT": "5000"}


@phtest.case
def early_refusal_answers_data_instead_of_354(s):
    # queued refuses at once (say, our uid): the envelope cannot all be
    # written, and smtpd says so at DATA instead of asking for the message
    fake = FakeInject("refuse")
    try:
        d = greeted(s, env=BIG, inject=fake)
        d.expect("MAIL FROM:<alice@sender.test>", "250")
        long_relay_recipients(d, 1600)
        r = d.expect("DATA", "554 5.7.1")
        assert r == "554 5.7.1 not allowed", r
        d.expect("RCPT TO:<demo@example.test>", "503 5.5.1")  # the transaction is over
        d.expect("QUIT", "221")
        log = d.finish()
        assert re.search(r"event=reject ip=127\.0\.0\.1 cmd=DATA code=554 reason=queue_refused smtpid=\w+", log), log
        no_sanitizer(log)
    finally:
        fake.close()


@phtest.case
def refusal_after_envelope_relayed(s):
    fake = FakeInject("refuse_envelope")
    try:
        d = greeted(s, inject=fake)
        d.expect("MAIL FROM:<alice@sender.test>", "250")
        d.expect("RCPT TO:<demo@example.test>", "250")
        r = d.expect("DATA", "")
        if r.startswith("354"):
            # the refusal came after our check: it is seen at the first
            # block and told after the end of data
            d.send(b"Subject: x\r\n\r\nbody\r\n.\r\n")
            r = d.last()
        assert r == "554 5.7.1 envelope refused here", r
        d.expect("NOOP", "250")
        d.expect("QUIT", "221")
        no_sanitizer(d.finish())
    finally:
        fake.close()


# ---- RFC 5321 4.5.3.2 deadlines, each on its own

LONG = "60"


def timeouts(**kw):
    env = {"PH_SMTP_TIMEOUT": LONG, "PH_SMTP_MAIL_TIMEOUT": LONG, "PH_SMTP_RCPT_TIMEOUT": LONG,
           "PH_SMTP_DATA_INIT_TIMEOUT": LONG, "PH_SMTP_DATA_BLOCK_TIMEOUT": LONG,
           "PH_SMTP_DATA_TERM_TIMEOUT": LONG}
    env.update(kw)
    return env


@phtest.case
def timeout_command(s):
    d = greeted(s, env=timeouts(PH_SMTP_TIMEOUT="2"))
    r, t = d.timed()
    assert r == "421 4.4.2 mx.direct.test timeout, closing connection", r
    assert 1.5 < t < 6, t
    log = d.finish()
    assert d.proc.returncode == 99, d.proc.returncode
    assert "event=timeout ip=127.0.0.1" in log, log


@phtest.case
def timeout_data_block(s):
    fake = FakeInject("record")
    try:
        d = greeted(s, env=timeouts(PH_SMTP_DATA_BLOCK_TIMEOUT="3"), inject=fake)
        d.expect("MAIL FROM:<a@sender.test>", "250")
        d.expect("RCPT TO:<demo@example.test>", "250")
        d.expect("DATA", "354")
        d.send(b"Subject: x\r\n\r\npart")
        r, t = d.timed()
        assert r.startswith("421 4.4.2"), r
        assert 2.5 < t < 7, t
        d.finish()
    finally:
        fake.close()


@phtest.case
def timeout_data_termination(s):
    # queued never answers after the end of data
    fake = FakeInject("silent")
    try:
        d = greeted(s, env=timeouts(PH_SMTP_DATA_TERM_TIMEOUT="3"), inject=fake)
        d.expect("MAIL FROM:<a@sender.test>", "250")
        d.expect("RCPT TO:<demo@example.test>", "250")
        d.expect("DATA", "354")
        d.send(b"Subject: x\r\n\r\nbody\r\n.\r\n")
        r, t = d.timed()
        assert r.startswith("451 4.3.0"), r
        assert 2.5 < t < 7, t
        d.expect("NOOP", "250")  # the session goes on
        d.expect("QUIT", "221")
        no_sanitizer(d.finish())
    finally:
        fake.close()


@phtest.case
def timeout_data_initiation(s):
    # queued takes the connection but reads nothing: the envelope cannot
    # be written, and DATA is answered when its own deadline passes
    fake = FakeInject("deaf")
    try:
        d = greeted(s, env=dict(BIG, **timeouts(PH_SMTP_DATA_INIT_TIMEOUT="3")), inject=fake)
        d.expect("MAIL FROM:<a@sender.test>", "250")
        long_relay_recipients(d, 1600)
        d.send(b"DATA\r\n")
        r, t = d.timed()
        assert r.startswith("451 4.3.0 queue unavailable"), r
        assert 2.5 < t < 7, t
        d.expect("QUIT", "221")
        log = d.finish()
        assert re.search(r"event=reject ip=127\.0\.0\.1 cmd=DATA code=451 reason=queue_unavailable errno=", log), log
    finally:
        fake.close()


class HangingPolicy:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)   # read nothing, answer nothing

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@phtest.case
def timeout_rcpt_bounds_policy(s):
    p = HangingPolicy()
    try:
        env = timeouts(PH_SMTP_RCPT_TIMEOUT="2")
        env.update({"PH_POLICY_SERVICE": "inet:127.0.0.1:%d" % p.port, "PH_POLICY_TIMEOUT": "50"})
        d = greeted(s, env=env)
        d.expect("MAIL FROM:<a@sender.test>", "250")
        d.send(b"RCPT TO:<demo@example.test>\r\n")
        r, t = d.timed()
        assert r.startswith("250 2.1.5"), r   # fail-open
        assert 1.5 < t < 6, t
        d.expect("QUIT", "221")
        log = d.finish()
        assert re.search(r"event=policy_fail ip=127\.0\.0\.1 smtpid=\w+ rcpt=demo@example\.test reason=timeout .*fail=open", log), log
    finally:
        p.close()


# ---- policy service: fail-closed, unix sockets, relaying

@phtest.case
def policy_fail_closed(s):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()   # nothing listens there now
    d = greeted(s, env={"PH_POLICY_SERVICE": "inet:127.0.0.1:%d" % port, "PH_POLICY_FAIL": "closed"})
    d.expect("MAIL FROM:<a@sender.test>", "250")
    d.expect("RCPT TO:<demo@example.test>", "451 4.3.0")
    d.expect("RCPT TO:<someone@elsewhere.test>", "554 5.7.1")  # not asked: refused before
    d.expect("QUIT", "221")
    log = d.finish()
    assert re.search(r"event=policy_fail .*reason=unreachable .*fail=closed", log), log
    d = greeted(s, env={"PH_POLICY_SERVICE": "inet:127.0.0.1:%d" % port})
    d.expect("MAIL FROM:<a@sender.test>", "250")
    d.expect("RCPT TO:<demo@example.test>", "250 2.1.5")
    d.expect("QUIT", "221")
    d.finish()


@phtest.case
def policy_over_unix_socket(s):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="phpolicy."))
    os.chmod(tmp, 0o755)
    path = tmp / "policy.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    os.chmod(path, 0o666)
    srv.listen(1)
    seen = []

    def serve():
        c, _ = srv.accept()
        buf = b""
        while True:
            d = c.recv(4096)
            if not d:
                return
            buf += d
            while b"\n\n" in buf:
                req, buf = buf.split(b"\n\n", 1)
                seen.append(req)
                c.sendall(b"action=REJECT over unix\n\n")
    threading.Thread(target=serve, daemon=True).start()
    try:
        d = greeted(s, env={"PH_POLICY_SERVICE": "unix:" + str(path)})
        d.expect("MAIL FROM:<a@sender.test>", "250")
        r = d.expect("RCPT TO:<demo@example.test>", "554 5.7.1")
        assert r.endswith("Recipient address rejected: over unix"), r
        d.expect("RCPT TO:<postmaster@example.test>", "554 5.7.1")
        d.expect("QUIT", "221")
        d.finish()
        assert len(seen) == 2 and b"request=smtpd_access_policy\n" in seen[0], seen
    finally:
        srv.close()
        shutil.rmtree(tmp, ignore_errors=True)


@phtest.case
def bad_settings_refused(s):
    for env in ({"PH_POLICY_SERVICE": "inet:localhost:99"}, {"PH_POLICY_SERVICE": "tcp:1.2.3.4:5"},
                {"PH_POLICY_SERVICE": "unix:relative/path"}, {"PH_POLICY_FAIL": "maybe", "PH_POLICY_SERVICE": "unix:/x"},
                {"PERMIT_DOCKER": "everything"}, {"PH_SMTP_DATA_BLOCK_TIMEOUT": "0"}, {"PH_SMTP_LINE_MAX": "100"}):
        d = Direct(s, env)
        r = d.last()
        assert r.startswith("421 4.3.5"), (env, r)
        log = d.finish()
        assert d.proc.returncode == 100, (env, d.proc.returncode, log)


# ---- STARTTLS when tlsd cannot do it

@phtest.case
def starttls_unavailable(s):
    # no tlsd in front at all
    d = greeted(s)
    d.send(b"EHLO client.test\r\n")
    kw = []
    while True:
        ln = d.line()
        kw.append(ln[4:])
        if ln[3] == " ":
            break
    assert "STARTTLS" not in kw, kw
    d.expect("STARTTLS", "454 4.7.0")
    d.expect("QUIT", "221")
    d.finish()
    # tlsd is there but its engine gave up (no certificate): it closed
    # the control socket, so STARTTLS is neither offered nor tried
    ctl_app, ctl_engine = socket.socketpair()
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    ctl_engine.close()
    fds = (ctl_app.fileno(), r1, w2)
    d = greeted(s, env={"SSLCTLFD": str(fds[0]), "SSLREADFD": str(fds[1]), "SSLWRITEFD": str(fds[2])},
                pass_fds=fds)
    for fd in (r1, w1, r2, w2):
        os.close(fd)
    ctl_app.close()
    d.expect("STARTTLS", "454 4.7.0 TLS not available")
    d.expect("NOOP", "250")
    d.expect("QUIT", "221")
    log = d.finish()
    assert "reason=tls_unavailable" in log, log


# ---- PERMIT_DOCKER (docker-mailserver) outside Docker

def local_interfaces():
    """The machine's non-loopback IPv4 interfaces (address, network),
    read only: the addresses are only put in TCPREMOTEIP."""
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], stdout=subprocess.PIPE, text=True).stdout
    except FileNotFoundError:
        return []
    found = []
    for m in re.finditer(r"inet (\d+\.\d+\.\d+\.\d+/\d+)", out):
        itf = ipaddress.ip_interface(m.group(1))
        if not itf.ip.is_loopback:
            found.append((str(itf.ip), itf.network))
    return found


@phtest.case
def permit_docker_modes(s):
    itfs = local_interfaces()
    outside = next(ip for ip in ("203.0.113.77", "198.51.100.77", "192.0.2.77")
                   if not any(ipaddress.ip_address(ip) in net for _, net in itfs))
    cases = [("none", "127.0.0.2", False), ("host", "127.0.0.2", True), ("host", "::1", True),
             ("container", "127.0.0.2", False), ("network", "127.0.0.2", True),
             ("connected-networks", "127.9.9.9", True), ("host", outside, False),
             ("network", outside, False), ("container", outside, False)]
    for addr, net in itfs[:1]:
        neighbour = next((str(h) for h in net.hosts() if str(h) != addr), None)
        cases += [("container", addr, True), ("host", addr, True), ("none", addr, False)]
        if neighbour:
            cases += [("network", neighbour, True), ("host", neighbour, False)]
    if not itfs:
        print("# no non-loopback interface: only the loopback cases were run")
    for mode, ip, relays in cases:
        d = greeted(s, env={"PERMIT_DOCKER": mode, "TCPREMOTEIP": ip})
        d.expect("MAIL FROM:<a@sender.test>", "250")
        r = d.expect("RCPT TO:<someone@elsewhere.test>", "")
        assert r.startswith("250 2.1.5" if relays else "554 5.7.1"), (mode, ip, r)
        d.expect("QUIT", "221")
        log = d.finish()
        assert ("relay=yes" in log) == relays, (mode, ip, log)


# ---- line limits

@phtest.case
def line_limits_from_settings(s):
    fake = FakeInject("record")
    try:
        d = greeted(s, env={"PH_SMTP_LINE_MAX": "600", "PH_SMTP_DATA_LINE_MAX": "1000"}, inject=fake)
        d.expect("NOOP " + "x" * 595, "250")
        d.expect("NOOP " + "x" * 600, "500 5.5.2")
        d.expect("MAIL FROM:<a@sender.test>", "250")
        d.expect("RCPT TO:<demo@example.test>", "250")
        d.expect("DATA", "354")
        d.send(b"Subject: x\r\n\r\n" + b"y" * 1000 + b"\r\n.\r\n")
        assert d.last().startswith("250 2.0.0")
        d.expect("MAIL FROM:<a@sender.test>", "250")
        d.expect("RCPT TO:<demo@example.test>", "250")
        d.expect("DATA", "354")
        d.send(b"Subject: x\r\n\r\n" + b"y" * 1001 + b"\r\n.\r\n")
        r = d.last()
        assert r.startswith("550 5.6.0"), r
        d.expect("QUIT", "221")
        no_sanitizer(d.finish())
    finally:
        fake.close()


if __name__ == "__main__":
    phtest.main()
