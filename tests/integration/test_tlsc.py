#!/usr/bin/python3
"""tlsc, the client side of TLS, against python ssl servers on loopback.

The caller is build/tests/test_ucspitls_client run as "client" (the real
common/ucspitls_client_start/_end code), as phremote through
s6-setuidgid, with PH_TLSC naming the tlsc under test; some cases run
tlsc directly with the fds it expects (0/1 pipes, 3 control socket, 6
the TCP socket) to see the report bytes and the exit codes.

Certificates come from a private CA made with the openssl CLI (handed
to tlsc through PH_TLS_CA_FILE, or an env file): a leaf for
mx.example.test, a wildcard, one for the address 127.0.0.1, a
self-signed one nobody trusts.

The binaries come from $PH_TEST_BIN (e.g. build-asan/bin), default
build/bin; the caller from the sibling tests/ directory. Every case
prints one PASS/FAIL line; the last line is "N passed, N failed".
"""

import os
import pathlib
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)   # ssl.TLSVersion.TLSv1_1: on purpose

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import caserun  # noqa: E402

TOP = caserun.TOP
BIN = caserun.bin_dir()
DRIVER_SRC = BIN.parent / "tests" / "test_ucspitls_client"
TMP = caserun.tmpdir("test_tlsc.")
MX = "mx.example.test"

case = caserun.Cases()


run = caserun.checked


# ------------------------------------------------------------ certificates

def make_ca(name):
    d = TMP / name
    d.mkdir()
    os.chmod(d, 0o755)
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(d / "ca.key")])
    run(["openssl", "req", "-x509", "-new", "-key", str(d / "ca.key"), "-out", str(d / "ca.pem"),
         "-days", "3", "-subj", "/CN=posthaste tlsc test CA " + name])
    os.chmod(d / "ca.pem", 0o644)
    return d


def make_leaf(ca, label, cn, san):
    """key + chain for cn with the given subjectAltName, signed by ca."""
    key, csr, ext, leaf = (TMP / (label + s) for s in (".key", ".csr", ".ext", ".leaf"))
    chain = TMP / (label + ".pem")
    run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)])
    run(["openssl", "req", "-new", "-key", str(key), "-out", str(csr), "-subj", "/CN=" + cn])
    ext.write_text("subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" % san)
    run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca / "ca.pem"), "-CAkey", str(ca / "ca.key"),
         "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(leaf)])
    chain.write_bytes(leaf.read_bytes() + (ca / "ca.pem").read_bytes())
    return chain, key


class Fixtures:
    def __init__(self):
        self.ca = make_ca("ca")
        self.cafile = self.ca / "ca.pem"
        self.mx = make_leaf(self.ca, "mx", MX, "DNS:" + MX)
        self.wild = make_leaf(self.ca, "wild", "*.example.test", "DNS:*.example.test")
        self.ipcert = make_leaf(self.ca, "ip", "127.0.0.1", "IP:127.0.0.1")
        # the same name, but signed by a CA that tlsc is never told about
        other = make_ca("other")
        self.untrusted = make_leaf(other, "untrusted", MX, "DNS:" + MX)
        # a self-signed certificate, as smtpsink and many small servers have
        k, c = TMP / "self.key", TMP / "self.pem"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(k), "-out", str(c),
             "-days", "2", "-subj", "/CN=" + MX, "-addext", "subjectAltName=DNS:" + MX])
        self.selfsigned = (c, k)
        # the programs, where phremote can run them
        b = TMP / "bin"
        b.mkdir()
        for src in (BIN / "tlsc", DRIVER_SRC):
            shutil.copy(src, b / src.name)
            os.chmod(b / src.name, 0o755)
        self.tlsc = b / "tlsc"
        self.driver = b / DRIVER_SRC.name


F = None


# ------------------------------------------------------------ servers

class TLSServer:
    """One-connection TLS server on 127.0.0.1 in a thread. mode:
    "echo" (every byte back until EOF), "plain" (answers in clear text),
    "hang" (accepts, says nothing), "close" (handshake, then close_notify).
    Records the SNI the client sent, the handshake error, bytes seen."""

    def __init__(self, chain=None, mode="echo", minver=None, maxver=None, ciphers=None):
        self.mode = mode
        self.sni = "unset"
        self.error = None
        self.version = None
        self.received = 0
        self.done = threading.Event()
        self.ctx = None
        if chain:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(str(chain[0]), str(chain[1]))
            if ciphers:
                self.ctx.set_ciphers(ciphers)
            if minver:
                self.ctx.minimum_version = minver
            if maxver:
                self.ctx.maximum_version = maxver

            def on_sni(sock, name, ctx):
                self.sni = name
            self.ctx.sni_callback = on_sni
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        try:
            self.ls.settimeout(30)
            c, _ = self.ls.accept()
            c.settimeout(30)
            if self.mode == "plain":
                c.recv(4096)
                c.sendall(b"500 this is not TLS\r\n")
                time.sleep(0.5)
                c.close()
                return
            if self.mode == "hang":
                time.sleep(8)
                c.close()
                return
            try:
                t = self.ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.error = str(e)
                c.close()
                return
            self.version = t.version()
            if self.mode == "close":
                t.unwrap()
                t.close()
                return
            while True:
                try:
                    data = t.recv(65536)
                except (ssl.SSLError, OSError) as e:
                    self.error = "after handshake: %s" % e
                    break
                if not data:
                    break
                self.received += len(data)
                t.sendall(data)
            try:
                t.close()
            except OSError:
                pass
        finally:
            self.done.set()
            self.ls.close()


def driver(port, name, *opts, env=None, ip="127.0.0.1"):
    """The caller, as phremote: returns the Popen and its first line."""
    e = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "PH_TLSC": str(F.tlsc),
        "PH_TLS_CA_FILE": str(F.cafile),
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.Popen(["s6-setuidgid", "phremote", str(F.driver), "client", ip, str(port), name] + list(opts),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    line = p.stdout.readline().decode(errors="replace").strip()
    return p, line


def finish(p, timeout=20):
    p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait(timeout)
    sanitizer_clean(err)
    return rc, out, err


def sanitizer_clean(err):
    assert "Sanitizer" not in err and "runtime error" not in err, err[-3000:]


def field(line, key):
    m = re.search(r"\b%s=(<[^>]*>|\S*)" % key, line)
    assert m, "no %s in %r" % (key, line)
    v = m.group(1)
    return v[1:-1] if v.startswith("<") else v


def roundtrip(p, data=b"EHLO client.test\r\n"):
    p.stdin.write(data)
    p.stdin.flush()
    got = b""
    deadline = time.monotonic() + 10
    while len(got) < len(data) and time.monotonic() < deadline:
        chunk = p.stdout.read1(65536)
        if not chunk:
            break
        got += chunk
    return got


# ------------------------------------------------------------ cases

@case
def verified_session_and_sni():
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX)
    assert line.startswith("TLS ok "), line
    assert field(line, "verified") == "1" and field(line, "error") == "", line
    assert field(line, "proto") == "TLSv1.3" and field(line, "cn") == MX, line
    assert roundtrip(p) == b"EHLO client.test\r\n"
    rc, out, err = finish(p)
    assert rc == 0, (rc, err)
    assert s.sni == MX, s.sni
    assert re.search(r"tlsc: event=tls ip=127\.0\.0\.1 host=mx\.example\.test proto=TLSv1\.3 cipher=\S+ verified=yes cn=mx\.example\.test", err), err


@case
def name_is_lower_cased_trailing_dot_dropped():
    s = TLSServer(F.mx)
    p, line = driver(s.port, "MX.Example.TEST.")
    assert line.startswith("TLS ok ") and field(line, "verified") == "1", line
    finish(p)
    assert s.sni == MX, s.sni


@case
def wrong_name_is_encrypted_but_unverified():
    s = TLSServer(F.mx)
    p, line = driver(s.port, "other.example.test")
    assert line.startswith("TLS ok "), line
    assert field(line, "verified") == "0" and field(line, "error") == "hostname mismatch", line
    assert roundtrip(p, b"MAIL FROM:<>\r\n") == b"MAIL FROM:<>\r\n"
    rc, out, err = finish(p)
    assert rc == 0, (rc, err)
    assert 'verified=no verify_error="hostname mismatch"' in err, err


@case
def unknown_ca_is_unverified():
    s = TLSServer(F.untrusted)
    p, line = driver(s.port, MX)
    assert line.startswith("TLS ok ") and field(line, "verified") == "0", line
    # the chain ends in a root nobody told tlsc about
    assert field(line, "error") == "self-signed certificate in certificate chain", line
    finish(p)


@case
def self_signed_is_unverified():
    s = TLSServer(F.selfsigned)
    p, line = driver(s.port, MX)
    assert line.startswith("TLS ok ") and field(line, "verified") == "0", line
    assert field(line, "error") == "self-signed certificate", line
    assert roundtrip(p) == b"EHLO client.test\r\n"
    finish(p)


@case
def system_store_without_ca_file():
    # the test CA is in no system store: the chain cannot be verified
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX, env={"PH_TLS_CA_FILE": None})
    assert line.startswith("TLS ok ") and field(line, "verified") == "0", line
    assert field(line, "error") == "self-signed certificate in certificate chain", line
    finish(p)


@case
def ca_file_from_the_env_file():
    envfile = TMP / "mailserver.env"
    envfile.write_text("# tlsc reads its settings like every program\nPH_TLS_CA_FILE=%s\n" % F.cafile)
    os.chmod(envfile, 0o644)
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX, env={"PH_TLS_CA_FILE": None, "PH_ENVFILE": str(envfile)})
    assert line.startswith("TLS ok ") and field(line, "verified") == "1", line
    finish(p)


@case
def wildcard_matches_one_label_only():
    s = TLSServer(F.wild)
    p, line = driver(s.port, MX)
    assert field(line, "verified") == "1", line
    finish(p)
    s = TLSServer(F.wild)
    p, line = driver(s.port, "a.mx.example.test")
    assert field(line, "verified") == "0" and field(line, "error") == "hostname mismatch", line
    finish(p)
    s = TLSServer(F.wild)
    p, line = driver(s.port, "example.test")
    assert field(line, "verified") == "0", line
    finish(p)


@case
def address_literal_no_sni_ip_checked():
    s = TLSServer(F.ipcert)
    p, line = driver(s.port, "127.0.0.1")
    assert line.startswith("TLS ok ") and field(line, "verified") == "1", line
    finish(p)
    assert s.sni is None, s.sni     # RFC 6066 3: no address in SNI
    s = TLSServer(F.mx)
    p, line = driver(s.port, "127.0.0.1")
    assert field(line, "verified") == "0" and "mismatch" in field(line, "error"), line
    finish(p)


@case
def verify_required_refuses_before_any_data():
    for chain, name, why in ((F.mx, "other.example.test", "hostname mismatch"),
                             (F.selfsigned, MX, "self-signed certificate")):
        s = TLSServer(chain)
        p, line = driver(s.port, name, "verify")
        assert line == "TLS fail errno=EPERM error=<%s>" % why, line
        rc, out, err = finish(p)
        assert rc == 1
        s.done.wait(10)
        # the server hears why (an alert), and gets not a byte of data
        assert s.received == 0 and s.error and "alert" in s.error.lower(), s.error
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX, "verify")
    assert line.startswith("TLS ok ") and field(line, "verified") == "1", line
    finish(p)


@case
def tls12_server():
    s = TLSServer(F.mx, maxver=ssl.TLSVersion.TLSv1_2)
    p, line = driver(s.port, MX)
    assert field(line, "proto") == "TLSv1.2" and field(line, "verified") == "1", line
    cipher = field(line, "cipher")
    assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA" in cipher), line
    finish(p)


@case
def tls11_server_refused():
    try:
        s = TLSServer(F.mx, minver=ssl.TLSVersion.TLSv1, maxver=ssl.TLSVersion.TLSv1_1, ciphers="DEFAULT:@SECLEVEL=0")
    except ssl.SSLError as e:
        raise AssertionError("cannot make a TLS 1.1 server here: %s" % e)
    p, line = driver(s.port, MX)
    assert line.startswith("TLS fail errno=ECONNREFUSED"), line
    rc, out, err = finish(p)
    assert "event=tls_fail" in err, err


@case
def plaintext_server_fails_cleanly():
    s = TLSServer(None, mode="plain")
    p, line = driver(s.port, MX)
    assert line.startswith("TLS fail errno=ECONNREFUSED"), line
    rc, out, err = finish(p)
    assert rc == 1
    assert re.search(r"tlsc: event=tls_fail ip=127\.0\.0\.1 reason=", err), err


@case
def silent_server_times_out():
    s = TLSServer(None, mode="hang")
    t0 = time.monotonic()
    p, line = driver(s.port, MX, "deadline=1500")
    took = time.monotonic() - t0
    assert line.startswith("TLS fail errno=ETIMEDOUT"), line
    assert took < 4, took
    finish(p)


@case
def server_close_notify_ends_the_session():
    s = TLSServer(F.mx, mode="close")
    p, line = driver(s.port, MX)
    assert line.startswith("TLS ok "), line
    # the caller sees EOF on its read pipe, ends, and tlsc exits 0
    t0 = time.monotonic()
    rc = p.wait(10)
    assert rc == 0 and time.monotonic() - t0 < 5, rc


@case
def megabytes_both_ways():
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX)
    assert line.startswith("TLS ok "), line
    data = os.urandom(3 * 1024 * 1024 + 17)
    got = []

    def reader():
        n = 0
        while n < len(data):
            chunk = p.stdout.read1(1 << 20)
            if not chunk:
                break
            got.append(chunk)
            n += len(chunk)
    t = threading.Thread(target=reader)
    t.start()
    p.stdin.write(data)
    p.stdin.flush()
    t.join(60)
    assert b"".join(got) == data, "echo differs: %d of %d bytes" % (sum(map(len, got)), len(data))
    rc, out, err = finish(p)
    assert rc == 0, (rc, err)


@case
def quiet_logs_nothing():
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX, "quiet")
    assert line.startswith("TLS ok "), line
    rc, out, err = finish(p)
    assert "event=" not in err, err


@case
def broken_ca_file_is_a_local_error():
    s = TLSServer(F.mx)
    p, line = driver(s.port, MX, env={"PH_TLS_CA_FILE": str(TMP / "missing.pem")})
    assert line.startswith("TLS fail errno=EIO"), line
    rc, out, err = finish(p)
    assert "event=tls_config_error" in err and "CA file" in err, err


# ---- tlsc run directly, with the fds it expects

def tlsc_direct(args, port=None, user=True, fds=True):
    """Runs tlsc with 0/1 pipes, 3 a socketpair, 6 a TCP socket to port.
    Returns (rc, report bytes, stderr). Python's own fds are close-on-exec
    (PEP 446): only the four placed by setup() reach tlsc."""
    ctl_parent, ctl_child = socket.socketpair()
    up_r, up_w = os.pipe()
    down_r, down_w = os.pipe()
    sock = socket.create_connection(("127.0.0.1", port)) if port else socket.socket()
    fdmap = {0: up_r, 1: down_w, 3: ctl_child.fileno(), 6: sock.fileno()}

    def setup():
        tmp = {k: os.dup(v) for k, v in fdmap.items()}
        for k, v in tmp.items():
            os.dup2(v, k)
        for v in tmp.values():
            if v not in fdmap:
                os.close(v)
    argv = [str(F.tlsc)] + list(args)
    if user:
        argv = ["s6-setuidgid", "phremote"] + argv
    e = {"PATH": "/usr/bin:/bin", "PH_TLS_CA_FILE": str(F.cafile),
         "ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "halt_on_error=1"}
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=setup if fds else None, close_fds=False, env=e)
    ctl_child.close()
    for fd in (up_r, down_w):
        os.close(fd)
    sock.close()
    ctl_parent.settimeout(20)
    report = b""
    while True:
        b = ctl_parent.recv(4096)
        if not b:
            break
        report += b
    os.close(up_w)   # the caller is done: tlsc says goodbye
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait(20)
    sanitizer_clean(err)
    os.close(down_r)
    ctl_parent.close()
    return rc, report, err


@case
def report_bytes_exact():
    s = TLSServer(F.mx)
    rc, report, err = tlsc_direct(["-k", MX], s.port)
    assert rc == 0, (rc, err)
    recs = report.split(b"\0")
    assert recs[-1] == b"", report
    names = [r.split(b"=", 1)[0] for r in recs[:-1]]
    assert names == [b"SSL_PROTOCOL", b"SSL_CIPHER", b"SSL_VERIFIED", b"SSL_PEER_CN"], report
    assert recs[0] == b"SSL_PROTOCOL=TLSv1.3" and recs[2] == b"SSL_VERIFIED=1" and recs[3] == b"SSL_PEER_CN=" + MX.encode(), report
    s = TLSServer(F.mx)
    rc, report, err = tlsc_direct(["-k", "other.example.test"], s.port)
    assert b"\0SSL_VERIFIED=0\0SSL_VERIFY_ERROR=hostname mismatch\0" in report, report
    s = TLSServer(F.mx)
    rc, report, err = tlsc_direct(["-V", "-k", "other.example.test"], s.port)
    assert rc == 1 and report == b"SSL_VERIFY_ERROR=hostname mismatch\0", (rc, report)
    s = TLSServer(None, mode="plain")
    rc, report, err = tlsc_direct(["-k", MX], s.port)
    assert rc == 1 and report == b"", (rc, report)


@case
def refuses_root_and_drops_with_ids():
    s = TLSServer(F.mx)
    rc, report, err = tlsc_direct(["-k", MX], s.port, user=False)
    assert rc == 100 and "refusing to run as root" in err and report == b"", (rc, err)
    s.ls.close()
    u = pwd.getpwnam("phremote")
    s = TLSServer(F.mx)
    rc, report, err = tlsc_direct(["-u", str(u.pw_uid), "-g", str(u.pw_gid), "-k", MX], s.port, user=False)
    assert rc == 0 and b"SSL_VERIFIED=1" in report, (rc, report, err)


@case
def usage_errors():
    for args in (["-k", "bad_name.example"], ["-k", "a..b"], [], ["-k", MX, "extra"], ["-T", "0", "-k", MX],
                 ["-u", "991", "-k", MX]):
        rc, report, err = tlsc_direct(args, None)
        assert rc == 100 and report == b"", (args, rc, err)
    # fd 6 missing
    rc, report, err = tlsc_direct(["-k", MX], None, fds=False)
    assert rc == 100 and "missing fd" in err, (rc, err)


def main():
    global F
    missing = [p for p in (BIN / "tlsc", DRIVER_SRC) if not os.access(p, os.X_OK)]
    if missing or os.geteuid() != 0:
        caserun.setup_failed("need root and %s (make all unit)" % ", ".join(map(str, missing)))
    try:
        subprocess.run([str(TOP / "package" / "mkusers")], check=True)
        F = Fixtures()
    except Exception as e:  # noqa: BLE001
        caserun.setup_failed("%s: %s" % (type(e).__name__, e))
    passed, failed = caserun.run_cases(case, width=1500, full_traceback=True)
    caserun.finish(passed, failed, TMP, keep_on_failure=False)


if __name__ == "__main__":
    main()
