"""Two sessions on one INBOX while mail arrives: session A (imaplib)
polls with NOOP and changes flags and expunges; session B (raw client)
sits in IDLE (RFC 2177), leaving it now and then for NOOP; a third
connection samples STATUS (UIDNEXT); meanwhile 50 messages come over
SMTP on 5 parallel connections, and A APPENDs three of its own.
Afterwards both sessions must agree on every UID and every flag, no
UID may appear twice, every message must be there exactly once, UIDNEXT must never go back, and B's
untagged responses must tell a consistent story (EXISTS never shrinks
without an EXPUNGE, RFC 9051 7.4.1 / 7.3.1).
"""

import random
import re
import threading
import time

import imapinterop
import phtest
from imapinterop import DEMO, Raw, deliver, session, wait_in_maildir

BURST = 50
SENDERS = 5


class Model:
    """What B's untagged responses say: message count, flags by sequence."""

    def __init__(self, exists):
        self.exists = exists
        self.flags = {}
        self.problems = []

    def apply(self, line):
        m = re.match(rb"\* (\d+) (EXISTS|EXPUNGE|FETCH|RECENT)\b(.*)", line)
        if not m:
            return
        n, what = int(m.group(1)), m.group(2)
        if what == b"EXISTS":
            if n < self.exists:
                self.problems.append("EXISTS went from %d to %d without EXPUNGE (%r)" % (self.exists, n, line))
            self.exists = n
        elif what == b"EXPUNGE":
            if not 1 <= n <= self.exists:
                self.problems.append("EXPUNGE %d with %d messages (%r)" % (n, self.exists, line))
            self.exists -= 1
            self.flags = {(k - 1 if k > n else k): v for k, v in self.flags.items() if k != n}
        elif what == b"FETCH":
            if not 1 <= n <= self.exists:
                self.problems.append("FETCH for message %d with %d messages (%r)" % (n, self.exists, line))
            f = re.search(rb"FLAGS \(([^)]*)\)", m.group(3))
            if f:
                self.flags[n] = frozenset(x.lower() for x in f.group(1).decode().split() if x.lower() != "\\recent")


def fetch_all(raw):
    """UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]) on the
    raw client -> [(seq, uid, flags, message-id)] in response order."""
    untagged, _ = raw.command("UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    out = []
    for ln in untagged:
        m = re.match(rb"\* (\d+) FETCH ", ln)
        if not m:
            continue
        uid = re.search(rb"UID (\d+)", ln)
        flags = re.search(rb"FLAGS \(([^)]*)\)", ln)
        mid = re.search(rb"(?i)message-id:\s*(<[^>]*>)", ln)
        out.append((int(m.group(1)), int(uid.group(1)) if uid else None,
                    frozenset(x.lower() for x in flags.group(1).decode().split() if x.lower() != "\\recent") if flags else None,
                    mid.group(1).decode() if mid else None))
    return out


def exists_of(untagged):
    n = None
    for ln in untagged:
        m = re.match(rb"\* (\d+) EXISTS", ln)
        if m:
            n = int(m.group(1))
    return n


@phtest.case
def two_sessions_and_a_delivery_burst_converge(s):
    base = deliver(s, ["conc-base-%d" % i for i in range(5)])
    burst = ["conc-burst-%02d" % i for i in range(BURST)]
    a = session(s)
    b = Raw(s)
    mon = Raw(s)
    stop = threading.Event()
    uidnexts, errors = [], []

    try:
        a.check("SELECT", a.select("INBOX"))
        untagged, _ = b.command("SELECT INBOX")
        model = Model(exists_of(untagged) or 0)
        for seq, uid, flags, mid in fetch_all(b):
            model.flags[seq] = flags
        for ln in b.idle_start():
            model.apply(ln)

        def sample_uidnext():
            try:
                while not stop.is_set():
                    untagged, _ = mon.command("STATUS INBOX (UIDNEXT MESSAGES)")
                    for ln in untagged:
                        m = re.search(rb"UIDNEXT (\d+)", ln)
                        if m:
                            uidnexts.append(int(m.group(1)))
                    time.sleep(0.05)
            except Exception as e:  # noqa: BLE001 — reported by the main thread
                errors.append("STATUS sampler: %s" % e)

        def send(marks):
            try:
                imapinterop.smtp_send(s, marks)
            except Exception as e:  # noqa: BLE001
                errors.append("SMTP sender: %s" % e)

        threads = [threading.Thread(target=sample_uidnext)]
        threads += [threading.Thread(target=send, args=(burst[i::SENDERS],)) for i in range(SENDERS)]
        for t in threads:
            t.start()

        rnd = random.Random(7)
        expected_flagged = {}
        expunged = []
        appended = []
        deadline = time.monotonic() + 90
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            # A: NOOP, then a flag change on a message it knows
            a.check("NOOP", a.noop())
            data = a.check("UID SEARCH", a.uid("SEARCH", "ALL"))
            uids = [int(x) for x in data[0].split()]
            if uids:
                u = rnd.choice(uids)
                op = rnd.choice(["+FLAGS", "-FLAGS"])
                a.check("STORE", a.uid("STORE", str(u), op, "(\\Flagged)"))
                expected_flagged[u] = op == "+FLAGS"
            if 2 <= rounds <= 4:
                # A appends too: UIDs assigned by a session while others sync the burst
                mk = "conc-app-%d" % rounds
                a.check("APPEND", a.append("INBOX", "(\\Seen)", None, imapinterop.message(mk).encode()))
                appended.append(mk)
            if rounds == 5:
                # expunge two of the first messages while the burst is on
                victims = uids[:2]
                for u in victims:
                    a.check("STORE", a.uid("STORE", str(u), "+FLAGS", "(\\Deleted)"))
                a.check("EXPUNGE", a.expunge())
                expunged += victims
                for u in victims:
                    expected_flagged.pop(u, None)
            # B: what IDLE told it so far; every third round out of IDLE for a NOOP
            while True:
                ln = b.line(0.05)
                if ln is None:
                    break
                model.apply(ln)
            if rounds % 3 == 0:
                for ln in b.idle_done():
                    model.apply(ln)
                untagged, _ = b.command("NOOP")
                for ln in untagged:
                    model.apply(ln)
                for ln in b.idle_start():
                    model.apply(ln)
            if not any(t.is_alive() for t in threads[1:]) and rounds > 10:
                break
            time.sleep(0.05)
        for t in threads[1:]:
            t.join(60)
        assert not errors, errors
        wait_in_maildir(s, s.maildir(DEMO), burst)

        # converge: both sessions must come to the same count
        want = len(base) + BURST + len(appended) - len(expunged)
        for ln in b.idle_done():
            model.apply(ln)
        settle = time.monotonic() + 30
        while True:
            a.check("NOOP", a.noop())
            untagged, _ = b.command("NOOP")
            for ln in untagged:
                model.apply(ln)
            if model.exists == want or time.monotonic() > settle:
                break
            time.sleep(0.2)
        stop.set()
        threads[0].join(10)
        # the sampler's last STATUS may predate the last arrivals: one
        # more, now that both sessions agree, is the one that must be
        # above every UID
        untagged, _ = mon.command("STATUS INBOX (UIDNEXT MESSAGES)")
        for ln in untagged:
            m = re.search(rb"UIDNEXT (\d+)", ln)
            if m:
                uidnexts.append(int(m.group(1)))

        a_data = a.check("UID FETCH", a.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"))
        fb = fetch_all(b)
        a_view = {}
        for item in a_data:
            if not isinstance(item, tuple):
                continue
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
            mid = re.search(rb"(?i)message-id:\s*(<[^>]*>)", item[1])
            a_view[uid] = (frozenset(x.lower() for x in flags.group(1).decode().split() if x.lower() != "\\recent"),
                           mid.group(1).decode() if mid else None)
        b_uids = [u for _, u, _, _ in fb]
        b_view = {u: (f, mid) for _, u, f, mid in fb}
        problems = list(model.problems)
        if len(b_uids) != len(set(b_uids)):
            problems.append("a UID twice in B's FETCH: %s" % sorted(u for u in b_uids if b_uids.count(u) > 1))
        if b_uids != sorted(b_uids):
            problems.append("UIDs not ascending with sequence numbers: %s" % b_uids)
        if [seq for seq, _, _, _ in fb] != list(range(1, len(fb) + 1)):
            problems.append("sequence numbers in B's FETCH: %s" % [seq for seq, _, _, _ in fb])
        if a_view != b_view:
            only = {u: (sorted(a_view.get(u, (set(),))[0]), sorted(b_view.get(u, (set(),))[0]))
                    for u in set(a_view) | set(b_view) if a_view.get(u) != b_view.get(u)}
            problems.append("A and B disagree (uid: A flags, B flags): %s" % only)
        if model.exists != len(fb):
            problems.append("B's untagged responses say %d messages, its FETCH shows %d" % (model.exists, len(fb)))
        model_flags = {seq: f for seq, f in model.flags.items()}
        for seq, uid, f, _ in fb:
            if seq in model_flags and model_flags[seq] != f:
                problems.append("B was told flags %s for %d (UID %d), FETCH says %s" % (sorted(model_flags[seq]), seq, uid, sorted(f)))
        mids = [mid for _, _, _, mid in fb]
        for mk in burst + base + appended:
            n = mids.count("<%s@client.test>" % mk)
            gone = mk in base and n == 0
            if n != 1 and not gone:
                problems.append("%s present %d times" % (mk, n))
        if len(fb) != want:
            problems.append("%d messages, want %d" % (len(fb), want))
        for u, flagged in expected_flagged.items():
            if u in b_view and (("\\flagged" in b_view[u][0]) != flagged):
                problems.append("UID %d: \\Flagged should be %s, FETCH says %s" % (u, flagged, sorted(b_view[u][0])))
        if any(x > y for x, y in zip(uidnexts, uidnexts[1:])):
            problems.append("UIDNEXT went back: %s" % uidnexts)
        if not uidnexts:
            problems.append("no STATUS UIDNEXT sample")
        elif b_uids and uidnexts[-1] <= max(b_uids):
            problems.append("UIDNEXT %d not above the highest UID %d" % (uidnexts[-1], max(b_uids)))
        assert not problems, "; ".join(problems)[:3000] + " || B's exchange: " + b.transcript.tail(20)
    finally:
        stop.set()
        for c in (b, mon):
            c.close()
        try:
            a.logout()
        except Exception:  # noqa: BLE001 — already failing or closed
            pass


@phtest.case
def simultaneous_logins_all_succeed(s):
    """32 clients log in at the same moment with the right password: every
    one must get OK (RFC 5530 AUTHENTICATIONFAILED means bad credentials,
    never a lost race on the server's side)."""
    n = 32
    start = threading.Barrier(n)
    results = [None] * n

    def one(i):
        try:
            start.wait(30)
            c = Raw(s)
            c.command("SELECT INBOX")
            c.close()
            results[i] = "ok"
        except Exception as e:  # noqa: BLE001 — collected below
            results[i] = str(e)[:600]
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    bad = [r for r in results if r != "ok"]
    assert not bad, "%d of %d simultaneous logins failed; first: %s" % (len(bad), n, bad[0])


if __name__ == "__main__":
    # 32 simultaneous clients from 127.0.0.1: above tcpd's default per-IP
    # limit (20, which refuses the rest before any IMAP is said)
    phtest.main(extra_env={"PH_IMAP_MAXCONN_IP": "64"})
