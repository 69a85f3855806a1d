"""Helpers shared by the mail-access tests (IMAP and POP3: imapd, pop3d
and their sessions; docs/internals.md, "Mail access").

  tls_context(s)          trusts the suite's demo certificate
  LineClient(s, port)     a raw line client over plain TCP or TLS
  set_env(s, name, val)   edits mailserver.env (read per connection)
  wait_log(s, svc, rx)    waits for a log line matching rx
  run_as(uid, fn)         runs fn() in a child under that uid
  procs_of(exe)           the pids running that executable
  memory_holds(pid, ...)  does a process's writable memory hold a secret?
"""

import os
import pathlib
import pwd
import re
import socket
import ssl

from smtpraw import SocketReader


def tls_context(s):
    ctx = ssl.create_default_context()
    certs = list((s.state / "config" / "ssl").glob("*-cert.pem"))
    assert certs, "no demo certificate"
    ctx.load_verify_locations(str(certs[0]))
    ctx.check_hostname = False
    return ctx


class LineClient(SocketReader):
    """A line-oriented client of the suite's listener named port, over
    a plain or TLS socket; the protocol's own words are the
    subclass's."""

    def __init__(self, s, port, tls=False):
        self.suite = s
        sock = socket.create_connection(("127.0.0.1", s.port(port)), timeout=20)
        if tls:
            sock = tls_context(s).wrap_socket(sock)
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def rawline(self, timeout=20):
        """The next line, bytes, with its line end."""
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("connection closed; buffered %r" % self.buf)
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def line(self, timeout=20):
        """The next line, text, without CRLF."""
        return self.rawline(timeout).rstrip(b"\r\n").decode(errors="replace")

    def starttls(self):
        """TLS on the same socket, once the server said to begin: what was
        read in clear is dropped."""
        self.sock = tls_context(self.suite).wrap_socket(self.sock)
        self.buf = b""


def set_env(s, name, value):
    """NAME=value in mailserver.env (imapd and pop3d read it per
    connection); value None removes it."""
    p = s.state / "config" / "mailserver.env"
    lines = [ln for ln in p.read_text().splitlines() if not ln.startswith(name + "=")]
    if value is not None:
        lines.append("%s=%s" % (name, value))
    p.write_text("\n".join(lines) + "\n")


def wait_log(s, service, pattern, timeout=10):
    rx = re.compile(pattern)
    return s.wait_for(lambda: rx.search(s.log(service)), timeout)


def run_as(uid, fn):
    """Runs fn() in a child with that uid (and its group); returns its
    result string ("exception ..." when it raised)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = "error"
        try:
            gid = pwd.getpwuid(uid).pw_gid
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            out = fn()
        except BaseException as e:  # noqa: BLE001 — reported to the parent
            out = "exception %s: %s" % (type(e).__name__, e)
        finally:
            os.write(w, out.encode())
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        d = os.read(r, 65536)
        if not d:
            break
        chunks.append(d)
    os.close(r)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def procs_of(exe):
    """pids (strings) of the processes running the program exe."""
    out = []
    for p in pathlib.Path("/proc").iterdir():
        try:
            if p.name.isdigit() and os.readlink(str(p / "exe")) == exe:
                out.append(p.name)
        except OSError:
            pass
    return out


def memory_where(pid, needles):
    """The name of the first writable mapping of process pid holding any
    of needles (bytes), or None. Read as root."""
    with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for ln in maps:
            f = ln.split()
            if "w" not in f[1]:
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if hi - lo > 1 << 28:  # ASan's shadow, not our data
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            if any(n in data for n in needles):
                return f[-1]
    return None


def memory_holds(pid, needle):
    """Does any writable mapping of process pid hold needle?"""
    return memory_where(pid, [needle]) is not None
