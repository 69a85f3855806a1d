"""deliverd-remote against a real receiving MTA: a private Debian Postfix
(`postfix -c DIR`) listening on 127.0.0.20, the MX of pf.test in the test
DNS server, delivering u@pf.test into a Maildir with virtual(8). The
messages must arrive byte for byte (LF line ends again, after Postfix's
Received header), through Postfix's PIPELINING, CHUNKING, 8BITMIME and
SMTPUTF8, and Postfix's refusals must come back as verdicts."""

import os
import re
import time

import dnsserver
import phtest
import privpostfix
import remoteclient

PF_IP = "127.0.0.20"
VMAIL = 5000
PORT = phtest.free_port()
DNS = dnsserver.DNSServer({"pf.test": {"MX": ["10 mx.pf.test."]}, "mx.pf.test": {"A": [PF_IP]}}).start()
ENV = {"PH_DNS_RESOLVER": DNS.resolver, "PH_REMOTE_PORT": str(PORT)}

HDRS = b"Date: Fri, 27 Nov 2026 12:00:00 +0000\nMessage-ID: <t1@example.test>\n"
TRICKY = (HDRS + b"From: demo@example.test\nSubject: dots\n\n"
          b".\n..two\nmid.dot\nbare\rcr\ncrlf already\r\n\n.last line without newline")


class Postfix(privpostfix.Postfix):
    """The receiving MTA: PF_IP:port, u@pf.test into a Maildir under
    self.base with virtual(8)."""

    def __init__(self, port):
        super().__init__(prefix="phremote-postfix.", master=[
            "%s:%d inet n - n - - smtpd" % (PF_IP, port),
            "virtual unix - n n - - virtual",
        ])
        self.port = port
        self.base = self.dir / "vmail"
        self.main_extra.update({
            "myhostname": "mx.pf.test",
            "inet_interfaces": "loopback-only",   # 127.0.0.20 is no interface address; master.cf binds it
            "smtputf8_enable": "yes",
            "virtual_mailbox_domains": "pf.test",
            "virtual_mailbox_maps": "texthash:%s" % (self.etc / "vmailbox"),
            "virtual_mailbox_base": self.base,
            "virtual_uid_maps": "static:%d" % VMAIL,
            "virtual_gid_maps": "static:%d" % VMAIL,
            "message_size_limit": "200000",
        })

    def start(self):
        for d in (self.etc, self.base):
            d.mkdir(parents=True, exist_ok=True)
        os.chown(self.base, VMAIL, VMAIL)
        (self.etc / "vmailbox").write_text("u@pf.test pf.test/u/\n")
        return super().start(wait=(PF_IP, self.port))

    def delivered(self):
        d = self.base / "pf.test" / "u" / "new"
        try:
            return sorted(d.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        except FileNotFoundError:
            return []


PF = None


def wait_files(n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = PF.delivered()
        if len(files) >= n:
            return files
        time.sleep(0.1)
    raise AssertionError("%d of %d messages in the Maildir; maillog: %s" % (len(PF.delivered()), n, PF.maillog()[-1500:]))


def body_after_received(path):
    """The delivered file without the header fields Postfix added at the
    top (Return-Path, X-Original-To, Delivered-To, Received, each with
    its continuation lines)."""
    lines = path.read_bytes().split(b"\n")
    i = 0
    while i < len(lines) and (lines[i].startswith((b"Return-Path:", b"X-Original-To:", b"Delivered-To:", b"Received:"))
                              or (i and lines[i][:1] in (b" ", b"\t"))):
        i += 1
    return b"\n".join(lines[i:])


@phtest.case
def postfix_receives_exact_bytes(s):
    r = remoteclient.deliver(s, "demo@example.test", ["u@pf.test"], TRICKY)
    assert r and r[0]["v"] == "K" and re.match(r"2\.0\.0 mx\.pf\.test\[127\.0\.0\.20\] said: 250 2\.0\.0 Ok: (\d+ bytes )?queued as \w+", r[0]["text"]), r
    f = wait_files(1)[0]
    expect = TRICKY.replace(b"\r\n", b"\n").replace(b"bare\rcr", b"bare\ncr") + b"\n"
    got = body_after_received(f)
    assert got == expect, (got, expect)
    assert "in reply to BDAT command" in r[0]["text"] or "in reply to end of DATA command" in r[0]["text"], r


@phtest.case
def postfix_8bit_and_utf8(s):
    msg = HDRS + "From: demo@example.test\nSubject: gr\u00fc\u00dfe\n\nK\u00e4se\n".encode()
    r = remoteclient.deliver(s, "d\u00e9mo@example.test", ["u@pf.test"], msg, extra=["XSMTPUTF8=1", "XBODY=8BITMIME"])
    assert r and r[0]["v"] == "K", r
    files = wait_files(2)
    assert body_after_received(files[-1]) == msg, files[-1].read_bytes()


@phtest.case
def postfix_refusals_become_verdicts(s):
    r = remoteclient.deliver(s, "demo@example.test", ["nobody@pf.test", "u@pf.test"], b"Subject: x\n\nhi\n")
    assert r and [v["v"] for v in r] == ["D", "K"], r
    assert r[0]["text"].startswith("5.1.1 mx.pf.test[127.0.0.20] said: 550 5.1.1 <nobody@pf.test>"), r
    assert "(in reply to RCPT TO command)" in r[0]["text"], r
    big = b"Subject: big\n\n" + b"x" * 100 + b"\n" * 3000 + b"y" * 250000
    r = remoteclient.deliver(s, "demo@example.test", ["u@pf.test"], big)
    assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.3.4 ") and "200000" in r[0]["text"], r


if __name__ == "__main__":
    PF = Postfix(PORT)
    try:
        PF.start()
    except Exception as e:  # noqa: BLE001
        print("FAIL postfix_start: %s" % str(e).replace("\n", " | ")[:2000])
        print("0 passed, 1 failed")
        PF.stop()
        raise SystemExit(1)
    try:
        phtest.main(extra_env=ENV)
    finally:
        PF.stop()
        DNS.stop()
