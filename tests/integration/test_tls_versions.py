#!/usr/bin/python3
"""TLS protocol versions and cipher suites on the suite's three TLS
ports, as `openssl s_client` (Debian's OpenSSL 3) sees them: the MX port
and submission with STARTTLS (`-starttls smtp`), submissions with
implicit TLS (RFC 8314).

tlsd/README.md, TLS settings: TLS 1.2 and 1.3 only; TLS_LEVEL=modern (the
default) allows in TLS 1.2 only ECDHE key exchange with AEAD ciphers
(AES-GCM, ChaCha20-Poly1305); TLS_LEVEL=intermediate is Mozilla's
intermediate list, which adds DHE-RSA with the same AEAD ciphers and
nothing else (no CBC suite, unlike docker-mailserver's own intermediate
list).

Refusals are checked on the server's side: the client is told to offer
the old protocol or the weak suite (`@SECLEVEL=0`, so Debian's client
defaults cannot be what refused it), the server answers with an alert
and tlsd logs why. Each refusal has an accepted counterpart on the same
port, so a dead port cannot pass for a strict one. SSLv3 is not tried:
Debian's openssl has no -ssl3 (test_tlsd.py sends an SSLv3 ClientHello by
hand).

The demo certificate is EC P-256 (mailctl tls selfsigned); the RSA cases
replace it with `mailctl tls selfsigned -f -k rsa`, which tlsd serves
from the next connection on.
"""

import re
import subprocess

import phtest

PORTS = (("smtp", True), ("submission", True), ("submissions", False))
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
    before = s.log(svc).count('event=tls_fail ip=127.0.0.1 reason="%s"' % reason)
    rc, out = s_client(s, name, starttls, *args)
    assert rc != 0 and handshake(out) is None, (name, args, out[-2000:])
    # OpenSSL's words for the alert the server sent (RFC 8446 6.2)
    assert "alert %s" % alert in out, (name, args, out[-2000:])
    assert s.wait_for(lambda: s.log(svc).count('event=tls_fail ip=127.0.0.1 reason="%s"' % reason) > before, 10), \
        (name, args, s.log(svc)[-1500:])
    assert "221 2.0.0" not in out, out[-1500:]


# ---- TLS_LEVEL=modern (the default)

@phtest.case
def tls12_and_tls13_accepted_on_25_587_465(s):
    for name, starttls in PORTS:
        for flag, proto in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            got, cipher = accepted(s, name, starttls, flag)
            assert got == proto, (name, got)
            if starttls:
                assert re.search(r"event=starttls ip=127\.0\.0\.1 proto=%s cipher=%s"
                                 % (re.escape(proto), re.escape(cipher)), s.log(LOG[name])), s.log(LOG[name])[-1500:]
            else:
                assert re.search(r"tlsd: event=tls ip=127\.0\.0\.1 proto=%s cipher=%s"
                                 % (re.escape(proto), re.escape(cipher)), s.log(LOG[name])), s.log(LOG[name])[-1500:]


@phtest.case
def tls11_and_tls10_refused_on_25_587_465(s):
    for name, starttls in PORTS:
        for flag in ("-tls1_1", "-tls1"):
            refused(s, name, starttls, "protocol version", "unsupported protocol",
                    flag, "-cipher", "DEFAULT@SECLEVEL=0")


@phtest.case
def modern_takes_aead_suites(s):
    for name, starttls in PORTS:
        for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                      "ECDHE-ECDSA-CHACHA20-POLY1305"):
            assert accepted(s, name, starttls, "-tls1_2", "-cipher", suite) == ("TLSv1.2", suite)


@phtest.case
def modern_refuses_cbc_suites(s):
    # the non-AEAD suites an EC certificate could use: CBC with HMAC-SHA1
    # and HMAC-SHA256/384 (docker-mailserver's intermediate list has them)
    for name, starttls in PORTS:
        for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                      "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"):
            refused(s, name, starttls, "handshake failure", "no shared cipher",
                    "-tls1_2", "-cipher", suite + "@SECLEVEL=0")


@phtest.case
def modern_refuses_dhe_with_an_rsa_certificate(s):
    # with an RSA key, ECDHE-RSA is taken and DHE-RSA (intermediate's
    # addition) is not; CBC stays refused
    s.mailctl("tls", "selfsigned", "-f", "-k", "rsa")
    for name, starttls in PORTS:
        suite = "ECDHE-RSA-AES128-GCM-SHA256"
        assert accepted(s, name, starttls, "-tls1_2", "-cipher", suite) == ("TLSv1.2", suite)
        for suite in ("DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256"):
            refused(s, name, starttls, "handshake failure", "no shared cipher",
                    "-tls1_2", "-cipher", suite + "@SECLEVEL=0")


# ---- TLS_LEVEL=intermediate (a second suite)

@phtest.case
def intermediate_adds_dhe_rsa_only(s):
    with phtest.Suite(extra_env={"TLS_LEVEL": "intermediate"}, bin_dir=s.bin_src) as m:
        assert m.env.get("TLS_LEVEL") == "intermediate", m.env
        m.mailctl("tls", "selfsigned", "-f", "-k", "rsa")
        for name, starttls in PORTS:
            for suite in ("DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"):
                assert accepted(m, name, starttls, "-tls1_2", "-cipher", suite) == ("TLSv1.2", suite)
            assert accepted(m, name, starttls, "-tls1_3")[0] == "TLSv1.3"
            # still no CBC, no RSA key exchange, no old protocol
            for suite in ("ECDHE-RSA-AES128-SHA", "DHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-SHA256",
                          "AES128-GCM-SHA256"):
                refused(m, name, starttls, "handshake failure", "no shared cipher",
                        "-tls1_2", "-cipher", suite + "@SECLEVEL=0")
            refused(m, name, starttls, "protocol version", "unsupported protocol",
                    "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    reports = m.sanitizer_reports()
    assert not reports, reports
    subprocess.run(["rm", "-rf", str(m.tmp)])   # kept when the case failed


if __name__ == "__main__":
    phtest.main()
