"""sendmail (the local injector) against the real suite: it injects
through queued-inject, queued hands the message to deliverd, and the
cases read the Maildirs. Exit codes are sendmail's (sysexits.h)."""

import os
import pathlib
import pwd
import re
import subprocess

import phtest

SIZE_LIMIT = 100000
HOST = "mail.example.test"

EX_USAGE, EX_DATAERR, EX_NOPERM, EX_TEMPFAIL = 64, 65, 77, 75


def sendmail(s, args, data, user=None, extra_env=None):
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    env.update({k: v for k, v in s.env.items() if k.startswith("PH_") or k == "POSTFIX_MESSAGE_SIZE_LIMIT"})
    env.update(extra_env or {})
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if "asan" in str(phtest.DEFAULT_BIN):
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    cmd = [str(s.bin / "sendmail")] + list(args)
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    if isinstance(data, str):
        data = data.encode()
    r = subprocess.run(cmd, input=data, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = r.stderr.decode(errors="replace")
    assert "Sanitizer" not in err and "runtime error" not in err, err
    return r.returncode, err


def wait_new(s, address, before, count=1, timeout=20):
    """Waits for count new files in address's Maildir; returns their bytes."""
    def fresh():
        got = [p for p in s.messages(address) if p.name not in before]
        return got if len(got) >= count else None
    got = s.wait_for(fresh, timeout)
    assert got, "nothing delivered to %s within %ds" % (address, timeout)
    return [p.read_bytes() for p in got]


def names(s, address):
    return {p.name for p in s.messages(address)}


def headers(msg):
    head = msg.split(b"\n\n", 1)[0].decode(errors="replace")
    return re.sub(r"\n[ \t]", " ", head).split("\n")


def field(msg, name):
    return [h.split(":", 1)[1].strip() for h in headers(msg) if h.lower().startswith(name.lower() + ":")]


def body(msg):
    return msg.split(b"\n\n", 1)[1] if b"\n\n" in msg else b""


def accounts(s):
    for who in ("bob", "carol", "dave"):
        s.mailctl("email", "add", who + "@example.test", who + "-password-1", check=False)
    s.mailctl("update")


@phtest.case
def explicit_recipient_gets_trace_and_missing_headers(s):
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["demo@example.test"], "Subject: plain\n\nhello\n")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    hs = headers(msg)
    # deliverd's Return-Path and Delivered-To, then ours, Received first
    assert hs[0] == "Return-Path: <root@%s>" % HOST, hs[:3]
    assert hs[2].startswith("Received: from local user root (uid 0) by %s (posthaste) with local id " % HOST), hs[2]
    assert len(field(msg, "Date")) == 1 and re.match(r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$", field(msg, "Date")[0]), field(msg, "Date")
    mid = field(msg, "Message-ID")
    assert len(mid) == 1 and re.match(r"<\d{14}\.[0-9A-Za-z]{16}@%s>$" % re.escape(HOST), mid[0]), mid
    assert field(msg, "From") == ["root@%s" % HOST], field(msg, "From")
    assert body(msg) == b"hello\n"


@phtest.case
def existing_headers_are_not_duplicated(s):
    before = names(s, "demo@example.test")
    text = ("From: Someone <someone@example.test>\nDate: Mon, 2 Feb 2026 10:00:00 +0000\n"
            "Message-ID: <kept.1@example.test>\nSubject: kept\n\nbody\n")
    rc, err = sendmail(s, ["demo@example.test"], text)
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert field(msg, "From") == ["Someone <someone@example.test>"]
    assert field(msg, "Date") == ["Mon, 2 Feb 2026 10:00:00 +0000"]
    assert field(msg, "Message-ID") == ["<kept.1@example.test>"]


@phtest.case
def extract_to_cc_bcc_and_remove_bcc(s):
    accounts(s)
    who = ["demo@example.test", "bob@example.test", "carol@example.test", "dave@example.test"]
    before = {w: names(s, w) for w in who}
    text = ('To: "Demo, The" <demo@example.test> (first)\n'
            "Cc: friends: Bob B <bob@example.test>,\n carol@example.test;\n"
            "Bcc: dave@example.test\n"
            "Subject: extract\n\nto all\n")
    rc, err = sendmail(s, ["-t", "-i"], text)
    assert rc == 0, (rc, err)
    for w in who:
        msg = wait_new(s, w, before[w])[0]
        assert field(msg, "Bcc") == [], (w, headers(msg))
        assert field(msg, "To") == ['"Demo, The" <demo@example.test> (first)'], headers(msg)
        assert field(msg, "Cc") == ["friends: Bob B <bob@example.test>, carol@example.test;"], headers(msg)
        assert body(msg) == b"to all\n"


@phtest.case
def extract_adds_command_line_recipients_and_dedups(s):
    accounts(s)
    before = {w: names(s, w) for w in ("demo@example.test", "bob@example.test")}
    rc, err = sendmail(s, ["-t", "bob@example.test, Demo <DEMO@example.test>"], "To: demo@example.test\nSubject: both\n\nx\n")
    assert rc == 0, (rc, err)
    wait_new(s, "bob@example.test", before["bob@example.test"])
    got = wait_new(s, "demo@example.test", before["demo@example.test"])
    # one copy only, although demo was named twice
    import time
    time.sleep(1.0)
    assert len([p for p in s.messages("demo@example.test") if p.name not in before["demo@example.test"]]) == 1, got


@phtest.case
def resent_headers_take_precedence(s):
    accounts(s)
    before = {w: names(s, w) for w in ("demo@example.test", "bob@example.test")}
    text = "To: demo@example.test\nResent-To: bob@example.test\nResent-Bcc: carol@example.test\nSubject: resent\n\nx\n"
    cbefore = names(s, "carol@example.test")
    rc, err = sendmail(s, ["-t"], text)
    assert rc == 0, (rc, err)
    msg = wait_new(s, "bob@example.test", before["bob@example.test"])[0]
    assert field(msg, "Resent-Bcc") == [] and field(msg, "Resent-To") == ["bob@example.test"]
    wait_new(s, "carol@example.test", cbefore)
    import time
    time.sleep(1.0)
    assert names(s, "demo@example.test") == before["demo@example.test"]


@phtest.case
def sender_flag_sets_return_path(s):
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["-f", "bounces@example.test", "demo@example.test"], "Subject: f\n\nx\n")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert headers(msg)[0] == "Return-Path: <bounces@example.test>"
    assert field(msg, "From") == ["bounces@example.test"]
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["-f<>", "demo@example.test"], "Subject: null\n\nx\n")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert headers(msg)[0] == "Return-Path: <>"
    assert field(msg, "From") == ["root@%s" % HOST]


@phtest.case
def cron_style_flags_and_fullname(s):
    # exactly what Debian's cron runs
    before = names(s, "demo@example.test")
    text = "To: demo@example.test\nSubject: Cron <root@host> true\n\noutput\n.\nmore\n"
    rc, err = sendmail(s, ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t"], text)
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert field(msg, "From") == ["CronDaemon <root@%s>" % HOST], field(msg, "From")
    assert body(msg) == b"output\n.\nmore\n"
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["-F", 'Jo "J" Smith, Jr.', "demo@example.test"], "Subject: name\n\nx\n")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert field(msg, "From") == ['"Jo \\"J\\" Smith, Jr." <root@%s>' % HOST], field(msg, "From")


@phtest.case
def lone_dot_ends_input_without_i(s):
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["demo@example.test"], "Subject: dot\n\nline1\n..\n.\nline2\n")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert body(msg) == b"line1\n..\n", body(msg)
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["-oi", "demo@example.test"], "Subject: dot\r\n\r\nline1\r\n.\r\nline2")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert b"\r" not in msg
    assert body(msg) == b"line1\n.\nline2\n", body(msg)


@phtest.case
def crlf_and_mbox_from_line(s):
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["demo@example.test"], "From someone Mon Feb  2 10:00:00 2026\r\nSubject: crlf\r\n\r\na\r\nb\rc\r\n")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert b"From someone" not in msg
    assert field(msg, "Subject") == ["crlf"]
    assert body(msg) == b"a\nb\rc\n", body(msg)


@phtest.case
def refusals_and_exit_codes(s):
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["demo@example.test"], b"Subject: nul\n\na\0b\n")
    assert rc == EX_DATAERR and "NUL" in err, (rc, err)
    rc, err = sendmail(s, ["demo@example.test"], "Subject: big\n\n" + ("x" * 99 + "\n") * (SIZE_LIMIT // 100 + 10))
    assert rc == EX_DATAERR and "larger than the limit" in err, (rc, err)
    rc, err = sendmail(s, [], "Subject: none\n\nx\n")
    assert rc == EX_USAGE and "no recipients" in err, (rc, err)
    rc, err = sendmail(s, ["-t"], "Subject: none\nTo: undisclosed-recipients:;\n\nx\n")
    assert rc == EX_DATAERR and "no recipients" in err, (rc, err)
    rc, err = sendmail(s, ["-t"], "To: a@@example.test\n\nx\n")
    assert rc == EX_DATAERR and "To field" in err, (rc, err)
    rc, err = sendmail(s, ["John Doe a@example.test"], "x\n")
    assert rc == EX_USAGE and "command line" in err, (rc, err)
    rc, err = sendmail(s, ["-Z", "demo@example.test"], "x\n")
    assert rc == EX_USAGE, (rc, err)
    rc, err = sendmail(s, ["-bs"], "")
    assert rc == EX_USAGE, (rc, err)
    rc, err = sendmail(s, ["-O", "x=y", "demo@example.test"], "x\n")
    assert rc == EX_USAGE, (rc, err)
    rc, err = sendmail(s, ["-F", "evil\nBcc: x@y", "demo@example.test"], "x\n")
    assert rc == EX_USAGE, (rc, err)
    rc, err = sendmail(s, ["-f", "two@example.test, three@example.test", "demo@example.test"], "x\n")
    assert rc == EX_USAGE, (rc, err)
    import time
    time.sleep(1.0)
    assert names(s, "demo@example.test") == before


@phtest.case
def mailq_runs_mailctl(s):
    rc, err = sendmail(s, ["-bp"], "")
    # the listing is mailctl's: whatever it says, it is mailctl that says it
    assert "mailctl" in err or rc == 0, (rc, err)
    rc, err = sendmail(s, ["-bi"], "")
    assert rc == 0 and "mailctl update" in err, (rc, err)


@phtest.case
def queue_down_is_tempfail(s):
    d = s.service_dir("inject")
    subprocess.run(["s6-svc", "-d", str(d)], check=True)
    try:
        subprocess.run(["s6-svwait", "-D", "-t", "10000", str(d)], check=True)
        rc, err = sendmail(s, ["demo@example.test"], "Subject: down\n\nx\n")
        assert rc == EX_TEMPFAIL and "connect to the mail queue" in err, (rc, err)
        rc, err = sendmail(s, ["demo@example.test"], "Subject: nowhere\n\nx\n", extra_env={"PH_RUN_DIR": str(s.state / "nonexistent")})
        assert rc == EX_TEMPFAIL, (rc, err)
    finally:
        subprocess.run(["s6-svc", "-u", str(d)], check=True)
        assert s.wait_up("inject", 10)


@phtest.case
def ordinary_user_may_send(s):
    """Any local uid may submit (queued-inject's PH_INJECT_ANY_LOCAL, on by
    default as Postfix's authorized_submit_users = static:anyone): cron
    jobs and PHP run by ordinary users. The queue records the uid the
    kernel gave it."""
    uid = pwd.getpwnam("nobody").pw_uid
    before = names(s, "demo@example.test")
    rc, err = sendmail(s, ["-t"], "To: demo@example.test\nSubject: nobody\n\nx\n", user="nobody")
    assert rc == 0, (rc, err)
    msg = wait_new(s, "demo@example.test", before)[0]
    assert headers(msg)[0] == "Return-Path: <nobody@%s>" % HOST, headers(msg)[:3]
    assert headers(msg)[2].startswith("Received: from local user nobody (uid %d) by %s" % (uid, HOST)), headers(msg)[2]
    assert s.wait_for(lambda: re.search(r"event=injected qid=\w+ .*uid=%d trust=local$" % uid, s.log("inject"), re.M), 10), \
        s.log("inject")[-2000:]


@phtest.case
def ordinary_user_refused_when_any_local_is_off(s):
    """With PH_INJECT_ANY_LOCAL=0 only root and PH_INJECT_UIDS may inject:
    another uid gets D5.7.1, which sendmail turns into EX_NOPERM."""
    envfile = pathlib.Path(s.env["PH_ENVFILE"])
    saved = envfile.read_text()
    before = names(s, "demo@example.test")
    envfile.write_text(saved + "PH_INJECT_ANY_LOCAL=0\n")
    try:
        rc, err = sendmail(s, ["-t"], "To: demo@example.test\nSubject: nobody\n\nx\n", user="nobody")
    finally:
        envfile.write_text(saved)
    assert rc == EX_NOPERM and "5.7.1" in err, (rc, err)
    assert s.wait_for(lambda: re.search(r"event=refused uid=65534", s.log("inject")), 10), s.log("inject")[-2000:]
    import time
    time.sleep(1.0)
    assert names(s, "demo@example.test") == before


def env_records(s, qid):
    path = s.state / "queue" / "incoming" / qid / "env"
    data = path.read_bytes()
    out, i = [], 0
    while i < len(data):
        t = data[i:i + 1]
        colon = data.index(b":", i)
        n = int(data[i + 1:colon])
        out.append((t.decode(), data[colon + 1:colon + 1 + n].decode()))
        i = colon + 1 + n + 1
    return out


@phtest.case
def envelope_fields(s):
    """What sendmail puts in the envelope, read from the committed queue
    entry while queued is stopped."""
    q = s.service_dir("queued")
    subprocess.run(["s6-svc", "-d", str(q)], check=True)
    try:
        subprocess.run(["s6-svwait", "-D", "-t", "10000", str(q)], check=True)
        rc, err = sendmail(s, ["-v", "-N", "failure,Delay", "-R", "hdrs", "-V", "id+1=x", "demo@example.test"],
                           "Subject: caf\u00e9\n\n8bit \u00e9\n".encode())
        assert rc == 0, (rc, err)
        qid = re.search(r"queued as (\w+)", err).group(1)
        recs = env_records(s, qid)
        assert recs[:1] == [("V", "1")] and ("F", "root@%s" % HOST) in recs, recs
        assert [v for t, v in recs if t == "T"] == ["demo@example.test"], recs
        assert [v for t, v in recs if t == "N"] == ["NOTIFY=FAILURE,DELAY"], recs
        assert [v for t, v in recs if t == "M"] == ["BODY=8BITMIME", "SMTPUTF8", "RET=HDRS", "ENVID=id+2B1+3Dx"], recs
        assert [v for t, v in recs if t == "P"] == ["LOCAL"] and ("X", "uid=0") in recs and ("X", "user=root") in recs, recs
        assert "U" not in [t for t, _ in recs], recs
        # the injector's own word on the caller, last
        assert [v for t, v in recs if t == "X"][-1] == "peeruid=0" and recs[-3] == ("X", "peeruid=0"), recs
    finally:
        subprocess.run(["s6-svc", "-u", str(q)], check=True)
        assert s.wait_up("queued", 10)


if __name__ == "__main__":
    phtest.main(extra_env={"POSTFIX_MESSAGE_SIZE_LIMIT": str(SIZE_LIMIT)})
