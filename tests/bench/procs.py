"""Process trees and their CPU time, read from /proc, in nanoseconds.

A process's CPU time is the kernel's own count of the time its threads
spent on a CPU: the first field of /proc/PID/task/TID/schedstat
(sum_exec_runtime, ns; proc(5)). That is exact, whereas utime/stime in
/proc/PID/stat are clock ticks (10 ms) per process, so that a process
using a few ms reads as 0 or 10.

A child that exited and was waited for is gone from /proc; its time is
in its parent's cutime + cstime (proc(5)). The kernel accumulates those
in ns from the child's sum_exec_runtime (utime + stime of a dead task
are scaled to add up to it: cputime_adjust) and rounds only the sum to
ticks when it prints it, so the error is at most one tick per living
parent per sample, not one per child: for the per-connection children
of tcpd and s6-ipcserverd, and the replaced workers of queued-inject,
that is < 10 ms over a whole run of thousands of messages. No
subreaper is needed: every parent in the suite waits for its children
(s6-svscan, s6-supervise, tcpd, s6-ipcserverd, queued-inject -L), so
a child's time always lands in a parent inside the tree, and in the
same part as the child (a parent and its children are classified
alike, below).

The CPU of a tree between two samples is the difference of the sums;
a process that exits in between moves from the live sum to its
parent's cutime + cstime without being lost.
"""

import os
import pathlib

TICK_NS = 1000000000 // os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (field 3 onward)."""
    s = pathlib.Path("/proc/%d/stat" % pid).read_text()
    return s.rsplit(")", 1)[1].split()


def _cmdline(pid):
    try:
        return pathlib.Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    except OSError:
        return []


def parents():
    out = {}
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            out[int(p.name)] = int(_stat_fields(int(p.name))[1])
        except (OSError, IndexError, ValueError):
            pass
    return out


def children_map(ppid):
    kids = {}
    for pid, parent in ppid.items():
        kids.setdefault(parent, []).append(pid)
    return kids


def tree(root, kids=None):
    """root and all its live descendants."""
    if kids is None:
        kids = children_map(parents())
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, ()))
    return found


def process_ns(pid):
    """ns on CPU of pid's live threads plus its waited-for children
    (cutime + cstime), or None if it is gone."""
    total = 0
    try:
        for t in pathlib.Path("/proc/%d/task" % pid).iterdir():
            try:
                total += int((t / "schedstat").read_text().split()[0])
            except (OSError, IndexError, ValueError):
                pass
        f = _stat_fields(pid)
        # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        total += (int(f[13]) + int(f[14])) * TICK_NS
    except (OSError, IndexError, ValueError):
        return None
    return total


def cpu_ns(root):
    return sum(n for n in map(process_ns, tree(root)) if n is not None)


def cpu_seconds(root):
    return cpu_ns(root) / 1e9


def s6_parts(svscan):
    """CPU (ns) of an s6-svscan tree, per service: {key: ns} where key is
    "s6" (s6-svscan and every s6-supervise, their own time), "log:SVC"
    (the logger of SVC: s6-log and anything under it) or "svc:SVC" (the
    service's process tree; the time of a dead instance, in its
    s6-supervise's cutime, is counted here too). s6-svscan names each
    s6-supervise's directory in its argv[1] ("smtpd", "smtpd/log")."""
    kids = children_map(parents())
    out = {"s6": 0}

    def add(key, ns):
        if ns is not None:
            out[key] = out.get(key, 0) + ns

    # s6-svscan's own time; its cutime holds dead s6-supervise processes
    add("s6", process_ns(svscan))
    for sup in kids.get(svscan, ()):
        argv = _cmdline(sup)
        name = argv[1].decode(errors="replace") if len(argv) > 1 else "?"
        if name.endswith("/log"):
            key = "log:" + name[:-4]
        else:
            key = "svc:" + name
        try:
            own = 0
            for t in pathlib.Path("/proc/%d/task" % sup).iterdir():
                own += int((t / "schedstat").read_text().split()[0])
            f = _stat_fields(sup)
            dead = (int(f[13]) + int(f[14])) * TICK_NS
        except (OSError, IndexError, ValueError):
            continue
        add("s6", own)
        add(key, dead)
        for child in kids.get(sup, ()):
            for pid in tree(child, kids):
                add(key, process_ns(pid))
    return out
