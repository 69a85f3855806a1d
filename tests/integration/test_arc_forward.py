#!/usr/bin/python3
"""test_arc_forward: ARC sealing of forwarded mail (RFC 8617;
docs/internals.md, "DKIM signing"; dkimsign/README.md, "ARC").

A message from an outside domain that signs with DKIM (its key published
in tests/lib/dnsserver on loopback) comes in on the MX port to an alias
of example.test that points outside; the outside domain's MX is a
tests/lib/smtpsink. What arrives there carries a new ARC set made with
example.test's key (the demo's "mail" RSA key), which dkimpy's
arc_verify (python3-dkim) accepts: i=1 cv=none the first time; sent in
again (the chain now exists, and policyd-filter validates it against
example.test's published key) it leaves with i=2 cv=pass.
"""

import base64
import pathlib
import re
import smtplib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import dkim  # noqa: E402
import dnsserver  # noqa: E402
import phtest  # noqa: E402
import smtpsink  # noqa: E402

SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
ENV = {
    "PH_DNS_RESOLVER": DNS.resolver,
    "PH_REMOTE_PORT": str(SINK_PORT),
}
SINK = smtpsink.SMTPSink(ip="127.0.0.2", port=SINK_PORT, name="mx.forward.test").start()


def txt(name, value):
    """A TXT record of character-strings of at most 255 bytes (RFC 1035
    3.3.14; DKIM joins them, RFC 6376 3.6.2.2)."""
    v = value.encode()
    DNS.add(name, "TXT", [v[i:i + 255] for i in range(0, len(v), 255)])


def rsa_key():
    """(private PEM, base64 of the public key's DER) made by openssl."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="arckey."))
    subprocess.run(["openssl", "genrsa", "-out", str(d / "k.pem"), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(d / "k.pem"), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return (d / "k.pem").read_bytes(), base64.b64encode(der).decode()


OUTSIDE_KEY, OUTSIDE_PUB = rsa_key()
txt("sel._domainkey.outside.test", "v=DKIM1; k=rsa; p=" + OUTSIDE_PUB)
txt("outside.test", "v=spf1 ip4:127.0.0.0/8 -all")
DNS.add("outside.test", "MX", "10 mx.outside.test.")
DNS.add("mx.outside.test", "A", "127.0.0.9")
txt("_dmarc.outside.test", "v=DMARC1; p=none")
DNS.add("forward.test", "MX", "10 mx.forward.test.")
DNS.add("mx.forward.test", "A", "127.0.0.2")


def txt_lookup(name, timeout=5):
    """dkimpy's dnsfunc, answered from the test's own records."""
    recs = DNS._records.get(dnsserver._norm(name.decode()), {}).get("TXT", [])
    if not recs:
        return None
    rdata = recs[0][1]
    return b"".join(rdata.data)


def publish_our_key(s):
    """example.test's RSA key record, as mailctl wrote it beside the key."""
    f = s.state / "config" / "opendkim" / "keys" / "example.test" / "mail.txt"
    m = re.match(r'(\S+)\. IN TXT \((.*)\)', f.read_text(), re.S)
    assert m, f.read_text()
    DNS.remove(m.group(1), "TXT")
    txt(m.group(1), "".join(re.findall(r'"([^"]*)"', m.group(2))))


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def header(msg):
    return crlf(msg).split(b"\r\n\r\n", 1)[0].decode()


def arc_fields(msg, name):
    """Every field called name, unfolded, top to bottom."""
    return [f for f in re.split(r"\r\n(?![ \t])", header(msg)) if f.lower().startswith(name.lower() + ":")]


def send(s, rcpt, msg):
    n = len(SINK.messages)
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30) as c:
        c.sendmail("alice@outside.test", [rcpt], msg)
    got = SINK.wait_messages(n + 1, 60)
    assert len(got) > n, "nothing reached the sink; remote log: %s" % s.log("remote")[-2000:]
    return crlf(got[n].data)


def original():
    msg = (b"From: Alice <alice@outside.test>\r\n"
           b"To: fwd@example.test\r\n"
           b"Subject: forwarded with a seal\r\n"
           b"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
           b"Message-ID: <arc-forward@outside.test>\r\n"
           b"\r\n"
           b"Hello through an alias.\r\n")
    sig = dkim.sign(msg, b"sel", b"outside.test", OUTSIDE_KEY, include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return sig + msg


@phtest.case
def forwarded_mail_gets_arc_set_1_cv_none(s):
    publish_our_key(s)
    s.mailctl("alias", "add", "fwd@example.test", "far@forward.test")
    got = send(s, "fwd@example.test", original())
    seals = arc_fields(got, "ARC-Seal")
    assert len(seals) == 1, header(got)
    assert re.search(r"\bi=1;", seals[0]) and re.search(r"\bcv=none;", seals[0]), seals[0]
    assert re.search(r"\bd=example\.test;", seals[0]) and re.search(r"\bs=mail;", seals[0]), seals[0]
    # the three fields on top, in arc_seal's order
    assert re.match(r"ARC-Seal:.*\r\nARC-Message-Signature:.*\r\nARC-Authentication-Results: i=1; mail\.example\.test;",
                    header(got), re.S), header(got)[:1500]
    aar = arc_fields(got, "ARC-Authentication-Results")[0]
    assert "dkim=pass" in aar and "header.d=outside.test" in aar, aar
    cv, results, why = dkim.arc_verify(got, dnsfunc=txt_lookup)
    assert cv == dkim.CV_Pass, (cv, results, why, header(got)[:2000])
    assert dkim.verify(got, dnsfunc=txt_lookup), "the sender's DKIM signature broke"
    assert s.wait_for(lambda: re.search(r"event=arc_sealed qid=\S+ d=example\.test s=mail cv=none alias=fwd@example\.test", s.log("dkimsign")), 10), \
        s.log("dkimsign")[-2000:]


@phtest.case
def second_hop_adds_set_2_cv_pass(s):
    publish_our_key(s)
    s.mailctl("alias", "add", "fwd2@example.test", "far2@forward.test")
    first = send(s, "fwd@example.test", original())
    got = send(s, "fwd2@example.test", first)
    seals = arc_fields(got, "ARC-Seal")
    assert len(seals) == 2, header(got)
    assert re.search(r"\bi=2;", seals[0]) and re.search(r"\bcv=pass;", seals[0]), seals[0]
    assert re.search(r"\bi=1;", seals[1]) and re.search(r"\bcv=none;", seals[1]), seals[1]
    aar2 = [f for f in arc_fields(got, "ARC-Authentication-Results") if f.startswith("ARC-Authentication-Results: i=2;")]
    assert aar2 and "arc=pass" in aar2[0], arc_fields(got, "ARC-Authentication-Results")
    cv, results, why = dkim.arc_verify(got, dnsfunc=txt_lookup)
    assert cv == dkim.CV_Pass, (cv, results, why, header(got)[:3000])
    # a broken chain is not passed: change the signed body, and dkimpy fails it
    cv, _, _ = dkim.arc_verify(got.replace(b"Hello through", b"Hello around"), dnsfunc=txt_lookup)
    assert cv == dkim.CV_Fail, cv


@phtest.case
def arcseal_only_for_root_and_phremote(s):
    """phfilter may ask dkimsign for DKIM signatures, not for ARC seals."""
    # a direct request from phfilter (a dkimsign peer, not an arcseal one)
    r = subprocess.run(["s6-setuidgid", "phfilter", "python3", "-c",
                        "import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
                        "s.sendall(b'arcseal 1 - fwd@example.test\\nFrom: a@b.test\\n\\nx\\n');s.shutdown(1);"
                        "sys.stdout.write(s.recv(65536).decode())",
                        s.env["PH_RUN_DIR"] + "/dkimsign.sock"], capture_output=True, text=True, timeout=30)
    assert "ARC-Seal" not in r.stdout, r.stdout
    assert s.wait_for(lambda: "peer not allowed to ask for ARC seals" in s.log("dkimsign"), 10), s.log("dkimsign")[-2000:]


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        SINK.stop()
        DNS.stop()
