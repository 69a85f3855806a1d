"""unixmsgclient: queued's side of a delivery socket (deliverd.sock,
remote.sock), for the tests that stand in for queued.

The framing is skalibs' unixmessage: a 6-byte header (uint32 body
length, uint16 fd count, big endian) then the body, the fds riding
SCM_RIGHTS on the first bytes; request and reply bodies are text0 fields
(docs/internals.md, "Delivery" and "Routing and remote.sock").

Client(path, timeout)     connect to the Unix socket at path
  .send(fields, fds, length=None)
                          a request: a list of bytes fields (each gets its
                          NUL), fds, and a header length other than the
                          body's when length is given
  .fields()               one reply's fields (bytes, without their NULs),
                          or None if the server closed the connection
  .closed()               True once the server closed the connection
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


def message_fd(message, prefix="phtest-msg."):
    fd, path = tempfile.mkstemp(prefix=prefix)
    os.write(fd, message)
    os.close(fd)
    rfd = os.open(path, os.O_RDONLY)
    os.unlink(path)
    os.lseek(rfd, 0, os.SEEK_END)
    return rfd


class Client:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)

    def send(self, fields, fds=(), length=None):
        body = b"".join(f + b"\0" for f in fields)
        data = struct.pack(">IH", len(body) if length is None else length, len(fds)) + body
        if fds:
            n = socket.send_fds(self.sock, [data], list(fds))
            # no empty send after the whole request: a server that has
            # already refused it and closed would make that an EPIPE
            if n < len(data):
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

    def fields(self):
        """The reply's text0 fields, or None if the server closed."""
        hdr = self._exact(6)
        if hdr is None:
            return None
        length, nfds = struct.unpack(">IH", hdr)
        assert nfds == 0, "reply carries %d fds" % nfds
        body = self._exact(length)
        assert body is not None and body.endswith(b"\0"), body
        return body[:-1].split(b"\0")

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()
