"""openssl s_client against a Suite's three TLS ports, for the tests of
protocol versions and cipher suites (test_tls_versions, test_tls_level).

The MX port and submission are tried with STARTTLS (`-starttls smtp`),
submissions with implicit TLS (RFC 8314). A refusal is checked on the
server's side: the alert the client got and tlsd's tls_fail line in the
service's log, so a client-side default cannot pass for the server's
choice.
"""

import re
import subprocess

PORTS = (("smtp", True), ("submission", True), ("submissions", False))
# The ports where TLS_LEVEL's lists apply; the MX port (tlsd -O) has
# docker-mailserver's opportunistic list whatever TLS_LEVEL says
# (test_tls_mx).
MANDATORY = PORTS[1:]
LOG = {"smtp": "smtpd", "submission": "submission", "submissions": "submissions"}


def s_client(s, name, starttls, *args, data=b"EHLO client.test\nQUIT\n", timeout=30):
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.port(name), "-crlf", "-ign_eof"]
    if starttls:
        argv += ["-starttls", "smtp", "-name", "client.test"]
    r = subprocess.run(argv + list(args), input=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def handshake(out):
    """(protocol, cipher) of a completed handshake, or None."""
    m = re.search(r"^New, (TLSv1\.[23]), Cipher is (\S+)", out, re.M)
    if not m or m.group(2) == "(NONE)":
        return None
    return m.group(1), m.group(2)


def smtp_inside(out, name):
    """The SMTP session went on inside TLS to QUIT."""
    if name == "smtp":
        assert "250-REQUIRETLS" in out, out[-1500:]        # offered only over TLS
    else:
        assert "250-AUTH PLAIN LOGIN" in out, out[-1500:]  # submitd: AUTH only in TLS
    assert "221 2.0.0" in out, out[-1500:]


def accepted(s, name, starttls, *args):
    rc, out = s_client(s, name, starttls, *args)
    hs = handshake(out)
    assert rc == 0 and hs, (name, args, out[-2000:])
    smtp_inside(out, name)
    return hs


def refused(s, name, starttls, alert, reason, *args):
    """The server refused the handshake with alert, and tlsd logged reason."""
    svc = LOG[name]
    line = 'event=tls_fail ip=127.0.0.1 reason="%s"' % reason
    before = s.log(svc).count(line)
    rc, out = s_client(s, name, starttls, *args)
    assert rc != 0 and handshake(out) is None, (name, args, out[-2000:])
    # OpenSSL's words for the alert the server sent (RFC 8446 6.2)
    assert "alert %s" % alert in out, (name, args, out[-2000:])
    assert s.wait_for(lambda: s.log(svc).count(line) > before, 10), (name, args, s.log(svc)[-1500:])
    assert "221 2.0.0" not in out, out[-1500:]


def refused_suite(s, name, starttls, suite):
    """A TLS 1.2 suite the server does not take, offered alone (at
    security level 0, so the client's own defaults cannot drop it)."""
    refused(s, name, starttls, "handshake failure", "no shared cipher",
            "-tls1_2", "-cipher", suite + "@SECLEVEL=0")


def refused_tls11(s, name, starttls):
    refused(s, name, starttls, "protocol version", "unsupported protocol",
            "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
