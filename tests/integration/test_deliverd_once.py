"""Duplicate suppression in local delivery (deliverd/README.md,
"Duplicates"): a request queued sends again with the same queue id and
recipient finds the copy an earlier attempt wrote, through the tmp/
record <qid>.<hash> (a hard link to it), and is answered K without a
second copy; lmtpd keeps unique tmp/ names and rename(). PH_DEDUPE_WINDOW
is 8 s here so that the sweep of old records can be seen."""

import os
import pwd
import re
import secrets
import smtplib
import socket
import struct
import tempfile
import time

import phtest

WINDOW = 8
MSG = b"From: a@sender.test\nSubject: once\n\nbody\n"


def new_qid():
    return secrets.token_hex(8)


def request(s, q, rcpt, message=MSG, extra=()):
    """One request on its own connection; the reply's text0 fields."""
    fd, path = tempfile.mkstemp(prefix="deliverd-once.")
    os.write(fd, message)
    os.close(fd)
    rfd = os.open(path, os.O_RDONLY)
    os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    try:
        sock.connect(s.env["PH_RUN_DIR"] + "/deliverd.sock")
        body = b"".join(f + b"\0" for f in [b"I" + q.encode(), b"Fa@sender.test", b"T" + rcpt.encode()] + list(extra))
        data = struct.pack(">IH", len(body), 1) + body
        n = socket.send_fds(sock, [data], [rfd])
        sock.sendall(data[n:])
        buf = b""
        while len(buf) < 6 or len(buf) < 6 + struct.unpack(">IH", buf[:6])[0]:
            chunk = sock.recv(65536)
            assert chunk, "deliverd closed without a reply"
            buf += chunk
        length = struct.unpack(">IH", buf[:6])[0]
        return buf[6:6 + length].rstrip(b"\0").split(b"\0")
    finally:
        os.close(rfd)
        sock.close()


def md(s, sub, folder=""):
    return s.state / "mail/example.test/demo" / (("." + folder) if folder else "") / sub


def entries(d):
    try:
        return sorted(p for p in d.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return []


def records(s, q, folder=""):
    return [p for p in entries(md(s, "tmp", folder)) if p.name.startswith(q + ".")]


def log_has(s, pattern):
    return s.wait_for(lambda: re.search(pattern, s.log("deliverd"), re.M), 5)


@phtest.case
def repeat_is_answered_k_without_a_second_copy(s):
    q = new_qid()
    before = set(entries(md(s, "new")))
    r = request(s, q, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
    new = [p for p in entries(md(s, "new")) if p not in before]
    assert len(new) == 1, new
    assert re.fullmatch(r"\d+\.V[0-9a-f]+I[0-9a-f]+M\d+\.[^/:]+,S=(\d+)", new[0].name), new[0].name
    rec = records(s, q)
    assert len(rec) == 1 and re.fullmatch(q + r"\.[0-9a-f]{16}", rec[0].name), rec
    assert rec[0].stat().st_ino == new[0].stat().st_ino and new[0].stat().st_nlink == 2
    for _ in range(2):
        r = request(s, q, "demo@example.test")
        assert r == [b"K2.0.0 already delivered maildir=example.test/demo"], r
    assert [p for p in entries(md(s, "new")) if p not in before] == new
    assert log_has(s, r"event=duplicate_suppressed qid=%s rcpt=demo@example.test to=demo@example.test maildir=example.test/demo" % q)


@phtest.case
def moved_to_cur_still_suppressed_deleted_delivered_again(s):
    q = new_qid()
    before = set(entries(md(s, "new")))
    r = request(s, q, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered"), r
    (f,) = [p for p in entries(md(s, "new")) if p not in before]
    seen = md(s, "cur") / (f.name + ":2,S")
    os.rename(f, seen)   # what an IMAP server does when the mail is read
    r = request(s, q, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 already delivered"), r
    assert [p for p in entries(md(s, "new")) if p not in before] == []
    seen.unlink()        # the user deletes it: a repeat delivers again
    r = request(s, q, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r
    assert len([p for p in entries(md(s, "new")) if p not in before]) == 1


@phtest.case
def each_recipient_and_folder_has_its_own_record(s):
    q = new_qid()
    before = set(entries(md(s, "new")))
    for rcpt in ("demo@example.test", "demo+x@example.test", "Demo@example.test"):
        r = request(s, q, rcpt)
        assert r and r[-1].startswith(b"K2.0.0 delivered maildir="), (rcpt, r)
    # the recipient as queued has it names the copy: three requests, three copies
    assert len([p for p in entries(md(s, "new")) if p not in before]) == 3
    assert len(records(s, q)) == 3
    r = request(s, q, "demo@example.test", extra=[b"XFOLDER=Junk"])
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/.Junk/new/"), r
    r = request(s, q, "demo@example.test", extra=[b"XFOLDER=Junk"])
    assert r == [b"K2.0.0 already delivered maildir=example.test/demo/.Junk"], r
    assert len(records(s, q, "Junk")) == 1 and len(entries(md(s, "new", "Junk"))) == 1


@phtest.case
def interrupted_write_is_replaced(s):
    q = new_qid()
    r = request(s, q, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered"), r
    (rec,) = records(s, q)
    name = r[-1].split(b"maildir=example.test/demo/new/")[1].decode()
    # as if the first attempt had died before link(): one link, half written
    (md(s, "new") / name).unlink()
    with open(rec, "wb") as f:
        f.write(b"Return-Path: <a@")
    before = set(entries(md(s, "new")))
    r = request(s, q, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir="), r
    (f,) = [p for p in entries(md(s, "new")) if p not in before]
    assert f.read_bytes() == b"Return-Path: <a@sender.test>\nDelivered-To: demo@example.test\n" + MSG


@phtest.case
def old_records_are_swept(s):
    old = new_qid()
    r = request(s, old, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered"), r
    (rec,) = records(s, old)
    stamp = md(s, "tmp") / ".posthaste-sweep"
    assert stamp.is_file()
    past = time.time() - 3 * WINDOW
    os.utime(rec, (past, past))
    os.utime(stamp, (past, past))
    young = new_qid()
    r = request(s, young, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered"), r
    assert records(s, old) == [] and len(records(s, young)) == 1, (records(s, old), records(s, young))
    assert stamp.stat().st_mtime > past + WINDOW
    # past the window the record is gone, and a repeat would write again
    r = request(s, old, "demo@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered maildir=example.test/demo/new/"), r


@phtest.case
def alias_retry_after_a_partial_failure_writes_no_second_copy(s):
    vmail = pwd.getpwnam("vmail")
    s.mailctl("email", "add", "stuck@example.test", "stuck-password-1")
    for t in ("demo@example.test", "stuck@example.test"):
        s.mailctl("alias", "add", "pair@example.test", t)
    stuck = s.state / "mail/example.test/stuck"
    for sub in ("", "cur", "new", "tmp"):
        (stuck / sub).mkdir(parents=True, exist_ok=True)
        os.chown(stuck / sub, vmail.pw_uid, vmail.pw_gid)
    os.chown(stuck / "new", 0, 0)   # vmail cannot publish there
    os.chmod(stuck / "new", 0o755)
    q = new_qid()
    before = set(entries(md(s, "new")))
    try:
        r = request(s, q, "pair@example.test")
        assert r and r[-1].startswith(b"Z4.3.0"), r
        assert len([p for p in entries(md(s, "new")) if p not in before]) == 1
    finally:
        os.chown(stuck / "new", vmail.pw_uid, vmail.pw_gid)
        os.chmod(stuck / "new", 0o700)
    r = request(s, q, "pair@example.test")
    assert r and r[-1].startswith(b"K2.0.0 delivered to 2 mailbox(es)"), r
    assert len([p for p in entries(md(s, "new")) if p not in before]) == 1, "demo got a second copy"
    assert len(entries(stuck / "new")) == 1
    assert log_has(s, r"event=duplicate_suppressed qid=%s rcpt=pair@example.test to=demo@example.test" % q)


@phtest.case
def lmtp_keeps_unique_names_and_rename(s):
    before_tmp = set(entries(md(s, "tmp")))
    before = set(entries(md(s, "new")))
    c = smtplib.LMTP(s.env["PH_RUN_DIR"] + "/lmtp.sock", timeout=20)
    try:
        c.ehlo("client.test")   # LHLO in smtplib.LMTP
        c.sendmail("a@sender.test", ["demo@example.test"], MSG.replace(b"\n", b"\r\n"))
    finally:
        c.quit()
    assert len([p for p in entries(md(s, "new")) if p not in before]) == 1
    assert set(entries(md(s, "tmp"))) == before_tmp, "lmtpd left a tmp/ record"


if __name__ == "__main__":
    phtest.main(extra_env={"PH_DEDUPE_WINDOW": str(WINDOW)})
