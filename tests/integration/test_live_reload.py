"""Live reload (confwatch/README.md): editing docker-mailserver's config
files takes effect within a second, without restarting anything.
confwatch sees the change with inotify and runs `mailctl update`; the
daemons pick up the new maps by inode at their next lookup.

Each case edits a file in $STATE/config the way an admin would (in
place), measures the time until the compiled map holds the change, then
checks the effect through the servers themselves: IMAP and submission
logins, delivery to an alias, the quota IMAP reports, a refused RCPT.
"""

import imaplib
import pathlib
import re
import ssl
import subprocess
import sys
import time
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import phtest  # noqa: E402
import smtpraw  # noqa: E402
import submitlib  # noqa: E402

DEMO = "demo@example.test"
LIMIT = 1.0   # seconds: the promise


def cdb_has(s, name, key, pattern=None):
    r = subprocess.run(["cdb", "-q", str(s.state / "cdb" / name), key], stdout=subprocess.PIPE)
    if r.returncode != 0:
        return False
    return pattern is None or re.search(pattern, r.stdout) is not None


def edit_and_wait(s, fname, change, cdbname, key, pattern=None, present=True):
    """Applies change(path) to the config file; returns the seconds until
    the map shows it (asserting it is within LIMIT)."""
    path = s.state / "config" / fname
    t0 = time.monotonic()
    change(path)
    ok = s.wait_for(lambda: cdb_has(s, cdbname, key, pattern) == present, 5, interval=0.01)
    dt = time.monotonic() - t0
    assert ok, "%s never showed %s after editing %s; confwatch log: %s" % (cdbname, key, fname, s.log("confwatch")[-1500:])
    assert dt <= LIMIT, "took %.2f s" % dt
    return dt


def append(text):
    def f(path):
        with open(path, "a") as fh:
            fh.write(text)
    return f


def replace(old, new):
    def f(path):
        t = path.read_text()
        assert old in t, (old, t)
        path.write_text(t.replace(old, new))
    return f


def imap_login(s, user, password):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", s.port("imaps"), ssl_context=ctx, timeout=20)
    try:
        m.login(user, password)
    except imaplib.IMAP4.error:
        m.shutdown()
        return None
    return m


def smtp_to(s, rcpt, body=b"", expect="250"):
    c = smtpraw.Raw(s, "smtp")
    c.last()
    c.ehlo()
    c.expect("MAIL FROM:<sender@remote.test>", "250")
    r = c.cmd("RCPT TO:<%s>" % rcpt)
    assert r.startswith(expect), r
    if expect == "250" and body:
        c.expect("DATA", "354")
        c.send(body.replace(b"\n", b"\r\n") + b".\r\n")
        r = c.last()
        assert r.startswith("250"), r
    c.cmd("QUIT")
    c.close()


def doveadm_hash(password):
    return subprocess.run(["doveadm", "pw", "-s", "SHA512-CRYPT", "-p", password], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


@phtest.case
def confwatch_started_and_env_reported(s):
    assert s.wait_for(lambda: "event=start" in s.log("confwatch"), 5), s.log("confwatch")
    log = s.log("confwatch")
    assert re.search(r"event=env_unsupported count=\d+", log), log


@phtest.case
def account_added_by_editing_logs_in_within_a_second(s):
    pw = "pw-" + uuid.uuid4().hex[:10]
    line = "fresh@example.test|%s|userdb_mail=maildir:/var/mail/example.test/fresh\n" % doveadm_hash(pw)
    edit_and_wait(s, "postfix-accounts.cf", append(line), "passwd.cdb", "fresh@example.test")
    m = imap_login(s, "fresh@example.test", pw)
    assert m is not None, "IMAP login refused"
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    m.logout()
    c = submitlib.logged_in(s, "submissions", user="fresh@example.test", password=pw)
    c.cmd("QUIT")
    c.close()


@phtest.case
def account_removed_by_editing_is_refused(s):
    pw = "pw-" + uuid.uuid4().hex[:10]
    line = "gone@example.test|%s\n" % doveadm_hash(pw)
    edit_and_wait(s, "postfix-accounts.cf", append(line), "passwd.cdb", "gone@example.test")
    edit_and_wait(s, "postfix-accounts.cf", replace(line, ""), "passwd.cdb", "gone@example.test", present=False)
    assert imap_login(s, "gone@example.test", pw) is None


@phtest.case
def alias_added_by_editing_delivers_at_once(s):
    edit_and_wait(s, "postfix-virtual.cf", append("live-alias@example.test %s\n" % DEMO), "aliases.cdb", "live-alias@example.test")
    marker = uuid.uuid4().hex
    smtp_to(s, "live-alias@example.test", b"Subject: %s\n\nbody\n" % marker.encode())
    smtpraw.message_with(s, marker.encode())


@phtest.case
def regexp_alias_added_by_editing_delivers(s):
    path = s.state / "config" / "postfix-regexp.cf"
    t0 = time.monotonic()
    path.write_text("/^sales-[a-z]+@example\\.test$/ %s\n" % DEMO)
    ok = s.wait_for(lambda: "sales-" in (s.state / "cdb" / "regexp.map").read_text()
                    if (s.state / "cdb" / "regexp.map").exists() else False, 5, interval=0.01)
    assert ok and time.monotonic() - t0 <= LIMIT
    marker = uuid.uuid4().hex
    smtp_to(s, "sales-north@example.test", b"Subject: %s\n\nbody\n" % marker.encode())
    smtpraw.message_with(s, marker.encode())
    smtp_to(s, "sales-42@example.test", expect="550")


@phtest.case
def quota_changed_by_editing_is_reported(s):
    edit_and_wait(s, "dovecot-quotas.cf", append("%s:10M\n" % DEMO), "users.cdb", DEMO, rb"quota=10485760\0")
    m = imap_login(s, DEMO, s.password)
    assert m is not None
    typ, data = m.getquotaroot("INBOX")
    m.logout()
    text = b" ".join(x if isinstance(x, bytes) else b" ".join(x) for d in data for x in d)
    assert re.search(rb"STORAGE \d+ 10240\)", text), data
    edit_and_wait(s, "dovecot-quotas.cf", replace("%s:10M\n" % DEMO, "%s:20M\n" % DEMO), "users.cdb", DEMO, rb"quota=20971520\0")


@phtest.case
def receive_access_added_by_editing_refuses_rcpt(s):
    edit_and_wait(s, "postfix-virtual.cf", append("blocked@example.test %s\n" % DEMO), "aliases.cdb", "blocked@example.test")
    smtp_to(s, "blocked@example.test")
    edit_and_wait(s, "postfix-receive-access.cf", append("blocked@example.test REJECT\n"), "rcptaccess.cdb", "blocked@example.test")
    smtp_to(s, "blocked@example.test", expect="554 5.7.1 <blocked@example.test>: Recipient address rejected")


@phtest.case
def bad_edit_keeps_the_old_maps_and_says_so(s):
    before = s.log("confwatch").count("event=reload_failed")
    (s.state / "config" / "postfix-virtual.cf").open("a").write("broken-line-without-target@example.test\n")
    assert s.wait_for(lambda: s.log("confwatch").count("event=reload_failed") > before, 3), s.log("confwatch")[-1500:]
    # the maps from before the bad line still serve
    assert cdb_has(s, "aliases.cdb", "live-alias@example.test")
    smtp_to(s, "live-alias@example.test")
    replace("broken-line-without-target@example.test\n", "")(s.state / "config" / "postfix-virtual.cf")
    assert s.wait_for(lambda: s.log("confwatch").rstrip().splitlines()[-1].find("event=reload ") >= 0, 3)


@phtest.case
def burst_of_edits_is_one_update(s):
    before = s.log("confwatch").count("event=reload ")
    path = s.state / "config" / "postfix-virtual.cf"
    for i in range(20):
        with open(path, "a") as fh:
            fh.write("burst%d@example.test %s\n" % (i, DEMO))
        time.sleep(0.01)
    assert s.wait_for(lambda: cdb_has(s, "aliases.cdb", "burst19@example.test"), 3)
    time.sleep(0.5)
    n = s.log("confwatch").count("event=reload ") - before
    assert 1 <= n <= 2, "%d updates for one burst" % n


if __name__ == "__main__":
    phtest.main()
