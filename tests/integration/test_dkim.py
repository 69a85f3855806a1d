#!/usr/bin/python3
"""DKIM (dkimsign/README.md) against dkimpy (python3-dkim):

- dkimsign's signatures (RSA and Ed25519, relaxed and simple) verify
  with dkimpy;
- dkimpy's signatures verify with `dkimsign -v`, its keys fetched through
  real DNS (tests/lib/dnsserver on loopback, PH_DNS_RESOLVER);
- end to end under s6: a message the demo account submits on the
  submission port arrives with an RSA and an Ed25519 signature that
  dkimpy accepts;
- the chain entry `dkimsign -c`: unsigned for a domain without a key,
  tempfail when the service is down, refused for a uid that may not ask.
"""

import base64
import os
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import dkim  # noqa: E402
import dnsserver  # noqa: E402
import phtest  # noqa: E402
from submitlib import logged_in, message_with  # noqa: E402

VECTORS = pathlib.Path(os.environ.get("PH_DKIM_VECTORS", "/work/shared/conformance/dkim"))
DNS = dnsserver.DNSServer().start()

MESSAGE = (b"From: Demo <demo@example.test>\r\n"
           b"To: someone@elsewhere.test\r\n"
           b"Subject: DKIM  test\t message\r\n"
           b"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
           b"Message-ID: <dkim-test@example.test>\r\n"
           b"\r\n"
           b"Hello,  world \r\n"
           b"\r\n"
           b"second paragraph\r\n"
           b"\r\n\r\n")


def key_records(s):
    """{name: TXT value} from the .txt files mailctl wrote beside the keys."""
    recs = {}
    for txt in (s.state / "config" / "opendkim" / "keys" / "example.test").glob("*.txt"):
        m = re.match(r'(\S+)\. IN TXT \((.*)\)', txt.read_text())
        assert m, txt.read_text()
        recs[m.group(1)] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
    return recs


def dnsfunc_for(recs):
    def f(name, timeout=5):
        v = recs.get(name.decode().rstrip("."))
        return v.encode() if v is not None else None
    return f


def dkimpy_results(msg, recs):
    msg = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head = msg.split(b"\r\n\r\n", 1)[0]
    n = sum(1 for line in head.split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
    d = dkim.DKIM(msg)
    return [d.verify(idx=i, dnsfunc=dnsfunc_for(recs)) for i in range(n)]


def algorithms(msg):
    return sorted(re.findall(rb"a=([a-z0-9-]+);", msg.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]))


@phtest.case
def demo_keys_made_for_phdkim_only(s):
    import pwd
    for name in ("mail.private", "ed25519.private"):
        p = s.state / "config" / "opendkim" / "keys" / "example.test" / name
        st = p.stat()
        assert pwd.getpwuid(st.st_uid).pw_name == "phdkim", (p, st.st_uid)
        assert st.st_mode & 0o077 == 0, oct(st.st_mode)
    kt = (s.state / "config" / "opendkim" / "KeyTable").read_text()
    assert "mail._domainkey.example.test example.test:mail:" in kt, kt
    assert "ed25519._domainkey.example.test example.test:ed25519:" in kt, kt
    out = s.mailctl("dkim", "list").stdout
    assert re.search(r"example\.test mail rsa 2048 ", out), out
    assert re.search(r"example\.test ed25519 ed25519 ", out), out


@phtest.case
def dkimsign_filter_verified_by_dkimpy(s):
    recs = key_records(s)
    for canon in ("relaxed/relaxed", "simple/simple", "relaxed/simple"):
        env = dict(os.environ, PH_CONFIG_DIR=str(s.state / "config"), PH_DKIM_CANON=canon, PH_DKIM_EXPIRE="3600")
        env.pop("PH_ENVFILE", None)
        for eol in (b"\r\n", b"\n"):
            r = subprocess.run([str(s.bin / "dkimsign")], input=MESSAGE.replace(b"\r\n", eol), capture_output=True, env=env, timeout=30)
            assert r.returncode == 0, r.stderr
            assert algorithms(r.stdout) == [b"ed25519-sha256", b"rsa-sha256"], r.stdout[:600]
            assert b"c=" + canon.encode() in r.stdout.replace(b"\n\t", b" ").replace(b"\r", b""), r.stdout[:600]
            assert re.search(rb"h=from:from:", r.stdout), r.stdout[:600]
            assert re.search(rb"x=\d+;", r.stdout), r.stdout[:600]
            assert dkimpy_results(r.stdout, recs) == [True, True], (canon, eol, r.stdout[:800])


@phtest.case
def rspamd_and_container_paths(s):
    """docker-mailserver's rspamd layout (key files named by type,
    selector and domain; dkim_signing.conf naming others with container
    paths) and an OpenDKIM KeyTable with /etc/opendkim/ paths."""
    import nacl.signing
    import shutil
    import tempfile
    d = pathlib.Path(tempfile.mkdtemp(prefix="dkimconf."))
    try:
        (d / "rspamd" / "dkim").mkdir(parents=True)
        (d / "rspamd" / "override.d").mkdir(parents=True)
        (d / "opendkim" / "keys" / "other.test").mkdir(parents=True)
        sk = nacl.signing.SigningKey.generate()
        # rspamd's Ed25519 form: base64 of seed + public key, one line
        (d / "rspamd" / "dkim" / "ed25519-ed-rsp.test.private.txt").write_text(
            base64.b64encode(sk.encode() + sk.verify_key.encode()).decode() + "\n")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", str(d / "rspamd" / "dkim" / "rsa-2048-mail-rsp.test.private.txt")], check=True, capture_output=True)
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024",
                        "-out", str(d / "rspamd" / "conf.key")], check=True, capture_output=True)
        (d / "rspamd" / "override.d" / "dkim_signing.conf").write_text(
            'enabled = true;\n# a comment { with braces }\ndomain {\n  unused.test { path = "/nowhere"; selector = "x"; }\n'
            '  rsp.test {\n    selectors [\n      { path: "/tmp/docker-mailserver/rspamd/conf.key"; selector: "conf"; }\n    ]\n  }\n}\n')
        subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", str(d / "opendkim" / "keys" / "other.test" / "k.private")],
                       check=True, capture_output=True)
        (d / "opendkim" / "KeyTable").write_text("k._domainkey.other.test other.test:k:/etc/opendkim/keys/other.test/k.private\n")
        (d / "opendkim" / "SigningTable").write_text("# comment\n*@*.other.test k._domainkey.other.test\nboss@OTHER.test k._domainkey.other.test\n")

        def pub(path):
            r = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", "-outform", "DER"], capture_output=True, check=True)
            return base64.b64encode(r.stdout).decode()
        recs = {
            "ed._domainkey.rsp.test": "v=DKIM1; k=ed25519; p=" + base64.b64encode(sk.verify_key.encode()).decode(),
            "mail._domainkey.rsp.test": "v=DKIM1; p=" + pub(d / "rspamd" / "dkim" / "rsa-2048-mail-rsp.test.private.txt"),
            "conf._domainkey.rsp.test": "v=DKIM1; p=" + pub(d / "rspamd" / "conf.key"),
            "k._domainkey.other.test": "v=DKIM1; k=ed25519; p=" + base64.b64encode(
                subprocess.run(["openssl", "pkey", "-in", str(d / "opendkim" / "keys" / "other.test" / "k.private"), "-pubout", "-outform", "DER"],
                               capture_output=True, check=True).stdout[-32:]).decode(),
        }
        env = dict(os.environ, PH_CONFIG_DIR=str(d))
        env.pop("PH_ENVFILE", None)
        r = subprocess.run([str(s.bin / "dkimsign")], input=MESSAGE.replace(b"demo@example.test", b"x@rsp.test"), capture_output=True, env=env, timeout=30)
        assert r.returncode == 0, r.stderr
        sels = sorted(re.findall(rb"\bs=([a-z]+);", r.stdout.split(b"\r\n\r\n")[0]))
        assert sels == [b"conf", b"ed", b"mail"], (sels, r.stderr)
        assert dkimpy_results(r.stdout, recs) == [True, True, True], r.stdout[:1500]
        for sender, signed in ((b"boss@other.test", True), (b"a@sub.other.test", True), (b"a@other.test", False)):
            r = subprocess.run([str(s.bin / "dkimsign")], input=MESSAGE.replace(b"demo@example.test", sender), capture_output=True, env=env, timeout=30)
            assert r.returncode == 0, r.stderr
            assert r.stdout.startswith(b"DKIM-Signature:") == signed, (sender, r.stdout[:300], r.stderr)
            if signed:
                assert dkimpy_results(r.stdout, recs) == [True], r.stdout[:800]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def dkimpy_sign(msg, key, selector, domain, canon, alg):
    return dkim.sign(msg, selector.encode(), domain.encode(), key, canonicalize=canon,
                     signature_algorithm=alg, include_headers=[b"from", b"to", b"subject", b"date"]) + msg


@phtest.case
def dkimpy_signatures_verified_through_dns(s):
    rsa_pem = (VECTORS / "keys" / "dkimpy-test.rsa1024.private.pem").read_bytes()
    seed = (VECTORS / "keys" / "dkimpy-ed25519test.seed.b64").read_bytes().strip()
    rsa_pub = re.sub(r"\s", "", subprocess.run(["openssl", "pkey", "-pubout"], input=rsa_pem, capture_output=True, check=True).stdout.decode()
                     .replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", ""))
    # quoted: in zone-file syntax, ";" starts a comment
    DNS.add("rsa._domainkey.signer.test", "TXT", '"v=DKIM1; k=rsa; p=%s"' % rsa_pub)
    DNS.add("ed._domainkey.signer.test", "TXT", '"v=DKIM1; k=ed25519; p=yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y="')
    env = dict(os.environ, PH_DNS_RESOLVER=DNS.resolver)
    env.pop("PH_ENVFILE", None)
    before = len(DNS.queries)
    for canon in ((b"relaxed", b"relaxed"), (b"simple", b"simple")):
        msg = MESSAGE.replace(b"demo@example.test", b"someone@signer.test")
        signed = dkimpy_sign(msg, rsa_pem, "rsa", "signer.test", canon, b"rsa-sha256")
        signed = dkimpy_sign(signed, seed, "ed", "signer.test", canon, b"ed25519-sha256")
        r = subprocess.run([str(s.bin / "dkimsign"), "-v"], input=signed, capture_output=True, env=env, timeout=30)
        out = r.stdout.decode()
        assert r.returncode == 0, (canon, out, r.stderr)
        assert re.search(r"^dkim=pass header\.d=signer\.test header\.s=ed header\.a=ed25519-sha256", out, re.M), out
        assert re.search(r"^dkim=pass header\.d=signer\.test header\.s=rsa header\.a=rsa-sha256", out, re.M), out
        # the same, altered: both fail, exit 1
        r = subprocess.run([str(s.bin / "dkimsign"), "-v"], input=signed.replace(b"second paragraph", b"second paragraph!"),
                           capture_output=True, env=env, timeout=30)
        assert r.returncode == 1 and r.stdout.decode().count("dkim=fail") == 2, r.stdout
    assert ("rsa._domainkey.signer.test", "TXT") in [(n, t) for n, t in DNS.queries[before:]], DNS.queries[before:]
    # a key that is not in DNS: permerror; a broken server: temperror
    DNS.servfail("ed._domainkey.signer.test")
    DNS.remove("rsa._domainkey.signer.test")
    r = subprocess.run([str(s.bin / "dkimsign"), "-v"], input=signed, capture_output=True, env=env, timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 1 and "dkim=temperror header.d=signer.test header.s=ed" in out and "dkim=permerror header.d=signer.test header.s=rsa" in out, out


@phtest.case
def submission_leaves_signed(s):
    recs = key_records(s)
    c = logged_in(s)
    c.expect("MAIL FROM:<demo@example.test>", "250")
    c.expect("RCPT TO:<demo@example.test>", "250")
    c.expect("DATA", "354")
    body = MESSAGE.replace(b"Message-ID: <dkim-test@example.test>", b"Message-ID: <dkim-e2e@example.test>")
    c.send(body + b".\r\n")
    assert c.reply()[-1].startswith("250"), "DATA refused"
    c.cmd("QUIT")
    m = message_with(s, b"dkim-e2e@example.test", timeout=20)
    assert algorithms(m) == [b"ed25519-sha256", b"rsa-sha256"], m[:800]
    assert dkimpy_results(m, recs) == [True, True], m[:1200]
    assert phtest_log_has(s, "dkimsign", r"event=dkim_signed qid=\S+ d=example\.test s=mail a=rsa-sha256")


@phtest.case
def sendmail_leaves_signed(s):
    """The same through sendmail (P LOCAL: the outbound chain too)."""
    recs = key_records(s)
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    body = MESSAGE.replace(b"Message-ID: <dkim-test@example.test>", b"Message-ID: <dkim-sendmail@example.test>").replace(b"\r\n", b"\n")
    r = subprocess.run([str(s.bin / "sendmail"), "-f", "demo@example.test", "demo@example.test"], input=body, env=env,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    m = message_with(s, b"dkim-sendmail@example.test", timeout=20)
    assert algorithms(m) == [b"ed25519-sha256", b"rsa-sha256"], m[:800]
    assert dkimpy_results(m, recs) == [True, True], m[:1200]


def phtest_log_has(s, service, pattern, timeout=10):
    return s.wait_for(lambda: re.search(pattern, s.log(service)), timeout)


@phtest.case
def chain_client_answers(s):
    env = dict(os.environ, PH_RUN_DIR=str(s.state / "run"), QUEUE_ID="testqid")
    env.pop("PH_ENVFILE", None)
    other = MESSAGE.replace(b"demo@example.test", b"someone@nokey.test")
    r = subprocess.run([str(s.bin / "dkimsign"), "-c"], input=other, capture_output=True, env=env, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(b"\ndeliver dkimsign unsigned: no key for nokey.test"), (r.returncode, r.stdout, r.stderr)
    r = subprocess.run([str(s.bin / "dkimsign"), "-c"], input=MESSAGE, capture_output=True, env=env, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(b"DKIM-Signature: ") and b"\n\ndeliver dkimsign d=example.test" in r.stdout, r.stdout
    # a uid that may not ask for signatures gets no signature
    r = subprocess.run(["s6-setuidgid", "nobody", str(s.bin / "dkimsign"), "-c"], input=MESSAGE, capture_output=True, env=env, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(b"tempfail dkimsign:"), r.stdout
    assert phtest_log_has(s, "dkimsign", r"event=dkim_refused peeruid=\d+")
    # the service down: a temporary failure
    env["PH_RUN_DIR"] = "/nonexistent"
    r = subprocess.run([str(s.bin / "dkimsign"), "-c"], input=MESSAGE, capture_output=True, env=env, timeout=30)
    assert r.returncode == 0 and r.stdout == b"tempfail dkimsign: signing service unavailable\n", r.stdout


if __name__ == "__main__":
    try:
        phtest.main(extra_env={"PH_DNS_RESOLVER": DNS.resolver})
    finally:
        DNS.stop()
