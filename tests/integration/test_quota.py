"""Quotas end to end: docker-mailserver's dovecot-quotas.cf through
mailctl into users.cdb, Maildir++ accounting in maildirsize by deliverd
(common/maildirsize.h), a message that does not fit deferred (Z4.2.2)
then bounced at the queue's expiry, Dovecot's 10% grace for the last
message, and smtpd's 452 4.2.2 at RCPT for a Maildir over its quota
(the status deliverd leaves in $PH_STATE/quota). docs/internals.md,
"Quotas"."""

import os
import pwd
import stat
import time

import phtest
from quotalib import (Deliverd, cdb_value, deliver, lf, log_lines, maildir_sum, maildirsize, make_message,
                      parse, qid, rcpt_reply, send)

LIFETIME = 25
SENDER = "sender@example.test"


def account(s, addr, quota=None):
    if s.mailctl("email", "list").stdout.split().count(addr) == 0:
        s.mailctl("email", "add", addr, "pw-" + addr)
    if quota is not None:
        s.mailctl("quota", "set", addr, quota)


def wait_messages(s, addr, n, timeout=30):
    assert s.wait_for(lambda: len(s.messages(addr)) >= n, timeout), \
        "%s has %d messages, expected %d" % (addr, len(s.messages(addr)), n)


@phtest.case
def mailctl_quota_into_users_cdb(s):
    account(s, SENDER)
    account(s, "qa@example.test")
    r = s.mailctl("quota", "set", "qa@example.test", "10k")
    assert (s.state / "config" / "dovecot-quotas.cf").read_text() == "qa@example.test:10k\n"
    assert cdb_value(s, "users.cdb", "qa@example.test") == b"maildir=example.test/qa\0quota=10240\0"
    # the status directory deliverd writes and smtpd reads
    st = os.stat(s.state / "quota")
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755, oct(st.st_mode)
    assert st.st_uid == pwd.getpwnam("vmail").pw_uid, st.st_uid
    for size, want in (("50M", 52428800), ("2G", 2147483648), ("7B", 7), ("1T", 1 << 40), ("3K", 3072)):
        s.mailctl("quota", "set", "qa@example.test", size)
        assert cdb_value(s, "users.cdb", "qa@example.test") == b"maildir=example.test/qa\0quota=%d\0" % want, size
    assert (s.state / "config" / "dovecot-quotas.cf").read_text() == "qa@example.test:3K\n", "one line per account"
    # docker-mailserver's refusals
    for bad in ("123", "M", "-60M", "26GIGOTS", "5X", "1.5G", ""):
        r = s.mailctl("quota", "set", "qa@example.test", bad, check=False)
        assert r.returncode == 100, (bad, r.returncode, r.stderr)
    r = s.mailctl("quota", "set", "nobody@example.test", "1M", check=False)
    assert r.returncode == 1 and "does not exist" in r.stderr, (r.returncode, r.stderr)
    r = s.mailctl("quota", "del", "nobody@example.test", check=False)
    assert r.returncode == 1, r.returncode
    # 0: no quota, but the line stays (it overrides POSTFIX_MAILBOX_SIZE_LIMIT)
    s.mailctl("quota", "set", "qa@example.test", "0")
    assert cdb_value(s, "users.cdb", "qa@example.test") == b"maildir=example.test/qa\0"
    s.mailctl("quota", "del", "qa@example.test")
    assert "qa@example.test" not in (s.state / "config" / "dovecot-quotas.cf").read_text()
    assert s.mailctl("quota", "del", "qa@example.test").returncode == 0, "no quota to remove is fine"
    # a hand-edited file: lower-case unit, bare bytes, comments kept
    (s.state / "config" / "dovecot-quotas.cf").write_text("# quotas\nqa@example.test:1g\nsender@example.test:4096\n")
    s.mailctl("update")
    assert cdb_value(s, "users.cdb", "qa@example.test") == b"maildir=example.test/qa\0quota=1073741824\0"
    assert cdb_value(s, "users.cdb", "sender@example.test") == b"maildir=example.test/sender\0quota=4096\0"
    # email del takes the account's quota line with it, and only it
    s.mailctl("email", "add", "gone@example.test", "pw")
    s.mailctl("quota", "set", "gone@example.test", "1M")
    s.mailctl("email", "del", "gone@example.test")
    text = (s.state / "config" / "dovecot-quotas.cf").read_text()
    assert "gone@" not in text and text.startswith("# quotas\nqa@example.test:1g\n"), text
    s.mailctl("quota", "del", "sender@example.test")
    # a line that does not parse: refused, the maps stay
    (s.state / "config" / "dovecot-quotas.cf").write_text("qa@example.test 5M\n")
    r = s.mailctl("update", check=False)
    assert r.returncode == 100 and "dovecot-quotas.cf:1" in r.stderr, (r.returncode, r.stderr)
    assert cdb_value(s, "users.cdb", "qa@example.test") == b"maildir=example.test/qa\0quota=1073741824\0"
    (s.state / "config" / "dovecot-quotas.cf").write_text("")
    s.mailctl("update")


@phtest.case
def deliveries_counted_in_maildirsize(s):
    account(s, "qa@example.test", "1M")
    md = s.maildir("qa@example.test")
    for i in range(3):
        refused, ans = send(s, ["qa@example.test"], make_message("count %d" % i, 2000 + 1000 * i))
        assert not refused and ans[0] == 250, (refused, ans)
    wait_messages(s, "qa@example.test", 3)
    got = s.wait_for(lambda: maildirsize(md) and maildirsize(md)[2] == 3, 10) and maildirsize(md)
    assert got, "maildirsize: %r" % (maildirsize(md),)
    header, b, c, lines = got
    assert header == "1048576S", header
    assert (b, c) == maildir_sum(md), ((b, c), maildir_sum(md))
    assert b == sum(p.stat().st_size for p in s.messages("qa@example.test")), "S= is the file size"
    # the first delivery found no file and recalculated it ("0 0", the
    # Maildir was empty), then each delivery appended its line
    assert lines == 4 and (md / "maildirsize").read_text().startswith("1048576S\n0 0\n"), (md / "maildirsize").read_text()
    assert (md / "maildirsize").stat().st_uid == pwd.getpwnam("vmail").pw_uid


@phtest.case
def maildirsize_recalculated_when_it_cannot_be_trusted(s):
    account(s, "qd@example.test", "1M")
    md = s.maildir("qd@example.test")
    refused, ans = send(s, ["qd@example.test"], make_message("first", 1000))
    assert ans[0] == 250, ans
    wait_messages(s, "qd@example.test", 1)
    cases = [
        ("1048576S\n5000000 1\n1 1\n", "over quota with two lines"),
        ("garbage\n", "garbage"),
        ("1048576S\n12 1\n3", "a torn last line"),
        ("2048S\n0 0\n", "another limit"),
        ("1048576S\n" + "1 1\n" * 1300, "5120 bytes or more"),
    ]
    for n, (content, what) in enumerate(cases):
        path = md / "maildirsize"
        path.write_text(content)
        os.chown(path, pwd.getpwnam("vmail").pw_uid, pwd.getpwnam("vmail").pw_gid)
        refused, ans = send(s, ["qd@example.test"], make_message("recalc %d" % n, 1000))
        assert ans[0] == 250, (what, ans)
        wait_messages(s, "qd@example.test", n + 2)
        got = s.wait_for(lambda: maildirsize(md) and maildirsize(md)[1:3] == maildir_sum(md), 10) and maildirsize(md)
        assert got, "%s: maildirsize %r, Maildir %r" % (what, (md / "maildirsize").read_text()[:200], maildir_sum(md))
        assert got[0] == "1048576S", (what, got)
    # over quota in a single fresh line is believed (README.maildirquota:
    # no scan at every delivery), so the message waits
    path = md / "maildirsize"
    path.write_text("1048576S\n1048576 10\n")
    r = deliver(s, SENDER, "qd@example.test", lf(make_message("believed", 2000)))
    assert r == ["Z4.2.2 mailbox full"], r
    # ... and after the mail is gone and the file is 15 minutes old, a
    # recalculation lets it in
    old = time.time() - 16 * 60
    os.utime(path, (old, old))
    r = deliver(s, SENDER, "qd@example.test", lf(make_message("after recalc", 2000)))
    assert r and r[0].startswith("K2.0.0"), r
    assert maildirsize(md)[1:3] == maildir_sum(md)


@phtest.case
def grace_then_refused_at_rcpt(s):
    account(s, SENDER)
    account(s, "qc@example.test", "10k")
    md = s.maildir("qc@example.test")
    first = make_message("first", 7000)
    refused, ans = send(s, ["qc@example.test"], first)
    assert ans[0] == 250, ans
    wait_messages(s, "qc@example.test", 1)
    usage = maildir_sum(md)[0]
    overhead = usage - len(lf(first))   # Received, Return-Path, Delivered-To
    assert 0 < overhead < 1000, overhead
    assert rcpt_reply(s, "qc@example.test")[0] == 250, "under quota: accepted"
    # 500 bytes over the quota: within Dovecot's 10% grace (1024 bytes)
    second = make_message("second", 10240 - usage + 500 - overhead)
    refused, ans = send(s, ["qc@example.test"], second)
    assert ans[0] == 250, ans
    wait_messages(s, "qc@example.test", 2)
    assert 10240 < maildir_sum(md)[0] <= 10240 + 1024, maildir_sum(md)
    # the Maildir is over its quota: smtpd refuses at RCPT (deliverd
    # writes the status just after the message)
    name = s.wait_for(lambda: [p.name for p in (s.state / "quota").iterdir()], 10)
    assert name and len(name) == 1 and len(name[0]) == 64, name
    code, text = rcpt_reply(s, "qc@example.test")
    assert (code, text) == (452, "4.2.2 Mailbox full"), (code, text)
    assert s.wait_for(lambda: log_lines(s, "smtpd", "event=reject", "code=452", "reason=mailbox_full"), 10), \
        s.log("smtpd")[-2000:]
    # any case, and +tag
    assert rcpt_reply(s, "QC+tag@Example.Test")[0] == 452
    # a message to qc and another recipient: only qc is refused
    refused, ans = send(s, ["qc@example.test", SENDER], make_message("two", 100))
    assert list(refused) == ["qc@example.test"] and ans[0] == 250, (refused, ans)
    # an alias reaching qc and a Maildir with room is accepted; one
    # reaching only qc is not
    s.mailctl("alias", "add", "both@example.test", "qc@example.test")
    s.mailctl("alias", "add", "both@example.test", SENDER)
    s.mailctl("alias", "add", "onlyqc@example.test", "qc@example.test")
    try:
        assert rcpt_reply(s, "both@example.test")[0] == 250
        assert rcpt_reply(s, "onlyqc@example.test")[0] == 452
    finally:
        s.mailctl("alias", "del", "both@example.test", "qc@example.test")
        s.mailctl("alias", "del", "both@example.test", SENDER)
        s.mailctl("alias", "del", "onlyqc@example.test", "qc@example.test")
    # the admin raises the quota: accepted at once, and delivered
    s.mailctl("quota", "set", "qc@example.test", "1M")
    refused, ans = send(s, ["qc@example.test"], make_message("after raise", 100))
    assert not refused and ans[0] == 250, (refused, ans)
    wait_messages(s, "qc@example.test", 3)
    # that delivery measured the Maildir under its quota: status removed
    assert s.wait_for(lambda: not list((s.state / "quota").iterdir()), 10), list((s.state / "quota").iterdir())
    # lowered again: the next delivery over it marks it again... not
    # before one message goes through (the status is deliverd's to set)
    s.mailctl("quota", "set", "qc@example.test", "10k")
    assert rcpt_reply(s, "qc@example.test")[0] == 250
    r = deliver(s, SENDER, "qc@example.test", lf(make_message("lowered", 100)))
    assert r == ["Z4.2.2 mailbox full"], r
    assert rcpt_reply(s, "qc@example.test")[0] == 452
    # no quota at all: accepted
    s.mailctl("quota", "del", "qc@example.test")
    assert rcpt_reply(s, "qc@example.test")[0] == 250


@phtest.case
def over_quota_deferred_then_bounced_at_expiry(s):
    account(s, SENDER)
    account(s, "qb@example.test", "10k")
    before = len(s.messages(SENDER))
    big = make_message("too big for qb", 20000)
    refused, ans = send(s, ["qb@example.test"], big)
    assert not refused and ans[0] == 250, "not over quota yet: accepted (%r %r)" % (refused, ans)
    assert s.wait_for(lambda: log_lines(s, "deliverd", "event=deferred", "to=qb@example.test", "reason=\"mailbox full\""), 20), \
        s.log("deliverd")[-2000:]
    line = log_lines(s, "deliverd", "event=deferred", "to=qb@example.test")[0]
    assert "usage=0 " in line and "quota=10240" in line, line
    assert not s.messages("qb@example.test"), "nothing written"
    listing = s.mailctl("queue", "list").stdout
    assert "qb@example.test" in listing and "4.2.2 mailbox full" in listing, listing
    # qb is under its quota (the message was too big, the Maildir is
    # empty): RCPT is still accepted, smaller mail still arrives
    assert rcpt_reply(s, "qb@example.test")[0] == 250
    refused, ans = send(s, ["qb@example.test"], make_message("small", 500))
    assert ans[0] == 250
    wait_messages(s, "qb@example.test", 1)
    # the queue lifetime ends: a bounce to the sender
    assert s.wait_for(lambda: len(s.messages(SENDER)) > before, LIFETIME + 30), "no bounce"
    bounce = parse(s.messages(SENDER)[before])
    assert bounce.get_content_type() == "multipart/report", bounce.get_content_type()
    status = bounce.get_payload()[1].get_payload()[1]
    assert status["Final-Recipient"] == "rfc822; qb@example.test", dict(status)
    assert status["Action"] == "failed", dict(status)
    assert "4.2.2 mailbox full" in str(bounce), str(bounce)[:3000]
    assert "qb@example.test" not in s.mailctl("queue", "list").stdout


@phtest.case
def retry_of_an_alias_does_not_refuse_the_copy_already_written(s):
    """An alias with a full Maildir and one that fails: the retry finds
    the copy its first attempt wrote (duplicate suppression) and must not
    refuse it for the quota that copy itself filled."""
    account(s, SENDER)
    account(s, "qg@example.test", "10k")
    account(s, "qh@example.test")
    s.mailctl("alias", "add", "pair@example.test", "qg@example.test")
    s.mailctl("alias", "add", "pair@example.test", "qh@example.test")
    qh = s.maildir("qh@example.test")
    try:
        r = deliver(s, SENDER, "qg@example.test", lf(make_message("fill qg", 9000)))
        assert r and r[0].startswith("K2.0.0"), r
        # qh's tmp/ a symlink: its delivery fails, temporarily
        vmail = pwd.getpwnam("vmail")
        for d in ("", "/cur", "/new"):
            os.makedirs(str(qh) + d, exist_ok=True)
            os.chown(str(qh) + d, vmail.pw_uid, vmail.pw_gid)
        os.symlink("/tmp", qh / "tmp")
        q = qid()
        c = Deliverd(s)
        try:
            msg = lf(make_message("to the pair", 1500))
            r = c.deliver(SENDER, "pair@example.test", msg, q)
            assert r and r[0].startswith("Z4.3.0"), r
            assert len(s.messages("qg@example.test")) == 2, "qg got its copy (within the grace)"
            assert maildir_sum(s.maildir("qg@example.test"))[0] > 10240
            r = c.deliver(SENDER, "pair@example.test", msg, q)
            assert r and r[0].startswith("Z4.3.0"), "qh still fails, qg not refused for its quota: %r" % r
            (qh / "tmp").unlink()
            (qh / "tmp").mkdir()
            os.chown(qh / "tmp", vmail.pw_uid, vmail.pw_gid)
            r = c.deliver(SENDER, "pair@example.test", msg, q)
            assert r and r[0].startswith("K2.0.0"), r
        finally:
            c.close()
        assert len(s.messages("qg@example.test")) == 2, "no second copy in qg"
        assert len(s.messages("qh@example.test")) == 1
        assert s.wait_for(lambda: log_lines(s, "deliverd", "event=duplicate_suppressed", "to=qg@example.test"), 10)
        # a new message for qg alone is refused: it is over quota
        r = deliver(s, SENDER, "qg@example.test", lf(make_message("one more", 100)))
        assert r == ["Z4.2.2 mailbox full"], r
    finally:
        s.mailctl("alias", "del", "pair@example.test", "qg@example.test")
        s.mailctl("alias", "del", "pair@example.test", "qh@example.test")


@phtest.case
def default_quota_from_postfix_mailbox_size_limit(s):
    account(s, "qe@example.test")
    envfile = s.state / "config" / "mailserver.env"
    saved = envfile.read_text()
    try:
        envfile.write_text(saved + "POSTFIX_MAILBOX_SIZE_LIMIT=4096000\n")
        s.mailctl("update")
        assert cdb_value(s, "users.cdb", "qe@example.test") == b"maildir=example.test/qe\0quota=4096000\0"
        s.mailctl("quota", "set", "qe@example.test", "0")
        assert cdb_value(s, "users.cdb", "qe@example.test") == b"maildir=example.test/qe\0", "0 overrides the default"
        s.mailctl("quota", "set", "qe@example.test", "1M")
        envfile.write_text(saved + "POSTFIX_MAILBOX_SIZE_LIMIT=4096000\nENABLE_QUOTAS=0\n")
        s.mailctl("update")
        assert cdb_value(s, "users.cdb", "qe@example.test") == b"maildir=example.test/qe\0", "ENABLE_QUOTAS=0"
        assert cdb_value(s, "users.cdb", "demo@example.test") == b"maildir=example.test/demo\0"
        envfile.write_text(saved + "ENABLE_QUOTAS=maybe\n")
        assert s.mailctl("update", check=False).returncode == 100
    finally:
        envfile.write_text(saved)
        s.mailctl("quota", "del", "qe@example.test")
        s.mailctl("update")
    assert cdb_value(s, "users.cdb", "qe@example.test") == b"maildir=example.test/qe\0"


if __name__ == "__main__":
    phtest.main(extra_env={
        "PH_RETRY_MIN": "1",
        "PH_RETRY_MAX": "2",
        "PH_QUEUE_LIFETIME": str(LIFETIME),
    })
