"""banwatch (banwatch/README.md): failures counted per client, bans in
bans.cdb that tcpd applies at once, mailctl ban / fail2ban, the uid check
on the event socket, the log-line face, the one-source warning, memory
under a burst, and loopback ignored by default (a second suite).

The suite runs with PH_BAN_LOOPBACK_IGNORE=0 and a threshold of 3, so the
test client (127.0.0.1) can be banned."""

import datetime
import imaplib
import os
import poplib
import re
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import phtest  # noqa: E402
from smtpraw import tls_context  # noqa: E402

MAXRETRY = 3
ENV = {
    "PH_BAN_LOOPBACK_IGNORE": "0",
    "PH_BAN_MAXRETRY": str(MAXRETRY),
    "PH_BAN_FINDTIME": "600",
    "PH_BAN_BANTIME": "3600",
    "PH_AUTH_FAIL_DELAY": "1",
}
DEMO = "demo@example.test"
delays = {}


def bans(s):
    return s.mailctl("ban", "list").stdout


def banned_loopback(s):
    return re.search(r"^127\.0\.0\.1/32 until \S+ bans=\d+$", bans(s), re.M)


def stamp(line):
    # s6-log's T: ISO 8601 with nanoseconds
    m = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)\.(\d+)", line)
    t = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%Y-%m-%d %H:%M:%S")
    return t.timestamp() + float("0." + m.group(3))


def ban_delay(s):
    """Seconds from authd's auth_fail line nearest to the newest ban to
    banwatch's ban line. Both logs are stamped by their s6-log as lines
    arrive, so the two stamps race: the figure may be slightly negative
    (the ban logged before authd's line reached its logger)."""
    ban = [l for l in s.log("banwatch").splitlines() if "event=ban " in l][-1]
    tb = stamp(ban)
    fails = [stamp(l) for l in s.log("authd").splitlines() if "event=auth_fail" in l]
    return tb - min(fails, key=lambda t: abs(t - tb))


def refused(s, port, expect_prefix):
    """A connection is closed at once, after tcpd's message at most."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        data = b""
        try:
            while True:
                b = c.recv(1024)
                if not b:
                    break
                data += b
        except ConnectionResetError:
            pass
    assert data == b"" or data.startswith(expect_prefix), data
    return data


def admitted(s, port, greeting):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.settimeout(5)
        data = c.recv(1024)
    assert data.startswith(greeting), data


def unban_and_check(s, port, greeting):
    s.mailctl("ban", "del", "127.0.0.1")
    assert not banned_loopback(s), bans(s)
    admitted(s, port, greeting)


def submission_fail(s):
    c = smtplib.SMTP("127.0.0.1", s.port("submission"), timeout=20)
    try:
        c.starttls(context=tls_context())
        c.ehlo()
        c.user, c.password = DEMO, "wrong-" + s.password
        try:
            # one mechanism: login() would try PLAIN, then LOGIN (two failures)
            c.auth("PLAIN", c.auth_plain, initial_response_ok=True)
        except smtplib.SMTPAuthenticationError as e:
            assert e.smtp_code == 535, e
            return
        raise AssertionError("login with a wrong password succeeded")
    finally:
        try:
            c.quit()
        except (smtplib.SMTPException, OSError):
            pass


@phtest.case
def banwatch_ready_and_cdb_linked(s):
    link = s.state / "cdb" / "bans.cdb"
    assert link.is_symlink(), link
    assert (s.state / "banwatch" / "bans.cdb").exists()
    assert "event=start" in s.log("banwatch"), s.log("banwatch")
    assert bans(s) == "", bans(s)
    r = s.mailctl("fail2ban", "status")
    assert r.stdout == "No IPs have been banned\n", r.stdout


@phtest.case
def submission_brute_force_banned(s):
    for i in range(MAXRETRY - 1):
        submission_fail(s)
        assert not banned_loopback(s), "banned after %d failures: %s" % (i + 1, bans(s))
    submission_fail(s)
    t0 = time.monotonic()
    assert s.wait_for(lambda: banned_loopback(s), 5), bans(s)
    delays["submission_seen_after_answer"] = time.monotonic() - t0
    delays["submission_log"] = ban_delay(s)
    assert s.wait_for(lambda: "reason=auth_fail" in s.log("banwatch"), 10)
    # banned: 554 from tcpd on submission and on the MX port, then closed
    refused(s, s.port("submission"), b"554 5.7.1")
    refused(s, s.port("smtp"), b"554 5.7.1")
    assert s.wait_for(lambda: "event=banned ip=127.0.0.1" in s.log("submission"), 5)
    unban_and_check(s, s.port("submission"), b"220 ")


@phtest.case
def imaps_brute_force_banned(s):
    for i in range(MAXRETRY):
        m = imaplib.IMAP4_SSL("127.0.0.1", s.port("imaps"), ssl_context=tls_context(), timeout=20)
        try:
            m.login(DEMO, "wrong-" + s.password)
            raise AssertionError("login succeeded")
        except imaplib.IMAP4.error as e:
            assert "AUTHENTICATIONFAILED" in str(e), e
        finally:
            try:
                m.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
        if i < MAXRETRY - 1:
            assert not banned_loopback(s), bans(s)
    assert s.wait_for(lambda: banned_loopback(s), 5), bans(s)
    delays["imaps_log"] = ban_delay(s)
    # the second ban of this address: twice the bantime
    assert s.wait_for(lambda: re.search(r"event=ban key=ip4/127\.0\.0\.1_32 until=\d+ duration=7200 count=2 reason=auth_fail", s.log("banwatch")), 10), s.log("banwatch")[-800:]
    data = refused(s, s.port("imaps"), b"* BYE")
    refused(s, s.port("imap"), b"* BYE")
    unban_and_check(s, s.port("imap"), b"* OK")
    assert data is not None


@phtest.case
def pop3_brute_force_banned(s):
    if not (phtest.TOP / "package" / "service" / "pop3").is_dir() or not s.service_dir("pop3").exists():
        print("# pop3 service absent: POP3 case not run")
        return
    for i in range(MAXRETRY):
        p = poplib.POP3("127.0.0.1", s.port("pop3"), timeout=20)
        try:
            p.user(DEMO)
            p.pass_("wrong-" + s.password)
            raise AssertionError("login succeeded")
        except poplib.error_proto as e:
            assert b"-ERR" in e.args[0], e
        finally:
            try:
                p.quit()
            except (poplib.error_proto, OSError):
                pass
        if i < MAXRETRY - 1:
            assert not banned_loopback(s), bans(s)
    assert s.wait_for(lambda: banned_loopback(s), 5), bans(s)
    delays["pop3_log"] = ban_delay(s)
    refused(s, s.port("pop3"), b"-ERR")
    unban_and_check(s, s.port("pop3"), b"+OK")


@phtest.case
def ban_state_survives_restart(s):
    s.mailctl("ban", "add", "192.0.2.0/24", "2h")
    s.mailctl("ban", "add", "2001:db8::1")
    s.mailctl("fail2ban", "ban", "198.51.100.7")
    out = bans(s)
    assert re.search(r"^192\.0\.2\.0/24 until ", out, re.M), out
    assert re.search(r"^2001:db8::/64 until ", out, re.M), out
    assert re.search(r"^198\.51\.100\.7/32 until ", out, re.M), out
    s.mailctl("ban", "add", "203.0.113.9", "permanent")
    assert re.search(r"^203\.0\.113\.9/32 permanent bans=1$", bans(s), re.M), bans(s)
    old = s.svc_pid("banwatch")
    s.kill("banwatch", 15)
    assert s.wait_for(lambda: s.svc_pid("banwatch") not in (0, old), 10)
    assert s.wait_up("banwatch")
    after = bans(s)
    for net in ("192.0.2.0/24", "2001:db8::/64", "198.51.100.7/32", "203.0.113.9/32"):
        assert net in after, after
    # the cdb rewritten at start holds them (what tcpd reads)
    r = subprocess.run(["cdbget", "ip4/192.0.2.0_24"], stdin=open(s.state / "cdb" / "bans.cdb", "rb"),
                       stdout=subprocess.PIPE) if _has("cdbget") else None
    if r is not None:
        assert r.returncode == 0 and int(r.stdout) > time.time(), r
    for net in ("192.0.2.0/24", "2001:db8::1", "198.51.100.7", "203.0.113.9"):
        s.mailctl("fail2ban", "unban", net)
    assert bans(s) == "", bans(s)
    bad = s.mailctl("ban", "add", "300.1.2.3", check=False)
    assert bad.returncode == 100, bad


def _has(prog):
    return any(os.access(os.path.join(d, prog), os.X_OK) for d in os.environ.get("PATH", "").split(":"))


def send_as(s, uid, line):
    code = ("import os,socket;os.setgid(%d);os.setuid(%d);"
            "socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM).sendto(%r,%r)") % (uid, uid, line.encode(), str(s.state / "run" / "banwatch.sock"))
    subprocess.run([sys.executable, "-c", code], check=True)


@phtest.case
def events_from_unknown_uids_refused(s):
    nobody = 65534
    for _ in range(MAXRETRY + 1):
        send_as(s, nobody, "event=auth_fail ip=192.0.2.77 service=smtp\n")
    assert s.wait_for(lambda: "event=event_refused reason=\"uid not allowed\" uid=65534" in s.log("banwatch"), 5), s.log("banwatch")[-500:]
    assert "192.0.2.77" not in bans(s)
    # a daemon's uid may report failures, but not ban or unban
    smtpd_uid = int(subprocess.run(["id", "-u", "phsmtpd"], stdout=subprocess.PIPE, text=True).stdout)
    send_as(s, smtpd_uid, "event=ban ip=192.0.2.78\n")
    assert s.wait_for(lambda: "reason=\"ban requests only from root\"" in s.log("banwatch"), 5)
    for _ in range(MAXRETRY):
        send_as(s, smtpd_uid, "event=relay_denied ip=192.0.2.79 service=smtp\n")
    assert s.wait_for(lambda: "192.0.2.79/32" in bans(s), 5), bans(s)
    # malformed datagrams are refused and logged, nothing else
    send_as(s, 0, "garbage\n")
    send_as(s, 0, "event=auth_fail ip=not-an-ip\n")
    assert s.wait_for(lambda: "reason=malformed" in s.log("banwatch") and "reason=\"bad address\"" in s.log("banwatch"), 5)
    s.mailctl("ban", "del", "192.0.2.79")


@phtest.case
def log_line_face(s):
    rules = s.tmp / "rules.conf"
    rules.write_text("# event service pattern\n"
                     "auth_fail sshd Failed password for * from <HOST> port\n"
                     "auth_fail dovecot auth failed*rip=<HOST>,\n")
    lines = ["Nov 27 10:00:0%d host sshd[1]: Failed password for root from 198.51.100.20 port 22 ssh2\n" % i for i in range(MAXRETRY)]
    lines += ["noise line 198.51.100.21\n", "auth failed, 1 attempts: user=<x>, rip=198.51.100.22, lip=1.2.3.4\n"]
    env = dict(os.environ, PH_RUN_DIR=str(s.state / "run"), PH_STATE=str(s.state))
    r = subprocess.run([str(s.bin / "banwatch"), "-l", str(rules)], input="".join(lines), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "matched=4 dropped=0" in r.stderr, r.stderr
    assert s.wait_for(lambda: "198.51.100.20/32" in bans(s), 5), bans(s)
    assert "198.51.100.21" not in bans(s) and "198.51.100.22" not in bans(s)
    s.mailctl("ban", "del", "198.51.100.20")
    bad = rules.with_name("bad.conf")
    bad.write_text("auth_fail x no host here\n")
    r = subprocess.run([str(s.bin / "banwatch"), "-l", str(bad)], input="", env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 100 and "exactly one <HOST>" in r.stderr, r


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@phtest.case
def memory_bounded_under_burst(s):
    pid = s.svc_pid("banwatch")
    before = rss_kb(pid)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(s.state / "run" / "banwatch.sock")
    t0 = time.monotonic()
    for i in range(10000):
        # 10,000 distinct addresses (10.0.0.0/8, one failure each)
        sock.sendto(b"event=auth_fail ip=10.%d.%d.%d service=smtp\n" % (i >> 16 & 255, i >> 8 & 255, i & 255), path)
    # one more distinct burst, of IPv6 clients, for the /64 table
    for i in range(10000):
        sock.sendto(b"event=bad_command ip=2001:db8:%x::1 service=imap\n" % i, path)
    sock.close()
    # wait for the queue to drain: a marker ban after the burst
    for _ in range(MAXRETRY):
        send_as(s, 0, "event=auth_fail ip=192.0.2.250 service=smtp\n")
    assert s.wait_for(lambda: "192.0.2.250/32" in bans(s), 20), bans(s)
    elapsed = time.monotonic() - t0
    after = rss_kb(pid)
    delays["burst_rss_kb"] = (before, after)
    delays["burst_seconds"] = elapsed
    print("# banwatch RSS before %d kB, after 20,000 events from 20,000 clients %d kB (%.2f s)" % (before, after, elapsed))
    assert after < 16 * 1024, after
    assert s.svc_pid("banwatch") == pid
    s.mailctl("ban", "del", "192.0.2.250")


@phtest.case
def one_source_warning(s):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(s.state / "run" / "banwatch.sock")
    # a gateway address seen over and over (Docker's NAT): the warning,
    # and (threshold reached) the ban that would lock everyone out
    for _ in range(60):
        sock.sendto(b"event=unknown_rcpt ip=172.17.0.1 service=smtp\n", path)
    sock.close()
    assert s.wait_for(lambda: "event=warning_one_source key=ip4/172.17.0.1_32" in s.log("banwatch"), 5), s.log("banwatch")[-500:]
    s.mailctl("ban", "del", "172.17.0.1")


@phtest.case
def zz_report_delays(s):
    print("# measured: %r" % (delays,))
    for k, v in delays.items():
        if k.endswith("_log"):
            assert abs(v) < 5, (k, v)


@phtest.case
def zz_loopback_ignored_by_default(s):
    env = dict(ENV)
    del env["PH_BAN_LOOPBACK_IGNORE"]
    with phtest.Suite(extra_env=env, bin_dir=s.bin_src) as s2:
        for _ in range(MAXRETRY + 1):
            submission_fail(s2)
        time.sleep(1)
        assert bans(s2) == "", bans(s2)
        assert s2.wait_for(lambda: "loopback_ignore=yes" in s2.log("banwatch"), 10)
        admitted(s2, s2.port("submission"), b"220 ")
        # the ignore list: configured networks too
    with phtest.Suite(extra_env=dict(ENV, PH_BAN_IGNORE_NETS="127.0.0.0/8"), bin_dir=s.bin_src) as s3:
        for _ in range(MAXRETRY):
            submission_fail(s3)
        time.sleep(1)
        assert bans(s3) == "", bans(s3)


if __name__ == "__main__":
    phtest.main(extra_env=ENV)
