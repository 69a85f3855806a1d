"""Internationalized notifications (RFC 6533) from queued: an SMTPUTF8
message (RFC 6531), or one naming a non-ASCII address, bounces as a
multipart/report; report-type=global-delivery-status with a
message/global-delivery-status part ("utf-8" address type, the
utf-8-addr-unitext form: '+', '=', '\\' and space as \\x{HEX}), the
message as message/global (or message/global-headers for RET=HDRS and
delay notices), and the notification travels with SMTPUTF8. An ASCII
message's notification stays RFC 3464. Read back with python's email
package (policy=email.policy.default)."""

import email
import email.policy
import re

import phtest
from queuelib import wait_log, Scripted
from queuelib_dsn import DEMO, count, next_message, inject_with_params

JEROME = "j\u00e9r\u00f4me+tag@remote.test"       # UTF-8 local part, and a '+'
JEROME_UNITEXT = "j\u00e9r\u00f4me\\x{2B}tag@remote.test"
CHINESE = "\u674e\u56db@\u4f8b\u5b50.test"        # UTF-8 on both sides of the @
FAR = "s@far.test"
WARN = 3


def utf8_body(subject, text="the body text\n"):
    return ("Received: from test\nFrom: <%s>\nSubject: %s\nMessage-ID: <%d@test>\n\n%s"
            % (DEMO, subject, abs(hash(subject)), text)).encode()


def fail(addresses, reply=b"D5.1.1 no such user"):
    def rule(req):
        out = []
        for r in req["rcpts"]:
            out += [reply] if r in addresses else [b"K2.0.0 accepted"]
        return out
    return rule


def field(request, name):
    return [f[len(name) + 1:] for f in request["fields"] if f.startswith(name.encode() + b"=") or f == name.encode()]


def parts_raw(raw, boundary):
    """The body parts of a multipart as bytes, split at the boundary."""
    sep = b"\n--" + boundary.encode()
    chunks = raw.split(sep)
    assert chunks[-1].startswith(b"--"), "no closing boundary"
    return [c[1:] if c.startswith(b"\n") else c for c in chunks[1:-1]]


def status_blocks(raw, m):
    """The per-message block and recipient blocks of the report, parsed
    from the raw bytes (the email package keeps no exact copy of the
    UTF-8 body of a message/* part), each as a parsed header block."""
    for p in parts_raw(raw, m.get_boundary()):
        head, _, body = p.partition(b"\n\n")
        if re.search(rb"(?im)^content-type: message/(global-)?delivery-status$", head):
            blocks = [b for b in body.rstrip(b"\n").split(b"\n\n") if b.strip()]
            parsed = [email.message_from_bytes(b + b"\n\n", policy=email.policy.default) for b in blocks]
            return head, parsed[0], parsed[1:]
    raise AssertionError("no delivery-status part")


def global_report(m):
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "global-delivery-status", m["Content-Type"]
    parts = m.get_payload()
    types = [p.get_content_type() for p in parts]
    assert types[:2] == ["text/plain", "message/global-delivery-status"], types
    return parts


def latest(s, before):
    m = next_message(s, before)
    raw = s.messages(DEMO)[before].read_bytes()
    return m, raw


@phtest.case
def utf8_recipient_bounce_is_global_with_message_global(s):
    with Scripted(s, fail({JEROME, "ann@remote.test"}), service="remote"):
        before = count(s)
        a = inject_with_params(s, DEMO, [(JEROME, []), ("ann@remote.test", []), ("ok@remote.test", [])],
                               utf8_body("\u00e9t\u00e9 report"), ["SMTPUTF8", "BODY=8BITMIME"])
        assert a and a[0] == "K", a
        m, raw = latest(s, before)
    parts = global_report(m)
    assert parts[2].get_content_type() == "message/global", [p.get_content_type() for p in parts]
    returned = parts[2].get_payload()[0]
    assert returned["Subject"] == "\u00e9t\u00e9 report", returned["Subject"]
    assert "the body text" in raw.decode(), "the message is not returned"
    head, per_msg, rcpts = status_blocks(raw, m)
    assert b"content-transfer-encoding: 8bit" in head.lower(), head
    assert per_msg["Reporting-MTA"] == "dns; mail.example.test", per_msg["Reporting-MTA"]
    got = {r["Action"] + " " + r["Final-Recipient"] for r in rcpts}
    assert got == {"failed utf-8; " + JEROME_UNITEXT, "failed rfc822; ann@remote.test"}, got
    assert all(r["Status"] == "5.1.1" for r in rcpts), [dict(r) for r in rcpts]
    assert JEROME in parts[0].get_content(), "the text part names the address as it is"
    assert parts[0].get_content_charset() == "utf-8", parts[0]["Content-Type"]


@phtest.case
def ret_hdrs_returns_message_global_headers(s):
    with Scripted(s, fail({CHINESE}), service="remote"):
        before = count(s)
        inject_with_params(s, DEMO, [(CHINESE, [])], utf8_body("\u4e2d headers", "SECRET BODY\n"),
                           ["SMTPUTF8", "RET=HDRS"])
        m, raw = latest(s, before)
    parts = global_report(m)
    assert parts[2].get_content_type() == "message/global-headers", parts[2].get_content_type()
    assert parts[2].get_payload()[0]["Subject"] == "\u4e2d headers"
    assert b"SECRET BODY" not in raw, "RET=HDRS returned the body"
    _, _, rcpts = status_blocks(raw, m)
    assert [r["Final-Recipient"] for r in rcpts] == ["utf-8; " + CHINESE], [dict(r) for r in rcpts]


@phtest.case
def notification_to_a_remote_sender_travels_with_smtputf8(s):
    with Scripted(s, fail({JEROME}), service="remote") as fake:
        a = inject_with_params(s, FAR, [(JEROME, [])], utf8_body("far away"), ["SMTPUTF8"])
        qid = a[1:]
        got = wait_log(s, "queued", r"event=bounce qid=%s rcpt=\S+ from=s@far.test dsn=(\w+) to=s@far.test" % qid, 20)
        assert got, "no bounce logged"
        dsn = got.group(1)
        assert s.wait_for(lambda: fake.seen(qid=dsn), 20), "the notification was not sent"
        req = fake.seen(qid=dsn)[0]
    assert req["from"] == "" and req["rcpts"] == [FAR], req
    assert field(req, "XSMTPUTF8") == [b"1"], "the notification's envelope has no SMTPUTF8: %r" % req["fields"]
    assert field(req, "XBODY") == [b"8BITMIME"], req["fields"]
    m = email.message_from_bytes(req["body"], policy=email.policy.default)
    global_report(m)
    _, _, rcpts = status_blocks(req["body"], m)
    assert rcpts[0]["Final-Recipient"] == "utf-8; " + JEROME_UNITEXT, dict(rcpts[0])


@phtest.case
def ascii_message_notification_stays_rfc3464(s):
    with Scripted(s, fail({"plain@remote.test"}), service="remote") as fake:
        a = inject_with_params(s, FAR, [("plain@remote.test", [])], utf8_body("plain one"))
        qid = a[1:]
        got = wait_log(s, "queued", r"event=bounce qid=%s rcpt=plain@remote.test from=s@far.test dsn=(\w+)" % qid, 20)
        assert got
        dsn = got.group(1)
        assert s.wait_for(lambda: fake.seen(qid=dsn), 20), "the notification was not sent"
        req = fake.seen(qid=dsn)[0]
    assert not field(req, "XSMTPUTF8"), "an ASCII notification asked for SMTPUTF8: %r" % req["fields"]
    m = email.message_from_bytes(req["body"], policy=email.policy.default)
    assert m.get_param("report-type") == "delivery-status", m["Content-Type"]
    types = [p.get_content_type() for p in m.get_payload()]
    assert types == ["text/plain", "message/delivery-status", "message/rfc822"], types
    assert b"global" not in req["body"], "RFC 6533 types in an ASCII notification"
    head, _, rcpts = status_blocks(req["body"], m)
    assert b"transfer-encoding" not in head.lower(), head
    assert rcpts[0]["Final-Recipient"] == "rfc822; plain@remote.test", dict(rcpts[0])


@phtest.case
def utf8_address_without_smtputf8_is_still_global(s):
    # The envelope lacks SMTPUTF8 (a local submission, say), but the
    # address is not ASCII: an RFC 3464 report could not carry it.
    with Scripted(s, fail({CHINESE}), service="remote"):
        before = count(s)
        inject_with_params(s, DEMO, [(CHINESE, [])], utf8_body("no flag"))
        m, raw = latest(s, before)
    parts = global_report(m)
    assert parts[2].get_content_type() == "message/global", parts[2].get_content_type()
    _, _, rcpts = status_blocks(raw, m)
    assert rcpts[0]["Final-Recipient"] == "utf-8; " + CHINESE, dict(rcpts[0])


@phtest.case
def utf8_orcpt_becomes_unitext_in_a_global_report(s):
    # ORCPT=utf-8;<utf-8-addr-xtext> (RFC 6533 3), inside the xtext of
    # RFC 3461 4.2 ('\' '{' '}' need no +HH there). In a global report it
    # is written in the unitext form; in an ASCII report it stays as given.
    orcpt = "ORCPT=utf-8;j\\x{E9}r\\x{F4}me\\x{2B}x@remote.test"
    with Scripted(s, fail({"o1@remote.test", "o2@remote.test"}), service="remote"):
        before = count(s)
        inject_with_params(s, DEMO, [("o1@remote.test", [orcpt])], utf8_body("orcpt global"), ["SMTPUTF8"])
        m, raw = latest(s, before)
        _, _, rcpts = status_blocks(raw, m)
        global_report(m)
        assert rcpts[0]["Original-Recipient"] == "utf-8; j\u00e9r\u00f4me\\x{2B}x@remote.test", dict(rcpts[0])
        assert rcpts[0]["Final-Recipient"] == "rfc822; o1@remote.test", dict(rcpts[0])
        before = count(s)
        inject_with_params(s, DEMO, [("o2@remote.test", [orcpt])], utf8_body("orcpt ascii"))
        m, raw = latest(s, before)
    assert m.get_param("report-type") == "delivery-status", m["Content-Type"]
    _, _, rcpts = status_blocks(raw, m)
    assert rcpts[0]["Original-Recipient"] == "utf-8; j\\x{E9}r\\x{F4}me\\x{2B}x@remote.test", dict(rcpts[0])


@phtest.case
def delay_notice_of_a_utf8_message_is_global(s):
    later = [b"XREMOTEMTA=mx.slow.test", b"XDIAG=451 4.7.1 greylisted", b"Z4.7.1 greylisted"]
    with Scripted(s, lambda req: later * len(req["rcpts"]), service="remote"):
        before = count(s)
        a = inject_with_params(s, DEMO, [(JEROME, [])], utf8_body("slow \u00e9"), ["SMTPUTF8"])
        qid = a[1:]
        try:
            assert wait_log(s, "queued", r"event=delay_notice qid=%s dsn=\w+" % qid, WARN + 15), "no delay notice"
            m, raw = latest(s, before)
        finally:
            s.mailctl("queue", "delete", qid, check=False)
    parts = global_report(m)
    assert parts[2].get_content_type() == "message/global-headers", parts[2].get_content_type()
    _, _, rcpts = status_blocks(raw, m)
    r = rcpts[0]
    assert r["Action"] == "delayed" and r["Final-Recipient"] == "utf-8; " + JEROME_UNITEXT, dict(r)
    assert r["Will-Retry-Until"], dict(r)


if __name__ == "__main__":
    phtest.main(extra_env={
        "PH_RETRY_MIN": "1",
        "PH_RETRY_MAX": "2",
        "PH_DELAY_WARNING_TIME": str(WARN),
    })
