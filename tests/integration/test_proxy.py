#!/usr/bin/python3
"""tcpd's PROXY protocol (haproxy's proxy-protocol.txt, v1 and v2), run
directly: tcpd -p lists the proxies allowed to send the header; then the
handler's TCPREMOTEIP/TCPREMOTEPORT, tcpd's logged ip=, bans, access
rules and the rate and per-address limits are the real client's; the
client's own bytes after the header reach the handler untouched; a bad
header, EOF or a silent proxy (-P) is closed; the header from an address
not in the list is not believed (it reaches the handler as data)."""

import os
import pathlib
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caserun  # noqa: E402
import test_tcpd  # noqa: E402  (its Tcpd runner and helpers)
from test_tcpd import Tcpd, make_cdb, read_all, sh  # noqa: E402

case = caserun.Cases()
PROXY = "127.0.0.2"      # the trusted proxy (a loopback alias)
SCRIPT = 'echo "ip=$TCPREMOTEIP port=$TCPREMOTEPORT proxy=$TCPPROXYIP"; read l; echo "got=$l"'
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(src, dst, sport, dport, six=False, cmd=0x21, tlv=b""):
    fam = 0x21 if six else 0x11
    if six:
        addr = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    else:
        addr = socket.inet_aton(src) + socket.inet_aton(dst)
    body = addr + struct.pack("!HH", sport, dport) + tlv
    return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body


def talk(t, data, source=PROXY, pieces=1):
    c = t.connect(source=source)
    step = max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        c.sendall(data[i:i + step])
        if pieces > 1:
            time.sleep(0.1)
    try:
        out = read_all(c)
    except ConnectionResetError:
        out = b""   # closed with our bytes unread: a reset
    c.close()
    return out.decode(errors="replace")


@case
def v1_from_trusted_proxy():
    with Tcpd(["-p", PROXY], sh(SCRIPT)) as t:
        out = talk(t, b"PROXY TCP4 192.0.2.10 127.0.0.1 40000 25\r\nHELLO\r\n")
        assert out == "ip=192.0.2.10 port=40000 proxy=%s\ngot=HELLO\r\n" % PROXY, out
        t.wait_log("event=proxy ip=192.0.2.10 port=40000 proxy=%s version=1" % PROXY)
        t.wait_log("event=connect ip=192.0.2.10 port=40000")
        out = talk(t, b"PROXY TCP6 2001:db8::7 2001:db8::1 1234 587\r\nX\r\n")
        assert out.startswith("ip=2001:db8::7 port=1234 proxy=%s\n" % PROXY), out
        # UNKNOWN: the proxy's own connection (health checks)
        out = talk(t, b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nY\r\n")
        assert out.startswith("ip=%s " % PROXY) and out.endswith("got=Y\r\n"), out


@case
def v2_from_trusted_proxy_in_pieces():
    with Tcpd(["-p", "127.0.0.0/30"], sh(SCRIPT)) as t:
        hdr = v2("198.51.100.4", "127.0.0.1", 5555, 25, tlv=b"\x04\x00\x03abc")
        out = talk(t, hdr + b"EHLO x\r\n", pieces=4)
        assert out == "ip=198.51.100.4 port=5555 proxy=%s\ngot=EHLO x\r\n" % PROXY, out
        out = talk(t, v2("2001:db8:1::9", "2001:db8::1", 65535, 993, six=True) + b"A\n")
        assert out.startswith("ip=2001:db8:1::9 port=65535 "), out
        # LOCAL: no client address
        out = talk(t, v2("203.0.113.1", "127.0.0.1", 1, 2, cmd=0x20) + b"B\n")
        assert out.startswith("ip=%s " % PROXY), out
        t.wait_log("version=2 local=yes")


@case
def unknown_and_local_headers_marked():
    # LOCAL / UNKNOWN leave the balancer's own address in TCPREMOTEIP:
    # TCPPROXYLOCAL=1 says no client was named; never left over from
    # tcpd's own environment
    script = 'echo "ip=$TCPREMOTEIP local=$TCPPROXYLOCAL"; read l'
    with Tcpd(["-p", PROXY], sh(script), env={"TCPPROXYLOCAL": "stale"}) as t:
        out = talk(t, b"PROXY UNKNOWN\r\nY\r\n")
        assert out == "ip=%s local=1\n" % PROXY, out
        out = talk(t, v2("203.0.113.1", "127.0.0.1", 1, 2, cmd=0x20) + b"B\n")
        assert out == "ip=%s local=1\n" % PROXY, out
        out = talk(t, b"PROXY TCP4 192.0.2.10 127.0.0.1 40000 25\r\nHELLO\r\n")
        assert out == "ip=192.0.2.10 local=\n", out
        out = talk(t, b"X\r\n", source="127.0.0.1")
        assert out == "ip=127.0.0.1 local=\n", out


def handler_output(prog, data, local, env=None, as_nobody=False):
    e = {"PATH": "/usr/bin:/bin", "PH_RUN_DIR": str(test_tcpd.TMP), "TCPREMOTEIP": "127.0.0.1",
         "TCPPROXYIP": "127.0.0.1"}
    if local:
        e["TCPPROXYLOCAL"] = "1"
    e.update(env or {})
    argv = [str(pathlib.Path(test_tcpd.TCPD).parent / prog)]
    if as_nobody:
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + argv
    r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e, timeout=20)
    return r.stdout.decode(errors="replace")


@case
def balancer_on_loopback_is_no_local_client():
    # a loopback balancer's LOCAL/UNKNOWN connection gets none of the
    # plaintext logins meant for clients on this host
    out = handler_output("imapd", b"a CAPABILITY\r\na LOGOUT\r\n", local=False)
    assert "AUTH=PLAIN" in out and "LOGINDISABLED" not in out, out
    out = handler_output("imapd", b"a CAPABILITY\r\na LOGOUT\r\n", local=True)
    assert "LOGINDISABLED" in out and "AUTH=PLAIN" not in out, out
    out = handler_output("pop3d", b"CAPA\r\nQUIT\r\n", local=False)
    assert "\r\nUSER\r\n" in out, out
    out = handler_output("pop3d", b"CAPA\r\nQUIT\r\n", local=True)
    assert "+OK Capability" in out and "\r\nUSER\r\n" not in out, out
    sub = {"PH_SUBMISSION_PLAINTEXT_LOOPBACK": "1"}
    out = handler_output("submitd", b"EHLO x\r\nQUIT\r\n", local=False, env=sub, as_nobody=True)
    assert "250-AUTH PLAIN LOGIN" in out, out
    out = handler_output("submitd", b"EHLO x\r\nQUIT\r\n", local=True, env=sub, as_nobody=True)
    assert "250 " in out and "AUTH" not in out, out


@case
def header_from_untrusted_address_not_believed():
    with Tcpd(["-p", PROXY], sh(SCRIPT)) as t:
        out = talk(t, b"PROXY TCP4 192.0.2.10 127.0.0.1 40000 25\r\n", source="127.0.0.1")
        assert out == "ip=127.0.0.1 port=%s proxy=\ngot=PROXY TCP4 192.0.2.10 127.0.0.1 40000 25\r\n" % out.split("port=")[1].split()[0], out
        assert "event=proxy " not in t.log()


@case
def bad_headers_closed():
    with Tcpd(["-p", PROXY, "-P", "1"], sh(SCRIPT)) as t:
        for bad in (b"GET / HTTP/1.0\r\n\r\n",
                    b"PROXY TCP4 300.0.0.1 127.0.0.1 1 2\r\n",
                    b"PROXY TCP4 192.0.2.1 127.0.0.1 1 65536\r\n",
                    b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\n",
                    b"PROXY TCP9 a b 1 2\r\n",
                    b"PROXY " + b"A" * 120 + b"\r\n",
                    SIG + b"\x31\x11\x00\x0c" + b"\0" * 12,
                    SIG + b"\x21\x11\xff\xff"):
            out = talk(t, bad)
            assert out == "", (bad, out)
        t.wait_log("reason=bad_header")
        # silent proxy: dropped after -P seconds, never spawned
        c = t.connect(source=PROXY)
        t0 = time.monotonic()
        assert read_all(c, timeout=5) == b""
        assert 0.5 < time.monotonic() - t0 < 4
        c.close()
        t.wait_log("reason=timeout")
        # the proxy gives up
        c = t.connect(source=PROXY)
        c.sendall(b"PROXY TCP4 19")
        c.close()
        t.wait_log("reason=eof")
        assert "event=connect" not in t.log(), t.log()


@case
def checks_apply_to_the_real_client():
    bans = test_tcpd.TMP / "proxy-bans.cdb"
    make_cdb(bans, [(b"ip4/192.0.2.66_32", b"0")])
    with Tcpd(["-p", PROXY, "-B", str(bans), "-m", "554 banned\\r\\n", "-r", "2", "-M", "421 slow\\r\\n"], sh(SCRIPT)) as t:
        out = talk(t, b"PROXY TCP4 192.0.2.66 127.0.0.1 1000 25\r\n")
        assert out == "554 banned\r\n", out
        t.wait_log("event=banned ip=192.0.2.66")
        # the rate is per real client, not per proxy
        for i in range(2):
            out = talk(t, b"PROXY TCP4 192.0.2.70 127.0.0.1 %d 25\r\nZ\r\n" % (2000 + i))
            assert out.startswith("ip=192.0.2.70 "), out
        out = talk(t, b"PROXY TCP4 192.0.2.70 127.0.0.1 2003 25\r\nZ\r\n")
        assert out == "421 slow\r\n", out
        out = talk(t, b"PROXY TCP4 192.0.2.71 127.0.0.1 2004 25\r\nZ\r\n")
        assert out.startswith("ip=192.0.2.71 "), out
        t.wait_log("event=limit_rate ip=192.0.2.70")


@case
def usage():
    import subprocess
    for args in (["-p", "not-a-net"], ["-p", ""], ["-p", PROXY, "-P", "0"]):
        r = subprocess.run([test_tcpd.TCPD] + args + ["-u", "65534", "-g", "65534", "127.0.0.1", "0", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert r.returncode == 100, (args, r)


@case
def suite_smtp_behind_proxy():
    """The wiring: PH_PROXY_FROM (mailserver.env or the environment) makes
    the SMTP services' tcpd take the header; smtpd logs the real client."""
    import phtest
    with phtest.Suite(extra_env={"PH_PROXY_FROM": PROXY}) as s:
        c = socket.create_connection(("127.0.0.1", s.port("smtp")), timeout=10, source_address=(PROXY, 0))
        c.sendall(b"PROXY TCP4 192.0.2.44 127.0.0.1 41000 25\r\nEHLO relay.test\r\nQUIT\r\n")
        out = read_all(c, timeout=10).decode()
        c.close()
        assert out.startswith("220 ") and "250" in out and "221" in out, out
        assert s.wait_for(lambda: "smtpd: event=connect ip=192.0.2.44 port=41000" in s.log("smtpd"), 5), s.log("smtpd")[-800:]
        assert s.wait_for(lambda: "tcpd: event=proxy ip=192.0.2.44 port=41000 proxy=%s version=1" % PROXY in s.log("smtpd"), 10)
        # a client that is not the proxy: its header is a bad command
        c = socket.create_connection(("127.0.0.1", s.port("smtp")), timeout=10)
        c.sendall(b"PROXY TCP4 192.0.2.45 127.0.0.1 41001 25\r\nQUIT\r\n")
        out = read_all(c, timeout=10).decode()
        c.close()
        assert "\r\n500 5.5.2" in out, out
        assert "192.0.2.45" not in s.log("smtpd").replace("PROXY TCP4 192.0.2.45", "")


def main():
    passed, failed = caserun.run_cases(case)
    shutil.rmtree(test_tcpd.TMP, ignore_errors=True) if not failed else None
    caserun.finish(passed, failed)


if __name__ == "__main__":
    main()
