"""submitd, RFC 6409 submission, with the default configuration: STARTTLS
on the submission port (587's service) and implicit TLS on submissions
(465's), AUTH PLAIN and LOGIN through authd only inside TLS, the message
fix-ups (Date, Message-ID, Received with ESMTPSA, the envelope's user),
relaying for authenticated users, STARTTLS command injection, and real
clients: python's smtplib, swaks and msmtp."""

import base64
import os
import pwd
import re
import smtplib
import subprocess
import tempfile
import time

import phtest
from queuelib import Scripted, svc
from submitlib import DEMO, b64, greeted, logged_in, log_has, message_with, plain, queued_as, tls_context


# ---- before TLS

@phtest.case
def ehlo_offers_starttls_and_no_auth_in_clear(s):
    c = greeted(s)
    kw = c.ehlo()
    assert "STARTTLS" in kw, kw
    assert not any(k.startswith("AUTH") for k in kw), kw
    c.starttls()
    kw = c.ehlo()
    assert "AUTH PLAIN LOGIN" in kw and "STARTTLS" not in kw, kw
    c.expect("QUIT", "221")


@phtest.case
def auth_and_mail_refused_before_tls(s):
    asked = s.log("authd").count("event=auth_")
    c = greeted(s)
    c.ehlo()
    # RFC 4954 6: the mechanism needs encryption; RFC 3207 4: MAIL needs TLS
    c.expect("AUTH PLAIN " + plain(s), "538 5.7.11 ")
    c.expect("AUTH LOGIN", "538 5.7.11 ")
    c.expect("MAIL FROM:<%s>" % DEMO, "530 5.7.0 Must issue a STARTTLS command first")
    c.expect("RCPT TO:<%s>" % DEMO, "503 5.5.1")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=AUTH code=538 reason=tls_required")
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=MAIL code=530 reason=tls_required")
    # nothing reached authd: the password never left in clear
    time.sleep(0.5)
    assert s.log("authd").count("event=auth_") == asked, s.log("authd")[-800:]


@phtest.case
def starttls_injection_does_not_authenticate(s):
    # RFC 3207 4.2 / CVE-2011-0411: an AUTH pipelined in clear behind
    # STARTTLS must not run inside TLS
    c = greeted(s)
    c.ehlo()
    c.send(("STARTTLS\r\nAUTH PLAIN %s\r\n" % plain(s)).encode())
    assert c.last().startswith("220 2.0.0")
    assert c.buf == b"", c.buf
    c.sock = tls_context().wrap_socket(c.sock, server_hostname="mail.example.test")
    c.ehlo()
    c.expect("MAIL FROM:<%s>" % DEMO, "530 5.7.0 Authentication required")
    c.expect("NOOP", "250")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=starttls ip=127\.0\.0\.1 proto=\S+ cipher=\S+ (sni=\S+ )?discarded=\d+")


# ---- AUTH in TLS

@phtest.case
def smtplib_starttls_auth_plain_and_login(s):
    marks = []
    for mech in ("PLAIN", "LOGIN"):
        c = smtplib.SMTP("127.0.0.1", s.port("submission"), timeout=30)
        c.ehlo("lib.client.test")
        c.starttls(context=tls_context())
        c.ehlo("lib.client.test")
        c.user, c.password = DEMO, s.password
        code, text = c.auth(mech, getattr(c, "auth_" + mech.lower()), initial_response_ok=(mech == "PLAIN"))
        assert code == 235, (code, text)
        mark = "<lib-%s@client.test>" % mech.lower()
        c.sendmail(DEMO, [DEMO], "From: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n\r\nbody\r\n" % (DEMO, mech, mark))
        c.quit()
        marks.append(mark)
        assert log_has(s, r"event=auth ip=127\.0\.0\.1 user=demo@example\.test mech=%s" % mech)
    for mark in marks:
        m = message_with(s, mark.encode())
        # RFC 3848: ESMTPSA, with the TLS line
        assert re.search(rb"Received: from lib\.client\.test \(\S+ \[127\.0\.0\.1\]\)\n"
                         rb"\t\(using TLSv1\.[23] with cipher \S+ \((128|256)/(128|256) bits\)\)\n"
                         rb"\tby mail\.example\.test \(posthaste\) with ESMTPSA id \w{16}\n", m), m[:600]
        assert m.count(b"Message-ID:") == 1, m[:600]
    assert log_has(s, r"event=accepted qid=\w+ smtpid=\w+ from=demo@example\.test nrcpt=1 size=\d+ ip=127\.0\.0\.1 user=demo@example\.test")


@phtest.case
def auth_exchanges_without_initial_response(s):
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    # PLAIN without SASL-IR: an empty challenge, then the response
    c.expect("AUTH PLAIN", "334 ")
    c.expect(plain(s), "235 2.7.0 Authentication successful")
    c.expect("AUTH PLAIN " + plain(s), "503 5.5.1")    # RFC 4954 4: once only
    c.expect("QUIT", "221")
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    # "=" is an empty initial response (RFC 4954 4): then a challenge
    c.expect("AUTH PLAIN =", "334 ")
    c.expect(plain(s), "235 2.7.0")
    c.expect("QUIT", "221")
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    r = c.cmd("AUTH LOGIN")
    assert r.startswith("334 ") and base64.b64decode(r[4:]).lower().startswith(b"username"), r
    r = c.cmd(b64(DEMO))
    assert r.startswith("334 ") and base64.b64decode(r[4:]).lower().startswith(b"password"), r
    c.expect(b64(s.password), "235 2.7.0")
    c.expect("QUIT", "221")
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    c.expect("AUTH LOGIN " + b64(DEMO), "334 ")     # LOGIN with SASL-IR: the user name
    c.expect(b64(s.password), "235 2.7.0")
    c.expect("QUIT", "221")


@phtest.case
def auth_cancel_syntax_and_unknown_mechanism(s):
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.expect("AUTH PLAIN", "503 5.5.1")   # EHLO again after STARTTLS first
    c.ehlo()
    c.expect("AUTH LOGIN", "334 ")
    c.expect("*", "501 5.0.0")             # RFC 4954 4: "*" cancels
    c.expect("AUTH CRAM-MD5", "504 5.5.4")
    c.expect("AUTH PLAIN not*base64", "501 5.5.2")
    c.expect("AUTH PLAIN", "334 ")
    c.expect("%%%", "501 5.5.2")
    c.expect("AUTH", "501 5.5.4")
    c.expect("AUTH PLAIN a b", "501 5.5.4")
    # a bounded response line: RFC 4954 6
    c.expect("AUTH PLAIN", "334 ")
    c.expect("A" * 5000, "500 5.5.6")
    # none of these counted as a credential failure: AUTH still works
    c.expect("AUTH PLAIN " + plain(s), "235")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=auth_cancel ip=127\.0\.0\.1 user=\"\" mech=LOGIN")


@phtest.case
def wrong_password_is_535_and_logged(s):
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    c.expect("AUTH PLAIN " + plain(s, password="wrong"), "535 5.7.8 Authentication credentials invalid")
    c.expect("MAIL FROM:<%s>" % DEMO, "530 5.7.0 Authentication required")
    c.expect("AUTH PLAIN " + plain(s), "235")
    c.expect("QUIT", "221")
    # banwatch's line
    assert log_has(s, r"event=auth_fail ip=127\.0\.0\.1 user=demo@example\.test mech=PLAIN")
    assert log_has(s, r"event=auth_fail user=demo@example\.test ip=127\.0\.0\.1 mech=PLAIN service=smtp secured=yes", "authd")


@phtest.case
def three_failures_disconnect(s):
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    c.expect("AUTH PLAIN " + plain(s, user="nobody@example.test", password="x"), "535 5.7.8")
    c.expect("AUTH LOGIN", "334 ")
    c.expect(b64("nobody@example.test"), "334 ")
    c.expect(b64("y"), "535 5.7.8")
    c.send(("AUTH PLAIN %s\r\n" % plain(s, password="z")).encode())
    assert c.last().startswith("535 5.7.8")
    assert c.last().startswith("421 4.7.0")
    assert c.closed()
    assert log_has(s, r"event=auth_fail ip=127\.0\.0\.1 user=nobody@example\.test mech=LOGIN")
    assert log_has(s, r"event=disconnect ip=127\.0\.0\.1 reason=auth_failures ")


@phtest.case
def authd_down_is_454(s):
    svc(s, "authd", False)
    try:
        c = greeted(s)
        c.ehlo()
        c.starttls()
        c.ehlo()
        c.expect("AUTH PLAIN " + plain(s), "454 4.7.0 Temporary authentication failure")
        c.expect("QUIT", "221")
        assert log_has(s, r"event=auth_error ip=127\.0\.0\.1 user=demo@example\.test mech=PLAIN reason=")
    finally:
        svc(s, "authd", True)
    c = logged_in(s)
    c.expect("QUIT", "221")


# ---- the transaction

@phtest.case
def mail_before_auth_and_transaction_rules(s):
    c = greeted(s)
    c.ehlo()
    c.starttls()
    c.ehlo()
    c.expect("MAIL FROM:<%s>" % DEMO, "530 5.7.0 Authentication required")
    c.expect("AUTH PLAIN " + plain(s), "235")
    # RFC 4954 5: AUTH= is accepted (and not kept)
    c.expect("MAIL FROM:<%s> AUTH=<>" % DEMO, "250 2.1.0")
    c.expect("AUTH PLAIN " + plain(s), "503 5.5.1")
    c.expect("RCPT TO:<nosuchuser@example.test>", "550 5.1.1")
    c.expect("RSET", "250")
    c.expect("MAIL FROM:<%s> AUTH=demo+40example.test" % DEMO, "250 2.1.0")
    c.expect("RSET", "250")
    c.expect("MAIL FROM:<%s> AUTH=bad=value" % DEMO, "501 5.5.4")
    # without SPOOF_PROTECTION (docker-mailserver's default) any sender goes
    c.expect("MAIL FROM:<someone@elsewhere.test>", "250 2.1.0")
    c.expect("RCPT TO:<%s>" % DEMO, "250 2.1.5")
    c.expect("DATA", "354")
    c.send(b"Subject: foreign sender\r\nMessage-ID: <foreign@client.test>\r\n\r\nx\r\n.\r\n")
    queued_as(c.last())
    c.expect("QUIT", "221")
    message_with(s, b"<foreign@client.test>")


@phtest.case
def date_and_message_id_added_when_missing(s):
    c = logged_in(s)
    c.expect("MAIL FROM:<%s>" % DEMO, "250")
    c.expect("RCPT TO:<%s>" % DEMO, "250")
    c.expect("DATA", "354")
    c.send(b"From: demo@example.test\r\nSubject: fixup-none\r\n\r\nbody\r\n.\r\n")
    queued_as(c.last())
    c.expect("MAIL FROM:<%s>" % DEMO, "250")
    c.expect("RCPT TO:<%s>" % DEMO, "250")
    c.expect("DATA", "354")
    c.send(b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: fixup-both\r\nmessage-id: <kept@client.test>\r\n\r\nbody\r\n.\r\n")
    queued_as(c.last())
    # BDAT: the fields go at the end of the header section, whatever the
    # chunks; a header-only message without a final line end gets one
    c.send(b"MAIL FROM:<demo@example.test>\r\nRCPT TO:<demo@example.test>\r\nBDAT 10\r\nSubject: fBDAT 18 LAST\r\nixup-bdat\r\nDate: x")
    assert c.last().startswith("250 2.1.0")
    assert c.last().startswith("250 2.1.5")
    assert c.last().startswith("250 2.0.0 10 octets")
    queued_as(c.last())
    c.expect("QUIT", "221")
    m = message_with(s, b"Subject: fixup-none")
    head, _, body = m.partition(b"\n\n")
    assert body == b"body\n", m
    assert re.search(rb"\nSubject: fixup-none\nDate: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n"
                     rb"Message-ID: <[0-9A-Za-z]{24}@mail\.example\.test>$", head), head
    m = message_with(s, b"Subject: fixup-both")
    assert m.count(b"Date:") == 1 and m.count(b"essage-id:") + m.count(b"essage-ID:") == 1, m
    assert b"Date: Mon, 1 Jan 2024 10:00:00 +0000\n" in m
    m = message_with(s, b"Subject: fixup-bdat")
    assert re.search(rb"\nSubject: fixup-bdat\nDate: x\nMessage-ID: <\w{24}@mail\.example\.test>\n$", m), m


@phtest.case
def relay_for_authenticated_users_goes_outbound(s):
    def busy(req):
        return [b"Z4.4.1 busy, try later"] * len(req["rcpts"])
    with Scripted(s, busy, service="remote") as fake:
        c = logged_in(s)
        c.expect("MAIL FROM:<%s>" % DEMO, "250")
        c.expect("RCPT TO:<Friend@Remote.Example>", "250 2.1.5")
        c.expect("DATA", "354")
        c.send(b"From: demo@example.test\r\nTo: friend@remote.example\r\nSubject: outbound\r\n\r\nhello\r\n.\r\n")
        qid = queued_as(c.last())
        c.expect("QUIT", "221")
        assert s.wait_for(lambda: fake.seen(qid=qid), 20), "never offered to remote delivery"
        req = fake.seen(qid=qid)[0]
        assert req["rcpts"] == ["Friend@Remote.Example"], req
        assert b"with ESMTPSA id" in req["body"] and b"Message-ID: <" in req["body"], req["body"][:500]
        show = s.mailctl("queue", "show", qid).stdout
        # docs/internals.md: the U field makes it outbound (filters, DKIM)
        assert re.search(r"^user:\s+demo@example\.test$", show, re.M), show
        assert re.search(r"^direction:\s+outbound$", show, re.M), show
        assert re.search(r"^protocol:\s+ESMTPSA$", show, re.M), show
        s.mailctl("queue", "delete", qid)


@phtest.case
def implicit_tls_465(s):
    c = greeted(s, "submissions")
    kw = c.ehlo()
    # the session is already in TLS: AUTH at once, no STARTTLS
    assert "AUTH PLAIN LOGIN" in kw and "STARTTLS" not in kw, kw
    c.expect("STARTTLS", "503 5.5.1")
    c.expect("AUTH PLAIN " + plain(s), "235")
    c.expect("QUIT", "221")
    c = smtplib.SMTP_SSL("127.0.0.1", s.port("submissions"), timeout=30, context=tls_context())
    c.ehlo("ssl.client.test")
    c.login(DEMO, s.password)
    c.sendmail(DEMO, [DEMO], "From: demo@example.test\r\nSubject: smtps\r\nMessage-ID: <smtps@client.test>\r\n\r\nx\r\n")
    c.quit()
    m = message_with(s, b"<smtps@client.test>")
    assert re.search(rb"Received: from ssl\.client\.test \(\S+ \[127\.0\.0\.1\]\)\n"
                     rb"\t\(using TLSv1\.[23] with cipher \S+ .*\)\n"
                     rb"\tby mail\.example\.test \(posthaste\) with ESMTPSA id ", m), m[:600]
    assert log_has(s, r"event=auth ip=127\.0\.0\.1 user=demo@example\.test mech=", "submissions")


@phtest.case
def swaks_on_both_ports(s):
    for port, tls, mech in (("submission", "--tls", "PLAIN"), ("submission", "--tls", "LOGIN"),
                            ("submissions", "--tlsc", "PLAIN"), ("submissions", "--tlsc", "LOGIN")):
        mark = "<swaks-%s-%s@client.test>" % (port, mech.lower())
        r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % s.port(port), tls,
                            "--auth", mech, "--auth-user", DEMO, "--auth-password", s.password,
                            "--to", DEMO, "--from", DEMO, "--helo", "swaks.test",
                            "--header", "Message-ID: %s" % mark],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        assert r.returncode == 0, r.stdout[-1500:]
        assert "235 2.7.0" in r.stdout, r.stdout[-1500:]
        assert b"with ESMTPSA id" in message_with(s, mark.encode())
    # in clear the server does not offer AUTH, so swaks sends no password
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % s.port("submission"),
                        "--auth", "PLAIN", "--auth-user", DEMO, "--auth-password", s.password,
                        "--to", DEMO, "--from", DEMO, "--helo", "swaks.test"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode != 0 and "did not advertise authentication" in r.stdout and "<-  235" not in r.stdout, r.stdout[-1500:]


@phtest.case
def msmtp_as_a_mail_client(s):
    cert = s.state / "config" / "ssl" / "mail.example.test-cert.pem"
    assert cert.exists(), list((s.state / "config" / "ssl").iterdir())
    with tempfile.TemporaryDirectory() as d:
        for port, starttls in (("submission", "on"), ("submissions", "off")):
            conf = os.path.join(d, "msmtprc-" + port)
            with open(conf, "w") as f:
                f.write("defaults\nlogfile %s/log\n\naccount demo\nhost 127.0.0.1\nport %d\n"
                        "tls on\ntls_starttls %s\ntls_trust_file %s\ntls_host_override mail.example.test\n"
                        "auth on\nuser %s\npassword %s\nfrom %s\n\naccount default : demo\n"
                        % (d, s.port(port), starttls, cert, DEMO, s.password, DEMO))
            os.chmod(conf, 0o600)
            mark = "<msmtp-%s@client.test>" % port
            r = subprocess.run(["msmtp", "-C", conf, DEMO], input="From: %s\nTo: %s\nSubject: msmtp %s\nMessage-ID: %s\n\nhello from msmtp\n"
                               % (DEMO, DEMO, port, mark), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
            assert r.returncode == 0, r.stdout
            m = message_with(s, mark.encode())
            assert b"with ESMTPSA id" in m and b"hello from msmtp\n" in m, m[:600]


@phtest.case
def processes_under_their_uids(s):
    """tlsd's engine as phtls, submitd as phsubmit; the rate-limit
    directory is phsubmit's."""
    c = logged_in(s)
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
    assert seen.get("submitd") == {"phsubmit"}, seen
    # the TLS engine (tlsd's child, or the program it runs for the
    # handshake and relay) holds the key as phtls
    assert "phtls" in seen.get("tlsd", set()) | seen.get("tlsd-io", set()), seen
    ratedir = s.state / "ratelimit"
    st = os.stat(ratedir)
    assert pwd.getpwuid(st.st_uid).pw_name == "phsubmit" and st.st_mode & 0o777 == 0o700, oct(st.st_mode)


if __name__ == "__main__":
    phtest.main()
