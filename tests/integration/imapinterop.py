"""Helpers shared by the IMAP interop tests (test_imap_mbsync, test_imap_mutt,
test_imap_migration, test_imap_concurrency): TLS to the suite's IMAP
ports with the demo certificate, imaplib sessions that keep a transcript
(so a failure names the exact exchange), a small raw client for IDLE,
SMTP delivery to the demo account, and snapshots of a whole account's
IMAP-visible state.

The suite's certificate is self-signed for mail.example.test (mailctl tls
selfsigned, DNS name only): the clients connect to 127.0.0.1 and check
the certificate against that name and that file.
"""

import datetime
import hashlib
import imaplib
import pathlib
import re
import select
import smtplib
import socket
import ssl
import time

DEMO = "demo@example.test"
TLS_NAME = "mail.example.test"


def cert_file(s):
    return s.state / "config" / "ssl" / ("%s-cert.pem" % TLS_NAME)


def tls_context(s):
    ctx = ssl.create_default_context(cafile=str(cert_file(s)))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class Transcript:
    """The last lines sent and received, for failure messages."""

    def __init__(self, keep=60):
        self.lines = []
        self.keep = keep

    def add(self, who, data):
        for line in data.splitlines() or [b""]:
            self.lines.append("%s: %s" % (who, line[:300].decode("utf-8", "replace")))
        del self.lines[:-self.keep]

    def tail(self, n=12):
        return " | ".join(self.lines[-n:])


class _Recording:
    def _rec_init(self):
        self.transcript = Transcript()

    def send(self, data):
        self.transcript.add("C", data)
        super().send(data)

    def readline(self):
        line = super().readline()
        self.transcript.add("S", line)
        return line

    def check(self, what, result):
        """result = (typ, data) from an imaplib call; OK or AssertionError
        with the exchange."""
        typ, data = result
        if typ != "OK":
            raise AssertionError("%s: %s %r; exchange: %s" % (what, typ, data, self.transcript.tail()))
        return data


class IMAP4(_Recording, imaplib.IMAP4):
    """imaplib to 127.0.0.1 that names mail.example.test in STARTTLS."""

    def __init__(self, port, timeout=30):
        self._rec_init()
        super().__init__(TLS_NAME, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection(("127.0.0.1", self.port), timeout)


class IMAP4_SSL(_Recording, imaplib.IMAP4_SSL):
    def __init__(self, port, ssl_context, timeout=30):
        self._rec_init()
        super().__init__(TLS_NAME, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def require_imap(s):
    """The IMAP services are in the suite (package/mkruntime leaves a
    service out while its programs are not built)."""
    svc = getattr(s, "state", None)
    if svc is None or not (svc / "service").is_dir():
        return
    missing = [n for n in ("imap", "imaps", "imap-session") if not (svc / "service" / n).is_dir()]
    if missing:
        raise AssertionError("IMAP services not in the suite: %s (mkruntime leaves out a service whose programs "
                             "are not built; see package/service/*/requires)" % " ".join(missing))


def session(s, port="imap", user=DEMO, password=None):
    """A logged-in imaplib session: STARTTLS on "imap", implicit TLS on
    "imaps"."""
    require_imap(s)
    if port == "imaps":
        c = IMAP4_SSL(s.port("imaps"), tls_context(s))
    else:
        c = IMAP4(s.port(port))
        c.check("STARTTLS", c.starttls(tls_context(s)))
    c.check("LOGIN", c.login(user, s.password if password is None else password))
    return c


def resolving_tls_name(argv, tmpdir):
    """argv run so that mail.example.test resolves to 127.0.0.1: in a
    private mount namespace (unshare -m, root) with a hosts file of
    our own bound over /etc/hosts, so an external client (mbsync, mutt)
    checks the certificate against its real name, and nothing outside
    the namespace changes."""
    hosts = pathlib.Path(tmpdir) / "hosts"
    hosts.write_text("127.0.0.1 localhost %s\n" % TLS_NAME)
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)] + [str(a) for a in argv]


# ---- a raw client: exact bytes, IDLE, literals

class Raw:
    """A line-level IMAP client over TLS with its own buffer, so that IDLE
    can wait for untagged responses with a deadline (imaplib's file
    object is unusable after one timeout)."""

    def __init__(self, s, port="imap", user=DEMO, password=None):
        require_imap(s)
        self.transcript = Transcript()
        self.sock = socket.create_connection(("127.0.0.1", s.port(port)), timeout=30)
        self.buf = b""
        self.n = 0
        if port == "imaps":
            self.sock = tls_context(s).wrap_socket(self.sock, server_hostname=TLS_NAME)
        self.greeting = self.line(10)
        if port != "imaps":
            self.command("STARTTLS")
            self.sock = tls_context(s).wrap_socket(self.sock, server_hostname=TLS_NAME)
        self.command('LOGIN "%s" "%s"' % (user, s.password if password is None else password))

    def send(self, data):
        self.transcript.add("C", data)
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if not (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return False
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(30)
        if not data:
            raise AssertionError("connection closed by the server; exchange: %s" % self.transcript.tail())
        self.buf += data
        return True

    def line(self, timeout=30):
        """One response with its literals inlined, or None at the
        deadline."""
        deadline = time.monotonic() + timeout
        out = b""
        while True:
            i = self.buf.find(b"\r\n")
            while i < 0:
                if not self._fill(deadline):
                    return None
                i = self.buf.find(b"\r\n")
            part, self.buf = self.buf[:i + 2], self.buf[i + 2:]
            out += part
            m = re.search(rb"\{(\d+)\+?\}\r\n$", part)
            if not m:
                self.transcript.add("S", out)
                return out[:-2]
            n = int(m.group(1))
            while len(self.buf) < n:
                if not self._fill(deadline):
                    return None
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def command(self, text, timeout=30, ok=True):
        """Sends "<tag> text"; returns (untagged lines, tagged line)."""
        self.n += 1
        tag = b"r%d" % self.n
        self.send(tag + b" " + (text.encode() if isinstance(text, str) else text) + b"\r\n")
        untagged = []
        while True:
            ln = self.line(timeout)
            if ln is None:
                raise AssertionError("no answer to %r in %d s; exchange: %s" % (text, timeout, self.transcript.tail()))
            if ln.startswith(tag + b" "):
                if ok and not ln.startswith(tag + b" OK"):
                    raise AssertionError("%r: %r; exchange: %s" % (text, ln, self.transcript.tail()))
                return untagged, ln
            untagged.append(ln)

    def idle_start(self):
        """IDLE; returns the untagged responses the server sent before its
        continuation request (it may send them at any time)."""
        self.n += 1
        self.idle_tag = b"r%d" % self.n
        self.send(self.idle_tag + b" IDLE\r\n")
        untagged = []
        while True:
            ln = self.line(10)
            if ln is not None and ln.startswith(b"* "):
                untagged.append(ln)
                continue
            if ln is None or not ln.startswith(b"+"):
                raise AssertionError("IDLE: no continuation, got %r; exchange: %s" % (ln, self.transcript.tail()))
            return untagged

    def idle_done(self, timeout=10):
        """DONE; returns the untagged responses that came before the
        tagged OK (RFC 2177)."""
        self.send(b"DONE\r\n")
        untagged = []
        while True:
            ln = self.line(timeout)
            if ln is None:
                raise AssertionError("IDLE DONE: no tagged answer; exchange: %s" % self.transcript.tail())
            if ln.startswith(self.idle_tag + b" "):
                if not ln.startswith(self.idle_tag + b" OK"):
                    raise AssertionError("IDLE ended with %r; exchange: %s" % (ln, self.transcript.tail()))
                return untagged
            untagged.append(ln)

    def close(self):
        try:
            self.command("LOGOUT", timeout=5, ok=False)
        except (AssertionError, OSError):
            pass
        self.sock.close()


# ---- delivery over SMTP (the MX port) to the demo account

def message(mark, subject=None, body=None):
    return ("From: Sender <sender@example.org>\r\nTo: %s\r\nSubject: %s\r\n"
            "Message-ID: <%s@client.test>\r\nDate: Fri, 27 Nov 2026 12:00:00 +0000\r\n\r\n%s"
            % (DEMO, subject or "test " + mark, mark, body or "body of %s\r\nsecond line\r\n" % mark))


def smtp_send(s, marks, subject=None, body=None):
    """One message per mark over one SMTP session to port smtp."""
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=60) as c:
        c.ehlo("client.test")
        for mark in marks:
            c.sendmail("sender@example.org", [DEMO], message(mark, subject, body))


def deliver(s, marks, subject=None, body=None):
    """Sends one message per mark over SMTP, then waits until each is a
    file in the Maildir (new/ or cur/). Returns the marks."""
    smtp_send(s, marks, subject, body)
    wait_in_maildir(s, s.maildir(DEMO), marks)
    return marks


def wait_in_maildir(s, root, marks, timeout=60):
    want = set(marks)

    def found():
        seen = set()
        for sub in ("new", "cur"):
            d = root / sub
            if not d.is_dir():
                continue
            for p in d.iterdir():
                try:
                    data = p.read_bytes()
                except OSError:
                    continue
                for m in want:
                    if ("<%s@client.test>" % m).encode() in data:
                        seen.add(m)
        return seen == want
    if not s.wait_for(found, timeout):
        raise AssertionError("not all of %s delivered into %s within %d s" % (sorted(want), root, timeout))


# ---- state snapshots

def parse_list(lines):
    """LIST/LSUB responses -> {name: set(attributes)} (imaplib gives
    b'(\\HasNoChildren) "." INBOX' or a tuple for a literal name)."""
    out = {}
    for item in lines:
        if item is None:
            continue
        if isinstance(item, tuple):
            head, name = item[0], item[1]
            m = re.match(rb'\((.*?)\) (?:"(.)"|NIL) ', head)
        else:
            m = re.match(rb'\((.*?)\) (?:"(?:\\.|.)"|NIL) (.*)$', item)
            name = m.group(2) if m else b""
            if name.startswith(b'"') and name.endswith(b'"'):
                name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        if not m:
            raise AssertionError("unparsable LIST line %r" % (item,))
        attrs = set(a.lower() for a in m.group(1).decode().split())
        out[name.decode()] = attrs
    return out


FETCH_RE = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)|RFC822\.SIZE (\d+)|INTERNALDATE \"([^\"]*)\"")


def mailbox_state(c, name, bodies=True):
    """EXAMINE name (read-only: no flag or \\Recent change) and return
    {"uidvalidity", "uidnext", "exists", "msgs": {uid: {...}}}."""
    data = c.check("EXAMINE %s" % name, c.select(quote(name), readonly=True))
    exists = int(data[0])
    st = {"exists": exists}
    for key in ("UIDVALIDITY", "UIDNEXT"):
        typ, v = c.response(key)
        st[key.lower()] = int(v[0]) if v and v[0] is not None else None
    msgs = {}
    if exists:
        items = "(UID FLAGS RFC822.SIZE INTERNALDATE%s)" % (" BODY.PEEK[]" if bodies else "")
        data = c.check("UID FETCH 1:* in %s" % name, c.uid("FETCH", "1:*", items))
        for item in data:
            if item == b")" or item is None:
                continue
            head = item[0] if isinstance(item, tuple) else item
            m = {"flags": None}
            for g in FETCH_RE.finditer(head):
                if g.group(1):
                    m["uid"] = int(g.group(1))
                if g.group(2) is not None:
                    m["flags"] = frozenset(f.lower() for f in g.group(2).decode().split() if f.lower() != "\\recent")
                if g.group(3):
                    m["size"] = int(g.group(3))
                if g.group(4):
                    # the instant, not its spelling: the zone is the server's choice
                    m["internaldate"] = int(datetime.datetime.strptime(
                        g.group(4).decode().strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())
            if isinstance(item, tuple):
                m["sha"] = hashlib.sha256(item[1]).hexdigest()[:16]
                mid = re.search(rb"(?im)^message-id:\s*(\S+)", item[1])
                m["message_id"] = mid.group(1).decode() if mid else None
            if "uid" not in m:
                raise AssertionError("FETCH without UID: %r; exchange: %s" % (head, c.transcript.tail()))
            msgs[m.pop("uid")] = m
    st["msgs"] = msgs
    # CLOSE after EXAMINE expunges nothing (RFC 3501 6.4.2)
    c.check("CLOSE", c.close())
    return st


def quote(name):
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')


def account_state(c, bodies=True):
    """Folders (LIST "" *, with \\Noselect), subscriptions (LSUB "" *),
    and every selectable mailbox's state."""
    folders = parse_list(c.check("LIST", c.list('""', "*")))
    subs = sorted(parse_list(c.check("LSUB", c.lsub('""', "*"))))
    boxes = {}
    for name, attrs in sorted(folders.items()):
        if "\\noselect" in attrs or "\\nonexistent" in attrs:
            continue
        boxes[name] = mailbox_state(c, name, bodies)
    return {"folders": {n: "\\noselect" in a for n, a in folders.items()}, "subscriptions": subs, "boxes": boxes}


def diff_states(a, b, label_a="a", label_b="b"):
    """Human-readable differences between two account_state() results
    (empty list: identical)."""
    out = []
    if a["folders"] != b["folders"]:
        out.append("folders: %s %s / %s %s" % (label_a, a["folders"], label_b, b["folders"]))
    if a["subscriptions"] != b["subscriptions"]:
        out.append("subscriptions: %s %s / %s %s" % (label_a, a["subscriptions"], label_b, b["subscriptions"]))
    for name in sorted(set(a["boxes"]) | set(b["boxes"])):
        x, y = a["boxes"].get(name), b["boxes"].get(name)
        if x is None or y is None:
            out.append("mailbox %s only in %s" % (name, label_a if y is None else label_b))
            continue
        for key in ("uidvalidity", "uidnext", "exists"):
            if x[key] != y[key]:
                out.append("%s %s: %s %s / %s %s" % (name, key.upper(), label_a, x[key], label_b, y[key]))
        if sorted(x["msgs"]) != sorted(y["msgs"]):
            out.append("%s UIDs: %s %s / %s %s" % (name, label_a, sorted(x["msgs"]), label_b, sorted(y["msgs"])))
        for uid in sorted(set(x["msgs"]) & set(y["msgs"])):
            mx, my = x["msgs"][uid], y["msgs"][uid]
            for key in sorted(set(mx) | set(my)):
                if mx.get(key) != my.get(key):
                    vx, vy = mx.get(key), my.get(key)
                    if isinstance(vx, frozenset):
                        vx = sorted(vx)
                    if isinstance(vy, frozenset):
                        vy = sorted(vy)
                    out.append("%s UID %d %s: %s %s / %s %s" % (name, uid, key, label_a, vx, label_b, vy))
    return out
