"""lmtpd, the RFC 2033 LMTP server (deliverd/README-lmtp.md), through its
real s6 services: the Unix socket $PH_RUN_DIR/lmtp.sock (s6-ipcserver,
as vmail) and, with PH_LMTP_PORT set, TCP through tcpd. Python's
smtplib.LMTP and a raw client check the dialogue (one reply per accepted
recipient after DATA, in order, each after its delivery), and a private
Debian Postfix with virtual_transport = lmtp:unix:<lmtp.sock> delivers
mail it received over SMTP into posthaste's Maildirs. Some cases run
lmtpd directly (as vmail, on pipes) for settings that apply to one
process: PH_LMTP_UIDS, deadlines, a file size limit."""

import email.utils
import os
import pathlib
import pwd
import re
import resource
import shutil
import smtplib
import socket
import subprocess
import time

import phtest
import privpostfix

SIZE_LIMIT = 200000
LMTP_PORT = phtest.free_port()
ENV = {"POSTFIX_MESSAGE_SIZE_LIMIT": str(SIZE_LIMIT), "PH_LMTP_PORT": str(LMTP_PORT)}
HOST = "mail.example.test"
VMAIL = pwd.getpwnam("vmail")

MSG = (b"From: sender@sender.test\r\nTo: demo@example.test\r\nSubject: lmtp\r\n"
       b"Date: Fri, 27 Nov 2026 12:00:00 +0000\r\nMessage-ID: <lmtp-1@sender.test>\r\n\r\nhello\r\n")


def sock_path(s):
    return s.env["PH_RUN_DIR"] + "/lmtp.sock"


class Conn:
    """A raw LMTP client: bytes out, whole replies in."""

    def __init__(self, s=None, tcp=None):
        if tcp:
            self.sock = socket.create_connection(tcp, timeout=20)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(20)
            self.sock.connect(sock_path(s))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """(code, [texts]) of one reply, multi-line ones joined."""
        texts = []
        while True:
            line = self.line()
            assert re.match(r"^\d{3}[ -]", line), "bad reply line %r" % line
            texts.append(line[4:])
            if line[3] == " ":
                return int(line[:3]), texts

    def expect(self, code, contains=None):
        c, t = self.reply()
        assert c == code, "expected %d, got %d %s" % (code, c, t)
        if contains:
            assert contains in " ".join(t), "%r not in %s" % (contains, t)
        return t

    def close(self):
        self.sock.close()


def greeted(s, **kw):
    c = Conn(s, **kw)
    c.expect(220)
    c.send(b"LHLO client.test\r\n")
    c.expect(250)
    return c


def log_has(s, service, *texts):
    """Waits for the service's log to hold every text (s6-log writes
    after the program did)."""
    ok = s.wait_for(lambda: all(t in s.log(service) for t in texts), 5)
    assert ok, "%s not in the %s log: %s" % (texts, service, s.log(service)[-2000:])


def count(s, addr):
    return len(s.messages(addr))


def wait_count(s, addr, n, timeout=20):
    ok = s.wait_for(lambda: count(s, addr) >= n, timeout)
    assert ok, "%s has %d messages, expected %d" % (addr, count(s, addr), n)
    return s.messages(addr)


def added_headers(data):
    """Splits a delivered file into the header lines lmtpd added
    (Return-Path, Delivered-To, Received with its continuations) and the
    rest."""
    lines = data.split(b"\n")
    assert lines[0].startswith(b"Return-Path: <"), lines[:3]
    assert lines[1].startswith(b"Delivered-To: "), lines[:3]
    assert lines[2].startswith(b"Received: from "), lines[:3]
    i = 3
    while lines[i][:1] == b"\t":
        i += 1
    return lines[:i], b"\n".join(lines[i:])


def unwritable_mailbox(s, addr):
    """An account whose Maildir directory vmail cannot write into: every
    delivery to it fails temporarily. Returns the directory."""
    s.mailctl("email", "add", addr, "pw-" + addr.split("@")[0] + "-123456")
    d = s.maildir(addr)
    d.parent.mkdir(parents=True, exist_ok=True)
    os.chown(d.parent, VMAIL.pw_uid, VMAIL.pw_gid)
    d.mkdir(mode=0o755, exist_ok=True)
    os.chown(d, 0, 0)
    os.chmod(d, 0o755)
    return d


def run_direct(s, data=b"", env=None, timeout=20, limit_fsize=None, keep_open=False):
    """lmtpd on pipes, as vmail, with the suite's settings plus env."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("PH_")}
    e.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    e.setdefault("IPCREMOTEEUID", "0")
    e.pop("TCPREMOTEIP", None)
    e.update(env or {})

    def pre():
        if limit_fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))

    p = subprocess.Popen(["s6-setuidgid", "vmail", str(s.bin / "lmtpd")], env=e, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=pre)
    if keep_open:
        # the client sends data and then nothing, without closing
        p.stdin.write(data)
        p.stdin.flush()
        return p
    out, err = p.communicate(data, timeout=timeout)
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


# ---------------------------------------------------------------- dialogue

@phtest.case
def greeting_lhlo_and_smtp_hellos_refused(s):
    c = Conn(s)
    t = c.expect(220)
    assert t == ["%s LMTP posthaste" % HOST], t
    # RFC 2033 4.1: HELO and EHLO must not get 250
    c.send(b"EHLO client.test\r\n")
    c.expect(500, "5.5.1")
    c.send(b"HELO client.test\r\n")
    c.expect(500, "5.5.1")
    c.send(b"MAIL FROM:<a@sender.test>\r\n")
    c.expect(503, "5.5.1")
    c.send(b"LHLO client.test\r\n")
    t = c.expect(250)
    assert t[0] == HOST, t
    for k in ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SIZE %d" % SIZE_LIMIT):
        assert k in t, (k, t)
    assert "CHUNKING" not in t and "DSN" not in t and "STARTTLS" not in t, t
    c.send(b"NOOP\r\nVRFY demo@example.test\r\nRSET\r\nEXPN x\r\nQUIT\r\n")
    c.expect(250, "2.0.0")
    c.expect(252, "2.0.0")
    c.expect(250, "2.0.0")
    c.expect(502, "5.5.1")
    c.expect(221)


@phtest.case
def smtplib_lmtp_delivers_with_headers(s):
    before = count(s, "demo@example.test")
    c = smtplib.LMTP(sock_path(s))
    code, _ = c.ehlo("client.test")      # smtplib.LMTP sends LHLO
    assert code == 250
    refused = c.sendmail("sender@sender.test", ["demo@example.test"], MSG)
    assert refused == {}, refused
    c.quit()
    files = wait_count(s, "demo@example.test", before + 1)
    added, rest = added_headers(files[-1].read_bytes())
    assert added[0] == b"Return-Path: <sender@sender.test>", added
    assert added[1] == b"Delivered-To: demo@example.test", added
    received = b"\n".join(added[2:]).decode()
    m = re.search(r"by %s \(posthaste\) with LMTP id ([0-9A-Za-z]{16})" % re.escape(HOST), received)
    assert m and "from client.test" in received and "for <demo@example.test>" in received, received
    assert rest == MSG.replace(b"\r\n", b"\n"), rest
    log_has(s, "lmtp", "event=delivered qid=%s rcpt=demo@example.test" % m.group(1),
            "event=received qid=%s from=sender@sender.test nrcpt=1" % m.group(1))


@phtest.case
def one_reply_per_recipient_in_order(s):
    """One good, one unknown (refused at RCPT), one whose Maildir cannot
    be written (451 after DATA), another good: the DATA replies come in
    RCPT order, one per accepted recipient."""
    bob = unwritable_mailbox(s, "bob@example.test")
    s.mailctl("email", "add", "carol@example.test", "pw-carol-123456")
    demo0, bob0, carol0 = count(s, "demo@example.test"), count(s, "bob@example.test"), count(s, "carol@example.test")
    c = smtplib.LMTP(sock_path(s))
    c.ehlo("client.test")
    assert c.mail("sender@sender.test")[0] == 250
    assert c.rcpt("demo@example.test")[0] == 250
    code, text = c.rcpt("nobody@example.test")
    assert (code, text[:5]) == (550, b"5.1.1"), (code, text)
    assert c.rcpt("bob@example.test")[0] == 250
    assert c.rcpt("carol@example.test")[0] == 250
    # smtplib's data() reads the first reply; the others follow in order
    code, text = c.data(MSG)
    assert code == 250 and b"<demo@example.test>" in text and b"Saved" in text, (code, text)
    code, text = c.getreply()
    assert code == 451 and text.startswith(b"4.3.0 <bob@example.test>"), (code, text)
    code, text = c.getreply()
    assert code == 250 and b"<carol@example.test>" in text, (code, text)
    c.quit()
    assert count(s, "demo@example.test") == demo0 + 1
    assert count(s, "carol@example.test") == carol0 + 1
    assert count(s, "bob@example.test") == bob0 == 0
    # the Received header names no recipient: there were several
    added, _ = added_headers(s.messages("carol@example.test")[-1].read_bytes())
    assert b"for <" not in b"\n".join(added), added
    log_has(s, "lmtp", "event=deferred", "rcpt=bob@example.test")
    # the MTA retries bob later; now it works
    os.chown(bob, VMAIL.pw_uid, VMAIL.pw_gid)
    c = smtplib.LMTP(sock_path(s))
    assert c.sendmail("sender@sender.test", ["bob@example.test"], MSG) == {}
    c.quit()
    wait_count(s, "bob@example.test", 1)


@phtest.case
def pipelined_transactions(s):
    before = count(s, "demo@example.test")
    c = Conn(s)
    c.expect(220)
    c.send(b"LHLO client.test\r\nMAIL FROM:<p1@sender.test>\r\nRCPT TO:<demo@example.test>\r\n"
           b"RCPT TO:<nobody@example.test>\r\nRCPT TO:<DEMO@Example.Test>\r\nDATA\r\n")
    c.expect(250)
    c.expect(250, "2.1.0")
    c.expect(250, "2.1.5")
    c.expect(550, "5.1.1")
    c.expect(250, "2.1.5")
    c.expect(354)
    # the second transaction rides behind the first one's end of data
    c.send(b"Subject: p1\r\n\r\none\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    # one reply per accepted RCPT: the duplicate too, but one copy
    c.expect(250, "<demo@example.test>")
    c.expect(250, "<demo@example.test>")
    c.expect(250, "2.1.0")
    c.expect(250, "2.1.5")
    c.expect(354)
    c.send(b"Subject: p2\r\n\r\ntwo\r\n.\r\nQUIT\r\n")
    c.expect(250, "Saved")
    c.expect(221)
    files = wait_count(s, "demo@example.test", before + 2)
    got = sorted(f.read_bytes().split(b"\n\n", 1)[1] for f in files[before:])
    assert got == [b"one\n", b"two\n"], got
    assert b"Return-Path: <>\n" in files[-1].read_bytes() or b"Return-Path: <>\n" in files[-2].read_bytes()


@phtest.case
def dot_stuffing_and_line_ends(s):
    before = count(s, "demo@example.test")
    c = greeted(s)
    c.send(b"MAIL FROM:<d@sender.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    c.expect(250)
    c.expect(250)
    c.expect(354)
    c.send(b"Subject: dots\r\n\r\n..\r\n...two\r\n.x\r\nmid.dot\r\n \r\n.\r\n")
    c.expect(250, "Saved")
    files = wait_count(s, "demo@example.test", before + 1)
    _, rest = added_headers(files[-1].read_bytes())
    assert rest == b"Subject: dots\n\n.\n..two\nx\nmid.dot\n \n", rest


@phtest.case
def bare_lf_and_bare_cr_refused(s):
    before = count(s, "demo@example.test")
    c = greeted(s)
    # in a command: never executed
    c.send(b"MAIL FROM:<b@sender.test>\n")
    c.expect(500, "5.5.2")
    c.send(b"MAIL FROM:<b@sender.test>\r\nRCPT TO:<demo@example.test>\r\nRCPT TO:<postmaster@example.test>\r\nDATA\r\n")
    c.expect(250)
    c.expect(250)
    c.expect(250)
    c.expect(354)
    # in the message: a smuggling attempt stays inside it, and each
    # recipient gets the refusal
    c.send(b"Subject: bare\r\n\r\nline\n.\nMAIL FROM:<evil@x.test>\r\nend\r\n.\r\n")
    c.expect(550, "5.6.11")
    c.expect(550, "5.6.11")
    c.send(b"MAIL FROM:<b@sender.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    c.expect(250)
    c.expect(250)
    c.expect(354)
    c.send(b"Subject: cr\r\n\r\nbare\rcr\r\n.\r\n")
    c.expect(550, "5.6.11")
    c.send(b"NOOP\r\n")
    c.expect(250)
    time.sleep(0.3)
    assert count(s, "demo@example.test") == before


@phtest.case
def recipients_outside_and_aliases(s):
    s.mailctl("alias", "add", "team@example.test", "demo@example.test")
    s.mailctl("alias", "add", "team@example.test", "carol@example.test")
    s.mailctl("alias", "add", "fwd@example.test", "demo@example.test")
    s.mailctl("alias", "add", "fwd@example.test", "someone@elsewhere.test")
    demo0, carol0 = count(s, "demo@example.test"), count(s, "carol@example.test")
    c = greeted(s)
    c.send(b"MAIL FROM:<a@sender.test>\r\n")
    c.expect(250)
    # LMTP is the last hop: no relaying, and no forwarding either
    c.send(b"RCPT TO:<x@elsewhere.test>\r\n")
    c.expect(550, "5.1.1 <x@elsewhere.test> not a local recipient")
    c.send(b"RCPT TO:<fwd@example.test>\r\n")
    c.expect(550, "5.3.5 <fwd@example.test> alias forwards outside")
    c.send(b"RCPT TO:<team@example.test>\r\nDATA\r\n")
    c.expect(250)
    c.expect(354)
    c.send(b"Subject: team\r\n\r\nteam\r\n.\r\nQUIT\r\n")
    c.expect(250, "<team@example.test>")
    c.expect(221)
    wait_count(s, "demo@example.test", demo0 + 1)
    files = wait_count(s, "carol@example.test", carol0 + 1)
    added, _ = added_headers(files[-1].read_bytes())
    assert added[1] == b"Delivered-To: carol@example.test", added
    # the maps change between RCPT and DATA: nothing half delivered
    c = greeted(s)
    c.send(b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<team@example.test>\r\n")
    c.expect(250)
    c.expect(250)
    s.mailctl("alias", "add", "team@example.test", "out@elsewhere.test")
    c.send(b"DATA\r\n")
    c.expect(354)
    c.send(b"Subject: team2\r\n\r\nteam\r\n.\r\n")
    c.expect(550, "5.3.5")
    time.sleep(0.2)
    assert count(s, "demo@example.test") == demo0 + 1
    assert count(s, "carol@example.test") == carol0 + 1


@phtest.case
def parameters_and_sizes(s):
    c = greeted(s)
    c.send(b"MAIL FROM:<a@sender.test> SIZE=%d\r\n" % (SIZE_LIMIT + 1))
    c.expect(552, "5.3.4")
    c.send(b"MAIL FROM:<a@sender.test> RET=HDRS\r\n")
    c.expect(555, "5.5.4")
    c.send(b"MAIL FROM:<a@sender.test> BODY=8BITMIME SIZE=100\r\nRCPT TO:<demo@example.test> NOTIFY=NEVER\r\n")
    c.expect(250)
    c.expect(555, "5.5.4")
    c.send("RCPT TO:<dörte@example.test>\r\n".encode())
    c.expect(553, "5.6.7")
    c.send(b"DATA\r\n")
    c.expect(503, "5.5.1")        # RFC 2033 4.2: no recipient, DATA fails with 503
    c.send(b"RSET\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<demo@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n")
    for code in (250, 250, 250, 250, 354):
        c.expect(code)
    line = b"x" * 999 + b"\r\n"
    c.send(b"Subject: big\r\n\r\n" + line * (SIZE_LIMIT // 1000 + 2) + b".\r\n")
    c.expect(552, "5.3.4")
    c.expect(552, "5.3.4")
    c.send(b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"Subject: long\r\n\r\n" + b"y" * 70000 + b"\r\n.\r\n")
    c.expect(550, "5.6.0")
    c.send(b"NOOP " + b"z" * 3000 + b"\r\n")
    c.expect(500, "5.5.2 line too long")
    c.send(b"QUIT\r\n")
    c.expect(221)


@phtest.case
def utf8_mailbox_with_smtputf8(s):
    s.mailctl("email", "add", "dörte@example.test", "pw-doerte-123456")
    c = greeted(s)
    c.send("MAIL FROM:<jörg@sender.test> SMTPUTF8\r\nRCPT TO:<dörte@example.test>\r\nDATA\r\n".encode())
    for code in (250, 250, 354):
        c.expect(code)
    c.send("Subject: ü\r\n\r\nGrüße\r\n.\r\n".encode())
    c.expect(250, "Saved")
    files = wait_count(s, "dörte@example.test", 1)
    assert "Grüße".encode() in files[-1].read_bytes()


@phtest.case
def too_many_errors_closes(s):
    c = greeted(s)
    # recipient refusals are not protocol errors: an MTA may have many
    c.send(b"MAIL FROM:<a@sender.test>\r\n" + b"RCPT TO:<nobody@example.test>\r\n" * 25)
    c.expect(250)
    for _ in range(25):
        c.expect(550, "5.1.1")
    c.send(b"BOGUS\r\n" * 25)
    # the 20th error is answered, then the session ends
    for _ in range(20):
        c.expect(500, "5.5.2")
    c.expect(421, "4.7.0")
    log_has(s, "lmtp", "event=too_many_errors")


@phtest.case
def tcp_listener(s):
    before = count(s, "demo@example.test")
    c = greeted(s, tcp=("127.0.0.1", LMTP_PORT))
    c.send(b"MAIL FROM:<t@sender.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"Subject: tcp\r\n\r\nover tcp\r\n.\r\nQUIT\r\n")
    c.expect(250, "Saved")
    c.expect(221)
    files = wait_count(s, "demo@example.test", before + 1)
    added, _ = added_headers(files[-1].read_bytes())
    assert b"(unknown [127.0.0.1])" in b"\n".join(added), added
    log_has(s, "lmtp-tcp", "peer=127.0.0.1")


# ---------------------------------------------------------------- one process

@phtest.case
def peer_uids_restricted(s):
    allowed = str(pwd.getpwnam("postfix").pw_uid)
    rc, out, err = run_direct(s, b"LHLO x\r\nQUIT\r\n", {"PH_LMTP_UIDS": "1, %s" % allowed, "IPCREMOTEEUID": "4242"})
    assert rc == 1 and out.startswith("421 4.7.0"), (rc, out, err)
    assert "event=refused" in err and "euid=4242" in err, err
    rc, out, err = run_direct(s, b"LHLO x\r\nQUIT\r\n", {"PH_LMTP_UIDS": "1, %s" % allowed, "IPCREMOTEEUID": allowed})
    assert rc == 0 and out.startswith("220 ") and "221 2.0.0" in out, (rc, out, err)
    rc, out, err = run_direct(s, b"", {"PH_LMTP_UIDS": "1,x"})
    assert rc == 100 and out.startswith("421 4.3.5"), (rc, out, err)


@phtest.case
def refuses_root(s):
    e = {k: v for k, v in s.env.items() if k.startswith("PH_")}
    e["IPCREMOTEEUID"] = "0"
    r = subprocess.run([str(s.bin / "lmtpd")], env=e, input=b"", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    assert r.returncode == 100 and r.stdout.startswith(b"421 4.3.5"), r


@phtest.case
def command_deadline(s):
    p = run_direct(s, b"LHLO x\r\n", {"PH_LMTP_TIMEOUT": "1"}, keep_open=True)
    t0 = time.monotonic()
    out = p.stdout.read()
    rc = p.wait(timeout=10)
    p.stdin.close()
    assert time.monotonic() - t0 < 8
    assert rc == 99 and b"421 4.4.2" in out, (rc, out)


@phtest.case
def mailbox_full_is_452(s):
    """A file size limit makes the Maildir write fail with EFBIG: RFC 3463
    4.2.2 mailbox full, answered 452. The limit lets the message into
    lmtpd's memory file but not into the Maildir, whose copy is longer by
    Return-Path and Delivered-To (a long sender makes that margin wide)."""
    sender = "s" * 60 + "@" + "sender." * 20 + "test"
    body = b"Subject: fsize\r\n\r\n" + b"q" * 20000 + b"\r\n"
    date = email.utils.formatdate(localtime=True)
    received = ("Received: from x (unknown)\n\tby %s (posthaste) with LMTP id %s\n\tfor <demo@example.test>; %s\n"
                % (HOST, "X" * 16, date)).encode()
    memsize = len(received) + len(body.replace(b"\r\n", b"\n"))
    before = count(s, "demo@example.test")
    data = (b"LHLO x\r\nMAIL FROM:<%s>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n" % sender.encode()
            + body + b".\r\nQUIT\r\n")
    rc, out, err = run_direct(s, data, limit_fsize=memsize + 60)
    assert "452 4.2.2 <demo@example.test> mailbox full" in out, (out, err)
    assert count(s, "demo@example.test") == before


# ---------------------------------------------------------------- Postfix

PF = None


def postfix(s):
    global PF
    if PF is None:
        port = phtest.free_port()
        maps = pathlib.Path(s.tmp) / "pf-vmailbox"
        maps.write_text("".join("%s@example.test x\n" % u for u in ("demo", "nobody", "erin")))
        PF = privpostfix.Postfix(prefix="phlmtp-postfix.", main={
            "myhostname": "mx.pf-lmtp.test",
            "virtual_mailbox_domains": "example.test",
            "virtual_mailbox_maps": "texthash:%s" % maps,
            "virtual_transport": "lmtp:unix:%s" % sock_path(s),
            "message_size_limit": str(SIZE_LIMIT // 2),
        }, master=[
            "127.0.0.1:%d inet n - n - - smtpd" % port,
            "lmtp unix - - n - - lmtp",
        ])
        PF.port = port
        PF.start(wait=("127.0.0.1", port))
    return PF


def maillog_has(pf, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, pf.maillog())
        if m:
            return m
        assert time.monotonic() < deadline, "no %r in maillog: %s" % (pattern, pf.maillog()[-3000:])
        time.sleep(0.1)


@phtest.case
def postfix_delivers_through_lmtp(s):
    pf = postfix(s)
    before = count(s, "demo@example.test")
    body = (b"From: sender@sender.test\r\nTo: demo@example.test\r\nSubject: via postfix\r\n"
            b"Date: Fri, 27 Nov 2026 12:00:00 +0000\r\nMessage-ID: <pf-lmtp-1@sender.test>\r\n\r\n"
            b"first line\r\n.leading dot\r\n..two dots\r\n\r\nlast line\r\n")
    f = pathlib.Path(s.tmp) / "swaks-msg"
    f.write_bytes(body[:-2])   # swaks ends the data with CRLF . CRLF itself
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % pf.port, "--ehlo", "client.test",
                        "--from", "sender@sender.test", "--to", "demo@example.test",
                        "--data", "@%s" % f, "--timeout", "20"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:]
    files = wait_count(s, "demo@example.test", before + 1, timeout=30)
    data = files[-1].read_bytes()
    added, rest = added_headers(data)
    assert added[0] == b"Return-Path: <sender@sender.test>", added
    assert added[1] == b"Delivered-To: demo@example.test", added
    assert b"from mx.pf-lmtp.test (unknown)" in added[2], added
    # then Postfix's own Received header, then the message byte for byte
    lines = rest.split(b"\n")
    assert lines[0].startswith(b"Received: from client.test"), lines[:3]
    i = 1
    while lines[i][:1] in (b" ", b"\t"):
        i += 1
    assert b"\n".join(lines[i:]) == body.replace(b"\r\n", b"\n"), b"\n".join(lines[i:])
    m = maillog_has(pf, r"to=<demo@example.test>, relay=[^ ]*lmtp\.sock[^ ]*, .*status=sent \(250 2\.0\.0 <demo@example\.test> ([0-9A-Za-z]{16}) Saved\)")
    log_has(s, "lmtp", "event=delivered qid=%s" % m.group(1))


@phtest.case
def postfix_per_recipient_results(s):
    """Postfix retires each recipient on its own LMTP reply: delivered,
    deferred (4xx: the Maildir cannot be written), bounced (5xx: no such
    user here, though Postfix's map lists it). Null sender: no bounce."""
    pf = postfix(s)
    erin = unwritable_mailbox(s, "erin@example.test")
    before = count(s, "demo@example.test")
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=20) as c:
        refused = c.sendmail("", ["demo@example.test", "erin@example.test", "nobody@example.test"],
                             b"Subject: three\r\nMessage-ID: <pf-lmtp-3@sender.test>\r\n\r\nthree\r\n")
        assert refused == {}, refused
    wait_count(s, "demo@example.test", before + 1, timeout=30)
    maillog_has(pf, r"to=<erin@example.test>, .*status=deferred \(.*451 4\.3\.0 <erin@example\.test>")
    maillog_has(pf, r"to=<nobody@example.test>, .*status=bounced \(.*550 5\.1\.1 <nobody@example\.test> user unknown")
    os.chown(erin, VMAIL.pw_uid, VMAIL.pw_gid)
    pf.postqueue_flush()
    files = wait_count(s, "erin@example.test", 1, timeout=60)
    assert b"\nthree\n" in files[-1].read_bytes()


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        if PF is not None:
            PF.stop()
