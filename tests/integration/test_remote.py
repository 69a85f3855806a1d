"""deliverd-remote through its real s6 service (s6-envuidgid phremote
s6-ipcserver ... remote.sock), driven like queued drives it: a Python
client speaking skalibs' unixmessage framing (6-byte header: uint32 body
length, uint16 fd count, big endian; the queue file's fd rides
SCM_RIGHTS). DNS answers come from tests/lib/dnsserver (PH_DNS_RESOLVER),
the remote MTAs are tests/lib/smtpsink servers on 127.0.0.x, all on one
port (PH_REMOTE_PORT) so that MX records can point at them.
docs/internals.md, "Routing and remote.sock", is the contract under test."""

import os
import re
import socket
import subprocess
import time

import dnsserver
import phtest
import remoteclient
import smtpsink

SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
TIMEOUT = 3   # every SMTP client timeout, shortened for the tests

ENV = remoteclient.suite_env(DNS, SINK_PORT, TIMEOUT, reuse_idle=5)

MSG = b"From: demo@example.test\nTo: x@remote.test\nSubject: test\n\nbody\n"


message_fd = remoteclient.message_fd
qid = remoteclient.qid


class Client(remoteclient.Client):
    def deliver(self, sender, rcpts, message=MSG, **kw):
        return super().deliver(sender, rcpts, message, **kw)


def deliver(s, sender, rcpts, message=MSG, **kw):
    return remoteclient.deliver(s, sender, rcpts, message, **kw)


def sink(n, **kw):
    return smtpsink.SMTPSink(ip="127.0.0.%d" % n, port=SINK_PORT, name="sink%d.test" % n, **kw).start()


def log_has(s, pattern, timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log("remote"), re.M), timeout)


class configfile:
    def __init__(self, s, name, text):
        self.path = s.state / "config" / name
        self.text = text

    def __enter__(self):
        self.path.write_text(self.text)
        os.chmod(self.path, 0o644)

    def __exit__(self, *exc):
        self.path.unlink()
        return False


# ---- routing: MX, implicit MX, null MX, DNS failures

@phtest.case
def mx_preference_order(s):
    DNS.add("pref.test", "MX", "20 mx20.pref.test.")
    DNS.add("pref.test", "MX", "10 mx10.pref.test.")
    DNS.add("mx10.pref.test", "A", "127.0.0.2")
    DNS.add("mx20.pref.test", "A", "127.0.0.3")
    a, b = sink(2), sink(3)
    try:
        r = deliver(s, "demo@example.test", ["u@pref.test"])
        assert r and len(r) == 1 and r[0]["v"] == "K", r
        assert r[0]["text"].startswith("2.0.0 mx10.pref.test[127.0.0.2] said: 250 2.0.0 Ok: queued as SINK1"), r
        assert r[0]["x"].get("XREMOTEMTA") == "mx10.pref.test", r
        assert len(a.messages) == 1 and not b.messages and b.connections == 0
        assert log_has(s, r"event=sent qid=\w+ rcpt=u@pref.test relay=mx10.pref.test\[127.0.0.2\]:%d dsn=2.0.0 reply=\"250 2.0.0 Ok: queued as SINK1\"" % SINK_PORT)
    finally:
        a.stop(), b.stop()


@phtest.case
def second_mx_when_first_refuses_connection(s):
    DNS.add("fallback.test", "MX", "10 mx1.fallback.test.")
    DNS.add("fallback.test", "MX", "20 mx2.fallback.test.")
    DNS.add("mx1.fallback.test", "A", "127.0.0.2")     # nothing listens there
    DNS.add("mx2.fallback.test", "A", "127.0.0.3")
    b = sink(3)
    try:
        r = deliver(s, "demo@example.test", ["u@fallback.test"])
        assert r and r[0]["v"] == "K" and "mx2.fallback.test[127.0.0.3]" in r[0]["text"], r
        log = s.log("remote")
        i = log.find("event=connect_failed qid=")
        j = log.find("event=remote_connect", i)
        assert 0 <= i < j, log[-2000:]
        assert re.search(r"event=connect_failed qid=\w+ host=mx1.fallback.test ip=127.0.0.2 port=%d reason=\"?Connection refused" % SINK_PORT, log), log[-2000:]
    finally:
        b.stop()


@phtest.case
def all_mx_down_is_temporary(s):
    DNS.add("down.test", "MX", "10 mx.down.test.")
    DNS.add("mx.down.test", "A", "127.0.0.2")
    r = deliver(s, "demo@example.test", ["u@down.test"])
    assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.4.1 mx.down.test[127.0.0.2]:%d: connect failed" % SINK_PORT), r


@phtest.case
def implicit_mx_from_address_record(s):
    DNS.add("implicit.test", "A", "127.0.0.4")
    d = sink(4)
    try:
        r = deliver(s, "demo@example.test", ["u@implicit.test"])
        assert r and r[0]["v"] == "K" and "implicit.test[127.0.0.4]" in r[0]["text"], r
        assert len(d.messages) == 1
    finally:
        d.stop()


@phtest.case
def null_mx_bounces_at_once(s):
    DNS.add("nullmx.test", "MX", "0 .")
    DNS.add("nullmx.test", "A", "127.0.0.4")     # must not be used
    d = sink(4)
    try:
        r = deliver(s, "demo@example.test", ["u@nullmx.test", "v@nullmx.test"])
        assert r and len(r) == 2 and all(v["v"] == "D" and v["text"].startswith("5.1.10 ") for v in r), r
        assert d.connections == 0
        assert log_has(s, r"event=bounced qid=\w+ rcpt=v@nullmx.test dsn=5.1.10 reason=")
    finally:
        d.stop()


@phtest.case
def nxdomain_bounces(s):
    r = deliver(s, "demo@example.test", ["u@nowhere.test"])
    assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.1.2 ") and "nowhere.test" in r[0]["text"], r


@phtest.case
def servfail_defers(s):
    DNS.servfail("broken.test")
    r = deliver(s, "demo@example.test", ["u@broken.test"])
    assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.4.3 "), r


@phtest.case
def mx_without_address_bounces(s):
    DNS.add("noaddr.test", "MX", "10 ghost.noaddr.test.")
    r = deliver(s, "demo@example.test", ["u@noaddr.test"])
    assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.4.4 "), r


@phtest.case
def dns_without_answer_times_out_and_defers(s):
    DNS.hang("slow.test")
    t0 = time.monotonic()
    r = deliver(s, "demo@example.test", ["u@slow.test"])
    assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.4.3 "), r
    assert time.monotonic() - t0 < int(ENV["PH_REMOTE_DNS_TIMEOUT"]) + 5


@phtest.case
def ipv6_first_then_ipv4(s):
    DNS.add("six.test", "AAAA", "::1")
    DNS.add("six.test", "A", "127.0.0.15")
    v6 = smtpsink.SMTPSink(ip="::1", port=SINK_PORT, name="six.test").start()
    v4 = sink(15)
    try:
        r = deliver(s, "demo@example.test", ["u@six.test"])
        assert r and r[0]["v"] == "K" and "six.test[::1]" in r[0]["text"], r
        assert len(v6.messages) == 1 and v4.connections == 0
    finally:
        v6.stop()
    try:
        r = deliver(s, "demo@example.test", ["v@six.test"])     # ::1 refuses now
        assert r and r[0]["v"] == "K" and "six.test[127.0.0.15]" in r[0]["text"], r
    finally:
        v4.stop()


# ---- replies: per recipient, temporary and permanent

@phtest.case
def rcpt_451_defers_and_550_bounces_with_text(s):
    DNS.add("mixed.test", "A", "127.0.0.5")
    d = sink(5, rcpt_replies={"gone@mixed.test": "550 5.1.1 <gone@mixed.test>: Recipient address rejected: User unknown",
                              "later@mixed.test": "451 4.3.0 Try again later"})
    try:
        r = deliver(s, "demo@example.test", ["ok@mixed.test", "gone@mixed.test", "later@mixed.test"])
        assert r and [v["v"] for v in r] == ["K", "D", "Z"], r
        assert r[1]["text"] == "5.1.1 mixed.test[127.0.0.5] said: 550 5.1.1 <gone@mixed.test>: Recipient address rejected: User unknown (in reply to RCPT TO command)", r
        assert r[1]["x"]["XDIAG"] == "550 5.1.1 <gone@mixed.test>: Recipient address rejected: User unknown", r
        assert r[1]["x"]["XREMOTEMTA"] == "mixed.test", r
        assert r[2]["text"].startswith("4.3.0 mixed.test[127.0.0.5] said: 451 4.3.0 Try again later"), r
        assert len(d.messages) == 1 and d.messages[0].rcpts == [("ok@mixed.test", "")], d.messages
        assert log_has(s, r"event=bounced qid=\w+ rcpt=gone@mixed.test relay=mixed.test\[127.0.0.5\]:\d+ dsn=5.1.1 reply=\"550 5.1.1")
        assert log_has(s, r"event=deferred qid=\w+ rcpt=later@mixed.test relay=mixed.test\[127.0.0.5\]:\d+ dsn=4.3.0 reply=\"451 4.3.0 Try again later\"")
    finally:
        d.stop()


@phtest.case
def data_refusal_applies_to_accepted_recipients(s):
    DNS.add("datarej.test", "A", "127.0.0.5")
    d = sink(5, replies={"DATA_END": "554 5.7.1 Message rejected as spam"})
    try:
        r = deliver(s, "demo@example.test", ["a@datarej.test", "b@datarej.test"])
        assert r and [v["v"] for v in r] == ["D", "D"], r
        assert "554 5.7.1 Message rejected as spam (in reply to end of DATA command)" in r[0]["text"], r
        assert r[0]["text"].startswith("5.7.1 "), r
    finally:
        d.stop()


@phtest.case
def mail_from_refused_bounces_everyone(s):
    DNS.add("mailrej.test", "A", "127.0.0.5")
    d = sink(5, replies={"MAIL": "553 5.7.1 Sender address rejected"})
    try:
        r = deliver(s, "demo@example.test", ["a@mailrej.test", "b@mailrej.test"])
        assert r and [v["v"] for v in r] == ["D", "D"] and "(in reply to MAIL FROM command)" in r[1]["text"], r
    finally:
        d.stop()


@phtest.case
def no_reply_is_a_timeout_and_defers(s):
    DNS.add("hang.test", "A", "127.0.0.6")
    d = sink(6, replies={"DATA_END": smtpsink.HANG})
    try:
        t0 = time.monotonic()
        r = deliver(s, "demo@example.test", ["u@hang.test"])
        took = time.monotonic() - t0
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.4.2 ") and "timeout after the end of the message" in r[0]["text"], r
        assert TIMEOUT - 0.5 <= took < TIMEOUT + 5, took
    finally:
        d.stop()


@phtest.case
def greeting_5xx_tries_next_mx(s):
    DNS.add("greet.test", "MX", "10 a.greet.test.")
    DNS.add("greet.test", "MX", "20 b.greet.test.")
    DNS.add("a.greet.test", "A", "127.0.0.2")
    DNS.add("b.greet.test", "A", "127.0.0.3")
    a = sink(2, replies={"GREETING": "554 5.7.1 go away"})
    b = sink(3)
    try:
        r = deliver(s, "demo@example.test", ["u@greet.test"])
        assert r and r[0]["v"] == "K" and "b.greet.test" in r[0]["text"], r
    finally:
        a.stop(), b.stop()


@phtest.case
def helo_when_ehlo_refused(s):
    DNS.add("old.test", "A", "127.0.0.5")
    d = sink(5, replies={"EHLO": "502 5.5.2 Error: command not recognized"})
    try:
        r = deliver(s, "demo@example.test", ["u@old.test"])
        assert r and r[0]["v"] == "K", r
        cmds = [t[1].split(b" ")[0] for t in d.sessions[0].transcript if t[0] == "C"]
        assert cmds[:3] == [b"EHLO", b"HELO", b"MAIL"], cmds
        assert d.messages[0].mail_params == "", d.messages[0].mail_params   # no ESMTP parameters after HELO
    finally:
        d.stop()


# ---- the wire: pipelining, bytes, chunking

@phtest.case
def pipelining_sends_mail_rcpts_data_together(s):
    DNS.add("pipe.test", "A", "127.0.0.7")
    d = sink(7, pipeline_wait=0.3)
    try:
        r = deliver(s, "demo@example.test", ["a@pipe.test", "b@pipe.test"])
        assert r and [v["v"] for v in r] == ["K", "K"], r
        batches = d.sessions[0].batches
        assert ["MAIL", "RCPT", "RCPT", "DATA"] in batches, batches
    finally:
        d.stop()


@phtest.case
def no_pipelining_waits_for_each_reply(s):
    DNS.add("nopipe.test", "A", "127.0.0.7")
    d = sink(7, pipeline_wait=0.3, ehlo=("SIZE 1000000", "8BITMIME"))
    try:
        r = deliver(s, "demo@example.test", ["a@nopipe.test", "b@nopipe.test"])
        assert r and [v["v"] for v in r] == ["K", "K"], r
        batches = d.sessions[0].batches
        assert ["MAIL"] in batches and ["DATA"] in batches and all(len(b) == 1 for b in batches), batches
    finally:
        d.stop()


TRICKY = (b"From: demo@example.test\nSubject: dots\n\n"
          b".\n"                  # a lone dot: must not end the data
          b"..two\n"
          b"mid.dot\n"
          b"bare\rcr\n"           # a CR alone never goes out bare
          b"crlf already\r\n"
          b"\n"
          b".last line without newline")

TRICKY_WIRE = (b"From: demo@example.test\r\nSubject: dots\r\n\r\n"
               b"..\r\n"
               b"...two\r\n"
               b"mid.dot\r\n"
               b"bare\r\ncr\r\n"
               b"crlf already\r\n"
               b"\r\n"
               b"..last line without newline\r\n"
               b".\r\n")


@phtest.case
def dot_stuffing_and_crlf_exact_bytes(s):
    DNS.add("bytes.test", "A", "127.0.0.8")
    d = sink(8)
    try:
        r = deliver(s, "demo@example.test", ["u@bytes.test"], TRICKY)
        assert r and r[0]["v"] == "K", r
        m = d.messages[0]
        assert m.via == "DATA" and m.raw == TRICKY_WIRE, m.raw
        size = int(re.search(r"SIZE=(\d+)", m.mail_params).group(1))
        assert size == len(TRICKY_WIRE) - 3 - 3, (size, len(TRICKY_WIRE))   # RFC 1870: no stuffed dots, no final "."
    finally:
        d.stop()


@phtest.case
def bdat_when_chunking_offered(s):
    DNS.add("chunk.test", "A", "127.0.0.8")
    d = sink(8, ehlo=smtpsink.DEFAULT_EHLO + ("CHUNKING",))
    big = b"From: demo@example.test\nSubject: big\n\n" + b"".join(b".line %06d of a long message\n" % i for i in range(6000))
    try:
        r = deliver(s, "demo@example.test", ["u@chunk.test"], TRICKY)
        assert r and r[0]["v"] == "K" and "(in reply to BDAT command)" in r[0]["text"], r
        m = d.messages[0]
        unstuffed = TRICKY_WIRE[:-3].replace(b"\r\n..", b"\r\n.").replace(b"\r\n\r\n..", b"\r\n\r\n.")
        assert m.via == "BDAT" and m.raw == unstuffed, (m.raw, unstuffed)
        assert not any(t[1] == b"DATA" for t in d.sessions[0].transcript if t[0] == "C")
        r = deliver(s, "demo@example.test", ["v@chunk.test"], big)
        assert r and r[0]["v"] == "K", r
        m = d.wait_messages(2)[1]
        assert m.raw == big.replace(b"\n", b"\r\n"), len(m.raw)
        bdats = [t[1] for t in d.sessions[-1].transcript if t[0] == "C" and t[1].startswith(b"BDAT")]
        assert len(bdats) >= 3 and bdats[-1].endswith(b" LAST") and not any(b.endswith(b"LAST") for b in bdats[:-1]), bdats
    finally:
        d.stop()


# ---- extensions the message needs

@phtest.case
def size_over_the_peer_limit_bounces(s):
    DNS.add("small.test", "A", "127.0.0.9")
    d = sink(9, ehlo=("PIPELINING", "SIZE 20", "8BITMIME"))
    try:
        r = deliver(s, "demo@example.test", ["u@small.test"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.3.4 ") and "exceeds the server's limit of 20" in r[0]["text"], r
        assert not any(t[1].startswith(b"MAIL") for t in d.sessions[0].transcript if t[0] == "C")
    finally:
        d.stop()


@phtest.case
def smtputf8_needed_but_not_offered_bounces(s):
    DNS.add("ascii.test", "A", "127.0.0.9")
    d = sink(9, ehlo=("PIPELINING", "8BITMIME"))
    try:
        r = deliver(s, "demo@example.test", ["j\u00f6rg@ascii.test"], extra=["XSMTPUTF8=1"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.6.7 "), r
    finally:
        d.stop()


@phtest.case
def smtputf8_passed_when_offered(s):
    DNS.add("utf8.test", "A", "127.0.0.9")
    d = sink(9)
    try:
        r = deliver(s, "demo@example.test", ["j\u00f6rg@utf8.test"], "Subject: gr\u00fc\u00dfe\n\nhi\n".encode(), extra=["XSMTPUTF8=1", "XBODY=8BITMIME"])
        assert r and r[0]["v"] == "K", r
        p = d.messages[0].mail_params.split()
        assert "SMTPUTF8" in p and "BODY=8BITMIME" in p, p
    finally:
        d.stop()


@phtest.case
def eight_bit_without_8bitmime_bounces(s):
    DNS.add("seven.test", "A", "127.0.0.9")
    d = sink(9, ehlo=("PIPELINING",))
    try:
        r = deliver(s, "demo@example.test", ["u@seven.test"], "Subject: x\n\ncaf\u00e9\n".encode())
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.6.3 "), r
    finally:
        d.stop()


@phtest.case
def dsn_parameters_pass_through(s):
    DNS.add("dsn.test", "A", "127.0.0.9")
    d = sink(9)
    try:
        r = deliver(s, "demo@example.test", ["a@dsn.test"], extra=["XRET=HDRS", "XENVID=abc+2Bdef"],
                    rcpt_extra={"a@dsn.test": ["XNOTIFY=SUCCESS,FAILURE", "XORCPT=rfc822;a@dsn.test"]})
        assert r and r[0]["v"] == "K" and "XACTION" not in r[0]["x"], r
        m = d.messages[0]
        assert "RET=HDRS" in m.mail_params.split() and "ENVID=abc+2Bdef" in m.mail_params.split(), m.mail_params
        assert m.rcpts == [("a@dsn.test", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@dsn.test")], m.rcpts
    finally:
        d.stop()


@phtest.case
def no_dsn_at_peer_reports_relayed(s):
    DNS.add("nodsn.test", "A", "127.0.0.9")
    d = sink(9, ehlo=("PIPELINING", "8BITMIME"))
    try:
        r = deliver(s, "demo@example.test", ["a@nodsn.test", "b@nodsn.test"], extra=["XRET=HDRS"],
                    rcpt_extra={"a@nodsn.test": ["XNOTIFY=SUCCESS"], "b@nodsn.test": ["XNOTIFY=FAILURE"]})
        assert r and [v["v"] for v in r] == ["K", "K"], r
        assert r[0]["x"].get("XACTION") == "relayed" and "XACTION" not in r[1]["x"], r
        m = d.messages[0]
        assert "RET=" not in m.mail_params and all(p == "" for _, p in m.rcpts), (m.mail_params, m.rcpts)
    finally:
        d.stop()


@phtest.case
def requiretls_bounces_without_starttls(s):
    # the TLS cases are in test_remote_tls.py
    DNS.add("rtls.test", "A", "127.0.0.9")
    d = sink(9)
    try:
        r = deliver(s, "demo@example.test", ["u@rtls.test"], extra=["XREQUIRETLS=1"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.7.30 "), r
        assert d.connections == 1 and not d.messages
        assert not any(t[1].startswith(b"MAIL") for t in d.sessions[0].transcript if t[0] == "C")
    finally:
        d.stop()


# ---- connections

@phtest.case
def connection_reused_for_the_next_message(s):
    DNS.add("reuse.test", "A", "127.0.0.10")
    d = sink(10)
    c = Client(s)
    try:
        r1 = c.deliver("demo@example.test", ["a@reuse.test"])
        r2 = c.deliver("demo@example.test", ["b@reuse.test"])
        assert r1[0]["v"] == "K" and r2[0]["v"] == "K", (r1, r2)
        assert d.connections == 1 and len(d.messages) == 2, (d.connections, d.messages)
        cmds = [t[1] for t in d.sessions[0].transcript if t[0] == "C"]
        assert b"RSET" in cmds and cmds.count(b"EHLO " + cmds[0].split(b" ", 1)[1]) == 1, cmds
        assert log_has(s, r"event=remote_reuse qid=\w+ host=reuse.test ip=127.0.0.10 uses=1")
        c.close()
        assert s.wait_for(lambda: d.sessions[0].closed, 10), "connection not closed after queued left"
        assert any(t == ("C", b"QUIT") for t in d.sessions[0].transcript), d.sessions[0].transcript
    finally:
        c.close()
        d.stop()


@phtest.case
def kept_connection_closed_by_peer_is_replaced(s):
    DNS.add("drop.test", "A", "127.0.0.10")
    d = sink(10)
    c = Client(s)
    try:
        assert c.deliver("demo@example.test", ["a@drop.test"])[0]["v"] == "K"
        d.sessions[0].sock.shutdown(socket.SHUT_RDWR)     # the server hangs up while we idle
        time.sleep(0.3)
        assert c.deliver("demo@example.test", ["b@drop.test"])[0]["v"] == "K"
        assert d.connections == 2 and len(d.messages) == 2
    finally:
        c.close()
        d.stop()


@phtest.case
def kept_connection_quits_when_idle(s):
    DNS.add("idle.test", "A", "127.0.0.10")
    d = sink(10)
    c = Client(s)
    try:
        assert c.deliver("demo@example.test", ["a@idle.test"])[0]["v"] == "K"
        assert not d.sessions[0].closed
        assert s.wait_for(lambda: d.sessions[0].closed, int(ENV["PH_REMOTE_REUSE_IDLE"]) + 5), "still open"
        assert ("C", b"QUIT") in d.sessions[0].transcript
        assert c.deliver("demo@example.test", ["b@idle.test"])[0]["v"] == "K"   # and queued's connection lives on
        assert d.connections == 2
    finally:
        c.close()
        d.stop()


@phtest.case
def more_than_100_recipients_split_into_transactions(s):
    DNS.add("many.test", "A", "127.0.0.10")
    d = sink(10)
    rcpts = ["u%03d@many.test" % i for i in range(150)]
    try:
        r = deliver(s, "demo@example.test", rcpts)
        assert r and len(r) == 150 and all(v["v"] == "K" for v in r), r
        assert d.connections == 1 and [len(m.rcpts) for m in d.messages] == [100, 50], [len(m.rcpts) for m in d.messages]
        assert [a for m in d.messages for a, _ in m.rcpts] == rcpts
    finally:
        d.stop()


@phtest.case
def mail_loop_to_ourselves_bounces(s):
    # a relay map entry that points back at our own listener
    with configfile(s, "postfix-relaymap.cf", "@loop.test [127.0.0.1]:%d\n" % s.port("smtp")):
        r = deliver(s, "someone@loop.test", ["u@elsewhere.test"])
    assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.4.6 ") and "loops back to myself" in r[0]["text"], r


# ---- smarthost

@phtest.case
def smarthost_with_auth_plain(s):
    d = sink(11, auth={"relayuser": "s3cret pass"}, require_auth=True)
    try:
        with phtest.envfile(s, RELAY_HOST="127.0.0.11", RELAY_PORT=SINK_PORT, RELAY_USER="relayuser",
                     RELAY_PASSWORD="s3cret pass", PH_RELAY_AUTH_INSECURE=1):
            r = deliver(s, "demo@example.test", ["u@anywhere.test"])
        assert r and r[0]["v"] == "K" and "127.0.0.11[127.0.0.11]" in r[0]["text"], r
        assert d.sessions[0].auth_user == "relayuser" and len(d.messages) == 1
        assert any(t[1].startswith(b"AUTH PLAIN ") for t in d.sessions[0].transcript if t[0] == "C")
        assert "s3cret" not in s.log("remote")
        assert log_has(s, r"event=remote_connect qid=\w+ host=127.0.0.11 ip=127.0.0.11 port=%d relay=\"?\[127.0.0.11\]:%d" % (SINK_PORT, SINK_PORT))
    finally:
        d.stop()


@phtest.case
def smarthost_auth_login_from_sasl_password_file(s):
    d = sink(12, auth={"u2": "p2"}, require_auth=True, ehlo=("PIPELINING", "8BITMIME", "AUTH LOGIN"))
    try:
        with configfile(s, "postfix-relaymap.cf", "# per sender domain\n@example.test   [127.0.0.12]:%d\n" % SINK_PORT), \
             configfile(s, "postfix-sasl-password.cf", "@example.test u2:p2\n"), \
             phtest.envfile(s, PH_RELAY_AUTH_INSECURE=1):
            r = deliver(s, "demo@example.test", ["u@anywhere.test"])
        assert r and r[0]["v"] == "K", r
        assert d.sessions[0].auth_user == "u2"
    finally:
        d.stop()


@phtest.case
def smarthost_auth_never_in_clear_to_a_remote_host(s):
    d = sink(11, auth={"relayuser": "pw"}, require_auth=True)
    try:
        with phtest.envfile(s, RELAY_HOST="127.0.0.11", RELAY_PORT=SINK_PORT, RELAY_USER="relayuser", RELAY_PASSWORD="pw"):
            r = deliver(s, "demo@example.test", ["u@anywhere.test"])
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.7.10 "), r
        assert not any(t[1].startswith(b"AUTH") for sess in d.sessions for t in sess.transcript if t[0] == "C")
    finally:
        d.stop()


@phtest.case
def relaymap_exclusion_goes_direct(s):
    DNS.add("direct.test", "A", "127.0.0.13")
    relay, direct = sink(11), sink(13)
    try:
        with phtest.envfile(s, RELAY_HOST="127.0.0.11", RELAY_PORT=SINK_PORT), \
             configfile(s, "postfix-relaymap.cf", "@example.test\n"):
            r = deliver(s, "demo@example.test", ["u@direct.test"])
        assert r and r[0]["v"] == "K" and "direct.test[127.0.0.13]" in r[0]["text"], r
        assert relay.connections == 0 and len(direct.messages) == 1
        with phtest.envfile(s, RELAY_HOST="127.0.0.11", RELAY_PORT=SINK_PORT):
            r = deliver(s, "demo@example.test", ["u@direct.test"])       # not excluded: relayed
            r2 = deliver(s, "outsider@other.test", ["u@direct.test"])    # sender domain not ours: direct
        assert r[0]["v"] == "K" and len(relay.messages) == 1, r
        assert r2[0]["v"] == "K" and len(direct.messages) == 2, r2
    finally:
        relay.stop(), direct.stop()


@phtest.case
def default_relay_host_with_mx_lookup(s):
    DNS.add("relay.test", "MX", "10 smart.relay.test.")
    DNS.add("smart.relay.test", "A", "127.0.0.14")
    d = sink(14)
    try:
        with phtest.envfile(s, DEFAULT_RELAY_HOST="relay.test"):
            r = deliver(s, "", ["u@far.test"])        # even bounces go through relayhost
        assert r and r[0]["v"] == "K" and "smart.relay.test" in r[0]["text"], r
        assert d.messages[0].mail_from == ""
    finally:
        d.stop()


# ---- the whole path: sendmail -> queued -> remote.sock -> the sink

@phtest.case
def queued_mail_reaches_the_remote_mx(s):
    DNS.add("e2e.test", "MX", "10 mx.e2e.test.")
    DNS.add("mx.e2e.test", "A", "127.0.0.16")
    d = sink(16)
    try:
        env = dict(os.environ)
        env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
        r = subprocess.run([str(s.bin / "sendmail"), "-f", "demo@example.test", "-N", "failure",
                            "a@e2e.test", "b@e2e.test"],
                           input=b"Subject: out\n\n.dot\nhello\n", env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        assert r.returncode == 0, r.stdout
        msgs = d.wait_messages(1, timeout=30)
        assert msgs, s.log("queued")[-2000:]
        m = msgs[0]
        assert m.mail_from == "demo@example.test" and sorted(a for a, _ in m.rcpts) == ["a@e2e.test", "b@e2e.test"], m
        assert all("NOTIFY=FAILURE" in p for _, p in m.rcpts), m.rcpts
        assert m.data.endswith(b"\r\n\r\n.dot\r\nhello\r\n") and b"\r\n..dot\r\n" in m.raw, m.raw
        assert log_has(s, r"event=sent qid=\w+ rcpt=a@e2e.test relay=mx.e2e.test\[127.0.0.16\]")
    finally:
        d.stop()


# ---- the protocol with queued

@phtest.case
def peer_other_than_queued_is_refused(s):
    probe = ("import socket; s = socket.socket(socket.AF_UNIX); s.settimeout(10); "
             "s.connect(%r); print(repr(s.recv(1)))" % (s.env["PH_RUN_DIR"] + "/remote.sock"))
    r = subprocess.run(["s6-setuidgid", "nobody", "/usr/bin/python3", "-c", probe],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert r.stdout.strip() == "b''", r.stdout
    assert log_has(s, r"event=refused euid=65534 reason=\"peer uid not allowed\"")


@phtest.case
def request_with_two_domains_is_a_protocol_error(s):
    c = Client(s)
    fd = message_fd(MSG)
    try:
        c.send([b"I" + qid().encode(), b"Fdemo@example.test", b"Ta@one.test", b"Tb@two.test"], [fd])
        assert c.closed(), "no close after a malformed request"
        assert log_has(s, r"event=protocol_error reason=\"recipients of different domains\"")
    finally:
        os.close(fd)
        c.close()


@phtest.case
def injected_crlf_in_a_parameter_is_refused(s):
    c = Client(s)
    fd = message_fd(MSG)
    try:
        c.send([b"I" + qid().encode(), b"Fdemo@example.test", b"Ta@one.test", b"XENVID=x\r\nRSET"], [fd])
        assert c.closed()
        assert log_has(s, r"event=protocol_error reason=\"invalid XENVID\"")
    finally:
        os.close(fd)
        c.close()


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        DNS.stop()
