"""deliverd-remote and internationalized domains (RFC 5890/5891, RFC 6531
3.2) and lines over 998 octets (RFC 5322 2.1.1, RFC 5321 4.5.3.1.6;
Postfix's smtp_line_length_limit), through its real s6 service, driven as
queued drives it (tests/lib/remoteclient), DNS from tests/lib/dnsserver,
the remote MTAs tests/lib/smtpsink servers on 127.0.0.x, one port
(PH_REMOTE_PORT). The expected A-labels are computed with Python's own
punycode codec, an implementation independent of common/psl_punycode.c.
deliverd/README-remote.md, "Routing" and "The SMTP dialogue", is the
contract under test."""

import os
import re

import dnsserver
import phtest
import remoteclient
import smtpsink

SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
TIMEOUT = 3   # every SMTP client timeout, shortened for the tests

ENV = remoteclient.suite_env(DNS, SINK_PORT, TIMEOUT, reuse_idle=1)

MSG = b"From: demo@example.test\nTo: someone\nSubject: idn\n\nbody\n"
NO_UTF8 = ("PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES")
LIMIT = 998


def alabel(domain):
    """The A-label form, by Python's punycode codec (RFC 3492)."""
    out = []
    for label in domain.split("."):
        if all(ord(c) < 128 for c in label):
            out.append(label)
        else:
            out.append("xn--" + label.lower().encode("punycode").decode())
    return ".".join(out)


def sink(n, **kw):
    return smtpsink.SMTPSink(ip="127.0.0.%d" % n, port=SINK_PORT, name="sink%d.test" % n, **kw).start()


def commands(d, verb):
    return [t[1] for sess in d.sessions for t in sess.transcript if t[0] == "C" and t[1].startswith(verb)]


def remote_log_matches(s, pattern, timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log("remote"), re.M), timeout)


# ---- IDN routing and the transaction

@phtest.case
def mx_of_a_utf8_domain_looked_up_by_its_alabels(s):
    dom = "b\u00fccher.test"
    DNS.add(alabel(dom), "MX", "10 mx.%s." % alabel(dom))
    DNS.add("mx." + alabel(dom), "A", "127.0.0.21")
    d = sink(21)     # offers SMTPUTF8: the address goes as it is
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["user@" + dom], MSG, extra=["XSMTPUTF8=1"])
        assert r and r[0]["v"] == "K", r
        assert "mx.xn--bcher-kva.test[127.0.0.21]" in r[0]["text"], r
        assert ("xn--bcher-kva.test", "MX") in DNS.queries, DNS.queries[-10:]
        assert ("mx.xn--bcher-kva.test", "A") in DNS.queries, DNS.queries[-10:]
        assert not any(not all(ord(c) < 128 for c in q[0]) for q in DNS.queries), DNS.queries
        m = d.messages[0]
        assert m.rcpts[0][0] == "user@" + dom, m.rcpts
        assert "SMTPUTF8" in m.mail_params.split(), m.mail_params
    finally:
        d.stop()


@phtest.case
def peer_without_smtputf8_gets_the_domain_in_alabels(s):
    dom = "r\u00e9sum\u00e9.test"
    sdom = "ex\u00e4mple.test"
    DNS.add(alabel(dom), "A", "127.0.0.22")
    d = sink(22, ehlo=NO_UTF8)
    try:
        r = remoteclient.deliver(s, "demo@" + sdom, ["user@" + dom, "other@" + dom], MSG, extra=["XSMTPUTF8=1"])
        assert r and [x["v"] for x in r] == ["K", "K"], r
        assert ("xn--rsum-bpad.test", "A") in DNS.queries, DNS.queries[-10:]
        assert commands(d, b"RCPT") == [b"RCPT TO:<user@xn--rsum-bpad.test>", b"RCPT TO:<other@xn--rsum-bpad.test>"], commands(d, b"RCPT")
        mail = commands(d, b"MAIL")
        assert len(mail) == 1 and mail[0].startswith(b"MAIL FROM:<demo@%s>" % alabel(sdom).encode()), mail
        assert b"SMTPUTF8" not in mail[0], mail
        assert alabel(sdom) == "xn--exmple-cua.test"
    finally:
        d.stop()


@phtest.case
def non_ascii_local_part_to_a_peer_without_smtputf8_bounces(s):
    dom = "b\u00fccher2.test"
    DNS.add(alabel(dom), "A", "127.0.0.23")
    d = sink(23, ehlo=NO_UTF8)
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["j\u00f6rg@" + dom], MSG, extra=["XSMTPUTF8=1"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.6.7 "), r
        assert "non-ASCII local part" in r[0]["text"], r
        assert not commands(d, b"MAIL") and not commands(d, b"RCPT"), d.sessions[0].transcript
        # the sender's local part, too
        r = remoteclient.deliver(s, "j\u00f6rg@example.test", ["user@" + dom], MSG, extra=["XSMTPUTF8=1"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.6.7 ") and "sender" in r[0]["text"], r
        assert not commands(d, b"MAIL"), d.sessions[-1].transcript
    finally:
        d.stop()


@phtest.case
def utf8_headers_declared_still_need_smtputf8(s):
    dom = "b\u00fccher3.test"
    DNS.add(alabel(dom), "A", "127.0.0.23")
    d = sink(23, ehlo=NO_UTF8)
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["user@" + dom],
                                 "Subject: gr\u00fc\u00dfe\n\nhi\n".encode(), extra=["XSMTPUTF8=1", "XBODY=8BITMIME"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.6.7 ") and "header" in r[0]["text"], r
        assert not commands(d, b"MAIL")
    finally:
        d.stop()


@phtest.case
def unconvertible_domains_bounce_with_the_reason(s):
    cases = [
        (b"user@b\xffcher.test", "invalid UTF-8"),
        (b"user@b\xc3\xbccher.", "empty label"),
        (("user@" + "\u00fc" * 64 + ".test").encode(), "too long"),
        (("user@ab--\u00fc.test").encode(), "third and fourth"),
    ]
    for addr, reason in cases:
        c = remoteclient.Client(s)
        fd = remoteclient.message_fd(MSG)
        try:
            c.send([b"I" + remoteclient.qid().encode(), b"Fdemo@example.test", b"T" + addr], [fd])
            r = c.reply()
        finally:
            os.close(fd)
            c.close()
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.1.2 "), (addr, r)
        assert reason in r[0]["text"] and "A-labels" in r[0]["text"], (addr, r)
    assert remote_log_matches(s, r"event=bounced qid=\w+ rcpt=\S+ dsn=5\.1\.2 reason=\"invalid internationalized domain name")


@phtest.case
def relay_host_with_a_utf8_name_resolved_by_its_alabels(s):
    relay = "r\u00e9lais.test"
    DNS.add(alabel(relay), "A", "127.0.0.24")
    d = sink(24)
    try:
        with phtest.envfile(s, DEFAULT_RELAY_HOST="[%s]" % relay):
            r = remoteclient.deliver(s, "demo@example.test", ["u@far-away.test"], MSG)
        assert r and r[0]["v"] == "K", r
        assert "xn--rlais-bsa.test[127.0.0.24]" in r[0]["text"], r
        assert (alabel(relay), "A") in DNS.queries, DNS.queries[-10:]
        assert len(d.messages) == 1
        # a relay name that cannot be converted: a configuration error, the mail waits
        with phtest.envfile(s, DEFAULT_RELAY_HOST="[ab--\u00e9.test]"):
            r = remoteclient.deliver(s, "demo@example.test", ["u@far-away.test"], MSG)
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.3.5 ") and "third and fourth" in r[0]["text"], r
    finally:
        d.stop()


# ---- lines over 998 octets

def long_message(body_lines=1):
    header = b"X-Long: " + b"h" * (3000 - 8)
    lines = [b"From: demo@example.test", b"Subject: long lines", header, b""]
    lines.append(b"b" * 3000)
    lines.append(b"." + b"d" * 2999)                       # dot-stuffed and broken
    lines.append(("\u00e9" * 1500).encode())               # 3000 octets of 2-octet characters
    lines.append(b"x" * LIMIT)                             # exactly the limit: not broken
    for i in range(body_lines):
        lines.append(b"%06d " % i + b"y" * 2993)
    lines.append(b"short")
    return b"\n".join(lines) + b"\n"


def check_lines(wire, stuffed):
    for line in wire.split(b"\r\n"):
        assert len(line) <= LIMIT, (len(line), line[:40])
        line.decode()       # never cut inside a UTF-8 sequence
    assert b"\r" not in wire.replace(b"\r\n", b"") and b"\n" not in wire.replace(b"\r\n", b"")
    if stuffed:
        assert b"\r\n..ddd" in wire or wire.startswith(b"..ddd"), "the long dot line is still stuffed"


def broken_count(msg):
    return sum(1 for line in msg.split(b"\n") if len(line) > LIMIT)


@phtest.case
def long_lines_broken_over_data(s):
    DNS.add("long-data.test", "A", "127.0.0.25")
    d = sink(25)
    msg = long_message()
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["u@long-data.test"], msg, extra=["XBODY=8BITMIME"])
        assert r and r[0]["v"] == "K", r
        m = d.messages[0]
        assert m.via == "DATA"
        check_lines(m.raw[:-3], stuffed=True)
        assert m.data.replace(b"\r\n ", b"") == msg.replace(b"\n", b"\r\n"), "content not recoverable"
        assert b"\r\n " + b"h" * 10 in m.data.split(b"\r\n\r\n")[0], "the header goes on in a continuation line"
        size = int(re.search(r"SIZE=(\d+)", m.mail_params).group(1))
        assert size == len(m.data), (size, len(m.data))
        n = broken_count(msg)
        assert remote_log_matches(s, r"event=long_lines_broken qid=\w+ lines=%d limit=998$" % n)
        assert len(re.findall(r"event=long_lines_broken", s.log("remote"))) == 1
    finally:
        d.stop()


@phtest.case
def long_lines_broken_over_bdat_and_chunk_sizes_count_them(s):
    DNS.add("long-bdat.test", "A", "127.0.0.26")
    d = sink(26, ehlo=smtpsink.DEFAULT_EHLO + ("CHUNKING",))
    msg = long_message(body_lines=60)          # about 190 KB: several 64 KiB blocks, lines across them
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["u@long-bdat.test"], msg, extra=["XBODY=8BITMIME"])
        assert r and r[0]["v"] == "K" and "(in reply to BDAT command)" in r[0]["text"], r
        m = d.messages[0]
        assert m.via == "BDAT"
        check_lines(m.raw, stuffed=False)
        assert m.raw.replace(b"\r\n ", b"") == msg.replace(b"\n", b"\r\n"), "content not recoverable"
        bdats = commands(d, b"BDAT")
        sizes = [int(b.split()[1]) for b in bdats]
        assert len(bdats) >= 3 and sum(sizes) == len(m.raw) and bdats[-1].endswith(b" LAST"), bdats
        size = int(re.search(r"SIZE=(\d+)", m.mail_params).group(1))
        assert size == len(m.raw), (size, len(m.raw))
        assert remote_log_matches(s, r"event=long_lines_broken qid=\w+ lines=%d limit=998$" % broken_count(msg))
    finally:
        d.stop()


@phtest.case
def short_lines_untouched_and_not_logged(s):
    DNS.add("short.test", "A", "127.0.0.27")
    d = sink(27)
    msg = b"From: demo@example.test\nSubject: s\n\n" + b"z" * LIMIT + b"\n"
    before = len(re.findall(r"event=long_lines_broken", s.log("remote")))
    try:
        r = remoteclient.deliver(s, "demo@example.test", ["u@short.test"], msg)
        assert r and r[0]["v"] == "K", r
        assert d.messages[0].data == msg.replace(b"\n", b"\r\n")
        assert len(re.findall(r"event=long_lines_broken", s.log("remote"))) == before
    finally:
        d.stop()


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        DNS.stop()
