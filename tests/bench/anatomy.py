#!/usr/bin/python3
"""tests/bench/anatomy.py [ROUNDS]: where the delivery latency goes, for
posthaste and Postfix side by side. Measurement, not a test; root only.

Both servers are started as for `tests/bench/run latency` and take
ROUNDS messages each (default 100), in turn, one at a time. The client
notes when it has the 250 and when inotify shows the file in new/
(time.monotonic_ns); the kernel's syscall tracepoints (tracefs, clock
"mono", filtered to fsync, fdatasync and the link/rename calls) give
the delivering process's last fsync before it published the file
(deliverd for posthaste, virtual(8) for Postfix) and that publishing
call. Prints, per server, medians and quartiles of:

  lat                    250 -> the client sees the file
  fsync_start_after_250  negative: the fsync began before the 250 arrived
  fsync                  the Maildir file's fsync
  publish                fsync end -> link/rename into new/ done
  wake                   -> the client has read the inotify event
  floor                  fsync start -> the client sees the file

docs/bench.md, "The delivery latency, taken apart", has a run.
"""

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import inotify  # noqa: E402
import latency  # noqa: E402
import smtpclient  # noqa: E402
import targets  # noqa: E402

TRACE = "/sys/kernel/tracing/"
# x86_64: fsync, fdatasync; rename, renameat, renameat2, link, linkat
SYSCALLS = (74, 75, 82, 264, 316, 86, 265)
FSYNCS = (74, 75)
LINE = re.compile(r"^\s*(\S+)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (sys_enter|sys_exit): NR (\d+)")


def tracefs(name, value):
    with open(TRACE + name, "w") as f:
        f.write(value)


def trace_on():
    if not os.path.exists(TRACE + "trace"):
        os.system("mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null")
    flt = " || ".join("id == %d" % n for n in SYSCALLS)
    tracefs("tracing_on", "0")
    tracefs("trace", "")
    tracefs("buffer_size_kb", "65536")
    tracefs("trace_clock", "mono")
    tracefs("events/raw_syscalls/sys_enter/filter", flt)
    tracefs("events/raw_syscalls/sys_exit/filter", flt)
    tracefs("set_event", "raw_syscalls:sys_enter raw_syscalls:sys_exit")
    tracefs("tracing_on", "1")


def trace_off():
    tracefs("tracing_on", "0")
    with open(TRACE + "trace") as f:
        text = f.read()
    tracefs("set_event", "")
    tracefs("trace_clock", "local")
    tracefs("events/raw_syscalls/sys_enter/filter", "0")
    tracefs("events/raw_syscalls/sys_exit/filter", "0")
    tracefs("trace", "")
    return text


def calls(text):
    """(start ns, end ns, comm, syscall number), in start order."""
    out, pending = [], {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        comm, pid, ts, kind, nr = m.groups()
        ns = int(round(float(ts) * 1e9))
        if kind == "sys_enter":
            pending[pid] = (ns, int(nr))
        elif pid in pending:
            start, n = pending.pop(pid)
            out.append((start, ns, comm, n))
    out.sort()
    return out


def anatomy(samples, evs):
    rows = {}
    for name, t250, tfile in samples:
        comm = "deliverd" if name == "posthaste" else "virtual"
        pub = [e for e in evs if e[2] == comm and e[3] not in FSYNCS and t250 - 5e6 < e[1] <= tfile]
        if not pub:
            continue
        p = pub[-1]
        fs = [e for e in evs if e[2] == comm and e[3] in FSYNCS and e[1] <= p[0]]
        if not fs:
            continue
        f = fs[-1]
        rows.setdefault(name, []).append({
            "lat": (tfile - t250) / 1e3, "fsync_start_after_250": (f[0] - t250) / 1e3,
            "fsync": (f[1] - f[0]) / 1e3, "publish": (p[1] - f[1]) / 1e3,
            "wake": (tfile - p[1]) / 1e3, "floor": (tfile - f[0]) / 1e3})
    return rows


def main():
    if os.geteuid() != 0:
        sys.exit("anatomy: run as root (tracefs)")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    servers = [targets.Posthaste(), targets.Postfix()]
    samples, watches = [], []
    text = ""
    try:
        for t in servers:
            t.start()
        tags = [latency.warm_up(t, 4096) for t in servers]
        latency.settle(lambda s: print("# " + s, file=sys.stderr))
        watches = [inotify.Arrivals(t.new_dir()) for t in servers]
        trace_on()
        try:
            for i in range(rounds):
                for k in ([0, 1] if i % 2 == 0 else [1, 0]):
                    got = []
                    t250 = smtpclient.send_one(servers[k].port, "%s anatomy %d" % (tags[k], i), 4096,
                                               before_quit=lambda: got.extend(watches[k].wait(latency.TIMEOUT)))
                    if got:
                        samples.append((servers[k].name, t250, got[0][1]))
                    time.sleep(latency.PAUSE)
        finally:
            text = trace_off()
    finally:
        for w in watches:
            w.close()
        for t in servers:
            t.stop()
            t.remove()
    for name, rows in anatomy(samples, calls(text)).items():
        print("%s, %d messages (µs)" % (name, len(rows)))
        for key in rows[0]:
            v = sorted(r[key] for r in rows)
            print("  %-22s median %6.0f  p25 %6.0f  p75 %6.0f" % (key, v[len(v) // 2], v[len(v) // 4], v[3 * len(v) // 4]))
        print("  fsync began before the client had the 250: %d of %d"
              % (sum(1 for r in rows if r["fsync_start_after_250"] < 0), len(rows)))


if __name__ == "__main__":
    main()
