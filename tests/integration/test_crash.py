"""Crash test: messages sent over concurrent SMTP sessions while a random
daemon is SIGKILLed, with everything it started, every KILL_MIN_MS to
KILL_MAX_MS: smtpd (the MX service: tcpd and every smtpd session under
it, so transactions die half-way), queued, queued-inject's server, and
deliverd. A client that gets a 4xx or loses its connection tries again,
as a real MTA would, each attempt with its own token.

Checked: every attempt answered 250 is in the Maildir, byte for byte
what was sent (after the trace fields Return-Path, Delivered-To and
Received; LF line ends, dots unstuffed). Counted and reported on one
line: lost (must be 0); duplicates of one attempt (a delivery done
twice, which deliverd's duplicate suppression keeps near 0; at most
PH_CRASH_MAX_DUP_PERCENT); and attempts delivered without a 250 seen
(the client sent the final dot, lost the connection before the reply
and sent the message again: a second copy at the SMTP level, RFC 1047,
a new message as far as the queue can tell).

Knobs: PH_CRASH_MESSAGES (default 2000), PH_CRASH_SESSIONS (10),
PH_CRASH_KILL_MIN_MS (200), PH_CRASH_KILL_MAX_MS (500),
PH_CRASH_VICTIMS (smtpd,queued,inject,deliverd), PH_CRASH_SEED (random),
PH_CRASH_MAX_DUP_PERCENT (0.1), PH_DEDUPE_WINDOW (passed to deliverd;
0 turns the suppression off, to see what it saves), PH_CRASH_MIN_ROUNDS
(2: the killer takes the victims in shuffled rounds, and the sessions
keep sending past PH_CRASH_MESSAGES until every victim has been killed
that often). `make check-crash`
runs 20000 messages at 20 sessions, kills every 100-500 ms.
"""

import concurrent.futures
import os
import random
import re
import signal
import smtplib
import threading
import time

import phtest

N_MESSAGES = int(os.environ.get("PH_CRASH_MESSAGES", "2000"))
N_SESSIONS = int(os.environ.get("PH_CRASH_SESSIONS", "10"))
KILL_MIN = int(os.environ.get("PH_CRASH_KILL_MIN_MS", "200")) / 1000.0
KILL_MAX = int(os.environ.get("PH_CRASH_KILL_MAX_MS", "500")) / 1000.0
MAX_DUP = float(os.environ.get("PH_CRASH_MAX_DUP_PERCENT", "0.1"))
MIN_ROUNDS = int(os.environ.get("PH_CRASH_MIN_ROUNDS", "2"))
LOAD_EXTENSION_LIMIT = 120   # seconds the load may be stretched for the rounds
VICTIMS = tuple(os.environ.get("PH_CRASH_VICTIMS", "smtpd,queued,inject,deliverd").split(","))
ADDR = "demo@example.test"
MESSAGE_DEADLINE = 180   # seconds one message may take, retries included
TRACE_FIELDS = (b"return-path", b"delivered-to", b"received")


def descendants(pid):
    """pid and every process below it, from /proc (ppid links)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def kill_tree(pid):
    """SIGKILL a service's daemon and everything it started: all taken
    first, so that the daemon cannot start a child the kill misses."""
    for p in descendants(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def make_message(rnd, token):
    """A message of varied size and lines; some lines start with a dot
    (smtplib stuffs them, smtpd must unstuff). Returns the CRLF form to
    send and the LF form the Maildir must hold."""
    lines = [b"From: crash@sender.test", b"To: " + ADDR.encode(), b"Subject: crash " + token,
             b"X-Crash-Token: " + token, b""]
    for _ in range(rnd.randint(1, 40)):
        n = rnd.randint(0, 120)
        line = bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 .,:;-_=+/") for _ in range(n)).rstrip(b" ")
        if rnd.random() < 0.1:
            line = b"." + line
        lines.append(line)
    lf = b"\n".join(lines) + b"\n"
    return lf.replace(b"\n", b"\r\n"), lf


def body_matches(raw, expected):
    """raw is trace fields then exactly expected."""
    if not raw.endswith(expected):
        return False
    head = raw[:len(raw) - len(expected)]
    if not head:
        return True
    if not head.endswith(b"\n"):
        return False
    for line in head[:-1].split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            continue   # a folded trace field
        if line.split(b":", 1)[0].lower() not in TRACE_FIELDS:
            return False
    return True


def log_count(s, service, pattern):
    """Lines matching pattern in every log file of service (s6-log
    rotates: current and the archived ones)."""
    n = 0
    d = s.state / "log" / service
    for f in d.iterdir() if d.is_dir() else ():
        if f.is_file() and (f.name == "current" or f.name.startswith("@")):
            n += len(re.findall(pattern, f.read_bytes(), re.M))
    return n


def queued_left(s):
    """Message directories still in the queue (incoming/ and queue/)."""
    q = s.state / "queue"
    return sum(len(list((q / d).iterdir())) for d in ("incoming", "queue") if (q / d).is_dir())


@phtest.case
def no_accepted_message_lost_under_sigkill(s):
    seed = int(os.environ.get("PH_CRASH_SEED", "0")) or random.randrange(1, 1 << 30)
    stop = threading.Event()
    kills = {v: 0 for v in VICTIMS}
    krnd = random.Random(seed)

    rounds_done = threading.Event()

    def killer():
        # Rounds in a shuffled order, so that every victim is killed in
        # each round whatever the seed; a victim that is down (restarting)
        # is tried again at the next tick rather than skipped.
        order, at = [], 0
        while not stop.wait(krnd.uniform(KILL_MIN, KILL_MAX)):
            if at == len(order):
                order, at = list(VICTIMS), 0
                krnd.shuffle(order)
            v = order[at]
            pid = s.svc_pid(v)
            if not pid:
                continue
            kill_tree(pid)
            kills[v] += 1
            at += 1
            if min(kills.values()) >= MIN_ROUNDS:
                rounds_done.set()

    sent = {}          # token -> LF form, every attempt that reached DATA
    accepted = set()   # tokens answered 250
    refused = [0]
    errors = [0]
    gave_up = [0]
    messages = [0]
    lock = threading.Lock()
    per_session = N_MESSAGES // N_SESSIONS

    def session(k):
        rnd = random.Random(seed * 1000 + k)
        c = None
        i = 0
        # per_session messages, and more until the killer has done its
        # rounds: a fast machine must not finish the load between kills.
        while i < per_session or (not rounds_done.is_set() and time.monotonic() < load_deadline):
            i += 1
            with lock:
                messages[0] += 1
            deadline = time.monotonic() + MESSAGE_DEADLINE
            attempt = 0
            while True:
                token = b"c%02d-%05d-a%02d" % (k, i, attempt)
                attempt += 1
                crlf, lf = make_message(rnd, token)
                try:
                    if c is None:
                        c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=60)
                        c.ehlo("crash.test")
                    with lock:
                        sent[token] = lf
                    c.sendmail("crash@sender.test", [ADDR], crlf)
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
                    if c is not None:
                        try:
                            c.close()
                        except Exception:  # noqa: BLE001
                            pass
                    c = None
                if time.monotonic() > deadline:
                    with lock:
                        gave_up[0] += 1
                    break
                time.sleep(0.05)
        if c is not None:
            try:
                c.quit()
            except Exception:  # noqa: BLE001
                pass

    t = threading.Thread(target=killer)
    t0 = time.monotonic()
    load_deadline = t0 + LOAD_EXTENSION_LIMIT
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
    t1 = time.monotonic()
    s.wait_for(lambda: queued_left(s) == 0, 300, 0.5)
    drain_time = time.monotonic() - t1

    counts = {}
    corrupt = []
    for p in s.messages(ADDR) + s.messages(ADDR, "cur"):
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            continue
        m = re.search(rb"^X-Crash-Token: (\S+)$", raw, re.M)
        if not m:
            continue
        tok = m.group(1)
        if tok not in sent or not body_matches(raw, sent[tok]):
            corrupt.append(p.name)
            continue
        counts[tok] = counts.get(tok, 0) + 1

    lost = accepted - set(counts)
    dups = sum(n - 1 for n in counts.values() if n > 1)
    unacked = set(counts) - accepted
    n_acc = max(1, len(accepted))
    suppressed = log_count(s, "deliverd", rb"event=duplicate_suppressed ")
    print("# crash: seed %d, %d messages over %d sessions, kills every %d-%d ms %s; "
          "%d attempts accepted (250), %d 4xx and %d dropped connections retried, %d given up; "
          "LOST %d; DUPLICATES %d (%.3f%% of accepted: one attempt delivered twice; %d suppressed by deliverd); "
          "%d attempts delivered without a 250 seen (%.3f%%: SMTP-level copies after a lost reply); "
          "%d corrupt; %d queued messages left; load %.1f s, drain %.1f s"
          % (seed, messages[0], N_SESSIONS, KILL_MIN * 1000, KILL_MAX * 1000, kills,
             len(accepted), refused[0], errors[0], gave_up[0],
             len(lost), dups, 100.0 * dups / n_acc, suppressed, len(unacked), 100.0 * len(unacked) / n_acc,
             len(corrupt), queued_left(s), load_time, drain_time), flush=True)
    assert min(kills.values()) >= MIN_ROUNDS, "the killer did not do its %d rounds: %s" % (MIN_ROUNDS, kills)
    assert len(accepted) >= per_session * N_SESSIONS // 2, "too few messages accepted to mean anything: %d" % len(accepted)
    assert not corrupt, "%d delivered files differ from what was sent, e.g. %s" % (len(corrupt), corrupt[:5])
    assert not lost, "%d accepted messages lost, e.g. %s" % (len(lost), sorted(lost)[:5])
    assert 100.0 * dups / n_acc <= MAX_DUP, "duplicates %.3f%% over %s%%" % (100.0 * dups / n_acc, MAX_DUP)


if __name__ == "__main__":
    # Delivered files are compared with what was sent: no inbound filter
    # chain adding its fields (its own tests cover it).
    extra = {"PH_RETRY_MIN": "1", "PH_RETRY_MAX": "2", "PH_FILTERS_INBOUND": ""}
    if "PH_DEDUPE_WINDOW" in os.environ:   # 0: see what the suppression saves
        extra["PH_DEDUPE_WINDOW"] = os.environ["PH_DEDUPE_WINDOW"]
    phtest.main(extra_env=extra)
