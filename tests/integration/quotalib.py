"""Helpers of test_quota.py, test_loop.py and test_diskfull.py: a client
for deliverd.sock (skalibs unixmessage framing: uint32 length, uint16 fd
count, big endian, the fd riding SCM_RIGHTS), SMTP sessions on the MX
port, users.cdb lookups, Maildir sums."""

import email
import email.policy
import os
import re
import secrets
import smtplib
import socket
import struct
import subprocess
import tempfile


def qid():
    return secrets.token_hex(8)


def message_fd(data):
    fd, path = tempfile.mkstemp(prefix="quota-msg.")
    os.unlink(path)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class Deliverd:
    """One connection to deliverd.sock (as root: deliverd admits it)."""

    def __init__(self, s):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(s.env["PH_RUN_DIR"] + "/deliverd.sock")

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def deliver(self, sender, rcpt, message, q=None):
        """The reply's text0 fields (str), or None if deliverd closed."""
        fields = [b"I" + (q or qid()).encode(), b"F" + sender.encode(), b"T" + rcpt.encode()]
        body = b"".join(f + b"\0" for f in fields)
        data = struct.pack(">IH", len(body), 1) + body
        fd = message_fd(message)
        try:
            n = socket.send_fds(self.sock, [data], [fd])
            self.sock.sendall(data[n:])
        finally:
            os.close(fd)
        hdr = self._exact(6)
        if hdr is None:
            return None
        length, nfds = struct.unpack(">IH", hdr)
        assert nfds == 0
        reply = self._exact(length)
        assert reply is not None and reply.endswith(b"\0"), reply
        return [f.decode() for f in reply[:-1].split(b"\0")]

    def close(self):
        self.sock.close()


def deliver(s, sender, rcpt, message):
    c = Deliverd(s)
    try:
        return c.deliver(sender, rcpt, message)
    finally:
        c.close()


def smtp(s):
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    c.ehlo("client.test")
    return c


def rcpt_reply(s, rcpt, sender="sender@example.test"):
    """(code, text) of RCPT TO:<rcpt> in a fresh transaction."""
    c = smtp(s)
    try:
        code, _ = c.mail(sender)
        assert code == 250, code
        code, text = c.rcpt(rcpt)
        return code, text.decode()
    finally:
        c.quit()


def send(s, rcpts, data, sender="sender@example.test"):
    """Sends one message; returns {rcpt: (code, text)} for the refused
    ones and the DATA reply (code, text), or None when no RCPT passed."""
    c = smtp(s)
    try:
        code, _ = c.mail(sender)
        assert code == 250, code
        refused = {}
        for r in rcpts:
            code, text = c.rcpt(r)
            if code != 250:
                refused[r] = (code, text.decode())
        if len(refused) == len(rcpts):
            c.rset()
            return refused, None
        code, text = c.data(data)
        return refused, (code, text.decode())
    finally:
        try:
            c.quit()
        except smtplib.SMTPServerDisconnected:
            pass


def make_message(subject, size=0, received=0, delivered_to=()):
    """An RFC 5322 message (CRLF) of size bytes once its line ends are
    LF (at least its header and a line of body), with received
    Received fields and the given Delivered-To fields at the top."""
    head = ""
    for i in range(received):
        head += "Received: from hop%d.test by hop%d.test; Thu, 1 Jan 2026 00:00:00 +0000\r\n" % (i, i + 1)
    for a in delivered_to:
        head += "Delivered-To: %s\r\n" % a
    head += "From: <sender@example.test>\r\nTo: <x@example.test>\r\nSubject: %s\r\n\r\n" % subject
    body = "body of %s\r\n" % subject
    # size counts LF line ends, as the queue and the Maildir store them
    n = len(lf((head + body).encode()))
    while n + 77 <= size:
        body += ("x" * 76) + "\r\n"
        n += 77
    if n < size:
        body += ("y" * (size - n - 1)) + "\r\n" if size - n > 1 else "\r\n"
    return (head + body).encode()


def lf(data):
    return data.replace(b"\r\n", b"\n")


def cdb_value(s, name, key):
    r = subprocess.run(["cdb", "-q", str(s.state / "cdb" / name), key], stdout=subprocess.PIPE)
    return r.stdout if r.returncode == 0 else None


def size_from_name(name):
    m = re.search(r",S=(\d+)", name.split(":")[0])
    return int(m.group(1)) if m else None


def maildir_sum(path):
    """(bytes, count) of cur/ and new/ of the Maildir and its folders."""
    total = count = 0
    dirs = [path] + [p for p in path.iterdir() if p.name.startswith(".") and p.is_dir() and not p.is_symlink()]
    for d in dirs:
        for sub in ("cur", "new"):
            try:
                for f in (d / sub).iterdir():
                    if f.name.startswith("."):
                        continue
                    n = size_from_name(f.name)
                    total += n if n is not None else f.stat().st_size
                    count += 1
            except FileNotFoundError:
                pass
    return total, count


def maildirsize(path):
    """(header, bytes, count, lines) of path/maildirsize, or None."""
    try:
        text = (path / "maildirsize").read_text()
    except FileNotFoundError:
        return None
    lines = text.split("\n")
    assert lines[-1] == "", "maildirsize does not end with LF: %r" % text
    b = c = 0
    for line in lines[1:-1]:
        x, y = line.split()
        b += int(x)
        c += int(y)
    return lines[0], b, c, len(lines) - 2


def parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def log_lines(s, service, *needles):
    return [l for l in s.log(service).splitlines() if all(n in l for n in needles)]
