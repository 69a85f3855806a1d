"""Process trees and their CPU time, read from /proc.

CPU time of a server = for every live process of its tree, user + system
time of the process plus that of its children already waited for
(utime + stime + cutime + cstime, proc(5)). A per-connection child that
exited during a run is thus counted once, in its parent's cutime/cstime;
the difference between two samples is what the tree spent in between.
"""

import os
import pathlib

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (field 3 onward)."""
    s = pathlib.Path("/proc/%d/stat" % pid).read_text()
    return s.rsplit(")", 1)[1].split()


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


def tree(root):
    """root and all its live descendants."""
    ppid = parents()
    found = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in ppid.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def cpu_seconds(root):
    total = 0
    for pid in tree(root):
        try:
            f = _stat_fields(pid)
            # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS
