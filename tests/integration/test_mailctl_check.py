"""test_mailctl_check: `mailctl check` (mailctl/check*.c) against a DNS
server on loopback (tests/lib/dnsserver.py) serving a right zone, then
wrong ones, and against the suite's live listeners.

The server's public address is PH_PUBLIC_IP=198.18.0.10 (RFC 2544's
benchmarking block, never routed: only the DNS data names it; the
listeners are checked on 127.0.0.1, PH_SMTP_IP). Not a TEST-NET address:
libunbound answers their reverse zones itself (its default local zones,
RFC 6303), as it would in production. The host name is the demo's mail.example.test,
whose self-signed certificate the suite made.
"""

import base64
import os
import re
import subprocess

import dnsserver
import phtest

DOMAIN = "example.test"
HOST = "mail.example.test"
PUBLIC_IP = "198.18.0.10"
REVERSE = "10.0.18.198.in-addr.arpa"

DNS = dnsserver.DNSServer().start()

# An RSA key nobody signs with: its public half is the "wrong key".
OTHER_KEY_B64 = None


def check(s, *args, env_extra=None):
    env = dict(os.environ)
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    env.update({"PH_DNS_RESOLVER": DNS.resolver, "PH_PUBLIC_IP": PUBLIC_IP, "ENABLE_POP3": "1"})
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([str(s.bin / "mailctl"), "check"] + list(args), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


def dkim_records(s):
    """The DKIM TXT records `mailctl dns` says to publish: {owner: [strings]}."""
    out = s.mailctl("dns", DOMAIN).stdout
    recs = {}
    for m in re.finditer(r'^(\S+)\. IN TXT \((.*)\)$', out, re.M):
        recs[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    assert recs, "mailctl dns printed no DKIM record: %r" % out
    return recs


def other_key_b64():
    global OTHER_KEY_B64
    if OTHER_KEY_B64 is None:
        pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem,
                             stdout=subprocess.PIPE, check=True).stdout
        OTHER_KEY_B64 = base64.b64encode(der).decode()
    return OTHER_KEY_B64


def publish(s, ptr=True, spf="v=spf1 mx -all", dkim_right=True, dmarc=True, mx=True):
    for name in list(DNS._records):
        DNS.remove(name)
    DNS.add(HOST, "A", PUBLIC_IP)
    if mx:
        DNS.add(DOMAIN, "MX", "10 %s." % HOST)
    if spf:
        DNS.add(DOMAIN, "TXT", [spf])
    if ptr:
        DNS.add(REVERSE, "PTR", HOST + ".")
    for owner, strings in dkim_records(s).items():
        if dkim_right:
            DNS.add(owner, "TXT", strings)
        else:
            DNS.add(owner, "TXT", ["v=DKIM1; k=rsa; p=" + other_key_b64()])
    if dmarc:
        DNS.add("_dmarc." + DOMAIN, "TXT", ["v=DMARC1; p=none; rua=mailto:postmaster@" + DOMAIN])


@phtest.case
def right_zone_all_good(s):
    publish(s)
    r = check(s, DOMAIN)
    assert r.returncode == 0, "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr)
    assert "All good" in r.stdout, r.stdout
    # the DKIM keys of the demo domain were looked up
    assert ("mail._domainkey." + DOMAIN, "TXT") in DNS.queries, DNS.queries
    assert (REVERSE, "PTR") in DNS.queries


@phtest.case
def default_domains_from_domains_cdb(s):
    publish(s)
    r = check(s)
    assert r.returncode == 0, "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr)
    assert DOMAIN in r.stdout, r.stdout


@phtest.case
def wrong_zone_each_sentence(s):
    publish(s, ptr=False, spf="v=spf1 ip4:198.18.0.99 -all", dkim_right=False, dmarc=False)
    r = check(s, DOMAIN)
    assert r.returncode == 1, "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr)
    out = r.stdout
    assert "The address %s has no PTR record" % PUBLIC_IP in out, out
    assert "The SPF record of %s does not cover the server's address %s (the result is fail)" % (DOMAIN, PUBLIC_IP) in out, out
    assert "The DKIM key published at mail._domainkey.%s is not the public half" % DOMAIN in out, out
    assert "The domain %s publishes no DMARC record" % DOMAIN in out, out
    assert "All good" not in out
    # one line per problem, nothing else but notes
    problems = [l for l in out.splitlines() if l and not l.startswith("Note:")]
    assert len(problems) == 5, problems   # the two DKIM keys (RSA and Ed25519) + PTR + SPF + DMARC


@phtest.case
def ptr_naming_another_host(s):
    publish(s, ptr=False)
    DNS.add(REVERSE, "PTR", "host-10.isp.test.")
    DNS.add("host-10.isp.test", "A", PUBLIC_IP)
    r = check(s, DOMAIN)
    assert r.returncode == 1, r.stdout
    assert "The PTR record of %s names host-10.isp.test, not the host name %s." % (PUBLIC_IP, HOST) in r.stdout, r.stdout


@phtest.case
def host_not_resolving_back(s):
    publish(s)
    DNS.remove(HOST, "A")
    DNS.add(HOST, "A", "198.18.0.99")
    r = check(s, DOMAIN)
    assert r.returncode == 1, r.stdout
    assert "The host name %s does not resolve to the server's address %s" % (HOST, PUBLIC_IP) in r.stdout, r.stdout
    assert "forward-confirmed reverse DNS fails" in r.stdout, r.stdout


@phtest.case
def no_spf_no_mx(s):
    publish(s, spf=None, mx=False)
    r = check(s, DOMAIN)
    assert r.returncode == 1, r.stdout
    assert "The domain %s publishes no SPF record" % DOMAIN in r.stdout, r.stdout
    assert "The domain %s has no MX record" % DOMAIN in r.stdout, r.stdout


@phtest.case
def unknown_server_address_says_what_is_unchecked(s):
    # no PH_PUBLIC_IP and a host name without an address: the checks that
    # need the server's address say they were not made
    publish(s)
    DNS.remove(HOST, "A")
    r = check(s, DOMAIN, env_extra={"PH_PUBLIC_IP": None})
    assert r.returncode == 1, "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr)
    assert "The host name %s has no A or AAAA record." % HOST in r.stdout, r.stdout
    assert "The SPF record of %s was not checked: the server's address is not known (set PH_PUBLIC_IP)." % DOMAIN \
        in r.stdout, r.stdout
    assert "All good" not in r.stdout


@phtest.case
def dns_failure_is_temporary(s):
    publish(s)
    DNS.servfail("_dmarc." + DOMAIN)
    try:
        r = check(s, DOMAIN)
    finally:
        DNS.heal("_dmarc." + DOMAIN)
    assert r.returncode == 111, "exit %d: %s" % (r.returncode, r.stdout)
    assert "Could not check the DMARC record now" in r.stdout, r.stdout


@phtest.case
def dead_listener_and_bad_certificate(s):
    publish(s)
    # a port nothing listens on, and a certificate for another name
    port = phtest.free_port()
    certdir = s.tmp / "othercert"
    certdir.mkdir(exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(certdir / "key.pem"), "-out", str(certdir / "cert.pem"),
                    "-days", "5", "-subj", "/CN=other.test", "-addext", "subjectAltName=DNS:other.test"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    r = check(s, DOMAIN, env_extra={"PH_IMAP_PORT": str(port), "SSL_TYPE": "manual",
                                    "SSL_CERT_PATH": str(certdir / "cert.pem"), "SSL_KEY_PATH": str(certdir / "key.pem")})
    assert r.returncode == 1, r.stdout
    assert "The IMAP listener on 127.0.0.1:%d does not answer" % port in r.stdout, r.stdout
    assert "is not valid for the host name %s" % HOST in r.stdout, r.stdout
    assert "expires in 4 days" in r.stdout or "expires in 5 days" in r.stdout, r.stdout


@phtest.case
def usage_errors(s):
    r = check(s, "not a domain")
    assert r.returncode == 100, r.returncode
    r = check(s, "a.test", "b.test")
    assert r.returncode == 100, r.returncode


if __name__ == "__main__":
    try:
        phtest.main()
    finally:
        DNS.stop()
