"""The first mail path end to end: smtpd -> queued -> deliverd -> Maildir,
under s6, with real clients (swaks, python's smtplib)."""

import concurrent.futures
import email
import email.policy
import os
import pathlib
import grp
import pwd
import re
import smtplib
import subprocess
import time

import phtest


def smtp(s):
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    c.ehlo("client.test")
    return c


def split_added_headers(raw):
    """Return (added trace headers, the message as the client sent it).
    deliverd prepends Return-Path and Delivered-To, smtpd a Received."""
    lines = raw.split(b"\n")
    i = 0
    added = []
    while i < len(lines):
        ln = lines[i]
        if ln.startswith((b"Return-Path:", b"Delivered-To:", b"Received:")):
            added.append(ln)
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                added[-1] += b"\n" + lines[i]
                i += 1
            continue
        break
    return added, b"\n".join(lines[i:])


def wait_messages(s, addr, n, timeout=10):
    return s.wait_for(lambda: len(s.messages(addr)) >= n and s.messages(addr), timeout)


@phtest.case
def swaks_delivers_with_trace_headers(s):
    before = set(s.messages("demo@example.test"))
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % s.port("smtp"),
                        "--to", "demo@example.test", "--from", "alice@sender.test",
                        "--helo", "client.test", "--header", "Subject: hello from swaks"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-1500:]
    m = re.search(r"<[-~]  250[ -](?:2\.0\.0 )?.*queued as (\S+)", r.stdout)
    assert m, "no 250 with a queue id after DATA:\n" + r.stdout[-1500:]
    qid = m.group(1)
    t0 = time.monotonic()
    files = s.wait_for(lambda: set(s.messages("demo@example.test")) - before, 5)
    assert files, "message not in new/ within 5 s"
    elapsed = time.monotonic() - t0
    assert elapsed < 1.0, "delivery took %.2f s" % elapsed
    assert len(files) == 1, files
    raw = files.pop().read_bytes()
    added, _ = split_added_headers(raw)
    heads = b"\n".join(added)
    assert raw.startswith(b"Return-Path: <alice@sender.test>\n"), raw[:300]
    assert b"Delivered-To: demo@example.test" in heads, heads
    assert b"Received: from client.test" in heads, heads
    assert b"\r" not in raw, "Maildir file must have LF line ends"
    assert s.wait_for(lambda: qid in s.log("smtpd") or qid in s.log("queued"), 10), "queue id %s not logged" % qid


@phtest.case
def maildir_name_and_size(s):
    f = s.messages("demo@example.test")[0]
    # Postfix-style unique name: sec.VdevIino.Musec.host,S=size
    m = re.fullmatch(r"(\d+)\.V[0-9a-f]+I[0-9a-f]+M\d+\.[^/]+,S=(\d+)", f.name)
    assert m, f.name
    assert int(m.group(2)) == f.stat().st_size, (f.name, f.stat().st_size)
    st = f.stat()
    assert st.st_uid == pwd.getpwnam("vmail").pw_uid, "Maildir file not owned by vmail"


@phtest.case
def smtplib_bytes_exact(s):
    body = ("From: Alice <alice@sender.test>\r\nTo: demo@example.test\r\n"
            "Subject: exact bytes\r\nMessage-ID: <exact-1@sender.test>\r\n\r\n"
            "line one\r\n.leading dot\r\n..two dots\r\n\r\nlast line\r\n")
    before = set(s.messages("demo@example.test"))
    c = smtp(s)
    c.sendmail("alice@sender.test", ["demo@example.test"], body.encode())
    c.quit()
    new = s.wait_for(lambda: set(s.messages("demo@example.test")) - before, 10)
    assert len(new) == 1, new
    raw = new.pop().read_bytes()
    _, msg = split_added_headers(raw)
    assert msg == body.replace("\r\n", "\n").encode(), msg


@phtest.case
def alias_and_plus_tag(s):
    before = set(s.messages("demo@example.test"))
    c = smtp(s)
    c.sendmail("bob@sender.test", ["postmaster@example.test"], b"Subject: to postmaster\r\n\r\nhi\r\n")
    c.sendmail("bob@sender.test", ["demo+lists@example.test"], b"Subject: tagged\r\n\r\nhi\r\n")
    c.quit()
    new = s.wait_for(lambda: len(set(s.messages("demo@example.test")) - before) >= 2 and set(s.messages("demo@example.test")) - before, 10)
    assert new and len(new) == 2, "alias/+tag mail not delivered: %r" % (new,)
    raws = [p.read_bytes() for p in new]
    assert any(b"Delivered-To: demo@example.test" in r and b"to postmaster" in r for r in raws), raws
    assert any(b"tagged" in r for r in raws)


@phtest.case
def account_added_while_running_is_live(s):
    s.mailctl("email", "add", "carol@example.test", "carol-password-1")
    c = smtp(s)
    code, _ = c.docmd("MAIL FROM:<x@sender.test>")
    assert code == 250
    code, msg = c.docmd("RCPT TO:<carol@example.test>")
    assert code == 250, (code, msg)
    c.docmd("RSET")
    c.sendmail("x@sender.test", ["carol@example.test"], b"Subject: new account\r\n\r\nwelcome\r\n")
    c.quit()
    assert wait_messages(s, "carol@example.test", 1), "no delivery to the new account"


@phtest.case
def unknown_user_and_relay_refused(s):
    c = smtp(s)
    c.docmd("MAIL FROM:<x@sender.test>")
    code, msg = c.docmd("RCPT TO:<nobody@example.test>")
    assert code == 550 and b"5.1.1" in msg, (code, msg)
    code, msg = c.docmd("RCPT TO:<someone@elsewhere.test>")
    assert code == 554 and b"5.7.1" in msg, (code, msg)
    c.quit()


@phtest.case
def two_hundred_messages_ten_sessions(s):
    addr = "demo@example.test"
    before = set(s.messages(addr))
    sent = {}

    def session(k):
        c = smtp(s)
        for i in range(20):
            token = "m%02d-%03d-%s" % (k, i, os.urandom(4).hex())
            body = ("From: load@sender.test\r\nTo: %s\r\nSubject: %s\r\n\r\n" % (addr, token)
                    + "".join("%s line %d %s\r\n" % (token, j, "x" * (j % 70)) for j in range(40)))
            c.sendmail("load@sender.test", [addr], body.encode())
            sent[token] = body.replace("\r\n", "\n").encode()
        c.quit()

    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        list(ex.map(session, range(10)))
    assert len(sent) == 200
    ok = s.wait_for(lambda: len(set(s.messages(addr)) - before) >= 200, 60)
    new = sorted(set(s.messages(addr)) - before)
    assert len(new) == 200, "%d of 200 delivered" % len(new)
    got = {}
    for p in new:
        _, msg = split_added_headers(p.read_bytes())
        m = re.search(rb"^Subject: (\S+)$", msg, re.M)
        got[m.group(1).decode()] = msg
    assert set(got) == set(sent), "missing: %s" % sorted(set(sent) - set(got))[:5]
    bad = [t for t in sent if got[t] != sent[t]]
    assert not bad, "bytes differ for %d messages, e.g. %s" % (len(bad), bad[:3])
    assert ok


def processes_of(s):
    """{program name: set of user names} for every process of this suite."""
    seen = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = pathlib.Path("/proc/%s/cmdline" % pid).read_bytes().split(b"\0")
            uid = int(re.search(r"^Uid:\s+(\d+)", pathlib.Path("/proc/%s/status" % pid).read_text(), re.M).group(1))
        except (OSError, AttributeError):
            continue
        argv = [a.decode(errors="replace") for a in cmd if a]
        if not argv or str(s.state) not in " ".join(argv):
            continue
        prog = os.path.basename(argv[0])
        if prog in ("s6-ipcserverd", "s6-ipcserver", "s6-ipcserver-socketbinder"):
            # named after the program it runs per connection
            prog = next((os.path.basename(a) for a in argv[1:] if a.startswith(str(s.bin))), prog)
        seen.setdefault(prog, set()).add(pwd.getpwuid(uid).pw_name)
    return seen


@phtest.case
def each_daemon_under_its_own_uid(s):
    # Hold an SMTP session open so its smtpd and tlsd engine exist.
    c = smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30)
    try:
        c.ehlo("client.test")
        seen = s.wait_for(lambda: (lambda d: d if "smtpd" in d and "tlsd" in d else None)(processes_of(s)), 5)
        assert seen, processes_of(s)
    finally:
        c.quit()
    # tcpd keeps root only to fork (the chain drops privileges itself:
    # tlsd's engine to phtls after opening the key, smtpd to phsmtpd).
    # tcpd keeps root where tlsd must open a key (-R); the listeners of
    # programs that read nothing secret drop to the program's uid at once
    assert "root" in seen.get("tcpd", ()) and seen["tcpd"] <= {"root", "phweb", "phpolicy", "vmail"}, seen
    assert seen.get("smtpd") == {"phsmtpd"}, seen
    assert seen.get("tlsd") == {"phtls"}, seen
    assert seen.get("queued") == {"phqueue"}, seen
    assert seen.get("queued-inject") == {"phinject"}, seen
    assert seen.get("deliverd") == {"vmail"}, seen
    assert seen.get("authd") == {"phauth"}, seen
    assert seen.get("deliverd-remote") == {"phremote"}, seen


@phtest.case
def injector_cannot_reach_accepted_mail(s):
    # queued-inject (phinject) writes into tmp/ and incoming/ only; queue/,
    # where accepted mail waits, is queued's (phqueue) alone.
    q = pathlib.Path(s.env["PH_QUEUE_DIR"])
    st = os.stat(q)
    assert (st.st_mode & 0o7777, pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name) \
        == (0o710, "phqueue", "phinject"), oct(st.st_mode)
    for d, mode, group in (("tmp", 0o770, "phinject"), ("incoming", 0o770, "phinject"),
                           ("queue", 0o700, None), ("corrupt", 0o700, None)):
        st = os.stat(q / d)
        assert st.st_mode & 0o7777 == mode and pwd.getpwuid(st.st_uid).pw_name == "phqueue", (d, oct(st.st_mode))
        if group:
            assert grp.getgrgid(st.st_gid).gr_name == group, (d, st.st_gid)
    # a message held in queue/ (deliverd down), then phinject tries it
    s.down("deliverd")
    try:
        with smtp(s) as c:
            c.sendmail("sender@example.test", ["demo@example.test"], b"Subject: held\r\n\r\nheld\r\n")
        held = s.wait_for(lambda: [p for p in (q / "queue").iterdir()], 10)
        assert held, "nothing in queue/"
        probe = ("import os, sys\n"
                 "for p in sys.argv[1:]:\n"
                 "    try:\n"
                 "        open(p, 'rb').close() if os.path.isfile(p) or p.endswith('mess') else os.listdir(p)\n"
                 "        print('reached', p)\n"
                 "    except PermissionError:\n"
                 "        pass\n")
        r = subprocess.run(["/usr/bin/python3", "-c", probe, str(q / "queue"), str(held[0] / "mess"), str(q)],
                           user="phinject", group="phinject", extra_groups=[], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 0 and "reached" not in r.stdout, (r.stdout, r.stderr)
        # and what it may do: create in tmp/ (and rename into incoming/)
        r = subprocess.run(["/usr/bin/python3", "-c", "import os, sys; os.mkdir(sys.argv[1]); os.rmdir(sys.argv[1])",
                            str(q / "tmp" / "probe-phinject")], user="phinject", group="phinject", extra_groups=[], timeout=30)
        assert r.returncode == 0
    finally:
        s.up("deliverd")
    assert s.wait_for(lambda: any(b"Subject: held" in p.read_bytes() for p in s.messages("demo@example.test")), 30)


@phtest.case
def secret_holders_are_not_dumpable(s):
    # submitd holds passwords, under a uid every submission session shares:
    # it makes itself non-dumpable, so /proc/PID/* belongs to root and no
    # sibling process can ptrace it or read its memory.
    c = smtplib.SMTP("127.0.0.1", s.port("submission"), timeout=30)
    try:
        c.ehlo("client.test")
        def exe(p):
            try:
                return os.readlink("/proc/%s/exe" % p)
            except OSError:
                return ""
        pids = s.wait_for(lambda: [p for p in os.listdir("/proc") if p.isdigit() and exe(p) == str(s.bin / "submitd")], 5)
        assert pids, "no submitd process"
        for p in pids:
            status = pathlib.Path("/proc/%s/status" % p).read_text()
            uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
            assert pwd.getpwuid(uid).pw_name == "phsubmit", uid
            assert os.stat("/proc/%s/mem" % p).st_uid == 0, "submitd %s is dumpable" % p
    finally:
        c.quit()


@phtest.case
def rfc5322_parses(s):
    raw = s.messages("demo@example.test")[0].read_bytes()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert m["Return-Path"] and m["Delivered-To"] and m["Received"], list(m.keys())


if __name__ == "__main__":
    # Exact bytes and journal contents are compared: no inbound filter
    # chain adding its fields (test_queue_filter and test_authres test those).
    phtest.main(extra_env={"PH_FILTERS_INBOUND": ""})
