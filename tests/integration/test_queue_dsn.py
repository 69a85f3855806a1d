"""Delivery status notifications (RFC 3464, RFC 3461) from queued, read
back with python's email package: failures of remote recipients (a
scripted remote.sock), local ones (the real deliverd), RET, NOTIFY, ORCPT
and ENVID, notifications never to the null sender, double bounces to
POSTMASTER_ADDRESS, and a failed double bounce dropped."""

import email
import email.policy
import re
import time

import phtest
from queuelib import inject, wait_log, Scripted
from queuelib_dsn import DEMO, body, count, next_message, report, inject_with_params

POSTMASTER = "pm@remote.test"


def field(request, name):
    return [f[len(name) + 1:].decode() for f in request["fields"] if f.startswith(name.encode() + b"=")]


def remote_rule(table):
    """Replies per recipient: table maps an address to a list of reply
    fields; unknown recipients are delivered."""
    def rule(req):
        out = []
        for r in req["rcpts"]:
            out += table.get(r, [b"K2.0.0 accepted"])
        return out
    return rule


@phtest.case
def remote_failure_bounces_rfc3464(s):
    table = {"bob@remote.test": [b"XREMOTEMTA=mx.remote.test", b"XDIAG=550 5.1.1 <bob@remote.test> no such user",
                                 b"D5.1.1 no such user"]}
    with Scripted(s, remote_rule(table), service="remote") as fake:
        before = count(s)
        a = inject(s, DEMO, ["bob@remote.test", "carol@remote.test"], body("remote failure"),
                   [b"MENVID=env+2D42", b"MBODY=8BITMIME"])
        assert a and a[0] == "K", a
        qid = a[1:]
        m = next_message(s, before)
        reqs = fake.seen(qid=qid)
        assert len(reqs) == 1 and reqs[0]["rcpts"] == ["bob@remote.test", "carol@remote.test"], \
            "one request for both recipients of the domain: %r" % [r["rcpts"] for r in reqs]
        assert field(reqs[0], "XENVID") == ["env+2D42"] and field(reqs[0], "XBODY") == ["8BITMIME"], reqs[0]["fields"]
    assert m["From"] == "Mail Delivery System <MAILER-DAEMON@mail.example.test>", m["From"]
    assert m["To"].addresses[0].addr_spec == DEMO and m["Auto-Submitted"] == "auto-replied", m["To"]
    assert m["Return-Path"] == "<>", "a notification comes from the null sender: %r" % m["Return-Path"]
    parts, per_msg, rcpts = report(m)
    assert per_msg["Reporting-MTA"] == "dns; mail.example.test", per_msg["Reporting-MTA"]
    assert per_msg["Original-Envelope-Id"] == "env-42", per_msg["Original-Envelope-Id"]
    assert per_msg["Arrival-Date"], "no Arrival-Date"
    assert len(rcpts) == 1, "only the failed recipient is reported: %d blocks" % len(rcpts)
    r = rcpts[0]
    assert r["Final-Recipient"] == "rfc822; bob@remote.test" and r["Action"] == "failed" and r["Status"] == "5.1.1", dict(r)
    assert r["Remote-MTA"] == "dns; mx.remote.test", r["Remote-MTA"]
    assert r["Diagnostic-Code"] == "smtp; 550 5.1.1 <bob@remote.test> no such user", r["Diagnostic-Code"]
    assert r["Last-Attempt-Date"] and r["Original-Recipient"] is None
    assert parts[2].get_content_type() == "message/rfc822"
    returned = parts[2].get_payload()[0]
    assert returned["Subject"] == "remote failure" and "the body text" in returned.get_content()
    assert "bob@remote.test" in parts[0].get_content() and "mx.remote.test" in parts[0].get_content()
    log = s.log("queued")
    assert re.search(r"event=bounce qid=%s rcpt=bob@remote.test from=demo@example.test dsn=\w+ to=demo@example.test" % qid, log)
    assert re.search(r"event=delivered qid=%s rcpt=carol@remote.test" % qid, log)


@phtest.case
def orcpt_notify_passed_on_and_reported(s):
    table = {"bob@remote.test": [b"D5.2.1 mailbox disabled"]}
    with Scripted(s, remote_rule(table), service="remote") as fake:
        before = count(s)
        a = inject_with_params(s, DEMO, [("bob@remote.test", ["ORCPT=rfc822;Bob+2Borig@remote.test", "NOTIFY=FAILURE,DELAY"])],
                               body("orcpt"))
        qid = a[1:]
        m = next_message(s, before)
        req = fake.seen(qid=qid)[0]
        i = req["fields"].index(b"Tbob@remote.test")
        assert req["fields"][i + 1:i + 3] == [b"XNOTIFY=FAILURE,DELAY", b"XORCPT=rfc822;Bob+2Borig@remote.test"], req["fields"]
    _, _, rcpts = report(m)
    assert rcpts[0]["Original-Recipient"] == "rfc822; Bob+orig@remote.test", rcpts[0]["Original-Recipient"]
    assert rcpts[0]["Status"] == "5.2.1" and rcpts[0]["Diagnostic-Code"] == "X-Posthaste; mailbox disabled", dict(rcpts[0])


@phtest.case
def ret_hdrs_returns_only_the_header(s):
    with Scripted(s, remote_rule({"h@remote.test": [b"D5.1.1 no"]}), service="remote"):
        before = count(s)
        inject_with_params(s, DEMO, [("h@remote.test", [])], body("headers only", "SECRET BODY\n"), ["RET=HDRS"])
        m = next_message(s, before)
    parts, _, _ = report(m)
    assert parts[2].get_content_type() == "text/rfc822-headers", parts[2].get_content_type()
    text = parts[2].get_content() if hasattr(parts[2], "get_content") else parts[2].get_payload()
    assert "Subject: headers only" in text and "SECRET BODY" not in m.as_string(), text


@phtest.case
def notify_never_gives_no_notification(s):
    with Scripted(s, remote_rule({"n@remote.test": [b"D5.1.1 no"]}), service="remote"):
        before = count(s)
        a = inject_with_params(s, DEMO, [("n@remote.test", ["NOTIFY=NEVER"])], body("never"))
        qid = a[1:]
        assert wait_log(s, "queued", r'event=bounce qid=%s rcpt=n@remote.test from=demo@example.test dsn=none reason="NOTIFY does not ask for failures"' % qid, 20)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 10)
    time.sleep(1.5)
    assert count(s) == before, "NOTIFY=NEVER still produced a notification"


@phtest.case
def local_unknown_user_bounce(s):
    before = count(s)
    a = inject(s, DEMO, ["nosuchuser@example.test"], body("local failure"))
    m = next_message(s, before)
    _, _, rcpts = report(m)
    r = rcpts[0]
    assert r["Final-Recipient"] == "rfc822; nosuchuser@example.test" and r["Status"] == "5.1.1", dict(r)
    assert r["Diagnostic-Code"] == "X-Posthaste; unknown user" and r["Remote-MTA"] is None, dict(r)


@phtest.case
def success_notice_when_asked(s):
    before = count(s)
    a = inject_with_params(s, DEMO, [(DEMO, ["NOTIFY=SUCCESS"])], body("tell me"))
    qid = a[1:]
    assert s.wait_for(lambda: count(s) >= before + 2, 20), "the message and its notice"
    msgs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in s.messages(DEMO)[before:]]
    notes = [m for m in msgs if m.get_content_type() == "multipart/report"]
    assert len(notes) == 1, [m["Subject"] for m in msgs]
    parts, _, rcpts = report(notes[0])
    assert rcpts[0]["Action"] == "delivered" and rcpts[0]["Status"] == "2.0.0", dict(rcpts[0])
    assert parts[2].get_content_type() == "text/rfc822-headers"


@phtest.case
def relayed_notice_when_the_next_hop_has_no_dsn(s):
    table = {"r@remote.test": [b"XREMOTEMTA=mx.remote.test", b"XACTION=relayed", b"K2.0.0 accepted"]}
    with Scripted(s, remote_rule(table), service="remote"):
        before = count(s)
        a = inject_with_params(s, DEMO, [("r@remote.test", ["NOTIFY=SUCCESS"]), ("q@remote.test", ["NOTIFY=SUCCESS"])],
                               body("relayed"))
        qid = a[1:]
        m = next_message(s, before)
        assert wait_log(s, "queued", r"event=success_notice qid=%s rcpt=r@remote.test dsn=\w+" % qid, 5)
    parts, _, rcpts = report(m)
    assert len(rcpts) == 1, "q@remote.test was delivered by a DSN-capable hop: no notice from us"
    assert rcpts[0]["Action"] == "relayed" and rcpts[0]["Status"] == "2.0.0", dict(rcpts[0])
    assert rcpts[0]["Remote-MTA"] == "dns; mx.remote.test"
    assert parts[2].get_content_type() == "text/rfc822-headers"


@phtest.case
def null_sender_failure_goes_to_postmaster(s):
    table = {"x@remote.test": [b"D5.1.1 gone"]}
    with Scripted(s, remote_rule(table), service="remote") as fake:
        a = inject(s, "", ["x@remote.test"], body("from nobody"))
        qid = a[1:]
        assert wait_log(s, "queued", r'event=bounce qid=%s rcpt=x@remote.test from="" dsn=(\w+) to=%s' % (qid, POSTMASTER), 20)
        dsn = re.search(r'event=bounce qid=%s rcpt=x@remote.test from="" dsn=(\w+)' % qid, s.log("queued")).group(1)
        assert s.wait_for(lambda: fake.seen(qid=dsn), 20), "the double bounce was not sent"
        req = fake.seen(qid=dsn)[0]
    assert req["from"] == "" and req["rcpts"] == [POSTMASTER], req
    m = email.message_from_bytes(req["body"], policy=email.policy.default)
    _, _, rcpts = report(m)
    assert m["To"].addresses[0].addr_spec == POSTMASTER and rcpts[0]["Final-Recipient"] == "rfc822; x@remote.test"


@phtest.case
def bounce_that_bounces_then_double_bounce_dropped(s):
    # Everything remote fails: the message, its bounce to the (remote)
    # sender, and the double bounce to the (remote) postmaster.
    with Scripted(s, lambda req: [b"D5.1.1 refused"] * len(req["rcpts"]), service="remote"):
        a = inject(s, "s@far.test", ["y@remote.test"], body("chain"))
        qid = a[1:]
        m1 = wait_log(s, "queued", r"event=bounce qid=%s rcpt=y@remote.test from=s@far.test dsn=(\w+) to=s@far.test" % qid, 20)
        assert m1
        d1 = m1.group(1)
        m2 = wait_log(s, "queued", r'event=bounce qid=%s rcpt=s@far.test from="" dsn=(\w+) to=%s' % (d1, POSTMASTER), 20)
        assert m2, "the bounce's failure did not go to the postmaster"
        d2 = m2.group(1)
        assert wait_log(s, "queued", r'event=bounce qid=%s rcpt=%s from="" dsn=none reason="double bounce undeliverable: dropped"' % (d2, POSTMASTER), 20)
        for q in (qid, d1, d2):
            assert wait_log(s, "queued", r"event=removed qid=%s$" % q, 10), q


@phtest.case
def alias_target_failure_names_the_alias(s):
    s.mailctl("alias", "add", "list@example.test", "far@remote.test")
    try:
        with Scripted(s, remote_rule({"far@remote.test": [b"D5.1.1 no such user"]}), service="remote") as fake:
            before = count(s)
            a = inject(s, DEMO, ["list@example.test"], body("via alias"))
            qid = a[1:]
            m = next_message(s, before)
            req = fake.seen(qid=qid)[0]
        assert req["rcpts"] == ["far@remote.test"] and field(req, "XORCPT") == ["rfc822;list@example.test"], req["fields"]
        _, _, rcpts = report(m)
        assert rcpts[0]["Final-Recipient"] == "rfc822; far@remote.test", dict(rcpts[0])
        assert rcpts[0]["Original-Recipient"] == "rfc822; list@example.test", dict(rcpts[0])
    finally:
        s.mailctl("alias", "del", "list@example.test", "far@remote.test")


if __name__ == "__main__":
    phtest.main(extra_env={
        "PH_RETRY_MIN": "1",
        "PH_RETRY_MAX": "2",
        "POSTMASTER_ADDRESS": POSTMASTER,
    })
