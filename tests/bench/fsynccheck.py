"""Show, rather than assume, that a server syncs what it writes: attach
strace to its whole process tree (following new children), send a few
messages one at a time, and count the fsync-family calls per message,
split into regular files and directories (strace -y prints each fd's
path). Run once before the timed runs: strace slows everything it traces.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import procs
import smtpclient

SYNC_CALLS = "fsync,fdatasync,sync_file_range,syncfs,sync,msync"
LINE = re.compile(r"^\d+\s+(fsync|fdatasync|sync_file_range|syncfs|msync)\(\d+<([^>]*)>")
MESSAGES = 3


def _traced(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1]) != 0
    except OSError:
        return True          # gone: nothing to wait for
    return False


def check(target):
    """Returns a dict: files, dirs (average calls per message), other
    (sync/syncfs), paths (pattern -> calls per message), or {"error": why}."""
    if not shutil.which("strace"):
        return {"error": "strace not installed"}
    new = target.new_dir()
    # one message first, untraced: the Maildir's creation is not per-message work
    before = _count(new)
    smtpclient.send_one(target.port, "fsync check warm-up", 1024)
    if not _wait_count(new, before + 1):
        return {"error": "warm-up message not delivered"}
    fd, out = tempfile.mkstemp(prefix="phbench-strace.", dir="/tmp")
    os.close(fd)
    try:
        err = _trace(target, out, new)
        if err:
            return {"error": err}
        return _classify(out, str(target.dir))
    finally:
        os.unlink(out)


def _trace(target, out, new):
    pids = sorted(procs.tree(target.root_pid()))
    argv = ["strace", "-f", "-qq", "-y", "-e", "trace=" + SYNC_CALLS, "-o", out]
    for p in pids:
        argv += ["-p", str(p)]
    st = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not all(_traced(p) for p in pids):
            if time.monotonic() > deadline or st.poll() is not None:
                return "strace could not attach"
            time.sleep(0.05)
        before = _count(new)
        for i in range(MESSAGES):
            smtpclient.send_one(target.port, "fsync check %d" % i, 1024)
            if not _wait_count(new, before + i + 1):
                return "message not delivered under strace"
        # the work after the file appears (queue clean-up) belongs to it too
        time.sleep(1.0)
        return None
    finally:
        st.terminate()
        try:
            st.wait(timeout=10)
        except subprocess.TimeoutExpired:
            st.kill()
            st.wait()


def _classify(out, top):
    paths = []
    other = 0
    with open(out) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                paths.append(m.group(2))
            elif re.match(r"^\d+\s+(sync|syncfs)\(", line):
                other += 1
    # A directory may be gone by now (a queue entry's own directory):
    # a traced path that another traced path lies under is one too.
    seen = set(paths)
    isdir = {p: os.path.isdir(p) or any(q.startswith(p + "/") for q in seen) for p in seen}
    dirs = sum(1 for p in paths if isdir[p])
    patterns = {}
    for p in paths:
        key = _pattern(p, top) + ("/" if isdir[p] else "")
        patterns[key] = patterns.get(key, 0) + 1
    return {"files": (len(paths) - dirs) / MESSAGES, "dirs": dirs / MESSAGES, "other": other / MESSAGES,
            "paths": {k: v / MESSAGES for k, v in sorted(patterns.items())}}


def _pattern(path, top):
    """The path below the server's directory, with per-message names
    (anything containing a digit) replaced by *."""
    if path.startswith(top + "/"):
        path = path[len(top) + 1:]
    return "/".join("*" if re.search(r"\d", c) else c for c in path.split("/"))


def _wait_count(d, n, timeout=30):
    deadline = time.monotonic() + timeout
    while _count(d) < n:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _count(d):
    try:
        return len(os.listdir(d))
    except FileNotFoundError:
        return 0


def disk_fsync_ms(directory, rounds=100):
    """Median time of write(4 KiB) + fsync on a fresh file in directory:
    what one synchronous commit costs on this filesystem."""
    path = os.path.join(directory, "phbench-fsync.%d" % os.getpid())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        block = b"x" * 4096
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            os.write(fd, block)
            os.fsync(fd)
            times.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return times[len(times) // 2] * 1000
