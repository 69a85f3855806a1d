"""deliverd-remote's TLS: opportunistic STARTTLS through tlsc, the
fallback to plaintext, RFC 8689 REQUIRETLS (verified TLS and the
REQUIRETLS keyword, else 5.7.30), AUTH to a smarthost only over TLS, and
PH_TLS_VERIFY. Same harness as test_remote.py: the real remote service,
queued's side played by tests/lib/remoteclient, MX records from
tests/lib/dnsserver, remote MTAs from tests/lib/smtpsink on 127.0.0.x
(python ssl), certificates from a test CA made with the openssl CLI and
handed to tlsc through PH_TLS_CA_FILE."""

import os
import pathlib
import re
import subprocess
import tempfile
import time

import dnsserver
import phtest
import remoteclient
import smtpsink

SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
TIMEOUT = 3
CERTS = pathlib.Path(tempfile.mkdtemp(prefix="test_remote_tls."))
os.chmod(CERTS, 0o755)


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _make_ca():
    key, pem = CERTS / "ca.key", CERTS / "ca.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(pem),
             "-days", "3", "-subj", "/CN=posthaste remote TLS test CA")
    os.chmod(pem, 0o644)
    return key, pem


def _make_leaf(label, names):
    key, csr, ext, leaf = (CERTS / (label + s) for s in (".key", ".csr", ".ext", ".pem"))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=" + names[0])
    ext.write_text("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % ",".join("DNS:" + n for n in names))
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(CA[1]), "-CAkey", str(CA[0]), "-CAcreateserial",
             "-days", "2", "-extfile", str(ext), "-out", str(leaf))
    return (str(leaf), str(key))


CA = _make_ca()
GOOD = _make_leaf("good", ["mx.good.test", "*.good.test"])   # every test host its own name: mxNN.good.test
WRONG = _make_leaf("wrong", ["elsewhere.test"])

ENV = remoteclient.suite_env(DNS, SINK_PORT, TIMEOUT, reuse_idle=5, PH_TLS_CA_FILE=str(CA[1]))

MSG = b"From: demo@example.test\nTo: x@remote.test\nSubject: tls\n\nbody\n"


def deliver(s, rcpts, **kw):
    return remoteclient.deliver(s, "demo@example.test", rcpts, MSG, **kw)


def sink(n, **kw):
    return smtpsink.SMTPSink(ip="127.0.0.%d" % n, port=SINK_PORT, name="sink%d.test" % n, **kw).start()


def mx(domain, host, ip, pref=10):
    DNS.add(domain, "MX", "%d %s." % (pref, host))
    DNS.add(host, "A", ip)


def log_has(s, pattern, timeout=5):
    return s.wait_for(lambda: re.search(pattern, s.log("remote"), re.M), timeout)


def commands(sess):
    return [t[1] for t in sess.transcript if t[0] == "C"]


# ---- opportunistic STARTTLS

@phtest.case
def starttls_used_when_offered(s):
    mx("opp.test", "mx31.good.test", "127.0.0.31")
    d = sink(31, tls_cert=GOOD)
    try:
        r = deliver(s, ["u@opp.test"])
        assert r and r[0]["v"] == "K", r
        sess = d.sessions[0]
        assert sess.tls and sess.tls_version in ("TLSv1.2", "TLSv1.3") and sess.tls_sni == "mx31.good.test", vars(sess)
        cmds = commands(sess)
        assert cmds[1] == b"STARTTLS" and cmds[0].startswith(b"EHLO ") and cmds[2] == cmds[0], cmds   # RFC 3207 4.2: EHLO again
        assert len(d.messages) == 1 and d.messages[0].data.endswith(b"body\r\n")
        assert "REQUIRETLS" not in d.messages[0].mail_params
        assert log_has(s, r"event=remote_tls qid=\w+ host=mx31.good.test ip=127.0.0.31 proto=TLSv1\.[23] cipher=\S+ verified=yes cn=mx.good.test")
    finally:
        d.stop()


@phtest.case
def unverified_certificate_still_encrypts(s):
    mx("selfsigned.test", "mx.selfsigned.test", "127.0.0.32")
    d = sink(32, tls=True)     # smtpsink's own self-signed certificate
    try:
        r = deliver(s, ["u@selfsigned.test"])
        assert r and r[0]["v"] == "K", r
        assert d.sessions[0].tls and len(d.messages) == 1
        assert log_has(s, r"event=remote_tls qid=\w+ host=mx.selfsigned.test .*verified=no verify_error=\"self-signed certificate\"")
    finally:
        d.stop()


@phtest.case
def failed_handshake_retries_in_clear(s):
    mx("broken.test", "mx.broken.test", "127.0.0.33")
    d = sink(33, tls_fail=True)
    try:
        r = deliver(s, ["u@broken.test"])
        assert r and r[0]["v"] == "K", r
        assert d.connections == 2, d.connections
        assert d.sessions[0].tls_error and not d.sessions[0].messages
        assert b"STARTTLS" not in commands(d.sessions[1]) and len(d.sessions[1].messages) == 1, commands(d.sessions[1])
        assert log_has(s, r"event=remote_tls_failed qid=\w+ host=mx.broken.test ip=127.0.0.33 reason=\"handshake failed\" then=plaintext")
    finally:
        d.stop()


@phtest.case
def starttls_refused_goes_on_in_clear(s):
    mx("refused.test", "mx.refused.test", "127.0.0.34")
    d = sink(34, tls=True, replies={"STARTTLS": "454 4.7.0 TLS not available due to local problem"})
    try:
        r = deliver(s, ["u@refused.test"])
        assert r and r[0]["v"] == "K", r
        assert d.connections == 1 and not d.sessions[0].tls and len(d.messages) == 1
    finally:
        d.stop()


@phtest.case
def bytes_after_220_are_not_taken_for_tls(s):
    # the client side of CVE-2011-0411: a reply injected after 220 must
    # never be read as if it came inside TLS
    mx("inject.test", "mx.inject.test", "127.0.0.35")

    def inject(sess, arg):
        sess.sock.sendall(b"220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 AUTH PLAIN\r\n")
        return smtpsink.HANG
    d = sink(35, tls=True, replies={"STARTTLS": inject})
    try:
        r = deliver(s, ["u@inject.test"])
        assert r and r[0]["v"] == "K", r
        assert d.connections == 2 and not d.sessions[0].messages and len(d.sessions[1].messages) == 1
        assert log_has(s, r"event=remote_tls_failed qid=\w+ host=mx.inject.test .*reason=\"protocol error\" then=plaintext")
    finally:
        d.stop()


# ---- REQUIRETLS (RFC 8689)

@phtest.case
def requiretls_over_verified_tls(s):
    mx("rtls-ok.test", "mx36.good.test", "127.0.0.36")
    d = sink(36, tls_cert=GOOD, ehlo_tls=("REQUIRETLS",))
    try:
        r = deliver(s, ["u@rtls-ok.test"], extra=["XREQUIRETLS=1"])
        assert r and r[0]["v"] == "K", r
        assert d.sessions[0].tls and "REQUIRETLS" in d.messages[0].mail_params.split(), d.messages[0].mail_params
    finally:
        d.stop()


def requiretls_bounce(s, n, domain, host, expect_conns=1, **sinkkw):
    mx(domain, host, "127.0.0.%d" % n)
    d = sink(n, **sinkkw)
    try:
        r = deliver(s, ["u@" + domain], extra=["XREQUIRETLS=1"])
        assert r and r[0]["v"] == "D" and r[0]["text"].startswith("5.7.30 "), r
        assert "REQUIRETLS support required" in r[0]["text"], r
        assert not d.messages and d.connections == expect_conns, (d.messages, d.connections)
        assert not any(c.startswith(b"MAIL") for sess in d.sessions for c in commands(sess))
        return r, d
    finally:
        d.stop()


@phtest.case
def requiretls_wrong_name_bounces(s):
    r, d = requiretls_bounce(s, 37, "rtls-name.test", "mx.rtls-name.test", tls_cert=WRONG, ehlo_tls=("REQUIRETLS",))
    assert "hostname mismatch" in r[0]["text"], r
    assert d.sessions[0].tls_error, vars(d.sessions[0])   # refused at the handshake: not a byte of mail


@phtest.case
def requiretls_unknown_ca_bounces(s):
    r, d = requiretls_bounce(s, 38, "rtls-self.test", "mx.rtls-self.test", tls=True, ehlo_tls=("REQUIRETLS",))
    assert "self-signed certificate" in r[0]["text"], r


@phtest.case
def requiretls_without_starttls_bounces(s):
    r, d = requiretls_bounce(s, 39, "rtls-plain.test", "mx.rtls-plain.test")
    assert "does not offer STARTTLS" in r[0]["text"], r


@phtest.case
def requiretls_without_the_keyword_bounces(s):
    r, d = requiretls_bounce(s, 40, "rtls-kw.test", "mx40.good.test", tls_cert=GOOD)
    assert "does not offer REQUIRETLS" in r[0]["text"], r
    assert d.sessions[0].tls and commands(d.sessions[0])[-1] == b"QUIT"     # said goodbye inside TLS


@phtest.case
def requiretls_failed_handshake_never_in_clear(s):
    requiretls_bounce(s, 41, "rtls-broken.test", "mx.rtls-broken.test", tls_fail=True)


@phtest.case
def requiretls_takes_the_next_mx_that_qualifies(s):
    DNS.add("rtls-two.test", "MX", "10 mx.rtls-two.test.")
    DNS.add("mx.rtls-two.test", "A", "127.0.0.42")
    DNS.add("rtls-two.test", "MX", "20 mx43.good.test.")
    DNS.add("mx43.good.test", "A", "127.0.0.43")
    a = sink(42, tls=True, ehlo_tls=("REQUIRETLS",))
    b = sink(43, tls_cert=GOOD, ehlo_tls=("REQUIRETLS",))
    try:
        r = deliver(s, ["u@rtls-two.test"], extra=["XREQUIRETLS=1"])
        assert r and r[0]["v"] == "K" and "mx43.good.test[127.0.0.43]" in r[0]["text"], r
        assert not a.messages and len(b.messages) == 1
    finally:
        a.stop(), b.stop()


@phtest.case
def requiretls_never_reuses_an_unverified_connection(s):
    mx("rtls-reuse.test", "mx.rtls-reuse.test", "127.0.0.44")
    d = sink(44, tls=True, ehlo_tls=("REQUIRETLS",))
    c = remoteclient.Client(s)
    try:
        r1 = c.deliver("demo@example.test", ["a@rtls-reuse.test"], MSG)
        r2 = c.deliver("demo@example.test", ["b@rtls-reuse.test"], MSG, extra=["XREQUIRETLS=1"])
        assert r1[0]["v"] == "K" and r2[0]["v"] == "D" and r2[0]["text"].startswith("5.7.30 "), (r1, r2)
        assert d.connections == 2 and len(d.messages) == 1, (d.connections, d.messages)
    finally:
        c.close()
        d.stop()


@phtest.case
def requiretls_reuses_a_verified_connection(s):
    mx("rtls-reuse2.test", "mx45.good.test", "127.0.0.45")
    d = sink(45, tls_cert=GOOD, ehlo_tls=("REQUIRETLS",))
    c = remoteclient.Client(s)
    try:
        r1 = c.deliver("demo@example.test", ["a@rtls-reuse2.test"], MSG)
        r2 = c.deliver("demo@example.test", ["b@rtls-reuse2.test"], MSG, extra=["XREQUIRETLS=1"])
        assert r1[0]["v"] == "K" and r2[0]["v"] == "K", (r1, r2)
        assert d.connections == 1 and "REQUIRETLS" in d.messages[1].mail_params, (d.connections, d.messages[1].mail_params)
        c.close()
        assert s.wait_for(lambda: d.sessions[0].closed, 10)
        assert commands(d.sessions[0])[-1] == b"QUIT"
    finally:
        c.close()
        d.stop()


# ---- smarthost AUTH only over TLS

@phtest.case
def smarthost_auth_over_tls(s):
    DNS.add("relay46.good.test", "A", "127.0.0.46")
    d = sink(46, tls_cert=GOOD, auth={"relayuser": "s3cret"}, require_auth=True)
    try:
        with phtest.envfile(s, RELAY_HOST="relay46.good.test", RELAY_PORT=SINK_PORT, RELAY_USER="relayuser", RELAY_PASSWORD="s3cret"):
            r = deliver(s, ["u@anywhere.test"])
        assert r and r[0]["v"] == "K", r
        sess = d.sessions[0]
        cmds = commands(sess)
        assert sess.tls and sess.auth_user == "relayuser" and sess.tls_sni == "relay46.good.test", vars(sess)
        assert cmds.index(b"STARTTLS") < min(i for i, c in enumerate(cmds) if c.startswith(b"AUTH")), cmds
        assert "s3cret" not in s.log("remote")
    finally:
        d.stop()


@phtest.case
def smarthost_auth_refused_without_tls(s):
    d = sink(47, auth={"relayuser": "pw"}, require_auth=True)
    try:
        with phtest.envfile(s, RELAY_HOST="127.0.0.47", RELAY_PORT=SINK_PORT, RELAY_USER="relayuser", RELAY_PASSWORD="pw"):
            r = deliver(s, ["u@anywhere.test"])
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.7.10 "), r
        assert not any(c.startswith(b"AUTH") for sess in d.sessions for c in commands(sess))
        with phtest.envfile(s, RELAY_HOST="127.0.0.47", RELAY_PORT=SINK_PORT, RELAY_USER="relayuser", RELAY_PASSWORD="pw",
                     PH_RELAY_AUTH_INSECURE=1):
            r = deliver(s, ["u@anywhere.test"])
        assert r and r[0]["v"] == "K", r
        assert any(sess.auth_user == "relayuser" and not sess.tls for sess in d.sessions)
    finally:
        d.stop()


@phtest.case
def smarthost_auth_handshake_failure_waits(s):
    DNS.add("relay48.good.test", "A", "127.0.0.48")
    d = sink(48, tls_fail=True, auth={"relayuser": "pw"}, require_auth=True)
    try:
        with phtest.envfile(s, RELAY_HOST="relay48.good.test", RELAY_PORT=SINK_PORT, RELAY_USER="relayuser", RELAY_PASSWORD="pw"):
            r = deliver(s, ["u@anywhere.test"])
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.7.5 "), r
        assert d.connections == 1, d.connections      # no second try in clear: the password would go there
        assert not any(c.startswith(b"AUTH") for sess in d.sessions for c in commands(sess))
    finally:
        d.stop()


@phtest.case
def tls_verify_relay_policy(s):
    DNS.add("relay49.good.test", "A", "127.0.0.49")
    bad = sink(49, tls=True)
    try:
        with phtest.envfile(s, RELAY_HOST="relay49.good.test", RELAY_PORT=SINK_PORT, PH_TLS_VERIFY="relay"):
            r = deliver(s, ["u@anywhere.test"])
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.7.5 ") and "did not verify" in r[0]["text"], r
        assert not bad.messages
    finally:
        bad.stop()
    good = sink(49, tls_cert=GOOD)
    try:
        with phtest.envfile(s, RELAY_HOST="relay49.good.test", RELAY_PORT=SINK_PORT, PH_TLS_VERIFY="relay"):
            r = deliver(s, ["u@anywhere.test"])
        assert r and r[0]["v"] == "K" and good.sessions[0].tls, r
    finally:
        good.stop()
    # an MX is not concerned by "relay"
    mx("policy-mx.test", "mx.policy-mx.test", "127.0.0.50")
    plain = sink(50)
    try:
        with phtest.envfile(s, PH_TLS_VERIFY="relay"):
            r = deliver(s, ["u@policy-mx.test"])
        assert r and r[0]["v"] == "K", r
    finally:
        plain.stop()


@phtest.case
def tls_verify_all_policy(s):
    mx("policy-all.test", "mx.policy-all.test", "127.0.0.51")
    plain = sink(51)
    try:
        with phtest.envfile(s, PH_TLS_VERIFY="all"):
            r = deliver(s, ["u@policy-all.test"])
        assert r and r[0]["v"] == "Z" and r[0]["text"].startswith("4.7.4 "), r
        assert not plain.messages
    finally:
        plain.stop()


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        DNS.stop()
        subprocess.run(["rm", "-rf", str(CERTS)])
