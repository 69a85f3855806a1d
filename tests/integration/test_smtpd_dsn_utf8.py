"""The ORCPT parameter in its RFC 6533 section 3 forms, end to end:
smtpd takes ORCPT=utf-8;<utf-8-addr-xtext> always and
ORCPT=utf-8;<utf-8-addr-unitext> (raw UTF-8) only in a SMTPUTF8
transaction (RFC 6531 3.3, 501 5.5.4 without), and keeps it in the
envelope as received (docs/internals.md, "Injection"); queued keeps a
unitext ORCPT and writes it back as "Original-Recipient: utf-8; ..." in a
message/global-delivery-status part (RFC 6533 3, 6); deliverd-remote
passes it on as is to a SMTPUTF8 peer and rewrites it as
utf-8-addr-xtext for a DSN peer without SMTPUTF8. Peers are
tests/lib/smtpsink servers found through tests/lib/dnsserver, as in
test_remote_idn.py."""

import re

import dnsserver
import phtest
import remoteclient
import smtpsink
from queuelib import Scripted, queued_envelope
from queuelib_dsn import DEMO, count, next_message, inject_with_params
from smtpraw import Raw, queued_as

JEROME = "j\u00e9r\u00f4me@example.test"
JEROME_XTEXT = "j\\x{E9}r\\x{F4}me@example.test"
SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
TIMEOUT = 3
ENV = remoteclient.suite_env(DNS, SINK_PORT, TIMEOUT, reuse_idle=1)
NO_UTF8 = ("PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES")
NO_DSN = ("PIPELINING", "SIZE 10240000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES")
MSG = b"From: demo@example.test\nTo: someone\nSubject: orcpt\n\nbody\n"


def greeted(s):
    c = Raw(s)
    assert c.last().startswith("220 "), c.last()
    c.expect("EHLO client.test", "250 ")
    return c


def later(req):
    return [b"Z4.3.0 not now"] * len(req["rcpts"])


def fail_all(req):
    return [b"D5.1.1 no such user"] * len(req["rcpts"])


def sink(n, **kw):
    return smtpsink.SMTPSink(ip="127.0.0.%d" % n, port=SINK_PORT, name="sink%d.test" % n, **kw).start()


def status_blocks(raw, m):
    """The recipient blocks of the report's delivery-status part, from the
    raw bytes, and that part's header."""
    sep = b"\n--" + m.get_boundary().encode()
    for p in raw.split(sep)[1:-1]:
        head, _, body = p.lstrip(b"\n").partition(b"\n\n")
        if re.search(rb"(?im)^content-type: message/(global-)?delivery-status$", head):
            blocks = [b for b in body.rstrip(b"\n").split(b"\n\n") if b.strip()]
            return head, [dict(ln.split(b": ", 1) for ln in b.split(b"\n")) for b in blocks[1:]]
    raise AssertionError("no delivery-status part")


# ---- smtpd

@phtest.case
def unitext_orcpt_refused_without_smtputf8(s):
    c = greeted(s)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test> ORCPT=utf-8;" + JEROME, "501 5.5.4", "utf-8")
    c.expect("RCPT TO:<demo@example.test> ORCPT=rfc822;" + JEROME, "501 5.5.4", "utf-8")
    # the ASCII utf-8-addr-xtext form is xtext: taken as before
    c.expect("RCPT TO:<demo@example.test> ORCPT=utf-8;" + JEROME_XTEXT, "250")
    c.expect("QUIT", "221")


@phtest.case
def utf8_orcpt_forms_checked_under_smtputf8(s):
    c = greeted(s)
    c.expect("MAIL FROM:<a@sender.test> SMTPUTF8", "250")
    # not UTF-8, a raw '+' (RFC 6533 QUCHAR excludes it), an rfc822 type
    # with UTF-8, an escape of a plain character: all refused
    for bad in (b"utf-8;j\xe9r\xf4me@example.test", "utf-8;j\u00e9+x@example.test".encode(),
                "rfc822;j\u00e9r\u00f4me@example.test".encode(), "utf-8;j\u00e9\\x{41}@example.test".encode(),
                ("utf-8;" + "\u00e9" * 250).encode()):
        c.send(b"RCPT TO:<demo@example.test> ORCPT=" + bad + b"\r\n")
        r = c.last()
        assert r.startswith("501 5.5.4"), (bad, r)
    c.expect("QUIT", "221")


def stored_orcpt(s, rcpt_line):
    """The N records of the one recipient of a message sent with this
    RCPT line under SMTPUTF8, read from the queue (local delivery is held
    back meanwhile)."""
    with Scripted(s, later):
        c = greeted(s)
        c.expect("MAIL FROM:<a@sender.test> SMTPUTF8", "250")
        c.expect(rcpt_line, "250", "utf-8")
        c.expect("DATA", "354")
        c.send(b"Subject: orcpt stored\r\n\r\nbody\r\n.\r\n")
        qid = queued_as(c.last())
        c.expect("QUIT", "221")
        try:
            env = queued_envelope(s, qid)
        finally:
            s.mailctl("queue", "delete", qid, check=False)
    return [v for t, v in env if t == "N"]


@phtest.case
def utf8_xtext_orcpt_stored_as_received(s):
    n = stored_orcpt(s, "RCPT TO:<demo@example.test> NOTIFY=FAILURE ORCPT=UTF-8;" + JEROME_XTEXT)
    assert n == ["NOTIFY=FAILURE", "ORCPT=UTF-8;" + JEROME_XTEXT], n


@phtest.case
def unitext_orcpt_accepted_under_smtputf8_and_stored(s):
    n = stored_orcpt(s, "RCPT TO:<demo@example.test> NOTIFY=FAILURE ORCPT=UTF-8;j\u00e9r\u00f4me\\x{2B}1@example.test")
    assert n == ["NOTIFY=FAILURE", "ORCPT=UTF-8;j\u00e9r\u00f4me\\x{2B}1@example.test"], n


# ---- queued: the notification

@phtest.case
def bounce_of_unitext_orcpt_is_global(s):
    with Scripted(s, fail_all, service="remote") as fake:
        before = count(s)
        a = inject_with_params(s, DEMO, [("o1@remote.test", ["ORCPT=utf-8;" + JEROME])],
                               b"Subject: unitext bounce\n\nbody\n", ["SMTPUTF8"])
        assert a and a[0] == "K", a
        m = next_message(s, before)
        raw = s.messages(DEMO)[before].read_bytes()
        req = fake.seen(qid=a[1:])
    # queued kept it and hands it on as it came
    assert req and ("XORCPT=utf-8;" + JEROME).encode() in req[0]["fields"], req and req[0]["fields"]
    assert m.get_param("report-type") == "global-delivery-status", m["Content-Type"]
    head, rcpts = status_blocks(raw, m)
    assert re.search(rb"(?im)^content-type: message/global-delivery-status$", head), head
    assert rcpts[0][b"Original-Recipient"].decode() == "utf-8; " + JEROME, rcpts
    assert rcpts[0][b"Final-Recipient"] == b"rfc822; o1@remote.test", rcpts


@phtest.case
def unitext_orcpt_without_smtputf8_flag_still_global(s):
    # an envelope from elsewhere than smtpd: the raw UTF-8 of the ORCPT
    # alone makes the report an internationalized one; the '+' stays
    # escaped in the unitext form
    with Scripted(s, fail_all, service="remote"):
        before = count(s)
        inject_with_params(s, DEMO, [("o2@remote.test", ["ORCPT=utf-8;j\u00e9r\u00f4me\\x{2B}x@example.test"])],
                           b"Subject: no flag\n\nbody\n")
        m = next_message(s, before)
        raw = s.messages(DEMO)[before].read_bytes()
    assert m.get_param("report-type") == "global-delivery-status", m["Content-Type"]
    _, rcpts = status_blocks(raw, m)
    assert rcpts[0][b"Original-Recipient"].decode() == "utf-8; j\u00e9r\u00f4me\\x{2B}x@example.test", rcpts


# ---- deliverd-remote: the next hop

def deliver_orcpt(s, n, ehlo, orcpt, extra=()):
    dom = "orcpt%d.test" % n
    DNS.add(dom, "A", "127.0.0.%d" % n)
    d = sink(n, ehlo=ehlo)
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["r@" + dom], MSG, extra=list(extra),
                                 rcpt_extra={"r@" + dom: ["XNOTIFY=FAILURE", "XORCPT=" + orcpt]})
        assert r and r[0]["v"] == "K", r
        return d.messages[0]
    finally:
        d.stop()


@phtest.case
def unitext_orcpt_rewritten_as_xtext_for_peer_without_smtputf8(s):
    m = deliver_orcpt(s, 31, NO_UTF8, "utf-8;" + JEROME, ["XSMTPUTF8=1"])
    assert "SMTPUTF8" not in m.mail_params.split(), m.mail_params
    assert m.rcpts == [("r@orcpt31.test", "NOTIFY=FAILURE ORCPT=utf-8;" + JEROME_XTEXT)], m.rcpts
    # escapes already in the value keep their one spelling
    m = deliver_orcpt(s, 32, NO_UTF8, "UTF-8;\u4e2d\\x{2b}1@example.test")
    assert m.rcpts == [("r@orcpt32.test", "NOTIFY=FAILURE ORCPT=utf-8;\\x{4E2D}\\x{2B}1@example.test")], m.rcpts


@phtest.case
def unitext_orcpt_as_is_with_smtputf8(s):
    m = deliver_orcpt(s, 33, smtpsink.DEFAULT_EHLO, "utf-8;" + JEROME, ["XSMTPUTF8=1"])
    assert "SMTPUTF8" in m.mail_params.split(), m.mail_params
    assert m.rcpts == [("r@orcpt33.test", "NOTIFY=FAILURE ORCPT=utf-8;" + JEROME)], m.rcpts


@phtest.case
def no_orcpt_to_peer_without_dsn(s):
    m = deliver_orcpt(s, 34, NO_DSN, "utf-8;" + JEROME, ["XSMTPUTF8=1"])
    assert m.rcpts == [("r@orcpt34.test", "")], m.rcpts


@phtest.case
def no_sanitizer_reports(s):
    reports = s.sanitizer_reports()
    assert not reports, reports


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        DNS.stop()
