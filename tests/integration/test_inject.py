"""The resident injector (queued-inject -L, queued/README.md): a parent
holding inject.sock and pre-forked workers, each serving many
connections in a row. Run with 2 workers and a max-use of 5, so that
every worker sees several connections and gets replaced during the run.

Checked: no process is started per injection; a worker's fds do not grow
from one connection to the next; nothing of one connection (peer class,
dropped fields, a refused envelope) reaches the next; a worker is
replaced after its max-use and after a crash, which loses nothing the
client was told (it got no K) and leaves no message behind; SIGTERM lets
a busy worker finish its message while new clients are refused; SIGHUP
replaces idle workers, which remove their unused preparation.
"""

import os
import pathlib
import signal
import socket
import subprocess
import time

import phtest
from queuelib import Injector, envelope, inject_as, message, ns, qdir, records, svc, wait_log

WORKERS = 2
MAX_USE = 5
BODY = b"Received: from test\nSubject: inject test\n\nhello\n"
ORIGIN = [b"Ujoe", b"PESMTPA", b"C192.0.2.9", b"Hforged.test", b"Xkeep=1"]


def workers(s):
    """The pids of the injector's workers (the parent's children)."""
    pid = s.svc_pid("inject")
    if not pid:
        return set()
    r = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True)
    return {int(x) for x in r.stdout.split()}


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def settled_fd_counts(pids, steady=0.3, timeout=5.0):
    """Each process's fd count once it has not changed for `steady` s."""
    deadline = time.monotonic() + timeout
    last = {p: fd_count(p) for p in pids}
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = {p: fd_count(p) for p in pids}
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= steady:
            break
    return last


def full_pool(s):
    return s.wait_for(lambda: len(workers(s)) == WORKERS, 20)


def inject_ok(s, extra=(), rcpts=("demo@example.test",)):
    c = Injector(s)
    a = c.inject("a@b.test", list(rcpts), BODY, extra)
    c.close()
    assert a and a[0] == "K", "answer %r" % a
    return a[1:]


def env_of(s, qid):
    return records((qdir(s) / "incoming" / qid / "env").read_bytes())


@phtest.case
def workers_serve_many_connections_without_new_processes(s):
    assert full_pool(s), "pool: %r" % workers(s)
    for p in workers(s):
        assert pathlib.Path("/proc/%d/comm" % p).read_text().strip() == "queued-inject", p
    # Both workers serve a connection first, so that the fd counts below
    # are those of a worker between connections.
    before = workers(s)
    for _ in range(WORKERS):
        inject_ok(s)
    assert workers(s) == before, "a process per connection? %r -> %r" % (before, workers(s))
    # The client has its K and has closed; the worker closes its side when
    # it reads the end of file, a moment later: count once that is done.
    fds = settled_fd_counts(before)
    for _ in range(WORKERS):
        inject_ok(s)
    assert workers(s) == before, "a process per connection? %r -> %r" % (before, workers(s))
    assert s.wait_for(lambda: {p: fd_count(p) for p in before} == fds, 5), \
        "fds grew: %r -> %r" % (fds, {p: fd_count(p) for p in before})


@phtest.case
def workers_are_replaced_after_max_use(s):
    assert full_pool(s)
    before = workers(s)
    for _ in range(WORKERS * MAX_USE + 2):
        inject_ok(s)
    assert full_pool(s), "pool after max-use: %r" % workers(s)
    assert not (workers(s) & before), "still the same workers after %d connections: %r" % (WORKERS * MAX_USE + 2, before)
    assert "event=worker_exit" not in s.log("inject"), "a max-use exit logged as a failure"


@phtest.case
def nothing_leaks_from_one_connection_to_the_next(s):
    nobody = __import__("pwd").getpwnam("nobody").pw_uid
    data = envelope("a@b.test", ["demo@example.test"], ORIGIN) + message(BODY)
    svc(s, "queued", False)     # keep the messages in incoming/ to read them
    try:
        # Each pattern as many times as there are workers and more, so
        # every worker sees a connection after each kind.
        for _ in range(WORKERS + 1):
            a = inject_as(s, "nobody", data)
            assert a.startswith("K"), "nobody: %r" % a
            kept = [r for r in env_of(s, a[1:].strip()) if r[0] in "UPCHX"]
            assert kept == [("X", b"keep=1"), ("P", b"LOCAL"), ("X", b"peeruid=%d" % nobody)], kept
            # root next: trusted again, its claims kept, no P LOCAL
            q = inject_ok(s, ORIGIN)
            kept = [r for r in env_of(s, q) if r[0] in "UPCHX"]
            assert kept == [(chr(f[0]), f[1:]) for f in ORIGIN] + [("X", b"peeruid=0")], kept
            # a refused envelope after a recipient, then a clean message
            c = Injector(s)
            c.send(ns(b"Fx@y.test") + ns(b"Tleak@example.test") + ns(b"Qwhat"))
            a = c.answer()
            c.close()
            assert a and a.startswith("D5.5.4"), a
            q = inject_ok(s, rcpts=("demo@example.test",))
            recs = env_of(s, q)
            assert [r for r in recs if r[0] in "FT"] == [("F", b"a@b.test"), ("T", b"demo@example.test")], recs
            assert ("X", b"peeruid=0") in recs and ("P", b"LOCAL") not in recs, recs
        log = s.log("inject")
        assert log.count("trust=local") == WORKERS + 1, log[-3000:]
    finally:
        svc(s, "queued", True)
        assert s.wait_for(lambda: not list((qdir(s) / "incoming").iterdir()), 30), "incoming/ not taken"


@phtest.case
def a_worker_crash_loses_nothing_and_is_replaced(s):
    assert full_pool(s)
    before = workers(s)
    c = Injector(s)
    c.send(envelope("a@b.test", ["demo@example.test"]) + ns(b"Subject: half\n\n"))
    time.sleep(0.3)
    for p in before:
        os.kill(p, signal.SIGKILL)
    assert c.answer() is None, "an answer from a killed worker"
    c.close()
    assert s.wait_for(lambda: len(workers(s)) == WORKERS and not (workers(s) & before), 20), workers(s)
    assert wait_log(s, "inject", r"event=worker_exit pid=\d+ signal=\w*KILL", 5), s.log("inject")[-2000:]
    qid = inject_ok(s)
    assert qid
    # the half message's tmp/<pid>/ belongs to a dead pid: queued's scan
    # removes it, and it never reached incoming/ or queue/
    s.kill("queued", signal.SIGHUP)
    assert s.wait_for(lambda: not any(int(d.name) in before for d in (qdir(s) / "tmp").iterdir()), 20), \
        list((qdir(s) / "tmp").iterdir())
    assert wait_log(s, "queued", r"event=tmpclean", 5)


@phtest.case
def sigterm_finishes_the_busy_worker_and_refuses_new_clients(s):
    assert full_pool(s)
    d = str(s.service_dir("inject"))
    svc(s, "queued", False)
    try:
        c = Injector(s)
        c.send(envelope("a@b.test", ["demo@example.test"]) + ns(b"Subject: slow\n\nfirst\n"))
        time.sleep(0.3)
        subprocess.run(["s6-svc", "-d", d], check=True)

        def refused():
            t = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                t.connect(s.env["PH_RUN_DIR"] + "/inject.sock")
                return False
            except (ConnectionRefusedError, FileNotFoundError):
                return True
            finally:
                t.close()
        assert s.wait_for(refused, 5), "new clients still accepted while stopping"
        c.send(ns(b"second\n") + ns(b""))
        a = c.answer()
        c.close()
        assert a and a[0] == "K", "the busy worker's message: %r" % a
        assert (qdir(s) / "incoming" / a[1:] / "mess").read_bytes() == b"Subject: slow\n\nfirst\nsecond\n"
        assert subprocess.run(["s6-svwait", "-D", "-t", "10000", d]).returncode == 0
        assert not workers(s)
    finally:
        subprocess.run(["s6-svc", "-u", d], check=True)
        assert s.wait_up("inject", 10)
        svc(s, "queued", True)
    assert full_pool(s)
    assert inject_ok(s)


@phtest.case
def sighup_replaces_idle_workers_and_their_preparation_goes(s):
    assert full_pool(s)
    before = workers(s)
    # A connection without a message leaves its worker's preparation
    # (empty mess and env, names fsynced) for the next connection.
    for _ in range(WORKERS):
        c = Injector(s)
        c.close()
    assert s.wait_for(lambda: any((qdir(s) / "tmp" / str(p)).is_dir() for p in before), 5), \
        list((qdir(s) / "tmp").iterdir())
    # a worker may be making its preparation right now (the directory
    # first, then the two files): wait until every one there is whole
    # (a worker may also be replacing one: a name gone between the look
    # and the read is "not whole yet", and is looked at again)
    def prepared():
        try:
            for p in before:
                t = qdir(s) / "tmp" / str(p)
                if t.is_dir():
                    if sorted(x.name for x in t.iterdir()) != ["env", "mess"]:
                        return False
                    if (t / "env").stat().st_size or (t / "mess").stat().st_size:
                        return False
        except FileNotFoundError:
            return False
        return True
    assert s.wait_for(prepared, 10), [list(x.iterdir()) for x in (qdir(s) / "tmp").iterdir()]
    s.kill("inject", signal.SIGHUP)
    assert s.wait_for(lambda: len(workers(s)) == WORKERS and not (workers(s) & before), 20), workers(s)
    assert s.wait_for(lambda: not any((qdir(s) / "tmp" / str(p)).exists() for p in before), 5), \
        list((qdir(s) / "tmp").iterdir())
    # removed by the workers themselves, not by queued's clean-up of a
    # dead process's directory
    for p in before:
        assert "tmpclean path=tmp/%d " % p not in s.log("queued"), s.log("queued")[-2000:]
    assert inject_ok(s)


if __name__ == "__main__":
    phtest.main(extra_env={"PH_INJECT_WORKERS": str(WORKERS), "PH_INJECT_MAX_USE": str(MAX_USE)},
                services=("inject", "queued", "deliverd", "filter"))
