"""mbsync (isync) against posthaste's IMAP: a full two-way sync between the
demo account (STARTTLS on the imap port, the suite's self-signed
certificate as the only trusted one) and a local Maildir.

One scenario, in steps that depend on each other (each step a case, so a
failure names the step): the initial pull of mail delivered over SMTP;
then changes on both sides (a flag set on the server through imaplib, a
new local message, a local deletion, a local flag); a second sync that
must carry each change to the other side; a third sync that must find
nothing to do, with the server state unchanged (checked with imaplib).
"""

import atexit
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import phtest
from imapinterop import DEMO, TLS_NAME, account_state, deliver, diff_states, require_imap, resolving_tls_name, session

W = {}   # state carried from one step to the next


def workdir():
    if "dir" not in W:
        W["dir"] = pathlib.Path(tempfile.mkdtemp(prefix="mbsync.", dir="/tmp"))
        (W["dir"] / "mail").mkdir()
        atexit.register(shutil.rmtree, W["dir"], True)
    return W["dir"]


def mbsyncrc(s):
    d = workdir()
    rc = d / "mbsyncrc"
    rc.write_text(
        "IMAPAccount demo\n"
        "Host %s\n"
        "Port %d\n"
        "User %s\n"
        "Pass %s\n"
        "SSLType STARTTLS\n"
        "SSLVersions TLSv1.2 TLSv1.3\n"
        "CertificateFile %s\n"
        "AuthMechs LOGIN PLAIN\n"
        "\n"
        "IMAPStore remote\nAccount demo\n\n"
        "MaildirStore local\nPath %s/mail/\nInbox %s/mail/INBOX\nSubFolders Verbatim\n\n"
        "Channel demo\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nRemove None\n"
        "Expunge Both\nSyncState *\nSync All\n"
        % (TLS_NAME, s.port("imap"), DEMO, s.password, s.state / "config" / "ssl" / "mail.example.test-cert.pem", d, d))
    os.chmod(rc, 0o600)
    return rc


def mbsync(s, *extra):
    """Runs mbsync -V on the channel; returns its output (exit 0 required)."""
    require_imap(s)
    rc = mbsyncrc(s)
    argv = resolving_tls_name(["mbsync", "-c", str(rc), "-V", "-Dn"] + list(extra) + ["demo"], workdir())
    r = subprocess.run(argv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120, cwd=str(workdir()))
    # mbsync's own messages, not the protocol trace (">>> " sent, "* " or
    # "<tag> " received)
    own = [ln for ln in r.stdout.splitlines() if not re.match(r">>> |\* |\+ |\d+ ", ln)]
    bad = [ln for ln in own if re.search(r"(?i)error|warning|unexpected|bad response", ln)]
    if r.returncode != 0 or bad:
        # what mbsync complained about first, then the exchange before it
        lines = r.stdout.splitlines()
        at = lines.index(bad[0]) if bad else len(lines)
        raise AssertionError("mbsync exited %d: %s || exchange before: %s || whole output: %s" % (
            r.returncode, " / ".join(bad), " / ".join(lines[max(0, at - 14):at]), r.stdout[-3000:]))
    return r.stdout


def local_messages(folder="INBOX"):
    """{Message-ID mark: (path, maildir flags)} of the local Maildir."""
    out = {}
    root = workdir() / "mail" / folder
    for sub in ("new", "cur"):
        for p in (root / sub).iterdir() if (root / sub).is_dir() else []:
            m = re.search(rb"(?im)^message-id:\s*<([^@>]+)@", p.read_bytes())
            flags = p.name.split(":2,", 1)[1] if ":2," in p.name else ""
            out[m.group(1).decode() if m else p.name] = (p, flags)
    return out


def server_inbox(s):
    """{mark: (uid, flags)} of the server's INBOX, through imaplib."""
    c = session(s)
    try:
        st = account_state(c)
    finally:
        c.logout()
    out = {}
    for uid, m in st["boxes"]["INBOX"]["msgs"].items():
        mark = re.match(r"<([^@>]+)@", m["message_id"] or "")
        out[mark.group(1) if mark else "uid%d" % uid] = (uid, m["flags"])
    return out, st


# What a sync that has nothing to do may send (mbsync -Dn shows every
# command as ">>> N COMMAND"): no APPEND, STORE, EXPUNGE, CREATE, COPY,
# MOVE, DELETE, and no FETCH of a body.
QUIET_COMMANDS = ("STARTTLS", "CAPABILITY", "AUTHENTICATE", "LOGIN", "NAMESPACE", "LIST", "LSUB", "SELECT",
                  "EXAMINE", "CLOSE", "LOGOUT", "NOOP", "ENABLE", "ID", "COMPRESS", "STATUS", "UNSELECT")


def commands(out):
    return re.findall(r"(?m)^>>> \d+ (.*)$", out)


def changing_commands(out):
    bad = []
    for cmd in commands(out):
        word = cmd.split(" ", 1)[0].upper()
        if word in QUIET_COMMANDS:
            continue
        if word == "UID" and re.match(r"(?i)UID FETCH \S+ \((UID )?FLAGS( UID)?\)$", cmd):
            continue
        bad.append(cmd)
    return bad


@phtest.case
def initial_pull(s):
    # 3 messages the later steps change, and 40 more: mbsync pipelines its
    # FETCHes and, later, its STOREs (no PipelineDepth limit)
    marks = deliver(s, ["mbs-1", "mbs-2", "mbs-3"] + ["mbs-bulk-%02d" % i for i in range(40)])
    out = mbsync(s)
    W["sync1"] = out
    local = local_messages()
    assert set(marks) <= set(local), "local INBOX after the first sync: %s\nmbsync said:\n%s" % (sorted(local), out[-2000:])
    for m in marks:
        data = local[m][0].read_bytes()
        assert ("body of %s\n" % m).encode() in data.replace(b"\r\n", b"\n"), (m, data[:400])
    # every server folder exists locally too (Patterns *, Create Both)
    server, st = server_inbox(s)
    for name in st["folders"]:
        if not st["folders"][name] and name != "INBOX":
            assert (workdir() / "mail" / name.replace(".", "/")).is_dir(), "folder %s not pulled; mbsync said:\n%s" % (name, out[-1500:])


@phtest.case
def changes_on_both_sides_propagate(s):
    local = local_messages()
    # server side: \Flagged on mbs-1
    server, _ = server_inbox(s)
    c = session(s)
    try:
        c.check("SELECT", c.select("INBOX"))
        c.check("STORE", c.uid("STORE", str(server["mbs-1"][0]), "+FLAGS", "(\\Flagged)"))
    finally:
        c.logout()
    # a new folder on each side, one message in each
    c = session(s)
    try:
        c.check("CREATE", c.create("Reports"))
        c.check("APPEND", c.append("Reports", "(\\Flagged)", None,
                                   b"From: a@example.org\r\nSubject: server folder\r\nMessage-ID: <mbs-srvfolder@client.test>\r\n\r\nin Reports\r\n"))
    finally:
        c.logout()
    alpha = workdir() / "mail" / "Projects" / "Alpha"
    for sub in ("cur", "new", "tmp"):
        (alpha / sub).mkdir(parents=True)
    (alpha / "new" / "1796000001.local2.client.test").write_bytes(
        b"From: Local <local@client.test>\nSubject: local folder\nMessage-ID: <mbs-locfolder@client.test>\n\nin Projects/Alpha\n")
    # local side: a new message, mbs-2 deleted, \Seen on mbs-3
    new = workdir() / "mail" / "INBOX" / "new" / "1796000000.local1.client.test"
    new.write_bytes(b"From: Local <local@client.test>\nTo: demo@example.test\nSubject: written locally\n"
                    b"Message-ID: <mbs-local@client.test>\n\nlocal body line\n")
    local["mbs-2"][0].unlink()
    p3, f3 = local["mbs-3"]
    base = p3.name.split(":2,", 1)[0]
    os.rename(p3, p3.parent.parent / "cur" / (base + ":2," + "".join(sorted(set(f3) | {"S"}))))
    # \Seen on every bulk message: 40 STOREs in one pipelined burst
    for mk, (path, flags) in local.items():
        if mk.startswith("mbs-bulk-"):
            base = path.name.split(":2,", 1)[0]
            os.rename(path, path.parent.parent / "cur" / (base + ":2," + "".join(sorted(set(flags) | {"S"}))))
    out = mbsync(s)
    W["sync2"] = out
    server, _ = server_inbox(s)
    local = local_messages()
    problems = []
    if "mbs-2" in server:
        problems.append("mbs-2 deleted locally is still on the server (UID %d, flags %s)" % (server["mbs-2"][0], sorted(server["mbs-2"][1])))
    if "mbs-local" not in server:
        problems.append("the local message was not uploaded")
    if "mbs-3" in server and "\\seen" not in server["mbs-3"][1]:
        problems.append("\\Seen set locally on mbs-3 is not on the server: %s" % sorted(server["mbs-3"][1]))
    if "mbs-1" not in local or "F" not in local["mbs-1"][1]:
        problems.append("\\Flagged set on the server is not in the local file name: %s" % (local.get("mbs-1"),))
    if "mbs-2" in local:
        problems.append("mbs-2 came back locally")
    unseen = sorted(mk for mk, (_, f) in server.items() if mk.startswith("mbs-bulk-") and "\\seen" not in f)
    if unseen:
        problems.append("\\Seen set locally did not reach the server for %s" % unseen)
    if "mbs-srvfolder" not in local_messages("Reports"):
        problems.append("the server folder Reports (and its message) did not come down: local has %s" % sorted(local_messages("Reports")))
    c = session(s)
    try:
        boxes = c.check("LIST", c.list('""', "*"))
        st = account_state(c)
    finally:
        c.logout()
    alpha_msgs = st["boxes"].get("Projects.Alpha", {}).get("msgs", {})
    if not any(m["message_id"] == "<mbs-locfolder@client.test>" for m in alpha_msgs.values()):
        problems.append("the local folder Projects/Alpha (and its message) did not go up as Projects.Alpha: LIST %s" % boxes)
    assert not problems, "; ".join(problems) + "\nserver: %s\nmbsync said:\n%s" % (
        {k: (v[0], sorted(v[1])) for k, v in server.items()}, out[-2500:])
    c = session(s)
    try:
        c.check("SELECT", c.select("INBOX"))
        data = c.check("FETCH", c.uid("FETCH", str(server["mbs-local"][0]), "(BODY.PEEK[])"))
    finally:
        c.logout()
    assert b"local body line\r\n" in data[0][1] and b"Subject: written locally\r\n" in data[0][1], data


@phtest.case
def third_sync_is_idempotent(s):
    _, before = server_inbox(s)
    local_before = {k: (v[0].name, v[1]) for k, v in local_messages().items()}
    out = mbsync(s)
    _, after = server_inbox(s)
    local_after = {k: (v[0].name, v[1]) for k, v in local_messages().items()}
    d = diff_states(before, after, "before", "after")
    assert not d, "the third sync changed the server: %s\nmbsync said:\n%s" % ("; ".join(d), out[-2000:])
    assert local_before == local_after, "the third sync changed the local Maildir: %s -> %s" % (local_before, local_after)
    assert commands(out), "no IMAP command seen in mbsync -Dn output:\n%s" % out[-2000:]
    bad = changing_commands(out)
    assert not bad, "the third sync sent commands that change or download: %s\nmbsync said:\n%s" % (bad, out[-3000:])


if __name__ == "__main__":
    phtest.main()
