"""smtpd's policy delegation hook (Postfix SMTPD_POLICY_README) against a
small policy server written here, on a real TCP socket: every action of
Postfix's access(5) that makes sense at RCPT, the request attributes,
connection reuse, and what happens when the service misbehaves (it is
asked with PH_POLICY_FAIL=open, the default: the recipient is accepted)."""

import re
import socket
import threading
import time

import phtest

DEMO = "demo@example.test"


class PolicyServer:
    """Answers each request by the tag of its recipient (demo+TAG@...)."""

    ACTIONS = {
        "ok": "OK",
        "dunno": "DUNNO",
        "reject": "REJECT go away",
        "rejectenh": "REJECT 5.7.9 custom refusal",
        "rejectbare": "REJECT",
        "defer": "DEFER try later",
        "dip": "DEFER_IF_PERMIT not now",
        "dir": "DEFER_IF_REJECT would defer a rejection",
        "c550": "550 5.1.8 bad sender domain",
        "c451": "451 slow down",
        "prepend": "PREPEND X-Policy-Tag: tagged by policy",
        "badprepend": "PREPEND no colon here",
        "warn": "WARN just noting",
        "hold": "HOLD quarantine please",
        "discard": "DISCARD into the void",
        "filter": "FILTER smtp:[192.0.2.1]:25",
        "lower": "reject lower case works",
    }

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.requests = []      # (connection number, dict of attributes)
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            with self.lock:
                self.connections += 1
                n = self.connections
            threading.Thread(target=self.handle, args=(conn, n), daemon=True).start()

    def handle(self, conn, n):
        buf = b""
        try:
            while True:
                while b"\n\n" not in buf:
                    d = conn.recv(65536)
                    if not d:
                        return
                    buf += d
                req, buf = buf.split(b"\n\n", 1)
                attrs = dict(line.split("=", 1) for line in req.decode("utf-8").split("\n"))
                with self.lock:
                    self.requests.append((n, attrs))
                local = attrs.get("recipient", "").split("@")[0]
                tag = local.split("+", 1)[1] if "+" in local else "dunno"
                if tag == "hang":
                    time.sleep(30)
                    return
                if tag == "close":
                    return
                if tag == "garbage":
                    conn.sendall(b"this is not name=value\nnor=this\n\n")
                    continue
                if tag == "noaction":
                    conn.sendall(b"foo=bar\n\n")
                    continue
                if tag == "huge":
                    conn.sendall(b"action=DUNNO" + b"x" * 8000)
                    time.sleep(5)
                    return
                if tag == "extra":
                    conn.sendall(b"action=DUNNO\n\naction=DUNNO\n\n")
                    continue
                if tag == "crlf":
                    conn.sendall(b"action=REJECT crlf ok\r\n\r\n")
                    continue
                conn.sendall(("action=%s\n\n" % self.ACTIONS[tag]).encode())
        except OSError:
            pass
        finally:
            conn.close()

    def last(self, recipient):
        with self.lock:
            for n, a in reversed(self.requests):
                if a.get("recipient") == recipient:
                    return n, a
        return None, None


POLICY = PolicyServer()


class Raw:
    def __init__(self, s):
        self.sock = socket.create_connection(("127.0.0.1", s.port("smtp")), timeout=30)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("utf-8", "replace")

    def last(self):
        while True:
            ln = self.line()
            if ln[3] == " ":
                return ln

    def expect(self, text, prefix):
        self.sock.sendall(text.encode() + b"\r\n")
        r = self.last()
        assert r.startswith(prefix), "%s -> %r, expected %r" % (text, r, prefix)
        return r


def session(s, sender="alice@sender.test", params=""):
    c = Raw(s)
    c.last()
    c.expect("EHLO client.test", "250")
    c.expect("MAIL FROM:<%s>%s" % (sender, params), "250")
    return c


def rcpt(c, tag, prefix, domain="example.test"):
    return c.expect("RCPT TO:<demo+%s@%s>" % (tag, domain), prefix)


def log_has(s, pattern, timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log("smtpd")), timeout)


def message_with(s, marker, timeout=10):
    def find():
        for p in s.messages(DEMO):
            t = p.read_bytes()
            if marker in t:
                return t
        return None
    return s.wait_for(find, timeout)


@phtest.case
def accept_actions(s):
    c = session(s)
    for tag in ("ok", "dunno", "dir", "warn"):
        rcpt(c, tag, "250 2.1.5")
    c.expect("QUIT", "221")
    assert log_has(s, r"event=policy ip=127\.0\.0\.1 smtpid=\w+ rcpt=demo\+warn@example\.test action=\"WARN just noting\"")


@phtest.case
def refusal_actions(s):
    c = session(s)
    cases = [("reject", "554 5.7.1 <demo+reject@example.test>: Recipient address rejected: go away"),
             ("rejectenh", "554 5.7.9 <demo+rejectenh@example.test>: Recipient address rejected: custom refusal"),
             ("rejectbare", "554 5.7.1 <demo+rejectbare@example.test>: Recipient address rejected: Access denied"),
             ("lower", "554 5.7.1 <demo+lower@example.test>: Recipient address rejected: lower case works"),
             ("defer", "450 4.7.1 <demo+defer@example.test>: Recipient address rejected: try later"),
             ("dip", "450 4.7.1 <demo+dip@example.test>: Recipient address rejected: not now"),
             ("c550", "550 5.1.8 <demo+c550@example.test>: Recipient address rejected: bad sender domain"),
             ("c451", "451 4.7.1 <demo+c451@example.test>: Recipient address rejected: slow down"),
             ("crlf", "554 5.7.1 <demo+crlf@example.test>: Recipient address rejected: crlf ok")]
    for tag, want in cases:
        r = rcpt(c, tag, want[:3])
        assert r == want, (r, want)
    c.expect("QUIT", "221")
    assert log_has(s, r"event=reject ip=127\.0\.0\.1 cmd=RCPT code=554 reason=policy rcpt=demo\+reject@example\.test")


@phtest.case
def policy_not_asked_for_unknown_users(s):
    before = len(POLICY.requests)
    c = session(s)
    c.expect("RCPT TO:<nobody+reject@example.test>", "550 5.1.1")   # unknown user first
    c.expect("QUIT", "221")
    time.sleep(0.2)
    assert len(POLICY.requests) == before, POLICY.requests[before:]


@phtest.case
def request_attributes_and_reuse(s):
    c = session(s, params=" SIZE=1234")
    rcpt(c, "ok", "250")
    rcpt(c, "dunno", "250")
    c.expect("RSET", "250")
    c.expect("MAIL FROM:<bob@sender.test>", "250")
    rcpt(c, "warn", "250")
    c.expect("QUIT", "221")
    n1, a1 = POLICY.last("demo+ok@example.test")
    n2, a2 = POLICY.last("demo+dunno@example.test")
    n3, a3 = POLICY.last("demo+warn@example.test")
    assert n1 == n2 == n3, "one connection per session: %r" % ((n1, n2, n3),)
    want = {"request": "smtpd_access_policy", "protocol_state": "RCPT", "protocol_name": "ESMTP",
            "helo_name": "client.test", "sender": "alice@sender.test", "recipient": "demo+ok@example.test",
            "recipient_count": "0", "client_address": "127.0.0.1", "client_name": "unknown",
            "size": "1234", "encryption_protocol": "", "encryption_keysize": "0", "server_address": "127.0.0.1",
            "server_port": str(s.port("smtp")), "sasl_username": "", "queue_id": ""}
    for k, v in want.items():
        assert a1.get(k) == v, (k, a1.get(k), v)
    assert re.fullmatch(r"\d+", a1["client_port"]), a1
    # the same instance inside one transaction, a new one for the next
    assert re.fullmatch(r"[0-9A-Za-z]{16}", a1["instance"]), a1
    assert a1["instance"] == a2["instance"] != a3["instance"], (a1["instance"], a2["instance"], a3["instance"])
    assert a3["sender"] == "bob@sender.test" and a3["size"] == "0", a3


@phtest.case
def prepend_header_delivered(s):
    c = session(s)
    rcpt(c, "prepend", "250 2.1.5")
    c.expect("DATA", "354")
    c.sock.sendall(b"Subject: prepended\r\nMessage-ID: <prepend@client.test>\r\n\r\nbody\r\n.\r\n")
    assert c.last().startswith("250 2.0.0 Ok: queued as")
    c.expect("QUIT", "221")
    m = message_with(s, b"<prepend@client.test>")
    assert m, "not delivered"
    # right above our Received header, as Postfix puts it (deliverd's
    # Return-Path and Delivered-To come above both)
    assert b"\nX-Policy-Tag: tagged by policy\nReceived: from client.test " in m, m[:300]


@phtest.case
def discard_accepts_and_drops(s):
    c = session(s)
    rcpt(c, "discard", "250 2.1.5")
    rcpt(c, "ok", "250 2.1.5")
    c.expect("DATA", "354")
    c.sock.sendall(b"Subject: discarded\r\nMessage-ID: <discard@client.test>\r\n\r\nbody\r\n.\r\n")
    r = c.last()
    assert r == "250 2.0.0 Ok", r
    # the next transaction is normal again
    c.expect("MAIL FROM:<a@sender.test>", "250")
    rcpt(c, "ok", "250")
    c.expect("DATA", "354")
    c.sock.sendall(b"Subject: kept\r\nMessage-ID: <kept@client.test>\r\n\r\nbody\r\n.\r\n")
    assert c.last().startswith("250 2.0.0 Ok: queued as")
    c.expect("QUIT", "221")
    assert message_with(s, b"<kept@client.test>"), "the next message was not delivered"
    assert not message_with(s, b"<discard@client.test>", timeout=0.5), "discarded message delivered"
    assert log_has(s, r"event=discarded smtpid=\w+ from=alice@sender\.test nrcpt=2 size=\d+ ip=127\.0\.0\.1")


@phtest.case
def hold_recorded_in_envelope(s):
    # a relayed recipient stays queued (no remote delivery here): its
    # envelope can be read
    c = session(s)
    c.expect("RCPT TO:<x+hold@elsewhere.test>", "250 2.1.5")
    c.expect("DATA", "354")
    c.sock.sendall(b"Subject: held\r\n\r\nbody\r\n.\r\n")
    r = c.last()
    m = re.match(r"250 2\.0\.0 Ok: queued as (\w+)$", r)
    assert m, r
    c.expect("QUIT", "221")
    qid = m.group(1)

    def env():
        for d in ("incoming", "queue"):
            p = s.state / "queue" / d / qid / "env"
            if p.exists():
                return p.read_bytes()
        return None
    data = s.wait_for(env, 10)
    assert data and b"X22:HOLD=quarantine please," in data, data


@phtest.case
def service_failures_fail_open(s):
    c = session(s)
    t0 = time.monotonic()
    rcpt(c, "hang", "250 2.1.5")          # PH_POLICY_TIMEOUT=2 here
    assert 1.5 < time.monotonic() - t0 < 8, time.monotonic() - t0
    for tag in ("close", "garbage", "noaction", "huge", "filter", "badprepend", "extra"):
        rcpt(c, tag, "250 2.1.5")
    # the service still works afterwards (new connections), and the
    # unasked second answer after "extra" is not taken for this one
    rcpt(c, "reject", "554 5.7.1")
    c.expect("QUIT", "221")
    for reason in ("timeout", "unreachable", "bad_reply", "bad_action"):
        assert log_has(s, r"event=policy_fail ip=127\.0\.0\.1 smtpid=\w+ rcpt=\S+ reason=%s .*fail=open" % reason), reason
    assert log_has(s, r"event=policy_fail .*rcpt=demo\+filter@example\.test reason=bad_action detail=\"FILTER")


@phtest.case
def sanitizer_clean(s):
    assert not s.sanitizer_reports(), s.sanitizer_reports()


if __name__ == "__main__":
    phtest.main(extra_env={
        "PH_POLICY_SERVICE": "inet:127.0.0.1:%d" % POLICY.port,
        "PH_POLICY_TIMEOUT": "2",
        "PH_RELAY_NETWORKS": "127.0.0.0/8",
    })
