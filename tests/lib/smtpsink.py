"""smtpsink: a scripted SMTP server on loopback for testing SMTP clients.

    import smtpsink

    sink = smtpsink.SMTPSink(ip="127.0.0.2").start()   # port 0: a free one
    other = smtpsink.SMTPSink(ip="127.0.0.3", port=sink.port).start()
    sink.replies["RCPT"] = "451 4.3.0 try later"       # every RCPT
    sink.rcpt_replies["bad@x.test"] = "550 5.1.1 no such user"
    sink.replies["DATA_END"] = smtpsink.HANG           # never answer the dot
    msgs = sink.wait_messages(1, timeout=10)
    msgs[0].raw          # the bytes after 354 up to and including ".\r\n" (or the BDAT chunks)
    msgs[0].data         # the same, dot-stuffing removed, without the final "."
    sink.sessions[0].transcript    # [("S", b"220 ..."), ("C", b"EHLO ..."), ...]
    sink.stop()

Constructor: SMTPSink(ip="127.0.0.1", port=0, name="sink.test",
        ehlo=DEFAULT_EHLO, replies=None, rcpt_replies=None, auth=None,
        require_auth=False, tls=False, pipeline_wait=0.0)
  ehlo           the EHLO keywords offered, one per 250 line
                 (("PIPELINING", "SIZE 1000", "CHUNKING", ...)); "STARTTLS"
                 and "AUTH PLAIN LOGIN" are added by tls= and auth=
  replies        {command: reply} overriding the defaults; commands:
                 "GREETING", "EHLO", "HELO", "MAIL", "RCPT", "DATA" (the
                 354 or a refusal), "DATA_END" (after the dot, or after
                 BDAT LAST), "BDAT" (an intermediate chunk), "RSET",
                 "QUIT", "NOOP", "AUTH" (the final answer to a good login),
                 "STARTTLS". A reply is a string (several lines: separate
                 them with "\\n"; the sink writes CR LF and the "-"
                 continuation marks), a callable(session, arg) returning
                 one, or HANG (never answer, keep the connection open) or
                 CLOSE (drop the connection without a word).
  rcpt_replies   {address (lower case): reply} for RCPT TO of that address
  auth           {user: password}: offer AUTH PLAIN LOGIN and check them
  require_auth   refuse MAIL with 530 5.7.0 until AUTH succeeded
  tls            offer STARTTLS, with a self-signed certificate made by
                 the openssl command at start() (python's ssl module)
  tls_cert       (chain.pem, key.pem): offer STARTTLS with this certificate
                 instead (e.g. one signed by a test CA)
  tls_fail       offer STARTTLS, answer 220, then answer the ClientHello
                 with plaintext garbage and close (a failed handshake)
  ehlo_tls       EHLO keywords offered only inside TLS (("REQUIRETLS",))
  pipeline_wait  seconds to wait for more input before answering a
                 command; the commands that arrived together form one
                 batch in session.batches (to see RFC 2920 pipelining)

Attributes after start(): port, sessions (one Session per connection:
  transcript, batches, messages, auth_user, tls, tls_version, tls_sni
  (the name the client asked for, or None), tls_error (why a handshake
  failed, or None), closed), messages (every
  Message accepted, all sessions), connections (count).
Message: mail_from, mail_params, rcpts [(address, params)], raw, data,
  via ("DATA" or "BDAT"), session.
Helpers: wait_messages(n, timeout), wait_sessions(n, timeout).
"""

import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time

HANG = object()
CLOSE = object()

DEFAULT_EHLO = ("PIPELINING", "SIZE 10240000", "8BITMIME", "SMTPUTF8", "DSN",
                "ENHANCEDSTATUSCODES")

DEFAULTS = {
    "GREETING": None,            # "220 <name> ESMTP smtpsink"
    "HELO": None,                # "250 <name>"
    "MAIL": "250 2.1.0 Ok",
    "RCPT": "250 2.1.5 Ok",
    "DATA": "354 End data with <CR><LF>.<CR><LF>",
    "DATA_END": "250 2.0.0 Ok: queued as SINK{n}",
    "BDAT": "250 2.0.0 {size} octets received",
    "RSET": "250 2.0.0 Ok",
    "NOOP": "250 2.0.0 Ok",
    "QUIT": "221 2.0.0 Bye",
    "AUTH": "235 2.7.0 Authentication successful",
    "STARTTLS": "220 2.0.0 Ready to start TLS",
}

LINE_MAX = 4096


class _Closed(Exception):
    pass


class Message:
    def __init__(self, session, mail_from, mail_params, rcpts, raw, data, via):
        self.session = session
        self.mail_from = mail_from
        self.mail_params = mail_params
        self.rcpts = rcpts
        self.raw = raw
        self.data = data
        self.via = via

    def __repr__(self):
        return "Message(from=%r, rcpts=%r, %d bytes via %s)" % (self.mail_from, self.rcpts, len(self.raw), self.via)


class Session:
    def __init__(self, sink, sock, peer):
        self.sink = sink
        self.sock = sock
        self.peer = peer
        self.transcript = []
        self.batches = []
        self.messages = []
        self.auth_user = None
        self.tls = False
        self.tls_version = None
        self.tls_sni = None
        self.tls_error = None
        self.closed = False
        self._buf = b""
        self._batch = []
        self._pending = []

    # ---- I/O

    def _recv(self, timeout=None):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        except (OSError, ssl.SSLError):
            data = b""
        if not data:
            raise _Closed()
        self._buf += data
        return data

    def _more_input_soon(self):
        if self._buf:
            return True
        if self.sink.pipeline_wait <= 0:
            return False
        return self._recv(self.sink.pipeline_wait) is not None

    def _flush(self):
        if self._pending:
            try:
                self.sock.sendall(b"".join(self._pending))
            except OSError:
                raise _Closed()
            self._pending = []
        if self._batch:
            self.batches.append(self._batch)
            self._batch = []

    def reply(self, text, flush_now=False):
        lines = text.split("\n")
        out = []
        for i, line in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out.append("%s%s%s" % (line[:3], sep, line[4:]))
        for line in out:
            self.transcript.append(("S", line.encode()))
        self._pending.append(("\r\n".join(out) + "\r\n").encode())
        if flush_now or not self._more_input_soon():
            self._flush()

    def readline(self):
        while b"\r\n" not in self._buf:
            if len(self._buf) > LINE_MAX:
                raise _Closed()
            self._flush()
            self._recv()
        line, self._buf = self._buf.split(b"\r\n", 1)
        self.transcript.append(("C", line))
        return line

    def read_exact(self, n):
        while len(self._buf) < n:
            self._flush()
            self._recv()
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def read_data(self):
        """The raw DATA bytes up to and including the final .CRLF."""
        while True:
            if self._buf.startswith(b".\r\n"):
                end = 0
                break
            i = self._buf.find(b"\r\n.\r\n")
            if i >= 0:
                end = i + 2
                break
            self._flush()
            self._recv()
        raw, self._buf = self._buf[:end + 3], self._buf[end + 3:]
        return raw


class SMTPSink:
    def __init__(self, ip="127.0.0.1", port=0, name="sink.test", ehlo=DEFAULT_EHLO,
                 replies=None, rcpt_replies=None, auth=None, require_auth=False,
                 tls=False, pipeline_wait=0.0, tls_cert=None, tls_fail=False, ehlo_tls=()):
        self.ip = ip
        self.name = name
        self.ehlo = list(ehlo)
        self.replies = dict(replies or {})
        self.rcpt_replies = {k.lower(): v for k, v in (rcpt_replies or {}).items()}
        self.auth = dict(auth or {})
        self.require_auth = require_auth
        self.tls = bool(tls or tls_cert or tls_fail)
        self.tls_cert = tls_cert
        self.tls_fail = tls_fail
        self.ehlo_tls = list(ehlo_tls)
        self.pipeline_wait = pipeline_wait
        self.sessions = []
        self.messages = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self._ssl = None
        self._tmp = None
        self._lsock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind((ip, port))
        self._lsock.listen(32)
        self.port = self._lsock.getsockname()[1]

    # ---- life cycle

    def start(self):
        if self.tls_cert:
            cert, key = self.tls_cert
        elif self.tls:
            self._tmp = tempfile.mkdtemp(prefix="smtpsink.")
            cert, key = os.path.join(self._tmp, "cert.pem"), os.path.join(self._tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                            "-out", cert, "-days", "2", "-subj", "/CN=" + self.name],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.tls:
            self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ssl.load_cert_chain(str(cert), str(key))

            def on_sni(sslsock, name, ctx):
                sslsock.smtpsink_sni = name
            self._ssl.sni_callback = on_sni
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        try:
            self._lsock.close()
        except OSError:
            pass
        with self._lock:
            sessions = list(self.sessions)
        for s in sessions:
            try:
                s.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.sock.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(2)
        if self._tmp:
            subprocess.run(["rm", "-rf", self._tmp])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- waiting

    def wait_messages(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.02)
        with self._lock:
            return list(self.messages)

    def wait_sessions(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.sessions) >= n:
                    return list(self.sessions)
            time.sleep(0.02)
        with self._lock:
            return list(self.sessions)

    # ---- serving

    def _accept_loop(self):
        self._lsock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                sock, peer = self._lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            s = Session(self, sock, peer)
            with self._lock:
                self.sessions.append(s)
                self.connections += 1
            t = threading.Thread(target=self._serve, args=(s,), daemon=True)
            t.start()
            self._threads.append(t)

    def _answer(self, s, key, arg="", fmt=None):
        """Answers a command with its configured reply; False if the
        session must end (HANG, CLOSE)."""
        return self._emit(s, key, self.replies.get(key, DEFAULTS.get(key)), arg, fmt)

    def _resolve(self, key, s, arg):
        r = self.replies.get(key, DEFAULTS.get(key))
        if callable(r) and r is not HANG and r is not CLOSE:
            r = r(s, arg)
        return r

    def _emit(self, s, key, r, arg="", fmt=None, flush_now=False):
        if callable(r) and r is not HANG and r is not CLOSE:
            r = r(s, arg)
        if r is HANG:
            s._flush()
            while not self._stop.is_set():
                try:
                    s._recv(0.2)
                except _Closed:
                    break
            return False
        if r is CLOSE:
            s._flush()
            return False
        if fmt:
            r = r.format(**fmt)
        s._batch.append(key)
        s.reply(r, flush_now)
        return True

    def _ehlo_reply(self, s, arg):
        if "EHLO" in self.replies:
            return self._answer(s, "EHLO", arg)
        lines = ["250 %s" % self.name] + ["250 " + k for k in self.ehlo]
        if self.tls and not s.tls:
            lines.append("250 STARTTLS")
        if self.auth:
            lines.append("250 AUTH PLAIN LOGIN")
        if s.tls:
            lines += ["250 " + k for k in self.ehlo_tls]
        s._batch.append("EHLO")
        s.reply("\n".join(lines))
        return True

    def _auth(self, s, arg):
        import base64
        parts = arg.split(" ", 1)
        mech = parts[0].upper()
        try:
            if mech == "PLAIN":
                resp = parts[1] if len(parts) > 1 else None
                if resp is None:
                    s.reply("334 ", flush_now=True)
                    resp = s.readline().decode()
                _, user, pw = base64.b64decode(resp).split(b"\0")
            elif mech == "LOGIN":
                s.reply("334 VXNlcm5hbWU6", flush_now=True)
                user = base64.b64decode(s.readline())
                s.reply("334 UGFzc3dvcmQ6", flush_now=True)
                pw = base64.b64decode(s.readline())
            else:
                s.reply("504 5.5.4 Unrecognized authentication type")
                return True
        except (ValueError, IndexError):
            s.reply("501 5.5.2 Cannot decode response")
            return True
        user, pw = user.decode(errors="replace"), pw.decode(errors="replace")
        if self.auth.get(user) == pw:
            s.auth_user = user
            return self._answer(s, "AUTH", arg)
        s.reply("535 5.7.8 Authentication credentials invalid")
        return True

    def _serve(self, s):
        try:
            greeting = self.replies.get("GREETING")
            if greeting is None:
                greeting = "220 %s ESMTP smtpsink" % self.name
            if not self._emit(s, "GREETING", greeting, flush_now=True):
                return
            mail = None
            rcpts = []
            nmsg = 0
            while not self._stop.is_set():
                line = s.readline().decode("utf-8", errors="replace")
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    mail, rcpts = None, []
                    if not self._ehlo_reply(s, arg):
                        return
                elif verb == "HELO":
                    mail, rcpts = None, []
                    if "HELO" not in self.replies:
                        s._batch.append("HELO")
                        s.reply("250 %s" % self.name)
                    elif not self._answer(s, "HELO", arg):
                        return
                elif verb == "STARTTLS" and self.tls and not s.tls:
                    r = self._resolve("STARTTLS", s, arg)
                    if not self._emit(s, "STARTTLS", r, arg):
                        return
                    if not (isinstance(r, str) and r.startswith("220")):
                        continue      # refused (454 ...): the session goes on in clear
                    s._flush()
                    s._buf = b""
                    if self.tls_fail:
                        # wait for the ClientHello, so that the garbage
                        # reaches the client's handshake, not its 220
                        s.tls_error = "tls_fail: no handshake"
                        s.sock.settimeout(10)
                        try:
                            s.sock.recv(65536)
                            s.sock.sendall(b"this is not a TLS handshake\r\n")
                        except OSError:
                            pass
                        raise _Closed()
                    try:
                        s.sock = self._ssl.wrap_socket(s.sock, server_side=True)
                    except (ssl.SSLError, OSError) as e:
                        s.tls_error = str(e)
                        raise _Closed()
                    s.tls = True
                    s.tls_version = s.sock.version()
                    s.tls_sni = getattr(s.sock, "smtpsink_sni", None)
                    mail, rcpts = None, []
                elif verb == "AUTH" and self.auth:
                    if not self._auth(s, arg):
                        return
                elif verb == "MAIL":
                    if self.require_auth and not s.auth_user:
                        s._batch.append("MAIL")
                        s.reply("530 5.7.0 Authentication required")
                        continue
                    addr, params = _path(arg, "FROM:")
                    r = self._resolve("MAIL", s, arg)
                    if not self._emit(s, "MAIL", r, arg):
                        return
                    if isinstance(r, str) and r.startswith("2"):
                        mail, rcpts = (addr, params), []
                elif verb == "RCPT":
                    addr, params = _path(arg, "TO:")
                    if mail is None:
                        s._batch.append("RCPT")
                        s.reply("503 5.5.1 Error: need MAIL command")
                        continue
                    r = self.rcpt_replies.get(addr.lower())
                    if r is None:
                        r = self.replies.get("RCPT", DEFAULTS["RCPT"])
                    if callable(r) and r is not HANG and r is not CLOSE:
                        r = r(s, arg)
                    if not self._emit(s, "RCPT", r, arg):
                        return
                    if isinstance(r, str) and r.startswith("2"):
                        rcpts.append((addr, params))
                elif verb == "DATA":
                    if mail is None or not rcpts:
                        s._batch.append("DATA")
                        s.reply("554 5.5.1 Error: no valid recipients")
                        continue
                    r = self._resolve("DATA", s, arg)
                    if not self._emit(s, "DATA", r, arg):
                        return
                    if not (isinstance(r, str) and r.startswith("354")):
                        continue
                    s._flush()
                    raw = s.read_data()
                    data = _unstuff(raw)
                    nmsg += 1
                    self._done(s, mail, rcpts, raw, data, "DATA", nmsg)
                    if not self._answer(s, "DATA_END", "", {"n": nmsg, "size": len(raw)}):
                        return
                    mail, rcpts = None, []
                elif verb == "BDAT":
                    words = arg.split()
                    size = int(words[0])
                    last = len(words) > 1 and words[1].upper() == "LAST"
                    chunk = s.read_exact(size)
                    s.transcript.append(("C", b"<%d bytes>" % size))
                    if mail is None or not rcpts:
                        s._batch.append("BDAT")
                        s.reply("503 5.5.1 Error: no valid recipients")
                        continue
                    s._bdat = getattr(s, "_bdat", b"") + chunk
                    if not last:
                        if not self._answer(s, "BDAT", arg, {"size": size}):
                            return
                        continue
                    raw, s._bdat = s._bdat, b""
                    nmsg += 1
                    self._done(s, mail, rcpts, raw, raw, "BDAT", nmsg)
                    if not self._answer(s, "DATA_END", "", {"n": nmsg, "size": len(raw)}):
                        return
                    mail, rcpts = None, []
                elif verb == "RSET":
                    mail, rcpts = None, []
                    s._bdat = b""
                    if not self._answer(s, "RSET", arg):
                        return
                elif verb == "NOOP":
                    if not self._answer(s, "NOOP", arg):
                        return
                elif verb == "QUIT":
                    self._answer(s, "QUIT", arg)
                    s._flush()
                    return
                else:
                    s._batch.append(verb)
                    s.reply("502 5.5.2 Error: command not recognized")
        except _Closed:
            pass
        except OSError:
            pass
        finally:
            try:
                s._flush()
            except _Closed:
                pass
            s.closed = True
            try:
                s.sock.close()
            except OSError:
                pass

    def _done(self, s, mail, rcpts, raw, data, via, n):
        m = Message(s, mail[0], mail[1], list(rcpts), raw, data, via)
        s.messages.append(m)
        with self._lock:
            self.messages.append(m)


def _path(arg, prefix):
    """("address", "params") from "FROM:<a@b> SIZE=1"."""
    if arg.upper().startswith(prefix):
        arg = arg[len(prefix):]
    arg = arg.strip()
    if arg.startswith("<"):
        end = arg.find(">")
        if end >= 0:
            return arg[1:end], arg[end + 1:].strip()
    addr, _, params = arg.partition(" ")
    return addr, params.strip()


def _unstuff(raw):
    """DATA bytes without the final .CRLF, leading dots of lines undoubled."""
    body = raw[:-3]
    out = []
    for line in body.split(b"\r\n"):
        out.append(line[1:] if line.startswith(b".") else line)
    return b"\r\n".join(out)
