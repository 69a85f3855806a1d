"""queued with the real deliverd-remote end to end: DNS from
tests/lib/dnsserver, remote servers from tests/lib/smtpsink. A message
for two recipients of one domain goes out in one SMTP transaction; a
550 for one of them comes back to the sender as an RFC 3464 bounce
naming the remote server and its reply; a 451 is retried until it
succeeds; the DSN parameters reach the remote server."""

import email
import email.policy
import re

import dnsserver
import phtest
import smtpsink
from queuelib import wait_log
from queuelib_dsn import inject_with_params, report, body, count, DEMO

SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
DNS.add("mixed.test", "MX", "10 mx.mixed.test.")
DNS.add("mx.mixed.test", "A", "127.0.0.5")


@phtest.case
def batch_550_bounces_with_remote_details(s):
    sink = smtpsink.SMTPSink(ip="127.0.0.5", port=SINK_PORT, name="mx.mixed.test",
                             rcpt_replies={"gone@mixed.test": "550 5.1.1 <gone@mixed.test>: User unknown"}).start()
    try:
        before = count(s)
        a = inject_with_params(s, DEMO, [("ok@mixed.test", ["NOTIFY=FAILURE", "ORCPT=rfc822;ok@mixed.test"]),
                                         ("gone@mixed.test", [])],
                               body("e2e"), ["ENVID=e2e+2B1", "RET=HDRS"])
        qid = a[1:]
        msgs = sink.wait_messages(1, timeout=30)
        assert len(msgs) == 1 and [r for r, _ in msgs[0].rcpts] == ["ok@mixed.test"], msgs
        params = msgs[0].rcpts[0][1].split()    # the RCPT parameters, as sent
        assert "NOTIFY=FAILURE" in params and "ORCPT=rfc822;ok@mixed.test" in params, msgs[0].rcpts
        mp = msgs[0].mail_params.split()
        assert "ENVID=e2e+2B1" in mp and "RET=HDRS" in mp, msgs[0].mail_params
        # One transaction for both recipients: one MAIL, two RCPT.
        mails = [c for d, c in sink.sessions[0].transcript if d == "C" and c.upper().startswith(b"MAIL FROM")]
        rcpts = [c for d, c in sink.sessions[0].transcript if d == "C" and c.upper().startswith(b"RCPT TO")]
        assert len(mails) == 1 and len(rcpts) == 2, sink.sessions[0].transcript
        assert s.wait_for(lambda: count(s) > before, 30), "no bounce"
        m = email.message_from_bytes(s.messages(DEMO)[before].read_bytes(), policy=email.policy.default)
        parts, per_msg, rs = report(m)
        assert per_msg["Original-Envelope-Id"] == "e2e+1", per_msg["Original-Envelope-Id"]
        assert len(rs) == 1, len(rs)
        r = rs[0]
        assert r["Final-Recipient"] == "rfc822; gone@mixed.test" and r["Status"] == "5.1.1", dict(r)
        assert r["Remote-MTA"].startswith("dns; mx.mixed.test"), r["Remote-MTA"]
        assert r["Diagnostic-Code"] == "smtp; 550 5.1.1 <gone@mixed.test>: User unknown", r["Diagnostic-Code"]
        assert parts[2].get_content_type() == "text/rfc822-headers"
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 10)
    finally:
        sink.stop()


@phtest.case
def remote_451_retried_then_delivered(s):
    state = {"n": 0}

    def rcpt(session, arg):
        state["n"] += 1
        return "451 4.7.1 greylisted, come back later" if state["n"] == 1 else "250 2.1.5 Ok"

    sink = smtpsink.SMTPSink(ip="127.0.0.5", port=SINK_PORT, name="mx.mixed.test", replies={"RCPT": rcpt}).start()
    try:
        a = inject_with_params(s, DEMO, [("later@mixed.test", [])], body("grey"))
        qid = a[1:]
        assert wait_log(s, "queued", r'event=deferred qid=%s rcpt=later@mixed.test delay=1 reply="4.7.1 ' % qid, 30)
        assert wait_log(s, "queued", r"event=delivered qid=%s rcpt=later@mixed.test" % qid, 30)
        assert len(sink.wait_messages(1, timeout=5)) == 1
    finally:
        sink.stop()


if __name__ == "__main__":
    try:
        phtest.main(extra_env={
            "PH_RETRY_MIN": "1",
            "PH_RETRY_MAX": "2",
            "PH_DNS_RESOLVER": DNS.resolver,
            "PH_REMOTE_PORT": str(SINK_PORT),
        })
    finally:
        DNS.stop()
