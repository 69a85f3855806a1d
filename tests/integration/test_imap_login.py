"""IMAP before login: imapd (uid phimap) in front of authd tickets and
imap-session (docs/internals.md, "Mail access"; imapd/README.md).

Greeting and capabilities, STARTTLS (and the plaintext injection it must
not run), LOGINDISABLED, LOGIN / AUTHENTICATE PLAIN with and without
SASL-IR, the '*' cancel, implicit TLS on the imaps port, one-time
tickets, the pre-auth uid's lack of Maildir access, the BAD and failed
login limits and their log lines.
"""

import base64
import imaplib
import os
import pwd
import re
import socket
import subprocess
import sys
import time
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import phtest  # noqa: E402
import mailaccess  # noqa: E402
from mailaccess import memory_holds, procs_of, run_as, set_env, tls_context, wait_log  # noqa: E402

USER = "demo@example.test"


class Raw(mailaccess.LineClient):
    """A line-oriented IMAP client over a plain or TLS socket."""

    def __init__(self, s, port="imap", tls=False):
        super().__init__(s, port, tls)

    def until_tagged(self, tag, timeout=20):
        lines = []
        while True:
            ln = self.line(timeout)
            lines.append(ln)
            if ln.startswith(tag + " "):
                return lines


def plain_b64(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def caps_of(line):
    m = re.search(r"\[CAPABILITY ([^\]]*)\]", line) or re.match(r"\* CAPABILITY (.*)", line)
    assert m, "no capabilities in %r" % line
    return m.group(1).split()


# ---- greeting and capabilities

@phtest.case
def greeting_has_capabilities(s):
    c = Raw(s)
    g = c.line()
    assert re.match(r"\* OK \[CAPABILITY [^\]]+\] \S+ ready$", g), g
    caps = caps_of(g)
    for want in ("IMAP4rev1", "STARTTLS", "SASL-IR", "ID", "AUTH=PLAIN", "AUTH=LOGIN"):
        assert want in caps, (want, caps)
    assert "LOGINDISABLED" not in caps, caps
    c.send("a ID NIL\r\n")
    lines = c.until_tagged("a")
    assert lines[0].startswith('* ID ("name" "posthaste")'), lines
    assert lines[-1].startswith("a OK"), lines
    c.send("b NOOP\r\nc LOGOUT\r\n")
    lines = c.until_tagged("c")
    assert lines[0] == "b OK NOOP completed", lines
    assert "* BYE Logging out" in lines and lines[-1].startswith("c OK"), lines
    assert c.closed()


@phtest.case
def capability_before_and_after_starttls(s):
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    assert "STARTTLS" in m.capabilities, m.capabilities
    m.starttls(ssl_context=tls_context(s))
    typ, data = m.capability()
    caps = data[0].decode().split()
    assert typ == "OK" and "STARTTLS" not in caps and "AUTH=PLAIN" in caps, caps
    m.logout()


@phtest.case
def commands_of_later_states_refused(s):
    c = Raw(s)
    c.line()
    c.send("a SELECT INBOX\r\n")
    ln = c.until_tagged("a")[-1]
    assert ln.startswith("a BAD"), ln
    c.send("b UID FETCH 1 FLAGS\r\n")
    assert c.until_tagged("b")[-1].startswith("b BAD")
    c.send("c FROBNICATE\r\n")
    assert c.until_tagged("c")[-1].startswith("c BAD")
    c.close()


@phtest.case
def logindisabled_without_tls_when_plaintext_refused(s):
    set_env(s, "PH_IMAP_PLAINTEXT_AUTH", "no")
    try:
        c = Raw(s)
        caps = caps_of(c.line())
        assert "LOGINDISABLED" in caps and not any(x.startswith("AUTH=") for x in caps), caps
        c.send("a LOGIN %s %s\r\n" % (USER, s.password))
        ln = c.until_tagged("a")[-1]
        assert ln.startswith("a NO [PRIVACYREQUIRED]"), ln
        c.send("b AUTHENTICATE PLAIN %s\r\n" % plain_b64(USER, s.password))
        ln = c.until_tagged("b")[-1]
        assert ln.startswith("b NO [PRIVACYREQUIRED]"), ln
        c.send("c STARTTLS\r\n")
        assert c.until_tagged("c")[-1].startswith("c OK")
        c.starttls()
        c.send("d CAPABILITY\r\n")
        lines = c.until_tagged("d")
        caps = caps_of(lines[0])
        assert "AUTH=PLAIN" in caps and "LOGINDISABLED" not in caps, caps
        c.send("e LOGIN %s %s\r\n" % (USER, s.password))
        ln = c.until_tagged("e")[-1]
        assert ln.startswith("e OK"), ln
        c.close()
    finally:
        set_env(s, "PH_IMAP_PLAINTEXT_AUTH", None)


# ---- logins

@phtest.case
def login_ok_on_loopback(s):
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    typ, data = m.login(USER, s.password)
    assert typ == "OK", (typ, data)
    m.logout()
    assert wait_log(s, "imap", r"event=login ip=127\.0\.0\.1 user=demo@example\.test")


@phtest.case
def login_wrong_password(s):
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    try:
        m.login(USER, "wrong-" + s.password)
        raise AssertionError("wrong password accepted")
    except imaplib.IMAP4.error as e:
        assert "[AUTHENTICATIONFAILED]" in str(e), e
    m.logout()
    assert wait_log(s, "imap", r"event=auth_fail ip=127\.0\.0\.1 user=demo@example\.test")


@phtest.case
def login_pipelined_command_reaches_the_session(s):
    c = Raw(s)
    c.line()
    c.send("a LOGIN %s %s\r\nb NOOP\r\n" % (USER, s.password))
    lines = c.until_tagged("a")
    assert lines[-1].startswith("a OK"), lines
    lines = c.until_tagged("b")
    assert lines[-1].startswith("b OK"), lines
    c.send("z LOGOUT\r\n")
    c.until_tagged("z")
    c.close()


@phtest.case
def authenticate_plain_with_sasl_ir(s):
    c = Raw(s)
    c.line()
    c.send("a AUTHENTICATE PLAIN %s\r\n" % plain_b64(USER, s.password))
    ln = c.until_tagged("a")[-1]
    assert ln.startswith("a OK"), ln
    assert "[CAPABILITY" in ln, ln
    c.send("z LOGOUT\r\n")
    c.until_tagged("z")
    c.close()


@phtest.case
def authenticate_plain_without_ir(s):
    c = Raw(s)
    c.line()
    c.send("a AUTHENTICATE PLAIN\r\n")
    ln = c.line()
    assert ln.rstrip() == "+", ln
    c.send(plain_b64(USER, s.password) + "\r\n")
    ln = c.until_tagged("a")[-1]
    assert ln.startswith("a OK"), ln
    c.close()


@phtest.case
def authenticate_login_and_cancel(s):
    c = Raw(s)
    c.line()
    c.send("a AUTHENTICATE LOGIN\r\n")
    ln = c.line()
    assert ln.startswith("+ ") and base64.b64decode(ln[2:]) == b"Username:", ln
    c.send("*\r\n")
    ln = c.until_tagged("a")[-1]
    assert ln.startswith("a BAD"), ln
    # the connection goes on
    c.send("b AUTHENTICATE LOGIN %s\r\n" % base64.b64encode(USER.encode()).decode())
    ln = c.line()
    assert ln.startswith("+ ") and base64.b64decode(ln[2:]) == b"Password:", ln
    c.send(base64.b64encode(s.password.encode()).decode() + "\r\n")
    ln = c.until_tagged("b")[-1]
    assert ln.startswith("b OK"), ln
    c.close()


@phtest.case
def login_over_implicit_tls(s):
    m = imaplib.IMAP4_SSL("127.0.0.1", s.port("imaps"), ssl_context=tls_context(s))
    assert "STARTTLS" not in m.capabilities and "AUTH=PLAIN" in m.capabilities, m.capabilities
    typ, _ = m.login(USER, s.password)
    assert typ == "OK"
    m.logout()
    assert wait_log(s, "imaps", r"event=login ip=127\.0\.0\.1 user=demo@example\.test session=\S+ tls=TLSv1\.[23]")


# ---- STARTTLS injection (RFC 3501 §6.2.1, CVE-2011-0411)

@phtest.case
def starttls_drops_pipelined_plaintext(s):
    c = Raw(s)
    c.line()
    c.send("a STARTTLS\r\nb CAPABILITY\r\n")
    ln = c.line()
    assert ln.startswith("a OK"), ln
    assert not c.buf, "server sent more in clear: %r" % c.buf
    c.starttls()
    c.send("c NOOP\r\n")
    lines = c.until_tagged("c")
    assert not any(x.startswith("b ") or x.startswith("* CAPABILITY") for x in lines), lines
    assert lines[-1].startswith("c OK"), lines
    c.close()
    assert wait_log(s, "imap", r"event=tls ip=127\.0\.0\.1 .*discarded=14")


# ---- tickets

def authd_ticket(s, service="imap", rip=None):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(20)
    c.connect(str(s.state / "run" / "auth.sock"))
    f = c.makefile("rwb")
    while f.readline().strip() != b"DONE":
        pass
    f.write(("VERSION\t1\t1\nCPID\t%d\nAUTH\t1\tPLAIN\tservice=%s\tticket\t%sresp=%s\n"
             % (os.getpid(), service, "rip=%s\t" % rip if rip else "", plain_b64(USER, s.password))).encode())
    f.flush()
    line = f.readline().decode().rstrip("\n")
    c.close()
    fields = dict(x.split("=", 1) for x in line.split("\t")[2:] if "=" in x)
    assert line.startswith("OK\t1\t") and re.fullmatch(r"[0-9a-f]{64}", fields.get("ticket", "")), line
    return fields["ticket"]


def master_request(s, ticket, uid, service="imap", rip=None):
    path = str(s.state / "run" / "auth-master.sock")

    def ask():
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(20)
        c.connect(path)
        try:
            c.sendall(("REQUEST\t5\t%s\tservice=%s%s\n" % (ticket, service, "\trip=" + rip if rip else "")).encode())
            return c.makefile("rb").readline().decode()
        except (ConnectionResetError, BrokenPipeError):
            return ""   # dropped
    return run_as(uid, ask)


@phtest.case
def ticket_works_once(s):
    vmail = pwd.getpwnam("vmail").pw_uid
    t = authd_ticket(s)
    first = master_request(s, t, vmail)
    assert first.startswith("USER\t5\tdemo@example.test\tmaildir=example.test/demo"), first
    again = master_request(s, t, vmail)
    assert again.startswith("FAIL\t5\t"), again
    assert wait_log(s, "auth-master", r"event=ticket_fail reason=\"unknown or used ticket\"")
    # a ticket for POP3 does not open IMAP
    t = authd_ticket(s, "pop3")
    assert master_request(s, t, vmail).startswith("FAIL\t5\t")
    # a peer that is not a session spawner is dropped without an answer
    t = authd_ticket(s)
    nobody = pwd.getpwnam("nobody").pw_uid
    r = master_request(s, t, nobody)
    assert r == "", r
    # ... and the ticket it tried is still good for the spawner
    assert master_request(s, t, vmail).startswith("USER\t5\t")


@phtest.case
def ticket_bound_to_the_client_address(s):
    # the spawner names the handover's client: a ticket issued for another
    # address is refused (and used up); the same address, or none on
    # either side, is fine
    vmail = pwd.getpwnam("vmail").pw_uid
    t = authd_ticket(s, rip="192.0.2.9")
    r = master_request(s, t, vmail, rip="198.51.100.1")
    assert r.startswith("FAIL\t5\treason=ticket for another client"), r
    assert master_request(s, t, vmail, rip="192.0.2.9").startswith("FAIL\t5\t")
    assert wait_log(s, "auth-master", r"event=ticket_fail reason=\"another client address\"")
    t = authd_ticket(s, rip="192.0.2.9")
    assert master_request(s, t, vmail, rip="192.0.2.9").startswith("USER\t5\tdemo@example.test\t")
    t = authd_ticket(s)
    assert master_request(s, t, vmail, rip="192.0.2.9").startswith("USER\t5\t")
    # and a real login goes through with the spawner's rip= on the way
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    m.login(USER, s.password)
    m.logout()


@phtest.case
def expired_ticket_refused_and_swept(s):
    vmail = pwd.getpwnam("vmail").pw_uid
    set_env(s, "PH_TICKET_TTL", "1")
    try:
        old = authd_ticket(s)
        time.sleep(2.2)
        r = master_request(s, old, vmail)
        assert r.startswith("FAIL\t5\treason=ticket expired"), r
        stale = authd_ticket(s)
        time.sleep(2.2)
        fresh = authd_ticket(s)     # issuing sweeps what expired
        names = sorted(p.name for p in (s.state / "tickets").iterdir())
        assert names == [fresh], (names, stale, fresh)
    finally:
        set_env(s, "PH_TICKET_TTL", None)
    time.sleep(2.2)
    r = master_request(s, fresh, vmail)
    assert r.startswith("FAIL\t5\treason=ticket expired"), r


@phtest.case
def session_side_trouble_is_unavailable(s):
    subprocess.run(["s6-svc", "-wD", "-d", str(s.service_dir("auth-master"))], check=True, timeout=20)
    try:
        c = Raw(s)
        c.line()
        c.send("a LOGIN %s %s\r\n" % (USER, s.password))
        ln = c.until_tagged("a")[-1]
        assert ln.startswith("a NO [UNAVAILABLE]"), ln
        # the connection stays usable
        c.send("b NOOP\r\n")
        assert c.until_tagged("b")[-1].startswith("b OK")
        c.close()
    finally:
        subprocess.run(["s6-svc", "-u", str(s.service_dir("auth-master"))], check=True, timeout=20)
        assert s.wait_up("auth-master")
    assert wait_log(s, "imap-session", r"event=session_refused reason=")


@phtest.case
def login_leaves_no_ticket_behind(s):
    before = set(p.name for p in (s.state / "tickets").iterdir())
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    m.login(USER, s.password)
    m.logout()
    left = set(p.name for p in (s.state / "tickets").iterdir()) - before
    assert not left, left


@phtest.case
def session_refuses_other_peers(s):
    path = str(s.state / "run" / "imap-session.sock")

    def connect():
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(10)
        c.connect(path)
        return "eof" if c.recv(10) == b"" else "data"
    assert run_as(pwd.getpwnam("nobody").pw_uid, connect) == "eof"
    assert wait_log(s, "imap-session", r"event=refused euid=%d" % pwd.getpwnam("nobody").pw_uid)


# ---- privilege separation

@phtest.case
def preauth_process_cannot_open_the_maildir(s):
    c = Raw(s)
    c.line()
    # the imapd serving this connection: a process of state/bin/imapd
    out = procs_of(str(s.bin / "imapd"))
    assert out, "no imapd process"
    uids = set()
    for pid in out:
        for ln in pathlib.Path("/proc/%s/status" % pid).read_text().splitlines():
            if ln.startswith("Uid:"):
                uids.update(int(x) for x in ln.split()[1:])
    phimap = pwd.getpwnam("phimap").pw_uid
    assert uids == {phimap}, uids
    md = s.maildir(USER)
    vmail = pwd.getpwnam("vmail").pw_uid

    def make():
        for sub in ("cur", "new", "tmp"):
            os.makedirs(str(md / sub), mode=0o700, exist_ok=True)
        return "made"
    assert run_as(vmail, make) == "made"
    assert md.is_dir()

    def try_open():
        try:
            os.listdir(str(md))
            return "opened"
        except PermissionError:
            return "denied"
    assert run_as(phimap, try_open) == "denied"
    assert run_as(vmail, try_open) == "opened"
    c.close()


@phtest.case
def failed_login_leaves_no_password_in_memory(s):
    # imapd is not dumpable (its /proc files belong to root, so other
    # phimap processes cannot read them) and wipes what it consumed
    c = Raw(s)
    c.line()
    before = set(procs_of(str(s.bin / "imapd")))
    assert before, "no imapd process"
    secret = "SECRETPW-imap-%d" % os.getpid()
    c.send('a LOGIN %s "%s"\r\n' % (USER, secret))
    assert c.until_tagged("a")[-1].startswith("a NO [AUTHENTICATIONFAILED]")
    c.send("b AUTHENTICATE PLAIN %s\r\n" % plain_b64(USER, secret + "-sasl"))
    assert c.until_tagged("b")[-1].startswith("b NO")
    # the NO leaves just before the command's bytes are wiped: one more
    # round trip makes sure that happened
    c.send("c NOOP\r\n")
    assert c.until_tagged("c")[-1].startswith("c OK")
    for pid in before:
        assert os.stat("/proc/%s/mem" % pid).st_uid == 0, "imapd %s is dumpable" % pid
        assert not memory_holds(pid, secret.encode()), "imapd %s still holds the password" % pid
        assert not memory_holds(pid, base64.b64encode(b"\0" + USER.encode() + b"\0" + secret.encode() + b"-sasl")), pid
    c.close()


# ---- limits

@phtest.case
def bad_command_limit_disconnects(s):
    c = Raw(s)
    c.line()
    for i in range(20):
        c.send("x%d NOSUCHCOMMAND\r\n" % i)
    seen_bye = False
    try:
        while True:
            ln = c.line(10)
            if ln.startswith("* BYE"):
                seen_bye = True
                break
    except EOFError:
        pass
    assert seen_bye
    assert c.closed()
    assert wait_log(s, "imap", r"event=too_many_bad_commands ip=127\.0\.0\.1")
    assert s.wait_for(lambda: re.search(r"event=bad_command ip=127\.0\.0\.1 .*cmd=NOSUCHCOMMAND", s.log("imap")), 10)


@phtest.case
def failed_login_limit_disconnects(s):
    c = Raw(s)
    c.line()
    for i in range(3):
        c.send("f%d LOGIN %s wrong%d\r\n" % (i, USER, i))
        ln = c.until_tagged("f%d" % i, timeout=30)[-1]
        assert ln.startswith("f%d NO [AUTHENTICATIONFAILED]" % i), ln
    ln = c.line()
    assert ln.startswith("* BYE"), ln
    assert c.closed()


@phtest.case
def preauth_idle_timeout(s):
    set_env(s, "PH_IMAP_PREAUTH_TIMEOUT", "1")
    try:
        c = Raw(s)
        c.line()
    finally:
        set_env(s, "PH_IMAP_PREAUTH_TIMEOUT", None)
    t0 = time.monotonic()
    ln = c.line(10)
    assert ln.startswith("* BYE Autologout"), ln
    assert c.closed() and time.monotonic() - t0 < 5
    assert wait_log(s, "imap", r"event=idle_timeout ip=127\.0\.0\.1")


@phtest.case
def overlong_line_is_refused(s):
    c = Raw(s)
    c.line()
    c.send("a " + "X" * 70000 + "\r\nb NOOP\r\n")
    ln = c.line()
    assert "BAD" in ln, ln
    ln = c.until_tagged("b")[-1]
    assert ln == "b OK NOOP completed", ln
    c.close()


if __name__ == "__main__":
    phtest.main()
