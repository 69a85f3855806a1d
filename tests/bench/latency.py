"""End-to-end latency: from the moment the client has read the 250 reply
to its DATA to the moment the delivered file appears in the Maildir's
new/ (inotify), one message at a time, each on its own SMTP session.
The session's set-up and its end are outside the interval: the client
sends QUIT only once the file is there, so neither the client's QUIT
round trip nor the server's end of session (an exiting smtpd here, an
smtpd going back to accept() in Postfix) is counted as delivery time.

The event is read only after the reply, so a file that appeared before
the client had read the 250 counts as (nearly) zero, never negative.

measure_interleaved() takes the servers' messages in turn (who goes first
alternates), so that both see the same machine and the same filesystem
at each moment. Measured one server after the other, the second ran
under what the first left behind: on an ext4 without a journal (this
machine's /tmp) every inode allocation skips the inodes freed in the
last 60 s (300 s more while their table block is dirty), so the deletions
of one run made the next run's file creations slower.
"""

import math
import os
import time

import context
import inotify
import smtpclient
import throughput

WARMUP = 5
PAUSE = 0.05          # let the after-delivery work (queue clean-up) finish
TIMEOUT = 30.0


SETTLE = 65    # s: ext4's 60 s window for freed inodes, and a margin


def settle(progress):
    """On a journal-less ext4 /tmp, waits until the inodes freed before
    now no longer slow allocation: the allocator passes over an inode
    freed less than 60 s ago, or 360 s while its inode table block is
    dirty (fs/ext4/ialloc.c, recently_deleted), one check per inode. A
    sync cleans the blocks; then 60 s suffice. What the two servers free
    during the measurement stays in, as it would in service."""
    if context.journal() != "no journal":
        return
    os.sync()
    progress("latency: /tmp is ext4 without a journal: waiting %d s for the inodes freed before this run" % SETTLE)
    time.sleep(SETTLE)


def warm_up(target, size):
    new = target.new_dir()
    throughput.clear(new)
    tag = "%s-%d" % (target.name.lower(), os.getpid())
    for i in range(WARMUP):     # warm caches and processes; makes new/ exist
        smtpclient.send_one(target.port, "%s warmup %d" % (tag, i), size)
    deadline = time.monotonic() + TIMEOUT
    while throughput.count(new) < WARMUP:
        if time.monotonic() > deadline:
            raise RuntimeError("%s: warm-up messages not delivered" % target.name)
        time.sleep(0.01)
    return tag


def one_sample(target, watch, tag, i, size):
    """Sends message i and returns DATA reply -> file in new/, in ms."""
    token = "%s latency %d" % (tag, i)
    got = []
    t250 = smtpclient.send_one(target.port, token, size,
                               before_quit=lambda: got.extend(watch.wait(TIMEOUT)))
    if not got:
        raise RuntimeError("%s: message %d not delivered within %ds" % (target.name, i, TIMEOUT))
    name, t_file = got[0]
    if len(got) != 1:
        raise RuntimeError("%s: %d files for one message" % (target.name, len(got)))
    with open(os.path.join(target.new_dir(), name), "rb") as f:
        if ("Subject: " + token).encode() not in f.read(8192):
            raise RuntimeError("%s: file %s is not message %d" % (target.name, name, i))
    return (t_file - t250) / 1e6


def measure(target, messages, size=4096):
    """One server alone."""
    return measure_interleaved([target], messages, size)[target.name]


def measure_interleaved(servers, messages, size=4096):
    """Each server's message i, in turn, the first of each round
    alternating; returns {name: summary}."""
    tags = [warm_up(t, size) for t in servers]
    time.sleep(PAUSE)
    watches = []
    samples = [[] for _ in servers]
    try:
        for t in servers:
            watches.append(inotify.Arrivals(t.new_dir()))
        for i in range(messages):
            order = list(range(len(servers)))
            if i % 2:
                order.reverse()
            for k in order:
                samples[k].append(one_sample(servers[k], watches[k], tags[k], i, size))
                time.sleep(PAUSE)
    finally:
        for w in watches:
            w.close()
    return dict((t.name, summary(s)) for t, s in zip(servers, samples))


def summary(samples_ms):
    s = sorted(samples_ms)
    n = len(s)
    return {
        "n": n,
        "median": (s[(n - 1) // 2] + s[n // 2]) / 2,
        "p99": s[max(0, math.ceil(0.99 * n) - 1)],     # nearest rank
        "min": s[0],
        "max": s[-1],
        "mean": sum(s) / n,
    }
