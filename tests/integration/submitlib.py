"""Helpers shared by the submitd tests (tests/integration/test_submitd*.py):
a byte-exact SMTP client for the submission ports, logins, and waits on
logs and Maildirs."""

import base64
import re
import socket
import ssl

DEMO = "demo@example.test"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE   # the demo's self-signed certificate
    return ctx


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def plain(s, user=DEMO, password=None):
    return b64("\0%s\0%s" % (user, s.password if password is None else password))


class Raw:
    """A byte-exact SMTP client for the submission ports."""

    def __init__(self, s, port="submission", implicit=False, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", s.port(port)), timeout=timeout)
        if implicit:
            self.sock = tls_context().wrap_socket(self.sock, server_hostname="mail.example.test")
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("connection closed, unterminated %r" % self.buf)
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("latin-1")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            assert re.match(r"[2-5]\d\d[ -]", ln), "malformed reply line %r" % ln
            if ln[3] == " ":
                return lines

    def last(self):
        return self.reply()[-1]

    def cmd(self, text):
        self.send(text.encode("latin-1") + b"\r\n")
        return self.last()

    def expect(self, text, prefix):
        r = self.cmd(text)
        assert r.startswith(prefix), "%s -> %r, expected %r" % (text, r, prefix)
        return r

    def ehlo(self, name="client.test"):
        self.send(b"EHLO " + name.encode() + b"\r\n")
        return [ln[4:] for ln in self.reply()[1:]]

    def starttls(self):
        self.expect("STARTTLS", "220 2.0.0")
        assert self.buf == b"", self.buf
        self.sock = tls_context().wrap_socket(self.sock, server_hostname="mail.example.test")

    def closed(self, timeout=10):
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True

    def close(self):
        self.sock.close()


def greeted(s, port="submission"):
    c = Raw(s, port, implicit=(port == "submissions"))
    g = c.last()
    assert re.fullmatch(r"220 \S+ ESMTP posthaste", g), g
    return c


def logged_in(s, port="submission", user=DEMO, password=None, tls=True):
    """A session in TLS (or in clear, tls=False, where the loopback
    exemption is on), authenticated."""
    c = greeted(s, port)
    if port == "submission" and tls:
        c.ehlo()
        c.starttls()
    c.ehlo()
    c.expect("AUTH PLAIN " + plain(s, user, password), "235 2.7.0")
    return c


def log_has(s, pattern, service="submission", timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log(service)), timeout)


def message_with(s, marker, address=DEMO, timeout=10):
    def find():
        got = [p.read_bytes() for p in s.messages(address)]
        got = [t for t in got if marker in t]
        return got[0] if got else None
    m = s.wait_for(find, timeout)
    assert m, "no message with %r delivered to %s" % (marker, address)
    return m


def queued_as(reply):
    m = re.match(r"250 2\.0\.0 Ok: queued as ([0-9A-Za-z]{12,24})$", reply)
    assert m, reply
    return m.group(1)
