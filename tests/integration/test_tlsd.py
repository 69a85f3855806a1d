#!/usr/bin/python3
"""tlsd behind tcpd -R, without smtpd: the protocol program is
build/tests/test_ucspitls run as "app" (a line protocol over the real
common/ucspitls client code: STARTTLS, ECHO, ID, OPEN, BIG, QUIT), started
as phsmtpd through s6-setuidgid, or by tlsd -U itself; the engine (tlsd's
child, then tlsd-io once TLS is wanted) runs as phtls.

Certificates come from a private CA made with the openssl CLI: an RSA and
an ECDSA chain for mail.example.test (manual SSL_TYPE with SSL_ALT_*), an
ECDSA chain for other.example.test (SNI directory), letsencrypt layout
for the renewal case. Clients: python's ssl and openssl s_client.

The binaries come from $PH_TEST_BIN (e.g. build-asan/bin), default
build/bin; the app from the sibling tests/ directory. Every case prints
one PASS/FAIL line; the last line is "N passed, N failed".
"""

import os
import pathlib
import pwd
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import caserun  # noqa: E402

TOP = caserun.TOP
BIN = caserun.bin_dir()
APP_SRC = BIN.parent / "tests" / "test_ucspitls"
TMP = caserun.tmpdir("test_tlsd.")
FQDN = "mail.example.test"
OTHER = "other.example.test"

case = caserun.Cases()
free_port = caserun.free_port


def ids(user):
    p = pwd.getpwnam(user)
    return p.pw_uid, p.pw_gid


def gidlist(user):
    """GIDLIST as s6-envuidgid sets it: the supplementary groups, comma-separated."""
    p = pwd.getpwnam(user)
    return ",".join(str(g) for g in os.getgrouplist(user, p.pw_gid))


# ------------------------------------------------------------ fixtures

run = caserun.checked


def make_key(path, kind):
    if kind == "rsa":
        run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path)])
    else:
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path)])


def make_ca():
    d = TMP / "ca"
    d.mkdir()
    make_key(d / "ca.key", "ec")
    run(["openssl", "req", "-x509", "-new", "-key", str(d / "ca.key"), "-out", str(d / "ca.pem"),
         "-days", "3", "-subj", "/CN=posthaste test CA"])
    return d


def make_chain(ca, name, kind, keypath, chainpath):
    """A key and a chain (leaf + CA) for name, signed by the test CA."""
    csr = TMP / ("%s-%s.csr" % (name, kind))
    ext = TMP / ("%s-%s.ext" % (name, kind))
    make_key(keypath, kind)
    run(["openssl", "req", "-new", "-key", str(keypath), "-out", str(csr), "-subj", "/CN=" + name])
    ext.write_text("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" % name)
    leaf = TMP / ("%s-%s.leaf" % (name, kind))
    run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca / "ca.pem"), "-CAkey", str(ca / "ca.key"),
         "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(leaf)])
    chainpath.write_bytes(leaf.read_bytes() + (ca / "ca.pem").read_bytes())
    os.chmod(chainpath, 0o644)
    # keys: readable by phtls only (tlsd opens them as root anyway)
    tu, tg = ids("phtls")
    os.chown(keypath, tu, tg)
    os.chmod(keypath, 0o600)
    return leaf


def pem_to_der(path):
    text = pathlib.Path(path).read_text()
    first = text[:text.index("-----END CERTIFICATE-----") + 25]
    return ssl.PEM_cert_to_DER_cert(first)


class Fixtures:
    def __init__(self):
        self.ca = make_ca()
        c = TMP / "certs"
        c.mkdir()
        os.chmod(c, 0o755)
        self.rsa_key, self.rsa_chain = c / "rsa.key", c / "rsa.pem"
        self.ec_key, self.ec_chain = c / "ec.key", c / "ec.pem"
        make_chain(self.ca, FQDN, "rsa", self.rsa_key, self.rsa_chain)
        make_chain(self.ca, FQDN, "ec", self.ec_key, self.ec_chain)
        # the SNI directory (certbot's live/ layout)
        self.snidir = TMP / "live"
        for name in (OTHER,):
            d = self.snidir / name
            d.mkdir(parents=True)
            make_chain(self.ca, name, "ec", d / "privkey.pem", d / "fullchain.pem")
        (self.snidir / "README").write_text("certbot leaves this here\n")
        # a letsencrypt directory whose certificate the renewal case replaces
        self.ledir = TMP / "le"
        d = self.ledir / FQDN
        d.mkdir(parents=True)
        make_chain(self.ca, FQDN, "ec", d / "privkey.pem", d / "fullchain.pem")
        # the ticket key, as mailctl makes it
        self.ticketkey = TMP / "ticket.key"
        self.ticketkey.write_bytes(os.urandom(80))
        tu, tg = ids("phtls")
        os.chown(self.ticketkey, tu, tg)
        os.chmod(self.ticketkey, 0o600)
        # the programs, where every uid can run them
        b = TMP / "bin"
        b.mkdir()
        for src in (BIN / "tcpd", BIN / "tlsd", BIN / "tlsd-io", BIN / "mailctl", APP_SRC):
            if src.exists():
                shutil.copy(src, b / src.name)
                os.chmod(b / src.name, 0o755)
        self.bin = b


F = None


def ctx_client(verify=True, server_hostname=FQDN):
    ctx = ssl.create_default_context(cafile=str(F.ca / "ca.pem"))
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ------------------------------------------------------------ servers

class Server:
    """tcpd -R ... tlsd [opts] -- s6-setuidgid phsmtpd test_ucspitls app,
    or with appids: UID/GID/GIDLIST of phsmtpd (s6-envuidgid's) in the
    environment and tlsd -U -- test_ucspitls app."""

    count = 0

    def __init__(self, tlsd_args=(), env=None, implicit=False, appids=False):
        Server.count += 1
        self.port = free_port()
        self.logpath = TMP / ("server%d.log" % Server.count)
        tu, tg = ids("phtls")
        e = {
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "OVERRIDE_HOSTNAME": FQDN,
            "SSL_TYPE": "manual",
            "SSL_CERT_PATH": str(F.rsa_chain),
            "SSL_KEY_PATH": str(F.rsa_key),
            "SSL_ALT_CERT_PATH": str(F.ec_chain),
            "SSL_ALT_KEY_PATH": str(F.ec_key),
            "PH_TLS_CERT_DIR": str(F.snidir),
            "PH_TLS_TICKET_KEY": str(F.ticketkey),
            "TLS_UID": str(tu),
            "TLS_GID": str(tg),
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
            "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
        }
        if appids:
            su, sg = ids("phsmtpd")
            e.update({"UID": str(su), "GID": str(sg), "GIDLIST": gidlist("phsmtpd")})
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        rfd, wfd = os.pipe()
        app = ([] if appids else ["s6-setuidgid", "phsmtpd"]) + [str(F.bin / "test_ucspitls"), "app"]
        argv = [str(F.bin / "tcpd"), "-R", "-d", str(wfd), "127.0.0.1", str(self.port),
                str(F.bin / "tlsd")] + (["-i"] if implicit else []) + (["-U"] if appids else []) + \
               list(tlsd_args) + ["--"] + app
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=log, pass_fds=(wfd,), env=e, start_new_session=True)
        os.close(wfd)
        got = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not got.endswith(b"\n"):
            r, _, _ = select.select([rfd], [], [], 0.1)
            if r:
                chunk = os.read(rfd, 16)
                if not chunk:
                    break
                got += chunk
        os.close(rfd)
        if got != b"\n":
            raise AssertionError("tcpd not ready: %s" % self.log())

    def log(self):
        return self.logpath.read_text(errors="replace")

    def wait_log(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            time.sleep(0.02)
        raise AssertionError("%r not in log: %s" % (pattern, self.log()[-3000:]))

    def connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def stop(self):
        caserun.stop_server(self.proc, self.log)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


_servers = {}


def server(name, **kw):
    """One server per configuration, started on first use, stopped at exit."""
    if name not in _servers:
        _servers[name] = Server(**kw)
    return _servers[name]


def starttls_server():
    return server("starttls")


def implicit_server():
    return server("implicit", implicit=True)


# ------------------------------------------------------------ clients

class Lines:
    """Line reading on a plain or TLS socket, without reading ahead of
    what the caller asks (a plain socket is about to carry TLS)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self, timeout=10):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def send(self, data):
        self.sock.sendall(data)

    def ask(self, cmd):
        self.send(cmd + b"\r\n")
        return self.line()


def starttls(srv, hostname=FQDN, ctx=None, first=b"STARTTLS\r\n"):
    """Connects, asks for STARTTLS, handshakes; returns (tls socket, Lines, TLS report line)."""
    s = srv.connect()
    plain = Lines(s)
    ready = plain.line()
    assert ready == b"READY starttls\r\n", ready
    plain.send(first)
    go = plain.line()
    assert go == b"220 go\r\n", go
    assert not plain.buf, plain.buf
    t = (ctx or ctx_client()).wrap_socket(s, server_hostname=hostname, suppress_ragged_eofs=False)
    tl = Lines(t)
    report = tl.line()
    return t, tl, report


def implicit(srv, hostname=FQDN, ctx=None):
    s = srv.connect()
    t = (ctx or ctx_client()).wrap_socket(s, server_hostname=hostname, suppress_ragged_eofs=False)
    tl = Lines(t)
    return t, tl, tl.line()


def s_client(port, *args, data=b"QUIT\n", timeout=15):
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", str(F.ca / "ca.pem"),
            "-crlf", "-ign_eof"] + list(args)
    r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def handshake_ok(out):
    return re.search(r"^(New|Reused), TLSv1\.[23], Cipher is (?!\(NONE\))", out, re.M) is not None


def proc_status(pid):
    out = {}
    for line in pathlib.Path("/proc/%d/status" % pid).read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.split()
    return out


def children(pid):
    kids = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if proc_status(int(d.name)).get("PPid") == [str(pid)]:
                kids.append(int(d.name))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return kids


# ------------------------------------------------------------ cases

@case
def starttls_handshake_and_echo():
    t, tl, report = starttls(starttls_server())
    assert report.startswith(b"TLS proto=TLSv1.3 cipher=TLS_") and b" sni=mail.example.test discarded=0" in report, report
    assert t.version() == "TLSv1.3"
    assert tl.ask(b"ECHO hello") == b"ECHO hello\r\n"
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    # close_notify, not a bare EOF (suppress_ragged_eofs=False would raise)
    assert tl.line() == b""
    t.close()
    starttls_server().wait_log(r"tlsd: event=tls ip=127\.0\.0\.1 proto=TLSv1\.3 cipher=\S+ sni=mail\.example\.test resumed=no")


@case
def starttls_injection_discarded():
    srv = starttls_server()
    t, tl, report = starttls(srv, first=b"STARTTLS\r\nECHO injected\r\n")
    # the pipelined line was thrown away by ucspitls_start, never run inside TLS
    assert report.endswith(b" discarded=15\r\n"), report
    assert tl.ask(b"ECHO after") == b"ECHO after\r\n"
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    t.close()


@case
def starttls_injection_late_bytes_break_handshake():
    """Plaintext arriving after the app's buffer was emptied goes to the
    engine, where it is a handshake error, not a command."""
    srv = starttls_server()
    s = srv.connect()
    plain = Lines(s)
    assert plain.line() == b"READY starttls\r\n"
    plain.send(b"STARTTLS\r\n")
    assert plain.line() == b"220 go\r\n"
    plain.send(b"ECHO injected\r\n")
    s.settimeout(10)
    rest = b""
    while True:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        rest += chunk
    assert b"ECHO injected" not in rest, rest
    s.close()
    srv.wait_log(r"event=tls_fail ip=127\.0\.0\.1 reason=")


@case
def starttls_not_used():
    srv = starttls_server()
    s = srv.connect()
    plain = Lines(s)
    assert plain.line() == b"READY starttls\r\n"
    assert plain.ask(b"ECHO clear") == b"ECHO clear\r\n"
    assert plain.ask(b"QUIT") == b"BYE\r\n"
    # the engine goes away with the app: the connection closes
    assert plain.line(timeout=5) == b""
    s.close()


@case
def starttls_twice_refused():
    t, tl, report = starttls(starttls_server())
    assert tl.ask(b"STARTTLS") == b"454 TLS not available\r\n"
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    t.close()


@case
def implicit_tls_environment():
    t, tl, ready = implicit(implicit_server())
    assert re.match(rb"READY implicit proto=TLSv1\.3 cipher=TLS_\S+ sni=mail\.example\.test discarded=0\r\n$", ready), ready
    assert tl.ask(b"ECHO x") == b"ECHO x\r\n"
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    assert tl.line() == b""
    t.close()


@case
def tls12_and_tls13_accepted():
    port = implicit_server().port
    for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        rc, out = s_client(port, flag, "-servername", FQDN)
        assert rc == 0 and handshake_ok(out), out[-2000:]
        assert re.search(r"Protocol\s*: %s" % re.escape(name), out), out[-2000:]
        assert "READY implicit proto=%s" % name in out, out[-2000:]
        assert "Verify return code: 0 (ok)" in out, out[-2000:]


@case
def old_protocols_refused():
    srv = implicit_server()
    for flag in ("-tls1_1", "-tls1"):
        before = srv.log().count("unsupported protocol")
        rc, out = s_client(srv.port, flag, "-cipher", "DEFAULT@SECLEVEL=0")
        assert not handshake_ok(out), out[-2000:]
        srv.wait_log(r"(?s)" + r".*unsupported protocol" * (before + 1))
    # SSLv3: a hand-made ClientHello (record and client_version 3.0)
    body = b"\x03\x00" + os.urandom(32) + b"\x00" + b"\x00\x04\x00\x2f\x00\x0a" + b"\x01\x00"
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    rec = b"\x16\x03\x00" + len(hs).to_bytes(2, "big") + hs
    s = srv.connect()
    s.sendall(rec)
    s.settimeout(10)
    got = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    s.close()
    assert not got.startswith(b"\x16"), got[:20]  # no ServerHello; an alert at most


@case
def weak_ciphers_refused():
    port = implicit_server().port
    for cipher in ("AES128-SHA", "ECDHE-RSA-AES128-SHA", "DHE-RSA-AES128-GCM-SHA256", "RC4-SHA:RC4-MD5:DES-CBC3-SHA:@SECLEVEL=0"):
        rc, out = s_client(port, "-tls1_2", "-cipher", cipher)
        assert not handshake_ok(out), (cipher, out[-1500:])


@case
def intermediate_level_accepts_dhe():
    srv = server("intermediate", implicit=True, env={"TLS_LEVEL": "intermediate"})
    rc, out = s_client(srv.port, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")
    assert rc == 0 and handshake_ok(out) and "Cipher is DHE-RSA-AES128-GCM-SHA256" in out, out[-2000:]
    rc, out = s_client(srv.port, "-tls1_2", "-cipher", "AES128-SHA")
    assert not handshake_ok(out), out[-1500:]
    bad = server("badlevel", implicit=True, env={"TLS_LEVEL": "old"})
    rc, out = s_client(bad.port, "-tls1_3")
    assert not handshake_ok(out), out[-1500:]
    bad.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"TLS_LEVEL must be modern or intermediate\"")


@case
def server_cipher_preference():
    port = implicit_server().port
    rc, out = s_client(port, "-tls1_2", "-cipher",
                       "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
    assert rc == 0 and "Cipher is ECDHE-RSA-AES128-GCM-SHA256" in out, out[-2000:]


@case
def key_exchange_groups():
    """X25519, P-256 and P-384 first; X448 and P-521 for clients that
    offer nothing else (Postfix's and Dovecot's lists take them too);
    no finite-field group for ECDHE-only TLS 1.3."""
    port = implicit_server().port
    for proto in ("-tls1_3", "-tls1_2"):
        for group, shown in (("X25519", "X25519"), ("P-256", "prime256v1"), ("P-384", "secp384r1"),
                             ("X448", "X448"), ("P-521", "secp521r1")):
            rc, out = s_client(port, proto, "-groups", group)
            assert rc == 0 and handshake_ok(out), (proto, group, out[-1500:])
            assert re.search(r"(Server|Peer) Temp Key: [^\n]*%s" % shown, out), (proto, group, out[-1500:])
    # the server's preference when the client offers them all, worst first
    rc, out = s_client(port, "-tls1_2", "-groups", "P-521:X448:P-384:P-256:X25519")
    assert rc == 0 and re.search(r"Temp Key: X25519", out), out[-1500:]
    rc, out = s_client(port, "-tls1_3", "-groups", "ffdhe2048")
    assert not handshake_ok(out), out[-1500:]


@case
def alt_certificate_by_key_type():
    port = implicit_server().port
    for args, bits, sig in (
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"), 256, "ECDSA"),
        (("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"), 2048, "RSA"),
        (("-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256"), 256, "ECDSA"),
        (("-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"), 2048, "RSA"),
    ):
        rc, out = s_client(port, *args, "-servername", FQDN)
        assert rc == 0 and handshake_ok(out), (args, out[-2000:])
        assert "Server public key is %d bit" % bits in out, (args, out[-2000:])
        assert "Verify return code: 0 (ok)" in out, (args, out[-2000:])


@case
def sni_selects_certificate():
    srv = implicit_server()
    t, tl, ready = implicit(srv, hostname=OTHER)
    assert b" sni=other.example.test " in ready, ready
    assert t.getpeercert()["subject"] == ((("commonName", OTHER),),)
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    t.close()
    t, tl, ready = implicit(srv, hostname=FQDN)
    assert t.getpeercert()["subject"] == ((("commonName", FQDN),),)
    t.close()
    # a name without a directory gets the default certificate
    rc, out = s_client(srv.port, "-servername", "unknown.example.test")
    assert rc == 0 and handshake_ok(out) and "CN = mail.example.test" in out, out[-2000:]
    assert "sni=unknown.example.test" in out, out[-2000:]


@case
def sni_odd_names_not_trusted():
    srv = implicit_server()
    for name in ("..", "../live", "OTHER.example.test/../x", "a" * 70 + ".test"):
        rc, out = s_client(srv.port, "-servername", name)
        assert rc == 0 and handshake_ok(out) and "CN = mail.example.test" in out, (name, out[-2000:])
        m = re.search(r"READY implicit \S+ \S+ sni=(\S*) ", out)
        assert m and m.group(1) == "", (name, out[-2000:])
    # upper case is a host name all the same
    rc, out = s_client(srv.port, "-servername", "OTHER.Example.TEST")
    assert rc == 0 and "CN = other.example.test" in out and "sni=other.example.test" in out, out[-2000:]


@case
def renewed_certificate_served_without_restart():
    srv = server("letsencrypt", implicit=True,
                 env={"SSL_TYPE": "letsencrypt", "PH_TLS_CERT_DIR": str(F.ledir),
                      "SSL_CERT_PATH": None, "SSL_KEY_PATH": None,
                      "SSL_ALT_CERT_PATH": None, "SSL_ALT_KEY_PATH": None})
    d = F.ledir / FQDN
    t, tl, ready = implicit(srv)
    first = t.getpeercert(binary_form=True)
    t.close()
    assert first == pem_to_der(d / "fullchain.pem")
    # certbot renews: new files, swapped in by rename
    make_chain(F.ca, FQDN, "ec", d / "privkey.new", d / "fullchain.new")
    os.rename(d / "privkey.new", d / "privkey.pem")
    os.rename(d / "fullchain.new", d / "fullchain.pem")
    t, tl, ready = implicit(srv)
    second = t.getpeercert(binary_form=True)
    t.close()
    assert second != first and second == pem_to_der(d / "fullchain.pem")
    # the bare domain (DMS's fallback) is not needed here; a missing
    # directory for the host name is a configuration error
    bad = server("letsencrypt-missing", implicit=True,
                 env={"SSL_TYPE": "letsencrypt", "PH_TLS_CERT_DIR": str(TMP / "nothing"),
                      "OVERRIDE_HOSTNAME": "mx.example.test"})
    s = bad.connect()
    s.settimeout(10)
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    assert got == b""
    s.close()
    bad.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"no letsencrypt directory")


@case
def letsencrypt_bare_domain_fallback():
    """docker-mailserver tries the host name, then the bare domain."""
    le = TMP / "le-bare"
    (le / "example.test").mkdir(parents=True)
    make_chain(F.ca, "example.test", "ec", le / "example.test" / "privkey.pem", le / "example.test" / "fullchain.pem")
    srv = server("letsencrypt-bare", implicit=True,
                 env={"SSL_TYPE": "letsencrypt", "PH_TLS_CERT_DIR": str(le), "OVERRIDE_HOSTNAME": "mx.example.test"})
    t, tl, ready = implicit(srv, hostname="example.test")
    assert t.getpeercert(binary_form=True) == pem_to_der(le / "example.test" / "fullchain.pem")
    t.close()


@case
def session_resumption_across_connections():
    srv = implicit_server()
    for flag in ("-tls1_3", "-tls1_2"):
        sess = TMP / ("sess%s" % flag)
        rc, out = s_client(srv.port, flag, "-sess_out", str(sess))
        assert rc == 0 and re.search(r"^New, TLSv1\.", out, re.M), out[-2000:]
        assert sess.exists() and sess.stat().st_size > 0
        rc, out = s_client(srv.port, flag, "-sess_in", str(sess))
        assert rc == 0 and re.search(r"^Reused, TLSv1\.", out, re.M), out[-2000:]
    srv.wait_log(r"event=tls ip=127\.0\.0\.1 proto=TLSv1\.2 \S+ sni=\S* resumed=yes")
    srv.wait_log(r"event=tls ip=127\.0\.0\.1 proto=TLSv1\.3 \S+ sni=\S* resumed=yes")
    # without a ticket key, no resumption (and no useless tickets)
    nokey = server("noticket", implicit=True, env={"PH_TLS_TICKET_KEY": str(TMP / "no-such-key")})
    sess = TMP / "sess-nokey"
    for flag in ("-tls1_3", "-tls1_2"):
        rc, out = s_client(nokey.port, flag, "-sess_out", str(sess))
        assert rc == 0 and handshake_ok(out)
        # s_client writes no file when the server offered nothing to resume
        assert not sess.exists() or sess.stat().st_size == 0 or \
            re.search(r"^New, ", s_client(nokey.port, flag, "-sess_in", str(sess))[1], re.M)
    nokey.wait_log(r"event=tls ip=127\.0\.0\.1 proto=TLSv1\.2 ")
    assert "resumed=yes" not in nokey.log()


@case
def ticket_key_readable_by_others_ignored():
    key = TMP / "ticket-open.key"
    key.write_bytes(os.urandom(80))
    os.chmod(key, 0o644)
    srv = server("openticket", implicit=True, env={"PH_TLS_TICKET_KEY": str(key)})
    rc, out = s_client(srv.port, "-tls1_3")
    assert rc == 0 and handshake_ok(out), out[-2000:]
    srv.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"the ticket key must not be readable by group or others\"")


@case
def handshake_garbage_clean_exit():
    srv = implicit_server()
    s = srv.connect()
    s.sendall(b"EHLO garbage\r\n" * 10)
    s.settimeout(10)
    t0 = time.monotonic()
    try:
        got = s.recv(4096)
    except ConnectionResetError:
        got = b""
    assert not got.startswith(b"\x16") and b"READY" not in got, got
    assert time.monotonic() - t0 < 5
    s.close()
    srv.wait_log(r"event=tls_fail ip=127\.0\.0\.1 reason=")
    srv.wait_log(r"event=end ip=127\.0\.0\.1 pid=\d+ status=1")


@case
def handshake_deadline():
    srv = server("deadline", implicit=True, tlsd_args=("-T", "2"))
    s = srv.connect()
    s.sendall(b"\x16\x03\x01\x02\x00")  # the start of a record, then nothing
    s.settimeout(15)
    t0 = time.monotonic()
    try:
        got = s.recv(4096)
    except ConnectionResetError:
        got = b""
    took = time.monotonic() - t0
    s.close()
    assert got == b"" and 1.5 < took < 10, (got, took)
    srv.wait_log(r"event=tls_fail ip=127\.0\.0\.1 reason=\"handshake timed out\"")
    srv.wait_log(r"event=end ip=127\.0\.0\.1 pid=\d+ status=99")


@case
def privileges_and_key_isolation():
    srv = starttls_server()
    t, tl, report = starttls(srv)
    m = re.match(rb"ID pid=(\d+) uid=(\d+)\r\n$", tl.ask(b"ID"))
    assert m, m
    app_pid, app_uid = int(m.group(1)), int(m.group(2))
    su, sg = ids("phsmtpd")
    tu, tg = ids("phtls")
    st = proc_status(app_pid)
    assert app_uid == su and st["Uid"] == [str(su)] * 4 and st["Gid"] == [str(sg)] * 4, st["Uid"]
    engines = children(app_pid)
    assert len(engines) == 1, engines
    est = proc_status(engines[0])
    assert est["Uid"] == [str(tu)] * 4 and est["Gid"] == [str(tg)] * 4, est["Uid"]
    assert est["Groups"] == [str(tg)], est["Groups"]
    # the key files: phtls only; the app cannot open them
    for key in (F.rsa_key, F.ec_key, F.snidir / OTHER / "privkey.pem", F.ticketkey):
        stt = os.stat(key)
        assert stt.st_uid == tu and stt.st_mode & 0o777 == 0o600, (key, oct(stt.st_mode))
        assert tl.ask(b"OPEN " + str(key).encode()) == b"OPEN 13\r\n"  # EACCES
    # the app's environment (as exec'd) holds no TLS settings of tlsd's
    env = pathlib.Path("/proc/%d/environ" % app_pid).read_bytes().split(b"\0")
    names = {e.split(b"=", 1)[0] for e in env if e}
    assert not names & {b"TLS_UID", b"TLS_GID", b"PH_TLS_TICKET_KEY"}, names
    assert {b"SSLCTLFD", b"SSLREADFD", b"SSLWRITEFD"} <= names, names
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    t.close()


@case
def big_transfers_both_ways():
    srv = starttls_server()
    t, tl, report = starttls(srv)
    n = 3 * 1000 * 1000
    t.settimeout(30)
    tl.send(b"BIG %d\r\n" % n)
    line = tl.line(timeout=30)
    assert line == b"x" * n + b"\r\n", len(line)
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    t.close()
    # upload and download at once (s_client relays both ways with select):
    # 3000 lines of 1000 bytes echoed back, then 2 MB more
    lines = [b"ECHO " + (b"%04d" % i) * 249 for i in range(3000)]
    data = b"\n".join(lines) + b"\nBIG 2000000\nQUIT\n"
    rc, out = s_client(implicit_server().port, "-quiet", data=data, timeout=60)
    got = out.encode().split(b"\r\n")
    echoes = [ln for ln in got if ln.startswith(b"ECHO ")]
    assert echoes == lines, (len(echoes), len(lines))
    assert b"x" * 2000000 in got and got[-2:] == [b"BYE", b""], got[-3:]


@case
def config_error_starttls_not_offered():
    srv = server("brokenstarttls", env={"SSL_KEY_PATH": str(TMP / "missing.key")})
    s = srv.connect()
    plain = Lines(s)
    assert plain.line() == b"READY plain\r\n"
    assert plain.ask(b"STARTTLS") == b"454 TLS not available\r\n"
    assert plain.ask(b"ECHO still here") == b"ECHO still here\r\n"
    assert plain.ask(b"QUIT") == b"BYE\r\n"
    s.close()
    srv.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"unable to open the certificate or key\" file=\S+ error=\"No such file or directory\"")
    # no SSL_TYPE at all: no TLS, as in docker-mailserver
    notype = server("notype", env={"SSL_TYPE": None})
    s = notype.connect()
    assert Lines(s).line() == b"READY plain\r\n"
    s.close()
    notype.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"SSL_TYPE is not set")


@case
def config_error_mismatched_key():
    srv = server("mismatch", implicit=True, env={"SSL_KEY_PATH": str(F.ec_key), "SSL_ALT_CERT_PATH": None, "SSL_ALT_KEY_PATH": None})
    s = srv.connect()
    s.settimeout(10)
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    assert got == b""
    s.close()
    srv.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"certificate and key do not go together\"")


@case
def mailctl_selfsigned_and_ticketkey():
    conf = TMP / "conf"
    (conf).mkdir()
    os.chmod(conf, 0o755)
    state = TMP / "state"
    state.mkdir()
    env = dict(os.environ, PH_CONFIG_DIR=str(conf), PH_CDB_DIR=str(TMP), PH_STATE=str(state),
               OVERRIDE_HOSTNAME="Mail.Example.Test")
    env.pop("PH_TLS_TICKET_KEY", None)
    env.pop("PH_ENVFILE", None)
    mc = [str(F.bin / "mailctl"), "tls"]
    run(mc + ["selfsigned"], env=env)
    run(mc + ["ticketkey"], env=env)
    cert, key = conf / "ssl" / "mail.example.test-cert.pem", conf / "ssl" / "mail.example.test-key.pem"
    ca, tk = conf / "ssl" / "demoCA" / "cacert.pem", state / "tls" / "ticket.key"
    tu, tg = ids("phtls")
    for path, mode, uid in ((cert, 0o644, 0), (ca, 0o644, 0), (key, 0o600, tu), (tk, 0o600, tu)):
        st = os.stat(path)
        assert st.st_mode & 0o7777 == mode and st.st_uid == uid, (path, oct(st.st_mode), st.st_uid)
    assert tk.stat().st_size == 80 and cert.read_bytes() == ca.read_bytes()
    text = run(["openssl", "x509", "-in", str(cert), "-noout", "-text"]).stdout.decode()
    assert "DNS:mail.example.test" in text and "Public-Key: (256 bit)" in text and "CA:FALSE" in text, text
    # kept at the next start, replaced with -f
    before = (cert.read_bytes(), key.stat().st_ino, tk.read_bytes())
    run(mc + ["selfsigned"], env=env)
    run(mc + ["ticketkey"], env=env)
    assert (cert.read_bytes(), key.stat().st_ino, tk.read_bytes()) == before
    run(mc + ["selfsigned", "-f", "-k", "rsa"], env=env)
    run(mc + ["ticketkey", "-f"], env=env)
    assert cert.read_bytes() != before[0] and tk.read_bytes() != before[2]
    assert "Public-Key: (2048 bit)" in run(["openssl", "x509", "-in", str(cert), "-noout", "-text"]).stdout.decode()
    r = subprocess.run(mc + ["selfsigned", "../evil"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 100, r
    # tlsd serves them (SSL_TYPE=self-signed), a client trusting cacert.pem verifies,
    # and the ticket key made by mailctl resumes sessions
    srv = server("selfsigned", implicit=True,
                 env={"SSL_TYPE": "self-signed", "PH_CONFIG_DIR": str(conf), "PH_STATE": str(state),
                      "PH_TLS_TICKET_KEY": None, "PH_TLS_CERT_DIR": None,
                      "SSL_CERT_PATH": None, "SSL_KEY_PATH": None,
                      "SSL_ALT_CERT_PATH": None, "SSL_ALT_KEY_PATH": None})
    ctx = ssl.create_default_context(cafile=str(ca))
    if hasattr(ssl, "VERIFY_X509_STRICT"):
        ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    t, tl, ready = implicit(srv, ctx=ctx)
    assert ready.startswith(b"READY implicit proto=TLSv1.3"), ready
    assert t.getpeercert(binary_form=True) == pem_to_der(cert)
    t.close()
    sess = TMP / "sess-selfsigned"
    rc, out = s_client(srv.port, "-tls1_3", "-CAfile", str(ca), "-sess_out", str(sess))
    assert rc == 0 and "Verify return code: 0 (ok)" in out, out[-2000:]
    rc, out = s_client(srv.port, "-tls1_3", "-CAfile", str(ca), "-sess_in", str(sess))
    assert rc == 0 and re.search(r"^Reused, TLSv1\.3", out, re.M), out[-2000:]


@case
def refuses_to_run_engine_as_root():
    e = dict(os.environ)
    e.pop("TLS_UID", None)
    e.pop("TLS_GID", None)
    r = subprocess.run([str(F.bin / "tlsd"), "--", "/bin/true"], env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=10)
    assert r.returncode == 100 and b"refusing to run the TLS engine as root" in r.stderr, r
    r = subprocess.run([str(F.bin / "tlsd"), "-u", "0", "-g", "0", "--", "/bin/true"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=10)
    assert r.returncode == 100, r


def engine_of(app_pid):
    engines = children(app_pid)
    assert len(engines) == 1, engines
    pid = engines[0]
    return pid, os.readlink("/proc/%d/exe" % pid), pathlib.Path("/proc/%d/maps" % pid).read_text()


@case
def openssl_loaded_only_at_starttls():
    """Before STARTTLS the engine is tlsd's child, as phtls, without
    OpenSSL in its address space; at STARTTLS it becomes tlsd-io."""
    srv = starttls_server()
    s = srv.connect()
    plain = Lines(s)
    assert plain.line() == b"READY starttls\r\n"
    m = re.match(rb"ID pid=(\d+) uid=\d+\r\n$", plain.ask(b"ID"))
    assert m, m
    app_pid = int(m.group(1))
    pid, exe, maps = engine_of(app_pid)
    assert os.path.basename(exe) == "tlsd", exe
    assert "libssl" not in maps and "libcrypto" not in maps, maps
    tu, tg = ids("phtls")
    assert proc_status(pid)["Uid"] == [str(tu)] * 4, proc_status(pid)["Uid"]
    # the files are open (a renewed certificate is the next connection's)
    fds = [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid)]
    assert str(F.rsa_key) in fds and str(F.ec_key) in fds and str(F.ticketkey) in fds, fds
    plain.send(b"STARTTLS\r\n")
    assert plain.line() == b"220 go\r\n"
    t = ctx_client().wrap_socket(s, server_hostname=FQDN, suppress_ragged_eofs=False)
    tl = Lines(t)
    assert tl.line().startswith(b"TLS proto=TLSv1.3 ")
    pid2, exe, maps = engine_of(app_pid)
    assert pid2 == pid and os.path.basename(exe) == "tlsd-io", exe
    assert "libssl" in maps, maps
    st = proc_status(pid)
    assert st["Uid"] == [str(tu)] * 4 and st["Gid"] == [str(tg)] * 4 and st["Groups"] == [str(tg)], st
    # the key files were handed over open; the SNI ones are closed after the handshake
    fds = [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid)]
    assert not any(f.startswith(str(F.snidir)) for f in fds), fds
    assert tl.ask(b"QUIT") == b"BYE\r\n"
    t.close()


@case
def app_ids_applied_by_tlsd():
    """tlsd -U: the app runs as UID/GID/GIDLIST (s6-envuidgid's), without
    s6-setuidgid, and does not see those variables."""
    su, sg = ids("phsmtpd")
    want_groups = sorted(gidlist("phsmtpd").split(","))
    for imp in (False, True):
        srv = server("appids-%s" % imp, implicit=imp, appids=True)
        if imp:
            t, tl, ready = implicit(srv)
            assert ready.startswith(b"READY implicit proto=TLSv1.3"), ready
        else:
            t, tl, report = starttls(srv)
            assert report.startswith(b"TLS proto=TLSv1.3"), report
        m = re.match(rb"ID pid=(\d+) uid=(\d+)\r\n$", tl.ask(b"ID"))
        assert m and int(m.group(2)) == su, m
        app_pid = int(m.group(1))
        st = proc_status(app_pid)
        assert st["Uid"] == [str(su)] * 4 and st["Gid"] == [str(sg)] * 4, st
        assert sorted(st["Groups"]) == want_groups, (st["Groups"], want_groups)
        env = pathlib.Path("/proc/%d/environ" % app_pid).read_bytes().split(b"\0")
        names = {e.split(b"=", 1)[0] for e in env if e}
        assert not names & {b"UID", b"GID", b"GIDLIST", b"TLS_UID", b"TLS_GID"}, names
        assert tl.ask(b"OPEN " + str(F.rsa_key).encode()) == b"OPEN 13\r\n"
        assert tl.ask(b"QUIT") == b"BYE\r\n"
        t.close()
    # without a certificate the app still runs, as the same ids
    srv = server("appids-notls", appids=True, env={"SSL_TYPE": None})
    s = srv.connect()
    plain = Lines(s)
    assert plain.line() == b"READY plain\r\n"
    assert re.match(rb"ID pid=\d+ uid=%d\r\n$" % su, plain.ask(b"ID"))
    s.close()


@case
def app_ids_refused_when_bad():
    e = dict(os.environ)
    tu, tg = ids("phtls")
    su, sg = ids("phsmtpd")
    e.update({"TLS_UID": str(tu), "TLS_GID": str(tg)})
    for k in ("UID", "GID", "GIDLIST"):
        e.pop(k, None)
    cases = (
        ({}, b"UID"),
        ({"UID": str(su), "GID": str(sg)}, b"GIDLIST"),
        ({"UID": "x", "GID": str(sg), "GIDLIST": ""}, b"UID"),
        ({"UID": str(su), "GID": str(sg), "GIDLIST": "1,x"}, b"GIDLIST"),
        ({"UID": "0", "GID": str(sg), "GIDLIST": ""}, b"refusing to run the program as uid or gid 0"),
        ({"UID": str(su), "GID": "0", "GIDLIST": ""}, b"refusing to run the program as uid or gid 0"),
    )
    for extra, why in cases:
        env = dict(e, **extra)
        r = subprocess.run([str(F.bin / "tlsd"), "-U", "--", "/bin/true"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=10)
        assert r.returncode == 100 and why in r.stderr, (extra, r)


@case
def starttls_unparsable_files_not_offered():
    """What can be seen without OpenSSL keeps STARTTLS off: a key file
    with no PEM key in it, a certificate file with no certificate."""
    junk = TMP / "junk.pem"
    junk.write_text("not a key\n")
    tu, tg = ids("phtls")
    os.chown(junk, tu, tg)
    os.chmod(junk, 0o600)
    for name, env, reason in (
        ("junkkey", {"SSL_KEY_PATH": str(junk)}, "no PEM private key in the key file"),
        ("junkcert", {"SSL_CERT_PATH": str(junk)}, "no PEM certificate in the certificate file"),
        ("keyascert", {"SSL_ALT_CERT_PATH": str(F.ec_key)}, "no PEM certificate in the certificate file"),
    ):
        srv = server(name, env=env)
        s = srv.connect()
        plain = Lines(s)
        assert plain.line() == b"READY plain\r\n", name
        assert plain.ask(b"STARTTLS") == b"454 TLS not available\r\n"
        assert plain.ask(b"QUIT") == b"BYE\r\n"
        s.close()
        srv.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"%s\"" % reason)


@case
def starttls_mismatched_key_found_at_starttls():
    """A key that does not go with its certificate needs OpenSSL to be
    seen: STARTTLS is offered, and at STARTTLS the engine logs the error
    and closes; the app ends the session (the client then retries in
    clear, RFC 3207 practice)."""
    srv = server("mismatch-starttls", env={"SSL_KEY_PATH": str(F.ec_key), "SSL_ALT_CERT_PATH": None, "SSL_ALT_KEY_PATH": None})
    s = srv.connect()
    plain = Lines(s)
    assert plain.line() == b"READY starttls\r\n"
    plain.send(b"STARTTLS\r\n")
    assert plain.line() == b"220 go\r\n"
    try:
        ctx_client().wrap_socket(s, server_hostname=FQDN)
        raise AssertionError("handshake succeeded")
    except (ssl.SSLError, ConnectionResetError, OSError):
        pass
    s.close()
    srv.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"certificate and key do not go together\"")


@case
def engine_missing_starttls_not_offered():
    """tlsd without tlsd-io beside it: no STARTTLS, logged."""
    d = TMP / "noengine"
    d.mkdir()
    for name in ("tcpd", "tlsd", "test_ucspitls"):
        shutil.copy(F.bin / name, d / name)
    os.chmod(d, 0o755)
    global_bin = F.bin
    F.bin = d
    try:
        srv = server("noengine")
    finally:
        F.bin = global_bin
    s = srv.connect()
    assert Lines(s).line() == b"READY plain\r\n"
    s.close()
    srv.wait_log(r"event=tls_config_error ip=127\.0\.0\.1 reason=\"unable to find the TLS engine\" file=\S+/noengine/tlsd-io error=")


@case
def engine_refuses_root():
    r = subprocess.run([str(F.bin / "tlsd-io"), "-v", "1", "-T", "5", "-t", "5", "-c", "0,1,2", "-p", "0,1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=10)
    assert r.returncode == 100 and b"refusing to run the TLS engine as root" in r.stderr, r
    r = subprocess.run([str(F.bin / "tlsd-io"), "-c", "0,1"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=10)
    assert r.returncode == 100, r


# ------------------------------------------------------------ main

def main():
    global F
    missing = [p for p in (BIN / "tcpd", BIN / "tlsd", BIN / "tlsd-io", APP_SRC) if not os.access(p, os.X_OK)]
    if missing or os.geteuid() != 0:
        caserun.setup_failed("need root and %s (make all unit)" % ", ".join(map(str, missing)))
    try:
        subprocess.run([str(TOP / "package" / "mkusers")], check=True)
        F = Fixtures()
    except Exception as e:  # noqa: BLE001
        caserun.setup_failed("%s: %s" % (type(e).__name__, e))
    passed, failed = caserun.run_cases(case)
    for name, srv in _servers.items():
        try:
            srv.stop()
        except AssertionError as e:
            failed += 1
            print("FAIL sanitizer_%s: %s" % (name, str(e)[:800]), flush=True)
    caserun.finish(passed, failed, TMP)


if __name__ == "__main__":
    main()
