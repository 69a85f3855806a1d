"""POP3: pop3d (uid phpop3, before login) in front of authd tickets and
pop3-session (uid vmail) (docs/internals.md, "Mail access";
pop3d/README.md).

Python's poplib and a raw line client: every RFC 1939 command and its
errors, CAPA (RFC 2449), STLS (RFC 2595) and the plaintext it must not
run, the plaintext policy, AUTH PLAIN/LOGIN (RFC 5034) with and without
an initial response and the '*' cancel, implicit TLS, PIPELINING, the
[IN-USE] lock, UIDLs against dovecot-uidlist, \\Seen and deletions at
QUIT only, an IMAP session and deliveries alongside, limits (line, bad
commands, failed logins, timeouts) and the log lines banwatch reads,
the uids of both halves, and ENABLE_POP3 off.
"""

import base64
import imaplib
import os
import pathlib
import poplib
import pwd
import re
import smtplib
import socket
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import phtest  # noqa: E402
import mailaccess  # noqa: E402
from mailaccess import memory_where, procs_of, set_env, tls_context, wait_log  # noqa: E402

USER = "demo@example.test"


class Raw(mailaccess.LineClient):
    """A line-oriented POP3 client over a plain or TLS socket."""

    def __init__(self, s, port="pop3", tls=False):
        super().__init__(s, port, tls)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def multi(self):
        """The raw lines (with CRLF) of a multi-line answer, up to "."."""
        out = []
        while True:
            ln = self.rawline()
            if ln == b".\r\n":
                return out
            out.append(ln)

    def login(self, password=None):
        assert self.line().startswith("+OK")
        assert self.cmd("USER " + USER) == "+OK"
        r = self.cmd("PASS " + (password or self.suite.password))
        assert r.startswith("+OK"), r
        return r


def pop(s, port="pop3"):
    p = poplib.POP3("127.0.0.1", s.port(port), timeout=30)
    p.user(USER)
    p.pass_(s.password)
    return p


def deliver(s, bodies):
    """Sends each body (str, its own headers first) to the demo account
    over SMTP and waits until all are in the Maildir."""
    md = s.maildir(USER)

    def count():
        n = 0
        for sub in ("new", "cur"):
            try:
                n += len(list((md / sub).iterdir()))
            except FileNotFoundError:
                pass
        return n
    # One at a time: queued delivers in parallel, and the cases number
    # the messages in the order they were sent (UIDs follow arrival).
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30) as c:
        for b in bodies:
            before = count()
            c.sendmail("sender@example.org", [USER], b)
            assert s.wait_for(lambda: count() >= before + 1, 30), "delivery did not arrive"


def empty(s):
    """Removes every message of the INBOX through POP3 itself."""
    p = pop(s)
    n, _ = p.stat()
    for i in range(1, n + 1):
        p.dele(i)
    p.quit()
    assert s.wait_for(lambda: not list((s.maildir(USER) / "cur").iterdir()), 5)


def uidlist(s):
    """(uidvalidity, [(uid, base name)]) from dovecot-uidlist."""
    lines = (s.maildir(USER) / "dovecot-uidlist").read_text().splitlines()
    m = re.search(r"\bV(\d+)", lines[0])
    recs = []
    for ln in lines[1:]:
        uid, rest = ln.split(" ", 1)
        recs.append((int(uid), rest.split(":", 1)[1]))
    return int(m.group(1)), recs


def file_of(s, base):
    for p in (s.maildir(USER) / "cur").iterdir():
        if p.name.split(":")[0] == base:
            return p
    return None


def crlf(data):
    """The message as POP3 must send it before dot-stuffing: CRLF ends."""
    out = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out


def proc_uid(name):
    """uids of the live processes whose command name is name."""
    uids = []
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if (p / "comm").read_text().strip() != name:
                continue
            for ln in (p / "status").read_text().splitlines():
                if ln.startswith("Uid:"):
                    uids.append(int(ln.split()[1]))
        except OSError:
            pass
    return uids


# ---- before login

@phtest.case
def greeting_and_capa(s):
    c = Raw(s)
    g = c.line()
    assert re.match(r"\+OK \S+ POP3 ready\.$", g), g
    assert c.cmd("CAPA").startswith("+OK")
    caps = [ln.decode().strip() for ln in c.multi()]
    for want in ("CAPA", "TOP", "UIDL", "USER", "SASL PLAIN LOGIN", "RESP-CODES",
                 "AUTH-RESP-CODE", "PIPELINING", "STLS"):
        assert want in caps, (want, caps)
    assert c.cmd("QUIT").startswith("+OK")
    assert c.closed()


@phtest.case
def transaction_commands_refused_before_login(s):
    c = Raw(s)
    c.line()
    for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 1", "RSET", "NOOP"):
        r = c.cmd(cmd)
        assert r.startswith("-ERR"), (cmd, r)
    assert c.cmd("FROB").startswith("-ERR Unknown command")
    assert c.cmd("PASS x").startswith("-ERR No username given"), "PASS before USER"
    assert c.cmd("APOP demo 0123456789abcdef0123456789abcdef").startswith("-ERR")
    assert c.cmd("USER").startswith("-ERR")
    assert c.cmd("QUIT").startswith("+OK")
    c.close()


@phtest.case
def stls_then_login(s):
    p = poplib.POP3("127.0.0.1", s.port("pop3"), timeout=30)
    assert "STLS" in p.capa()
    p.stls(context=tls_context(s))
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps, caps
    p.user(USER)
    assert p.pass_(s.password).startswith(b"+OK")
    p.quit()
    assert wait_log(s, "pop3", r"event=login ip=127\.0\.0\.1 user=demo@example\.test session=\S+ tls=TLSv1\.[23]")


@phtest.case
def stls_drops_pipelined_plaintext(s):
    c = Raw(s)
    c.line()
    # RFC 2595 §4 / CVE-2011-0411: nothing sent before the handshake runs inside TLS
    c.send("STLS\r\nUSER %s\r\nPASS %s\r\n" % (USER, s.password))
    assert c.line().startswith("+OK Begin TLS")
    c.starttls()
    c.send("CAPA\r\n")
    assert c.line().startswith("+OK Capability"), "the first answer inside TLS is CAPA's"
    c.multi()
    assert c.cmd("STAT").startswith("-ERR"), "the injected login must not have happened"
    assert c.cmd("STLS").startswith("-ERR"), "STLS twice"
    c.close()
    assert wait_log(s, "pop3", r"event=tls .*discarded=\d+")


@phtest.case
def plaintext_refused_when_policy_says_no(s):
    set_env(s, "PH_POP3_PLAINTEXT_AUTH", "no")
    try:
        c = Raw(s)
        c.line()
        c.send("CAPA\r\n")
        c.line()
        caps = [ln.decode().strip() for ln in c.multi()]
        assert "USER" not in caps and not any(x.startswith("SASL") for x in caps), caps
        r = c.cmd("USER " + USER)
        assert r.startswith("-ERR [AUTH]") and "Plaintext" in r, r
        r = c.cmd("AUTH PLAIN " + base64.b64encode(b"\0" + USER.encode() + b"\0" + s.password.encode()).decode())
        assert r.startswith("-ERR [AUTH]"), r
        assert c.cmd("STLS").startswith("+OK")
        c.starttls()
        assert c.cmd("USER " + USER) == "+OK"
        assert c.cmd("PASS " + s.password).startswith("+OK")
        assert c.cmd("QUIT").startswith("+OK")
        c.close()
    finally:
        set_env(s, "PH_POP3_PLAINTEXT_AUTH", None)


@phtest.case
def wrong_password_is_auth_and_logged(s):
    p = poplib.POP3("127.0.0.1", s.port("pop3"), timeout=30)
    p.user(USER)
    try:
        p.pass_("wrong-" + s.password)
        raise AssertionError("wrong password accepted")
    except poplib.error_proto as e:
        assert str(e).startswith("b'-ERR [AUTH]"), e
    # RFC 1939 §7: after a failed PASS, USER again
    try:
        p.pass_(s.password)
        raise AssertionError("PASS without a new USER accepted")
    except poplib.error_proto as e:
        assert "No username" in str(e), e
    p.user(USER)
    assert p.pass_(s.password).startswith(b"+OK")
    p.quit()
    assert wait_log(s, "pop3", r"event=auth_fail ip=127\.0\.0\.1 user=demo@example\.test mech=PLAIN")


@phtest.case
def failed_login_leaves_no_password_in_memory(s):
    # pop3d is not dumpable (its /proc files belong to root, so other
    # phpop3 processes cannot read them) and wipes what it consumed
    c = Raw(s)
    c.line()
    pids = procs_of(str(s.bin / "pop3d"))
    assert pids, "no pop3d process"
    secret = "SECRETPW-pop3-%d" % os.getpid()
    assert c.cmd("USER " + USER) == "+OK"
    assert c.cmd("PASS " + secret).startswith("-ERR [AUTH]")
    sasl = base64.b64encode(b"\0" + USER.encode() + b"\0" + secret.encode() + b"-sasl")
    assert c.cmd("AUTH PLAIN " + sasl.decode()).startswith("-ERR")
    # the -ERR leaves just before the command's bytes are wiped: one more
    # round trip makes sure that happened
    assert c.cmd("CAPA").startswith("+OK")
    c.multi()
    for pid in pids:
        assert os.stat("/proc/%s/mem" % pid).st_uid == 0, "pop3d %s is dumpable" % pid
        where = memory_where(pid, [secret.encode(), sasl])
        assert where is None, "pop3d %s still holds the password in %s" % (pid, where)
    c.close()


@phtest.case
def failed_logins_end_the_connection(s):
    c = Raw(s)
    c.line()
    for i in range(3):
        assert c.cmd("USER " + USER) == "+OK"
        assert c.cmd("PASS nope%d" % i).startswith("-ERR [AUTH]")
    assert c.line().startswith("-ERR Too many authentication failures")
    assert c.closed()
    assert wait_log(s, "pop3", r"event=too_many_auth_failures ip=127\.0\.0\.1")


@phtest.case
def auth_plain_with_and_without_initial_response(s):
    creds = base64.b64encode(b"\0" + USER.encode() + b"\0" + s.password.encode()).decode()
    c = Raw(s)
    c.line()
    assert c.cmd("AUTH") == "+OK"
    assert [ln.strip() for ln in c.multi()] == [b"PLAIN", b"LOGIN"]
    r = c.cmd("AUTH PLAIN " + creds)
    assert r == "+OK Logged in.", r
    assert c.cmd("NOOP") == "+OK"
    assert c.cmd("QUIT").startswith("+OK")
    c.close()
    c = Raw(s)
    c.line()
    assert c.cmd("AUTH PLAIN") == "+ ", "RFC 5034: an empty challenge"
    r = c.cmd(creds)
    assert r == "+OK Logged in.", r
    c.cmd("QUIT")
    c.close()


@phtest.case
def auth_login_cancel_and_failure(s):
    c = Raw(s)
    c.line()
    r = c.cmd("AUTH LOGIN")
    assert r.startswith("+ "), r
    assert base64.b64decode(r[2:]).lower().startswith(b"username"), r
    r = c.cmd(base64.b64encode(USER.encode()).decode())
    assert r.startswith("+ "), r
    r = c.cmd(base64.b64encode(s.password.encode()).decode())
    assert r == "+OK Logged in.", r
    c.cmd("QUIT")
    c.close()
    c = Raw(s)
    c.line()
    assert c.cmd("AUTH LOGIN").startswith("+ ")
    r = c.cmd("*")
    assert r.startswith("-ERR") and "cancel" in r, r
    r = c.cmd("AUTH PLAIN " + base64.b64encode(b"\0" + USER.encode() + b"\0wrong").decode())
    assert r.startswith("-ERR [AUTH]"), r
    r = c.cmd("AUTH CRAM-MD5")
    assert r.startswith("-ERR") and "mechanism" in r, r
    c.close()


@phtest.case
def implicit_tls_port(s):
    p = poplib.POP3_SSL("127.0.0.1", s.port("pop3s"), timeout=30, context=tls_context(s))
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps, caps
    p.user(USER)
    assert p.pass_(s.password).startswith(b"+OK")
    p.quit()


@phtest.case
def unreachable_services_answer_sys_temp(s):
    run = s.state / "run"
    for sock, want in (("auth.sock", "-ERR [SYS/TEMP] Authentication service unavailable"),
                       ("pop3-session.sock", "-ERR [SYS/TEMP] Mailbox service unavailable")):
        os.rename(run / sock, run / (sock + ".away"))
        try:
            c = Raw(s)
            c.line()
            assert c.cmd("USER " + USER) == "+OK"
            r = c.cmd("PASS " + s.password)
            assert r.startswith(want), (sock, r)
            c.close()
        finally:
            os.rename(run / (sock + ".away"), run / sock)
    assert wait_log(s, "pop3", r"event=auth_unavailable ip=127\.0\.0\.1")
    assert wait_log(s, "pop3", r"event=handover_fail ip=127\.0\.0\.1 user=demo@example\.test")
    assert _can_login(s)


# ---- the session

@phtest.case
def every_command_on_a_mailbox(s):
    bodies = [
        "Subject: one\r\n\r\nfirst line\r\n.starts with a dot\r\n..two dots\r\nlast\r\n",
        "Subject: two\r\nX-Long: yes\r\n\r\n" + "".join("line %d\r\n" % i for i in range(30)),
        "Subject: three\r\n\r\nno final newline",
    ]
    deliver(s, bodies)
    p = pop(s)
    n, octets = p.stat()
    assert n == 3, n
    resp, listing, _ = p.list()
    sizes = {int(a): int(b) for a, b in (x.split() for x in listing)}
    assert sum(sizes.values()) == octets and len(sizes) == 3, (sizes, octets)
    assert p.list(2).split()[1:] == [b"2", str(sizes[2]).encode()]
    uv, recs = uidlist(s)
    # Dovecot's %08Xu%08Xv, which it writes in lower case
    want = {i + 1: "%08x%08x" % (uid, uv) for i, (uid, _) in enumerate(recs)}
    resp, ul, _ = p.uidl()
    got = {int(a): b.decode() for a, b in (x.split() for x in ul)}
    assert got == want, (got, want)
    assert p.uidl(3).split()[1:] == [b"3", want[3].encode()]
    p.quit()
    # RETR: exactly the stored file with CRLF line ends, its size as LISTed
    c = Raw(s)
    c.login()
    for i, (uid, base) in enumerate(recs, 1):
        f = file_of(s, base)
        assert f is not None, base
        expect = crlf(f.read_bytes())
        r = c.cmd("RETR %d" % i)
        assert r == "+OK %d octets" % len(expect), (r, len(expect))
        raw = c.multi()
        unstuffed = b"".join(ln[1:] if ln.startswith(b".") else ln for ln in raw)
        assert unstuffed == expect, (i, unstuffed[-200:], expect[-200:])
        assert sizes[i] == len(expect), (i, sizes[i], len(expect))
        # every line that starts with a dot went out with one more
        for ln in raw:
            assert not ln.startswith(b".") or ln.startswith(b".."), ln
    # TOP: the header, the blank line, n body lines
    r = c.cmd("TOP 2 3")
    assert r.startswith("+OK"), r
    top = b"".join(c.multi())
    head, body = top.split(b"\r\n\r\n", 1)
    assert b"Subject: two" in head and body == b"line 0\r\nline 1\r\nline 2\r\n", body
    assert c.cmd("TOP 1 0").startswith("+OK")
    top = b"".join(c.multi())
    assert top.endswith(b"\r\n\r\n") and b"first line" not in top, top
    assert c.cmd("TOP 3 100").startswith("+OK")
    assert b"".join(c.multi()).endswith(b"no final newline\r\n")
    c.cmd("QUIT")
    c.close()
    # DELE, LIST after it, RSET, then QUIT applies it
    p = pop(s)
    assert p.noop().startswith(b"+OK")
    assert p.dele(1).startswith(b"+OK")
    for bad in (lambda: p.retr(1), lambda: p.dele(1), lambda: p.list(1), lambda: p.uidl(1), lambda: p.top(1, 0)):
        try:
            bad()
            raise AssertionError("deleted message still served")
        except poplib.error_proto as e:
            assert "deleted" in str(e), e
    assert p.stat() == (2, octets - sizes[1])
    assert [x.split()[0] for x in p.list()[1]] == [b"2", b"3"]
    assert p.rset().startswith(b"+OK")
    assert p.stat() == (3, octets)
    p.dele(2)
    assert len(list((s.maildir(USER) / "cur").iterdir())) == 3, "DELE applied before QUIT"
    assert p.quit().startswith(b"+OK")
    left = sorted(f.name.split(":")[0] for f in (s.maildir(USER) / "cur").iterdir())
    assert left == sorted([recs[0][1], recs[2][1]]), (left, recs)
    uv2, recs2 = uidlist(s)
    assert uv2 == uv and [r[0] for r in recs2] == [recs[0][0], recs[2][0]], recs2
    # the numbers are renumbered, the UIDLs are not
    p = pop(s)
    got2 = [x.split()[1].decode() for x in p.uidl()[1]]
    assert got2 == [want[1], want[3]], (got2, want)
    p.quit()
    empty(s)


@phtest.case
def command_errors_in_the_session(s):
    deliver(s, ["Subject: e\r\n\r\nx\r\n"])
    c = Raw(s)
    c.login()
    for cmd, want in (("RETR 99", "-ERR There's no message 99."), ("RETR 0", "-ERR Invalid message number"),
                      ("RETR", "-ERR Message number required"), ("RETR x", "-ERR Invalid message number"),
                      ("LIST 1 2", "-ERR Too many arguments"), ("TOP 1", "-ERR Message number and number of lines required"),
                      ("TOP 1 x", "-ERR Invalid number of lines"), ("DELE 4294967296", "-ERR Invalid message number"),
                      ("STAT 1", "-ERR No arguments allowed"), ("USER x", "-ERR Command not valid in this state"),
                      ("PASS x", "-ERR Command not valid in this state"), ("STLS", "-ERR Command not valid in this state"),
                      ("AUTH PLAIN", "-ERR Command not valid in this state"), ("XYZZY", "-ERR Unknown command")):
        r = c.cmd(cmd)
        assert r.startswith(want), (cmd, r, want)
    assert c.cmd("CAPA").startswith("+OK")
    caps = [ln.decode().strip() for ln in c.multi()]
    assert "UIDL" in caps and "STLS" not in caps, caps
    assert c.cmd("stat").startswith("+OK 1 "), "keywords are case-insensitive"
    c.cmd("QUIT")
    c.close()
    empty(s)


@phtest.case
def pipelined_login_and_commands(s):
    deliver(s, ["Subject: p%d\r\n\r\nbody\r\n" % i for i in range(2)])
    c = Raw(s)
    c.line()
    c.send("USER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nUIDL 2\r\nNOOP\r\nQUIT\r\n" % (USER, s.password))
    assert c.line() == "+OK"
    assert c.line() == "+OK Logged in."
    assert c.line().startswith("+OK 2 ")
    assert c.line().startswith("+OK")
    assert len(c.multi()) == 2
    assert re.match(r"\+OK 2 [0-9a-f]{16}$", c.line())
    assert c.line() == "+OK"
    assert c.line().startswith("+OK Logging out")
    assert c.closed()
    assert wait_log(s, "pop3", r"event=login .*pipelined=\d+")
    empty(s)


@phtest.case
def second_session_is_in_use(s):
    deliver(s, ["Subject: lock\r\n\r\nx\r\n"])
    a = pop(s)
    b = poplib.POP3("127.0.0.1", s.port("pop3"), timeout=30)
    b.user(USER)
    try:
        b.pass_(s.password)
        raise AssertionError("two POP3 sessions on one maildrop")
    except poplib.error_proto as e:
        assert str(e).startswith("b'-ERR [IN-USE]"), e
    assert wait_log(s, "pop3-session", r"event=in_use ip=127\.0\.0\.1 user=demo@example\.test")
    # IMAP is not locked out
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    m.login(USER, s.password)
    assert m.select("INBOX")[0] == "OK"
    m.logout()
    assert a.stat()[0] == 1
    a.quit()
    b = pop(s)
    b.quit()
    # a session that dies (client gone) releases the lock with the process
    c = Raw(s)
    c.login()
    c.close()
    assert s.wait_for(lambda: _can_login(s), 10), "lock not released after a disconnect"
    empty(s)


def _can_login(s):
    try:
        p = pop(s)
    except poplib.error_proto:
        return False
    p.quit()
    return True


@phtest.case
def seen_at_the_end_and_deletions_only_at_quit(s):
    deliver(s, ["Subject: s%d\r\n\r\nbody\r\n" % i for i in range(3)])
    pop(s).quit()     # the UIDs are given at the first look
    _, recs = uidlist(s)
    c = Raw(s)
    c.login()
    assert c.cmd("RETR 1").startswith("+OK")
    c.multi()
    assert c.cmd("TOP 2 0").startswith("+OK")
    c.multi()
    assert c.cmd("DELE 3").startswith("+OK")
    c.close()      # no QUIT: no UPDATE state (RFC 1939 §6)
    assert s.wait_for(lambda: _can_login(s), 10)
    f1, f2, f3 = (file_of(s, b) for _, b in recs)
    assert f3 is not None, "deleted without QUIT"
    assert "S" in f1.name.split(":2,")[1], ("RETR sets \\Seen, as Dovecot does", f1.name)
    assert "S" not in f2.name.split(":2,")[1], ("TOP does not", f2.name)
    p = pop(s)
    assert p.stat()[0] == 3
    p.retr(2)
    p.rset()          # forgets the retrieval too
    p.quit()
    f2 = file_of(s, recs[1][1])
    assert "S" not in f2.name.split(":2,")[1], f2.name
    empty(s)


@phtest.case
def imap_and_deliveries_alongside(s):
    deliver(s, ["Subject: c%d\r\n\r\nbody\r\n" % i for i in range(3)])
    m = imaplib.IMAP4("127.0.0.1", s.port("imap"))
    m.login(USER, s.password)
    assert m.select("INBOX")[1] == [b"3"]
    p = pop(s)
    n0 = p.stat()
    # changes by others during the session: the POP3 view does not move
    m.store("2", "+FLAGS", "(\\Flagged)")
    deliver(s, ["Subject: late\r\n\r\nbody\r\n"])
    assert p.stat() == n0
    p.retr(2)
    p.dele(1)
    p.quit()
    typ, data = m.noop()
    text = " ".join(str(x) for x in m.untagged_responses.get("EXPUNGE", []))
    assert "1" in text, (m.untagged_responses, data)
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    flags = [x.decode() for x in data if x and b"UID " in x]
    assert len(flags) == 3, flags
    assert any("\\Flagged" in f and "\\Seen" in f for f in flags), ("IMAP's flag kept, \\Seen added", flags)
    m.logout()
    p = pop(s)
    assert p.stat()[0] == 3, "the late delivery is in the next session"
    p.quit()
    empty(s)


# ---- limits and logs

@phtest.case
def long_line_and_bad_command_limit(s):
    c = Raw(s)
    c.line()
    r = c.cmd("USER " + "x" * 5000)
    assert r.startswith("-ERR Line too long"), r
    assert c.cmd("CAPA").startswith("+OK"), "the connection goes on after a long line"
    c.multi()
    # exactly up to the limit: a close with unread input would reset
    # the connection and could lose the last answer
    c.send("NOSUCH\r\n" * 19)
    lines = []
    try:
        while True:
            lines.append(c.line(10))
    except (EOFError, ConnectionResetError):
        pass
    assert lines[-1] == "-ERR Too many bad commands.", lines[-3:]
    assert len(lines) == 20, lines
    assert wait_log(s, "pop3", r"event=too_many_bad_commands ip=127\.0\.0\.1")
    assert wait_log(s, "pop3", r"event=bad_command ip=127\.0\.0\.1 session=\S+ cmd=NOSUCH count=\d+")


@phtest.case
def nul_and_bare_cr_refused(s):
    c = Raw(s)
    c.line()
    c.send(b"US\x00ER x\r\n")
    assert c.line().startswith("-ERR")
    c.send(b"CAPA\rX\r\n")
    assert c.line().startswith("-ERR")
    assert c.cmd("QUIT").startswith("+OK")
    c.close()


@phtest.case
def timeouts_before_and_after_login(s):
    deliver(s, ["Subject: t\r\n\r\nbody\r\n"])
    set_env(s, "PH_POP3_PREAUTH_TIMEOUT", "2")
    set_env(s, "PH_POP3_TIMEOUT", "2")
    try:
        c = Raw(s)
        c.line()
        assert c.line(15) == "-ERR Disconnected for inactivity."
        assert c.closed()
        assert wait_log(s, "pop3", r"pop3d: event=idle_timeout ip=127\.0\.0\.1")
        c = Raw(s)
        c.login()
        assert c.cmd("DELE 1").startswith("+OK")
        assert c.line(15) == "-ERR Disconnected for inactivity."
        assert c.closed()
        assert wait_log(s, "pop3-session", r"pop3-session: event=idle_timeout ip=127\.0\.0\.1")
    finally:
        set_env(s, "PH_POP3_PREAUTH_TIMEOUT", None)
        set_env(s, "PH_POP3_TIMEOUT", None)
    assert s.wait_for(lambda: _can_login(s), 10)
    p = pop(s)
    assert p.stat()[0] == 1, "a timed-out session must not delete"
    p.quit()
    empty(s)


@phtest.case
def halves_run_as_their_uids(s):
    c = Raw(s)
    c.line()
    phpop3 = pwd.getpwnam("phpop3").pw_uid
    vmail = pwd.getpwnam("vmail").pw_uid
    assert s.wait_for(lambda: phpop3 in proc_uid("pop3d"), 5), proc_uid("pop3d")
    assert set(proc_uid("pop3d")) <= {phpop3}, proc_uid("pop3d")
    c.cmd("USER " + USER)
    c.cmd("PASS " + s.password)
    assert s.wait_for(lambda: vmail in proc_uid("pop3-session"), 5), proc_uid("pop3-session")
    assert set(proc_uid("pop3-session")) <= {vmail}
    # the pre-auth uid cannot read the Maildirs
    st = os.stat(s.state / "mail")
    assert st.st_uid == vmail and not st.st_mode & 0o007, oct(st.st_mode)
    c.cmd("QUIT")
    c.close()


@phtest.case
def enable_pop3_off_installs_nothing(s):
    t = phtest.Suite(extra_env={"ENABLE_POP3": "0"})
    t.start()
    try:
        names = sorted(p.name for p in (t.state / "service").iterdir())
        assert not any(n.startswith("pop3") for n in names), names
        try:
            socket.create_connection(("127.0.0.1", t.port("pop3")), timeout=3).close()
            raise AssertionError("something listens on the pop3 port")
        except ConnectionRefusedError:
            pass
    finally:
        t.stop()
        os.system("rm -rf %s" % t.tmp)


if __name__ == "__main__":
    phtest.main()
