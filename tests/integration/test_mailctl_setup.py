"""test_mailctl_setup: the verbs of docker-mailserver's `setup` that
mailctl/restrict.c, relay.c, config.c, logs.c and dns.c add (issue 9),
against the running suite: the files they write, byte for byte, and what
the daemons then do with them (submitd refuses a restricted sender,
smtpd a restricted recipient, deliverd-remote relays through the
smarthost with the credentials; a smtpsink plays the relay). DNS answers
come from tests/lib/dnsserver (PH_DNS_RESOLVER)."""

import hashlib
import os
import re
import smtplib
import stat
import subprocess

import dnsserver
import phtest
import quotalib
import remoteclient
import smtpsink
import submitlib

DEMO = "demo@example.test"
DOMAIN = "example.test"
HOST = "mail.example.test"
SINK_PORT = phtest.free_port()
DNS = dnsserver.DNSServer().start()
TIMEOUT = 3

ENV = remoteclient.suite_env(DNS, SINK_PORT, TIMEOUT)

MSG = b"From: demo@example.test\nTo: x@remote.test\nSubject: test\n\nbody\n"


def conf(s, name):
    return s.state / "config" / name


def mailctl_env(s, *args, extra=None):
    """mailctl with the suite's PH_* settings and extra variables (which
    come before mailserver.env: common/config.h)."""
    env = dict(os.environ)
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    env.update(extra or {})
    return subprocess.run([str(s.bin / "mailctl")] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


# ---- email restrict

@phtest.case
def restrict_send_refuses_the_sender_at_submission(s):
    r = s.mailctl("email", "restrict", "list", "send")
    assert r.stdout == "Everyone is allowed to send mails\n", r.stdout
    s.mailctl("email", "restrict", "add", "send", "Demo@Example.test")
    # docker-mailserver's line: echo -e "${USER} \t\t REJECT"
    assert conf(s, "postfix-send-access.cf").read_text() == "demo@example.test \t\t REJECT\n"
    r = s.mailctl("email", "restrict", "add", "send", DEMO, check=False)
    assert r.returncode == 1 and "already denied" in r.stderr, (r.returncode, r.stderr)
    assert s.mailctl("email", "restrict", "list", "send").stdout == "demo@example.test \t\t REJECT\n"
    c = submitlib.logged_in(s)
    reply = c.cmd("MAIL FROM:<%s>" % DEMO)
    assert reply.startswith("554 5.7.1 "), reply
    c.close()
    s.mailctl("email", "restrict", "del", "send", DEMO)
    assert conf(s, "postfix-send-access.cf").read_text() == ""
    r = s.mailctl("email", "restrict", "del", "send", DEMO, check=False)
    assert r.returncode == 1 and "not found" in r.stderr, r.stderr
    c = submitlib.logged_in(s)
    c.expect("MAIL FROM:<%s>" % DEMO, "250")
    c.close()


@phtest.case
def restrict_receive_refuses_the_recipient_at_smtpd(s):
    s.mailctl("email", "restrict", "add", "receive", DEMO)
    assert conf(s, "postfix-receive-access.cf").read_text() == "demo@example.test \t\t REJECT\n"
    code, text = quotalib.rcpt_reply(s, DEMO)
    assert code == 554 and text.startswith("5.7.1"), (code, text)
    s.mailctl("email", "restrict", "del", "receive", DEMO)
    code, text = quotalib.rcpt_reply(s, DEMO)
    assert code == 250, (code, text)


@phtest.case
def restrict_refuses_bad_arguments(s):
    for args in (["add", "sent", DEMO], ["add", "send"], ["drop", "send", DEMO]):
        r = s.mailctl("email", "restrict", *args, check=False)
        assert r.returncode == 100, (args, r.returncode, r.stderr)
    r = s.mailctl("email", "restrict", "add", "send", "not an address", check=False)
    assert r.returncode == 100 and not conf(s, "postfix-send-access.cf").read_text(), r.stderr


# ---- quota (mailctl/quota.c, already there: checked through users.cdb)

@phtest.case
def quota_set_and_del_reach_users_cdb(s):
    s.mailctl("quota", "set", DEMO, "10M")
    assert "%s:10M\n" % DEMO in conf(s, "dovecot-quotas.cf").read_text()
    v = quotalib.cdb_value(s, "users.cdb", DEMO)
    assert v is not None and b"quota=10485760\0" in v, v
    s.mailctl("quota", "del", DEMO)
    v = quotalib.cdb_value(s, "users.cdb", DEMO)
    assert v is not None and b"quota=" not in v, v


# ---- relay

def sink(n, **kw):
    return smtpsink.SMTPSink(ip="127.0.0.%d" % n, port=SINK_PORT, name="sink%d.test" % n, **kw).start()


@phtest.case
def relay_add_domain_and_add_auth_route_through_the_smarthost(s):
    relaymap, sasl = conf(s, "postfix-relaymap.cf"), conf(s, "postfix-sasl-password.cf")
    d = sink(21, auth={"relay-user": "pass word"}, require_auth=True, ehlo=("PIPELINING", "8BITMIME", "AUTH PLAIN LOGIN"))
    try:
        s.mailctl("relay", "add-domain", DOMAIN, "sink.wrong.test")
        s.mailctl("relay", "add-domain", DOMAIN, "127.0.0.21", str(SINK_PORT))   # replaces the line
        s.mailctl("relay", "add-domain", "other.test", "relay.other.test")
        assert relaymap.read_text() == "@example.test\t\t[127.0.0.21]:%d\n@other.test\t\t[relay.other.test]:25\n" % SINK_PORT, relaymap.read_text()
        # a relay host with UTF-8 labels (deliverd-remote uses its A-labels)
        s.mailctl("relay", "add-domain", "idn.test", "relais.bücher.test")
        assert "@idn.test\t\t[relais.bücher.test]:25\n" in relaymap.read_text(), relaymap.read_text()
        s.mailctl("relay", "add-auth", DOMAIN, "relay-user", input="pass word\n")
        assert sasl.read_text() == "@example.test\t\trelay-user:pass word\n", sasl.read_text()
        st = sasl.stat()
        assert stat.S_IMODE(st.st_mode) == 0o640, oct(st.st_mode)
        with phtest.envfile(s, PH_RELAY_AUTH_INSECURE=1):
            r = remoteclient.deliver(s, DEMO, ["u@anywhere.test"], MSG)
        assert r and r[0]["v"] == "K" and "127.0.0.21" in r[0]["text"], r
        assert d.sessions[0].auth_user == "relay-user" and len(d.messages) == 1
        # exclude-domain turns the line into "@domain" alone: RELAY_HOST is
        # no longer taken for that sender, the MX is
        DNS.add("direct.test", "A", "127.0.0.22")
        direct = sink(22)
        try:
            s.mailctl("relay", "exclude-domain", DOMAIN)
            assert relaymap.read_text() == "@example.test\n@other.test\t\t[relay.other.test]:25\n@idn.test\t\t[relais.bücher.test]:25\n", relaymap.read_text()
            with phtest.envfile(s, RELAY_HOST="127.0.0.21", RELAY_PORT=SINK_PORT):
                r = remoteclient.deliver(s, DEMO, ["u@direct.test"], MSG)
            assert r and r[0]["v"] == "K" and "direct.test[127.0.0.22]" in r[0]["text"], r
            assert len(direct.messages) == 1 and len(d.messages) == 1
        finally:
            direct.stop()
    finally:
        d.stop()
        for p in (relaymap, sasl):
            if p.exists():
                p.unlink()


@phtest.case
def relay_refuses_bad_arguments(s):
    for args in (["add-domain", DOMAIN], ["add-domain", DOMAIN, "bad host"], ["add-domain", DOMAIN, "h.test", "70000"],
                 ["add-domain", "not a domain", "h.test"], ["add-auth", DOMAIN, "us:er", "pw"],
                 ["exclude-domain"], ["frobnicate"]):
        r = s.mailctl("relay", *args, check=False)
        assert r.returncode == 100, (args, r.returncode, r.stderr)
    assert not conf(s, "postfix-relaymap.cf").exists() and not conf(s, "postfix-sasl-password.cf").exists()


# ---- config dkim

@phtest.case
def config_dkim_makes_keys_in_opendkim_layout(s):
    s.mailctl("config", "dkim", "keysize", "1024", "selector", "s2026", "domain", "example.test, other.test")
    for dom in ("example.test", "other.test"):
        key = conf(s, "opendkim/keys/%s/s2026.private" % dom)
        assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600, key
        txt = conf(s, "opendkim/keys/%s/s2026.txt" % dom).read_text()
        assert "v=DKIM1" in txt, txt
        bits = subprocess.run(["openssl", "pkey", "-in", str(key), "-noout", "-text"], stdout=subprocess.PIPE, text=True).stdout
        assert "1024 bit" in bits, bits[:200]
        kt = conf(s, "opendkim/KeyTable").read_text()
        assert re.search(r"^s2026\._domainkey\.%s %s:s2026:\S+/keys/%s/s2026\.private$" % (re.escape(dom), re.escape(dom), re.escape(dom)), kt, re.M), kt
        assert re.search(r"^\*@%s s2026\._domainkey\.%s$" % (re.escape(dom), re.escape(dom)), conf(s, "opendkim/SigningTable").read_text(), re.M)
    listed = s.mailctl("dkim", "list").stdout
    assert "example.test s2026 rsa 1024" in listed, listed
    for args in (["keysize", "333"], ["selector"], ["bogus", "x"], []):
        r = s.mailctl("config", "dkim", *args, check=False) if args else s.mailctl("config", check=False)
        assert r.returncode == 100, (args, r.returncode, r.stderr)


# ---- logs

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}"


def send_to_demo(s, subject):
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    try:
        c.ehlo("client.test")
        c.mail("sender@example.org")
        c.rcpt(DEMO)
        code, text = c.data(("From: sender@example.org\r\nSubject: %s\r\n\r\nhello\r\n" % subject).encode())
        assert code == 250, (code, text)
        return submitlib.queued_as("%d %s" % (code, text.decode()))
    finally:
        c.quit()


@phtest.case
def log_queueid_prints_every_line_of_one_message_in_order(s):
    qid = send_to_demo(s, "log me")
    other = send_to_demo(s, "not me")
    assert s.wait_for(lambda: re.search(r"event=removed qid=%s\b" % other, s.log("queued")), 20)
    assert s.wait_for(lambda: re.search(r"event=removed qid=%s\b" % qid, s.log("queued")), 20)
    out = s.mailctl("log", qid).stdout
    lines = out.splitlines()
    assert lines and all(re.match(STAMP + r" \[[\w-]+\] \S+: .*\bqid=%s\b" % qid, l) for l in lines), out
    assert other not in out
    stamps = [l[:29] for l in lines]
    assert stamps == sorted(stamps), out
    svcs = [re.match(STAMP + r" \[([\w-]+)\]", l).group(1) for l in lines]
    for svc in ("smtpd", "queued", "deliverd"):
        assert svc in svcs, (svc, out)
    first = lambda svc, ev: next(i for i, l in enumerate(lines) if "[%s]" % svc in l and "event=%s " % ev in l)
    # Each service's s6-log stamps the lines as it reads them, so the
    # order across services is the order the loggers ran in, which under
    # load need not be the order of the events (deliverd's "delivered"
    # stamped after queued's "removed"). The order that holds is each
    # log's own.
    first("smtpd", "accepted")
    first("inject", "injected")
    first("deliverd", "delivered")
    assert first("queued", "queued") < first("queued", "delivered") < first("queued", "removed"), out
    r = s.mailctl("log", "000000000000", check=False)
    assert r.returncode == 1, r
    r = s.mailctl("log", "bad/id", check=False)
    assert r.returncode == 100, r


@phtest.case
def log_queueid_follows_the_bounce(s):
    # a message from demo that the smarthost refuses: queued bounces it
    # to demo (event=dsn qid=NEW orig=OLD), delivered locally
    d = sink(23, rcpt_replies={"gone@far.test": "550 5.1.1 no such user"})
    try:
        s.mailctl("relay", "add-domain", DOMAIN, "127.0.0.23", str(SINK_PORT))
        env = dict(os.environ)
        env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
        r = subprocess.run([str(s.bin / "sendmail"), "-f", DEMO, "gone@far.test"], input=b"Subject: bounce me\n\nx\n",
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        assert r.returncode == 0, r.stdout
        m = s.wait_for(lambda: re.search(r"event=dsn qid=(\w+) orig=(\w+)", s.log("queued")), 30)
        assert m, s.log("queued")[-2000:]
        new, orig = m.group(1), m.group(2)
        assert s.wait_for(lambda: re.search(r"event=delivered qid=%s\b" % new, s.log("deliverd")), 20)
        # both messages finished, so that no line comes between the two reads
        for q in (orig, new):
            assert s.wait_for(lambda: re.search(r"event=removed qid=%s\b" % q, s.log("queued")), 20), q
        out = s.mailctl("log", orig).stdout
        assert re.search(r"\[queued\] queued: event=queued qid=%s\b" % orig, out), out
        assert re.search(r"\[deliverd\] deliverd: event=delivered qid=%s\b" % new, out), out
        assert s.mailctl("log", new).stdout == out
    finally:
        d.stop()
        p = conf(s, "postfix-relaymap.cf")
        if p.exists():
            p.unlink()


@phtest.case
def log_reads_archives_and_merges_by_stamp(s):
    # a log tree of our own: s6-log's archives (@<TAI64N>.s, oldest name
    # first) before current, two services interleaved, a stray file
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log")
        for svc in ("alpha", "beta"):
            os.makedirs(os.path.join(log, svc))
        q, bounce = "AAAAAAAAAAAA1", "BBBBBBBBBBBB2"
        files = {
            "alpha/@400000006000000000000000.s": "2026-01-01 00:00:01.000000000  queued: event=queued qid=%s\n" % q,
            "alpha/@400000006000000100000000.s": "2026-01-01 00:00:03.000000000  queued: event=dsn qid=%s orig=%s\n" % (bounce, q),
            "alpha/current": "2026-01-01 00:00:05.000000000  queued: event=removed qid=%s\n"
                             "2026-01-01 00:00:06.000000000  queued: event=queued qid=CCCCCCCCCCCC3\n" % q,
            "beta/current": "2026-01-01 00:00:02.000000000  deliverd: event=deferred qid=%s\n"
                            "2026-01-01 00:00:04.000000000  deliverd: event=delivered qid=%s\n"
                            "2026-01-01 00:00:04.500000000  deliverd: event=delivered qid=%sX\n" % (q, bounce, q),
        }
        for name, text in files.items():
            with open(os.path.join(log, name), "w") as f:
                f.write(text)
        with open(os.path.join(log, "stray"), "w") as f:
            f.write("not a service\n")
        r = mailctl_env(s, "log", q, extra={"PH_STATE": tmp})
        assert r.returncode == 0, r.stderr
        got = [l[14:26] + " " + l.split("] ", 1)[0].split("[")[1] for l in r.stdout.splitlines()]
        assert got == ["00:01.000000 alpha", "00:02.000000 beta", "00:03.000000 alpha", "00:04.000000 beta", "00:05.000000 alpha"], r.stdout
        r = mailctl_env(s, "debug", "show-mail-logs", extra={"PH_STATE": tmp})
        assert r.returncode == 0, r.stderr
        got = [l[17:19] for l in r.stdout.splitlines()]
        assert got == ["02", "04", "04", "05", "06"], r.stdout      # current only
        r = mailctl_env(s, "debug", "show-mail-logs", "2", extra={"PH_STATE": tmp})
        assert [l[17:19] for l in r.stdout.splitlines()] == ["05", "06"], r.stdout


@phtest.case
def debug_show_mail_logs_merges_every_service(s):
    out = s.mailctl("debug", "show-mail-logs").stdout
    lines = out.splitlines()
    assert len(lines) > 20, out
    assert all(re.match(STAMP + r" \[[\w-]+\] ", l) for l in lines), [l for l in lines if not re.match(STAMP, l)][:3]
    stamps = [l[:29] for l in lines]
    assert stamps == sorted(stamps)
    svcs = {re.match(STAMP + r" \[([\w-]+)\]", l).group(1) for l in lines}
    assert {"smtpd", "queued", "deliverd", "submission"} <= svcs, svcs
    total = sum(len([x for x in s.log(p.name).splitlines() if x]) for p in (s.state / "log").iterdir())
    assert abs(len(lines) - total) <= 20, (len(lines), total)    # services write meanwhile
    last = s.mailctl("debug", "show-mail-logs", "5").stdout.splitlines()
    assert len(last) == 5 and last[-1][:29] >= lines[-1][:29], last
    assert s.mailctl("debug", "show-mail-logs", "x", check=False).returncode == 100


# ---- dns

RECORD = re.compile(r"^(\S+)\. IN (MX|TXT|SRV|CNAME|PTR) (.*)$")


def records(out):
    """{(owner, type): [rdata]} of every record line; comments skipped."""
    recs = {}
    for line in out.splitlines():
        if not line or line.startswith(";"):
            continue
        m = RECORD.match(line)
        assert m, "not a record line: %r" % line
        recs.setdefault((m.group(1), m.group(2)), []).append(m.group(3))
    return recs


def txt(rdata):
    return "".join(re.findall(r'"([^"]*)"', rdata))


def webd_policy(s):
    port = s.port("https")
    r = subprocess.run(["curl", "-s", "-k", "--max-time", "20", "--resolve", "mta-sts.%s:%d:127.0.0.1" % (DOMAIN, port),
                        "https://mta-sts.%s:%d/.well-known/mta-sts.txt" % (DOMAIN, port)],
                       stdout=subprocess.PIPE, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(b"version: STSv1\r\n"), r.stdout
    return r.stdout


@phtest.case
def dns_prints_every_record_kind(s):
    s.mailctl("config", "dkim", "keysize", "1024", "selector", "zone", "domain", DOMAIN)
    # the suite runs POP3 (ENABLE_POP3=1 in its env.sh, which the daemons see)
    r = mailctl_env(s, "dns", DOMAIN, extra={"PH_PUBLIC_IP": "198.18.0.10, 2001:db8::5", "ENABLE_POP3": "1"})
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    assert recs[(DOMAIN, "MX")] == ["10 %s." % HOST]
    assert [txt(t) for t in recs[(DOMAIN, "TXT")]] == ["v=spf1 mx -all"]
    dkim = txt(recs[("zone._domainkey." + DOMAIN, "TXT")][0])
    pub = subprocess.run(["openssl", "pkey", "-in", str(conf(s, "opendkim/keys/%s/zone.private" % DOMAIN)), "-pubout"],
                         stdout=subprocess.PIPE, text=True).stdout
    assert dkim == "v=DKIM1; k=rsa; p=" + "".join(pub.splitlines()[1:-1]), dkim
    assert [txt(t) for t in recs[("_dmarc." + DOMAIN, "TXT")]] == ["v=DMARC1; p=none; rua=mailto:postmaster@" + DOMAIN]
    # MTA-STS: the id is the policy's hash, the policy what webd serves
    sts = txt(recs[("_mta-sts." + DOMAIN, "TXT")][0])
    m = re.fullmatch(r"v=STSv1; id=([A-Za-z0-9]{1,32})", sts)
    assert m, sts
    policy = webd_policy(s)
    assert m.group(1) == hashlib.sha256(policy).hexdigest()[:32], (m.group(1), policy)
    printed = [l[6:] for l in r.stdout.splitlines() if l.startswith(";     ")]
    assert "\r\n".join(printed) + "\r\n" == policy.decode(), (printed, policy)
    assert [txt(t) for t in recs[("_smtp._tls." + DOMAIN, "TXT")]] == ["v=TLSRPTv1; rua=mailto:postmaster@" + DOMAIN]
    # SRV (RFC 2782 "priority weight port target"), the suite's ports
    want = {"_submissions": "PH_SUBMISSIONS_PORT", "_submission": "PH_SUBMISSION_PORT", "_imaps": "PH_IMAPS_PORT",
            "_imap": "PH_IMAP_PORT", "_pop3s": "PH_POP3S_PORT", "_pop3": "PH_POP3_PORT"}
    for svc, var in want.items():
        rd = recs[("%s._tcp.%s" % (svc, DOMAIN), "SRV")]
        assert len(rd) == 1, rd
        prio, weight, port, target = rd[0].split(" ")
        assert int(prio) >= 0 and int(weight) >= 0 and int(port) == int(s.env[var]) and target == HOST + ".", (svc, rd)
    assert int(recs[("_submissions._tcp." + DOMAIN, "SRV")][0].split()[0]) < int(recs[("_submission._tcp." + DOMAIN, "SRV")][0].split()[0])
    for name in ("autoconfig", "autodiscover", "mta-sts"):
        assert recs[("%s.%s" % (name, DOMAIN), "CNAME")] == [HOST + "."], name
    assert recs[("10.0.18.198.in-addr.arpa", "PTR")] == [HOST + "."]
    assert recs[("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR")] == [HOST + "."]


@phtest.case
def dns_without_pop3_says_not_offered(s):
    r = mailctl_env(s, "dns", DOMAIN, extra={"ENABLE_POP3": "0", "PH_PUBLIC_IP": "198.18.0.10"})
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    for svc in ("_pop3", "_pop3s"):
        assert recs[("%s._tcp.%s" % (svc, DOMAIN), "SRV")] == ["0 0 0 ."], recs   # RFC 6186 §3.4
    assert recs[("_imaps._tcp." + DOMAIN, "SRV")][0].endswith(" %s." % HOST)


@phtest.case
def dns_ptr_from_the_host_name_or_unknown(s):
    DNS.add(HOST, "A", "198.18.0.11")
    try:
        r = mailctl_env(s, "dns", DOMAIN, extra={"PH_DNS_RESOLVER": DNS.resolver})
        assert r.returncode == 0, r.stderr
        assert records(r.stdout)[("11.0.18.198.in-addr.arpa", "PTR")] == [HOST + "."], r.stdout
    finally:
        DNS.remove(HOST)
    r = mailctl_env(s, "dns", DOMAIN, extra={"PH_DNS_RESOLVER": DNS.resolver})
    assert r.returncode == 0, r.stderr
    assert not any(t == "PTR" for _, t in records(r.stdout)), r.stdout
    assert "; the public address is unknown" in r.stdout, r.stdout


@phtest.case
def dns_without_domain_covers_every_domain(s):
    s.mailctl("alias", "add", "info@second.test", DEMO)
    try:
        r = mailctl_env(s, "dns", extra={"PH_PUBLIC_IP": "198.18.0.10"})
        assert r.returncode == 0, r.stderr
        recs = records(r.stdout)
        assert (DOMAIN, "MX") in recs and ("second.test", "MX") in recs, recs.keys()
        assert len(recs[("10.0.18.198.in-addr.arpa", "PTR")]) == 1
    finally:
        s.mailctl("alias", "del", "info@second.test", DEMO)
    r = mailctl_env(s, "dns", "not a domain")
    assert r.returncode == 100, r


if __name__ == "__main__":
    try:
        phtest.main(extra_env=ENV)
    finally:
        DNS.stop()
