"""POP3 UIDLs after a migration: posthaste's pop3-session and Debian's
Dovecot pop3 (tests/lib/privdovecot.py, protocol pop3 turned on, its
default pop3_uidl_format %08Xu%08Xv) must list the same UIDL for every
message of the same Maildir, whichever of the two gave the UIDs
(posthaste's deliveries and first look, Dovecot's first look, Dovecot's
LDA), and after deletions by either. One POP3 server at a time on the
Maildir, as in a migration.
"""

import pathlib
import poplib
import smtplib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import phtest  # noqa: E402
import privdovecot  # noqa: E402

USER = "demo@example.test"
state = {}


def dovecot(s):
    """The private Dovecot on the suite's own Maildirs, started once."""
    if "dc" not in state:
        port = privdovecot.free_port()
        extra = "\n".join([
            "service pop3-login {",
            "  inet_listener pop3 {", "    address = 127.0.0.1", "    port = %d" % port, "  }",
            "  inet_listener pop3s {", "    port = 0", "  }",
            "}",
        ])
        dc = privdovecot.Dovecot(users={USER: s.password}, mailroot=s.state / "mail",
                                 settings={"protocols": "imap pop3"}, extra=extra)
        dc.start()
        state["dc"] = dc
        state["pop3_port"] = port
    return state["dc"]


def uidls(port, password):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user(USER)
    p.pass_(password)
    _, lines, _ = p.uidl()
    out = [ln.split()[1].decode() for ln in lines]
    sizes = [int(ln.split()[1]) for ln in p.list()[1]]
    p.quit()
    return out, sizes


def ours(s):
    return uidls(s.port("pop3"), s.password)


def theirs(s):
    dovecot(s)
    return uidls(state["pop3_port"], s.password)


def deliver(s, n, tag):
    with smtplib.SMTP("127.0.0.1", s.port("smtp"), timeout=30) as c:
        for i in range(n):
            c.sendmail("sender@example.org", [USER], "Subject: %s %d\r\n\r\nbody %d\r\n.line\r\n" % (tag, i, i))
    # s.messages() is empty while the Maildir does not exist yet (the
    # first delivery makes it; slower under ASan)
    assert s.wait_for(lambda: len(s.messages(USER)) >= n, 30), "deliveries did not arrive"


def delete(port, password, numbers):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user(USER)
    p.pass_(password)
    for n in numbers:
        p.dele(n)
    p.quit()


@phtest.case
def dovecot_default_uidl_format_is_the_documented_one(s):
    dc = dovecot(s)
    r = subprocess.run(["/usr/bin/doveconf", "-c", str(dc.conf), "pop3_uidl_format"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert r.stdout.strip() == "pop3_uidl_format = %08Xu%08Xv", r.stdout


@phtest.case
def uids_given_by_posthaste(s):
    deliver(s, 4, "ph")
    a, sa = ours(s)
    b, sb = theirs(s)
    assert len(a) == 4 and a == b, (a, b)
    assert sa == sb, ("the same sizes too (CRLF octets)", sa, sb)


@phtest.case
def uids_given_by_dovecot(s):
    deliver(s, 3, "dc")      # in new/, no UID yet
    b, sb = theirs(s)        # Dovecot's look gives them
    a, sa = ours(s)
    assert len(a) == 7 and a == b, (a, b)
    assert sa == sb, (sa, sb)


@phtest.case
def dovecot_lda_deliveries(s):
    dc = dovecot(s)
    for i in range(2):
        dc.lda(USER, b"Subject: lda %d\n\nbody\n" % i)
    a, _ = ours(s)
    b, _ = theirs(s)
    assert len(a) == 9 and a == b, (a, b)


@phtest.case
def deletions_by_either_side(s):
    before, _ = ours(s)
    delete(s.port("pop3"), s.password, [1, 4])
    a, _ = ours(s)
    b, _ = theirs(s)
    assert a == b == [u for i, u in enumerate(before, 1) if i not in (1, 4)], (a, b)
    delete(state["pop3_port"], s.password, [2])
    a2, _ = ours(s)
    b2, _ = theirs(s)
    assert a2 == b2 == a[:1] + a[2:], (a2, b2)
    # and a UIDL, once seen, stays (fetchmail's and clients' memory)
    assert all(u in before for u in a2)


if __name__ == "__main__":
    try:
        phtest.main()
    finally:
        if "dc" in state:
            state["dc"].stop()
