"""queued's filter chains (docs/filters.md), through the real services:
a test filter program decides by the message's Subject, the real
deliverd writes the Maildir (Junk folder included), and the example
package/filters/spamc-filter runs with a stand-in spamc."""

import email
import email.policy
import os
import pathlib
import re
import shutil
import signal
import tempfile
import time

import phtest
from queuelib import inject, qdir, wait_log, svc, records

TOP = pathlib.Path(__file__).resolve().parents[2]
WORK = pathlib.Path(tempfile.mkdtemp(prefix="phqfilter.", dir="/tmp"))
os.chmod(WORK, 0o755)
STATE = WORK / "state"           # the filter's memory between runs (tempfail-once)
STATE.mkdir()
os.chmod(STATE, 0o777)
FILTER_TIMEOUT = 3

# The test filter: its verdict comes from the Subject; it records the
# environment and what it read, so the cases can check them.
FILTER = WORK / "subject-filter"
FILTER.write_text(r'''#!/usr/bin/python3
import errno, os, sys, time, signal
data = sys.stdin.buffer.read()
state = sys.argv[1]
head = data.split(b"\n\n", 1)[0].decode(errors="replace")
subj = ""
for line in head.split("\n"):
    if line.lower().startswith("subject:"):
        subj = line.split(":", 1)[1].strip()
qid = os.environ.get("QUEUE_ID", "")
with open(os.path.join(state, qid + ".%s.env" % os.environ.get("FILTER_STAGE")), "w") as f:
    for k in ("QUEUE_ID", "SENDER", "RECIPIENTS", "RECIPIENT_COUNT", "CLIENT_IP", "HELO", "AUTH_USER", "PROTOCOL", "DIRECTION", "FILTER_STAGE"):
        f.write("%s=%s\n" % (k, os.environ.get(k, "<unset>")))
    fds = sorted(int(x) for x in os.listdir("/proc/self/fd"))
    f.write("FDS=%s\n" % ",".join(str(x) for x in fds if x > 2 and x != f.fileno() and os.path.exists("/proc/self/fd/%d" % x)))
    f.write("UID=%d\nCWD=%s\n" % (os.getuid(), os.getcwd()))
with open(os.path.join(state, qid + ".%s.in" % os.environ.get("FILTER_STAGE")), "wb") as f:
    f.write(data)
out = sys.stdout
if subj == "hang":
    time.sleep(600)
elif subj == "crash":
    os.kill(os.getpid(), signal.SIGSEGV)
elif subj == "exit75":
    sys.exit(75)
elif subj == "garbage":
    out.write("this is not an answer\nat all\n")
elif subj == "discard":
    out.write("discard spam score 99\n")
elif subj == "junk":
    out.write("X-Test-Filter: junk\n\njunk\n")
elif subj.startswith("tempfail-once"):
    mark = os.path.join(state, qid + ".tried")
    if not os.path.exists(mark):
        open(mark, "w").close()
        out.write("tempfail scanner busy\n")
    else:
        out.write("X-Test-Filter: second try\n\ndeliver\n")
elif subj == "silent":
    pass
elif subj == "snoop":
    # A filter bug must not give the queue: try to list it and to read
    # this very message there; record what happened, then deliver.
    qd = os.environ.get("PH_QUEUE_DIR", "")
    res = []
    for what, fn in (("list", lambda: os.listdir(qd)),
                     ("listq", lambda: os.listdir(os.path.join(qd, "queue"))),
                     ("read", lambda: open(os.path.join(qd, "queue", qid, "mess"), "rb").read())):
        try:
            fn()
            res.append("%s=ok" % what)
        except OSError as e:
            res.append("%s=%s" % (what, errno.errorcode.get(e.errno, str(e.errno))))
    with open(os.path.join(state, qid + ".snoop"), "w") as f:
        f.write("QD=%s %s\n" % (qd, " ".join(res)))
    out.write("X-Test-Filter: snooped\n\ndeliver\n")
else:
    out.write("X-Test-Filter: passed\n stage=%s\n\ndeliver\n" % os.environ.get("FILTER_STAGE"))
''')
FILTER.chmod(0o755)

# A second program in the chain: adds one field, always delivers.
SECOND = WORK / "second-filter"
SECOND.write_text("#!/bin/sh\ncat > \"$1/$QUEUE_ID.second.in\"\nprintf 'X-Second: yes\\n\\ndeliver\\n'\n")
SECOND.chmod(0o755)

# A stand-in for spamc -c -x: "spam" if the body says so.
SPAMC = WORK / "spamc"
SPAMC.write_text("#!/bin/sh\nif grep -q VIAGRA; then echo 9.5/5.0; exit 1; else echo 0.1/5.0; exit 0; fi\n")
SPAMC.chmod(0o755)

DEMO = "demo@example.test"


def msg(subject, body="hello\n", extra=""):
    return ("Received: from test\nSubject: %s\n%sMessage-ID: <%s@test>\n\n%s" % (subject, extra, subject.replace(" ", "."), body)).encode()


def newest(s, folder="new", count=1, timeout=20):
    ok = s.wait_for(lambda: len(s.messages(DEMO, folder)) >= count, timeout)
    assert ok, "%d message(s) in %s, wanted %d" % (len(s.messages(DEMO, folder)), folder, count)
    return s.messages(DEMO, folder)[-1]


def parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def count(s, folder="new"):
    return len(s.messages(DEMO, folder))


@phtest.case
def deliver_verdict_prepends_headers_in_chain_order(s):
    before = count(s)
    a = inject(s, "alice@sender.test", [DEMO], msg("plain"), [b"C192.0.2.7", b"Hclient.test", b"PESMTP"])
    assert a and a[0] == "K", a
    qid = a[1:]
    p = newest(s, count=before + 1)
    data = p.read_bytes()
    # The second program's field is above the first one's (trace order),
    # and both above the original header.
    i2, i1, io = data.find(b"X-Second: yes"), data.find(b"X-Test-Filter: passed\n stage=0"), data.find(b"Received: from test")
    assert -1 < i2 < i1 < io, data[:400]
    m = parse(p)
    assert m["X-Test-Filter"].startswith("passed"), m["X-Test-Filter"]
    env = dict(l.split("=", 1) for l in (STATE / (qid + ".0.env")).read_text().splitlines())
    assert env["QUEUE_ID"] == qid and env["SENDER"] == "alice@sender.test" and env["RECIPIENTS"] == DEMO, env
    assert env["CLIENT_IP"] == "192.0.2.7" and env["HELO"] == "client.test" and env["DIRECTION"] == "inbound", env
    assert env["RECIPIENT_COUNT"] == "1" and env["PROTOCOL"] == "ESMTP", env
    # Nothing of queued's leaks into the program: no fd beyond 0-2 (but
    # the program's own), the filters' own uid (phfilter, not queued's
    # phqueue), and / as cwd.
    assert env["FDS"] == "", "queued's or filterrun's fds leaked into the filter: %s" % env["FDS"]
    import pwd
    assert int(env["UID"]) == pwd.getpwnam("phfilter").pw_uid and env["CWD"] == "/", env
    assert int(env["UID"]) != pwd.getpwnam("phqueue").pw_uid
    # The first program read the message as queued-inject stored it; the
    # second one read it with the first one's field on top.
    assert (STATE / (qid + ".0.in")).read_bytes() == msg("plain")
    assert (STATE / (qid + ".second.in")).read_bytes() == b"X-Test-Filter: passed\n stage=0\n" + msg("plain")
    log = s.log("queued")
    assert re.search(r"event=filter qid=%s stage=0 prog=%s verdict=deliver" % (qid, re.escape(str(FILTER))), log), log[-1500:]
    assert re.search(r"event=filter qid=%s stage=1 prog=%s verdict=deliver" % (qid, re.escape(str(SECOND))), log)
    assert re.search(r"event=filtered qid=%s verdict=deliver added=\d+" % qid, log)


@phtest.case
def outbound_chain_for_authenticated_mail(s):
    before = count(s)
    a = inject(s, DEMO, [DEMO], msg("outbound"), [b"Udemo@example.test", b"PESMTPSA"])
    qid = a[1:]
    p = newest(s, count=before + 1)
    m = parse(p)
    assert m["X-Test-Filter"] is None and m["X-Second"] is None, "the inbound chain ran on authenticated mail"
    assert m["X-Outbound"] == "yes", p.read_bytes()[:300]
    assert not (STATE / (qid + ".0.env")).exists()


@phtest.case
def junk_verdict_lands_in_Junk(s):
    before = count(s, ".Junk/new") if (s.maildir(DEMO) / ".Junk").exists() else 0
    inbox = count(s)
    a = inject(s, "spammer@sender.test", [DEMO], msg("junk"))
    qid = a[1:]
    assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 20)
    junk = s.maildir(DEMO) / ".Junk"
    assert junk.is_dir() and (junk / "maildirfolder").exists(), "Junk folder not created"
    p = newest(s, ".Junk/new", count=before + 1)
    assert b"X-Test-Filter: junk" in p.read_bytes()
    assert count(s) == inbox, "junk also went to INBOX"
    assert s.wait_for(lambda: re.search(r"event=filtered qid=%s verdict=junk" % qid, s.log("queued")), 10)


@phtest.case
def discard_verdict_drops_without_bounce(s):
    inbox = count(s)
    a = inject(s, DEMO, [DEMO], msg("discard"))
    qid = a[1:]
    assert wait_log(s, "queued", r'event=discarded qid=%s reason="filter verdict: spam score 99"' % qid, 20)
    assert wait_log(s, "queued", r"event=removed qid=%s$" % qid, 10)
    time.sleep(1)
    assert count(s) == inbox, "discarded mail (or a bounce of it) was delivered"
    assert not re.search(r"event=dsn qid=\w+ orig=%s" % qid, s.log("queued")), "a discard must never bounce"


@phtest.case
def tempfail_then_success(s):
    inbox = count(s)
    a = inject(s, "alice@sender.test", [DEMO], msg("tempfail-once"))
    qid = a[1:]
    assert wait_log(s, "queued", r'event=filter_deferred qid=%s stage=0 prog=\S+ delay=1 reason="scanner busy"' % qid, 20)
    p = newest(s, count=inbox + 1, timeout=30)
    assert b"X-Test-Filter: second try" in p.read_bytes()


@phtest.case
def hanging_filter_times_out_and_defers(s):
    t0 = time.monotonic()
    a = inject(s, "alice@sender.test", [DEMO], msg("hang"))
    qid = a[1:]
    assert wait_log(s, "queued", r'event=filter_deferred qid=%s stage=0 prog=\S+ delay=\d+ reason="timed out"' % qid, 20)
    took = time.monotonic() - t0
    assert FILTER_TIMEOUT - 0.5 <= took < FILTER_TIMEOUT + 5, "timeout after %.1f s" % took
    # The process group is gone: no filter left sleeping.
    time.sleep(0.5)
    left = [d for d in os.listdir("/proc") if d.isdigit() and _cmd(d).startswith("/usr/bin/python3 %s" % FILTER)]
    assert not left, "filter processes left: %r" % left
    assert (qdir(s) / "queue" / qid).is_dir(), "a deferred message must stay queued"
    s.mailctl("queue", "delete", qid)


def _cmd(pid):
    try:
        return open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@phtest.case
def crash_exit75_and_garbage_defer(s):
    qids = {}
    for subj in ("crash", "exit75", "garbage"):
        qids[subj] = inject(s, "alice@sender.test", [DEMO], msg(subj))[1:]
    assert wait_log(s, "queued", r'event=filter_deferred qid=%s .*reason="killed by signal 11"' % qids["crash"], 20)
    assert wait_log(s, "queued", r'event=filter_deferred qid=%s .*reason="asked for a retry \(exit 75\)"' % qids["exit75"], 20)
    assert wait_log(s, "queued", r'event=filter_protocol_error qid=%s prog=\S+ reason="bytes after the verdict line"' % qids["garbage"], 20)
    assert wait_log(s, "queued", r'event=filter_deferred qid=%s .*reason="malformed answer"' % qids["garbage"], 20)
    for q in qids.values():
        assert (qdir(s) / "queue" / q).is_dir()
        assert not re.search(r"event=delivered qid=%s" % q, s.log("queued")), "delivered despite the filter's failure"
        s.mailctl("queue", "delete", q)


@phtest.case
def silent_filter_delivers_and_verdict_survives_restart(s):
    # Exit 0 without output: deliver unchanged. Then a verdict already in
    # the journal is not asked again after a restart.
    inbox = count(s)
    a = inject(s, "alice@sender.test", [DEMO], msg("silent"))
    p = newest(s, count=inbox + 1)
    assert b"X-Test-Filter" not in p.read_bytes() and b"X-Second: yes" in p.read_bytes()
    # Hold delivery: deliverd down; filter, then kill queued, restart.
    svc(s, "deliverd", False)
    try:
        a = inject(s, "alice@sender.test", [DEMO], msg("once only"))
        qid = a[1:]
        assert wait_log(s, "queued", r"event=filtered qid=%s verdict=deliver" % qid, 20)
        recs = records((qdir(s) / "queue" / qid / "state").read_bytes())
        assert recs[0][0] == "F" and recs[0][1].startswith(b"deliver "), recs
        size = int(recs[0][1].split()[1])
        assert (qdir(s) / "queue" / qid / "fmess").stat().st_size == size
        s.kill("queued", signal.SIGKILL)
        assert s.wait_up("queued", 20)
        assert wait_log(s, "queued", r"event=loaded qid=%s" % qid, 20)
    finally:
        svc(s, "deliverd", True)
    p = newest(s, count=inbox + 2, timeout=45)
    assert b"X-Test-Filter: passed" in p.read_bytes()
    assert len(re.findall(r"event=filter qid=%s stage=0" % qid, s.log("queued"))) == 1, "filtered twice"


@phtest.case
def filter_cannot_read_the_queue(s):
    # The filter runs as phfilter: the queue directory and the message
    # in it are out of its reach, and the message is delivered anyway.
    inbox = count(s)
    a = inject(s, "alice@sender.test", [DEMO], msg("snoop"))
    qid = a[1:]
    p = newest(s, count=inbox + 1)
    assert b"X-Test-Filter: snooped" in p.read_bytes()
    line = (STATE / (qid + ".snoop")).read_text()
    assert line.startswith("QD=%s " % s.env["PH_QUEUE_DIR"]) and s.env["PH_QUEUE_DIR"], line
    assert "list=EACCES" in line and "listq=EACCES" in line and "read=EACCES" in line, line


@phtest.case
def filter_socket_admits_only_queued(s):
    # Another local uid (here smtpd's) connecting to filter.sock is
    # refused before anything is read: nothing runs for it.
    import pwd
    import subprocess
    uid = pwd.getpwnam("phsmtpd").pw_uid
    r = subprocess.run(["s6-setuidgid", "phsmtpd", "/usr/bin/python3", "-c",
                        "import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
                        "s.settimeout(10);sys.stdout.write(repr(s.recv(100)))",
                        s.env["PH_RUN_DIR"] + "/filter.sock"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "b''", r
    assert s.wait_for(lambda: re.search(r"event=refused euid=%d reason=" % uid, s.log("filter")), 10), s.log("filter")[-1500:]


@phtest.case
def filter_service_down_defers_then_delivers(s):
    # filter.sock gone (the filter service down): the stage is a
    # temporary failure, the message waits, and goes once it is back.
    inbox = count(s)
    svc(s, "filter", False)
    try:
        a = inject(s, "alice@sender.test", [DEMO], msg("while down"))
        qid = a[1:]
        assert wait_log(s, "queued", r'event=filter_deferred qid=%s stage=0 prog=\S+ delay=\d+ reason="cannot start the filter"' % qid, 20)
        assert wait_log(s, "queued", r"event=filter_spawn_error qid=%s prog=\S+ error=" % qid, 5)
        time.sleep(1.5)
        assert count(s) == inbox, "delivered without its filter chain"
        assert (qdir(s) / "queue" / qid).is_dir()
    finally:
        svc(s, "filter", True)
    p = newest(s, count=inbox + 1, timeout=30)
    assert b"X-Test-Filter: passed" in p.read_bytes() and b"X-Second: yes" in p.read_bytes()
    assert re.search(r"event=filtered qid=%s verdict=deliver" % qid, s.log("queued"))


@phtest.case
def spamc_filter_example_script(s):
    # package/filters/spamc-filter with a stand-in spamc, run the way
    # queued runs it: message on stdin, answer on stdout.
    import subprocess
    env = dict(os.environ, SPAMC=str(SPAMC))
    prog = str(TOP / "package" / "filters" / "spamc-filter")
    r = subprocess.run([prog], input=b"Subject: hi\n\nhello\n", stdout=subprocess.PIPE, env=env)
    assert r.returncode == 0 and r.stdout == b"X-Spam-Flag: NO\nX-Spam-Score: 0.1/5.0\n\ndeliver spamassassin 0.1/5.0\n", r
    r = subprocess.run([prog], input=b"Subject: hi\n\nbuy VIAGRA\n", stdout=subprocess.PIPE, env=env)
    assert r.returncode == 0 and r.stdout.endswith(b"\n\njunk spamassassin 9.5/5.0\n"), r
    r = subprocess.run([prog], input=b"x", stdout=subprocess.PIPE, env=dict(os.environ, SPAMC="/nonexistent/spamc"))
    assert r.returncode == 75, r
    # And through queued: the outbound chain is spamc-filter (see main).
    before = count(s, ".Junk/new")
    a = inject(s, DEMO, [DEMO], msg("spammy", "cheap VIAGRA here\n"), [b"Udemo@example.test"])
    p = newest(s, ".Junk/new", count=before + 1)
    m = parse(p)
    assert m["X-Spam-Flag"] == "YES" and m["X-Spam-Score"] == "9.5/5.0", p.read_bytes()[:300]


if __name__ == "__main__":
    # The example script, copied where phqueue can run it.
    SPAMC_FILTER = WORK / "spamc-filter"
    shutil.copy(TOP / "package" / "filters" / "spamc-filter", SPAMC_FILTER)
    SPAMC_FILTER.chmod(0o755)
    OUT = WORK / "outbound-chain"
    OUT.write_text("#!/bin/sh\ncat >/dev/null\nprintf 'X-Outbound: yes\\n\\ndeliver\\n'\n")
    OUT.chmod(0o755)
    try:
        phtest.main(extra_env={
            "PH_FILTERS_INBOUND": "%s %s ; %s %s" % (FILTER, STATE, SECOND, STATE),
            "PH_FILTERS_OUTBOUND": "%s;%s" % (OUT, SPAMC_FILTER),
            "SPAMC": str(SPAMC),
            "PH_FILTER_TIMEOUT": str(FILTER_TIMEOUT),
            "PH_RETRY_MIN": "1",
            "PH_RETRY_MAX": "2",
        })
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
