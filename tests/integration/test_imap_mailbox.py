"""The authenticated IMAP session (imap-session, uid vmail): every
command of imapd/imap_session*.c and imapd/imap_cmd_*.c except FETCH,
STORE, SEARCH, SORT and THREAD (used here only to look), with their
error paths; untagged updates between two sessions; IDLE woken by an
SMTP delivery; COMPRESS=DEFLATE; QRESYNC's VANISHED (EARLIER); the
autologout and the BAD limit (imapd/README.md, "Protocol").
"""

import pathlib
import re
import select
import socket
import ssl
import sys
import time
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import phtest  # noqa: E402
import imapinterop as ii  # noqa: E402

DEMO = ii.DEMO


def msg(mark, size=0):
    body = "body %s\r\n" % mark + ("x" * 70 + "\r\n") * (size // 72)
    return ("From: a@example.org\r\nTo: %s\r\nSubject: %s\r\n"
            "Date: Fri, 27 Nov 2026 12:00:00 +0000\r\n\r\n%s" % (DEMO, mark, body)).encode()


def append(c, box, data, flags=b"", ok=True):
    """APPEND with a synchronizing literal; returns the tagged line."""
    c.n += 1
    tag = b"r%d" % c.n
    head = tag + b" APPEND " + box + b" " + (flags + b" " if flags else b"") + b"{%d}\r\n" % len(data)
    c.send(head)
    ln = c.line(10)
    if ln is None or not ln.startswith(b"+"):
        raise AssertionError("APPEND: no continuation: %r; %s" % (ln, c.transcript.tail()))
    c.send(data + b"\r\n")
    while True:
        ln = c.line(30)
        assert ln is not None, "APPEND: no answer; %s" % c.transcript.tail()
        if ln.startswith(tag + b" "):
            if ok:
                assert ln.startswith(tag + b" OK"), ln
            return ln


def code(tagged, name):
    m = re.search(rb"\[" + name.encode() + rb"(?: ([^\]]*))?\]", tagged)
    assert m, "no [%s] in %r" % (name, tagged)
    return m.group(1)


def fresh_box(c, name):
    c.command(b"DELETE " + name, ok=False)
    c.command(b"CREATE " + name)


def select_box(c, name, extra=b""):
    un, tagged = c.command(b"SELECT " + name + extra)
    exists = [int(x.split()[1]) for x in un if x.endswith(b" EXISTS")]
    assert exists, un
    return un, exists[-1]


def session(s):
    return ii.Raw(s)


def mbx(ln):
    """The mailbox name at the end of a LIST/LSUB line, unquoted."""
    m = re.search(rb'"((?:[^"\\]|\\.)*)"$', ln)
    return m.group(1).replace(b"\\\\", b"\\").replace(b'\\"', b'"') if m else ln.rsplit(b" ", 1)[-1]


@phtest.case
def login_answer_has_capabilities(s):
    c = ii.Raw.__new__(ii.Raw)
    # the tagged OK of LOGIN comes from imap-session itself
    c.transcript = ii.Transcript()
    c.sock = socket.create_connection(("127.0.0.1", s.port("imap")), timeout=30)
    c.buf = b""
    c.n = 0
    c.line(10)
    c.command("STARTTLS")
    c.sock = ii.tls_context(s).wrap_socket(c.sock, server_hostname=ii.TLS_NAME)
    _, tagged = c.command('LOGIN "%s" "%s"' % (DEMO, s.password))
    caps = code(tagged, "CAPABILITY").split()
    for want in (b"IMAP4rev1", b"IMAP4rev2", b"IDLE", b"MOVE", b"UIDPLUS", b"QRESYNC", b"CONDSTORE",
                 b"COMPRESS=DEFLATE", b"LIST-STATUS", b"SPECIAL-USE", b"QUOTA", b"STATUS=SIZE", b"UTF8=ACCEPT"):
        assert want in caps, (want, caps)
    assert [x for x in caps if x.startswith(b"APPENDLIMIT=")], caps
    assert not [x for x in caps if x.startswith(b"AUTH=")], caps
    un, _ = c.command("CAPABILITY")
    assert un and un[0].startswith(b"* CAPABILITY IMAP4rev1"), un
    _, t = c.command("LOGIN a b", ok=False)
    assert b" BAD " in t, t
    c.close()


@phtest.case
def select_missing_and_bad_state(s):
    c = session(s)
    _, t = c.command("SELECT NoSuchBox", ok=False)
    assert b" NO [NONEXISTENT]" in t, t
    _, t = c.command("EXPUNGE", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("FROBNICATE", ok=False)
    assert b" BAD " in t, t
    un, t = c.command("SELECT INBOX")
    assert b"[READ-WRITE]" in t, t
    assert any(x.startswith(b"* FLAGS (") for x in un), un
    assert any(b"[UIDVALIDITY " in x for x in un), un
    assert any(b"[UIDNEXT " in x for x in un), un
    assert any(b"[PERMANENTFLAGS (" in x for x in un), un
    assert any(x.endswith(b" RECENT") for x in un), un   # IMAP4rev1 until ENABLE IMAP4rev2
    # a failed SELECT leaves no mailbox selected
    _, t = c.command("SELECT NoSuchBox", ok=False)
    assert b" NO " in t, t
    _, t = c.command("CLOSE", ok=False)
    assert b" BAD " in t, t
    un, t = c.command("EXAMINE INBOX")
    assert b"[READ-ONLY]" in t, t
    assert any(b"[PERMANENTFLAGS ()]" in x for x in un), un
    _, t = c.command("EXPUNGE", ok=False)
    assert b" NO " in t, t
    # switching mailboxes says [CLOSED] first
    un, _ = c.command("SELECT INBOX")
    assert un[0].startswith(b"* OK [CLOSED]"), un
    c.command("UNSELECT")
    c.close()


@phtest.case
def create_delete_rename_subscribe(s):
    c = session(s)
    c.command("DELETE Proj", ok=False)
    c.command("DELETE Renamed", ok=False)
    c.command("CREATE Proj")
    _, t = c.command("CREATE Proj", ok=False)
    assert b" NO [ALREADYEXISTS]" in t, t
    _, t = c.command("CREATE INBOX", ok=False)
    assert b" NO " in t, t
    _, t = c.command("DELETE INBOX", ok=False)
    assert b" NO " in t, t
    _, t = c.command("CREATE \"bad/name\"", ok=False)
    assert b" NO " in t, t
    _, t = c.command("CREATE \"&Jjo-bad&\"", ok=False)   # malformed modified UTF-7
    assert b" NO " in t, t
    c.command("CREATE Proj.Sub")
    un, _ = c.command('LIST "" "Proj*"')
    names = [ln for ln in un if ln.startswith(b"* LIST")]
    assert any(b"\\HasChildren" in ln and mbx(ln) == b"Proj" for ln in names), names
    assert any(mbx(ln) == b"Proj.Sub" for ln in names), names
    un, _ = c.command('LIST "" "Proj%"')
    assert not any(b"Proj.Sub" in ln for ln in un), un
    c.command("RENAME Proj Renamed")
    un, _ = c.command('LIST "" "*"')
    assert any(mbx(ln) == b"Renamed.Sub" for ln in un), un
    assert not any(mbx(ln) == b"Proj" for ln in un), un
    _, t = c.command("RENAME Proj Other", ok=False)
    assert b" NO [NONEXISTENT]" in t, t
    _, t = c.command("RENAME Renamed INBOX", ok=False)
    assert b" NO " in t, t
    c.command("SUBSCRIBE Renamed")
    un, _ = c.command('LSUB "" "Ren*"')
    assert any(ln.startswith(b"* LSUB") and mbx(ln) == b"Renamed" for ln in un), un
    un, _ = c.command('LIST (SUBSCRIBED) "" "Ren*"')
    assert any(b"\\Subscribed" in ln and mbx(ln) == b"Renamed" for ln in un), un
    c.command("UNSUBSCRIBE Renamed")
    un, _ = c.command('LSUB "" "Ren*"')
    assert not any(ln.startswith(b"* LSUB") and mbx(ln) == b"Renamed" for ln in un), un
    c.command("DELETE Renamed.Sub")
    c.command("DELETE Renamed")
    _, t = c.command("DELETE Renamed", ok=False)
    assert b" NO [NONEXISTENT]" in t, t
    # CREATE-SPECIAL-USE (RFC 6154 §3)
    c.command("DELETE MyArchive", ok=False)
    c.command("CREATE MyArchive (USE (\\Archive))")
    un, _ = c.command('LIST "" MyArchive')
    assert any(b"\\Archive" in ln for ln in un), un
    _, t = c.command("CREATE Odd (USE (\\Bogus))", ok=False)
    assert b" NO [USEATTR]" in t, t
    c.command("DELETE MyArchive")
    c.close()


@phtest.case
def list_variants(s):
    c = session(s)
    un, _ = c.command('LIST "" ""')
    assert un == [b'* LIST (\\Noselect) "." ""'], un
    un, _ = c.command('LIST "" "*"')
    lines = [ln for ln in un if ln.startswith(b"* LIST")]
    assert lines and mbx(lines[0]) == b"INBOX", lines
    assert any(b"\\Sent" in ln for ln in lines) and any(b"\\Trash" in ln for ln in lines), lines
    un, _ = c.command('LIST "" "inbox"')
    assert any(mbx(ln) == b"INBOX" for ln in un), un
    un, _ = c.command('LIST (SPECIAL-USE) "" "*"')
    lines = [ln for ln in un if ln.startswith(b"* LIST")]
    assert lines and not any(mbx(ln) == b"INBOX" for ln in lines), lines
    un, _ = c.command('LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT SIZE))')
    st = [ln for ln in un if ln.startswith(b"* STATUS")]
    assert any(b"INBOX" in ln and b"MESSAGES" in ln and b"UIDNEXT" in ln and b"SIZE" in ln for ln in st), un
    un, _ = c.command('LIST "" ("INBOX" "Sent") RETURN (CHILDREN)')
    assert len([ln for ln in un if ln.startswith(b"* LIST")]) == 2, un
    un, _ = c.command("NAMESPACE")
    assert un == [b'* NAMESPACE (("" ".")) NIL NIL'], un
    un, _ = c.command('ID ("name" "test")')
    assert un and un[0].startswith(b"* ID ("), un
    un, _ = c.command("ID NIL")
    c.close()


@phtest.case
def append_status_and_limits(s):
    c = session(s)
    fresh_box(c, b"Ap")
    t = append(c, b"Ap", msg("one"), flags=b"(\\Seen $Label1)")
    uidvalidity, uid = code(t, "APPENDUID").split()
    assert int(uid) >= 1
    t = append(c, b"Ap", msg("two"), flags=b'(\\Deleted) "01-Jan-2020 10:00:00 +0000"')
    # literal8 (BINARY, RFC 3516)
    c.n += 1
    data = msg("three")
    c.send(b"r%d APPEND Ap ~{%d+}\r\n" % (c.n, len(data)) + data + b"\r\n")
    while True:
        ln = c.line(10)
        assert ln is not None
        if ln.startswith(b"r%d " % c.n):
            assert b" OK [APPENDUID" in ln, ln
            break
    un, _ = c.command("STATUS Ap (MESSAGES UNSEEN DELETED SIZE UIDNEXT UIDVALIDITY HIGHESTMODSEQ APPENDLIMIT)")
    st = un[0]
    assert re.match(rb'\* STATUS "?Ap"? \(', st), st
    fields = dict(zip(*[iter(st[st.index(b"(") + 1:-1].split())] * 2))
    assert fields[b"MESSAGES"] == b"3" and fields[b"UNSEEN"] == b"2" and fields[b"DELETED"] == b"1", fields
    assert int(fields[b"SIZE"]) >= len(msg("one")) * 3 - 10, fields
    assert fields[b"UIDVALIDITY"] == uidvalidity, fields
    assert int(fields[b"UIDNEXT"]) == int(uid) + 3, fields
    limit = int(fields[b"APPENDLIMIT"])
    _, t = c.command("STATUS Missing (MESSAGES)", ok=False)
    assert b" NO [NONEXISTENT]" in t, t
    # [TRYCREATE] for a missing mailbox
    t = append(c, b"NoSuchFolder", msg("x"), ok=False)
    assert b" NO [TRYCREATE]" in t, t
    # [TOOBIG]: the synchronizing literal is refused before its bytes
    c.n += 1
    c.send(b"r%d APPEND Ap {%d}\r\n" % (c.n, limit + 1))
    ln = c.line(10)
    assert ln is not None and ln.startswith(b"r%d NO [TOOBIG]" % c.n), ln
    c.command("NOOP")
    # SELECT shows them, EXPUNGE removes the \Deleted one
    un, exists = select_box(c, b"Ap")
    assert exists == 3, un
    un, t = c.command("EXPUNGE")
    assert un == [b"* 2 EXPUNGE"], un
    un, _ = c.command("STATUS Ap (MESSAGES DELETED)")
    assert b"MESSAGES 2" in un[0] and b"DELETED 0" in un[0], un
    c.command("CLOSE")
    c.command("DELETE Ap")
    c.close()


@phtest.case
def copy_move_uid_expunge(s):
    c = session(s)
    fresh_box(c, b"Src")
    fresh_box(c, b"Dst")
    uids = [int(code(append(c, b"Src", msg("m%d" % i)), "APPENDUID").split()[1]) for i in range(4)]
    select_box(c, b"Src")
    _, t = c.command("COPY 1:2 Dst")
    cu = code(t, "COPYUID").split()
    assert cu[1] == b"%d:%d" % (uids[0], uids[1]), cu
    _, t = c.command("COPY 1 NoSuch", ok=False)
    assert b" NO [TRYCREATE]" in t, t
    _, t = c.command("COPY 9 Dst", ok=False)
    assert b" BAD " in t, t
    _, t = c.command("UID COPY 999999 Dst")   # no such UID: no error, nothing copied
    un, t = c.command("UID MOVE %d Dst" % uids[2])
    assert un[0].startswith(b"* OK [COPYUID "), un
    assert un[1] == b"* 3 EXPUNGE", un
    un, _ = c.command("STATUS Dst (MESSAGES)")
    assert b"MESSAGES 3" in un[0], un
    # UID EXPUNGE removes only the UIDs named (RFC 4315)
    c.command("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    un, _ = c.command("UID EXPUNGE %d" % uids[3])
    assert un == [b"* 3 EXPUNGE"], un
    un, _ = c.command("STATUS Src (MESSAGES)")
    assert b"MESSAGES 2" in un[0], un
    # CLOSE expunges silently
    un, _ = c.command("CLOSE")
    assert not any(b"EXPUNGE" in x for x in un), un
    un, _ = c.command("STATUS Src (MESSAGES)")
    assert b"MESSAGES 0" in un[0], un
    c.command("DELETE Src")
    c.command("DELETE Dst")
    c.close()


@phtest.case
def two_sessions_see_flags_and_expunges(s):
    a = session(s)
    b = session(s)
    fresh_box(a, b"Shared")
    for i in range(3):
        append(a, b"Shared", msg("s%d" % i))
    select_box(a, b"Shared")
    select_box(b, b"Shared")
    b.command("STORE 2 +FLAGS (\\Flagged)")
    un, _ = a.command("NOOP")
    assert any(re.match(rb"\* 2 FETCH \(.*\\Flagged", x) for x in un), un
    b.command("STORE 1 +FLAGS (\\Deleted)")
    b.command("EXPUNGE")
    un, _ = a.command("NOOP")
    assert b"* 1 EXPUNGE" in un, un
    append(b, b"Shared", msg("new"))
    un, _ = a.command("NOOP")
    assert b"* 3 EXISTS" in un, un
    a.close()
    b.close()


@phtest.case
def idle_sees_smtp_delivery(s):
    c = session(s)
    select_box(c, b"INBOX")
    c.idle_start()
    mark = "idle%d" % int(time.time() * 1000)
    ii.deliver(s, [mark])
    landed = time.monotonic()
    got = None
    while time.monotonic() - landed < 1.0:
        ln = c.line(max(0.05, 1.0 - (time.monotonic() - landed)))
        if ln is not None and ln.endswith(b" EXISTS"):
            got = ln
            break
    assert got, "no EXISTS within 1 s of the delivery; %s" % c.transcript.tail()
    c.idle_done()
    # a second IDLE ends with DONE at once; anything else is BAD
    c.idle_start()
    c.send(b"NOTDONE\r\n")
    ln = c.line(5)
    assert ln is not None and ln.startswith(c.idle_tag + b" BAD"), ln
    c.close()


class Deflated:
    """The post-COMPRESS side of a Raw client: raw deflate both ways."""

    def __init__(self, raw):
        self.raw = raw
        self.co = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.do = zlib.decompressobj(-15)
        # whatever came after the OK is already compressed
        self.buf = self.do.decompress(raw.buf)
        raw.buf = b""
        self.n = 100

    def send(self, data):
        self.raw.sock.sendall(self.co.compress(data) + self.co.flush(zlib.Z_SYNC_FLUSH))

    def line(self, timeout=20):
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sock = self.raw.sock
            if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                r, _, _ = select.select([sock], [], [], left)
                if not r:
                    return None
            d = sock.recv(65536)
            assert d, "closed"
            self.buf += self.do.decompress(d)
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def command(self, text):
        self.n += 1
        tag = b"z%d" % self.n
        self.send(tag + b" " + text + b"\r\n")
        un = []
        while True:
            ln = self.line()
            assert ln is not None, "no answer to %r" % text
            if ln.startswith(tag + b" "):
                return un, ln
            un.append(ln)


@phtest.case
def compress_deflate(s):
    c = session(s)
    _, t = c.command("COMPRESS DEFLATE")
    assert b"OK" in t, t
    z = Deflated(c)
    un, t = z.command(b"CAPABILITY")
    assert t.endswith(b"OK CAPABILITY completed") and b"COMPRESS=DEFLATE" not in un[0], (un, t)
    un, t = z.command(b"SELECT INBOX")
    assert b"[READ-WRITE]" in t, (un, t)
    un, t = z.command(b"FETCH 1:* (UID FLAGS)")
    assert b" OK" in t, t
    un, t = z.command(b"COMPRESS DEFLATE")
    assert b" NO [COMPRESSIONACTIVE]" in t, t
    un, t = z.command(b"LOGOUT")
    assert un and un[0].startswith(b"* BYE"), un


@phtest.case
def qresync_select_reports_vanished(s):
    c = session(s)
    fresh_box(c, b"Qr")
    for i in range(4):
        append(c, b"Qr", msg("q%d" % i))
    un, _ = c.command("ENABLE QRESYNC")
    assert un == [b"* ENABLED QRESYNC"], un
    un, t = c.command("SELECT Qr")
    uidvalidity = int(code(b" ".join(un), "UIDVALIDITY"))
    modseq = int(code(b" ".join(un), "HIGHESTMODSEQ"))
    un, _ = c.command("UID FETCH 1:* (FLAGS)")
    uids = sorted(int(re.search(rb"UID (\d+)", x).group(1)) for x in un if b"FETCH" in x)
    assert len(uids) == 4, un
    # another session removes the second message and flags the third
    b = session(s)
    select_box(b, b"Qr")
    b.command("UID STORE %d +FLAGS (\\Deleted)" % uids[1])
    b.command("UID STORE %d +FLAGS (\\Flagged)" % uids[2])
    b.command("EXPUNGE")
    b.close()
    # under QRESYNC the first session hears VANISHED, not EXPUNGE
    un, _ = c.command("NOOP")
    assert any(x.startswith(b"* VANISHED ") for x in un) and not any(b"EXPUNGE" in x for x in un), un
    c.close()
    # a new session resynchronises in its SELECT
    d = session(s)
    d.command("ENABLE QRESYNC")
    un, t = d.command("SELECT Qr (QRESYNC (%d %d %d:%d))" % (uidvalidity, modseq, uids[0], uids[-1]))
    assert b"* VANISHED (EARLIER) %d" % uids[1] in un, un
    assert any(re.match(rb"\* \d+ FETCH \(UID %d .*\\Flagged.*MODSEQ" % uids[2], x) for x in un), un
    _, t = d.command("SELECT Qr (QRESYNC (%d %d))" % (uidvalidity + 1, modseq))
    d.command("UNSELECT")
    d.close()
    e = session(s)
    _, t = e.command("SELECT Qr (QRESYNC (1 1))", ok=False)   # QRESYNC not enabled
    assert b" BAD " in t, t
    e.command("DELETE Qr")
    e.close()


@phtest.case
def quota_and_enable(s):
    c = session(s)
    un, _ = c.command("GETQUOTAROOT INBOX")
    assert re.match(rb'\* QUOTAROOT "?INBOX"?', un[0] if un else b""), un
    if un[0].endswith(b'""'):
        assert re.match(rb'\* QUOTA "" \(STORAGE \d+ \d+', un[1]), un
        un, _ = c.command('GETQUOTA ""')
        assert re.match(rb'\* QUOTA "" \(STORAGE \d+ \d+', un[0]), un
    _, t = c.command('SETQUOTA "" (STORAGE 10)', ok=False)
    assert b" NO " in t, t
    _, t = c.command('GETQUOTA "other"', ok=False)
    assert b" NO " in t, t
    un, _ = c.command("ENABLE IMAP4rev2 CONDSTORE FOO")
    assert un == [b"* ENABLED IMAP4rev2 CONDSTORE"], un
    un, t = c.command("SELECT INBOX")
    assert not any(x.endswith(b" RECENT") for x in un), un   # IMAP4rev2: no RECENT
    assert any(b"[HIGHESTMODSEQ " in x for x in un), un
    assert any(x.startswith(b"* LIST () \".\" ") and mbx(x) == b"INBOX" for x in un), un
    _, t = c.command("ENABLE QRESYNC", ok=False)   # only before selecting
    assert b" BAD " in t, t
    c.close()


@phtest.case
def quota_overquota(s):
    addr, pw = "qi@example.test", "pw-quota-imap-1"
    if addr not in s.mailctl("email", "list").stdout.split():
        s.mailctl("email", "add", addr, pw)
    s.mailctl("quota", "set", addr, "20k")
    c = ii.Raw(s, user=addr, password=pw)
    append(c, b"INBOX", msg("small", 4000))
    un, _ = c.command("GETQUOTAROOT INBOX")
    m = re.match(rb'\* QUOTA "" \(STORAGE (\d+) (\d+)\)', un[1]) if len(un) > 1 else None
    assert m and 4 <= int(m.group(1)) <= 6 and int(m.group(2)) == 20, un
    t = append(c, b"INBOX", msg("big", 18000), ok=False)
    assert b" NO [OVERQUOTA]" in t, t
    append(c, b"INBOX", msg("second", 8000))
    select_box(c, b"INBOX")
    _, t = c.command("COPY 1:* INBOX", ok=False)   # 12 KiB more would not fit
    assert b" NO [OVERQUOTA]" in t, t
    _, t = c.command("MOVE 1 Trash")   # a move inside the account is free
    c.close()


@phtest.case
def bad_command_limit(s):
    c = session(s)
    for i in range(19):
        _, t = c.command("BOGUS%d" % i, ok=False)
        assert b" BAD " in t, t
    c.command("NOOP")    # a good command resets the count
    for i in range(19):
        c.command("BOGUS%d" % i, ok=False)
    c.n += 1
    c.send(b"r%d BOGUS\r\n" % c.n)
    lines = []
    try:
        for _ in range(3):
            ln = c.line(5)
            if ln is None:
                break
            lines.append(ln)
    except AssertionError:   # the server closed the connection, as it should
        pass
    assert any(x.startswith(b"* BYE") for x in lines), lines
    assert s.wait_for(lambda: "event=too_many_bad" in s.log("imap-session"), 5), s.log("imap-session")[-2000:]
    assert s.wait_for(lambda: "event=bad_command" in s.log("imap-session"), 10)


@phtest.case
def autologout(s):
    p = s.state / "config" / "mailserver.env"
    before = p.read_text()
    p.write_text(before + "PH_IMAP_IDLE_TIMEOUT=2\n")
    try:
        c = session(s)
        c.idle_start()
        t0 = time.monotonic()
        ln = c.line(10)
        assert ln is not None and ln.startswith(b"* BYE"), ln
        assert 1.5 <= time.monotonic() - t0 < 8, time.monotonic() - t0
    finally:
        p.write_text(before)


if __name__ == "__main__":
    phtest.main()
