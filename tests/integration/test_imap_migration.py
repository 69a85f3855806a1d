"""Migration from and back to Dovecot: the same Maildir must show the same
IMAP state under both servers (docs/internals.md, "Mailbox storage":
dovecot-uidlist v3, dovecot-keywords, subscriptions, flags in names).

1. Debian's Dovecot, private (tests/lib/privdovecot.py), gets mail
   through its LDA (dovecot-lda -d, INBOX and -m folders), folders made
   over its IMAP (a hierarchy, a non-ASCII name, an unsubscribed one, a
   subscription to a folder that does not exist), flags and keywords
   set, one message expunged (a UID gap), one left \\Deleted.
2. Its Maildir (Dovecot's index files included, as a real migration
   copies them) becomes the suite's demo Maildir, owned by vmail.
   posthaste's IMAP must show identical folders, subscriptions,
   UIDVALIDITY, UIDNEXT, UIDs, flags, keywords, sizes, internal dates
   and message bytes.
3. posthaste changes things: flags and keywords (one new), an APPEND with
   a keyword, EXPUNGE, a new delivery over SMTP, CREATE, RENAME,
   SUBSCRIBE/UNSUBSCRIBE.
4. The Maildir goes back to a fresh Dovecot, which must read exactly
   posthaste's state.
5. Side by side: a Dovecot on the suite's own Maildir and posthaste serve
   INBOX at the same time (deliveries, appends and flag changes on both).
"""

import atexit
import os
import re
import shutil
import subprocess

import phtest
import privdovecot
from imapinterop import DEMO, IMAP4, account_state, deliver, diff_states, message, session, smtp_send, wait_in_maildir

W = {}


def _stop_dovecots():
    for key in ("dovecot1", "dovecot2", "dovecot3", "dovecot4"):
        if key in W:
            W[key].stop()


atexit.register(_stop_dovecots)
PASSWORD = "dovecot-" + os.urandom(6).hex()
ENTWUERFE = "Entw&APw-rfe"          # "Entwürfe", modified UTF-7 (RFC 3501 5.1.3)


def lda_message(n, subject, extra=""):
    return ("From: Person %d <p%d@example.org>\nTo: %s\nSubject: %s\nDate: Thu, 26 Nov 2026 09:%02d:00 +0000\n"
            "Message-ID: <mig-%d@example.org>\n%s\nbody of message %d\nwith a second line\n"
            % (n, n, DEMO, subject, n, n, extra, n)).encode()


def dovecot_session(dc):
    c = IMAP4(dc.port)
    c.check("LOGIN", c.login(DEMO, PASSWORD))
    return c


def uid_of(c, box, mid):
    c.check("SELECT %s" % box, c.select('"%s"' % box))
    data = c.check("SEARCH", c.uid("SEARCH", "HEADER", "Message-ID", mid))
    uids = data[0].split()
    assert len(uids) == 1, "Message-ID %s in %s: UIDs %r; exchange: %s" % (mid, box, uids, c.transcript.tail())
    return uids[0].decode()


def copy_maildir(src, dst):
    """src's whole tree (mtimes kept: they are the internal dates) as dst,
    owned by vmail."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.chown(dst.parent, "vmail", "vmail")
    shutil.copytree(src, dst, symlinks=True)
    subprocess.run(["chown", "-R", "vmail:vmail", str(dst)], check=True)


def state_text(st):
    boxes = {n: {"uidvalidity": b["uidvalidity"], "uidnext": b["uidnext"],
                 "msgs": {u: sorted(m["flags"]) for u, m in b["msgs"].items()}} for n, b in st["boxes"].items()}
    return "folders %s subscriptions %s boxes %s" % (st["folders"], st["subscriptions"], boxes)


@phtest.case
def dovecot_builds_the_mailbox(s):
    dc = privdovecot.Dovecot(users={DEMO: PASSWORD}, prefix="mig-dovecot.")
    W["dovecot1"] = dc
    dc.start()
    for n in range(1, 8):
        dc.lda(DEMO, lda_message(n, "inbox message %d" % n))
    for n in range(11, 15):
        dc.lda(DEMO, lda_message(n, "work message %d" % n), folder="Work")
    for n in range(21, 23):
        dc.lda(DEMO, lda_message(n, "list message %d" % n), folder="Lists.Debian")
    c = dovecot_session(dc)
    try:
        c.check("CREATE", c.create(ENTWUERFE))
        c.check("SUBSCRIBE", c.subscribe(ENTWUERFE))
        c.check("CREATE", c.create("Archive"))          # exists, never subscribed
        c.check("CREATE", c.create("Ghost"))
        c.check("SUBSCRIBE", c.subscribe("Ghost"))
        c.check("DELETE", c.delete("Ghost"))            # the subscription stays (RFC 3501 6.3.4)
        c.check("APPEND", c.append(ENTWUERFE, "(\\Draft $Draftish)", None,
                                   lda_message(31, "draft \u00fcber", "Content-Type: text/plain; charset=utf-8\n")
                                   .replace(b"\n", b"\r\n")))
        stores = [("INBOX", "<mig-1@example.org>", "(\\Seen)"),
                  ("INBOX", "<mig-2@example.org>", "(\\Seen \\Answered)"),
                  ("INBOX", "<mig-3@example.org>", "(\\Flagged $Forwarded)"),
                  ("INBOX", "<mig-4@example.org>", "(\\Draft project-x $Junk)"),
                  ("INBOX", "<mig-5@example.org>", "(\\Deleted)"),       # stays: no expunge in INBOX
                  ("Work", "<mig-11@example.org>", "(\\Seen $Label1)"),
                  ("Work", "<mig-12@example.org>", "(\\Deleted)"),
                  ("Lists.Debian", "<mig-22@example.org>", "(\\Seen \\Flagged $MDNSent)")]
        for box, mid, flags in stores:
            uid = uid_of(c, box, mid)
            c.check("STORE %s %s" % (box, mid), c.uid("STORE", uid, "+FLAGS", flags))
        c.check("SELECT Work", c.select("Work"))
        c.check("EXPUNGE", c.expunge())                  # UID gap in Work
        c.check("CLOSE", c.close())
        W["dovecot_state"] = account_state(c)
    finally:
        c.logout()
    dc.stop(remove=False)
    st = W["dovecot_state"]
    # the fixture is what it should be, or the comparison proves little
    assert set(st["boxes"]) >= {"INBOX", "Work", "Lists.Debian", ENTWUERFE, "Archive"}, state_text(st)
    assert "Ghost" in st["subscriptions"] and "Archive" not in st["subscriptions"], state_text(st)
    assert len(st["boxes"]["Work"]["msgs"]) == 3 and st["boxes"]["Work"]["uidnext"] == 5, state_text(st)
    assert any("$junk" in m["flags"] for m in st["boxes"]["INBOX"]["msgs"].values()), state_text(st)


@phtest.case
def posthaste_shows_dovecots_state(s):
    dc = W["dovecot1"]
    copy_maildir(dc.maildir(DEMO), s.maildir(DEMO))
    c = session(s)
    try:
        W["ph_after_migration"] = account_state(c)
    finally:
        c.logout()
    d = diff_states(W["dovecot_state"], W["ph_after_migration"], "Dovecot", "posthaste")
    assert not d, "posthaste differs from Dovecot on the same Maildir: %s" % "; ".join(d)[:3000]


@phtest.case
def posthaste_changes_the_mailbox(s):
    c = session(s)
    try:
        def store(box, mid, op, flags):
            uid = uid_of(c, box, mid)
            c.check("STORE %s %s %s" % (mid, op, flags), c.uid("STORE", uid, op, flags))
        store("INBOX", "<mig-1@example.org>", "-FLAGS", "(\\Seen)")
        store("INBOX", "<mig-3@example.org>", "+FLAGS", "(\\Seen $Label2)")         # a keyword Dovecot never saw
        store("INBOX", "<mig-4@example.org>", "-FLAGS", "(project-x)")
        store("INBOX", "<mig-6@example.org>", "+FLAGS", "(\\Answered $Forwarded)")
        c.check("SELECT INBOX", c.select("INBOX"))
        c.check("EXPUNGE", c.expunge())                                            # mig-5 (\Deleted)
        c.check("APPEND", c.append("Work", "(\\Seen $Label1 posthaste-kw)", '"27-Nov-2026 10:11:12 +0000"',
                                   lda_message(41, "appended by posthaste").replace(b"\n", b"\r\n")))
        c.check("CREATE", c.create("Neu"))
        c.check("SUBSCRIBE", c.subscribe("Neu"))
        c.check("UNSUBSCRIBE", c.unsubscribe("Lists.Debian"))
        c.check("RENAME", c.rename("Archive", "Archiv"))
        c.check("CLOSE", c.close())
    finally:
        c.logout()
    deliver(s, ["mig-smtp-1"])
    c = session(s)
    try:
        c.check("SELECT INBOX", c.select("INBOX"))     # the delivery gets its UID
        c.check("CLOSE", c.close())
        W["ph_changed"] = account_state(c)
    finally:
        c.logout()
    st = W["ph_changed"]
    inbox = st["boxes"]["INBOX"]["msgs"]
    assert len(inbox) == 7 and any(m["message_id"] == "<mig-smtp-1@client.test>" for m in inbox.values()), state_text(st)
    assert "Neu" in st["subscriptions"] and "Lists.Debian" not in st["subscriptions"] and "Archiv" in st["boxes"], state_text(st)


@phtest.case
def dovecot_reads_posthastes_state(s):
    st = W["ph_changed"]
    dc = privdovecot.Dovecot(users={DEMO: PASSWORD}, prefix="mig-dovecot2.")
    W["dovecot2"] = dc
    dc.configure()
    copy_maildir(s.maildir(DEMO), dc.maildir(DEMO))
    dc.start()
    c = dovecot_session(dc)
    try:
        back = account_state(c)
    finally:
        c.logout()
    d = diff_states(st, back, "posthaste", "Dovecot")
    if d:
        # Which side: the same Maildir without Dovecot's own index files
        # (dovecot.index*, dovecot.list.index*), which a migration would
        # carry along but which posthaste never updates.
        dc.stop(remove=False)
        dc3 = privdovecot.Dovecot(users={DEMO: PASSWORD}, prefix="mig-dovecot3.")
        W["dovecot3"] = dc3
        dc3.configure()
        copy_maildir(s.maildir(DEMO), dc3.maildir(DEMO))
        for p in list(dc3.maildir(DEMO).rglob("dovecot.index*")) + list(dc3.maildir(DEMO).rglob("dovecot.list.index*")):
            p.unlink()
        dc3.start()
        c = dovecot_session(dc3)
        try:
            d3 = diff_states(st, account_state(c), "posthaste", "Dovecot")
        finally:
            c.logout()
        raise AssertionError("Dovecot reads a different state from posthaste's Maildir: %s || without Dovecot's "
                             "index files: %s" % ("; ".join(d)[:2500], "; ".join(d3)[:2500] or "identical"))


@phtest.case
def dovecot_and_posthaste_side_by_side(s):
    """docs/internals.md, "Mailbox storage": both may run on one Maildir at
    once (Dovecot's uidlist lock). A Dovecot whose mail_location is the
    suite's own Maildir root and posthaste serve INBOX together while
    mail arrives over SMTP and both append and change flags: both must
    end with the same UID for every message, the same flags, no UID
    twice."""
    dc = privdovecot.Dovecot(users={DEMO: PASSWORD}, prefix="mig-dovecot4.", mailroot=s.state / "mail")
    W["dovecot4"] = dc
    dc.start()
    d = dovecot_session(dc)
    p = session(s)
    try:
        d.check("SELECT", d.select("INBOX"))
        p.check("SELECT", p.select("INBOX"))
        marks = []
        for i in range(3):
            batch = ["sbs-%d-%d" % (i, j) for j in range(4)]
            smtp_send(s, batch)
            marks += batch
            d.check("NOOP", d.noop())
            p.check("NOOP", p.noop())
            for who, c in (("dovecot", d), ("posthaste", p)):
                mk = "sbs-app-%s-%d" % (who, i)
                c.check("APPEND", c.append("INBOX", "(\\Seen)", None, message(mk).encode()))
                marks.append(mk)
        wait_in_maildir(s, s.maildir(DEMO), [m for m in marks if "-app-" not in m])
        # flags from both sides on messages the other side has seen
        views = {}
        for _ in range(2):
            for name, c in (("dovecot", d), ("posthaste", p)):
                c.check("NOOP", c.noop())
                data = c.check("UID FETCH", c.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"))
                views[name] = fetch_view(c, data)
        uids = sorted(views["posthaste"])
        for i, u in enumerate(uids[:6]):
            c = d if i % 2 else p
            c.check("STORE", c.uid("STORE", str(u), "+FLAGS", "(\\Flagged $SideBySide)"))
        for name, c in (("dovecot", d), ("posthaste", p)):
            c.check("NOOP", c.noop())
            data = c.check("UID FETCH", c.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"))
            views[name] = fetch_view(c, data)
    finally:
        for c in (d, p):
            try:
                c.logout()
            except Exception:  # noqa: BLE001 — already failing
                pass
        dc.stop()
    problems = []
    for name, v in views.items():
        mids = [mid for mid, _ in v.values()]
        for mk in marks:
            n = mids.count("<%s@client.test>" % mk)
            if n != 1:
                problems.append("%s shows %s %d times" % (name, mk, n))
    if views["dovecot"] != views["posthaste"]:
        diff = {u: (views["dovecot"].get(u), views["posthaste"].get(u))
                for u in set(views["dovecot"]) | set(views["posthaste"]) if views["dovecot"].get(u) != views["posthaste"].get(u)}
        problems.append("Dovecot and posthaste disagree (uid: Dovecot, posthaste): %s" % diff)
    assert not problems, "; ".join(problems)[:3000]


def fetch_view(c, data):
    """{uid: (message-id, flags without \\Recent)} from a UID FETCH; a UID
    twice is an error."""
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
        flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
        mid = re.search(rb"(?i)message-id:\s*(<[^>]*>)", item[1])
        if uid in out:
            raise AssertionError("UID %d twice in one FETCH; exchange: %s" % (uid, c.transcript.tail()))
        out[uid] = (mid.group(1).decode() if mid else None,
                    tuple(sorted(f.lower() for f in flags.group(1).decode().split() if f.lower() != "\\recent")))
    return out


if __name__ == "__main__":
    phtest.main()
