"""Crash test: messages sent over concurrent sessions while queued,
queued-inject's server and deliverd (with their per-connection children)
are SIGKILLed at random every 200-500 ms. Every message answered 250 must
end up in the Maildir; duplicates are counted and reported.

PH_CRASH_MESSAGES (default 2000) and PH_CRASH_SESSIONS (default 10) size it.
"""

import concurrent.futures
import os
import random
import re
import signal
import smtplib
import subprocess
import threading
import time

import phtest

N_MESSAGES = int(os.environ.get("PH_CRASH_MESSAGES", "2000"))
N_SESSIONS = int(os.environ.get("PH_CRASH_SESSIONS", "10"))
VICTIMS = ("queued", "inject", "deliverd")


def kill_tree(pid):
    """SIGKILL a service's daemon and every process under it."""
    r = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True)
    kids = [int(x) for x in r.stdout.split()]
    for p in [pid] + kids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def token_of(raw):
    m = re.search(rb"^X-Crash-Token: (\S+)$", raw, re.M)
    return m.group(1).decode() if m else None


@phtest.case
def no_accepted_message_lost_under_sigkill(s):
    addr = "demo@example.test"
    stop = threading.Event()
    kills = {v: 0 for v in VICTIMS}
    rnd = random.Random(int(os.environ.get("PH_CRASH_SEED", "0")) or None)

    def killer():
        while not stop.is_set():
            time.sleep(rnd.uniform(0.2, 0.5))
            if stop.is_set():
                break
            v = rnd.choice(VICTIMS)
            pid = s.svc_pid(v)
            if pid:
                kill_tree(pid)
                kills[v] += 1

    accepted = set()
    refused = [0]
    errors = [0]
    lock = threading.Lock()
    per_session = N_MESSAGES // N_SESSIONS

    def session(k):
        c = None
        for i in range(per_session):
            token = "c%02d-%05d-%s" % (k, i, os.urandom(3).hex())
            body = ("From: crash@sender.test\r\nTo: %s\r\nSubject: crash %s\r\nX-Crash-Token: %s\r\n\r\n%s\r\n"
                    % (addr, token, token, "body " * 50)).encode()
            # Like a real client MTA: a 4xx or a dropped connection means
            # "try again"; the message counts as accepted only on 250.
            for attempt in range(200):
                try:
                    if c is None:
                        c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=60)
                        c.ehlo("crash.test")
                    c.sendmail("crash@sender.test", [addr], body)
                    with lock:
                        accepted.add(token)
                    break
                except smtplib.SMTPResponseException:
                    with lock:
                        refused[0] += 1
                    try:
                        c.rset()
                    except Exception:  # noqa: BLE001
                        c = None
                except (smtplib.SMTPException, OSError):
                    with lock:
                        errors[0] += 1
                    c = None
                time.sleep(0.05)
        if c is not None:
            try:
                c.quit()
            except Exception:  # noqa: BLE001
                pass

    t = threading.Thread(target=killer)
    t0 = time.monotonic()
    t.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(N_SESSIONS) as ex:
            list(ex.map(session, range(N_SESSIONS)))
    finally:
        stop.set()
        t.join()
    load_time = time.monotonic() - t0

    for v in VICTIMS:
        assert s.wait_up(v, 20), "%s did not come back up" % v

    def delivered_tokens():
        counts = {}
        for p in s.messages(addr) + s.messages(addr, "cur"):
            try:
                tok = token_of(p.read_bytes())
            except FileNotFoundError:
                continue
            if tok:
                counts[tok] = counts.get(tok, 0) + 1
        return counts

    s.wait_for(lambda: accepted <= set(delivered_tokens()), 180, 0.5)
    counts = delivered_tokens()
    lost = accepted - set(counts)
    dups = sum(n - 1 for n in counts.values() if n > 1)
    extra = set(counts) - accepted
    print("# crash: %d sent, %d accepted (250), %d 4xx answers (retried), %d connection errors (retried), "
          "%d lost, %d duplicates (%.2f%%), %d delivered without a 250 seen; kills %s; load %.1f s"
          % (per_session * N_SESSIONS, len(accepted), refused[0], errors[0], len(lost), dups,
             100.0 * dups / max(1, len(accepted)), len(extra), kills, load_time), flush=True)
    assert sum(kills.values()) >= 3, "the killer did not run: %s" % kills
    assert len(accepted) >= N_MESSAGES // 2, "too few messages accepted to mean anything: %d" % len(accepted)
    assert not lost, "%d accepted messages lost, e.g. %s" % (len(lost), sorted(lost)[:5])


if __name__ == "__main__":
    phtest.main(extra_env={"PH_RETRY_MIN": "1", "PH_RETRY_MAX": "2"})
