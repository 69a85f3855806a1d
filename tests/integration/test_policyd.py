"""test_policyd: the SPF policy service (policyd/README.md) with smtpd, with
Debian's Postfix (check_policy_service), and against protocol abuse.

A DNS server on loopback (tests/lib/dnsserver.py) publishes the senders'
SPF records; the suite's PH_DNS_RESOLVER points at it. The client is
127.0.0.1, which policyd skips by default (PH_SPF_SKIP_ADDRESSES, as
postfix-policyd-spf-python): the suite sets it to "none".
"""

import os
import re
import socket
import subprocess
import time

import dnsserver
import phtest
import privpostfix
import smtpraw

DEMO = "demo@example.test"

DNS = dnsserver.DNSServer({
    "fail.test": {"TXT": ["\"v=spf1 -all\""]},
    "pass.test": {"TXT": ["\"v=spf1 ip4:127.0.0.0/8 -all\""]},
    "soft.test": {"TXT": ["\"v=spf1 ~all\""]},
    "exp.test": {"TXT": ["\"v=spf1 -all exp=why.exp.test\""]},
    "why.exp.test": {"TXT": ["\"%{i} may not send mail for %{d}\""]},
    "broken.test": {"TXT": ["\"v=spf1 foo:bar -all\""]},
    "slow.test": {"A": ["192.0.2.1"]},
    "badhelo.test": {"TXT": ["\"v=spf1 -all\""]},
    "goodhelo.test": {"TXT": ["\"v=spf1 ip4:127.0.0.1 -all\""]},
}).start()
DNS.hang("slow.test")

SUITE_ENV = {
    "PH_DNS_RESOLVER": DNS.resolver,
    "PH_SPF_SKIP_ADDRESSES": "none",
    "PH_SPF_REJECT_FAIL": "1",
    "PH_SPF_DEFER_TEMPERROR": "1",
    "PH_SPF_TIMEOUT": "2",
    "PH_SPF_PREPEND": "1",
}


def rcpt(s, sender, helo="client.test"):
    c = smtpraw.Raw(s, "smtp")
    try:
        c.last()
        c.ehlo(helo)
        c.expect("MAIL FROM:<%s>" % sender, "250")
        return c.cmd("RCPT TO:<%s>" % DEMO)
    finally:
        c.close()


def send(s, sender, marker):
    c = smtpraw.Raw(s, "smtp")
    try:
        c.last()
        c.ehlo("client.test")
        c.expect("MAIL FROM:<%s>" % sender, "250")
        c.expect("RCPT TO:<%s>" % DEMO, "250")
        c.expect("DATA", "354")
        c.send(("From: <%s>\r\nSubject: %s\r\n\r\nbody\r\n.\r\n" % (sender, marker)).encode())
        r = c.last()
        assert r.startswith("250"), r
        c.cmd("QUIT")
    finally:
        c.close()


# ---- (a) smtpd asking policyd

@phtest.case
def smtpd_points_at_policyd(s):
    assert s.env.get("PH_POLICY_SERVICE") == "unix:%s/run/policy.sock" % s.state, s.env.get("PH_POLICY_SERVICE")
    st = os.stat(s.state / "run" / "policy.sock")
    assert st.st_mode & 0o777 == 0o666, oct(st.st_mode)


@phtest.case
def spf_fail_refused_550_5_7_23(s):
    r = rcpt(s, "someone@fail.test")
    assert r.startswith("550 5.7.23"), r
    assert "127.0.0.1 is not allowed to send mail for fail.test" in r, r
    assert s.wait_for(lambda: "event=spf" in s.log("policy") and "result=fail" in s.log("policy"), 10), s.log("policy")[-2000:]


@phtest.case
def spf_fail_explanation_from_exp(s):
    r = rcpt(s, "someone@exp.test")
    assert r.startswith("550 5.7.23"), r
    assert "127.0.0.1 may not send mail for exp.test" in r, r


@phtest.case
def spf_pass_accepted_with_received_spf(s):
    send(s, "friend@pass.test", "spf-pass-marker")
    m = smtpraw.message_with(s, b"spf-pass-marker")
    # policyd's PREPEND (PH_SPF_PREPEND=1) is one unfolded line;
    # policyd-filter, in the inbound chain, writes its own (folded)
    ours = [ln for ln in m.split(b"\n") if ln.startswith(b"Received-SPF: pass (mail.example.test: domain of "
                                                          b"friend@pass.test designates 127.0.0.1 as permitted sender) ")]
    assert len(ours) == 1, m[:3000]
    assert b" client-ip=127.0.0.1; envelope-from=\"friend@pass.test\"; helo=client.test; " in ours[0], ours
    assert ours[0].rstrip(b"\r").endswith(b"identity=mailfrom; mechanism=\"ip4:127.0.0.0/8\""), ours


@phtest.case
def softfail_and_permerror_let_through(s):
    assert rcpt(s, "x@soft.test").startswith("250"), "softfail"
    assert rcpt(s, "x@broken.test").startswith("250"), "permerror"
    # the log goes through s6-log: wait for the lines
    assert s.wait_for(lambda: "result=softfail" in s.log("policy") and "result=permerror" in s.log("policy"), 10), s.log("policy")[-2000:]
    assert "problem=\"unknown mechanism: foo:bar\"" in s.log("policy"), s.log("policy")[-2000:]


@phtest.case
def temperror_deferred_451_4_7_24(s):
    t0 = time.monotonic()
    r = rcpt(s, "x@slow.test")
    assert r.startswith("451 4.7.24"), r
    assert time.monotonic() - t0 < 9, "not bound by PH_SPF_TIMEOUT"


def sub_suite(env, services=("smtpd", "policy", "inject", "queued", "deliverd", "authd", "filter")):
    # mkruntime reads ENABLE_POLICYD_SPF from its own environment (as
    # docker-mailserver's container environment), not from PH_EXTRA_ENV
    saved = os.environ.get("ENABLE_POLICYD_SPF")
    if "ENABLE_POLICYD_SPF" in env:
        os.environ["ENABLE_POLICYD_SPF"] = env["ENABLE_POLICYD_SPF"]
    try:
        return phtest.Suite(extra_env=env, services=list(services)).start()
    finally:
        if saved is None:
            os.environ.pop("ENABLE_POLICYD_SPF", None)
        else:
            os.environ["ENABLE_POLICYD_SPF"] = saved


@phtest.case
def temperror_and_fail_let_through_by_default(s):
    # the defaults: PH_SPF_REJECT_FAIL=0, PH_SPF_DEFER_TEMPERROR=0, PH_SPF_PREPEND=0
    env = {k: v for k, v in SUITE_ENV.items() if k not in ("PH_SPF_REJECT_FAIL", "PH_SPF_DEFER_TEMPERROR", "PH_SPF_PREPEND")}
    t = sub_suite(env)
    try:
        assert rcpt(t, "x@fail.test").startswith("250"), "fail let through"
        assert rcpt(t, "x@slow.test").startswith("250"), "temperror let through"
        assert t.wait_for(lambda: "result=temperror" in t.log("policy"), 10), t.log("policy")[-2000:]
        assert t.wait_for(lambda: re.search(r"result=fail .*action=DUNNO", t.log("policy")), 10), t.log("policy")[-2000:]
        log = t.log("policy")
        assert re.search(r"result=temperror .*action=DUNNO", log), log[-2000:]
    finally:
        t.stop()


@phtest.case
def enable_policyd_spf_0_turns_it_off(s):
    env = dict(SUITE_ENV)
    env["ENABLE_POLICYD_SPF"] = "0"
    t = sub_suite(env)
    try:
        assert "PH_POLICY_SERVICE" not in t.env, t.env.get("PH_POLICY_SERVICE")
        assert not (t.state / "service" / "policy").exists()
        assert rcpt(t, "x@fail.test").startswith("250")
    finally:
        t.stop()


def check_t(s, ip, helo, sender):
    env = dict(os.environ, PH_DNS_RESOLVER=DNS.resolver, PH_SPF_TIMEOUT="2")
    r = subprocess.run([str(s.bin / "policyd"), "-t", ip, helo, sender], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=30, text=True)
    assert r.returncode == 0, r.stderr
    return dict(ln.split("=", 1) for ln in r.stdout.splitlines())


@phtest.case
def helo_identity_first(s):
    # a HELO fail decides, whatever the sender
    out = check_t(s, "127.0.0.1", "badhelo.test", "friend@pass.test")
    assert (out["result"], out["identity"]) == ("fail", "helo"), out
    # a HELO pass decides for the null sender only
    out = check_t(s, "127.0.0.1", "goodhelo.test", "")
    assert (out["result"], out["identity"]) == ("pass", "helo"), out
    out = check_t(s, "127.0.0.1", "goodhelo.test", "someone@fail.test")
    assert (out["result"], out["identity"]) == ("fail", "mailfrom"), out
    # no HELO record: the null sender is postmaster@helo, MAIL FROM identity
    out = check_t(s, "127.0.0.1", "client.test", "")
    assert (out["result"], out["identity"], out["domain"]) == ("none", "mailfrom", "client.test"), out
    out = check_t(s, "127.0.0.1", "[127.0.0.1]", "")
    assert out["result"] == "none", out


@phtest.case
def policy_over_tcp_with_policy_port(s):
    port = phtest.free_port()
    env = dict(SUITE_ENV, PH_POLICY_PORT=str(port))
    t = sub_suite(env, services=("policy-tcp",))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as c:
            c.sendall(request(BASE))
            a = read_answer(c)
            assert a.startswith(b"action=550 5.7.23 "), a
            c.sendall(request(BASE[:-1] + [("instance", "other")]))
            assert read_answer(c) == a
        assert t.wait_for(lambda: "event=spf" in t.log("policy-tcp"), 10), t.log("policy-tcp")[-2000:]
    finally:
        t.stop()


# ---- (b) Debian's Postfix with check_policy_service

@phtest.case
def postfix_check_policy_service_refuses_spf_fail(s):
    port = phtest.free_port()
    sock = s.state / "run" / "policy.sock"
    pf = privpostfix.Postfix(prefix="phpolicy-postfix.", main={
        "myhostname": "mx.relay.test",
        "mydomain": "relay.test",
        "relayhost": "[127.0.0.1]:%d" % s.port("smtp"),
        "smtpd_recipient_restrictions": "check_policy_service unix:%s, permit_mynetworks, reject" % sock,
        "notify_classes": "",
    }, master=[
        "127.0.0.1:%d inet n - n - - smtpd" % port,
        "smtp unix - - n - - smtp",
    ])
    pf.start(wait=("127.0.0.1", port))
    try:
        def talk(sender):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
                f = c.makefile("rwb")

                def reply():
                    while True:
                        ln = f.readline().decode("latin-1").rstrip("\r\n")
                        if ln[3:4] != "-":
                            return ln
                reply()
                for cmd in ("EHLO client.test", "MAIL FROM:<%s>" % sender):
                    f.write(cmd.encode() + b"\r\n")
                    f.flush()
                    assert reply().startswith("250")
                f.write(("RCPT TO:<%s>\r\n" % DEMO).encode())
                f.flush()
                return reply()
        r = talk("someone@fail.test")
        assert r.startswith("550 5.7.23"), r
        assert "not allowed to send mail for fail.test" in r, r
        r = talk("friend@pass.test")
        assert r.startswith("250"), r
    finally:
        pf.stop()


# ---- (c) the protocol, spoken badly

def connect(s):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(20)
    c.connect(str(s.state / "run" / "policy.sock"))
    return c


def request(attrs):
    return "".join("%s=%s\n" % kv for kv in attrs).encode() + b"\n"


BASE = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"), ("protocol_name", "ESMTP"),
        ("client_address", "127.0.0.1"), ("helo_name", "client.test"), ("sender", "a@fail.test"),
        ("recipient", DEMO), ("instance", "abc.1")]


def read_answer(c):
    data = b""
    while not data.endswith(b"\n\n"):
        d = c.recv(4096)
        if not d:
            break
        data += d
    return data


def closed(c):
    try:
        rest = b""
        while True:
            d = c.recv(4096)
            if not d:
                return rest
            rest += d
    except socket.timeout:
        raise AssertionError("connection not closed")


@phtest.case
def several_requests_one_connection_cached(s):
    c = connect(s)
    try:
        c.sendall(request(BASE))
        a1 = read_answer(c)
        assert a1.startswith(b"action=550 5.7.23 ") and a1.endswith(b"\n\n"), a1
        c.sendall(request(BASE[:-2] + [("recipient", "other@example.test"), ("instance", "abc.1")]))
        a2 = read_answer(c)
        assert a2 == a1, (a1, a2)
        # not RCPT: nothing to say
        c.sendall(request([("request", "smtpd_access_policy"), ("protocol_state", "DATA")] + BASE[2:]))
        assert read_answer(c) == b"action=DUNNO\n\n"
    finally:
        c.close()
    assert s.wait_for(lambda: "cached=1" in s.log("policy"), 10), s.log("policy")[-2000:]


@phtest.case
def prepend_once_per_message(s):
    # a pass: PREPEND for the first recipient of an instance only
    attrs = [kv if kv[0] != "sender" else ("sender", "b@pass.test") for kv in BASE]
    attrs = [kv if kv[0] != "instance" else ("instance", "def.2") for kv in attrs]
    c = connect(s)
    try:
        c.sendall(request(attrs))
        a1 = read_answer(c)
        assert a1.startswith(b"action=PREPEND Received-SPF: pass "), a1
        c.sendall(request(attrs))
        assert read_answer(c) == b"action=DUNNO\n\n"
    finally:
        c.close()


def assert_protocol_error(s, payload, reason):
    before = s.log("policy").count("event=policy_protocol_error")
    c = connect(s)
    try:
        c.sendall(payload)
        rest = closed(c)
        assert rest == b"", rest
    finally:
        c.close()
    assert s.wait_for(lambda: s.log("policy").count("event=policy_protocol_error") > before, 10)
    assert s.wait_for(lambda: reason in s.log("policy"), 10), s.log("policy")[-1500:]


@phtest.case
def garbage_line_closes(s):
    assert_protocol_error(s, b"hello there\n", "reason=\"line is not name=value\"")


@phtest.case
def overlong_line_closes(s):
    assert_protocol_error(s, b"request=" + b"x" * 5000 + b"\n\n", "reason=\"line too long\"")


@phtest.case
def too_many_attributes_closes(s):
    assert_protocol_error(s, b"".join(b"a%d=b\n" % i for i in range(101)) + b"\n", "reason=\"too many attributes\"")


@phtest.case
def nul_byte_closes(s):
    assert_protocol_error(s, b"request=smtpd\0access_policy\n\n", "reason=\"NUL or bare CR in a line\"")


@phtest.case
def empty_request_closes(s):
    assert_protocol_error(s, b"\n", "reason=\"empty request\"")


@phtest.case
def service_alive_after_abuse(s):
    c = connect(s)
    try:
        c.sendall(request(BASE))
        assert read_answer(c).startswith(b"action=550 5.7.23")
    finally:
        c.close()
    log = s.log("policy")
    assert "Sanitizer" not in log and "runtime error" not in log, log[-2000:]
    assert not re.search(r"policyd: fatal", log), log[-2000:]


if __name__ == "__main__":
    try:
        phtest.main(extra_env=SUITE_ENV)
    finally:
        DNS.stop()
