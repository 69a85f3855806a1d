#!/usr/bin/python3
"""floors: what this machine charges for the two things posthaste's
per-message path cannot avoid, measured the same way on every run of
docs/bench.md's "What bounds the two targets":

- starting a process: posix_spawn + waitpid of a program that exits at
  once (an empty static-PIE and dynamic C program, built here with cc,
  and any programs named on the command line), the child's CPU from
  times();
- making a delivered file durable: create, write 4.3 KB, fsync, then
  link into a second directory (a Maildir's tmp/ -> new/), in DIR
  (default /tmp).

    tests/bench/floors.py [-d DIR] [PROGRAM...]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

SPAWNS = 1000
FILES = 300


def spawn_cost(path, args=()):
    c0 = os.times()
    t0 = time.perf_counter()
    for _ in range(SPAWNS):
        pid = os.posix_spawn(path, [path] + list(args), {},
                             file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                                           (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
        os.waitpid(pid, 0)
    t1 = time.perf_counter()
    c1 = os.times()
    cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    return (t1 - t0) / SPAWNS * 1e6, cpu / SPAWNS * 1e6


def durable_file_cost(top):
    d = tempfile.mkdtemp(prefix="floors.", dir=top)
    os.mkdir(d + "/tmp")
    os.mkdir(d + "/new")
    data = b"x" * 4300
    synced, linked = [], []
    try:
        for i in range(FILES):
            t0 = time.perf_counter()
            fd = os.open("%s/tmp/%d" % (d, i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            t1 = time.perf_counter()
            os.link("%s/tmp/%d" % (d, i), "%s/new/%d" % (d, i))
            t2 = time.perf_counter()
            os.close(fd)
            synced.append((t1 - t0) * 1000)
            linked.append((t2 - t0) * 1000)
    finally:
        subprocess.run(["rm", "-rf", d], check=False)
    synced.sort()
    return statistics.median(synced), synced[int(len(synced) * 0.99) - 1], statistics.median(linked)


def main(argv):
    top = "/tmp"
    if argv[:1] == ["-d"]:
        top, argv = argv[1], argv[2:]
    with tempfile.TemporaryDirectory(prefix="floors.") as w:
        src = os.path.join(w, "empty.c")
        with open(src, "w") as f:
            f.write("int main (void) { return 0 ; }\n")
        progs = []
        for name, flags in (("empty-static-pie", ["-static-pie"]), ("empty-dynamic", [])):
            out = os.path.join(w, name)
            subprocess.run(["cc", "-O2"] + flags + ["-o", out, src], check=True)
            progs.append(out)
        print("process start and exit (%d spawns each):" % SPAWNS)
        for p in progs + argv:
            wall, cpu = spawn_cost(p)
            print("  %-40s wall %5.0f us   child CPU %5.0f us" % (os.path.basename(p), wall, cpu))
    med, p99, link = durable_file_cost(top)
    print("durable file in %s (%d files): create + write 4.3 KB + fsync median %.3f ms, p99 %.3f; "
          "to the link into new/ median %.3f ms" % (top, FILES, med, p99, link))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
