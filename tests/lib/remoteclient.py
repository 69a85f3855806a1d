"""remoteclient: talk to deliverd-remote's socket as queued does.

    import remoteclient
    r = remoteclient.deliver(s, "demo@example.test", ["u@remote.test"], b"Subject: x\\n\\nhi\\n",
                             extra=["XRET=HDRS"], rcpt_extra={"u@remote.test": ["XNOTIFY=SUCCESS"]})
    r[0]["v"], r[0]["text"], r[0]["x"]["XDIAG"]

The framing is skalibs' unixmessage: a 6-byte header (uint32 body
length, uint16 fd count, big endian) then the body; the queue file's fd
rides SCM_RIGHTS (docs/internals.md, "Routing and remote.sock").

Client(s)                 connect to $PH_RUN_DIR/remote.sock of a phtest Suite
  .deliver(sender, rcpts, message, extra=(), rcpt_extra=None)
                          one request; returns one dict per recipient:
                          {"v": "K"|"Z"|"D", "text": verdict text,
                           "x": {"XDIAG": ..., "XREMOTEMTA": ..., ...}},
                          or None if the server closed the connection
  .send(fields, fds)      a raw request (a list of bytes fields)
  .reply()                read one reply as above
  .closed()               True once the server closed the connection
deliver(s, ...)           a Client for one request
message_fd(bytes)         a read-only fd on an unlinked file with the
                          message, positioned at its end (the server
                          must pread from offset 0)
qid()                     a fresh valid queue id
"""

import os
import secrets
import socket
import struct
import tempfile


def qid():
    return secrets.token_hex(8)


def message_fd(message):
    fd, path = tempfile.mkstemp(prefix="remote-msg.")
    os.write(fd, message)
    os.close(fd)
    rfd = os.open(path, os.O_RDONLY)
    os.unlink(path)
    os.lseek(rfd, 0, os.SEEK_END)
    return rfd


class Client:
    def __init__(self, s, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(s.env["PH_RUN_DIR"] + "/remote.sock")

    def send(self, fields, fds=()):
        body = b"".join(f + b"\0" for f in fields)
        data = struct.pack(">IH", len(body), len(fds)) + body
        if fds:
            n = socket.send_fds(self.sock, [data], list(fds))
            self.sock.sendall(data[n:])
        else:
            self.sock.sendall(data)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def reply(self):
        hdr = self._exact(6)
        if hdr is None:
            return None
        length, nfds = struct.unpack(">IH", hdr)
        assert nfds == 0, "reply carries fds"
        body = self._exact(length)
        assert body is not None and body.endswith(b"\0"), body
        out, x = [], {}
        for f in body[:-1].split(b"\0"):
            f = f.decode()
            if f[0] == "X":
                k, _, v = f.partition("=")
                x[k] = v
            else:
                assert f[0] in "KZD", f
                out.append({"v": f[0], "text": f[1:], "x": x})
                x = {}
        assert not x, "X fields after the last verdict"
        return out

    def deliver(self, sender, rcpts, message, extra=(), rcpt_extra=None):
        fields = [b"I" + qid().encode(), b"F" + sender.encode()]
        for r in rcpts:
            fields.append(b"T" + r.encode())
            for e in (rcpt_extra or {}).get(r, ()):
                fields.append(e.encode())
        fields += [e.encode() for e in extra]
        fd = message_fd(message)
        try:
            self.send(fields, [fd])
        finally:
            os.close(fd)
        return self.reply()

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.sock.close()


def deliver(s, sender, rcpts, message, **kw):
    c = Client(s)
    try:
        return c.deliver(sender, rcpts, message, **kw)
    finally:
        c.close()
