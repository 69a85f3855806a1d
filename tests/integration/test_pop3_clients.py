"""POP3 with real clients: fetchmail (OpenSSL) and mpop (GnuTLS) download
over STLS and over implicit TLS, checking the self-signed certificate by
name, remember UIDLs (a second run downloads nothing, a new message
alone is fetched), and delete (fetchmail "nokeep flush", mpop "keep
off": the Maildir is empty afterwards).
"""

import os
import pathlib
import poplib
import smtplib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import phtest  # noqa: E402

USER = "demo@example.test"
HOST = "mail.example.test"    # the demo certificate's name

SAVE = r"""
import os, sys, time
d = sys.argv[1]
data = sys.stdin.buffer.read()
name = os.path.join(d, "%d.%d" % (time.time_ns(), os.getpid()))
with open(name, "wb") as f:
    f.write(data)
"""


def cert(s):
    certs = list((s.state / "config" / "ssl").glob("*-cert.pem"))
    assert certs, "no demo certificate"
    return str(certs[0])


def deliver(s, subjects):
    """Sends the messages and waits until all of them are in the
    Maildir (counted from what was there before, not from zero)."""
    before = on_server(s)
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30) as c:
        for subj in subjects:
            c.sendmail("sender@example.org", [USER], "Subject: %s\r\n\r\nbody of %s\r\n.dot\r\n" % (subj, subj))
    assert s.wait_for(lambda: on_server(s) >= before + len(subjects), 30), "deliveries did not arrive"


def on_server(s):
    md = s.maildir(USER)
    return sum(len(list((md / sub).iterdir())) for sub in ("new", "cur") if (md / sub).exists())


def subjects_in(d):
    out = []
    for p in sorted(pathlib.Path(d).rglob("*")):
        if p.is_file():
            for ln in p.read_bytes().splitlines():
                if ln.startswith(b"Subject: "):
                    out.append(ln[9:].decode())
                    break
    return sorted(out)


class Work:
    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="pop3clients.", dir="/tmp"))
        (self.dir / "save.py").write_text(SAVE)
        self.out = self.dir / "out"
        self.out.mkdir()

    def clear(self):
        for p in self.out.rglob("*"):
            if p.is_file():
                p.unlink()

    def cleanup(self):
        subprocess.run(["rm", "-rf", str(self.dir)])


def fetchmail(s, w, port, implicit, keep):
    rc = w.dir / "fetchmailrc"
    rc.write_text(
        'set no bouncemail\n'
        'poll %s via 127.0.0.1 with proto POP3 port %d uidl\n'
        '  user "%s" there with password "%s" is root here\n'
        '  %s sslcertck sslcertfile "%s" sslcommonname "%s"\n'
        '  %s\n'
        '  mda "/usr/bin/python3 %s %s"\n'
        % (HOST, port, USER, s.password, "ssl" if implicit else "sslproto tls1.2+", cert(s), HOST,
           "keep" if keep else "nokeep flush", w.dir / "save.py", w.out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=str(w.dir))
    r = subprocess.run(["fetchmail", "-f", str(rc), "-i", str(w.dir / "fetchids"), "--nosyslog", "-v", "-N"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    # 0: mail fetched; 1: no mail
    assert r.returncode in (0, 1), "fetchmail exit %d: %s" % (r.returncode, "|".join(r.stdout.splitlines()[-6:]))
    return r.stdout


def mpop(s, w, port, implicit, keep):
    rc = w.dir / "mpoprc"
    rc.write_text(
        "account default\n"
        "host 127.0.0.1\n"
        "port %d\n"
        "tls on\n"
        "tls_starttls %s\n"
        "tls_trust_file %s\n"
        "tls_host_override %s\n"
        "user %s\n"
        "password %s\n"
        "auth plain\n"
        "keep %s\n"
        "uidls_file %s\n"
        "delivery mda \"/usr/bin/python3 %s %s\"\n"
        % (port, "off" if implicit else "on", cert(s), HOST, USER, s.password,
           "on" if keep else "off", w.dir / "uidls", w.dir / "save.py", w.out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=str(w.dir))
    r = subprocess.run(["mpop", "-C", str(rc), "--debug"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    assert r.returncode == 0, "mpop exit %d:\n%s" % (r.returncode, r.stdout[-3000:])
    return r.stdout


def empty(s):
    p = poplib.POP3("127.0.0.1", s.port("pop3"), timeout=30)
    p.user(USER)
    p.pass_(s.password)
    for i in range(1, p.stat()[0] + 1):
        p.dele(i)
    p.quit()


def run_client(s, client, implicit):
    w = Work()
    port = s.port("pop3s" if implicit else "pop3")
    empty(s)
    try:
        deliver(s, ["%s-a" % client.__name__, "%s-b" % client.__name__])
        log = client(s, w, port, implicit, keep=True)
        got = subjects_in(w.out)
        assert got == sorted(["%s-a" % client.__name__, "%s-b" % client.__name__]), (got, log[-2000:])
        assert on_server(s) == 2, "keep: nothing deleted"
        # the UIDLs are remembered: nothing new, nothing fetched
        w.clear()
        log = client(s, w, port, implicit, keep=True)
        assert subjects_in(w.out) == [], (subjects_in(w.out), log[-2000:])
        # one new message: only it
        deliver(s, ["%s-c" % client.__name__])
        log = client(s, w, port, implicit, keep=False)
        assert subjects_in(w.out) == ["%s-c" % client.__name__], (subjects_in(w.out), log[-2000:])
        # downloading and deleting: afterwards the server has nothing
        # (fetchmail deletes what it fetched, mpop also what it had seen)
        deliver(s, ["%s-d" % client.__name__, "%s-e" % client.__name__])
        w.clear()
        log = client(s, w, port, implicit, keep=False)
        got = subjects_in(w.out)
        assert ["%s-d" % client.__name__, "%s-e" % client.__name__] == [x for x in got if x[-1] in "de"], (got, log[-2000:])
        assert s.wait_for(lambda: on_server(s) == 0, 5), "messages left after a nokeep run: %d" % on_server(s)
    finally:
        w.cleanup()


@phtest.case
def fetchmail_stls(s):
    run_client(s, fetchmail, implicit=False)


@phtest.case
def fetchmail_implicit_tls(s):
    run_client(s, fetchmail, implicit=True)


@phtest.case
def mpop_stls(s):
    run_client(s, mpop, implicit=False)


@phtest.case
def mpop_implicit_tls(s):
    run_client(s, mpop, implicit=True)


if __name__ == "__main__":
    phtest.main()
