#!/usr/bin/python3
"""TLS protocol versions and cipher suites on the suite's three TLS
ports, as `openssl s_client` (Debian's OpenSSL 3) sees them: the MX port
and submission with STARTTLS (`-starttls smtp`), submissions with
implicit TLS (RFC 8314).

tlsd/README.md, TLS settings: TLS 1.2 and 1.3 only; TLS_LEVEL=modern (the
default, tested here) allows in TLS 1.2 only ECDHE key exchange with AEAD
ciphers (AES-GCM, ChaCha20-Poly1305) on 587 and 465. TLS_LEVEL=intermediate
(docker-mailserver's list, with CBC-SHA256/384) is test_tls_level.py; the
MX port's opportunistic list (tlsd -O) is test_tls_mx.py.

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

import phtest
from tlsprobe import LOG, MANDATORY, PORTS, accepted, refused


# ---- TLS_LEVEL=modern (the default)

@phtest.case
def tls12_and_tls13_accepted_on_25_587_465(s):
    for name, starttls in PORTS:
        for flag, proto in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            got, cipher = accepted(s, name, starttls, flag)
            assert got == proto, (name, got)
            # the line reaches the log through s6-log, maybe after the client is done
            line = (r"event=starttls ip=127\.0\.0\.1 proto=%s cipher=%s" if starttls
                    else r"tlsd: event=tls ip=127\.0\.0\.1 proto=%s cipher=%s") % (re.escape(proto), re.escape(cipher))
            assert s.wait_for(lambda: re.search(line, s.log(LOG[name])), 10), s.log(LOG[name])[-1500:]


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
    # and HMAC-SHA256/384 (docker-mailserver's intermediate list has them;
    # the MX port takes the SHA256/384 ones, test_tls_mx)
    for name, starttls in MANDATORY:
        for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                      "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"):
            refused(s, name, starttls, "handshake failure", "no shared cipher",
                    "-tls1_2", "-cipher", suite + "@SECLEVEL=0")


@phtest.case
def modern_refuses_dhe_with_an_rsa_certificate(s):
    # with an RSA key, ECDHE-RSA is taken and DHE-RSA (intermediate's
    # addition) is not; CBC stays refused (the MX port takes DHE-RSA,
    # test_tls_mx)
    s.mailctl("tls", "selfsigned", "-f", "-k", "rsa")
    for name, starttls in MANDATORY:
        suite = "ECDHE-RSA-AES128-GCM-SHA256"
        assert accepted(s, name, starttls, "-tls1_2", "-cipher", suite) == ("TLSv1.2", suite)
        for suite in ("DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256"):
            refused(s, name, starttls, "handshake failure", "no shared cipher",
                    "-tls1_2", "-cipher", suite + "@SECLEVEL=0")


if __name__ == "__main__":
    phtest.main()
