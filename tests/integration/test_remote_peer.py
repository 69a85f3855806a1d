"""Two posthaste instances talking to each other: suite A (the one
phtest.main() starts) sends to u@peer.test, whose MX in the test DNS
server is suite B, a second complete posthaste started by this file on
other ports. What crosses the wire is posthaste's SMTP client against
posthaste's smtpd: STARTTLS between tlsc and tlsd, PIPELINING, CHUNKING,
DSN, and the refusals of one coming back as bounces of the other."""

import email
import email.policy
import os
import re
import subprocess
import time

import dnsserver
import phtest

DNS = dnsserver.DNSServer({"peer.test": {"MX": ["10 mx.peer.test."]},
                           "mx.peer.test": {"A": ["127.0.0.1"]}}).start()
PEER = None   # suite B


def sendmail(s, args, data):
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    r = subprocess.run([str(s.bin / "sendmail")] + list(args), input=data, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr)


def message(subject, body=b"hello peer\n"):
    return (b"From: demo@example.test\nTo: u@peer.test\nSubject: " + subject.encode() +
            b"\nMessage-ID: <" + subject.encode() + b"@example.test>\n\n" + body)


def wait_peer(subject, timeout=30):
    """The file in B's Maildir whose Subject is subject."""
    def find():
        for p in PEER.messages("u@peer.test"):
            if b"Subject: " + subject.encode() + b"\n" in p.read_bytes():
                return p
        return None
    p = PEER.wait_for(find, timeout)
    assert p, "not delivered to the peer; A's remote log: %s | B's smtpd log: %s" % (
        phtest_log_tail("remote"), PEER.log("smtpd")[-1500:])
    return p


_suite_a = []


def phtest_log_tail(service):
    return _suite_a[0].log(service)[-1500:] if _suite_a else ""


@phtest.case
def peer_receives_over_starttls(s):
    _suite_a.append(s)
    body = b"line one\n.leading dot\n\nlast\n"
    sendmail(s, ["-f", "demo@example.test", "u@peer.test"], message("over-tls", body))
    data = wait_peer("over-tls").read_bytes()
    assert data.endswith(b"\n\n" + body), data
    assert b"\nMessage-ID: <over-tls@example.test>\n" in data, data
    # B's Received field names A's client and says the hop was encrypted
    # (RFC 3848 ESMTPS) with TLS 1.3 or 1.2.
    head = data.split(b"\n\n", 1)[0].decode()
    m = re.search(r"^Received: from .*?(?=^\S)", head + "\nX", re.M | re.S)
    assert m and "with ESMTPS" in m.group(0) and re.search(r"TLSv1\.[23]", m.group(0)), head


@phtest.case
def peer_refusal_becomes_bounce(s):
    before = len(s.messages("demo@example.test"))
    sendmail(s, ["-f", "demo@example.test", "nobody@peer.test"],
             b"From: demo@example.test\nTo: nobody@peer.test\nSubject: to-nobody\n\nx\n")
    s.wait_for(lambda: len(s.messages("demo@example.test")) > before, 30)
    files = s.messages("demo@example.test")[before:]
    assert files, "no bounce; remote log: %s" % s.log("remote")[-1500:]
    msg = email.message_from_bytes(files[-1].read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    status = [p for p in msg.walk() if p.get_content_type() == "message/delivery-status"]
    assert status, msg
    text = status[0].as_string()
    assert re.search(r"Status: 5\.1\.1", text), text
    assert re.search(r"Final-Recipient: rfc822; ?nobody@peer\.test", text, re.I), text
    assert re.search(r"Remote-MTA: dns; ?mx\.peer\.test", text, re.I), text


@phtest.case
def peer_down_then_up_delivers_later(s):
    svc = PEER.service_dir("smtpd")
    subprocess.run(["s6-svc", "-d", str(svc)], check=True)
    subprocess.run(["s6-svwait", "-D", "-t", "10000", str(svc)], check=True)
    # A connection A keeps open for reuse would still reach B's smtpd of
    # that session: end those too, so B is really unreachable.
    subprocess.run(["pkill", "-KILL", "-f", str(PEER.bin / "smtpd")])
    try:
        sendmail(s, ["-f", "demo@example.test", "u@peer.test"], message("while-down"))
        assert s.wait_for(lambda: re.search(r"event=deferred .*rcpt=u@peer\.test", s.log("queued")), 30), \
            s.log("queued")[-1500:]
    finally:
        subprocess.run(["s6-svc", "-u", str(svc)], check=True)
        subprocess.run(["s6-svwait", "-U", "-t", "10000", str(svc)], check=True)
    s.mailctl("queue", "flush")
    wait_peer("while-down")


@phtest.case
def peer_takes_a_burst_in_order(s):
    n = 30
    for i in range(n):
        sendmail(s, ["-f", "demo@example.test", "u@peer.test"], message("burst-%02d" % i, b"n=%d\n" % i))
    for i in range(n):
        wait_peer("burst-%02d" % i, timeout=60)


if __name__ == "__main__":
    try:
        PEER = phtest.Suite(extra_env={"OVERRIDE_HOSTNAME": "mx.peer.test"}).start()
        PEER.mailctl("email", "add", "u@peer.test", "peer-password-1")
    except Exception as e:  # noqa: BLE001
        print("FAIL peer_start: %s" % str(e).replace("\n", " | ")[:2000])
        print("0 passed, 1 failed")
        DNS.stop()
        raise SystemExit(1)
    try:
        phtest.main(extra_env={"PH_DNS_RESOLVER": DNS.resolver,
                               "PH_REMOTE_PORT": str(PEER.port("smtp")),
                               "PH_QUEUE_RETRY_MIN": "1"})
    finally:
        PEER.stop()
        DNS.stop()
