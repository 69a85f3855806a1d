"""deliverd on its own, through its real s6 service (s6-envuidgid vmail
s6-ipcserver -U ...), driven by a Python client speaking skalibs'
unixmessage framing: a 6-byte header (uint32 body length, uint16 fd count,
big endian) then the body, the fds riding SCM_RIGHTS on the first bytes.
docs/internals.md, "Delivery", is the contract under test."""

import os
import pathlib
import pwd
import re
import socket
import struct
import subprocess
import sys
import threading

import phtest
import unixmsgclient

IDLE = 3


qid = unixmsgclient.qid


class Client(unixmsgclient.Client):
    def __init__(self, s):
        super().__init__(s.env["PH_RUN_DIR"] + "/deliverd.sock", 20)

    def reply(self):
        return self.fields()

    def deliver(self, sender, rcpt, message, extra=()):
        fd = message_fd(message)
        try:
            self.send([b"I" + qid().encode(), b"F" + sender.encode(), b"T" + rcpt.encode()] + list(extra), [fd])
        finally:
            os.close(fd)
        return self.reply()


def message_fd(message):
    """A read-only fd on an unlinked file holding message, positioned at
    its end: deliverd must read from offset 0 with pread."""
    return unixmsgclient.message_fd(message, prefix="deliverd-msg.")


def deliver(s, sender, rcpt, message, extra=()):
    c = Client(s)
    try:
        return c.deliver(sender, rcpt, message, extra)
    finally:
        c.close()


def files(s, maildir, sub="new"):
    d = s.state / "mail" / maildir / sub
    try:
        return sorted(p for p in d.iterdir() if p.is_file())
    except FileNotFoundError:
        return []


def vmail_mkdir(path):
    path.mkdir(parents=True, exist_ok=True)
    pw = pwd.getpwnam("vmail")
    os.chown(path, pw.pw_uid, pw.pw_gid)


def log_has(s, pattern):
    return s.wait_for(lambda: re.search(pattern, s.log("deliverd"), re.M), 5)


MSG = b"From: a@sender.test\nSubject: test\n\nbody\n.dot line\n"


@phtest.case
def delivers_to_account_with_trace_headers(s):
    before = files(s, "example.test/demo")
    q = qid()
    fd = message_fd(MSG)
    c = Client(s)
    c.send([b"I" + q.encode(), b"Fa@sender.test", b"Tdemo@example.test", b"Xfuture=ignored"], [fd])
    os.close(fd)
    r = c.reply()
    c.close()
    assert r and len(r) == 1 and r[0].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
    new = [p for p in files(s, "example.test/demo") if p not in before]
    assert len(new) == 1, new
    f = new[0]
    assert r[0].endswith(f.name.encode()), (r, f.name)
    assert re.fullmatch(r"\d+\.V[0-9a-f]+I[0-9a-f]+M\d+\.[^/:]+,S=(\d+)", f.name), f.name
    assert int(f.name.rsplit("S=", 1)[1]) == f.stat().st_size
    assert f.read_bytes() == b"Return-Path: <a@sender.test>\nDelivered-To: demo@example.test\n" + MSG
    st = f.stat()
    assert st.st_uid == pwd.getpwnam("vmail").pw_uid and (st.st_mode & 0o777) == 0o600, (st.st_uid, oct(st.st_mode))
    # tmp/ keeps the duplicate-suppression record: <qid>.<hash>, a hard
    # link to the delivered file (deliverd/README.md)
    rec = [p for p in files(s, "example.test/demo", "tmp") if p.name.startswith(q + ".")]
    assert len(rec) == 1 and re.fullmatch(re.escape(q) + r"\.[0-9a-f]{16}", rec[0].name), rec
    assert rec[0].stat().st_ino == st.st_ino and st.st_nlink == 2, (rec, st)
    assert log_has(s, r'event=delivered qid=%s rcpt=demo@example.test to=demo@example.test maildir="?example.test/demo/new/%s' % (q, re.escape(f.name)))


@phtest.case
def null_sender_and_mixed_case_recipient(s):
    r = deliver(s, "", "Demo@Example.TEST", MSG)
    assert r and r[-1].startswith(b"K2.0.0"), r
    got = [p.read_bytes() for p in files(s, "example.test/demo")]
    assert any(g.startswith(b"Return-Path: <>\nDelivered-To: demo@example.test\n") for g in got), got[-1][:200]


@phtest.case
def several_requests_on_one_connection(s):
    before = len(files(s, "example.test/demo"))
    c = Client(s)
    for i in range(5):
        r = c.deliver("a@sender.test", "demo@example.test", b"Subject: n%d\n\nx\n" % i)
        assert r and r[-1].startswith(b"K2.0.0"), (i, r)
    c.close()
    assert len(files(s, "example.test/demo")) == before + 5


@phtest.case
def pipelined_requests(s):
    """Two requests in one write (both fds on it): both are answered, in order."""
    before = len(files(s, "example.test/demo"))
    c = Client(s)
    a, b = message_fd(b"Subject: p1\n\nx\n"), message_fd(b"Subject: p2\n\nx\n")
    data = b""
    for rcpt in (b"demo@example.test", b"nobody@example.test"):
        body = b"I" + qid().encode() + b"\0Fa@sender.test\0T" + rcpt + b"\0"
        data += struct.pack(">IH", len(body), 1) + body
    n = socket.send_fds(c.sock, [data], [a, b])
    c.sock.sendall(data[n:])
    os.close(a)
    os.close(b)
    r1, r2 = c.reply(), c.reply()
    c.close()
    assert r1 and r1[-1].startswith(b"K2.0.0"), r1
    assert r2 == [b"D5.1.1 unknown user"], r2
    assert len(files(s, "example.test/demo")) == before + 1


@phtest.case
def unknown_user_is_permanent(s):
    r = deliver(s, "a@sender.test", "nobody@example.test", MSG)
    assert r == [b"D5.1.1 unknown user"], r
    assert log_has(s, r"event=failed qid=\w+ rcpt=nobody@example.test .*reason=\"unknown user\"")


def set_env(s, name, value):
    """Set (or with None remove) a setting in mailserver.env: every new
    deliverd (one per connection) reads it at start."""
    f = pathlib.Path(s.env["PH_ENVFILE"])
    lines = [ln for ln in f.read_text().splitlines() if not ln.startswith(name + "=")]
    if value is not None:
        lines.append("%s=%s" % (name, value))
    f.write_text("\n".join(lines) + "\n")


@phtest.case
def plus_tag_goes_to_inbox_by_default(s):
    """docker-mailserver (Dovecot lmtp_save_to_detail_mailbox = no)
    delivers +tag mail to INBOX: so do we unless PH_TAG_TO_FOLDER=1."""
    vmail_mkdir(s.state / "mail/example.test/demo/.Work")
    before = len(files(s, "example.test/demo/.Work"))
    r = deliver(s, "a@sender.test", "demo+work@example.test", MSG)
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
    assert len(files(s, "example.test/demo/.Work")) == before
    got = pathlib.Path(s.state / "mail" / r[-1].split(b"maildir=", 1)[1].decode()).read_bytes()
    assert b"Delivered-To: demo+work@example.test\n" in got


@phtest.case
def plus_tag_delivers_to_existing_folder_only(s):
    set_env(s, "PH_TAG_TO_FOLDER", "1")
    vmail_mkdir(s.state / "mail/example.test/demo/.Work")
    before = set(files(s, "example.test/demo/.Work"))
    r = deliver(s, "a@sender.test", "demo+work@example.test", MSG)
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/.Work/new/"), r
    work = sorted(set(files(s, "example.test/demo/.Work")) - before)
    assert len(work) == 1 and b"Delivered-To: demo+work@example.test\n" in work[0].read_bytes()
    assert (s.state / "mail/example.test/demo/.Work/maildirfolder").exists()
    before = len(files(s, "example.test/demo"))
    r = deliver(s, "a@sender.test", "demo+nosuchfolder@example.test", MSG)
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
    assert len(files(s, "example.test/demo")) == before + 1
    assert not (s.state / "mail/example.test/demo/.nosuchfolder").exists()


@phtest.case
def plus_tag_never_fills_special_use_folders(s):
    """Even with PH_TAG_TO_FOLDER=1, outside senders cannot drop mail into
    Drafts, Sent, Trash (or Junk), whatever the case of tag or folder."""
    for name in ("Drafts", "Sent", "Trash", "Junk", "sent"):
        vmail_mkdir(s.state / ("mail/example.test/demo/." + name))
    for tag in ("drafts", "sent", "trash", "junk", "SENT"):
        before = len(files(s, "example.test/demo"))
        r = deliver(s, "a@sender.test", "demo+%s@example.test" % tag, MSG)
        assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), (tag, r)
        assert len(files(s, "example.test/demo")) == before + 1, tag
    for name in ("Drafts", "Sent", "Trash", "Junk", "sent"):
        assert not files(s, "example.test/demo/." + name), name


@phtest.case
def folder_symlink_is_not_followed(s):
    """The reviewer's case: .Evil -> a directory outside PH_MAILROOT."""
    outside = s.tmp / "outside"
    vmail_mkdir(outside)
    os.symlink(outside, s.state / "mail/example.test/demo/.Evil")
    try:
        r = deliver(s, "a@sender.test", "demo+evil@example.test", MSG)
        assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
        assert not any(outside.rglob("*")), list(outside.rglob("*"))
    finally:
        os.unlink(s.state / "mail/example.test/demo/.Evil")
    set_env(s, "PH_TAG_TO_FOLDER", None)


@phtest.case
def alias_fans_out_and_forwards(s):
    s.mailctl("email", "add", "carol@example.test", "carol-password-1")
    for t in ("demo@example.test", "carol@example.test", "ext@remote.test"):
        s.mailctl("alias", "add", "team@example.test", t)
    before_demo = len(files(s, "example.test/demo"))
    before_carol = len(files(s, "example.test/carol"))
    r = deliver(s, "a@sender.test", "team@example.test", MSG)
    assert r and r[0] == b"Rext@remote.test" and r[-1].startswith(b"K2.0.0 delivered to 2 mailbox(es), forwarded to 1"), r
    assert len(files(s, "example.test/demo")) == before_demo + 1
    assert len(files(s, "example.test/carol")) == before_carol + 1
    assert b"Delivered-To: carol@example.test\n" in files(s, "example.test/carol")[-1].read_bytes()
    assert log_has(s, r"event=forwarded qid=\w+ rcpt=team@example.test to=ext@remote.test")


@phtest.case
def remote_recipient_is_misrouted_not_forwarded(s):
    """A recipient outside our domains reached local delivery by mistake:
    no R line for itself (queued would loop it back), no K; Z4.3.5 keeps
    it queued, and the log says so loudly."""
    r = deliver(s, "a@sender.test", "someone@remote.test", MSG)
    assert r and len(r) == 1 and r[0].startswith(b"Z4.3.5 "), r
    assert log_has(s, r"event=misrouted qid=\w+ rcpt=someone@remote.test .*reason=")


@phtest.case
def mail_loop_refused(s):
    before = len(files(s, "example.test/demo"))
    looped = b"Received: from x\nDelivered-To:\n  Demo@Example.test\nSubject: loop\n\nDelivered-To: other@x\n"
    r = deliver(s, "a@sender.test", "demo@example.test", looped)
    assert r and r[-1].startswith(b"D5.4.6"), r
    assert len(files(s, "example.test/demo")) == before
    # a Delivered-To in the body or for someone else is no loop
    ok = b"Delivered-To: someone@else.test\nSubject: fine\n\nDelivered-To: demo@example.test\n"
    r = deliver(s, "a@sender.test", "demo@example.test", ok)
    assert r and r[-1].startswith(b"K2.0.0"), r


@phtest.case
def temporary_failure_leaves_nothing_behind(s):
    s.mailctl("email", "add", "locked@example.test", "locked-password-1")
    md = s.state / "mail/example.test/locked"
    for sub in ("", "cur", "new", "tmp"):
        vmail_mkdir(md / sub)
    os.chown(md / "new", 0, 0)   # vmail may not rename into it
    os.chmod(md / "new", 0o755)
    try:
        r = deliver(s, "a@sender.test", "locked@example.test", MSG)
        assert r and len(r) == 1 and r[0].startswith(b"Z4.3.0 local delivery failed"), r
        assert not files(s, "example.test/locked", "tmp"), "tmp file left behind"
        assert not files(s, "example.test/locked", "new")
        assert log_has(s, r"event=deferred qid=\w+ rcpt=locked@example.test")
    finally:
        pw = pwd.getpwnam("vmail")
        os.chown(md / "new", pw.pw_uid, pw.pw_gid)
    r = deliver(s, "a@sender.test", "locked@example.test", MSG)
    assert r and r[-1].startswith(b"K2.0.0"), r


def assert_dropped(s, send, why):
    c = Client(s)
    try:
        send(c)
        assert c.closed(), "connection not closed after " + why
    finally:
        c.close()


@phtest.case
def malformed_requests_are_dropped(s):
    def no_fd(c):
        c.send([b"I" + qid().encode(), b"Fa@b.test", b"Tdemo@example.test"])

    def two_fds(c):
        a, b = message_fd(MSG), message_fd(MSG)
        c.send([b"I" + qid().encode(), b"Fa@b.test", b"Tdemo@example.test"], [a, b])
        os.close(a)
        os.close(b)

    def missing_rcpt(c):
        fd = message_fd(MSG)
        c.send([b"I" + qid().encode(), b"Fa@b.test"], [fd])
        os.close(fd)

    def bad_qid(c):
        fd = message_fd(MSG)
        c.send([b"Ishort", b"Fa@b.test", b"Tdemo@example.test"], [fd])
        os.close(fd)

    def header_injection(c):
        fd = message_fd(MSG)
        c.send([b"I" + qid().encode(), b"Fa@b.test>\nX-Evil: 1", b"Tdemo@example.test"], [fd])
        os.close(fd)

    def unknown_field(c):
        fd = message_fd(MSG)
        c.send([b"I" + qid().encode(), b"Fa@b.test", b"Tdemo@example.test", b"Qwhat"], [fd])
        os.close(fd)

    def huge_length(c):
        fd = message_fd(MSG)
        c.send([b"I" + qid().encode()], [fd], length=200 * 1024 * 1024)
        os.close(fd)

    def pipe_fd(c):
        rfd, wfd = os.pipe()
        c.send([b"I" + qid().encode(), b"Fa@b.test", b"Tdemo@example.test"], [rfd])
        os.close(rfd)
        os.close(wfd)

    cases = [(no_fd, "request without exactly one fd"), (two_fds, "request without exactly one fd"),
             (missing_rcpt, "missing field"), (bad_qid, "invalid queue id"),
             (header_injection, "invalid sender"), (unknown_field, "unknown field"),
             (huge_length, "request too long"), (pipe_fd, "the fd is not a regular file")]
    before = len(files(s, "example.test/demo"))
    for fn, reason in cases:
        n = s.log("deliverd").count('event=protocol_error reason="%s"' % reason)
        assert_dropped(s, fn, fn.__name__)
        assert s.wait_for(lambda: s.log("deliverd").count('event=protocol_error reason="%s"' % reason) == n + 1, 5), \
            "%s: not logged as %r" % (fn.__name__, reason)
    assert len(files(s, "example.test/demo")) == before, "a malformed request was delivered"
    r = deliver(s, "a@sender.test", "demo@example.test", MSG)
    assert r and r[-1].startswith(b"K2.0.0"), "service broken after bad requests: %r" % (r,)


@phtest.case
def peer_uid_checked(s):
    code = ("import socket,struct,sys\n"
            "c=socket.socket(socket.AF_UNIX);c.settimeout(10);c.connect(sys.argv[1])\n"
            "b=b'I0123456789ab\\0Fa@b\\0Tdemo@example.test\\0'\n"
            "try:\n"
            " socket.send_fds(c,[struct.pack('>IH',len(b),1)+b],[0])\n"
            " sys.exit(0 if c.recv(100)==b'' else 1)\n"
            "except (BrokenPipeError,ConnectionResetError):\n"
            " sys.exit(0)\n")
    r = subprocess.run([sys.executable, "-c", code, s.env["PH_RUN_DIR"] + "/deliverd.sock"],
                       user="nobody", stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 0, "a peer that is neither root nor queued got an answer"
    uid = pwd.getpwnam("nobody").pw_uid
    assert log_has(s, r"event=refused euid=%d reason=\"peer uid not allowed\"" % uid)


@phtest.case
def idle_connection_closed(s):
    c = Client(s)
    c.sock.settimeout(IDLE + 10)
    try:
        assert c.closed(), "idle connection not closed"
    finally:
        c.close()
    assert log_has(s, r"event=idle_timeout seconds=%d" % IDLE)


@phtest.case
def concurrent_connections(s):
    before = set(files(s, "example.test/demo"))
    errors = []

    def worker(k):
        try:
            c = Client(s)
            for i in range(10):
                r = c.deliver("load@sender.test", "demo@example.test", b"Subject: c%d-%d\n\nx\n" % (k, i))
                if not r or not r[-1].startswith(b"K2.0.0"):
                    errors.append(r)
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    new = set(files(s, "example.test/demo")) - before
    assert len(new) == 100, len(new)
    subjects = {re.search(rb"Subject: (\S+)", p.read_bytes()).group(1) for p in new}
    assert len(subjects) == 100


def write_cdb(path, items):
    """A djb cdb (the format skalibs' cdbmake writes), via rename."""
    def h(k):
        x = 5381
        for c in k:
            x = ((x << 5) + x) & 0xffffffff ^ c
        return x
    recs = b""
    pos = 2048
    tables = [[] for _ in range(256)]
    for k, v in items:
        recs += struct.pack("<II", len(k), len(v)) + k + v
        tables[h(k) & 255].append((h(k), pos))
        pos += 8 + len(k) + len(v)
    head = b""
    tail = b""
    for t in tables:
        n = 2 * len(t)
        slots = [(0, 0)] * n
        for hv, p in t:
            i = (hv >> 8) % n
            while slots[i][1]:
                i = (i + 1) % n
            slots[i] = (hv, p)
        head += struct.pack("<II", pos + len(tail), n)
        tail += b"".join(struct.pack("<II", a, b) for a, b in slots)
    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head + recs + tail)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


@phtest.case
def corrupt_maps_never_escape_the_mail_root(s):
    cdb = pathlib.Path(s.env["PH_CDB_DIR"])
    write_cdb(cdb / "domains.cdb", [(b"evil.test", b"")])
    write_cdb(cdb / "users.cdb", [
        (b"up@evil.test", b"maildir=../../escaped\0"),
        (b"abs@evil.test", b"maildir=/tmp/escaped\0"),
        (b"none@evil.test", b"quota=1\0"),
    ])
    write_cdb(cdb / "aliases.cdb", [
        (b"l1@evil.test", b"l2@evil.test\0"),
        (b"l2@evil.test", b"l1@evil.test\0"),
    ])
    for rcpt in ("up@evil.test", "abs@evil.test", "none@evil.test"):
        r = deliver(s, "a@sender.test", rcpt, MSG)
        assert r == [b"Z4.3.0 invalid entry in the recipient maps"], (rcpt, r)
    assert not (s.state.parent / "escaped").exists() and not pathlib.Path("/tmp/escaped").exists()
    r = deliver(s, "a@sender.test", "l1@evil.test", MSG)
    assert r and r[0].startswith(b"Z4.4.6"), r
    assert log_has(s, r"event=deferred qid=\w+ rcpt=l1@evil.test")
    s.mailctl("update")   # mailctl's own maps back


@phtest.case
def missing_maps_are_temporary(s):
    """domains.cdb or users.cdb missing is a lookup error (Z4.3.0), never
    'remote' (an R line) or 'unknown' (D5.1.1); aliases.cdb is optional."""
    cdb = pathlib.Path(s.env["PH_CDB_DIR"])
    try:
        for name in ("domains.cdb", "users.cdb"):
            os.rename(cdb / name, cdb / (name + ".away"))
            try:
                before = len(files(s, "example.test/demo"))
                r = deliver(s, "a@sender.test", "demo@example.test", MSG)
                assert r and len(r) == 1 and r[0].startswith(b"Z4.3.0"), (name, r)
                assert len(files(s, "example.test/demo")) == before, name
                assert log_has(s, r"event=deferred qid=\w+ rcpt=demo@example.test .*recipient map missing")
            finally:
                os.rename(cdb / (name + ".away"), cdb / name)
        os.rename(cdb / "aliases.cdb", cdb / "aliases.cdb.away")
        r = deliver(s, "a@sender.test", "demo@example.test", MSG)
        assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
        r = deliver(s, "a@sender.test", "postmaster@example.test", MSG)
        assert r == [b"D5.1.1 unknown user"], r
    finally:
        s.mailctl("update")


if __name__ == "__main__":
    phtest.main(services=["deliverd"], extra_env={"PH_DELIVERY_IDLE_TIMEOUT": str(IDLE)})
