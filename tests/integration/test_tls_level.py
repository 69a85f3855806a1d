#!/usr/bin/python3
"""TLS_LEVEL as docker-mailserver has it (target/scripts/helpers/ssl.sh,
v12.0 onwards; tlsd/README.md, TLS settings), on submission (STARTTLS)
and submissions (implicit), with openssl s_client. The MX port does not
follow TLS_LEVEL (tlsd -O, as Postfix's port 25): test_tls_mx.py.

The suite runs with TLS_LEVEL=intermediate: TLS 1.2 and 1.3 only, and in
TLS 1.2 docker-mailserver's 14 suites: ECDHE AEAD, DHE-RSA-AES-GCM, and
CBC with HMAC-SHA256/384 (ECDHE-ECDSA, ECDHE-RSA, DHE-RSA), in its order.
CBC with HMAC-SHA1, RSA key exchange and DHE-RSA-CHACHA20 (Mozilla's,
not docker-mailserver's) are refused. A second suite started with
TLS_LEVEL=modern refuses the CBC suites intermediate takes.

The demo certificate is EC P-256; the RSA cases switch to an RSA one
with `mailctl tls selfsigned -f -k rsa`, served from the next
connection on.
"""

import subprocess

import phtest
from tlsprobe import MANDATORY as PORTS, accepted, refused_suite, refused_tls11

EC_CBC = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384")
RSA_CBC = ("ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384",
           "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256")


@phtest.case
def intermediate_takes_ec_cbc_sha256_suites(s):
    assert s.env.get("TLS_LEVEL") == "intermediate", s.env
    for name, starttls in PORTS:
        for suite in EC_CBC + ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"):
            assert accepted(s, name, starttls, "-tls1_2", "-cipher", suite) == ("TLSv1.2", suite)


@phtest.case
def intermediate_refuses_cbc_sha1_suites(s):
    # docker-mailserver took these out with TLS 1.0/1.1 (PR #2945)
    for name, starttls in PORTS:
        for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"):
            refused_suite(s, name, starttls, suite)


@phtest.case
def intermediate_keeps_tls12_minimum(s):
    for name, starttls in PORTS:
        refused_tls11(s, name, starttls)
        assert accepted(s, name, starttls, "-tls1_3")[0] == "TLSv1.3"


@phtest.case
def intermediate_prefers_docker_mailservers_order(s):
    # its list opens with ChaCha20-Poly1305, and AEAD comes before CBC;
    # the server's order wins whatever the client's
    for name, starttls in PORTS:
        got = accepted(s, name, starttls, "-tls1_2", "-cipher",
                       "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305")
        assert got == ("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"), (name, got)
        got = accepted(s, name, starttls, "-tls1_2", "-cipher",
                       "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384")
        assert got == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"), (name, got)


@phtest.case
def intermediate_with_an_rsa_certificate(s):
    s.mailctl("tls", "selfsigned", "-f", "-k", "rsa")
    for name, starttls in PORTS:
        for suite in RSA_CBC + ("DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
                                "ECDHE-RSA-AES128-GCM-SHA256"):
            assert accepted(s, name, starttls, "-tls1_2", "-cipher", suite) == ("TLSv1.2", suite)
        # not in docker-mailserver's list: CBC-SHA1, RSA key exchange,
        # and DHE with ChaCha20 (Mozilla's intermediate has it)
        for suite in ("ECDHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA", "AES128-GCM-SHA256",
                      "AES128-SHA256", "DHE-RSA-CHACHA20-POLY1305"):
            refused_suite(s, name, starttls, suite)


@phtest.case
def modern_refuses_what_intermediate_adds(s):
    with phtest.Suite(extra_env={"TLS_LEVEL": "modern"}, bin_dir=s.bin_src) as m:
        assert m.env.get("TLS_LEVEL") == "modern", m.env
        for name, starttls in PORTS:
            assert accepted(m, name, starttls, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256") \
                == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")
            for suite in EC_CBC:
                refused_suite(m, name, starttls, suite)
            refused_tls11(m, name, starttls)
        m.mailctl("tls", "selfsigned", "-f", "-k", "rsa")
        for name, starttls in PORTS:
            for suite in RSA_CBC + ("DHE-RSA-AES128-GCM-SHA256",):
                refused_suite(m, name, starttls, suite)
    reports = m.sanitizer_reports()
    assert not reports, reports
    subprocess.run(["rm", "-rf", str(m.tmp)])   # kept when the case failed


if __name__ == "__main__":
    phtest.main(extra_env={"TLS_LEVEL": "intermediate"})
