"""submitd with docker-mailserver's SPOOF_PROTECTION=1 and the plaintext
exemption for loopback clients (PH_SUBMISSION_PLAINTEXT_LOOPBACK=1): the
envelope sender and the header From must be the login's own address or
an alias of it; the null sender is let through as Postfix does; AUTH in
clear only from loopback, and only when allowed."""

import time

import phtest
from submitlib import DEMO, greeted, logged_in, log_has, message_with, plain, queued_as

OTHER = "other@example.test"
OTHER_PW = "other-secret-1"


def send(c, sender, header_from, marker, rcpt=DEMO):
    """One transaction; returns the final reply."""
    c.expect("MAIL FROM:<%s>" % sender, "250 2.1.0")
    c.expect("RCPT TO:<%s>" % rcpt, "250 2.1.5")
    c.expect("DATA", "354")
    head = ("From: %s\r\n" % header_from) if header_from is not None else ""
    c.send(("%sSubject: %s\r\nMessage-ID: <%s@client.test>\r\n\r\nbody\r\n.\r\n" % (head, marker, marker)).encode())
    return c.last()


def delivered(s, marker):
    return any(marker.encode() in p.read_bytes() for p in s.messages(DEMO))


@phtest.case
def setup_accounts_and_aliases(s):
    s.mailctl("email", "add", OTHER, OTHER_PW)
    s.mailctl("alias", "add", "sales@example.test", "Demo@example.test")
    s.mailctl("alias", "add", "team@example.test", OTHER)
    s.mailctl("alias", "add", "team@example.test", DEMO)
    s.mailctl("alias", "add", "boss@example.test", OTHER)
    s.mailctl("alias", "add", "@catchall.test", DEMO)


@phtest.case
def loopback_may_authenticate_in_clear(s):
    c = greeted(s)
    kw = c.ehlo()
    assert "AUTH PLAIN LOGIN" in kw and "STARTTLS" in kw, kw
    c.expect("AUTH PLAIN " + plain(s), "235 2.7.0")
    # what was said in clear cannot carry over into TLS (RFC 3207 4.2)
    c.expect("STARTTLS", "503 5.5.1")
    r = send(c, DEMO, DEMO, "plaintext-loopback")
    queued_as(r)
    c.expect("QUIT", "221")
    m = message_with(s, b"<plaintext-loopback@client.test>")
    # RFC 3848: authenticated, not encrypted
    assert b"with ESMTPA id" in m, m[:500]
    # authd is told the session is not encrypted but secured (local)
    assert log_has(s, r"event=auth_ok user=demo@example\.test ip=127\.0\.0\.1 mech=PLAIN service=smtp secured=yes", "authd")


@phtest.case
def mail_from_must_be_owned(s):
    c = logged_in(s, tls=False)
    c.expect("MAIL FROM:<%s>" % OTHER,
             "553 5.7.1 <other@example.test>: Sender address rejected: not owned by user demo@example.test")
    assert log_has(s, r"event=spoof ip=127\.0\.0\.1 user=demo@example\.test where=mail from=other@example\.test")
    for refused in ("boss@example.test", "someone@elsewhere.test", "anything@catchall.test", "other+demo@example.test"):
        c.expect("MAIL FROM:<%s>" % refused, "553 5.7.1")
    # the login itself (any case, with a tag), and aliases whose targets
    # include it (also with a tag)
    for owned in ("demo@example.test", "DEMO@Example.Test", "demo+news@example.test",
                  "sales@example.test", "sales+x@example.test", "team@example.test"):
        c.expect("MAIL FROM:<%s>" % owned, "250 2.1.0")
        c.expect("RSET", "250")
    c.expect("QUIT", "221")
    # the other user owns its own and the aliases pointing at it
    c = logged_in(s, user=OTHER, password=OTHER_PW, tls=False)
    for owned in (OTHER, "team@example.test", "boss@example.test"):
        c.expect("MAIL FROM:<%s>" % owned, "250 2.1.0")
        c.expect("RSET", "250")
    c.expect("MAIL FROM:<sales@example.test>", "553 5.7.1")
    c.expect("QUIT", "221")


@phtest.case
def header_from_must_be_owned(s):
    c = logged_in(s, tls=False)
    r = send(c, DEMO, "The Boss <boss@example.test>", "spoof-header")
    assert r.startswith("550 5.7.1 <boss@example.test>: Sender address in From header rejected: not owned by user demo@example.test"), r
    # one foreign mailbox among owned ones is enough
    r = send(c, DEMO, "demo@example.test, Other <other@example.test>", "spoof-list")
    assert r.startswith("550 5.7.1 <other@example.test>"), r
    r = send(c, DEMO, "", "spoof-empty")
    assert r.startswith("550 5.7.1 From header without a readable address"), r
    r = send(c, DEMO, "<<broken", "spoof-broken")
    assert r.startswith("550 5.7.1"), r
    # owned: the alias with a display name, folded over two lines, and a
    # message without any From (nothing claimed)
    queued_as(send(c, DEMO, "\"Sales Team\"\r\n <Sales@Example.Test>", "owned-alias"))
    queued_as(send(c, "sales@example.test", "Demo (me) <demo+x@example.test>, sales@example.test", "owned-list"))
    queued_as(send(c, DEMO, None, "owned-nofrom"))
    # a second From field is checked too
    c.expect("MAIL FROM:<%s>" % DEMO, "250")
    c.expect("RCPT TO:<%s>" % DEMO, "250")
    c.expect("DATA", "354")
    c.send(b"From: demo@example.test\r\nSubject: two froms\r\nFrom: boss@example.test\r\n\r\nx\r\n.\r\n")
    assert c.last().startswith("550 5.7.1 <boss@example.test>")
    # and with BDAT
    c.send(b"MAIL FROM:<demo@example.test>\r\nRCPT TO:<demo@example.test>\r\nBDAT 36 LAST\r\nFrom: boss@example.test\r\n\r\nchunked\r\n")
    assert c.last().startswith("250")
    assert c.last().startswith("250")
    assert c.last().startswith("550 5.7.1 <boss@example.test>")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=spoof ip=127\.0\.0\.1 user=demo@example\.test where=header from=boss@example\.test smtpid=\w+")
    for marker in ("owned-alias", "owned-list", "owned-nofrom"):
        message_with(s, ("<%s@client.test>" % marker).encode())
    time.sleep(1)
    for marker in ("spoof-header", "spoof-list", "spoof-empty", "spoof-broken"):
        assert not delivered(s, marker), marker


@phtest.case
def null_sender_allowed_header_still_checked(s):
    # Postfix's reject_sender_login_mismatch skips the null sender
    # (smtpd_check.c tests *state->sender), and so do we
    c = logged_in(s, tls=False)
    queued_as(send(c, "", DEMO, "null-owned"))
    r = send(c, "", "boss@example.test", "null-spoof")
    assert r.startswith("550 5.7.1"), r
    c.expect("QUIT", "221")
    message_with(s, b"<null-owned@client.test>")


@phtest.case
def tls_exemption_is_loopback_only_by_setting(s):
    # the setting is read per connection: the same suite, a non-loopback
    # client is simulated by running submitd directly
    import subprocess
    env = {k: v for k, v in s.env.items() if k.startswith("PH_")}
    env.update({"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "192.0.2.7", "TCPREMOTEPORT": "4242",
                "PH_SUBMISSION_PLAINTEXT_LOOPBACK": "1", "SPOOF_PROTECTION": "1"})
    r = subprocess.run(["setpriv", "--reuid=phsubmit", "--regid=phsubmit", "--clear-groups", str(s.bin / "submitd")],
                       input=("EHLO x\r\nAUTH PLAIN %s\r\nMAIL FROM:<demo@example.test>\r\nQUIT\r\n" % plain(s)).encode(),
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    out = r.stdout.decode()
    assert "AUTH" not in "".join(l for l in out.splitlines() if l.startswith("250")), out
    assert "\r\n538 5.7.11" in out and "\r\n530 5.7.0 Must issue a STARTTLS command first" in out, out
    assert r.returncode == 0, (r.returncode, r.stderr)


if __name__ == "__main__":
    phtest.main(extra_env={"SPOOF_PROTECTION": "1", "PH_SUBMISSION_PLAINTEXT_LOOPBACK": "1"})
