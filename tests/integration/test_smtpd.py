"""smtpd, the MX intake, through tcpd under s6 with the whole suite:
protocol replies, delivery and trace header, recipient policy, PIPELINING,
line discipline, SMTP smuggling, limits and deadlines. Uses raw sockets
(to control every byte), python's smtplib and swaks."""

import atexit
import os
import re
import smtplib
import subprocess
import time

import phtest
from queuelib import queued_envelope
from smtpraw import Raw, message_with, queued_as, tls_context

DEMO = "demo@example.test"


def greeted(s, helo="client.test"):
    c = Raw(s)
    g = c.last()
    assert g.startswith("220 ") and "ESMTP posthaste" in g, g
    c.expect("EHLO " + helo, "250 ")
    return c


def log_has(s, pattern, timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log("smtpd")), timeout)


def maildir_count(s):
    return len(s.messages(DEMO))


def deliver_marker(s, tag):
    """Send a normal message and wait for it: everything sent before it
    has been delivered or refused by then (one queue, one mailbox)."""
    before = maildir_count(s)
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    c.sendmail("marker@sender.test", [DEMO], "Subject: marker %s\r\n\r\nmarker\r\n" % tag)
    c.quit()
    assert s.wait_for(lambda: maildir_count(s) > before, 10), "marker %s not delivered" % tag


def message_texts(s):
    return [p.read_bytes() for p in s.messages(DEMO)]


def expect_utf8(c, text, prefix):
    """Like Raw.expect, with the command sent as UTF-8."""
    c.send(text.encode("utf-8") + b"\r\n")
    r = c.last()
    assert r.startswith(prefix), "%s -> %r, expected %r" % (text, r, prefix)
    return r


# ---- greeting and EHLO

@phtest.case
def greeting_and_ehlo_keywords(s):
    c = Raw(s)
    g = c.last()
    assert re.fullmatch(r"220 \S+ ESMTP posthaste", g), g
    c.send(b"EHLO client.test\r\n")
    lines = c.reply()
    keywords = [ln[4:] for ln in lines[1:]]
    assert all(ln.startswith("250") for ln in lines), lines
    for k in ("PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES",
              "SMTPUTF8", "CHUNKING", "DSN"):
        assert k in keywords, (k, keywords)
    # tlsd is in front (package/service/smtpd/run) with the demo's
    # self-signed certificate
    assert "STARTTLS" in keywords, keywords
    # no AUTH on the MX port; REQUIRETLS only once TLS is on (RFC 8689 4)
    for k in ("AUTH", "REQUIRETLS", "BINARYMIME"):
        assert not any(x.startswith(k) for x in keywords), ("advertises " + k, keywords)
    c.expect("HELO client.test", "250 ")
    c.expect("NOOP", "250 2.0.0")
    # RFC 3463: X.5.2 is a syntax error; "will not say" is 2.0.0 (as Postfix)
    c.expect("VRFY demo", "252 2.0.0")
    c.expect("EXPN staff", "502 5.5.1")
    c.expect("HELP", "214 ")
    c.expect("STARTTLS now", "501 5.5.4")
    c.expect("AUTH PLAIN AGRlbW8AeA==", "502 5.5.1")
    c.expect("XYZZY", "500 5.5.2")
    c.expect("QUIT", "221 2.0.0")
    assert c.closed()
    assert log_has(s, r"event=connect ip=127\.0\.0\.1 port=\d+")
    assert log_has(s, r"event=disconnect ip=127\.0\.0\.1 reason=quit ")


# ---- delivery

@phtest.case
def smtplib_delivery_received_header_and_dots(s):
    before = maildir_count(s)
    body = ("Subject: dots\r\nMessage-ID: <dots@client.test>\r\n\r\n"
            "first line\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n")
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    c.ehlo("client.test")
    c.mail("alice@sender.test", ["BODY=8BITMIME", "SIZE=%d" % len(body)])
    code, _ = c.rcpt(DEMO)
    assert code == 250, code
    code, text = c.data(body)  # smtplib dot-stuffs
    assert code == 250, (code, text)
    m = re.match(rb"2\.0\.0 Ok: queued as ([0-9A-Za-z]{12,24})$", text)
    assert m, text
    qid = m.group(1).decode()
    c.quit()
    assert s.wait_for(lambda: maildir_count(s) > before, 10), "not delivered"
    raw = [t for t in message_texts(s) if b"<dots@client.test>" in t]
    assert len(raw) == 1, len(raw)
    raw = raw[0]
    assert b"\r" not in raw
    # RFC 5321 4.4 trace header, then the message as sent, unstuffed
    m = re.search(rb"Received: from client\.test \(\S+ \[127\.0\.0\.1\]\)\n"
                  rb"\tby (\S+) \(posthaste\) with ESMTP id ([0-9A-Za-z]{16})\n"
                  rb"\tfor <demo@example\.test>; "
                  rb"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n", raw)
    assert m, raw[:500]
    smtpid = m.group(2).decode()
    # smtplib stuffed the dots, smtpd took them out again (RFC 5321 4.5.2)
    assert raw.endswith(b"\n\nfirst line\n.leading dot\n..two dots\n.\nlast\n"), raw[-200:]
    assert log_has(s, r"event=accepted qid=%s smtpid=%s from=alice@sender\.test nrcpt=1 size=\d+ ip=127\.0\.0\.1" % (qid, smtpid)), \
        "accepted line with qid and smtpid not logged"


@phtest.case
def swaks_pipelined_delivery(s):
    before = maildir_count(s)
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % s.port("smtp"), "--pipeline",
                        "--to", DEMO, "--from", "bob@sender.test", "--helo", "swaks.test",
                        "--header", "Subject: swaks pipelined"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-1500:]
    assert "PIPELINING" in r.stdout
    assert re.search(r"<[-~] +250 2\.0\.0 Ok: queued as \w+", r.stdout), r.stdout[-1500:]
    assert s.wait_for(lambda: maildir_count(s) > before, 10)
    assert any(b"Subject: swaks pipelined" in t and b"Received: from swaks.test" in t for t in message_texts(s))


# ---- recipients

@phtest.case
def unknown_user_550(s):
    c = greeted(s)
    c.expect("MAIL FROM:<alice@sender.test>", "250 2.1.0")
    c.expect("RCPT TO:<nobody@example.test>", "550 5.1.1")
    c.expect("RCPT TO:<Demo@Example.TEST>", "250 2.1.5")  # lookups fold case
    c.expect("QUIT", "221")
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=RCPT code=550 reason=unknown_user rcpt=nobody@example\.test")


@phtest.case
def relay_denied_554(s):
    c = greeted(s)
    c.expect("MAIL FROM:<alice@sender.test>", "250")
    c.expect("RCPT TO:<someone@elsewhere.test>", "554 5.7.1")
    c.expect("RCPT TO:<someone@[192.0.2.1]>", "554 5.7.1")
    c.expect("DATA", "554 5.5.1")  # no valid recipient
    c.expect("QUIT", "221")
    assert log_has(s, r"event=relay_denied ip=127\.0\.0\.1 rcpt=someone@elsewhere\.test")


@phtest.case
def bare_postmaster_accepted(s):
    before = maildir_count(s)
    c = greeted(s)
    c.expect("MAIL FROM:<>", "250")
    c.expect("RCPT TO:<Postmaster>", "250 2.1.5")
    c.expect("DATA", "354")
    c.send(b"Subject: to the postmaster\r\n\r\nhello\r\n.\r\n")
    assert c.last().startswith("250 2.0.0"), "not queued"
    c.expect("QUIT", "221")
    # the demo postmaster alias points at demo@example.test
    assert s.wait_for(lambda: maildir_count(s) > before, 10)


@phtest.case
def duplicate_recipient_accepted_kept_once(s):
    before = maildir_count(s)
    c = greeted(s)
    c.expect("MAIL FROM:<alice@sender.test>", "250")
    for r in ("demo@example.test", "DEMO@Example.Test", "Demo@example.TEST"):
        c.expect("RCPT TO:<%s>" % r, "250 2.1.5")
    c.expect("DATA", "354")
    c.send(b"Subject: dup rcpt\r\nMessage-ID: <dup-rcpt@client.test>\r\n\r\nonce\r\n.\r\n")
    r = c.last()
    assert r.startswith("250 2.0.0"), r
    c.expect("QUIT", "221")
    assert log_has(s, r"event=accepted qid=\w+ smtpid=\w+ from=alice@sender\.test nrcpt=1 ")
    def copies():
        return [x for x in message_texts(s) if b"<dup-rcpt@client.test>" in x]
    assert s.wait_for(copies, 10), "not delivered"
    deliver_marker(s, "dup")  # a second copy would be there by now
    assert maildir_count(s) == before + 2, (before, maildir_count(s))
    got = copies()
    assert len(got) == 1, "%d copies of one message" % len(got)
    assert b"\tfor <demo@example.test>;" in got[0], got[0][:400]


@phtest.case
def long_hostname_bare_postmaster(s):
    """RFC 5321 4.5.1 <Postmaster> with POSTMASTER_ADDRESS unset tries
    postmaster@<hostname>: a 253-octet host name makes that address too long
    (and once overflowed smtpd's buffer); the parent domain is tried next."""
    parent = ".".join(["d" * 60, "e" * 60, "f" * 60, "g" * 49, "example.test"])  # 245 octets
    host = "mxlabel." + parent
    assert len(parent) == 245 and len(host) == 253
    envfile = s.state / "config" / "mailserver.env"
    saved = envfile.read_text()
    lines = [ln for ln in saved.splitlines()
             if not ln.startswith(("OVERRIDE_HOSTNAME=", "POSTMASTER_ADDRESS="))]
    try:
        # smtpd reads the file at every connection
        envfile.write_text("\n".join(lines + ["OVERRIDE_HOSTNAME=" + host]) + "\n")
        c = Raw(s)
        assert c.last().startswith("220 " + host + " "), "host name not in use"
        c.expect("EHLO client.test", "250")
        c.expect("MAIL FROM:<>", "250")
        c.expect("RCPT TO:<Postmaster>", "550 5.1.1")  # neither domain is local
        c.expect("QUIT", "221")
        # now the parent domain is local: postmaster@<parent> is 256 octets
        s.mailctl("alias", "add", "postmaster@" + parent, DEMO)
        c = Raw(s)
        c.last()
        c.expect("EHLO client.test", "250")
        c.expect("MAIL FROM:<>", "250")
        c.expect("RCPT TO:<Postmaster>", "250 2.1.5")
        c.expect("QUIT", "221")
    finally:
        envfile.write_text(saved)
        s.mailctl("alias", "del", "postmaster@" + parent, DEMO, check=False)
    assert not s.sanitizer_reports(), s.sanitizer_reports()


@phtest.case
def smtpd_refuses_root(s):
    if os.geteuid() != 0:
        print("# not root: the root refusal is not tested")
        return
    env = {k: v for k, v in s.env.items() if k.startswith(("PH_", "PATH"))}
    env.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS")})
    r = subprocess.run([str(s.bin / "smtpd")], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    assert r.returncode == 100, (r.returncode, r.stdout, r.stderr)
    assert r.stdout.startswith(b"421 4.3.5 "), r.stdout
    assert b"root" in r.stderr, r.stderr


# ---- PIPELINING

@phtest.case
def pipelined_group_replies_in_order(s):
    before = maildir_count(s)
    c = greeted(s)
    c.send(b"MAIL FROM:<carol@sender.test>\r\n"
           b"RCPT TO:<demo@example.test>\r\n"
           b"RCPT TO:<nobody@example.test>\r\n"
           b"RCPT TO:<x@elsewhere.test>\r\n"
           b"NOOP\r\n"
           b"DATA\r\n")
    got = [c.last()[:9] for _ in range(6)]
    assert got == ["250 2.1.0", "250 2.1.5", "550 5.1.1", "554 5.7.1", "250 2.0.0", "354 End d"], got
    # the end of data and the next commands in one write
    c.send(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nRSET\r\nMAIL FROM:<>\r\nQUIT\r\n")
    got = [c.last() for _ in range(4)]
    assert got[0].startswith("250 2.0.0 Ok: queued as "), got
    assert [g[:9] for g in got[1:]] == ["250 2.0.0", "250 2.1.0", "221 2.0.0"], got
    assert c.closed()
    assert s.wait_for(lambda: maildir_count(s) > before, 10)


# ---- command line discipline

@phtest.case
def bare_lf_command_refused_and_not_executed(s):
    c = greeted(s)
    c.send(b"MAIL FROM:<lf@sender.test>\n")
    r = c.last()
    assert r.startswith("500 5.5.2"), r
    # the MAIL above was not executed: RCPT is out of sequence
    c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")
    c.send(b"NOOP\rMAIL FROM:<cr@sender.test>\r\n")
    assert c.last().startswith("500 5.5.2")
    c.send(b"NOOP\x00\r\n")
    assert c.last().startswith("500 5.5.2")
    c.expect("NOOP", "250")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=bad_line ip=127\.0\.0\.1 what=bare_lf")
    assert log_has(s, r"event=bad_line ip=127\.0\.0\.1 what=bare_cr")
    assert log_has(s, r"event=bad_line ip=127\.0\.0\.1 what=nul")


@phtest.case
def too_long_line_refused(s):
    c = greeted(s)
    c.send(b"NOOP " + b"x" * 5000 + b"\r\n")
    r = c.last()
    assert r.startswith("500 5.5.2") and "too long" in r, r
    # the rest of that line was discarded, the session goes on in step
    c.expect("NOOP " + "y" * 2000, "250")
    c.expect("QUIT", "221")


@phtest.case
def sequencing_and_syntax_errors(s):
    c = Raw(s)
    c.last()
    c.expect("MAIL FROM:<a@sender.test>", "503 5.5.1")
    c.expect("EHLO", "501 5.5.4")
    c.expect("EHLO client.test", "250")
    c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")
    c.expect("DATA", "503 5.5.1")
    c.expect("MAIL FROM:a@sender.test", "501 5.1.7")
    c.expect("MAIL TO:<a@sender.test>", "501 5.5.4")
    c.expect("MAIL FROM:<a@sender.test> FOO=BAR", "555 5.5.4")
    c.expect("MAIL FROM:<a@sender.test> BODY=9BIT", "501 5.5.4")
    c.expect("MAIL FROM:<a@sender.test> SIZE=99999999999", "552 5.3.4")
    c.expect("MAIL FROM:<a@sender.test> SIZE=100 BODY=7BIT", "250 2.1.0")
    c.expect("MAIL FROM:<a@sender.test>", "503 5.5.1")
    c.expect("RCPT TO:<>", "501 5.1.3")
    c.expect("RCPT TO:<demo@example.test> FOO=BAR", "555 5.5.4")
    # RFC 6531 3.7.4.1: UTF-8 addresses only in an SMTPUTF8 transaction
    expect_utf8(c, "RCPT TO:<d\u00e9mo@example.test>", "553 5.6.7")
    c.expect("DATA", "554 5.5.1")
    c.expect("RSET", "250 2.0.0")
    c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")
    c.expect("HELO client.test", "250")
    c.expect("MAIL FROM:<a@sender.test> SIZE=100", "555 5.5.4")  # no parameters after HELO
    c.expect("MAIL FROM:<a@sender.test>", "250 2.1.0")
    c.expect("RCPT TO:<demo@example.test> NOTIFY=NEVER", "555 5.5.4")
    c.expect("RSET", "250")
    expect_utf8(c, "MAIL FROM:<\u00e5lice@sender.test>", "553 5.6.7")
    c.expect("QUIT", "221")


@phtest.case
def http_request_closed(s):
    c = Raw(s)
    c.last()
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.last()
    assert r.startswith("421 4.7.0"), r
    assert c.closed()


@phtest.case
def error_limit_disconnects(s):
    c = greeted(s)
    for i in range(19):
        c.expect("BOGUS%d" % i, "500 5.5.2")
    c.send(b"BOGUS19\r\n")
    assert c.last().startswith("500 5.5.2")
    r = c.last()
    assert r.startswith("421 4.7.0") and "too many errors" in r, r
    assert c.closed()
    assert log_has(s, r"event=too_many_errors ip=127\.0\.0\.1")


# ---- SMTP smuggling (end-of-data variants must never end DATA)

SMUGGLED = (b"MAIL FROM:<evil@sender.test>\r\n"
            b"RCPT TO:<demo@example.test>\r\n"
            b"DATA\r\n"
            b"Subject: smuggled\r\n\r\nsmuggled body\r\n")


@phtest.case
def smuggling_never_makes_a_second_message(s):
    deliver_marker(s, "before")
    before = maildir_count(s)
    variants = [(b"\n.\n", "550 5.6.11"), (b"\r.\r", "550 5.6.11"), (b"\n.\r\n", "550 5.6.11"),
                (b"\r\n.\n", "550 5.6.11"), (b"\r\n.\r", "550 5.6.11"), (b"\x00\r\n.\x00\r\n", "550 5.6.0")]
    for marker, expected in variants:
        c = greeted(s)
        c.expect("MAIL FROM:<alice@sender.test>", "250")
        c.expect("RCPT TO:<demo@example.test>", "250")
        c.expect("DATA", "354")
        # the whole attack in one write; the real end of data is the last
        # CRLF.CRLF, after the would-be second message
        c.send(b"Subject: carrier\r\n\r\ncarrier body" + marker + SMUGGLED + b".\r\n")
        r = c.last()
        assert r.startswith(expected), (marker, r)
        # nothing after the real end was taken as commands: the session
        # is in step and has no transaction
        c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")
        c.expect("QUIT", "221")
    deliver_marker(s, "after")
    assert maildir_count(s) == before + 1, (before, maildir_count(s))
    for t in message_texts(s):
        assert b"smuggled" not in t and b"carrier" not in t, t[:300]
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=DATA code=550 reason=bare_cr_lf")


@phtest.case
def data_line_limit(s):
    before = maildir_count(s)
    c = greeted(s)
    c.expect("MAIL FROM:<alice@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: long\r\n\r\n" + b"z" * 70000 + b"\r\n.\r\n")
    r = c.last()
    assert r.startswith("550 5.6.0"), r
    c.expect("QUIT", "221")
    # a 5000-octet line is fine (RFC 5322's 998 is not enforced)
    c = greeted(s)
    c.expect("MAIL FROM:<alice@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: longish\r\n\r\n" + b"w" * 5000 + b"\r\n.\r\n")
    assert c.last().startswith("250 2.0.0")
    c.expect("QUIT", "221")
    assert s.wait_for(lambda: maildir_count(s) > before, 10)
    assert any(b"w" * 5000 + b"\n" in t for t in message_texts(s))


# ---- Received header variants (RFC 5321 4.4, RFC 3848, RFC 6531 3.7.3)

@phtest.case
def received_with_smtp_after_helo(s):
    c = Raw(s)
    c.last()
    c.expect("HELO old.client.test", "250")
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: helo\r\nMessage-ID: <helo@client.test>\r\n\r\nx\r\n.\r\n")
    c.last()
    c.expect("QUIT", "221")
    m = message_with(s, b"<helo@client.test>")
    assert re.search(rb"Received: from old\.client\.test \(\S+ \[127\.0\.0\.1\]\)\n\tby \S+ \(posthaste\) with SMTP id \w{16}\n", m), m[:400]


# ---- SMTPUTF8 (RFC 6531)

@phtest.case
def smtputf8_delivered_to_utf8_mailbox(s):
    box = "d\u00f6rte@example.test"
    r = s.mailctl("email", "add", box, "pw-utf8-" + "x" * 8, check=False)
    assert r.returncode == 0, "mailctl refuses a UTF-8 address: %s" % r.stderr
    c = greeted(s)
    # without SMTPUTF8 on MAIL, no UTF-8 address anywhere
    expect_utf8(c, "MAIL FROM:<\u00e5sa@sender.test>", "553 5.6.7")
    c.expect("MAIL FROM:<a@sender.test>", "250")
    expect_utf8(c, "RCPT TO:<%s>" % box, "553 5.6.7")
    c.expect("RSET", "250")
    c.expect("MAIL FROM:<a@sender.test> SMTPUTF8=yes", "501 5.5.4")  # no value (RFC 6531 3.4)
    c.send(b"MAIL FROM:<bad\xc3@sender.test> SMTPUTF8\r\n")  # malformed UTF-8
    assert c.last().startswith("501 5.1.7")
    expect_utf8(c, "MAIL FROM:<\u00e5sa@sender.test> SMTPUTF8 BODY=8BITMIME", "250 2.1.0")
    expect_utf8(c, "RCPT TO:<%s>" % box, "250 2.1.5")
    c.send(b"RCPT TO:<bad\xc3@example.test>\r\n")  # malformed UTF-8
    assert c.last().startswith("501 5.1.3")
    c.expect("DATA", "354")
    c.send("Subject: gr\u00fc\u00dfe\r\nMessage-ID: <utf8@client.test>\r\n\r\nHej d\u00f6rte\r\n.\r\n".encode("utf-8"))
    qid = queued_as(c.last())
    c.expect("QUIT", "221")
    m = message_with(s, b"<utf8@client.test>", box)
    assert "Hej d\u00f6rte\n".encode("utf-8") in m, m
    assert re.search(rb"with UTF8SMTP id \w{16}\n\tfor <" + box.encode("utf-8").replace(b".", rb"\.") + b">;", m), m[:400]
    assert log_has(s, r"event=accepted qid=%s smtpid=\w+ from=\S+ nrcpt=1 " % qid)


# ---- DSN (RFC 3461) and REQUIRETLS (RFC 8689)

@phtest.case
def dsn_parameter_syntax(s):
    c = greeted(s)
    bad_mail = ["RET=FOO", "RET=FULL RET=HDRS", "ENVID=" + "a" * 101, "ENVID=a+ZZ", "ENVID=a+4",
                "BODY=BINARYMIME", "SMTPUTF8 SMTPUTF8"]
    for p in bad_mail:
        c.expect("MAIL FROM:<a@sender.test> " + p, "501 5.5.4")
    c.expect("MAIL FROM:<a@sender.test> RET=hdrs ENVID=" + "a" * 100, "250 2.1.0")
    bad_rcpt = ["NOTIFY=NEVER,SUCCESS", "NOTIFY=BOGUS", "NOTIFY=SUCCESS,SUCCESS", "NOTIFY=", "NOTIFY=DELAY,",
                "ORCPT=rfc822", "ORCPT=rfc822;", "ORCPT=;a@b", "ORCPT=rfc822;a+4", "ORCPT=rfc822;" + "a" * 495,
                "NOTIFY=DELAY NOTIFY=DELAY"]
    for p in bad_rcpt:
        c.expect("RCPT TO:<demo@example.test> " + p, "501 5.5.4")
    c.expect("RCPT TO:<demo@example.test> NOTIFY=never ORCPT=rfc822;demo+40example.test", "250 2.1.5")
    c.expect("QUIT", "221")


@phtest.case
def requiretls_refused_without_tls(s):
    c = greeted(s)
    r = c.cmd("MAIL FROM:<a@sender.test> REQUIRETLS")
    assert r.startswith("530 5.7.10"), r
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=MAIL code=530 reason=requiretls")


# ---- CHUNKING / BDAT (RFC 3030)

def bdat_session(s, extra=b""):
    c = greeted(s)
    c.expect("MAIL FROM:<alice@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    return c


@phtest.case
def bdat_chunks_delivered(s):
    c = bdat_session(s)
    part1 = b"Subject: chunked\r\nMessage-ID: <bdat@client.test>\r\n\r\nline one\r"
    # the CRLF is cut between the chunks; a leading dot is not stuffing
    # here, and CRLF.CRLF inside a chunk ends nothing
    part2 = b"\n.leading dot\r\n.\r\nafter the dot line\r\n"
    c.send(b"BDAT %d\r\n" % len(part1) + part1 + b"BDAT %d LAST\r\n" % len(part2) + part2 + b"NOOP\r\n")
    r1, r2, r3 = c.last(), c.last(), c.last()
    assert r1 == "250 2.0.0 %d octets received" % len(part1), r1
    queued_as(r2)
    assert r3.startswith("250 2.0.0"), r3
    c.expect("QUIT", "221")
    m = message_with(s, b"<bdat@client.test>")
    assert m.endswith(b"\n\nline one\n.leading dot\n.\nafter the dot line\n"), m[-120:]
    assert b"\r" not in m
    # an empty last chunk ends the message too
    c = bdat_session(s)
    body = b"Subject: empty last\r\nMessage-ID: <bdat0@client.test>\r\n\r\nbody\r\n"
    c.send(b"BDAT %d\r\n" % len(body) + body)
    assert c.last().startswith("250 2.0.0 %d octets" % len(body))
    queued_as(c.cmd("BDAT 0 LAST"))
    c.expect("QUIT", "221")
    message_with(s, b"<bdat0@client.test>")


@phtest.case
def bdat_bare_lf_refused_after_last(s):
    for bad, code in ((b"bare\nlf\r\n", "550 5.6.11"), (b"bare\rcr\r\n", "550 5.6.11"),
                      (b"ends in cr\r", "550 5.6.11"), (b"nul\x00\r\n", "550 5.6.0")):
        c = bdat_session(s)
        head = b"Subject: bad bdat\r\n\r\n"
        c.send(b"BDAT %d\r\n" % len(head) + head)
        assert c.last().startswith("250 2.0.0"), bad
        c.send(b"BDAT %d LAST\r\n" % len(bad) + bad)
        r = c.last()
        assert r.startswith(code), (bad, r)
        c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")  # the transaction is over
        c.expect("QUIT", "221")
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=BDAT code=550 reason=bare_cr_lf")


@phtest.case
def bdat_refused_chunks_are_skipped(s):
    deliver_marker(s, "bdat-skip-before")
    before = maildir_count(s)
    c = greeted(s)
    # no transaction: the chunk is read and dropped, never run as commands
    inner = b"MAIL FROM:<evil@sender.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n"
    c.send(b"BDAT %d LAST\r\n" % len(inner) + inner)
    assert c.last().startswith("503 5.5.1")
    c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")
    # no valid recipient
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<nobody@example.test>", "550")
    c.send(b"BDAT %d LAST\r\n" % len(inner) + inner)
    assert c.last().startswith("554 5.5.1")
    c.expect("RSET", "250")
    # DATA inside a BDAT transaction (RFC 3030 3), then RCPT after BDAT
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.send(b"BDAT 5\r\nabcde")
    assert c.last().startswith("250 2.0.0 5 octets")
    c.expect("RCPT TO:<postmaster@example.test>", "503 5.5.1")
    c.expect("DATA", "503 5.5.1")
    c.send(b"BDAT 3 LAST\r\nxyz")
    assert c.last().startswith("503 5.5.1")  # the transaction was dropped
    c.expect("NOOP", "250")
    c.expect("QUIT", "221")
    deliver_marker(s, "bdat-skip-after")
    assert maildir_count(s) == before + 1, (before, maildir_count(s))


@phtest.case
def bdat_bad_syntax_closes(s):
    c = bdat_session(s)
    c.send(b"BDAT 12x\r\nMAIL FROM:<x@sender.test>\r\n")
    assert c.last().startswith("501 5.5.4")
    r = c.last()
    assert r.startswith("421 4.5.0"), r
    assert c.closed()
    c = bdat_session(s)
    c.send(b"BDAT 123456789012345678901 LAST\r\n")  # more than 20 digits
    assert c.last().startswith("501 5.5.4")
    assert c.last().startswith("421")
    assert c.closed()


# ---- STARTTLS (RFC 3207) through tlsd

@phtest.case
def starttls_esmtps_received_and_requiretls(s):
    c = greeted(s)
    c.expect("MAIL FROM:<before@sender.test>", "250")
    c.expect("STARTTLS", "220 2.0.0")
    c.tls()
    # RFC 3207 4.2: the session starts over: EHLO first, no transaction
    c.expect("MAIL FROM:<a@sender.test>", "503 5.5.1")
    kw = c.ehlo()
    assert "REQUIRETLS" in kw and "STARTTLS" not in kw, kw
    c.expect("STARTTLS", "503 5.5.1")   # already on
    c.expect("MAIL FROM:<a@sender.test> REQUIRETLS", "250 2.1.0")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: tls\r\nMessage-ID: <tls@client.test>\r\n\r\nsecret\r\n.\r\n")
    queued_as(c.last())
    c.expect("QUIT", "221")
    m = message_with(s, b"<tls@client.test>")
    assert re.search(rb"Received: from client\.test \(\S+ \[127\.0\.0\.1\]\)\n"
                     rb"\t\(using TLSv1\.3 with cipher TLS_[A-Z0-9_]+ \((128|256)/(128|256) bits\)\)\n"
                     rb"\tby \S+ \(posthaste\) with ESMTPS id \w{16}\n", m), m[:500]
    assert log_has(s, r"event=starttls ip=127\.0\.0\.1 proto=TLSv1\.3 cipher=\S+")


@phtest.case
def starttls_smtplib_and_swaks(s):
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    c.ehlo("lib.client.test")
    c.starttls(context=tls_context())
    c.ehlo("lib.client.test")
    c.sendmail("lib@sender.test", [DEMO], "Subject: smtplib tls\r\nMessage-ID: <libtls@client.test>\r\n\r\nx\r\n")
    c.quit()
    m = message_with(s, b"<libtls@client.test>")
    assert b"with ESMTPS id" in m, m[:400]
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % s.port("smtp"), "--tls", "--pipeline",
                        "--to", DEMO, "--from", "swaks@sender.test", "--helo", "swaks.test",
                        "--header", "Message-ID: <swakstls@client.test>"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-1500:]
    assert "TLS started" in r.stdout, r.stdout[-1500:]
    assert b"with ESMTPS id" in message_with(s, b"<swakstls@client.test>")


@phtest.case
def starttls_pipelined_plaintext_discarded(s):
    # RFC 3207 4.2 / CVE-2011-0411: commands sent in clear after STARTTLS
    # in the same write are never run inside TLS
    c = greeted(s)
    c.send(b"STARTTLS\r\nHELP\r\nMAIL FROM:<injected@sender.test>\r\n")
    assert c.last().startswith("220 2.0.0")
    c.tls()
    c.expect("NOOP", "250 2.0.0")       # HELP would have said 214 first
    c.expect("EHLO client.test", "250")
    c.expect("RCPT TO:<demo@example.test>", "503 5.5.1")   # no MAIL was run
    c.expect("QUIT", "221")
    assert log_has(s, r"event=starttls ip=127\.0\.0\.1 proto=\S+ cipher=\S+ (sni=\S+ )?discarded=\d+")


@phtest.case
def processes_under_their_uids(s):
    """tcpd -R keeps root (tlsd must open the keys); the TLS engine runs
    as phtls and smtpd as phsmtpd, during a session in TLS."""
    import pwd
    c = greeted(s)
    c.expect("STARTTLS", "220")
    c.tls()
    c.expect("EHLO client.test", "250")
    seen = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = [a.decode(errors="replace") for a in
                    open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0") if a]
            status = open("/proc/%s/status" % pid).read()
        except OSError:
            continue
        if not argv or not argv[0].startswith(str(s.bin) + "/"):
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M).group(1))
        seen.setdefault(argv[0].rsplit("/", 1)[1], set()).add(pwd.getpwuid(uid).pw_name)
    c.expect("QUIT", "221")
    assert seen.get("smtpd") == {"phsmtpd"}, seen
    # the engine: tlsd until STARTTLS, then it execs tlsd-io (the parent became smtpd)
    assert "phtls" in seen.get("tlsd", set()) | seen.get("tlsd-io", set()), seen
    assert not (seen.get("tlsd", set()) | seen.get("tlsd-io", set())) - {"phtls"}, seen
    # tcpd keeps root where tlsd must open a key (-R); the listeners of
    # programs that read nothing secret drop to the program's uid at once
    assert "root" in seen.get("tcpd", ()) and seen["tcpd"] <= {"root", "phweb", "phpolicy", "vmail"}, seen


# ---- a second suite with small limits

_small = None


def small():
    """A suite with a small size limit, short timeout, low error limit and
    127.0.0.0/8 allowed to relay; started on first use."""
    global _small
    if _small is None:
        _small = phtest.Suite(extra_env={
            "POSTFIX_MESSAGE_SIZE_LIMIT": "2000",
            "PH_SMTP_TIMEOUT": "2",
            "PH_SMTP_DATA_BLOCK_TIMEOUT": "4",
            "PH_SMTP_MAX_ERRORS": "3",
            "PH_SMTP_MAX_RCPT": "2",
            "PH_RELAY_NETWORKS": "10.0.0.0/8, 127.0.0.0/8 ::1",
        }).start()
        atexit.register(_small.stop)
    return _small


@phtest.case
def size_limit(s):
    t = small()
    before = maildir_count(t)
    c = greeted(t)
    c.send(b"EHLO client.test\r\n")
    assert "SIZE 2000" in [ln[4:] for ln in c.reply()]
    c.expect("MAIL FROM:<a@sender.test> SIZE=2001", "552 5.3.4")
    c.expect("MAIL FROM:<a@sender.test> SIZE=1000", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 40 + b".\r\n")
    r = c.last()
    assert r.startswith("552 5.3.4"), r
    # just under the limit (the count is LF-form, without our Received)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    body = b"Subject: fits\r\n\r\n" + (b"y" * 98 + b"\r\n") * 19
    assert len(body.replace(b"\r\n", b"\n")) <= 2000
    c.send(body + b".\r\n")
    r = c.last()
    assert r.startswith("250 2.0.0"), r
    c.expect("QUIT", "221")
    assert t.wait_for(lambda: maildir_count(t) == before + 1, 10), "expected exactly one delivery"


@phtest.case
def too_many_recipients(s):
    t = small()
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("RCPT TO:<postmaster@example.test>", "250")
    c.expect("RCPT TO:<demo+x@example.test>", "452 4.5.3")
    c.expect("QUIT", "221")


@phtest.case
def relay_networks_allow_relaying(s):
    t = small()
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<Someone@Elsewhere.test>", "250 2.1.5")
    c.expect("RSET", "250")
    c.expect("QUIT", "221")
    assert "relay=yes" in t.log("smtpd") or t.wait_for(lambda: "relay=yes" in t.log("smtpd"), 5)


@phtest.case
def duplicate_relay_recipient_counted_once(s):
    # PH_SMTP_MAX_RCPT=2 here: spellings of one address are one recipient
    # (compared as lookup keys: ASCII case folded)
    t = small()
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<Someone@Elsewhere.test>", "250 2.1.5")
    c.expect("RCPT TO:<someone@elsewhere.TEST>", "250 2.1.5")
    c.expect('RCPT TO:<"SOMEONE"@ELSEWHERE.test>', "250 2.1.5")
    c.expect("RCPT TO:<other@elsewhere.test>", "250 2.1.5")
    c.expect("RCPT TO:<third@elsewhere.test>", "452 4.5.3")
    c.expect("QUIT", "221")


@phtest.case
def small_error_limit(s):
    t = small()
    c = greeted(t)
    c.expect("BOGUS", "500")
    c.expect("MAIL FROM:<bad", "501")
    c.send(b"RCPT TO:<demo@example.test>\r\n")
    assert c.last().startswith("503")
    r = c.last()
    assert r.startswith("421 4.7.0"), r
    assert c.closed()


@phtest.case
def command_timeout(s):
    t = small()
    c = greeted(t)
    t0 = time.monotonic()
    r = c.last()  # nothing sent: the server gives up after PH_SMTP_TIMEOUT
    elapsed = time.monotonic() - t0
    assert r.startswith("421 4.4.2"), r
    assert 1.5 <= elapsed < 10, elapsed
    assert c.closed()
    assert t.wait_for(lambda: re.search(r"event=timeout ip=127\.0\.0\.1", t.log("smtpd")), 5)


@phtest.case
def data_timeout(s):
    t = small()
    before = maildir_count(t)
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: stalled\r\n\r\npart")
    t0 = time.monotonic()
    r = c.last()
    elapsed = time.monotonic() - t0
    assert r.startswith("421 4.4.2"), r
    # the data block timeout, not the command timeout (2 s)
    assert 3.5 <= elapsed < 10, elapsed
    assert c.closed()
    time.sleep(1)
    assert maildir_count(t) == before


@phtest.case
def bdat_size_limit(s):
    t = small()
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.send(b"BDAT 1500\r\n" + b"y" * 98 + b"\r\n" + b"z" * 1400)
    assert c.last().startswith("250 2.0.0 1500 octets")
    # over the limit: refused at once, the transaction ends, and the
    # pipelined chunks behind it are read and dropped (RFC 3030 3)
    c.send(b"BDAT 1000\r\n" + b"x" * 1000 + b"BDAT 4 LAST\r\nabcd" + b"NOOP\r\n")
    r = c.last()
    assert r.startswith("552 5.3.4"), r
    assert c.last().startswith("503 5.5.1")
    assert c.last().startswith("250 2.0.0")
    c.expect("QUIT", "221")


@phtest.case
def bdat_chunk_timeout(s):
    t = small()
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.send(b"BDAT 100 LAST\r\nonly part of it")
    t0 = time.monotonic()
    r = c.last()
    elapsed = time.monotonic() - t0
    assert r.startswith("421 4.4.2"), r
    assert 3.5 <= elapsed < 10, elapsed
    assert c.closed()


@phtest.case
def dsn_parameters_stored(s):
    # relayed recipients stay in the queue (no remote delivery here), so
    # the envelope can be read there
    t = small()
    c = greeted(t)
    c.expect("MAIL FROM:<a@sender.test> RET=HDRS ENVID=QQ+2B314 BODY=8BITMIME", "250")
    c.expect("RCPT TO:<x@elsewhere.test> NOTIFY=success,failure ORCPT=rfc822;x+40elsewhere.test", "250")
    c.expect("RCPT TO:<y@elsewhere.test> NOTIFY=NEVER", "250")
    c.expect("RCPT TO:<X@Elsewhere.test> NOTIFY=DELAY", "250")  # a duplicate keeps the first one's
    c.expect("DATA", "354")
    c.send(b"Subject: dsn\r\n\r\nbody\r\n.\r\n")
    qid = queued_as(c.last())
    c.expect("QUIT", "221")
    env = queued_envelope(t, qid)
    fields = [f for f in env if f[0] in "FTMNP"]
    assert fields == [("F", "a@sender.test"), ("M", "BODY=8BITMIME"), ("M", "RET=HDRS"), ("M", "ENVID=QQ+2B314"),
                      ("T", "x@elsewhere.test"), ("N", "NOTIFY=SUCCESS,FAILURE"), ("N", "ORCPT=rfc822;x+40elsewhere.test"),
                      ("T", "y@elsewhere.test"), ("N", "NOTIFY=NEVER"), ("P", "ESMTP")], fields


@phtest.case
def requiretls_recorded_in_envelope(s):
    t = small()
    c = greeted(t)
    c.expect("STARTTLS", "220")
    c.tls()
    c.expect("EHLO client.test", "250")
    c.expect("MAIL FROM:<a@sender.test> REQUIRETLS SMTPUTF8", "250")
    c.expect("RCPT TO:<x@elsewhere.test>", "250")
    c.expect("DATA", "354")
    c.send(b"Subject: requiretls\r\n\r\nbody\r\n.\r\n")
    qid = queued_as(c.last())
    c.expect("QUIT", "221")
    env = queued_envelope(t, qid)
    assert ("M", "REQUIRETLS") in env and ("M", "SMTPUTF8") in env, env
    assert ("P", "UTF8SMTPS") in env, env


@phtest.case
def small_suite_clean(s):
    t = small()
    reports = t.sanitizer_reports()
    assert not reports, reports


if __name__ == "__main__":
    phtest.main()
