"""deliverd-remote against a real receiving MTA: a private Debian Postfix
(`postfix -c DIR`) listening on 127.0.0.20, the MX of pf.test in the test
DNS server, delivering u@pf.test into a Maildir with virtual(8). The
messages must arrive byte for byte (LF line ends again, after Postfix's
Received header), through Postfix's PIPELINING, CHUNKING, 8BITMIME and
SMTPUTF8, and Postfix's refusals must come back as verdicts."""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time

import dnsserver
import phtest
import remoteclient

PF_IP = "127.0.0.20"
VMAIL = 5000
PORT = phtest.free_port()
DNS = dnsserver.DNSServer({"pf.test": {"MX": ["10 mx.pf.test."]}, "mx.pf.test": {"A": [PF_IP]}}).start()
ENV = {"PH_DNS_RESOLVER": DNS.resolver, "PH_REMOTE_PORT": str(PORT)}

HDRS = b"Date: Fri, 27 Nov 2026 12:00:00 +0000\nMessage-ID: <t1@example.test>\n"
TRICKY = (HDRS + b"From: demo@example.test\nSubject: dots\n\n"
          b".\n..two\nmid.dot\nbare\rcr\ncrlf already\r\n\n.last line without newline")


class Postfix:
    def __init__(self, port):
        self.port = port
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="phremote-postfix.", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.etc = self.dir / "etc"
        self.base = self.dir / "vmail"
        self.started = False

    def start(self):
        for d in (self.etc, self.dir / "queue", self.dir / "data", self.base):
            d.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir / "data", "postfix")
        os.chown(self.base, VMAIL, VMAIL)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.dir / "queue",
            "data_directory": self.dir / "data",
            "meta_directory": "/etc/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mx.pf.test",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "relay_domains": "",
            "inet_interfaces": "loopback-only",   # 127.0.0.20 is no interface address; master.cf binds it
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtputf8_enable": "yes",
            "virtual_mailbox_domains": "pf.test",
            "virtual_mailbox_maps": "texthash:%s" % (self.etc / "vmailbox"),
            "virtual_mailbox_base": self.base,
            "virtual_uid_maps": "static:%d" % VMAIL,
            "virtual_gid_maps": "static:%d" % VMAIL,
            "message_size_limit": "200000",
            "smtpd_tls_security_level": "none",
            "maillog_file": self.dir / "maillog",
            "maillog_file_prefixes": self.dir,
        }
        (self.etc / "main.cf").write_text("".join("%s = %s\n" % kv for kv in main.items()))
        (self.etc / "master.cf").write_text("\n".join([
            "%s:%d inet n - n - - smtpd" % (PF_IP, self.port),
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "proxymap unix - - n - - proxymap",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "virtual unix - n n - - virtual",
            "postlog unix-dgram n - n - 1 postlogd",
        ]) + "\n")
        (self.etc / "vmailbox").write_text("u@pf.test pf.test/u/\n")
        r = subprocess.run(["postfix", "-c", str(self.etc), "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("postfix start: %s %s" % (r.stdout, self.maillog()[-2000:]))
        self.started = True
        import socket
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection((PF_IP, self.port), timeout=2) as c:
                    if c.recv(512).startswith(b"220"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("postfix not listening: %s" % self.maillog()[-2000:])
            time.sleep(0.1)

    def stop(self):
        marker = b"MAIL_CONFIG=" + str(self.etc).encode() + b"\0"
        if self.started:
            subprocess.run(["postfix", "-c", str(self.etc), "stop"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
            self.started = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = []
            for p in pathlib.Path("/proc").iterdir():
                if p.name.isdigit():
                    try:
                        if marker in (p / "environ").read_bytes():
                            left.append(int(p.name))
                    except OSError:
                        pass
            if not left:
                break
            if time.monotonic() > deadline - 5:
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)

    def maillog(self):
        try:
            return (self.dir / "maillog").read_text(errors="replace")
        except OSError:
            return ""

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
