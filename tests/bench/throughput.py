"""Throughput, end to end: smtp-source sends COUNT messages over SESSIONS
parallel sessions (one connection per message, smtp-source's default);
the clock runs from just before smtp-source starts until every accepted
message is a file in the Maildir's new/ (polled every 10 ms), not merely
until smtp-source exits.

smtp-source runs with -A (go on after a refusal) so that a server that
refuses some messages still finishes the run; each refusal is one
"rejected" warning on its stderr, and the run then waits for
COUNT - refusals files. Refusals are reported next to the figure.
"""

import os
import subprocess
import tempfile
import time

import procs
from smtpclient import RECIPIENT, SENDER

POLL = 0.01
STALL = 60.0          # seconds without a new file before giving up
STALL_AFTER = 15.0    # the same once smtp-source has exited


def clear(new_dir):
    """Empty new/ so every run starts from the same directory size, then
    flush the page cache's dirty data so no run pays for the previous one.
    The files are moved, not removed, into a directory beside the Maildir
    that goes with the server's state at the end: on an ext4 without a
    journal (this machine's /tmp) every inode allocation skips the inodes
    freed in the last 60 s (300 s more while their table block is dirty),
    so removing a run's thousands of files would slow the file creations
    of the next runs, of either server."""
    maildir = os.path.dirname(os.path.abspath(new_dir))
    trash = maildir.rstrip("/") + ".bench-trash"
    try:
        names = os.listdir(new_dir)
    except FileNotFoundError:
        names = []
    if names:
        os.makedirs(trash, exist_ok=True)
    for name in names:
        try:
            os.rename(os.path.join(new_dir, name), os.path.join(trash, name))
        except FileNotFoundError:
            pass
    os.sync()
    time.sleep(0.5)


def count(new_dir):
    try:
        return len(os.listdir(new_dir))
    except FileNotFoundError:
        return 0


def run(target, sessions, size, messages):
    if not target.alive():
        raise RuntimeError("%s is not running any more (or its state directory is gone)" % target.name)
    new = target.new_dir()
    clear(new)
    err = tempfile.TemporaryFile(prefix="phbench-source.", dir="/tmp")
    argv = ["smtp-source", "-A", "-s", str(sessions), "-m", str(messages), "-l", str(size),
            "-M", "client.bench.test", "-f", SENDER, "-t", RECIPIENT, "127.0.0.1:%d" % target.port]
    cpu0 = procs.cpu_ns(target.root_pid())
    detail0 = target.cpu_detail()
    t0 = time.monotonic()
    src = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        source_done = None
        expected = messages
        last_n, last_change = 0, t0
        while True:
            n = count(new)
            now = time.monotonic()
            if n != last_n:
                last_n, last_change = n, now
            if source_done is None and src.poll() is not None:
                source_done = now
                err.seek(0)
                text = err.read().decode(errors="replace")
                refused = text.count("rejected")
                expected = messages - refused
            if source_done is not None and n >= expected:
                break
            if now - last_change > (STALL if source_done is None else STALL_AFTER):
                break
            time.sleep(POLL)
        t_end = time.monotonic()
    finally:
        if src.poll() is None:
            src.kill()
        src.wait()
    cpu1 = procs.cpu_ns(target.root_pid())
    detail1 = target.cpu_detail()
    detail = {k: ns - detail0.get(k, 0) for k, ns in detail1.items()}
    parts = target.cpu_parts(detail)
    err.seek(0)
    text = err.read().decode(errors="replace")
    err.close()
    refused = text.count("rejected")
    elapsed = t_end - t0
    delivered = count(new)
    return {
        "sessions": sessions, "size": size, "messages": messages,
        "delivered": delivered, "refused": refused,
        "complete": source_done is not None and src.returncode == 0 and delivered >= messages - refused,
        "source_rc": src.returncode,
        "elapsed": elapsed,
        "source_elapsed": (source_done - t0) if source_done else None,
        "rate": delivered / elapsed if elapsed > 0 else 0.0,
        "cpu_ms_per_msg": (cpu1 - cpu0) / 1e6 / delivered if delivered else None,
        "cpu_parts": {k: ns / 1e6 / delivered for k, ns in parts.items()} if delivered else {},
        "cpu_detail": {k: ns / 1e6 / delivered for k, ns in detail.items()} if delivered else {},
        "stderr_tail": text[-400:],
    }
