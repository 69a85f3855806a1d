"""A full queue filesystem, end to end: the queue ($STATE/queue) is a
small tmpfs mounted before the services start. When it fills, smtpd
answers 452 4.3.1 (queued-inject's Z4.3.1, docs/internals.md
"Injection"), nothing already accepted is lost, and once space returns
the waiting mail is delivered and new mail is accepted again."""

import atexit
import errno
import grp
import os
import pwd
import smtplib
import subprocess
import time

import phtest
from quotalib import make_message, smtp

FS_SIZE = 4 * 1024 * 1024
SENDER = "sender@example.test"
DEMO = "demo@example.test"
_mounted = {}


def umount_queue(s=None):
    """Once the services are down (phtest's after_stop), and at exit for
    a run that never got that far."""
    s = _mounted.pop("suite", None)
    if not s:
        return
    q = str(s.state / "queue")
    if subprocess.run(["umount", q], stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["umount", "-l", q], stderr=subprocess.DEVNULL)


def mount_queue(s):
    q = s.state / "queue"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0710" % FS_SIZE, "tmpfs", str(q)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("cannot mount a tmpfs on the queue: %s" % r.stdout)
    _mounted["suite"] = s
    # as mkruntime lays the queue out: queued's, passable by queued-inject's group
    os.chown(q, pwd.getpwnam("phqueue").pw_uid, grp.getgrnam("phinject").gr_gid)


atexit.register(umount_queue)


def submit(s, subject, size=20000):
    """(code, text) of the whole transaction: the DATA command's reply if
    it is not 354, else the reply at the end of data."""
    c = smtp(s)
    try:
        code, _ = c.mail(SENDER)
        assert code == 250, code
        code, text = c.rcpt(DEMO)
        assert code == 250, (code, text)
        try:
            code, text = c.data(make_message(subject, size))
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        return code, text.decode()
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass


def subjects(s):
    out = []
    for p in s.messages(DEMO):
        for line in p.read_bytes().split(b"\n"):
            if line.startswith(b"Subject: "):
                out.append(line[9:].decode())
                break
            if not line:
                break
    return out


def fill(path):
    """Appends to a file until the filesystem says ENOSPC; returns the
    bytes added. Called again, it takes whatever was freed since (queued
    removing its incoming links and temporary files after a commit)."""
    n = 0
    with open(path, "ab", buffering=0) as f:
        chunk = b"\0" * 65536
        while True:
            try:
                n += f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                if len(chunk) == 1:
                    break
                chunk = chunk[:len(chunk) // 2]
    return n


def fill_steady(s, path):
    """Fills the disk and keeps it full: a store queued had under way when
    the disk filled (a filter's fmess.tmp) fails and is removed, giving its
    space back; once none is left, queued starts no store it has no room
    for, so a second fill leaves the disk steadily full."""
    n = fill(path)
    pending = lambda: list((s.state / "queue" / "queue").glob("*/fmess.tmp"))
    assert s.wait_for(lambda: not pending(), 10), pending()
    return n + fill(path)


@phtest.case
def queue_is_on_the_small_filesystem(s):
    q = s.state / "queue"
    assert os.stat(q).st_dev != os.stat(s.state).st_dev, "the queue is not a mount"
    v = os.statvfs(q)
    assert v.f_blocks * v.f_frsize == FS_SIZE, v
    for d in ("tmp", "incoming", "queue"):
        assert (q / d).is_dir(), "queued did not set up %s/" % d
    code, text = submit(s, "before the fill", 1000)
    assert code == 250, (code, text)
    assert s.wait_for(lambda: "before the fill" in subjects(s), 30)


@phtest.case
def full_queue_refused_with_452_then_resumes(s):
    account = s.mailctl("email", "list").stdout.split()
    if SENDER not in account:
        s.mailctl("email", "add", SENDER, "pw")
    s.down("deliverd")     # accepted mail stays in the queue
    filler = s.state / "queue" / "filler"
    try:
        accepted = []
        for i in range(5):
            code, text = submit(s, "kept %d" % i)
            assert code == 250, (i, code, text)
            accepted.append("kept %d" % i)
        size = fill_steady(s, filler)
        assert size > 0
        # full: refused for now (452, RFC 3463 4.3.1 mail system full),
        # at DATA or at the end of the data
        for i in range(3):
            fill_steady(s, filler)
            code, text = submit(s, "refused %d" % i)
            assert code == 452 and text.startswith("4.3.1"), (code, text)
        assert s.wait_for(lambda: "event=reject" in s.log("smtpd") and "code=452" in s.log("smtpd"), 10), s.log("smtpd")[-2000:]
        # a small message too: nothing fits
        fill_steady(s, filler)
        code, text = submit(s, "small refused", 100)
        assert code == 452, (code, text)
        # delivery meanwhile: queued may fail to record it on a full
        # disk, but loses nothing (at-least-once)
        s.up("deliverd")
        time.sleep(3)
        assert s.svc_pid("queued"), "queued went down"
    finally:
        try:
            filler.unlink()
        except FileNotFoundError:
            pass
        s.up("deliverd")
    # space is back: everything accepted is delivered ...
    assert s.wait_for(lambda: all(a in subjects(s) for a in accepted), 60), \
        "lost: %s" % sorted(set(accepted) - set(subjects(s)))
    got = subjects(s)
    assert not any(g.startswith("refused") or g == "small refused" for g in got), got
    dups = {a: got.count(a) for a in accepted if got.count(a) > 1}
    print("# duplicates after the full disk: %r" % dups)
    # ... and new mail is accepted again
    code, text = submit(s, "after the fill")
    assert code == 250, (code, text)
    assert s.wait_for(lambda: "after the fill" in subjects(s), 30)
    # the queue is empty again: nothing left behind in it
    assert s.wait_for(lambda: not list((s.state / "queue" / "queue").iterdir()), 30), \
        list((s.state / "queue" / "queue").iterdir())
    assert not list((s.state / "queue" / "tmp").iterdir()), list((s.state / "queue" / "tmp").iterdir())


if __name__ == "__main__":
    phtest.main(before_start=mount_queue, after_stop=umount_queue, extra_env={"PH_RETRY_MIN": "1", "PH_RETRY_MAX": "2"})
