#!/usr/bin/python3
"""test_mailstore_dovecot: common/mbox.h and Dovecot on one Maildir.

Dovecot's imap binary (Debian's dovecot-imapd) runs privately in preauth
mode on a pipe, with a minimal config (-c) whose mail_location is a
Maildir in a temporary directory; as uid 65534 when we are root, since
Dovecot refuses root. Nothing is installed, started or listened on. Our
side is build/tests/mbox_dump (tests/unit/mbox_dump.c), run as the same
uid on the same Maildir.

1. Messages delivered into new/ as deliverd does; Dovecot assigns the
   UIDs, sets flags and keywords, creates folders (one with a non-ASCII
   name), subscribes and appends; mbox_dump must see the same
   UIDVALIDITY, UIDNEXT, UIDs, flags and keywords, and the same folders
   and subscriptions.
2. mbox_dump stores flags and keywords, appends (with a keyword Dovecot
   never saw), expunges, creates and subscribes a folder; Dovecot must
   read back the same UIDs, flags and keywords, and list the folder.
3. New files delivered again; this time mbox_dump assigns the UIDs first
   and Dovecot must agree; Dovecot's POP3 UIDLs are our UID and
   UIDVALIDITY in hex.
4. Dovecot appends while mbox_dump appends and files arrive in new/:
   every message exactly once, numbered the same on both sides (the
   dotlock is shared).
5. An open mbox handle learns of Dovecot's STORE and EXPUNGE at its next
   sync: changed with a new modseq, expunged, and in VANISHED.

Prints PASS/FAIL lines and "N passed, N failed" (tests/lib/phtest.py's
format; the s6 suite is not needed).
"""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile

TOP = pathlib.Path(__file__).resolve().parents[2]
DUMP = TOP / os.environ.get("PH_MBOX_DUMP", "build/tests/mbox_dump")
DOVECOT_IMAP = pathlib.Path("/usr/lib/dovecot/imap")

passed = failed = 0


def report(ok, label, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS %s" % label, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (label, str(detail).replace("\n", " | ")[:1500]), flush=True)


class Box:
    """A temporary Maildir, Dovecot's config for it, and the uid both sides run as."""

    def __init__(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="mailstore."))
        os.chmod(self.tmp, 0o755)
        self.maildir = self.tmp / "Maildir"
        for d in ("run", "state", "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
            (self.tmp / d).mkdir()
        self.root = os.getuid() == 0
        self.uid, self.gid = (65534, 65534) if self.root else (os.getuid(), os.getgid())
        # separator "." as docker-mailserver's Dovecot: IMAP names are then the on-disk names
        (self.tmp / "dovecot.conf").write_text(
            "base_dir = %(d)s/run\nstate_dir = %(d)s/state\nlog_path = %(d)s/log\n"
            "mail_location = maildir:%(d)s/Maildir\nssl = no\nprotocols = imap\n"
            "mail_uid = %(u)d\nmail_gid = %(g)d\nfirst_valid_uid = %(u)d\nfirst_valid_gid = %(g)d\n"
            "namespace inbox {\n  inbox = yes\n  separator = .\n}\n"
            % {"d": self.tmp, "u": self.uid, "g": self.gid})
        self.chown()

    def chown(self):
        if not self.root:
            return
        os.chown(self.tmp, self.uid, self.gid)
        for top, dirs, files in os.walk(self.tmp):
            for n in dirs + files:
                os.chown(os.path.join(top, n), self.uid, self.gid)

    def as_user(self, argv):
        if self.root:
            return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--clear-groups"] + argv
        return argv

    def env(self):
        return {"USER": "nobody" if self.root else os.environ.get("USER", "user"),
                "HOME": str(self.tmp), "PATH": "/usr/bin:/bin"}

    def imap(self, commands):
        """Runs one Dovecot session, one command at a time (Dovecot answers
        pipelined commands out of order); returns tag -> (untagged
        responses of that command, its completion line)."""
        proc = subprocess.Popen(self.as_user([str(DOVECOT_IMAP), "-c", str(self.tmp / "dovecot.conf")]),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=self.env(), cwd=str(self.tmp))

        def on_alarm(signum, frame):
            proc.kill()
            raise TimeoutError("Dovecot session stuck")
        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(60)
        res = {}
        try:
            greeting = proc.stdout.readline()
            if not greeting.startswith(b"* PREAUTH"):
                raise RuntimeError("no PREAUTH greeting: %r" % greeting)
            for c in list(commands) + ["zz LOGOUT"]:
                c = c if isinstance(c, bytes) else c.encode()
                tag = c.split(b" ", 1)[0].decode()
                proc.stdin.write(c + b"\r\n")
                proc.stdin.flush()
                buf = []
                while True:
                    line = proc.stdout.readline()
                    if not line:
                        raise RuntimeError("Dovecot closed during %s: %r" % (tag, b"".join(buf)[-300:]))
                    m = re.search(rb"\{(\d+)\}\r\n$", line)
                    if m:   # a literal, then the rest of the response
                        line += proc.stdout.read(int(m.group(1))) + proc.stdout.readline()
                    if line.startswith(tag.encode() + b" "):
                        res[tag] = (b"".join(buf), line.rstrip(b"\r\n"))
                        break
                    buf.append(line)
            proc.wait()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return res

    def dump(self, *args):
        r = subprocess.run(self.as_user([str(DUMP), str(self.maildir)] + list(args)),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, cwd=str(self.tmp))
        if r.returncode:
            raise RuntimeError("mbox_dump %s: %s %s" % (" ".join(args), r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))
        return r.stdout.decode()

    def deliver(self, name, text):
        p = self.maildir / "tmp" / name
        p.write_bytes(text)
        size = len(text)
        final = self.maildir / "new" / ("%s,S=%d" % (name, size))
        os.rename(p, final)
        if self.root:
            os.chown(final, self.uid, self.gid)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def tagged_ok(seg, tag):
    return tag in seg and seg[tag][1].split()[1] == b"OK"


def parse_select(text):
    uv = re.search(rb"\[UIDVALIDITY (\d+)\]", text)
    un = re.search(rb"\[UIDNEXT (\d+)\]", text)
    return (int(uv.group(1)) if uv else None, int(un.group(1)) if un else None)


def parse_fetch(text):
    """uid -> set of flags (without \\Recent, which is per session)"""
    res = {}
    for m in re.finditer(rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\)", text):
        res[int(m.group(1))] = frozenset(f for f in m.group(2).decode().split() if f != "\\Recent")
    return res


def parse_dump(text):
    lines = text.splitlines()
    uv = int(lines[0].split()[1])
    un = int(lines[1].split()[1])
    msgs = {}
    for line in lines[2:]:
        parts = line.split()
        msgs[int(parts[0])] = frozenset(parts[1:])
    return uv, un, msgs


def fold(flags):
    """keywords are case-insensitive (RFC 9051 §2.3.2)"""
    return {u: frozenset(f.lower() for f in fs) for u, fs in flags.items()}


def parse_list(text):
    """name -> attributes of '* LIST' / '* LSUB' lines"""
    res = {}
    for m in re.finditer(rb'\* (?:LIST|LSUB) \(([^)]*)\) "\." (?:"([^"]*)"|(\S+))', text):
        res[(m.group(2) or m.group(3)).decode()] = set(m.group(1).decode().split())
    return res


def dump_folders(box):
    folders = {}
    for line in box.dump("-", "folders").splitlines():
        name, _, attrs = line.partition(" ")
        folders[name] = set(attrs.split())
    return folders


def main():
    if not DOVECOT_IMAP.exists():
        report(False, "dovecot present", "%s missing: apt-get install dovecot-imapd" % DOVECOT_IMAP)
        print("%d passed, %d failed" % (passed, failed))
        return 1
    if not DUMP.exists():
        subprocess.run(["make", "-C", str(TOP), "build/tests/mbox_dump"], stdout=subprocess.DEVNULL, check=False)
    if not DUMP.exists():
        report(False, "mbox_dump built", str(DUMP))
        print("%d passed, %d failed" % (passed, failed))
        return 1
    box = Box()
    try:
        run(box)
    except Exception as e:  # one clear line rather than a traceback
        report(False, "sessions run", "%s: %s" % (type(e).__name__, e))
    finally:
        if failed == 0 or os.environ.get("PH_KEEP_STATE") != "1":
            box.cleanup()
        else:
            print("# Maildir kept in %s" % box.tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run(box):
    # ---- 1. Dovecot first ----
    box.deliver("1700000000.M1P100.mx", b"Subject: one\n\nfirst\n")
    box.deliver("1700000001.M2P100.mx", b"Subject: two\n\nsecond\n")
    box.deliver("1700000002.M3P100.mx", b"Subject: three\n\nthird\n")
    msg = b"Subject: appended\r\n\r\nby Dovecot\r\n"
    seg = (box.imap([
        "s SELECT INBOX",
        "a STORE 1 +FLAGS (\\Seen $Junk foo)",
        "b STORE 2 +FLAGS (\\Answered \\Flagged bar)",
        "c STORE 3 +FLAGS (\\Draft \\Deleted)",
        "d CREATE Work.Sub",
        "e CREATE Caf&AOk-",
        "f SUBSCRIBE Work.Sub",
        "g SUBSCRIBE Caf&AOk-",
        b"h APPEND Work.Sub (\\Seen foo) {%d+}\r\n" % len(msg) + msg,
        "i FETCH 1:* (UID FLAGS)",
        "j LIST \"\" \"*\"",
        "k LSUB \"\" \"*\"",
        "l SELECT Work.Sub",
        "m FETCH 1:* (UID FLAGS)",
    ]))
    report(all(tagged_ok(seg, t) for t in "sabcdefghijklm"), "Dovecot: flags, keywords, folders, subscriptions, append",
           {t: v[1] for t, v in seg.items()})
    dv_uv, dv_un = parse_select(seg["s"][0])
    dv_inbox = parse_fetch(seg["i"][0])
    dv_sub = parse_fetch(seg["m"][0])

    uv, un, ours = parse_dump(box.dump("INBOX"))
    report(uv == dv_uv and un == dv_un, "same UIDVALIDITY and UIDNEXT as Dovecot", "ours %s/%s, Dovecot %s/%s" % (uv, un, dv_uv, dv_un))
    report(fold(ours) == fold(dv_inbox) and len(ours) == 3, "same UIDs, flags and keywords in INBOX", "ours %s, Dovecot %s" % (ours, dv_inbox))
    _, _, ours_sub = parse_dump(box.dump("Work.Sub"))
    report(fold(ours_sub) == fold(dv_sub) and len(ours_sub) == 1, "same in Dovecot's appended message (Work.Sub)", "ours %s, Dovecot %s" % (ours_sub, dv_sub))
    folders = dump_folders(box)
    dv_list = parse_list(seg["j"][0])
    dv_lsub = parse_list(seg["k"][0])
    report({"INBOX", "Work", "Work.Sub", "Caf&AOk-"} <= set(folders) and "\\Noselect" in folders["Work"] and "\\HasChildren" in folders["Work"],
           "folders as Dovecot made them (Work a \\Noselect level)", folders)
    selectable = {n for n, a in folders.items() if "\\Noselect" not in a and "\\NonExistent" not in a}
    dv_selectable = {n for n, a in dv_list.items() if "\\Noselect" not in a and "\\NonExistent" not in a}
    report(selectable == dv_selectable, "the same mailboxes as Dovecot's LIST", "ours %s, Dovecot %s" % (sorted(selectable), sorted(dv_selectable)))
    subs = {n for n, a in folders.items() if "\\Subscribed" in a}
    report(subs == set(dv_lsub) == {"Work.Sub", "Caf&AOk-"}, "Dovecot's subscriptions read", "ours %s, LSUB %s" % (sorted(subs), sorted(dv_lsub)))

    # ---- 2. posthaste writes, Dovecot reads ----
    box.dump("INBOX", "store", "1", "\\Flagged", "newkw")
    box.dump("INBOX", "store", "2", "\\Seen", "bar", "$Junk")
    app = box.tmp / "app.eml"
    app.write_bytes(b"Subject: from posthaste\r\n\r\nhello\r\n")
    if box.root:
        os.chown(app, box.uid, box.gid)
    r = box.dump("INBOX", "append", str(app), "\\Seen", "fresh")
    m = re.match(r"appended (\d+) (\d+)", r)
    report(m and int(m.group(1)) == dv_uv and int(m.group(2)) == dv_un, "APPENDUID: Dovecot's UIDVALIDITY, the next UID", r)
    r = box.dump("INBOX", "expunge")
    report(r.strip() == "expunged 1", "expunge of the \\Deleted message", r)
    box.dump("Lists", "create")
    box.dump("Lists", "subscribe")
    box.dump("Caf&AOk-", "unsubscribe")
    uv, un, ours = parse_dump(box.dump("INBOX"))
    seg = (box.imap([
        "s SELECT INBOX",
        "f FETCH 1:* (UID FLAGS)",
        "c UID FETCH %d (BODY.PEEK[])" % (un - 1),
        "l LSUB \"\" \"*\"",
        "t LIST \"\" \"*\"",
    ]))
    dv_uv2, dv_un2 = parse_select(seg["s"][0])
    dv = parse_fetch(seg["f"][0])
    report(dv_uv2 == uv and dv_un2 == un, "Dovecot reads our UIDVALIDITY and UIDNEXT", "ours %s/%s, Dovecot %s/%s" % (uv, un, dv_uv2, dv_un2))
    report(fold(dv) == fold(ours) and 3 not in dv and len(dv) == 3, "Dovecot reads our flags, keywords, append and expunge", "ours %s, Dovecot %s" % (ours, dv))
    report(b"from posthaste" in seg["c"][0] and b"hello" in seg["c"][0], "Dovecot reads our appended message", seg["c"])
    report(set(parse_list(seg["l"][0])) == {"Work.Sub", "Lists"}, "Dovecot reads our subscriptions", seg["l"][0][-300:])
    report("Lists" in parse_list(seg["t"][0]), "Dovecot lists our folder", seg["t"][0][-300:])

    # ---- 3. new files, posthaste assigns first ----
    box.deliver("1700000010.M9P200.mx", b"Subject: later\n\nx\n")
    box.deliver("1700000009.M8P200.mx", b"Subject: earlier\n\ny\n")
    uv, un, ours = parse_dump(box.dump("INBOX"))
    seg = (box.imap(["s SELECT INBOX", "f FETCH 1:* (UID FLAGS)",
                             "e UID FETCH %d (BODY.PEEK[HEADER.FIELDS (SUBJECT)])" % (un - 2),
                             "g UID FETCH %d (BODY.PEEK[HEADER.FIELDS (SUBJECT)])" % (un - 1)]))
    dv = parse_fetch(seg["f"][0])
    dv_uv3, dv_un3 = parse_select(seg["s"][0])
    report(fold(dv) == fold(ours) and dv_un3 == un and dv_uv3 == uv and len(ours) == 5, "UIDs we assign are Dovecot's", "ours %s, Dovecot %s" % (ours, dv))
    report(b"earlier" in seg["e"][0] and b"later" in seg["g"][0], "new files numbered by the time in their names", (seg["e"][0][-80:], seg["g"][0][-80:]))
    # POP3 UIDL: Dovecot's default pop3_uidl_format %08Xu%08Xv, from our UID and UIDVALIDITY
    conf = (box.tmp / "dovecot.conf").read_text().replace("protocols = imap", "protocols = pop3")
    (box.tmp / "pop3.conf").write_text(conf)
    r = subprocess.run(box.as_user([str(DOVECOT_IMAP.parent / "pop3"), "-c", str(box.tmp / "pop3.conf")]),
                       input=b"UIDL\r\nQUIT\r\n", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       env=box.env(), timeout=60, cwd=str(box.tmp))
    dv_uidl = re.findall(rb"^\d+ (\S+)\r$", r.stdout, re.M)
    want = [("%08x%08x" % (u, uv)).encode() for u in sorted(ours)]   # Dovecot 2.3 prints %X in lower case
    report(dv_uidl == want, "POP3 UIDLs: Dovecot's are our UID and UIDVALIDITY as 8+8 hex digits", "Dovecot %s, ours %s" % (dv_uidl, want))
    uidlist = (box.maildir / "dovecot-uidlist").read_text()
    report(uidlist.startswith("3 V%d N" % uv), "dovecot-uidlist version 3 with our UIDVALIDITY", uidlist[:80])

    # ---- 4. both at once: Dovecot appends while we append and deliveries arrive ----
    n = 40
    script = b"".join(b"a%d APPEND INBOX {%d+}\r\n" % (k, len(b"Subject: d%d\r\n\r\nx\r\n" % k)) + b"Subject: d%d\r\n\r\nx\r\n" % k + b"\r\n"
                      for k in range(n)) + b"zz LOGOUT\r\n"
    dove = subprocess.Popen(box.as_user([str(DOVECOT_IMAP), "-c", str(box.tmp / "dovecot.conf")]),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=box.env(), cwd=str(box.tmp))
    ours_uids = []
    try:
        dove.stdin.write(script)
        dove.stdin.flush()
        for k in range(n):
            box.deliver("17000001%02d.M%dP300.mx" % (k, k), b"Subject: n%d\n\nz\n" % k)
            r = box.dump("INBOX", "append", str(app))
            ours_uids.append(int(r.split()[2]))
        dout, _ = dove.communicate(timeout=120)
    finally:
        if dove.poll() is None:
            dove.kill()
            dove.wait()
    dv_ok = len(re.findall(rb"\r\na\d+ OK", b"\r\n" + dout)) == n
    uv, un, ours = parse_dump(box.dump("INBOX"))
    seg = box.imap(["s SELECT INBOX", "f FETCH 1:* (UID FLAGS)"])
    dv = parse_fetch(seg["f"][0])
    total = 5 + 3 * n
    report(dv_ok and len(ours) == total and len(set(ours_uids)) == n and set(ours_uids) <= set(ours),
           "concurrent with Dovecot: every message once, our APPENDUIDs among them", "Dovecot ok %s, ours %d of %d" % (dv_ok, len(ours), total))
    report(set(dv) == set(ours) and dv_un3 <= un and parse_select(seg["s"][0]) == (uv, un),
           "and Dovecot numbers them the same", "ours %d UIDs, Dovecot %d" % (len(ours), len(dv)))

    # ---- 5. an open posthaste session learns of Dovecot's changes ----
    watch = subprocess.Popen(box.as_user([str(DUMP), str(box.maildir), "INBOX", "watch"]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=str(box.tmp), text=True)

    def ask(line):
        watch.stdin.write(line + "\n")
        watch.stdin.flush()
        out = []
        while True:
            got = watch.stdout.readline()
            if not got or got == "end\n":
                return out
            out.append(got.rstrip("\n"))

    try:
        start = int(watch.stdout.readline().split()[1])
        uids = sorted(ours)
        seg = box.imap(["s SELECT INBOX",
                        "a UID STORE %d +FLAGS (\\Seen dovekw)" % uids[0],
                        "b UID STORE %d,%d +FLAGS (\\Deleted)" % (uids[1], uids[2]),
                        "c EXPUNGE"])
        report(all(tagged_ok(seg, t) for t in "sabc"), "Dovecot: store and expunge", {t: v[1] for t, v in seg.items()})
        got = ask("sync")
        expunged = got[0].split()[1:]
        changed = dict(x.split(":") for x in got[1].split()[1:])
        hms = int(got[3].split()[1])
        report(sorted(int(u) for u in expunged) == [uids[1], uids[2]], "Dovecot's expunges reported by our sync", got[:2])
        report(set(changed) == {str(uids[0])} and int(changed[str(uids[0])]) > start and hms >= int(changed[str(uids[0])]),
               "Dovecot's flag change reported with a new modseq", got[:4])
        dumped = parse_dump("\n".join(got[4:]))[2]
        report({"\\Seen", "dovekw"} <= {f for f in dumped.get(uids[0], ())}, "with Dovecot's keyword", dumped.get(uids[0]))
        v = ask("vanished %d" % start)[0].split()
        report(v[1] == "1" and sorted(int(u) for u in v[2:]) == [uids[1], uids[2]], "VANISHED since before: Dovecot's expunges", v)
    finally:
        watch.stdin.close()
        watch.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
