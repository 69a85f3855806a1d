"""smtpraw: a byte-exact SMTP client for the tests of the listeners on
the SMTP engine (smtpd on "smtp", submitd on "submission" and, with
implicit TLS, "submissions"), and the helpers their tests share.

    c = smtpraw.Raw(s, "smtp")      # s: a running phtest.Suite
    c.last()                        # the greeting's last line
    c.ehlo()                        # EHLO keywords
    c.expect("MAIL FROM:<a@b.test>", "250")
"""

import re
import socket
import ssl


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE   # the demo's self-signed certificate
    return ctx


class SocketReader:
    """What every raw test client does with its socket (self.sock) and
    what it has read but not used (self.buf): see the server close, and
    close. Raw here and mailaccess.LineClient build on it."""

    def closed(self, timeout=10):
        """True if the server closes the connection (reading any rest
        into buf); False if it is still open after timeout seconds."""
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
        try:
            self.sock.close()
        except OSError:
            pass


class Raw(SocketReader):
    """A byte-exact SMTP client."""

    def __init__(self, s, port="smtp", implicit=False, timeout=30):
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
        """The lines of one (possibly multi-line) reply."""
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            assert re.match(r"[2-5]\d\d[ -]", ln), "malformed reply line %r" % ln
            if ln[3] == " ":
                return lines

    def last(self):
        return self.reply()[-1]

    def cmd(self, text, encoding="latin-1"):
        """text sent as one command line; encoding: "utf-8" for SMTPUTF8."""
        self.send(text.encode(encoding) + b"\r\n")
        return self.last()

    def expect(self, text, prefix, encoding="latin-1"):
        r = self.cmd(text, encoding)
        assert r.startswith(prefix), "%s -> %r, expected %r" % (text, r, prefix)
        return r

    def ehlo(self, name="client.test"):
        """The EHLO keywords (the reply's lines after the first)."""
        self.send(b"EHLO " + name.encode() + b"\r\n")
        return [ln[4:] for ln in self.reply()[1:]]

    def tls(self):
        """Turns the connection into TLS once the server said 220 to
        STARTTLS: nothing sent in clear may be left unread."""
        assert self.buf == b"", self.buf
        self.sock = tls_context().wrap_socket(self.sock, server_hostname="mail.example.test")
        return self

    def starttls(self):
        self.expect("STARTTLS", "220 2.0.0")
        return self.tls()

def queued_as(reply):
    """The queue id in the answer to the end of a message."""
    m = re.match(r"250 2\.0\.0 Ok: queued as ([0-9A-Za-z]{12,24})$", reply)
    assert m, reply
    return m.group(1)


def message_with(s, marker, address="demo@example.test", timeout=10):
    """The delivered message (bytes) holding marker, waiting for it."""
    def find():
        got = [p.read_bytes() for p in s.messages(address)]
        got = [t for t in got if marker in t]
        return got[0] if got else None
    m = s.wait_for(find, timeout)
    assert m, "no message with %r delivered to %s" % (marker, address)
    return m
