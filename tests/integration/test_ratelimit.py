"""Rate limits (issue 8): smtpd's RCPT commands per client address
(PH_SMTP_RCPT_RATE_IP, shared by the sessions of one address through
common/ratelimit's files: 450 4.7.1), submitd's recipients per login
(PH_SUBMISSION_RCPT_RATE: 452 4.5.3, reserved per transaction and given
back when no message is taken), and tcpd's new connections per minute
per client on the SMTP ports (PH_SMTP_CONNRATE_IP -> tcpd -r: 421 4.7.0,
then closed). tcpd's -r and -M run directly are in test_proxy.py's
neighbour test_tcpd-style cases below."""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import phtest  # noqa: E402
from submitlib import logged_in, queued_as  # noqa: E402
from smtpraw import Raw  # noqa: E402

RCPT_IP = 5
RCPT_USER = 4
CONNRATE = 8
ENV = {
    "PH_SMTP_RCPT_RATE_IP": "%d/60" % RCPT_IP,
    "PH_SUBMISSION_RCPT_RATE": "%d/60" % RCPT_USER,
    "PH_SMTP_CONNRATE_IP": str(CONNRATE),
    "PH_SUBMISSION_PLAINTEXT_LOOPBACK": "1",
}
connections = {"smtp": 0}


def mx(s):
    connections["smtp"] += 1
    c = Raw(s, "smtp")
    assert c.last().startswith("220 "), c.buf
    c.ehlo()
    return c


@phtest.case
def smtpd_rcpt_rate_per_address(s):
    c = mx(s)
    c.expect("MAIL FROM:<someone@remote.example>", "250")
    # every RCPT counts, refused ones too (a dictionary attack)
    for i in range(RCPT_IP):
        rcpt = "demo@example.test" if i % 2 == 0 else "nobody%d@example.test" % i
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert r.startswith("250") or r.startswith("550 5.1.1"), r
    c.expect("RCPT TO:<demo@example.test>", "450 4.7.1")
    c.expect("QUIT", "221")
    c.close()
    # the count is the address's, not the session's
    d = mx(s)
    d.expect("MAIL FROM:<someone@remote.example>", "250")
    d.expect("RCPT TO:<demo@example.test>", "450 4.7.1")
    d.expect("QUIT", "221")
    d.close()
    assert s.wait_for(lambda: "event=rate_limited ip=127.0.0.1 limit=rcpt_ip count=5 window=60" in s.log("smtpd"), 5), s.log("smtpd")[-1000:]


@phtest.case
def submitd_recipients_per_login(s):
    c = logged_in(s, tls=False)
    c.expect("MAIL FROM:<demo@example.test>", "250")
    for i in range(RCPT_USER):
        c.expect("RCPT TO:<r%d@remote.example>" % i, "250")
    c.expect("RCPT TO:<over@remote.example>", "452 4.5.3")
    # no message taken: the reservations are given back
    c.expect("RSET", "250")
    c.expect("MAIL FROM:<demo@example.test>", "250")
    for i in range(RCPT_USER):
        c.expect("RCPT TO:<demo@example.test>" if i == 0 else "RCPT TO:<r%d@remote.example>" % i, "250")
    c.expect("DATA", "354")
    c.send(b"Subject: rate\r\n\r\nx\r\n.\r\n")
    assert queued_as(c.last())
    # taken: they count now, in this session and the next
    c.expect("MAIL FROM:<demo@example.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "452 4.5.3")
    c.expect("QUIT", "221")
    c.close()
    d = logged_in(s, tls=False)
    d.expect("MAIL FROM:<demo@example.test>", "250")
    d.expect("RCPT TO:<demo@example.test>", "452 4.5.3")
    d.close()
    assert "limit=rcpt_user count=4 window=60" in s.log("submission"), s.log("submission")[-800:]


@phtest.case
def tcpd_connection_rate_per_address(s):
    # the MX port had connections[...] this minute; the bucket holds CONNRATE
    seen = []
    for _ in range(CONNRATE + 2):
        with socket.create_connection(("127.0.0.1", s.port("smtp")), timeout=10) as k:
            k.settimeout(10)
            data = b""
            while not data.endswith(b"\r\n"):
                b = k.recv(1024)
                if not b:
                    break
                data += b
            seen.append(data[:3])
            if data.startswith(b"421"):
                assert data == b"421 4.7.0 Too many connections, try again later\r\n", data
                assert k.recv(1024) == b""   # and closed
                break
            k.sendall(b"QUIT\r\n")
        connections["smtp"] += 1
    assert seen[-1] == b"421", seen
    assert seen.count(b"220") == CONNRATE - 2, (seen, connections)
    assert s.wait_for(lambda: "event=limit_rate ip=127.0.0.1" in s.log("smtpd"), 5)
    assert s.wait_for(lambda: "connrate_ip=%d" % CONNRATE in s.log("smtpd"), 10)
    # another listener has its own count
    c = Raw(s, "submission")
    assert c.last().startswith("220 "), c.last()
    c.close()


@phtest.case
def ratelimit_files_private(s):
    d = s.state / "ratelimit-ip"
    st = os.stat(d)
    assert oct(st.st_mode & 0o777) == "0o700", oct(st.st_mode)
    files = list(d.iterdir())
    assert len(files) == 1 and len(files[0].name) == 64, files
    assert files[0].stat().st_size == RCPT_IP * 16, files[0].stat().st_size
    # submitd's recipients: their own directory (swept by their window)
    r = s.state / "ratelimit" / "rcpt"
    assert oct(os.stat(r).st_mode & 0o777) == "0o700"
    files = list(r.iterdir())
    assert len(files) == 1 and files[0].stat().st_size == RCPT_USER * 16, files


def _tcpd(args, port):
    return subprocess.Popen([str(phtest.DEFAULT_BIN / "tcpd")] + args + ["-u", "65534", "-g", "65534", "127.0.0.1", str(port), "/bin/echo", "hello"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@phtest.case
def tcpd_rate_refills_over_time(s):
    # run directly: -r 60 is one connection a second after a burst of 60
    port = phtest.free_port()
    p = _tcpd(["-r", "60", "-M", "421 slow down\\r\\n"], port)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        got = []
        for _ in range(61):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as k:
                got.append(k.recv(64))
        assert got[:59].count(b"hello\n") == 59 and got[-1] == b"421 slow down\r\n", got[-3:]
        time.sleep(1.2)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as k:
            assert k.recv(64) == b"hello\n"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as k:
            assert k.recv(64) == b"421 slow down\r\n"
    finally:
        p.terminate()
        err = p.communicate(timeout=10)[1]
    assert "event=limit_rate ip=127.0.0.1" in err, err[-500:]
    bad = subprocess.run([str(phtest.DEFAULT_BIN / "tcpd"), "-r", "x", "127.0.0.1", "0", "true"], stderr=subprocess.PIPE)
    assert bad.returncode == 100


if __name__ == "__main__":
    phtest.main(extra_env=ENV)
