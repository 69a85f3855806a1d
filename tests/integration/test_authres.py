#!/usr/bin/python3
"""Inbound authentication (issue 7): policyd-filter in queued's inbound
chain, against the real suite under s6 and a test DNS
(tests/lib/dnsserver, PH_DNS_RESOLVER) that publishes SPF, DKIM and
DMARC records:

- a message signed with dkimpy from an address SPF allows arrives in
  INBOX with "Authentication-Results: <our host>; spf=pass ... dkim=pass
  ... dmarc=pass";
- a forged one (bad signature, SPF fail, p=reject) lands in Junk, and
  the aggregate-report line says disposition=reject;
- p=quarantine lands in Junk; p=none is delivered to INBOX; np= (RFC
  9091) for a From subdomain that does not exist;
- an incoming Authentication-Results that claims our authserv-id does
  not survive (RFC 8601 §5);
- a message forwarded by a list that ARC-seals it with dkimpy
  (dkim.arc_sign) breaking the original DKIM signature: arc=pass, and
  DMARC's failure is overridden for a sealer in PH_ARC_TRUSTED_SEALERS,
  not for another;
- a resolver that never answers gives temperror and delivery, in bounded
  time;
- `mailctl dns example.test` prints the MX, SPF, DKIM and DMARC records.
"""

import base64
import pathlib
import re
import smtplib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "lib"))

import dkim  # noqa: E402
import dnsserver  # noqa: E402
import phtest  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

HOST = "mail.example.test"       # OVERRIDE_HOSTNAME of the demo's mailserver.env
RCPT = "demo@example.test"


def keypair():
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    pub = base64.b64encode(k.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    return pem, pub


def txt(text):
    """zone-file TXT rdata: quoted strings of at most 250 bytes"""
    return " ".join('"%s"' % text[i:i + 250] for i in range(0, len(text), 250))


SENDER_KEY, SENDER_PUB = keypair()
OTHER_KEY, _ = keypair()             # signs the forgeries: not the published key
LIST_KEY, LIST_PUB = keypair()

DNS = dnsserver.DNSServer().start()
for name, value in {
    "sender.test": "v=spf1 ip4:127.0.0.1 -all",
    "sel._domainkey.sender.test": "v=DKIM1; k=rsa; p=" + SENDER_PUB,
    "_dmarc.sender.test": "v=DMARC1; p=reject; rua=mailto:dmarc@sender.test",
    "bank.test": "v=spf1 ip4:192.0.2.1 -all",
    "sel._domainkey.bank.test": "v=DKIM1; k=rsa; p=" + SENDER_PUB,
    "_dmarc.bank.test": "v=DMARC1; p=reject",
    "shop.test": "v=spf1 ip4:192.0.2.1 -all",
    "_dmarc.shop.test": "v=DMARC1; p=quarantine",
    "blog.test": "v=spf1 ip4:192.0.2.1 -all",
    "_dmarc.blog.test": "v=DMARC1; p=none",
    "lists.test": "v=spf1 ip4:127.0.0.1 -all",
    "arc._domainkey.lists.test": "v=DKIM1; k=rsa; p=" + LIST_PUB,
    "_dmarc.corp.test": "v=DMARC1; p=none; sp=none; np=reject",
    "otherlist.test": "v=spf1 ip4:127.0.0.1 -all",
    "arc._domainkey.otherlist.test": "v=DKIM1; k=rsa; p=" + LIST_PUB,
}.items():
    DNS.add(name, "TXT", txt(value))
DNS.add("www.corp.test", "A", "192.0.2.80")
DNS.hang("slow.test")
DNS.hang("_dmarc.slow.test")


def message(sender_from, subject, extra=b"", body=b"Hello,\r\nthis is a test.\r\n"):
    mid = "<%s.%f@%s>" % (subject.replace(" ", "-"), time.time(), sender_from.split("@")[1])
    return (extra
            + ("From: Someone <%s>\r\n" % sender_from).encode()
            + ("To: %s\r\n" % RCPT).encode()
            + ("Subject: %s\r\n" % subject).encode()
            + b"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
            + ("Message-ID: %s\r\n" % mid).encode()
            + b"\r\n" + body)


def sign(msg, domain, key, selector=b"sel"):
    return dkim.sign(msg, selector, domain.encode(), key,
                     include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]) + msg


def send(s, mail_from, msg, helo="mx.sender.test"):
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), local_hostname=helo, timeout=30) as c:
        c.sendmail(mail_from, [RCPT], msg)


def arrived(s, subject, timeout=30):
    """(folder, text) of the message with this subject: INBOX or Junk."""
    root = s.maildir(RCPT)

    def find():
        for folder, d in (("INBOX", root / "new"), ("Junk", root / ".Junk" / "new")):
            try:
                for p in d.iterdir():
                    t = p.read_bytes().decode(errors="replace")
                    if ("\nSubject: %s\n" % subject) in t:
                        return folder, t
            except FileNotFoundError:
                pass
        return None
    r = s.wait_for(find, timeout)
    assert r, "message %r not delivered; policyd log: %s" % (subject, s.log("queued")[-3000:])
    return r


def authres(text):
    """Our Authentication-Results fields, unfolded."""
    head = text.split("\n\n", 1)[0]
    fields = re.findall(r"^Authentication-Results:(.*(?:\n[ \t].*)*)", head, re.M | re.I)
    return [re.sub(r"\s+", " ", f).strip() for f in fields]


@phtest.case
def aligned_pass_delivered_with_authres(s):
    msg = sign(message("alice@sender.test", "aligned pass"), "sender.test", SENDER_KEY)
    send(s, "bounce@sender.test", msg)
    folder, text = arrived(s, "aligned pass")
    assert folder == "INBOX", folder
    ours = authres(text)
    assert ours and ours[0].startswith(HOST + "; "), ours
    a = ours[0]
    assert re.search(r"spf=pass .*smtp\.mailfrom=sender\.test", a), a
    assert re.search(r"dkim=pass .*header\.d=sender\.test header\.s=sel header\.b=", a), a
    assert re.search(r"dmarc=pass .*header\.from=sender\.test", a), a
    assert "arc=none" in a, a
    # above the message as it came, under what deliverd adds: trace order (docs/filters.md)
    top = [ln for ln in text.split("\n\n", 1)[0].split("\n") if ln[:1] not in (" ", "\t")]
    top = [ln for ln in top if not ln.startswith(("Return-Path:", "Delivered-To:"))]
    assert top[0].startswith("Authentication-Results: " + HOST), top[:3]
    assert re.search(r"^Received-SPF: pass ", text, re.M), text[:1500]


@phtest.case
def forged_reject_lands_in_junk(s):
    # signed with a key that is not the published one, sent from an
    # address bank.test's SPF does not allow, p=reject
    msg = sign(message("ceo@bank.test", "forged reject"), "bank.test", OTHER_KEY)
    send(s, "ceo@bank.test", msg, helo="evil.example")
    folder, text = arrived(s, "forged reject")
    assert folder == "Junk", folder
    a = authres(text)[0]
    assert "spf=fail" in a and "dkim=fail" in a and "dmarc=fail" in a, a
    assert "dis=reject" in a and "policy.dmarc=reject" in a, a
    logs = list((s.state / "dmarc").glob("*.log"))
    assert logs, "no aggregate-report data in %s" % (s.state / "dmarc")
    lines = [ln for f in logs for ln in f.read_text().splitlines() if "header_from=bank.test" in ln]
    assert lines and "disposition=reject" in lines[-1] and "dmarc=fail" in lines[-1] \
        and "spf=fail" in lines[-1] and "dkim=bank.test:sel:fail" in lines[-1], lines


@phtest.case
def quarantine_lands_in_junk_none_in_inbox(s):
    send(s, "news@shop.test", message("news@shop.test", "quarantined"))
    folder, text = arrived(s, "quarantined")
    assert folder == "Junk", folder
    assert "dmarc=fail" in authres(text)[0] and "dis=quarantine" in authres(text)[0], authres(text)
    send(s, "post@blog.test", message("post@blog.test", "policy none"))
    folder, text = arrived(s, "policy none")
    assert folder == "INBOX", folder
    assert "dmarc=fail" in authres(text)[0] and "dis=none" in authres(text)[0], authres(text)


@phtest.case
def incoming_authres_claiming_our_id_removed(s):
    fake = ("Authentication-Results: %s; spf=pass smtp.mailfrom=bank.test;\r\n"
            " dkim=pass header.d=bank.test; dmarc=pass header.from=bank.test\r\n" % HOST).encode()
    other = b"Authentication-Results: relay.elsewhere.test; spf=pass smtp.mailfrom=sender.test\r\n"
    msg = sign(message("alice@sender.test", "claims our id", extra=fake + other), "sender.test", SENDER_KEY)
    send(s, "bounce@sender.test", msg)
    folder, text = arrived(s, "claims our id")
    ours = [a for a in authres(text) if a.lower().startswith(HOST + ";")]
    assert len(ours) == 1 and re.search(r"dmarc=pass( \([^)]*\))? header\.from=sender\.test", ours[0]), authres(text)
    assert "bank.test" not in ours[0], authres(text)
    assert any(a.startswith("relay.elsewhere.test;") for a in authres(text)), "another host's field must stay"


@phtest.case
def np_for_a_subdomain_that_does_not_exist(s):
    # RFC 9091: corp.test asks nothing of its subdomains (sp=none) but
    # reject for names that do not exist
    send(s, "x@ghost.corp.test", message("x@ghost.corp.test", "ghost subdomain"), helo="ghost.corp.test")
    folder, text = arrived(s, "ghost subdomain")
    a = authres(text)[0]
    assert "dmarc=fail" in a and "np=reject" in a and "dis=reject" in a, a
    assert folder == "Junk", folder
    send(s, "x@www.corp.test", message("x@www.corp.test", "real subdomain"), helo="www.corp.test")
    folder, text = arrived(s, "real subdomain")
    a = authres(text)[0]
    assert "dmarc=fail" in a and "np=" not in a and "dis=none" in a, a
    assert folder == "INBOX", folder


def list_forward(subject, sealer):
    """alice@sender.test's signed message, as a list at `sealer` passes it
    on: a tag in the Subject (the original DKIM signature breaks), its
    own Authentication-Results, then dkimpy's ARC set."""
    orig = sign(message("alice@sender.test", subject), "sender.test", SENDER_KEY)
    changed = orig.replace(("Subject: %s" % subject).encode(), ("Subject: [list] %s" % subject).encode())
    ar = ("Authentication-Results: %s; dkim=pass header.d=sender.test; spf=pass smtp.mailfrom=sender.test; arc=none\r\n"
          % sealer).encode()
    changed = ar + changed
    seal = dkim.arc_sign(changed, b"arc", sealer.encode(), LIST_KEY, sealer.encode())
    return b"".join(seal) + changed


@phtest.case
def arc_sealed_forward_passes_for_a_trusted_sealer(s):
    send(s, "list-bounces@lists.test", list_forward("via the list", "lists.test"), helo="mail.lists.test")
    folder, text = arrived(s, "[list] via the list")
    a = authres(text)[0]
    assert re.search(r"arc=pass \(i=1 d=lists\.test\)", a), a
    assert "dkim=fail" in a and "dmarc=fail" in a and "override=trusted_forwarder" in a, a
    assert folder == "INBOX", (folder, a)


@phtest.case
def arc_sealed_forward_from_an_untrusted_sealer_is_junk(s):
    send(s, "bounces@otherlist.test", list_forward("via another list", "otherlist.test"), helo="mail.otherlist.test")
    folder, text = arrived(s, "[list] via another list")
    a = authres(text)[0]
    assert "arc=pass" in a and "dmarc=fail" in a and "override" not in a, a
    assert folder == "Junk", (folder, a)


@phtest.case
def silent_dns_gives_temperror_not_a_hang(s):
    t0 = time.monotonic()
    send(s, "someone@slow.test", message("someone@slow.test", "slow dns"), helo="slow.test")
    folder, text = arrived(s, "slow dns", timeout=40)
    a = authres(text)[0]
    assert "spf=temperror" in a and "dmarc=temperror" in a, a
    assert folder == "INBOX", folder
    assert time.monotonic() - t0 < 30, time.monotonic() - t0


@phtest.case
def mailctl_dns_prints_the_records(s):
    out = s.mailctl("dns", "example.test").stdout
    assert re.search(r"^example\.test\. IN MX 10 %s\.$" % re.escape(HOST), out, re.M), out
    assert 'example.test. IN TXT "v=spf1 mx -all"' in out, out
    assert '_dmarc.example.test. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@example.test"' in out, out
    keys = s.state / "config" / "opendkim" / "keys" / "example.test"
    for t in keys.glob("*.txt"):
        sel = t.stem
        want = "".join(re.findall(r'"([^"]*)"', t.read_text()))
        m = re.search(r"^%s\._domainkey\.example\.test\. IN TXT \((.*)\)$" % re.escape(sel), out, re.M)
        assert m, (sel, out)
        assert "".join(re.findall(r'"([^"]*)"', m.group(1))) == want, (sel, m.group(1), want)
    r = s.mailctl("dns", "not a domain", check=False)
    assert r.returncode == 100, r


if __name__ == "__main__":
    phtest.main(extra_env={"PH_DNS_RESOLVER": DNS.resolver,
                           "PH_ARC_TRUSTED_SEALERS": "lists.test",
                           "PH_DNS_TIMEOUT_MS": "2000",
                           "PH_AUTH_TIMEOUT_MS": "5000"})
