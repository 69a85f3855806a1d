#!/usr/bin/python3
"""Load into smtpd with Postfix's smtp-source (Debian's postfix package):
parallel SMTP sessions, one message each, through tcpd, smtpd,
queued-inject, queued and deliverd into demo's Maildir, with fsync.

What is checked is counts, never timings: every message smtp-source
sent was answered as expected (smtp-source without -A exits non-zero on
any other reply, and prints why), smtpd logged exactly one acceptance
per message, tcpd turned no client away, and exactly that many new
files arrived (no loss, no duplicate).

tcpd refuses a client address past PH_SMTP_MAXCONN_IP handlers (default
20); all of smtp-source's sessions come from 127.0.0.1, so this suite
raises the limit to 60 through mkruntime's environment, and one case
starts a second suite with the defaults to show that 50 sessions are
then refused.

smtp-source speaks no TLS, so this is the plaintext path.
"""

import re
import shutil
import subprocess

import phtest

DEMO = "demo@example.test"
MAXCONN_IP = 60
ENV = {"PH_SMTP_MAXCONN_IP": str(MAXCONN_IP)}


def full_log(s, service):
    """Every line s6-log kept for service: the archives, then current
    (a load run may rotate the 1 MB current file)."""
    d = s.state / "log" / service
    files = sorted(p for p in d.glob("@*") if p.is_file())
    return "".join(p.read_text(errors="replace") for p in files) + s.log(service)


def from_sender(s, sender):
    """demo's delivered messages whose Return-Path is sender."""
    key = ("Return-Path: <%s>\n" % sender).encode()
    n = 0
    for p in s.messages(DEMO):
        try:
            with open(p, "rb") as f:
                if f.read(len(key)) == key:
                    n += 1
        except FileNotFoundError:
            pass
    return n


def smtp_source(s, sessions, count, size, sender, port=None, check=True):
    argv = ["smtp-source", "-4", "-s", str(sessions), "-m", str(count), "-l", str(size),
            "-M", "load.client.test", "-f", sender, "-t", DEMO,
            "127.0.0.1:%d" % (port or s.port("smtp"))]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if check:
        assert r.returncode == 0, "smtp-source exited %d: %s" % (r.returncode, r.stdout[-2000:])
        assert r.stdout.strip() == "", r.stdout[-2000:]
    return r


def load(s, sessions, count, size, sender):
    before_total = len(s.messages(DEMO))
    log_before = full_log(s, "smtpd")
    smtp_source(s, sessions, count, size, sender)
    got = s.wait_for(lambda: from_sender(s, sender) >= count, 300, 0.2)
    assert got, "%d of %d delivered; queued: %s" % (from_sender(s, sender), count, s.log("queued")[-1500:])
    # let any duplicate arrive before counting exactly
    s.wait_for(lambda: False, 2)
    assert from_sender(s, sender) == count, from_sender(s, sender)
    assert len(s.messages(DEMO)) == before_total + count, (len(s.messages(DEMO)), before_total)
    log = full_log(s, "smtpd")
    assert log.startswith(log_before), "the smtpd log lost lines while it rotated"
    new = log[len(log_before):]
    accepted = re.findall(r"event=accepted qid=\S+ smtpid=\S+ from=%s " % re.escape(sender), log)
    assert len(accepted) == count, len(accepted)
    # nothing refused, no client turned away by tcpd, every message
    # whole: smtpd counts the queue's LF form, smtp-source's -l its CRLF
    # lines (one CR per 80 octets or so), and adds a few headers
    for bad in ("event=reject ", "event=limit_ip ", "event=full ", "event=timeout "):
        assert bad not in new, [ln for ln in new.splitlines() if bad in ln][:5]
    sizes = re.findall(r"event=accepted qid=\S+ smtpid=\S+ from=%s nrcpt=1 size=(\d+) " % re.escape(sender), log)
    assert len(sizes) == count and all(size * 0.97 < int(n) < size + 1024 for n in sizes), sorted(set(sizes))[:5]


@phtest.case
def limit_comes_from_mkruntime_env(s):
    # PH_EXTRA_ENV's export follows mkruntime's default in env.sh: tcpd
    # must have been started with the raised limit on the MX port
    assert s.env.get("PH_SMTP_MAXCONN_IP") == str(MAXCONN_IP), s.env
    assert re.search(r"event=listening ip=127\.0\.0\.1 port=%d maxconn=\d+ maxconn_ip=%d"
                     % (s.port("smtp"), MAXCONN_IP), full_log(s, "smtpd")), s.log("smtpd")[-1000:]


@phtest.case
def smtp_source_10_sessions_500_messages(s):
    load(s, 10, 500, 4096, "load10@sender.test")


@phtest.case
def smtp_source_50_sessions_500_messages(s):
    load(s, 50, 500, 4096, "load50@sender.test")


@phtest.case
def smtp_source_64k_messages(s):
    load(s, 10, 100, 65536, "load64k@sender.test")


@phtest.case
def default_per_ip_limit_refuses_50_sessions(s):
    # a suite with mkruntime's defaults: 50 sessions from one address
    # exceed tcpd's 20 per IP, and tcpd closes the extra ones at once
    with phtest.Suite(bin_dir=s.bin_src) as d:
        assert d.env.get("PH_SMTP_MAXCONN_IP") == "20", d.env
        r = smtp_source(d, 50, 200, 4096, "refused@sender.test", check=False)
        assert r.returncode != 0, r.stdout[-1000:]
        log = full_log(d, "smtpd")
        assert re.search(r"event=limit_ip ip=127\.0\.0\.1 port=\d+ count=20 max=20", log), log[-2000:]
    shutil.rmtree(d.tmp, ignore_errors=True)   # kept when the case failed


if __name__ == "__main__":
    phtest.main(extra_env=ENV)
