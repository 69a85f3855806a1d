"""Delay notices (PH_DELAY_WARNING_TIME, Postfix's delay_warning_time)
and expiry (PH_QUEUE_LIFETIME), shortened to seconds: a recipient that
keeps failing temporarily gets one "delayed" notice, durable across a
restart, then a "failed" one at the end of the lifetime."""

import email
import email.policy
import re
import signal
import time

import phtest
from queuelib import wait_log, Scripted, qdir, records
from queuelib_dsn import inject_with_params, report, body, count, DEMO

WARN = 3
LIFETIME = 12


def parsed(s, start):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in s.messages(DEMO)[start:]]


def later(req):
    return [b"XREMOTEMTA=mx.slow.test", b"XDIAG=451 4.7.1 greylisted", b"Z4.7.1 greylisted"] * len(req["rcpts"])


@phtest.case
def delay_notice_then_failure_at_expiry(s):
    with Scripted(s, later, service="remote"):
        before = count(s)
        t0 = time.monotonic()
        a = inject_with_params(s, DEMO, [("slow@slow.test", [])], body("slow one"))
        qid = a[1:]
        assert wait_log(s, "queued", r"event=delay_notice qid=%s dsn=\w+ to=demo@example.test rcpts=1" % qid, WARN + 10)
        took = time.monotonic() - t0
        assert WARN - 0.5 <= took, "delay notice after %.1f s, before PH_DELAY_WARNING_TIME" % took
        assert s.wait_for(lambda: count(s) >= before + 1, 10)
        note = parsed(s, before)[0]
        parts, per_msg, rcpts = report(note)
        assert note["Subject"].startswith("Delayed Mail"), note["Subject"]
        r = rcpts[0]
        assert r["Action"] == "delayed" and r["Status"] == "4.7.1", dict(r)
        assert r["Final-Recipient"] == "rfc822; slow@slow.test" and r["Will-Retry-Until"], dict(r)
        assert parts[2].get_content_type() == "text/rfc822-headers"
        recs = records((qdir(s) / "queue" / qid / "state").read_bytes())
        assert ("W", b"") in recs, "the notice is not recorded in the journal: %r" % recs
        # A restart does not send it again.
        s.kill("queued", signal.SIGKILL)
        assert s.wait_up("queued", 20)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, LIFETIME + 15)
        assert len(re.findall(r"event=delay_notice qid=%s " % qid, s.log("queued"))) == 1, "more than one delay notice"
        assert s.wait_for(lambda: count(s) >= before + 2, 10)
        fail = parsed(s, before)[1]
        _, _, rcpts = report(fail)
        assert rcpts[0]["Action"] == "failed" and rcpts[0]["Status"] == "4.4.7", dict(rcpts[0])
        assert "last attempt: 4.7.1 greylisted" in rcpts[0]["Diagnostic-Code"], rcpts[0]["Diagnostic-Code"]
        assert s.wait_for(lambda: re.search(r'event=failed qid=%s rcpt=slow@slow.test reply="4.4.7 delivery time expired"' % qid, s.log("queued")), 10)


@phtest.case
def notify_failure_only_means_no_delay_notice(s):
    with Scripted(s, later, service="remote"):
        before = count(s)
        a = inject_with_params(s, DEMO, [("quiet@slow.test", ["NOTIFY=FAILURE"])], body("no delay notice"))
        qid = a[1:]
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, LIFETIME + 15)
        assert not re.search(r"event=delay_notice qid=%s " % qid, s.log("queued"))
        assert s.wait_for(lambda: count(s) >= before + 1, 10)
        time.sleep(0.5)
        msgs = parsed(s, before)
        assert len(msgs) == 1 and report(msgs[0])[2][0]["Action"] == "failed", [m["Subject"] for m in msgs]


if __name__ == "__main__":
    phtest.main(extra_env={
        "PH_RETRY_MIN": "1",
        "PH_RETRY_MAX": "2",
        "PH_DELAY_WARNING_TIME": str(WARN),
        "PH_QUEUE_LIFETIME": str(LIFETIME),
    })
