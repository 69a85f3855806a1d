"""Helpers shared by the queue tests (test_queue*.py): an injection
client, a scripted delivery agent on deliverd.sock or remote.sock (the
real service is stopped meanwhile), queue files by hand, log waits."""

import array
import os
import pathlib
import pwd
import re
import secrets
import socket
import struct
import subprocess
import sys
import threading
import time

# ---------------------------------------------------------------- helpers

def ns(b):
    return b"%d:%s," % (len(b), b)


def envelope(sender, rcpts, extra=()):
    out = ns(b"F" + sender.encode())
    for r in rcpts:
        out += ns(b"T" + r.encode())
    for e in extra:
        out += ns(e)
    return out + ns(b"")


def message(body):
    out = b""
    for i in range(0, len(body), 65536):
        out += ns(body[i:i + 65536])
    return out + ns(b"")


class Injector:
    """A client of inject.sock speaking the netstring protocol."""

    def __init__(self, s):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(s.env["PH_RUN_DIR"] + "/inject.sock")
        self.buf = b""

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def answer(self):
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(4096)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def inject(self, sender, rcpts, body, extra=()):
        self.send(envelope(sender, rcpts, extra) + message(body))
        return self.answer()

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def inject(s, sender, rcpts, body, extra=()):
    c = Injector(s)
    try:
        return c.inject(sender, rcpts, body, extra)
    finally:
        c.close()


class FakeDeliverd:
    """The server side of docs/internals.md "Delivery": skalibs
    unixmessage frames (uint32 length, uint16 fd count, big endian, the
    fds riding SCM_RIGHTS on the first bytes), one request at a time per
    connection. rule(qid, sender, rcpt, body) returns the reply fields."""

    def __init__(self, path, rule):
        self.path = path
        self.rule = rule
        self.requests = []
        self.lock = threading.Lock()
        self.conns = []
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(64)
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _exact(c, n, fds):
        buf = b""
        while len(buf) < n:
            try:
                data, anc, _, _ = c.recvmsg(n - len(buf), socket.CMSG_SPACE(16))
            except OSError:
                return None
            if not data:
                return None
            for level, typ, d in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(d[:len(d) - len(d) % a.itemsize])
                    fds.extend(a)
            buf += data
        return buf

    def _serve(self, c):
        while True:
            fds = []
            head = self._exact(c, 6, fds)
            if head is None:
                break
            length, nfds = struct.unpack(">IH", head)
            body = self._exact(c, length, fds) if length else b""
            if body is None:
                break
            fields = body[:-1].split(b"\0")
            kv = {}
            for f in fields:
                kv.setdefault(f[:1], f[1:].decode(errors="replace"))
            rcpts = [f[1:].decode(errors="replace") for f in fields if f[:1] == b"T"]
            content = b""
            if len(fds) == 1:
                while True:
                    chunk = os.pread(fds[0], 65536, len(content))
                    if not chunk:
                        break
                    content += chunk
            for fd in fds:
                os.close(fd)
            req = {"qid": kv.get(b"I"), "from": kv.get(b"F"), "rcpt": kv.get(b"T"),
                   "rcpts": rcpts, "body": content, "nfds": nfds, "fields": fields}
            with self.lock:
                self.requests.append(req)
            reply = self.rule(req)
            if reply is None:      # hang up without answering
                break
            out = b"".join(f + b"\0" for f in reply)
            try:
                c.sendall(struct.pack(">IH", len(out), 0) + out)
            except OSError:
                break
        c.close()

    def seen(self, rcpt=None, qid=None):
        with self.lock:
            return [r for r in self.requests
                    if (rcpt is None or r["rcpt"] == rcpt) and (qid is None or r["qid"] == qid)]

    def close(self):
        # Wake the accepting thread and wait for it before closing: a
        # thread still blocked in accept() on a closed fd number would
        # take the connections of the next socket given that number.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.acceptor.join(5)
        assert not self.acceptor.is_alive(), "fake deliverd's accept thread did not stop"
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


RAW_CLIENT = ("import socket,sys\n"
              "c=socket.socket(socket.AF_UNIX);c.settimeout(30);c.connect(sys.argv[1])\n"
              # a refusing injector answers and closes without reading:
              # the send may then fail (EPIPE), the answer is still there
              "try: c.sendall(sys.stdin.buffer.read())\n"
              "except (BrokenPipeError, ConnectionResetError): pass\n"
              "b=b''\n"
              "while not b.endswith(b'\\n'):\n"
              "  try: x=c.recv(100)\n"
              "  except ConnectionResetError: break\n"
              "  if not x: break\n"
              "  b+=x\n"
              "sys.stdout.write(b.decode())\n")


def inject_as(s, user, data):
    """Sends data to inject.sock from a process of uid user; the answer."""
    r = subprocess.run([sys.executable, "-c", RAW_CLIENT, s.env["PH_RUN_DIR"] + "/inject.sock"], user=user,
                       input=data, stdout=subprocess.PIPE, timeout=60)
    return r.stdout.decode()


def svc(s, name, up):
    """s.up(name) or s.down(name): down also ends the per-connection
    children that outlive their server, so queued's open connections go
    where the test wants."""
    if up:
        s.up(name)
    else:
        s.down(name)


class Scripted:
    """with Scripted(s, rule) as fake: the real deliverd (or, with
    service="remote", deliverd-remote) is down and fake answers on its
    socket."""

    def __init__(self, s, rule=None, service="deliverd"):
        self.s = s
        self.rule = rule or (lambda req: [b"K2.0.0 delivered"])
        self.service = service
        self.sock = "remote.sock" if service == "remote" else "deliverd.sock"

    def __enter__(self):
        svc(self.s, self.service, False)
        self.fake = FakeDeliverd(self.s.env["PH_RUN_DIR"] + "/" + self.sock, lambda req: self.rule(req))
        return self.fake

    def __exit__(self, *exc):
        self.fake.close()
        svc(self.s, self.service, True)
        return False


def qdir(s):
    return pathlib.Path(s.env["PH_QUEUE_DIR"])


def records(data):
    """Parses queue records T<len>:<data>, ; returns [(type, data)], and
    whether the input ended exactly after a record."""
    out = []
    i = 0
    while i < len(data):
        t = data[i:i + 1]
        j = data.index(b":", i)
        n = int(data[i + 1:j])
        out.append((t.decode(), data[j + 1:j + 1 + n]))
        assert data[j + 1 + n:j + 2 + n] == b",", "bad record at %d" % i
        i = j + 2 + n
    return out


def queued_envelope(s, qid, timeout=10):
    """The env records of a message still in the queue (incoming/ or
    queue/; root reads it), values decoded as UTF-8: [(type, str)]."""
    def find():
        for d in ("incoming", "queue"):
            try:
                recs = records((qdir(s) / d / qid / "env").read_bytes())
                return [(t, v.decode("utf-8")) for t, v in recs]
            except FileNotFoundError:
                pass
        return None
    env = s.wait_for(find, timeout)
    assert env, "no envelope for %s in the queue" % qid
    return env


def log_count(s, service, pattern):
    return len(re.findall(pattern, s.log(service), re.M))


def wait_log(s, service, pattern, timeout=30):
    return s.wait_for(lambda: re.search(pattern, s.log(service), re.M), timeout, 0.1)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chown_tree(path, user="phqueue"):
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


def rec(t, data):
    return t.encode() + b"%d:%s," % (len(data), data)


def craft(s, where, qid, sender, rcpts, body, arrival=None, state=None, env_tail=b"E0:,"):
    """Writes a message directory by hand, as queued-inject would."""
    d = qdir(s) / where / qid
    d.mkdir(mode=0o700)
    (d / "mess").write_bytes(body)
    env = rec("V", b"1") + rec("I", qid.encode()) + rec("W", str(int(arrival or time.time())).encode())
    env += rec("F", sender.encode()) + b"".join(rec("T", r.encode()) for r in rcpts)
    env += rec("S", str(len(body)).encode()) + env_tail
    (d / "env").write_bytes(env)
    if state is not None:
        (d / "state").write_bytes(state)
    chown_tree(d)
    return d


def new_qid():
    return "T" + secrets.token_hex(8)


