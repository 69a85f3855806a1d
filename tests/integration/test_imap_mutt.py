"""mutt reading mail from posthaste's IMAP, unattended: mutt runs on a
pseudo-terminal (it needs one for its screen) with keystrokes pushed by
-e 'push ...': limit the index to one Message-ID, pipe that message to a
file, quit. No header or body cache, so the file's content can only have
come from the server: it must hold the message's body, which is nowhere
else. Once with STARTTLS on the imap port (ssl_force_tls), once with
implicit TLS on imaps; the certificate is checked against the suite's
self-signed one and its name, mail.example.test (resolved to 127.0.0.1
inside a private mount namespace, see imapinterop.resolving_tls_name).
"""

import fcntl
import os
import pathlib
import pty
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time

import phtest
from imapinterop import DEMO, TLS_NAME, cert_file, deliver, require_imap, resolving_tls_name, session


def run_on_pty(argv, env, timeout=60):
    """Runs argv with a 50x132 pseudo-terminal as stdin/stdout/stderr;
    returns (exit status, screen bytes). Killed at the deadline."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                raise AssertionError("%s still running after %d s; screen: %r" % (argv[-1], timeout, screen[-1500:]))
            r, _, _ = select.select([master], [], [], min(left, 0.5))
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                screen += data
            elif p.poll() is not None:
                break
        return p.wait(timeout=10), screen
    finally:
        os.close(master)


def mutt_reads(s, port):
    require_imap(s)
    mark = "mutt-%s-%d" % (port, time.monotonic_ns() % 10 ** 9)
    token = "the-body-token-%s" % os.urandom(6).hex()
    body = "first line of %s\r\n%s\r\nlast line\r\n" % (mark, token)
    deliver(s, [mark], "for mutt", body)
    d = pathlib.Path(tempfile.mkdtemp(prefix="mutt.", dir="/tmp"))
    try:
        shutil.copy(cert_file(s), d / "certificates")
        out = d / "piped"
        scheme = "imaps" if port == "imaps" else "imap"
        url = "%s://%s:%d/" % (scheme, TLS_NAME, s.port(port))
        (d / "muttrc").write_text("\n".join([
            'set imap_user="%s"' % DEMO,
            'set imap_pass="%s"' % s.password,
            "set ssl_force_tls=yes",
            "set ssl_starttls=yes",
            'set certificate_file="%s"' % (d / "certificates"),
            "set ssl_verify_host=yes",
            "set ssl_verify_dates=yes",
            'set folder="%s"' % url,
            'set spoolfile="+INBOX"',
            'set header_cache=""',
            'set message_cachedir=""',
            "set imap_passive=yes",
            "set imap_check_subscribed=no",
            "set wait_key=no",
            "set quit=yes",
            "set beep=no",
            "set move=no",
            "set mark_old=no",
            'set record=""',
            "set pipe_decode=no",
            "set timeout=30",
            "set imap_keepalive=30",
        ]) + "\n")
        push = 'push "<limit>~i %s<enter><first-entry><pipe-message>cat > %s<enter><quit>"' % (mark, out)
        env = {"HOME": str(d), "TERM": "vt100", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        argv = resolving_tls_name(["mutt", "-n", "-F", str(d / "muttrc"), "-d", "2", "-f", url + "INBOX", "-e", push], d)
        rc, screen = run_on_pty(argv, env)
        debug = b""
        for f in d.glob(".muttdebug*"):
            debug += f.read_bytes()
        got = out.read_bytes() if out.exists() else b""
        assert token.encode() in got and ("Message-ID: <%s@client.test>" % mark).encode() in got, (
            "mutt (exit %d) piped %r; screen: %r; mutt debug (tail): %s"
            % (rc, got[:500], screen[-1200:], debug[-2500:].decode(errors="replace")))
        assert rc == 0, "mutt exit %d; screen: %r" % (rc, screen[-1000:])
        # the body came over IMAP on this connection: mutt's log shows a FETCH of the message
        assert b"FETCH" in debug and (b"BODY" in debug or b"RFC822" in debug), debug[-2000:]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    # mutt took the message over the network; the server still has it
    c = session(s)
    try:
        c.check("SELECT", c.select("INBOX"))
        found = c.check("SEARCH", c.uid("SEARCH", "HEADER", "Message-ID", "<%s@client.test>" % mark))
        assert found and found[0].split(), "the message is no longer on the server: %s" % c.transcript.tail()
    finally:
        c.logout()


@phtest.case
def mutt_fetches_a_body_over_starttls(s):
    mutt_reads(s, "imap")


@phtest.case
def mutt_fetches_a_body_over_imaps(s):
    mutt_reads(s, "imaps")


if __name__ == "__main__":
    phtest.main()
