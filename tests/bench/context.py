"""What a reader needs to weigh the figures: the machine, the filesystem
both servers write to, the versions measured."""

import datetime
import os
import pathlib
import platform
import subprocess

TOP = pathlib.Path(__file__).resolve().parents[2]


def _out(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=20)
        return r.stdout.strip() if r.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_gib():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    except (OSError, ValueError):
        pass
    return 0.0


def loadavg():
    """The 1-minute load average: other work on the machine skews figures."""
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError, IndexError):
        return -1.0


def journal(path="/tmp"):
    """ext4's journal for the filesystem holding path: "journal" or "no
    journal" (jbd2 lists each journaled device under /proc/fs/jbd2 as
    <dev>-<n>), "" when that cannot be told. Without one, each inode
    allocation skips the inodes freed in the last minute or more, which
    ties file creation to the recent deletions of every process."""
    source = _out(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", path]).split()
    if len(source) != 2 or source[1] != "ext4" or not source[0].startswith("/dev/"):
        return ""
    dev = os.path.basename(source[0])
    try:
        names = os.listdir("/proc/fs/jbd2")
    except OSError:
        return "no journal"
    return "journal" if any(n.startswith(dev + "-") for n in names) else "no journal"


def collect():
    commit = _out(["git", "-C", str(TOP), "rev-parse", "--short", "HEAD"]) or "unknown"
    if _out(["git", "-C", str(TOP), "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "mem_gib": mem_gib(),
        "kernel": platform.release(),
        "fs": (" ".join(_out(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", "/tmp"]).split()) or "unknown")
              + (", " + journal() if journal() else ""),
        "postfix": _out(["postconf", "-d", "-h", "mail_version"]) or "unknown",
        "commit": commit,
        "load_start": loadavg(),
    }
