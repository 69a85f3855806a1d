#!/usr/bin/python3
"""FCrDNS in the spam scoring (policyd/spam_dns.c), end to end: the real
suite under s6, policyd-spam resolving through libunbound with the
loopback DNS server (tests/lib/dnsserver) as PH_DNS_RESOLVER, and SMTP
clients on three loopback source addresses that the server describes:

- 127.0.0.2: PTR mail.good-rdns.test, whose A is 127.0.0.2: confirmed,
  neither RDNS_NONE nor RDNS_MISMATCH;
- 127.0.0.3: PTR mail.bad-rdns.test, whose A is 127.0.0.9: RDNS_MISMATCH;
- 127.0.0.4: no PTR (NXDOMAIN): RDNS_NONE;
- 127.0.0.1 keeps unbound's own answer (localhost), never asked of the
  forwarder: no penalty.

The server must be the one asked: common/dns_ub.c hands 127.in-addr.arpa
to the forwarder (but for 127.0.0.1), as it does the private ranges; the
PTR and A queries are checked in the server's query log. The expected
score differences are the rules' weights (policyd/spam_rules.c)."""

import pathlib
import re
import smtplib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "lib"))

import dnsserver  # noqa: E402
import phtest  # noqa: E402

RCPT = "demo@example.test"

DNS = dnsserver.DNSServer({
    "sender.test": {"TXT": ["\"v=spf1 ip4:127.0.0.0/8 -all\""]},
    "2.0.0.127.in-addr.arpa": {"PTR": ["mail.good-rdns.test."]},
    "mail.good-rdns.test": {"A": ["127.0.0.2"]},
    "3.0.0.127.in-addr.arpa": {"PTR": ["mail.bad-rdns.test."]},
    "mail.bad-rdns.test": {"A": ["127.0.0.9"]},
    "mx.sender.test": {"A": ["127.0.0.1"]},
}).start()

ENV = {
    "PH_DNS_RESOLVER": DNS.resolver,
    "PH_DNSBL_ZONES": "",
    "PH_DNSWL_ZONES": "",
    "PH_URIBL_ZONES": "",
    "PH_SPAM_DNS_TIMEOUT_MS": "3000",
    "PH_DNS_TIMEOUT_MS": "2000",
    "SA_TAG": "-100",          # every message shows its score and tests
}


def send_from(s, source, subject):
    msg = ("From: Alice <alice@sender.test>\r\nTo: %s\r\nSubject: %s\r\n"
           "Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s.%f@sender.test>\r\n\r\n"
           "Hello,\r\nthis is a test.\r\n" % (RCPT, subject, re.sub(r"\W", "-", subject), time.time()))
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), local_hostname="mx.sender.test", timeout=30,
                      source_address=(source, 0)) as c:
        c.sendmail("alice@sender.test", [RCPT], msg.encode())


def tests_of(s, subject):
    root = s.maildir(RCPT)

    def find():
        for sub in ("", ".Junk"):
            for part in ("new", "cur"):
                d = root / sub / part if sub else root / part
                if not d.is_dir():
                    continue
                for p in d.iterdir():
                    t = p.read_bytes().decode(errors="replace")
                    if "\nSubject: %s\n" % subject in t:
                        return t
        return None
    text = s.wait_for(find, 30)
    assert text, "message %r not delivered; policy log: %s" % (subject, s.log("queued")[-2000:])
    head = text.split("\n\n", 1)[0]
    status = re.search(r"^X-Spam-Status: (.*(?:\n[ \t].*)*)", head, re.M)
    score = re.search(r"^X-Spam-Score: (-?[0-9.]+)$", head, re.M)
    assert status and score, head[:2000]
    st = re.sub(r"\s+", " ", status.group(1))
    found = re.sub(r",\s+", ",", re.search(r"tests=(.*)$", st).group(1)).strip().split(",")
    return float(score.group(1)), found


def asked(name, qtype):
    return (name, qtype) in DNS.queries


_baseline = []


def baseline(s):
    """The score of the confirmed client's message: the others differ
    from it by their rule's weight alone."""
    if not _baseline:
        _baseline.append(tests_of_sent(s, "127.0.0.2", "fcrdns baseline")[0])
    return _baseline[0]


@phtest.case
def ptr_confirmed_by_a_no_penalty(s):
    score, found = tests_of_sent(s, "127.0.0.2", "fcrdns good")
    assert "RDNS_NONE" not in found and "RDNS_MISMATCH" not in found, found
    assert asked("2.0.0.127.in-addr.arpa", "PTR"), DNS.queries
    assert asked("mail.good-rdns.test", "A"), DNS.queries
    assert abs(score - baseline(s)) < 0.011, (score, baseline(s))


@phtest.case
def ptr_whose_a_is_elsewhere_penalized(s):
    score, found = tests_of_sent(s, "127.0.0.3", "fcrdns mismatch")
    assert "RDNS_MISMATCH" in found and "RDNS_NONE" not in found, found
    assert asked("3.0.0.127.in-addr.arpa", "PTR") and asked("mail.bad-rdns.test", "A"), DNS.queries
    # the same message otherwise: the difference is the rule's weight
    assert abs(score - baseline(s) - 0.5) < 0.011, (score, baseline(s))


@phtest.case
def no_ptr_penalized(s):
    score, found = tests_of_sent(s, "127.0.0.4", "fcrdns none")
    assert "RDNS_NONE" in found and "RDNS_MISMATCH" not in found, found
    assert asked("4.0.0.127.in-addr.arpa", "PTR"), DNS.queries
    assert abs(score - baseline(s) - 1.0) < 0.011, (score, baseline(s))


@phtest.case
def localhost_keeps_its_local_answer(s):
    score, found = tests_of_sent(s, "127.0.0.1", "fcrdns localhost")
    assert "RDNS_NONE" not in found and "RDNS_MISMATCH" not in found, found
    assert not asked("1.0.0.127.in-addr.arpa", "PTR"), DNS.queries


def tests_of_sent(s, source, subject):
    send_from(s, source, subject)
    return tests_of(s, subject)


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        DNS.stop()
