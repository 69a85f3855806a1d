#!/usr/bin/python3
"""Debian's Postfix as a real peer MTA relaying into posthaste's smtpd.

A private Postfix (tests/lib/privpostfix.py) takes mail from swaks and
python's smtplib on its own loopback port and, example.test being no
domain of its own, relays it to `relayhost = [127.0.0.1]:<smtpd's port>`
with `smtp_tls_security_level = encrypt`: Postfix refuses to send unless
the STARTTLS handshake succeeds (the encrypt level does not verify the
certificate, so the demo's self-signed one is fine). Every message must
end up in demo's Maildir with posthaste's Received header saying ESMTPS
(or UTF8SMTPS) and the same TLS version Postfix logged for that
connection.

Postfix's smtp client also shows what it saw in our EHLO: it sends
BODY=8BITMIME and SMTPUTF8 only to a server that offers them, and
otherwise would downgrade the body to quoted-printable or bounce the
SMTPUTF8 message; `debug_peer_list` makes it log the MAIL command it sent.

Long lines (smtpd/README.md, DATA): smtpd accepts message lines up to
PH_SMTP_DATA_LINE_MAX (65536) octets, RFC 5322's 998 being routinely
exceeded by real mail, and refuses a longer one with 550 5.6.0 after the
end of data. Postfix's own smtp client folds lines over
smtp_line_length_limit (998); the `wide` transport sets it to 0 so that
the long lines reach smtpd as they are.
"""

import pathlib
import re
import smtplib
import subprocess
import time

import phtest
import privpostfix

DEMO = "demo@example.test"
UTF8_USER = "dörte@example.test"
PF = None


def postfix(s):
    """One private Postfix for the whole file, relaying to our smtpd."""
    global PF
    if PF is None:
        port = phtest.free_port()
        senders = pathlib.Path(s.tmp) / "pf-sender-transport"
        # mail from wide@sender.test leaves through the transport that
        # does not fold long lines (the nexthop stays the relayhost)
        # (and so does the null sender: `<>` is Postfix's lookup key for it)
        senders.write_text("wide@sender.test wide:\n<> wide:\n")
        PF = privpostfix.Postfix(prefix="phinterop-postfix.", main={
            "myhostname": "mx.relay.test",
            "mydomain": "relay.test",
            # nothing is local and example.test is no relay domain of
            # this Postfix: mail for it goes to the relayhost (mynetworks
            # = 127.0.0.0/8 lets the loopback clients relay)
            "relayhost": "[127.0.0.1]:%d" % s.port("smtp"),
            "smtp_tls_security_level": "encrypt",
            "smtp_tls_loglevel": "1",
            "smtputf8_enable": "yes",
            "debug_peer_list": "127.0.0.1",
            "sender_dependent_default_transport_maps": "texthash:%s" % senders,
            "notify_classes": "",
        }, master=[
            "127.0.0.1:%d inet n - n - - smtpd" % port,
            "smtp unix - - n - - smtp",
            "wide unix - - n - - smtp -o smtp_line_length_limit=0 -o syslog_name=postfix/wide",
            "tlsmgr unix - - n 1000? 1 tlsmgr",
        ])
        PF.port = port
        PF.start(wait=("127.0.0.1", port))
    return PF


def maillog_has(pf, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, pf.maillog(), re.M)
        if m:
            return m
        assert time.monotonic() < deadline, "no %r in Postfix's log: %s" % (pattern, pf.maillog()[-3000:])
        time.sleep(0.1)


def wait_message(s, address, marker, timeout=60):
    """The Maildir file of address whose text holds marker."""
    def find():
        for p in s.messages(address):
            try:
                data = p.read_bytes()
            except FileNotFoundError:
                continue
            if marker in data:
                return p, data
        return None
    got = s.wait_for(find, timeout, 0.1)
    assert got, "no message with %r in %s's Maildir; smtpd log: %s" % (marker, address, s.log("smtpd")[-2000:])
    return got


def header_block(data):
    return data.split(b"\n\n", 1)[0]


def posthaste_received(data):
    """posthaste's Received field (unfolded), the first one by posthaste."""
    fields = re.findall(rb"^Received:.*(?:\n[ \t].*)*", header_block(data), re.M)
    ours = [f for f in fields if b"(posthaste)" in f]
    assert ours, header_block(data)
    return re.sub(rb"\n[ \t]+", b" ", ours[0]).decode("utf-8", "replace")


def postfix_queue_id(pf, marker_id):
    """Postfix's queue id for the message whose Message-ID is marker_id."""
    m = maillog_has(pf, r"cleanup\[\d+\]: ([0-9A-F]+): message-id=<%s>" % re.escape(marker_id))
    return m.group(1)


def relayed(pf, qid):
    """Postfix's status=sent line for qid: our 250 reply and the relay."""
    return maillog_has(pf, r"%s: to=<[^>]+>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent "
                       r"\(250 2\.0\.0 Ok: queued as ([0-9A-Za-z]{12,24})\)" % qid)


def tls_of_connection(pf, qid):
    """The TLS version and cipher of the connection Postfix sent qid over:
    the last "TLS connection established" line its smtp process logged
    before the delivery line (a process makes one connection at a time)."""
    d = maillog_has(pf, r"/smtp\[(\d+)\]: %s: to=<[^>]+>, relay=127\.0\.0\.1" % qid)
    log = pf.maillog()[:d.start()]
    found = re.findall(r"/smtp\[%s\]: (?:Untrusted|Anonymous|Trusted|Verified) TLS connection established "
                       r"to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: (TLSv1\.[23]) with cipher (\S+)" % d.group(1), log)
    assert found, "no TLS connection before %s was sent: %s" % (qid, log[-3000:])
    return found[-1]


def smtp_pid_of(pf, qid):
    m = maillog_has(pf, r"/smtp\[(\d+)\]: %s: to=<[^>]+>, relay=127\.0\.0\.1" % qid)
    return m.group(1)


def check_relayed_over_tls(s, pf, msgid, data, proto):
    """Postfix sent msgid to smtpd over TLS; our Received agrees."""
    qid = postfix_queue_id(pf, msgid)
    ph_qid = relayed(pf, qid).group(1)
    version, cipher = tls_of_connection(pf, qid)
    rec = posthaste_received(data)
    assert re.search(r"^Received: from mx\.relay\.test \(\S+ \[127\.0\.0\.1\]\) "
                     r"\(using %s with cipher %s \(\d+/\d+ bits\)\) by mail\.example\.test \(posthaste\) "
                     r"with %s id " % (re.escape(version), re.escape(cipher), proto), rec), (rec, version, cipher)
    assert re.search(r"event=starttls ip=127\.0\.0\.1 proto=%s cipher=%s" % (re.escape(version), re.escape(cipher)),
                     s.log("smtpd")), s.log("smtpd")[-2000:]
    assert s.wait_for(lambda: re.search(r"event=accepted qid=%s " % ph_qid, s.log("smtpd")), 10), s.log("smtpd")[-2000:]
    return qid


def swaks(pf, *args):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % pf.port, "--ehlo", "client.test",
                        "--timeout", "20"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:]
    return r.stdout


# ---------------------------------------------------------------- cases

@phtest.case
def postfix_relays_over_starttls(s):
    pf = postfix(s)
    body = ("From: sender@sender.test\r\nTo: %s\r\nSubject: relayed by postfix\r\n"
            "Date: Fri, 27 Nov 2026 12:00:00 +0000\r\nMessage-ID: <interop-1@sender.test>\r\n\r\n"
            "first line\r\n.leading dot\r\n..two dots\r\n\r\nlast line" % DEMO)
    f = pathlib.Path(s.tmp) / "swaks-msg"
    f.write_text(body)   # swaks ends the data with CRLF . CRLF itself
    swaks(pf, "--from", "sender@sender.test", "--to", DEMO, "--data", "@%s" % f)
    _, data = wait_message(s, DEMO, b"Message-ID: <interop-1@sender.test>")
    check_relayed_over_tls(s, pf, "interop-1@sender.test", data, "ESMTPS")
    # Postfix's own Received (from swaks) comes below ours, then the
    # message byte for byte, line ends made LF by the queue
    head, _, rest = data.partition(b"Received: from client.test")
    assert b"(posthaste)" in head and rest, data[:1500]
    assert data.endswith(body.split("\r\n\r\n", 1)[1].replace("\r\n", "\n").encode() + b"\n"), data[-300:]
    # and the connection was STARTTLS, never plaintext, at the encrypt level
    assert "STARTTLS" in pf.maillog(), pf.maillog()[-3000:]


@phtest.case
def postfix_relays_8bitmime_unchanged(s):
    pf = postfix(s)
    text = "Grüße aus Köln — 8 bit, no transfer encoding.\r\nÅngström ½\r\n"
    msg = ("From: sender@sender.test\r\nTo: %s\r\nSubject: 8bit\r\nMessage-ID: <interop-8bit@sender.test>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n" % DEMO + text).encode()
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=20) as c:
        c.ehlo("client.test")
        c.sendmail("sender@sender.test", [DEMO], msg, mail_options=["BODY=8BITMIME"])
    _, data = wait_message(s, DEMO, b"Message-ID: <interop-8bit@sender.test>")
    qid = check_relayed_over_tls(s, pf, "interop-8bit@sender.test", data, "ESMTPS")
    # Postfix passed BODY=8BITMIME on (it does so only to a server that
    # offers 8BITMIME, and otherwise converts the body to quoted-printable)
    smtp_pid = smtp_pid_of(pf, qid)
    maillog_has(pf, r"smtp\[%s\]: > 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: MAIL FROM:<sender@sender\.test> "
                r"SIZE=\d+ BODY=8BITMIME" % smtp_pid)
    assert data.endswith(text.replace("\r\n", "\n").encode()), data[-300:]
    assert b"Content-Transfer-Encoding: 8bit\n" in data, header_block(data)


@phtest.case
def postfix_relays_smtputf8(s):
    pf = postfix(s)
    s.mailctl("email", "add", UTF8_USER, "pw-" + "x" * 12)
    msg = ("From: Ünal <ünal@sender.test>\r\nTo: %s\r\nSubject: =?utf-8?q?UTF-8_=C3=BC?=\r\n"
           "Message-ID: <interop-utf8@sender.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           "Hallo Dörte\r\n" % UTF8_USER).encode()
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=20) as c:
        c.ehlo("client.test")
        assert c.has_extn("smtputf8"), c.esmtp_features
        c.sendmail("ünal@sender.test", [UTF8_USER], msg, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    _, data = wait_message(s, UTF8_USER, b"Message-ID: <interop-utf8@sender.test>")
    qid = check_relayed_over_tls(s, pf, "interop-utf8@sender.test", data, "UTF8SMTPS")
    maillog_has(pf, r"smtp\[%s\]: > 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: MAIL FROM:<ünal@sender\.test> "
                r".*SMTPUTF8" % smtp_pid_of(pf, qid))
    maillog_has(pf, r"%s: to=<%s>, relay=127\.0\.0\.1.*status=sent" % (qid, re.escape(UTF8_USER)))
    assert "for <%s>" % UTF8_USER in posthaste_received(data), posthaste_received(data)
    assert data.endswith("Hallo Dörte\n".encode()), data[-200:]


@phtest.case
def postfix_folds_long_line_smtpd_takes_it(s):
    # Postfix's default smtp client folds a 5000-octet line at 998
    # (CRLF SPACE); smtpd takes the folded message as it is
    pf = postfix(s)
    line = "".join("%04d-" % i for i in range(1000))        # 5000 octets
    msg = ("From: sender@sender.test\r\nTo: %s\r\nSubject: long line\r\n"
           "Message-ID: <interop-fold@sender.test>\r\n\r\n%s\r\nend\r\n" % (DEMO, line)).encode()
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=20) as c:
        c.sendmail("sender@sender.test", [DEMO], msg)
    _, data = wait_message(s, DEMO, b"Message-ID: <interop-fold@sender.test>")
    check_relayed_over_tls(s, pf, "interop-fold@sender.test", data, "ESMTPS")
    body = data.split(b"\n\n", 1)[1]
    lines = body.split(b"\n")
    assert len(lines[0]) <= 998 and lines[1].startswith(b" "), [len(x) for x in lines]
    assert body.replace(b"\n ", b"") == (line + "\nend\n").encode(), body[-200:]


@phtest.case
def long_line_up_to_data_line_max_arrives_whole(s):
    # the `wide` transport (smtp_line_length_limit = 0) sends a 60000-octet
    # line unfolded: smtpd accepts lines up to PH_SMTP_DATA_LINE_MAX
    pf = postfix(s)
    line = ("0123456789" * 6000)                            # 60000 octets
    msg = ("From: wide@sender.test\r\nTo: %s\r\nSubject: very long line\r\n"
           "Message-ID: <interop-wide@sender.test>\r\n\r\n%s\r\nend\r\n" % (DEMO, line)).encode()
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=20) as c:
        c.sendmail("wide@sender.test", [DEMO], msg)
    _, data = wait_message(s, DEMO, b"Message-ID: <interop-wide@sender.test>")
    qid = check_relayed_over_tls(s, pf, "interop-wide@sender.test", data, "ESMTPS")
    maillog_has(pf, r"postfix/wide/smtp\[\d+\]: %s: to=<%s>" % (qid, re.escape(DEMO)))
    assert data.split(b"\n\n", 1)[1] == (line + "\nend\n").encode(), data[-200:]


@phtest.case
def line_over_data_line_max_refused_550(s):
    # 70000 octets > 65536: smtpd reads to the end of data and answers
    # 550 5.6.0; Postfix bounces it (null sender: no bounce message)
    pf = postfix(s)
    before = len(s.messages(DEMO))
    line = "x" * 70000
    msg = ("From: wide@sender.test\r\nTo: %s\r\nSubject: too long a line\r\n"
           "Message-ID: <interop-toolong@sender.test>\r\n\r\n%s\r\nend\r\n" % (DEMO, line)).encode()
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=20) as c:
        c.sendmail("<>", [DEMO], msg)
    qid = postfix_queue_id(pf, "interop-toolong@sender.test")
    maillog_has(pf, r"%s: to=<%s>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=bounced "
                r"\(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.6\.0 " % (qid, re.escape(DEMO)))
    assert s.wait_for(lambda: re.search(r"event=reject ip=127\.0\.0\.1 cmd=DATA code=550 reason=long_line", s.log("smtpd")), 10), s.log("smtpd")[-2000:]
    time.sleep(1)
    assert all(b"interop-toolong" not in p.read_bytes() for p in s.messages(DEMO)[before:])


if __name__ == "__main__":
    try:
        phtest.main()
    finally:
        if PF is not None:
            PF.stop()
