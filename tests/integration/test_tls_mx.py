#!/usr/bin/python3
"""The MX port's STARTTLS is opportunistic (RFC 7435): tlsd -O gives it
what docker-mailserver's Postfix takes on port 25, not TLS_LEVEL's lists,
which stay with submission and submissions (tlsd/README.md, TLS
settings; the list and its sources are in tlsd/tlsd_ctx.c).

docker-mailserver's smtpd on 25 runs at smtpd_tls_security_level = may
with Postfix's medium grade minus smtpd_tls_exclude_ciphers = aNULL,
SEED, CAMELLIA, RSA+AES, SHA1, and TLS 1.2 as the minimum at both levels.
So in TLS 1.2 port 25 also takes CBC with HMAC-SHA256/384, AES-CCM,
ARIA-GCM, DHE-RSA (with ChaCha20 too) and RSA key exchange with ARIA,
strongest first, where 587 (modern, the default here) refuses them; it
still refuses CBC with HMAC-SHA1, RSA key exchange with AES, and TLS 1.1.
A second suite with TLS_LEVEL=intermediate shows 25 keeps its list.

Each acceptance on 25 goes on to the SMTP session inside TLS (REQUIRETLS
is offered only there); each refusal is checked on the server's side
(alert and tlsd's tls_fail line), with the suite offered alone at
@SECLEVEL=0 so the client's own defaults cannot be what refused it.
"""

import subprocess

import phtest
from tlsprobe import accepted, refused_suite, refused_tls11

MX = ("smtp", True)
SUBMISSION = ("submission", True)

# in docker-mailserver's port-25 list and not in its modern one
EC_OPPORTUNISTIC = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
                    "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-ARIA128-GCM-SHA256")
RSA_OPPORTUNISTIC = ("DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-CHACHA20-POLY1305",
                     "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES256-SHA256",
                     "ARIA128-GCM-SHA256")   # the last: RSA key exchange
# excluded on 25 too: HMAC-SHA1 (SHA1), RSA key exchange with AES (RSA+AES)
EC_EXCLUDED = ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA")
RSA_EXCLUDED = ("ECDHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA",
                "AES128-GCM-SHA256", "AES256-SHA256")


def tls12(suite):
    return ("-tls1_2", "-cipher", suite)


@phtest.case
def mx_takes_suites_submission_refuses(s):
    assert s.env.get("TLS_LEVEL", "modern") in ("", "modern"), s.env
    for suite in EC_OPPORTUNISTIC:
        assert accepted(s, *MX, *tls12(suite)) == ("TLSv1.2", suite), suite
        refused_suite(s, *SUBMISSION, suite)


@phtest.case
def mx_refuses_what_postfix_excludes_and_tls11(s):
    for suite in EC_EXCLUDED:
        refused_suite(s, *MX, suite)
    refused_tls11(s, *MX)
    refused_tls11(s, *SUBMISSION)
    # what modern takes, 25 takes too, TLS 1.3 included
    assert accepted(s, *MX, *tls12("ECDHE-ECDSA-AES128-GCM-SHA256")) \
        == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")
    assert accepted(s, *MX, "-tls1_3")[0] == "TLSv1.3"


@phtest.case
def mx_prefers_the_strongest_suite(s):
    # Postfix's @STRENGTH with tls_preempt_cipherlist: 256-bit before
    # 128-bit, AEAD before CBC at the same strength; 587 keeps modern's
    # order (AES-128-GCM first), whatever the client's order
    offer = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
    assert accepted(s, *MX, *tls12(offer)) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")
    assert accepted(s, *SUBMISSION, *tls12(offer)) == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")
    offer = "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384"
    assert accepted(s, *MX, *tls12(offer)) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")


@phtest.case
def mx_with_an_rsa_certificate(s):
    s.mailctl("tls", "selfsigned", "-f", "-k", "rsa")
    for suite in RSA_OPPORTUNISTIC:
        assert accepted(s, *MX, *tls12(suite)) == ("TLSv1.2", suite), suite
        refused_suite(s, *SUBMISSION, suite)
    for suite in RSA_EXCLUDED:
        refused_suite(s, *MX, suite)


@phtest.case
def mx_list_does_not_follow_tls_level(s):
    with phtest.Suite(extra_env={"TLS_LEVEL": "intermediate"}, bin_dir=s.bin_src) as m:
        assert m.env.get("TLS_LEVEL") == "intermediate", m.env
        # intermediate is on where it applies
        assert accepted(m, *SUBMISSION, *tls12("ECDHE-ECDSA-AES128-SHA256")) \
            == ("TLSv1.2", "ECDHE-ECDSA-AES128-SHA256")
        # and 25 has its own list: CCM and ARIA, which intermediate lacks
        for suite in ("ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-ARIA256-GCM-SHA384"):
            assert accepted(m, *MX, *tls12(suite)) == ("TLSv1.2", suite), suite
            refused_suite(m, *SUBMISSION, suite)
        for suite in EC_EXCLUDED:
            refused_suite(m, *MX, suite)
        refused_tls11(m, *MX)
    reports = m.sanitizer_reports()
    assert not reports, reports
    subprocess.run(["rm", "-rf", str(m.tmp)])   # kept when the case failed


if __name__ == "__main__":
    phtest.main()
