"""End-to-end latency: from the moment the client has read the 250 reply
to its DATA to the moment the delivered file appears in the Maildir's
new/ (inotify), one message at a time, each on its own SMTP session.
The session's set-up and its end are outside the interval: the client
sends QUIT only once the file is there, so neither the client's QUIT
round trip nor the server's end of session (an exiting smtpd here, an
smtpd going back to accept() in Postfix) is counted as delivery time.

The event is read only after the reply, so a file that appeared before
the client had read the 250 counts as (nearly) zero, never negative.
"""

import math
import os
import time

import inotify
import smtpclient
import throughput

WARMUP = 5
PAUSE = 0.05          # let the after-delivery work (queue clean-up) finish
TIMEOUT = 30.0


def measure(target, messages, size=4096):
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
    time.sleep(PAUSE)
    watch = inotify.Arrivals(new)
    samples = []
    try:
        for i in range(messages):
            token = "%s latency %d" % (tag, i)
            got = []
            t250 = smtpclient.send_one(target.port, token, size,
                                       before_quit=lambda: got.extend(watch.wait(TIMEOUT)))
            if not got:
                raise RuntimeError("%s: message %d not delivered within %ds" % (target.name, i, TIMEOUT))
            name, t_file = got[0]
            if len(got) != 1:
                raise RuntimeError("%s: %d files for one message" % (target.name, len(got)))
            with open(os.path.join(new, name), "rb") as f:
                if ("Subject: " + token).encode() not in f.read(8192):
                    raise RuntimeError("%s: file %s is not message %d" % (target.name, name, i))
            samples.append((t_file - t250) / 1e6)
            time.sleep(PAUSE)
    finally:
        watch.close()
    return summary(samples)


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
