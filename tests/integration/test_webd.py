"""test_webd: the web face (webd behind tcpd + tlsd -i on the "https"
port, behind tcpd alone on "http") and the metrics (webd -m on the
loopback "metrics" port), with curl (webd/README.md).
"""

import imaplib
import re
import smtplib
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import phtest

DEMO = "demo@example.test"
HOST = "mail.example.test"


def curl(*args, data=None):
    """(status, headers text, body) of one curl request."""
    cmd = ["curl", "-s", "-k", "-S", "--max-time", "20", "-D", "-"] + list(args)
    if data is not None:
        cmd += ["--data-binary", "@-"]
    r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, "curl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace"))
    out = r.stdout.decode("utf-8", errors="replace")
    head, _, body = out.partition("\r\n\r\n")
    status = int(head.split(" ", 2)[1])
    return status, head, body


def https(s, path, host=None):
    host = host or "autoconfig.example.test"
    port = s.port("https")
    return ["--resolve", "%s:%d:127.0.0.1" % (host, port), "https://%s:%d%s" % (host, port, path)]


def http(s, path):
    return ["http://127.0.0.1:%d%s" % (s.port("http"), path)]


def raw(s, data, port_name="http", timeout=20):
    """Send raw bytes, read the whole answer (the server closes)."""
    with socket.create_connection(("127.0.0.1", s.port(port_name)), timeout=timeout) as c:
        if data:
            c.sendall(data)
        out = b""
        while True:
            b = c.recv(65536)
            if not b:
                break
            out += b
    return out


def status_of(answer):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert m, "not an HTTP answer: %r" % answer[:200]
    return int(m.group(1))


def servers(xml):
    root = ET.fromstring(xml)
    assert root.tag == "clientConfig" and root.get("version") == "1.1", xml
    prov = root.find("emailProvider")
    out = []
    for el in prov:
        if el.tag in ("incomingServer", "outgoingServer"):
            out.append((el.get("type"), el.findtext("hostname"), int(el.findtext("port")),
                        el.findtext("socketType"), el.findtext("username")))
    return prov, out


@phtest.case
def autoconfig_names_our_ports(s):
    for args in (http(s, "/mail/config-v1.1.xml?emailaddress=demo%40example.test"),
                 https(s, "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=demo%40example.test")):
        st, head, body = curl(*args)
        assert st == 200, (st, body)
        assert re.search(r"(?im)^content-type: application/xml", head), head
        prov, srv = servers(body)
        assert prov.get("id") == "example.test" and prov.findtext("domain") == "example.test", body
        want = {
            ("imap", HOST, s.port("imaps"), "SSL", "%EMAILADDRESS%"),
            ("imap", HOST, s.port("imap"), "STARTTLS", "%EMAILADDRESS%"),
            ("pop3", HOST, s.port("pop3s"), "SSL", "%EMAILADDRESS%"),
            ("pop3", HOST, s.port("pop3"), "STARTTLS", "%EMAILADDRESS%"),
            ("smtp", HOST, s.port("submissions"), "SSL", "%EMAILADDRESS%"),
            ("smtp", HOST, s.port("submission"), "STARTTLS", "%EMAILADDRESS%"),
        }
        assert set(srv) == want, srv
        # incoming first, IMAP over TLS first: what Thunderbird proposes
        assert srv[0][:4] == ("imap", HOST, s.port("imaps"), "SSL"), srv


@phtest.case
def autodiscover_post(s):
    req = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
           '<Request><EMailAddress>demo@example.test</EMailAddress>'
           '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'
           '</AcceptableResponseSchema></Request></Autodiscover>').encode()
    st, head, body = curl("-X", "POST", "-H", "Content-Type: text/xml",
                          *https(s, "/Autodiscover/Autodiscover.xml", "autodiscover.example.test"), data=req)
    assert st == 200, (st, body)
    ns = {"r": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}
    root = ET.fromstring(body)
    acct = root.find("r:Response/r:Account", ns)
    assert acct is not None and acct.findtext("r:AccountType", namespaces=ns) == "email", body
    protos = {p.findtext("r:Type", namespaces=ns): p for p in acct.findall("r:Protocol", ns)}
    assert set(protos) == {"IMAP", "POP3", "SMTP"}, body
    assert int(protos["IMAP"].findtext("r:Port", namespaces=ns)) == s.port("imaps")
    assert int(protos["SMTP"].findtext("r:Port", namespaces=ns)) == s.port("submissions")
    for p in protos.values():
        assert p.findtext("r:Server", namespaces=ns) == HOST
        assert p.findtext("r:LoginName", namespaces=ns) == DEMO
        assert p.findtext("r:SSL", namespaces=ns) == "on"
    # ActiveSync is not spoken here: the protocol's error, not settings
    mobile = req.replace(b"outlook/responseschema/2006a", b"mobilesync/responseschema/2006")
    st, _, body = curl("-X", "POST", *https(s, "/autodiscover/autodiscover.xml"), data=mobile)
    assert st == 200 and "<ErrorCode>600</ErrorCode>" in body and "Protocol" not in body, body
    # a request whose address is not one: refused the same way, nothing echoed
    bad = req.replace(b"demo@example.test", b"<script>x</script>")
    st, _, body = curl("-X", "POST", *https(s, "/autodiscover/autodiscover.xml"), data=bad)
    assert st == 200 and "<ErrorCode>600</ErrorCode>" in body and "script" not in body, body
    # GET with ?emailaddress= (some clients probe that way), over plain HTTP too
    st, _, body = curl(*http(s, "/autodiscover/autodiscover.xml?emailaddress=demo%40example.test"))
    assert st == 200 and "<LoginName>demo@example.test</LoginName>" in body, body


@phtest.case
def mta_sts_over_https_for_local_domains(s):
    st, head, body = curl(*https(s, "/.well-known/mta-sts.txt", "mta-sts.example.test"))
    assert st == 200, (st, body)
    assert re.search(r"(?im)^content-type: text/plain", head), head
    # RFC 8461 §3.2: key/value lines, version first
    assert body == "version: STSv1\r\nmode: testing\r\nmx: %s\r\nmax_age: 604800\r\n" % HOST, repr(body)
    # another domain's name, the bare host, plain HTTP: no policy
    st, _, _ = curl(*https(s, "/.well-known/mta-sts.txt", "mta-sts.other.test"))
    assert st == 404, st
    st, _, _ = curl(*https(s, "/.well-known/mta-sts.txt", "example.test"))
    assert st == 404, st
    st, _, _ = curl("-H", "Host: mta-sts.example.test", *http(s, "/.well-known/mta-sts.txt"))
    assert st == 404, st
    # HEAD: the same head, no body
    r = subprocess.run(["curl", "-s", "-k", "-I", "--max-time", "20"] + https(s, "/.well-known/mta-sts.txt", "mta-sts.example.test"),
                       stdout=subprocess.PIPE, text=True, timeout=30)
    assert r.stdout.startswith("HTTP/1.1 200 ") and re.search(r"(?im)^content-length: 71\r?$", r.stdout), r.stdout
    ans = raw(s, b"HEAD /mail/config-v1.1.xml HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status_of(ans) == 200 and ans.endswith(b"\r\n\r\n") and b"Content-Length: " in ans, ans


@phtest.case
def unknown_paths_and_methods(s):
    st, _, _ = curl(*http(s, "/"))
    assert st == 404
    st, _, _ = curl(*http(s, "/mail/config-v1.1.xml/../../etc/passwd"))
    assert st == 404
    st, head, _ = curl("-X", "POST", *http(s, "/mail/config-v1.1.xml"), data=b"x")
    assert st == 405 and re.search(r"(?im)^allow: GET, HEAD", head), head
    st, _, _ = curl("-X", "DELETE", *http(s, "/mail/config-v1.1.xml"))
    assert st == 501


@phtest.case
def bad_requests_get_400_and_no_crash(s):
    cases = [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),                                  # no Host
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),             # two
        (b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400),       # space in a name
        (b"GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n", 400),               # space before the colon
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n  folded\r\n\r\n", 400),    # obs-fold
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),           # NUL
        (b"GET / HTTP/1.1\rHost: a\r\n\r\n", 400),                          # bare CR
        (b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: a\r\n\r\n", 411),
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n", 413),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X%d: y\r\n" % i for i in range(101)) + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 33000 + b"\r\n\r\n", 431),
    ]
    for data, want in cases:
        got = status_of(raw(s, data))
        assert got == want, "%r -> %d, want %d" % (data[:60], got, want)
    # a client that sends half a head and stops: 408 after webd's 10 s
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", s.port("http")), timeout=30) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
        ans = c.recv(4096)
    assert status_of(ans) == 408 and 8 < time.monotonic() - t0 < 20, (ans, time.monotonic() - t0)
    # still serving, and no handler died of a signal
    st, _, _ = curl(*http(s, "/mail/config-v1.1.xml"))
    assert st == 200
    for svc in ("web", "web-http"):
        log = s.log(svc)
        assert "status=SIG" not in log, log[-2000:]
        assert not re.search(r"event=end .*status=(1[0-9][0-9]|[2-9][0-9])\b", log), log[-2000:]


def scrape(s):
    st, head, body = curl("http://127.0.0.1:%d/metrics" % s.port("metrics"))
    assert st == 200, (st, body)
    assert re.search(r"(?im)^content-type: text/plain; version=0\.0\.4", head), head
    values = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, v = line.rpartition(" ")
            values[name] = float(v)
    return values, body


def deliver_one(s, subject):
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30) as c:
        c.sendmail("sender@remote.test", [DEMO], "From: sender@remote.test\r\nTo: %s\r\nSubject: %s\r\n\r\nhello\r\n" % (DEMO, subject))
    assert s.wait_for(lambda: any(subject in p.read_text(errors="replace") for p in s.messages(DEMO)), 30), "not delivered"


@phtest.case
def metrics_move_with_delivery_and_auth_failure(s):
    before, body = scrape(s)
    for name in ("posthaste_messages_received_total", "posthaste_messages_delivered_total",
                 "posthaste_messages_deferred_total", "posthaste_messages_bounced_total",
                 "posthaste_auth_failures_total", "posthaste_bans_active", "posthaste_metrics_start_time_seconds"):
        assert name in before, (name, body)
    assert "# TYPE posthaste_messages_delivered_total counter" in body
    assert before['posthaste_up{program="smtpd"}'] == 1 and before['posthaste_up{program="metrics"}'] == 1, body
    deliver_one(s, "metrics-1")
    try:
        c = imaplib.IMAP4("127.0.0.1", s.port("imap"))
        c.login(DEMO, "wrong-" + s.password)
    except imaplib.IMAP4.error:
        pass
    s.wait_for(lambda: "event=auth_fail" in s.log("authd"), 10)

    def moved():
        v, _ = scrape(s)
        return (v["posthaste_messages_received_total"] >= before["posthaste_messages_received_total"] + 1
                and v["posthaste_messages_delivered_total"] >= before["posthaste_messages_delivered_total"] + 1
                and v["posthaste_auth_failures_total"] >= before["posthaste_auth_failures_total"] + 1) and v
    after = s.wait_for(moved, 15)
    assert after, "counters did not move: %r -> %r" % (before, scrape(s)[0])
    # a scrape with nothing new counts nothing twice
    again, _ = scrape(s)
    for k in ("posthaste_messages_received_total", "posthaste_messages_delivered_total", "posthaste_auth_failures_total"):
        assert again[k] == after[k], (k, after[k], again[k])


@phtest.case
def metrics_follow_log_rotation(s):
    before, _ = scrape(s)
    deliver_one(s, "metrics-2")
    # let queued log the delivery before the rotation
    time.sleep(0.5)
    # s6-log rotates current on SIGALRM: the lines logged before the
    # rotation are read from the archived file, the later ones from the new current
    subprocess.run(["s6-svc", "-a", str(s.service_dir("queued") / "log")], check=True)
    subprocess.run(["s6-svc", "-a", str(s.service_dir("inject") / "log")], check=True)
    assert s.wait_for(lambda: any(p.name.startswith("@") for p in (s.state / "log" / "queued").iterdir()), 10), "no rotation"
    deliver_one(s, "metrics-3")
    # a second rotation before the next scrape: the file in between is read too
    n = len([p for p in (s.state / "log" / "queued").iterdir() if p.name.startswith("@")])
    subprocess.run(["s6-svc", "-a", str(s.service_dir("queued") / "log")], check=True)
    subprocess.run(["s6-svc", "-a", str(s.service_dir("inject") / "log")], check=True)
    assert s.wait_for(lambda: len([p for p in (s.state / "log" / "queued").iterdir() if p.name.startswith("@")]) > n, 10)
    deliver_one(s, "metrics-4")
    s.wait_for(lambda: scrape(s)[0]["posthaste_messages_delivered_total"] >= before["posthaste_messages_delivered_total"] + 3, 15)
    after, _ = scrape(s)
    assert after["posthaste_messages_delivered_total"] == before["posthaste_messages_delivered_total"] + 3, (before, after)
    assert after["posthaste_messages_received_total"] == before["posthaste_messages_received_total"] + 3, (before, after)


@phtest.case
def metrics_up_and_bans(s):
    v, _ = scrape(s)
    bans = v["posthaste_bans_active"]
    s.mailctl("ban", "add", "198.18.7.7")
    assert s.wait_for(lambda: scrape(s)[0]["posthaste_bans_active"] == bans + 1, 10), scrape(s)[1]
    s.mailctl("ban", "del", "198.18.7.7")
    svc = str(s.service_dir("web-http"))
    subprocess.run(["s6-svc", "-wd", "-d", svc], check=True, timeout=15)
    try:
        assert scrape(s)[0]['posthaste_up{program="web-http"}'] == 0
    finally:
        subprocess.run(["s6-svc", "-u", svc], check=True)
        s.wait_up("web-http")
    assert scrape(s)[0]['posthaste_up{program="web-http"}'] == 1
    # only on loopback, and only /metrics
    st, _, _ = curl("http://127.0.0.1:%d/other" % s.port("metrics"))
    assert st == 404


def queue_counts(s):
    v, body = scrape(s)
    counts = {k[len('posthaste_queue_messages{state="'):-2]: n for k, n in v.items()
              if k.startswith('posthaste_queue_messages{state="')}
    return counts, body


@phtest.case
def metrics_queue_counts_from_queued_file(s):
    """webd -m (phweb) cannot use queued's control socket: it reads
    $PH_STATE/queue-stats/counts (docs/queue.md, "Queue counts"), which
    follows a deferral, a hold and a delete within a second or two."""
    from queuelib import inject, Scripted
    f = s.state / "queue-stats" / "counts"
    assert s.wait_for(f.exists, 10), "queued wrote no counts"
    assert (f.stat().st_mode & 0o777) == 0o644, oct(f.stat().st_mode)
    assert [l.split()[0] for l in f.read_text().splitlines()] == ["active", "deferred", "held", "waiting", "total"], f.read_text()
    base, body = queue_counts(s)
    assert set(base) == {"active", "deferred", "held", "waiting", "total"}, body
    assert "# TYPE posthaste_queue_messages gauge" in body, body
    with Scripted(s, lambda req: [b"Z4.4.1 busy, try later"] * len(req["rcpts"]), service="remote") as fake:
        qid = inject(s, DEMO, ["q1@slow.test"], b"Received: from test\nSubject: counts\n\nhello\n")[1:]
        assert s.wait_for(lambda: fake.seen(qid=qid), 20), "not tried"
        assert s.wait_for(lambda: queue_counts(s)[0].get("deferred") == base["deferred"] + 1, 5), queue_counts(s)[1]
        assert queue_counts(s)[0]["total"] == base["total"] + 1
        s.mailctl("queue", "hold", qid)
        assert s.wait_for(lambda: queue_counts(s)[0] == dict(base, held=base["held"] + 1, total=base["total"] + 1), 5), \
            queue_counts(s)[1]
        s.mailctl("queue", "delete", qid)
        assert s.wait_for(lambda: queue_counts(s)[0] == base, 5), queue_counts(s)[1]
    # a counts file that is not queued's kind is refused, not exported
    saved = f.read_bytes()
    tmp = f.with_name("counts.test")
    tmp.write_bytes(b"held 1\nheld; 2\n")
    tmp.rename(f)
    v, body = scrape(s)
    assert not any(k.startswith("posthaste_queue_messages") for k in v), body
    assert "# posthaste_queue_messages: unavailable: queue-stats/counts is malformed" in body, body
    tmp.write_bytes(saved)
    tmp.rename(f)


if __name__ == "__main__":
    phtest.main()
