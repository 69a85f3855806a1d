"""Administration of the queue (mailctl queue ..., mailq) through
queued's control socket, and the remote side of the scheduler: hold and
release (durable), delete without a bounce, retry and flush, listings,
the per-domain limit and the recipients-per-request cap, remote.sock
missing. Retries are slow here (PH_RETRY_MIN=30) so that only the
admin's commands make things happen early."""

import os
import pathlib
import re
import signal
import subprocess
import threading
import time

import phtest
from queuelib import inject, wait_log, Scripted, svc, qdir, records, cpu_seconds, log_count

DEMO = "demo@example.test"
BODY = b"Received: from test\nSubject: admin test\n\nhello\n"


def mailq(s):
    env = dict(os.environ)
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_")})
    r = subprocess.run([str(s.bin / "mailq")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def busy(text=b"Z4.4.1 busy, try later"):
    return lambda req: [text] * len(req["rcpts"])


@phtest.case
def list_show_and_mailq(s):
    with Scripted(s, busy(), service="remote") as fake:
        a = inject(s, DEMO, ["r1@slow.test", "r2@other.test"], BODY)
        qid = a[1:]
        assert s.wait_for(lambda: len(fake.seen(qid=qid)) == 2, 20)
        assert wait_log(s, "queued", r"event=deferred qid=%s rcpt=r2@other.test" % qid, 10)
        out = s.mailctl("queue", "list").stdout
        assert re.search(r"^%s  %d bytes  \S+ \S+  deferred  from <demo@example.test>$" % (qid, len(BODY)), out, re.M), out
        assert re.search(r"^    <r1@slow.test>  pending, next attempt in \d+ s  \(4.4.1 busy, try later\)$", out, re.M), out
        q = mailq(s)
        assert q.startswith("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"), q
        assert re.search(r"^%s  +%d \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  demo@example.test$" % (qid, len(BODY)), q, re.M), q
        assert "(4.4.1 busy, try later)\n" + " " * 41 + "r1@slow.test\n" in q, q
        assert re.search(r"^-- \d+ Kbytes in \d+ Requests?\.$", q, re.M), q
        show = s.mailctl("queue", "show", qid).stdout
        for want in ("queue id:     %s" % qid, "sender:       <demo@example.test>", "direction:    inbound",
                     "  <r1@slow.test>  pending, remote", "      last: 4.4.1 busy, try later", "header:", "  Subject: admin test"):
            assert want in show, "%r not in %s" % (want, show)
        s.mailctl("queue", "delete", qid)
    r = s.mailctl("queue", "show", "AAAAAAAAAAAAAAAA", check=False)
    assert r.returncode == 1 and "no such message" in r.stderr, (r.returncode, r.stderr)
    r = s.mailctl("queue", "show", "../etc", check=False)
    assert r.returncode == 100, r.returncode


@phtest.case
def hold_survives_restart_until_release(s):
    tries = []

    def rule(req):
        tries.append(time.monotonic())
        return [b"Z4.4.1 later"]

    with Scripted(s, rule, service="remote") as fake:
        a = inject(s, DEMO, ["h@slow.test"], BODY)
        qid = a[1:]
        assert s.wait_for(lambda: fake.seen(qid=qid), 20)
        assert s.mailctl("queue", "hold", qid).stdout == "held\n"
        assert wait_log(s, "queued", r"event=held qid=%s by=mailctl" % qid, 5)
        assert ("H", b"1") in records((qdir(s) / "queue" / qid / "state").read_bytes())
        r = s.mailctl("queue", "retry", qid, check=False)
        assert r.returncode == 1 and "held" in r.stderr, r.stderr
        assert re.search(r"^%s! " % qid, mailq(s), re.M), mailq(s)
        listing = s.mailctl("queue", "list").stdout
        assert re.search(r"^%s .*  held  from <" % qid, listing, re.M), listing
        assert "next attempt" not in listing, "a held message has no next attempt: %s" % listing
        assert re.search(r"^1 message$", listing, re.M), listing
        s.kill("queued", signal.SIGKILL)
        assert s.wait_up("queued", 20)
        assert wait_log(s, "queued", r"event=loaded qid=%s .*held=yes" % qid, 20)
        n = len(fake.seen(qid=qid))
        s.mailctl("queue", "flush")
        time.sleep(2)
        assert len(fake.seen(qid=qid)) == n, "a held message was tried"
        assert "held" in s.mailctl("queue", "show", qid).stdout
        assert s.mailctl("queue", "release", qid).stdout == "released\n"
        assert s.wait_for(lambda: len(fake.seen(qid=qid)) > n, 10), "not tried after release"
        assert wait_log(s, "queued", r"event=released qid=%s by=mailctl" % qid, 5)
        s.mailctl("queue", "delete", qid)


@phtest.case
def policy_hold_at_arrival(s):
    """X HOLD=<text> in the envelope (smtpd: a policy service said HOLD)
    holds the message at arrival, durably, until the admin releases it;
    once released it is not held again."""
    with Scripted(s, busy(), service="remote") as fake:
        qid = inject(s, DEMO, ["q@slow.test"], BODY, [b"XHOLD=quarantine please"])[1:]
        assert wait_log(s, "queued", r'event=hold qid=%s reason="quarantine please"$' % qid, 10), s.log("queued")[-1500:]
        state = qdir(s) / "queue" / qid / "state"
        assert state.read_bytes() == b"H1:1,E0:,", state.read_bytes()
        assert "held" in s.mailctl("queue", "show", qid).stdout
        assert re.search(r"^%s! " % qid, mailq(s), re.M), mailq(s)
        s.mailctl("queue", "flush")
        time.sleep(1.5)
        assert not fake.seen(qid=qid), "a held message was tried"
        # Across a crash: still held, and not held twice.
        s.kill("queued", signal.SIGKILL)
        assert s.wait_up("queued", 20)
        assert wait_log(s, "queued", r"event=loaded qid=%s .*held=yes" % qid, 20)
        assert state.read_bytes() == b"H1:1,E0:,", state.read_bytes()
        assert log_count(s, "queued", r"event=hold qid=%s " % qid) == 1
        assert s.mailctl("queue", "release", qid).stdout == "released\n"
        assert s.wait_for(lambda: fake.seen(qid=qid), 10), "not tried after release"
        # Released is released, whatever the envelope says.
        s.kill("queued", signal.SIGKILL)
        assert s.wait_up("queued", 20)
        assert wait_log(s, "queued", r"event=loaded qid=%s " % qid, 20)
        n = len(fake.seen(qid=qid))
        s.mailctl("queue", "flush")
        assert s.wait_for(lambda: len(fake.seen(qid=qid)) > n, 10), "held again after a release"
        assert log_count(s, "queued", r"event=hold qid=%s " % qid) == 1
        s.mailctl("queue", "delete", qid)
    # Without the field nothing is held.
    with Scripted(s, lambda req: [b"K2.0.0 ok"] * len(req["rcpts"]), service="remote"):
        qid = inject(s, DEMO, ["q@slow.test"], BODY, [b"XHOLDING=no"])[1:]
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 10)
        assert not log_count(s, "queued", r"event=hold qid=%s " % qid)


@phtest.case
def delete_never_bounces(s):
    with Scripted(s, busy(), service="remote") as fake:
        a = inject(s, DEMO, ["d@slow.test"], BODY)
        qid = a[1:]
        assert s.wait_for(lambda: fake.seen(qid=qid), 20)
        assert s.mailctl("queue", "delete", qid).stdout == "deleted\n"
        assert wait_log(s, "queued", r"event=deleted qid=%s from=demo@example.test pending=1 by=mailctl" % qid, 5)
        assert not (qdir(s) / "queue" / qid).exists()
        time.sleep(1)
        assert not re.search(r"event=dsn qid=\w+ orig=%s" % qid, s.log("queued")), "delete sent a notification"
        r = s.mailctl("queue", "delete", qid, check=False)
        assert r.returncode == 1 and "no such message" in r.stderr, r.stderr


@phtest.case
def retry_and_flush_make_it_due_now(s):
    state = {"ok": False}

    def rule(req):
        return [b"K2.0.0 ok" if state["ok"] else b"Z4.4.1 later"] * len(req["rcpts"])

    with Scripted(s, rule, service="remote") as fake:
        q1 = inject(s, DEMO, ["a@one.test"], BODY)[1:]
        q2 = inject(s, DEMO, ["b@two.test"], BODY)[1:]
        assert s.wait_for(lambda: fake.seen(qid=q1) and fake.seen(qid=q2), 20)
        n1 = len(fake.seen(qid=q1))
        assert s.mailctl("queue", "retry", q1).stdout == "due now\n"
        assert s.wait_for(lambda: len(fake.seen(qid=q1)) > n1, 5), "retry did not try now (PH_RETRY_MIN is 30 s)"
        state["ok"] = True
        out = s.mailctl("queue", "flush").stdout
        assert re.match(r"\d+ messages due now\n", out), out
        for q in (q1, q2):
            assert wait_log(s, "queued", r"event=removed qid=%s$" % q, 10), q
        assert wait_log(s, "queued", r"event=retry qid=%s by=mailctl" % q1, 1)
        assert wait_log(s, "queued", r"event=flush messages=\d+ by=mailctl", 1)


@phtest.case
def per_domain_limit_and_recipient_cap(s):
    lock = threading.Lock()
    inflight = {"now": 0, "max": 0}
    gate = threading.Event()

    def rule(req):
        with lock:
            inflight["now"] += 1
            inflight["max"] = max(inflight["max"], inflight["now"])
        gate.wait(3)
        with lock:
            inflight["now"] -= 1
        return [b"K2.0.0 ok"] * len(req["rcpts"])

    with Scripted(s, rule, service="remote") as fake:
        qids = [inject(s, DEMO, ["p%d@busy.test" % i], BODY)[1:] for i in range(4)]
        big = inject(s, DEMO, ["m%d@busy.test" % i for i in range(7)] + ["o@other.test"], BODY)[1:]
        time.sleep(1.5)
        with lock:
            assert inflight["now"] <= 3, "busy.test has %d requests at once (limit 2, plus other.test)" % inflight["now"]
        gate.set()
        for q in qids + [big]:
            assert wait_log(s, "queued", r"event=removed qid=%s$" % q, 20), q
        sizes = sorted(len(r["rcpts"]) for r in fake.seen(qid=big) if r["rcpts"][0].endswith("@busy.test"))
        assert sizes == [1, 3, 3], "recipients per request: %r (PH_REMOTE_RCPT_MAX=3)" % sizes
        assert all(len(set(x.split("@")[1] for x in r["rcpts"])) == 1 for r in fake.seen(qid=big)), "a request mixed domains"
        busy_max = inflight["max"]
    assert busy_max >= 2, "never two requests at once: %d" % busy_max


@phtest.case
def missing_remote_socket_defers_with_backoff(s):
    svc(s, "remote", False)
    try:
        before = log_count(s, "queued", r"event=remote_unavailable")
        a = inject(s, DEMO, ["x@nowhere.test"], BODY)
        qid = a[1:]
        assert wait_log(s, "queued", r'event=deferred qid=%s rcpt=x@nowhere.test delay=30 reply="4.4.1 remote delivery unavailable"' % qid, 10)
        pid = s.svc_pid("queued")
        c0 = cpu_seconds(pid)
        time.sleep(3)
        assert cpu_seconds(pid) - c0 < 0.2, "queued spins while remote.sock is missing"
        assert log_count(s, "queued", r"event=remote_unavailable") - before <= 2
        # Local mail still flows meanwhile.
        b = inject(s, DEMO, [DEMO], BODY)
        assert wait_log(s, "queued", r"event=delivered qid=%s rcpt=%s" % (b[1:], DEMO), 10)
    finally:
        svc(s, "remote", True)
    with Scripted(s, lambda req: [b"K2.0.0 ok"] * len(req["rcpts"]), service="remote") as fake:
        s.mailctl("queue", "flush")
        assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 10)
        assert fake.seen(qid=qid)


def restart_queued_with(s, settings):
    """queued reads its settings at start: mailserver.env plus settings
    (lines NAME=value), then a restart."""
    path = pathlib.Path(s.env["PH_ENVFILE"])
    if not hasattr(s, "saved_envfile"):
        s.saved_envfile = path.read_text()
    path.write_text(s.saved_envfile + "".join("%s=%s\n" % kv for kv in settings.items()))
    svc(s, "queued", False)
    svc(s, "queued", True)


@phtest.case
def remote_requests_get_their_own_deadline(s):
    """PH_DELIVERY_TIMEOUT bounds a request at deliverd; a remote one gets
    PH_REMOTE_DELIVERY_TIMEOUT (default 1 h), since an SMTP transaction
    may legally take much longer, and giving up on it early sends a
    second copy."""
    def slow(req):
        time.sleep(4)
        return [b"K2.0.0 ok"] * len(req["rcpts"])

    try:
        with Scripted(s, slow, service="remote"), Scripted(s, slow):
            restart_queued_with(s, {"PH_DELIVERY_TIMEOUT": "2"})
            far = inject(s, DEMO, ["slow@far.test"], BODY)[1:]
            near = inject(s, DEMO, [DEMO], BODY)[1:]
            assert wait_log(s, "queued", r"event=timeout qid=%s rcpt=%s" % (near, DEMO), 10), "local request not timed out"
            assert wait_log(s, "queued", r"event=delivered qid=%s rcpt=slow@far.test" % far, 15), "remote request not waited for"
            assert not re.search(r"event=timeout qid=%s" % far, s.log("queued")), "remote request given up at the local deadline"
            s.mailctl("queue", "delete", near)
            restart_queued_with(s, {"PH_DELIVERY_TIMEOUT": "2", "PH_REMOTE_DELIVERY_TIMEOUT": "1"})
            far = inject(s, DEMO, ["slow@far.test"], BODY)[1:]
            assert wait_log(s, "queued", r"event=timeout qid=%s rcpt=slow@far.test rcpts=1" % far, 10), "remote deadline not applied"
            assert wait_log(s, "queued", r'event=deferred qid=%s rcpt=slow@far.test .*no answer from the delivery agent in time' % far, 5)
            s.mailctl("queue", "delete", far)
    finally:
        restart_queued_with(s, {})


@phtest.case
def control_socket_is_root_only(s):
    sock = qdir(s) / "control"
    st = os.stat(sock)
    assert oct(st.st_mode & 0o777) == "0o600", oct(st.st_mode)

    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)

    r = subprocess.run(["/usr/bin/python3", "-c",
                        "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1]); print('connected')\nexcept OSError as e:\n print(e.errno)"
                        , str(sock)], preexec_fn=as_nobody, stdout=subprocess.PIPE, text=True)
    assert r.stdout.strip() != "connected", "nobody reached queued's control socket"


if __name__ == "__main__":
    phtest.main(extra_env={
        "PH_RETRY_MIN": "30",
        "PH_RETRY_MAX": "60",
        "PH_REMOTE_CONCURRENCY_PER_DOMAIN": "2",
        "PH_REMOTE_RCPT_MAX": "3",
    })
