"""submitd's per-user sending rate limit, PH_SUBMISSION_RATE=3/6: at most
3 messages per login in any 6 seconds, counted at MAIL with a
reservation that a transaction which takes no message gives back, so
parallel sessions cannot get past it; 450 4.7.1 beyond it. (Plaintext on
loopback is allowed here to keep the sessions short.)"""

import hashlib
import os
import pwd
import threading
import time

import phtest
from submitlib import logged_in, log_has, queued_as

WINDOW = 6


def user(s, name):
    address = "%s@example.test" % name
    s.mailctl("email", "add", address, "pw-" + name)
    return address, "pw-" + name


def one_message(c, sender, marker):
    c.expect("MAIL FROM:<%s>" % sender, "250 2.1.0")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(("Subject: %s\r\n\r\nx\r\n.\r\n" % marker).encode())
    return queued_as(c.last())


@phtest.case
def fourth_message_in_the_window_is_450(s):
    address, pw = user(s, "rate1")
    c = logged_in(s, user=address, password=pw, tls=False)
    t0 = time.monotonic()
    for i in range(3):
        one_message(c, address, "rate1-%d" % i)
    c.expect("MAIL FROM:<%s>" % address, "450 4.7.1 Rate limit exceeded")
    # another session of the same user counts the same
    d = logged_in(s, user=address, password=pw, tls=False)
    d.expect("MAIL FROM:<%s>" % address, "450 4.7.1")
    d.expect("QUIT", "221")
    assert log_has(s, r"event=rate_limited ip=127\.0\.0\.1 user=rate1@example\.test count=3 window=6")
    # another user is not limited by it
    c2 = logged_in(s, tls=False)
    one_message(c2, "demo@example.test", "rate-demo")
    c2.expect("QUIT", "221")
    # the window slides: the first ones expire
    time.sleep(max(0, WINDOW + 0.5 - (time.monotonic() - t0)))
    one_message(c, address, "rate1-after")
    c.expect("QUIT", "221")
    # the file: named by the login's hash, phsubmit's, 0600, whole records
    f = s.state / "ratelimit" / hashlib.sha256(address.encode()).hexdigest()
    st = os.stat(f)
    assert pwd.getpwuid(st.st_uid).pw_name == "phsubmit" and st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    assert st.st_size % 16 == 0 and 16 <= st.st_size <= 4 * 16, st.st_size


@phtest.case
def transactions_without_a_message_do_not_count(s):
    address, pw = user(s, "rate2")
    c = logged_in(s, user=address, password=pw, tls=False)
    for i in range(5):
        c.expect("MAIL FROM:<%s>" % address, "250 2.1.0")
        c.expect("RSET", "250")
    # refused content: the reservation is given back too
    c.expect("MAIL FROM:<%s>" % address, "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: bare\nlf\r\n.\r\n")
    assert c.last().startswith("550 5.6.11")
    # refused recipient only, then a new MAIL (nested MAIL refused)
    c.expect("MAIL FROM:<%s>" % address, "250")
    c.expect("RCPT TO:<nobody@example.test>", "550 5.1.1")
    c.expect("RSET", "250")
    for i in range(3):
        one_message(c, address, "rate2-%d" % i)
    c.expect("MAIL FROM:<%s>" % address, "450 4.7.1")
    c.expect("QUIT", "221")
    # a session that ends inside a transaction gives its reservation back
    address3, pw3 = user(s, "rate3")
    for i in range(4):
        c = logged_in(s, user=address3, password=pw3, tls=False)
        c.expect("MAIL FROM:<%s>" % address3, "250")
        c.expect("QUIT", "221")
    c = logged_in(s, user=address3, password=pw3, tls=False)
    one_message(c, address3, "rate3-ok")
    c.expect("QUIT", "221")


@phtest.case
def parallel_sessions_cannot_get_past(s):
    address, pw = user(s, "rate4")
    sessions = [logged_in(s, user=address, password=pw, tls=False) for _ in range(6)]
    replies = [None] * len(sessions)
    go = threading.Event()

    def mail(i):
        go.wait()
        replies[i] = sessions[i].cmd("MAIL FROM:<%s>" % address)

    threads = [threading.Thread(target=mail, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(30)
    ok = [r for r in replies if r.startswith("250")]
    assert len(ok) == 3 and all(r.startswith("450 4.7.1") for r in replies if not r.startswith("250")), replies
    for c in sessions:
        c.expect("QUIT", "221")


@phtest.case
def bad_setting_refuses_to_start_sessions(s):
    import subprocess
    env = {k: v for k, v in s.env.items() if k.startswith("PH_")}
    for bad in ("3", "0/10", "3/0", "x/10", "3/10s", "100001/10"):
        env.update({"PATH": "/usr/bin:/bin", "PH_SUBMISSION_RATE": bad})
        r = subprocess.run(["setpriv", "--reuid=phsubmit", "--regid=phsubmit", "--clear-groups", str(s.bin / "submitd")],
                           input=b"QUIT\r\n", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert r.returncode == 100 and r.stdout.startswith(b"421 4.3.5"), (bad, r.returncode, r.stdout)
        assert b"PH_SUBMISSION_RATE" in r.stderr, r.stderr


if __name__ == "__main__":
    phtest.main(extra_env={"PH_SUBMISSION_RATE": "3/%d" % WINDOW, "PH_SUBMISSION_PLAINTEXT_LOOPBACK": "1"})
