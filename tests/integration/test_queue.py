"""The queue: queued-inject (docs/internals.md "Injection") and queued
(docs/internals.md "Delivery", docs/queue.md), through their real s6
services. Most cases put a scripted deliverd on $PH_RUN_DIR/deliverd.sock
(the real service is stopped meanwhile) to control every reply; one case
uses the real deliverd end to end.
"""

import array
import os
import pathlib
import pwd
import re
import secrets
import signal
import socket
import struct
import subprocess
import threading
import time

import phtest

RETRY_MIN = 2
RETRY_MAX = 8
SIZE_LIMIT = 200000
SIZE_SLACK = 65536
ACTIVE_LIMIT = 4


# ---------------------------------------------------------------- helpers

from queuelib import *  # noqa: F401,F403 (Injector, FakeDeliverd, Scripted, svc, craft, ...)


BODY = b"Received: from test\nSubject: queue test\n\nhello\n.\n"


# ---------------------------------------------------------------- injection

@phtest.case
def inject_commits_before_K_and_survives_kill(s):
    svc(s, "queued", False)     # keep the message where queued-inject put it
    try:
        c = Injector(s)
        a1 = c.inject("alice@sender.test", ["bob@example.test", "carol@example.test"], BODY,
                      [b"NNOTIFY=NEVER", b"MBODY=8BITMIME", b"C127.0.0.1", b"Hclient.test", b"XFOO=bar"])
        a2 = c.inject("", ["bob@example.test"], b"x" * 100000)
        assert a1 and a1[0] == "K", "first message: %r" % a1
        assert a2 and a2[0] == "K", "second message on the same connection: %r" % a2
        q1, q2 = a1[1:], a2[1:]
        for q in (q1, q2):
            assert re.fullmatch(r"[0-9A-Za-z]{12,24}", q), "bad queue id %r" % q
        assert q1 != q2 and q1 < q2, "ids not unique and time-ordered: %s %s" % (q1, q2)
        # The injector's whole process tree dies at once: what K promised
        # must already be on disk.
        pid = s.svc_pid("inject")
        kids = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True).stdout.split()
        for p in [pid] + [int(k) for k in kids]:
            os.kill(int(p), signal.SIGKILL)
        c.close()
        for q, size in ((q1, len(BODY)), (q2, 100000)):
            d = qdir(s) / "incoming" / q
            assert (d / "mess").stat().st_size == size, "%s: message file wrong" % q
            recs = records((d / "env").read_bytes())
            assert recs[0] == ("V", b"1") and recs[1] == ("I", q.encode()), recs[:2]
            assert recs[-1] == ("E", b""), "%s: envelope without end record" % q
            assert ("S", str(size).encode()) in recs
        recs = records((qdir(s) / "incoming" / q1 / "env").read_bytes())
        assert [r for r in recs if r[0] in "FTNMCHX"] == [
            ("F", b"alice@sender.test"), ("T", b"bob@example.test"), ("T", b"carol@example.test"),
            ("N", b"NOTIFY=NEVER"), ("M", b"BODY=8BITMIME"), ("C", b"127.0.0.1"),
            ("H", b"client.test"), ("X", b"FOO=bar"), ("X", b"peeruid=0")], recs
        assert (qdir(s) / "incoming" / q1 / "mess").read_bytes() == BODY
        assert ("F", b"") in records((qdir(s) / "incoming" / q2 / "env").read_bytes()), "null sender"
        assert not list((qdir(s) / "tmp").iterdir()), "tmp/ not empty after commits"
        assert wait_log(s, "inject", r"event=injected qid=%s size=%d rcpts=2" % (q1, len(BODY)), 5)
        if not s.wait_for(lambda: s.svc_pid("inject") not in (0, pid), 20):
            st = subprocess.run(["s6-svstat", str(s.service_dir("inject"))], stdout=subprocess.PIPE, text=True).stdout
            ps = subprocess.run(["ps", "-eo", "pid,ppid,args"], stdout=subprocess.PIPE, text=True).stdout
            raise AssertionError("inject not restarted after SIGKILL (killed %s): %s | %s"
                                 % ([pid] + kids, st.strip(), " / ".join(l for l in ps.splitlines() if "s6-" in l)))
    finally:
        with Scripted(s) as fake:
            svc(s, "queued", True)
            assert s.wait_for(lambda: len(fake.seen()) >= 3, 30), "queued did not deliver the injected messages"
            assert s.wait_for(lambda: not list((qdir(s) / "incoming").iterdir()) and
                              not list((qdir(s) / "queue").iterdir()), 20), "queue not emptied"


@phtest.case
def envelope_errors_answer_D_and_leave_nothing(s):
    big = b"T" + b"a" * 4097
    cases = [
        (ns(b"Tbob@example.test"), "D5.5.1"),                        # no sender first
        (ns(b"Fa@b.test") + ns(b"Fc@d.test"), "D5.5.1"),             # two senders
        (ns(b"Fa@b.test") + ns(b""), "D5.5.1"),                      # no recipient
        (ns(b"Fa@b.test") + ns(b"T"), "D5.1.3"),                     # empty recipient
        (ns(b"Fa@b.test") + ns(b"NNOTIFY=NEVER"), "D5.5.1"),         # N without T
        (ns(b"Fa@b.test") + ns(b"Qwhat"), "D5.5.4"),                 # unknown tag
        (ns(b"Fa@b.test") + ns(b"Tx@y\0z"), "D5.5.4"),               # NUL
        (ns(b"Fa@b.test") + b"%d:" % len(big), "D5.5.4"),            # field too long (refused on its length)
        (b"12x", "D5.5.2"),                                          # not a netstring
        (b"01:F,", "D5.5.2"),                                        # leading zero
        (ns(b"Fa@b.test") + b"3:Tab;", "D5.5.2"),                    # no comma
        (envelope("a@b.test", ["c@d.test"]) + b"65537:", "D5.5.2"),  # chunk too long
    ]
    for data, want in cases:
        c = Injector(s)
        c.send(data)
        a = c.answer()
        assert a and a.startswith(want), "%r: answer %r, wanted %s" % (data[:40], a, want)
        assert c.closed(), "%r: connection not closed after D" % (data[:40],)
        c.close()
    # Too many recipients: refused on the 10001st.
    c = Injector(s)
    data = ns(b"Fa@b.test") + b"".join(ns(b"Tr%d@example.test" % i) for i in range(10001))
    c.send(data)
    a = c.answer()
    assert a and a.startswith("D5.5.3"), "10001 recipients: %r" % a
    c.close()
    time.sleep(0.5)
    assert not list((qdir(s) / "tmp").iterdir()), "a refused message left files in tmp/"
    assert log_count(s, "inject", r"event=refused uid=0 reason=") >= len(cases) + 1


@phtest.case
def oversize_answered_early_and_connection_closed(s):
    c = Injector(s)
    c.send(envelope("a@b.test", ["c@example.test"]))
    sent_all = c.send(message(b"y" * (SIZE_LIMIT + SIZE_SLACK + 70000)))
    a = c.answer()
    assert a == "D5.3.4 message too big", "oversize: %r" % a
    c.close()
    # The limit itself (with the slack for added headers) is accepted.
    with Scripted(s) as fake:
        a = inject(s, "a@b.test", ["c@example.test"], b"z" * (SIZE_LIMIT + SIZE_SLACK))
        assert a and a[0] == "K", "message at the limit refused: %r" % a
        assert s.wait_for(lambda: fake.seen(qid=a[1:]), 30)
    time.sleep(0.3)
    assert not list((qdir(s) / "tmp").iterdir()), "oversize message left files in tmp/"
    del sent_all


def run_inject(s, env):
    """queued-inject run by hand (not under s6-ipcserver): its answer."""
    e = {k: v for k, v in s.env.items() if k.startswith("PH_")}
    e.update(env)
    r = subprocess.run([str(s.bin / "queued-inject")], env=e, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout.decode()


# X DSN= would exempt the message from the filter chains: only queued's
# own notifications may carry it, so it is dropped from every peer.
ORIGIN = [b"Ujoe", b"PESMTPA", b"C192.0.2.9", b"Hforged.test", b"Xpeeruid=0", b"XPeerUID=7",
          b"XDSN=bounce", b"Xdsn=double", b"Xkeep=1"]


@phtest.case
def peer_uid_checked(s):
    nobody = pwd.getpwnam("nobody").pw_uid
    smtpd = pwd.getpwnam("phsmtpd").pw_uid
    data = envelope("a@b.test", ["c@example.test"], ORIGIN) + message(b"hi\n")
    svc(s, "queued", False)     # keep the messages in incoming/ to read them
    try:
        # Any local uid may submit (PH_INJECT_ANY_LOCAL, on by default):
        # its origin claims go, P LOCAL and the kernel's uid come last.
        a = inject_as(s, "nobody", data)
        assert a.startswith("K"), "nobody refused: %r" % a
        recs = records((qdir(s) / "incoming" / a[1:].strip() / "env").read_bytes())
        assert [r for r in recs if r[0] in "UPCHX"] == [("X", b"keep=1"), ("P", b"LOCAL"), ("X", b"peeruid=%d" % nobody)], recs
        assert recs[-3:-2] == [("X", b"peeruid=%d" % nobody)], recs
        assert wait_log(s, "inject", r"event=injected qid=%s .*uid=%d trust=local dropped=CHPUX$" % (a[1:].strip(), nobody), 5)
        # A listed uid (smtpd's) is trusted with its claims, not with a peeruid.
        a = inject_as(s, "phsmtpd", data)
        assert a.startswith("K"), "phsmtpd refused: %r" % a
        recs = records((qdir(s) / "incoming" / a[1:].strip() / "env").read_bytes())
        assert [r for r in recs if r[0] in "UPCHX"] == [
            ("U", b"joe"), ("P", b"ESMTPA"), ("C", b"192.0.2.9"), ("H", b"forged.test"),
            ("X", b"keep=1"), ("X", b"peeruid=%d" % smtpd)], recs
        assert wait_log(s, "inject", r"event=injected qid=%s .*uid=%d dropped=X$" % (a[1:].strip(), smtpd), 5)
        # Switched off, only root and the listed uids may inject.
        with phtest.envfile(s, PH_INJECT_ANY_LOCAL="0"):
            a = inject_as(s, "nobody", data)
        assert a == "D5.7.1 not allowed\n", "nobody got %r" % a
        assert wait_log(s, "inject", r'event=refused uid=%d reason="peer uid not allowed"' % nobody, 5)
        # No uid from the kernel, or a strange one: refused, whatever the setting.
        for uid in ("", "65534x", "-1"):
            rc, out = run_inject(s, {"IPCREMOTEEUID": uid, "PH_INJECT_ANY_LOCAL": "1"})
            assert (rc, out) == (1, "D5.7.1 not allowed\n"), (uid, rc, out)
        # A malformed list is a configuration error, not "let smtpd in as a
        # mere local user" (its mail would lose its origin).
        rc, out = run_inject(s, {"IPCREMOTEEUID": str(smtpd), "PH_INJECT_UIDS": "%d,x" % smtpd})
        assert (rc, out) == (100, "Z4.3.5 mail system configuration error\n"), (rc, out)
        rc, out = run_inject(s, {"IPCREMOTEEUID": "0", "PH_INJECT_ANY_LOCAL": "maybe"})
        assert (rc, out) == (100, "Z4.3.5 mail system configuration error\n"), (rc, out)
    finally:
        with Scripted(s):
            svc(s, "queued", True)
            assert s.wait_for(lambda: not list((qdir(s) / "incoming").iterdir()) and
                              not list((qdir(s) / "queue").iterdir()), 30), "queue not emptied"


@phtest.case
def idle_limit_is_configurable(s):
    """PH_INJECT_IDLE_TIMEOUT: silence inside a message longer than it
    ends the message with Z4.4.2; a shorter pause is harmless. (The
    default, 600 s, is above smtpd's 180 s data-block timeout.)"""
    head = envelope("a@b.test", ["c@example.test"]) + ns(b"Subject: slow\n\n")
    with Scripted(s) as fake, phtest.envfile(s, PH_INJECT_IDLE_TIMEOUT="2"):
        c = Injector(s)
        c.send(head)
        t0 = time.monotonic()
        a = c.answer()
        waited = time.monotonic() - t0
        assert a == "Z4.4.2 timeout reading the message", "after silence: %r" % a
        assert 1.5 < waited < 10, "timed out after %.1f s with a 2 s limit" % waited
        assert c.closed()
        c.close()
        assert wait_log(s, "inject", r'event=timeout uid=0 reason="no progress from client"', 5)
        c = Injector(s)
        c.send(head)
        time.sleep(1.2)
        c.send(ns(b"first block\n"))
        time.sleep(1.2)
        c.send(ns(b"second block\n") + ns(b""))
        a = c.answer()
        c.close()
        assert a and a[0] == "K", "pauses under the limit: %r" % a
        assert s.wait_for(lambda: fake.seen(qid=a[1:]), 30)
        assert fake.seen(qid=a[1:])[0]["body"] == b"Subject: slow\n\nfirst block\nsecond block\n"
    time.sleep(0.3)
    assert not list((qdir(s) / "tmp").iterdir()), "the timed-out message left files in tmp/"
    for bad in ("0", "x", "86401"):
        rc, out = run_inject(s, {"IPCREMOTEEUID": "0", "PH_INJECT_IDLE_TIMEOUT": bad})
        assert (rc, out) == (100, "Z4.3.5 mail system configuration error\n"), (bad, rc, out)


@phtest.case
def full_disk_answers_Z431_and_cleans_up(s):
    mnt = s.tmp / "smallfs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mnt)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, "cannot mount a small tmpfs to fill: %s" % r.stdout
    try:
        for d in ("tmp", "incoming"):
            (mnt / d).mkdir(mode=0o700)
        chown_tree(mnt)

        def run(data):
            a, b = socket.socketpair()
            env = {"PATH": "/usr/bin:/bin", "PH_QUEUE_DIR": str(mnt), "IPCREMOTEEUID": "0"}
            p = subprocess.Popen([str(s.bin / "queued-inject")], stdin=b, stdout=b, stderr=subprocess.PIPE,
                                 env=env, user="phqueue")
            b.close()
            a.settimeout(20)
            try:
                a.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            out = b""
            while b"\n" not in out:
                x = a.recv(100)
                if not x:
                    break
                out += x
            a.close()
            p.wait(20)
            return out.decode(), p.returncode, p.stderr.read().decode()

        ans, rc, err = run(envelope("a@b.test", ["c@example.test"]) + message(b"f" * 1000000))
        assert ans == "Z4.3.1 insufficient system storage\n", "full disk: %r (%s)" % (ans, err)
        assert rc == 111 and "event=tempfail" in err, (rc, err)
        assert not list((mnt / "tmp").iterdir()), "full disk left files in tmp/"
        ans, rc, err = run(envelope("a@b.test", ["c@example.test"]) + message(b"small\n"))
        assert ans.startswith("K"), "after freeing: %r (%s)" % (ans, err)
        assert (mnt / "incoming" / ans[1:].strip() / "mess").read_bytes() == b"small\n"
    finally:
        subprocess.run(["umount", str(mnt)])


@phtest.case
def missing_queue_directories_give_Z(s):
    svc(s, "queued", False)
    inc = qdir(s) / "incoming"
    aside = qdir(s) / "incoming.aside"
    inc.rename(aside)
    try:
        a = inject(s, "a@b.test", ["c@example.test"], BODY)
        assert a and a.startswith("Z4.3.0"), "without incoming/: %r" % a
        assert not list((qdir(s) / "tmp").iterdir()), "failed commit left files in tmp/"
    finally:
        with Scripted(s):
            svc(s, "queued", True)       # queued recreates incoming/
            assert inc.is_dir(), "queued did not create incoming/"
            aside.rmdir()
    assert wait_log(s, "inject", r"event=tempfail uid=0 reason=", 5)


# ---------------------------------------------------------------- delivery

@phtest.case
def delivers_each_recipient_with_the_message_fd(s):
    with Scripted(s) as fake:
        a = inject(s, "alice@sender.test", ["bob@example.test", "carol@example.test"], BODY)
        assert a and a[0] == "K", a
        qid = a[1:]
        assert s.wait_for(lambda: len(fake.seen(qid=qid)) == 2, 30), "deliverd not asked twice"
        for r in fake.seen(qid=qid):
            assert r["from"] == "alice@sender.test" and r["nfds"] == 1, r
            assert r["body"] == BODY, "message fd content differs"
            assert r["fields"][:3] == [b"I" + qid.encode(), b"Falice@sender.test", b"T" + r["rcpt"].encode()], r["fields"]
        assert sorted(r["rcpt"] for r in fake.seen(qid=qid)) == ["bob@example.test", "carol@example.test"]
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 20), "message not removed"
        assert not (qdir(s) / "queue" / qid).exists()
        log = s.log("queued")
        assert re.search(r"event=queued qid=%s from=alice@sender.test size=%d rcpts=2" % (qid, len(BODY)), log)
        assert len(re.findall(r"event=delivered qid=%s rcpt=" % qid, log)) == 2


@phtest.case
def temporary_failure_retried_with_backoff(s):
    tries = {}

    def rule(req):
        n = tries.get(req["rcpt"], 0) + 1
        tries[req["rcpt"]] = n
        return [b"Z4.2.0 try later"] if n <= 2 else [b"K2.0.0 ok"]

    with Scripted(s, rule) as fake:
        a = inject(s, "a@sender.test", ["slow@example.test"], BODY)
        qid = a[1:]
        assert s.wait_for(lambda: len(fake.seen(qid=qid)) >= 3, 60), "not retried: %d" % len(fake.seen(qid=qid))
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 20)
        times = []
        for line in s.log("queued").splitlines():
            m = re.search(r"event=deferred qid=%s rcpt=slow@example.test delay=(\d+)" % qid, line)
            if m:
                times.append(int(m.group(1)))
        assert times == [RETRY_MIN, RETRY_MIN * 2], "backoff delays %r" % times
        assert len(fake.seen(qid=qid)) == 3, "delivered more than once after K"


@phtest.case
def permanent_failure_is_logged_as_bounce(s):
    def rule(req):
        return [b"D5.1.1 no such user"] if req["rcpt"] == "nobody@example.test" else [b"K2.0.0 ok"]

    with Scripted(s, rule) as fake:
        a = inject(s, "a@example.test", ["nobody@example.test"], BODY)
        qid = a[1:]
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 30)
        log = s.log("queued")
        assert re.search(r'event=failed qid=%s rcpt=nobody@example.test reply="5.1.1 no such user"' % qid, log), log[-2000:]
        m = re.search(r"event=bounce qid=%s rcpt=nobody@example.test from=a@example.test dsn=(\w+) to=a@example.test" % qid, log)
        assert m, log[-2000:]
        assert len(fake.seen(qid=qid)) == 1, "retried after a permanent failure"
        assert s.wait_for(lambda: fake.seen(qid=m.group(1), rcpt="a@example.test"), 20), "the DSN was not delivered"
        dsn = fake.seen(qid=m.group(1))[0]
        assert dsn["from"] == "" and b"multipart/report" in dsn["body"], dsn
        # From the null sender: a double bounce for the postmaster.
        b = inject(s, "", ["nobody@example.test"], BODY)
        assert wait_log(s, "queued", r'event=bounce qid=%s rcpt=nobody@example.test from="" dsn=\w+ to=postmaster@example.test' % b[1:], 30), \
            "a failure of a null-sender message must go to the postmaster"


@phtest.case
def alias_reply_adds_a_recipient_durably(s):
    def rule(req):
        if req["rcpt"] == "list@example.test":
            return [b"Rfar@example.test", b"Rlist@example.test", b"Rfar@example.test", b"K2.0.0 expanded"]
        return [b"K2.0.0 ok"]

    with Scripted(s, rule) as fake:
        a = inject(s, "a@sender.test", ["list@example.test"], BODY)
        qid = a[1:]
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 30)
        assert [r["rcpt"] for r in fake.seen(qid=qid)] == ["list@example.test", "far@example.test"], \
            [r["rcpt"] for r in fake.seen(qid=qid)]
        assert s.wait_for(lambda: re.search(r"event=added qid=%s rcpt=far@example.test parent=list@example.test" % qid, s.log("queued")), 10)


@phtest.case
def restart_resumes_without_redelivering(s):
    phase = {"restarted": False}

    def rule(req):
        if req["rcpt"] == "a@example.test" or phase["restarted"]:
            return [b"K2.0.0 ok"]
        return [b"Z4.2.0 later"]

    with Scripted(s, rule) as fake:
        a = inject(s, "x@sender.test", ["a@example.test", "b@example.test", "c@example.test"], BODY)
        qid = a[1:]
        assert wait_log(s, "queued", r"event=delivered qid=%s rcpt=a@example.test" % qid, 30)
        # Both deferrals answered before the rule changes: a request
        # still in flight would be answered K after the change.
        assert wait_log(s, "queued", r"event=deferred qid=%s rcpt=b@example.test" % qid, 30)
        assert wait_log(s, "queued", r"event=deferred qid=%s rcpt=c@example.test" % qid, 30)
        state = qdir(s) / "queue" / qid / "state"
        recs = records(state.read_bytes())
        assert ("K", b"0") in recs and recs[-1] == ("E", b""), recs
        phase["restarted"] = True
        s.kill("queued", signal.SIGKILL)
        assert s.wait_up("queued", 20)
        assert wait_log(s, "queued", r"event=loaded qid=%s .*pending=2" % qid, 20), "not reloaded with 2 pending"
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 30)
        assert len(fake.seen(qid=qid, rcpt="a@example.test")) == 1, "delivered recipient asked again"
        assert len(fake.seen(qid=qid, rcpt="b@example.test")) >= 2


@phtest.case
def lost_connection_and_bad_reply_defer(s):
    seen = {}

    def rule(req):
        n = seen.get(req["rcpt"], 0) + 1
        seen[req["rcpt"]] = n
        if n == 1:
            return None if req["rcpt"] == "hang@example.test" else [b"Xnonsense"]
        return [b"K2.0.0 ok"]

    with Scripted(s, rule) as fake:
        a = inject(s, "a@sender.test", ["hang@example.test", "garble@example.test"], BODY)
        qid = a[1:]
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 60)
        log = s.log("queued")
        assert re.search(r'event=deferred qid=%s rcpt=hang@example.test delay=\d+ reply="4.4.2 delivery agent closed the connection"' % qid, log)
        assert re.search(r'event=deferred qid=%s rcpt=garble@example.test delay=\d+ reply="4.3.0 malformed reply from the delivery agent"' % qid, log)
        assert len(fake.seen(qid=qid)) == 4


@phtest.case
def deliverd_down_costs_no_cpu_then_mail_flows(s):
    svc(s, "deliverd", False)
    try:
        before = log_count(s, "queued", r"event=deliverd_unavailable")
        a = inject(s, "a@sender.test", ["demo@example.test"], b"Subject: while down\n\nbody\n")
        assert a and a[0] == "K", a
        qid = a[1:]
        assert wait_log(s, "queued", r"event=deliverd_unavailable", 10), "no connection attempt logged"
        pid = s.svc_pid("queued")
        c0 = cpu_seconds(pid)
        time.sleep(8)
        used = cpu_seconds(pid) - c0
        attempts = log_count(s, "queued", r"event=deliverd_unavailable") - before
        assert used < 0.2, "queued used %.2f s of CPU in 8 s while deliverd was down" % used
        assert attempts <= 6, "%d connection attempts in ~8 s: no backoff" % attempts
        assert (qdir(s) / "queue" / qid).is_dir(), "message not kept while deliverd is down"
    finally:
        svc(s, "deliverd", True)
    assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 45), "not delivered after deliverd came back"
    assert s.wait_for(lambda: re.search(r"event=delivered qid=%s rcpt=demo@example.test" % qid, s.log("queued")), 10)
    assert any(b"Subject: while down" in p.read_bytes() for p in s.messages("demo@example.test")), \
        "message not in the Maildir"


@phtest.case
def agent_death_on_several_connections_is_one_backoff_step(s):
    """deliverd dying drops every connection queued has open to it at
    once; that is one outage, not one per connection: the wait before
    reconnecting is 1 s, not 1+2+4+8."""
    n = ACTIVE_LIMIT
    together = threading.Barrier(n, timeout=30)
    dropped = set()

    def rule(req):
        if req["rcpt"].startswith("burst") and req["rcpt"] not in dropped:
            dropped.add(req["rcpt"])
            try:
                together.wait()   # every connection busy, then all closed at once
            except threading.BrokenBarrierError:
                pass
            return None
        return [b"K2.0.0 ok"]

    with Scripted(s, rule):
        before = len(re.findall(r"event=deliverd_unavailable .*", s.log("queued")))
        qids = []
        for k in range(n):
            a = inject(s, "a@sender.test", ["burst%d@example.test" % k], BODY)
            assert a and a[0] == "K", a
            qids.append(a[1:])
        for qid in qids:
            assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 60), "not delivered after the burst"
        assert not together.broken, "the %d deliveries were not in flight together" % n
        lines = re.findall(r"event=deliverd_unavailable .*", s.log("queued"))[before:]
        assert len(lines) == 1 and lines[0].endswith("retry=1"), \
            "one outage must cost one backoff step of 1 s: %r" % lines


@phtest.case
def more_messages_than_memory_limit_all_delivered(s):
    svc(s, "queued", False)
    c = Injector(s)
    qids = []
    for i in range(3 * ACTIVE_LIMIT + 1):
        a = c.inject("a@sender.test", ["many%d@example.test" % i], BODY)
        assert a and a[0] == "K", a
        qids.append(a[1:])
    c.close()
    with Scripted(s) as fake:
        svc(s, "queued", True)
        assert s.wait_for(lambda: all(fake.seen(qid=q) for q in qids), 30), \
            "%d of %d delivered" % (sum(1 for q in qids if fake.seen(qid=q)), len(qids))
        assert s.wait_for(lambda: not list((qdir(s) / "incoming").iterdir()) and
                          not list((qdir(s) / "queue").iterdir()), 20)
        assert s.wait_for(lambda: re.search(r"event=active_limit dir=incoming", s.log("queued")), 10), "the limit was not reached"
        assert all(len(fake.seen(qid=q)) == 1 for q in qids)


@phtest.case
def sigterm_finishes_quick_replies_and_abandons_slow_ones(s):
    delays = {"quick@example.test": 1.0, "slow@example.test": 30.0}
    release = threading.Event()

    def rule(req):
        release.wait(delays.get(req["rcpt"], 0))
        return [b"K2.0.0 ok"]

    with Scripted(s, rule) as fake:
        # A reply that arrives within the grace period is recorded.
        a = inject(s, "a@sender.test", ["quick@example.test"], BODY)
        q1 = a[1:]
        assert s.wait_for(lambda: fake.seen(qid=q1), 20)
        t0 = time.monotonic()
        svc(s, "queued", False)
        assert time.monotonic() - t0 < 4, "queued did not stop soon after the last reply"
        assert s.wait_for(lambda: re.search(r"event=delivered qid=%s rcpt=quick@example.test" % q1, s.log("queued")), 10)
        assert s.wait_for(lambda: re.search(r"event=stop abandoned=0", s.log("queued")), 10)
        svc(s, "queued", True)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % q1, 20)
        assert len(fake.seen(qid=q1)) == 1, "a recorded delivery was repeated"
        # One that does not is abandoned after the grace period, and sent
        # again after the restart (at least once).
        a = inject(s, "a@sender.test", ["slow@example.test"], BODY)
        q2 = a[1:]
        assert s.wait_for(lambda: fake.seen(qid=q2), 20)
        t0 = time.monotonic()
        svc(s, "queued", False)
        took = time.monotonic() - t0
        assert 4 <= took < 10, "stop took %.1f s, wanted the 5 s grace" % took
        assert s.wait_for(lambda: re.search(r"event=stop abandoned=1", s.log("queued")), 10)
        delays["slow@example.test"] = 0
        release.set()
        svc(s, "queued", True)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % q2, 20)
        assert len(fake.seen(qid=q2)) == 2, "requests for the abandoned message: %r" % [(r["rcpt"]) for r in fake.seen(qid=q2)]


# ---------------------------------------------------------------- recovery

@phtest.case
def crash_leftovers_are_recovered(s):
    svc(s, "queued", False)
    now = time.time()
    torn = new_qid()
    craft(s, "queue", torn, "a@sender.test", ["x@example.test", "y@example.test"], BODY,
          state=b"K1:0,E0:,K1:1,")                  # second transaction torn
    zeroed = new_qid()
    craft(s, "queue", zeroed, "a@sender.test", ["z@example.test"], BODY,
          state=b"\0" * 16)                          # a tail of zeros
    bad = new_qid()
    craft(s, "incoming", bad, "a@sender.test", ["w@example.test"], BODY, env_tail=b"")   # no end record
    gone = new_qid()
    d = craft(s, "queue", gone, "a@sender.test", ["v@example.test"], BODY)
    (d / "env").unlink()                            # removal interrupted
    old = new_qid()
    craft(s, "incoming", old, "a@sender.test", ["u@example.test"], BODY, arrival=now - 6 * 86400)
    dead = 4194000
    while os.path.exists("/proc/%d" % dead):
        dead -= 1
    t = qdir(s) / "tmp" / str(dead)
    t.mkdir()
    (t / "mess").write_bytes(b"partial")
    chown_tree(t)
    with Scripted(s) as fake:
        svc(s, "queued", True)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % torn, 30)
        assert [r["rcpt"] for r in fake.seen(qid=torn)] == ["y@example.test"], "journal not honoured"
        assert wait_log(s, "queued", r"event=removed qid=%s$" % zeroed, 30)
        assert wait_log(s, "queued", r'event=corrupt qid=%s reason="envelope has no end record"' % bad, 10)
        assert (qdir(s) / "corrupt" / ("incoming-" + bad) / "mess").exists(), "corrupt message not kept aside"
        assert wait_log(s, "queued", r'event=removed qid=%s reason="interrupted removal finished"' % gone, 10)
        assert not (qdir(s) / "queue" / gone).exists()
        assert wait_log(s, "queued", r'event=failed qid=%s rcpt=u@example.test reply="4.4.7 delivery time expired"' % old, 10)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % old, 10)
        assert not fake.seen(qid=old), "expired message was attempted"
        assert wait_log(s, "queued", r'event=tmpclean path=tmp/%d reason="owner gone"' % dead, 10)
        assert not t.exists()


@phtest.case
def torn_journal_is_cut_before_appending(s):
    svc(s, "queued", False)
    qid = new_qid()
    d = craft(s, "queue", qid, "a@sender.test", ["p@example.test", "q@example.test"], BODY,
              state=b"K1:0,E0:,D7:1 5.0.0")
    hold = threading.Event()

    def rule(req):
        hold.wait(20)
        return [b"Z4.0.0 not now"]

    with Scripted(s, rule) as fake:
        svc(s, "queued", True)
        assert s.wait_for(lambda: fake.seen(qid=qid), 20)
        assert (d / "state").read_bytes() == b"K1:0,E0:,", "torn tail not cut: %r" % (d / "state").read_bytes()
        hold.set()
        assert wait_log(s, "queued", r"event=deferred qid=%s rcpt=q@example.test" % qid, 20)
        svc(s, "queued", False)
    # Leave nothing behind for the next cases.
    with Scripted(s):
        svc(s, "queued", True)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 30)


@phtest.case
def trigger_lines_name_messages_and_the_scan_finds_the_rest(s):
    """queued-inject writes "<qid>\n" into the trigger per commit: queued
    takes a named message at once, and reads incoming/ after all the same,
    so a message no line named is delivered too; a name that is not there,
    a line that is no queue id and stray bytes are ignored quietly, and
    no message is taken twice."""
    with Scripted(s) as fake:
        # With nothing in memory (no message at the in-memory limit of
        # ACTIVE_LIMIT), make four, which nothing wakes queued for; then
        # one line names one of them. Taken by name, it is queued before
        # the scan reads the directory for the rest (by the scan alone:
        # 1 chance in 4).
        assert s.wait_for(lambda: not any((qdir(s) / "queue").iterdir()) and not any((qdir(s) / "incoming").iterdir()), 30), \
            "earlier messages still queued"
        unnamed = [new_qid() for _ in range(ACTIVE_LIMIT - 1)]
        for i, qid in enumerate(unnamed):
            craft(s, "incoming", qid, "a@sender.test", ["unnamed%d@example.test" % i], BODY)
        named = new_qid()
        craft(s, "incoming", named, "a@sender.test", ["named@example.test"], BODY)
        missing = new_qid()
        fd = os.open(str(qdir(s) / "trigger"), os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"\0\n" + missing.encode() + b"\nnot a queue id!\n" + named.encode() + b"\n")
        finally:
            os.close(fd)
        for qid in [named] + unnamed:
            assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 20), "%s not delivered" % qid
            assert len(fake.seen(qid=qid)) == 1, "%s sent %d times" % (qid, len(fake.seen(qid=qid)))
            assert log_count(s, "queued", r"event=queued qid=%s " % qid) == 1
        order = [m.group(1) for m in re.finditer(r"event=queued qid=(\S+)", s.log("queued"))
                 if m.group(1) in [named] + unnamed]
        assert order[0] == named, "the named message was not taken first: %r" % order
        assert not log_count(s, "queued", r"load_error"), "a name or a stray line was taken for an error"
        # A line cut by the end of a read is skipped, not misread: the
        # FIFO carries whole lines, so fill past one read (4096 bytes).
        cut = new_qid()
        craft(s, "incoming", cut, "a@sender.test", ["cut@example.test"], BODY)
        fd = os.open(str(qdir(s) / "trigger"), os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"x" * 4090 + b"\n" + cut.encode() + b"\n")
        finally:
            os.close(fd)
        assert wait_log(s, "queued", r"event=removed qid=%s$" % cut, 20)
        assert len(fake.seen(qid=cut)) == 1
        assert not log_count(s, "queued", r"load_error")


if __name__ == "__main__":
    phtest.main(extra_env={
        # journal contents and exact bytes are compared: no inbound chain
        "PH_FILTERS_INBOUND": "",
        "PH_RETRY_MIN": str(RETRY_MIN),
        "PH_RETRY_MAX": str(RETRY_MAX),
        "POSTFIX_MESSAGE_SIZE_LIMIT": str(SIZE_LIMIT),
        "PH_QUEUE_ACTIVE_LIMIT": str(ACTIVE_LIMIT),
    })
