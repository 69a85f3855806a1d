"""Mail loops: more than PH_MAX_HOPS (default 50, Postfix's
hopcount_limit) Received + Delivered-To fields is a permanent failure,
D5.4.6 too many hops, at deliverd (forwards included) and lmtpd; a bounce
through the queue; the Delivered-To of the address itself still fails
with 5.4.6 mail loop. deliverd/README.md, step 2."""

import socket

import phtest
from quotalib import deliver, lf, log_lines, make_message, parse, send

SENDER = "sender@example.test"
DEMO = "demo@example.test"


def account(s, addr):
    if addr not in s.mailctl("email", "list").stdout.split():
        s.mailctl("email", "add", addr, "pw")


@phtest.case
def hop_limit_at_deliverd(s):
    account(s, SENDER)
    r = deliver(s, SENDER, DEMO, lf(make_message("fifty", 300, received=50)))
    assert r and r[0].startswith("K2.0.0"), "50 hops are allowed: %r" % r
    r = deliver(s, SENDER, DEMO, lf(make_message("fifty-one", 300, received=51)))
    assert r == ["D5.4.6 too many hops"], r
    assert s.wait_for(lambda: log_lines(s, "deliverd", "event=failed", "too many hops"), 10), s.log("deliverd")[-2000:]
    # Delivered-To fields count too, together with Received
    r = deliver(s, SENDER, DEMO, lf(make_message("mixed", 300, received=30,
                                                  delivered_to=["a%d@elsewhere.test" % i for i in range(21)])))
    assert r == ["D5.4.6 too many hops"], r
    r = deliver(s, SENDER, DEMO, lf(make_message("mixed ok", 300, received=30,
                                                  delivered_to=["a%d@elsewhere.test" % i for i in range(20)])))
    assert r and r[0].startswith("K2.0.0"), r


@phtest.case
def what_counts_as_a_hop(s):
    # names in any case, blanks before the colon (RFC 5322 4.5); a folded
    # field counts once; "Received" in the body, or in another field's
    # name, does not count
    head = b"".join(b"received : from a\n\tby b; Thu, 1 Jan 2026 00:00:00 +0000\n" for _ in range(25))
    head += b"".join(b"DELIVERED-TO: x%d@elsewhere.test\n" % i for i in range(25))
    head += b"X-Received: not a hop\nReceived-SPF: pass\nSubject: hops\n\n"
    body = b"Received: from body\n" * 100
    r = deliver(s, SENDER, DEMO, head + body)
    assert r and r[0].startswith("K2.0.0"), "50 hops, folded, body ignored: %r" % r
    r = deliver(s, SENDER, DEMO, b"Received: from one\n" + head + body)
    assert r == ["D5.4.6 too many hops"], r
    # CRLF line ends (a message that was not converted) count the same
    crlf = make_message("crlf", 300, received=51)
    r = deliver(s, SENDER, DEMO, crlf)
    assert r == ["D5.4.6 too many hops"], r


@phtest.case
def hop_limit_applies_to_forwards(s):
    s.mailctl("alias", "add", "fwd@example.test", "far@remote.test")
    try:
        r = deliver(s, SENDER, "fwd@example.test", lf(make_message("forward", 300, received=51)))
        assert r == ["D5.4.6 too many hops"], "no R line for a looping message: %r" % r
        r = deliver(s, SENDER, "fwd@example.test", lf(make_message("forward ok", 300, received=3)))
        assert r and r[0] == "Rfar@remote.test" and r[-1].startswith("K2.0.0"), r
    finally:
        s.mailctl("alias", "del", "fwd@example.test", "far@remote.test")


@phtest.case
def delivered_to_loop_still_detected(s):
    r = deliver(s, SENDER, DEMO, lf(make_message("seen", 300, received=1, delivered_to=[DEMO.upper()])))
    assert r == ["D5.4.6 mail loop: already delivered to this address"], r


@phtest.case
def looping_message_bounces_through_the_queue(s):
    account(s, SENDER)
    before_demo = len(s.messages(DEMO))
    before = len(s.messages(SENDER))
    # smtpd adds its own Received: 49 + 1 = 50 hops are delivered
    refused, ans = send(s, [DEMO], make_message("fine", 300, received=49))
    assert not refused and ans[0] == 250, (refused, ans)
    assert s.wait_for(lambda: len(s.messages(DEMO)) > before_demo, 30), "50 hops not delivered"
    # 50 + 1 = 51: accepted by smtpd, refused by deliverd, bounced
    refused, ans = send(s, [DEMO], make_message("looping", 300, received=50))
    assert not refused and ans[0] == 250, (refused, ans)
    assert s.wait_for(lambda: len(s.messages(SENDER)) > before, 30), "no bounce"
    bounce = parse(s.messages(SENDER)[before])
    assert bounce.get_content_type() == "multipart/report", bounce.get_content_type()
    status = bounce.get_payload()[1].get_payload()[1]
    assert status["Final-Recipient"] == "rfc822; demo@example.test", dict(status)
    assert status["Status"] == "5.4.6", dict(status)
    assert "too many hops" in str(bounce)
    assert len(s.messages(DEMO)) == before_demo + 1, "the looping message was not delivered"


@phtest.case
def hop_limit_at_lmtpd(s):
    # lmtpd adds its Received field too: 49 + 1 pass, 50 + 1 do not
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(30)
    c.connect(s.env["PH_RUN_DIR"] + "/lmtp.sock")
    f = c.makefile("rwb")

    def reply():
        lines = []
        while True:
            line = f.readline().decode()
            assert line, "lmtpd closed: %r" % lines
            lines.append(line.rstrip("\r\n"))
            if line[3:4] != "-":
                return lines

    def cmd(line):
        f.write(line.encode() + b"\r\n")
        f.flush()
        return reply()

    try:
        assert reply()[0].startswith("220")
        assert cmd("LHLO client.test")[-1].startswith("250")
        for received, want in ((50, "550 5.4.6"), (49, "250 2.")):
            assert cmd("MAIL FROM:<%s>" % SENDER)[0].startswith("250")
            assert cmd("RCPT TO:<%s>" % DEMO)[0].startswith("250")
            assert cmd("DATA")[0].startswith("354")
            f.write(make_message("lmtp %d" % received, 300, received=received) + b".\r\n")
            f.flush()
            got = reply()[0]
            assert got.startswith(want), (received, got)
        cmd("QUIT")
    finally:
        c.close()


if __name__ == "__main__":
    phtest.main(extra_env={"PH_RETRY_MIN": "1", "PH_RETRY_MAX": "2"})
