"""remoteclient: talk to deliverd-remote's socket as queued does.

    import remoteclient
    r = remoteclient.deliver(s, "demo@example.test", ["u@remote.test"], b"Subject: x\\n\\nhi\\n",
                             extra=["XRET=HDRS"], rcpt_extra={"u@remote.test": ["XNOTIFY=SUCCESS"]})
    r[0]["v"], r[0]["text"], r[0]["x"]["XDIAG"]

The framing is skalibs' unixmessage (unixmsgclient.py); the queue file's
fd rides SCM_RIGHTS (docs/internals.md, "Routing and remote.sock").

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
suite_env(dns, port, ...) the extra_env of a suite whose deliverd-remote
                          resolves through the loopback DNS server dns
                          and connects to port, every SMTP client timeout
                          shortened (timeout=3 s)
"""

import os
import socket

import unixmsgclient

qid = unixmsgclient.qid


def message_fd(message):
    return unixmsgclient.message_fd(message, prefix="remote-msg.")


class Client(unixmsgclient.Client):
    def __init__(self, s, timeout=60):
        super().__init__(s.env["PH_RUN_DIR"] + "/remote.sock", timeout)

    def reply(self):
        fields = self.fields()
        if fields is None:
            return None
        out, x = [], {}
        for f in fields:
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
            return super().closed()
        except socket.timeout:
            return True


def deliver(s, sender, rcpts, message, **kw):
    c = Client(s)
    try:
        return c.deliver(sender, rcpts, message, **kw)
    finally:
        c.close()


def suite_env(dns, port, timeout=3, reuse_idle=None, **extra):
    """Settings for a phtest Suite (extra_env) whose deliverd-remote asks
    dns (a dnsserver.DNSServer) and connects to port at the hosts it
    serves, with every SMTP client timeout cut to timeout seconds (the
    DNS one to 8: a lookup may retry over TCP). reuse_idle: seconds a
    connection is kept for reuse (PH_REMOTE_REUSE_IDLE), default left
    alone; extra: more settings."""
    env = {"PH_DNS_RESOLVER": dns.resolver, "PH_REMOTE_PORT": str(port), "PH_REMOTE_DNS_TIMEOUT": "8"}
    for phase in ("CONNECT", "GREETING", "COMMAND", "DATA_INIT", "DATA_BLOCK", "DATA_DONE"):
        env["PH_REMOTE_%s_TIMEOUT" % phase] = str(timeout)
    if reuse_idle is not None:
        env["PH_REMOTE_REUSE_IDLE"] = str(reuse_idle)
    env.update(extra)
    return env
